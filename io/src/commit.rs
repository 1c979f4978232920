//! The commit: building a dataset's new metadata and writing it — index files first, then
//! `_common_metadata`, then the metadata file last, with compare-and-swap (DESIGN.md §5–§6).
//!
//! [`commit`] is shared by every writing path (store, header, update, commit of
//! `write_single_partition` results). It
//!
//! 1. starts from the existing metadata (an update) or a new builder (a new dataset);
//! 2. merges the user metadata (`metadata_merger([existing])`, then the new entries on top;
//!    `creation_time` of the existing dataset survives unless the new entries set it);
//! 3. removes the deleted partitions and appends the new ones in input order;
//! 4. updates the secondary indices: new columns are the merge of the partitions' indices;
//!    existing ones lose the removed partitions and gain the new ones. An index whose content
//!    did not change keeps its storage key and file; a changed one is written under a new key
//!    (`<uuid>/indices/<col>/<now>.by-dataset-index.parquet`, written put-if-absent so two
//!    writers in the same microsecond cannot overwrite each other's file);
//! 5. writes `_common_metadata` when the validated schema differs from the stored one;
//! 6. writes the metadata file: put-if-absent for a new dataset, put-if-match on the version
//!    that was read for an update. Losing the race is [`Error::CommitConflict`] and nothing
//!    is committed (the files written before are garbage for garbage collection).
//!
//! # Divergences from Python plateau
//!
//! * An update keeps the dataset's metadata format (plateau always writes JSON, which then
//!   shadows a msgpack file).
//! * The commit is compare-and-swap (plateau: last writer wins).
//! * A `metadata_merger` may drop keys (plateau re-adds every existing key), except
//!   `creation_time`, which survives unless the new metadata sets it.
//! * A delete scope makes an implicit dataset explicit so that the deletion is recorded
//!   (plateau keeps it implicit and the "deleted" partitions stay visible).
//! * Unchanged index files are not rewritten (plateau rewrites them in place).

use std::time::Duration;

use bytes::Bytes;
use indexmap::IndexMap;
use plateau_core::naming::{self, MetadataFormat};
use plateau_core::store::ObjectVersion;
use plateau_core::{Error, Result, Store};
use plateau_index::{Index, IndexKind};
use plateau_metadata::codec;
use plateau_metadata::common_metadata::{read_common_metadata, write_common_metadata};
use plateau_metadata::dataset::{creation_time_now, IndexEntry, IndexSource, Partition};
use plateau_metadata::schema::SchemaWrapper;
use plateau_metadata::{load, DatasetMetadata, DatasetMetadataBuilder};
use serde_json::{Map, Value as Json};

use crate::metapartition::MetaPartition;
use crate::update::MetadataMerger;

/// How a new dataset's metadata file is written.
#[derive(Clone, Debug, PartialEq)]
pub enum CommitMode {
    /// A new dataset: the metadata key must not exist (put-if-absent).
    Create,
    /// A new dataset replacing an existing one (`overwrite`): each metadata file that existed
    /// during validation, with the version seen then. The file of the new format is replaced
    /// with put-if-match (put-if-absent if it did not exist); the other one is deleted after
    /// the commit so it cannot shadow or outlive the new dataset.
    Overwrite {
        /// The metadata files found during validation.
        existing: Vec<(MetadataFormat, ObjectVersion)>,
    },
}

/// What is committed.
#[derive(Clone, Debug)]
pub enum CommitTarget {
    /// A new dataset, written as `mode` says.
    New {
        /// The new dataset's shape.
        dataset: NewDataset,
        /// Put-if-absent or overwrite.
        mode: CommitMode,
    },
    /// An update of existing metadata (indices loaded or not): put-if-match on its version
    /// (put-if-absent when it has none, i.e. it was never stored).
    Update(Box<DatasetMetadata>),
}

/// What a new dataset is made of.
#[derive(Clone, Debug)]
pub struct NewDataset {
    /// The dataset uuid.
    pub uuid: String,
    /// The table name.
    pub table_name: String,
    /// The partition keys.
    pub partition_keys: Vec<String>,
    /// The metadata version (4).
    pub metadata_version: u64,
    /// The metadata file format.
    pub format: MetadataFormat,
    /// Whether the metadata lists partitions (`false` for an empty header).
    pub explicit_partitions: bool,
}

/// Everything [`commit`] needs; validated by the caller.
pub struct CommitRequest<'a> {
    /// A new dataset or the metadata to update.
    pub target: CommitTarget,
    /// Partitions to add, in order (their files are already written).
    pub partitions: &'a [MetaPartition],
    /// Labels of partitions to remove.
    pub removed: Vec<String>,
    /// The validated schema to store (`None`: keep what is there).
    pub schema: Option<SchemaWrapper>,
    /// The schema `_common_metadata` holds now (`_common_metadata` is not rewritten when
    /// `schema` equals it, pandas metadata included).
    pub stored_schema: Option<SchemaWrapper>,
    /// New user metadata entries.
    pub metadata: &'a Map<String, Json>,
    /// Combines the existing metadata before the new entries are applied (default: keep it).
    pub metadata_merger: Option<&'a MetadataMerger>,
    /// Make the dataset explicit even without new partitions (a delete scope was applied).
    pub force_explicit: bool,
}

/// Builds and writes the new metadata (see the module documentation) and returns it as a
/// fresh load would: indices unloaded, no partition indices, the stored schema, the written
/// version.
///
/// # Errors
/// Index merge errors, store errors, [`Error::CommitConflict`].
pub fn commit(store: &Store, request: CommitRequest<'_>) -> Result<DatasetMetadata> {
    let CommitRequest {
        target,
        partitions,
        removed,
        schema,
        stored_schema,
        metadata,
        metadata_merger,
        force_explicit,
    } = request;
    let (mut next, mode) = match target {
        CommitTarget::Update(base) => (*base, None),
        CommitTarget::New { dataset, mode } => {
            let metadata = DatasetMetadataBuilder::new(dataset.uuid)
                .metadata_version(dataset.metadata_version)
                .table_name(dataset.table_name)
                .partition_keys(dataset.partition_keys)
                .format(dataset.format)
                .explicit_partitions(dataset.explicit_partitions)
                .build()?;
            (metadata, Some(mode))
        }
    };
    let is_update = mode.is_none();
    let uuid = next.uuid.clone();

    // User metadata.
    next.metadata = merge_metadata(&next.metadata, metadata, metadata_merger);

    // Partitions: removed ones vanish, new ones are appended in input order.
    for label in &removed {
        next.partitions.shift_remove(label);
    }
    for mp in partitions {
        next.partitions.insert(
            mp.label.clone(),
            Partition {
                file: mp.file.clone(),
            },
        );
    }
    if !partitions.is_empty() || force_explicit {
        next.explicit_partitions = true;
    }
    // Partition keys are always written, as plateau's pipelines do.
    next.partition_keys_stored = true;
    next.partition_indices = IndexMap::new();

    // Secondary indices.
    next.indices = updated_indices(store, &mut next, partitions, &removed)?;

    // `_common_metadata`.
    if let Some(schema) = schema {
        let unchanged = is_update
            && stored_schema.as_ref().is_some_and(|stored| {
                *stored == schema && stored.pandas_metadata() == schema.pandas_metadata()
            });
        if !unchanged {
            let key = naming::common_metadata_key(&uuid, &next.table_name);
            store.put(&key, write_common_metadata(&schema)?)?;
        }
        next.schema = Some(schema);
    }

    // The metadata file, last.
    let bytes = Bytes::from(codec::encode(&next, next.format)?);
    let key = next.metadata_key();
    let version = match &mode {
        Some(CommitMode::Create) => store.put_if_absent(&key, bytes)?,
        None => match next.version.clone() {
            Some(version) => store.put_if_match(&key, bytes, &version)?,
            None => store.put_if_absent(&key, bytes)?,
        },
        Some(CommitMode::Overwrite { existing }) => {
            let same = existing.iter().find(|(format, _)| *format == next.format);
            let version = match same {
                Some((_, version)) => store.put_if_match(&key, bytes, version)?,
                None => store.put_if_absent(&key, bytes)?,
            };
            for (format, _) in existing.iter().filter(|(f, _)| *f != next.format) {
                store.delete(&naming::metadata_key(&uuid, *format))?;
            }
            version
        }
    };
    next.version = Some(version);
    for entry in next.indices.values_mut() {
        entry.index = None;
    }
    Ok(next)
}

/// `merger([existing])` (or `existing`), then the new entries on top; the existing
/// `creation_time` is put back (first) if the merger dropped it.
fn merge_metadata(
    existing: &Map<String, Json>,
    new: &Map<String, Json>,
    merger: Option<&MetadataMerger>,
) -> Map<String, Json> {
    let mut merged = match merger {
        Some(merger) => merger(std::slice::from_ref(existing)),
        None => existing.clone(),
    };
    for (key, value) in new {
        merged.insert(key.clone(), value.clone());
    }
    if !merged.contains_key("creation_time") {
        let time = existing
            .get("creation_time")
            .cloned()
            .unwrap_or_else(|| Json::String(creation_time_now()));
        let mut with_time = Map::new();
        with_time.insert("creation_time".into(), time);
        with_time.extend(merged);
        merged = with_time;
    }
    merged
}

/// The index entries after removing `removed` and adding the indices of `partitions`;
/// changed indices are written to new files.
fn updated_indices(
    store: &Store,
    metadata: &mut DatasetMetadata,
    partitions: &[MetaPartition],
    removed: &[String],
) -> Result<IndexMap<String, IndexEntry>> {
    // The new partitions' indices per column: existing columns first, then new ones sorted.
    let mut columns: Vec<String> = metadata.indices.keys().cloned().collect();
    let mut new_columns: Vec<String> = partitions
        .iter()
        .flat_map(|mp| mp.indices.keys())
        .filter(|c| !metadata.indices.contains_key(*c))
        .cloned()
        .collect();
    new_columns.sort();
    new_columns.dedup();
    columns.extend(new_columns);

    let removed_here: Vec<&str> = removed.iter().map(String::as_str).collect();
    let now = creation_time_now();
    let mut entries = IndexMap::new();
    for column in columns {
        let added = Index::merge_all(
            partitions
                .iter()
                .filter_map(|mp| mp.indices.get(&column).cloned()),
        )?;
        let added = added.filter(|index| !index.is_empty());
        let Some(existing) = metadata.indices.get(&column).cloned() else {
            // A new index column (the caller checked it covers every partition).
            let index = match added {
                Some(index) => index,
                None => {
                    let data_type = new_index_type(metadata, partitions, &column)?;
                    Index::empty(&column, IndexKind::Secondary, &data_type)?
                }
            };
            let stored = store_index(store, &metadata.uuid, index, &now)?;
            entries.insert(column, external_entry(stored));
            continue;
        };
        if removed_here.is_empty() && added.is_none() {
            // Untouched: same entry, same file.
            entries.insert(column, existing);
            continue;
        }
        let current = match &existing.index {
            Some(index) => index.clone(),
            None => {
                load::load_index(store, metadata, &column)?;
                metadata
                    .indices
                    .get(&column)
                    .and_then(|e| e.index.clone())
                    .ok_or_else(|| {
                        Error::invalid_input(format!("index `{column}` could not be loaded"))
                    })?
            }
        };
        let mut updated = current.remove_partitions(&removed_here);
        if let Some(added) = added {
            updated = merge_typed(&updated, &added)?;
        }
        let unchanged =
            updated.storage_key().is_some() && matches!(existing.source, IndexSource::External(_));
        if unchanged {
            entries.insert(column, existing);
        } else {
            let stored = store_index(store, &metadata.uuid, updated, &now)?;
            entries.insert(column, external_entry(stored));
        }
    }
    Ok(entries)
}

/// The type of a new index column with no values: from the partitions' schemas.
fn new_index_type(
    metadata: &DatasetMetadata,
    partitions: &[MetaPartition],
    column: &str,
) -> Result<arrow::datatypes::DataType> {
    partitions
        .iter()
        .find_map(|mp| mp.indices.get(column).map(|i| i.data_type().clone()))
        .or_else(|| {
            metadata
                .schema
                .as_ref()
                .and_then(|s| s.field(column).map(|f| f.data_type().clone()))
        })
        .ok_or_else(|| Error::invalid_input(format!("no type known for index column `{column}`")))
}

/// `existing ∪ added`; an added index of another (normalised) type is converted to the
/// existing one with plateau's lenient value normalisation first (e.g. an index file Python
/// wrote with a narrower string type).
fn merge_typed(existing: &Index, added: &Index) -> Result<Index> {
    if existing.data_type() == added.data_type() {
        return existing.merge(added);
    }
    let converted = Index::from_entries(
        existing.column(),
        existing.kind(),
        existing.data_type(),
        added.entries()?,
    )?;
    existing.merge(&converted)
}

fn external_entry(index: Index) -> IndexEntry {
    IndexEntry {
        source: IndexSource::External(index.storage_key().unwrap_or_default().to_owned()),
        index: Some(index),
    }
}

/// Writes `index` under a new key `<uuid>/indices/<col>/<now>.by-dataset-index.parquet`
/// with put-if-absent; should the key exist (another writer in the same microsecond), a
/// later timestamp is tried. Returns the index with its storage key.
///
/// # Errors
/// [`Error::InvalidInput`] for partition indices; encoding and store errors.
pub fn store_index(store: &Store, uuid: &str, index: Index, now: &str) -> Result<Index> {
    if index.kind() == IndexKind::Partition {
        return Err(Error::invalid_input(format!(
            "the partition index of `{}` is derived from partition keys and is never stored",
            index.column()
        )));
    }
    let bytes = index.to_parquet()?;
    let mut timestamp = now.to_owned();
    for _ in 0..100 {
        let key = naming::index_key(uuid, index.column(), &timestamp);
        match store.put_if_absent(&key, bytes.clone()) {
            Ok(_) => return Ok(index.with_storage_key(key)),
            Err(Error::CommitConflict { .. }) => {
                std::thread::sleep(Duration::from_micros(2));
                timestamp = creation_time_now();
            }
            Err(e) => return Err(e),
        }
    }
    Err(Error::CommitConflict {
        key: naming::index_key(uuid, index.column(), &timestamp),
        message: "no free index file name found".into(),
    })
}

/// The schema the dataset's `_common_metadata` holds now: the loaded one, else read from the
/// store; `None` when the file does not exist.
///
/// # Errors
/// Store errors; [`Error::Corrupt`] for an unreadable file.
pub fn stored_schema(store: &Store, metadata: &DatasetMetadata) -> Result<Option<SchemaWrapper>> {
    if let Some(schema) = &metadata.schema {
        return Ok(Some(schema.clone()));
    }
    let key = naming::common_metadata_key(&metadata.uuid, &metadata.table_name);
    match store.get_opt(&key)? {
        Some((bytes, _)) => Ok(Some(read_common_metadata(bytes, &key)?)),
        None => Ok(None),
    }
}
