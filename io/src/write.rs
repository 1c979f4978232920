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
//! * `write_single_partition` requires an existing dataset ([`Error::DatasetNotFound`];
//!   plateau fails with an `AttributeError`), builds every secondary index the dataset already
//!   has in addition to the requested ones (so the commit keeps the indices complete), and on
//!   an existing dataset infers the table name (an explicit different one is an error).

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Schema};
use bytes::Bytes;
use plateau_core::naming::{self, MetadataFormat, DEFAULT_TABLE};
use plateau_core::store::ObjectVersion;
use plateau_core::upload::Uploader;
use plateau_core::{Error, Result, Store};
use plateau_index::{normalize_index_type, Index, IndexKind};
use plateau_metadata::dataset::check_version;
use plateau_metadata::schema::{make_meta, validate_compatible, SchemaWrapper};
use plateau_metadata::{DatasetFactory, DatasetMetadata};
use plateau_serialization::{ParquetSerializer, Serializer};
use serde_json::{Map, Value as Json};

use crate::commit::{self, CommitMode, CommitRequest, CommitTarget, NewDataset};
use crate::metapartition::MetaPartition;
use crate::partition::{self, Group};

/// How many data files a write uploads at once. On an object store with tens of
/// milliseconds per request this turns `files × latency` into `files × latency ÷ 16`; memory
/// holds up to this many serialized files.
pub const UPLOADS_IN_FLIGHT: usize = 16;

/// Options of [`store_dataset`] (plateau's `store_dataframes_as_dataset` arguments).
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// Columns to partition by, outermost first. Default: none.
    pub partition_on: Vec<String>,
    /// Columns to build secondary indices for. Default: none.
    pub secondary_indices: Vec<String>,
    /// User metadata stored in the metadata file (after `creation_time`). Default: empty.
    pub metadata: Map<String, Json>,
    /// Encoding of the metadata file. Default: [`MetadataFormat::Json`].
    pub metadata_format: MetadataFormat,
    /// Replace an existing dataset of the same uuid instead of failing with
    /// [`Error::DatasetExists`]. Old data files are not deleted (garbage collection does
    /// that). Default: `false`.
    pub overwrite: bool,
    /// The table name (directory under `<uuid>/`). Default: `"table"`.
    pub table_name: String,
    /// How data files are written. Default: [`ParquetSerializer::default`].
    pub serializer: Arc<dyn Serializer>,
    /// The metadata version; only 4 is supported. Default: 4.
    pub metadata_version: u64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            partition_on: Vec::new(),
            secondary_indices: Vec::new(),
            metadata: Map::new(),
            metadata_format: MetadataFormat::Json,
            overwrite: false,
            table_name: DEFAULT_TABLE.to_owned(),
            serializer: Arc::new(ParquetSerializer::default()),
            metadata_version: 4,
        }
    }
}

/// Collects names into owned strings.
pub(crate) fn names<I, S>(columns: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    columns.into_iter().map(Into::into).collect()
}

impl StoreOptions {
    /// Sets [`StoreOptions::partition_on`].
    pub fn partition_on<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.partition_on = names(columns);
        self
    }

    /// Sets [`StoreOptions::secondary_indices`].
    pub fn secondary_indices<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.secondary_indices = names(columns);
        self
    }

    /// Sets [`StoreOptions::metadata`].
    pub fn metadata(mut self, metadata: Map<String, Json>) -> Self {
        self.metadata = metadata;
        self
    }

    /// Sets [`StoreOptions::metadata_format`].
    pub fn metadata_format(mut self, format: MetadataFormat) -> Self {
        self.metadata_format = format;
        self
    }

    /// Sets [`StoreOptions::overwrite`].
    pub fn overwrite(mut self, overwrite: bool) -> Self {
        self.overwrite = overwrite;
        self
    }

    /// Sets [`StoreOptions::table_name`].
    pub fn table_name(mut self, table_name: impl Into<String>) -> Self {
        self.table_name = table_name.into();
        self
    }

    /// Sets [`StoreOptions::serializer`].
    pub fn serializer(mut self, serializer: impl Serializer + 'static) -> Self {
        self.serializer = Arc::new(serializer);
        self
    }

    /// Sets [`StoreOptions::metadata_version`].
    pub fn metadata_version(mut self, version: u64) -> Self {
        self.metadata_version = version;
        self
    }
}

/// Options of [`write_single_partition`].
#[derive(Clone, Debug)]
pub struct WriteOptions {
    /// Columns to partition by; must equal the dataset's partition keys. `None` (the
    /// default): the dataset's.
    pub partition_on: Option<Vec<String>>,
    /// Secondary indices to build in addition to those the dataset already has (which are
    /// always built). Default: none.
    pub secondary_indices: Vec<String>,
    /// Sort every batch by these columns before splitting it. Default: none.
    pub sort_partitions_by: Vec<String>,
    /// The table name; must be the dataset's, and `"table"` (the default) means "the
    /// dataset's".
    pub table_name: String,
    /// How data files are written. Default: [`ParquetSerializer::default`].
    pub serializer: Arc<dyn Serializer>,
}

impl Default for WriteOptions {
    fn default() -> Self {
        Self {
            partition_on: None,
            secondary_indices: Vec::new(),
            sort_partitions_by: Vec::new(),
            table_name: DEFAULT_TABLE.to_owned(),
            serializer: Arc::new(ParquetSerializer::default()),
        }
    }
}

impl WriteOptions {
    /// Sets [`WriteOptions::partition_on`].
    pub fn partition_on<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.partition_on = Some(names(columns));
        self
    }

    /// Sets [`WriteOptions::secondary_indices`].
    pub fn secondary_indices<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.secondary_indices = names(columns);
        self
    }

    /// Sets [`WriteOptions::sort_partitions_by`].
    pub fn sort_partitions_by<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.sort_partitions_by = names(columns);
        self
    }

    /// Sets [`WriteOptions::table_name`].
    pub fn table_name(mut self, table_name: impl Into<String>) -> Self {
        self.table_name = table_name.into();
        self
    }

    /// Sets [`WriteOptions::serializer`].
    pub fn serializer(mut self, serializer: impl Serializer + 'static) -> Self {
        self.serializer = Arc::new(serializer);
        self
    }
}

/// Options of [`create_empty_dataset_header`].
#[derive(Clone, Debug)]
pub struct HeaderOptions {
    /// The partition keys of the dataset, outermost first. Default: none.
    pub partition_on: Vec<String>,
    /// User metadata (after `creation_time`). Default: empty.
    pub metadata: Map<String, Json>,
    /// Encoding of the metadata file. Default: [`MetadataFormat::Json`].
    pub metadata_format: MetadataFormat,
    /// Replace an existing dataset instead of failing with [`Error::DatasetExists`].
    /// Default: `false`.
    pub overwrite: bool,
    /// The table name. Default: `"table"`.
    pub table_name: String,
    /// The metadata version; only 4 is supported. Default: 4.
    pub metadata_version: u64,
}

impl Default for HeaderOptions {
    fn default() -> Self {
        Self {
            partition_on: Vec::new(),
            metadata: Map::new(),
            metadata_format: MetadataFormat::Json,
            overwrite: false,
            table_name: DEFAULT_TABLE.to_owned(),
            metadata_version: 4,
        }
    }
}

impl HeaderOptions {
    /// Sets [`HeaderOptions::partition_on`].
    pub fn partition_on<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.partition_on = names(columns);
        self
    }

    /// Sets [`HeaderOptions::metadata`].
    pub fn metadata(mut self, metadata: Map<String, Json>) -> Self {
        self.metadata = metadata;
        self
    }

    /// Sets [`HeaderOptions::metadata_format`].
    pub fn metadata_format(mut self, format: MetadataFormat) -> Self {
        self.metadata_format = format;
        self
    }

    /// Sets [`HeaderOptions::overwrite`].
    pub fn overwrite(mut self, overwrite: bool) -> Self {
        self.overwrite = overwrite;
        self
    }

    /// Sets [`HeaderOptions::table_name`].
    pub fn table_name(mut self, table_name: impl Into<String>) -> Self {
        self.table_name = table_name.into();
        self
    }

    /// Sets [`HeaderOptions::metadata_version`].
    pub fn metadata_version(mut self, version: u64) -> Self {
        self.metadata_version = version;
        self
    }
}

/// Writes a new dataset from `batches` (plateau's `store_dataframes_as_dataset`) and returns
/// its committed metadata.
///
/// Each batch is one input frame: one base label, split by `partition_on`. The metadata file
/// is written last with put-if-absent (or, with `overwrite`, compare-and-swap against the
/// version seen during validation).
///
/// # Errors
/// All before anything is written:
/// * [`Error::InvalidUuid`]; [`Error::Unsupported`] for a metadata version other than 4;
/// * [`Error::DatasetExists`] unless `overwrite`;
/// * [`Error::InvalidInput`]: an empty `batches` ("Cannot store empty datasets, partition_list
///   must not be empty if in store mode."), a secondary index on a partition column ("Cannot
///   create secondary index on partition columns: {'x'}"), a missing partition column, no
///   data column left, null partition values, a missing index column ("Column `z` could not
///   be found in the partition `<label>` ...");
/// * [`Error::Unsupported`] for an index column of the null type ("Indices w/ null/NA type
///   are not supported") or another unindexable type;
/// * [`Error::SchemaIncompatible`] when the batches' schemas differ.
///
/// Later: store errors, and [`Error::CommitConflict`] when another writer created the
/// dataset meanwhile (nothing is committed; the written files are garbage).
pub fn store_dataset(
    store: &Store,
    uuid: &str,
    batches: &[RecordBatch],
    options: &StoreOptions,
) -> Result<DatasetMetadata> {
    naming::validate_uuid(uuid)?;
    check_version(options.metadata_version)?;
    check_table_name(&options.table_name)?;
    check_index_overlap(&options.partition_on, &options.secondary_indices)?;
    let mode = creation_mode(store, uuid, options.overwrite)?;
    if batches.is_empty() {
        return Err(Error::invalid_input(
            "Cannot store empty datasets, partition_list must not be empty if in store mode.",
        ));
    }
    let index_columns = sorted_unique(&options.secondary_indices);
    let plan = WritePlan::prepare(
        uuid,
        &options.table_name,
        batches,
        &options.partition_on,
        &index_columns,
        &[],
    )?;
    let schema = plan.validate_schemas(None)?;

    let partitions = plan.execute(store, options.serializer.as_ref())?;
    commit::commit(
        store,
        CommitRequest {
            target: CommitTarget::New {
                dataset: NewDataset {
                    uuid: uuid.to_owned(),
                    table_name: options.table_name.clone(),
                    partition_keys: options.partition_on.clone(),
                    metadata_version: options.metadata_version,
                    format: options.metadata_format,
                    explicit_partitions: true,
                },
                mode,
            },
            partitions: &partitions,
            removed: Vec::new(),
            schema,
            stored_schema: None,
            metadata: &options.metadata,
            metadata_merger: None,
            force_explicit: false,
            delete_scope: &[],
            retry: crate::retry::RetryPolicy::none(),
        },
    )
}

/// Writes the header of a new, empty dataset (plateau's `create_empty_dataset_header`):
/// `_common_metadata` from `schema` (normalised by
/// [`make_meta`] with `partition_on`), then a metadata
/// file without a `partitions` entry (an implicit dataset: partitions written later by
/// [`write_single_partition`] are visible by listing until [`crate::update::commit_dataset`]
/// makes the dataset explicit).
///
/// # Errors
/// Before anything is written: [`Error::InvalidUuid`], [`Error::Unsupported`] for a metadata
/// version other than 4, [`Error::DatasetExists`] unless `overwrite`,
/// [`Error::InvalidInput`] when a partition column is not in `schema` or no other column is
/// left, and the errors of [`make_meta`]. Then store
/// errors and [`Error::CommitConflict`].
pub fn create_empty_dataset_header(
    store: &Store,
    uuid: &str,
    schema: &Schema,
    options: &HeaderOptions,
) -> Result<DatasetMetadata> {
    naming::validate_uuid(uuid)?;
    check_version(options.metadata_version)?;
    check_table_name(&options.table_name)?;
    let mode = creation_mode(store, uuid, options.overwrite)?;
    partition::check_partition_columns(schema, &options.partition_on)?;
    let wrapper = make_meta(schema, &options.table_name, &options.partition_on)?;
    commit::commit(
        store,
        CommitRequest {
            target: CommitTarget::New {
                dataset: NewDataset {
                    uuid: uuid.to_owned(),
                    table_name: options.table_name.clone(),
                    partition_keys: options.partition_on.clone(),
                    metadata_version: options.metadata_version,
                    format: options.metadata_format,
                    explicit_partitions: false,
                },
                mode,
            },
            partitions: &[],
            removed: Vec::new(),
            schema: Some(wrapper),
            stored_schema: None,
            metadata: &options.metadata,
            metadata_merger: None,
            force_explicit: false,
            delete_scope: &[],
            retry: crate::retry::RetryPolicy::none(),
        },
    )
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
/// Before anything is written: [`Error::DatasetNotFound`]; [`Error::InvalidInput`] for
/// `partition_on` different from the dataset's keys ("Incompatible set of partition keys
/// encountered. ..."), a table name different from the dataset's, and the batch errors of
/// [`store_dataset`]; [`Error::SchemaIncompatible`]. Then store errors.
pub fn write_single_partition(
    factory: &DatasetFactory,
    batches: &[RecordBatch],
    options: &WriteOptions,
) -> Result<Vec<MetaPartition>> {
    plan_single_partition(factory, batches, options)?
        .execute(factory.store(), options.serializer.as_ref())
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
    naming::validate_uuid(factory.uuid())?;
    let metadata = factory.metadata()?;
    let partition_on = check_partition_on(&metadata, options.partition_on.as_deref())?;
    let table_name = check_dataset_table(&metadata, &options.table_name)?;
    check_index_overlap(&partition_on, &options.secondary_indices)?;
    let mut index_columns: Vec<String> = metadata.indices.keys().cloned().collect();
    for column in sorted_unique(&options.secondary_indices) {
        if !index_columns.contains(&column) {
            index_columns.push(column);
        }
    }
    let plan = WritePlan::prepare(
        factory.uuid(),
        &table_name,
        batches,
        &partition_on,
        &index_columns,
        &options.sort_partitions_by,
    )?;
    if !batches.is_empty() {
        let stored = commit::stored_schema(factory.store(), &metadata)?;
        plan.validate_schemas(stored)?;
    }
    Ok(plan)
}

/// How a new dataset's metadata file is committed: put-if-absent, or with `overwrite`
/// compare-and-swap against what exists now. Fails with [`Error::DatasetExists`] when the
/// dataset exists and `overwrite` is not set.
pub fn creation_mode(store: &Store, uuid: &str, overwrite: bool) -> Result<CommitMode> {
    let mut found: Vec<(MetadataFormat, ObjectVersion)> = Vec::new();
    for format in MetadataFormat::READ_ORDER {
        match store.head(&naming::metadata_key(uuid, format)) {
            Ok(object) => found.push((format, object.version)),
            Err(Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    if found.is_empty() {
        return Ok(CommitMode::Create);
    }
    if !overwrite {
        return Err(Error::DatasetExists {
            uuid: uuid.to_owned(),
        });
    }
    Ok(CommitMode::Overwrite { existing: found })
}

/// plateau's `raise_if_indices_overlap`, and [`naming::check_index_column`] for every
/// secondary index column.
pub fn check_index_overlap(partition_on: &[String], secondary: &[String]) -> Result<()> {
    for column in secondary {
        naming::check_index_column(column)?;
    }
    let overlap: BTreeSet<&str> = secondary
        .iter()
        .filter(|c| partition_on.contains(c))
        .map(String::as_str)
        .collect();
    if overlap.is_empty() {
        return Ok(());
    }
    let set = overlap
        .iter()
        .map(|c| format!("'{c}'"))
        .collect::<Vec<_>>()
        .join(", ");
    Err(Error::invalid_input(format!(
        "Cannot create secondary index on partition columns: {{{set}}}"
    )))
}

/// A table name must be one key component.
pub fn check_table_name(table: &str) -> Result<()> {
    if table.is_empty() || table.contains('/') {
        return Err(Error::invalid_input(format!(
            "invalid table name `{table}`: it must be a non-empty name without `/`"
        )));
    }
    Ok(())
}

/// The partition keys to write an existing dataset with: `requested` must equal the
/// dataset's keys (order included) or be `None` (inferred), as plateau's
/// `validate_partition_keys`.
pub fn check_partition_on(
    metadata: &DatasetMetadata,
    requested: Option<&[String]>,
) -> Result<Vec<String>> {
    match requested {
        Some(requested) if requested != metadata.partition_keys.as_slice() => {
            Err(Error::invalid_input(format!(
                "Incompatible set of partition keys encountered. Input partitioning was `{}` while actual dataset was `{}`",
                py_list(requested),
                py_list(&metadata.partition_keys)
            )))
        }
        _ => Ok(metadata.partition_keys.clone()),
    }
}

/// The table to write into an existing dataset: the dataset's. `"table"` (the default of
/// every option struct) means "the dataset's"; another name must match it.
pub fn check_dataset_table(metadata: &DatasetMetadata, requested: &str) -> Result<String> {
    if requested != DEFAULT_TABLE && requested != metadata.table_name {
        return Err(Error::invalid_input(format!(
            "Trying to write a partition with table name {requested} but dataset {} has already table {}.",
            metadata.uuid, metadata.table_name
        )));
    }
    Ok(metadata.table_name.clone())
}

/// A Python list repr of strings: `['a', 'b']`.
pub fn py_list<S: AsRef<str>>(items: &[S]) -> String {
    let inner = items
        .iter()
        .map(|s| format!("'{}'", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ");
    format!("[{inner}]")
}

/// Sorted, without duplicates.
pub fn sorted_unique(columns: &[String]) -> Vec<String> {
    columns
        .iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// One input batch, validated and split, ready to be written.
#[derive(Debug)]
pub(crate) struct PreparedBatch {
    /// The batch, sorted if requested.
    batch: RecordBatch,
    /// Its groups (one per partition to write).
    groups: Vec<Group>,
    /// Positions of the columns that go into the data files.
    data_columns: Vec<usize>,
    /// Its normalised schema, with the partition labels as origins.
    schema: SchemaWrapper,
}

/// One serialized data file of a [`WritePlan`], not written yet.
#[derive(Debug)]
pub struct BuiltFile {
    /// The data file's key.
    pub key: String,
    /// Its bytes.
    pub bytes: Bytes,
    /// The partition to commit once the file is written.
    pub partition: MetaPartition,
}

/// Everything a write needs, validated: the input batches split into the partitions to
/// write, and the index columns to build for each. Made by [`plan_single_partition`].
#[derive(Debug)]
pub struct WritePlan {
    uuid: String,
    table_name: String,
    partition_on: Vec<String>,
    index_columns: Vec<String>,
    batches: Vec<PreparedBatch>,
}

impl WritePlan {
    /// Validates and splits `batches` (nothing is written): sorting columns, partition
    /// columns, null keys, index columns and their types, and builds each batch's schema.
    pub(crate) fn prepare(
        uuid: &str,
        table_name: &str,
        batches: &[RecordBatch],
        partition_on: &[String],
        index_columns: &[String],
        sort_partitions_by: &[String],
    ) -> Result<WritePlan> {
        let mut prepared = Vec::with_capacity(batches.len());
        for batch in batches {
            partition::check_partition_columns(&batch.schema(), partition_on)?;
            let batch = partition::sort_batch(batch, sort_partitions_by)?;
            let base = naming::gen_uuid();
            let groups = partition::split(&batch, partition_on, &base)?;
            let schema_ref = batch.schema();
            let data_columns = partition::data_columns(&schema_ref, partition_on);
            if let Some(first) = groups.first() {
                for column in index_columns {
                    check_index_column(&batch, &data_columns, partition_on, column, &first.label)?;
                }
            }
            let origin: BTreeSet<String> = if groups.is_empty() {
                BTreeSet::from([format!("{table_name}/{base}")])
            } else {
                groups.iter().map(|g| g.label.clone()).collect()
            };
            let schema = make_meta(&schema_ref, &base, partition_on)?.with_origin(origin);
            prepared.push(PreparedBatch {
                batch,
                groups,
                data_columns,
                schema,
            });
        }
        Ok(WritePlan {
            uuid: uuid.to_owned(),
            table_name: table_name.to_owned(),
            partition_on: partition_on.to_vec(),
            index_columns: index_columns.to_vec(),
            batches: prepared,
        })
    }

    /// Whether writing produces at least one partition.
    pub(crate) fn has_partitions(&self) -> bool {
        self.batches.iter().any(|b| !b.groups.is_empty())
    }

    /// The schemas of all batches validated against each other and against `stored` (the
    /// dataset's `_common_metadata`, which comes first and so stays the reference unless it
    /// has null columns the batches fill): the schema to store, `None` without any input.
    pub(crate) fn validate_schemas(
        &self,
        stored: Option<SchemaWrapper>,
    ) -> Result<Option<SchemaWrapper>> {
        let mut schemas: Vec<SchemaWrapper> = stored.into_iter().collect();
        schemas.extend(self.batches.iter().map(|b| b.schema.clone()));
        validate_compatible(&schemas, &self.uuid)
    }

    /// The number of data files the plan writes (one per partition of every batch).
    pub fn len(&self) -> usize {
        self.batches.iter().map(|b| b.groups.len()).sum()
    }

    /// Whether the plan writes nothing.
    pub fn is_empty(&self) -> bool {
        !self.has_partitions()
    }

    /// Writes the `file`-th data file (`0..len()`, in input order: batch by batch, partitions
    /// in first-appearance order) and builds its indices. Files are independent of each
    /// other, so they may be written in any order or concurrently; the partitions go to the
    /// commit in input order.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for `file >= len()`; serialization and store errors.
    pub fn write(
        &self,
        store: &Store,
        serializer: &dyn Serializer,
        file: usize,
    ) -> Result<MetaPartition> {
        let built = self.build(serializer, file)?;
        store.put(&built.key, built.bytes)?;
        Ok(built.partition)
    }

    /// Serializes the `file`-th data file and builds its indices without writing anything:
    /// the caller uploads [`BuiltFile::bytes`] to [`BuiltFile::key`] (e.g. with an
    /// [`Uploader`]) before committing [`BuiltFile::partition`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for `file >= len()`; serialization errors.
    pub fn build(&self, serializer: &dyn Serializer, file: usize) -> Result<BuiltFile> {
        let mut rest = file;
        for prepared in &self.batches {
            match prepared.groups.get(rest) {
                Some(group) => return self.build_group(serializer, prepared, group),
                None => rest -= prepared.groups.len(),
            }
        }
        Err(Error::invalid_input(format!(
            "the write plan has {} files, there is no file {file}",
            self.len()
        )))
    }

    /// Writes every group's data file and builds its indices, in input order. Files are
    /// serialized on the calling thread while up to [`UPLOADS_IN_FLIGHT`] of them upload.
    pub(crate) fn execute(
        &self,
        store: &Store,
        serializer: &dyn Serializer,
    ) -> Result<Vec<MetaPartition>> {
        let mut written = Vec::with_capacity(self.len());
        let mut uploader = Uploader::new(store, UPLOADS_IN_FLIGHT);
        for prepared in &self.batches {
            for group in &prepared.groups {
                let built = self.build_group(serializer, prepared, group)?;
                uploader.push(built.key, built.bytes)?;
                written.push(built.partition);
            }
        }
        uploader.finish()?;
        Ok(written)
    }

    /// One group's data file (key and bytes, not written yet) and its partition with indices.
    fn build_group(
        &self,
        serializer: &dyn Serializer,
        prepared: &PreparedBatch,
        group: &Group,
    ) -> Result<BuiltFile> {
        let data = partition::take_group(&prepared.batch, &prepared.data_columns, group)?;
        let file = naming::data_file_key(
            &self.uuid,
            &self.table_name,
            &group.label,
            serializer.file_suffix(),
        );
        let bytes = serializer.serialize(&data)?;
        let mut indices = indexmap::IndexMap::new();
        for column in &self.index_columns {
            let index = match self.partition_on.iter().position(|c| c == column) {
                // Only datasets Python indexed on a partition column get here: the
                // group's partition value is its only value.
                Some(position) => {
                    let field = prepared.batch.schema().field_with_name(column)?.clone();
                    Index::from_entries(
                        column,
                        IndexKind::Secondary,
                        field.data_type(),
                        [(group.values[position].clone(), [group.label.as_str()])],
                    )?
                }
                None => {
                    let array = data
                        .column_by_name(column)
                        .ok_or_else(|| missing_index_column(column, &group.label))?;
                    Index::from_array(column, array.as_ref(), &group.label)?
                }
            };
            indices.insert(column.clone(), index);
        }
        let partition = MetaPartition {
            label: group.label.clone(),
            file: file.clone(),
            table_name: self.table_name.clone(),
            num_rows: group.rows.len() as u64,
            partition_keys: self.partition_on.clone(),
            schema: prepared
                .schema
                .with_origin(BTreeSet::from([group.label.clone()])),
            indices,
        };
        Ok(BuiltFile {
            key: file,
            bytes,
            partition,
        })
    }
}

/// Checks that an index can be built on `column` of `batch` (before anything is written).
pub fn check_index_column(
    batch: &RecordBatch,
    data_columns: &[usize],
    partition_on: &[String],
    column: &str,
    label: &str,
) -> Result<()> {
    let schema = batch.schema();
    let field = if partition_on.iter().any(|c| c == column) {
        schema.field_with_name(column).ok()
    } else {
        data_columns
            .iter()
            .map(|i| schema.field(*i))
            .find(|f| f.name() == column)
    };
    let Some(field) = field else {
        return Err(missing_index_column(column, label));
    };
    if field.data_type() == &DataType::Null {
        return Err(Error::unsupported(format!(
            "Indices w/ null/NA type are not supported (column `{column}` is entirely null in partition `{label}`)"
        )));
    }
    normalize_index_type(column, field.data_type())?;
    Ok(())
}

fn missing_index_column(column: &str, label: &str) -> Error {
    Error::invalid_input(format!(
        "Column `{column}` could not be found in the partition `{label}` Please check for any typos and validate your dataset."
    ))
}
