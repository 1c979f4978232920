//! Index hot paths: loading a 1,000,000-value index over 10,000 partitions from Parquet
//! bytes, evaluating literals on it, building an index from a 1,000,000-row column and merging
//! 10,000 one-partition indices.
//!
//! `cargo bench -p plateau-index --bench index`

use std::hint::black_box;

use arrow::array::{Int64Array, StringArray};
use arrow::datatypes::DataType;
use bytes::Bytes;
use criterion::Criterion;
use plateau_core::{Op, Scalar, Value};
use plateau_index::{Index, IndexKind};
use plateau_serialization::filter::EvalOptions;

const VALUES: i64 = 1_000_000;
const PARTITIONS: i64 = 10_000;

fn label(p: i64) -> String {
    format!("part={p}/0123456789abcdef0123456789abcdef")
}

/// A pseudo-random partition for a value (splitmix64), so that row groups reference the
/// labels in unrelated orders.
fn random_partition(v: i64) -> i64 {
    let mut z = (v as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((z ^ (z >> 31)) % PARTITIONS as u64) as i64
}

/// A 1,000,000-value index, one partition per value. `scattered`: each value lives in a
/// random partition, so every 10,000-row group references ~6,300 of the 10,000 labels (the
/// worst case for the label dictionary: a high-cardinality column over date partitions);
/// otherwise each partition holds a contiguous range of values.
fn big_index(scattered: bool) -> Index {
    let partition = |v: i64| {
        if scattered {
            random_partition(v)
        } else {
            v / (VALUES / PARTITIONS)
        }
    };
    Index::from_entries(
        "k",
        IndexKind::Secondary,
        &DataType::Int64,
        (0..VALUES).map(|v| (Scalar::Int(v), [label(partition(v))])),
    )
    .expect("valid entries")
}

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    for (name, scattered) in [
        ("1m_values_10k_partitions_clustered", false),
        ("1m_values_10k_partitions_scattered", true),
    ] {
        let bytes: Bytes = big_index(scattered).to_parquet().expect("writes");
        group.bench_function(name, |b| {
            b.iter(|| Index::from_parquet("k", black_box(bytes.clone()), "bench").expect("reads"))
        });
    }
    group.finish();
}

fn eval(c: &mut Criterion) {
    let index = big_index(true);
    let options = EvalOptions::default().strict_date_types(false);
    let mut group = c.benchmark_group("eval_1m");
    group.sample_size(10);
    group.bench_function("eq", |b| {
        let value = Value::from(123_456);
        b.iter(|| {
            index
                .eval(Op::Eq, black_box(&value), &options)
                .expect("evaluates")
        })
    });
    group.bench_function("in_100", |b| {
        let value = Value::from((0..100).map(|i| i * 9_973).collect::<Vec<i64>>());
        b.iter(|| {
            index
                .eval(Op::In, black_box(&value), &options)
                .expect("evaluates")
        })
    });
    group.bench_function("range_ge_and_lt", |b| {
        let low = Value::from(400_000);
        let high = Value::from(600_000);
        b.iter(|| {
            let mut set = index
                .eval(Op::Ge, black_box(&low), &options)
                .expect("evaluates");
            set.intersect_with(
                &index
                    .eval(Op::Lt, black_box(&high), &options)
                    .expect("evaluates"),
            );
            set
        })
    });
    group.finish();
}

fn build(c: &mut Criterion) {
    let mut group = c.benchmark_group("from_array_1m_rows");
    group.sample_size(10);
    // A permutation of 0..1M: every value distinct, nothing sorted.
    let ints = Int64Array::from_iter_values((0..VALUES).map(|i| (i * 7_919) % VALUES));
    group.bench_function("int64_all_distinct", |b| {
        b.iter(|| Index::from_array("x", black_box(&ints), "part").expect("builds"))
    });
    let repeated = Int64Array::from_iter_values((0..VALUES).map(|i| (i * 7_919) % 1_000));
    group.bench_function("int64_1000_distinct", |b| {
        b.iter(|| Index::from_array("x", black_box(&repeated), "part").expect("builds"))
    });
    let strings = StringArray::from_iter_values(
        (0..VALUES).map(|i| format!("value-{}", (i * 7_919) % 1_000)),
    );
    group.bench_function("string_1000_distinct", |b| {
        b.iter(|| Index::from_array("x", black_box(&strings), "part").expect("builds"))
    });
    group.finish();
}

fn merge(c: &mut Criterion) {
    let mut group = c.benchmark_group("merge_all");
    group.sample_size(10);
    // 10,000 written partitions of 100 rows each, values overlapping between partitions.
    let parts: Vec<Index> = (0..PARTITIONS)
        .map(|p| {
            let column =
                Int64Array::from_iter_values((0..100).map(|i| (p * 37 + i * 101) % 200_000));
            Index::from_array("x", &column, &label(p)).expect("builds")
        })
        .collect();
    group.bench_function("10k_single_partition_indices", |b| {
        b.iter(|| Index::merge_all(black_box(parts.clone())).expect("merges"))
    });
    group.finish();
}

// `criterion_group!` would define an undocumented `pub fn`; this is what it and
// `criterion_main!` expand to.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    load(&mut criterion);
    eval(&mut criterion);
    build(&mut criterion);
    merge(&mut criterion);
    criterion.final_summary();
}
