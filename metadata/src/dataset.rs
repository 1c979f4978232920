//! [`DatasetMetadata`]: the in-memory form of a dataset's metadata file, its schema and its
//! loaded indices, and [`DatasetMetadataBuilder`] to assemble new metadata.

use indexmap::IndexMap;
use plateau_core::naming::{self, MetadataFormat, DEFAULT_TABLE};
use plateau_core::store::ObjectVersion;
use plateau_core::{Error, Result};
use plateau_index::Index;
use serde_json::{Map, Value as Json};

use crate::schema::SchemaWrapper;

/// The only metadata version plateau 4 reads and writes.
pub const METADATA_VERSION: u64 = 4;

/// One partition: a single data file of the dataset's table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    /// The data file's key (`<uuid>/<table>/<label>.parquet`).
    pub file: String,
}

/// Where a secondary index comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum IndexSource {
    /// A Parquet index file at this key (current or legacy key shape).
    External(String),
    /// An index embedded in the metadata file as `{value: [labels]}` (plateau < 4 style),
    /// kept as stored so re-encoding reproduces it.
    Embedded(Json),
}

/// A secondary index of the dataset: where it is stored, and its content once loaded.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexEntry {
    /// The stored form.
    pub source: IndexSource,
    /// The content, once loaded (see [`crate::load::load_index`]).
    pub index: Option<Index>,
}

impl IndexEntry {
    /// An external index that is not loaded yet.
    pub fn external(storage_key: impl Into<String>) -> Self {
        Self {
            source: IndexSource::External(storage_key.into()),
            index: None,
        }
    }

    /// The storage key of an external index.
    pub fn storage_key(&self) -> Option<&str> {
        match &self.source {
            IndexSource::External(key) => Some(key),
            IndexSource::Embedded(_) => None,
        }
    }
}

/// Partitions by label, in file order. Hashed with foldhash (hashbrown's default hasher,
/// seeded per process) rather than SipHash: loading 100,000 partitions hashes every label,
/// and SipHash was 6% of that load.
pub type PartitionMap = IndexMap<String, Partition, foldhash::fast::RandomState>;

/// Everything plateau knows about a dataset without reading data files.
#[derive(Clone, Debug, PartialEq)]
pub struct DatasetMetadata {
    /// The dataset uuid.
    pub uuid: String,
    /// Always [`METADATA_VERSION`] once loaded.
    pub metadata_version: u64,
    /// The table name (`"table"` unless chosen otherwise).
    pub table_name: String,
    /// Partitions by label, in the order of the metadata file.
    pub partitions: PartitionMap,
    /// Whether the file lists partitions (`false`: implicit dataset, partitions found by
    /// listing the store).
    pub explicit_partitions: bool,
    /// The partition columns, outermost first.
    pub partition_keys: Vec<String>,
    /// Whether `partition_keys` is written to the metadata file (plateau's pipelines always
    /// write it; only a bare builder omits it).
    pub partition_keys_stored: bool,
    /// User metadata, in file order (holds `creation_time`).
    pub metadata: Map<String, Json>,
    /// Secondary indices by column, in file order.
    pub indices: IndexMap<String, IndexEntry>,
    /// Partition-key indices, derived from the labels once loaded.
    pub partition_indices: IndexMap<String, Index>,
    /// The table schema from `_common_metadata`, when loaded.
    pub schema: Option<SchemaWrapper>,
    /// The metadata file format this was loaded from (writers keep it on update).
    pub format: MetadataFormat,
    /// The stored version of the metadata file that was read, for compare-and-swap commits.
    pub version: Option<ObjectVersion>,
}

impl DatasetMetadata {
    /// The `creation_time` entry of the user metadata, if present.
    pub fn creation_time(&self) -> Option<&str> {
        self.metadata.get("creation_time").and_then(Json::as_str)
    }

    /// Names of the secondary index columns, in file order.
    pub fn secondary_index_columns(&self) -> Vec<&str> {
        self.indices.keys().map(String::as_str).collect()
    }

    /// Secondary index columns plus partition keys (plateau's `index_columns`).
    pub fn index_columns(&self) -> Vec<&str> {
        let mut columns: Vec<&str> = self.indices.keys().map(String::as_str).collect();
        for key in &self.partition_keys {
            if !columns.contains(&key.as_str()) {
                columns.push(key);
            }
        }
        columns
    }

    /// The loaded index of `column`: a partition index for partition keys, else the loaded
    /// secondary index; `None` if not loaded or not indexed.
    pub fn loaded_index(&self, column: &str) -> Option<&Index> {
        self.partition_indices
            .get(column)
            .or_else(|| self.indices.get(column).and_then(|e| e.index.as_ref()))
    }

    /// The key of the metadata file in the format this dataset uses.
    pub fn metadata_key(&self) -> String {
        naming::metadata_key(&self.uuid, self.format)
    }
}

/// Python's `datetime.now(UTC).isoformat()`: `2026-11-24T07:39:39.181083+00:00`, without the
/// fraction when the microseconds are zero. Used for `creation_time` and index file names.
pub fn creation_time_now() -> String {
    let now = chrono::Utc::now();
    let micros = now.timestamp_subsec_micros();
    if micros == 0 {
        now.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
    } else {
        format!("{}.{micros:06}+00:00", now.format("%Y-%m-%dT%H:%M:%S"))
    }
}

/// Assembles [`DatasetMetadata`]. Defaults: version 4, table `"table"`, explicit partitions,
/// no partition keys written, JSON format, `creation_time` set to now if not given.
#[derive(Clone, Debug)]
pub struct DatasetMetadataBuilder {
    metadata: DatasetMetadata,
}

impl DatasetMetadataBuilder {
    /// A builder for a new dataset `uuid`.
    pub fn new(uuid: impl Into<String>) -> Self {
        Self {
            metadata: DatasetMetadata {
                uuid: uuid.into(),
                metadata_version: METADATA_VERSION,
                table_name: DEFAULT_TABLE.to_owned(),
                partitions: PartitionMap::default(),
                explicit_partitions: true,
                partition_keys: Vec::new(),
                partition_keys_stored: false,
                metadata: Map::new(),
                indices: IndexMap::new(),
                partition_indices: IndexMap::new(),
                schema: None,
                format: MetadataFormat::Json,
                version: None,
            },
        }
    }

    /// A builder starting from existing metadata (for updates).
    pub fn from_dataset(dataset: &DatasetMetadata) -> Self {
        Self {
            metadata: dataset.clone(),
        }
    }

    /// The metadata version (only 4 is accepted by [`DatasetMetadataBuilder::build`]).
    pub fn metadata_version(mut self, version: u64) -> Self {
        self.metadata.metadata_version = version;
        self
    }

    /// The table name.
    pub fn table_name(mut self, table: impl Into<String>) -> Self {
        self.metadata.table_name = table.into();
        self
    }

    /// The partition keys; they are written to the file.
    pub fn partition_keys(mut self, keys: Vec<String>) -> Self {
        self.metadata.partition_keys = keys;
        self.metadata.partition_keys_stored = true;
        self
    }

    /// Whether partitions are listed in the file (`false` for an empty header).
    pub fn explicit_partitions(mut self, explicit: bool) -> Self {
        self.metadata.explicit_partitions = explicit;
        self
    }

    /// Appends a partition (adding a partition makes the dataset explicit, as in plateau).
    pub fn add_partition(mut self, label: impl Into<String>, file: impl Into<String>) -> Self {
        self.metadata
            .partitions
            .insert(label.into(), Partition { file: file.into() });
        self.metadata.explicit_partitions = true;
        self
    }

    /// References an external index file for `column`.
    pub fn add_external_index(
        mut self,
        column: impl Into<String>,
        storage_key: impl Into<String>,
    ) -> Self {
        self.metadata
            .indices
            .insert(column.into(), IndexEntry::external(storage_key));
        self
    }

    /// Sets one user metadata entry.
    pub fn add_metadata(mut self, key: impl Into<String>, value: Json) -> Self {
        self.metadata.metadata.insert(key.into(), value);
        self
    }

    /// The table schema.
    pub fn schema(mut self, schema: SchemaWrapper) -> Self {
        self.metadata.schema = Some(schema);
        self
    }

    /// The metadata file format.
    pub fn format(mut self, format: MetadataFormat) -> Self {
        self.metadata.format = format;
        self
    }

    /// Validates the uuid and version and adds `creation_time` if missing (as the first
    /// metadata entry, where plateau puts it).
    pub fn build(mut self) -> Result<DatasetMetadata> {
        naming::validate_uuid(&self.metadata.uuid)?;
        check_version(self.metadata.metadata_version)?;
        if !self.metadata.metadata.contains_key("creation_time") {
            let mut with_time = Map::new();
            with_time.insert("creation_time".into(), Json::String(creation_time_now()));
            with_time.extend(std::mem::take(&mut self.metadata.metadata));
            self.metadata.metadata = with_time;
        }
        Ok(self.metadata)
    }
}

/// plateau's version check: only 4.
pub fn check_version(version: u64) -> Result<()> {
    match version {
        METADATA_VERSION => Ok(()),
        v if v < METADATA_VERSION => Err(Error::unsupported(format!(
            "Minimal supported metadata version is 4. You requested {v} instead."
        ))),
        v => Err(Error::unsupported(format!(
            "Future metadata version `{v}` encountered."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creation_time_has_pythons_isoformat_shape() {
        let t = creation_time_now();
        assert!(t.ends_with("+00:00"), "{t}");
        assert!(t.len() == 25 || t.len() == 32, "{t}");
        assert_eq!(&t[10..11], "T");
    }

    #[test]
    fn builder_validates_and_adds_creation_time_first() {
        let m = DatasetMetadataBuilder::new("u")
            .add_metadata("a", Json::from(1))
            .build()
            .unwrap();
        assert_eq!(
            m.metadata.keys().collect::<Vec<_>>(),
            vec!["creation_time", "a"]
        );
        assert!(matches!(
            DatasetMetadataBuilder::new("a.b").build(),
            Err(Error::InvalidUuid(_))
        ));
        let err = DatasetMetadataBuilder::new("u")
            .metadata_version(3)
            .build()
            .unwrap_err();
        assert!(err
            .to_string()
            .contains("Minimal supported metadata version is 4"));
        let err = DatasetMetadataBuilder::new("u")
            .metadata_version(5)
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("Future metadata version `5`"));
    }
}
