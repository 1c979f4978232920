//! Dataset maintenance of the eager API: `build_dataset_indices`, `garbage_collect_dataset`,
//! `delete_dataset` and `compact_dataset`, thin wrappers over [`plateau_io::maintenance`] (which documents the
//! semantics and the divergences from Python plateau).

use plateau_core::Result;
use plateau_io::compact::{self, CompactOptions, CompactReport};
use plateau_io::maintenance::{self, GcOptions, GcReport};
use plateau_metadata::{DatasetFactory, DatasetMetadata};

/// Builds secondary indices on `columns` over every partition of the dataset and commits them
/// (plateau's `build_dataset_indices`).
///
/// Other indices are kept; an existing index of a requested column is rebuilt. Unlike plateau,
/// an index on a partition column is an error, and the metadata keeps its storage format.
/// See [`plateau_io::maintenance::build_indices`].
///
/// ```
/// use std::sync::Arc;
/// use arrow::array::{Int64Array, RecordBatch};
/// use plateau_core::Store;
/// use plateau_io_eager::*;
/// use plateau_metadata::DatasetFactory;
///
/// let store = Store::memory();
/// let batch = RecordBatch::try_from_iter([("p", Arc::new(Int64Array::from(vec![1, 2])) as _)])?;
/// store_dataframes_as_dataset(&store, "uuid", &[batch], &StoreOptions::default())?;
///
/// let factory = DatasetFactory::new(store, "uuid");
/// let metadata = build_dataset_indices(&factory, &["p".to_owned()])?;
/// assert!(metadata.indices.contains_key("p"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn build_dataset_indices(
    factory: &DatasetFactory,
    columns: &[String],
) -> Result<DatasetMetadata> {
    maintenance::build_indices(factory, columns)
}

/// Removes the files the dataset's metadata no longer references: stale index files and, for
/// datasets with explicit partitions, stale table files (plateau's `garbage_collect_dataset`).
///
/// [`GcOptions::dry_run`] only reports, [`GcOptions::min_age`] spares recent files of
/// concurrent writers. Returns the deleted keys. See
/// [`plateau_io::maintenance::garbage_collect`].
///
/// ```
/// use std::sync::Arc;
/// use arrow::array::{Int64Array, RecordBatch};
/// use plateau_core::Store;
/// use plateau_io_eager::*;
/// use plateau_metadata::DatasetFactory;
///
/// let store = Store::memory();
/// let batch = RecordBatch::try_from_iter([("p", Arc::new(Int64Array::from(vec![1])) as _)])?;
/// store_dataframes_as_dataset(&store, "uuid", &[batch], &StoreOptions::default())?;
/// store.put("uuid/table/trash.parquet", b"trash".to_vec().into())?;
///
/// let factory = DatasetFactory::new(store.clone(), "uuid");
/// let report = garbage_collect_dataset(&factory, &GcOptions::immediate())?;
/// assert_eq!(report.files, ["uuid/table/trash.parquet"]);
/// assert!(!store.exists("uuid/table/trash.parquet")?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn garbage_collect_dataset(factory: &DatasetFactory, options: &GcOptions) -> Result<GcReport> {
    maintenance::garbage_collect(factory, options)
}

/// Deletes the whole dataset: unreferenced files, both metadata files, indices, partitions
/// and `_common_metadata` (plateau's `delete_dataset`). The metadata is deleted first, so a
/// crash never leaves a dataset that fails to read. See
/// [`plateau_io::maintenance::delete_dataset`].
///
/// ```
/// use std::sync::Arc;
/// use arrow::array::{Int64Array, RecordBatch};
/// use plateau_core::Store;
/// use plateau_io_eager::*;
/// use plateau_metadata::DatasetFactory;
///
/// let store = Store::memory();
/// let batch = RecordBatch::try_from_iter([("p", Arc::new(Int64Array::from(vec![1])) as _)])?;
/// store_dataframes_as_dataset(&store, "uuid", &[batch], &StoreOptions::default())?;
///
/// delete_dataset(&DatasetFactory::new(store.clone(), "uuid"))?;
/// assert!(store.list_keys("")?.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn delete_dataset(factory: &DatasetFactory) -> Result<()> {
    maintenance::delete_dataset(factory)
}

/// Merges the dataset's small data files into fewer, larger ones, per partition-key
/// combination, and commits the result as one update that replaces exactly the merged
/// partitions (no Python plateau counterpart). Old files stay until garbage collection. See
/// [`plateau_io::compact`] for the plan, the retry rule and the defaults.
///
/// ```
/// use std::sync::Arc;
/// use arrow::array::{Int64Array, RecordBatch};
/// use plateau_core::Store;
/// use plateau_io_eager::*;
/// use plateau_metadata::DatasetFactory;
///
/// let store = Store::memory();
/// let batch = RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![1])) as _)])?;
/// store_dataframes_as_dataset(&store, "uuid", &[batch.clone()], &StoreOptions::default())?;
/// let factory = DatasetFactory::new(store, "uuid");
/// update_dataset_from_dataframes(&factory, &[batch], &UpdateOptions::default())?;
///
/// let report = compact_dataset(&factory, &CompactOptions::default())?;
/// assert_eq!((report.removed, report.written), (2, 1));
/// assert_eq!(read_table(&factory, &ReadOptions::default())?.num_rows(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// The errors of [`plateau_io::compact::compact`].
pub fn compact_dataset(
    factory: &DatasetFactory,
    options: &CompactOptions,
) -> Result<CompactReport> {
    compact::compact(factory, options)
}
