//! The builder from a batch column, the written file format, null semantics and label sets.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BinaryViewArray, BooleanArray, Date64Array, DictionaryArray,
    FixedSizeBinaryArray, Float32Array, Float64Array, Int8Array, StringArray, StringViewArray,
    TimestampSecondArray, UInt16Array,
};
use arrow::datatypes::{DataType, Int32Type, TimeUnit};
use common::{date, entries, labels, ts};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use plateau_core::{Error, Op, Scalar, Value};
use plateau_index::{literal_can_match_null, Index, IndexKind, LabelSet, ROW_GROUP_SIZE};

fn values(index: &Index) -> Vec<Scalar> {
    entries(index).into_iter().map(|(v, _)| v).collect()
}

#[test]
fn from_array_distinct_non_null_values() {
    let column = Int8Array::from(vec![Some(3), None, Some(-1), Some(3), Some(0)]);
    let index = Index::from_array("c", &column, "p1").unwrap();
    assert_eq!(index.data_type(), &DataType::Int64);
    assert_eq!(index.kind(), IndexKind::Secondary);
    assert_eq!(
        entries(&index),
        vec![
            (Scalar::Int(-1), labels(&["p1"])),
            (Scalar::Int(0), labels(&["p1"])),
            (Scalar::Int(3), labels(&["p1"])),
        ]
    );
    assert_eq!(index.storage_key(), None);

    let unsigned = UInt16Array::from(vec![7, 7, 65_535]);
    let index = Index::from_array("c", &unsigned, "p").unwrap();
    assert_eq!(index.data_type(), &DataType::UInt64);
    assert_eq!(values(&index), [Scalar::UInt(7), Scalar::UInt(65_535)]);
}

#[test]
fn from_array_floats_drop_nan_and_merge_signed_zero() {
    let column = Float64Array::from(vec![
        Some(f64::NAN),
        Some(-0.0),
        Some(0.0),
        None,
        Some(2.5),
        Some(f64::NEG_INFINITY),
    ]);
    let index = Index::from_array("f", &column, "p").unwrap();
    assert_eq!(
        values(&index),
        [
            Scalar::Float(f64::NEG_INFINITY),
            Scalar::Float(0.0),
            Scalar::Float(2.5)
        ]
    );
    assert_eq!(index.query(&Scalar::Float(-0.0)).unwrap(), ["p"]);

    let narrow = Float32Array::from(vec![1.5f32, f32::NAN, 1.5]);
    let index = Index::from_array("f", &narrow, "p").unwrap();
    assert_eq!(index.data_type(), &DataType::Float64);
    assert_eq!(values(&index), [Scalar::Float(1.5)]);
}

#[test]
fn from_array_strings_binary_dictionary() {
    let strings = StringArray::from(vec![Some("b"), None, Some("a"), Some("b"), Some("ü")]);
    let index = Index::from_array("s", &strings, "p").unwrap();
    assert_eq!(index.data_type(), &DataType::LargeUtf8);
    assert_eq!(values(&index), [Scalar::from("a"), "b".into(), "ü".into()]);

    let views = StringViewArray::from(vec!["a long string beyond twelve bytes", "x", "x"]);
    let index = Index::from_array("s", &views, "p").unwrap();
    assert_eq!(
        values(&index),
        [
            Scalar::from("a long string beyond twelve bytes"),
            "x".into()
        ]
    );

    let fixed = FixedSizeBinaryArray::try_from_iter(
        vec![b"ab".to_vec(), b"aa".to_vec(), b"ab".to_vec()].into_iter(),
    )
    .unwrap();
    let index = Index::from_array("b", &fixed, "p").unwrap();
    assert_eq!(index.data_type(), &DataType::Binary);
    assert_eq!(
        values(&index),
        [Scalar::from(b"aa".as_slice()), b"ab".as_slice().into()]
    );

    let bin_views = BinaryViewArray::from(vec![b"z".as_slice(), b"y".as_slice()]);
    let index = Index::from_array("b", &bin_views, "p").unwrap();
    assert_eq!(
        values(&index),
        [Scalar::from(b"y".as_slice()), b"z".as_slice().into()]
    );

    // Only the dictionary entries the column uses are values; a null value is not.
    let dict: DictionaryArray<Int32Type> = vec![Some("x"), None, Some("y"), Some("x")]
        .into_iter()
        .collect();
    let dict = dict.with_values(Arc::new(StringArray::from(vec![
        Some("x"),
        Some("y"),
        Some("unused"),
        None,
    ])));
    let index = Index::from_array("d", &dict, "p").unwrap();
    assert_eq!(index.data_type(), &DataType::LargeUtf8);
    assert_eq!(values(&index), [Scalar::from("x"), "y".into()]);
}

#[test]
fn from_array_temporal_and_bool() {
    let ms_per_day = 86_400_000;
    let dates = Date64Array::from(vec![0, ms_per_day, ms_per_day]);
    let index = Index::from_array("d", &dates, "p").unwrap();
    assert_eq!(index.data_type(), &DataType::Date32);
    assert_eq!(values(&index), [date("1970-01-01"), date("1970-01-02")]);

    let seconds = TimestampSecondArray::from(vec![1, 0, 1]).with_timezone("UTC");
    let index = Index::from_array("t", &seconds, "p").unwrap();
    assert_eq!(
        index.data_type(),
        &DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
    );
    assert_eq!(
        values(&index),
        [
            ts("1970-01-01T00:00:00Z", Some("UTC")),
            ts("1970-01-01T00:00:01Z", Some("UTC"))
        ]
    );
    // Beyond the nanosecond range (year ~2262): an error, not a silent null.
    let far = TimestampSecondArray::from(vec![i64::MAX / 2]);
    let err = Index::from_array("t", &far, "p").unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err}");

    let bools = BooleanArray::from(vec![Some(true), None, Some(true)]);
    let index = Index::from_array("b", &bools, "p").unwrap();
    assert_eq!(values(&index), [Scalar::Bool(true)]);

    let all_null = Int8Array::from(vec![None, None]);
    let index = Index::from_array("n", &all_null, "p").unwrap();
    assert!(index.is_empty());
    assert_eq!(index.partitions().count(), 0);
}

fn read_file(
    bytes: bytes::Bytes,
) -> (
    parquet::file::metadata::ParquetMetaData,
    Vec<arrow::array::RecordBatch>,
) {
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).unwrap();
    let metadata = builder.metadata().as_ref().clone();
    let batches = builder
        .build()
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    (metadata, batches)
}

#[test]
fn written_file_has_plateaus_shape() {
    // 25,000 values in two partitions, built out of order.
    let n = 25_000i64;
    let index = Index::from_entries(
        "value col",
        IndexKind::Secondary,
        &DataType::Int32,
        (0..n).rev().map(|i| {
            (
                Scalar::Int(i),
                if i % 2 == 0 {
                    vec!["p2", "p1"]
                } else {
                    vec!["p1"]
                },
            )
        }),
    )
    .unwrap();
    let (metadata, batches) = read_file(index.to_parquet().unwrap());
    let schema = batches[0].schema();
    assert_eq!(schema.fields().len(), 2);
    assert_eq!(schema.field(0).name(), "value col");
    assert_eq!(schema.field(0).data_type(), &DataType::Int64);
    assert!(schema.field(0).is_nullable());
    assert_eq!(schema.field(1).name(), "partition");
    let DataType::List(element) = schema.field(1).data_type() else {
        panic!("not a list: {}", schema.field(1));
    };
    assert_eq!(element.name(), "element");
    assert_eq!(element.data_type(), &DataType::Utf8);
    assert!(element.is_nullable());

    let groups: Vec<i64> = metadata
        .row_groups()
        .iter()
        .map(|rg| rg.num_rows())
        .collect();
    assert_eq!(
        groups,
        [ROW_GROUP_SIZE as i64, ROW_GROUP_SIZE as i64, 5_000]
    );
    for rg in metadata.row_groups() {
        for column in rg.columns() {
            assert_eq!(column.compression(), Compression::SNAPPY);
        }
    }
    assert!(metadata
        .file_metadata()
        .key_value_metadata()
        .unwrap()
        .iter()
        .any(|kv| kv.key == "ARROW:schema"));

    // Rows in key order, each label list sorted.
    let mut expected = 0i64;
    for batch in &batches {
        let keys = batch
            .column(0)
            .as_any()
            .downcast_ref::<arrow::array::Int64Array>()
            .unwrap();
        let lists = batch
            .column(1)
            .as_any()
            .downcast_ref::<arrow::array::ListArray>()
            .unwrap();
        for row in 0..batch.num_rows() {
            assert_eq!(keys.value(row), expected);
            let list = lists.value(row);
            let list = list.as_any().downcast_ref::<StringArray>().unwrap();
            let got: Vec<&str> = list.iter().map(Option::unwrap).collect();
            let want: &[&str] = if expected % 2 == 0 {
                &["p1", "p2"]
            } else {
                &["p1"]
            };
            assert_eq!(got, want);
            expected += 1;
        }
    }
    assert_eq!(expected, n);
}

#[test]
fn empty_index_file_keeps_the_type() {
    let data_type = DataType::Timestamp(TimeUnit::Nanosecond, Some("Europe/Berlin".into()));
    let index = Index::empty("t", IndexKind::Secondary, &data_type).unwrap();
    let bytes = index.to_parquet().unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes.clone()).unwrap();
    assert_eq!(builder.metadata().file_metadata().num_rows(), 0);
    assert_eq!(builder.schema().field(0).data_type(), &data_type);
    let loaded = Index::from_parquet("t", bytes, "k").unwrap();
    assert_eq!(loaded, index);
    assert_eq!(loaded.data_type(), &data_type);
}

#[test]
fn partition_indices_are_not_stored() {
    let index = Index::from_entries(
        "p",
        IndexKind::Partition,
        &DataType::Int64,
        [(Scalar::Int(1), ["p=1/x"])],
    )
    .unwrap();
    let err = index
        .store(&plateau_core::Store::memory(), "u", "t")
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)));
}

#[test]
fn null_semantics_for_planners() {
    let v = |s: Scalar| Value::Scalar(s);
    assert!(literal_can_match_null(Op::Eq, &v(Scalar::Null)));
    assert!(literal_can_match_null(Op::Eq, &v(Scalar::Float(f64::NAN))));
    assert!(!literal_can_match_null(Op::Eq, &v(Scalar::Int(1))));
    assert!(literal_can_match_null(Op::Ne, &v(Scalar::Int(1))));
    assert!(!literal_can_match_null(Op::Ne, &v(Scalar::Null)));
    assert!(literal_can_match_null(
        Op::IsDistinctFrom,
        &v(Scalar::Int(1))
    ));
    assert!(!literal_can_match_null(
        Op::IsDistinctFrom,
        &v(Scalar::Null)
    ));
    for op in [Op::Lt, Op::Le, Op::Gt, Op::Ge] {
        assert!(!literal_can_match_null(op, &v(Scalar::Int(1))));
    }
    assert!(!literal_can_match_null(Op::In, &Value::from(vec![1, 2])));
    assert!(literal_can_match_null(
        Op::In,
        &Value::List(vec![Scalar::Int(1), Scalar::Null])
    ));
    assert!(literal_can_match_null(Op::NotIn, &Value::from(vec![1, 2])));
    assert!(!literal_can_match_null(
        Op::NotIn,
        &Value::List(vec![Scalar::Int(1), Scalar::Null])
    ));
    assert!(literal_can_match_null(Op::NotIn, &Value::List(vec![])));
    // A list where a scalar belongs: the safe answer.
    assert!(literal_can_match_null(Op::Eq, &Value::from(vec![1])));
}

#[test]
fn eval_on_keys_only() {
    let index = Index::from_entries(
        "c",
        IndexKind::Secondary,
        &DataType::Utf8,
        [
            ("a", vec!["p1"]),
            ("b", vec!["p2"]),
            ("c", vec!["p1", "p3"]),
        ]
        .map(|(v, l)| (Scalar::from(v), l)),
    )
    .unwrap();
    let options = plateau_serialization::filter::EvalOptions::default().strict_date_types(false);
    let labels_of = |op, value: Value| index.eval_labels(op, &value, &options).unwrap();
    assert_eq!(labels_of(Op::Ne, "a".into()), ["p1", "p2", "p3"]);
    assert_eq!(labels_of(Op::NotIn, Value::from(vec!["a", "c"])), ["p2"]);
    assert!(labels_of(Op::Eq, Value::Scalar(Scalar::Null)).is_empty());
    assert!(labels_of(Op::In, Value::List(vec![])).is_empty());
    assert_eq!(
        labels_of(Op::IsDistinctFrom, Value::Scalar(Scalar::Null)),
        ["p1", "p2", "p3"]
    );

    let set = index.eval(Op::Ge, &"b".into(), &options).unwrap();
    assert_eq!(set.universe(), 3);
    assert_eq!(set.labels(&index).collect::<Vec<_>>(), ["p1", "p2", "p3"]);
    let other = index.eval(Op::Eq, &"a".into(), &options).unwrap();
    assert_eq!(
        set.intersection(&other).labels(&index).collect::<Vec<_>>(),
        ["p1"]
    );
    assert_eq!(LabelSet::full(3), set);

    let empty = Index::empty("c", IndexKind::Secondary, &DataType::Utf8).unwrap();
    let none = empty.eval(Op::Ne, &"a".into(), &options).unwrap();
    assert!(none.is_empty());
    assert_eq!(none.universe(), 0);
    assert!(empty.query(&"a".into()).unwrap().is_empty());
}

#[test]
fn accessors() {
    let index = Index::from_entries(
        "c",
        IndexKind::Partition,
        &DataType::Int64,
        [
            (Scalar::Int(5), vec!["b", "a"]),
            (Scalar::Int(1), vec!["c"]),
        ],
    )
    .unwrap();
    assert_eq!(index.column(), "c");
    assert_eq!(index.len(), 2);
    assert_eq!(index.labels(), ["a", "b", "c"]);
    assert_eq!(index.num_labels(), 3);
    assert_eq!(index.label(2), Some("c"));
    assert_eq!(index.label(3), None);
    assert_eq!(index.label_ids(0), [2]);
    assert_eq!(index.label_ids(1), [0, 1]);
    assert!(index.label_ids(7).is_empty());
    assert_eq!(index.value(1).unwrap(), Scalar::Int(5));
    assert!(index.value(2).is_err());
    assert_eq!(index.value_labels(1).collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(index.partitions().collect::<Vec<_>>(), ["a", "b", "c"]);
    let keys: ArrayRef = Arc::new(arrow::array::Int64Array::from(vec![1, 5]));
    assert_eq!(index.keys().as_ref(), keys.as_ref());
    let debug = format!("{index:?}");
    assert!(debug.contains("Partition index on `c`"), "{debug}");
    // A value without labels is not kept.
    let sparse = Index::from_entries(
        "c",
        IndexKind::Secondary,
        &DataType::Int64,
        [
            (Scalar::Int(1), Vec::<&str>::new()),
            (Scalar::Int(2), vec!["x"]),
        ],
    )
    .unwrap();
    assert_eq!(sparse.len(), 1);
}
