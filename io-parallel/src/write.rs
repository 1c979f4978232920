//! Parallel writes from a collection of batches (plateau's `store_delayed_as_dataset` /
//! `update_dataset_from_ddf`): every input batch is one input frame, sorted by
//! `sort_partitions_by` and split by `partition_on` (one rayon task per batch), and every
//! resulting data file is written and indexed as one rayon task; the
//! metadata is committed ONCE at the end, with the partitions in input order, so the
//! committed dataset equals the eager one (up to the random base labels).
//!
//! With [`WriteLayout::shuffle`] (plateau's `shuffle=True, bucket_by, num_buckets`), the rows
//! of all input batches are first regrouped into at most `num_buckets` buckets by
//! [`crate::shuffle::shuffle`], and each bucket is written as one input frame: at most
//! `num_buckets` files per partition-key combination, rows with equal `bucket_by` values
//! never split across files.
//!
//! # Validation before the first byte
//! As the eager front end, everything that can be validated is validated before any file is
//! written: uuid, metadata version, table name, index overlap, whether the dataset exists,
//! partition keys, secondary indices and delete scope against an existing dataset, and for
//! every batch (checked in parallel, no I/O) its partition columns, null keys, sort columns
//! and index columns, then the shuffle's bucketing columns, then all schemas against each
//! other and the stored `_common_metadata`. Errors are those of the eager functions, and
//! when several batches are invalid the first one's (in input order) is reported.
//!
//! # Composition
//! Both writers drive one [`DatasetWriter`] transaction, as the eager ones do: its
//! constructor checks the options, [`DatasetWriter::plan`] validates and splits each input
//! batch (one rayon task per batch), [`DatasetWriter::accept`] checks the schemas, and
//! every data file is built with [`plateau_io::write::WritePlan::build`] as one rayon task
//! and uploaded while others are built; [`DatasetWriter::commit`] commits once (put-if-absent
//! or overwrite compare-and-swap for a new dataset, compare-and-swap on the version the
//! factory read for an update). A failure after writing started leaves unreferenced files
//! (garbage for `garbage_collect`) and no commit: the dataset is exactly as before.

use std::slice;
use std::sync::{Mutex, PoisonError};

use arrow::array::RecordBatch;
use plateau_core::upload::Uploader;
use plateau_core::{Error, Result, Store};
use plateau_io::update::UpdateOptions;
use plateau_io::write::{StoreOptions, WritePlan, UPLOADS_IN_FLIGHT};
use plateau_io::{DatasetWriter, MetaPartition};
use plateau_metadata::{DatasetFactory, DatasetMetadata};
use rayon::prelude::*;

use crate::progress::Step;
use crate::shuffle::{self, Shuffle};
use crate::ParallelOptions;

/// What the parallel writers do beyond the eager options: plateau's dask-only arguments of
/// `update_dataset_from_ddf` / `store_delayed_as_dataset`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteLayout {
    /// Sort every input batch (every bucket, when shuffling) by these columns before it is
    /// split (plateau's `sort_partitions_by`; its eager `store_dataframes_as_dataset` has no
    /// such argument). For updates, [`UpdateOptions::sort_partitions_by`] may give the same
    /// columns instead. Default: none.
    pub sort_partitions_by: Vec<String>,
    /// Regroup the input rows into buckets before writing (see the module documentation).
    /// Default: none, every input batch is written as it is.
    pub shuffle: Option<Shuffle>,
}

impl WriteLayout {
    /// Sets [`WriteLayout::sort_partitions_by`].
    pub fn sort_partitions_by(
        mut self,
        columns: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.sort_partitions_by = columns.into_iter().map(Into::into).collect();
        self
    }

    /// Sets [`WriteLayout::shuffle`]: `num_buckets` buckets by `bucket_by` (empty: all
    /// columns).
    pub fn shuffle(
        mut self,
        bucket_by: impl IntoIterator<Item = impl Into<String>>,
        num_buckets: usize,
    ) -> Self {
        self.shuffle = Some(Shuffle::new(bucket_by, num_buckets));
        self
    }
}

/// Writes a new dataset from `batches` in parallel (plateau's `store_dataframes_as_dataset`
/// / `store_delayed_as_dataset`), committing once at the end.
///
/// # Errors
/// The errors of [`plateau_io::write::store_dataset`], all before anything is written except
/// store errors and [`Error::CommitConflict`].
pub fn store_dataset(
    store: &Store,
    uuid: &str,
    batches: &[RecordBatch],
    options: &StoreOptions,
    parallel: &ParallelOptions,
) -> Result<DatasetMetadata> {
    store_dataset_with(
        store,
        uuid,
        batches,
        options,
        &WriteLayout::default(),
        parallel,
    )
}

/// [`store_dataset`] with the input sorted and/or shuffled as `layout` says.
///
/// # Errors
/// Those of [`store_dataset`]; [`Error::InvalidInput`] for sort columns a batch lacks and for
/// the errors of [`shuffle::check`], before anything is written.
pub fn store_dataset_with(
    store: &Store,
    uuid: &str,
    batches: &[RecordBatch],
    options: &StoreOptions,
    layout: &WriteLayout,
    parallel: &ParallelOptions,
) -> Result<DatasetMetadata> {
    let writer = DatasetWriter::create(store, uuid, options)?
        .sort_partitions_by(layout.sort_partitions_by.clone());
    writer.check_input_count(batches.len())?;
    write_and_commit(writer, batches, layout.shuffle.as_ref(), parallel)
}

/// Updates (or creates) the dataset of `factory` from `batches` in parallel (plateau's
/// `update_dataset_from_dataframes` / `update_dataset_from_ddf`): the batches are written in
/// parallel, then the new partitions, the delete scope and the metadata are committed in one
/// compare-and-swap commit. Refreshes the factory's cache.
///
/// # Errors
/// The errors of [`plateau_io::update::update_dataset`], all before anything is written
/// except store errors and [`Error::CommitConflict`].
pub fn update_dataset(
    factory: &DatasetFactory,
    batches: &[RecordBatch],
    options: &UpdateOptions,
    parallel: &ParallelOptions,
) -> Result<DatasetMetadata> {
    update_dataset_with(factory, batches, options, &WriteLayout::default(), parallel)
}

/// [`update_dataset`] with the input sorted and/or shuffled as `layout` says (plateau's
/// `update_dataset_from_ddf(..., shuffle=True, bucket_by=..., num_buckets=...)`).
///
/// # Errors
/// Those of [`update_dataset`]; [`Error::InvalidInput`] when `layout` and `options` give
/// different non-empty `sort_partitions_by`, and for the errors of [`shuffle::check`],
/// before anything is written.
pub fn update_dataset_with(
    factory: &DatasetFactory,
    batches: &[RecordBatch],
    options: &UpdateOptions,
    layout: &WriteLayout,
    parallel: &ParallelOptions,
) -> Result<DatasetMetadata> {
    let sort_partitions_by = match (
        options.sort_partitions_by.is_empty(),
        layout.sort_partitions_by.is_empty(),
    ) {
        (_, true) => options.sort_partitions_by.clone(),
        (true, false) => layout.sort_partitions_by.clone(),
        (false, false) if options.sort_partitions_by == layout.sort_partitions_by => {
            options.sort_partitions_by.clone()
        }
        (false, false) => {
            return Err(Error::invalid_input(format!(
                "sort_partitions_by is given twice, as [{}] and [{}]",
                options.sort_partitions_by.join(", "),
                layout.sort_partitions_by.join(", ")
            )))
        }
    };
    let writer = DatasetWriter::update(factory, options)?.sort_partitions_by(sort_partitions_by);
    writer.check_input_count(batches.len())?;
    write_and_commit(writer, batches, layout.shuffle.as_ref(), parallel)
}

/// Validates `batches` (each one rayon task; the first error in input order wins), writes
/// them — or, with `spec`, their buckets — one rayon task per data file, and commits once.
fn write_and_commit(
    mut writer: DatasetWriter<'_>,
    batches: &[RecordBatch],
    spec: Option<&Shuffle>,
    parallel: &ParallelOptions,
) -> Result<DatasetMetadata> {
    let plans = plan_all(&writer, batches, parallel)?;
    if let Some(spec) = spec {
        shuffle::check(batches, spec)?;
    }
    writer.accept(&plans)?;
    writer.begin()?;
    let plans = match spec {
        // The input plans only served validation (a batch is planned whole, so they were
        // sorted too); the buckets regroup the accepted rows, whose schemas were accepted
        // with the input, and are planned again.
        Some(spec) => {
            drop(plans);
            let buckets = shuffle::shuffle(batches, spec, parallel)?;
            plan_all(&writer, &buckets, parallel)?
        }
        None => plans,
    };
    parallel.begin(
        Step::WriteFiles,
        plans.iter().map(WritePlan::len).sum::<usize>(),
    );
    let written = write_all(&writer, &plans, parallel)?;
    writer.record_written(written);
    writer.commit()
}

/// One plan per batch, made in parallel; the first error in input order.
fn plan_all(
    writer: &DatasetWriter<'_>,
    batches: &[RecordBatch],
    parallel: &ParallelOptions,
) -> Result<Vec<WritePlan>> {
    let plans: Vec<Result<WritePlan>> = parallel.install(|| {
        Ok(batches
            .par_iter()
            .map(|batch| writer.plan(slice::from_ref(batch)))
            .collect())
    })?;
    plans.into_iter().collect()
}

/// Writes every data file of `plans` as one task, so one large input batch with many
/// partitions is spread over the pool too, advancing the current progress step by one per
/// file. The partitions come back in input order (the eager order).
pub(crate) fn write_all(
    writer: &DatasetWriter<'_>,
    plans: &[WritePlan],
    parallel: &ParallelOptions,
) -> Result<Vec<MetaPartition>> {
    let files: Vec<(&WritePlan, usize)> = plans
        .iter()
        .flat_map(|plan| (0..plan.len()).map(move |file| (plan, file)))
        .collect();
    let serializer = writer.serializer();
    // Files are serialized in parallel and uploaded concurrently: a thread that finds
    // `UPLOADS_IN_FLIGHT` uploads running waits for the oldest, so memory holds at most that
    // many serialized files besides those being built.
    let uploader = Mutex::new(Uploader::new(writer.store(), UPLOADS_IN_FLIGHT));
    let written: Vec<Result<MetaPartition>> = parallel.install(|| {
        Ok(files
            .par_iter()
            .map(|(plan, file)| {
                let built = plan.build(serializer, *file)?;
                uploader
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(built.key, built.bytes)?;
                parallel.advance(1);
                Ok(built.partition)
            })
            .collect())
    })?;
    let written = written.into_iter().collect::<Result<Vec<_>>>()?;
    uploader
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .finish()?;
    Ok(written)
}
