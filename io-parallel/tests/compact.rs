#![allow(clippy::unwrap_used)]
//! The parallel compaction against the eager one: same plan, same rows in the same order,
//! same indices (labels aside), for several pool sizes.

use std::sync::Arc;

use arrow::array::{Int64Array, RecordBatch, StringArray};
use plateau_core::{Error, Predicates, Store};
use plateau_io::compact::{CompactOptions, TargetSize};
use plateau_io::read::{read_table, ReadOptions};
use plateau_io::update::{update_dataset, UpdateOptions};
use plateau_io::write::{store_dataset, StoreOptions};
use plateau_io_parallel::{compact, ParallelOptions};
use plateau_metadata::DatasetFactory;

/// 3 × 2 key combinations, each written by 1 + `updates` small commits, indexed on `k`.
fn dataset(store: &Store, updates: i64) -> DatasetFactory {
    let frame = |round: i64| {
        let rows: Vec<i64> = (0..12).collect();
        RecordBatch::try_from_iter([
            (
                "p",
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r % 3))) as _,
            ),
            (
                "q",
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| {
                    if r % 2 == 0 {
                        "a"
                    } else {
                        "b"
                    }
                }))) as _,
            ),
            (
                "k",
                Arc::new(Int64Array::from_iter_values(
                    rows.iter().map(|r| (round * 7 + r) % 10),
                )) as _,
            ),
            (
                "x",
                Arc::new(Int64Array::from_iter(
                    rows.iter().map(|r| (r % 5 != 0).then_some(round * 100 + r)),
                )) as _,
            ),
        ])
        .unwrap()
    };
    let options = StoreOptions::default()
        .partition_on(["p", "q"])
        .secondary_indices(["k"]);
    store_dataset(store, "c", &[frame(0)], &options).unwrap();
    let factory = DatasetFactory::new(store.clone(), "c");
    for round in 1..=updates {
        update_dataset(&factory, &[frame(round)], &UpdateOptions::default()).unwrap();
    }
    DatasetFactory::new(store.clone(), "c")
}

/// Each index as value → how many partitions hold it (labels are random).
fn index_shape(factory: &DatasetFactory) -> Vec<(String, Vec<(String, usize)>)> {
    let metadata = factory.load_all_indices().unwrap();
    let mut shape: Vec<(String, Vec<(String, usize)>)> = metadata
        .indices
        .keys()
        .map(|column| {
            let entries = metadata.loaded_index(column).unwrap().entries().unwrap();
            let counts = entries
                .into_iter()
                .map(|(value, labels)| (format!("{value:?}"), labels.len()))
                .collect();
            (column.clone(), counts)
        })
        .collect();
    shape.sort();
    shape
}

/// Per group: its key, file count and the sizes of its bins in files.
fn plan_shape(plan: &plateau_io::compact::CompactionPlan) -> Vec<(String, usize, Vec<usize>)> {
    plan.groups
        .iter()
        .map(|g| {
            let bins = g.bins.iter().map(|b| b.files.len()).collect();
            (g.key.clone(), g.files, bins)
        })
        .collect()
}

#[test]
fn parallel_compaction_equals_eager() {
    let options = CompactOptions::default().sort_by(["x"]);
    let eager_store = Store::memory();
    let eager = dataset(&eager_store, 9);
    let expected = plateau_io::compact::compact(&eager, &options).unwrap();
    assert_eq!((expected.removed, expected.written), (60, 6));
    let expected_table = read_table(&eager, &ReadOptions::default()).unwrap();
    assert_eq!(expected_table.num_rows(), 120);
    for threads in [1, 2, 5] {
        let store = Store::memory();
        let factory = dataset(&store, 9);
        let parallel = ParallelOptions::with_threads(threads).unwrap();
        let report = compact::compact(&factory, &options, &parallel).unwrap();
        assert_eq!(
            (report.removed, report.written),
            (60, 6),
            "{threads} threads"
        );
        assert_eq!(plan_shape(&report.plan), plan_shape(&expected.plan));
        let metadata = factory.metadata().unwrap();
        assert_eq!(metadata.partitions.len(), 6);
        let table = read_table(&factory, &ReadOptions::default()).unwrap();
        assert_eq!(table, expected_table, "{threads} threads");
        assert_eq!(index_shape(&factory), index_shape(&eager));
    }
}

#[test]
fn parallel_compaction_errors_and_partial_plans() {
    let store = Store::memory();
    let factory = dataset(&store, 3);
    let parallel = ParallelOptions::with_threads(2).unwrap();
    let keys_before = store.list_keys("").unwrap();
    let bad = CompactOptions::default().predicates(Predicates::parse("x == 1").unwrap());
    let err = compact::compact(&factory, &bad, &parallel).unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err}");
    let bad = CompactOptions::default().sort_by(["nope"]);
    let err = compact::compact(&factory, &bad, &parallel).unwrap_err();
    assert!(matches!(err, Error::ColumnNotFound { .. }), "{err}");
    assert_eq!(store.list_keys("").unwrap(), keys_before, "nothing written");

    // Only `p == 1`, and a row target that merges pairs of files (12 rows ÷ 6 combinations
    // = 2 rows per file).
    let options = CompactOptions::default()
        .predicates(Predicates::parse("p == 1").unwrap())
        .target(TargetSize::Rows(4));
    let before = factory.metadata().unwrap();
    let report = compact::compact(&factory, &options, &parallel).unwrap();
    assert_eq!(report.plan.groups.len(), 2);
    assert_eq!((report.removed, report.written), (8, 4));
    let after = factory.metadata().unwrap();
    for (label, partition) in &before.partitions {
        if !label.starts_with("p=1/") {
            assert_eq!(after.partitions.get(label), Some(partition), "{label} kept");
        }
    }
    assert_eq!(after.partitions.len(), before.partitions.len() - 4);
    let table = read_table(&factory, &ReadOptions::default()).unwrap();
    assert_eq!(table.num_rows(), 48);
}
