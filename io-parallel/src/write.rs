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
//! every batch (checked in parallel, no I/O) its partition columns, null keys, sort columns,
//! index columns and schema, then all schemas against each other and the stored
//! `_common_metadata`, and the shuffle's bucketing columns. Errors are those of the eager functions, and when several batches are
//! invalid the first one's (in input order) is reported.
//!
//! # Composition
//! The per-batch writer is [`plateau_io::write::plan_single_partition`] called with one
//! batch, whose files [`plateau_io::write::WritePlan::write`] writes one task each; a new dataset gets it through a factory holding the not-yet-stored metadata of the
//! new dataset, and is committed with [`plateau_io::commit::commit`] (put-if-absent or
//! overwrite compare-and-swap); an update is committed with
//! [`plateau_io::update::commit_dataset`] (compare-and-swap on the version the factory read).
//! A failure after writing started leaves unreferenced files (garbage for
//! `garbage_collect`) and no commit: the dataset is exactly as before.

use std::borrow::Cow;
use std::slice;
use std::sync::{Mutex, PoisonError};

use arrow::array::RecordBatch;
use plateau_core::naming::{self};
use plateau_core::upload::Uploader;
use plateau_core::{Error, Result, Store};
use plateau_io::commit::{self, CommitMode, CommitRequest, CommitTarget, NewDataset};
use plateau_io::update::{
    check_delete_scope_columns, commit_dataset, existing_indices_superset, matching_partitions,
    CommitOptions, MetadataMerger, UpdateOptions,
};
use plateau_io::write::{
    check_dataset_table, check_index_column, check_index_overlap, check_partition_on,
    check_table_name, creation_mode, plan_single_partition, sorted_unique, StoreOptions,
    WriteOptions, WritePlan, UPLOADS_IN_FLIGHT,
};
use plateau_io::{partition, MetaPartition};
use plateau_metadata::dataset::check_version;
use plateau_metadata::schema::{make_meta, validate_compatible, SchemaWrapper};
use plateau_metadata::{DatasetFactory, DatasetMetadata, DatasetMetadataBuilder};
use plateau_serialization::Serializer;
use rayon::prelude::*;

use crate::progress::Step;
use crate::shuffle::{self, Shuffle};
use crate::ParallelOptions;

/// What a new dataset is created with (shared by store and create-by-update).
struct Creation<'a> {
    uuid: &'a str,
    partition_on: Vec<String>,
    secondary_indices: &'a [String],
    sort_partitions_by: &'a [String],
    shuffle: Option<&'a Shuffle>,
    table_name: &'a str,
    serializer: &'a std::sync::Arc<dyn Serializer>,
    metadata_version: u64,
    format: naming::MetadataFormat,
    mode: CommitMode,
    metadata: &'a serde_json::Map<String, serde_json::Value>,
    metadata_merger: Option<&'a MetadataMerger>,
}

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
    naming::validate_uuid(uuid)?;
    check_version(options.metadata_version)?;
    check_table_name(&options.table_name)?;
    check_index_overlap(&options.partition_on, &options.secondary_indices)?;
    let mode = creation_mode(store, uuid, options.overwrite)?;
    if batches.is_empty() {
        return Err(no_data());
    }
    create(
        store,
        batches,
        Creation {
            uuid,
            partition_on: options.partition_on.clone(),
            secondary_indices: &options.secondary_indices,
            sort_partitions_by: &layout.sort_partitions_by,
            shuffle: layout.shuffle.as_ref(),
            table_name: &options.table_name,
            serializer: &options.serializer,
            metadata_version: options.metadata_version,
            format: options.metadata_format,
            mode,
            metadata: &options.metadata,
            metadata_merger: None,
        },
        parallel,
    )
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
    let uuid = factory.uuid();
    naming::validate_uuid(uuid)?;
    check_version(options.default_metadata_version)?;
    if !factory.exists()? {
        let partition_on = options.partition_on.clone().unwrap_or_default();
        check_table_name(&options.table_name)?;
        check_index_overlap(&partition_on, &options.secondary_indices)?;
        if batches.is_empty() {
            return Err(no_data());
        }
        let committed = create(
            factory.store(),
            batches,
            Creation {
                uuid,
                partition_on,
                secondary_indices: &options.secondary_indices,
                sort_partitions_by: &sort_partitions_by,
                shuffle: layout.shuffle.as_ref(),
                table_name: &options.table_name,
                serializer: &options.serializer,
                metadata_version: options.default_metadata_version,
                format: options.default_metadata_format,
                mode: CommitMode::Create,
                metadata: &options.metadata,
                metadata_merger: options.metadata_merger.as_ref(),
            },
            parallel,
        );
        return finish(factory, committed);
    }

    let metadata = factory.metadata()?;
    let partition_on = check_partition_on(&metadata, options.partition_on.as_deref())?;
    let table_name = check_dataset_table(&metadata, &options.table_name)?;
    let index_columns = existing_indices_superset(&metadata, &options.secondary_indices)?;
    check_delete_scope_columns(&metadata, &options.delete_scope)?;
    let schemas = parallel
        .install(|| check_batches(batches, &partition_on, &index_columns, &sort_partitions_by))?;
    if let Some(spec) = &layout.shuffle {
        shuffle::check(batches, spec)?;
    }
    let stored = commit::stored_schema(factory.store(), &metadata)?;
    let mut all: Vec<SchemaWrapper> = stored.into_iter().collect();
    all.extend(schemas);
    validate_compatible(&all, uuid)?;
    // Delete-scope values are checked against their columns' types now (the commit computes
    // the same labels again from the cached indices).
    matching_partitions(factory, &options.delete_scope)?;
    // Every index the commit changes is loaded now, so that an unreadable index file fails
    // the update before any data file is written.
    let index_columns: Vec<String> = factory.metadata()?.indices.keys().cloned().collect();
    factory.load_indices(&index_columns.iter().map(String::as_str).collect::<Vec<_>>())?;

    let write_options = WriteOptions {
        partition_on: Some(partition_on),
        secondary_indices: options.secondary_indices.clone(),
        sort_partitions_by,
        table_name,
        serializer: std::sync::Arc::clone(&options.serializer),
    };
    let shuffled = shuffled(batches, layout.shuffle.as_ref(), parallel)?;
    let partitions = write_all(factory, &shuffled, &write_options, parallel)?;
    if partitions.is_empty() {
        // Nothing was written (no batches, or only empty ones with `partition_on`): a
        // delete-only / metadata-only update, which the eager update commits as is.
        return plateau_io::update::update_dataset(factory, batches, options);
    }
    commit_dataset(
        factory,
        &partitions,
        &CommitOptions {
            delete_scope: options.delete_scope.clone(),
            metadata: options.metadata.clone(),
            metadata_merger: options.metadata_merger.clone(),
            partition_on: options.partition_on.clone(),
            secondary_indices: options.secondary_indices.clone(),
            retry: options.retry.clone(),
        },
    )
}

/// Validates, writes in parallel and commits a new dataset.
fn create(
    store: &Store,
    batches: &[RecordBatch],
    creation: Creation<'_>,
    parallel: &ParallelOptions,
) -> Result<DatasetMetadata> {
    let index_columns = sorted_unique(creation.secondary_indices);
    let schemas = parallel.install(|| {
        check_batches(
            batches,
            &creation.partition_on,
            &index_columns,
            creation.sort_partitions_by,
        )
    })?;
    let schema = validate_compatible(&schemas, creation.uuid)?;
    if let Some(spec) = creation.shuffle {
        shuffle::check(batches, spec)?;
    }

    // The writers see the new dataset through a factory caching its (not yet stored)
    // metadata: its keys, table and validated schema, no indices.
    let mut builder = DatasetMetadataBuilder::new(creation.uuid)
        .table_name(creation.table_name)
        .partition_keys(creation.partition_on.clone())
        .metadata_version(creation.metadata_version)
        .format(creation.format);
    if let Some(schema) = &schema {
        builder = builder.schema(schema.clone());
    }
    let factory = DatasetFactory::new(store.clone(), creation.uuid);
    factory.set_metadata(builder.build()?)?;
    let write_options = WriteOptions {
        partition_on: Some(creation.partition_on.clone()),
        secondary_indices: index_columns,
        sort_partitions_by: creation.sort_partitions_by.to_vec(),
        table_name: creation.table_name.to_owned(),
        serializer: std::sync::Arc::clone(creation.serializer),
    };
    let shuffled = shuffled(batches, creation.shuffle, parallel)?;
    let partitions = write_all(&factory, &shuffled, &write_options, parallel)?;
    commit::commit(
        store,
        CommitRequest {
            target: CommitTarget::New {
                dataset: NewDataset {
                    uuid: creation.uuid.to_owned(),
                    table_name: creation.table_name.to_owned(),
                    partition_keys: creation.partition_on,
                    metadata_version: creation.metadata_version,
                    format: creation.format,
                    explicit_partitions: true,
                },
                mode: creation.mode,
            },
            partitions: &partitions,
            removed: Vec::new(),
            schema,
            stored_schema: None,
            metadata: creation.metadata,
            metadata_merger: creation.metadata_merger,
            force_explicit: false,
            delete_scope: &[],
            retry: plateau_io::retry::RetryPolicy::none(),
        },
    )
}

/// The batches to write: the input, or its buckets.
fn shuffled<'a>(
    batches: &'a [RecordBatch],
    spec: Option<&Shuffle>,
    parallel: &ParallelOptions,
) -> Result<Cow<'a, [RecordBatch]>> {
    Ok(match spec {
        Some(spec) => Cow::Owned(shuffle::shuffle(batches, spec, parallel)?),
        None => Cow::Borrowed(batches),
    })
}

/// Writes every data file as one task: each batch is validated and split (in parallel),
/// then every partition of every batch is written and indexed in parallel, so one large
/// input batch with many partitions is spread over the pool too. The partitions come back in
/// input order (the eager order).
fn write_all(
    factory: &DatasetFactory,
    batches: &[RecordBatch],
    options: &WriteOptions,
    parallel: &ParallelOptions,
) -> Result<Vec<MetaPartition>> {
    let plans: Vec<Result<WritePlan>> = parallel.install(|| {
        Ok(batches
            .par_iter()
            .map(|batch| plan_single_partition(factory, slice::from_ref(batch), options))
            .collect())
    })?;
    let plans = plans.into_iter().collect::<Result<Vec<_>>>()?;
    let files: Vec<(&WritePlan, usize)> = plans
        .iter()
        .flat_map(|plan| (0..plan.len()).map(move |file| (plan, file)))
        .collect();
    parallel.begin(Step::WriteFiles, files.len());
    let store = factory.store();
    let serializer = options.serializer.as_ref();
    // Files are serialized in parallel and uploaded concurrently: a thread that finds
    // `UPLOADS_IN_FLIGHT` uploads running waits for the oldest, so memory holds at most that
    // many serialized files besides those being built.
    let uploader = Mutex::new(Uploader::new(store, UPLOADS_IN_FLIGHT));
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

/// The eager per-batch checks (no I/O), in parallel; the schema of each batch, or the first
/// error in input order.
fn check_batches(
    batches: &[RecordBatch],
    partition_on: &[String],
    index_columns: &[String],
    sort_partitions_by: &[String],
) -> Result<Vec<SchemaWrapper>> {
    let checked: Vec<Result<SchemaWrapper>> = batches
        .par_iter()
        .map(|batch| check_batch(batch, partition_on, index_columns, sort_partitions_by))
        .collect();
    checked.into_iter().collect()
}

/// One batch: partition columns, sort columns, null keys (by splitting), index columns, and
/// its normalised schema.
fn check_batch(
    batch: &RecordBatch,
    partition_on: &[String],
    index_columns: &[String],
    sort_partitions_by: &[String],
) -> Result<SchemaWrapper> {
    let schema = batch.schema();
    partition::check_partition_columns(&schema, partition_on)?;
    partition::check_sort_columns(&schema, sort_partitions_by)?;
    let base = naming::gen_uuid();
    let groups = if partition_on.is_empty() {
        Vec::new()
    } else {
        partition::split(batch, partition_on, &base)?
    };
    let data_columns = partition::data_columns(&schema, partition_on);
    if partition_on.is_empty() || !groups.is_empty() {
        let label = groups.first().map_or(base.as_str(), |g| g.label.as_str());
        for column in index_columns {
            check_index_column(batch, &data_columns, partition_on, column, label)?;
        }
    }
    make_meta(&schema, &base, partition_on)
}

// The small checks below mirror `pub(crate)` helpers of `plateau_io::write` /
// `plateau_io::update` (same messages), so that they run before anything is written.

fn no_data() -> Error {
    Error::invalid_input(
        "Cannot store empty datasets, partition_list must not be empty if in store mode.",
    )
}

/// Caches a committed result in the factory; after a lost race, drops the stale cache.
fn finish(factory: &DatasetFactory, committed: Result<DatasetMetadata>) -> Result<DatasetMetadata> {
    match committed {
        Ok(committed) => {
            factory.set_metadata(committed.clone())?;
            Ok(committed)
        }
        Err(err) => {
            if matches!(err, Error::CommitConflict { .. }) {
                factory.invalidate();
            }
            Err(err)
        }
    }
}
