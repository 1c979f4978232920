//! plateau's `tests/io/eager/test_commit.py`: the low-level flow `create_empty_dataset_header`
//! → `write_single_partition` → `commit_dataset`. All tests are ported.

use std::collections::BTreeSet;

use arrow::record_batch::RecordBatch;
use plateau_io::read::ReadOptions;
use plateau_io::update::CommitOptions;
use plateau_io::write::{HeaderOptions, StoreOptions, WriteOptions};
use plateau_io::MetaPartition;

use super::{assert_same_metadata, factory, keys};
use crate::compare::{assert_frame_equal, Table};
use crate::data::{batch, dates, int64};
use crate::fixtures::{self, json_map};
use crate::{Driver, StoreKind};

/// `test_commit_dataset_from_metapartition`: a partition written beside an existing dataset
/// is invisible until committed; after the commit the dataset has one more partition and reads
/// the new rows.
pub fn test_commit_dataset_from_metapartition(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let store = temp.store();
    let dataset = fixtures::dataset(driver, store);
    let new_data = batch(vec![
        ("P", int64([5])),
        ("L", int64([5])),
        ("TARGET", int64([5])),
        ("DATE", dates([(2016, 3, 23)])),
    ]);
    let new_partitions = driver
        .write_single_partition(
            &factory(store, &dataset.uuid),
            &[new_data],
            &WriteOptions::default(),
        )
        .unwrap();
    let pre_commit = factory(store, &dataset.uuid).metadata().unwrap();
    assert_same_metadata(&pre_commit, &dataset);

    let updated = driver
        .commit(
            &factory(store, &dataset.uuid),
            &new_partitions,
            &CommitOptions::default(),
        )
        .unwrap();
    assert_eq!(updated.uuid, dataset.uuid);
    assert_eq!(updated.partitions.len(), dataset.partitions.len() + 1);
    let loaded = factory(store, &updated.uuid).metadata().unwrap();
    assert_same_metadata(&loaded, &updated);

    let actual = driver
        .read_table(&factory(store, &dataset.uuid), &ReadOptions::default())
        .unwrap();
    let mut table = Table::of(&actual);
    assert_eq!(table.columns, ["DATE", "L", "P", "TARGET"]);
    table.rows.sort_by(|a, b| b[0].cmp(&a[0]));
    let expected = batch(vec![
        ("DATE", dates([(2016, 3, 23), (2010, 1, 1), (2009, 12, 31)])),
        ("L", int64([5, 1, 2])),
        ("P", int64([5, 1, 2])),
        ("TARGET", int64([5, 1, 2])),
    ]);
    assert_eq!(table, Table::of(&expected));
}

fn labels(partitions: &[MetaPartition]) -> BTreeSet<String> {
    partitions.iter().map(|mp| mp.label.clone()).collect()
}

/// `test_commit_dataset_from_nested_metapartition`: partitions of several
/// `write_single_partition` calls commit together.
pub fn test_commit_dataset_from_nested_metapartition(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let store = temp.store();
    let df = batch(vec![("a", int64([1, 1, 2, 2])), ("b", int64([3, 4, 5, 6]))]);
    driver
        .create_empty_dataset_header(
            store,
            "uuid",
            &df.schema(),
            &HeaderOptions::default().partition_on(["a"]),
        )
        .unwrap();
    let mut partitions = Vec::new();
    for _ in 0..2 {
        partitions.extend(
            driver
                .write_single_partition(
                    &factory(store, "uuid"),
                    std::slice::from_ref(&df),
                    &WriteOptions::default().partition_on(["a"]),
                )
                .unwrap(),
        );
    }
    assert_eq!(partitions.len(), 4);
    let expected = labels(&partitions);
    let dm = driver
        .commit(
            &factory(store, "uuid"),
            &partitions,
            &CommitOptions::default().partition_on(["a"]),
        )
        .unwrap();
    assert_eq!(
        dm.partitions.keys().cloned().collect::<BTreeSet<_>>(),
        expected
    );
}

/// `test_initial_commit`: a header is implicit; the first commit makes it explicit and the
/// data reads back.
pub fn test_initial_commit(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let store = temp.store();
    let df = batch(vec![
        ("P", int64([5])),
        ("L", int64([5])),
        ("TARGET", int64([5])),
    ]);
    let dataset = driver
        .create_empty_dataset_header(
            store,
            "dataset_uuid",
            &df.schema(),
            &HeaderOptions::default(),
        )
        .unwrap();
    assert!(!dataset.explicit_partitions);
    let new_partition = driver
        .write_single_partition(
            &factory(store, "dataset_uuid"),
            &[df],
            &WriteOptions::default(),
        )
        .unwrap();
    let updated = driver
        .commit(
            &factory(store, "dataset_uuid"),
            &new_partition,
            &CommitOptions::default(),
        )
        .unwrap();
    assert!(updated.explicit_partitions);
    let actual = driver
        .read_table(&factory(store, "dataset_uuid"), &ReadOptions::default())
        .unwrap();
    let expected = batch(vec![
        ("L", int64([5])),
        ("P", int64([5])),
        ("TARGET", int64([5])),
    ]);
    assert_frame_equal(&actual, &expected);
}

fn p_dataset(driver: &dyn Driver, kind: StoreKind, frames: &[RecordBatch]) -> crate::TempStore {
    let temp = kind.fresh();
    let dataset = driver
        .store(
            temp.store(),
            "dataset_uuid",
            frames,
            &StoreOptions::default()
                .metadata(json_map(&[("dataset", "metadata")]))
                .secondary_indices(["p"]),
        )
        .unwrap();
    assert_eq!(dataset.partitions.len(), frames.len());
    temp
}

/// `test_commit_dataset_only_delete`: a delete-only commit removes one partition and makes
/// the dataset explicit.
pub fn test_commit_dataset_only_delete(driver: &dyn Driver, kind: StoreKind) {
    let temp = p_dataset(
        driver,
        kind,
        &[
            batch(vec![("p", int64([1]))]),
            batch(vec![("p", int64([2]))]),
        ],
    );
    let updated = driver
        .commit(
            &factory(temp.store(), "dataset_uuid"),
            &[],
            &CommitOptions::default().add_delete_scope([("p", 1i64)]),
        )
        .unwrap();
    assert_eq!(updated.partitions.len(), 1);
    assert!(updated.explicit_partitions);
}

/// `test_commit_dataset_delete_all`: deleting every partition leaves an explicit dataset with
/// none.
pub fn test_commit_dataset_delete_all(driver: &dyn Driver, kind: StoreKind) {
    let temp = p_dataset(driver, kind, &[batch(vec![("p", int64([1]))])]);
    let updated = driver
        .commit(
            &factory(temp.store(), "dataset_uuid"),
            &[],
            &CommitOptions::default().add_delete_scope([("p", 1i64)]),
        )
        .unwrap();
    assert!(updated.partitions.is_empty());
    assert!(updated.explicit_partitions);
}

/// `test_commit_dataset_add_metadata`: a metadata-only commit keeps old keys and adds new
/// ones.
pub fn test_commit_dataset_add_metadata(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let store = temp.store();
    driver
        .store(
            store,
            "dataset_uuid",
            &[batch(vec![("p", int64([1]))])],
            &StoreOptions::default().metadata(json_map(&[("old", "metadata")])),
        )
        .unwrap();
    driver
        .commit(
            &factory(store, "dataset_uuid"),
            &[],
            &CommitOptions::default().metadata(json_map(&[("new", "metadata")])),
        )
        .unwrap();
    let restored = factory(store, "dataset_uuid").metadata().unwrap();
    let mut actual = restored.metadata.clone();
    assert!(actual.remove("creation_time").is_some());
    actual.sort_keys();
    assert_eq!(
        actual,
        json_map(&[("new", "metadata"), ("old", "metadata")])
    );
}

/// `test_commit_dataset_raises_no_input`: "Need to provide either new data, new metadata or
/// a delete scope", whatever is empty, before the dataset is even looked up.
pub fn test_commit_dataset_raises_no_input(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let err = driver
        .commit(
            &factory(temp.store(), "something"),
            &[],
            &CommitOptions::default(),
        )
        .unwrap_err();
    assert!(err.to_string().contains("Need to provide either"), "{err}");
    let err = driver
        .commit(
            &factory(temp.store(), "something"),
            &[],
            &CommitOptions::default()
                .metadata(Default::default())
                .delete_scope(Vec::new()),
        )
        .unwrap_err();
    assert!(err.to_string().contains("Need to provide either"), "{err}");
    assert!(keys(temp.store()).is_empty());
}
