//! The building blocks every plateau front end shares (DESIGN.md §4–§6): reading planned
//! partitions, splitting batches by `partition_on`, writing partitions and their secondary
//! indices, committing metadata with compare-and-swap, updating with a delete scope,
//! deleting, garbage collection and building indices.
//!
//! Front ends (`plateau-io-eager`, `-iter`, `-parallel`) only decide *how* work is scheduled;
//! what is read and written is decided here.
//!
//! * [`scan`]: planning a read once into a serialisable [`scan::ScanPlan`] (one
//!   [`scan::ScanTask`] per data file: typed partition values, the residual filter) and
//!   executing it with many files in flight, decoding off the I/O runtime; the async
//!   [`scan::scan`] stream and the blocking [`scan::ScanReader`].
//! * [`mod@read`]: [`read::ReadOptions`] and the `read_table` / `read_dataset` result rules
//!   over the scan (one group per partition or `dispatch_by` value).
//! * [`metapartition`]: [`MetaPartition`], one written partition without its data — the
//!   serialisable message between `write_single_partition` workers and `commit_dataset`.
//! * [`partition`]: `partition_on` split in first-appearance order, null checks, sorting.
//! * [`transaction`]: [`DatasetWriter`], the one write transaction every writing path of
//!   every front end drives: validation before the first byte, writing data files, the single
//!   commit.
//! * [`options`]: the options of every write ([`options::StoreOptions`],
//!   [`options::UpdateOptions`], ...).
//! * [`check`]: the checks made before the first byte (options, partition keys, indices,
//!   delete-scope columns, partitions written elsewhere), with plateau's errors.
//! * [`plan`]: [`plan::WritePlan`], batches validated and split into data files, written and
//!   indexed (uploads in flight, or built for a caller that uploads itself).
//! * [`mod@write`]: creating datasets and writing partitions (`store_dataset`,
//!   `create_empty_dataset_header`, `write_single_partition`), each a [`DatasetWriter`].
//! * [`commit`]: building the new metadata (new dataset or update), merging indices, writing
//!   index files, `_common_metadata` and the metadata file with put-if-absent / put-if-match.
//! * [`retry`]: how a commit that lost the compare-and-swap is retried.
//! * [`update`]: `update_dataset` and `commit_dataset` (each a [`DatasetWriter`]), delete
//!   scopes, index maintenance.
//! * [`scope`]: which partitions a delete scope selects.
//! * [`maintenance`]: delete, garbage collection, building indices.
//! * [`compact`]: merging small data files into fewer, larger ones (an update that replaces
//!   exactly the merged partitions).
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Int64Array, RecordBatch, StringArray};
//! use plateau_core::Store;
//! use plateau_io::{read, write};
//! use plateau_metadata::DatasetFactory;
//!
//! let store = Store::memory();
//! let batch = RecordBatch::try_from_iter([
//!     ("P", Arc::new(Int64Array::from(vec![1, 1, 2])) as _),
//!     ("L", Arc::new(StringArray::from(vec!["a", "b", "c"])) as _),
//! ])
//! .unwrap();
//! let options = write::StoreOptions::default().partition_on(["P"]).secondary_indices(["L"]);
//! write::store_dataset(&store, "demo", &[batch], &options).unwrap();
//!
//! let factory = DatasetFactory::new(store, "demo");
//! let table = read::read_table(&factory, &read::ReadOptions::default()).unwrap();
//! assert_eq!(table.num_rows(), 3);
//! ```
//!
//! The same from async code (a tokio runtime of either flavour; see
//! [`plateau_core::runtime`]): every step has an `_async` twin, and the blocking functions
//! above block once per call on them.
//!
//! ```
//! # use std::sync::Arc;
//! # use arrow::array::{Int64Array, RecordBatch};
//! use futures::TryStreamExt;
//! use plateau_core::Store;
//! use plateau_io::scan::{scan, ScanOptions};
//! use plateau_io::{read, write, DatasetWriter};
//! use plateau_metadata::DatasetFactory;
//!
//! # let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
//! # runtime.block_on(async {
//! let store = Store::memory();
//! let batch = RecordBatch::try_from_iter([
//!     ("P", Arc::new(Int64Array::from(vec![1, 1, 2])) as _),
//!     ("x", Arc::new(Int64Array::from(vec![10, 20, 30])) as _),
//! ])?;
//! let options = write::StoreOptions::default().partition_on(["P"]);
//! let mut writer = DatasetWriter::create_async(&store, "demo", &options).await?;
//! writer.write_batches_async(&[batch]).await?; // data files upload concurrently
//! writer.commit_async().await?; // index files, `_common_metadata`, then the metadata
//!
//! let factory = DatasetFactory::new(store, "demo");
//! let stream = scan(&factory, &read::ReadOptions::default(), &ScanOptions::default()).await?;
//! let batches: Vec<RecordBatch> = stream.try_collect().await?;
//! assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 3);
//! # Ok::<(), plateau_core::Error>(())
//! # }).unwrap();
//! ```

mod accumulate;
pub mod check;
pub mod commit;
pub mod compact;
pub mod copy;
pub mod maintenance;
pub mod metapartition;
pub mod options;
pub mod partition;
pub mod plan;
pub mod read;
mod read_options;
pub mod retry;
pub mod scan;
pub mod scope;
pub mod transaction;
pub mod update;
pub mod write;

pub use metapartition::MetaPartition;
pub use transaction::DatasetWriter;
