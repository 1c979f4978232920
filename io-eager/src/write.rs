//! The writing half of the eager API: thin wrappers over [`plateau_io::write`] and
//! [`plateau_io::update`] with the names of `plateau.io.eager`.

use arrow::datatypes::Schema;
use arrow::record_batch::RecordBatch;
use plateau_core::{Result, Store};
use plateau_io::update::{CommitOptions, UpdateOptions};
use plateau_io::write::{HeaderOptions, StoreOptions, WriteOptions};
use plateau_io::MetaPartition;
use plateau_metadata::{DatasetFactory, DatasetMetadata};

/// Writes a new dataset, one input frame per batch (plateau's
/// `store_dataframes_as_dataset`). See [`plateau_io::write::store_dataset`].
///
/// # Errors
/// As [`plateau_io::write::store_dataset`]: everything is validated before the first byte is
/// written; an existing dataset is [`plateau_core::Error::DatasetExists`] unless
/// `overwrite`.
pub fn store_dataframes_as_dataset(
    store: &Store,
    uuid: &str,
    batches: &[RecordBatch],
    options: &StoreOptions,
) -> Result<DatasetMetadata> {
    plateau_io::write::store_dataset(store, uuid, batches, options)
}

/// Appends `batches` to the dataset of `factory` and removes the partitions of the delete
/// scope in one commit, creating the dataset if it does not exist (plateau's
/// `update_dataset_from_dataframes`). See [`plateau_io::update::update_dataset`].
///
/// # Errors
/// As [`plateau_io::update::update_dataset`]; a concurrent commit is
/// [`plateau_core::Error::CommitConflict`].
pub fn update_dataset_from_dataframes(
    factory: &DatasetFactory,
    batches: &[RecordBatch],
    options: &UpdateOptions,
) -> Result<DatasetMetadata> {
    plateau_io::update::update_dataset(factory, batches, options)
}

/// Writes `_common_metadata` and an implicit metadata file for a new, empty dataset
/// (plateau's `create_empty_dataset_header`). See
/// [`plateau_io::write::create_empty_dataset_header`].
///
/// # Errors
/// As [`plateau_io::write::create_empty_dataset_header`].
pub fn create_empty_dataset_header(
    store: &Store,
    uuid: &str,
    schema: &Schema,
    options: &HeaderOptions,
) -> Result<DatasetMetadata> {
    plateau_io::write::create_empty_dataset_header(store, uuid, schema, options)
}

/// Writes data files into an existing dataset without committing them (plateau's
/// `write_single_partition`); commit the result with [`commit_dataset`]. See
/// [`plateau_io::write::write_single_partition`].
///
/// # Errors
/// As [`plateau_io::write::write_single_partition`].
pub fn write_single_partition(
    factory: &DatasetFactory,
    batches: &[RecordBatch],
    options: &WriteOptions,
) -> Result<Vec<MetaPartition>> {
    plateau_io::write::write_single_partition(factory, batches, options)
}

/// Commits written partitions, a delete scope and/or metadata to an existing dataset
/// (plateau's `commit_dataset`). See [`plateau_io::update::commit_dataset`].
///
/// # Errors
/// As [`plateau_io::update::commit_dataset`].
pub fn commit_dataset(
    factory: &DatasetFactory,
    new_partitions: &[MetaPartition],
    options: &CommitOptions,
) -> Result<DatasetMetadata> {
    plateau_io::update::commit_dataset(factory, new_partitions, options)
}
