//! The options of every write: [`StoreOptions`] (new datasets), [`HeaderOptions`] (empty
//! dataset headers), [`WriteOptions`] (partitions written for a later commit),
//! [`UpdateOptions`] (updates) and [`CommitOptions`] (commits of written partitions), with
//! their documented defaults and builder-style setters.
//!
//! Every options struct of plateau for Rust has the same shape: `Default::default()` (or
//! `new()`), then one setter per field, named after the field (plateau's keyword argument)
//! and taking and returning the options by value; the fields stay public for reading. The
//! structs are `#[non_exhaustive]`, so options added later are not a breaking change: build
//! them with the setters, not with struct literals.
//!
//! ```
//! use plateau_io::write::StoreOptions;
//!
//! let options = StoreOptions::default()
//!     .partition_on(["P"])
//!     .secondary_indices(["x"])
//!     .overwrite(true);
//! assert_eq!(options.partition_on, ["P"]);
//! assert!(options.overwrite);
//! assert_eq!(options.table_name, "table"); // untouched: the default
//! ```
//!
//! They live apart from the functions taking them so that [`crate::transaction`], which every
//! one of those functions drives, can read them without depending on the modules that
//! depend on it. [`crate::write`] and [`crate::update`] re-export them.

use std::fmt;
use std::sync::Arc;

use plateau_core::naming::{MetadataFormat, DEFAULT_TABLE};
use plateau_core::Scalar;
use plateau_serialization::{ParquetSerializer, Serializer};
use serde_json::{Map, Value as Json};

use crate::commit::MetadataMerger;
use crate::retry::RetryPolicy;
use crate::scope::DeleteScope;

/// Options of [`crate::write::store_dataset`] (plateau's `store_dataframes_as_dataset` arguments).
#[derive(Clone, Debug)]
#[non_exhaustive]
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
    /// [`plateau_core::Error::DatasetExists`]. Old data files are not deleted (garbage collection does
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

/// Options of [`crate::write::write_single_partition`].
#[derive(Clone, Debug)]
#[non_exhaustive]
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

/// Options of [`crate::write::create_empty_dataset_header`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct HeaderOptions {
    /// The partition keys of the dataset, outermost first. Default: none.
    pub partition_on: Vec<String>,
    /// User metadata (after `creation_time`). Default: empty.
    pub metadata: Map<String, Json>,
    /// Encoding of the metadata file. Default: [`MetadataFormat::Json`].
    pub metadata_format: MetadataFormat,
    /// Replace an existing dataset instead of failing with [`plateau_core::Error::DatasetExists`].
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

/// Options of [`crate::update::update_dataset`] (plateau's `update_dataset_from_dataframes` arguments).
#[derive(Clone)]
#[non_exhaustive]
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

/// Options of [`crate::update::commit_dataset`].
#[derive(Clone, Default)]
#[non_exhaustive]
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
