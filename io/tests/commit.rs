#![allow(clippy::unwrap_used, clippy::cloned_ref_to_slice_refs)]
//! The low-level flow `create_empty_dataset_header` → `write_single_partition` →
//! `commit_dataset` (reference §5.4, Python's tests/io/eager/test_commit.py and
//! test_write.py), and the `MetaPartition` message.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, Date32Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Int64Type};
use plateau_core::naming::MetadataFormat;
use plateau_core::{Error, Scalar, Store};
use plateau_io::read::{read_table, ReadOptions};
use plateau_io::update::{commit_dataset, CommitOptions};
use plateau_io::write::{
    create_empty_dataset_header, store_dataset, write_single_partition, HeaderOptions,
    StoreOptions, WriteOptions,
};
use plateau_io::MetaPartition;
use plateau_metadata::load::{load, LoadOptions};
use plateau_metadata::{DatasetFactory, DatasetMetadata};
use serde_json::json;

fn ints(values: &[i64]) -> ArrayRef {
    Arc::new(Int64Array::from(values.to_vec()))
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).unwrap()
}

fn keys(store: &Store) -> Vec<String> {
    store
        .list_keys("")
        .unwrap()
        .into_iter()
        .filter(|k| !k.starts_with(".plateau-locks"))
        .collect()
}

fn meta(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    value.as_object().unwrap().clone()
}

fn int_values(batch: &RecordBatch, name: &str) -> Vec<i64> {
    let column =
        arrow::compute::cast(batch.column_by_name(name).unwrap(), &DataType::Int64).unwrap();
    column.as_primitive::<Int64Type>().values().to_vec()
}

fn load_all(store: &Store, uuid: &str) -> DatasetMetadata {
    load(
        store,
        uuid,
        &LoadOptions::default()
            .load_schema(true)
            .load_all_indices(true),
    )
    .unwrap()
}

fn plt_date(p: i64, date: i32) -> RecordBatch {
    batch(vec![
        ("P", ints(&[p])),
        ("L", ints(&[p])),
        ("TARGET", ints(&[p])),
        ("DATE", Arc::new(Date32Array::from(vec![date])) as ArrayRef),
    ])
}

#[test]
fn commit_dataset_from_metapartition() {
    let store = Store::memory();
    let dataset = store_dataset(
        &store,
        "u",
        &[plt_date(1, 14610), plt_date(2, 14609)],
        &StoreOptions::default().metadata(meta(json!({"dataset": "metadata"}))),
    )
    .unwrap();
    let factory = DatasetFactory::new(store.clone(), "u");
    let written =
        write_single_partition(&factory, &[plt_date(5, 16883)], &WriteOptions::default()).unwrap();
    assert_eq!(written.len(), 1);
    // Written but not committed: the (explicit) dataset does not list it yet.
    let pre_commit = load(&store, "u", &LoadOptions::default()).unwrap();
    assert_eq!(pre_commit, dataset);

    let updated = commit_dataset(&factory, &written, &CommitOptions::default()).unwrap();
    assert_ne!(updated, dataset);
    assert_eq!(updated.uuid, "u");
    assert_eq!(updated.partitions.len(), dataset.partitions.len() + 1);
    assert_eq!(updated.partitions.keys().last().unwrap(), &written[0].label);
    assert_eq!(load(&store, "u", &LoadOptions::default()).unwrap(), updated);

    let table = read_table(&factory, &ReadOptions::default()).unwrap();
    let mut p = int_values(&table, "P");
    p.sort();
    assert_eq!(p, [1, 2, 5]);
    assert_eq!(updated.metadata["dataset"], json!("metadata"));
}

#[test]
fn commit_dataset_from_nested_metapartitions() {
    let store = Store::memory();
    let df = batch(vec![("a", ints(&[1, 1, 2, 2])), ("b", ints(&[3, 4, 5, 6]))]);
    create_empty_dataset_header(
        &store,
        "uuid",
        &df.schema(),
        &HeaderOptions::default().partition_on(["a"]),
    )
    .unwrap();
    let factory = DatasetFactory::new(store.clone(), "uuid");
    let mut partitions = Vec::new();
    for _ in 0..2 {
        partitions.extend(
            write_single_partition(
                &factory,
                &[df.clone()],
                &WriteOptions::default().partition_on(["a"]),
            )
            .unwrap(),
        );
    }
    assert_eq!(partitions.len(), 4);
    let labels: BTreeSet<String> = partitions.iter().map(|mp| mp.label.clone()).collect();
    let committed = commit_dataset(
        &factory,
        &partitions,
        &CommitOptions::default().partition_on(["a"]),
    )
    .unwrap();
    assert_eq!(
        committed
            .partitions
            .keys()
            .cloned()
            .collect::<BTreeSet<_>>(),
        labels
    );
    let table = read_table(&factory, &ReadOptions::default()).unwrap();
    assert_eq!(table.num_rows(), 8);
}

#[test]
fn create_dataset_header() {
    for format in [MetadataFormat::Json, MetadataFormat::Msgpack] {
        let store = Store::memory();
        let df = batch(vec![("col", ints(&[1]))]);
        let header = create_empty_dataset_header(
            &store,
            "new_dataset_uuid",
            &df.schema(),
            &HeaderOptions::default().metadata_format(format),
        )
        .unwrap();
        assert!(!header.explicit_partitions);
        assert!(header.partitions.is_empty());
        assert_eq!(keys(&store).len(), 2);
        let loaded = load(&store, "new_dataset_uuid", &LoadOptions::default()).unwrap();
        assert_eq!(loaded, header);
        assert_eq!(loaded.schema.as_ref().unwrap().names(), ["col"]);
        assert_eq!(loaded.format, format);
    }
    // The JSON has no `partitions` entry but has `partition_keys`.
    let store = Store::memory();
    let df = batch(vec![("p", ints(&[1])), ("x", ints(&[1]))]);
    create_empty_dataset_header(
        &store,
        "e",
        &df.schema(),
        &HeaderOptions::default().partition_on(["p"]),
    )
    .unwrap();
    let json =
        String::from_utf8(store.get("e.by-dataset-metadata.json").unwrap().to_vec()).unwrap();
    assert!(json.starts_with("{\"dataset_metadata_version\": 4, \"dataset_uuid\": \"e\", \"metadata\": {\"creation_time\": \""), "{json}");
    assert!(
        json.ends_with("\"}, \"partition_keys\": [\"p\"]}"),
        "{json}"
    );
    assert!(!json.contains("partitions"));
}

#[test]
fn header_errors_before_anything_is_written() {
    let store = Store::memory();
    let df = batch(vec![("col", ints(&[1]))]);
    create_empty_dataset_header(&store, "exists", &df.schema(), &HeaderOptions::default()).unwrap();
    let before = keys(&store);
    let schema = df.schema();
    let err = create_empty_dataset_header(&store, "exists", &schema, &HeaderOptions::default())
        .unwrap_err();
    assert!(matches!(err, Error::DatasetExists { .. }));
    let err = create_empty_dataset_header(
        &store,
        "u",
        &schema,
        &HeaderOptions::default().metadata_version(3),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Unsupported(_)));
    let err =
        create_empty_dataset_header(&store, "a.b", &schema, &HeaderOptions::default()).unwrap_err();
    assert!(matches!(err, Error::InvalidUuid(_)));
    let err = create_empty_dataset_header(
        &store,
        "u",
        &schema,
        &HeaderOptions::default().partition_on(["nope"]),
    )
    .unwrap_err();
    assert!(err
        .to_string()
        .contains("Partition column(s) missing: nope"));
    assert_eq!(keys(&store), before);
    create_empty_dataset_header(
        &store,
        "exists",
        &schema,
        &HeaderOptions::default().overwrite(true),
    )
    .unwrap();
}

#[test]
fn initial_commit_of_an_implicit_dataset() {
    let store = Store::memory();
    let df = batch(vec![
        ("P", ints(&[5])),
        ("L", ints(&[5])),
        ("TARGET", ints(&[5])),
    ]);
    let header = create_empty_dataset_header(
        &store,
        "dataset_uuid",
        &df.schema(),
        &HeaderOptions::default(),
    )
    .unwrap();
    assert!(!header.explicit_partitions);
    let factory = DatasetFactory::new(store.clone(), "dataset_uuid");
    let before = keys(&store);
    let written =
        write_single_partition(&factory, &[df.clone()], &WriteOptions::default()).unwrap();
    // Exactly one data file was added.
    let after = keys(&store);
    assert_eq!(after.len(), before.len() + 1);
    assert!(after.contains(&format!("dataset_uuid/table/{}.parquet", written[0].label)));
    assert_eq!(
        written[0].file,
        format!("dataset_uuid/table/{}.parquet", written[0].label)
    );
    assert_eq!(written[0].num_rows, 1);
    assert_eq!(written[0].table_name, "table");
    // An implicit dataset sees the written file by listing, before the commit.
    assert_eq!(
        load(&store, "dataset_uuid", &LoadOptions::default())
            .unwrap()
            .partitions
            .len(),
        1
    );

    let updated = commit_dataset(&factory, &written, &CommitOptions::default()).unwrap();
    assert!(updated.explicit_partitions);
    let table = read_table(&factory, &ReadOptions::default()).unwrap();
    assert_eq!(int_values(&table, "TARGET"), [5]);
    let names: Vec<&str> = table
        .schema_ref()
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(names, ["L", "P", "TARGET"]);
}

#[test]
fn commit_only_delete_and_delete_all() {
    let store = Store::memory();
    let p = |v: i64| batch(vec![("p", ints(&[v]))]);
    store_dataset(
        &store,
        "u",
        &[p(1), p(2)],
        &StoreOptions::default().secondary_indices(["p"]),
    )
    .unwrap();
    let factory = DatasetFactory::new(store.clone(), "u");
    let updated = commit_dataset(
        &factory,
        &[],
        &CommitOptions::default().add_delete_scope([("p", 1i64)]),
    )
    .unwrap();
    assert_eq!(updated.partitions.len(), 1);
    assert!(updated.explicit_partitions);
    let updated = commit_dataset(
        &factory,
        &[],
        &CommitOptions::default().add_delete_scope([("p", 2i64)]),
    )
    .unwrap();
    assert_eq!(updated.partitions.len(), 0);
    assert!(updated.explicit_partitions);
    let loaded = load_all(&store, "u");
    assert!(loaded.partitions.is_empty());
    assert!(loaded.loaded_index("p").unwrap().is_empty());
}

#[test]
fn commit_add_metadata_and_implicit_state() {
    let store = Store::memory();
    store_dataset(
        &store,
        "u",
        &[batch(vec![("p", ints(&[1]))])],
        &StoreOptions::default().metadata(meta(json!({"old": "metadata"}))),
    )
    .unwrap();
    let factory = DatasetFactory::new(store.clone(), "u");
    commit_dataset(
        &factory,
        &[],
        &CommitOptions::default().metadata(meta(json!({"new": "metadata"}))),
    )
    .unwrap();
    let mut restored = load(&store, "u", &LoadOptions::default()).unwrap().metadata;
    restored.remove("creation_time");
    assert_eq!(
        serde_json::Value::Object(restored),
        json!({"old": "metadata", "new": "metadata"})
    );

    // Metadata only: an implicit dataset stays implicit.
    let df = batch(vec![("P", ints(&[1])), ("x", ints(&[1]))]);
    create_empty_dataset_header(
        &store,
        "implicit",
        &df.schema(),
        &HeaderOptions::default().partition_on(["P"]),
    )
    .unwrap();
    let factory = DatasetFactory::new(store.clone(), "implicit");
    let written =
        write_single_partition(&factory, &[df.clone()], &WriteOptions::default()).unwrap();
    let committed = commit_dataset(
        &factory,
        &[],
        &CommitOptions::default().metadata(meta(json!({"a": 1}))),
    )
    .unwrap();
    assert!(!committed.explicit_partitions);
    let json = String::from_utf8(
        store
            .get("implicit.by-dataset-metadata.json")
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    assert!(!json.contains("\"partitions\""), "{json}");
    // A delete scope makes it explicit, so the deletion is recorded.
    let factory = DatasetFactory::new(store.clone(), "implicit");
    let committed = commit_dataset(
        &factory,
        &[],
        &CommitOptions::default().add_delete_scope([("P", 1i64)]),
    )
    .unwrap();
    assert!(committed.explicit_partitions);
    assert!(committed.partitions.is_empty());
    let loaded = load(&store, "implicit", &LoadOptions::default()).unwrap();
    assert!(loaded.partitions.is_empty());
    assert!(store.exists(&written[0].file).unwrap(), "files stay for gc");
}

#[test]
fn commit_raises_without_input() {
    let store = Store::memory();
    let factory = DatasetFactory::new(store.clone(), "something");
    for options in [
        CommitOptions::default(),
        CommitOptions::default().metadata(serde_json::Map::new()),
        CommitOptions::default().delete_scope(vec![]),
    ] {
        let err = commit_dataset(&factory, &[], &options).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput(m) if m == "Need to provide either new data, new metadata or a delete scope. None of it was provided."),
            "{err:?}"
        );
    }
    // The dataset must exist.
    let err = commit_dataset(
        &factory,
        &[],
        &CommitOptions::default().metadata(meta(json!({"a": 1}))),
    )
    .unwrap_err();
    assert!(matches!(err, Error::DatasetNotFound { .. }), "{err:?}");
    let err = write_single_partition(
        &factory,
        &[batch(vec![("a", ints(&[1]))])],
        &WriteOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::DatasetNotFound { .. }), "{err:?}");
    assert!(keys(&store).is_empty());
}

#[test]
fn write_single_partition_validates_before_writing() {
    let store = Store::memory();
    let df = batch(vec![
        (
            "location",
            Arc::new(StringArray::from(vec!["0", "1", "2"])) as ArrayRef,
        ),
        (
            "other",
            Arc::new(StringArray::from(vec!["a", "a", "a"])) as ArrayRef,
        ),
    ]);
    let dataset = store_dataset(
        &store,
        "dataset_uuid",
        &[df],
        &StoreOptions::default().partition_on(["other"]),
    )
    .unwrap();
    let factory = DatasetFactory::new(store.clone(), &dataset.uuid);
    let new_data = batch(vec![
        (
            "other",
            Arc::new(StringArray::from(vec!["b", "b", "b"])) as ArrayRef,
        ),
        (
            "location",
            Arc::new(StringArray::from(vec!["0", "1", "2"])) as ArrayRef,
        ),
    ]);
    let initial = keys(&store).len();
    let err = write_single_partition(
        &factory,
        &[new_data.clone()],
        &WriteOptions::default().partition_on(["location"]),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("Incompatible set of partition keys encountered."),
        "{err}"
    );
    let err = write_single_partition(
        &factory,
        &[new_data.clone()],
        &WriteOptions::default().table_name("other_table"),
    )
    .unwrap_err();
    assert!(err.to_string().contains("Trying to write a partition with table name other_table but dataset dataset_uuid has already table table."), "{err}");
    let bad = batch(vec![
        ("other", Arc::new(StringArray::from(vec!["b"])) as ArrayRef),
        ("location", Arc::new(Date32Array::from(vec![1])) as ArrayRef),
    ]);
    let err = write_single_partition(&factory, &[bad], &WriteOptions::default()).unwrap_err();
    assert!(matches!(err, Error::SchemaIncompatible { .. }), "{err:?}");
    let err = write_single_partition(
        &factory,
        &[new_data.clone()],
        &WriteOptions::default().secondary_indices(["other"]),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("Cannot create secondary index on partition columns: {'other'}"),
        "{err}"
    );
    assert_eq!(initial, keys(&store).len());

    write_single_partition(
        &factory,
        &[new_data.clone()],
        &WriteOptions::default().partition_on(["other"]),
    )
    .unwrap();
    assert_eq!(initial + 1, keys(&store).len());
    // Without partition_on, the dataset's keys are used.
    let written = write_single_partition(&factory, &[new_data], &WriteOptions::default()).unwrap();
    assert_eq!(initial + 2, keys(&store).len());
    assert!(written[0].label.starts_with("other=b/"));
    assert!(
        write_single_partition(&factory, &[], &WriteOptions::default())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn secondary_indices_travel_with_the_partitions() {
    // plateau raises a TypeError for commit_dataset(secondary_indices=...) on partitions from
    // write_single_partition; here the partitions carry their indices.
    let store = Store::memory();
    let df = batch(vec![("p", ints(&[1, 2])), ("x", ints(&[10, 20]))]);
    create_empty_dataset_header(
        &store,
        "u",
        &df.schema(),
        &HeaderOptions::default().partition_on(["p"]),
    )
    .unwrap();
    let factory = DatasetFactory::new(store.clone(), "u");
    let written = write_single_partition(
        &factory,
        &[df.clone()],
        &WriteOptions::default().secondary_indices(["x"]),
    )
    .unwrap();
    assert!(written.iter().all(|mp| mp.indices.contains_key("x")));
    let committed = commit_dataset(
        &factory,
        &written,
        &CommitOptions::default().secondary_indices(["x"]),
    )
    .unwrap();
    assert_eq!(committed.secondary_index_columns(), ["x"]);
    let loaded = load_all(&store, "u");
    let index = loaded.loaded_index("x").unwrap();
    assert_eq!(
        index.query(&Scalar::Int(20)).unwrap(),
        [written[1].label.as_str()]
    );

    // From now on write_single_partition builds `x` without being asked.
    let more = write_single_partition(&factory, &[df.clone()], &WriteOptions::default()).unwrap();
    assert!(more.iter().all(|mp| mp.indices.contains_key("x")));
    commit_dataset(&factory, &more, &CommitOptions::default()).unwrap();
    let loaded = load_all(&store, "u");
    assert_eq!(
        loaded
            .loaded_index("x")
            .unwrap()
            .query(&Scalar::Int(10))
            .unwrap()
            .len(),
        2
    );

    // A new index while other partitions exist would be incomplete: refused.
    let extra = write_single_partition(
        &factory,
        &[df.clone()],
        &WriteOptions::default().secondary_indices(["x"]),
    )
    .unwrap();
    let mut with_new = extra.clone();
    for mp in &mut with_new {
        let idx =
            plateau_index::Index::from_array("p2", &Int64Array::from(vec![1]), &mp.label).unwrap();
        mp.indices.insert("p2".into(), idx);
    }
    let before = keys(&store);
    let err = commit_dataset(&factory, &with_new, &CommitOptions::default()).unwrap_err();
    assert!(
        err.to_string()
            .contains("Incorrect indices provided for dataset."),
        "{err}"
    );
    // A partition without an index the dataset has is refused too.
    let mut without = extra.clone();
    without[0].indices.clear();
    let err = commit_dataset(&factory, &without, &CommitOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains("carries no index for `x`"),
        "{err}"
    );
    let err = commit_dataset(
        &factory,
        &extra,
        &CommitOptions::default().secondary_indices(["nope"]),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("Incorrect indices provided for dataset."),
        "{err}"
    );
    assert_eq!(keys(&store), before);
}

#[test]
fn commit_rejects_foreign_partitions() {
    let store = Store::memory();
    let df = batch(vec![("p", ints(&[1])), ("x", ints(&[1]))]);
    store_dataset(
        &store,
        "u",
        &[df.clone()],
        &StoreOptions::default().partition_on(["p"]),
    )
    .unwrap();
    let factory = DatasetFactory::new(store.clone(), "u");
    let written = write_single_partition(
        &factory,
        &[df.clone(), df.clone()],
        &WriteOptions::default(),
    )
    .unwrap();
    let before = keys(&store);

    let mut other_table = written.clone();
    other_table[1].table_name = "t2".into();
    let err = commit_dataset(&factory, &other_table, &CommitOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains(
            "Cannot commit more than one table to a dataset but got tables ['t2', 'table']"
        ),
        "{err}"
    );

    let duplicated = vec![written[0].clone(), written[0].clone()];
    let err = commit_dataset(&factory, &duplicated, &CommitOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains(&format!(
            "The labels {} are duplicated. Dataset metadata was not written.",
            written[0].label
        )),
        "{err}"
    );

    let mut outside = written.clone();
    outside[0].file = "elsewhere/table/x.parquet".into();
    let err = commit_dataset(&factory, &outside, &CommitOptions::default()).unwrap_err();
    assert!(err.to_string().contains("outside the table"), "{err}");

    let mut keys_differ = written.clone();
    keys_differ[0].partition_keys = vec![];
    let err = commit_dataset(&factory, &keys_differ, &CommitOptions::default()).unwrap_err();
    assert!(
        err.to_string()
            .contains("Incompatible set of partition keys encountered."),
        "{err}"
    );

    let err = commit_dataset(
        &factory,
        &written,
        &CommitOptions::default().partition_on(["x"]),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("Incompatible set of partition keys encountered."),
        "{err}"
    );

    // A partition of another dataset with another schema.
    let other = Store::memory();
    let odd = batch(vec![
        ("p", ints(&[1])),
        ("y", Arc::new(StringArray::from(vec!["s"])) as ArrayRef),
    ]);
    store_dataset(
        &other,
        "u",
        &[odd.clone()],
        &StoreOptions::default().partition_on(["p"]),
    )
    .unwrap();
    let foreign = write_single_partition(
        &DatasetFactory::new(other, "u"),
        &[odd],
        &WriteOptions::default(),
    )
    .unwrap();
    let err = commit_dataset(&factory, &foreign, &CommitOptions::default()).unwrap_err();
    assert!(matches!(err, Error::SchemaIncompatible { .. }), "{err:?}");

    assert_eq!(keys(&store), before);
    commit_dataset(&factory, &written, &CommitOptions::default()).unwrap();
}

#[test]
fn metapartition_messages_round_trip() {
    let store = Store::memory();
    let df = batch(vec![
        ("p", ints(&[1, 2, 1])),
        ("x", ints(&[10, 20, 30])),
        (
            "s",
            Arc::new(StringArray::from(vec![Some("a"), None, Some("c")])) as ArrayRef,
        ),
    ]);
    create_empty_dataset_header(
        &store,
        "u",
        &df.schema(),
        &HeaderOptions::default().partition_on(["p"]),
    )
    .unwrap();
    let factory = DatasetFactory::new(store.clone(), "u");
    let written = write_single_partition(
        &factory,
        &[df],
        &WriteOptions::default().secondary_indices(["x", "s"]),
    )
    .unwrap();
    let text = serde_json::to_string(&written).unwrap();
    assert!(text.contains("\"label\":\"p=1/"), "{text}");
    let received: Vec<MetaPartition> = serde_json::from_str(&text).unwrap();
    assert_eq!(received, written);
    assert_eq!(received[0].schema.names(), ["p", "s", "x"]);
    assert_eq!(received[0].indices["x"].len(), 2);
    // Committing the received messages works like committing the originals.
    let committed = commit_dataset(&factory, &received, &CommitOptions::default()).unwrap();
    assert_eq!(committed.partitions.len(), 2);
    let loaded = load_all(&store, "u");
    assert_eq!(
        loaded
            .loaded_index("x")
            .unwrap()
            .query(&Scalar::Int(30))
            .unwrap(),
        [written[0].label.as_str()]
    );
    // Garbage is an error, not a panic.
    assert!(serde_json::from_str::<MetaPartition>("{\"label\": 1}").is_err());
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value[0]["schema"] = json!("AAAA");
    assert!(serde_json::from_value::<Vec<MetaPartition>>(value).is_err());
}

#[test]
fn concurrent_commits_conflict() {
    let store = Store::memory();
    let df = batch(vec![("x", ints(&[1]))]);
    create_empty_dataset_header(&store, "u", &df.schema(), &HeaderOptions::default()).unwrap();
    let a = DatasetFactory::new(store.clone(), "u");
    let b = DatasetFactory::new(store.clone(), "u");
    let wa = write_single_partition(&a, &[df.clone()], &WriteOptions::default()).unwrap();
    let wb = write_single_partition(&b, &[df.clone()], &WriteOptions::default()).unwrap();
    let c = DatasetFactory::new(store.clone(), "u");
    let wc = write_single_partition(&c, &[df.clone()], &WriteOptions::default()).unwrap();
    let first = commit_dataset(&a, &wa, &CommitOptions::default()).unwrap();
    let no_retry = CommitOptions::default().retry(plateau_io::retry::RetryPolicy::none());
    let err = commit_dataset(&b, &wb, &no_retry).unwrap_err();
    assert!(matches!(err, Error::CommitConflict { .. }), "{err:?}");
    assert_eq!(load(&store, "u", &LoadOptions::default()).unwrap(), first);
    // The same messages can be committed again once the stale cache is gone (it was dropped
    // by the lost race).
    let second = commit_dataset(&b, &wb, &no_retry).unwrap();
    assert_eq!(second.partitions.len(), 2);
    // A stale writer with the default policy retries against the newer metadata by itself.
    let third = commit_dataset(&c, &wc, &CommitOptions::default()).unwrap();
    assert_eq!(third.partitions.len(), 3);
    assert_eq!(load(&store, "u", &LoadOptions::default()).unwrap(), third);
}

#[test]
fn msgpack_header_stays_msgpack() {
    let store = Store::memory();
    let df = batch(vec![("x", ints(&[1]))]);
    create_empty_dataset_header(
        &store,
        "u",
        &df.schema(),
        &HeaderOptions::default().metadata_format(MetadataFormat::Msgpack),
    )
    .unwrap();
    let factory = DatasetFactory::new(store.clone(), "u");
    let written = write_single_partition(&factory, &[df], &WriteOptions::default()).unwrap();
    let committed = commit_dataset(&factory, &written, &CommitOptions::default()).unwrap();
    assert_eq!(committed.format, MetadataFormat::Msgpack);
    assert!(!store.exists("u.by-dataset-metadata.json").unwrap());
    assert_eq!(
        load(&store, "u", &LoadOptions::default()).unwrap(),
        committed
    );
}
