//! plateau's `plateau/io/testing/gc.py` (all BI, all ported), plus the fix: gc works on
//! datasets without partitions.

use std::collections::BTreeSet;

use plateau_core::Store;
use plateau_io::maintenance::GcOptions;
use plateau_io::update::UpdateOptions;

use super::{factory, keys};
use crate::fixtures::{self, create_dataset};
use crate::{Driver, StoreKind};

fn key_set(store: &Store) -> BTreeSet<String> {
    keys(store).into_iter().collect()
}

/// `test_garbage_collect_idempotent`: no garbage, no change.
pub fn test_garbage_collect_idempotent(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    create_dataset(driver, temp.store(), "uuid");
    let before = key_set(temp.store());
    let report = driver
        .garbage_collect(&factory(temp.store(), "uuid"), &GcOptions::immediate())
        .unwrap();
    assert!(report.files.is_empty(), "{:?}", report.files);
    assert_eq!(key_set(temp.store()), before);
}

fn check_gc(driver: &dyn Driver, store: &Store, uuid: &str) {
    let before = key_set(store);
    store
        .put(
            &format!("{uuid}/table/trash.parquet"),
            b"trash".to_vec().into(),
        )
        .unwrap();
    store
        .put(
            &format!("{uuid}/indices/trash.parquet"),
            b"trash".to_vec().into(),
        )
        .unwrap();
    let report = driver
        .garbage_collect(&factory(store, uuid), &GcOptions::immediate())
        .unwrap();
    assert_eq!(
        report.files,
        [
            format!("{uuid}/indices/trash.parquet"),
            format!("{uuid}/table/trash.parquet")
        ]
    );
    assert_eq!(key_set(store), before);
}

/// `test_gc_tables`: an unreferenced table file and index file are removed.
pub fn test_gc_tables(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    create_dataset(driver, temp.store(), "uuid");
    check_gc(driver, temp.store(), "uuid");
}

/// `test_gc_without_secondary_indices`: the same on a dataset without indices.
pub fn test_gc_without_secondary_indices(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let dataset = fixtures::dataset(driver, temp.store());
    assert!(dataset.indices.is_empty());
    check_gc(driver, temp.store(), &dataset.uuid);
}

/// Fix of plateau: gc works on a dataset without partitions (plateau: StopIteration).
pub fn test_gc_without_partitions(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    create_dataset(driver, temp.store(), "uuid");
    driver
        .update(
            &factory(temp.store(), "uuid"),
            &[],
            &UpdateOptions::default().add_delete_scope([("P", 1i64)]),
        )
        .unwrap();
    let data_files: Vec<String> = keys(temp.store())
        .into_iter()
        .filter(|k| k.starts_with("uuid/table/") && k.ends_with(".parquet"))
        .collect();
    assert_eq!(data_files.len(), 2);
    let report = driver
        .garbage_collect(&factory(temp.store(), "uuid"), &GcOptions::immediate())
        .unwrap();
    for file in &data_files {
        assert!(
            report.files.contains(file),
            "{file} is garbage: {:?}",
            report.files
        );
    }
    let table_keys: Vec<String> = keys(temp.store())
        .into_iter()
        .filter(|k| k.starts_with("uuid/table/"))
        .collect();
    assert_eq!(table_keys, ["uuid/table/_common_metadata"]);
    check_gc(driver, temp.store(), "uuid");
}
