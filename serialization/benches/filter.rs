//! The predicate evaluator on 1,000,000 rows: scalar comparisons, `in` lists of growing
//! length (where the kernels switch from OR-ed comparisons to a hash set), a DNF, and a
//! dictionary column (evaluated on its values, then gathered by key).
//!
//! `cargo bench -p plateau-serialization --bench filter`

use std::sync::Arc;
use std::time::Duration;

use arrow::array::{ArrayRef, DictionaryArray, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::Int32Type;
use criterion::{black_box, Criterion};
use plateau_core::{Conjunction, Op, Predicates, Scalar};
use plateau_serialization::filter::{evaluate, EvalOptions};

const ROWS: usize = 1_000_000;
/// Distinct values of the `int` and `string` columns.
const DISTINCT: u64 = 10_000;

/// A deterministic pseudo-random sequence (64-bit LCG, high bits), so runs compare.
fn pseudo_random(n: usize) -> impl Iterator<Item = u64> {
    let mut state: u64 = 0x853c_49e6_748f_ea9b;
    (0..n).map(move |_| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state >> 33
    })
}

fn key(i: u64) -> String {
    format!("key-{i:05}")
}

fn data() -> RecordBatch {
    let draws: Vec<u64> = pseudo_random(ROWS).map(|r| r % DISTINCT).collect();
    let ints = Int64Array::from_iter_values(draws.iter().map(|d| *d as i64));
    let strings = StringArray::from_iter_values(draws.iter().map(|d| key(*d)));
    // 100 distinct values, the typical shape of a categorical column.
    let labels: Vec<String> = draws.iter().map(|d| key(d % 100)).collect();
    let dictionary: DictionaryArray<Int32Type> = labels.iter().map(String::as_str).collect();
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("int", Arc::new(ints)),
        ("string", Arc::new(strings)),
        ("dictionary", Arc::new(dictionary)),
    ];
    RecordBatch::try_from_iter(columns).expect("columns of equal length")
}

fn one(column: &str, op: Op, value: impl Into<plateau_core::Value>) -> Predicates {
    Predicates::all(Conjunction::new().with(column, op, value))
}

fn bench(c: &mut Criterion) {
    let batch = data();
    let options = EvalOptions::default();
    let mut group = c.benchmark_group("filter_1m");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));

    let mut cases: Vec<(String, Predicates)> = vec![
        ("int64 ==".into(), one("int", Op::Eq, 4_242)),
        ("int64 >=".into(), one("int", Op::Ge, 5_000)),
        ("string ==".into(), one("string", Op::Eq, key(4_242))),
        (
            "dictionary string ==".into(),
            one("dictionary", Op::Eq, key(42)),
        ),
    ];
    for k in [10u64, 100, 1000] {
        // Every seventh value, so about k / DISTINCT of the rows match.
        let ints: Vec<Scalar> = (0..k).map(|i| Scalar::Int((i * 7) as i64)).collect();
        let strings: Vec<Scalar> = (0..k).map(|i| Scalar::from(key(i * 7))).collect();
        cases.push((format!("int64 in {k}"), one("int", Op::In, ints)));
        cases.push((format!("string in {k}"), one("string", Op::In, strings)));
    }
    cases.push((
        "dnf 2x2".into(),
        Predicates::new(vec![
            Conjunction::new()
                .with("int", Op::Ge, 1_000)
                .with("string", Op::Lt, key(5_000)),
            Conjunction::new()
                .with("int", Op::Lt, 100)
                .with("dictionary", Op::Ne, key(3)),
        ]),
    ));

    for (name, predicates) in &cases {
        group.bench_function(name.as_str(), |b| {
            b.iter(|| {
                evaluate(black_box(&batch), black_box(predicates), &options)
                    .expect("valid predicates")
            })
        });
    }
    group.finish();
}

// `criterion_group!` would define an undocumented `pub fn`; this is what it and
// `criterion_main!` expand to.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();
}
