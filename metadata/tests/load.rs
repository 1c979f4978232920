//! Loading metadata from synthetic stores: formats, implicit partitions, inference, errors.

#![allow(clippy::unwrap_used)]

use plateau_core::naming::{metadata_key, MetadataFormat};
use plateau_core::{Error, Store};
use plateau_metadata::load::{load, LoadOptions};
use plateau_metadata::{codec, DatasetMetadataBuilder};

/// Only the metadata file.
fn no_schema() -> LoadOptions {
    LoadOptions::default()
        .load_schema(false)
        .load_all_indices(false)
}

fn put(store: &Store, key: &str, bytes: &[u8]) {
    store.put(key, bytes.to_vec().into()).unwrap();
}

#[test]
fn missing_dataset_is_a_typed_error() {
    let store = Store::memory();
    match load(&store, "nope", &no_schema()) {
        Err(Error::DatasetNotFound { uuid }) => assert_eq!(uuid, "nope"),
        other => panic!("expected DatasetNotFound, got {other:?}"),
    }
    assert!(matches!(
        load(&store, "bad.uuid", &no_schema()),
        Err(Error::InvalidUuid(_))
    ));
}

#[test]
fn json_wins_over_msgpack_and_the_format_is_remembered() {
    let store = Store::memory();
    let older = DatasetMetadataBuilder::new("u")
        .add_partition("a", "u/table/a.parquet")
        .partition_keys(vec![])
        .build()
        .unwrap();
    put(
        &store,
        &metadata_key("u", MetadataFormat::Msgpack),
        &codec::to_msgpack(&older).unwrap(),
    );
    let loaded = load(&store, "u", &no_schema()).unwrap();
    assert_eq!(loaded.format, MetadataFormat::Msgpack);
    assert_eq!(loaded.partitions.keys().collect::<Vec<_>>(), vec!["a"]);
    assert!(loaded.version.is_some());

    let newer = DatasetMetadataBuilder::from_dataset(&older)
        .add_partition("b", "u/table/b.parquet")
        .build()
        .unwrap();
    put(
        &store,
        &metadata_key("u", MetadataFormat::Json),
        &codec::to_json(&newer).unwrap(),
    );
    let loaded = load(&store, "u", &no_schema()).unwrap();
    assert_eq!(loaded.format, MetadataFormat::Json);
    assert_eq!(loaded.partitions.len(), 2);
}

#[test]
fn implicit_partitions_are_discovered_and_requoted() {
    let store = Store::memory();
    put(
        &store,
        "u.by-dataset-metadata.json",
        br#"{"dataset_metadata_version": 4, "dataset_uuid": "u", "metadata": {"creation_time": "t"}, "partition_keys": ["p"]}"#,
    );
    put(&store, "u/table/_common_metadata", b"x");
    put(&store, "u/table/p=1/a.parquet", b"x");
    put(&store, "u/table/p=%7e/b.parquet", b"x");
    put(&store, "u/indices/k/t.by-dataset-index.parquet", b"x");
    put(&store, "u_other/table/p=9/z.parquet", b"x");
    let loaded = load(&store, "u", &no_schema()).unwrap();
    assert!(!loaded.explicit_partitions);
    assert_eq!(loaded.table_name, "table");
    let labels: Vec<&String> = loaded.partitions.keys().collect();
    // In listing order, i.e. by stored key (`%7e` sorts before `1`).
    assert_eq!(labels, vec!["p=~/b", "p=1/a"]);
    assert_eq!(loaded.partitions["p=~/b"].file, "u/table/p=%7e/b.parquet");
    assert_eq!(loaded.partition_keys, vec!["p"]);
    // Re-encoding an implicit dataset keeps it implicit.
    assert!(!String::from_utf8(codec::to_json(&loaded).unwrap())
        .unwrap()
        .contains("partitions"));
}

#[test]
fn unequal_depth_of_implicit_partitions_is_an_error() {
    let store = Store::memory();
    put(
        &store,
        "u.by-dataset-metadata.json",
        br#"{"dataset_metadata_version": 4, "dataset_uuid": "u", "partition_keys": ["p"]}"#,
    );
    put(&store, "u/table/p=1/a.parquet", b"x");
    put(&store, "u/table/trash.parquet", b"x");
    let err = load(&store, "u", &no_schema()).unwrap_err();
    assert!(
        err.to_string()
            .contains("Depth of filename indices is not equal"),
        "{err}"
    );
}

#[test]
fn partition_keys_are_inferred_and_creation_time_added() {
    let store = Store::memory();
    put(
        &store,
        "u.by-dataset-metadata.json",
        br#"{"dataset_metadata_version": 4, "dataset_uuid": "u", "partitions": {"a=1/b=x/f": {"files": {"core": "u/core/a=1/b=x/f.parquet"}}}}"#,
    );
    let loaded = load(&store, "u", &no_schema()).unwrap();
    assert_eq!(loaded.partition_keys, vec!["a", "b"]);
    assert_eq!(loaded.table_name, "core");
    let created = loaded.creation_time().unwrap();
    assert!(created.ends_with("+00:00"), "{created}");
}

#[test]
fn table_of_an_empty_dataset_comes_from_its_common_metadata() {
    let store = Store::memory();
    put(
        &store,
        "u.by-dataset-metadata.json",
        br#"{"dataset_metadata_version": 4, "dataset_uuid": "u", "metadata": {"creation_time": "t"}, "partitions": {}, "partition_keys": []}"#,
    );
    put(&store, "u/named/_common_metadata", b"x");
    let loaded = load(&store, "u", &no_schema()).unwrap();
    assert!(loaded.explicit_partitions && loaded.partitions.is_empty());
    assert_eq!(loaded.table_name, "named");
}
