//! The backend-independent suites: plateau's `plateau/io/testing/*.py` (read, write, update,
//! delete, gc, index), `tests/io/eager/test_commit.py` (commit), `tests/io_components/
//! test_read.py` (planning) and crash safety under injected store faults (crash).
//!
//! Every test is a `pub fn test_x(driver: &dyn Driver, kind: StoreKind)` that panics on
//! failure and uses fresh stores of `kind`. [`crate::suite_tests!`] turns all of them into
//! `#[test]`s for a front end. Each suite module lists the Python tests it does not port and
//! why.

pub mod commit;
pub mod crash;
pub mod delete;
pub mod gc;
pub mod index;
pub mod planning;
pub mod read;
pub mod update;
pub mod write;

use arrow::record_batch::RecordBatch;
use plateau_core::{Predicates, Scalar, Store};
use plateau_index::Index;
use plateau_io::read::ReadOptions;
use plateau_metadata::{DatasetFactory, DatasetMetadata};

use crate::compare::Table;

/// A fresh factory (nothing cached) for `uuid`.
pub fn factory(store: &Store, uuid: &str) -> DatasetFactory {
    DatasetFactory::new(store.clone(), uuid)
}

/// Every key in the store, sorted.
pub fn keys(store: &Store) -> Vec<String> {
    #[allow(clippy::expect_used)]
    store.list_keys("").expect("list the store")
}

/// Predicates from their text form.
pub fn predicates(text: &str) -> Predicates {
    #[allow(clippy::expect_used)]
    Predicates::parse(text).expect("valid predicate text")
}

/// The metadata as stored now, with every index loaded.
pub fn stored(store: &Store, uuid: &str) -> DatasetMetadata {
    #[allow(clippy::expect_used)]
    let metadata = factory(store, uuid)
        .load_all_indices()
        .expect("the dataset loads");
    (*metadata).clone()
}

/// The loaded index of `column` (partition key or secondary index) of the stored dataset.
pub fn index(store: &Store, uuid: &str, column: &str) -> Index {
    #[allow(clippy::expect_used)]
    stored(store, uuid)
        .loaded_index(column)
        .cloned()
        .expect("the column is indexed")
}

/// `index_dct` of an index: `(value, sorted labels)` by value.
pub fn index_dct(index: &Index) -> Vec<(Scalar, Vec<String>)> {
    #[allow(clippy::expect_used)]
    index
        .entries()
        .expect("index entries")
        .into_iter()
        .map(|(value, labels)| {
            let mut labels: Vec<String> = labels.into_iter().map(str::to_owned).collect();
            labels.sort();
            (value, labels)
        })
        .collect()
}

/// The labels of `value` in `index` (sorted, empty if absent).
pub fn labels_of(index: &Index, value: &Scalar) -> Vec<String> {
    index_dct(index)
        .into_iter()
        .find(|(v, _)| v == value)
        .map(|(_, l)| l)
        .unwrap_or_default()
}

/// The observed values of an index, in order.
pub fn observed(index: &Index) -> Vec<Scalar> {
    index_dct(index).into_iter().map(|(v, _)| v).collect()
}

/// What tests compare between a returned and a stored metadata (plateau's
/// `DatasetMetadata.__eq__` without the loaded index contents): uuid, partitions,
/// partition keys, user metadata, explicit flag, index columns and keys, table.
pub fn assert_same_metadata(a: &DatasetMetadata, b: &DatasetMetadata) {
    assert_eq!(a.uuid, b.uuid);
    assert_eq!(a.partitions, b.partitions, "partitions");
    assert_eq!(a.partition_keys, b.partition_keys, "partition keys");
    assert_eq!(a.metadata, b.metadata, "user metadata");
    assert_eq!(
        a.explicit_partitions, b.explicit_partitions,
        "explicit partitions"
    );
    assert_eq!(a.table_name, b.table_name, "table name");
    let sources = |m: &DatasetMetadata| {
        m.indices
            .iter()
            .map(|(c, e)| (c.clone(), e.source.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(sources(a), sources(b), "indices");
}

/// The rows of a full `read_table`.
pub fn read_rows(driver: &dyn crate::Driver, store: &Store, uuid: &str) -> Table {
    #[allow(clippy::expect_used)]
    let table = driver
        .read_table(&factory(store, uuid), &ReadOptions::default())
        .expect("the dataset reads");
    Table::of(&table).sorted_columns().sorted_rows()
}

/// The concatenated rows of a `read_dataset`.
pub fn concat(batches: &[RecordBatch]) -> Table {
    Table::concat(batches)
}
