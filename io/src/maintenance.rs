//! Dataset maintenance: garbage collection, deleting a dataset and building secondary indices
//! after the fact (plateau's `garbage_collect_dataset`, `delete_dataset` and
//! `build_dataset_indices`, reference §1.2 and §5.5–§5.7).
//!
//! # What counts as garbage
//!
//! Exactly plateau's rule (reference §5.5), so Rust and Python agree on which files may go:
//!
//! * every key under `<uuid>/indices/` that is not the storage key of a current index;
//! * for datasets with explicit partitions only, every key under `<uuid>/<table>/` that is
//!   neither a current partition file nor `<uuid>/<table>/_common_metadata`.
//!
//! Keys anywhere else (`<uuid>/other/…`, legacy `<uuid>.<col>.by-dataset-index.parquet`, other
//! datasets such as `<uuid>_other/…`) are never touched. Implicit datasets never lose table
//! files, because there the store listing *is* the list of partitions.
//!
//! # Concurrency
//!
//! A writer puts its data and index files first and commits the metadata last, so between
//! the two its files look exactly like garbage. [`GcOptions::min_age`] keeps files younger
//! than a given age — by default [`DEFAULT_MIN_AGE`], one hour, the window a writer has
//! between writing its first file and committing (DESIGN.md §6). Zero, plateau's behaviour,
//! must be asked for ([`GcOptions::immediate`]). gc lists the store *before* it loads the
//! metadata: a file that was committed before gc read the metadata is therefore always
//! protected, and only files committed after that moment depend on `min_age`. gc always
//! reloads the metadata — a stale cached copy would make the newest partitions look like
//! garbage.
//!
//! # Links, leftovers and orphans
//!
//! * gc and delete never follow symbolic links: on local disk the store's listing skips
//!   everything below a linked directory and [`Store::delete`] refuses to delete through one
//!   (Python plateau's `os.walk` does not follow them either). Nothing outside `<uuid>/`
//!   (plus the metadata files `<uuid>.by-dataset-metadata.*`) is ever deleted.
//! * Interrupted uploads: the local backend writes `<file>#<n>` and renames it when done; a
//!   killed writer leaves the temporary file, which listings hide. gc and delete find them
//!   with [`Store::list_interrupted`] and remove them once older than the minimum age.
//! * A uuid whose metadata is gone (a killed first write, a killed delete) has only orphans:
//!   gc and [`delete_dataset_with`] remove every file under `<uuid>/` older than the
//!   minimum age instead of failing with [`Error::DatasetNotFound`], which is reserved for a
//!   uuid with nothing at all.
//!
//! # Deletion order of [`delete_dataset`]
//!
//! Python plateau deletes the data first and the metadata file last; a crash in between
//! leaves a metadata file that references missing files, i.e. a dataset that fails to read.
//! Here the metadata file(s) go **first**: the dataset is visible and complete until that
//! single delete, and absent afterwards. Readers therefore see the old dataset or no dataset,
//! never a broken one. The price: a crash after the metadata delete leaves files under
//! `<uuid>/` that no metadata references. Nothing reads them, and a new dataset of the same
//! uuid with explicit partitions treats them as garbage; only a new *implicit* dataset of the
//! same uuid (`create_empty_dataset_header`) would list leftover partition files as its own,
//! so they should be removed before a uuid is reused that way.
//!
//! When both metadata files exist (Python leaves the msgpack file behind when it updates a
//! msgpack dataset), the shadowed msgpack file goes first and the JSON file that readers
//! actually see last, so the stale msgpack metadata never becomes visible in between.
//!
//! # Building indices
//!
//! [`build_indices`] reads only the requested columns of every partition, builds one index per
//! partition ([`Index::from_array`]), merges them, writes each merged index under a new key and
//! commits the metadata with compare-and-swap in the dataset's own format. Indices of other
//! columns are kept; an index on the same column is rebuilt from scratch.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use arrow::datatypes::{DataType, FieldRef, Schema, SchemaRef};
use indexmap::IndexMap;
use plateau_core::naming::{self, MetadataFormat};
use plateau_core::{Error, Result, Store, StoreObject};
use plateau_index::{Index, IndexKind};
use plateau_metadata::dataset::{creation_time_now, IndexSource};
use plateau_metadata::{codec, DatasetFactory, DatasetMetadata, IndexEntry};
use plateau_serialization::ReadOptions as FileReadOptions;

/// The default minimum age of a file before gc or the removal of orphans may delete it: one
/// hour, the window a writer has between writing its first data file and committing.
pub const DEFAULT_MIN_AGE: Duration = Duration::from_secs(3600);

/// Options of [`garbage_collect`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GcOptions {
    /// Only report what would be deleted; delete nothing. Default: `false`.
    pub dry_run: bool,
    /// Keep files whose last modification is more recent than this, so that gc cannot delete
    /// the files of a concurrent writer that has not committed yet: a writer must commit
    /// within this time of writing its first file. Default [`DEFAULT_MIN_AGE`] (one hour);
    /// zero (plateau's behaviour) is safe only while nobody writes to the dataset.
    pub min_age: Duration,
}

impl Default for GcOptions {
    fn default() -> Self {
        Self {
            dry_run: false,
            min_age: DEFAULT_MIN_AGE,
        }
    }
}

impl GcOptions {
    /// No minimum age: every unreferenced file is garbage at once (plateau's behaviour). Only
    /// safe while nobody writes to the dataset.
    pub fn immediate() -> Self {
        Self::default().min_age(Duration::ZERO)
    }

    /// Sets [`GcOptions::dry_run`].
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// Sets [`GcOptions::min_age`].
    pub fn min_age(mut self, min_age: Duration) -> Self {
        self.min_age = min_age;
        self
    }
}

/// Options of [`delete_dataset_with`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeleteOptions {
    /// The minimum age of files that no metadata vouches for — interrupted uploads, and every
    /// file of a uuid whose metadata is gone — before they are deleted (a writer may be about
    /// to commit them). The files of an existing dataset are deleted whatever their age.
    /// Default [`DEFAULT_MIN_AGE`].
    pub min_age: Duration,
}

impl Default for DeleteOptions {
    fn default() -> Self {
        Self {
            min_age: DEFAULT_MIN_AGE,
        }
    }
}

impl DeleteOptions {
    /// Sets [`DeleteOptions::min_age`].
    pub fn min_age(mut self, min_age: Duration) -> Self {
        self.min_age = min_age;
        self
    }
}

/// What [`garbage_collect`] or [`delete_dataset_with`] deleted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GcReport {
    /// The keys deleted (or, with [`GcOptions::dry_run`], that would be deleted), sorted.
    /// Interrupted uploads carry their temporary `#<n>` suffix.
    pub files: Vec<String>,
    /// Unreferenced files kept because they are younger than the minimum age.
    pub kept_young: usize,
}

/// Removes the files of a dataset that its metadata no longer references (plateau's
/// `garbage_collect_dataset`; see the module documentation for the exact rule), and the
/// temporary files of interrupted uploads under `<uuid>/`.
///
/// Works on datasets without partitions (plateau fails there with `StopIteration`), and on a
/// uuid whose metadata is gone (a killed first write or delete): then every file under
/// `<uuid>/` is an orphan. The factory's cache is refreshed, since gc must judge against
/// the current metadata. Only files at least [`GcOptions::min_age`] old are deleted.
///
/// # Errors
/// [`Error::DatasetNotFound`] if neither metadata nor any file of the uuid exists; store
/// errors. A failure part-way leaves the dataset intact: only unreferenced files are ever
/// deleted.
pub fn garbage_collect(factory: &DatasetFactory, options: &GcOptions) -> Result<GcReport> {
    let uuid = factory.uuid().to_owned();
    naming::validate_uuid(&uuid)?;
    let store = factory.store();
    // List first, load second: see "Concurrency" in the module documentation.
    let prefix = format!("{uuid}/");
    let listed = store.list(&prefix)?;
    let interrupted = store.list_interrupted(&prefix)?;
    factory.invalidate();
    let candidates: Vec<&StoreObject> = match factory.metadata() {
        Ok(metadata) => garbage(&metadata, &listed).collect(),
        Err(Error::DatasetNotFound { .. }) if !listed.is_empty() || !interrupted.is_empty() => {
            listed.iter().collect()
        }
        Err(e) => return Err(e),
    };
    let (garbage, kept_young) =
        split_by_age(candidates.into_iter().chain(&interrupted), options.min_age);
    if !options.dry_run {
        delete_keys(store, &garbage)?;
    }
    Ok(GcReport {
        files: garbage,
        kept_young,
    })
}

/// The keys of `objects` old enough to delete (sorted), and how many were too young.
fn split_by_age<'a>(
    objects: impl Iterator<Item = &'a StoreObject>,
    min_age: Duration,
) -> (Vec<String>, usize) {
    let now = SystemTime::now();
    let mut young = 0;
    let mut keys: Vec<String> = objects
        .filter(|object| {
            let old = old_enough(object, min_age, now);
            young += usize::from(!old);
            old
        })
        .map(|object| object.key.clone())
        .collect();
    keys.sort();
    keys.dedup();
    (keys, young)
}

/// Deletes `keys`: interrupted uploads through [`Store::delete_interrupted`], the rest
/// through [`Store::delete_many`].
pub fn delete_keys(store: &Store, keys: &[String]) -> Result<()> {
    let (temporary, stored): (Vec<&String>, Vec<&String>) =
        keys.iter().partition(|key| is_interrupted_upload(key));
    for key in temporary {
        store.delete_interrupted(key)?;
    }
    let stored: Vec<String> = stored.into_iter().cloned().collect();
    store.delete_many(&stored)
}

/// Whether a key is an interrupted upload's temporary file (`<name>#<digits>`), which plateau
/// keys never are.
pub fn is_interrupted_upload(key: &str) -> bool {
    let name = key.rsplit('/').next().unwrap_or(key);
    name.rsplit_once('#').is_some_and(|(base, suffix)| {
        !base.is_empty() && !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit())
    })
}

/// The unreferenced objects among `listed` (all keys under `<uuid>/`), in key order.
fn garbage<'a>(
    metadata: &DatasetMetadata,
    listed: &'a [StoreObject],
) -> impl Iterator<Item = &'a StoreObject> + 'a {
    let uuid = &metadata.uuid;
    let indices_prefix = naming::indices_prefix(uuid);
    let mut keep: BTreeSet<String> = metadata
        .indices
        .values()
        .filter_map(|entry| entry.storage_key().map(str::to_owned))
        .collect();
    // Table files are only judged for explicit datasets: an implicit dataset's partitions
    // are whatever the listing holds.
    let table_prefix = metadata
        .explicit_partitions
        .then(|| naming::table_prefix(uuid, &metadata.table_name));
    if table_prefix.is_some() {
        keep.extend(metadata.partitions.values().map(|p| p.file.clone()));
        keep.insert(naming::common_metadata_key(uuid, &metadata.table_name));
    }
    listed.iter().filter(move |object| {
        let in_scope = object.key.starts_with(&indices_prefix)
            || table_prefix
                .as_ref()
                .is_some_and(|prefix| object.key.starts_with(prefix.as_str()));
        in_scope && !keep.contains(&object.key)
    })
}

/// Whether `object` is at least `min_age` old. A modification time in the future (clock
/// skew between writer and store) counts as young unless there is no minimum age: when in
/// doubt, keep the file.
fn old_enough(object: &StoreObject, min_age: Duration, now: SystemTime) -> bool {
    if min_age.is_zero() {
        return true;
    }
    let modified: SystemTime = object.last_modified.into();
    now.duration_since(modified).is_ok_and(|age| age >= min_age)
}

/// Deletes a dataset: its metadata file(s) (JSON and msgpack), index files, partition files,
/// `_common_metadata`, and everything else gc would consider the dataset's (every key under
/// `<uuid>/indices/` and `<uuid>/<table>/`, also for implicit datasets) — plateau's
/// `delete_dataset`, which runs gc first for the same effect.
///
/// The metadata goes first, so a crash leaves either the complete dataset or none (see the
/// module documentation). Missing files are not errors; datasets without partitions are
/// fine. Only keys that belong to the dataset (`<uuid>/…` or `<uuid>.…`) are deleted, even if
/// the metadata names others; keys elsewhere under `<uuid>/` are left alone, as gc leaves
/// them. The factory's cache is dropped.
///
/// # Errors
/// [`Error::DatasetNotFound`] if neither metadata file exists; store errors.
pub fn delete_dataset(factory: &DatasetFactory) -> Result<()> {
    delete_dataset_with(factory, &DeleteOptions::default(), delete_keys).map(|_| ())
}

/// [`delete_dataset`] with options, and with the removal of the files (everything but the
/// metadata files, which are always deleted first) left to `delete_files` (normally
/// [`delete_keys`]), so a front end can fan it out. Returns the files deleted after the
/// metadata.
///
/// Beyond [`delete_dataset`]: interrupted uploads under the dataset's directories go too,
/// and a uuid whose metadata is gone (a killed first write or delete) has its orphan files
/// under `<uuid>/` removed — both only when at least [`DeleteOptions::min_age`] old, since a
/// writer may be about to commit them. Metadata that names keys no store can hold (such as
/// `..` segments) does not load ([`Error::Corrupt`]), so nothing is deleted then.
///
/// # Errors
/// [`Error::DatasetNotFound`] if neither metadata nor any file of the uuid exists; store
/// errors and those of `delete_files`.
pub fn delete_dataset_with(
    factory: &DatasetFactory,
    options: &DeleteOptions,
    delete_files: impl FnOnce(&Store, &[String]) -> Result<()>,
) -> Result<GcReport> {
    let uuid = factory.uuid().to_owned();
    naming::validate_uuid(&uuid)?;
    let store = factory.store();
    factory.invalidate();
    let loaded = factory.metadata();
    factory.invalidate();
    let metadata = match loaded {
        Ok(metadata) => metadata,
        Err(Error::DatasetNotFound { .. }) => {
            return delete_orphans(store, &uuid, options, delete_files)
        }
        Err(e) => return Err(e),
    };

    // Everything to delete, collected before the metadata disappears: the referenced files
    // first, then whatever else lies in the dataset's two directories.
    let mut files: Vec<String> = Vec::new();
    files.extend(
        metadata
            .indices
            .values()
            .filter_map(IndexEntry::storage_key)
            .map(str::to_owned),
    );
    files.extend(metadata.partitions.values().map(|p| p.file.clone()));
    files.push(naming::common_metadata_key(&uuid, &metadata.table_name));
    let dirs = [
        naming::indices_prefix(&uuid),
        naming::table_prefix(&uuid, &metadata.table_name),
    ];
    let mut interrupted = Vec::new();
    for dir in &dirs {
        files.extend(store.list_keys(dir)?);
        interrupted.extend(store.list_interrupted(dir)?);
    }
    let (interrupted, kept_young) = split_by_age(interrupted.iter(), options.min_age);
    files.extend(interrupted);
    let mut seen = BTreeSet::new();
    files.retain(|key| naming::is_dataset_key(&uuid, key) && seen.insert(key.clone()));

    // The shadowed file first, the one readers see last (reverse read order).
    for format in MetadataFormat::READ_ORDER.iter().rev() {
        store.delete(&naming::metadata_key(&uuid, *format))?;
    }
    delete_files(store, &files)?;
    files.sort();
    Ok(GcReport { files, kept_young })
}

/// The files under `<uuid>/` of a uuid without metadata, old enough to go.
fn delete_orphans(
    store: &Store,
    uuid: &str,
    options: &DeleteOptions,
    delete_files: impl FnOnce(&Store, &[String]) -> Result<()>,
) -> Result<GcReport> {
    let prefix = format!("{uuid}/");
    let listed = store.list(&prefix)?;
    let interrupted = store.list_interrupted(&prefix)?;
    if listed.is_empty() && interrupted.is_empty() {
        return Err(Error::DatasetNotFound {
            uuid: uuid.to_owned(),
        });
    }
    let (files, kept_young) = split_by_age(listed.iter().chain(&interrupted), options.min_age);
    delete_files(store, &files)?;
    Ok(GcReport { files, kept_young })
}

/// Builds secondary indices on `columns` for every partition of an existing dataset and
/// commits them (plateau's `build_dataset_indices`).
///
/// Only the requested columns are read. Existing indices of other columns are kept, an
/// existing index of a requested column is rebuilt from scratch. An implicit dataset with
/// partitions becomes explicit (as in plateau). The metadata is written in the dataset's own
/// format (plateau always writes JSON) with put-if-match on the version the factory read; the
/// factory's cache holds the result afterwards.
///
/// An index over a dataset without partitions is registered empty, so that later updates
/// maintain it. An empty `columns` changes nothing.
///
/// # Errors
/// * [`Error::InvalidInput`] when the dataset has no schema (`_common_metadata`), for a
///   partition column (plateau registers such an index silently), and for a column that is
///   not in the schema or not in a partition's file ("Column `abc` could not be found in the
///   partition `…` Please check for any typos and validate your dataset.");
/// * the type errors of [`Index::from_array`] (null-typed or nested columns);
/// * [`Error::CommitConflict`] when the metadata changed since the factory read it: the new
///   index files are then unreferenced garbage and the dataset is unchanged.
pub fn build_indices(factory: &DatasetFactory, columns: &[String]) -> Result<DatasetMetadata> {
    let mut metadata = factory.metadata()?;
    if metadata.version.is_none() {
        // Cached metadata without a stored version cannot be compared-and-swapped.
        factory.invalidate();
        metadata = factory.metadata()?;
    }
    let columns: Vec<String> = {
        let mut seen = BTreeSet::new();
        columns
            .iter()
            .filter(|c| seen.insert(c.as_str()))
            .cloned()
            .collect()
    };
    if columns.is_empty() {
        return Ok((*metadata).clone());
    }
    let schema = metadata.schema.as_ref().ok_or_else(|| {
        Error::invalid_input("Dataset schema needs to be loaded for column selection.")
    })?;
    for column in &columns {
        naming::check_index_column(column)?;
        if metadata.partition_keys.contains(column) {
            return Err(Error::invalid_input(format!(
                "Cannot create secondary index on partition columns: {{'{column}'}}"
            )));
        }
        if schema.field(column).is_none() {
            return Err(column_not_found(
                column,
                metadata.partitions.keys().next().map(String::as_str),
                &metadata.uuid,
            ));
        }
    }

    let built = build_merged(factory.store(), &metadata, &columns)?;
    commit_indices(factory, &metadata, built)
}

/// Writes freshly built indices under new keys and commits metadata that references them
/// (compare-and-swap on the version `metadata` was read at, in the dataset's own format). The
/// last step of every front end's `build_dataset_indices`.
pub fn commit_indices(
    factory: &DatasetFactory,
    metadata: &DatasetMetadata,
    built: IndexMap<String, Index>,
) -> Result<DatasetMetadata> {
    let store = factory.store();
    let mut updated = metadata.clone();
    // plateau names index files by `datetime.now(UTC).isoformat()` (Python >= 3.11).
    let now = creation_time_now();
    for (column, index) in built {
        // A new key, written put-if-absent: the file the current metadata references is never
        // overwritten, so a lost commit leaves the dataset exactly as it was.
        let stored = crate::commit::store_index(store, &metadata.uuid, index, &now)?;
        let key = stored.storage_key().unwrap_or_default().to_owned();
        updated.indices.insert(
            column,
            IndexEntry {
                source: IndexSource::External(key),
                index: Some(stored),
            },
        );
    }
    // plateau writes `partitions` whenever there are any, and always `partition_keys`.
    updated.explicit_partitions = updated.explicit_partitions || !updated.partitions.is_empty();
    updated.partition_keys_stored = true;

    let bytes = codec::encode(&updated, updated.format)?;
    let key = updated.metadata_key();
    let version = metadata
        .version
        .clone()
        .ok_or_else(|| Error::CommitConflict {
            key: key.clone(),
            message: "the metadata has no stored version to compare against".into(),
        })?;
    updated.version = Some(store.put_if_match(&key, bytes.into(), &version)?);
    factory.set_metadata(updated.clone())?;
    Ok(updated)
}

/// One merged index per column: built per partition from the partition's file, then merged.
fn build_merged(
    store: &Store,
    metadata: &DatasetMetadata,
    columns: &[String],
) -> Result<IndexMap<String, Index>> {
    let schema = metadata.schema.as_ref().map(|s| s.schema().clone());
    let mut per_column: IndexMap<String, Vec<Index>> = columns
        .iter()
        .map(|c| (c.clone(), Vec::with_capacity(metadata.partitions.len())))
        .collect();
    for (label, partition) in &metadata.partitions {
        let mut options = FileReadOptions::new().columns(columns.iter().cloned());
        if !partition.file.ends_with(naming::PARQUET_SUFFIX) {
            if let Some(schema) = &schema {
                options = options.schema(text_file_schema(store, &partition.file, schema)?);
            }
        }
        let batch = plateau_serialization::restore(store, &partition.file, &options).map_err(
            |e| match e {
                Error::ColumnNotFound { columns } => partition_lacks_column(
                    columns.first().map_or("", String::as_str),
                    label,
                    &partition.file,
                ),
                other => other,
            },
        )?;
        for (column, indices) in per_column.iter_mut() {
            let array = batch
                .column_by_name(column)
                .ok_or_else(|| partition_lacks_column(column, label, &partition.file))?;
            indices.push(Index::from_array(column, array.as_ref(), label)?);
        }
    }
    let mut merged = IndexMap::new();
    for (column, indices) in per_column {
        let index = match Index::merge_all(indices)? {
            Some(index) => index,
            None => {
                let data_type = metadata
                    .schema
                    .as_ref()
                    .and_then(|s| s.field(&column).map(|f| f.data_type().clone()))
                    .ok_or_else(|| column_not_found(&column, None, &metadata.uuid))?;
                Index::empty(&column, IndexKind::Secondary, &data_type)?
            }
        };
        merged.insert(column, index);
    }
    Ok(merged)
}

/// The schema to parse a text (CSV) data file with: the file's columns in the file's order,
/// typed as the dataset schema says (the CSV reader maps a schema by position, and inferred
/// types would not match the dataset's, e.g. `"01"` read as the integer 1). Columns the
/// dataset schema does not know keep their inferred type.
fn text_file_schema(store: &Store, key: &str, dataset: &SchemaRef) -> Result<SchemaRef> {
    let inferred = plateau_serialization::restore(store, key, &FileReadOptions::new())?;
    let fields: Vec<FieldRef> = inferred
        .schema()
        .fields()
        .iter()
        .map(|field| {
            match dataset.field_with_name(field.name()) {
                // The CSV reader parses no large or dictionary strings; the index normalises
                // every string type to the same keys anyway.
                Ok(typed) => Arc::new(typed.clone().with_data_type(match typed.data_type() {
                    DataType::LargeUtf8 | DataType::Utf8View => DataType::Utf8,
                    DataType::Dictionary(_, values) => values.as_ref().clone(),
                    other => other.clone(),
                })),
                Err(_) => Arc::clone(field),
            }
        })
        .collect();
    Ok(Arc::new(Schema::new(fields)))
}

/// The error for a partition file that lacks a column the dataset schema has (plateau's
/// message, as [`Error::Corrupt`] of the file: the schema promised the column).
pub fn partition_lacks_column(column: &str, label: &str, file: &str) -> Error {
    Error::corrupt(
        file,
        format!(
            "Column `{column}` could not be found in the partition `{label}` Please check for \
             any typos and validate your dataset."
        ),
    )
}

/// plateau's error for an index column that a partition does not have.
fn column_not_found(column: &str, label: Option<&str>, uuid: &str) -> Error {
    match label {
        Some(label) => Error::invalid_input(format!(
            "Column `{column}` could not be found in the partition `{label}` Please check for \
             any typos and validate your dataset."
        )),
        None => Error::invalid_input(format!(
            "Column `{column}` could not be found in the schema of dataset `{uuid}` Please \
             check for any typos and validate your dataset."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn future_modification_times_are_young() {
        let object = StoreObject {
            key: "k".into(),
            size: 0,
            last_modified: (SystemTime::now() + Duration::from_secs(60)).into(),
            version: Default::default(),
        };
        assert!(!old_enough(
            &object,
            Duration::from_nanos(1),
            SystemTime::now()
        ));
        assert!(old_enough(&object, Duration::ZERO, SystemTime::now()));
    }
}
