#![allow(clippy::unwrap_used)]
//! [`DatasetWriter`], the write transaction every front end drives: creating, updating with a
//! delete scope, committing partitions written elsewhere, conflicts, and that every
//! validation error comes before the first byte is written.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::Int64Type;
use bytes::Bytes;
use plateau_core::{Error, Scalar, Store};
use plateau_io::read::{read_table, ReadOptions};
use plateau_io::retry::RetryPolicy;
use plateau_io::update::{CommitOptions, UpdateOptions};
use plateau_io::write::{HeaderOptions, StoreOptions, WriteOptions};
use plateau_io::DatasetWriter;
use plateau_metadata::load::{load, LoadOptions};
use plateau_metadata::{DatasetFactory, DatasetMetadata};
use plateau_serialization::ParquetSerializer;

const UUID: &str = "tx";

fn frame(p: &[i64], x: &[i64]) -> RecordBatch {
    RecordBatch::try_from_iter([
        ("P", Arc::new(Int64Array::from(p.to_vec())) as ArrayRef),
        ("x", Arc::new(Int64Array::from(x.to_vec())) as ArrayRef),
    ])
    .unwrap()
}

fn store_options() -> StoreOptions {
    StoreOptions::default()
        .partition_on(["P"])
        .secondary_indices(["x"])
}

/// Every key with its bytes: "nothing was written" means this did not change.
fn snapshot(store: &Store) -> Vec<(String, Bytes)> {
    store
        .list_keys("")
        .unwrap()
        .into_iter()
        .map(|key| {
            let bytes = store.get_opt(&key).unwrap().map(|(b, _)| b).unwrap();
            (key, bytes)
        })
        .collect()
}

fn load_all(store: &Store) -> DatasetMetadata {
    load(
        store,
        UUID,
        &LoadOptions::default()
            .load_schema(true)
            .load_all_indices(true),
    )
    .unwrap()
}

fn index_values(metadata: &DatasetMetadata, column: &str) -> Vec<Scalar> {
    metadata
        .loaded_index(column)
        .unwrap()
        .entries()
        .unwrap()
        .into_iter()
        .map(|(value, _)| value)
        .collect()
}

fn sorted_column(store: &Store, column: &str) -> Vec<i64> {
    let table = read_table(
        &DatasetFactory::new(store.clone(), UUID),
        &ReadOptions::default(),
    )
    .unwrap();
    let mut values: Vec<i64> = table
        .column_by_name(column)
        .unwrap()
        .as_primitive::<Int64Type>()
        .values()
        .to_vec();
    values.sort_unstable();
    values
}

/// A dataset with P = 1, 2 (x = 10, 20) and P = 3 (x = 30).
fn stored(store: &Store) {
    let mut writer = DatasetWriter::create(store, UUID, &store_options()).unwrap();
    writer
        .write_batches(&[frame(&[1, 2], &[10, 20]), frame(&[3], &[30])])
        .unwrap();
    writer.commit().unwrap();
}

#[test]
fn create_commits_every_batch_once() {
    let store = Store::memory();
    let mut writer = DatasetWriter::create(&store, UUID, &store_options()).unwrap();
    writer.write_batches(&[frame(&[1, 2], &[10, 20])]).unwrap();
    writer.write_batches(&[frame(&[2], &[21])]).unwrap();
    assert_eq!(writer.partitions().len(), 3);
    // Data files are written, the metadata is not.
    assert!(!DatasetFactory::new(store.clone(), UUID).exists().unwrap());
    let committed = writer.commit().unwrap();
    assert_eq!(committed.partitions.len(), 3);
    assert_eq!(committed.partition_keys, ["P"]);
    let loaded = load_all(&store);
    assert_eq!(
        index_values(&loaded, "x"),
        [Scalar::Int(10), Scalar::Int(20), Scalar::Int(21)]
    );
    assert_eq!(sorted_column(&store, "x"), [10, 20, 21]);
}

#[test]
fn create_without_input_is_the_empty_dataset_error() {
    let store = Store::memory();
    let writer = DatasetWriter::create(&store, UUID, &store_options()).unwrap();
    let early = writer.check_input_count(0).unwrap_err();
    let late = writer.commit().unwrap_err();
    for err in [early, late] {
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
        assert!(
            err.to_string().contains("Cannot store empty datasets"),
            "{err}"
        );
    }
    assert!(snapshot(&store).is_empty());
}

#[test]
fn header_then_append_then_commit() {
    let store = Store::memory();
    let schema = frame(&[1], &[1]).schema();
    DatasetWriter::create_header(
        &store,
        UUID,
        &schema,
        &HeaderOptions::default().partition_on(["P"]),
    )
    .unwrap()
    .commit()
    .unwrap();
    let factory = DatasetFactory::new(store.clone(), UUID);
    let mut writer = DatasetWriter::append(&factory, &WriteOptions::default()).unwrap();
    writer.write_batches(&[frame(&[1, 2], &[1, 2])]).unwrap();
    // Committing an append transaction is `commit_dataset` of its partitions.
    let committed = writer.commit().unwrap();
    assert_eq!(committed.partitions.len(), 2);
    assert!(committed.explicit_partitions);
    assert_eq!(factory.metadata().unwrap().version, committed.version);

    // Nothing written and nothing else given: commit_dataset's error.
    let writer = DatasetWriter::append(&factory, &WriteOptions::default()).unwrap();
    let err = writer.commit().unwrap_err();
    assert!(err.to_string().contains("Need to provide either"), "{err}");
}

#[test]
fn update_applies_its_delete_scope_and_maintains_indices() {
    let store = Store::memory();
    stored(&store);
    let factory = DatasetFactory::new(store.clone(), UUID);
    let options = UpdateOptions::default().add_delete_scope([("P", Scalar::Int(1))]);
    let mut writer = DatasetWriter::update(&factory, &options).unwrap();
    writer.write_batches(&[frame(&[4], &[40])]).unwrap();
    let committed = writer.commit().unwrap();
    assert_eq!(committed.partitions.len(), 3);
    assert!(committed.partitions.keys().all(|l| !l.starts_with("P=1/")));
    // The factory caches what was committed.
    assert_eq!(factory.metadata().unwrap().version, committed.version);
    let loaded = load_all(&store);
    assert_eq!(
        index_values(&loaded, "x"),
        [Scalar::Int(20), Scalar::Int(30), Scalar::Int(40)]
    );
    assert_eq!(sorted_column(&store, "P"), [2, 3, 4]);
}

#[test]
fn a_delete_only_update_writes_no_data() {
    let store = Store::memory();
    stored(&store);
    let factory = DatasetFactory::new(store.clone(), UUID);
    let options = UpdateOptions::default().add_delete_scope([("x", Scalar::Int(30))]);
    let before: BTreeSet<String> = store
        .list_keys(&format!("{UUID}/table/"))
        .unwrap()
        .into_iter()
        .collect();
    let committed = DatasetWriter::update(&factory, &options)
        .unwrap()
        .commit()
        .unwrap();
    assert_eq!(committed.partitions.len(), 2);
    let after: BTreeSet<String> = store
        .list_keys(&format!("{UUID}/table/"))
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(before, after);
    assert_eq!(sorted_column(&store, "P"), [1, 2]);
}

#[test]
fn a_lost_race_is_reported_and_drops_the_stale_cache() {
    let store = Store::memory();
    stored(&store);
    let first = DatasetFactory::new(store.clone(), UUID);
    let second = DatasetFactory::new(store.clone(), UUID);
    let no_retry = UpdateOptions::default().retry(RetryPolicy::none());
    let mut a = DatasetWriter::update(&first, &no_retry).unwrap();
    let mut b = DatasetWriter::update(&second, &no_retry).unwrap();
    a.write_batches(&[frame(&[5], &[50])]).unwrap();
    b.write_batches(&[frame(&[6], &[60])]).unwrap();
    let won = a.commit().unwrap();
    let err = b.commit().unwrap_err();
    assert!(matches!(err, Error::CommitConflict { .. }), "{err:?}");
    // The loser's factory loads the winner's metadata again.
    assert_eq!(second.metadata().unwrap().version, won.version);
    assert_eq!(sorted_column(&store, "P"), [1, 2, 3, 5]);

    // With retries, an append that lost is applied on top of the winner.
    let mut c = DatasetWriter::update(&first, &UpdateOptions::default()).unwrap();
    let mut d = DatasetWriter::update(&second, &UpdateOptions::default()).unwrap();
    c.write_batches(&[frame(&[7], &[70])]).unwrap();
    d.write_batches(&[frame(&[8], &[80])]).unwrap();
    c.commit().unwrap();
    d.commit().unwrap();
    assert_eq!(sorted_column(&store, "P"), [1, 2, 3, 5, 7, 8]);
}

#[test]
fn a_new_dataset_created_meanwhile_is_a_conflict() {
    let store = Store::memory();
    let mut writer = DatasetWriter::create(&store, UUID, &store_options()).unwrap();
    writer.write_batches(&[frame(&[1], &[1])]).unwrap();
    stored(&store);
    let err = writer.commit().unwrap_err();
    assert!(matches!(err, Error::CommitConflict { .. }), "{err:?}");
    assert_eq!(sorted_column(&store, "P"), [1, 2, 3]);
}

/// `attempt` must fail with an error `expected` accepts, and leave the store as it was.
fn fails_before_writing(
    store: &Store,
    what: &str,
    attempt: impl FnOnce() -> plateau_core::Result<()>,
    expected: impl Fn(&Error) -> bool,
) {
    let before = snapshot(store);
    let err = attempt().unwrap_err();
    assert!(expected(&err), "{what}: unexpected {err:?}");
    assert_eq!(snapshot(store), before, "{what}: the store changed");
}

fn invalid_input(err: &Error) -> bool {
    matches!(err, Error::InvalidInput(_))
}

#[test]
fn every_validation_error_comes_before_the_first_write() {
    let store = Store::memory();
    fails_before_writing(
        &store,
        "uuid",
        || DatasetWriter::create(&store, "bad uuid/", &store_options()).map(drop),
        |e| matches!(e, Error::InvalidUuid(_)),
    );
    fails_before_writing(
        &store,
        "index on a partition column",
        || {
            let options = StoreOptions::default()
                .partition_on(["P"])
                .secondary_indices(["P"]);
            DatasetWriter::create(&store, UUID, &options).map(drop)
        },
        invalid_input,
    );
    fails_before_writing(
        &store,
        "table name",
        || {
            let options = store_options().table_name("a/b");
            DatasetWriter::create(&store, UUID, &options).map(drop)
        },
        invalid_input,
    );
    fails_before_writing(
        &store,
        "missing partition column",
        || {
            let mut writer = DatasetWriter::create(&store, UUID, &store_options())?;
            let only_x = RecordBatch::try_from_iter([(
                "x",
                Arc::new(Int64Array::from(vec![1])) as ArrayRef,
            )])
            .unwrap();
            // The first batch is valid: nothing is written unless all are.
            writer.write_batches(&[frame(&[1], &[1]), only_x])
        },
        invalid_input,
    );
    fails_before_writing(
        &store,
        "batches with different schemas",
        || {
            let mut writer = DatasetWriter::create(&store, UUID, &store_options())?;
            let strings = RecordBatch::try_from_iter([
                ("P", Arc::new(Int64Array::from(vec![1])) as ArrayRef),
                ("x", Arc::new(StringArray::from(vec!["a"])) as ArrayRef),
            ])
            .unwrap();
            let plans = [writer.plan(&[frame(&[1], &[1])])?, writer.plan(&[strings])?];
            writer.accept(&plans)
        },
        |e| matches!(e, Error::SchemaIncompatible { .. }),
    );

    stored(&store);
    fails_before_writing(
        &store,
        "existing dataset",
        || DatasetWriter::create(&store, UUID, &store_options()).map(drop),
        |e| matches!(e, Error::DatasetExists { .. }),
    );
    let factory = DatasetFactory::new(store.clone(), UUID);
    for (what, options) in [
        (
            "partition keys",
            UpdateOptions::default().partition_on(["x"]),
        ),
        (
            "indices not a subset",
            UpdateOptions::default().secondary_indices(["nope"]),
        ),
        (
            "delete scope on an unindexed column",
            UpdateOptions::default().add_delete_scope([("nope", Scalar::Int(1))]),
        ),
        ("table", UpdateOptions::default().table_name("other")),
    ] {
        fails_before_writing(
            &store,
            what,
            || DatasetWriter::update(&factory, &options).map(drop),
            invalid_input,
        );
    }
    fails_before_writing(
        &store,
        "delete-scope value of another type",
        || {
            let options = UpdateOptions::default().add_delete_scope([("P", "one")]);
            DatasetWriter::update(&factory, &options)?.begin()
        },
        |e| matches!(e, Error::InvalidInput(_) | Error::PredicateType { .. }),
    );
    fails_before_writing(
        &store,
        "schema against _common_metadata",
        || {
            let strings = RecordBatch::try_from_iter([
                ("P", Arc::new(Int64Array::from(vec![9])) as ArrayRef),
                ("x", Arc::new(StringArray::from(vec!["a"])) as ArrayRef),
            ])
            .unwrap();
            let mut writer = DatasetWriter::update(&factory, &UpdateOptions::default())?;
            writer.write_batches(&[strings])
        },
        |e| matches!(e, Error::SchemaIncompatible { .. }),
    );
    fails_before_writing(
        &store,
        "commit of foreign partitions",
        || {
            let mut foreign = DatasetWriter::append(&factory, &WriteOptions::default())?
                .plan(&[frame(&[9], &[90])])?
                .build(&ParquetSerializer::default(), 0)?
                .partition;
            foreign.table_name = "other".into();
            DatasetWriter::commit_partitions(&factory, &[foreign], &CommitOptions::default())
                .map(drop)
        },
        invalid_input,
    );
}

#[test]
fn callers_may_plan_on_threads_and_upload_themselves() {
    let store = Store::memory();
    stored(&store);
    let factory = DatasetFactory::new(store.clone(), UUID);
    let mut writer = DatasetWriter::update(&factory, &UpdateOptions::default()).unwrap();
    let inputs = [frame(&[4, 5], &[40, 50]), frame(&[6], &[60])];
    // `plan` takes `&self`: one thread per batch.
    let plans: Vec<_> = std::thread::scope(|scope| {
        let writer = &writer;
        let handles: Vec<_> = inputs
            .iter()
            .map(|batch| scope.spawn(move || writer.plan(std::slice::from_ref(batch)).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    writer.accept(&plans).unwrap();
    writer.begin().unwrap();
    let mut written = Vec::new();
    for plan in &plans {
        // Last file first: files are independent of each other.
        for file in (0..plan.len()).rev() {
            let built = plan.build(writer.serializer(), file).unwrap();
            store.put(&built.key, built.bytes).unwrap();
            written.push(built.partition);
        }
    }
    writer.record_written(written);
    let committed = writer.commit().unwrap();
    assert_eq!(committed.partitions.len(), 6);
    assert_eq!(sorted_column(&store, "x"), [10, 20, 30, 40, 50, 60]);
    assert_eq!(index_values(&load_all(&store), "x").len(), 6);
}

#[test]
fn abort_removes_the_files_written() {
    let store = Store::memory();
    stored(&store);
    let before = snapshot(&store);
    let factory = DatasetFactory::new(store.clone(), UUID);
    let mut writer = DatasetWriter::update(&factory, &UpdateOptions::default()).unwrap();
    writer.write_batches(&[frame(&[7, 8], &[70, 80])]).unwrap();
    assert_eq!(snapshot(&store).len(), before.len() + 2);
    writer.abort();
    assert_eq!(snapshot(&store), before);
}
