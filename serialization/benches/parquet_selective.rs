//! Selective reads of one large file: 2,000,000 rows × 7 columns, written by
//! `ParquetSerializer::default()` (two row groups, data pages of 20,000 rows, page index),
//! read with `restore` from a memory store (footer prefetch, then one ranged read).
//!
//! `cargo bench -p plateau-serialization --bench parquet_selective`
//!
//! * `sorted_1pct`: `id` (sorted) in a window of 20,000 rows, four other columns: row-group
//!   statistics keep one row group, its page index one page of it;
//! * `scattered_1pct`: `bucket` (scrambled, 100 values) equal to one value, four other
//!   columns: statistics prune nothing, the reader's filter decodes the other columns for
//!   the 1% of matching rows only;
//! * `scattered_50pct`: `bucket` below 50: the filter's worst case where it does not pay;
//! * `scattered_50pct_with_predicate_column`: the same, `bucket` also returned (decoded
//!   once to filter and again for the result);
//! * `*_no_pushdown`: the same reads with `predicate_pushdown = false` (decode all, filter
//!   after).
//!
//! The public API only, so the same file runs on older commits for before/after figures.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use arrow::array::{
    ArrayRef, DictionaryArray, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow::datatypes::Int32Type;
use criterion::{criterion_group, criterion_main, Criterion};
use parquet::file::metadata::ParquetMetaDataReader;
use plateau_core::{Predicates, Store};
use plateau_serialization::parquet::FOOTER_PREFETCH;
use plateau_serialization::{ParquetSerializer, ReadOptions, Serializer};

const ROWS: i64 = 2_000_000;

/// A cheap deterministic scramble, so columns are not trivially compressible.
fn mix(i: i64) -> u64 {
    (i as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(29)
}

fn data() -> RecordBatch {
    let cat: DictionaryArray<Int32Type> = (0..ROWS)
        .map(|i| ["red", "green", "blue", "cyan", "magenta", "yellow"][(mix(i + 1) % 6) as usize])
        .collect();
    RecordBatch::try_from_iter([
        (
            "id",
            Arc::new(Int64Array::from_iter_values(0..ROWS)) as ArrayRef,
        ),
        (
            "bucket",
            Arc::new(Int64Array::from_iter_values(
                (0..ROWS).map(|i| (mix(i) % 100) as i64),
            )),
        ),
        (
            "noise",
            Arc::new(Int64Array::from_iter_values(
                (0..ROWS).map(|i| mix(i + 7) as i64),
            )),
        ),
        (
            "f64",
            Arc::new(Float64Array::from_iter_values(
                (0..ROWS).map(|i| (mix(i + 3) % 100_000) as f64 / 7.0),
            )),
        ),
        (
            "text",
            Arc::new(StringArray::from_iter_values(
                (0..ROWS).map(|i| format!("value_{:06}", mix(i + 5) % 100_000)),
            )),
        ),
        (
            "at",
            Arc::new(TimestampMicrosecondArray::from_iter_values((0..ROWS).map(
                |i| 1_600_000_000_000_000 + (mix(i + 9) % 1_000_000_000) as i64,
            ))),
        ),
        ("cat", Arc::new(cat)),
    ])
    .expect("valid batch")
}

/// Checks that the page index lies in the end of the file a read fetches for the footer,
/// where a read from a store can use it.
fn assert_page_index_in_prefetch(store: &Store, key: &str) {
    let bytes = store.get(key).expect("get");
    let metadata = ParquetMetaDataReader::new()
        .parse_and_finish(&bytes)
        .expect("footer");
    let start = metadata
        .row_groups()
        .iter()
        .flat_map(|rg| rg.columns())
        .filter_map(|c| c.column_index_offset())
        .filter_map(|offset| u64::try_from(offset).ok())
        .min()
        .expect("a page index");
    let size = bytes.len() as u64;
    assert!(
        start >= size - FOOTER_PREFETCH,
        "page index starts {} bytes before the end",
        size - start
    );
}

fn read(predicates: &str, columns: &[&str], pushdown: bool) -> ReadOptions {
    ReadOptions::default()
        .columns(columns.iter().copied())
        .predicates(Predicates::parse(predicates).expect("parse"))
        .predicate_pushdown(pushdown)
}

fn bench(c: &mut Criterion) {
    let serializer = ParquetSerializer::default();
    let store = Store::memory();
    let key = serializer.store(&store, "big", &data()).expect("store");
    assert_page_index_in_prefetch(&store, &key);
    let others = ["noise", "f64", "text", "cat"];
    let cases: [(&str, &str, Vec<&str>, usize); 4] = [
        (
            "sorted_1pct",
            "id >= 1000000 and id < 1020000",
            others.to_vec(),
            20_000,
        ),
        ("scattered_1pct", "bucket == 7", others.to_vec(), 0),
        ("scattered_50pct", "bucket < 50", others.to_vec(), 0),
        (
            "scattered_50pct_with_predicate_column",
            "bucket < 50",
            ["bucket", "noise", "f64", "text", "cat"].to_vec(),
            0,
        ),
    ];

    let mut group = c.benchmark_group("parquet_selective");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for (name, predicates, columns, rows) in &cases {
        for pushdown in [true, false] {
            let options = read(predicates, columns, pushdown);
            let result = serializer.restore(&store, &key, &options).expect("restore");
            if *rows > 0 {
                assert_eq!(result.num_rows(), *rows);
            }
            let label = if pushdown {
                (*name).to_owned()
            } else {
                format!("{name}_no_pushdown")
            };
            group.bench_function(label, |b| {
                b.iter(|| serializer.restore(&store, &key, &options).expect("restore"))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
