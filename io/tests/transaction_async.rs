#![allow(clippy::unwrap_used)]
//! The async face of [`DatasetWriter`]: the same transaction driven from tokio runtimes of
//! both flavours (spawned, so its futures must be `Send`), a lost race retried with an
//! async backoff on a runtime without a timer, and abort.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, Int64Array, RecordBatch};
use arrow::datatypes::Int64Type;
use plateau_core::{Error, Scalar, Store};
use plateau_io::read::{read_table, ReadOptions};
use plateau_io::retry::RetryPolicy;
use plateau_io::update::UpdateOptions;
use plateau_io::write::StoreOptions;
use plateau_io::DatasetWriter;
use plateau_metadata::DatasetFactory;

const UUID: &str = "atx";

fn frame(p: &[i64], x: &[i64]) -> RecordBatch {
    RecordBatch::try_from_iter([
        ("P", Arc::new(Int64Array::from(p.to_vec())) as ArrayRef),
        ("x", Arc::new(Int64Array::from(x.to_vec())) as ArrayRef),
    ])
    .unwrap()
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

/// Creates the dataset, then updates it with a delete scope, all through the async API.
async fn create_then_update(store: Store) -> plateau_core::Result<()> {
    let options = StoreOptions::default()
        .partition_on(["P"])
        .secondary_indices(["x"]);
    let mut writer = DatasetWriter::create_async(&store, UUID, &options).await?;
    writer
        .write_batches_async(&[frame(&[1, 2], &[10, 20]), frame(&[3], &[30])])
        .await?;
    let created = writer.commit_async().await?;
    assert_eq!(created.partitions.len(), 3);

    let factory = DatasetFactory::new(store.clone(), UUID);
    let options = UpdateOptions::default().add_delete_scope([("x", Scalar::Int(10))]);
    let mut writer = DatasetWriter::update_async(&factory, &options).await?;
    writer.write_batches_async(&[frame(&[4], &[40])]).await?;
    let updated = writer.commit_async().await?;
    assert_eq!(updated.partitions.len(), 3);
    assert_eq!(factory.metadata_async().await?.version, updated.version);
    Ok(())
}

#[test]
fn spawned_on_a_multi_thread_runtime() {
    let store = Store::memory();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(async { tokio::spawn(create_then_update(store.clone())).await })
        .unwrap()
        .unwrap();
    assert_eq!(sorted_column(&store, "P"), [2, 3, 4]);
    assert_eq!(sorted_column(&store, "x"), [20, 30, 40]);
}

#[test]
fn spawned_on_a_current_thread_runtime_on_local_disk() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::local(dir.path()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(async { tokio::spawn(create_then_update(store.clone())).await })
        .unwrap()
        .unwrap();
    assert_eq!(sorted_column(&store, "P"), [2, 3, 4]);
}

#[test]
fn a_lost_race_is_retried_without_a_timer_in_the_callers_runtime() {
    let store = Store::memory();
    // No `enable_time`: the retry backoff must not need this runtime's timer.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime
        .block_on(async {
            let options = StoreOptions::default().partition_on(["P"]);
            let mut writer = DatasetWriter::create_async(&store, UUID, &options).await?;
            writer.write_batches_async(&[frame(&[1], &[10])]).await?;
            writer.commit_async().await?;

            let first = DatasetFactory::new(store.clone(), UUID);
            let second = DatasetFactory::new(store.clone(), UUID);
            let mut a = DatasetWriter::update_async(&first, &UpdateOptions::default()).await?;
            let mut b = DatasetWriter::update_async(&second, &UpdateOptions::default()).await?;
            a.write_batches_async(&[frame(&[2], &[20])]).await?;
            b.write_batches_async(&[frame(&[3], &[30])]).await?;
            a.commit_async().await?;
            // b read the metadata before a committed: it loses once, then is rebased.
            b.commit_async().await?;

            let no_retry = UpdateOptions::default().retry(RetryPolicy::none());
            // `first` still caches a's commit; `second` caches the rebased b.
            let mut c = DatasetWriter::update_async(&second, &no_retry).await?;
            let mut d = DatasetWriter::update_async(&first, &no_retry).await?;
            c.write_batches_async(&[frame(&[4], &[40])]).await?;
            d.write_batches_async(&[frame(&[5], &[50])]).await?;
            c.commit_async().await?;
            let err = d.commit_async().await.unwrap_err();
            assert!(matches!(err, Error::CommitConflict { .. }), "{err:?}");
            Ok::<_, Error>(())
        })
        .unwrap();
    assert_eq!(sorted_column(&store, "P"), [1, 2, 3, 4]);
}

#[test]
fn abort_async_removes_the_files_written() {
    let store = Store::memory();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(async {
            let options = StoreOptions::default().partition_on(["P"]);
            let mut writer = DatasetWriter::create_async(&store, UUID, &options).await?;
            writer
                .write_batches_async(&[frame(&[1, 2, 3], &[10, 20, 30])])
                .await?;
            assert_eq!(store.list_keys_async("").await?.len(), 3);
            writer.abort_async().await;
            assert!(store.list_keys_async("").await?.is_empty());
            Ok::<_, Error>(())
        })
        .unwrap();
}
