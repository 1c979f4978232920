//! The datasets of plateau's test fixtures, created through a [`Driver`] (conftest's
//! `dataset`, `dataset_partition_keys`, `dataset_with_index`, read.py's
//! `dataset_dispatch_by` and utils.py's `create_dataset`).
//!
//! Python creates some of them with fixed labels (`cluster_1`); here labels are the writer's
//! uuid4 hex names, so tests identify partitions by their content instead.

use plateau_core::Store;
use plateau_io::write::StoreOptions;
use plateau_metadata::DatasetMetadata;
use serde_json::{Map, Value as Json};

use crate::data::{self, batch, int64, strings};
use crate::driver::Driver;

/// Uuid of [`dataset`].
pub const DATASET: &str = "dataset_uuid";
/// Uuid of [`dataset_partition_keys`].
pub const DATASET_PARTITION_KEYS: &str = "dataset_uuid_partition_keys";
/// Uuid of [`dataset_with_index`].
pub const DATASET_WITH_INDEX: &str = "dataset_uuid_partition_keys_index";
/// Uuid of [`dataset_dispatch_by`].
pub const DATASET_DISPATCH_BY: &str = "dataset_dispatch_by";

/// `{"dataset": "metadata"}`, the user metadata of the conftest datasets.
pub fn dataset_metadata() -> Map<String, Json> {
    let mut map = Map::new();
    map.insert("dataset".into(), Json::from("metadata"));
    map
}

/// A JSON object from pairs.
pub fn json_map(pairs: &[(&str, &str)]) -> Map<String, Json> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Json::from(*v)))
        .collect()
}

fn store(driver: &dyn Driver, store: &Store, uuid: &str, options: StoreOptions) -> DatasetMetadata {
    #[allow(clippy::expect_used)]
    driver
        .store(store, uuid, &data::dataset_frames(), &options)
        .expect("the fixture dataset can be stored")
}

/// conftest's `dataset`: two unpartitioned partitions (`cluster_1`, `cluster_2`) with
/// columns P, L, TARGET, DATE and metadata `{"dataset": "metadata"}`.
pub fn dataset(driver: &dyn Driver, s: &Store) -> DatasetMetadata {
    store(
        driver,
        s,
        DATASET,
        StoreOptions::default().metadata(dataset_metadata()),
    )
}

/// conftest's `dataset_partition_keys`: [`dataset`]'s frames partitioned on P.
pub fn dataset_partition_keys(driver: &dyn Driver, s: &Store) -> DatasetMetadata {
    store(
        driver,
        s,
        DATASET_PARTITION_KEYS,
        StoreOptions::default()
            .metadata(dataset_metadata())
            .partition_on(["P"]),
    )
}

/// conftest's `dataset_with_index`: [`dataset_partition_keys`] plus a secondary index on L.
pub fn dataset_with_index(driver: &dyn Driver, s: &Store) -> DatasetMetadata {
    store(
        driver,
        s,
        DATASET_WITH_INDEX,
        StoreOptions::default()
            .metadata(dataset_metadata())
            .partition_on(["P"])
            .secondary_indices(["L"]),
    )
}

/// read.py's `dataset_dispatch_by`: four clusters partitioned on A, B with a secondary index
/// on C.
pub fn dataset_dispatch_by(driver: &dyn Driver, s: &Store) -> DatasetMetadata {
    let cluster = |a: &[i64], b: &[i64], c: &[i64], content: &str| {
        batch(vec![
            ("A", int64(a.iter().copied())),
            ("B", int64(b.iter().copied())),
            ("C", int64(c.iter().copied())),
            ("Content", strings(std::iter::repeat_n(content, a.len()))),
        ])
    };
    let clusters = [
        cluster(&[1, 1], &[10, 10], &[1, 2], "cluster1"),
        cluster(&[1, 1], &[10, 10], &[2, 3], "cluster2"),
        cluster(&[1], &[20], &[1], "cluster3"),
        cluster(&[2, 2], &[10, 10], &[1, 2], "cluster4"),
    ];
    #[allow(clippy::expect_used)]
    driver
        .store(
            s,
            DATASET_DISPATCH_BY,
            &clusters,
            &StoreOptions::default()
                .partition_on(["A", "B"])
                .secondary_indices(["C"]),
        )
        .expect("the dispatch_by dataset can be stored")
}

/// utils.py's `create_dataset`: two identical frames ([`data::utils_frame`]) with a secondary
/// index on P.
pub fn create_dataset(driver: &dyn Driver, s: &Store, uuid: &str) -> DatasetMetadata {
    let frame = data::utils_frame();
    #[allow(clippy::expect_used)]
    driver
        .store(
            s,
            uuid,
            &[frame.clone(), frame],
            &StoreOptions::default().secondary_indices(["P"]),
        )
        .expect("create_dataset")
}
