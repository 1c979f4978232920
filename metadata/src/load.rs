//! Loading dataset metadata from a store (plateau's `DatasetMetadata.load_from_store`), and
//! loading its indices.
//!
//! * The JSON metadata file is tried first, then msgpack (JSON wins when both exist, which is
//!   the state Python plateau leaves after updating a msgpack dataset).
//! * Implicit datasets (no `partitions` key, e.g. after `create_empty_dataset_header`) get
//!   their partitions by listing `<uuid>/<table>/…` for `.parquet` keys; every key must have
//!   the same number of `col=value` components. Index files under `<uuid>/indices/` are never
//!   taken for partitions (plateau would, if any existed).
//! * A missing `partition_keys` is inferred from the first partition's key; a missing
//!   `metadata` entry gets a fresh `creation_time`, as in plateau.

use std::collections::HashMap;

use bytes::Bytes;

use arrow::datatypes::DataType;
use indexmap::IndexMap;
use plateau_core::naming::{self, MetadataFormat, PARQUET_SUFFIX};
use plateau_core::runtime::block_on_scoped;
use plateau_core::{partition_value, Error, Result, Scalar, Store};
use plateau_index::{Index, IndexKind};
use serde_json::Value as Json;

use crate::codec;
use crate::common_metadata::read_common_metadata;
use crate::dataset::{creation_time_now, DatasetMetadata, IndexSource, Partition, PartitionMap};

/// What to load along with the metadata file.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct LoadOptions {
    /// Load the table schema from `_common_metadata` (default `true`).
    pub load_schema: bool,
    /// Load every secondary index and the partition indices (default `false`).
    pub load_all_indices: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            load_schema: true,
            load_all_indices: false,
        }
    }
}

/// Whether a dataset exists (either metadata file).
pub fn exists(store: &Store, uuid: &str) -> Result<bool> {
    block_on_scoped(exists_async(store, uuid))
}

/// Async [`exists`].
pub async fn exists_async(store: &Store, uuid: &str) -> Result<bool> {
    for format in MetadataFormat::READ_ORDER {
        if store
            .exists_async(&naming::metadata_key(uuid, format))
            .await?
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Objects fetched along with the metadata: `(key, bytes)`, `None` for a missing key.
pub type Prefetched = Vec<(String, Option<Bytes>)>;

/// Loads the metadata of dataset `uuid`.
pub fn load(store: &Store, uuid: &str, options: &LoadOptions) -> Result<DatasetMetadata> {
    block_on_scoped(load_async(store, uuid, options))
}

/// Async [`load`].
pub async fn load_async(
    store: &Store,
    uuid: &str,
    options: &LoadOptions,
) -> Result<DatasetMetadata> {
    Ok(load_prefetching_async(store, uuid, options, |_| Vec::new())
        .await?
        .0)
}

/// [`load`], and the objects at the keys `extra` names for the decoded metadata, fetched
/// concurrently with `_common_metadata` (one round trip for both): e.g. the index files a
/// read will need. Missing objects are `None`; nothing fetched this way is decoded here.
pub fn load_prefetching(
    store: &Store,
    uuid: &str,
    options: &LoadOptions,
    extra: impl FnOnce(&DatasetMetadata) -> Vec<String>,
) -> Result<(DatasetMetadata, Prefetched)> {
    block_on_scoped(load_prefetching_async(store, uuid, options, extra))
}

/// Async [`load_prefetching`].
pub async fn load_prefetching_async(
    store: &Store,
    uuid: &str,
    options: &LoadOptions,
    extra: impl FnOnce(&DatasetMetadata) -> Vec<String>,
) -> Result<(DatasetMetadata, Prefetched)> {
    naming::validate_uuid(uuid)?;
    let mut found = None;
    for format in MetadataFormat::READ_ORDER {
        let key = naming::metadata_key(uuid, format);
        if let Some((bytes, version)) = store.get_opt_async(&key).await? {
            found = Some((bytes, version, format, key));
            break;
        }
    }
    let Some((bytes, version, format, key)) = found else {
        return Err(Error::DatasetNotFound {
            uuid: uuid.to_owned(),
        });
    };
    let mut metadata = codec::decode(&bytes, format, &key)?;
    metadata.version = Some(version);
    // plateau adds a creation time to any metadata loaded without one.
    if !metadata.metadata.contains_key("creation_time") {
        metadata
            .metadata
            .insert("creation_time".into(), Json::String(creation_time_now()));
    }

    if !metadata.explicit_partitions {
        discover_implicit_partitions(store, &mut metadata).await?;
    }
    if metadata.partitions.is_empty() {
        if let Some(table) = table_from_common_metadata(store, uuid).await? {
            metadata.table_name = table;
        }
    }
    if !metadata.partition_keys_stored {
        metadata.partition_keys = infer_partition_keys(&metadata)?;
    }
    let extra = extra(&metadata);
    let mut keys = Vec::with_capacity(extra.len() + 1);
    let schema_key = naming::common_metadata_key(uuid, &metadata.table_name);
    if options.load_schema {
        keys.push(schema_key.clone());
    }
    keys.extend(extra);
    let found = if keys.is_empty() {
        Vec::new()
    } else {
        store.get_many_opt_async(&keys).await?
    };
    let mut fetched = keys.into_iter().zip(found);
    if options.load_schema {
        if let Some((_, Some(bytes))) = fetched.next() {
            metadata.schema = Some(read_common_metadata(bytes, &schema_key)?);
        }
    }
    let prefetched: Prefetched = fetched.collect();
    if options.load_all_indices {
        load_all_indices_async(store, &mut metadata).await?;
    }
    Ok((metadata, prefetched))
}

/// Fills the partitions of an implicit dataset from the store's keys.
async fn discover_implicit_partitions(store: &Store, metadata: &mut DatasetMetadata) -> Result<()> {
    let uuid = metadata.uuid.clone();
    let indices_prefix = naming::indices_prefix(&uuid);
    let mut partitions = PartitionMap::default();
    let mut depth: Option<usize> = None;
    let mut table: Option<String> = None;
    for key in store.list_keys_async(&format!("{uuid}/")).await? {
        if key.starts_with(&indices_prefix) || !key.ends_with(PARQUET_SUFFIX) {
            continue;
        }
        let Some((_, key_table, decoded)) = naming::decode_data_key(&key)? else {
            continue;
        };
        if depth.is_some_and(|d| d != decoded.pairs.len()) {
            return Err(Error::corrupt(
                key,
                "Unknown file structure encountered. Depth of filename indices is not equal for all partitions.",
            ));
        }
        depth = Some(decoded.pairs.len());
        table.get_or_insert(key_table);
        // Re-quote the components, as plateau does, so equivalent escapes give one label.
        let components: Vec<String> = decoded
            .pairs
            .iter()
            .map(|(column, value)| {
                naming::label_component(column, &naming::normalize_quoted_value(value))
            })
            .collect();
        let stem = decoded
            .file
            .strip_suffix(PARQUET_SUFFIX)
            .unwrap_or(&decoded.file);
        let label = naming::partition_label(&components, stem);
        partitions.insert(label, Partition { file: key });
    }
    if let Some(table) = table {
        metadata.table_name = table;
    }
    metadata.partitions = partitions;
    Ok(())
}

/// The table of a dataset without partitions, from its `_common_metadata` key.
async fn table_from_common_metadata(store: &Store, uuid: &str) -> Result<Option<String>> {
    Ok(store
        .list_keys_async(&format!("{uuid}/"))
        .await?
        .into_iter()
        .find(|k| k.ends_with(naming::COMMON_METADATA))
        .and_then(|k| k.split('/').nth(1).map(str::to_owned)))
}

/// plateau infers missing partition keys from the first partition's file key.
fn infer_partition_keys(metadata: &DatasetMetadata) -> Result<Vec<String>> {
    let Some((_, partition)) = metadata.partitions.first() else {
        return Ok(Vec::new());
    };
    Ok(match naming::decode_data_key(&partition.file)? {
        Some((_, _, decoded)) => decoded.pairs.into_iter().map(|(c, _)| c).collect(),
        None => Vec::new(),
    })
}

/// The Arrow type of a column from the loaded schema.
pub fn column_type(metadata: &DatasetMetadata, column: &str) -> Result<DataType> {
    let schema = metadata.schema.as_ref().ok_or_else(|| {
        Error::invalid_input(format!(
            "Cannot find type information for partition column \"{column}\": the schema of dataset `{}` is not loaded",
            metadata.uuid
        ))
    })?;
    schema
        .schema()
        .field_with_name(column)
        .map(|f| f.data_type().clone())
        .map_err(|_| {
            Error::invalid_input(format!(
                "Cannot find type information for partition column \"{column}\" in the schema of dataset `{}`",
                metadata.uuid
            ))
        })
}

/// Builds the partition-key indices from the partition labels, typed through the schema
/// (plateau's `load_partition_indices`). A no-op when already loaded.
pub fn load_partition_indices(metadata: &mut DatasetMetadata) -> Result<()> {
    if metadata.partition_keys.is_empty()
        || metadata
            .partition_keys
            .iter()
            .all(|k| metadata.partition_indices.contains_key(k))
    {
        return Ok(());
    }
    let built = build_partition_indices(metadata)?;
    metadata.partition_indices = built;
    Ok(())
}

/// The partition-key indices of `metadata`'s labels. Labels and value texts are borrowed, not
/// copied: a dataset of 100,000 partitions builds them on every metadata load that plans by a
/// partition key.
fn build_partition_indices(metadata: &DatasetMetadata) -> Result<IndexMap<String, Index>> {
    let keys = &metadata.partition_keys;
    // Quoted value text -> labels, per key column; each distinct text is parsed once.
    let mut grouped: Vec<IndexMap<&str, Vec<&str>>> = vec![IndexMap::new(); keys.len()];
    for label in metadata.partitions.keys() {
        for pair in naming::label_pairs(label) {
            let (column, value) = pair?;
            if let Some(position) = keys.iter().position(|k| *k == column) {
                grouped[position].entry(value).or_default().push(label);
            }
        }
    }
    let mut built = IndexMap::new();
    for (column, values) in keys.iter().zip(grouped) {
        let data_type = column_type(metadata, column)?;
        let mut entries: Vec<(Scalar, Vec<&str>)> = Vec::with_capacity(values.len());
        for (quoted, labels) in values {
            let value = parse_partition_value(metadata, column, quoted, &data_type)?;
            entries.push((value, labels));
        }
        let index = Index::from_entries(column, IndexKind::Partition, &data_type, entries)?;
        built.insert(column.clone(), index);
    }
    Ok(built)
}

/// The value of partition key `column` in a label's quoted text `quoted`, typed `data_type`
/// (the column's type, [`column_type`]).
pub(crate) fn parse_partition_value(
    metadata: &DatasetMetadata,
    column: &str,
    quoted: &str,
    data_type: &DataType,
) -> Result<Scalar> {
    partition_value::parse_value(quoted, data_type).map_err(|e| {
        Error::invalid_input(format!(
            "partition value `{quoted}` of column `{column}` in dataset `{}`: {e}",
            metadata.uuid
        ))
    })
}

/// Loads the index of `column` (a partition key or a secondary index). Unknown columns are
/// an error, as in plateau.
pub fn load_index(store: &Store, metadata: &mut DatasetMetadata, column: &str) -> Result<()> {
    block_on_scoped(load_index_async(store, metadata, column))
}

/// Async [`load_index`].
pub async fn load_index_async(
    store: &Store,
    metadata: &mut DatasetMetadata,
    column: &str,
) -> Result<()> {
    let bytes = match external_index_to_fetch(metadata, column) {
        Some(key) => Some(store.get_versioned_async(&key).await?.0),
        None => None,
    };
    load_index_prefetched(store, metadata, column, bytes)
}

/// The key of `column`'s external index file when it is not loaded yet.
pub(crate) fn external_index_to_fetch(metadata: &DatasetMetadata, column: &str) -> Option<String> {
    if metadata.partition_keys.iter().any(|k| k == column) {
        return None;
    }
    match metadata.indices.get(column) {
        Some(entry) if entry.index.is_none() => match &entry.source {
            IndexSource::External(key) => Some(key.clone()),
            IndexSource::Embedded(_) => None,
        },
        _ => None,
    }
}

/// [`load_index`] from the index file's bytes when they were already fetched (`prefetched`,
/// the bytes of the column's external index file); otherwise as [`load_index`].
pub fn load_index_prefetched(
    store: &Store,
    metadata: &mut DatasetMetadata,
    column: &str,
    prefetched: Option<Bytes>,
) -> Result<()> {
    if metadata.partition_keys.iter().any(|k| k == column) {
        return load_partition_indices(metadata);
    }
    let Some(entry) = metadata.indices.get(column) else {
        return Err(Error::invalid_input(format!(
            "No index specified for column '{column}' in dataset `{}`",
            metadata.uuid
        )));
    };
    if entry.index.is_some() {
        return Ok(());
    }
    let mut index = match &entry.source {
        IndexSource::External(key) => match prefetched {
            Some(bytes) => Index::from_parquet(column, bytes, key)?,
            None => Index::load(store, column, key)?,
        },
        IndexSource::Embedded(raw) => embedded_index(metadata, column, raw)?,
    };
    if !metadata.explicit_partitions {
        // Implicit datasets may have lost partitions the index still names.
        let stale: Vec<&str> = index
            .partitions()
            .filter(|label| !metadata.partitions.contains_key(*label))
            .collect();
        if !stale.is_empty() {
            let stale: Vec<String> = stale.into_iter().map(str::to_owned).collect();
            let stale: Vec<&str> = stale.iter().map(String::as_str).collect();
            index = index.remove_partitions(&stale);
        }
    }
    if let Some(entry) = metadata.indices.get_mut(column) {
        entry.index = Some(index);
    }
    Ok(())
}

/// An index embedded in the metadata (`{value: [labels]}`). JSON keys are strings; they are
/// typed through the schema when the column is in it (plateau keeps them as strings, so
/// `eval` with an integer would fail there), else kept as strings.
fn embedded_index(metadata: &DatasetMetadata, column: &str, raw: &Json) -> Result<Index> {
    let map = raw.as_object().ok_or_else(|| {
        Error::corrupt(
            metadata.metadata_key(),
            format!("embedded index `{column}` is not a dict"),
        )
    })?;
    let data_type = column_type(metadata, column).unwrap_or(DataType::LargeUtf8);
    let mut entries: HashMap<String, Vec<String>> = HashMap::new();
    let mut order = Vec::new();
    for (value, labels) in map {
        let labels = labels.as_array().ok_or_else(|| {
            Error::corrupt(
                metadata.metadata_key(),
                format!("embedded index `{column}`: labels of `{value}` are not a list"),
            )
        })?;
        if !entries.contains_key(value) {
            order.push(value.clone());
        }
        let list = entries.entry(value.clone()).or_default();
        for label in labels {
            if let Some(label) = label.as_str() {
                list.push(label.to_owned());
            }
        }
    }
    let typed = order
        .into_iter()
        .map(|text| {
            let labels = entries.remove(&text).unwrap_or_default();
            partition_value::normalize_value(&Scalar::String(text), &data_type).map(|v| (v, labels))
        })
        .collect::<Result<Vec<_>>>()?;
    Index::from_entries(column, IndexKind::Secondary, &data_type, typed)
}

/// Loads every secondary index and the partition indices.
pub fn load_all_indices(store: &Store, metadata: &mut DatasetMetadata) -> Result<()> {
    block_on_scoped(load_all_indices_async(store, metadata))
}

/// Async [`load_all_indices`]: the index files are fetched concurrently.
pub async fn load_all_indices_async(store: &Store, metadata: &mut DatasetMetadata) -> Result<()> {
    let columns: Vec<String> = metadata.indices.keys().cloned().collect();
    let wanted: Vec<(String, String)> = columns
        .iter()
        .filter_map(|c| external_index_to_fetch(metadata, c).map(|key| (c.clone(), key)))
        .collect();
    let fetched =
        futures::future::try_join_all(wanted.iter().map(|(_, key)| async move {
            Ok::<_, Error>(store.get_versioned_async(key).await?.0)
        }))
        .await?;
    let mut fetched: HashMap<String, Bytes> = wanted
        .into_iter()
        .map(|(column, _)| column)
        .zip(fetched)
        .collect();
    for column in columns {
        let bytes = fetched.remove(&column);
        load_index_prefetched(store, metadata, &column, bytes)?;
    }
    load_partition_indices(metadata)
}
