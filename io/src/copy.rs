//! Copying a dataset to another store, or under another uuid (kartothek's `copy_dataset`).
//!
//! Data files, index files and `_common_metadata` are copied first, each verified by size;
//! the metadata file is written last, with put-if-absent, so a reader of the target sees the
//! whole dataset or none of it, and an existing dataset there is never overwritten. The
//! source is read from one version of its metadata file, so a concurrent update of the
//! source cannot mix two versions into the copy. A copy that fails leaves at most orphan
//! files in the target, which gc and delete remove.

use plateau_core::naming::{self, MetadataFormat};
use plateau_core::{Error, Result, Store};
use plateau_metadata::codec;
use plateau_metadata::dataset::IndexSource;
use plateau_metadata::DatasetMetadata;

/// Options of [`copy_dataset`]. Default: the same uuid in the target.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct CopyOptions {
    /// The uuid of the copy. `None` (the default): the source's uuid.
    pub target_uuid: Option<String>,
}

impl CopyOptions {
    /// Options with defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`CopyOptions::target_uuid`].
    pub fn target_uuid(mut self, uuid: impl Into<String>) -> Self {
        self.target_uuid = Some(uuid.into());
        self
    }
}

/// What [`copy_dataset`] copied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CopyReport {
    /// Objects written, the metadata file included.
    pub files: usize,
    /// Bytes written.
    pub bytes: u64,
}

/// Copies dataset `uuid` of `source` to `target` (see the module documentation).
///
/// # Errors
/// [`Error::DatasetNotFound`] if `source` has no such dataset; [`Error::DatasetExists`] if the
/// target uuid has a metadata file in `target` (checked before anything is written, and again
/// by the final put-if-absent); [`Error::InvalidUuid`] for a bad target uuid;
/// [`Error::Unsupported`] for an implicit dataset (its partitions are found by listing);
/// [`Error::Corrupt`] for a metadata file naming keys outside the dataset, or a copied file
/// whose size differs; store errors.
pub fn copy_dataset(
    source: &Store,
    uuid: &str,
    target: &Store,
    options: &CopyOptions,
) -> Result<CopyReport> {
    naming::validate_uuid(uuid)?;
    let target_uuid = options.target_uuid.as_deref().unwrap_or(uuid);
    naming::validate_uuid(target_uuid)?;
    let (format, raw) = read_metadata_file(source, uuid)?;
    let metadata_key = naming::metadata_key(uuid, format);
    let metadata = codec::decode(&raw, format, &metadata_key)?;
    if metadata.uuid != uuid {
        return Err(Error::corrupt(
            &metadata_key,
            format!("holds dataset `{}`", metadata.uuid),
        ));
    }
    if !metadata.explicit_partitions {
        return Err(Error::unsupported(format!(
            "copying dataset `{uuid}`: its partitions are not listed in its metadata (an \
             implicit dataset); rewrite it with plateau first"
        )));
    }
    for format in [MetadataFormat::Json, MetadataFormat::Msgpack] {
        if target.exists(&naming::metadata_key(target_uuid, format))? {
            return Err(Error::DatasetExists {
                uuid: target_uuid.to_owned(),
            });
        }
    }
    let files = dataset_files(&metadata, &metadata_key)?;
    let rename = |key: &str| format!("{target_uuid}{}", &key[uuid.len()..]);

    let mut report = CopyReport::default();
    for key in &files {
        let bytes = match source.get(key) {
            Ok(bytes) => bytes,
            // A dataset without a schema has no `_common_metadata`.
            Err(Error::NotFound { .. }) if key.ends_with("/_common_metadata") => continue,
            Err(e) => return Err(e),
        };
        let target_key = rename(key);
        let size = bytes.len() as u64;
        target.put(&target_key, bytes)?;
        let stored = target.head(&target_key)?.size;
        if stored != size {
            return Err(Error::corrupt(
                &target_key,
                format!("copied {size} bytes but the target holds {stored}"),
            ));
        }
        report.files += 1;
        report.bytes += size;
    }

    let target_metadata = if target_uuid == uuid {
        raw
    } else {
        codec::encode(&renamed(metadata, uuid, target_uuid), format)?
    };
    report.bytes += target_metadata.len() as u64;
    target
        .put_if_absent(
            &naming::metadata_key(target_uuid, format),
            target_metadata.into(),
        )
        .map_err(|e| match e {
            Error::CommitConflict { .. } => Error::DatasetExists {
                uuid: target_uuid.to_owned(),
            },
            other => other,
        })?;
    report.files += 1;
    Ok(report)
}

/// The metadata file of `uuid` and its format (JSON first, as plateau loads it).
fn read_metadata_file(store: &Store, uuid: &str) -> Result<(MetadataFormat, Vec<u8>)> {
    for format in [MetadataFormat::Json, MetadataFormat::Msgpack] {
        if let Some((bytes, _)) = store.get_opt(&naming::metadata_key(uuid, format))? {
            return Ok((format, bytes.to_vec()));
        }
    }
    Err(Error::DatasetNotFound {
        uuid: uuid.to_owned(),
    })
}

/// Every file the metadata references, `_common_metadata` included; each key must lie in the
/// dataset's directory.
fn dataset_files(metadata: &DatasetMetadata, metadata_key: &str) -> Result<Vec<String>> {
    let mut files = vec![naming::common_metadata_key(
        &metadata.uuid,
        &metadata.table_name,
    )];
    files.extend(metadata.partitions.values().map(|p| p.file.clone()));
    for entry in metadata.indices.values() {
        if let IndexSource::External(key) = &entry.source {
            files.push(key.clone());
        }
    }
    let directory = format!("{}/", metadata.uuid);
    for key in &files {
        naming::check_key(key)?;
        if !key.starts_with(&directory) {
            return Err(Error::corrupt(
                metadata_key,
                format!("names `{key}`, which lies outside the dataset's directory `{directory}`"),
            ));
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

/// `metadata` under `target_uuid`, every key moved into the new dataset directory.
fn renamed(mut metadata: DatasetMetadata, uuid: &str, target_uuid: &str) -> DatasetMetadata {
    let rename = |key: &str| format!("{target_uuid}{}", &key[uuid.len()..]);
    metadata.uuid = target_uuid.to_owned();
    for partition in metadata.partitions.values_mut() {
        partition.file = rename(&partition.file);
    }
    for entry in metadata.indices.values_mut() {
        if let IndexSource::External(key) = &mut entry.source {
            *key = rename(key);
        }
    }
    metadata
}
