//! plateau's `plateau/io/testing/delete.py` (all BI, all ported), plus the fixes: msgpack
//! metadata is deleted too, datasets without partitions delete.

use plateau_core::naming::MetadataFormat;
use plateau_core::Error;
use plateau_io::update::UpdateOptions;
use plateau_io::write::StoreOptions;

use super::{factory, keys};
use crate::data;
use crate::fixtures::create_dataset;
use crate::{Driver, StoreKind};

/// `test_delete_dataset`: after the delete the store is empty.
pub fn test_delete_dataset(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    create_dataset(driver, temp.store(), "dataset");
    assert!(!keys(temp.store()).is_empty());
    driver.delete(&factory(temp.store(), "dataset")).unwrap();
    assert!(keys(temp.store()).is_empty(), "{:?}", keys(temp.store()));
}

/// `test_delete_single_dataset`: deleting one of two datasets removes exactly half the keys.
pub fn test_delete_single_dataset(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    create_dataset(driver, temp.store(), "dataset");
    create_dataset(driver, temp.store(), "another_dataset");
    let amount = keys(temp.store()).len();
    driver.delete(&factory(temp.store(), "dataset")).unwrap();
    assert_eq!(
        keys(temp.store()).len() * 2,
        amount,
        "{:?}",
        keys(temp.store())
    );
}

/// `test_delete_only_dataset`: a key that merely contains the uuid (`prefixUUID`) survives.
pub fn test_delete_only_dataset(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    create_dataset(driver, temp.store(), "UUID");
    temp.store().put("prefixUUID", Vec::new().into()).unwrap();
    driver.delete(&factory(temp.store(), "UUID")).unwrap();
    assert_eq!(keys(temp.store()), ["prefixUUID"]);
}

/// `test_delete_missing_dataset`: the delete works when any one non-metadata key is already
/// gone.
pub fn test_delete_missing_dataset(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    create_dataset(driver, temp.store(), "dataset");
    let all = keys(temp.store());
    assert!(!all.is_empty());
    for missing in &all {
        if missing == "dataset.by-dataset-metadata.json" {
            continue;
        }
        let second = kind.fresh();
        for key in all.iter().filter(|k| *k != missing) {
            second
                .store()
                .put(key, temp.store().get(key).unwrap())
                .unwrap();
        }
        driver.delete(&factory(second.store(), "dataset")).unwrap();
        assert!(
            keys(second.store()).is_empty(),
            "without {missing}: {:?}",
            keys(second.store())
        );
    }
}

/// `test_delete_dataset_unreferenced_files`: an unreferenced table file goes too.
pub fn test_delete_dataset_unreferenced_files(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    create_dataset(driver, temp.store(), "dataset");
    temp.store()
        .put("dataset/table/trash.parquet", b"trash".to_vec().into())
        .unwrap();
    driver.delete(&factory(temp.store(), "dataset")).unwrap();
    assert!(keys(temp.store()).is_empty(), "{:?}", keys(temp.store()));
}

/// Fix of plateau: the msgpack metadata file is deleted too (plateau leaves it behind).
pub fn test_delete_msgpack_dataset(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let frame = data::utils_frame();
    driver
        .store(
            temp.store(),
            "dataset",
            &[frame.clone(), frame],
            &StoreOptions::default()
                .secondary_indices(["P"])
                .metadata_format(MetadataFormat::Msgpack),
        )
        .unwrap();
    assert!(temp
        .store()
        .exists("dataset.by-dataset-metadata.msgpack.zstd")
        .unwrap());
    driver.delete(&factory(temp.store(), "dataset")).unwrap();
    assert!(keys(temp.store()).is_empty(), "{:?}", keys(temp.store()));
}

/// Fix of plateau: a dataset whose partitions were all deleted can be deleted.
pub fn test_delete_dataset_without_partitions(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    create_dataset(driver, temp.store(), "dataset");
    let updated = driver
        .update(
            &factory(temp.store(), "dataset"),
            &[],
            &UpdateOptions::default().add_delete_scope([("P", 1i64)]),
        )
        .unwrap();
    assert!(updated.partitions.is_empty());
    driver.delete(&factory(temp.store(), "dataset")).unwrap();
    assert!(keys(temp.store()).is_empty(), "{:?}", keys(temp.store()));
    let err = driver
        .delete(&factory(temp.store(), "dataset"))
        .unwrap_err();
    assert!(matches!(err, Error::DatasetNotFound { .. }), "{err}");
}
