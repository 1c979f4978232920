//! `copy_dataset`: to another store and under another uuid; never over an existing dataset.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch};
use plateau_core::{naming, Error, Literal, Op, Predicates, Scalar, Store, Value};
use plateau_io::copy::{copy_dataset, CopyOptions};
use plateau_io::read::{read_table, ReadOptions};
use plateau_io::update::{update_dataset, UpdateOptions};
use plateau_io::write::{store_dataset, StoreOptions};
use plateau_metadata::DatasetFactory;

fn frame(p: &[i64], x: &[i64]) -> RecordBatch {
    RecordBatch::try_from_iter([
        ("p", Arc::new(Int64Array::from(p.to_vec())) as ArrayRef),
        ("x", Arc::new(Int64Array::from(x.to_vec())) as ArrayRef),
    ])
    .unwrap()
}

fn write(store: &Store, uuid: &str) {
    store_dataset(
        store,
        uuid,
        &[frame(&[1, 2, 2], &[10, 20, 30])],
        &StoreOptions::default()
            .partition_on(["p"])
            .secondary_indices(["x"]),
    )
    .unwrap();
}

fn rows(store: &Store, uuid: &str, predicates: Option<Predicates>) -> usize {
    let mut options = ReadOptions::default();
    if let Some(predicates) = predicates {
        options = options.predicates(predicates);
    }
    read_table(&DatasetFactory::new(store.clone(), uuid), &options)
        .unwrap()
        .num_rows()
}

fn x_is(value: i64) -> Predicates {
    Predicates::all(vec![Literal::new("x", Op::Eq, Value::Scalar(Scalar::Int(value)))].into())
}

#[test]
fn copies_to_another_store_and_under_another_uuid() {
    let dir = tempfile::tempdir().unwrap();
    let source = Store::memory();
    write(&source, "d");
    let before = source.list_keys("").unwrap();
    for (target, new_uuid) in [
        (Store::local(dir.path()).unwrap(), "d"),
        (Store::memory(), "e"),
        (source.clone(), "e"),
    ] {
        let options = CopyOptions::new().target_uuid(new_uuid);
        let report = copy_dataset(&source, "d", &target, &options).unwrap();
        // 2 data files, 1 index, _common_metadata, the metadata file.
        assert_eq!(report.files, 5);
        assert_eq!(rows(&target, new_uuid, None), 3);
        assert_eq!(rows(&target, new_uuid, Some(x_is(20))), 1);
        // Everything of the copy lies under its own uuid.
        for key in target.list_keys(&format!("{new_uuid}/")).unwrap() {
            assert!(key.starts_with(&format!("{new_uuid}/")), "{key}");
        }
        // The copy is a dataset of its own: updating it leaves the source alone.
        update_dataset(
            &DatasetFactory::new(target.clone(), new_uuid),
            &[frame(&[3], &[40])],
            &UpdateOptions::default(),
        )
        .unwrap();
        assert_eq!(rows(&target, new_uuid, None), 4);
        assert_eq!(rows(&source, "d", None), 3);
    }
    let after: Vec<String> = source
        .list_keys("")
        .unwrap()
        .into_iter()
        .filter(|k| !k.starts_with("e"))
        .collect();
    assert_eq!(before, after);
}

#[test]
fn never_overwrites_and_checks_before_writing() {
    let source = Store::memory();
    write(&source, "d");
    let target = Store::memory();
    write(&target, "d");
    let before = target.list_keys("").unwrap();
    let err = copy_dataset(&source, "d", &target, &CopyOptions::new()).unwrap_err();
    assert!(matches!(err, Error::DatasetExists { .. }), "{err:?}");
    assert_eq!(target.list_keys("").unwrap(), before);

    let err = copy_dataset(&source, "missing", &target, &CopyOptions::new()).unwrap_err();
    assert!(matches!(err, Error::DatasetNotFound { .. }), "{err:?}");
    let err = copy_dataset(
        &source,
        "d",
        &target,
        &CopyOptions::new().target_uuid("a/b"),
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidUuid(_)), "{err:?}");
    assert_eq!(target.list_keys("").unwrap(), before);
}

#[test]
fn metadata_naming_files_outside_the_dataset_is_corrupt() {
    let source = Store::memory();
    write(&source, "d");
    let key = naming::metadata_key("d", naming::MetadataFormat::Json);
    let text = String::from_utf8(source.get(&key).unwrap().to_vec()).unwrap();
    let file = text
        .split("\"d/table/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let forged = text.replace(&format!("d/table/{file}"), &format!("other/table/{file}"));
    source.put(&key, forged.into_bytes().into()).unwrap();
    let target = Store::memory();
    let err = copy_dataset(&source, "d", &target, &CopyOptions::new()).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
    assert!(target.list_keys("").unwrap().is_empty());
}
