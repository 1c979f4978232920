//! `ParquetSerializer` on 1,000,000 rows × 8 mixed columns, against plain arrow-rs.
//!
//! `cargo bench -p plateau-serialization --bench parquet_round_trip`
//!
//! * `serialize`: default options (snappy, one row group);
//! * `deserialize_full`: every row and column from in-memory bytes (the dictionary column
//!   decoded to strings, as plateau returns it);
//! * `deserialize_full_color_categorical`: the same, keeping the dictionary column encoded;
//! * `arrow_rs_baseline_full`: the same bytes through `ParquetRecordBatchReaderBuilder`
//!   (default batch size, concatenated), i.e. what plateau's layer costs on top;
//! * `restore_projection_2_columns`: two columns from a memory store (footer + ranged read);
//! * `restore_predicate_pruned`: `id` in a 10,000-row window of a file with 50,000-row row
//!   groups sorted by `id`: pruning leaves one row group of 20;
//! * `arrow_rs_baseline_one_row_group`: decoding that one row group with plain arrow-rs.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, DictionaryArray, Float64Array, Int32Array, Int64Array,
    RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow::compute::concat_batches;
use arrow::datatypes::Int32Type;
use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use plateau_core::{Predicates, Store};
use plateau_serialization::{ParquetSerializer, ReadOptions, Serializer};

const ROWS: usize = 1_000_000;

/// A cheap deterministic scramble, so columns are not trivially compressible.
fn mix(i: usize) -> u64 {
    (i as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(29)
}

fn data() -> RecordBatch {
    let dictionary: DictionaryArray<Int32Type> = (0..ROWS)
        .map(|i| ["red", "green", "blue", "cyan", "magenta", "yellow"][(mix(i) % 6) as usize])
        .collect();
    RecordBatch::try_from_iter([
        (
            "id",
            Arc::new(Int64Array::from_iter_values(0..ROWS as i64)) as ArrayRef,
        ),
        (
            "i32",
            Arc::new(Int32Array::from_iter_values(
                (0..ROWS).map(|i| mix(i) as i32),
            )),
        ),
        (
            "f64",
            Arc::new(Float64Array::from_iter_values(
                (0..ROWS).map(|i| (mix(i) % 100_000) as f64 / 7.0),
            )),
        ),
        (
            "text",
            Arc::new(StringArray::from_iter_values(
                (0..ROWS).map(|i| format!("value_{:04}", mix(i) % 1000)),
            )),
        ),
        (
            "flag",
            Arc::new(BooleanArray::from_iter(
                (0..ROWS).map(|i| Some(mix(i).is_multiple_of(3))),
            )),
        ),
        (
            "day",
            Arc::new(Date32Array::from_iter_values(
                (0..ROWS).map(|i| 18_000 + (i / 1000) as i32),
            )),
        ),
        (
            "at",
            Arc::new(TimestampMicrosecondArray::from_iter_values((0..ROWS).map(
                |i| 1_600_000_000_000_000 + (mix(i) % 1_000_000_000) as i64,
            ))),
        ),
        ("color", Arc::new(dictionary)),
    ])
    .expect("valid batch")
}

fn arrow_rs_read(bytes: Bytes, row_groups: Option<Vec<usize>>) -> RecordBatch {
    let mut builder = ParquetRecordBatchReaderBuilder::try_new(bytes).expect("footer");
    if let Some(row_groups) = row_groups {
        builder = builder.with_row_groups(row_groups);
    }
    let schema = Arc::clone(builder.schema());
    let batches: Vec<RecordBatch> = builder
        .build()
        .expect("reader")
        .collect::<Result<_, _>>()
        .expect("decode");
    concat_batches(&schema, &batches).expect("concat")
}

fn bench(c: &mut Criterion) {
    let data = data();
    let serializer = ParquetSerializer::default();
    let bytes = serializer.serialize(&data).expect("serialize");
    let chunked = ParquetSerializer::default()
        .with_chunk_size(Some(50_000))
        .expect("chunk size");
    let store = Store::memory();
    let key = serializer.store(&store, "full", &data).expect("store");
    let chunked_key = chunked.store(&store, "chunked", &data).expect("store");
    let chunked_bytes = store.get(&chunked_key).expect("get");

    let mut group = c.benchmark_group("parquet_round_trip");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(6));

    group.bench_function("serialize", |b| {
        b.iter(|| serializer.serialize(black_box(&data)).expect("serialize"))
    });
    group.bench_function("deserialize_full", |b| {
        b.iter(|| {
            serializer
                .deserialize(bytes.clone(), "full.parquet", &ReadOptions::default())
                .expect("deserialize")
        })
    });
    // Keeps `color` dictionary-encoded, as arrow-rs returns it: the same output as the
    // baseline, so the difference is the cost of the plateau layer alone.
    let categorical = ReadOptions::default().categoricals(["color"]);
    group.bench_function("deserialize_full_color_categorical", |b| {
        b.iter(|| {
            serializer
                .deserialize(bytes.clone(), "full.parquet", &categorical)
                .expect("deserialize")
        })
    });
    group.bench_function("arrow_rs_baseline_full", |b| {
        b.iter(|| arrow_rs_read(bytes.clone(), None))
    });
    let projection = ReadOptions::default().columns(["text", "f64"]);
    group.bench_function("restore_projection_2_columns", |b| {
        b.iter(|| {
            serializer
                .restore(&store, &key, &projection)
                .expect("restore")
        })
    });
    let selective = ReadOptions::default()
        .predicates(Predicates::parse("id >= 500000 and id < 510000").expect("parse"));
    let read = chunked
        .restore(&store, &chunked_key, &selective)
        .expect("restore");
    assert_eq!(read.num_rows(), 10_000);
    group.bench_function("restore_predicate_pruned", |b| {
        b.iter(|| {
            chunked
                .restore(&store, &chunked_key, &selective)
                .expect("restore")
        })
    });
    group.bench_function("arrow_rs_baseline_one_row_group", |b| {
        b.iter(|| arrow_rs_read(chunked_bytes.clone(), Some(vec![10])))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
