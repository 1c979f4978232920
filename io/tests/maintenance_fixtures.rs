#![allow(clippy::unwrap_used)]
//! gc, delete and index building on the datasets Python plateau 4.6.2 wrote
//! (`fixtures/datasets`), against what Python's own `garbage_collect_dataset`,
//! `delete_dataset` and stored indices say (expectations recorded with the pyref venv).
//!
//! Each test copies the keys of the datasets whose uuid starts with the one under test into a
//! memory store (so `ref_updated_gc` sits next to `ref_updated`), runs the operation there and
//! never touches the fixture directory.

use std::path::PathBuf;
use std::sync::OnceLock;

use bytes::Bytes;
use plateau_core::{naming, Store};
use plateau_io::maintenance::{build_indices, delete_dataset, garbage_collect, GcOptions};
use plateau_io::read::{read_table, ReadOptions};
use plateau_metadata::DatasetFactory;
use serde_json::Value as Json;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// Every fixture key with its bytes, read once.
fn fixture_objects() -> &'static Vec<(String, Bytes)> {
    static OBJECTS: OnceLock<Vec<(String, Bytes)>> = OnceLock::new();
    OBJECTS.get_or_init(|| {
        let store = Store::local(fixtures().join("datasets")).unwrap();
        store
            .list_keys("")
            .unwrap()
            .into_iter()
            .map(|key| {
                let bytes = store.get(&key).unwrap();
                (key, bytes)
            })
            .collect()
    })
}

/// The catalogue entries Python plateau could load.
fn loadable() -> Vec<Json> {
    let catalogue: Json =
        serde_json::from_slice(&std::fs::read(fixtures().join("catalogue.json")).unwrap()).unwrap();
    catalogue["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["plateau_load"] == "ok")
        .cloned()
        .collect()
}

/// A memory store with the keys of every dataset whose uuid starts with `uuid`.
fn copy_of(uuid: &str) -> Store {
    let store = Store::memory();
    for (key, bytes) in fixture_objects() {
        if key.starts_with(uuid) {
            store.put(key, bytes.clone()).unwrap();
        }
    }
    store
}

fn dataset_keys(store: &Store, uuid: &str) -> Vec<String> {
    store
        .list_keys("")
        .unwrap()
        .into_iter()
        .filter(|k| naming::is_dataset_key(uuid, k))
        .collect()
}

/// What Python's `garbage_collect_dataset` deletes from the fixtures (every other loadable
/// fixture: nothing; `ref_empty_partitioned` makes Python fail with StopIteration).
fn python_garbage(uuid: &str) -> Vec<&'static str> {
    match uuid {
        "ref_committed" => vec![
            "ref_committed/indices/k/2024-01-01T00%3A00%3A00.004000%2B00%3A00.by-dataset-index.parquet",
            "ref_committed/table/p=b/f085c8c0df5f4afdbc4957815fdd9a67.parquet",
        ],
        "ref_updated" => vec![
            "ref_updated/indices/d/2024-01-01T00%3A00%3A00.019000%2B00%3A00.by-dataset-index.parquet",
            "ref_updated/indices/d/2024-01-01T00%3A00%3A00.033000%2B00%3A00.by-dataset-index.parquet",
            "ref_updated/indices/d/2024-01-01T00%3A00%3A00.050000%2B00%3A00.by-dataset-index.parquet",
            "ref_updated/indices/d/2024-01-01T00%3A00%3A00.064000%2B00%3A00.by-dataset-index.parquet",
            "ref_updated/indices/d/2024-01-01T00%3A00%3A00.078000%2B00%3A00.by-dataset-index.parquet",
            "ref_updated/indices/k/2024-01-01T00%3A00%3A00.018000%2B00%3A00.by-dataset-index.parquet",
            "ref_updated/indices/k/2024-01-01T00%3A00%3A00.034000%2B00%3A00.by-dataset-index.parquet",
            "ref_updated/indices/k/2024-01-01T00%3A00%3A00.051000%2B00%3A00.by-dataset-index.parquet",
            "ref_updated/indices/k/2024-01-01T00%3A00%3A00.063000%2B00%3A00.by-dataset-index.parquet",
            "ref_updated/indices/k/2024-01-01T00%3A00%3A00.079000%2B00%3A00.by-dataset-index.parquet",
            "ref_updated/table/p=a/16dac4c29f7a43f8b145261e7ae25b3d.parquet",
            "ref_updated/table/p=a/55a86f533a4d46aea79ebe341ef558d2.parquet",
            "ref_updated/table/p=b/16dac4c29f7a43f8b145261e7ae25b3d.parquet",
            "ref_updated/table/p=b/55a86f533a4d46aea79ebe341ef558d2.parquet",
            "ref_updated/table/p=d/f9d18d14420c47de88e2f41506daae79.parquet",
        ],
        _ => vec![],
    }
}

#[test]
fn gc_deletes_what_python_deletes_and_the_datasets_still_read() {
    let datasets = loadable();
    assert!(datasets.len() >= 30, "{} loadable fixtures", datasets.len());
    for dataset in datasets {
        let uuid = dataset["uuid"].as_str().unwrap();
        let store = copy_of(uuid);
        let others: Vec<String> = store
            .list_keys("")
            .unwrap()
            .into_iter()
            .filter(|k| !naming::is_dataset_key(uuid, k))
            .collect();
        let factory = DatasetFactory::new(store.clone(), uuid);
        let report = garbage_collect(&factory, &GcOptions::immediate())
            .unwrap_or_else(|e| panic!("{uuid}: {e}"));
        assert_eq!(report.files, python_garbage(uuid), "{uuid}");
        for key in &report.files {
            assert!(!store.exists(key).unwrap(), "{uuid}: {key} still there");
        }
        let left_others: Vec<String> = store
            .list_keys("")
            .unwrap()
            .into_iter()
            .filter(|k| !naming::is_dataset_key(uuid, k))
            .collect();
        assert_eq!(left_others, others, "{uuid}: other datasets untouched");
        if dataset["plateau_read_table"] == "ok" {
            let table = read_table(
                &DatasetFactory::new(store.clone(), uuid),
                &ReadOptions::default(),
            )
            .unwrap_or_else(|e| panic!("{uuid} after gc: {e}"));
            assert_eq!(
                Some(table.num_rows() as u64),
                dataset["read_table_rows"].as_u64(),
                "{uuid}"
            );
        }
        // A second run finds nothing.
        let again = garbage_collect(&factory, &GcOptions::immediate()).unwrap();
        assert!(again.files.is_empty(), "{uuid}: {:?}", again.files);
    }
}

#[test]
fn delete_removes_every_key_of_the_dataset_and_nothing_else() {
    for dataset in loadable() {
        let uuid = dataset["uuid"].as_str().unwrap();
        let store = copy_of(uuid);
        assert!(!dataset_keys(&store, uuid).is_empty());
        let others: Vec<String> = store
            .list_keys("")
            .unwrap()
            .into_iter()
            .filter(|k| !naming::is_dataset_key(uuid, k))
            .collect();
        delete_dataset(&DatasetFactory::new(store.clone(), uuid))
            .unwrap_or_else(|e| panic!("{uuid}: {e}"));
        // Python leaves msgpack files behind and fails on `ref_empty_header`,
        // `ref_empty_partitioned` and `legacy_embedded_index`.
        assert_eq!(dataset_keys(&store, uuid), Vec::<String>::new(), "{uuid}");
        assert_eq!(store.list_keys("").unwrap(), others, "{uuid}");
    }
}

/// Rebuilding the indices Python built gives the same index content.
#[test]
fn rebuilt_indices_equal_the_ones_python_built() {
    for (uuid, columns) in [
        ("ref_secondary_indices", vec!["d", "i", "s", "t"]),
        (
            "ref_secondary_indices_more",
            vec!["b", "by", "f", "tz", "u"],
        ),
        ("ref_partitioned_indexed", vec!["k"]),
        ("ref_msgpack", vec!["k"]),
        ("ref_updated_gc", vec!["d", "k"]),
        ("legacy_index_key", vec!["i", "s"]),
    ] {
        let store = copy_of(uuid);
        let python = DatasetFactory::new(store.clone(), uuid)
            .load_all_indices()
            .unwrap();
        let columns: Vec<String> = columns.into_iter().map(str::to_owned).collect();
        let factory = DatasetFactory::new(store.clone(), uuid);
        let built = build_indices(&factory, &columns).unwrap_or_else(|e| panic!("{uuid}: {e}"));
        assert_eq!(
            built.format, python.format,
            "{uuid}: the metadata format is kept"
        );
        let rust = DatasetFactory::new(store.clone(), uuid)
            .load_all_indices()
            .unwrap();
        for column in &columns {
            let before = python.indices[column].index.as_ref().unwrap();
            let after = rust.indices[column].index.as_ref().unwrap();
            assert_ne!(
                python.indices[column].storage_key(),
                rust.indices[column].storage_key(),
                "{uuid}.{column}: a new file"
            );
            assert_eq!(before.data_type(), after.data_type(), "{uuid}.{column}");
            let sorted = |index: &plateau_index::Index| {
                index
                    .entries()
                    .unwrap()
                    .into_iter()
                    .map(|(value, mut labels)| {
                        labels.sort();
                        (format!("{value:?}"), labels.join(","))
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(sorted(after), sorted(before), "{uuid}.{column}");
        }
        // The old index files are garbage now, and only those.
        let report = garbage_collect(&factory, &GcOptions::immediate()).unwrap();
        let old: Vec<String> = columns
            .iter()
            .filter_map(|c| python.indices[c].storage_key())
            .filter(|k| k.starts_with(&naming::indices_prefix(uuid)))
            .map(str::to_owned)
            .collect();
        let mut old = old;
        old.sort();
        assert_eq!(report.files, old, "{uuid}");
    }
}
