#![allow(clippy::unwrap_used, clippy::cloned_ref_to_slice_refs)]
//! `partition_on` splitting and `sort_partitions_by` (plateau_io::partition).

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, DictionaryArray, Float64Array, Int64Array,
    Int8Array, RecordBatch, StringArray,
};
use arrow::datatypes::{Field, Int32Type, Int64Type, Schema};
use plateau_core::{Error, Scalar};
use plateau_io::partition::{check_partition_columns, data_columns, sort_batch, split, take_group};

fn strings(values: &[&str]) -> ArrayRef {
    Arc::new(StringArray::from(values.to_vec()))
}

fn ints(values: &[i64]) -> ArrayRef {
    Arc::new(Int64Array::from(values.to_vec()))
}

fn int_column(batch: &RecordBatch, name: &str) -> Vec<i64> {
    batch
        .column_by_name(name)
        .unwrap()
        .as_primitive::<Int64Type>()
        .values()
        .to_vec()
}

#[test]
fn groups_follow_first_appearance_and_keep_row_order() {
    // plateau's docstring example: P=[1,2,1,2], L=[1,1,2,2] plus a data column.
    let batch = RecordBatch::try_from_iter([
        ("P", ints(&[1, 2, 1, 2, 2])),
        ("L", ints(&[1, 1, 2, 2, 1])),
        ("x", ints(&[10, 11, 12, 13, 14])),
    ])
    .unwrap();
    let on = vec!["P".to_owned(), "L".to_owned()];
    let groups = split(&batch, &on, "base").unwrap();
    let labels: Vec<&str> = groups.iter().map(|g| g.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "P=1/L=1/base",
            "P=2/L=1/base",
            "P=1/L=2/base",
            "P=2/L=2/base"
        ]
    );
    assert_eq!(groups[1].rows, [1, 4]);
    assert_eq!(groups[1].values, [Scalar::Int(2), Scalar::Int(1)]);

    let columns = data_columns(&batch.schema(), &on);
    let data = take_group(&batch, &columns, &groups[1]).unwrap();
    assert_eq!(data.schema().fields().len(), 1);
    assert_eq!(int_column(&data, "x"), [11, 14]);
}

#[test]
fn without_partition_on_the_batch_is_one_group() {
    let batch = RecordBatch::try_from_iter([("x", ints(&[3, 1, 2]))]).unwrap();
    let groups = split(&batch, &[], "abc").unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].label, "abc");
    assert_eq!(groups[0].rows, [0, 1, 2]);
    // An empty batch still gives its (empty) group: a 0-row file is written.
    let empty = batch.slice(0, 0);
    let groups = split(&empty, &[], "abc").unwrap();
    assert_eq!(groups.len(), 1);
    assert!(groups[0].rows.is_empty());
    // With partition_on, an empty batch gives no group.
    let batch = RecordBatch::try_from_iter([("P", ints(&[])), ("x", ints(&[]))]).unwrap();
    assert!(split(&batch, &["P".into()], "abc").unwrap().is_empty());
}

#[test]
fn labels_are_quoted_like_plateau() {
    let batch = RecordBatch::try_from_iter([
        ("level 1", strings(&["a b", "x/y", "ü%", "a b"])),
        (
            "f",
            Arc::new(Float64Array::from(vec![1.0, 1e20, 0.1, 1.0])) as ArrayRef,
        ),
        (
            "b",
            Arc::new(BooleanArray::from(vec![true, false, true, true])) as ArrayRef,
        ),
        (
            "d",
            Arc::new(Date32Array::from(vec![0, 1, 0, 0])) as ArrayRef,
        ),
        ("v", ints(&[1, 2, 3, 4])),
    ])
    .unwrap();
    let on: Vec<String> = ["level 1", "f", "b", "d"].map(String::from).to_vec();
    let groups = split(&batch, &on, "u").unwrap();
    let labels: Vec<&str> = groups.iter().map(|g| g.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "level%201=a%20b/f=1.0/b=True/d=1970-01-01/u",
            "level%201=x%2Fy/f=1e%2B20/b=False/d=1970-01-02/u",
            "level%201=%C3%BC%25/f=0.1/b=True/d=1970-01-01/u",
        ]
    );
    assert_eq!(groups[0].rows, [0, 3]);
}

#[test]
fn dictionary_columns_group_by_value() {
    // Two different dictionaries encoding the same value must land in one group.
    let dict: DictionaryArray<Int32Type> = vec!["b", "a", "b", "a"].into_iter().collect();
    let batch = RecordBatch::try_from_iter([
        ("P", Arc::new(dict) as ArrayRef),
        ("x", ints(&[0, 1, 2, 3])),
    ])
    .unwrap();
    let groups = split(&batch, &["P".into()], "u").unwrap();
    let labels: Vec<&str> = groups.iter().map(|g| g.label.as_str()).collect();
    assert_eq!(labels, ["P=b/u", "P=a/u"]);
    assert_eq!(groups[0].rows, [0, 2]);
}

#[test]
fn null_keys_give_plateaus_size_mismatch_error() {
    let batch = RecordBatch::try_from_iter([
        (
            "P",
            Arc::new(Int64Array::from(vec![Some(1), None, Some(2), None])) as ArrayRef,
        ),
        ("x", ints(&[0, 1, 2, 3])),
    ])
    .unwrap();
    let err = split(&batch, &["P".into()], "u").unwrap_err();
    match err {
        Error::InvalidInput(message) => assert_eq!(
            message,
            "Original dataframe size (4 rows) does not match new dataframe size (2 rows). \
             Hint: you may see this if you are trying to use `partition_on` on a column with null values."
        ),
        other => panic!("unexpected {other:?}"),
    }
    // NaN is missing too, as in pandas.
    let batch = RecordBatch::try_from_iter([
        (
            "P",
            Arc::new(Float64Array::from(vec![1.0, f64::NAN])) as ArrayRef,
        ),
        ("x", ints(&[0, 1])),
    ])
    .unwrap();
    assert!(split(&batch, &["P".into()], "u")
        .unwrap_err()
        .to_string()
        .contains("(2 rows) does not match new dataframe size (1 rows)"));
}

#[test]
fn partition_column_checks() {
    let schema = Schema::new(vec![
        Field::new("a", arrow::datatypes::DataType::Int64, true),
        Field::new("b", arrow::datatypes::DataType::Int64, true),
    ]);
    let err =
        check_partition_columns(&schema, &["foo".into(), "bar".into(), "a".into()]).unwrap_err();
    assert!(matches!(&err, Error::InvalidInput(m) if m == "Partition column(s) missing: bar, foo"));
    let err = check_partition_columns(&schema, &["a".into(), "b".into()]).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(m) if m == "No data left to save outside partition columns")
    );
    check_partition_columns(&schema, &["a".into()]).unwrap();
    let err = check_partition_columns(&schema, &["a".into(), "a".into()]).unwrap_err();
    assert!(matches!(&err, Error::InvalidInput(m) if m.contains("more than once")));
    check_partition_columns(&schema, &[]).unwrap();
}

#[test]
fn index_level_columns_are_not_data() {
    let batch = RecordBatch::try_from_iter([
        ("__index_level_0__", ints(&[0, 1])),
        ("P", ints(&[1, 1])),
        ("x", ints(&[5, 6])),
    ])
    .unwrap();
    let columns = data_columns(&batch.schema(), &["P".into()]);
    assert_eq!(columns, [2]);
}

#[test]
fn sort_is_stable_ascending_nulls_last() {
    let batch = RecordBatch::try_from_iter([
        (
            "T",
            Arc::new(Int64Array::from(vec![
                Some(3),
                None,
                Some(1),
                Some(3),
                Some(2),
            ])) as ArrayRef,
        ),
        ("id", ints(&[0, 1, 2, 3, 4])),
    ])
    .unwrap();
    let sorted = sort_batch(&batch, &["T".into()]).unwrap();
    assert_eq!(int_column(&sorted, "id"), [2, 4, 0, 3, 1]);

    // Two keys; strings by code point; categoricals by value, not by code.
    let dict: DictionaryArray<Int32Type> = vec!["z", "a", "z", "a"].into_iter().collect();
    let batch = RecordBatch::try_from_iter([
        ("c", Arc::new(dict) as ArrayRef),
        ("s", strings(&["b", "b", "a", "a"])),
        ("id", ints(&[0, 1, 2, 3])),
    ])
    .unwrap();
    let sorted = sort_batch(&batch, &["c".into(), "s".into()]).unwrap();
    assert_eq!(int_column(&sorted, "id"), [3, 1, 2, 0]);

    let err = sort_batch(&batch, &["nope".into(), "also".into()]).unwrap_err();
    assert!(matches!(&err, Error::InvalidInput(m) if m.contains("also, nope")));
}

#[test]
fn narrow_types_are_kept_in_groups() {
    let batch = RecordBatch::try_from_iter([
        ("P", Arc::new(Int8Array::from(vec![1, 2, 1])) as ArrayRef),
        ("x", Arc::new(Int8Array::from(vec![7, 8, 9])) as ArrayRef),
    ])
    .unwrap();
    let on = vec!["P".to_owned()];
    let groups = split(&batch, &on, "u").unwrap();
    assert_eq!(groups[0].label, "P=1/u");
    let data = take_group(&batch, &data_columns(&batch.schema(), &on), &groups[0]).unwrap();
    assert_eq!(
        data.column(0).data_type(),
        &arrow::datatypes::DataType::Int8
    );
    assert_eq!(data.column(0).len(), 2);
}
