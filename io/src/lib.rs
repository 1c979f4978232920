//! The building blocks every plateau front end shares (DESIGN.md §4–§6): reading planned
//! partitions, splitting batches by `partition_on`, writing partitions and their secondary
//! indices, committing metadata with compare-and-swap, updating with a delete scope,
//! deleting, garbage collection and building indices.
//!
//! Front ends (`plateau-io-eager`, `-iter`, `-parallel`) only decide *how* work is scheduled;
//! what is read and written is decided here.
//!
//! * [`mod@read`]: [`read::ReadOptions`], reading one planned [`plateau_metadata::planning::DispatchGroup`]
//!   into a batch (projection, predicates split into partition-key and content parts,
//!   partition columns added with their real types) and the `read_table` column rules.
//! * [`metapartition`]: [`MetaPartition`], one written partition without its data — the
//!   serialisable message between `write_single_partition` workers and `commit_dataset`.
//! * [`partition`]: `partition_on` split in first-appearance order, null checks, sorting.
//! * [`mod@write`]: validation before the first byte, writing data files and per-partition
//!   indices; [`write::StoreOptions`].
//! * [`commit`]: building the new metadata (new dataset or update), merging indices, writing
//!   index files, `_common_metadata` and the metadata file with put-if-absent / put-if-match.
//! * [`update`]: [`update::UpdateOptions`], delete scopes, index maintenance.
//! * [`maintenance`]: delete, garbage collection, building indices.
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

pub mod commit;
pub mod copy;
pub mod maintenance;
pub mod metapartition;
pub mod partition;
pub mod read;
mod read_options;
pub mod retry;
pub mod scan;
pub mod scope;
pub mod update;
pub mod write;

pub use metapartition::MetaPartition;
