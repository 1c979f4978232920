//! Index files written by Python plateau 4.6.2 (copied from its reference datasets) and by
//! older writers (`tests/python/make_legacy_fixtures.py`), read with exact expectations
//! (looked up with pyarrow).
#![allow(clippy::unwrap_used)]

mod common;

use arrow::datatypes::{DataType, TimeUnit};
use common::{date, entries, fixture, labels, ts};
use plateau_core::{Error, Op, Scalar, Value};
use plateau_index::{Index, IndexKind};
use plateau_serialization::filter::EvalOptions;

// Partition labels of `ref_secondary_indices`.
const A: &str = "02da13672b7d4c44b0d18476a3e619e6";
const B: &str = "29414300935a41739c8a87811d3135c1";
const C: &str = "55a17bbb4ea540789e6ef2289dc3af50";
const D: &str = "6af5e6c3ee254d4bbdcf8e17a5da8a69";
const E: &str = "bdac8b63b21741d096bbe23b8fbefb3c";
const F: &str = "bedfc5e597f4473db338d0da4258a986";

// Partition labels of `ref_secondary_indices_more`.
const M1: &str = "080e6371522f427393058cafd62e8275";
const M2: &str = "1e830c36508f44f3bc5bc65ca4f8d3d1";
const M3: &str = "b87eda9980f9436ebe965b28eefcc4a5";
const M4: &str = "f9ed10bb86f84be6be3c409c462d43ab";
const ALL_M: [&str; 4] = [M1, M2, M3, M4];

fn load(column: &str, file: &str) -> Index {
    let index = Index::from_parquet(column, fixture(file), file).unwrap();
    assert_eq!(index.storage_key(), Some(file));
    assert_eq!(index.kind(), IndexKind::Secondary);
    index
}

fn expect(index: &Index, expected: Vec<(Scalar, &[&str])>) {
    let expected: Vec<(Scalar, Vec<String>)> =
        expected.into_iter().map(|(v, l)| (v, labels(l))).collect();
    assert_eq!(entries(index), expected);
}

#[test]
fn int64() {
    let index = load("i", "plateau_i.parquet");
    assert_eq!(index.data_type(), &DataType::Int64);
    expect(
        &index,
        vec![
            (Scalar::Int(0), &[A, B, C, D, F]),
            (Scalar::Int(1), &[A, C, D, E, F]),
            (Scalar::Int(2), &[A, C, E, F]),
            (Scalar::Int(3), &[B, C, E, F]),
            (Scalar::Int(4), &[B, C, D, E]),
            (Scalar::Int(5), &[A, B, D, E]),
            (Scalar::Int(6), &[A, B, D, F]),
        ],
    );
    assert_eq!(index.labels(), labels(&[A, B, C, D, E, F]));
}

#[test]
fn large_string_with_non_ascii() {
    let index = load("s", "plateau_s.parquet");
    assert_eq!(index.data_type(), &DataType::LargeUtf8);
    let s = |v: &str| Scalar::String(v.to_owned());
    expect(
        &index,
        vec![
            (s("s0"), &[B, C, F]),
            (s("s0ü"), &[A, D, E]),
            (s("s1"), &[A, D, E]),
            (s("s1ü"), &[B, C, F]),
            (s("s2"), &[B, C]),
            (s("s2ü"), &[A, D, E]),
            (s("s3"), &[A, D, E]),
            (s("s3ü"), &[C, F]),
            (s("s4"), &[B, F]),
            (s("s4ü"), &[A, D, E]),
        ],
    );
}

#[test]
fn date32() {
    let index = load("d", "plateau_d.parquet");
    assert_eq!(index.data_type(), &DataType::Date32);
    expect(
        &index,
        vec![
            (date("2020-01-01"), &[A, B, C, E, F]),
            (date("2020-01-02"), &[A, B, C, E]),
            (date("2020-01-03"), &[A, C, D, F]),
            (date("2020-01-04"), &[A, D, E, F]),
            (date("2020-01-05"), &[B, C, D, E, F]),
            (date("2020-01-06"), &[A, B, D, E, F]),
        ],
    );
    // plateau's lenient query: a date string finds the date.
    assert_eq!(index.query(&"2020-01-02".into()).unwrap(), [A, B, C, E]);
}

#[test]
fn naive_timestamp_microseconds_read_as_nanoseconds() {
    let index = load("t", "plateau_t.parquet");
    assert_eq!(
        index.data_type(),
        &DataType::Timestamp(TimeUnit::Nanosecond, None)
    );
    let t = |text: &str| ts(text, None);
    expect(
        &index,
        vec![
            (t("2021-06-01T00:00:00"), &[B, C, F]),
            (t("2021-06-01T01:00:00"), &[C, D, E]),
            (t("2021-06-01T02:00:00"), &[A, F]),
            (t("2021-06-02T00:00:00.000001"), &[A, F]),
            (t("2021-06-02T01:00:00.000001"), &[B, C, D]),
            (t("2021-06-02T02:00:00.000001"), &[D, E]),
            (t("2021-06-03T00:00:00"), &[A]),
            (t("2021-06-03T01:00:00"), &[B, F]),
            (t("2021-06-03T02:00:00"), &[B, C, D]),
            (t("2021-06-04T00:00:00.000001"), &[C, D, E]),
            (t("2021-06-04T01:00:00.000001"), &[A, E]),
            (t("2021-06-04T02:00:00.000001"), &[B, F]),
        ],
    );
    let options = EvalOptions::default().strict_date_types(true);
    let before = index
        .eval_labels(Op::Lt, &Value::from(t("2021-06-01T02:00:00")), &options)
        .unwrap();
    assert_eq!(before, [B, C, D, E, F]);
}

#[test]
fn utc_timestamp() {
    let index = load("tz", "plateau_tz.parquet");
    assert_eq!(
        index.data_type(),
        &DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
    );
    let t = |text: &str| ts(text, Some("UTC"));
    expect(
        &index,
        vec![
            (t("2022-01-01T10:00:00"), &ALL_M),
            (t("2022-01-02T10:00:00"), &ALL_M),
            (t("2022-01-03T10:00:00"), &ALL_M),
        ],
    );
}

#[test]
fn binary_bool_float_uint64() {
    let index = load("by", "plateau_by.parquet");
    assert_eq!(index.data_type(), &DataType::Binary);
    expect(
        &index,
        vec![
            (Scalar::Binary(b"A".to_vec()), &ALL_M),
            (Scalar::Binary(b"B".to_vec()), &ALL_M),
            (Scalar::Binary(b"C".to_vec()), &ALL_M),
        ],
    );

    let index = load("b", "plateau_b.parquet");
    assert_eq!(index.data_type(), &DataType::Boolean);
    expect(
        &index,
        vec![(Scalar::Bool(false), &ALL_M), (Scalar::Bool(true), &ALL_M)],
    );

    let index = load("f", "plateau_f.parquet");
    assert_eq!(index.data_type(), &DataType::Float64);
    expect(
        &index,
        vec![
            (Scalar::Float(0.0), &ALL_M),
            (Scalar::Float(0.5), &ALL_M),
            (Scalar::Float(1.0), &ALL_M),
        ],
    );

    let index = load("u", "plateau_u.parquet");
    assert_eq!(index.data_type(), &DataType::UInt64);
    let base = 9_223_372_036_854_775_808u64;
    expect(
        &index,
        vec![
            (Scalar::UInt(base), &ALL_M),
            (Scalar::UInt(base + 1), &[M1, M2, M4]),
            (Scalar::UInt(base + 2), &[M1, M2, M3]),
            (Scalar::UInt(base + 3), &[M1, M3, M4]),
            (Scalar::UInt(base + 4), &[M2, M3, M4]),
        ],
    );
}

#[test]
fn many_partitions_unordered_rows() {
    let index = load("k", "plateau_k_many.parquet");
    assert_eq!(index.len(), 1000);
    assert_eq!(index.labels().len(), 2000);
    let label = |p: u32| format!("part={p}/e6ae9a03ff094353a0925cc00af793d1");
    assert_eq!(
        index.query(&Scalar::Int(0)).unwrap(),
        [label(0), label(1000)]
    );
    assert_eq!(
        index.query(&Scalar::Int(1)).unwrap(),
        [label(1679), label(679)]
    );
    assert_eq!(
        index.query(&Scalar::Int(999)).unwrap(),
        [label(1321), label(321)]
    );
    assert!(index.query(&Scalar::Int(1000)).unwrap().is_empty());
    // Every partition holds exactly one value, every value two partitions.
    assert!((0..index.len()).all(|i| index.label_ids(i).len() == 2));
}

#[test]
fn legacy_shapes() {
    // `partition` first, list element `item`, int32 values.
    let index = load("x", "legacy_item_first.parquet");
    assert_eq!(index.data_type(), &DataType::Int64);
    expect(
        &index,
        vec![
            (Scalar::Int(-1), &["p3"]),
            (Scalar::Int(3), &["p1"]),
            (Scalar::Int(7), &["p1", "p2"]),
        ],
    );

    // large_list<large_string>, timestamp[ms, tz=Europe/Berlin].
    let index = load("t", "legacy_large.parquet");
    assert_eq!(
        index.data_type(),
        &DataType::Timestamp(TimeUnit::Nanosecond, Some("Europe/Berlin".into()))
    );
    let t = |text: &str| ts(text, Some("Europe/Berlin"));
    expect(
        &index,
        vec![
            (t("2020-01-01T00:00:00Z"), &["a", "b"]),
            (t("2021-03-28T01:30:00Z"), &["b"]),
        ],
    );

    // The value column has another name: the one that is not `partition` is taken.
    let index = load("new_name", "legacy_renamed.parquet");
    assert_eq!(index.column(), "new_name");
    expect(
        &index,
        vec![
            (Scalar::String("x".into()), &["p1"]),
            (Scalar::String("y".into()), &["p1", "p2"]),
        ],
    );
}

#[test]
fn nulls_are_not_entries() {
    let index = load("f", "legacy_nulls.parquet");
    expect(
        &index,
        vec![(Scalar::Float(1.0), &["a"]), (Scalar::Float(3.0), &["d"])],
    );
    assert_eq!(index.labels(), ["a", "d"]);
}

#[test]
fn unreadable_files_are_corrupt() {
    let err =
        Index::from_parquet("i", bytes::Bytes::from_static(b"not parquet"), "k1").unwrap_err();
    assert!(
        matches!(&err, Error::Corrupt { key, .. } if key == "k1"),
        "{err}"
    );

    let mut truncated = fixture("plateau_i.parquet").to_vec();
    truncated.truncate(truncated.len() / 2);
    let err = Index::from_parquet("i", truncated.into(), "k2").unwrap_err();
    assert!(
        matches!(&err, Error::Corrupt { key, .. } if key == "k2"),
        "{err}"
    );

    // No `partition` column; three columns without the index column; labels not a list.
    let err = Index::from_parquet("x", fixture("wrong_no_partition.parquet"), "k3").unwrap_err();
    assert!(
        matches!(&err, Error::Corrupt { key, .. } if key == "k3"),
        "{err}"
    );
    let err = Index::from_parquet("zzz", fixture("wrong_three_columns.parquet"), "k4").unwrap_err();
    assert!(
        matches!(&err, Error::Corrupt { key, message } if key == "k4" && message.contains("zzz")),
        "{err}"
    );
    let err = Index::from_parquet("x", fixture("wrong_partition_type.parquet"), "k6").unwrap_err();
    assert!(
        matches!(&err, Error::Corrupt { key, .. } if key == "k6"),
        "{err}"
    );
    // With the index column present, extra columns do not matter.
    let index = Index::from_parquet("a", fixture("wrong_three_columns.parquet"), "k7").unwrap();
    assert_eq!(index.query(&Scalar::Int(1)).unwrap(), ["p"]);

    let err = Index::from_parquet("partition", fixture("plateau_i.parquet"), "k5").unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)));
}
