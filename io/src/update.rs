//! Updating datasets: [`update_dataset`] (append partitions and remove the partitions a delete
//! scope matches, in one commit) and [`commit_dataset`] (commit partitions written by
//! [`crate::write::write_single_partition`], a delete scope and/or metadata), reference
//! §5.1–§5.4.
//!
//! # Delete scope
//!
//! A [`DeleteScope`] is one dict of plateau's `delete_scope` list: a conjunction of
//! `column == value` equalities. Each is answered by the dataset's indices (partition keys and
//! secondary indices) with plateau's lenient [`Index::query`](plateau_index::Index::query)
//! (`"1"` finds the integer 1, `"2020-01-01"` finds the date); the partitions matching every
//! equality of a scope are removed, and the results of all scopes are united. A secondary
//! index match removes the whole partition, even if it holds other values too. Removed
//! partitions vanish from the metadata and from every index; their files stay until garbage
//! collection. An empty scope (no equalities) matches every partition, as in plateau.
//!
//! # Index maintenance
//!
//! Every secondary index of an existing dataset is built for the new partitions, whatever
//! `secondary_indices` says (it may only name existing indices), so indices stay complete.
//!
//! # Divergences from Python plateau
//!
//! * A delete-scope column without an index is an error ([`Error::InvalidInput`](plateau_core::Error::InvalidInput), before
//!   anything is written); plateau ignores the column, so the scope matches — and deletes —
//!   every partition.
//! * Overlapping delete scopes are harmless (plateau raises `KeyError` after writing data).
//! * The commit is compare-and-swap on the metadata version the factory read: a concurrent
//!   commit makes this one fail with [`Error::CommitConflict`](plateau_core::Error::CommitConflict) and nothing is committed. The
//!   factory's stale cache is then dropped, so calling again applies the change on top of the
//!   current state (for `commit_dataset`, with the same already written partitions).
//! * The dataset's metadata format is kept (plateau always writes JSON).
//! * `commit_dataset` keeps the partitions' secondary indices (plateau fails with a
//!   `TypeError` when `secondary_indices` is given) and checks that every committed
//!   partition carries every index of the dataset, so indices stay complete; a new index
//!   column can only be introduced while the dataset has no other partitions.
//! * A delete scope makes an implicit dataset explicit, so the removal is recorded.

use arrow::array::RecordBatch;
use plateau_core::runtime::block_on_scoped;
use plateau_core::Result;
use plateau_metadata::{DatasetFactory, DatasetMetadata};

use crate::metapartition::MetaPartition;
use crate::transaction::DatasetWriter;

pub use crate::check::{check_delete_scope_columns, existing_indices_superset};
pub use crate::commit::MetadataMerger;
pub use crate::options::{delete_scope, CommitOptions, UpdateOptions};
pub use crate::retry::RetryPolicy;
pub use crate::scope::DeleteScope;
pub use crate::transaction::{matching_partitions, metadata_with_schema};

/// Updates the dataset of `factory` with `batches` (plateau's
/// `update_dataset_from_dataframes`): appends one partition per group of each batch, removes
/// the partitions `delete_scope` matches, maintains every secondary index and commits with
/// compare-and-swap on the metadata version the factory read. A dataset that does not exist
/// is created (with `default_metadata_format` / `default_metadata_version`; the delete scope
/// is then ignored). `batches = []` is a delete-only (or metadata-only) update.
///
/// Refreshes the factory's cache with the committed metadata.
///
/// # Errors
/// Before anything is written: [`Error::InvalidUuid`](plateau_core::Error::InvalidUuid); [`Error::Unsupported`](plateau_core::Error::Unsupported) for a
/// metadata version other than 4; [`Error::InvalidInput`](plateau_core::Error::InvalidInput) for incompatible partition keys
/// ("Incompatible set of partition keys encountered. ..."), secondary indices that are not a
/// subset of the dataset's ("Incorrect indices provided for dataset.\nExpected: [...]\nBut
/// got: [...]"), a delete-scope column without an index, a delete-scope value that cannot be
/// read as the column's type, no batches for a dataset that does not exist, and the batch
/// errors of [`crate::write::store_dataset`]; [`Error::SchemaIncompatible`](plateau_core::Error::SchemaIncompatible) against the
/// stored schema. Then store errors, and [`Error::CommitConflict`](plateau_core::Error::CommitConflict) when another writer
/// committed since the factory read the metadata.
pub fn update_dataset(
    factory: &DatasetFactory,
    batches: &[RecordBatch],
    options: &UpdateOptions,
) -> Result<DatasetMetadata> {
    block_on_scoped(update_dataset_async(factory, batches, options))
}

/// Async [`update_dataset`]: to be polled inside a tokio runtime (see
/// [`plateau_core::runtime`]).
///
/// # Errors
/// As [`update_dataset`].
pub async fn update_dataset_async(
    factory: &DatasetFactory,
    batches: &[RecordBatch],
    options: &UpdateOptions,
) -> Result<DatasetMetadata> {
    let mut writer = DatasetWriter::update_async(factory, options).await?;
    writer.check_input_count(batches.len())?;
    writer.write_batches_async(batches).await?;
    writer.commit_async().await
}

/// Commits partitions written by [`crate::write::write_single_partition`], a delete scope
/// and/or metadata to the existing dataset of `factory` (plateau's `commit_dataset`), in
/// one compare-and-swap commit on the version the factory read. New partitions are appended
/// in order (an implicit dataset becomes explicit and lists all its partitions), their
/// indices are merged into the dataset's, and their schemas are validated against the
/// stored one. A commit with only metadata keeps an implicit dataset implicit; a delete scope
/// makes it explicit.
///
/// Refreshes the factory's cache with the committed metadata.
///
/// # Errors
/// Before anything is written: [`Error::InvalidInput`](plateau_core::Error::InvalidInput) when nothing is given ("Need to
/// provide either new data, new metadata or a delete scope. None of it was provided."),
/// partitions of more than one table ("Cannot commit more than one table to a dataset but got
/// tables [...]") or of another table or partitioning than the dataset's, files outside the
/// dataset, duplicate labels ("The labels ... are duplicated. Dataset metadata was not
/// written."), partitions lacking an index of the dataset, a new index column while the
/// dataset keeps other partitions, `secondary_indices` the result would not have, and the
/// delete-scope errors of [`update_dataset`]; [`Error::DatasetNotFound`](plateau_core::Error::DatasetNotFound);
/// [`Error::SchemaIncompatible`](plateau_core::Error::SchemaIncompatible). Then store errors and [`Error::CommitConflict`](plateau_core::Error::CommitConflict).
pub fn commit_dataset(
    factory: &DatasetFactory,
    new_partitions: &[MetaPartition],
    options: &CommitOptions,
) -> Result<DatasetMetadata> {
    block_on_scoped(commit_dataset_async(factory, new_partitions, options))
}

/// Async [`commit_dataset`].
///
/// # Errors
/// As [`commit_dataset`].
pub async fn commit_dataset_async(
    factory: &DatasetFactory,
    new_partitions: &[MetaPartition],
    options: &CommitOptions,
) -> Result<DatasetMetadata> {
    DatasetWriter::commit_partitions_async(factory, new_partitions, options)
        .await?
        .commit_async()
        .await
}
