//! The one-call blocking API of plateau, mirroring Python's `plateau.io.eager`.
//!
//! Tables are Arrow [`RecordBatch`](arrow::record_batch::RecordBatch)es; a dataset is addressed
//! by a [`DatasetFactory`](plateau_metadata::DatasetFactory) (store + uuid, with cached
//! metadata) for everything that reads or changes an existing dataset, and by store + uuid
//! for creating one. Options are structs with documented defaults (builder-style setters).
//!
//! | Python | here |
//! |---|---|
//! | `read_table` | [`read_table`] |
//! | `read_dataset_as_dataframes` | [`read_dataset_as_dataframes`] |
//! | `store_dataframes_as_dataset` | [`store_dataframes_as_dataset`] |
//! | `update_dataset_from_dataframes` | [`update_dataset_from_dataframes`] |
//! | `create_empty_dataset_header` | [`create_empty_dataset_header`] |
//! | `write_single_partition` | [`write_single_partition`] |
//! | `commit_dataset` | [`commit_dataset`] |
//! | `build_dataset_indices` | [`build_dataset_indices`] |
//! | `garbage_collect_dataset` | [`garbage_collect_dataset`] |
//! | `delete_dataset` | [`delete_dataset`] |
//! | (none: merging small files) | [`compact_dataset`] |
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Int64Array, RecordBatch};
//! use plateau_core::{Predicates, Store};
//! use plateau_io_eager::*;
//! use plateau_metadata::DatasetFactory;
//!
//! let store = Store::memory();
//! let batch = RecordBatch::try_from_iter([
//!     ("P", Arc::new(Int64Array::from(vec![1, 2, 2])) as _),
//!     ("x", Arc::new(Int64Array::from(vec![10, 20, 30])) as _),
//! ])
//! .unwrap();
//! store_dataframes_as_dataset(&store, "uuid", &[batch], &StoreOptions::default().partition_on(["P"])).unwrap();
//!
//! let factory = DatasetFactory::new(store, "uuid");
//! let options = ReadOptions::default().predicates(Predicates::parse("P == 2").unwrap());
//! assert_eq!(read_table(&factory, &options).unwrap().num_rows(), 2);
//! ```

mod maintenance;
mod read;
mod write;

pub use maintenance::{
    build_dataset_indices, compact_dataset, delete_dataset, garbage_collect_dataset,
};
pub use plateau_io::compact::{CompactOptions, CompactReport, CompactionPlan, TargetSize};
pub use plateau_io::maintenance::{DeleteOptions, GcOptions, GcReport};
pub use plateau_io::read::ReadOptions;
pub use plateau_io::retry::RetryPolicy;
pub use plateau_io::update::{CommitOptions, DeleteScope, MetadataMerger, UpdateOptions};
pub use plateau_io::write::{HeaderOptions, StoreOptions, WriteOptions};
pub use plateau_io::MetaPartition;
pub use read::{read_dataset_as_dataframes, read_table};
pub use write::{
    commit_dataset, create_empty_dataset_header, store_dataframes_as_dataset,
    update_dataset_from_dataframes, write_single_partition,
};
