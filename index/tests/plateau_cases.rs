//! The backend-independent cases of plateau's `tests/core/test_index.py` (reference §4.5),
//! ported. Test names carry the Python test they port.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BooleanArray, Date32Array, Float64Array, Int64Array,
    LargeStringArray, TimestampNanosecondArray,
};
use arrow::datatypes::{DataType, Date32Type, Int64Type, TimeUnit};
use common::{date, entries, labels, ts};
use plateau_core::{naming, Error, Op, Scalar, Store, Value};
use plateau_index::{Index, IndexKind};
use plateau_serialization::filter::EvalOptions;

/// Load-time semantics: a date against a timestamp column is a type error.
fn strict() -> EvalOptions {
    EvalOptions::default().strict_date_types(true)
}

fn secondary<S: AsRef<str>>(data_type: &DataType, entries: Vec<(Scalar, Vec<S>)>) -> Index {
    Index::from_entries("col", IndexKind::Secondary, data_type, entries).unwrap()
}

fn ints(entries: &[(i64, &[&str])]) -> Index {
    secondary(
        &DataType::Int64,
        entries
            .iter()
            .map(|(v, l)| (Scalar::Int(*v), l.to_vec()))
            .collect(),
    )
}

fn stored_key(index: &Index) -> &str {
    index.storage_key().unwrap()
}

#[test]
fn test_index_update() {
    let original = ints(&[(1, &["part_1", "part_2"]), (3, &["part_3"])]);
    let new = ints(&[(1, &["part_4"]), (4, &["part_4"])]);
    let updated = original.merge(&new).unwrap();
    let expected = ints(&[
        (1, &["part_2", "part_4", "part_1"]),
        (3, &["part_3"]),
        (4, &["part_4"]),
    ]);
    assert_eq!(updated, expected);
    assert_eq!(
        entries(&updated),
        vec![
            (Scalar::Int(1), labels(&["part_1", "part_2", "part_4"])),
            (Scalar::Int(3), labels(&["part_3"])),
            (Scalar::Int(4), labels(&["part_4"])),
        ]
    );
}

#[test]
fn test_storage_key_after_update() {
    let original =
        ints(&[(1, &["part_1", "part_2"]), (3, &["part_3"])]).with_storage_key("storage_key");
    let unchanged = original.remove_partitions::<&str>(&[]);
    assert_eq!(unchanged.storage_key(), Some("storage_key"));
    assert_eq!(original.remove_partitions(&["part_1"]).storage_key(), None);

    assert_eq!(
        original.remove_values(&[]).unwrap().storage_key(),
        Some("storage_key")
    );
    assert_eq!(
        original
            .remove_values(&[Scalar::Int(1)])
            .unwrap()
            .storage_key(),
        None
    );

    let empty = Index::empty("col", IndexKind::Secondary, &DataType::Int64).unwrap();
    let merged = original.merge(&empty).unwrap();
    assert_eq!(merged.storage_key(), Some("storage_key"));
    assert_eq!(merged, original);
    let changed = original.merge(&ints(&[(5, &["part_5"])])).unwrap();
    assert_eq!(changed.storage_key(), None);

    // plateau's `copy()` keeps the key, `copy(column=...)` drops it.
    assert_eq!(original.clone().storage_key(), Some("storage_key"));
    assert_eq!(original.clone().without_storage_key().storage_key(), None);
}

#[test]
fn test_eq_explicit() {
    let original = ints(&[(1, &["part_1"])]).with_storage_key("dataset_uuid/some_index.parquet");
    let assert_ne = |other: &Index| {
        assert_ne!(other, &original);
        assert_ne!(&original, other);
    };
    assert_eq!(original.clone(), original);

    let other_column = Index::from_entries(
        "col2",
        IndexKind::Secondary,
        &DataType::Int64,
        [(Scalar::Int(1), ["part_1"])],
    )
    .unwrap();
    assert_ne(&other_column);
    let other_type = secondary(&DataType::UInt64, vec![(Scalar::UInt(1), vec!["part_1"])]);
    assert_ne(&other_type);
    assert_ne(&ints(&[(1, &["part_1"]), (2, &["part_2"])]));
    assert_ne(&ints(&[(1, &["part_1", "part_2"])]));
    assert_ne(&ints(&[(1, &["part_2"])]));
    assert_ne(&ints(&[(2, &["part_1"])]));
    let partition_kind = Index::from_entries(
        "col",
        IndexKind::Partition,
        &DataType::Int64,
        [(Scalar::Int(1), ["part_1"])],
    )
    .unwrap();
    assert_ne(&partition_kind);

    // Content equality: label order and storage key do not matter.
    assert_eq!(ints(&[(1, &["b", "a"])]), ints(&[(1, &["a", "b", "a"])]));
    assert_eq!(original.clone().without_storage_key(), original);
}

#[test]
fn test_index_update_wrong_col() {
    let original = ints(&[(1, &["part_1"])]);
    let other = Index::from_entries(
        "another_col",
        IndexKind::Secondary,
        &DataType::Int64,
        [(Scalar::Int(1), ["part_4"])],
    )
    .unwrap();
    let err = original.merge(&other).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid input: Trying to update an index with the wrong column. Got `another_col` but expected `col`"
    );
    let err = original
        .merge(&secondary(
            &DataType::UInt64,
            vec![(Scalar::UInt(1), vec!["p"])],
        ))
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(m) if m == "Trying to update an index with different types. Expected `Int64` but got `UInt64`"),
        "{err}"
    );
}

#[test]
fn test_index_empty() {
    let store = Store::memory();
    let types = [
        DataType::Binary,
        DataType::Boolean,
        DataType::Date32,
        DataType::Float32,
        DataType::Float64,
        DataType::Int64,
        DataType::Int8,
        DataType::Utf8,
        DataType::Timestamp(TimeUnit::Nanosecond, None),
    ];
    for data_type in types {
        let index = Index::empty("col", IndexKind::Secondary, &data_type)
            .unwrap()
            .with_storage_key("dataset_uuid/some_index.parquet");
        let stored = index
            .store(&store, "dataset_uuid", "2000-01-01T00:00:00")
            .unwrap();
        assert_eq!(stored_key(&stored), "dataset_uuid/some_index.parquet");
        let loaded = Index::load(&store, "col", stored_key(&stored)).unwrap();
        assert_eq!(loaded, index, "{data_type}");
        assert!(loaded.is_empty());
        assert_eq!(loaded.keys().data_type(), index.data_type());
    }
}

#[test]
fn test_index_remove_values() {
    let original = ints(&[
        (1, &["part_1", "part_2"]),
        (2, &["part_1"]),
        (3, &["part_3"]),
    ]);
    let removed = original
        .remove_values(&[Scalar::Int(1), Scalar::Int(2)])
        .unwrap();
    assert_eq!(removed, ints(&[(3, &["part_3"])]));
    // Labels that no value references any more are gone.
    assert_eq!(removed.labels(), ["part_3"]);
}

#[test]
fn test_index_remove_partitions() {
    let original = ints(&[
        (1, &["part_1", "part_2"]),
        (2, &["part_1"]),
        (3, &["part_3"]),
    ]);
    type Entries<'a> = &'a [(i64, &'a [&'a str])];
    let cases: [(&[&str], Entries); 3] = [
        (&["part_1"], &[(1, &["part_2"]), (3, &["part_3"])]),
        (&["part_1", "part_2"], &[(3, &["part_3"])]),
        (&["part_1", "part_2", "part_3"], &[]),
    ];
    for (remove, expected) in cases {
        let expected = if expected.is_empty() {
            Index::empty("col", IndexKind::Secondary, &DataType::Int64).unwrap()
        } else {
            ints(expected)
        };
        for permutation in permutations(remove) {
            assert_eq!(
                original.remove_partitions(&permutation),
                expected,
                "{permutation:?}"
            );
        }
    }
}

fn permutations<'a>(items: &[&'a str]) -> Vec<Vec<&'a str>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for (i, first) in items.iter().enumerate() {
        let mut rest = items.to_vec();
        rest.remove(i);
        for mut tail in permutations(&rest) {
            tail.insert(0, first);
            out.push(tail);
        }
    }
    out
}

#[test]
fn test_index_store_roundtrip_explicit_key() {
    let store = Store::memory();
    let index1 = ints(&[(1, &["part_1", "part_2"]), (3, &["part_3"])])
        .with_storage_key("dataset_uuid/some_index.parquet");
    let index1 = index1.store(&store, "dataset_uuid", "ignored").unwrap();
    assert_eq!(stored_key(&index1), "dataset_uuid/some_index.parquet");
    let index2 = Index::load(&store, "col", stored_key(&index1)).unwrap();
    assert_eq!(index1, index2);
    let index2 = index2.store(&store, "dataset_uuid", "ignored").unwrap();
    let index3 = Index::load(&store, "col", stored_key(&index2)).unwrap();
    assert_eq!(index1, index3);
    assert_eq!(index2, index3);
    assert_eq!(index3.storage_key(), index1.storage_key());

    // A key of another dataset is not reused.
    let moved = index3
        .store(&store, "other_uuid", "2001-01-01T00:00:00")
        .unwrap();
    assert_eq!(
        stored_key(&moved),
        "other_uuid/indices/col/2001-01-01T00%3A00%3A00.by-dataset-index.parquet"
    );
}

#[test]
fn test_index_store_roundtrip_implicit_key() {
    let now = "2024-01-01T00:00:00.123456+00:00";
    for (column, quoted) in [
        ("col", "col"),
        ("foo/bar", "foo/bar"),
        ("foo:bar", "foo%3Abar"),
    ] {
        let store = Store::memory();
        let index1 = Index::from_entries(
            column,
            IndexKind::Secondary,
            &DataType::Int64,
            [
                (Scalar::Int(1), vec!["part_1", "part_2"]),
                (Scalar::Int(3), vec!["part_3"]),
            ],
        )
        .unwrap();
        let index1 = index1.store(&store, "dataset_uuid", now).unwrap();
        let key1 = stored_key(&index1).to_owned();
        assert_eq!(key1, naming::index_key("dataset_uuid", column, now));
        assert_eq!(
            key1,
            format!("dataset_uuid/indices/{quoted}/2024-01-01T00%3A00%3A00.123456%2B00%3A00.by-dataset-index.parquet")
        );
        let index2 = Index::load(&store, column, &key1).unwrap();
        assert_eq!(index1, index2);
        let index2 = index2.store(&store, "dataset_uuid", "later").unwrap();
        assert_eq!(stored_key(&index2), key1);
        let index3 = Index::load(&store, column, stored_key(&index2)).unwrap();
        assert_eq!(index1, index3);
        assert_eq!(store.list_keys("dataset_uuid/").unwrap(), [key1]);
    }
}

fn flat(index: &Index) -> (ArrayRef, Vec<String>) {
    let batch = index.to_flat_batch().unwrap();
    assert_eq!(batch.schema().field(0).name(), index.column());
    assert_eq!(batch.schema().field(1).name(), "partition");
    let labels = batch
        .column(1)
        .as_string::<i32>()
        .iter()
        .map(|l| l.unwrap().to_owned())
        .collect();
    (batch.column(0).clone(), labels)
}

#[test]
fn test_index_as_flat_series() {
    let index = ints(&[(1, &["part_1", "part_2"]), (2, &["part_1"])]);
    let (values, partitions) = flat(&index);
    assert_eq!(values.as_primitive::<Int64Type>().values(), &[1, 1, 2]);
    assert_eq!(partitions, ["part_1", "part_2", "part_1"]);

    let single = ints(&[(1, &["part_1", "part_2"])]);
    let (values, partitions) = flat(&single);
    assert_eq!(values.as_primitive::<Int64Type>().values(), &[1, 1]);
    assert_eq!(partitions, ["part_1", "part_2"]);
}

#[test]
fn test_index_as_flat_series_highly_degenerated() {
    let dim = 4;
    let all: Vec<String> = (0..dim).map(|i| format!("part_{i}")).collect();
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let sym: Vec<(i64, &[&str])> = (0..dim).map(|k| (k, all.as_slice())).collect();
    let (values, partitions) = flat(&ints(&sym));
    assert_eq!(
        values.as_primitive::<Int64Type>().values(),
        &[0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]
    );
    assert_eq!(partitions, all.repeat(4));

    let asym = ints(&[
        (0, &["part_1"]),
        (1, &all),
        (2, &["part_2", "part_5"]),
        (3, &all),
    ]);
    let (values, partitions) = flat(&asym);
    assert_eq!(
        values.as_primitive::<Int64Type>().values(),
        &[0, 1, 1, 1, 1, 2, 2, 3, 3, 3, 3]
    );
    assert_eq!(
        partitions,
        [
            "part_1", "part_0", "part_1", "part_2", "part_3", "part_2", "part_5", "part_0",
            "part_1", "part_2", "part_3"
        ]
    );
}

#[test]
fn test_index_as_flat_series_date() {
    let index = secondary(
        &DataType::Date32,
        vec![
            (date("2018-02-03"), vec!["part_1"]),
            (date("2017-01-02"), vec!["part_1", "part_2"]),
        ],
    );
    let (values, partitions) = flat(&index);
    let days = values.as_primitive::<Date32Type>().values().to_vec();
    let expect = |d: &str| match date(d) {
        Scalar::Date(days) => days,
        _ => unreachable!(),
    };
    assert_eq!(
        days,
        [
            expect("2017-01-02"),
            expect("2017-01-02"),
            expect("2018-02-03")
        ]
    );
    assert_eq!(partitions, ["part_1", "part_2", "part_1"]);
}

#[test]
fn test_index_store_roundtrip_ts() {
    let store = Store::memory();
    for tz in [None, Some("EST")] {
        let data_type = DataType::Timestamp(TimeUnit::Nanosecond, tz.map(Arc::from));
        let index1 = secondary(
            &data_type,
            vec![
                (ts("2017-01-01T05:00:00", tz), vec!["part_1", "part_2"]),
                (ts("2017-01-02T05:00:00.000000001", tz), vec!["part_3"]),
            ],
        )
        .with_storage_key("dataset_uuid/some_index.parquet");
        let stored = index1.store(&store, "dataset_uuid", "x").unwrap();
        let index2 = Index::load(&store, "col", stored_key(&stored)).unwrap();
        assert_eq!(index1, index2);
        assert_eq!(index2.data_type(), &data_type);
        assert_eq!(
            index2
                .query(&ts("2017-01-02T05:00:00.000000001", tz))
                .unwrap(),
            ["part_3"]
        );
    }
}

#[test]
fn test_index_normalize_dtype() {
    let int8 = Index::empty("col", IndexKind::Secondary, &DataType::Int8).unwrap();
    assert_eq!(int8.data_type(), &DataType::Int64);
    let uint8 = Index::empty("col", IndexKind::Secondary, &DataType::UInt8).unwrap();
    assert_eq!(uint8.data_type(), &DataType::UInt64);
}

#[test]
fn test_index_raises_nested_and_null_dtype() {
    let list = DataType::List(Arc::new(arrow::datatypes::Field::new(
        "item",
        DataType::Int8,
        true,
    )));
    let err = Index::empty("col", IndexKind::Secondary, &list).unwrap_err();
    assert!(
        matches!(&err, Error::Unsupported(m) if m.starts_with("Indices w/ nested types are not supported"))
    );
    let err = Index::empty("col", IndexKind::Secondary, &DataType::Null).unwrap_err();
    assert!(
        matches!(&err, Error::Unsupported(m) if m.starts_with("Indices w/ null/NA type are not supported"))
    );
    let err = Index::empty("partition", IndexKind::Secondary, &DataType::Int64).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(m) if m.contains("internal implementation conflict"))
    );
}

#[test]
fn test_observed_values_plain() {
    let berlin = DataType::Timestamp(TimeUnit::Nanosecond, Some("Europe/Berlin".into()));
    let cases: Vec<(DataType, Scalar, ArrayRef)> = vec![
        (
            DataType::Boolean,
            Scalar::Bool(true),
            Arc::new(BooleanArray::from(vec![true])),
        ),
        (
            DataType::Int64,
            Scalar::Int(1),
            Arc::new(Int64Array::from(vec![1])),
        ),
        (
            DataType::Float64,
            Scalar::Float(1.1),
            Arc::new(Float64Array::from(vec![1.1])),
        ),
        (
            DataType::Binary,
            Scalar::Binary(b"x".to_vec()),
            Arc::new(BinaryArray::from(vec![b"x".as_slice()])),
        ),
        (
            DataType::Utf8,
            Scalar::String("x".into()),
            Arc::new(LargeStringArray::from(vec!["x"])),
        ),
        (
            DataType::Timestamp(TimeUnit::Nanosecond, None),
            ts("2018-01-01", None),
            Arc::new(TimestampNanosecondArray::from(vec![
                1_514_764_800_000_000_000,
            ])),
        ),
        (
            DataType::Date32,
            date("2018-01-01"),
            Arc::new(Date32Array::from(vec![17_532])),
        ),
        (
            berlin.clone(),
            ts("2018-01-01T00:00:00+01:00", Some("Europe/Berlin")),
            Arc::new(
                TimestampNanosecondArray::from(vec![1_514_761_200_000_000_000])
                    .with_timezone("Europe/Berlin"),
            ),
        ),
    ];
    for (data_type, value, expected) in cases {
        let index = secondary(&data_type, vec![(value, vec!["part_label"])]);
        let observed = index.observed_values();
        assert_eq!(observed.len(), 1);
        assert_eq!(observed.as_ref(), expected.as_ref(), "{data_type}");
    }
}

#[test]
fn test_index_normalize_during_init() {
    let index = secondary(
        &DataType::Int8,
        vec![
            (Scalar::from("1"), vec!["a", "b"]),
            (Scalar::Int(1), vec!["a", "c"]),
            (Scalar::Float(2.0), vec!["d"]),
        ],
    );
    assert_eq!(
        entries(&index),
        vec![
            (Scalar::Int(1), labels(&["a", "b", "c"])),
            (Scalar::Int(2), labels(&["d"])),
        ]
    );
}

#[test]
fn test_index_normalize_during_query() {
    let index = ints(&[(1, &["a", "b", "c"]), (2, &["d"])]);
    assert_eq!(index.query(&Scalar::Int(1)).unwrap(), ["a", "b", "c"]);
    assert_eq!(index.query(&Scalar::Int(2)).unwrap(), ["d"]);
    assert_eq!(index.query(&Scalar::from("2")).unwrap(), ["d"]);
    assert_eq!(index.query(&Scalar::Float(1.0)).unwrap(), ["a", "b", "c"]);
    assert!(index.query(&Scalar::Int(3)).unwrap().is_empty());
    assert!(index.query(&Scalar::Null).unwrap().is_empty());
    assert!(index.query(&Scalar::from("x")).is_err());

    // Dates from strings, timestamps from strings (naive text is UTC), bools from strings.
    let dates = secondary(&DataType::Date32, vec![(date("2018-01-01"), vec!["p"])]);
    assert_eq!(dates.query(&Scalar::from("2018-01-01")).unwrap(), ["p"]);
    let berlin = DataType::Timestamp(TimeUnit::Nanosecond, Some("Europe/Berlin".into()));
    let stamps = secondary(
        &berlin,
        vec![(ts("2018-01-01T00:00:00Z", Some("UTC")), vec!["p"])],
    );
    assert_eq!(stamps.query(&Scalar::from("2018-01-01")).unwrap(), ["p"]);
    let bools = secondary(&DataType::Boolean, vec![(Scalar::Bool(true), vec!["p"])]);
    assert_eq!(bools.query(&Scalar::from("True")).unwrap(), ["p"]);
    assert_eq!(bools.query(&Scalar::Int(1)).unwrap(), ["p"]);
    let strings = secondary(&DataType::Utf8, vec![(Scalar::from("1"), vec!["p"])]);
    assert_eq!(strings.query(&Scalar::Int(1)).unwrap(), ["p"]);
    let bytes = secondary(&DataType::Binary, vec![(Scalar::from("x"), vec!["p"])]);
    assert_eq!(bytes.query(&Scalar::Binary(b"x".to_vec())).unwrap(), ["p"]);
}

/// `test_eval_operators` for one type: three ascending values `v[0] < v[1] < v[2]`.
fn check_eval_operators(data_type: &DataType, v: [Scalar; 3]) {
    let index = secondary(
        data_type,
        vec![
            (v[0].clone(), vec!["a", "b", "c"]),
            (v[1].clone(), vec!["b", "c", "e"]),
            (v[2].clone(), vec!["f"]),
        ],
    );
    let cases: [(Op, Value, &[&str]); 6] = [
        (Op::Eq, Value::Scalar(v[1].clone()), &["b", "c", "e"]),
        (Op::Le, Value::Scalar(v[1].clone()), &["a", "b", "c", "e"]),
        (Op::Ge, Value::Scalar(v[1].clone()), &["b", "c", "e", "f"]),
        (Op::Lt, Value::Scalar(v[1].clone()), &["a", "b", "c"]),
        (Op::Gt, Value::Scalar(v[1].clone()), &["f"]),
        (
            Op::In,
            Value::List(vec![v[0].clone(), v[2].clone()]),
            &["a", "b", "c", "f"],
        ),
    ];
    for (op, value, expected) in cases {
        let got = index.eval_labels(op, &value, &strict()).unwrap();
        assert_eq!(got, expected, "{data_type} {op} {value}");
        let set = index.eval(op, &value, &strict()).unwrap();
        assert_eq!(set.len(), expected.len());
    }
}

#[test]
fn test_eval_operators() {
    check_eval_operators(
        &DataType::Int64,
        [Scalar::Int(-5), Scalar::Int(0), Scalar::Int(7)],
    );
    check_eval_operators(
        &DataType::UInt64,
        [
            Scalar::UInt(0),
            Scalar::UInt(1 << 63),
            Scalar::UInt(u64::MAX),
        ],
    );
    check_eval_operators(
        &DataType::Float64,
        [Scalar::Float(-1.5), Scalar::Float(0.0), Scalar::Float(2.25)],
    );
    check_eval_operators(&DataType::Utf8, ["".into(), "a".into(), "ab".into()]);
    // The `|S1` example of plateau's test: bytes b"", b"\x01", b"\x02".
    check_eval_operators(
        &DataType::Binary,
        [vec![].into(), vec![1u8].into(), vec![2u8].into()],
    );
    check_eval_operators(
        &DataType::Date32,
        [date("1969-12-31"), date("2020-01-01"), date("2020-01-02")],
    );
    check_eval_operators(
        &DataType::Timestamp(TimeUnit::Nanosecond, None),
        [
            ts("2020-01-01T00:00:00", None),
            ts("2020-01-01T00:00:00.000000001", None),
            ts("2021-01-01T00:00:00", None),
        ],
    );
}

#[test]
fn test_eval_operators_type_safety() {
    let index = Index::from_entries(
        "col",
        IndexKind::Secondary,
        &DataType::Int64,
        [(Scalar::Int(1234), ["part"])],
    )
    .unwrap();
    for bad in [Scalar::from("1234"), Scalar::Float(1234.0)] {
        let err = index
            .eval(Op::Eq, &Value::Scalar(bad.clone()), &strict())
            .unwrap_err();
        assert!(
            matches!(&err, Error::PredicateType { column, .. } if column == "col"),
            "{bad}: {err}"
        );
    }
    assert_eq!(
        index
            .eval_labels(Op::Eq, &Value::from(1234), &strict())
            .unwrap(),
        ["part"]
    );
}

#[test]
fn test_index_normalize_remove_values() {
    let original = ints(&[(1, &["a", "b", "c"]), (2, &["d"])]);
    let expected = ints(&[(2, &["d"])]);
    for values in [
        vec![Scalar::Int(1), Scalar::Int(3)],
        vec![Scalar::Float(1.0), Scalar::Float(3.0)],
        vec![Scalar::from("1"), Scalar::from("3")],
    ] {
        assert_eq!(original.remove_values(&values).unwrap(), expected);
    }
}

#[test]
fn test_merge_indices() {
    let index = |column: &str, entries: &[(&str, &str)]| {
        Index::from_entries(
            column,
            IndexKind::Secondary,
            &DataType::Utf8,
            entries.iter().map(|(v, l)| (Scalar::from(*v), [*l])),
        )
        .unwrap()
    };
    let locations = [
        index("location", &[("Loc1", "label1"), ("Loc2", "label1")]),
        index("location", &[("Loc3", "label2"), ("Loc2", "label2")]),
        index("location", &[("Loc4", "label3")]),
    ];
    let products = [
        index("product", &[("Product1", "label2"), ("Product2", "label2")]),
        index("product", &[("Product1", "label3")]),
    ];
    let s = |v: &str| Scalar::String(v.to_owned());
    let location = Index::merge_all(locations.clone()).unwrap().unwrap();
    assert_eq!(
        entries(&location),
        vec![
            (s("Loc1"), labels(&["label1"])),
            (s("Loc2"), labels(&["label1", "label2"])),
            (s("Loc3"), labels(&["label2"])),
            (s("Loc4"), labels(&["label3"])),
        ]
    );
    // Same result as plateau's pairwise `update`.
    let pairwise = locations[0]
        .merge(&locations[1])
        .unwrap()
        .merge(&locations[2])
        .unwrap();
    assert_eq!(location, pairwise);
    let product = Index::merge_all(products).unwrap().unwrap();
    assert_eq!(
        entries(&product),
        vec![
            (s("Product1"), labels(&["label2", "label3"])),
            (s("Product2"), labels(&["label2"])),
        ]
    );
    assert!(Index::merge_all(Vec::new()).unwrap().is_none());
    let err = Index::merge_all([locations[0].clone(), product]).unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)));
}

#[test]
fn test_merge_all_storage_key() {
    let keyed = ints(&[(1, &["a"])]).with_storage_key("k");
    let empty = Index::empty("col", IndexKind::Secondary, &DataType::Int64).unwrap();
    let same = Index::merge_all([keyed.clone(), empty.clone(), empty.clone()])
        .unwrap()
        .unwrap();
    assert_eq!(same.storage_key(), Some("k"));
    let changed = Index::merge_all([
        keyed.clone(),
        empty,
        ints(&[(2, &["b"])]),
        ints(&[(1, &["c"])]),
    ])
    .unwrap()
    .unwrap();
    assert_eq!(changed.storage_key(), None);
    assert_eq!(changed, ints(&[(1, &["a", "c"]), (2, &["b"])]));
}

#[test]
fn test_index_uint() {
    let store = Store::memory();
    let index = secondary(
        &DataType::UInt64,
        vec![
            (
                Scalar::UInt(14_671_423_800_646_041_619),
                vec!["part_1", "part_2"],
            ),
            (Scalar::UInt(u64::MAX), vec!["part_1"]),
            (Scalar::UInt(17_128_351_978_467_489_013), vec!["part_3"]),
        ],
    );
    assert_eq!(index.data_type(), &DataType::UInt64);
    let stored = index.store(&store, "u", "t").unwrap();
    let loaded = Index::load(&store, "col", stored_key(&stored)).unwrap();
    assert_eq!(loaded, index);
    assert_eq!(
        loaded
            .query(&Scalar::UInt(17_128_351_978_467_489_013))
            .unwrap(),
        ["part_3"]
    );
    assert_eq!(loaded.query(&Scalar::UInt(u64::MAX)).unwrap(), ["part_1"]);
    assert!(loaded
        .query(&Scalar::UInt(17_128_351_978_467_489_012))
        .unwrap()
        .is_empty());
}

#[test]
fn test_serialization_normalization() {
    // A microsecond timestamp value is normalized to nanoseconds and found again after a
    // round trip (plateau: `datetime.datetime` keys infer `timestamp[us]`, stored as ns).
    let store = Store::memory();
    let us = Scalar::Timestamp {
        value: 1_514_809_800_000_000,
        unit: TimeUnit::Microsecond,
        tz: None,
    };
    let index = secondary(
        &DataType::Timestamp(TimeUnit::Microsecond, None),
        vec![(us.clone(), vec!["part_2", "part_4", "part_1"])],
    );
    assert_eq!(
        index.data_type(),
        &DataType::Timestamp(TimeUnit::Nanosecond, None)
    );
    let loaded = Index::load(
        &store,
        "col",
        stored_key(&index.store(&store, "u", "t").unwrap()),
    )
    .unwrap();
    assert_eq!(loaded, index);
    assert_eq!(loaded.query(&us).unwrap(), ["part_1", "part_2", "part_4"]);
}

#[test]
fn test_index_large() {
    let store = Store::memory();
    let index = Index::from_entries(
        "col",
        IndexKind::Secondary,
        &DataType::Int64,
        (0..100_000).map(|i| (Scalar::Int(i), ["part_1"])),
    )
    .unwrap()
    .with_storage_key("dataset_uuid/some_index.parquet");
    let stored = index.store(&store, "dataset_uuid", "t").unwrap();
    let loaded = Index::load(&store, "col", stored_key(&stored)).unwrap();
    assert_eq!(loaded, index);
    assert_eq!(loaded.len(), 100_000);
}

#[test]
fn test_fail_null_values() {
    let err = Index::from_entries(
        "col",
        IndexKind::Secondary,
        &DataType::Int64,
        [(Scalar::Null, ["p"])],
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)));
    let err = Index::from_entries(
        "col",
        IndexKind::Secondary,
        &DataType::Float64,
        [(Scalar::Float(f64::NAN), ["p"])],
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)));
}
