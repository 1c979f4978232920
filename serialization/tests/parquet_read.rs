//! The read contract of `ParquetSerializer` (reference §4.4): projection, predicate columns,
//! errors, categoricals, empty files, row-group sizes and every Arrow type we write.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod parquet_support;

use std::sync::Arc;

use arrow::array::Date64Array;
use arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BooleanArray, Date32Array, Decimal128Array,
    DictionaryArray, Float32Array, Float64Array, Int16Array, Int32Array, Int64Array, Int8Array,
    LargeStringArray, ListArray, NullArray, RecordBatch, StringArray, TimestampMicrosecondArray,
    TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray, UInt16Array,
    UInt32Array, UInt64Array, UInt8Array,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, Int32Type, Int64Type, Int8Type, TimeUnit};
use parquet::file::metadata::ParquetMetaDataReader;
use parquet_support::batch;
use plateau_core::{Error, Predicates, Store};
use plateau_serialization::parquet::Compression;
use plateau_serialization::{restore, ParquetSerializer, ReadOptions, Serializer};

fn sample() -> RecordBatch {
    batch(vec![
        (
            "a",
            Arc::new(Int64Array::from(vec![1, 2, 3, 4])) as ArrayRef,
        ),
        ("b", Arc::new(StringArray::from(vec!["w", "x", "y", "z"]))),
        ("c", Arc::new(Float64Array::from(vec![0.5, 1.5, 2.5, 3.5]))),
    ])
}

fn stored(data: &RecordBatch, serializer: &ParquetSerializer) -> (Store, String) {
    let store = Store::memory();
    let key = serializer.store(&store, "prefix", data).unwrap();
    (store, key)
}

/// Reads with and without pushdown, from the store and from bytes; all four must agree.
fn read_all_ways(store: &Store, key: &str, options: &ReadOptions) -> Result<RecordBatch, Error> {
    let serializer = ParquetSerializer::default();
    let first = restore(store, key, options)?;
    let no_pushdown = options.clone().predicate_pushdown(false);
    assert_eq!(restore(store, key, &no_pushdown)?, first);
    let bytes = store.get(key)?;
    assert_eq!(serializer.deserialize(bytes.clone(), key, options)?, first);
    assert_eq!(serializer.deserialize(bytes, key, &no_pushdown)?, first);
    Ok(first)
}

fn names(batch: &RecordBatch) -> Vec<String> {
    batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect()
}

#[test]
fn round_trip_and_key() {
    let data = sample();
    let (store, key) = stored(&data, &ParquetSerializer::default());
    assert_eq!(key, "prefix.parquet");
    assert_eq!(
        read_all_ways(&store, &key, &ReadOptions::default()).unwrap(),
        data
    );
}

#[test]
fn columns_are_returned_in_requested_order() {
    let (store, key) = stored(&sample(), &ParquetSerializer::default());
    let read = read_all_ways(&store, &key, &ReadOptions::default().columns(["c", "a"])).unwrap();
    assert_eq!(names(&read), ["c", "a"]);
    assert_eq!(read.num_rows(), 4);
    assert_eq!(
        read.column(1).as_primitive::<Int64Type>().values(),
        &[1, 2, 3, 4]
    );
}

#[test]
fn predicate_columns_outside_the_projection_are_dropped() {
    let (store, key) = stored(&sample(), &ParquetSerializer::default());
    let options = ReadOptions::default()
        .columns(["b"])
        .predicates(Predicates::parse("a >= 2 and c < 3.0").unwrap());
    let read = read_all_ways(&store, &key, &options).unwrap();
    assert_eq!(names(&read), ["b"]);
    let b = read.column(0).as_string::<i32>();
    assert_eq!(b.iter().flatten().collect::<Vec<_>>(), ["x", "y"]);
}

#[test]
fn empty_projection_counts_selected_rows() {
    // plateau's test_predicate_not_in_columns: `columns=[]` gives the selected row count.
    for chunk_size in [None, Some(1)] {
        let serializer = ParquetSerializer::default()
            .with_chunk_size(chunk_size)
            .unwrap();
        let data = batch(vec![
            (
                "date",
                Arc::new(Date32Array::from(vec![10957, 10958, 10958])) as ArrayRef,
            ),
            ("col", Arc::new(Int64Array::from(vec![1, 2, 1]))),
        ]);
        let (store, key) = stored(&data, &serializer);
        let options = ReadOptions::default()
            .columns(Vec::<String>::new())
            .predicates(Predicates::parse("col == 1").unwrap());
        let read = read_all_ways(&store, &key, &options).unwrap();
        assert_eq!(read.num_columns(), 0);
        assert_eq!(read.num_rows(), 2);
        let all = read_all_ways(
            &store,
            &key,
            &ReadOptions::default().columns(Vec::<String>::new()),
        )
        .unwrap();
        assert_eq!((all.num_columns(), all.num_rows()), (0, 3));
    }
}

#[test]
fn missing_columns_are_named_sorted() {
    let (store, key) = stored(&sample(), &ParquetSerializer::default());
    let options = ReadOptions::default()
        .columns(["zz", "a", "b2"])
        .predicates(Predicates::parse("q == 1").unwrap());
    match read_all_ways(&store, &key, &options).unwrap_err() {
        Error::ColumnNotFound { columns } => assert_eq!(columns, ["b2", "q", "zz"]),
        other => panic!("unexpected {other}"),
    }
    // A predicate on a missing column alone is an error too (plateau: KeyError).
    let options = ReadOptions::default().predicates(Predicates::parse("q == 1").unwrap());
    assert!(matches!(
        read_all_ways(&store, &key, &options).unwrap_err(),
        Error::ColumnNotFound { columns } if columns == ["q"]
    ));
}

#[test]
fn invalid_predicates_are_rejected() {
    let (store, key) = stored(&sample(), &ParquetSerializer::default());
    let empty = ReadOptions::default().predicates(Predicates::default());
    assert!(matches!(
        read_all_ways(&store, &key, &empty).unwrap_err(),
        Error::InvalidPredicate(_)
    ));
    let wrong_type = ReadOptions::default().predicates(Predicates::parse("a == 1.0").unwrap());
    assert!(matches!(
        read_all_ways(&store, &key, &wrong_type).unwrap_err(),
        Error::PredicateType { ref column, .. } if column == "a"
    ));
}

#[test]
fn empty_file_with_predicates_gives_the_projected_schema() {
    // plateau's test_read_empty_file_with_predicates.
    let data = batch(vec![
        (
            "col",
            Arc::new(StringArray::from(Vec::<&str>::new())) as ArrayRef,
        ),
        ("other", Arc::new(Int64Array::from(Vec::<i64>::new()))),
    ]);
    let (store, key) = stored(&data, &ParquetSerializer::default());
    let options = ReadOptions::default()
        .columns(["col"])
        .predicates(Predicates::parse("col == '1'").unwrap());
    let read = read_all_ways(&store, &key, &options).unwrap();
    assert_eq!(read.num_rows(), 0);
    assert_eq!(names(&read), ["col"]);
    assert_eq!(read.schema().field(0).data_type(), &DataType::Utf8);
    assert_eq!(
        read_all_ways(&store, &key, &ReadOptions::default()).unwrap(),
        data
    );
}

#[test]
fn no_matching_row_group_gives_an_empty_batch_with_final_types() {
    let serializer = ParquetSerializer::default()
        .with_chunk_size(Some(2))
        .unwrap();
    let (store, key) = stored(&sample(), &serializer);
    let options = ReadOptions::default()
        .columns(["b", "a"])
        .categoricals(["b"])
        .predicates(Predicates::parse("a > 100").unwrap());
    let read = read_all_ways(&store, &key, &options).unwrap();
    assert_eq!(read.num_rows(), 0);
    assert_eq!(names(&read), ["b", "a"]);
    assert_eq!(
        read.schema().field(0).data_type(),
        &DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
    );
}

#[test]
fn categoricals_are_dictionary_encoded_and_other_dictionaries_decoded() {
    // plateau's test_read_categorical / test_reset_dict_cols.
    let dict: DictionaryArray<Int8Type> = vec!["a", "b", "a"].into_iter().collect();
    let data = batch(vec![
        ("col", Arc::new(dict.clone()) as ArrayRef),
        ("colB", Arc::new(dict)),
        ("plain", Arc::new(StringArray::from(vec!["x", "y", "x"]))),
        ("n", Arc::new(Int64Array::from(vec![1, 2, 3]))),
    ]);
    let (store, key) = stored(&data, &ParquetSerializer::default());

    let read = read_all_ways(&store, &key, &ReadOptions::default()).unwrap();
    assert_eq!(read.schema().field(0).data_type(), &DataType::Utf8);
    assert_eq!(read.schema().field(1).data_type(), &DataType::Utf8);
    assert_eq!(
        read.column(0)
            .as_string::<i32>()
            .iter()
            .flatten()
            .collect::<Vec<_>>(),
        ["a", "b", "a"]
    );

    let options = ReadOptions::default().categoricals(["colB", "plain", "n", "not_there"]);
    let read = read_all_ways(&store, &key, &options).unwrap();
    let dict_of = |t: DataType| DataType::Dictionary(Box::new(DataType::Int32), Box::new(t));
    assert_eq!(read.schema().field(0).data_type(), &DataType::Utf8);
    assert_eq!(read.schema().field(1).data_type(), &dict_of(DataType::Utf8));
    assert_eq!(read.schema().field(2).data_type(), &dict_of(DataType::Utf8));
    assert_eq!(
        read.schema().field(3).data_type(),
        &dict_of(DataType::Int64)
    );
    let b = read.column(1).as_dictionary::<Int32Type>();
    let values = b.values().as_string::<i32>();
    let decoded: Vec<&str> = b
        .keys()
        .iter()
        .map(|k| values.value(k.unwrap() as usize))
        .collect();
    assert_eq!(decoded, ["a", "b", "a"]);

    // Predicates on categorical columns compare values.
    let options = options.predicates(Predicates::parse("colB == 'b' or plain < 'y'").unwrap());
    let read = read_all_ways(&store, &key, &options).unwrap();
    assert_eq!(read.column(3).len(), 3);
    let options = ReadOptions::default()
        .categoricals(["colB"])
        .predicates(Predicates::parse("colB == 'b'").unwrap());
    assert_eq!(read_all_ways(&store, &key, &options).unwrap().num_rows(), 1);
}

#[test]
fn empty_categorical_column() {
    // plateau's test_read_categorical_empty.
    let dict: DictionaryArray<Int32Type> = Vec::<&str>::new().into_iter().collect();
    let data = batch(vec![("col", Arc::new(dict) as ArrayRef)]);
    let (store, key) = stored(&data, &ParquetSerializer::default());
    let read = read_all_ways(&store, &key, &ReadOptions::default()).unwrap();
    assert_eq!(read.schema().field(0).data_type(), &DataType::Utf8);
    let read = read_all_ways(&store, &key, &ReadOptions::default().categoricals(["col"])).unwrap();
    assert_eq!(read.num_rows(), 0);
    assert!(matches!(
        read.schema().field(0).data_type(),
        DataType::Dictionary(_, _)
    ));
}

#[test]
fn chunk_size_sets_the_row_group_count() {
    // plateau's test_rowgroup_writing: ceil(rows / chunk_size) row groups, 1 by default.
    let strings = ["abc", "affe", "banane", "buchstabe"];
    for categorical in [false, true] {
        let column: ArrayRef = if categorical {
            let dict: DictionaryArray<Int32Type> =
                strings.iter().cycle().take(20).copied().collect();
            Arc::new(dict)
        } else {
            Arc::new(StringArray::from_iter_values(
                strings.iter().cycle().take(20),
            ))
        };
        let data = batch(vec![("string", column)]);
        for (chunk_size, expected) in [
            (None, 1),
            (Some(1), 20),
            (Some(5), 4),
            (Some(3), 7),
            (Some(50), 1),
        ] {
            let serializer = ParquetSerializer::default()
                .with_chunk_size(chunk_size)
                .unwrap();
            let bytes = serializer.serialize(&data).unwrap();
            let meta = ParquetMetaDataReader::new()
                .parse_and_finish(&bytes)
                .unwrap();
            assert_eq!(meta.num_row_groups(), expected, "chunk_size {chunk_size:?}");
        }
    }
}

#[test]
fn writer_options_are_applied() {
    let serializer = ParquetSerializer::default()
        .with_compression(Compression::UNCOMPRESSED)
        .with_key_value_metadata("pandas", "{\"index_columns\": []}")
        .with_key_value_metadata("other", "1")
        .with_key_value_metadata("other", "2");
    let bytes = serializer.serialize(&sample()).unwrap();
    let meta = ParquetMetaDataReader::new()
        .parse_and_finish(&bytes)
        .unwrap();
    let kv = meta.file_metadata().key_value_metadata().unwrap();
    let get = |k: &str| kv.iter().find(|e| e.key == k).and_then(|e| e.value.clone());
    assert_eq!(get("pandas").as_deref(), Some("{\"index_columns\": []}"));
    assert_eq!(get("other").as_deref(), Some("2"));
    assert!(get("ARROW:schema").is_some());
    let column = meta.row_group(0).column(0);
    assert_eq!(column.compression(), Compression::UNCOMPRESSED);
    assert!(column.statistics().is_some());
    let default = ParquetSerializer::default().serialize(&sample()).unwrap();
    let meta = ParquetMetaDataReader::new()
        .parse_and_finish(&default)
        .unwrap();
    assert_eq!(
        meta.row_group(0).column(0).compression(),
        Compression::SNAPPY
    );
    assert_eq!(
        ParquetSerializer::default(),
        ParquetSerializer::new(Compression::SNAPPY, None).unwrap()
    );
}

#[test]
fn pandas_index_columns_are_hidden_unless_requested() {
    let data = batch(vec![
        ("a", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
        ("__index_level_0__", Arc::new(Int64Array::from(vec![7, 9]))),
    ]);
    let serializer = ParquetSerializer::default().with_key_value_metadata(
        "pandas",
        r#"{"index_columns": ["__index_level_0__"], "columns": []}"#,
    );
    let (store, key) = stored(&data, &serializer);
    let read = read_all_ways(&store, &key, &ReadOptions::default()).unwrap();
    assert_eq!(names(&read), ["a"]);
    let read = read_all_ways(
        &store,
        &key,
        &ReadOptions::default().columns(["__index_level_0__"]),
    )
    .unwrap();
    assert_eq!(read.num_rows(), 2);
    // The result carries no schema-level metadata, so files of a dataset concatenate.
    assert!(read.schema().metadata().is_empty());
}

#[test]
fn corrupt_files_are_errors_not_panics() {
    let store = Store::memory();
    let good = ParquetSerializer::default().serialize(&sample()).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty.parquet", vec![]),
        ("short.parquet", b"PAR1".to_vec()),
        ("garbage.parquet", vec![7u8; 300]),
        ("truncated.parquet", good[..good.len() / 2].to_vec()),
        ("no_head.parquet", good[good.len() / 2..].to_vec()),
    ];
    for (key, bytes) in cases {
        store.put(key, bytes.into()).unwrap();
        for options in [
            ReadOptions::default(),
            ReadOptions::default().columns(["a"]),
            ReadOptions::default().predicates(Predicates::parse("a > 1").unwrap()),
        ] {
            let err = restore(&store, key, &options).unwrap_err();
            assert!(
                matches!(err, Error::Corrupt { key: ref k, .. } if k == key),
                "{key}: {err}"
            );
        }
    }
    assert!(matches!(
        restore(&store, "missing.parquet", &ReadOptions::default()).unwrap_err(),
        Error::NotFound { .. }
    ));
}

/// Every type the serializer writes, with nulls, reads back unchanged.
#[test]
fn all_types_round_trip() {
    let ns = 1_577_836_800_123_456_789i64; // 2020-01-01T00:00:00.123456789
    let list = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
        Some(vec![Some(1), None, Some(3)]),
        None,
        Some(vec![]),
    ]);
    let dict: DictionaryArray<Int32Type> = vec![Some("p"), None, Some("q")].into_iter().collect();
    let data = batch(vec![
        (
            "int8",
            Arc::new(Int8Array::from(vec![Some(-8), None, Some(8)])) as ArrayRef,
        ),
        (
            "int16",
            Arc::new(Int16Array::from(vec![Some(-16), None, Some(16)])),
        ),
        (
            "int32",
            Arc::new(Int32Array::from(vec![Some(-32), None, Some(32)])),
        ),
        (
            "int64",
            Arc::new(Int64Array::from(vec![Some(i64::MIN), None, Some(i64::MAX)])),
        ),
        (
            "uint8",
            Arc::new(UInt8Array::from(vec![Some(0), None, Some(u8::MAX)])),
        ),
        (
            "uint16",
            Arc::new(UInt16Array::from(vec![Some(0), None, Some(u16::MAX)])),
        ),
        (
            "uint32",
            Arc::new(UInt32Array::from(vec![Some(0), None, Some(u32::MAX)])),
        ),
        (
            "uint64",
            Arc::new(UInt64Array::from(vec![Some(0), None, Some(u64::MAX)])),
        ),
        (
            "float32",
            Arc::new(Float32Array::from(vec![Some(1.5), None, Some(f32::NAN)])),
        ),
        (
            "float64",
            Arc::new(Float64Array::from(vec![
                Some(-0.25),
                None,
                Some(f64::INFINITY),
            ])),
        ),
        (
            "bool",
            Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)])),
        ),
        (
            "string",
            Arc::new(StringArray::from(vec![Some("ä"), None, Some("")])),
        ),
        (
            "large_string",
            Arc::new(LargeStringArray::from(vec![Some("x"), None, Some("🙈")])),
        ),
        (
            "binary",
            Arc::new(BinaryArray::from(vec![
                Some(&b"\x00\xff"[..]),
                None,
                Some(b""),
            ])),
        ),
        (
            "date32",
            Arc::new(Date32Array::from(vec![Some(-1), None, Some(18262)])),
        ),
        (
            "ts_ms",
            Arc::new(TimestampMillisecondArray::from(vec![
                Some(ns / 1_000_000),
                None,
                Some(0),
            ])),
        ),
        (
            "ts_us",
            Arc::new(TimestampMicrosecondArray::from(vec![
                Some(ns / 1000),
                None,
                Some(0),
            ])),
        ),
        (
            "ts_ns",
            Arc::new(TimestampNanosecondArray::from(vec![
                Some(ns),
                None,
                Some(-1),
            ])),
        ),
        (
            "ts_ns_tz",
            Arc::new(
                TimestampNanosecondArray::from(vec![Some(ns), None, Some(1)])
                    .with_timezone("Europe/Berlin"),
            ),
        ),
        (
            "ts_us_utc",
            Arc::new(
                TimestampMicrosecondArray::from(vec![Some(ns / 1000), None, Some(1)])
                    .with_timezone("UTC"),
            ),
        ),
        (
            "decimal",
            Arc::new(
                Decimal128Array::from(vec![Some(12345), None, Some(-1)])
                    .with_precision_and_scale(10, 3)
                    .unwrap(),
            ),
        ),
        ("dict", Arc::new(dict)),
        ("list", Arc::new(list)),
        ("null", Arc::new(NullArray::new(3))),
    ]);
    let (store, key) = stored(&data, &ParquetSerializer::default());
    let mut read = read_all_ways(&store, &key, &ReadOptions::default()).unwrap();
    // Dictionaries come back decoded unless categorical.
    let dict_index = data.schema().index_of("dict").unwrap();
    assert_eq!(read.schema().field(dict_index).data_type(), &DataType::Utf8);
    read = read_all_ways(&store, &key, &ReadOptions::default().categoricals(["dict"])).unwrap();
    assert_eq!(read, data);
}

#[test]
fn seconds_and_date64_are_stored_as_pyarrow_stores_them() {
    let s = 1_577_836_800i64;
    let data = batch(vec![
        (
            "ts_s",
            Arc::new(TimestampSecondArray::from(vec![Some(s), None]).with_timezone("UTC"))
                as ArrayRef,
        ),
        (
            "date64",
            Arc::new(Date64Array::from(vec![Some(86_400_000), None])),
        ),
        (
            "list_ts_s",
            Arc::new(ListArray::new(
                Arc::new(Field::new(
                    "item",
                    DataType::Timestamp(TimeUnit::Second, None),
                    true,
                )),
                OffsetBuffer::from_lengths([1, 0]),
                Arc::new(TimestampSecondArray::from(vec![s])),
                None,
            )),
        ),
    ]);
    let (store, key) = stored(&data, &ParquetSerializer::default());
    let read = read_all_ways(&store, &key, &ReadOptions::default()).unwrap();
    let expected = batch(vec![
        (
            "ts_s",
            Arc::new(
                TimestampMillisecondArray::from(vec![Some(s * 1000), None]).with_timezone("UTC"),
            ) as ArrayRef,
        ),
        ("date64", Arc::new(Date32Array::from(vec![Some(1), None]))),
        (
            "list_ts_s",
            Arc::new(ListArray::new(
                Arc::new(Field::new(
                    "item",
                    DataType::Timestamp(TimeUnit::Millisecond, None),
                    true,
                )),
                OffsetBuffer::from_lengths([1, 0]),
                Arc::new(TimestampMillisecondArray::from(vec![s * 1000])),
                None,
            )),
        ),
    ]);
    assert_eq!(read, expected);
    // Values that do not fit milliseconds are an error, not a silent null.
    let huge = batch(vec![(
        "t",
        Arc::new(TimestampSecondArray::from(vec![i64::MAX / 10])) as ArrayRef,
    )]);
    assert!(ParquetSerializer::default().serialize(&huge).is_err());
}

#[test]
fn predicates_on_every_type_agree_with_and_without_pushdown() {
    let data = batch(vec![
        (
            "i",
            Arc::new(Int32Array::from(vec![Some(1), None, Some(3), Some(4)])) as ArrayRef,
        ),
        (
            "u",
            Arc::new(UInt64Array::from(vec![
                Some(1),
                Some(u64::MAX),
                None,
                Some(4),
            ])),
        ),
        (
            "f",
            Arc::new(Float32Array::from(vec![
                Some(0.1),
                Some(f32::NAN),
                None,
                Some(4.0),
            ])),
        ),
        (
            "s",
            Arc::new(LargeStringArray::from(vec![
                Some("a"),
                Some("b"),
                None,
                Some("d"),
            ])),
        ),
        (
            "d",
            Arc::new(Date32Array::from(vec![Some(0), Some(1), None, Some(3)])),
        ),
        (
            "t",
            Arc::new(
                TimestampNanosecondArray::from(vec![
                    Some(0),
                    Some(1_000),
                    None,
                    Some(3_000_000_000),
                ])
                .with_timezone("UTC"),
            ),
        ),
        ("n", Arc::new(NullArray::new(4))),
    ]);
    let serializer = ParquetSerializer::default()
        .with_chunk_size(Some(1))
        .unwrap();
    let (store, key) = stored(&data, &serializer);
    let cases = [
        ("i == 3", 1),
        ("i != 3", 3),
        ("i in (1, 4, null)", 3),
        ("i not in (1, 4)", 2),
        ("u > 4", 1),
        ("u == 18446744073709551615u", 1),
        ("f == 0.1", 0), // float32 0.1 is not f64 0.1 (IEEE, as numpy)
        ("f >= 0.1", 2), // 0.1f32 is 0.10000000149 in f64
        ("f == null", 2),
        ("f != 4.0", 3),
        ("s >= 'b'", 2),
        ("s is distinct from 'b'", 3),
        ("d == '1970-01-02'", 1),
        ("d <= date '1970-01-02'", 2),
        ("t > timestamp '1970-01-01T00:00:00.000000001+00:00'", 2),
        ("n == null", 4),
        ("n == 1", 0),
        ("n != 1", 4),
    ];
    for (text, expected) in cases {
        let options = ReadOptions::default().predicates(Predicates::parse(text).unwrap());
        let read = read_all_ways(&store, &key, &options).unwrap();
        assert_eq!(read.num_rows(), expected, "{text}");
    }
}
