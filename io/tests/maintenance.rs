#![allow(clippy::unwrap_used)]
//! Garbage collection, delete and index building (plateau_io::maintenance).
//!
//! Datasets are assembled by hand here (data files, `_common_metadata`, index files, metadata)
//! so these tests depend on nothing but the maintenance code and the format crates; the
//! shared suites in plateau-testing cover the same ground through the write path.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use arrow::array::{
    ArrayRef, Int64Array, Int8Array, NullArray, RecordBatch, StringArray, UInt64Array,
};
use plateau_core::naming::{self, MetadataFormat};
use plateau_core::{Error, Scalar, Store};
use plateau_index::Index;
use plateau_io::maintenance::{build_indices, delete_dataset, garbage_collect, GcOptions};
use plateau_metadata::common_metadata::write_common_metadata;
use plateau_metadata::schema::make_meta;
use plateau_metadata::{codec, DatasetFactory, DatasetMetadataBuilder};
use plateau_serialization::{ParquetSerializer, Serializer};

/// One partition to write: its label's partition pairs (`("P", "1")`) and its data (without
/// partition columns).
struct Part {
    pairs: Vec<(&'static str, &'static str)>,
    data: RecordBatch,
}

fn part(data: RecordBatch) -> Part {
    Part {
        pairs: vec![],
        data,
    }
}

/// A hand-built dataset.
struct Spec {
    uuid: &'static str,
    parts: Vec<Part>,
    partition_keys: Vec<String>,
    secondary: Vec<&'static str>,
    format: MetadataFormat,
    explicit: bool,
    /// The schema of `_common_metadata` when there are no parts.
    schema_of: Option<RecordBatch>,
}

impl Spec {
    fn new(uuid: &'static str, parts: Vec<Part>) -> Self {
        Self {
            uuid,
            parts,
            partition_keys: vec![],
            secondary: vec![],
            format: MetadataFormat::Json,
            explicit: true,
            schema_of: None,
        }
    }

    fn write(&self, store: &Store) {
        let uuid = self.uuid;
        let mut builder = DatasetMetadataBuilder::new(uuid)
            .partition_keys(self.partition_keys.clone())
            .format(self.format)
            .add_metadata("dataset", "metadata".into());
        let mut indices: Vec<Vec<Index>> = vec![vec![]; self.secondary.len()];
        let mut schema_batch = self.schema_of.clone();
        for p in &self.parts {
            let components: Vec<String> = p
                .pairs
                .iter()
                .map(|(c, v)| naming::label_component(c, v))
                .collect();
            let label = naming::partition_label(&components, &naming::gen_uuid());
            let key = ParquetSerializer::default()
                .store(store, &format!("{uuid}/table/{label}"), &p.data)
                .unwrap();
            builder = builder.add_partition(label.clone(), key);
            for (i, column) in self.secondary.iter().enumerate() {
                let array = p.data.column_by_name(column).unwrap();
                indices[i].push(Index::from_array(column, array.as_ref(), &label).unwrap());
            }
            schema_batch.get_or_insert_with(|| with_partition_columns(&p.data, &p.pairs));
        }
        for (column, parts) in self.secondary.iter().zip(indices) {
            let merged = Index::merge_all(parts).unwrap().unwrap();
            let stored = merged
                .store(store, uuid, &format!("2020-01-01T00:00:0{}", column.len()))
                .unwrap();
            builder = builder.add_external_index(*column, stored.storage_key().unwrap());
        }
        if let Some(batch) = schema_batch {
            let meta = make_meta(&batch.schema(), "test", &self.partition_keys).unwrap();
            store
                .put(
                    &naming::common_metadata_key(uuid, "table"),
                    write_common_metadata(&meta).unwrap(),
                )
                .unwrap();
        }
        let mut metadata = builder.build().unwrap();
        metadata.explicit_partitions = self.explicit;
        store
            .put_if_absent(
                &naming::metadata_key(uuid, self.format),
                codec::encode(&metadata, self.format).unwrap().into(),
            )
            .unwrap();
    }
}

/// The data batch plus int64 partition columns in front, for the schema.
fn with_partition_columns(data: &RecordBatch, pairs: &[(&str, &str)]) -> RecordBatch {
    let mut columns: Vec<(String, ArrayRef)> = pairs
        .iter()
        .map(|(c, v)| {
            let value: i64 = v.parse().unwrap();
            (
                c.to_string(),
                Arc::new(Int64Array::from(vec![value; data.num_rows()])) as ArrayRef,
            )
        })
        .collect();
    for (field, column) in data.schema().fields().iter().zip(data.columns()) {
        columns.push((field.name().clone(), Arc::clone(column)));
    }
    RecordBatch::try_from_iter(columns).unwrap()
}

fn ints(columns: &[(&str, Vec<i64>)]) -> RecordBatch {
    RecordBatch::try_from_iter(columns.iter().map(|(name, values)| {
        (
            *name,
            Arc::new(Int64Array::from(values.clone())) as ArrayRef,
        )
    }))
    .unwrap()
}

/// plateau's `utils.create_dataset`: two identical frames P, L, TARGET, secondary index P.
fn create_dataset(store: &Store, uuid: &'static str) {
    let df = || {
        part(ints(&[
            ("P", (0..10).collect()),
            ("L", (0..10).collect()),
            ("TARGET", (10..20).collect()),
        ]))
    };
    let mut spec = Spec::new(uuid, vec![df(), df()]);
    spec.secondary = vec!["P"];
    spec.write(store);
}

fn keys(store: &Store) -> Vec<String> {
    store.list_keys("").unwrap()
}

fn trash(store: &Store, uuid: &str) {
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
}

fn entries(index: &Index) -> Vec<(Scalar, Vec<String>)> {
    index
        .entries()
        .unwrap()
        .into_iter()
        .map(|(v, mut labels)| {
            labels.sort();
            (v, labels.into_iter().map(str::to_owned).collect())
        })
        .collect()
}

fn loaded_index(store: &Store, uuid: &str, column: &str) -> Index {
    let factory = DatasetFactory::new(store.clone(), uuid);
    let metadata = factory.load_all_indices().unwrap();
    metadata.indices[column].index.clone().unwrap()
}

// ---------------------------------------------------------------- gc

#[test]
fn gc_is_idempotent_without_garbage() {
    let store = Store::memory();
    create_dataset(&store, "uuid");
    let before = keys(&store);
    let report = garbage_collect(
        &DatasetFactory::new(store.clone(), "uuid"),
        &GcOptions::immediate(),
    )
    .unwrap();
    assert!(report.files.is_empty());
    assert_eq!(keys(&store), before);
}

#[test]
fn gc_removes_unreferenced_table_and_index_files() {
    let store = Store::memory();
    create_dataset(&store, "uuid");
    let before = keys(&store);
    trash(&store, "uuid");
    let report = garbage_collect(
        &DatasetFactory::new(store.clone(), "uuid"),
        &GcOptions::immediate(),
    )
    .unwrap();
    assert_eq!(
        report.files,
        ["uuid/indices/trash.parquet", "uuid/table/trash.parquet"]
    );
    assert_eq!(keys(&store), before);
    // Running again finds nothing.
    let report = garbage_collect(
        &DatasetFactory::new(store.clone(), "uuid"),
        &GcOptions::immediate(),
    )
    .unwrap();
    assert!(report.files.is_empty());
}

#[test]
fn gc_without_secondary_indices() {
    let store = Store::memory();
    Spec::new(
        "dataset_uuid",
        vec![part(ints(&[("x", vec![1])])), part(ints(&[("x", vec![2])]))],
    )
    .write(&store);
    let before = keys(&store);
    trash(&store, "dataset_uuid");
    garbage_collect(
        &DatasetFactory::new(store.clone(), "dataset_uuid"),
        &GcOptions::immediate(),
    )
    .unwrap();
    assert_eq!(keys(&store), before);
}

#[test]
fn gc_removes_replaced_index_files() {
    let store = Store::memory();
    create_dataset(&store, "uuid");
    let factory = DatasetFactory::new(store.clone(), "uuid");
    let old_key = factory.metadata().unwrap().indices["P"]
        .storage_key()
        .unwrap()
        .to_owned();
    build_indices(&factory, &["P".to_owned()]).unwrap();
    let report = garbage_collect(&factory, &GcOptions::immediate()).unwrap();
    assert_eq!(report.files, [old_key]);
}

#[test]
fn gc_dry_run_reports_without_deleting() {
    let store = Store::memory();
    create_dataset(&store, "uuid");
    trash(&store, "uuid");
    let before = keys(&store);
    let report = garbage_collect(
        &DatasetFactory::new(store.clone(), "uuid"),
        &GcOptions::immediate().dry_run(true),
    )
    .unwrap();
    assert_eq!(
        report.files,
        ["uuid/indices/trash.parquet", "uuid/table/trash.parquet"]
    );
    assert_eq!(keys(&store), before);
}

#[test]
fn gc_min_age_keeps_recent_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::local(dir.path()).unwrap();
    create_dataset(&store, "uuid");
    store
        .put("uuid/table/old.parquet", b"old".to_vec().into())
        .unwrap();
    store
        .put("uuid/table/new.parquet", b"new".to_vec().into())
        .unwrap();
    // Backdate one file by two hours.
    let file = std::fs::File::options()
        .write(true)
        .open(dir.path().join("uuid/table/old.parquet"))
        .unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(7200))
        .unwrap();
    drop(file);

    let factory = DatasetFactory::new(store.clone(), "uuid");
    let report = garbage_collect(&factory, &GcOptions::default()).unwrap();
    assert_eq!(report.files, ["uuid/table/old.parquet"]);
    assert!(store.exists("uuid/table/new.parquet").unwrap());
    assert!(!store.exists("uuid/table/old.parquet").unwrap());

    let report = garbage_collect(&factory, &GcOptions::immediate()).unwrap();
    assert_eq!(report.files, ["uuid/table/new.parquet"]);
}

#[test]
fn gc_works_on_datasets_without_partitions() {
    let store = Store::memory();
    let mut spec = Spec::new("uuid", vec![]);
    spec.schema_of = Some(ints(&[("x", vec![])]));
    spec.write(&store);
    let before = keys(&store);
    assert!(before.contains(&"uuid/table/_common_metadata".to_owned()));
    trash(&store, "uuid");
    let report = garbage_collect(
        &DatasetFactory::new(store.clone(), "uuid"),
        &GcOptions::immediate(),
    )
    .unwrap();
    assert_eq!(report.files.len(), 2);
    assert_eq!(keys(&store), before);
}

#[test]
fn gc_never_deletes_table_files_of_implicit_datasets() {
    let store = Store::memory();
    let mut spec = Spec::new("uuid", vec![part(ints(&[("x", vec![1])]))]);
    spec.explicit = false;
    spec.write(&store);
    trash(&store, "uuid");
    store
        .put("uuid/table/notes.txt", b"x".to_vec().into())
        .unwrap();
    let report = garbage_collect(
        &DatasetFactory::new(store.clone(), "uuid"),
        &GcOptions::immediate(),
    )
    .unwrap();
    assert_eq!(report.files, ["uuid/indices/trash.parquet"]);
    assert!(store.exists("uuid/table/trash.parquet").unwrap());
    assert!(store.exists("uuid/table/notes.txt").unwrap());
}

#[test]
fn gc_touches_only_the_two_garbage_prefixes_of_its_dataset() {
    let store = Store::memory();
    create_dataset(&store, "uuid");
    create_dataset(&store, "uuid_other");
    let foreign = [
        "uuid/other/x.parquet",
        "uuid.something",
        "uuid.x.by-dataset-index.parquet",
        "uuid_other/table/trash.parquet",
        "uuid_other/indices/trash.parquet",
        "uuidX/indices/trash.parquet",
        "prefixuuid/table/trash.parquet",
    ];
    for key in foreign {
        store.put(key, b"x".to_vec().into()).unwrap();
    }
    let before = keys(&store);
    let report = garbage_collect(
        &DatasetFactory::new(store.clone(), "uuid"),
        &GcOptions::immediate(),
    )
    .unwrap();
    assert!(report.files.is_empty(), "{:?}", report.files);
    assert_eq!(keys(&store), before);
}

#[test]
fn gc_judges_against_the_stored_metadata_not_a_stale_cache() {
    let store = Store::memory();
    create_dataset(&store, "uuid");
    let stale = DatasetFactory::new(store.clone(), "uuid");
    stale.metadata().unwrap();
    // Someone else adds a partition.
    let other = DatasetFactory::new(store.clone(), "uuid");
    let current = other.metadata().unwrap();
    let mut updated = (*current).clone();
    let key = ParquetSerializer::default()
        .store(
            &store,
            "uuid/table/newpart",
            &ints(&[("L", vec![1]), ("P", vec![1]), ("TARGET", vec![1])]),
        )
        .unwrap();
    updated.partitions.insert(
        "newpart".into(),
        plateau_metadata::Partition { file: key.clone() },
    );
    store
        .put_if_match(
            &updated.metadata_key(),
            codec::to_json(&updated).unwrap().into(),
            current.version.as_ref().unwrap(),
        )
        .unwrap();
    let report = garbage_collect(&stale, &GcOptions::immediate()).unwrap();
    assert!(report.files.is_empty(), "{:?}", report.files);
    assert!(store.exists(&key).unwrap());
    assert_eq!(stale.metadata().unwrap().partitions.len(), 3);
}

#[test]
fn gc_of_a_uuid_without_metadata_removes_old_orphans() {
    let store = Store::memory();
    let err = garbage_collect(
        &DatasetFactory::new(store.clone(), "nope"),
        &GcOptions::immediate(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::DatasetNotFound { .. }), "{err}");
    store
        .put("nope/indices/trash.parquet", b"x".to_vec().into())
        .unwrap();
    // Young orphans may belong to a first write about to commit: kept by default.
    let factory = DatasetFactory::new(store.clone(), "nope");
    let report = garbage_collect(&factory, &GcOptions::default()).unwrap();
    assert!(report.files.is_empty());
    assert_eq!(report.kept_young, 1);
    assert_eq!(keys(&store), ["nope/indices/trash.parquet"]);
    let report = garbage_collect(&factory, &GcOptions::immediate()).unwrap();
    assert_eq!(report.files, ["nope/indices/trash.parquet"]);
    assert!(keys(&store).is_empty());
}

// ---------------------------------------------------------------- delete

#[test]
fn delete_removes_everything() {
    let store = Store::memory();
    create_dataset(&store, "dataset");
    assert!(!keys(&store).is_empty());
    delete_dataset(&DatasetFactory::new(store.clone(), "dataset")).unwrap();
    assert!(keys(&store).is_empty(), "{:?}", keys(&store));
}

#[test]
fn delete_removes_only_the_dataset() {
    let store = Store::memory();
    create_dataset(&store, "dataset");
    create_dataset(&store, "another_dataset");
    let n = keys(&store).len();
    delete_dataset(&DatasetFactory::new(store.clone(), "dataset")).unwrap();
    assert_eq!(keys(&store).len(), n / 2);
    assert!(keys(&store)
        .iter()
        .all(|k| k.starts_with("another_dataset")));
}

#[test]
fn delete_keeps_keys_that_merely_contain_the_uuid() {
    let store = Store::memory();
    create_dataset(&store, "UUID");
    create_dataset(&store, "UUID_other");
    store.put("prefixUUID", Vec::new().into()).unwrap();
    store
        .put("UUIDsuffix/table/x.parquet", Vec::new().into())
        .unwrap();
    let mut expected: Vec<String> = keys(&store)
        .into_iter()
        .filter(|k| !naming::is_dataset_key("UUID", k))
        .collect();
    expected.sort();
    delete_dataset(&DatasetFactory::new(store.clone(), "UUID")).unwrap();
    assert_eq!(keys(&store), expected);
    assert!(keys(&store).contains(&"prefixUUID".to_owned()));
}

#[test]
fn delete_tolerates_any_missing_non_metadata_key() {
    let reference = Store::memory();
    create_dataset(&reference, "dataset");
    let all = keys(&reference);
    for missing in &all {
        if missing == "dataset.by-dataset-metadata.json" {
            continue;
        }
        let store = Store::memory();
        for key in all.iter().filter(|k| *k != missing) {
            store.put(key, reference.get(key).unwrap()).unwrap();
        }
        delete_dataset(&DatasetFactory::new(store.clone(), "dataset")).unwrap();
        assert!(
            keys(&store).is_empty(),
            "missing {missing}: {:?}",
            keys(&store)
        );
    }
}

#[test]
fn delete_removes_unreferenced_files() {
    let store = Store::memory();
    create_dataset(&store, "dataset");
    trash(&store, "dataset");
    delete_dataset(&DatasetFactory::new(store.clone(), "dataset")).unwrap();
    assert!(keys(&store).is_empty(), "{:?}", keys(&store));
}

#[test]
fn delete_of_a_msgpack_dataset_removes_the_msgpack_metadata() {
    let store = Store::memory();
    let mut spec = Spec::new("dataset", vec![part(ints(&[("x", vec![1])]))]);
    spec.format = MetadataFormat::Msgpack;
    spec.secondary = vec!["x"];
    spec.write(&store);
    assert!(store
        .exists("dataset.by-dataset-metadata.msgpack.zstd")
        .unwrap());
    delete_dataset(&DatasetFactory::new(store.clone(), "dataset")).unwrap();
    assert!(keys(&store).is_empty(), "{:?}", keys(&store));
}

#[test]
fn delete_removes_a_shadowed_msgpack_file_too() {
    // The state Python leaves after updating a msgpack dataset: both files.
    let store = Store::memory();
    create_dataset(&store, "dataset");
    let metadata = DatasetFactory::new(store.clone(), "dataset")
        .metadata()
        .unwrap();
    store
        .put(
            "dataset.by-dataset-metadata.msgpack.zstd",
            codec::to_msgpack(&metadata).unwrap().into(),
        )
        .unwrap();
    delete_dataset(&DatasetFactory::new(store.clone(), "dataset")).unwrap();
    assert!(keys(&store).is_empty(), "{:?}", keys(&store));
}

#[test]
fn delete_works_without_partitions() {
    let store = Store::memory();
    let mut spec = Spec::new("dataset", vec![]);
    spec.schema_of = Some(ints(&[("x", vec![])]));
    spec.write(&store);
    delete_dataset(&DatasetFactory::new(store.clone(), "dataset")).unwrap();
    assert!(keys(&store).is_empty(), "{:?}", keys(&store));
}

#[test]
fn delete_of_an_implicit_dataset_removes_its_partitions() {
    let store = Store::memory();
    let mut spec = Spec::new(
        "dataset",
        vec![
            Part {
                pairs: vec![("P", "1")],
                data: ints(&[("x", vec![1])]),
            },
            Part {
                pairs: vec![("P", "2")],
                data: ints(&[("x", vec![2])]),
            },
        ],
    );
    spec.partition_keys = vec!["P".into()];
    spec.explicit = false;
    spec.write(&store);
    store
        .put("dataset/indices/trash.parquet", b"x".to_vec().into())
        .unwrap();
    store
        .put("dataset/table/notes.txt", b"x".to_vec().into())
        .unwrap();
    store.put("dataset/other/x", b"x".to_vec().into()).unwrap();
    delete_dataset(&DatasetFactory::new(store.clone(), "dataset")).unwrap();
    // Like gc, delete leaves keys outside `indices/` and the table alone.
    assert_eq!(keys(&store), ["dataset/other/x"]);
}

#[test]
fn delete_never_follows_references_out_of_the_dataset() {
    let store = Store::memory();
    create_dataset(&store, "victim");
    let victim_keys = keys(&store);
    let victim_file = victim_keys
        .iter()
        .find(|k| k.ends_with(".parquet") && k.contains("/table/"))
        .unwrap();
    let mut spec = Spec::new("dataset", vec![part(ints(&[("x", vec![1])]))]);
    spec.secondary = vec!["x"];
    spec.write(&store);
    // Corrupt the metadata so that it names a file of another dataset.
    let factory = DatasetFactory::new(store.clone(), "dataset");
    let mut metadata = (*factory.metadata().unwrap()).clone();
    metadata.partitions.insert(
        "stolen".into(),
        plateau_metadata::Partition {
            file: victim_file.clone(),
        },
    );
    store
        .put(
            &metadata.metadata_key(),
            codec::to_json(&metadata).unwrap().into(),
        )
        .unwrap();
    delete_dataset(&DatasetFactory::new(store.clone(), "dataset")).unwrap();
    assert_eq!(keys(&store), victim_keys);
}

#[test]
fn delete_of_a_missing_dataset_is_dataset_not_found() {
    let store = Store::memory();
    let err = delete_dataset(&DatasetFactory::new(store, "nope")).unwrap_err();
    assert!(matches!(err, Error::DatasetNotFound { .. }), "{err}");
}

#[test]
fn delete_drops_the_factory_cache() {
    let store = Store::memory();
    create_dataset(&store, "dataset");
    let factory = DatasetFactory::new(store.clone(), "dataset");
    factory.metadata().unwrap();
    delete_dataset(&factory).unwrap();
    assert!(!factory.exists().unwrap());
    assert!(matches!(
        factory.metadata(),
        Err(Error::DatasetNotFound { .. })
    ));
}

// ---------------------------------------------------------------- build_indices

#[test]
fn build_indices_on_an_unindexed_dataset() {
    let store = Store::memory();
    Spec::new(
        "dataset_uuid",
        vec![
            part(ints(&[("p", vec![1, 2])])),
            part(ints(&[("p", vec![2, 3])])),
        ],
    )
    .write(&store);
    let factory = DatasetFactory::new(store.clone(), "dataset_uuid");
    assert!(factory.load_all_indices().unwrap().indices.is_empty());

    let returned = build_indices(&factory, &["p".to_owned()]).unwrap();
    assert!(returned.indices.contains_key("p"));

    let index = loaded_index(&store, "dataset_uuid", "p");
    let by_value: Vec<(Scalar, Vec<String>)> = entries(&index);
    assert_eq!(by_value.len(), 3);
    let labels = |v: i64| {
        by_value
            .iter()
            .find(|(s, _)| *s == Scalar::Int(v))
            .unwrap()
            .1
            .clone()
    };
    assert_eq!(labels(1).len(), 1);
    assert_eq!(labels(2).len(), 2);
    assert_eq!(labels(3).len(), 1);
    let overlap = |a: &[String], b: &[String]| a.iter().filter(|l| b.contains(l)).count();
    assert_eq!(overlap(&labels(3), &labels(2)), 1);
    assert_eq!(overlap(&labels(1), &labels(2)), 1);
    assert_eq!(overlap(&labels(1), &labels(3)), 0);

    // The factory caches the committed metadata, and it is what the store holds.
    let stored = DatasetFactory::new(store.clone(), "dataset_uuid")
        .metadata()
        .unwrap();
    assert_eq!(
        factory
            .metadata()
            .unwrap()
            .indices
            .keys()
            .collect::<Vec<_>>(),
        ["p"]
    );
    assert_eq!(stored.indices["p"].source, returned.indices["p"].source);
    assert_eq!(stored.version, returned.version);
}

#[test]
fn build_indices_fails_for_an_unknown_column() {
    let store = Store::memory();
    Spec::new("dataset_uuid", vec![part(ints(&[("p", vec![1, 2])]))]).write(&store);
    let before = keys(&store);
    let err = build_indices(
        &DatasetFactory::new(store.clone(), "dataset_uuid"),
        &["abc".to_owned()],
    )
    .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("Column `abc` could not be found in the partition"),
        "{message}"
    );
    assert_eq!(keys(&store), before);
}

#[test]
fn build_indices_fails_when_a_partition_file_lacks_the_column() {
    let store = Store::memory();
    // `_common_metadata` names `q`, the first file lacks it.
    let mut spec = Spec::new("dataset_uuid", vec![part(ints(&[("p", vec![1])]))]);
    spec.schema_of = Some(ints(&[("p", vec![1]), ("q", vec![1])]));
    spec.write(&store);
    let err = build_indices(
        &DatasetFactory::new(store, "dataset_uuid"),
        &["q".to_owned()],
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("Column `q` could not be found in the partition `"),
        "{err}"
    );
}

#[test]
fn build_indices_rejects_partition_columns() {
    let store = Store::memory();
    let mut spec = Spec::new(
        "dataset_uuid",
        vec![Part {
            pairs: vec![("P", "1")],
            data: ints(&[("x", vec![1])]),
        }],
    );
    spec.partition_keys = vec!["P".into()];
    spec.write(&store);
    let err = build_indices(
        &DatasetFactory::new(store, "dataset_uuid"),
        &["P".to_owned()],
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("Cannot create secondary index on partition columns: {'P'}"),
        "{err}"
    );
}

#[test]
fn build_indices_adds_a_column_and_keeps_existing_indices() {
    let store = Store::memory();
    let mut spec = Spec::new(
        "dataset_uuid",
        vec![
            part(ints(&[("p", vec![1, 2]), ("x", vec![100, 4500])])),
            part(ints(&[("p", vec![4, 3]), ("x", vec![500, 10])])),
        ],
    );
    spec.secondary = vec!["p"];
    spec.write(&store);
    let p_key = DatasetFactory::new(store.clone(), "dataset_uuid")
        .metadata()
        .unwrap()
        .indices["p"]
        .storage_key()
        .unwrap()
        .to_owned();

    build_indices(
        &DatasetFactory::new(store.clone(), "dataset_uuid"),
        &["x".to_owned()],
    )
    .unwrap();
    let metadata = DatasetFactory::new(store.clone(), "dataset_uuid")
        .load_all_indices()
        .unwrap();
    assert_eq!(metadata.indices.keys().collect::<Vec<_>>(), ["p", "x"]);
    assert_eq!(metadata.indices["p"].storage_key(), Some(p_key.as_str()));
    let x = metadata.indices["x"].index.as_ref().unwrap();
    assert_eq!(
        entries(x).into_iter().map(|(v, _)| v).collect::<Vec<_>>(),
        [10i64, 100, 500, 4500].map(Scalar::Int)
    );
}

#[test]
fn build_indices_keeps_uint64_values_exact_and_rebuilds_identically() {
    let store = Store::memory();
    let u = |v: u64| {
        part(
            RecordBatch::try_from_iter([("p", Arc::new(UInt64Array::from(vec![v])) as ArrayRef)])
                .unwrap(),
        )
    };
    Spec::new(
        "dataset_uuid",
        vec![u(0), u(u64::MAX), u(17128351978467489013)],
    )
    .write(&store);
    let factory = DatasetFactory::new(store.clone(), "dataset_uuid");
    build_indices(&factory, &["p".to_owned()]).unwrap();
    let first = entries(&loaded_index(&store, "dataset_uuid", "p"));
    assert_eq!(
        first.iter().map(|(v, _)| v.clone()).collect::<Vec<_>>(),
        [0u64, 17128351978467489013, u64::MAX].map(Scalar::UInt)
    );
    assert_eq!(first.iter().map(|(_, l)| l.len()).sum::<usize>(), 3);

    let old_key = factory.metadata().unwrap().indices["p"]
        .storage_key()
        .unwrap()
        .to_owned();
    build_indices(&factory, &["p".to_owned()]).unwrap();
    let new_key = factory.metadata().unwrap().indices["p"]
        .storage_key()
        .unwrap()
        .to_owned();
    assert_ne!(
        old_key, new_key,
        "a rebuilt index is written under a new key"
    );
    assert_eq!(entries(&loaded_index(&store, "dataset_uuid", "p")), first);
}

#[test]
fn build_indices_ignores_empty_partitions() {
    let store = Store::memory();
    let i8s = |v: Vec<i8>| {
        part(RecordBatch::try_from_iter([("p", Arc::new(Int8Array::from(v)) as ArrayRef)]).unwrap())
    };
    Spec::new("dataset_uuid", vec![i8s(vec![]), i8s(vec![1])]).write(&store);
    build_indices(
        &DatasetFactory::new(store.clone(), "dataset_uuid"),
        &["p".to_owned()],
    )
    .unwrap();
    let index = loaded_index(&store, "dataset_uuid", "p");
    assert_eq!(index.len(), 1);
    assert_eq!(entries(&index)[0].0, Scalar::Int(1));
}

#[test]
fn build_indices_on_a_dataset_without_partitions_registers_an_empty_index() {
    let store = Store::memory();
    let mut spec = Spec::new("dataset_uuid", vec![]);
    spec.schema_of = Some(ints(&[("p", vec![])]));
    spec.write(&store);
    build_indices(
        &DatasetFactory::new(store.clone(), "dataset_uuid"),
        &["p".to_owned()],
    )
    .unwrap();
    let index = loaded_index(&store, "dataset_uuid", "p");
    assert!(index.is_empty());
    assert_eq!(index.data_type(), &arrow::datatypes::DataType::Int64);
}

#[test]
fn build_indices_keeps_the_msgpack_format() {
    let store = Store::memory();
    let mut spec = Spec::new("dataset_uuid", vec![part(ints(&[("p", vec![1])]))]);
    spec.format = MetadataFormat::Msgpack;
    spec.write(&store);
    build_indices(
        &DatasetFactory::new(store.clone(), "dataset_uuid"),
        &["p".to_owned()],
    )
    .unwrap();
    assert!(!store
        .exists("dataset_uuid.by-dataset-metadata.json")
        .unwrap());
    let metadata = DatasetFactory::new(store.clone(), "dataset_uuid")
        .metadata()
        .unwrap();
    assert_eq!(metadata.format, MetadataFormat::Msgpack);
    assert!(metadata.indices.contains_key("p"));
}

#[test]
fn build_indices_makes_an_implicit_dataset_explicit() {
    let store = Store::memory();
    let mut spec = Spec::new(
        "dataset_uuid",
        vec![
            Part {
                pairs: vec![("P", "1")],
                data: ints(&[("x", vec![1])]),
            },
            Part {
                pairs: vec![("P", "2")],
                data: ints(&[("x", vec![2])]),
            },
        ],
    );
    spec.partition_keys = vec!["P".into()];
    spec.explicit = false;
    spec.write(&store);
    build_indices(
        &DatasetFactory::new(store.clone(), "dataset_uuid"),
        &["x".to_owned()],
    )
    .unwrap();
    let raw = store.get("dataset_uuid.by-dataset-metadata.json").unwrap();
    let dict: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(dict["partitions"].as_object().unwrap().len(), 2);
    assert_eq!(dict["partition_keys"], serde_json::json!(["P"]));
    let metadata = DatasetFactory::new(store.clone(), "dataset_uuid")
        .metadata()
        .unwrap();
    assert!(metadata.explicit_partitions);
}

#[test]
fn build_indices_conflicts_on_a_stale_factory() {
    let store = Store::memory();
    Spec::new(
        "dataset_uuid",
        vec![part(ints(&[("p", vec![1]), ("q", vec![2])]))],
    )
    .write(&store);
    let stale = DatasetFactory::new(store.clone(), "dataset_uuid");
    stale.metadata().unwrap();
    build_indices(
        &DatasetFactory::new(store.clone(), "dataset_uuid"),
        &["p".to_owned()],
    )
    .unwrap();
    let before = store.get("dataset_uuid.by-dataset-metadata.json").unwrap();
    let err = build_indices(&stale, &["q".to_owned()]).unwrap_err();
    assert!(matches!(err, Error::CommitConflict { .. }), "{err}");
    assert_eq!(
        store.get("dataset_uuid.by-dataset-metadata.json").unwrap(),
        before
    );
    // The index file written for the lost commit is garbage.
    let report = garbage_collect(&stale, &GcOptions::immediate()).unwrap();
    assert_eq!(report.files.len(), 1);
    assert!(report.files[0].starts_with("dataset_uuid/indices/q/"));
}

#[test]
fn build_indices_rejects_null_typed_columns_and_missing_schemas() {
    let store = Store::memory();
    let batch = RecordBatch::try_from_iter_with_nullable([
        ("p", Arc::new(Int64Array::from(vec![1])) as ArrayRef, true),
        ("n", Arc::new(NullArray::new(1)) as ArrayRef, true),
    ])
    .unwrap();
    Spec::new("dataset_uuid", vec![part(batch)]).write(&store);
    let err = build_indices(
        &DatasetFactory::new(store.clone(), "dataset_uuid"),
        &["n".to_owned()],
    )
    .unwrap_err();
    assert!(err.to_string().contains("null/NA type"), "{err}");

    store.delete("dataset_uuid/table/_common_metadata").unwrap();
    let err = build_indices(
        &DatasetFactory::new(store, "dataset_uuid"),
        &["p".to_owned()],
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("Dataset schema needs to be loaded"),
        "{err}"
    );
}

#[test]
fn build_indices_on_strings_and_with_no_columns() {
    let store = Store::memory();
    let batch = RecordBatch::try_from_iter([(
        "s",
        Arc::new(StringArray::from(vec!["b", "a", "b"])) as ArrayRef,
    )])
    .unwrap();
    Spec::new("dataset_uuid", vec![part(batch)]).write(&store);
    let before = store.get("dataset_uuid.by-dataset-metadata.json").unwrap();
    build_indices(&DatasetFactory::new(store.clone(), "dataset_uuid"), &[]).unwrap();
    assert_eq!(
        store.get("dataset_uuid.by-dataset-metadata.json").unwrap(),
        before
    );

    build_indices(
        &DatasetFactory::new(store.clone(), "dataset_uuid"),
        &["s".to_owned(), "s".to_owned()],
    )
    .unwrap();
    let index = loaded_index(&store, "dataset_uuid", "s");
    assert_eq!(
        entries(&index)
            .into_iter()
            .map(|(v, _)| v)
            .collect::<Vec<_>>(),
        [Scalar::from("a"), Scalar::from("b")]
    );
}

#[test]
fn build_indices_on_csv_partitions_uses_the_dataset_types() {
    use plateau_io::write::{store_dataset, StoreOptions};
    use plateau_serialization::CsvSerializer;
    let store = Store::memory();
    // `code` looks numeric but is a string column; the file order differs from the schema's.
    let batch = RecordBatch::try_from_iter_with_nullable([
        (
            "z",
            Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef,
            true,
        ),
        (
            "p",
            Arc::new(Int64Array::from(vec![1, 1, 2])) as ArrayRef,
            true,
        ),
        (
            "code",
            Arc::new(StringArray::from(vec!["01", "2", "01"])) as ArrayRef,
            true,
        ),
    ])
    .unwrap();
    store_dataset(
        &store,
        "csv",
        &[batch],
        &StoreOptions::default()
            .partition_on(["p"])
            .serializer(CsvSerializer::default()),
    )
    .unwrap();
    assert!(
        keys(&store).iter().any(|k| k.ends_with(".csv.gz")),
        "{:?}",
        keys(&store)
    );
    build_indices(
        &DatasetFactory::new(store.clone(), "csv"),
        &["code".to_owned(), "z".to_owned()],
    )
    .unwrap();
    let code = loaded_index(&store, "csv", "code");
    assert_eq!(code.data_type(), &arrow::datatypes::DataType::LargeUtf8);
    let values: Vec<Scalar> = entries(&code).into_iter().map(|(v, _)| v).collect();
    assert_eq!(values, [Scalar::from("01"), Scalar::from("2")]);
    let z = loaded_index(&store, "csv", "z");
    assert_eq!(entries(&z).len(), 3);
    assert_eq!(entries(&z)[2].1.len(), 1);
    assert!(entries(&z)[2].1[0].starts_with("p=2/"));
}
