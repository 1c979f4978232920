//! gc and delete next to writers, links and leftovers: minimum age, symbolic links,
//! interrupted uploads, orphans of a uuid without metadata, and failing operations that
//! must leave the store byte-identical.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use arrow::array::{ArrayRef, Int64Array, RecordBatch};
use plateau_core::{naming, Error, Store};
use plateau_io::maintenance::{
    delete_dataset, delete_dataset_with, delete_keys, garbage_collect, DeleteOptions, GcOptions,
};
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
        &[frame(&[1, 2], &[10, 20])],
        &StoreOptions::default()
            .partition_on(["p"])
            .secondary_indices(["x"]),
    )
    .unwrap();
}

/// Every file below `root` (links not followed) with its content.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let entry = entry.unwrap();
            let kind = entry.file_type().unwrap();
            let path = entry.path();
            let name = path.strip_prefix(root).unwrap().display().to_string();
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_symlink() {
                let target = std::fs::read_link(&path).unwrap();
                files.insert(name, target.display().to_string().into_bytes());
            } else {
                files.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

#[test]
fn gc_and_delete_never_follow_symbolic_links() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("precious.parquet"), b"keep me").unwrap();
    std::fs::create_dir(outside.path().join("p=9")).unwrap();
    std::fs::write(outside.path().join("p=9/also.parquet"), b"keep me too").unwrap();
    let before = tree(outside.path());

    let dir = tempfile::tempdir().unwrap();
    let store = Store::local(dir.path()).unwrap();
    write(&store, "u");
    std::os::unix::fs::symlink(outside.path(), dir.path().join("u/table/linked")).unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("u/indices/linked")).unwrap();

    // The listing does not descend into links.
    let listed = store.list_keys("u/").unwrap();
    assert!(listed.iter().all(|k| !k.contains("linked")), "{listed:?}");
    let report = garbage_collect(
        &DatasetFactory::new(store.clone(), "u"),
        &GcOptions::immediate(),
    )
    .unwrap();
    assert!(report.files.is_empty(), "{:?}", report.files);
    // Deleting a key below a link is refused silently (the link is not followed).
    store.delete("u/table/linked/precious.parquet").unwrap();
    delete_keys(&store, &["u/table/linked/p=9/also.parquet".to_owned()]).unwrap();
    delete_dataset(&DatasetFactory::new(store.clone(), "u")).unwrap();
    assert_eq!(tree(outside.path()), before);
}

#[test]
fn interrupted_uploads_are_listed_and_removed_once_old() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::local(dir.path()).unwrap();
    write(&store, "u");
    let partition = dir.path().join("u/table/p=1");
    std::fs::write(partition.join("half.parquet#1"), vec![0u8; 600]).unwrap();
    std::fs::write(dir.path().join("u/indices/x/idx.parquet#17"), b"part").unwrap();
    // Not a temporary name: a plateau key may hold `#` followed by other characters.
    std::fs::write(partition.join("odd#name.parquet"), b"x").unwrap();

    let interrupted = store.list_interrupted("u/").unwrap();
    let keys: Vec<&str> = interrupted.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(
        keys,
        ["u/indices/x/idx.parquet#17", "u/table/p=1/half.parquet#1"]
    );
    assert_eq!(interrupted[1].size, 600);
    assert!(store.list_interrupted("other/").unwrap().is_empty());
    assert!(Store::memory().list_interrupted("u/").unwrap().is_empty());

    let factory = DatasetFactory::new(store.clone(), "u");
    // Young: an upload may still be running.
    let report = garbage_collect(&factory, &GcOptions::default()).unwrap();
    assert!(report.files.is_empty());
    assert_eq!(report.kept_young, 3);
    let report = garbage_collect(&factory, &GcOptions::immediate()).unwrap();
    assert_eq!(
        report.files,
        [
            "u/indices/x/idx.parquet#17",
            "u/table/p=1/half.parquet#1",
            "u/table/p=1/odd#name.parquet"
        ]
    );
    assert!(store.list_interrupted("u/").unwrap().is_empty());
    assert!(!partition.join("half.parquet#1").exists());

    // delete removes them too.
    std::fs::write(partition.join("again.parquet#3"), b"x").unwrap();
    let report = delete_dataset_with(
        &factory,
        &DeleteOptions::default().min_age(Duration::ZERO),
        delete_keys,
    )
    .unwrap();
    assert!(report
        .files
        .contains(&"u/table/p=1/again.parquet#3".to_owned()));
    assert!(store.list_keys("").unwrap().is_empty());
    assert!(store.list_interrupted("").unwrap().is_empty());
    // Only temporary names can be removed that way.
    assert!(matches!(
        store.delete_interrupted("u/table/p=1/x.parquet"),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn delete_of_a_uuid_without_metadata_removes_old_orphans() {
    for kind in ["memory", "local"] {
        let dir = tempfile::tempdir().unwrap();
        let store = match kind {
            "memory" => Store::memory(),
            _ => Store::local(dir.path()).unwrap(),
        };
        write(&store, "u");
        write(&store, "v");
        // A delete killed after its first step (or a first write killed before its commit).
        store
            .delete(&naming::metadata_key("u", naming::MetadataFormat::Json))
            .unwrap();
        let factory = DatasetFactory::new(store.clone(), "u");
        let kept = delete_dataset_with(&factory, &DeleteOptions::default(), delete_keys).unwrap();
        assert!(kept.files.is_empty());
        assert!(kept.kept_young > 0);
        let report = delete_dataset_with(
            &factory,
            &DeleteOptions::default().min_age(Duration::ZERO),
            delete_keys,
        )
        .unwrap();
        assert_eq!(report.files.len(), kept.kept_young);
        assert!(store.list_keys("u/").unwrap().is_empty());
        // The neighbour is untouched; a uuid with nothing at all is not found.
        assert!(!store.list_keys("v/").unwrap().is_empty());
        assert!(matches!(
            delete_dataset(&factory),
            Err(Error::DatasetNotFound { .. })
        ));
    }
}

#[test]
fn metadata_naming_keys_no_store_can_hold_is_corrupt_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::local(dir.path().join("store")).unwrap();
    write(&store, "u");
    std::fs::write(dir.path().join("outside.parquet"), b"keep").unwrap();
    let key = naming::metadata_key("u", naming::MetadataFormat::Json);
    let text = String::from_utf8(store.get(&key).unwrap().to_vec()).unwrap();
    let evil = text.replacen("\"u/table/p=1/", "\"u/table/../../../outside.parquet/", 1);
    assert_ne!(evil, text);
    store.put(&key, evil.into_bytes().into()).unwrap();
    let before = tree(dir.path());
    let factory = DatasetFactory::new(store.clone(), "u");
    for result in [
        delete_dataset(&factory).map(|_| ()),
        garbage_collect(&factory, &GcOptions::immediate()).map(|_| ()),
    ] {
        let err = result.unwrap_err();
        assert!(
            matches!(err, Error::Corrupt { ref key, .. } if key == "u.by-dataset-metadata.json"),
            "{err:?}"
        );
    }
    assert_eq!(tree(dir.path()), before);
    // Without the metadata, the files are orphans that delete removes.
    store.delete(&key).unwrap();
    delete_dataset_with(
        &factory,
        &DeleteOptions::default().min_age(Duration::ZERO),
        delete_keys,
    )
    .unwrap();
    assert!(store.list_keys("").unwrap().is_empty());
    assert_eq!(
        std::fs::read(dir.path().join("outside.parquet")).unwrap(),
        b"keep"
    );
}

#[test]
fn failing_updates_and_writes_leave_the_store_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::local(dir.path()).unwrap();
    write(&store, "u");
    // A corrupt index file: the update fails before writing any data file.
    let metadata = DatasetFactory::new(store.clone(), "u").metadata().unwrap();
    let index_key = metadata.indices["x"].storage_key().unwrap().to_owned();
    store.put(&index_key, b"garbage".to_vec().into()).unwrap();
    let before = tree(dir.path());
    let err = update_dataset(
        &DatasetFactory::new(store.clone(), "u"),
        &[frame(&[3], &[30])],
        &UpdateOptions::default(),
    )
    .unwrap_err();
    assert!(!matches!(err, Error::CommitConflict { .. }), "{err:?}");
    assert_eq!(tree(dir.path()), before);
    // An index column whose key no store can hold: refused before the first byte.
    let dotted = RecordBatch::try_from_iter([
        ("p", Arc::new(Int64Array::from(vec![1])) as ArrayRef),
        ("..", Arc::new(Int64Array::from(vec![1])) as ArrayRef),
    ])
    .unwrap();
    let err = store_dataset(
        &store,
        "w",
        &[dotted],
        &StoreOptions::default().secondary_indices([".."]),
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::InvalidInput(ref m) if m.contains("`..`")),
        "{err:?}"
    );
    assert_eq!(tree(dir.path()), before);
}

#[test]
fn opening_a_missing_local_store_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("not/yet");
    let store = Store::local(&missing).unwrap();
    assert!(store.list_keys("").unwrap().is_empty());
    assert!(matches!(
        DatasetFactory::new(store.clone(), "u").metadata(),
        Err(Error::DatasetNotFound { .. })
    ));
    assert!(!missing.exists());
    assert!(!dir.path().join("not").exists());
    // The first write creates it, and the same store is seen by a later open.
    write(&store, "u");
    assert!(missing.is_dir());
    let reopened = Store::local(&missing).unwrap();
    assert_eq!(
        reopened.list_keys("u/").unwrap(),
        store.list_keys("u/").unwrap()
    );
    // A regular file is not a store.
    let file = dir.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    let err = Store::local(&file).unwrap_err();
    assert!(
        matches!(err, Error::InvalidInput(ref m) if m.contains("not a directory")),
        "{err:?}"
    );
}

#[test]
fn gc_keeps_a_concurrent_writers_files_by_default() {
    // A writer that has written its files but not yet committed: its files look like
    // garbage, and only the minimum age protects them.
    let store = Store::memory();
    write(&store, "u");
    let plan_store = store.clone();
    let stale = DatasetFactory::new(plan_store, "u");
    stale.metadata().unwrap();
    let uncommitted = "u/table/p=1/0123456789abcdef0123456789abcdef.parquet";
    store.put(uncommitted, b"pending".to_vec().into()).unwrap();
    let report = garbage_collect(
        &DatasetFactory::new(store.clone(), "u"),
        &GcOptions::default(),
    )
    .unwrap();
    assert!(report.files.is_empty());
    assert!(store.exists(uncommitted).unwrap());
}

#[test]
fn a_data_file_of_another_schema_is_an_error_not_nulls() {
    let store = Store::memory();
    write(&store, "u");
    let other = RecordBatch::try_from_iter([
        ("p", Arc::new(Int64Array::from(vec![1])) as ArrayRef),
        ("y", Arc::new(Int64Array::from(vec![5])) as ArrayRef),
    ])
    .unwrap();
    store_dataset(
        &store,
        "o",
        &[other],
        &StoreOptions::default().partition_on(["p"]),
    )
    .unwrap();
    let foreign = DatasetFactory::new(store.clone(), "o").metadata().unwrap();
    let foreign_file = &foreign.partitions.values().next().unwrap().file;
    let metadata = DatasetFactory::new(store.clone(), "u").metadata().unwrap();
    let victim = metadata.partitions.values().next().unwrap().file.clone();
    store
        .put(&victim, store.get(foreign_file).unwrap())
        .unwrap();
    let err = plateau_io::read::read_table(
        &DatasetFactory::new(store.clone(), "u"),
        &plateau_io::read::ReadOptions::default(),
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
    assert!(text.contains(&victim) && text.contains("`x`"), "{text}");
}
