//! Schema normalisation, column order and compatibility (reference §3), against plateau's rules.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use plateau_core::Error;
use plateau_metadata::schema::{
    empty_batch, format_origin, make_meta, normalize_column_order, normalize_type, pandas_type_of,
    validate_compatible, PandasType, SchemaWrapper, PANDAS_METADATA_KEY,
};
use serde_json::{json, Value as Json};

fn field(name: &str, data_type: DataType) -> Field {
    Field::new(name, data_type, true)
}

fn list(element: DataType) -> DataType {
    DataType::List(Arc::new(Field::new("item", element, true)))
}

fn dict(key: DataType, value: DataType) -> DataType {
    DataType::Dictionary(Box::new(key), Box::new(value))
}

fn ts(unit: TimeUnit, tz: Option<&str>) -> DataType {
    DataType::Timestamp(unit, tz.map(Into::into))
}

fn meta(fields: Vec<Field>, origin: &str, partition_keys: &[&str]) -> SchemaWrapper {
    let keys: Vec<String> = partition_keys.iter().map(|k| k.to_string()).collect();
    make_meta(&Schema::new(fields), origin, &keys).unwrap()
}

/// `(name, type)` of every field.
fn fields_of(schema: &SchemaWrapper) -> Vec<(String, DataType)> {
    schema
        .schema()
        .fields()
        .iter()
        .map(|f| (f.name().clone(), f.data_type().clone()))
        .collect()
}

fn entry(schema: &SchemaWrapper, name: &str) -> (String, String, Json) {
    let e = schema.pandas_column(name).unwrap();
    (
        e["pandas_type"].as_str().unwrap().to_owned(),
        e["numpy_type"].as_str().unwrap().to_owned(),
        e["metadata"].clone(),
    )
}

fn incompatible(result: plateau_core::Result<Option<SchemaWrapper>>) -> String {
    match result {
        Err(Error::SchemaIncompatible { uuid, message }) => {
            assert_eq!(uuid, "ds");
            message
        }
        other => panic!("expected SchemaIncompatible, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// normalize_type: plateau's rule with explicit pandas dtypes

#[test]
fn normalize_type_follows_plateau() {
    let p = |t: &str, n: &str| PandasType {
        pandas_type: t.into(),
        numpy_type: n.into(),
        metadata: None,
    };
    let cases: Vec<(DataType, PandasType, DataType, PandasType)> = vec![
        (
            DataType::Int8,
            p("int8", "int8"),
            DataType::Int64,
            p("int64", "int64"),
        ),
        (
            DataType::Int32,
            p("int32", "int32"),
            DataType::Int64,
            p("int64", "int64"),
        ),
        (
            DataType::UInt16,
            p("uint16", "uint16"),
            DataType::UInt64,
            p("uint64", "uint64"),
        ),
        (
            DataType::Float16,
            p("float16", "float16"),
            DataType::Float64,
            p("float64", "float64"),
        ),
        (
            DataType::Float32,
            p("float32", "float32"),
            DataType::Float64,
            p("float64", "float64"),
        ),
        // categorical strings, the pandas 3 `str` dtype, object strings, the pd.NA dtype
        (
            dict(DataType::Int8, DataType::Utf8),
            p("categorical", "int8"),
            DataType::LargeUtf8,
            p("object", "str"),
        ),
        (
            DataType::LargeUtf8,
            p("unicode", "str"),
            DataType::LargeUtf8,
            p("object", "str"),
        ),
        (
            DataType::Utf8,
            p("unicode", "str"),
            DataType::LargeUtf8,
            p("object", "str"),
        ),
        (
            DataType::LargeUtf8,
            p("unicode", "string"),
            DataType::Utf8,
            p("unicode", "string"),
        ),
        // object strings are left to `_schema_compat` (see SchemaWrapper)
        (
            DataType::Utf8,
            p("unicode", "object"),
            DataType::Utf8,
            p("unicode", "object"),
        ),
        // dictionaries are their values
        (
            dict(DataType::Int16, DataType::Float32),
            p("categorical", "int8"),
            DataType::Float64,
            p("float64", "float64"),
        ),
        // lists normalise their element, strings inside stay
        (
            list(DataType::Int16),
            p("list[int16]", "object"),
            { DataType::List(Arc::new(Field::new("element", DataType::Int64, true))) },
            p("list[int64]", "object"),
        ),
        (
            list(DataType::Utf8),
            p("list[unicode]", "object"),
            { DataType::List(Arc::new(Field::new("element", DataType::Utf8, true))) },
            p("list[unicode]", "object"),
        ),
        (
            list(list(DataType::UInt8)),
            p("list[list[uint8]]", "object"),
            {
                DataType::List(Arc::new(Field::new(
                    "element",
                    DataType::List(Arc::new(Field::new("element", DataType::UInt64, true))),
                    true,
                )))
            },
            p("list[list[uint64]]", "object"),
        ),
        // unchanged
        (
            DataType::Boolean,
            p("bool", "bool"),
            DataType::Boolean,
            p("bool", "bool"),
        ),
        (
            DataType::Binary,
            p("bytes", "object"),
            DataType::Binary,
            p("bytes", "object"),
        ),
        (
            DataType::Date32,
            p("date", "object"),
            DataType::Date32,
            p("date", "object"),
        ),
        (
            ts(TimeUnit::Millisecond, Some("UTC")),
            p("datetimetz", "datetime64[ms]"),
            ts(TimeUnit::Millisecond, Some("UTC")),
            p("datetimetz", "datetime64[ms]"),
        ),
        (
            DataType::Decimal128(10, 2),
            p("decimal", "object"),
            DataType::Decimal128(10, 2),
            p("decimal", "object"),
        ),
        (
            DataType::Time64(TimeUnit::Microsecond),
            p("time", "object"),
            DataType::Time64(TimeUnit::Microsecond),
            p("time", "object"),
        ),
        (
            DataType::Null,
            p("empty", "object"),
            DataType::Null,
            p("empty", "object"),
        ),
    ];
    for (input, pandas, expected_type, expected_pandas) in cases {
        let (t, pd) = normalize_type(&input, &pandas);
        assert_eq!(t, expected_type, "type of {input}");
        assert_eq!(pd, expected_pandas, "pandas entry of {input}");
    }
}

#[test]
fn pandas_type_of_matches_what_pyarrow_writes() {
    let cases = [
        (DataType::Int8, "int8", "int8", Json::Null),
        (DataType::Utf8, "unicode", "str", Json::Null),
        (DataType::Binary, "bytes", "object", Json::Null),
        (DataType::Date32, "date", "object", Json::Null),
        (DataType::Null, "empty", "object", Json::Null),
        (
            ts(TimeUnit::Second, None),
            "datetime",
            "datetime64[s]",
            Json::Null,
        ),
        (
            ts(TimeUnit::Microsecond, Some("Europe/Berlin")),
            "datetimetz",
            "datetime64[us]",
            json!({"timezone": "Europe/Berlin"}),
        ),
        (
            DataType::Decimal128(10, 2),
            "decimal",
            "object",
            json!({"precision": 10, "scale": 2}),
        ),
        (
            DataType::Duration(TimeUnit::Microsecond),
            "object",
            "timedelta64[us]",
            Json::Null,
        ),
        (list(DataType::Utf8), "list[unicode]", "object", Json::Null),
        (
            dict(DataType::Int8, DataType::Utf8),
            "categorical",
            "int8",
            Json::Null,
        ),
    ];
    for (t, pandas_type, numpy_type, metadata) in cases {
        let p = pandas_type_of(&t);
        assert_eq!(
            (p.pandas_type.as_str(), p.numpy_type.as_str()),
            (pandas_type, numpy_type),
            "{t}"
        );
        assert_eq!(p.metadata.unwrap_or(Json::Null), metadata, "{t}");
    }
}

// ---------------------------------------------------------------------------------------------
// make_meta: the Rust rule

#[test]
fn make_meta_normalises_every_type() {
    let s = meta(
        vec![
            field("i8", DataType::Int8),
            field("i16", DataType::Int16),
            field("i32", DataType::Int32),
            field("u8", DataType::UInt8),
            field("u32", DataType::UInt32),
            field("f16", DataType::Float16),
            field("f32", DataType::Float32),
            field("b", DataType::Boolean),
            field("s", DataType::Utf8),
            field("sl", DataType::LargeUtf8),
            field("sv", DataType::Utf8View),
            field("cat", dict(DataType::Int32, DataType::Utf8)),
            field("catv", dict(DataType::Int8, DataType::Utf8View)),
            field("catbin", dict(DataType::Int8, DataType::Binary)),
            field("catint", dict(DataType::Int8, DataType::Int16)),
            field("bin", DataType::Binary),
            field("lbin", DataType::LargeBinary),
            field("fbin", DataType::FixedSizeBinary(16)),
            field("d32", DataType::Date32),
            field("d64", DataType::Date64),
            field("dec", DataType::Decimal128(10, 2)),
            field("t_ms", ts(TimeUnit::Millisecond, None)),
            field("t_utc", ts(TimeUnit::Microsecond, Some("UTC"))),
            field("li", list(DataType::Int8)),
            field(
                "lls",
                DataType::LargeList(Arc::new(field("x", DataType::LargeUtf8))),
            ),
            field("lcat", list(dict(DataType::Int8, DataType::Utf8))),
            field("n", DataType::Null),
            field("time", DataType::Time64(TimeUnit::Microsecond)),
            field("dur", DataType::Duration(TimeUnit::Nanosecond)),
        ],
        "o",
        &[],
    );
    let element = |t: DataType| DataType::List(Arc::new(Field::new("element", t, true)));
    let expected: HashMap<&str, (DataType, &str, &str)> = HashMap::from([
        ("i8", (DataType::Int64, "int64", "int64")),
        ("i16", (DataType::Int64, "int64", "int64")),
        ("i32", (DataType::Int64, "int64", "int64")),
        ("u8", (DataType::UInt64, "uint64", "uint64")),
        ("u32", (DataType::UInt64, "uint64", "uint64")),
        ("f16", (DataType::Float64, "float64", "float64")),
        ("f32", (DataType::Float64, "float64", "float64")),
        ("b", (DataType::Boolean, "bool", "bool")),
        ("s", (DataType::LargeUtf8, "object", "str")),
        ("sl", (DataType::LargeUtf8, "object", "str")),
        ("sv", (DataType::LargeUtf8, "object", "str")),
        ("cat", (DataType::LargeUtf8, "object", "str")),
        ("catv", (DataType::LargeUtf8, "object", "str")),
        ("catbin", (DataType::Binary, "bytes", "object")),
        ("catint", (DataType::Int64, "int64", "int64")),
        ("bin", (DataType::Binary, "bytes", "object")),
        ("lbin", (DataType::Binary, "bytes", "object")),
        ("fbin", (DataType::Binary, "bytes", "object")),
        ("d32", (DataType::Date32, "date", "object")),
        ("d64", (DataType::Date32, "date", "object")),
        ("dec", (DataType::Decimal128(10, 2), "decimal", "object")),
        (
            "t_ms",
            (ts(TimeUnit::Nanosecond, None), "datetime", "datetime64[ms]"),
        ),
        (
            "t_utc",
            (
                ts(TimeUnit::Nanosecond, Some("UTC")),
                "datetimetz",
                "datetime64[us]",
            ),
        ),
        ("li", (element(DataType::Int64), "list[int64]", "object")),
        ("lls", (element(DataType::Utf8), "list[unicode]", "object")),
        ("lcat", (element(DataType::Utf8), "list[unicode]", "object")),
        ("n", (DataType::Null, "empty", "object")),
        (
            "time",
            (DataType::Time64(TimeUnit::Microsecond), "time", "object"),
        ),
        (
            "dur",
            (
                DataType::Duration(TimeUnit::Nanosecond),
                "object",
                "timedelta64[ns]",
            ),
        ),
    ]);
    assert_eq!(s.len(), expected.len());
    for f in s.schema().fields() {
        let (t, pandas_type, numpy_type) = &expected[f.name().as_str()];
        assert_eq!(f.data_type(), t, "type of {}", f.name());
        assert!(f.is_nullable());
        let (pt, nt, _) = entry(&s, f.name());
        assert_eq!(
            (pt.as_str(), nt.as_str()),
            (*pandas_type, *numpy_type),
            "entry of {}",
            f.name()
        );
    }
    assert_eq!(entry(&s, "t_utc").2, json!({"timezone": "UTC"}));
    assert_eq!(entry(&s, "dec").2, json!({"precision": 10, "scale": 2}));
}

#[test]
fn make_meta_makes_fields_nullable_and_nested_strings_plain() {
    let s = meta(
        vec![
            Field::new("a", DataType::Int32, false),
            Field::new(
                "st",
                DataType::Struct(vec![Field::new("x", DataType::LargeUtf8, false)].into()),
                false,
            ),
            Field::new(
                "l",
                DataType::List(Arc::new(Field::new("item", DataType::Int8, false))),
                false,
            ),
        ],
        "o",
        &[],
    );
    let f = s.field("st").unwrap();
    assert!(f.is_nullable());
    assert_eq!(
        f.data_type(),
        &DataType::Struct(vec![Field::new("x", DataType::Utf8, true)].into())
    );
    assert!(s.field("a").unwrap().is_nullable());
    assert_eq!(
        s.field("l").unwrap().data_type(),
        &DataType::List(Arc::new(Field::new("element", DataType::Int64, true)))
    );
}

#[test]
fn make_meta_writes_the_pandas_metadata_plateau_writes() {
    // Python: make_meta(DataFrame({"x": int8, "c": categorical[str], "P": int64,
    // "t": datetime64[ms, UTC]}), partition_keys=["P"]) on an empty frame; only `creator` differs.
    let s = meta(
        vec![
            field("x", DataType::Int8),
            field("c", dict(DataType::Int8, DataType::Utf8)),
            field("P", DataType::Int64),
            field("t", ts(TimeUnit::Millisecond, Some("UTC"))),
        ],
        "o",
        &["P"],
    );
    let expected = concat!(
        r#"{"attributes": {}, "column_indexes": [{"field_name": null, "metadata": {"encoding": "UTF-8"}, "name": null, "numpy_type": "str", "pandas_type": "unicode"}], "#,
        r#""columns": [{"field_name": "P", "metadata": null, "name": "P", "numpy_type": "int64", "pandas_type": "int64"}, "#,
        r#"{"field_name": "c", "metadata": null, "name": "c", "numpy_type": "str", "pandas_type": "object"}, "#,
        r#"{"field_name": "t", "metadata": {"timezone": "UTC"}, "name": "t", "numpy_type": "datetime64[ms]", "pandas_type": "datetimetz"}, "#,
        r#"{"field_name": "x", "metadata": null, "name": "x", "numpy_type": "int64", "pandas_type": "int64"}], "#,
        r#""creator": {"library": "plateau-rs", "version": "VERSION"}, "#,
        r#""index_columns": [{"kind": "range", "name": null, "start": 0, "step": 1, "stop": 0}], "pandas_version": "3.1.1"}"#
    )
    .replace("VERSION", env!("CARGO_PKG_VERSION"));
    assert_eq!(
        s.schema().metadata().get(PANDAS_METADATA_KEY),
        Some(&expected)
    );
    assert_eq!(s.schema().metadata().len(), 1);
    assert_eq!(
        fields_of(&s),
        vec![
            ("P".into(), DataType::Int64),
            ("c".into(), DataType::LargeUtf8),
            ("t".into(), ts(TimeUnit::Nanosecond, Some("UTC"))),
            ("x".into(), DataType::Int64),
        ]
    );
    assert_eq!(s.origin(), &BTreeSet::from(["o".to_owned()]));
}

#[test]
fn make_meta_escapes_non_ascii_names_like_simplejson() {
    let s = meta(vec![field("größe", DataType::Int64)], "o", &[]);
    let text = s.schema().metadata().get(PANDAS_METADATA_KEY).unwrap();
    assert!(
        text.contains(r#""field_name": "gr\u00f6\u00dfe""#),
        "{text}"
    );
    assert_eq!(s.names(), vec!["größe"]);
}

#[test]
fn column_order_is_partition_keys_then_code_point_order() {
    let s = meta(
        vec![
            field("b", DataType::Int64),
            field("a", DataType::Int64),
            field("Z", DataType::Int64),
            field("ä", DataType::Int64),
            field("_x", DataType::Int64),
            field("q", DataType::Int64),
            field("p", DataType::Int64),
        ],
        "o",
        &["q", "p", "missing"],
    );
    assert_eq!(s.names(), vec!["q", "p", "Z", "_x", "a", "b", "ä"]);
    let entries: Vec<&str> = s.pandas_metadata().unwrap()["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(entries, s.names());
}

#[test]
fn normalize_column_order_without_pandas_sorts_fields() {
    let plain = SchemaWrapper::new(
        Schema::new(vec![
            field("b", DataType::Int64),
            field("p", DataType::Int64),
            field("a", DataType::Int64),
        ]),
        "o",
    )
    .unwrap();
    let ordered = normalize_column_order(&plain, &["p".to_owned()]).unwrap();
    assert_eq!(ordered.names(), vec!["p", "a", "b"]);
    assert!(!ordered.has_pandas_metadata());
}

#[test]
fn make_meta_drops_index_columns() {
    let pandas = json!({
        "index_columns": ["idx"],
        "columns": [
            {"name": "s", "field_name": "s", "pandas_type": "unicode", "numpy_type": "string", "metadata": null},
            {"name": "idx", "field_name": "idx", "pandas_type": "int64", "numpy_type": "int64", "metadata": null},
        ],
    });
    let schema = Schema::new(vec![
        field("s", DataType::LargeUtf8),
        field("__index_level_0__", DataType::Int64),
        field("idx", DataType::Int64),
        field("__index_level_x__", DataType::Int64),
    ])
    .with_metadata(HashMap::from([(
        PANDAS_METADATA_KEY.to_owned(),
        pandas.to_string(),
    )]));
    let s = make_meta(&schema, "o", &[]).unwrap();
    // `__index_level_x__` is not pyarrow's pattern and stays a column
    assert_eq!(s.names(), vec!["__index_level_x__", "s"]);
    // the batch's own dtype (pandas `string`, pd.NA) decides the string flavour, as in plateau
    assert_eq!(s.field("s").unwrap().data_type(), &DataType::Utf8);
    assert_eq!(entry(&s, "s").0, "unicode");
    assert_eq!(entry(&s, "s").1, "string");
    assert_eq!(
        s.pandas_metadata().unwrap()["index_columns"],
        json!([{"kind": "range", "name": null, "start": 0, "step": 1, "stop": 0}])
    );
}

#[test]
fn make_meta_rejects_duplicates_and_unstorable_types() {
    let dup = Schema::new(vec![
        field("a", DataType::Int64),
        field("a", DataType::Utf8),
    ]);
    assert!(matches!(make_meta(&dup, "o", &[]), Err(Error::InvalidInput(m)) if m.contains("`a`")));
    let union = Schema::new(vec![field(
        "u",
        DataType::Union(
            arrow::datatypes::UnionFields::empty(),
            arrow::datatypes::UnionMode::Dense,
        ),
    )]);
    assert!(matches!(
        make_meta(&union, "o", &[]),
        Err(Error::Unsupported(_))
    ));
    let interval = Schema::new(vec![field(
        "i",
        list(DataType::Interval(arrow::datatypes::IntervalUnit::DayTime)),
    )]);
    assert!(matches!(
        make_meta(&interval, "o", &[]),
        Err(Error::Unsupported(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// SchemaWrapper

#[test]
fn wrapper_equality_ignores_metadata_and_list_element_names() {
    let a = SchemaWrapper::new(
        Schema::new(vec![
            field("l", list(DataType::Int64)),
            field("x", DataType::Int64).with_metadata(HashMap::from([("k".into(), "v".into())])),
        ])
        .with_metadata(HashMap::from([("other".into(), "1".into())])),
        "a",
    )
    .unwrap();
    let b = SchemaWrapper::new(
        Schema::new(vec![
            field(
                "l",
                DataType::List(Arc::new(Field::new("element", DataType::Int64, true))),
            ),
            field("x", DataType::Int64),
        ]),
        "b",
    )
    .unwrap();
    assert_eq!(a, b);
    let non_null = SchemaWrapper::new(
        Schema::new(vec![
            field("l", list(DataType::Int64)),
            Field::new("x", DataType::Int64, false),
        ]),
        "c",
    )
    .unwrap();
    assert_ne!(a, non_null);
    let element_not_null = SchemaWrapper::new(
        Schema::new(vec![
            field(
                "l",
                DataType::List(Arc::new(Field::new("item", DataType::Int64, false))),
            ),
            field("x", DataType::Int64),
        ]),
        "d",
    )
    .unwrap();
    assert_ne!(a, element_not_null);
}

#[test]
fn wrapper_applies_schema_compat() {
    let pandas = json!({
        "index_columns": ["__index_level_0__"],
        "columns": [
            {"name": "legacy", "field_name": "legacy", "pandas_type": "unicode", "numpy_type": "object", "metadata": null},
            {"name": "na", "field_name": "na", "pandas_type": "unicode", "numpy_type": "string", "metadata": null},
            {"name": null, "field_name": "__index_level_0__", "pandas_type": "int64", "numpy_type": "int64", "metadata": null},
        ],
    });
    let schema = Schema::new(vec![
        field("legacy", DataType::Utf8),
        field("na", DataType::Utf8),
        field("t", ts(TimeUnit::Microsecond, Some("UTC"))),
        field("__index_level_0__", DataType::Int64),
    ])
    .with_metadata(HashMap::from([(
        PANDAS_METADATA_KEY.to_owned(),
        pandas.to_string(),
    )]));
    let s = SchemaWrapper::new(schema, "k").unwrap();
    assert_eq!(
        fields_of(&s),
        vec![
            ("legacy".into(), DataType::LargeUtf8),
            ("na".into(), DataType::Utf8),
            ("t".into(), ts(TimeUnit::Nanosecond, Some("UTC"))),
        ]
    );
    assert_eq!(
        entry(&s, "legacy"),
        ("object".into(), "str".into(), Json::Null)
    );
    // re-serialised with sorted keys
    let text = s.schema().metadata().get(PANDAS_METADATA_KEY).unwrap();
    assert!(text.starts_with(r#"{"columns": [{"field_name": "legacy", "metadata": null, "name": "legacy", "numpy_type": "str""#), "{text}");

    let multi = Schema::new(vec![field("a", DataType::Int64)]).with_metadata(HashMap::from([(
        PANDAS_METADATA_KEY.to_owned(),
        json!({"index_columns": ["a", "b"], "columns": []}).to_string(),
    )]));
    assert!(matches!(
        SchemaWrapper::new(multi, "k"),
        Err(Error::Unsupported(m)) if m == "Treatment of MultiIndex not implemented."
    ));
    let bad = Schema::new(vec![field("a", DataType::Int64)]).with_metadata(HashMap::from([(
        PANDAS_METADATA_KEY.to_owned(),
        "[1]".to_owned(),
    )]));
    assert!(matches!(
        SchemaWrapper::new(bad, "k"),
        Err(Error::InvalidInput(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// validate_compatible: the matrix of reference §3

fn check(a: Vec<Field>, b: Vec<Field>) -> plateau_core::Result<Option<SchemaWrapper>> {
    validate_compatible(&[meta(a, "P=1/a", &[]), meta(b, "P=2/b", &[])], "ds")
}

#[test]
fn compatible_changes() {
    // int widths
    check(
        vec![field("x", DataType::Int8)],
        vec![field("x", DataType::Int64)],
    )
    .unwrap();
    check(
        vec![field("x", DataType::UInt8)],
        vec![field("x", DataType::UInt32)],
    )
    .unwrap();
    check(
        vec![field("x", DataType::Float32)],
        vec![field("x", DataType::Float64)],
    )
    .unwrap();
    // column order
    check(
        vec![field("a", DataType::Int64), field("b", DataType::Utf8)],
        vec![field("b", DataType::Utf8), field("a", DataType::Int64)],
    )
    .unwrap();
    // dictionary (categorical) vs string
    check(
        vec![field("s", dict(DataType::Int8, DataType::Utf8))],
        vec![field("s", DataType::Utf8)],
    )
    .unwrap();
    // null vs anything
    for t in [
        DataType::Int64,
        DataType::Utf8,
        list(DataType::Int8),
        ts(TimeUnit::Second, None),
    ] {
        check(vec![field("n", DataType::Null)], vec![field("n", t)]).unwrap();
    }
    // naive timestamp units
    check(
        vec![field("t", ts(TimeUnit::Second, None))],
        vec![field("t", ts(TimeUnit::Nanosecond, None))],
    )
    .unwrap();
    // tz-aware timestamp units (divergence: plateau rejects this)
    check(
        vec![field("t", ts(TimeUnit::Microsecond, Some("UTC")))],
        vec![field("t", ts(TimeUnit::Nanosecond, Some("UTC")))],
    )
    .unwrap();
    // list element names and widths
    check(
        vec![field("l", list(DataType::Int8))],
        vec![field("l", list(DataType::Int64))],
    )
    .unwrap();
}

#[test]
fn incompatible_changes() {
    let cases: Vec<(Vec<Field>, Vec<Field>)> = vec![
        (
            vec![field("x", DataType::Int64)],
            vec![field("x", DataType::UInt64)],
        ),
        (
            vec![field("x", DataType::Int64)],
            vec![field("x", DataType::Float64)],
        ),
        (
            vec![field("x", DataType::Int64)],
            vec![field("x", DataType::Int64), field("y", DataType::Int64)],
        ),
        (
            vec![field("x", DataType::Int64), field("y", DataType::Int64)],
            vec![field("x", DataType::Int64)],
        ),
        (
            vec![field("x", DataType::Int64)],
            vec![field("z", DataType::Int64)],
        ),
        (
            vec![field("s", dict(DataType::Int8, DataType::Binary))],
            vec![field("s", dict(DataType::Int8, DataType::Utf8))],
        ),
        (
            vec![field("t", ts(TimeUnit::Nanosecond, Some("UTC")))],
            vec![field("t", ts(TimeUnit::Nanosecond, Some("Europe/Berlin")))],
        ),
        (
            vec![field("t", ts(TimeUnit::Nanosecond, None))],
            vec![field("t", ts(TimeUnit::Nanosecond, Some("UTC")))],
        ),
        (
            vec![field("d", DataType::Date32)],
            vec![field("d", ts(TimeUnit::Nanosecond, None))],
        ),
    ];
    for (a, b) in cases {
        let description = format!("{a:?} vs {b:?}");
        assert!(
            matches!(check(a, b), Err(Error::SchemaIncompatible { .. })),
            "{description}"
        );
    }
}

#[test]
fn large_string_vs_pandas_string_dtype_is_an_error() {
    let object = meta(vec![field("s", DataType::Utf8)], "a", &[]);
    let pandas_string = Schema::new(vec![field("s", DataType::LargeUtf8)]).with_metadata(HashMap::from([(
        PANDAS_METADATA_KEY.to_owned(),
        json!({"index_columns": [], "columns": [
            {"name": "s", "field_name": "s", "pandas_type": "unicode", "numpy_type": "string", "metadata": null}
        ]})
        .to_string(),
    )]));
    let na = make_meta(&pandas_string, "b", &[]).unwrap();
    assert_eq!(na.field("s").unwrap().data_type(), &DataType::Utf8);
    let message = incompatible(validate_compatible(&[object, na], "ds"));
    assert!(message.contains("column `s`"), "{message}");
    assert!(
        message.contains("large_string") && message.contains("string"),
        "{message}"
    );
}

#[test]
fn error_message_names_origins_and_the_differing_field() {
    let stored = meta(
        vec![
            field("p", DataType::Utf8),
            field("x", DataType::Int64),
            field("y", DataType::Float64),
        ],
        "uuid/table/_common_metadata",
        &["p"],
    );
    let new = meta(
        vec![
            field("p", DataType::Utf8),
            field("x", DataType::Float32),
            field("w", DataType::Int64),
        ],
        "P=2/uuid",
        &["p"],
    );
    let message = incompatible(validate_compatible(&[stored, new], "ds"));
    assert!(message.starts_with("Schema violation\n\nOrigin schema: {P=2/uuid}\nOrigin reference: {uuid/table/_common_metadata}\n\nDiff:\n"), "{message}");
    assert!(
        message.contains("column `x`: schema has double, reference has int64"),
        "{message}"
    );
    assert!(
        message.contains("column `y`: missing in schema, reference has double"),
        "{message}"
    );
    assert!(
        message.contains("column `w`: schema has int64, missing in reference"),
        "{message}"
    );
    assert!(
        message.contains("Reference schema:\np: large_string\nx: int64\ny: double"),
        "{message}"
    );
    assert!(!message.contains("column `p`"), "{message}");
    let display = Error::SchemaIncompatible {
        uuid: "ds".into(),
        message: message.clone(),
    }
    .to_string();
    assert!(display.contains("`ds`") && display.contains("P=2/uuid"));
}

#[test]
fn error_message_reports_column_order_when_fields_agree() {
    let a = SchemaWrapper::new(
        Schema::new(vec![
            field("a", DataType::Int64),
            field("b", DataType::Int64),
        ]),
        "x",
    )
    .unwrap();
    let b = SchemaWrapper::new(
        Schema::new(vec![
            field("b", DataType::Int64),
            field("a", DataType::Int64),
        ]),
        "y",
    )
    .unwrap();
    let message = incompatible(validate_compatible(&[a, b], "ds"));
    assert!(
        message.contains("column order differs: schema has [b, a], reference has [a, b]"),
        "{message}"
    );
}

#[test]
fn origins_are_sorted_joined_and_truncated_like_plateau() {
    let short = BTreeSet::from(["b".to_owned(), "a".to_owned()]);
    assert_eq!(format_origin(&short), "{a, b}");
    let long: BTreeSet<String> = (0..50).map(|i| format!("P={i:02}/label")).collect();
    let formatted = format_origin(&long);
    assert_eq!(formatted.chars().count(), 200 + 3 + 2);
    assert!(formatted.starts_with("{P=00/label, P=01/label") && formatted.ends_with("...}"));
    // exactly 203 characters are kept whole
    let edge = BTreeSet::from(["x".repeat(203)]);
    assert_eq!(format_origin(&edge), format!("{{{}}}", "x".repeat(203)));
}

#[test]
fn null_columns_are_wildcards_and_get_filled() {
    let a = meta(
        vec![field("n", DataType::Null), field("m", DataType::Int8)],
        "a",
        &[],
    );
    let b = meta(
        vec![field("n", DataType::Utf8), field("m", DataType::Null)],
        "b",
        &[],
    );
    let c = meta(
        vec![field("n", DataType::Null), field("m", DataType::Null)],
        "c",
        &[],
    );
    let result = validate_compatible(&[c, a, b], "ds").unwrap().unwrap();
    assert_eq!(
        fields_of(&result),
        vec![
            ("m".into(), DataType::Int64),
            ("n".into(), DataType::LargeUtf8)
        ]
    );
    // the filled field's pandas entry describes the concrete type (plateau keeps `empty`)
    assert_eq!(entry(&result, "n").0, "object");
    assert_eq!(entry(&result, "m").0, "int64");
    assert_eq!(
        result.origin(),
        &BTreeSet::from(["a".into(), "b".into(), "c".into()])
    );

    // a null column does not hide a real conflict elsewhere
    let a = meta(
        vec![field("n", DataType::Null), field("x", DataType::Int64)],
        "a",
        &[],
    );
    let b = meta(
        vec![field("n", DataType::Utf8), field("x", DataType::Float64)],
        "b",
        &[],
    );
    incompatible(validate_compatible(&[a, b], "ds"));
    // a null column the reference lacks is an extra column
    let a = meta(vec![field("x", DataType::Int64)], "a", &[]);
    let b = meta(
        vec![field("x", DataType::Int64), field("n", DataType::Null)],
        "b",
        &[],
    );
    let message = incompatible(validate_compatible(&[a, b], "ds"));
    assert!(message.contains("column `n`"), "{message}");
}

#[test]
fn validate_returns_reference_with_all_origins() {
    assert!(validate_compatible(&[], "ds").unwrap().is_none());
    let a = meta(vec![field("x", DataType::Int8)], "P=1/a", &[]);
    let b = meta(vec![field("x", DataType::Int32)], "P=2/b", &[]);
    let result = validate_compatible(&[a.clone(), b, a], "ds")
        .unwrap()
        .unwrap();
    assert_eq!(
        result.origin(),
        &BTreeSet::from(["P=1/a".into(), "P=2/b".into()])
    );
    assert_eq!(fields_of(&result), vec![("x".into(), DataType::Int64)]);
}

#[test]
fn non_pandas_reference_gets_pandas_metadata_from_the_others() {
    let stored = SchemaWrapper::new(
        Schema::new(vec![
            field("s", DataType::LargeUtf8),
            field("t", ts(TimeUnit::Microsecond, None)),
            field("n", DataType::Null),
        ]),
        "stored",
    )
    .unwrap();
    assert!(!stored.has_pandas_metadata());
    let new = meta(
        vec![
            field("s", DataType::Utf8),
            field("t", ts(TimeUnit::Millisecond, None)),
            field("n", DataType::Null),
        ],
        "new",
        &[],
    );
    let result = validate_compatible(&[stored, new], "ds").unwrap().unwrap();
    assert!(result.has_pandas_metadata());
    assert_eq!(
        entry(&result, "s"),
        ("object".into(), "str".into(), Json::Null)
    );
    assert_eq!(entry(&result, "t").0, "datetime");
    assert_eq!(entry(&result, "n").0, "empty");
    assert_eq!(result.names(), vec!["s", "t", "n"]);
}

// ---------------------------------------------------------------------------------------------
// empty_batch

#[test]
fn empty_batch_is_typed_and_projected() {
    let s = meta(
        vec![
            field("a", DataType::Int8),
            field("s", DataType::Utf8),
            field("t", ts(TimeUnit::Second, Some("UTC"))),
        ],
        "o",
        &[],
    );
    let batch = empty_batch(s.schema(), None).unwrap();
    assert_eq!(batch.num_rows(), 0);
    assert_eq!(batch.schema().fields().len(), 3);
    assert_eq!(
        batch.column(2).data_type(),
        &ts(TimeUnit::Nanosecond, Some("UTC"))
    );
    assert!(batch.schema().metadata().is_empty());

    let projected = empty_batch(s.schema(), Some(&["t".to_owned(), "a".to_owned()])).unwrap();
    let names: Vec<&str> = projected
        .schema_ref()
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(names, vec!["t", "a"]);
    assert_eq!(projected.column(1).data_type(), &DataType::Int64);

    match empty_batch(
        s.schema(),
        Some(&["z".to_owned(), "a".to_owned(), "b".to_owned()]),
    ) {
        Err(Error::ColumnNotFound { columns }) => assert_eq!(columns, vec!["b", "z"]),
        other => panic!("{other:?}"),
    }
}
