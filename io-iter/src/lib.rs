//! Streaming API mirroring `plateau.io.iter` (reference §1.3): partitions in, partitions out,
//! memory bounded by one batch.
//!
//! | Python | here |
//! |---|---|
//! | `read_dataset_as_dataframes__iterator` | [`read_dataset_as_batches_iter`] |
//! | `read_dataset_as_metapartitions__iterator` | [`read_dataset_as_metapartitions_iter`] |
//! | `store_dataframes_as_dataset__iter` | [`store_dataset_from_iter`] |
//! | `update_dataset_from_dataframes__iter` | [`update_dataset_from_iter`] |
//!
//! Why a separate front end: the eager API needs every input batch (or every output batch) in
//! memory at once. Here reads plan once — every option is validated before any data file is
//! touched — and then read one partition (or one `dispatch_by` group) per
//! [`Iterator::next`]; writes validate, split, index and write each input batch as it
//! arrives and keep only the written partitions' descriptions ([`MetaPartition`]: label,
//! file, schema, indices) for the single commit at the end.
//!
//! What is read and written, and every rule about it, is [`plateau_io`]'s; this crate only
//! schedules it.
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Int64Array, RecordBatch};
//! use plateau_core::Store;
//! use plateau_io_iter::*;
//! use plateau_metadata::DatasetFactory;
//!
//! let store = Store::memory();
//! let batches = (0..3).map(|i| {
//!     RecordBatch::try_from_iter([
//!         ("P", Arc::new(Int64Array::from(vec![i, i])) as _),
//!         ("x", Arc::new(Int64Array::from(vec![10 * i, 10 * i + 1])) as _),
//!     ])
//!     .map_err(Into::into)
//! });
//! let options = StoreOptions::default().partition_on(["P"]);
//! store_dataset_from_iter(&store, "uuid", batches, &options)?;
//!
//! let factory = DatasetFactory::new(store, "uuid");
//! let rows: usize = read_dataset_as_batches_iter(&factory, &ReadOptions::default())?
//!     .map(|batch| batch.map(|b| b.num_rows()))
//!     .sum::<plateau_core::Result<usize>>()?;
//! assert_eq!(rows, 6);
//! # Ok::<(), plateau_core::Error>(())
//! ```

mod read;
mod write;

pub use plateau_io::read::ReadOptions;
pub use plateau_io::update::{DeleteScope, MetadataMerger, UpdateOptions};
pub use plateau_io::write::StoreOptions;
pub use plateau_io::MetaPartition;
pub use read::{
    read_dataset_as_batches_iter, read_dataset_as_metapartitions_iter, BatchIter, LoadedPartition,
    PartitionIter,
};
pub use write::{store_dataset_from_iter, update_dataset_from_iter};
