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
//! * A delete-scope column without an index is an error ([`Error::InvalidInput`], before
//!   anything is written); plateau ignores the column, so the scope matches — and deletes —
//!   every partition.
//! * Overlapping delete scopes are harmless (plateau raises `KeyError` after writing data).
//! * The commit is compare-and-swap on the metadata version the factory read: a concurrent
//!   commit makes this one fail with [`Error::CommitConflict`] and nothing is committed. The
//!   factory's stale cache is then dropped, so calling again applies the change on top of the
//!   current state (for `commit_dataset`, with the same already written partitions).
//! * The dataset's metadata format is kept (plateau always writes JSON).
//! * `commit_dataset` keeps the partitions' secondary indices (plateau fails with a
//!   `TypeError` when `secondary_indices` is given) and checks that every committed
//!   partition carries every index of the dataset, so indices stay complete; a new index
//!   column can only be introduced while the dataset has no other partitions.
//! * A delete scope makes an implicit dataset explicit, so the removal is recorded.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::sync::Arc;

use arrow::array::RecordBatch;
use plateau_core::naming::{self, MetadataFormat, DEFAULT_TABLE};
use plateau_core::{Error, Result, Scalar};
use plateau_metadata::dataset::check_version;
use plateau_metadata::schema::validate_compatible;
use plateau_metadata::{DatasetFactory, DatasetMetadata};
use plateau_serialization::{ParquetSerializer, Serializer};
use serde_json::{Map, Value as Json};

use crate::commit::{self, CommitMode, CommitRequest, CommitTarget, NewDataset};
use crate::metapartition::MetaPartition;
use crate::scope::{matching_labels, scope_columns};
use crate::write::names;
use crate::write::{
    check_dataset_table, check_index_overlap, check_partition_on, check_table_name, py_list,
    sorted_unique, WritePlan,
};

pub use crate::commit::MetadataMerger;
pub use crate::retry::RetryPolicy;
pub use crate::scope::DeleteScope;

/// Options of [`update_dataset`] (plateau's `update_dataset_from_dataframes` arguments).
#[derive(Clone)]
pub struct UpdateOptions {
    /// Partition keys; must equal the dataset's. `None` (the default): the dataset's, or none
    /// for a new dataset.
    pub partition_on: Option<Vec<String>>,
    /// Secondary indices. For an existing dataset a subset of its indices (all of them are
    /// maintained anyway); for a new dataset the indices to build. Default: none.
    pub secondary_indices: Vec<String>,
    /// Partitions to remove (see the module documentation). Default: none.
    pub delete_scope: Vec<DeleteScope>,
    /// User metadata entries to set. Default: none.
    pub metadata: Map<String, Json>,
    /// Combines the existing metadata before `metadata` is applied. Default: keep it.
    pub metadata_merger: Option<MetadataMerger>,
    /// Sort every batch by these columns before splitting it. Default: none.
    pub sort_partitions_by: Vec<String>,
    /// The table name; `"table"` (the default) means the dataset's for an existing dataset.
    pub table_name: String,
    /// How data files are written. Default: [`ParquetSerializer::default`].
    pub serializer: Arc<dyn Serializer>,
    /// The metadata format when the update creates the dataset. Default: JSON. An existing
    /// dataset keeps its format.
    pub default_metadata_format: MetadataFormat,
    /// The metadata version when the update creates the dataset; only 4. Default: 4.
    pub default_metadata_version: u64,
    /// How a lost compare-and-swap is retried (see [`crate::commit`]). Default:
    /// [`RetryPolicy::default`].
    pub retry: RetryPolicy,
}

impl Default for UpdateOptions {
    fn default() -> Self {
        Self {
            partition_on: None,
            secondary_indices: Vec::new(),
            delete_scope: Vec::new(),
            metadata: Map::new(),
            metadata_merger: None,
            sort_partitions_by: Vec::new(),
            table_name: DEFAULT_TABLE.to_owned(),
            serializer: Arc::new(ParquetSerializer::default()),
            default_metadata_format: MetadataFormat::Json,
            default_metadata_version: 4,
            retry: RetryPolicy::default(),
        }
    }
}

impl fmt::Debug for UpdateOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpdateOptions")
            .field("partition_on", &self.partition_on)
            .field("secondary_indices", &self.secondary_indices)
            .field("delete_scope", &self.delete_scope)
            .field("metadata", &self.metadata)
            .field(
                "metadata_merger",
                &self.metadata_merger.as_ref().map(|_| "<fn>"),
            )
            .field("sort_partitions_by", &self.sort_partitions_by)
            .field("table_name", &self.table_name)
            .field("serializer", &self.serializer)
            .field("default_metadata_format", &self.default_metadata_format)
            .field("default_metadata_version", &self.default_metadata_version)
            .field("retry", &self.retry)
            .finish()
    }
}

/// A delete scope from `(column, value)` pairs.
pub fn delete_scope<I, C, V>(equalities: I) -> DeleteScope
where
    I: IntoIterator<Item = (C, V)>,
    C: Into<String>,
    V: Into<Scalar>,
{
    equalities
        .into_iter()
        .map(|(c, v)| (c.into(), v.into()))
        .collect()
}

impl UpdateOptions {
    /// Sets [`UpdateOptions::partition_on`].
    pub fn partition_on<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.partition_on = Some(names(columns));
        self
    }

    /// Sets [`UpdateOptions::secondary_indices`].
    pub fn secondary_indices<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.secondary_indices = names(columns);
        self
    }

    /// Sets [`UpdateOptions::delete_scope`].
    pub fn delete_scope(mut self, scopes: Vec<DeleteScope>) -> Self {
        self.delete_scope = scopes;
        self
    }

    /// Appends one delete scope built from `(column, value)` pairs.
    pub fn add_delete_scope<I, C, V>(mut self, equalities: I) -> Self
    where
        I: IntoIterator<Item = (C, V)>,
        C: Into<String>,
        V: Into<Scalar>,
    {
        self.delete_scope.push(delete_scope(equalities));
        self
    }

    /// Sets [`UpdateOptions::metadata`].
    pub fn metadata(mut self, metadata: Map<String, Json>) -> Self {
        self.metadata = metadata;
        self
    }

    /// Sets [`UpdateOptions::metadata_merger`].
    pub fn metadata_merger(
        mut self,
        merger: impl Fn(&[Map<String, Json>]) -> Map<String, Json> + Send + Sync + 'static,
    ) -> Self {
        self.metadata_merger = Some(Arc::new(merger));
        self
    }

    /// Sets [`UpdateOptions::sort_partitions_by`].
    pub fn sort_partitions_by<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.sort_partitions_by = names(columns);
        self
    }

    /// Sets [`UpdateOptions::table_name`].
    pub fn table_name(mut self, table_name: impl Into<String>) -> Self {
        self.table_name = table_name.into();
        self
    }

    /// Sets [`UpdateOptions::serializer`].
    pub fn serializer(mut self, serializer: impl Serializer + 'static) -> Self {
        self.serializer = Arc::new(serializer);
        self
    }

    /// Sets [`UpdateOptions::default_metadata_format`].
    pub fn default_metadata_format(mut self, format: MetadataFormat) -> Self {
        self.default_metadata_format = format;
        self
    }

    /// Sets [`UpdateOptions::default_metadata_version`].
    pub fn default_metadata_version(mut self, version: u64) -> Self {
        self.default_metadata_version = version;
        self
    }

    /// Sets [`UpdateOptions::retry`].
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
}

/// Options of [`commit_dataset`].
#[derive(Clone, Default)]
pub struct CommitOptions {
    /// Partitions to remove. Default: none.
    pub delete_scope: Vec<DeleteScope>,
    /// User metadata entries to set. Default: none.
    pub metadata: Map<String, Json>,
    /// Combines the existing metadata before `metadata` is applied. Default: keep it.
    pub metadata_merger: Option<MetadataMerger>,
    /// Partition keys; must equal the dataset's. `None` (the default): the dataset's.
    pub partition_on: Option<Vec<String>>,
    /// Secondary indices the result must have (each carried by the dataset or by the
    /// committed partitions). Default: none.
    pub secondary_indices: Vec<String>,
    /// How a lost compare-and-swap is retried (see [`crate::commit`]). Default:
    /// [`RetryPolicy::default`].
    pub retry: RetryPolicy,
}

impl fmt::Debug for CommitOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommitOptions")
            .field("delete_scope", &self.delete_scope)
            .field("metadata", &self.metadata)
            .field(
                "metadata_merger",
                &self.metadata_merger.as_ref().map(|_| "<fn>"),
            )
            .field("partition_on", &self.partition_on)
            .field("secondary_indices", &self.secondary_indices)
            .field("retry", &self.retry)
            .finish()
    }
}

impl CommitOptions {
    /// Sets [`CommitOptions::retry`].
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets [`CommitOptions::delete_scope`].
    pub fn delete_scope(mut self, scopes: Vec<DeleteScope>) -> Self {
        self.delete_scope = scopes;
        self
    }

    /// Appends one delete scope built from `(column, value)` pairs.
    pub fn add_delete_scope<I, C, V>(mut self, equalities: I) -> Self
    where
        I: IntoIterator<Item = (C, V)>,
        C: Into<String>,
        V: Into<Scalar>,
    {
        self.delete_scope.push(delete_scope(equalities));
        self
    }

    /// Sets [`CommitOptions::metadata`].
    pub fn metadata(mut self, metadata: Map<String, Json>) -> Self {
        self.metadata = metadata;
        self
    }

    /// Sets [`CommitOptions::metadata_merger`].
    pub fn metadata_merger(
        mut self,
        merger: impl Fn(&[Map<String, Json>]) -> Map<String, Json> + Send + Sync + 'static,
    ) -> Self {
        self.metadata_merger = Some(Arc::new(merger));
        self
    }

    /// Sets [`CommitOptions::partition_on`].
    pub fn partition_on<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.partition_on = Some(names(columns));
        self
    }

    /// Sets [`CommitOptions::secondary_indices`].
    pub fn secondary_indices<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.secondary_indices = names(columns);
        self
    }
}

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
/// Before anything is written: [`Error::InvalidUuid`]; [`Error::Unsupported`] for a
/// metadata version other than 4; [`Error::InvalidInput`] for incompatible partition keys
/// ("Incompatible set of partition keys encountered. ..."), secondary indices that are not a
/// subset of the dataset's ("Incorrect indices provided for dataset.\nExpected: [...]\nBut
/// got: [...]"), a delete-scope column without an index, a delete-scope value that cannot be
/// read as the column's type, no batches for a dataset that does not exist, and the batch
/// errors of [`crate::write::store_dataset`]; [`Error::SchemaIncompatible`] against the
/// stored schema. Then store errors, and [`Error::CommitConflict`] when another writer
/// committed since the factory read the metadata.
pub fn update_dataset(
    factory: &DatasetFactory,
    batches: &[RecordBatch],
    options: &UpdateOptions,
) -> Result<DatasetMetadata> {
    let uuid = factory.uuid();
    naming::validate_uuid(uuid)?;
    check_version(options.default_metadata_version)?;
    if !factory.exists()? {
        return create_by_update(factory, batches, options);
    }
    let metadata = metadata_with_schema(factory)?;
    let partition_on = check_partition_on(&metadata, options.partition_on.as_deref())?;
    let table_name = check_dataset_table(&metadata, &options.table_name)?;
    let index_columns = existing_indices_superset(&metadata, &options.secondary_indices)?;
    check_delete_scope_columns(&metadata, &options.delete_scope)?;

    let plan = WritePlan::prepare(
        uuid,
        &table_name,
        batches,
        &partition_on,
        &index_columns,
        &options.sort_partitions_by,
    )?;
    let stored = commit::stored_schema(factory.store(), &metadata)?;
    let schema = plan.validate_schemas(stored.clone())?;
    let removed = matching_partitions(factory, &options.delete_scope)?;
    // Every index that changes must be loaded; do it before writing data.
    let metadata = if !removed.is_empty() || plan.has_partitions() {
        let columns: Vec<&str> = metadata.indices.keys().map(String::as_str).collect();
        factory.load_indices(&columns)?
    } else {
        factory.metadata()?
    };

    let partitions = plan.execute(factory.store(), options.serializer.as_ref())?;
    let committed = commit::commit(
        factory.store(),
        CommitRequest {
            target: CommitTarget::Update(Box::new((*metadata).clone())),
            partitions: &partitions,
            removed,
            schema,
            stored_schema: stored,
            metadata: &options.metadata,
            metadata_merger: options.metadata_merger.as_ref(),
            force_explicit: !options.delete_scope.is_empty(),
            delete_scope: &options.delete_scope,
            retry: options.retry.clone(),
        },
    );
    finish(factory, committed)
}

/// An update of a dataset that does not exist creates it.
fn create_by_update(
    factory: &DatasetFactory,
    batches: &[RecordBatch],
    options: &UpdateOptions,
) -> Result<DatasetMetadata> {
    let uuid = factory.uuid();
    let partition_on = options.partition_on.clone().unwrap_or_default();
    check_table_name(&options.table_name)?;
    check_index_overlap(&partition_on, &options.secondary_indices)?;
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
        &partition_on,
        &index_columns,
        &options.sort_partitions_by,
    )?;
    let schema = plan.validate_schemas(None)?;
    let partitions = plan.execute(factory.store(), options.serializer.as_ref())?;
    let committed = commit::commit(
        factory.store(),
        CommitRequest {
            target: CommitTarget::New {
                dataset: NewDataset {
                    uuid: uuid.to_owned(),
                    table_name: options.table_name.clone(),
                    partition_keys: partition_on,
                    metadata_version: options.default_metadata_version,
                    format: options.default_metadata_format,
                    explicit_partitions: true,
                },
                mode: CommitMode::Create,
            },
            partitions: &partitions,
            removed: Vec::new(),
            schema,
            stored_schema: None,
            metadata: &options.metadata,
            metadata_merger: options.metadata_merger.as_ref(),
            force_explicit: false,
            delete_scope: &[],
            retry: RetryPolicy::none(),
        },
    );
    finish(factory, committed)
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
/// Before anything is written: [`Error::InvalidInput`] when nothing is given ("Need to
/// provide either new data, new metadata or a delete scope. None of it was provided."),
/// partitions of more than one table ("Cannot commit more than one table to a dataset but got
/// tables [...]") or of another table or partitioning than the dataset's, files outside the
/// dataset, duplicate labels ("The labels ... are duplicated. Dataset metadata was not
/// written."), partitions lacking an index of the dataset, a new index column while the
/// dataset keeps other partitions, `secondary_indices` the result would not have, and the
/// delete-scope errors of [`update_dataset`]; [`Error::DatasetNotFound`];
/// [`Error::SchemaIncompatible`]. Then store errors and [`Error::CommitConflict`].
pub fn commit_dataset(
    factory: &DatasetFactory,
    new_partitions: &[MetaPartition],
    options: &CommitOptions,
) -> Result<DatasetMetadata> {
    if new_partitions.is_empty() && options.metadata.is_empty() && options.delete_scope.is_empty() {
        return Err(Error::invalid_input(
            "Need to provide either new data, new metadata or a delete scope. None of it was provided.",
        ));
    }
    let tables: BTreeSet<&str> = new_partitions
        .iter()
        .map(|mp| mp.table_name.as_str())
        .collect();
    if tables.len() > 1 {
        let tables: Vec<&str> = tables.into_iter().collect();
        return Err(Error::invalid_input(format!(
            "Cannot commit more than one table to a dataset but got tables {}",
            py_list(&tables)
        )));
    }
    let uuid = factory.uuid();
    naming::validate_uuid(uuid)?;
    let metadata = metadata_with_schema(factory)?;
    let partition_on = check_partition_on(&metadata, options.partition_on.as_deref())?;
    check_committed_partitions(&metadata, &partition_on, new_partitions)?;
    check_delete_scope_columns(&metadata, &options.delete_scope)?;
    let removed = matching_partitions(factory, &options.delete_scope)?;
    check_committed_indices(
        &metadata,
        new_partitions,
        &removed,
        &options.secondary_indices,
    )?;

    let stored = commit::stored_schema(factory.store(), &metadata)?;
    let schema = if new_partitions.is_empty() {
        None
    } else {
        let mut schemas: Vec<_> = stored.iter().cloned().collect();
        schemas.extend(new_partitions.iter().map(|mp| mp.schema.clone()));
        validate_compatible(&schemas, uuid)?
    };
    let metadata = if !removed.is_empty() || !new_partitions.is_empty() {
        let columns: Vec<&str> = metadata.indices.keys().map(String::as_str).collect();
        factory.load_indices(&columns)?
    } else {
        metadata
    };
    let committed = commit::commit(
        factory.store(),
        CommitRequest {
            target: CommitTarget::Update(Box::new((*metadata).clone())),
            partitions: new_partitions,
            removed,
            schema,
            stored_schema: stored,
            metadata: &options.metadata,
            metadata_merger: options.metadata_merger.as_ref(),
            force_explicit: !options.delete_scope.is_empty(),
            delete_scope: &options.delete_scope,
            retry: options.retry.clone(),
        },
    );
    finish(factory, committed)
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
pub fn metadata_with_schema(factory: &DatasetFactory) -> Result<Arc<DatasetMetadata>> {
    let metadata = factory.metadata()?;
    if metadata.schema.is_some() {
        return Ok(metadata);
    }
    match commit::stored_schema(factory.store(), &metadata)? {
        Some(schema) => {
            let mut filled = (*metadata).clone();
            filled.schema = Some(schema);
            factory.set_metadata(filled)?;
            factory.metadata()
        }
        None => Ok(metadata),
    }
}

/// plateau's `_ensure_compatible_indices` for an existing dataset: `requested` must be a
/// subset of the dataset's secondary indices; all of those are built (sorted).
pub fn existing_indices_superset(
    metadata: &DatasetMetadata,
    requested: &[String],
) -> Result<Vec<String>> {
    let existing = sorted_unique(&metadata.indices.keys().cloned().collect::<Vec<_>>());
    if requested.iter().any(|c| !existing.contains(c)) {
        return Err(Error::invalid_input(format!(
            "Incorrect indices provided for dataset.\nExpected: {}\nBut got: {}",
            py_list(&existing),
            py_list(requested)
        )));
    }
    Ok(existing)
}

/// Every delete-scope column must be indexed (partition key or secondary index).
pub fn check_delete_scope_columns(
    metadata: &DatasetMetadata,
    scopes: &[DeleteScope],
) -> Result<()> {
    for scope in scopes {
        for (column, _) in scope {
            let indexed =
                metadata.partition_keys.contains(column) || metadata.indices.contains_key(column);
            if !indexed {
                return Err(Error::invalid_input(format!(
                    "Delete scope column `{column}` is not indexed in dataset `{}` (partition keys {}, secondary indices {}); \
                     a delete scope can only select partitions through indices \
                     (Python plateau would ignore the column and delete every partition)",
                    metadata.uuid,
                    py_list(&metadata.partition_keys),
                    py_list(&metadata.secondary_index_columns()),
                )));
            }
        }
    }
    Ok(())
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

/// Checks the committed partitions belong to this dataset: table, partition keys, file
/// location, unique labels.
fn check_committed_partitions(
    metadata: &DatasetMetadata,
    partition_on: &[String],
    partitions: &[MetaPartition],
) -> Result<()> {
    let prefix = naming::table_prefix(&metadata.uuid, &metadata.table_name);
    let mut seen = HashSet::new();
    let mut duplicates = BTreeSet::new();
    for mp in partitions {
        if mp.table_name != metadata.table_name {
            return Err(Error::invalid_input(format!(
                "Trying to commit a partition with table name {} but dataset {} has already table {}.",
                mp.table_name, metadata.uuid, metadata.table_name
            )));
        }
        if mp.partition_keys != partition_on {
            return Err(Error::invalid_input(format!(
                "Incompatible set of partition keys encountered. Partition `{}` was written with `{}` while actual dataset was `{}`",
                mp.label,
                py_list(&mp.partition_keys),
                py_list(partition_on)
            )));
        }
        if !mp.file.starts_with(&prefix) {
            return Err(Error::invalid_input(format!(
                "partition `{}` has its file `{}` outside the table `{prefix}` of dataset `{}`",
                mp.label, mp.file, metadata.uuid
            )));
        }
        if !seen.insert(mp.label.as_str()) {
            duplicates.insert(mp.label.as_str());
        }
    }
    if !duplicates.is_empty() {
        return Err(Error::invalid_input(format!(
            "The labels {} are duplicated. Dataset metadata was not written.",
            duplicates.into_iter().collect::<Vec<_>>().join(", ")
        )));
    }
    Ok(())
}

/// Index completeness of a commit: every committed partition carries every index the
/// dataset has; a new index column must be carried by every committed partition and the
/// dataset must keep no other partition; `requested` must be indices of the result.
fn check_committed_indices(
    metadata: &DatasetMetadata,
    partitions: &[MetaPartition],
    removed: &[String],
    requested: &[String],
) -> Result<()> {
    let existing: Vec<&str> = metadata.secondary_index_columns();
    for mp in partitions {
        if let Some(column) = existing.iter().find(|c| !mp.indices.contains_key(**c)) {
            return Err(Error::invalid_input(format!(
                "partition `{}` carries no index for `{column}`, but dataset `{}` is indexed on it; \
                 write partitions with write_single_partition, which builds every index of the dataset",
                mp.label, metadata.uuid
            )));
        }
    }
    let new_columns: BTreeSet<&str> = partitions
        .iter()
        .flat_map(|mp| mp.indices.keys().map(String::as_str))
        .filter(|c| !existing.contains(c))
        .collect();
    if !new_columns.is_empty() {
        let keeps_others = metadata
            .partitions
            .keys()
            .any(|label| !removed.contains(label));
        let uncovered = partitions
            .iter()
            .find(|mp| new_columns.iter().any(|c| !mp.indices.contains_key(*c)));
        if keeps_others || uncovered.is_some() {
            let columns: Vec<&str> = new_columns.into_iter().collect();
            return Err(Error::invalid_input(format!(
                "Incorrect indices provided for dataset.\nExpected: {}\nBut got: {}\n\
                 (a new index would not cover every partition of dataset `{}`; use build_dataset_indices)",
                py_list(&sorted_unique(&existing.iter().map(|s| s.to_string()).collect::<Vec<_>>())),
                py_list(&columns),
                metadata.uuid
            )));
        }
    }
    let result: BTreeSet<String> = existing
        .iter()
        .map(|s| s.to_string())
        .chain(partitions.iter().flat_map(|mp| mp.indices.keys().cloned()))
        .collect();
    if requested.iter().any(|c| !result.contains(c)) {
        return Err(Error::invalid_input(format!(
            "Incorrect indices provided for dataset.\nExpected: {}\nBut got: {}",
            py_list(&result.into_iter().collect::<Vec<_>>()),
            py_list(requested)
        )));
    }
    Ok(())
}
