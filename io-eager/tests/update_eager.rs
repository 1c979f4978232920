//! `update_dataset_from_dataframes` end to end: append, delete scope, index maintenance and
//! compare-and-swap.
#![allow(clippy::unwrap_used, clippy::cloned_ref_to_slice_refs)]

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch};
use arrow::datatypes::DataType;
use plateau_core::{Error, Predicates, Store};
use plateau_io_eager::*;
use plateau_metadata::DatasetFactory;

fn frame(p: &[i64], x: &[i64]) -> RecordBatch {
    RecordBatch::try_from_iter([
        ("p", Arc::new(Int64Array::from(p.to_vec())) as ArrayRef),
        ("x", Arc::new(Int64Array::from(x.to_vec())) as ArrayRef),
    ])
    .unwrap()
}

fn sorted_ints(batch: &RecordBatch, name: &str) -> Vec<i64> {
    let column =
        arrow::compute::cast(batch.column_by_name(name).unwrap(), &DataType::Int64).unwrap();
    let mut v = column
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap()
        .values()
        .to_vec();
    v.sort();
    v
}

#[test]
fn update_creates_appends_and_deletes() {
    let store = Store::memory();
    let factory = DatasetFactory::new(store.clone(), "uuid");
    let options = UpdateOptions::default()
        .partition_on(["p"])
        .secondary_indices(["x"]);
    update_dataset_from_dataframes(&factory, &[frame(&[1, 2], &[10, 20])], &options).unwrap();
    let scope: DeleteScope = vec![("x".to_owned(), 10i64.into())];
    let updated = update_dataset_from_dataframes(
        &factory,
        &[frame(&[3], &[30])],
        &UpdateOptions::default().delete_scope(vec![scope]),
    )
    .unwrap();
    assert_eq!(updated.partitions.len(), 2);
    let table = read_table(&factory, &ReadOptions::default()).unwrap();
    assert_eq!(sorted_ints(&table, "x"), [20, 30]);
    // The index was maintained for the new partition without being named.
    let found = read_dataset_as_dataframes(
        &factory,
        &ReadOptions::default().predicates(Predicates::parse("x == 30").unwrap()),
    )
    .unwrap();
    assert_eq!(found.len(), 1);

    let err = update_dataset_from_dataframes(
        &factory,
        &[],
        &UpdateOptions::default().add_delete_scope([("nope", 1i64)]),
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)));
}

#[test]
fn stale_factory_loses_the_race() {
    let store = Store::memory();
    store_dataframes_as_dataset(
        &store,
        "uuid",
        &[frame(&[1], &[1])],
        &StoreOptions::default(),
    )
    .unwrap();
    let a = DatasetFactory::new(store.clone(), "uuid");
    let b = DatasetFactory::new(store.clone(), "uuid");
    a.metadata().unwrap();
    b.metadata().unwrap();
    update_dataset_from_dataframes(&a, &[frame(&[2], &[2])], &UpdateOptions::default()).unwrap();
    let no_retry = UpdateOptions::default().retry(plateau_io::retry::RetryPolicy::none());
    let err = update_dataset_from_dataframes(&b, &[frame(&[3], &[3])], &no_retry).unwrap_err();
    assert!(matches!(err, Error::CommitConflict { .. }));
    let table = read_table(
        &DatasetFactory::new(store.clone(), "uuid"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(sorted_ints(&table, "x"), [1, 2]);
    // With the default policy a stale append is retried on top of the winner.
    let c = DatasetFactory::new(store.clone(), "uuid");
    c.metadata().unwrap();
    update_dataset_from_dataframes(&a, &[frame(&[4], &[4])], &UpdateOptions::default()).unwrap();
    update_dataset_from_dataframes(&c, &[frame(&[5], &[5])], &UpdateOptions::default()).unwrap();
    let table = read_table(&DatasetFactory::new(store, "uuid"), &ReadOptions::default()).unwrap();
    assert_eq!(sorted_ints(&table, "x"), [1, 2, 4, 5]);
}

/// Every failure point of an update (with a delete scope and index maintenance) leaves the
/// dataset readable in either the old or the new state: data and index files are written
/// before the metadata file, which is the commit.
#[test]
fn a_failure_anywhere_leaves_the_old_or_the_new_dataset() {
    use plateau_testing::stores::{Fault, StoreKind};
    for kind in StoreKind::ALL {
        let mut n = 0;
        loop {
            let temp = kind.fresh();
            let store = temp.store().clone();
            let options = StoreOptions::default()
                .partition_on(["p"])
                .secondary_indices(["x"]);
            store_dataframes_as_dataset(&store, "uuid", &[frame(&[1, 2], &[10, 20])], &options)
                .unwrap();
            let faulty = temp.faulty();
            faulty.arm(Fault::FailAt(n));
            let factory = DatasetFactory::new(faulty.store(), "uuid");
            let result = update_dataset_from_dataframes(
                &factory,
                &[frame(&[3, 1], &[30, 40])],
                &UpdateOptions::default().add_delete_scope([("x", 10i64)]),
            );
            let attempted = faulty.mutations();
            let table = read_table(
                &DatasetFactory::new(store.clone(), "uuid"),
                &ReadOptions::default(),
            )
            .unwrap();
            let x = sorted_ints(&table, "x");
            match result {
                Ok(_) => {
                    assert_eq!(x, [20, 30, 40], "{kind:?}: success at n={n}");
                    break;
                }
                Err(_) => assert_eq!(
                    x,
                    [10, 20],
                    "{kind:?}: failure at mutation {n} of {attempted}"
                ),
            }
            // The index files the metadata references exist and agree with the rows.
            let found = read_dataset_as_dataframes(
                &DatasetFactory::new(store.clone(), "uuid"),
                &ReadOptions::default().predicates(Predicates::parse("x == 20").unwrap()),
            )
            .unwrap();
            assert_eq!(found.len(), 1);
            n += 1;
            assert!(n < 50, "the update never succeeded");
        }
        assert!(
            n >= 4,
            "{kind:?}: data files, index file and metadata were all failure points ({n})"
        );
    }
}
