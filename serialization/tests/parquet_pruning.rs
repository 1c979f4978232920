//! Row-group pruning: plateau's acceptance cases, our fixes of its pushdown bugs, the
//! statistics edge cases, and proof that pruning skips row groups without changing results.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod parquet_support;

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryArray, BooleanArray, Date32Array, Decimal128Array, Float32Array, Float64Array,
    Int16Array, Int32Array, Int64Array, Int8Array, NullArray, RecordBatch, StringArray,
    TimestampNanosecondArray, UInt16Array, UInt32Array, UInt64Array, UInt8Array,
};
use arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use bytes::Bytes;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use parquet_support::batch;
use plateau_core::{Conjunction, Error, Literal, Op, Predicates, Scalar, Store, Value};
use plateau_serialization::filter::{filter_batch, EvalOptions};
use plateau_serialization::pruning::{
    literal_may_match, prune_row_groups, row_group_statistics, ColumnStatistics,
};
use plateau_serialization::{ParquetSerializer, ReadOptions, Serializer};

fn write(data: &RecordBatch, chunk_size: Option<usize>) -> Bytes {
    ParquetSerializer::default()
        .with_chunk_size(chunk_size)
        .unwrap()
        .serialize(data)
        .unwrap()
}

fn footer(bytes: &Bytes) -> (ParquetMetaData, SchemaRef) {
    let meta = ParquetMetaDataReader::new()
        .parse_and_finish(bytes)
        .unwrap();
    let arrow =
        ArrowReaderMetadata::try_new(Arc::new(meta.clone()), ArrowReaderOptions::new()).unwrap();
    (meta, Arc::clone(arrow.schema()))
}

fn pruned(bytes: &Bytes, predicates: &str) -> Vec<usize> {
    let (meta, schema) = footer(bytes);
    prune_row_groups(
        &meta,
        &schema,
        &Predicates::parse(predicates).unwrap(),
        &EvalOptions::default(),
    )
    .unwrap()
}

fn may(stats: &ColumnStatistics, data_type: &DataType, op: Op, value: impl Into<Value>) -> bool {
    literal_may_match(
        &Literal::new("A", op, value),
        data_type,
        stats,
        &EvalOptions::default(),
    )
}

/// Rows of the file read with the given options, from an in-memory store.
fn restore(bytes: &Bytes, options: &ReadOptions) -> RecordBatch {
    ParquetSerializer::default()
        .deserialize(bytes.clone(), "test.parquet", options)
        .unwrap()
}

fn ints(values: &[Option<i64>]) -> ArrayRef {
    Arc::new(Int64Array::from(values.to_vec()))
}

// --- plateau's _predicate_accepts cases -------------------------------------------------

#[test]
fn plateau_accept_in_cases() {
    // tests/serialization/test_parquet.py::test_predicate_accept_in, on the statistics and on a
    // real one-row-group file of A = [0, 4, 13, 29].
    let cases: [(&[i64], bool); 8] = [
        (&[0, 4, 1], true),
        (&[-2, 44], false),
        (&[-3, 0], true),
        (&[-1, 10_000], false),
        (&[2, 3], true),
        (&[-1, 20], true),
        (&[-30, -5, 50, 10], true),
        (&[], false),
    ];
    let stats = ColumnStatistics::exact(4, 0, Scalar::Int(0), Scalar::Int(29));
    let bytes = write(
        &batch(vec![("A", ints(&[Some(0), Some(4), Some(13), Some(29)]))]),
        None,
    );
    let (meta, schema) = footer(&bytes);
    assert_eq!(
        row_group_statistics(&meta, &schema, "A").unwrap(),
        std::slice::from_ref(&stats)
    );
    for (values, expected) in cases {
        assert_eq!(
            may(&stats, &DataType::Int64, Op::In, values.to_vec()),
            expected,
            "{values:?}"
        );
        let predicates = Predicates::all(Conjunction::new().with("A", Op::In, values.to_vec()));
        let chosen =
            prune_row_groups(&meta, &schema, &predicates, &EvalOptions::default()).unwrap();
        assert_eq!(chosen == [0], expected, "{values:?}");
    }
}

#[test]
fn in_with_null_keeps_row_groups_with_nulls() {
    let with_nulls = ColumnStatistics::exact(4, 1, Scalar::Int(0), Scalar::Int(29));
    let without = ColumnStatistics::exact(4, 0, Scalar::Int(0), Scalar::Int(29));
    let list = || Value::List(vec![Scalar::Int(100), Scalar::Null]);
    assert!(may(&with_nulls, &DataType::Int64, Op::In, list()));
    assert!(!may(&without, &DataType::Int64, Op::In, list()));
}

#[test]
fn not_in_prunes_only_single_valued_row_groups_it_excludes_entirely() {
    let t = DataType::Int64;
    let single = ColumnStatistics::exact(4, 0, Scalar::Int(5), Scalar::Int(5));
    let single_nulls = ColumnStatistics::exact(4, 2, Scalar::Int(5), Scalar::Int(5));
    let range = ColumnStatistics::exact(4, 0, Scalar::Int(0), Scalar::Int(29));
    let all_null = ColumnStatistics {
        null_count: Some(4),
        ..ColumnStatistics::unknown(4)
    };
    let list = |v: &[Option<i64>]| Value::List(v.iter().map(|&x| Scalar::from(x)).collect());
    // plateau: min == max and every listed value is the min → reject.
    assert!(!may(&single, &t, Op::NotIn, list(&[Some(5)])));
    // plateau accepts here; every row is 5, so nothing can match.
    assert!(!may(&single, &t, Op::NotIn, list(&[Some(5), Some(6)])));
    assert!(may(&single, &t, Op::NotIn, list(&[Some(6)])));
    assert!(may(&single, &t, Op::NotIn, list(&[])));
    // Null rows match `not in` unless the list holds null (plateau rejects [5] here and
    // loses the null rows).
    assert!(may(&single_nulls, &t, Op::NotIn, list(&[Some(5)])));
    assert!(!may(&single_nulls, &t, Op::NotIn, list(&[Some(5), None])));
    assert!(may(&range, &t, Op::NotIn, list(&[Some(0), Some(29)])));
    assert!(may(&all_null, &t, Op::NotIn, list(&[Some(1)])));
    assert!(!may(&all_null, &t, Op::NotIn, list(&[None])));
    // Unknown statistics never prune a non-empty row group.
    assert!(may(
        &ColumnStatistics::unknown(4),
        &t,
        Op::NotIn,
        list(&[Some(5), None])
    ));
}

#[test]
fn scalar_operators_on_statistics() {
    let t = DataType::Int64;
    let s = ColumnStatistics::exact(10, 0, Scalar::Int(10), Scalar::Int(20));
    let null = || Value::Scalar(Scalar::Null);
    for (op, v, expected) in [
        (Op::Eq, 10, true),
        (Op::Eq, 20, true),
        (Op::Eq, 9, false),
        (Op::Eq, 21, false),
        (Op::Lt, 10, false),
        (Op::Lt, 11, true),
        (Op::Le, 10, true),
        (Op::Le, 9, false),
        (Op::Gt, 20, false),
        (Op::Gt, 19, true),
        (Op::Ge, 20, true),
        (Op::Ge, 21, false),
        (Op::Ne, 15, true),
        (Op::IsDistinctFrom, 10, true),
    ] {
        assert_eq!(may(&s, &t, op, v), expected, "{op} {v}");
    }
    assert!(!may(&s, &t, Op::Eq, null()));
    assert!(may(&s, &t, Op::Ne, null()));
    assert!(may(&s, &t, Op::IsDistinctFrom, null()));

    let with_null = ColumnStatistics::exact(10, 3, Scalar::Int(10), Scalar::Int(20));
    assert!(may(&with_null, &t, Op::Eq, null()));
    let unknown_nulls = ColumnStatistics {
        null_count: None,
        ..s.clone()
    };
    assert!(may(&unknown_nulls, &t, Op::Eq, null()));

    let all_null = ColumnStatistics {
        null_count: Some(10),
        ..ColumnStatistics::unknown(10)
    };
    assert!(!may(&all_null, &t, Op::Ne, null()));
    assert!(!may(&all_null, &t, Op::IsDistinctFrom, null()));
    assert!(!may(&all_null, &t, Op::Gt, 0));
    assert!(may(&all_null, &t, Op::Ne, 0)); // nulls match `!= v`
    assert!(may(&all_null, &t, Op::IsDistinctFrom, 0));
}

#[test]
fn not_equal_prunes_single_valued_row_groups_without_nulls_only() {
    let t = DataType::Int64;
    let single = ColumnStatistics::exact(4, 0, Scalar::Int(0), Scalar::Int(0));
    assert!(!may(&single, &t, Op::Ne, 0));
    assert!(!may(&single, &t, Op::IsDistinctFrom, 0));
    assert!(may(&single, &t, Op::Ne, 1));
    // plateau's bug: [0, 0, NaN] != 0 with pushdown gives [] (without gives [NaN]).
    let with_null = ColumnStatistics::exact(3, 1, Scalar::Int(0), Scalar::Int(0));
    assert!(may(&with_null, &t, Op::Ne, 0));
}

#[test]
fn plateau_not_equal_bug_is_fixed_end_to_end() {
    // [0, 0, NaN] != 0 keeps the NaN row with and without pushdown, for floats (NaN) and
    // integers (null).
    let floats = batch(vec![(
        "x",
        Arc::new(Float64Array::from(vec![
            Some(0.0),
            Some(0.0),
            Some(f64::NAN),
        ])) as ArrayRef,
    )]);
    let integers = batch(vec![("x", ints(&[Some(0), Some(0), None]))]);
    for (data, text) in [(floats, "x != 0.0"), (integers, "x != 0")] {
        for chunk_size in [None, Some(1), Some(2)] {
            let bytes = write(&data, chunk_size);
            for pushdown in [true, false] {
                let options = ReadOptions::default()
                    .predicates(Predicates::parse(text).unwrap())
                    .predicate_pushdown(pushdown);
                let read = restore(&bytes, &options);
                assert_eq!(
                    read,
                    data.slice(2, 1),
                    "{text}, chunk {chunk_size:?}, pushdown {pushdown}"
                );
            }
        }
    }
}

fn restore_result(bytes: &Bytes, options: &ReadOptions) -> Result<RecordBatch, Error> {
    ParquetSerializer::default().deserialize(bytes.clone(), "test.parquet", options)
}

#[test]
fn float_columns_assume_nan_rows() {
    let t = DataType::Float64;
    // No null counted, but NaN rows are nulls for plateau and statistics do not count them.
    let s = ColumnStatistics::exact(4, 0, Scalar::Float(1.0), Scalar::Float(1.0));
    assert!(may(&s, &t, Op::Eq, Value::Scalar(Scalar::Null)));
    assert!(may(&s, &t, Op::Eq, Value::Scalar(Scalar::Float(f64::NAN))));
    assert!(may(&s, &t, Op::Ne, 1.0));
    assert!(may(&s, &t, Op::NotIn, vec![1.0]));
    assert!(!may(
        &s,
        &t,
        Op::NotIn,
        Value::List(vec![Scalar::Float(1.0), Scalar::Null])
    ));
    assert!(may(
        &s,
        &t,
        Op::In,
        Value::List(vec![Scalar::Float(7.0), Scalar::Null])
    ));
    assert!(!may(&s, &t, Op::In, vec![7.0]));
    assert!(!may(&s, &t, Op::Gt, 1.0));
    // NaN bounds (old writers) say nothing.
    let nan = ColumnStatistics::exact(4, 0, Scalar::Float(f64::NAN), Scalar::Float(f64::NAN));
    assert!(may(&nan, &t, Op::Gt, 100.0));
    // On a real file: all-NaN and mixed row groups.
    let data = batch(vec![(
        "f",
        Arc::new(Float64Array::from(vec![
            Some(f64::NAN),
            Some(f64::NAN),
            Some(1.0),
            Some(2.0),
            Some(3.0),
            Some(3.0),
        ])) as ArrayRef,
    )]);
    let bytes = write(&data, Some(2));
    assert_eq!(pruned(&bytes, "f == null"), [0, 1, 2]);
    assert_eq!(pruned(&bytes, "f != 3.0"), [0, 1, 2]);
    assert_eq!(pruned(&bytes, "f > 2.5"), [0, 2]); // row group 0 has no bounds
    assert_eq!(pruned(&bytes, "f not in (3.0, null)"), [0, 1]);
}

#[test]
fn float32_statistics_compare_like_the_evaluator() {
    // 0.1f32 is 0.10000000149 in f64: `== 0.1` matches nothing, `> 0.1` matches it.
    let data = batch(vec![(
        "f",
        Arc::new(Float32Array::from(vec![0.1f32, 0.1])) as ArrayRef,
    )]);
    let bytes = write(&data, None);
    assert!(pruned(&bytes, "f == 0.1").is_empty());
    assert_eq!(pruned(&bytes, "f > 0.1"), [0]);
    assert_eq!(pruned(&bytes, "f == 0.10000000149011612"), [0]);
    for text in ["f == 0.1", "f > 0.1", "f == 0.10000000149011612", "f < 0.1"] {
        let p = Predicates::parse(text).unwrap();
        let with = restore(&bytes, &ReadOptions::default().predicates(p.clone()));
        let without = filter_batch(&data, &p, &EvalOptions::default()).unwrap();
        assert_eq!(with, without, "{text}");
    }
}

#[test]
fn max_below_min_statistics_never_prune() {
    // ARROW-5166: statistics of overflowing or unsigned values written as signed.
    for t in [DataType::Int64, DataType::UInt64] {
        let s = ColumnStatistics::exact(3, 0, Scalar::Int(10), Scalar::Int(-10));
        for op in [Op::Eq, Op::Lt, Op::Gt, Op::Le, Op::Ge, Op::Ne] {
            assert!(may(&s, &t, op, 100), "{op}");
            assert!(may(&s, &t, op, 0), "{op}");
        }
        assert!(may(&s, &t, Op::In, vec![1000i64]));
        assert!(may(&s, &t, Op::NotIn, vec![10i64]));
    }
}

/// Replaces every occurrence of `from` by `to` in the footer of a Parquet file.
fn patch_footer(bytes: &Bytes, from: &[u8], to: &[u8]) -> Bytes {
    assert_eq!(from.len(), to.len());
    let mut out = bytes.to_vec();
    let len = out.len();
    let footer_len = u32::from_le_bytes(out[len - 8..len - 4].try_into().unwrap()) as usize;
    let start = len - 8 - footer_len;
    let mut patched = 0;
    let mut i = start;
    while i + from.len() <= len - 8 {
        if out[i..i + from.len()] == *from {
            out[i..i + from.len()].copy_from_slice(to);
            patched += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    assert!(patched > 0, "pattern not found in the footer");
    Bytes::from(out)
}

#[test]
fn int64_statistics_overflow_file() {
    // plateau's test_int64_statistics_overflow (reference-data/pyarrow-bugs, a binary file we
    // cannot fetch): a file whose statistics claim max < min, forged by patching the footer.
    let v = 705_449_463_447_499_237i64;
    let max = v + 1_000;
    let forged_max = v - 1_000_000;
    let data = batch(vec![("x", ints(&[Some(v), Some(v + 500), Some(max)]))]);
    let bytes = patch_footer(
        &write(&data, None),
        &max.to_le_bytes(),
        &forged_max.to_le_bytes(),
    );
    let (meta, schema) = footer(&bytes);
    let stats = row_group_statistics(&meta, &schema, "x").unwrap();
    assert_eq!(stats[0].min, Some(Scalar::Int(v)));
    assert_eq!(stats[0].max, Some(Scalar::Int(forged_max)));
    for pushdown in [true, false] {
        let options = ReadOptions::default()
            .predicates(Predicates::all(Conjunction::new().with("x", Op::Eq, v)))
            .predicate_pushdown(pushdown);
        let read = restore(&bytes, &options);
        assert_eq!(read.num_rows(), 1, "pushdown {pushdown}");
        let options =
            options.predicates(Predicates::all(Conjunction::new().with("x", Op::Eq, max)));
        assert_eq!(
            restore(&bytes, &options).num_rows(),
            1,
            "pushdown {pushdown}"
        );
    }
}

#[test]
fn uint64_statistics_cover_the_full_range() {
    let data = batch(vec![(
        "u",
        Arc::new(UInt64Array::from(vec![1, u64::MAX - 1, u64::MAX])) as ArrayRef,
    )]);
    let bytes = write(&data, Some(1));
    assert_eq!(pruned(&bytes, "u > 9223372036854775807"), [1, 2]);
    assert_eq!(pruned(&bytes, "u == 18446744073709551615u"), [2]);
    assert_eq!(pruned(&bytes, "u < 2"), [0]);
    assert_eq!(pruned(&bytes, "u < -1"), Vec::<usize>::new());
}

#[test]
fn truncated_string_statistics_are_bounds_only() {
    let long = "a".repeat(100);
    let longer = format!("{long}b");
    let data = batch(vec![(
        "s",
        Arc::new(StringArray::from(vec![long.as_str(), long.as_str()])) as ArrayRef,
    )]);
    let bytes = write(&data, None);
    let (meta, schema) = footer(&bytes);
    let stats = &row_group_statistics(&meta, &schema, "s").unwrap()[0];
    assert!(
        !stats.min_exact || !stats.max_exact,
        "expected truncated bounds: {stats:?}"
    );
    // Range tests still prune, with the truncated (widened) bounds.
    assert!(pruned(&bytes, "s > 'b'").is_empty());
    assert_eq!(pruned(&bytes, &format!("s > '{longer}'")), [0]);
    let options =
        ReadOptions::default().predicates(Predicates::parse(&format!("s > '{longer}'")).unwrap());
    assert_eq!(restore(&bytes, &options).num_rows(), 0);
    assert!(pruned(&bytes, "s < 'a'").is_empty());
    assert_eq!(pruned(&bytes, &format!("s == '{long}'")), [0]);
    // Equality-based pruning needs exact bounds: keep, and let the row filter decide.
    assert_eq!(pruned(&bytes, &format!("s != '{long}'")), [0]);
    let options = ReadOptions::default()
        .predicates(Predicates::parse(&format!("s != '{long}' or s not in ('{long}')")).unwrap());
    assert_eq!(restore(&bytes, &options).num_rows(), 0);

    // Short strings have exact bounds, so `!=` prunes single-valued row groups.
    let data = batch(vec![(
        "s",
        Arc::new(StringArray::from(vec!["x", "x", "y"])) as ArrayRef,
    )]);
    let bytes = write(&data, Some(2));
    assert_eq!(pruned(&bytes, "s != 'x'"), [1]);
    assert_eq!(pruned(&bytes, "s not in ('y')"), [0]);
}

#[test]
fn null_typed_columns_follow_the_null_rules() {
    let data = batch(vec![
        ("n", Arc::new(NullArray::new(4)) as ArrayRef),
        ("i", ints(&[Some(1), Some(2), Some(3), Some(4)])),
    ]);
    let bytes = write(&data, Some(2));
    assert_eq!(pruned(&bytes, "n == null"), [0, 1]);
    assert!(pruned(&bytes, "n == 1").is_empty());
    assert_eq!(pruned(&bytes, "n != 1"), [0, 1]);
    assert!(pruned(&bytes, "n != null").is_empty());
    assert!(pruned(&bytes, "n in (1, 2)").is_empty());
    assert_eq!(pruned(&bytes, "n not in (1, 2)"), [0, 1]);
    // plateau drops the whole conjunction; we evaluate it: the other conjunction still reads.
    assert_eq!(pruned(&bytes, "n == 1 or i > 3"), [1]);
    assert_eq!(pruned(&bytes, "n == null and i > 3"), [1]);
}

#[test]
fn conjunctions_and_disjunctions() {
    let ids: Vec<Option<i64>> = (0..100).map(Some).collect();
    let data = batch(vec![
        ("id", ints(&ids)),
        (
            "g",
            Arc::new(StringArray::from_iter_values(
                (0..100).map(|i| format!("g{}", i / 50)),
            )) as ArrayRef,
        ),
    ]);
    let bytes = write(&data, Some(10));
    assert_eq!(pruned(&bytes, "id < 10 or id >= 90"), [0, 9]);
    assert_eq!(pruned(&bytes, "id >= 40 and g == 'g1'"), [5, 6, 7, 8, 9]);
    assert!(pruned(&bytes, "id < 10 and g == 'g1'").is_empty());
    assert_eq!(pruned(&bytes, "id in (5, 55, 1000)"), [0, 5]);
    assert!(pruned(&bytes, "id in ()").is_empty());
    assert_eq!(pruned(&bytes, "id not in ()").len(), 10);
}

#[test]
fn sorted_ids_read_a_single_row_group() {
    let ids: Vec<Option<i64>> = (0..20_000).map(Some).collect();
    let data = batch(vec![("id", ints(&ids))]);
    let bytes = write(&data, Some(1_000));
    assert_eq!(footer(&bytes).0.num_row_groups(), 20);
    assert_eq!(pruned(&bytes, "id < 100"), [0]);
    assert_eq!(pruned(&bytes, "id == 15500"), [15]);
    assert_eq!(pruned(&bytes, "id >= 19000"), [19]);
    assert_eq!(pruned(&bytes, "id != 3").len(), 20);
    let store = Store::memory();
    store.put("ids.parquet", bytes).unwrap();
    let options = ReadOptions::default().predicates(Predicates::parse("id < 100").unwrap());
    assert_eq!(
        plateau_serialization::restore(&store, "ids.parquet", &options)
            .unwrap()
            .num_rows(),
        100
    );
}

#[test]
fn prune_reports_unknown_columns() {
    let bytes = write(&batch(vec![("id", ints(&[Some(1)]))]), None);
    let (meta, schema) = footer(&bytes);
    let err = prune_row_groups(
        &meta,
        &schema,
        &Predicates::parse("nope == 1").unwrap(),
        &EvalOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::ColumnNotFound { columns } if columns == ["nope"]));
}

#[test]
fn dates_timestamps_and_decimals_prune_by_value() {
    let day = 86_400_000_000_000i64;
    let data = batch(vec![
        (
            "d",
            Arc::new(Date32Array::from(vec![17532, 17533, 17534, 17535])) as ArrayRef,
        ),
        (
            "t",
            Arc::new(
                TimestampNanosecondArray::from(vec![0, day, 2 * day, 3 * day])
                    .with_timezone("Europe/Berlin"),
            ),
        ),
        (
            "m",
            Arc::new(
                Decimal128Array::from(vec![100, 200, 300, 400])
                    .with_precision_and_scale(5, 2)
                    .unwrap(),
            ),
        ),
    ]);
    let bytes = write(&data, Some(1));
    assert_eq!(pruned(&bytes, "d == '2018-01-02'"), [1]);
    assert_eq!(pruned(&bytes, "d >= date '2018-01-03'"), [2, 3]);
    assert_eq!(
        pruned(&bytes, "t < timestamp '1970-01-02T00:00:00+00:00'"),
        [0]
    );
    assert_eq!(
        pruned(&bytes, "t == timestamp '1970-01-02T01:00:00+01:00'"),
        [1]
    );
    assert_eq!(pruned(&bytes, "m > decimal '3.5'"), [3]);
    assert_eq!(pruned(&bytes, "m == decimal '2.00'"), [1]);
    assert!(pruned(&bytes, "m == decimal '2.001'").is_empty());
    assert_eq!(pruned(&bytes, "m != decimal '2.001'"), [0, 1, 2, 3]);
    let _ = TimeUnit::Nanosecond;
}

// --- plateau's test_predicate_evaluation_* type tables ---------------------------------

/// plateau's `get_dataframe_not_nested(10)` (plateau.serialization.testing), with dates as
/// date32 and `datetime64[ns]` as timestamp[ns].
fn dataframe_not_nested() -> RecordBatch {
    let n = 10usize;
    let binary: Vec<Vec<u8>> = vec![
        vec![1],
        b"1".to_vec(),
        b"2".to_vec(),
        b"3".to_vec(),
        vec![0xff, 0xfe, b'4', 0],
        vec![0xff, 0xfe, 0, 0, b'4', 0, 0, 0],
        b"\x8f\xb6\xe5@\x90\xdc\x11\xe8\xa0\xae\x02B\xac\x12\x01\x06".to_vec(),
        "🙈".as_bytes().to_vec(),
        "\u{80}".as_bytes().to_vec(),
        b"9".to_vec(),
    ];
    let range = || 0..n as i64;
    // date(2018, 1, x % 31 + 1) for x in 1..=n; 2018-01-01 is day 17532.
    let days: Vec<i32> = (1..=n as i32).map(|x| 17532 + x % 31).collect();
    batch(vec![
        (
            "bool",
            Arc::new(BooleanArray::from(
                (0..n).map(|i| i < n / 2).collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
        ("bytes", Arc::new(BinaryArray::from_iter_values(binary))),
        ("date", Arc::new(Date32Array::from(days.clone()))),
        (
            "datetime64",
            Arc::new(TimestampNanosecondArray::from(
                days.iter()
                    .map(|d| i64::from(*d) * 86_400_000_000_000)
                    .collect::<Vec<_>>(),
            )),
        ),
        (
            "float32",
            Arc::new(Float32Array::from_iter_values(range().map(|i| i as f32))),
        ),
        (
            "float64",
            Arc::new(Float64Array::from_iter_values(range().map(|i| i as f64))),
        ),
        (
            "int16",
            Arc::new(Int16Array::from_iter_values(range().map(|i| i as i16))),
        ),
        (
            "int32",
            Arc::new(Int32Array::from_iter_values(range().map(|i| i as i32))),
        ),
        ("int64", Arc::new(Int64Array::from_iter_values(range()))),
        (
            "int8",
            Arc::new(Int8Array::from_iter_values(range().map(|i| i as i8))),
        ),
        ("null", Arc::new(NullArray::new(n))),
        (
            "uint16",
            Arc::new(UInt16Array::from_iter_values(range().map(|i| i as u16))),
        ),
        (
            "uint32",
            Arc::new(UInt32Array::from_iter_values(range().map(|i| i as u32))),
        ),
        (
            "uint64",
            Arc::new(UInt64Array::from_iter_values(range().map(|i| i as u64))),
        ),
        (
            "uint8",
            Arc::new(UInt8Array::from_iter_values(range().map(|i| i as u8))),
        ),
        (
            "unicode",
            Arc::new(StringArray::from_iter_values(
                range().map(|i| i.to_string()),
            )),
        ),
    ])
}

/// plateau's `_validate_predicate_pushdown`: `column == value` selects exactly row 3, with
/// row-group sizes 1, 5 and the default; with row groups of one row, pruning alone already
/// selects row 3 for the ordered numeric columns.
fn validate_pushdown(column: &str, value: Scalar) -> Result<(), Error> {
    let data = dataframe_not_nested();
    let expected = data.slice(3, 1);
    for chunk_size in [Some(1), Some(5), None] {
        let bytes = write(&data, chunk_size);
        let predicates = Predicates::all(Conjunction::new().with(column, Op::Eq, value.clone()));
        for pushdown in [true, false] {
            let options = ReadOptions::default()
                .predicates(predicates.clone())
                .predicate_pushdown(pushdown);
            let read = restore_result(&bytes, &options)?;
            assert_eq!(read, expected, "{column} == {value}, chunk {chunk_size:?}");
        }
        if chunk_size == Some(1) && column != "bool" && column != "bytes" {
            let (meta, schema) = footer(&bytes);
            let chosen = prune_row_groups(&meta, &schema, &predicates, &EvalOptions::default())?;
            assert_eq!(chosen, [3], "{column} == {value}");
        }
    }
    Ok(())
}

fn assert_type_error(column: &str, value: Scalar) {
    match validate_pushdown(column, value.clone()) {
        Err(Error::PredicateType { column: c, .. }) => assert_eq!(c, column),
        other => panic!("{column} == {value}: expected a type error, got {other:?}"),
    }
}

#[test]
fn predicate_evaluation_integer_and_unsigned() {
    for column in [
        "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    ] {
        validate_pushdown(column, Scalar::Int(3)).unwrap();
        validate_pushdown(column, Scalar::UInt(3)).unwrap();
        for bad in [
            Scalar::Float(3.0),
            Scalar::from("3"),
            Scalar::from("3.0"),
            Scalar::from(b"3".as_slice()),
            Scalar::from(b"3.0".as_slice()),
        ] {
            assert_type_error(column, bad);
        }
    }
}

#[test]
fn predicate_evaluation_float() {
    for column in ["float32", "float64"] {
        validate_pushdown(column, Scalar::Float(3.0)).unwrap();
        for bad in [
            Scalar::Int(3),
            Scalar::from("3"),
            Scalar::from("3.0"),
            Scalar::from(b"3".as_slice()),
            Scalar::from(b"3.0".as_slice()),
        ] {
            assert_type_error(column, bad);
        }
    }
}

#[test]
fn predicate_evaluation_string_and_bytes() {
    for column in ["unicode", "bytes"] {
        validate_pushdown(column, Scalar::from("3")).unwrap();
        validate_pushdown(column, Scalar::from(b"3".as_slice())).unwrap();
        assert_type_error(column, Scalar::Int(3));
        assert_type_error(column, Scalar::Float(3.0));
    }
}

#[test]
fn predicate_evaluation_date() {
    // Row 3 is 2018-01-05 (day % 31 in the test data).
    validate_pushdown("date", Scalar::Date(17536)).unwrap();
    validate_pushdown("date", Scalar::from("2018-01-05")).unwrap();
    for bad in [
        Scalar::Timestamp {
            value: 1_514_768_460,
            unit: TimeUnit::Second,
            tz: None,
        },
        Scalar::Int(3),
        Scalar::Float(3.0),
        Scalar::from("3"),
        Scalar::from("3.0"),
        // plateau decodes bytes for date columns; we do not (bytes are not text).
        Scalar::from(b"2018-01-05".as_slice()),
        Scalar::from(b"3".as_slice()),
    ] {
        assert_type_error("date", bad);
    }
}

#[test]
fn predicate_evaluation_datetime() {
    let seconds = 1_515_110_400i64; // 2018-01-05T00:00:00
    for (value, unit) in [
        (seconds, TimeUnit::Second),
        (seconds * 1_000, TimeUnit::Millisecond),
        (seconds * 1_000_000, TimeUnit::Microsecond),
        (seconds * 1_000_000_000, TimeUnit::Nanosecond),
    ] {
        validate_pushdown(
            "datetime64",
            Scalar::Timestamp {
                value,
                unit,
                tz: None,
            },
        )
        .unwrap();
    }
    // Strings are timestamps for us (plateau's pushdown rejects them).
    validate_pushdown("datetime64", Scalar::from("2018-01-05 00:00:00")).unwrap();
    for bad in [
        Scalar::Date(17535),
        Scalar::Int(1),
        Scalar::Float(1.0),
        Scalar::from(b"2018-01-04".as_slice()),
    ] {
        assert_type_error("datetime64", bad);
    }
}

#[test]
fn pushdown_binaries() {
    // plateau's test_pushdown_binaries, including the values with NUL bytes it cannot handle.
    let data = dataframe_not_nested();
    let column = data.column_by_name("bytes").unwrap();
    let values = column.as_any().downcast_ref::<BinaryArray>().unwrap();
    for chunk_size in [Some(1), Some(5), None] {
        let bytes = write(&data, chunk_size);
        for (i, value) in values.iter().flatten().enumerate() {
            let options = ReadOptions::default().predicates(Predicates::all(
                Conjunction::new().with("bytes", Op::Eq, value.to_vec()),
            ));
            let read = restore(&bytes, &options);
            assert_eq!(read, data.slice(i, 1), "value {value:?}");
        }
    }
}

#[test]
fn bool_columns() {
    let data = dataframe_not_nested();
    let bytes = write(&data, Some(5));
    assert_eq!(pruned(&bytes, "bool == true"), [0]);
    assert_eq!(pruned(&bytes, "bool != true"), [1]);
    assert_eq!(pruned(&bytes, "bool < true"), [1]);
}
