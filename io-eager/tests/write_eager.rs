//! The eager write API (`store_dataframes_as_dataset`, `create_empty_dataset_header`) end to
//! end, as a user of `plateau.io.eager` calls it.
#![allow(clippy::unwrap_used, clippy::cloned_ref_to_slice_refs)]

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::DataType;
use plateau_core::naming::MetadataFormat;
use plateau_core::{Error, Predicates, Store};
use plateau_io_eager::*;
use plateau_metadata::DatasetFactory;
use serde_json::json;

fn frame(p: &[i64], s: &[&str]) -> RecordBatch {
    RecordBatch::try_from_iter([
        ("p", Arc::new(Int64Array::from(p.to_vec())) as ArrayRef),
        ("s", Arc::new(StringArray::from(s.to_vec())) as ArrayRef),
    ])
    .unwrap()
}

fn ints(batch: &RecordBatch, name: &str) -> Vec<i64> {
    let column =
        arrow::compute::cast(batch.column_by_name(name).unwrap(), &DataType::Int64).unwrap();
    column
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap()
        .values()
        .to_vec()
}

#[test]
fn store_then_read_with_predicates_on_partition_keys_and_indices() {
    let store = Store::memory();
    let options = StoreOptions::default()
        .partition_on(["p"])
        .secondary_indices(["s"])
        .metadata(json!({"owner": "me"}).as_object().unwrap().clone())
        .metadata_format(MetadataFormat::Msgpack);
    let metadata = store_dataframes_as_dataset(
        &store,
        "uuid",
        &[frame(&[1, 2, 2], &["a", "b", "c"]), frame(&[3], &["a"])],
        &options,
    )
    .unwrap();
    assert_eq!(metadata.partitions.len(), 3);
    assert_eq!(metadata.metadata["owner"], json!("me"));
    assert!(store
        .exists("uuid.by-dataset-metadata.msgpack.zstd")
        .unwrap());

    let factory = DatasetFactory::new(store.clone(), "uuid");
    let table = read_table(&factory, &ReadOptions::default()).unwrap();
    assert_eq!(ints(&table, "p"), [1, 2, 2, 3]);
    let by_key = read_table(
        &factory,
        &ReadOptions::default().predicates(Predicates::parse("p == 2").unwrap()),
    )
    .unwrap();
    assert_eq!(ints(&by_key, "p"), [2, 2]);
    let by_index = read_dataset_as_dataframes(
        &factory,
        &ReadOptions::default().predicates(Predicates::parse("s == 'a'").unwrap()),
    )
    .unwrap();
    assert_eq!(by_index.len(), 2, "the index prunes the P=2 partition");

    let err = store_dataframes_as_dataset(
        &store,
        "uuid",
        &[frame(&[1], &["a"])],
        &StoreOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::DatasetExists { .. }));
}

#[test]
fn header_then_workers_then_commit() {
    let store = Store::memory();
    let schema = frame(&[1], &["a"]).schema();
    let header = create_empty_dataset_header(
        &store,
        "uuid",
        &schema,
        &HeaderOptions::default().partition_on(["p"]),
    )
    .unwrap();
    assert!(!header.explicit_partitions);
    let factory = DatasetFactory::new(store.clone(), "uuid");
    let mut written = Vec::new();
    for worker in 0..3 {
        written.extend(
            write_single_partition(
                &factory,
                &[frame(&[worker, worker + 10], &["x", "y"])],
                &WriteOptions::default(),
            )
            .unwrap(),
        );
    }
    assert_eq!(written.len(), 6);
    let committed = commit_dataset(&factory, &written, &CommitOptions::default()).unwrap();
    assert!(committed.explicit_partitions);
    assert_eq!(committed.partitions.len(), 6);
    let mut p = ints(&read_table(&factory, &ReadOptions::default()).unwrap(), "p");
    p.sort();
    assert_eq!(p, [0, 1, 2, 10, 11, 12]);
}
