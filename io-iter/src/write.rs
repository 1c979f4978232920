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
//!    `_common_metadata` (update) — and then split, indexed and written with
//!    [`plateau_io::write::write_single_partition`]. Only the returned [`MetaPartition`]s are
//!    kept (labels, file keys, schemas, per-partition indices), never the batch.
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

use std::collections::BTreeSet;

use arrow::record_batch::RecordBatch;
use plateau_core::naming;
use plateau_core::{Error, Result, Store};
use plateau_io::commit::{self, CommitMode, CommitRequest, CommitTarget, NewDataset};
use plateau_io::partition;
use plateau_io::update::{
    self, check_delete_scope_columns, existing_indices_superset, metadata_with_schema,
    CommitOptions, UpdateOptions,
};
use plateau_io::write::{
    self, check_dataset_table, check_index_overlap, check_partition_on, check_table_name,
    creation_mode, StoreOptions, WriteOptions,
};
use plateau_io::MetaPartition;
use plateau_metadata::dataset::check_version;
use plateau_metadata::schema::{make_meta, validate_compatible, SchemaWrapper};
use plateau_metadata::{DatasetFactory, DatasetMetadata, DatasetMetadataBuilder};

/// Most origins a running schema keeps for error messages (plateau cuts them at 200
/// characters anyway); without a bound the origin set would grow with every partition.
const MAX_ORIGINS: usize = 16;

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
    naming::validate_uuid(uuid)?;
    check_version(options.metadata_version)?;
    check_table_name(&options.table_name)?;
    check_index_overlap(&options.partition_on, &options.secondary_indices)?;
    let mode = creation_mode(store, uuid, options.overwrite)?;

    let dataset = NewDataset {
        uuid: uuid.to_owned(),
        table_name: options.table_name.clone(),
        partition_keys: options.partition_on.clone(),
        metadata_version: options.metadata_version,
        format: options.metadata_format,
        explicit_partitions: true,
    };
    let write_options = WriteOptions {
        partition_on: Some(options.partition_on.clone()),
        secondary_indices: options.secondary_indices.clone(),
        sort_partitions_by: Vec::new(),
        table_name: options.table_name.clone(),
        serializer: options.serializer.clone(),
    };
    let writer = Writer::new_dataset(store, &dataset)?;
    let streamed = writer.run(batches, &write_options, None)?;
    if streamed.partitions.is_empty() {
        // No partition at all: the eager function gives the same result (the empty-input
        // error, or a dataset without partitions from 0-row batches).
        return write::store_dataset(store, uuid, &streamed.empty_batches, options);
    }
    commit::commit(
        store,
        CommitRequest {
            target: CommitTarget::New { dataset, mode },
            partitions: &streamed.partitions,
            removed: Vec::new(),
            schema: streamed.schema,
            stored_schema: None,
            metadata: &options.metadata,
            metadata_merger: None,
            force_explicit: false,
            delete_scope: &[],
            retry: plateau_io::retry::RetryPolicy::none(),
        },
    )
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
#[doc(alias = "update_dataset_from_dataframes__iter")]
pub fn update_dataset_from_iter<I>(
    factory: &DatasetFactory,
    batches: I,
    options: &UpdateOptions,
) -> Result<DatasetMetadata>
where
    I: IntoIterator<Item = Result<RecordBatch>>,
{
    let uuid = factory.uuid();
    naming::validate_uuid(uuid)?;
    check_version(options.default_metadata_version)?;
    if !factory.exists()? {
        return create_from_iter(factory, batches, options);
    }
    let metadata = metadata_with_schema(factory)?;
    let partition_on = check_partition_on(&metadata, options.partition_on.as_deref())?;
    check_dataset_table(&metadata, &options.table_name)?;
    existing_indices_superset(&metadata, &options.secondary_indices)?;
    check_delete_scope_columns(&metadata, &options.delete_scope)?;
    // Validates the scope's values (and loads its indices) before any data is written.
    update::matching_partitions(factory, &options.delete_scope)?;
    // Every index the commit changes is loaded now, so that an unreadable index file fails
    // the update before any data file is written.
    let index_columns: Vec<String> = factory.metadata()?.indices.keys().cloned().collect();
    factory.load_indices(&index_columns.iter().map(String::as_str).collect::<Vec<_>>())?;

    let write_options = WriteOptions {
        partition_on: Some(partition_on),
        secondary_indices: options.secondary_indices.clone(),
        sort_partitions_by: options.sort_partitions_by.clone(),
        table_name: options.table_name.clone(),
        serializer: options.serializer.clone(),
    };
    let writer = Writer {
        factory: WriterFactory::Existing(factory),
    };
    let stored = metadata.schema.clone();
    let streamed = writer.run(batches, &write_options, stored)?;
    if streamed.partitions.is_empty() {
        // Nothing to append: the eager update applies the delete scope and metadata (and
        // validates the schemas of 0-row batches) exactly as without streaming.
        return update::update_dataset(factory, &streamed.empty_batches, options);
    }
    update::commit_dataset(
        factory,
        &streamed.partitions,
        &CommitOptions {
            delete_scope: options.delete_scope.clone(),
            metadata: options.metadata.clone(),
            metadata_merger: options.metadata_merger.clone(),
            partition_on: options.partition_on.clone(),
            secondary_indices: options.secondary_indices.clone(),
            retry: options.retry.clone(),
        },
    )
}

/// An update of a dataset that does not exist creates it (from the update's defaults).
fn create_from_iter<I>(
    factory: &DatasetFactory,
    batches: I,
    options: &UpdateOptions,
) -> Result<DatasetMetadata>
where
    I: IntoIterator<Item = Result<RecordBatch>>,
{
    let uuid = factory.uuid();
    let partition_on = options.partition_on.clone().unwrap_or_default();
    check_table_name(&options.table_name)?;
    check_index_overlap(&partition_on, &options.secondary_indices)?;
    let dataset = NewDataset {
        uuid: uuid.to_owned(),
        table_name: options.table_name.clone(),
        partition_keys: partition_on.clone(),
        metadata_version: options.default_metadata_version,
        format: options.default_metadata_format,
        explicit_partitions: true,
    };
    let write_options = WriteOptions {
        partition_on: Some(partition_on),
        secondary_indices: options.secondary_indices.clone(),
        sort_partitions_by: options.sort_partitions_by.clone(),
        table_name: options.table_name.clone(),
        serializer: options.serializer.clone(),
    };
    let writer = Writer::new_dataset(factory.store(), &dataset)?;
    let streamed = writer.run(batches, &write_options, None)?;
    if streamed.partitions.is_empty() {
        return update::update_dataset(factory, &streamed.empty_batches, options);
    }
    let committed = commit::commit(
        factory.store(),
        CommitRequest {
            target: CommitTarget::New {
                dataset,
                mode: CommitMode::Create,
            },
            partitions: &streamed.partitions,
            removed: Vec::new(),
            schema: streamed.schema,
            stored_schema: None,
            metadata: &options.metadata,
            metadata_merger: options.metadata_merger.as_ref(),
            force_explicit: false,
            delete_scope: &[],
            retry: plateau_io::retry::RetryPolicy::none(),
        },
    );
    match committed {
        Ok(committed) => {
            factory.set_metadata(committed.clone())?;
            Ok(committed)
        }
        Err(err) => {
            if matches!(err, Error::CommitConflict { .. }) {
                factory.invalidate();
            }
            Err(err)
        }
    }
}

/// What a stream wrote.
struct Streamed {
    /// Every written partition, in input order.
    partitions: Vec<MetaPartition>,
    /// The schemas of all batches (and the stored one) validated together.
    schema: Option<SchemaWrapper>,
    /// Empty batches with the schemas of the input batches, while no batch has produced a
    /// partition (then the eager function finishes the job with them).
    empty_batches: Vec<RecordBatch>,
}

/// The factory batches are written through.
enum WriterFactory<'a> {
    /// A dataset that is not committed yet: a private factory whose cached metadata
    /// describes the dataset to be (partition keys, table, the running schema), so that
    /// `write_single_partition` validates and writes into it without any metadata existing.
    New(Box<DatasetFactory>),
    /// The existing dataset being updated.
    Existing(&'a DatasetFactory),
}

/// Writes a stream of batches, one `write_single_partition` call per batch.
struct Writer<'a> {
    factory: WriterFactory<'a>,
}

impl<'a> Writer<'a> {
    /// A writer for the new dataset `dataset` in `store`.
    fn new_dataset(store: &Store, dataset: &NewDataset) -> Result<Writer<'a>> {
        let factory = DatasetFactory::new(store.clone(), dataset.uuid.clone());
        let metadata = DatasetMetadataBuilder::new(dataset.uuid.clone())
            .metadata_version(dataset.metadata_version)
            .table_name(dataset.table_name.clone())
            .partition_keys(dataset.partition_keys.clone())
            .format(dataset.format)
            .explicit_partitions(true)
            .build()?;
        factory.set_metadata(metadata)?;
        Ok(Writer {
            factory: WriterFactory::New(Box::new(factory)),
        })
    }

    fn factory(&self) -> &DatasetFactory {
        match &self.factory {
            WriterFactory::New(factory) => factory,
            WriterFactory::Existing(factory) => factory,
        }
    }

    /// For a new dataset, makes `schema` the reference the next batch is validated against
    /// (an update validates against the stored schema, which its factory holds).
    fn set_reference(&self, schema: &SchemaWrapper) -> Result<()> {
        if let WriterFactory::New(factory) = &self.factory {
            let mut metadata = (*factory.metadata()?).clone();
            metadata.schema = Some(schema.clone());
            factory.set_metadata(metadata)?;
        }
        Ok(())
    }

    /// Writes every batch of `batches`; on error deletes what earlier batches wrote (best
    /// effort) and returns the error.
    fn run<I>(
        &self,
        batches: I,
        options: &WriteOptions,
        stored: Option<SchemaWrapper>,
    ) -> Result<Streamed>
    where
        I: IntoIterator<Item = Result<RecordBatch>>,
    {
        let mut streamed = Streamed {
            partitions: Vec::new(),
            schema: stored,
            empty_batches: Vec::new(),
        };
        for (position, batch) in batches.into_iter().enumerate() {
            let step =
                batch.and_then(|batch| self.write_batch(&mut streamed, &batch, position, options));
            if let Err(err) = step {
                self.discard(&streamed.partitions);
                return Err(err);
            }
        }
        Ok(streamed)
    }

    /// Validates and writes one batch, adding its partitions and schema to `streamed`.
    fn write_batch(
        &self,
        streamed: &mut Streamed,
        batch: &RecordBatch,
        position: usize,
        options: &WriteOptions,
    ) -> Result<()> {
        let factory = self.factory();
        // The callers always resolve the partition keys.
        let partition_on = options.partition_on.as_deref().unwrap_or_default();
        partition::check_partition_columns(&batch.schema(), partition_on)?;
        let origin = format!("input batch {position}");
        let schema = make_meta(&batch.schema(), &origin, partition_on)?;
        if streamed.schema.is_none() {
            // The first batch of a new dataset is its own reference (an overwritten
            // dataset's `_common_metadata` must not be).
            self.set_reference(&schema)?;
        }
        let written = write::write_single_partition(factory, std::slice::from_ref(batch), options)?;
        streamed.partitions.extend(written);
        // All schemas together, as the eager write validates them (null columns of the
        // reference filled by later batches, for example).
        let mut schemas: Vec<SchemaWrapper> = streamed.schema.iter().cloned().collect();
        schemas.push(schema);
        let merged = validate_compatible(&schemas, factory.uuid())?;
        if let Some(merged) = merged {
            let origin: BTreeSet<String> =
                merged.origin().iter().take(MAX_ORIGINS).cloned().collect();
            let merged = merged.with_origin(origin);
            self.set_reference(&merged)?;
            streamed.schema = Some(merged);
        }
        if streamed.partitions.is_empty() {
            // A fresh empty batch: a 0-row slice would keep the input's buffers alive.
            streamed
                .empty_batches
                .push(RecordBatch::new_empty(batch.schema()));
        } else {
            // Only needed while no batch has produced a partition.
            streamed.empty_batches.clear();
        }
        Ok(())
    }

    /// Deletes the data files of `partitions` (nothing references them); failures are
    /// ignored, the files are then garbage for garbage collection.
    fn discard(&self, partitions: &[MetaPartition]) {
        let store = self.factory().store();
        for mp in partitions {
            let _ = store.delete(&mp.file);
        }
    }
}
