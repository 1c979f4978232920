//! Pruning never changes results: for random data in several row groups, random predicates
//! over all nine operators and random projections, reading with pushdown, reading without,
//! and filtering the whole batch in memory give the same rows. The same holds for files of
//! many small data pages, with and without a page index, where pushdown also prunes pages
//! and filters rows in the reader (late materialisation), also of categorical columns.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod parquet_support;

use std::sync::Arc;

use arrow::array::{
    ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow::datatypes::TimeUnit;
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet_support::batch;
use plateau_core::{Conjunction, Literal, Op, Predicates, Scalar, Value};
use plateau_serialization::filter::{filter_batch, EvalOptions};
use plateau_serialization::{ParquetSerializer, ReadOptions, Serializer};
use proptest::prelude::*;

/// One generated row.
#[derive(Clone, Debug)]
struct Row {
    i: Option<i64>,
    f: Option<f64>,
    s: Option<String>,
    d: Option<i32>,
    t: Option<i64>,
}

const MICROS_PER_DAY: i64 = 86_400_000_000;

fn row() -> impl Strategy<Value = Row> {
    (
        proptest::option::weighted(0.85, -5i64..5),
        // NaN is null for plateau; -0.0 and infinities test the bounds.
        proptest::option::weighted(
            0.85,
            prop_oneof![
                6 => (-4i32..4).prop_map(|v| f64::from(v) / 2.0),
                1 => Just(f64::NAN),
                1 => Just(-0.0),
                1 => Just(f64::INFINITY),
            ],
        ),
        proptest::option::weighted(0.85, "[a-c]{0,2}"),
        proptest::option::weighted(0.85, 0i32..6),
        proptest::option::weighted(0.85, (0i64..6).prop_map(|v| v * MICROS_PER_DAY / 2)),
    )
        .prop_map(|(i, f, s, d, t)| Row { i, f, s, d, t })
}

fn to_batch(rows: &[Row]) -> RecordBatch {
    batch(vec![
        (
            "i",
            Arc::new(rows.iter().map(|r| r.i).collect::<Int64Array>()) as ArrayRef,
        ),
        (
            "f",
            Arc::new(rows.iter().map(|r| r.f).collect::<Float64Array>()),
        ),
        (
            "s",
            Arc::new(rows.iter().map(|r| r.s.clone()).collect::<StringArray>()),
        ),
        (
            "d",
            Arc::new(rows.iter().map(|r| r.d).collect::<Date32Array>()),
        ),
        (
            "t",
            Arc::new(
                rows.iter()
                    .map(|r| r.t)
                    .collect::<TimestampMicrosecondArray>()
                    .with_timezone("UTC"),
            ),
        ),
    ])
}

/// A non-null value for `column`, from the same small domain as the data (and a little
/// beyond it).
fn value_for(column: &'static str) -> BoxedStrategy<Scalar> {
    match column {
        "i" => prop_oneof![
            (-6i64..6).prop_map(Scalar::Int),
            (0u64..6).prop_map(Scalar::UInt)
        ]
        .boxed(),
        "f" => prop_oneof![
            6 => (-5i32..5).prop_map(|v| Scalar::Float(f64::from(v) / 2.0)),
            1 => Just(Scalar::Float(f64::INFINITY)),
            1 => Just(Scalar::Float(-0.0)),
        ]
        .boxed(),
        "s" => "[a-d]{0,2}".prop_map(Scalar::String).boxed(),
        "d" => prop_oneof![
            (-1i32..7).prop_map(Scalar::Date),
            (0i32..6).prop_map(|d| Scalar::String(format!("1970-01-0{}", d + 1))),
        ]
        .boxed(),
        _ => (
            -1i64..7,
            prop_oneof![
                Just(TimeUnit::Second),
                Just(TimeUnit::Millisecond),
                Just(TimeUnit::Microsecond),
                Just(TimeUnit::Nanosecond)
            ],
            any::<bool>(),
        )
            .prop_map(|(half_days, unit, offset)| {
                // Half days, sometimes off by one unit of the literal: a value between rows.
                let nanos = i128::from(half_days) * 43_200_000_000_000;
                let per_unit = Scalar::timestamp_nanos(1, unit);
                let value = i64::try_from(nanos / per_unit).unwrap_or(0) + i64::from(offset);
                Scalar::Timestamp {
                    value,
                    unit,
                    tz: None,
                }
            })
            .boxed(),
    }
}

/// A null literal value: `Null`, or NaN (plateau treats both as missing).
fn null_value(column: &'static str) -> BoxedStrategy<Scalar> {
    if column == "f" {
        prop_oneof![Just(Scalar::Null), Just(Scalar::Float(f64::NAN))].boxed()
    } else {
        Just(Scalar::Null).boxed()
    }
}

fn literal() -> impl Strategy<Value = Literal> {
    (
        prop_oneof![Just("i"), Just("f"), Just("s"), Just("d"), Just("t")],
        proptest::sample::select(Op::ALL.to_vec()),
    )
        .prop_flat_map(|(column, op)| {
            let value: BoxedStrategy<Value> = if op.takes_list() {
                proptest::collection::vec(
                    prop_oneof![4 => value_for(column), 1 => null_value(column)],
                    0..4,
                )
                .prop_map(Value::List)
                .boxed()
            } else if op.accepts_null() {
                prop_oneof![4 => value_for(column), 1 => null_value(column)]
                    .prop_map(Value::Scalar)
                    .boxed()
            } else {
                value_for(column).prop_map(Value::Scalar).boxed()
            };
            value.prop_map(move |value| Literal {
                column: column.to_owned(),
                op,
                value,
            })
        })
}

fn predicates() -> impl Strategy<Value = Predicates> {
    proptest::collection::vec(
        proptest::collection::vec(literal(), 1..4).prop_map(Conjunction::from),
        1..4,
    )
    .prop_map(Predicates::new)
}

/// Sorts `rows` by the column `by`, if any: sorted columns give tight statistics, so
/// pruning actually happens.
fn sort_rows(rows: &mut [Row], by: Option<&str>) {
    match by {
        Some("i") => rows.sort_by_key(|r| r.i),
        Some("f") => rows.sort_by(|a, b| match (a.f, b.f) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (x, y) => x.is_some().cmp(&y.is_some()),
        }),
        Some("s") => rows.sort_by(|a, b| a.s.cmp(&b.s)),
        Some("d") => rows.sort_by_key(|r| r.d),
        Some(_) => rows.sort_by_key(|r| r.t),
        None => {}
    }
}

fn column_name() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("i"), Just("f"), Just("s"), Just("d"), Just("t")]
}

fn projection() -> impl Strategy<Value = Option<Vec<&'static str>>> {
    proptest::option::of(
        proptest::sample::subsequence(vec!["i", "f", "s", "d", "t"], 0..=5).prop_shuffle(),
    )
}

/// `data` as Parquet with row groups of `chunk_size` rows and data pages of at most
/// `page_rows` rows; with a page index if `page_index`.
fn write_paged(
    data: &RecordBatch,
    chunk_size: usize,
    page_rows: usize,
    page_index: bool,
    dictionary: bool,
) -> Bytes {
    let statistics = if page_index {
        EnabledStatistics::Page
    } else {
        EnabledStatistics::Chunk
    };
    let properties = WriterProperties::builder()
        .set_max_row_group_row_count(Some(chunk_size))
        .set_data_page_row_count_limit(page_rows)
        // The page row limit is checked once per write batch.
        .set_write_batch_size(page_rows)
        .set_statistics_enabled(statistics)
        .set_dictionary_enabled(dictionary)
        .build();
    let mut buffer = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut buffer, data.schema(), Some(properties)).unwrap();
    writer.write(data).unwrap();
    writer.close().unwrap();
    Bytes::from(buffer)
}

/// The rows of `data` that `predicates` select, in memory, with the columns `columns`.
fn expected(data: &RecordBatch, predicates: &Predicates, columns: Option<&[&str]>) -> RecordBatch {
    let filtered = filter_batch(data, predicates, &EvalOptions::default()).unwrap();
    match columns {
        None => filtered,
        Some(names) => {
            let indices: Vec<usize> = names
                .iter()
                .map(|n| data.schema().index_of(n).unwrap())
                .collect();
            filtered.project(&indices).unwrap()
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn pruning_never_changes_results(
        rows in proptest::collection::vec(row(), 0..60),
        sort_by in proptest::option::of(column_name()),
        chunk_size in 1usize..12,
        predicates in predicates(),
        columns in projection(),
    ) {
        let mut rows = rows;
        sort_rows(&mut rows, sort_by);
        let data = to_batch(&rows);
        let serializer = ParquetSerializer::default().with_chunk_size(Some(chunk_size)).unwrap();
        let bytes = serializer.serialize(&data).unwrap();
        let expected = expected(&data, &predicates, columns.as_deref());
        let mut options = ReadOptions::default().predicates(predicates.clone());
        options.columns = columns.map(|names| names.into_iter().map(String::from).collect());
        let with = serializer.deserialize(bytes.clone(), "p.parquet", &options).unwrap();
        let without = serializer
            .deserialize(bytes, "p.parquet", &options.clone().predicate_pushdown(false))
            .unwrap();
        prop_assert_eq!(&with, &expected, "with pushdown, predicates {}", predicates);
        prop_assert_eq!(&without, &expected, "without pushdown, predicates {}", predicates);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn paged_files_read_the_same_with_and_without_pushdown(
        rows in proptest::collection::vec(row(), 0..80),
        sort_by in proptest::option::of(column_name()),
        chunk_size in 1usize..40,
        page_rows in 1usize..6,
        page_index in proptest::bool::weighted(0.8),
        dictionary in any::<bool>(),
        predicates in predicates(),
        columns in projection(),
        categoricals in proptest::sample::subsequence(vec!["i", "s", "d", "t"], 0..=2),
    ) {
        let mut rows = rows;
        sort_rows(&mut rows, sort_by);
        let data = to_batch(&rows);
        let bytes = write_paged(&data, chunk_size, page_rows, page_index, dictionary);
        let mut options = ReadOptions::default()
            .predicates(predicates.clone())
            .categoricals(categoricals.iter().copied());
        options.columns = columns
            .as_ref()
            .map(|names| names.iter().map(|n| (*n).to_owned()).collect());
        let serializer = ParquetSerializer::default();
        let with = serializer.deserialize(bytes.clone(), "p.parquet", &options).unwrap();
        let without = serializer
            .deserialize(bytes, "p.parquet", &options.clone().predicate_pushdown(false))
            .unwrap();
        // Equal batches also have equal schemas: column order, types, dictionaries.
        prop_assert_eq!(&with, &without, "predicates {}", predicates);
        if categoricals.is_empty() {
            let expected = expected(&data, &predicates, columns.as_deref());
            prop_assert_eq!(&with, &expected, "predicates {}", predicates);
        }
    }
}
