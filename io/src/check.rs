//! The checks every write makes before its first byte (DESIGN.md §5): uuid-independent option
//! checks (table name, index overlap), checks against an existing dataset's metadata
//! (partition keys, table, indices, delete-scope columns), checks of partitions written
//! elsewhere before they are committed, and whether a new dataset may be created.
//!
//! Each returns the error plateau raises for the same mistake (same type, same message), so
//! that the front ends and [`crate::transaction`] can call them in plateau's order.
//! [`crate::write`] and [`crate::update`] re-export the public ones under their old paths.

use std::collections::{BTreeSet, HashSet};

use arrow::array::RecordBatch;
use arrow::datatypes::DataType;
use plateau_core::naming::{self, MetadataFormat, DEFAULT_TABLE};
use plateau_core::runtime::block_on_scoped;
use plateau_core::store::ObjectVersion;
use plateau_core::{Error, Result, Store};
use plateau_index::normalize_index_type;
use plateau_metadata::DatasetMetadata;

use crate::commit::CommitMode;
use crate::metapartition::MetaPartition;
use crate::scope::DeleteScope;

/// The error of a write that creates a dataset from no input at all (plateau's message).
pub(crate) fn empty_input() -> Error {
    Error::invalid_input(
        "Cannot store empty datasets, partition_list must not be empty if in store mode.",
    )
}

/// How a new dataset's metadata file is committed: put-if-absent, or with `overwrite`
/// compare-and-swap against what exists now. Fails with [`Error::DatasetExists`] when the
/// dataset exists and `overwrite` is not set.
pub fn creation_mode(store: &Store, uuid: &str, overwrite: bool) -> Result<CommitMode> {
    block_on_scoped(creation_mode_async(store, uuid, overwrite))
}

/// Async [`creation_mode`]: both metadata keys are asked for at once.
///
/// # Errors
/// As [`creation_mode`].
pub async fn creation_mode_async(store: &Store, uuid: &str, overwrite: bool) -> Result<CommitMode> {
    let heads = MetadataFormat::READ_ORDER.map(|format| async move {
        match store.head_async(&naming::metadata_key(uuid, format)).await {
            Ok(object) => Ok(Some((format, object.version))),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    });
    let found: Vec<(MetadataFormat, ObjectVersion)> = futures::future::try_join_all(heads)
        .await?
        .into_iter()
        .flatten()
        .collect();
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

pub(crate) fn missing_index_column(column: &str, label: &str) -> Error {
    Error::invalid_input(format!(
        "Column `{column}` could not be found in the partition `{label}` Please check for any typos and validate your dataset."
    ))
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

/// Checks the committed partitions belong to this dataset: table, partition keys, file
/// location, unique labels.
pub(crate) fn check_committed_partitions(
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
pub(crate) fn check_committed_indices(
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
