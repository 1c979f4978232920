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
//! 5. writes `_common_metadata` when the validated schema differs from the stored one
//!    (conditionally, see below);
//! 6. writes the metadata file: put-if-absent for a new dataset, put-if-match on the version
//!    that was read for an update. Losing the race is [`Error::CommitConflict`] and nothing
//!    is committed (the files written before are garbage for garbage collection).
//!
//! # The commit invariant
//!
//! *A writer that reports [`Error::CommitConflict`] has changed nothing any reader or later
//! writer sees, and `_common_metadata` holds the schema of the committed metadata.* The
//! metadata file is the single point of commit; everything a commit writes before it is
//! invisible until the compare-and-swap succeeds, except `_common_metadata`, whose key is
//! fixed by the format (Python reads it at `<uuid>/<table>/_common_metadata`). Python
//! plateau writes that file with a plain put before the metadata, so a writer that then loses
//! leaves its schema behind. Here:
//!
//! * **Only a changing schema is written.** An append whose schema equals the stored one (the
//!   common case) never touches `_common_metadata`, so it cannot disturb anybody else's.
//! * **Every write is conditional on what was validated.** An update writes put-if-match on
//!   the version whose content it validated against (read again just before the write and
//!   compared; a difference is a conflict, which is retried against the new state). Two
//!   updates changing the schema at once therefore cannot both write.
//! * **A creator never replaces a schema it did not validate.** A new dataset's file is
//!   written put-if-absent. When it exists with another schema but no metadata does, another
//!   creator is between its two writes (or was killed there): the create is a conflict, with
//!   nothing written. The same schema is simply shared. So all creators that reach the
//!   metadata put-if-absent have the same schema, and whichever wins, the file matches.
//! * **An overwrite that loses undoes its write.** It writes put-if-match on the version it
//!   found and, should the metadata compare-and-swap fail, puts the previous content back
//!   with put-if-match on the version it wrote. If that fails, a later writer replaced the
//!   file after us — conditionally, by these same rules — and the file is its to account for.
//!
//! An update that changed the schema and then loses is retried, and normally commits its
//! schema a moment later. Its write is not undone: another writer may already have
//! validated against it (and retried on top of it), and undoing would pull the schema from
//! under that writer's commit. What remains, and why it is acceptable: if the update fails
//! for good (retries exhausted, or not retryable) or is killed between its two writes,
//! `_common_metadata` keeps its *widening* — a column that all committed files hold as
//! all-null (null type) now has a type. Readers are unaffected (a null column reads as any
//! type), and no committed row contradicts it; a later writer with another type for that
//! column is refused, as it would have been had the update committed. A `kill -9` between
//! the two writes of a new dataset leaves a `_common_metadata` without metadata, which
//! readers never see and `delete` removes (see [`crate::maintenance`]); of an overwrite, the
//! new schema next to the old metadata, as in Python plateau (no two-file write can be
//! atomic; the metadata file stays the single source of truth).
//!
//! # Retrying
//!
//! An update that loses the compare-and-swap is retried as [`RetryPolicy`] says (default: 32
//! retries with jittered exponential backoff), against the metadata that won: it reloads the
//! dataset, and goes on only if the update means the same there — same partition keys,
//! table and secondary index columns (the new partitions carry exactly those indices), a
//! delete scope that selects exactly the same partitions (for a removal by label, as a
//! compaction makes: every removed partition still there with the same file), and new
//! partitions whose schemas are compatible with the current `_common_metadata`. Then indices
//! and user metadata are merged again from the new base. Anything else (new datasets,
//! overwrites, a delete scope that now selects other partitions, a removed partition that is
//! gone or replaced, a dataset that was deleted) reports the conflict.
//! The data files are written once; retries only rewrite index files and metadata.
//!
//! # Divergences from Python plateau
//!
//! * An update keeps the dataset's metadata format (plateau always writes JSON, which then
//!   shadows a msgpack file).
//! * The commit is compare-and-swap (plateau: last writer wins), with retries for updates,
//!   and `_common_metadata` is written conditionally and only when it changes.
//! * A `metadata_merger` may drop keys (plateau re-adds every existing key), except
//!   `creation_time`, which survives unless the new metadata sets it.
//! * A delete scope makes an implicit dataset explicit so that the deletion is recorded
//!   (plateau keeps it implicit and the "deleted" partitions stay visible).
//! * Unchanged index files are not rewritten (plateau rewrites them in place).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use indexmap::IndexMap;
use plateau_core::naming::{self, MetadataFormat};
use plateau_core::runtime::{self, block_on_scoped};
use plateau_core::store::ObjectVersion;
use plateau_core::{Error, Result, Store};
use plateau_index::{Index, IndexKind};
use plateau_metadata::codec;
use plateau_metadata::common_metadata::{read_common_metadata, write_common_metadata};
use plateau_metadata::dataset::{creation_time_now, IndexEntry, IndexSource, Partition};
use plateau_metadata::load::LoadOptions;
use plateau_metadata::schema::{validate_compatible, SchemaWrapper};
use plateau_metadata::{load, DatasetMetadata, DatasetMetadataBuilder};
use serde_json::{Map, Value as Json};

use crate::metapartition::MetaPartition;
use crate::retry::RetryPolicy;
use crate::scope::{matching_labels, scope_columns, DeleteScope};

/// Combines the existing user metadata (a one-element slice, as plateau passes it) into the
/// metadata the new entries are applied to.
pub type MetadataMerger = Arc<dyn Fn(&[Map<String, Json>]) -> Map<String, Json> + Send + Sync>;

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
    /// The delete scope `removed` was computed from; evaluated again when a lost update is
    /// retried. Empty for new datasets, and when `removed` names exactly the partitions to
    /// replace (a compaction): a retry then goes on only while each of them is still a
    /// partition with the same file.
    pub delete_scope: &'a [DeleteScope],
    /// How an update that loses the compare-and-swap is retried (new datasets never are).
    pub retry: RetryPolicy,
}

/// Builds and writes the new metadata (see the module documentation) and returns it as a
/// fresh load would: indices unloaded, no partition indices, the stored schema, the written
/// version. An update that loses the compare-and-swap is retried as [`CommitRequest::retry`]
/// allows, when that is safe (see "Retrying" in the module documentation).
///
/// # Errors
/// Index merge errors, store errors, [`Error::CommitConflict`] (nothing committed, and
/// `_common_metadata` as it was); when a retry finds the dataset changed so that the
/// request no longer fits (schema), the error that says why.
pub fn commit(store: &Store, request: CommitRequest<'_>) -> Result<DatasetMetadata> {
    block_on_scoped(commit_async(store, request))
}

/// Async [`commit`]: the index files it writes are uploaded concurrently.
///
/// # Errors
/// As [`commit`].
pub async fn commit_async(
    store: &Store,
    mut request: CommitRequest<'_>,
) -> Result<DatasetMetadata> {
    let mut attempt = 0;
    loop {
        match commit_once(store, &request).await {
            Err(conflict @ Error::CommitConflict { .. })
                if attempt < request.retry.max_retries
                    && matches!(request.target, CommitTarget::Update(_)) =>
            {
                runtime::sleep(request.retry.backoff(attempt)).await?;
                attempt += 1;
                if !rebase(store, &mut request).await? {
                    return Err(conflict);
                }
            }
            result => return result,
        }
    }
}

/// Points an update request at the dataset's current metadata, if the update means the
/// same there: same partition keys, table and secondary index columns (the new partitions
/// carry exactly those indices), a delete scope that selects the same partitions, and new
/// partitions whose schemas fit the current `_common_metadata`. `Ok(false)`: not safe to
/// retry (or the dataset is gone); the conflict stands.
async fn rebase(store: &Store, request: &mut CommitRequest<'_>) -> Result<bool> {
    let CommitTarget::Update(base) = &request.target else {
        return Ok(false);
    };
    // The index files the retry reads travel with `_common_metadata`: the window between
    // reading the metadata and the compare-and-swap is what another writer can hit.
    let touched = touched_index_columns(request);
    let loaded =
        load::load_prefetching_async(store, &base.uuid, &LoadOptions::default(), |latest| {
            external_index_keys(latest, &touched)
        })
        .await;
    let mut latest = match loaded {
        Ok((mut latest, prefetched)) => {
            decode_prefetched_indices(store, &mut latest, prefetched)?;
            latest
        }
        Err(Error::DatasetNotFound { .. }) => return Ok(false),
        Err(e) => return Err(e),
    };
    let same_indices = latest.indices.keys().collect::<BTreeSet<_>>()
        == base.indices.keys().collect::<BTreeSet<_>>();
    if latest.partition_keys != base.partition_keys
        || latest.table_name != base.table_name
        || !same_indices
    {
        return Ok(false);
    }
    let removed = if request.delete_scope.is_empty() {
        // Exact labels (a compaction): the retry replaces the same files or nothing.
        let unchanged = request.removed.iter().all(|label| {
            match (base.partitions.get(label), latest.partitions.get(label)) {
                (Some(seen), Some(now)) => seen.file == now.file,
                _ => false,
            }
        });
        if !unchanged {
            return Ok(false);
        }
        request.removed.clone()
    } else {
        for column in scope_columns(request.delete_scope) {
            if latest.loaded_index(column).is_none() {
                load::load_index_async(store, &mut latest, column).await?;
            }
        }
        let removed = matching_labels(&latest, request.delete_scope)?;
        let as_set = |labels: &[String]| labels.iter().cloned().collect::<BTreeSet<_>>();
        if as_set(&removed) != as_set(&request.removed) {
            return Ok(false);
        }
        removed
    };
    let stored = stored_schema_async(store, &latest).await?;
    let schema = if request.schema.is_none() {
        None
    } else {
        let mut schemas: Vec<SchemaWrapper> = stored.iter().cloned().collect();
        if request.partitions.is_empty() {
            schemas.extend(request.schema.iter().cloned());
        } else {
            schemas.extend(request.partitions.iter().map(|mp| mp.schema.clone()));
        }
        validate_compatible(&schemas, &latest.uuid)?
    };
    request.target = CommitTarget::Update(Box::new(latest));
    request.removed = removed;
    request.schema = schema;
    request.stored_schema = stored;
    Ok(true)
}

/// The index columns a commit of `request` reads: those of its delete scope, those its new
/// partitions carry, and every one when it removes partitions (`None`).
fn touched_index_columns(request: &CommitRequest<'_>) -> Option<BTreeSet<String>> {
    if !request.removed.is_empty() {
        return None;
    }
    let mut columns: BTreeSet<String> = scope_columns(request.delete_scope)
        .into_iter()
        .map(str::to_owned)
        .collect();
    columns.extend(
        request
            .partitions
            .iter()
            .flat_map(|mp| mp.indices.keys().cloned()),
    );
    Some(columns)
}

/// The keys of the external index files of `columns` (`None`: every column) not loaded yet.
fn external_index_keys(
    metadata: &DatasetMetadata,
    columns: &Option<BTreeSet<String>>,
) -> Vec<String> {
    metadata
        .indices
        .iter()
        .filter(|(column, _)| {
            columns
                .as_ref()
                .is_none_or(|wanted| wanted.contains(*column))
        })
        .filter_map(|(_, entry)| match (&entry.source, &entry.index) {
            (IndexSource::External(key), None) => Some(key.clone()),
            _ => None,
        })
        .collect()
}

/// Decodes index files fetched with the metadata into it (missing files are left to the
/// loads that need them, which report them).
fn decode_prefetched_indices(
    store: &Store,
    metadata: &mut DatasetMetadata,
    prefetched: load::Prefetched,
) -> Result<()> {
    for (key, bytes) in prefetched {
        let Some(bytes) = bytes else { continue };
        let column = metadata
            .indices
            .iter()
            .find_map(|(column, entry)| match &entry.source {
                IndexSource::External(source) if *source == key => Some(column.clone()),
                _ => None,
            });
        if let Some(column) = column {
            load::load_index_prefetched(store, metadata, &column, Some(bytes))?;
        }
    }
    Ok(())
}

/// One attempt: everything but the retry (see the module documentation).
async fn commit_once(store: &Store, request: &CommitRequest<'_>) -> Result<DatasetMetadata> {
    let CommitRequest {
        target,
        partitions,
        removed,
        schema,
        stored_schema,
        metadata,
        metadata_merger,
        force_explicit,
        ..
    } = request;
    let (mut next, mode) = match target {
        CommitTarget::Update(base) => ((**base).clone(), None),
        CommitTarget::New { dataset, mode } => {
            let metadata = DatasetMetadataBuilder::new(dataset.uuid.clone())
                .metadata_version(dataset.metadata_version)
                .table_name(dataset.table_name.clone())
                .partition_keys(dataset.partition_keys.clone())
                .format(dataset.format)
                .explicit_partitions(dataset.explicit_partitions)
                .build()?;
            (metadata, Some(mode))
        }
    };
    let uuid = next.uuid.clone();

    // User metadata.
    next.metadata = merge_metadata(&next.metadata, metadata, *metadata_merger);

    // Partitions: removed ones vanish, new ones are appended in input order.
    for label in removed {
        next.partitions.shift_remove(label);
    }
    for mp in *partitions {
        next.partitions.insert(
            mp.label.clone(),
            Partition {
                file: mp.file.clone(),
            },
        );
    }
    if !partitions.is_empty() || *force_explicit {
        next.explicit_partitions = true;
    }
    // Partition keys are always written, as plateau's pipelines do.
    next.partition_keys_stored = true;
    next.partition_indices = IndexMap::new();

    // Secondary indices.
    next.indices = updated_indices(store, &mut next, partitions, removed).await?;

    // `_common_metadata`.
    let mut schema_write = None;
    if let Some(schema) = schema {
        let key = naming::common_metadata_key(&uuid, &next.table_name);
        schema_write = write_schema(store, &key, schema, stored_schema.as_ref(), mode).await?;
        next.schema = Some(schema.clone());
    }

    // The metadata file, last.
    let bytes = Bytes::from(codec::encode(&next, next.format)?);
    let key = next.metadata_key();
    let written = match mode {
        Some(CommitMode::Create) => store.put_if_absent_async(&key, bytes).await,
        None => match next.version.clone() {
            Some(version) => store.put_if_match_async(&key, bytes, &version).await,
            None => store.put_if_absent_async(&key, bytes).await,
        },
        Some(CommitMode::Overwrite { existing }) => {
            match existing.iter().find(|(format, _)| *format == next.format) {
                Some((_, version)) => store.put_if_match_async(&key, bytes, version).await,
                None => store.put_if_absent_async(&key, bytes).await,
            }
        }
    };
    let version = match written {
        Ok(version) => version,
        Err(conflict @ Error::CommitConflict { .. }) => {
            if let Some(write) = schema_write {
                write.undo(store).await?;
            }
            return Err(conflict);
        }
        Err(e) => return Err(e),
    };
    if let Some(CommitMode::Overwrite { existing }) = mode {
        for (format, _) in existing.iter().filter(|(f, _)| *f != next.format) {
            store
                .delete_async(&naming::metadata_key(&uuid, *format))
                .await?;
        }
    }
    next.version = Some(version);
    for entry in next.indices.values_mut() {
        entry.index = None;
    }
    Ok(next)
}

/// A `_common_metadata` write this attempt made, to be undone if the metadata
/// compare-and-swap is lost.
struct SchemaWrite {
    key: String,
    /// What the file held before; `None` when it did not exist (then the file stays: see
    /// "`_common_metadata`" in the module documentation).
    previous: Option<Bytes>,
    written: ObjectVersion,
}

impl SchemaWrite {
    /// Puts the previous content back, unless somebody wrote the file after us (then the
    /// file is theirs to account for).
    async fn undo(self, store: &Store) -> Result<()> {
        let Some(previous) = self.previous else {
            return Ok(());
        };
        match store
            .put_if_match_async(&self.key, previous, &self.written)
            .await
        {
            Ok(_) | Err(Error::CommitConflict { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Whether two schemas would give the same `_common_metadata`.
fn same_schema(a: &SchemaWrapper, b: &SchemaWrapper) -> bool {
    a == b && a.pandas_metadata() == b.pandas_metadata()
}

/// Writes `_common_metadata` with `schema` when needed, always conditionally (see "The
/// commit invariant" in the module documentation for the rules per mode). Returns what to
/// undo should the commit be lost; `None` when nothing needs undoing.
async fn write_schema(
    store: &Store,
    key: &str,
    schema: &SchemaWrapper,
    stored: Option<&SchemaWrapper>,
    mode: Option<&CommitMode>,
) -> Result<Option<SchemaWrite>> {
    let conflict = |message: &str| Error::CommitConflict {
        key: key.to_owned(),
        message: message.to_owned(),
    };
    let parsed = |bytes: &Bytes| read_common_metadata(bytes.clone(), key);
    let bytes = write_common_metadata(schema)?;
    match mode {
        None => {
            if stored.is_some_and(|stored| same_schema(stored, schema)) {
                return Ok(None);
            }
            // Only over exactly the content the update was validated against.
            let current = store.get_opt_async(key).await?;
            let validated = match (&current, stored) {
                (Some((found, _)), Some(stored)) => same_schema(&parsed(found)?, stored),
                (None, None) => true,
                _ => false,
            };
            if !validated {
                return Err(conflict(
                    "_common_metadata changed since the update was validated",
                ));
            }
            match current {
                Some((_, version)) => store.put_if_match_async(key, bytes, &version).await?,
                None => store.put_if_absent_async(key, bytes).await?,
            };
            Ok(None)
        }
        Some(CommitMode::Create) => {
            // Put first, look only when the file exists: a creation costs one request here,
            // not two.
            match store.put_if_absent_async(key, bytes).await {
                Ok(_) => Ok(None),
                Err(Error::CommitConflict { .. }) => {
                    let same = store.get_opt_async(key).await?.is_some_and(|(found, _)| {
                        parsed(&found).is_ok_and(|found| same_schema(&found, schema))
                    });
                    if same {
                        Ok(None)
                    } else {
                        Err(conflict(
                            "it holds another schema but no dataset metadata exists: another \
                             writer is creating this dataset, or an interrupted one left the \
                             file (`delete` of the uuid removes it once it is older than the \
                             minimum age)",
                        ))
                    }
                }
                Err(e) => Err(e),
            }
        }
        Some(CommitMode::Overwrite { .. }) => {
            let (written, previous) = match store.get_opt_async(key).await? {
                Some((previous, version)) => (
                    store.put_if_match_async(key, bytes, &version).await?,
                    Some(previous),
                ),
                None => (store.put_if_absent_async(key, bytes).await?, None),
            };
            Ok(Some(SchemaWrite {
                key: key.to_owned(),
                previous,
                written,
            }))
        }
    }
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
async fn updated_indices(
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
    // Entries in column order; changed indices are written after the loop, concurrently.
    let mut entries: Vec<(String, Result<IndexEntry, Index>)> = Vec::with_capacity(columns.len());
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
            entries.push((column, Err(index)));
            continue;
        };
        if removed_here.is_empty() && added.is_none() {
            // Untouched: same entry, same file.
            entries.push((column, Ok(existing)));
            continue;
        }
        let current = match &existing.index {
            Some(index) => index.clone(),
            None => {
                load::load_index_async(store, metadata, &column).await?;
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
            entries.push((column, Ok(existing)));
        } else {
            entries.push((column, Err(updated)));
        }
    }
    let uuid = metadata.uuid.as_str();
    let now = now.as_str();
    let written =
        futures::future::try_join_all(entries.into_iter().map(|(column, entry)| async move {
            let entry = match entry {
                Ok(entry) => entry,
                Err(index) => external_entry(store_index_async(store, uuid, index, now).await?),
            };
            Ok::<_, Error>((column, entry))
        }))
        .await?;
    Ok(written.into_iter().collect())
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
    block_on_scoped(store_index_async(store, uuid, index, now))
}

/// Async [`store_index`].
///
/// # Errors
/// As [`store_index`].
pub async fn store_index_async(
    store: &Store,
    uuid: &str,
    index: Index,
    now: &str,
) -> Result<Index> {
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
        match store.put_if_absent_async(&key, bytes.clone()).await {
            Ok(_) => return Ok(index.with_storage_key(key)),
            Err(Error::CommitConflict { .. }) => {
                runtime::sleep(Duration::from_micros(2)).await?;
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
    block_on_scoped(stored_schema_async(store, metadata))
}

/// Async [`stored_schema`].
///
/// # Errors
/// As [`stored_schema`].
pub async fn stored_schema_async(
    store: &Store,
    metadata: &DatasetMetadata,
) -> Result<Option<SchemaWrapper>> {
    if let Some(schema) = &metadata.schema {
        return Ok(Some(schema.clone()));
    }
    let key = naming::common_metadata_key(&metadata.uuid, &metadata.table_name);
    match store.get_opt_async(&key).await? {
        Some((bytes, _)) => Ok(Some(read_common_metadata(bytes, &key)?)),
        None => Ok(None),
    }
}
