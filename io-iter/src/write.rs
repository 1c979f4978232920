//! Writing from a stream of batches: [`store_dataset_from_iter`] and
//! [`update_dataset_from_iter`].
//!
//! # How a stream is written
//!
//! 1. Everything that does not depend on the data is validated before the first batch is
//!    pulled, as the eager functions do: the uuid, the metadata version, the table name,
//!    secondary indices against `partition_on` and the dataset's indices, whether the dataset
//!    exists, the delete scope (columns and values).
//! 2. Each input batch is one plateau input frame (one base label). It is validated — the
//!    batch errors of the eager write (partition columns, null keys, index columns, sort
//!    columns) and its schema against the first batch's (new dataset) or the stored
//!    `_common_metadata` (update) — and then split, indexed and written by the
//!    [`DatasetWriter`] transaction. Only the written [`plateau_io::MetaPartition`]s are kept
//!    (labels, file keys, schemas, per-partition indices), never the batch.
//! 3. When the input is exhausted without error, one commit writes the index files, the
//!    schema and the metadata file (compare-and-swap, as the eager functions).
//!
//! # Errors mid-stream
//!
//! An input item that is an error, a batch that fails validation or a store error while
//! writing data ends the stream before any metadata, index file or `_common_metadata` is
//! written, so the dataset is exactly as before. The data files already written for earlier
//! batches are deleted (best effort; what cannot be deleted is garbage for garbage
//! collection). Files written for the partitions of a batch whose write failed halfway are
//! not known to the caller and stay as garbage. Once the commit has started, nothing is
//! deleted: a failed commit may still have become visible (a store that reports an error
//! after the write happened), so its files stay for garbage collection.
//!
//! # Divergences from Python plateau
//!
//! * The same as the eager API (see [`plateau_io::write`] and [`plateau_io::update`]).
//! * A mid-stream error removes the data files written for earlier batches (plateau leaves
//!   them behind).
//! * A batch's schema is checked when it arrives, against the first batch's schema for a new
//!   dataset (plateau checks all schemas at the end, after writing every file).

use std::slice;

use arrow::record_batch::RecordBatch;
use plateau_core::{Result, Store};
use plateau_io::update::UpdateOptions;
use plateau_io::write::StoreOptions;
use plateau_io::DatasetWriter;
use plateau_metadata::{DatasetFactory, DatasetMetadata};

/// Creates a dataset from a stream of batches (plateau's `store_dataframes_as_dataset__iter`)
/// and returns its committed metadata.
///
/// Each batch is one input frame (one base label), split by `partition_on`, indexed and
/// written as it arrives; the metadata is committed once at the end (put-if-absent, or with
/// `overwrite` compare-and-swap on the version seen at the start). Memory holds one input
/// batch plus the written partitions' descriptions and indices.
///
/// # Errors
/// Before the first batch is pulled: [`Error::InvalidUuid`], [`Error::Unsupported`] for a
/// metadata version other than 4, [`Error::InvalidInput`] for an invalid table name or a
/// secondary index on a partition column, [`Error::DatasetExists`] unless `overwrite`.
/// Per batch (the dataset stays as it was, see the module docs): the input's own errors, the
/// batch errors of [`plateau_io::write::store_dataset`] and [`Error::SchemaIncompatible`]
/// against the batches before it. At the end: [`Error::InvalidInput`] for an empty input
/// ("Cannot store empty datasets, ..."), store errors and [`Error::CommitConflict`].
///
/// [`Error::InvalidUuid`]: plateau_core::Error::InvalidUuid
/// [`Error::Unsupported`]: plateau_core::Error::Unsupported
/// [`Error::InvalidInput`]: plateau_core::Error::InvalidInput
/// [`Error::DatasetExists`]: plateau_core::Error::DatasetExists
/// [`Error::SchemaIncompatible`]: plateau_core::Error::SchemaIncompatible
/// [`Error::CommitConflict`]: plateau_core::Error::CommitConflict
#[doc(alias = "store_dataframes_as_dataset__iter")]
pub fn store_dataset_from_iter<I>(
    store: &Store,
    uuid: &str,
    batches: I,
    options: &StoreOptions,
) -> Result<DatasetMetadata>
where
    I: IntoIterator<Item = Result<RecordBatch>>,
{
    let writer = DatasetWriter::create(store, uuid, options)?;
    stream(writer, batches)
}

/// Updates (or creates) the dataset of `factory` from a stream of batches (plateau's
/// `update_dataset_from_dataframes__iter`): appends one partition per group of each batch
/// as it arrives, and at the end removes the partitions `delete_scope` matches, maintains
/// every secondary index and commits once, with compare-and-swap on the metadata version the
/// factory read before the first batch. An empty stream is a delete-only or metadata-only
/// update, as in the eager function.
///
/// Refreshes the factory's cache with the committed metadata.
///
/// # Errors
/// Before the first batch is pulled: the option errors of
/// [`plateau_io::update::update_dataset`] (uuid, metadata version, partition keys, indices
/// not a subset of the dataset's, delete-scope columns and values, table name). Per batch
/// (the dataset stays as it was, see the module docs): the input's own errors, the batch
/// errors of the eager update and [`Error::SchemaIncompatible`] against the stored schema and
/// the batches before. At the end: store errors and [`Error::CommitConflict`] when another
/// writer committed meanwhile.
///
/// [`Error::SchemaIncompatible`]: plateau_core::Error::SchemaIncompatible
/// [`Error::CommitConflict`]: plateau_core::Error::CommitConflict
#[doc(alias = "update_dataset_from_dataframes__iter")]
pub fn update_dataset_from_iter<I>(
    factory: &DatasetFactory,
    batches: I,
    options: &UpdateOptions,
) -> Result<DatasetMetadata>
where
    I: IntoIterator<Item = Result<RecordBatch>>,
{
    let mut writer = DatasetWriter::update(factory, options)?;
    // The delete scope's values and every index the commit changes are read now, so their
    // errors come before the first batch is pulled.
    writer.begin()?;
    stream(writer, batches)
}

/// Writes every batch of `batches` as it arrives, then commits. A failing item or batch
/// aborts the transaction: the files of earlier batches are deleted (best effort) and the
/// error returned. Once the commit has started nothing is deleted: a failed commit may still
/// have become visible (a store that reports an error after the write happened).
fn stream<I>(mut writer: DatasetWriter<'_>, batches: I) -> Result<DatasetMetadata>
where
    I: IntoIterator<Item = Result<RecordBatch>>,
{
    for batch in batches {
        let step = batch.and_then(|batch| writer.write_batches(slice::from_ref(&batch)));
        if let Err(err) = step {
            writer.abort();
            return Err(err);
        }
    }
    writer.commit()
}
