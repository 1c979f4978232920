//! [`DatasetWriter`]: one write transaction — validate, write data files, commit once.
//!
//! Every writing path of every front end is a [`DatasetWriter`]:
//!
//! | path | constructor |
//! |---|---|
//! | `store_dataframes_as_dataset` (eager, stream, parallel) | [`DatasetWriter::create`] |
//! | `create_empty_dataset_header` | [`DatasetWriter::create_header`] |
//! | `update_dataset_from_dataframes` (eager, stream, parallel) | [`DatasetWriter::update`] |
//! | `write_single_partition` | [`DatasetWriter::append`] |
//! | `commit_dataset` | [`DatasetWriter::commit_partitions`] |
//!
//! # Phases
//!
//! 1. **The constructor** validates everything that does not depend on the data, in plateau's
//!    order and with plateau's errors: uuid, metadata version, table name, index overlap,
//!    whether the dataset exists (or may be overwritten), and against an existing dataset its
//!    partition keys, table, secondary indices and delete-scope columns. Nothing is written.
//! 2. **[`DatasetWriter::plan`]** validates and splits input batches into a [`WritePlan`]
//!    (partition columns, null keys, sort and index columns) without I/O; it takes `&self`,
//!    so a front end plans batches on many threads at once.
//! 3. **[`DatasetWriter::accept`]** validates the plans' schemas against each other, the
//!    batches accepted before and the stored `_common_metadata`; the result is the schema the
//!    commit stores.
//! 4. **[`DatasetWriter::begin`]** makes the last reads before the first write: the delete
//!    scope's partitions (its values are checked against their columns' types) and every
//!    index the commit changes, so an unreadable index fails the update before any data file
//!    is written. The first write and the commit call it on their own; a stream calls it
//!    before pulling its first batch.
//! 5. **Writing**: [`DatasetWriter::write`] (or [`DatasetWriter::write_batches`], which plans,
//!    accepts and writes) uploads a plan's files, [`crate::plan::UPLOADS_IN_FLIGHT`] at a
//!    time; a caller uploading itself builds files with [`WritePlan::build`] and hands the
//!    partitions over with [`DatasetWriter::record_written`].
//! 6. **[`DatasetWriter::commit`]** is the single place that turns the written partitions into
//!    a [`CommitRequest`] and runs [`commit::commit`] (compare-and-swap, retries as
//!    [`RetryPolicy`] allows); an update refreshes its factory's cache, or drops it after a
//!    lost race so that calling again starts from the current state.
//!    [`DatasetWriter::abort`] instead removes the data files written so far.
//!
//! A transaction that fails before `commit` has changed no metadata, index file or
//! `_common_metadata`: its data files are garbage for garbage collection, unless `abort`
//! removed them.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;
use std::slice;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::Schema;
use plateau_core::naming;
use plateau_core::runtime::block_on_scoped;
use plateau_core::{Error, Result, Store};
use plateau_metadata::dataset::check_version;
use plateau_metadata::schema::{make_meta, validate_compatible, SchemaWrapper};
use plateau_metadata::{DatasetFactory, DatasetMetadata};
use plateau_serialization::{ParquetSerializer, Serializer};
use serde_json::{Map, Value as Json};

use crate::check::{
    check_committed_indices, check_committed_partitions, check_dataset_table,
    check_delete_scope_columns, check_index_overlap, check_partition_on, check_table_name,
    creation_mode_async, empty_input, existing_indices_superset, py_list, sorted_unique,
};
use crate::commit::{self, CommitMode, CommitRequest, CommitTarget, MetadataMerger, NewDataset};
use crate::metapartition::MetaPartition;
use crate::options::{CommitOptions, HeaderOptions, StoreOptions, UpdateOptions, WriteOptions};
use crate::partition;
use crate::plan::WritePlan;
use crate::retry::RetryPolicy;
use crate::scope::{matching_labels, scope_columns, DeleteScope};

/// Most origins the accepted schema keeps for error messages (plateau cuts them at 200
/// characters anyway); without a bound a long stream's origin set would grow with every
/// partition.
const MAX_ORIGINS: usize = 16;

/// What the transaction commits to.
#[derive(Debug)]
enum Target {
    /// A dataset that does not exist yet (or replaces one, as `mode` says).
    New {
        dataset: NewDataset,
        mode: CommitMode,
    },
    /// The metadata of an existing dataset as validated, with the indices loaded so far.
    Update(Arc<DatasetMetadata>),
    /// An existing dataset written by a worker whose partitions another process commits
    /// (plateau's `write_single_partition`); committing them here goes through
    /// [`DatasetWriter::commit_partitions`], whose checks such partitions need.
    Detached(Arc<DatasetMetadata>),
}

/// One write transaction on one dataset (see the module documentation): validated by its
/// constructor, fed with batches or written partitions, committed once.
pub struct DatasetWriter<'a> {
    store: Store,
    uuid: String,
    /// The factory of an update: its cache is refreshed (or dropped) by the commit.
    factory: Option<&'a DatasetFactory>,
    target: Target,
    table_name: String,
    partition_on: Vec<String>,
    /// The secondary indices built for every written partition.
    index_columns: Vec<String>,
    sort_partitions_by: Vec<String>,
    serializer: Arc<dyn Serializer>,
    metadata: Map<String, Json>,
    metadata_merger: Option<MetadataMerger>,
    delete_scope: Vec<DeleteScope>,
    retry: RetryPolicy,
    /// A new dataset needs at least one input batch (plateau's "Cannot store empty datasets").
    require_input: bool,
    /// Input batches whose schemas were accepted.
    accepted_batches: usize,
    /// `_common_metadata` as stored now, read on first use (`Some(None)`: no such file).
    stored: Option<Option<SchemaWrapper>>,
    /// The validated schema the commit stores (`None`: keep what is stored).
    schema: Option<SchemaWrapper>,
    /// The partitions to commit: given to [`DatasetWriter::commit_partitions`], then those
    /// written by this transaction.
    partitions: Cow<'a, [MetaPartition]>,
    /// How many of `partitions` were given rather than written here.
    given: usize,
    /// The labels the delete scope removes, once resolved.
    removed: Option<Vec<String>>,
    /// Whether every index of an update is loaded.
    indices_loaded: bool,
}

impl fmt::Debug for DatasetWriter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatasetWriter")
            .field("uuid", &self.uuid)
            .field("target", &self.target)
            .field("table_name", &self.table_name)
            .field("partition_on", &self.partition_on)
            .field("index_columns", &self.index_columns)
            .field("sort_partitions_by", &self.sort_partitions_by)
            .field("delete_scope", &self.delete_scope)
            .field("accepted_batches", &self.accepted_batches)
            .field("partitions", &self.partitions.len())
            .field("removed", &self.removed)
            .finish_non_exhaustive()
    }
}

impl<'a> DatasetWriter<'a> {
    /// A transaction with nothing to write yet and every option at its default; the
    /// constructors fill in what their options say.
    fn empty(
        store: &Store,
        uuid: &str,
        target: Target,
        table_name: String,
        partition_on: Vec<String>,
    ) -> Self {
        let stored = match &target {
            // A new dataset validates against its own batches only: an overwritten
            // dataset's `_common_metadata` must not be the reference.
            Target::New { .. } => Some(None),
            Target::Update(_) | Target::Detached(_) => None,
        };
        Self {
            store: store.clone(),
            uuid: uuid.to_owned(),
            factory: None,
            target,
            table_name,
            partition_on,
            index_columns: Vec::new(),
            sort_partitions_by: Vec::new(),
            serializer: Arc::new(ParquetSerializer::default()),
            metadata: Map::new(),
            metadata_merger: None,
            delete_scope: Vec::new(),
            retry: RetryPolicy::none(),
            require_input: false,
            accepted_batches: 0,
            stored,
            schema: None,
            partitions: Cow::Borrowed(&[]),
            given: 0,
            removed: None,
            indices_loaded: false,
        }
    }

    /// A transaction creating dataset `uuid` from batches (plateau's
    /// `store_dataframes_as_dataset`): committed put-if-absent, or with `overwrite`
    /// compare-and-swap against the metadata version seen now.
    ///
    /// # Errors
    /// In this order, nothing written: [`Error::InvalidUuid`]; [`Error::Unsupported`] for a
    /// metadata version other than 4; [`Error::InvalidInput`] for an invalid table name or a
    /// secondary index on a partition column; [`Error::DatasetExists`] unless `overwrite`.
    pub fn create(store: &Store, uuid: &str, options: &StoreOptions) -> Result<Self> {
        block_on_scoped(Self::create_async(store, uuid, options))
    }

    /// Async [`DatasetWriter::create`].
    ///
    /// # Errors
    /// As [`DatasetWriter::create`].
    pub async fn create_async(store: &Store, uuid: &str, options: &StoreOptions) -> Result<Self> {
        naming::validate_uuid(uuid)?;
        check_version(options.metadata_version)?;
        check_table_name(&options.table_name)?;
        check_index_overlap(&options.partition_on, &options.secondary_indices)?;
        let mode = creation_mode_async(store, uuid, options.overwrite).await?;
        let dataset = NewDataset {
            uuid: uuid.to_owned(),
            table_name: options.table_name.clone(),
            partition_keys: options.partition_on.clone(),
            metadata_version: options.metadata_version,
            format: options.metadata_format,
            explicit_partitions: true,
        };
        let mut writer = Self::empty(
            store,
            uuid,
            Target::New { dataset, mode },
            options.table_name.clone(),
            options.partition_on.clone(),
        );
        writer.index_columns = sorted_unique(&options.secondary_indices);
        writer.serializer = Arc::clone(&options.serializer);
        writer.metadata = options.metadata.clone();
        writer.require_input = true;
        Ok(writer)
    }

    /// A transaction writing the header of a new, empty dataset (plateau's
    /// `create_empty_dataset_header`): `_common_metadata` from `schema` (normalised by
    /// [`make_meta`] with `partition_on`) and a metadata file without partitions (an
    /// implicit dataset). Commit it as it is.
    ///
    /// # Errors
    /// In this order, nothing written: [`Error::InvalidUuid`]; [`Error::Unsupported`] for a
    /// metadata version other than 4; [`Error::InvalidInput`] for an invalid table name;
    /// [`Error::DatasetExists`] unless `overwrite`; [`Error::InvalidInput`] when a partition
    /// column is not in `schema` or no other column is left; the errors of [`make_meta`].
    pub fn create_header(
        store: &Store,
        uuid: &str,
        schema: &Schema,
        options: &HeaderOptions,
    ) -> Result<Self> {
        block_on_scoped(Self::create_header_async(store, uuid, schema, options))
    }

    /// Async [`DatasetWriter::create_header`].
    ///
    /// # Errors
    /// As [`DatasetWriter::create_header`].
    pub async fn create_header_async(
        store: &Store,
        uuid: &str,
        schema: &Schema,
        options: &HeaderOptions,
    ) -> Result<Self> {
        naming::validate_uuid(uuid)?;
        check_version(options.metadata_version)?;
        check_table_name(&options.table_name)?;
        let mode = creation_mode_async(store, uuid, options.overwrite).await?;
        partition::check_partition_columns(schema, &options.partition_on)?;
        let wrapper = make_meta(schema, &options.table_name, &options.partition_on)?;
        let dataset = NewDataset {
            uuid: uuid.to_owned(),
            table_name: options.table_name.clone(),
            partition_keys: options.partition_on.clone(),
            metadata_version: options.metadata_version,
            format: options.metadata_format,
            explicit_partitions: false,
        };
        let mut writer = Self::empty(
            store,
            uuid,
            Target::New { dataset, mode },
            options.table_name.clone(),
            options.partition_on.clone(),
        );
        writer.metadata = options.metadata.clone();
        writer.schema = Some(wrapper);
        Ok(writer)
    }

    /// A transaction updating the dataset of `factory` (plateau's
    /// `update_dataset_from_dataframes`): new partitions are appended, the partitions the
    /// delete scope matches removed, every secondary index maintained, and the commit is a
    /// compare-and-swap on the metadata version the factory read, retried as
    /// [`UpdateOptions::retry`] allows. A dataset that does not exist is created (with the
    /// update's default format and version; the delete scope is then ignored).
    ///
    /// # Errors
    /// In this order, nothing written: [`Error::InvalidUuid`]; [`Error::Unsupported`] for a
    /// metadata version other than 4; for a new dataset [`Error::InvalidInput`] for an
    /// invalid table name or a secondary index on a partition column; for an existing one
    /// [`Error::InvalidInput`] for other partition keys, another table, secondary indices
    /// that are not a subset of the dataset's and delete-scope columns without an index.
    /// Store errors reading the metadata.
    pub fn update(factory: &'a DatasetFactory, options: &UpdateOptions) -> Result<Self> {
        block_on_scoped(Self::update_async(factory, options))
    }

    /// Async [`DatasetWriter::update`].
    ///
    /// # Errors
    /// As [`DatasetWriter::update`].
    pub async fn update_async(
        factory: &'a DatasetFactory,
        options: &UpdateOptions,
    ) -> Result<Self> {
        let uuid = factory.uuid();
        naming::validate_uuid(uuid)?;
        check_version(options.default_metadata_version)?;
        // Loading answers whether the dataset exists without a HEAD before the GET. Every
        // index an update changes is read before its first write (`begin`): its file travels
        // with `_common_metadata`.
        let loaded = factory
            .metadata_prefetching_indices_async(|metadata| {
                metadata.indices.keys().cloned().collect()
            })
            .await;
        let existing = match loaded {
            Ok(_) => Some(metadata_with_schema_async(factory).await?),
            Err(Error::DatasetNotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        let Some(metadata) = existing else {
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
            let target = Target::New {
                dataset,
                mode: CommitMode::Create,
            };
            let mut writer = Self::empty(
                factory.store(),
                uuid,
                target,
                options.table_name.clone(),
                partition_on,
            );
            writer.factory = Some(factory);
            writer.index_columns = sorted_unique(&options.secondary_indices);
            writer.sort_partitions_by = options.sort_partitions_by.clone();
            writer.serializer = Arc::clone(&options.serializer);
            writer.metadata = options.metadata.clone();
            writer.metadata_merger = options.metadata_merger.clone();
            writer.require_input = true;
            return Ok(writer);
        };
        let partition_on = check_partition_on(&metadata, options.partition_on.as_deref())?;
        let table_name = check_dataset_table(&metadata, &options.table_name)?;
        let index_columns = existing_indices_superset(&metadata, &options.secondary_indices)?;
        check_delete_scope_columns(&metadata, &options.delete_scope)?;
        let mut writer = Self::empty(
            factory.store(),
            uuid,
            Target::Update(metadata),
            table_name,
            partition_on,
        );
        writer.factory = Some(factory);
        writer.index_columns = index_columns;
        writer.sort_partitions_by = options.sort_partitions_by.clone();
        writer.serializer = Arc::clone(&options.serializer);
        writer.metadata = options.metadata.clone();
        writer.metadata_merger = options.metadata_merger.clone();
        writer.delete_scope = options.delete_scope.clone();
        writer.retry = options.retry.clone();
        Ok(writer)
    }

    /// A transaction writing partitions into the existing dataset of `factory` for a commit
    /// elsewhere (plateau's `write_single_partition`): every secondary index the dataset has
    /// is built, plus `secondary_indices`. Hand the partitions over with
    /// [`DatasetWriter::into_partitions`]; [`DatasetWriter::commit`] commits them as
    /// [`DatasetWriter::commit_partitions`] would.
    ///
    /// # Errors
    /// In this order, nothing written: [`Error::InvalidUuid`]; [`Error::DatasetNotFound`];
    /// [`Error::InvalidInput`] for other partition keys than the dataset's, another table, or
    /// a secondary index on a partition column.
    pub fn append(factory: &'a DatasetFactory, options: &WriteOptions) -> Result<Self> {
        block_on_scoped(Self::append_async(factory, options))
    }

    /// Async [`DatasetWriter::append`].
    ///
    /// # Errors
    /// As [`DatasetWriter::append`].
    pub async fn append_async(factory: &'a DatasetFactory, options: &WriteOptions) -> Result<Self> {
        naming::validate_uuid(factory.uuid())?;
        let metadata = factory.metadata_async().await?;
        let partition_on = check_partition_on(&metadata, options.partition_on.as_deref())?;
        let table_name = check_dataset_table(&metadata, &options.table_name)?;
        check_index_overlap(&partition_on, &options.secondary_indices)?;
        let mut index_columns: Vec<String> = metadata.indices.keys().cloned().collect();
        for column in sorted_unique(&options.secondary_indices) {
            if !index_columns.contains(&column) {
                index_columns.push(column);
            }
        }
        let mut writer = Self::empty(
            factory.store(),
            factory.uuid(),
            Target::Detached(metadata),
            table_name,
            partition_on,
        );
        writer.factory = Some(factory);
        writer.index_columns = index_columns;
        writer.sort_partitions_by = options.sort_partitions_by.clone();
        writer.serializer = Arc::clone(&options.serializer);
        Ok(writer)
    }

    /// A transaction committing `partitions` written elsewhere (by
    /// [`DatasetWriter::append`]), a delete scope and/or metadata to the existing dataset of
    /// `factory` (plateau's `commit_dataset`). Everything is validated here; commit it as it
    /// is (more partitions may still be written into it).
    ///
    /// # Errors
    /// In this order, nothing written: [`Error::InvalidInput`] when nothing is given ("Need
    /// to provide either new data, new metadata or a delete scope. None of it was
    /// provided.") or partitions of more than one table; [`Error::InvalidUuid`];
    /// [`Error::DatasetNotFound`]; [`Error::InvalidInput`] for other partition keys than the
    /// dataset's, partitions of another table or partitioning, files outside the dataset,
    /// duplicate labels, delete-scope columns without an index or values of the wrong type,
    /// partitions lacking an index of the dataset, a new index column while the dataset
    /// keeps other partitions, and `secondary_indices` the result would not have;
    /// [`Error::SchemaIncompatible`] against the stored schema.
    pub fn commit_partitions(
        factory: &'a DatasetFactory,
        partitions: &'a [MetaPartition],
        options: &CommitOptions,
    ) -> Result<Self> {
        block_on_scoped(Self::commit_partitions_async(factory, partitions, options))
    }

    /// Async [`DatasetWriter::commit_partitions`].
    ///
    /// # Errors
    /// As [`DatasetWriter::commit_partitions`].
    pub async fn commit_partitions_async(
        factory: &'a DatasetFactory,
        partitions: &'a [MetaPartition],
        options: &CommitOptions,
    ) -> Result<Self> {
        if partitions.is_empty() && options.metadata.is_empty() && options.delete_scope.is_empty() {
            return Err(Error::invalid_input(
                "Need to provide either new data, new metadata or a delete scope. None of it was provided.",
            ));
        }
        let tables: BTreeSet<&str> = partitions.iter().map(|mp| mp.table_name.as_str()).collect();
        if tables.len() > 1 {
            let tables: Vec<&str> = tables.into_iter().collect();
            return Err(Error::invalid_input(format!(
                "Cannot commit more than one table to a dataset but got tables {}",
                py_list(&tables)
            )));
        }
        let uuid = factory.uuid();
        naming::validate_uuid(uuid)?;
        let metadata = metadata_with_schema_async(factory).await?;
        let partition_on = check_partition_on(&metadata, options.partition_on.as_deref())?;
        check_committed_partitions(&metadata, &partition_on, partitions)?;
        check_delete_scope_columns(&metadata, &options.delete_scope)?;
        let mut writer = Self::empty(
            factory.store(),
            uuid,
            Target::Update(Arc::clone(&metadata)),
            metadata.table_name.clone(),
            partition_on,
        );
        writer.factory = Some(factory);
        writer.index_columns = metadata.indices.keys().cloned().collect();
        writer.metadata = options.metadata.clone();
        writer.metadata_merger = options.metadata_merger.clone();
        writer.delete_scope = options.delete_scope.clone();
        writer.retry = options.retry.clone();
        let removed = writer.resolve_delete_scope().await?;
        check_committed_indices(&metadata, partitions, removed, &options.secondary_indices)?;
        let stored = writer.stored_schema().await?;
        if !partitions.is_empty() {
            let mut schemas: Vec<SchemaWrapper> = stored.into_iter().collect();
            schemas.extend(partitions.iter().map(|mp| mp.schema.clone()));
            writer.schema = validate_compatible(&schemas, uuid)?;
        }
        writer.partitions = Cow::Borrowed(partitions);
        writer.given = partitions.len();
        Ok(writer)
    }

    /// Removes exactly the partitions `labels` in the commit (what a compaction replaces),
    /// instead of a delete scope. Retries go on only while every one of them is still a
    /// partition of the dataset with the same file (see [`crate::commit`]).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] unless this is an update of an existing dataset without a
    /// delete scope, or for a label given twice; [`Error::CommitConflict`] for a label that
    /// is not a partition of the dataset as this transaction read it (the caller planned on
    /// metadata that has changed since).
    pub fn remove_partitions(&mut self, labels: Vec<String>) -> Result<()> {
        let Target::Update(base) = &self.target else {
            return Err(Error::invalid_input(
                "only an update of an existing dataset can remove partitions",
            ));
        };
        if !self.delete_scope.is_empty() {
            return Err(Error::invalid_input(
                "partitions are removed either by a delete scope or by label, not both",
            ));
        }
        let mut seen = BTreeSet::new();
        for label in &labels {
            if !seen.insert(label.as_str()) {
                return Err(Error::invalid_input(format!(
                    "partition `{label}` is to be removed twice"
                )));
            }
            if !base.partitions.contains_key(label) {
                return Err(Error::CommitConflict {
                    key: base.metadata_key(),
                    message: format!(
                        "partition `{label}` is no longer in dataset `{}`",
                        self.uuid
                    ),
                });
            }
        }
        self.removed = Some(labels);
        Ok(())
    }

    /// Replaces the columns every batch is sorted by before it is split (a front end's own
    /// option, e.g. the parallel writers' `WriteLayout`).
    pub fn sort_partitions_by(mut self, columns: Vec<String>) -> Self {
        self.sort_partitions_by = columns;
        self
    }

    /// The store written to.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// How data files are written.
    pub fn serializer(&self) -> &dyn Serializer {
        self.serializer.as_ref()
    }

    /// The partitions the commit adds so far, in input order.
    pub fn partitions(&self) -> &[MetaPartition] {
        &self.partitions
    }

    /// Fails with plateau's "Cannot store empty datasets" error when the transaction creates
    /// a dataset and `batches` is 0. The commit fails the same way when no batch was
    /// accepted; a caller that knows its input size calls this first, so the error comes
    /// before any check of the input.
    ///
    /// # Errors
    /// [`Error::InvalidInput`].
    pub fn check_input_count(&self, batches: usize) -> Result<()> {
        if self.require_input && batches == 0 {
            return Err(empty_input());
        }
        Ok(())
    }

    /// Validates and splits `batches` into the files to write, each batch one input frame
    /// (one base label): partition columns, null keys, sort columns, index columns and their
    /// types. No I/O; `&self`, so batches may be planned on many threads at once. The schemas
    /// are checked by [`DatasetWriter::accept`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] and [`Error::Unsupported`] for the batch errors of
    /// [`crate::write::store_dataset`].
    pub fn plan(&self, batches: &[RecordBatch]) -> Result<WritePlan> {
        WritePlan::prepare(
            &self.uuid,
            &self.table_name,
            batches,
            &self.partition_on,
            &self.index_columns,
            &self.sort_partitions_by,
        )
    }

    /// Validates the schemas of `plans`' batches against each other, against the batches
    /// accepted before and against the stored `_common_metadata` (which comes first and so
    /// stays the reference unless it has null columns the batches fill); the result is the
    /// schema the commit stores. Plans without batches change nothing.
    ///
    /// # Errors
    /// [`Error::SchemaIncompatible`]; store errors reading `_common_metadata`.
    pub fn accept(&mut self, plans: &[WritePlan]) -> Result<()> {
        block_on_scoped(self.accept_async(plans))
    }

    /// Async [`DatasetWriter::accept`].
    ///
    /// # Errors
    /// As [`DatasetWriter::accept`].
    pub async fn accept_async(&mut self, plans: &[WritePlan]) -> Result<()> {
        let batches: usize = plans.iter().map(WritePlan::num_batches).sum();
        if batches == 0 {
            return Ok(());
        }
        let reference = match &self.schema {
            Some(schema) => Some(schema.clone()),
            None => self.stored_schema().await?,
        };
        let mut schemas: Vec<SchemaWrapper> = reference.into_iter().collect();
        schemas.extend(plans.iter().flat_map(WritePlan::schemas).cloned());
        let merged = validate_compatible(&schemas, &self.uuid)?;
        self.schema = merged.map(|merged| {
            let origin: BTreeSet<String> =
                merged.origin().iter().take(MAX_ORIGINS).cloned().collect();
            merged.with_origin(origin)
        });
        self.accepted_batches += batches;
        Ok(())
    }

    /// Makes the reads an update needs before its first write: the partitions the delete
    /// scope matches and every index the commit changes. Idempotent; the first write and the
    /// commit call it when needed, a caller that wants these errors before it reads any input
    /// calls it first. Nothing to do for a new dataset.
    ///
    /// # Errors
    /// Index loading errors; delete-scope values that cannot be read as their column's type.
    pub fn begin(&mut self) -> Result<()> {
        block_on_scoped(self.begin_async())
    }

    /// Async [`DatasetWriter::begin`].
    ///
    /// # Errors
    /// As [`DatasetWriter::begin`].
    pub async fn begin_async(&mut self) -> Result<()> {
        self.resolve_delete_scope().await?;
        self.load_indices(true).await
    }

    /// Accepts `plan` (see [`DatasetWriter::accept`]), makes the reads of
    /// [`DatasetWriter::begin`], then writes its data files — serialized on the calling
    /// thread, uploaded [`crate::plan::UPLOADS_IN_FLIGHT`] at a time — and adds their
    /// partitions to the commit.
    ///
    /// # Errors
    /// Those of [`DatasetWriter::accept`] and [`DatasetWriter::begin`]; serialization and
    /// store errors (files uploaded before the error stay as garbage).
    pub fn write(&mut self, plan: &WritePlan) -> Result<()> {
        block_on_scoped(self.write_async(plan))
    }

    /// Async [`DatasetWriter::write`]: files are serialized by the polling thread and
    /// uploaded as tasks of the current runtime.
    ///
    /// # Errors
    /// As [`DatasetWriter::write`].
    pub async fn write_async(&mut self, plan: &WritePlan) -> Result<()> {
        self.accept_async(slice::from_ref(plan)).await?;
        self.resolve_delete_scope().await?;
        self.load_indices(plan.has_partitions()).await?;
        let written = plan.execute(&self.store, self.serializer.as_ref()).await?;
        self.partitions.to_mut().extend(written);
        Ok(())
    }

    /// [`DatasetWriter::plan`] and [`DatasetWriter::write`] of `batches`: nothing is written
    /// unless every batch is valid.
    ///
    /// # Errors
    /// Those of both.
    pub fn write_batches(&mut self, batches: &[RecordBatch]) -> Result<()> {
        let plan = self.plan(batches)?;
        self.write(&plan)
    }

    /// Async [`DatasetWriter::write_batches`].
    ///
    /// # Errors
    /// As [`DatasetWriter::write_batches`].
    pub async fn write_batches_async(&mut self, batches: &[RecordBatch]) -> Result<()> {
        let plan = self.plan(batches)?;
        self.write_async(&plan).await
    }

    /// Adds partitions the caller wrote itself ([`WritePlan::build`], then an upload) to the
    /// commit, in input order. Their plans must come from [`DatasetWriter::plan`] with input
    /// passed to [`DatasetWriter::accept`] (a regrouping of accepted rows, such as a shuffle,
    /// is fine), and [`DatasetWriter::begin`] must have run before the first upload.
    pub fn record_written(&mut self, partitions: impl IntoIterator<Item = MetaPartition>) {
        self.partitions.to_mut().extend(partitions);
    }

    /// The partitions written, for a commit elsewhere (plateau's `write_single_partition`
    /// result); nothing is committed.
    pub fn into_partitions(self) -> Vec<MetaPartition> {
        self.partitions.into_owned()
    }

    /// Gives up: deletes the data files this transaction wrote (nothing references them).
    /// Best effort: a file that cannot be deleted is garbage for garbage collection.
    pub fn abort(self) {
        // Ignored on purpose: the failure that made the caller abort is the one to report.
        let _ = block_on_scoped(async move {
            self.abort_async().await;
            Ok(())
        });
    }

    /// Async [`DatasetWriter::abort`]: the files are deleted concurrently.
    pub async fn abort_async(self) {
        let deletes = self
            .partitions
            .iter()
            .skip(self.given)
            .map(|mp| self.store.delete_async(&mp.file));
        // Ignored on purpose: the failure that made the caller abort is the one to report.
        let _ = futures::future::join_all(deletes).await;
    }

    /// Commits: builds the new metadata from the written partitions, the delete scope and
    /// the user metadata, merges the indices and writes index files, `_common_metadata` and
    /// the metadata file last, with compare-and-swap ([`commit::commit`]). An update refreshes
    /// its factory's cache with the result; after a lost race it drops the stale cache.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a new dataset without any input batch ("Cannot store empty
    /// datasets, ..."); those of [`DatasetWriter::begin`] if it did not run yet; for an
    /// [`DatasetWriter::append`] transaction those of [`DatasetWriter::commit_partitions`];
    /// index merge errors, store errors and [`Error::CommitConflict`] (nothing committed).
    pub fn commit(self) -> Result<DatasetMetadata> {
        block_on_scoped(self.commit_async())
    }

    /// Async [`DatasetWriter::commit`].
    ///
    /// # Errors
    /// As [`DatasetWriter::commit`].
    pub async fn commit_async(mut self) -> Result<DatasetMetadata> {
        if let (Target::Detached(_), Some(factory)) = (&self.target, self.factory) {
            let committing = DatasetWriter::commit_partitions_async(
                factory,
                &self.partitions,
                &CommitOptions::default(),
            )
            .await?;
            return Box::pin(committing.commit_async()).await;
        }
        if self.require_input && self.accepted_batches == 0 {
            return Err(empty_input());
        }
        self.resolve_delete_scope().await?;
        self.load_indices(!self.partitions.is_empty()).await?;
        let (target, stored_schema, force_explicit) = match &self.target {
            Target::New { dataset, mode } => (
                CommitTarget::New {
                    dataset: dataset.clone(),
                    mode: mode.clone(),
                },
                None,
                false,
            ),
            Target::Update(base) | Target::Detached(base) => (
                CommitTarget::Update(Box::new((**base).clone())),
                self.stored_schema().await?,
                // A removal makes an implicit dataset explicit, so that it is recorded.
                !self.delete_scope.is_empty()
                    || self.removed.as_ref().is_some_and(|r| !r.is_empty()),
            ),
        };
        let committed = commit::commit_async(
            &self.store,
            CommitRequest {
                target,
                partitions: &self.partitions,
                removed: self.removed.take().unwrap_or_default(),
                schema: self.schema.take(),
                stored_schema,
                metadata: &self.metadata,
                metadata_merger: self.metadata_merger.as_ref(),
                force_explicit,
                delete_scope: &self.delete_scope,
                retry: self.retry.clone(),
            },
        )
        .await;
        match self.factory {
            Some(factory) => finish(factory, committed),
            None => committed,
        }
    }

    /// `_common_metadata` as stored now (read once); `None` for a new dataset.
    async fn stored_schema(&mut self) -> Result<Option<SchemaWrapper>> {
        if let Some(stored) = &self.stored {
            return Ok(stored.clone());
        }
        let stored = match &self.target {
            Target::Update(base) | Target::Detached(base) => {
                commit::stored_schema_async(&self.store, base).await?
            }
            Target::New { .. } => None,
        };
        self.stored = Some(stored.clone());
        Ok(stored)
    }

    /// The labels the delete scope removes, computed once (loads the indices the scope uses).
    async fn resolve_delete_scope(&mut self) -> Result<&[String]> {
        if self.removed.is_none() {
            let removed = match (&mut self.target, self.factory) {
                (Target::Update(base), Some(factory)) if !self.delete_scope.is_empty() => {
                    let loaded = factory
                        .load_indices_async(&scope_columns(&self.delete_scope))
                        .await?;
                    let removed = matching_labels(&loaded, &self.delete_scope)?;
                    *base = loaded;
                    removed
                }
                _ => Vec::new(),
            };
            self.removed = Some(removed);
        }
        Ok(self.removed.as_deref().unwrap_or_default())
    }

    /// Loads every index of an update when the commit will change indices: when partitions
    /// are written (`writes`) or removed. An unreadable index file then fails the update
    /// before any data file is written.
    async fn load_indices(&mut self, writes: bool) -> Result<()> {
        let removes = self.removed.as_ref().is_some_and(|r| !r.is_empty());
        if self.indices_loaded || !(writes || removes) {
            return Ok(());
        }
        if let (Target::Update(base), Some(factory)) = (&mut self.target, self.factory) {
            let columns: Vec<&str> = base.indices.keys().map(String::as_str).collect();
            *base = factory.load_indices_async(&columns).await?;
            self.indices_loaded = true;
        }
        Ok(())
    }
}

/// Caches a committed result in the factory; after a lost race, drops the stale cache so a
/// retry starts from the current state.
fn finish(factory: &DatasetFactory, committed: Result<DatasetMetadata>) -> Result<DatasetMetadata> {
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

/// The factory's metadata with its schema: a factory loading without schema gets the stored
/// `_common_metadata` filled in (typing partition values needs it).
///
/// # Errors
/// Metadata loading errors; [`Error::Corrupt`] for an unreadable `_common_metadata`.
pub fn metadata_with_schema(factory: &DatasetFactory) -> Result<Arc<DatasetMetadata>> {
    block_on_scoped(metadata_with_schema_async(factory))
}

/// Async [`metadata_with_schema`].
///
/// # Errors
/// As [`metadata_with_schema`].
pub async fn metadata_with_schema_async(factory: &DatasetFactory) -> Result<Arc<DatasetMetadata>> {
    let metadata = factory.metadata_async().await?;
    if metadata.schema.is_some() {
        return Ok(metadata);
    }
    match commit::stored_schema_async(factory.store(), &metadata).await? {
        Some(schema) => {
            let mut filled = (*metadata).clone();
            filled.schema = Some(schema);
            factory.set_metadata(filled)?;
            factory.metadata()
        }
        None => Ok(metadata),
    }
}

/// The labels of the partitions the delete scopes match, in metadata order (loads the
/// indices the scopes use into the factory).
///
/// # Errors
/// Index loading errors and values that cannot be read as their column's type.
pub fn matching_partitions(
    factory: &DatasetFactory,
    scopes: &[DeleteScope],
) -> Result<Vec<String>> {
    if scopes.is_empty() {
        return Ok(Vec::new());
    }
    let metadata = factory.load_indices(&scope_columns(scopes))?;
    matching_labels(&metadata, scopes)
}
