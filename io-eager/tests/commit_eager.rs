//! `commit_dataset` through the eager API: metadata-only, delete-only and a merger.
#![allow(clippy::unwrap_used, clippy::cloned_ref_to_slice_refs)]

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch};
use plateau_core::{Error, Store};
use plateau_io_eager::*;
use plateau_metadata::DatasetFactory;
use serde_json::json;

fn frame(p: &[i64]) -> RecordBatch {
    RecordBatch::try_from_iter([("p", Arc::new(Int64Array::from(p.to_vec())) as ArrayRef)]).unwrap()
}

#[test]
fn metadata_and_delete_commits() {
    let store = Store::memory();
    let options = StoreOptions::default()
        .secondary_indices(["p"])
        .metadata(json!({"old": 1, "drop": 2}).as_object().unwrap().clone());
    store_dataframes_as_dataset(&store, "uuid", &[frame(&[1]), frame(&[2])], &options).unwrap();
    let factory = DatasetFactory::new(store.clone(), "uuid");

    let merger = |existing: &[serde_json::Map<String, serde_json::Value>]| {
        let mut kept = existing[0].clone();
        kept.remove("drop");
        kept
    };
    let committed = commit_dataset(
        &factory,
        &[],
        &CommitOptions::default()
            .metadata(json!({"new": 3}).as_object().unwrap().clone())
            .metadata_merger(merger),
    )
    .unwrap();
    let keys: Vec<&String> = committed.metadata.keys().collect();
    assert_eq!(keys, ["creation_time", "old", "new"]);
    assert_eq!(committed.partitions.len(), 2);

    let committed = commit_dataset(
        &factory,
        &[],
        &CommitOptions::default().add_delete_scope([("p", "2")]),
    )
    .unwrap();
    assert_eq!(committed.partitions.len(), 1);
    let err = commit_dataset(&factory, &[], &CommitOptions::default()).unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)));
}
