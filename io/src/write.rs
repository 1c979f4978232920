//! Creating datasets and writing partitions: [`store_dataset`],
//! [`create_empty_dataset_header`] and [`write_single_partition`] (reference §1.2, §5.4).
//!
//! Every function validates everything it can before the first byte is written (DESIGN.md
//! §5): the uuid, the metadata version, whether the dataset exists, `partition_on` against
//! each batch (present, not covering every column, no null keys), the secondary-index columns
//! (not partition columns, present, of an indexable type), and the schemas of all batches
//! against each other and against the stored `_common_metadata`. Only then are data files
//! written, one per group of each input batch, followed by the commit ([`crate::commit`]).
//!
//! # Layout of what is written
//!
//! * Every input batch gets one fresh base label (a uuid4 hex, plateau's `gen_uuid`); with
//!   `partition_on` it is split ([`crate::partition`]) and each group becomes the partition
//!   `c1=v1/.../<base>`, stored at `<uuid>/<table>/<label>.parquet` (or the serializer's
//!   suffix). Data files keep the batch's own column order and types, without partition
//!   columns and pandas index columns.
//! * A batch without rows becomes a real 0-row file without `partition_on`; with
//!   `partition_on` it produces no partition, but its schema still takes part in validation.
//! * Secondary indices are built per partition ([`plateau_index::Index::from_array`]) and
//!   merged at commit time.
//!
//! # Divergences from Python plateau
//!
//! * The uuid is validated first (plateau validates after writing every file).
//! * `overwrite` replaces the metadata with compare-and-swap against the version seen during
//!   validation and removes the other format's metadata file, so the new dataset is not
//!   shadowed by an old JSON file (plateau would leave it shadowing the new msgpack file).
//!   Data and index files of the old dataset stay for garbage collection, as in plateau.
//! * `write_single_partition` requires an existing dataset ([`Error::DatasetNotFound`](plateau_core::Error::DatasetNotFound);
//!   plateau fails with an `AttributeError`), builds every secondary index the dataset already
//!   has in addition to the requested ones (so the commit keeps the indices complete), and on
//!   an existing dataset infers the table name (an explicit different one is an error).

use std::slice;

use arrow::array::RecordBatch;
use arrow::datatypes::Schema;
use plateau_core::runtime::block_on_scoped;
use plateau_core::{Result, Store};
use plateau_metadata::{DatasetFactory, DatasetMetadata};

use crate::metapartition::MetaPartition;
use crate::transaction::DatasetWriter;

pub use crate::check::{
    check_dataset_table, check_index_column, check_index_overlap, check_partition_on,
    check_table_name, creation_mode, py_list, sorted_unique,
};
pub use crate::options::{HeaderOptions, StoreOptions, WriteOptions};
pub use crate::plan::{BuiltFile, WritePlan, UPLOADS_IN_FLIGHT};

/// Writes a new dataset from `batches` (plateau's `store_dataframes_as_dataset`) and returns
/// its committed metadata.
///
/// Each batch is one input frame: one base label, split by `partition_on`. The metadata file
/// is written last with put-if-absent (or, with `overwrite`, compare-and-swap against the
/// version seen during validation).
///
/// # Errors
/// All before anything is written:
/// * [`Error::InvalidUuid`](plateau_core::Error::InvalidUuid); [`Error::Unsupported`](plateau_core::Error::Unsupported) for a metadata version other than 4;
/// * [`Error::DatasetExists`](plateau_core::Error::DatasetExists) unless `overwrite`;
/// * [`Error::InvalidInput`](plateau_core::Error::InvalidInput): an empty `batches` ("Cannot store empty datasets, partition_list
///   must not be empty if in store mode."), a secondary index on a partition column ("Cannot
///   create secondary index on partition columns: {'x'}"), a missing partition column, no
///   data column left, null partition values, a missing index column ("Column `z` could not
///   be found in the partition `<label>` ...");
/// * [`Error::Unsupported`](plateau_core::Error::Unsupported) for an index column of the null type ("Indices w/ null/NA type
///   are not supported") or another unindexable type;
/// * [`Error::SchemaIncompatible`](plateau_core::Error::SchemaIncompatible) when the batches' schemas differ.
///
/// Later: store errors, and [`Error::CommitConflict`](plateau_core::Error::CommitConflict) when another writer created the
/// dataset meanwhile (nothing is committed; the written files are garbage).
pub fn store_dataset(
    store: &Store,
    uuid: &str,
    batches: &[RecordBatch],
    options: &StoreOptions,
) -> Result<DatasetMetadata> {
    block_on_scoped(store_dataset_async(store, uuid, batches, options))
}

/// Async [`store_dataset`]: to be polled inside a tokio runtime (see
/// [`plateau_core::runtime`]).
///
/// # Errors
/// As [`store_dataset`].
pub async fn store_dataset_async(
    store: &Store,
    uuid: &str,
    batches: &[RecordBatch],
    options: &StoreOptions,
) -> Result<DatasetMetadata> {
    let mut writer = DatasetWriter::create_async(store, uuid, options).await?;
    writer.check_input_count(batches.len())?;
    writer.write_batches_async(batches).await?;
    writer.commit_async().await
}

/// Writes the header of a new, empty dataset (plateau's `create_empty_dataset_header`):
/// `_common_metadata` from `schema` (normalised by
/// [`make_meta`](plateau_metadata::schema::make_meta) with `partition_on`), then a metadata
/// file without a `partitions` entry (an implicit dataset: partitions written later by
/// [`write_single_partition`] are visible by listing until [`crate::update::commit_dataset`]
/// makes the dataset explicit).
///
/// # Errors
/// Before anything is written: [`Error::InvalidUuid`](plateau_core::Error::InvalidUuid), [`Error::Unsupported`](plateau_core::Error::Unsupported) for a metadata
/// version other than 4, [`Error::DatasetExists`](plateau_core::Error::DatasetExists) unless `overwrite`,
/// [`Error::InvalidInput`](plateau_core::Error::InvalidInput) when a partition column is not in `schema` or no other column is
/// left, and the errors of [`make_meta`](plateau_metadata::schema::make_meta). Then store
/// errors and [`Error::CommitConflict`](plateau_core::Error::CommitConflict).
pub fn create_empty_dataset_header(
    store: &Store,
    uuid: &str,
    schema: &Schema,
    options: &HeaderOptions,
) -> Result<DatasetMetadata> {
    block_on_scoped(async {
        DatasetWriter::create_header_async(store, uuid, schema, options)
            .await?
            .commit_async()
            .await
    })
}

/// Writes data files for `batches` into the existing dataset of `factory` without committing
/// them (plateau's `write_single_partition`); pass the result to
/// [`crate::update::commit_dataset`].
///
/// Each batch is one input frame (one base label), sorted by `sort_partitions_by` and split
/// by the dataset's partition keys. Every secondary index the dataset has is built for each
/// partition, plus `secondary_indices`. The schemas are validated against each other and
/// against the stored `_common_metadata` before anything is written. No batches: nothing is
/// written and the result is empty.
///
/// # Errors
/// Before anything is written: [`Error::DatasetNotFound`](plateau_core::Error::DatasetNotFound); [`Error::InvalidInput`](plateau_core::Error::InvalidInput) for
/// `partition_on` different from the dataset's keys ("Incompatible set of partition keys
/// encountered. ..."), a table name different from the dataset's, and the batch errors of
/// [`store_dataset`]; [`Error::SchemaIncompatible`](plateau_core::Error::SchemaIncompatible). Then store errors.
pub fn write_single_partition(
    factory: &DatasetFactory,
    batches: &[RecordBatch],
    options: &WriteOptions,
) -> Result<Vec<MetaPartition>> {
    block_on_scoped(async {
        let mut writer = DatasetWriter::append_async(factory, options).await?;
        writer.write_batches_async(batches).await?;
        Ok(writer.into_partitions())
    })
}

/// The validated plan of [`write_single_partition`], nothing written yet: every check of
/// that function has passed, and [`WritePlan::write`] writes its files one by one (a
/// parallel front end writes them concurrently).
///
/// # Errors
/// The errors [`write_single_partition`] raises before writing.
pub fn plan_single_partition(
    factory: &DatasetFactory,
    batches: &[RecordBatch],
    options: &WriteOptions,
) -> Result<WritePlan> {
    block_on_scoped(async {
        let mut writer = DatasetWriter::append_async(factory, options).await?;
        let plan = writer.plan(batches)?;
        writer.accept_async(slice::from_ref(&plan)).await?;
        Ok(plan)
    })
}
