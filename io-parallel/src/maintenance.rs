//! Garbage collection and deletion with the deletes issued in parallel chunks.
//!
//! Which files go is decided exactly as by the eager functions: gc asks
//! [`plateau_io::maintenance::garbage_collect`] for its dry-run list (the same listing-then-
//! loading rule), delete collects the same keys as [`plateau_io::maintenance::delete_dataset`]
//! and removes the metadata file(s) first, so a crash leaves either the whole dataset or none.
//! Only the file deletions, which dominate on object stores, are fanned out: chunks of
//! [`DELETE_CHUNK`] keys, one `delete_many` per chunk, on the pool of [`ParallelOptions`].
//!
//! [`build_indices`] reads the indexed columns of every partition and builds its
//! per-partition indices in parallel, then merges them in partition order and commits as
//! [`plateau_io::maintenance::build_indices`] does (same validation, same result).

use std::collections::BTreeSet;

use indexmap::IndexMap;
use plateau_core::naming::{self};
use plateau_core::{Error, Result, Store};
use plateau_index::{Index, IndexKind};
use plateau_io::maintenance::{
    delete_keys, partition_lacks_column, DeleteOptions, GcOptions, GcReport,
};
use plateau_metadata::{DatasetFactory, DatasetMetadata};
use plateau_serialization::ReadOptions as FileReadOptions;
use rayon::prelude::*;

use crate::progress::Step;
use crate::ParallelOptions;

/// Keys per `delete_many` call (one rayon task each).
pub const DELETE_CHUNK: usize = 64;

/// Removes the files the dataset's metadata no longer references (plateau's
/// `garbage_collect_dataset`), deleting in parallel chunks. The report lists the same files
/// as the eager function's.
///
/// # Errors
/// The errors of [`plateau_io::maintenance::garbage_collect`]. A failure part-way leaves the
/// dataset intact (only unreferenced files are deleted).
pub fn garbage_collect(
    factory: &DatasetFactory,
    options: &GcOptions,
    parallel: &ParallelOptions,
) -> Result<GcReport> {
    let report = plateau_io::maintenance::garbage_collect(factory, &options.clone().dry_run(true))?;
    if !options.dry_run {
        delete_chunked(factory.store(), &report.files, parallel)?;
    }
    Ok(report)
}

/// Deletes a dataset (plateau's `delete_dataset`): metadata first, then every file of the
/// dataset in parallel chunks. Drops the factory's cache.
///
/// # Errors
/// The errors of [`plateau_io::maintenance::delete_dataset`].
pub fn delete_dataset(factory: &DatasetFactory, parallel: &ParallelOptions) -> Result<()> {
    delete_dataset_with(factory, &DeleteOptions::default(), parallel).map(|_| ())
}

/// [`delete_dataset`] with options: also removes orphans of a uuid whose metadata is gone
/// and interrupted uploads, as [`plateau_io::maintenance::delete_dataset_with`] does, and
/// reports what went.
///
/// # Errors
/// The errors of [`plateau_io::maintenance::delete_dataset_with`].
pub fn delete_dataset_with(
    factory: &DatasetFactory,
    options: &DeleteOptions,
    parallel: &ParallelOptions,
) -> Result<GcReport> {
    plateau_io::maintenance::delete_dataset_with(factory, options, |store, files| {
        delete_chunked(store, files, parallel)
    })
}

/// `delete_many` on chunks of `keys` in parallel; the first failing chunk's error.
fn delete_chunked(store: &Store, keys: &[String], parallel: &ParallelOptions) -> Result<()> {
    parallel.begin(Step::DeleteFiles, keys.len());
    if keys.len() <= DELETE_CHUNK {
        delete_keys(store, keys)?;
        parallel.advance(keys.len());
        return Ok(());
    }
    let results: Vec<Result<()>> = parallel.install(|| {
        Ok(keys
            .par_chunks(DELETE_CHUNK)
            .map(|chunk| {
                delete_keys(store, chunk)?;
                parallel.advance(chunk.len());
                Ok(())
            })
            .collect())
    })?;
    results.into_iter().collect()
}

/// Builds secondary indices on `columns` (plateau's `build_dataset_indices`) with the
/// partitions read and indexed in parallel; the same validation, merge order, index files and
/// compare-and-swap commit as [`plateau_io::maintenance::build_indices`]. Datasets with
/// non-Parquet (CSV) data files are delegated to the eager function, which knows how to type
/// their columns.
///
/// # Errors
/// The errors of [`plateau_io::maintenance::build_indices`].
pub fn build_indices(
    factory: &DatasetFactory,
    columns: &[String],
    parallel: &ParallelOptions,
) -> Result<DatasetMetadata> {
    let mut metadata = factory.metadata()?;
    if metadata.version.is_none() {
        factory.invalidate();
        metadata = factory.metadata()?;
    }
    if metadata
        .partitions
        .values()
        .any(|p| !p.file.ends_with(naming::PARQUET_SUFFIX))
    {
        return plateau_io::maintenance::build_indices(factory, columns);
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

    let store = factory.store();
    let partitions: Vec<(&String, &String)> = metadata
        .partitions
        .iter()
        .map(|(label, p)| (label, &p.file))
        .collect();
    parallel.begin(Step::IndexPartitions, partitions.len());
    let built: Vec<Result<Vec<Index>>> = parallel.install(|| {
        Ok(partitions
            .par_iter()
            .map(|(label, file)| {
                let built = partition_indices(store, label, file, &columns);
                parallel.advance(1);
                built
            })
            .collect())
    })?;
    let mut per_column: Vec<Vec<Index>> = columns
        .iter()
        .map(|_| Vec::with_capacity(partitions.len()))
        .collect();
    for partition in built {
        for (i, index) in partition?.into_iter().enumerate() {
            per_column[i].push(index);
        }
    }
    let merged: Vec<Result<Index>> = parallel.install(|| {
        Ok(columns
            .par_iter()
            .zip(per_column)
            .map(|(column, indices)| match Index::merge_all(indices)? {
                Some(index) => Ok(index),
                None => {
                    let data_type = schema
                        .field(column)
                        .map(|f| f.data_type().clone())
                        .ok_or_else(|| column_not_found(column, None, &metadata.uuid))?;
                    Index::empty(column, IndexKind::Secondary, &data_type)
                }
            })
            .collect())
    })?;
    let built: IndexMap<String, Index> = columns
        .iter()
        .cloned()
        .zip(merged)
        .map(|(c, i)| i.map(|i| (c, i)))
        .collect::<Result<_>>()?;

    plateau_io::maintenance::commit_indices(factory, &metadata, built)
}

/// The indices of `columns` (in that order) for one partition.
fn partition_indices(
    store: &Store,
    label: &str,
    file: &str,
    columns: &[String],
) -> Result<Vec<Index>> {
    let options = FileReadOptions::new().columns(columns.iter().cloned());
    let batch = plateau_serialization::restore(store, file, &options).map_err(|e| match e {
        Error::ColumnNotFound { columns } => {
            partition_lacks_column(columns.first().map_or("", String::as_str), label, file)
        }
        other => other,
    })?;
    columns
        .iter()
        .map(|column| {
            let array = batch
                .column_by_name(column)
                .ok_or_else(|| partition_lacks_column(column, label, file))?;
            Index::from_array(column, array.as_ref(), label)
        })
        .collect()
}

/// plateau's error for an index column that a partition (or the schema) does not have.
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
