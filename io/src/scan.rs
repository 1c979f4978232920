//! Scans: planning once into a [`ScanPlan`] (data), then reading its [`ScanTask`]s with many
//! files in flight.
//!
//! [`plan_scan`] loads the metadata, `_common_metadata` and what the predicates and
//! `dispatch_by` need of the indices (a `dispatch_by` index whole; of a secondary index that
//! only prunes, the keys its literals select; partition keys come from the labels), validates
//! the options, prunes partitions, and for every surviving
//! partition types its values from the label and evaluates the partition-key part of each
//! conjunction once: what is left is the task's residual `filter` on file columns, or the
//! partition is dropped at planning time. Nothing is planned again while reading.
//!
//! [`read_tasks`] (async) fetches the tasks' files concurrently, at most
//! [`ScanOptions::files_in_flight`] at a time, each with one footer request by suffix range
//! and one coalesced request for its column chunks (no `HEAD`), and decodes each on tokio's
//! blocking pool, off the I/O runtime. Batches come out in task order.
//!
//! [`scan`] is the public async entry point: a stream of batches that all have the plan's
//! `output_schema` (the `_common_metadata` types, categoricals dictionary-encoded, `columns`
//! order). [`ScanReader`] is the same as a blocking `RecordBatchReader`. See
//! [`plateau_core::runtime`] for the runtime contract.
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Int64Array, RecordBatch};
//! use futures::TryStreamExt;
//! use plateau_core::{Predicates, Store};
//! use plateau_io::read::ReadOptions;
//! use plateau_io::scan::{scan, ScanOptions};
//! use plateau_io::write::{store_dataset, StoreOptions};
//! use plateau_metadata::DatasetFactory;
//!
//! let store = Store::memory();
//! let batch = RecordBatch::try_from_iter([
//!     ("P", Arc::new(Int64Array::from(vec![1, 1, 2])) as _),
//!     ("x", Arc::new(Int64Array::from(vec![10, 20, 30])) as _),
//! ])
//! .unwrap();
//! store_dataset(&store, "demo", &[batch], &StoreOptions::default().partition_on(["P"])).unwrap();
//!
//! let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
//! let batches: Vec<RecordBatch> = runtime.block_on(async {
//!     let factory = DatasetFactory::new(store, "demo");
//!     let options = ReadOptions::default().predicates(Predicates::parse("x >= 20").unwrap());
//!     let stream = scan(&factory, &options, &ScanOptions::default()).await.unwrap();
//!     stream.try_collect().await.unwrap()
//! });
//! assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 2);
//! ```

use std::collections::{BTreeSet, HashMap};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use arrow::array::{Array, ArrayRef, RecordBatch, RecordBatchOptions, RecordBatchReader};
use arrow::compute::{cast, cast_with_options, CastOptions};
use arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef};
use arrow::error::ArrowError;
use futures::stream::{BoxStream, Stream, StreamExt};
use plateau_core::runtime::{self, AbortOnDrop};
use plateau_core::{Conjunction, Error, Literal, Predicates, Result, Scalar, Store};
use plateau_index::Index;
use plateau_metadata::labels::label_values;
use plateau_metadata::planning::{self, DispatchGroup};
use plateau_metadata::schema::{empty_batch, is_index_level_name};
use plateau_metadata::{DatasetFactory, DatasetMetadata};
use plateau_serialization::fetch;
use plateau_serialization::filter::{self, EvalOptions};
use serde::{Deserialize, Serialize};

use crate::read_options::{result_field, ReadOptions};

/// How a scan is executed (not what it reads: that is [`ReadOptions`]).
///
/// ```
/// use plateau_io::scan::ScanOptions;
///
/// let options = ScanOptions::default().files_in_flight(64);
/// assert_eq!(options.files_in_flight, 64);
/// assert_eq!(ScanOptions::default().files_in_flight, 32);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ScanOptions {
    /// How many data files are fetched and decoded at once. Default 32 (DataFusion's
    /// metadata fetch concurrency): on an object store with tens of milliseconds per
    /// request, a read costs about `files × 2 requests × latency ÷ files_in_flight`; memory
    /// holds up to this many files' decoded batches. Values below 1 count as 1.
    pub files_in_flight: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            files_in_flight: 32,
        }
    }
}

impl ScanOptions {
    /// Sets [`ScanOptions::files_in_flight`].
    pub fn files_in_flight(mut self, files: usize) -> Self {
        self.files_in_flight = files;
        self
    }
}

/// The typed value of one partition column of a task.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PartitionValue {
    /// The partition column.
    pub column: String,
    /// The value, decoded from the partition label.
    pub value: Scalar,
    /// The column's type in the dataset schema.
    pub data_type: DataType,
}

/// One data file to read: which rows and how to complete them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScanTask {
    /// The position of the task's group in [`ScanPlan::groups`].
    pub group: usize,
    /// The partition label.
    pub label: String,
    /// The data file's key.
    pub file: String,
    /// The partition's values, added to every batch as constant columns.
    pub partition_values: Vec<PartitionValue>,
    /// The rows to keep, on file columns only (the partition-key literals were decided at
    /// planning time). `None`: every row.
    pub filter: Option<Predicates>,
}

/// A planned `dispatch_by` group (one partition each without `dispatch_by`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScanGroup {
    /// `(column, ==, value)` for each `dispatch_by` column.
    pub conjunction: Vec<Literal>,
    /// The partitions of the group that can match, in metadata order, including those whose
    /// partition values ruled out every conjunction (they have no task).
    pub labels: Vec<String>,
}

/// A planned read: what to read from which files, and the schema of the result.
///
/// Plans are data: they serialize with serde (JSON, msgpack, ...), so one process can plan
/// and others read tasks ([`read_task`] with the deserialized plan). JSON cannot carry a NaN
/// literal (serde_json writes it as `null`); msgpack can.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScanPlan {
    /// The dataset's uuid.
    pub uuid: String,
    /// The schema of every batch [`scan`] yields: the `_common_metadata` types (categoricals
    /// dictionary-encoded), in schema order or `columns` order. Empty for a dataset without
    /// `_common_metadata`.
    pub output_schema: SchemaRef,
    /// The dataset's `_common_metadata` schema (empty without one).
    pub dataset_schema: SchemaRef,
    /// The dataset's partition columns.
    pub partition_keys: Vec<String>,
    /// What the read returns.
    pub options: ReadOptions,
    /// The planned groups.
    pub groups: Vec<ScanGroup>,
    /// One task per data file to read, grouped by [`ScanTask::group`] in group order.
    pub tasks: Vec<ScanTask>,
}

impl ScanPlan {
    /// The options a task's data file is read with: the requested file columns (partition
    /// columns are served from the label), the task's residual filter.
    pub fn file_read_options(&self, task: &ScanTask) -> plateau_serialization::ReadOptions {
        let keys = &self.partition_keys;
        let mut options = plateau_serialization::ReadOptions::default()
            .predicate_pushdown(self.options.predicate_pushdown_to_io)
            .categoricals(self.options.categoricals.iter().cloned());
        if let Some(columns) = &self.options.columns {
            options = options.columns(columns.iter().filter(|c| !keys.contains(c)).cloned());
        }
        if let Some(filter) = &task.filter {
            options = options.predicates(filter.clone());
        }
        options
    }
}

/// Validates `options` against the dataset, loads the indices the predicates and
/// `dispatch_by` need, and plans the read: the groups and the metadata they refer to.
///
/// Nothing but the metadata file, `_common_metadata` and the index files the read needs
/// (fetched together with `_common_metadata`) is read before validation passes, and the
/// index files are decoded after it.
///
/// # Errors
/// * [`Error::ColumnNotFound`] (names sorted) for `columns` or predicate columns the schema
///   lacks;
/// * [`Error::InvalidPredicate`] and [`Error::PredicateType`] for malformed predicates or values
///   that do not fit their column's type;
/// * [`Error::InvalidInput`] for `dispatch_by` columns without an index;
/// * [`Error::DatasetNotFound`] and the store and decoding errors of loading.
pub fn plan(
    factory: &DatasetFactory,
    options: &ReadOptions,
) -> Result<(Arc<DatasetMetadata>, Vec<DispatchGroup>)> {
    runtime::block_on_scoped(plan_async(factory, options))
}

/// Async [`plan`].
///
/// # Errors
/// As [`plan`].
pub async fn plan_async(
    factory: &DatasetFactory,
    options: &ReadOptions,
) -> Result<(Arc<DatasetMetadata>, Vec<DispatchGroup>)> {
    // The index files the read needs travel with `_common_metadata`; they are decoded only
    // after validation.
    let metadata = factory
        .metadata_prefetching_indices_async(|metadata| {
            planning::index_columns_needed(
                metadata,
                options.predicates.as_ref(),
                options.dispatch_by.as_deref(),
            )
        })
        .await?;
    validate(&metadata, options)?;
    let needed = planning::index_columns_needed(
        &metadata,
        options.predicates.as_ref(),
        options.dispatch_by.as_deref(),
    );
    let dispatch_by = options.dispatch_by.as_deref().unwrap_or_default();
    let mut full: Vec<&str> = Vec::new();
    let mut partial: Vec<(&str, (String, bytes::Bytes))> = Vec::new();
    for column in &needed {
        // An index that only prunes is not loaded whole: planning reads a partition key's
        // values from the labels, and a secondary index file is decoded for the predicates'
        // literals alone. `dispatch_by` needs all of it.
        if !dispatch_by.contains(column) {
            if metadata.partition_keys.contains(column) {
                continue;
            }
            if let Some(file) = factory.index_file_async(column).await? {
                partial.push((column, file));
                continue;
            }
        }
        full.push(column);
    }
    let metadata = if full.is_empty() {
        metadata
    } else {
        factory.load_indices_async(&full).await?
    };
    let decoded = decode_partial_indices(partial, options)?;
    let groups = planning::plan_with(
        &metadata,
        &decoded,
        options.predicates.as_ref(),
        options.dispatch_by.as_deref(),
    )?;
    let groups = match &options.predicates {
        Some(predicates) => groups_matching(groups, predicates, &dataset_schema(&metadata))?,
        None => groups,
    };
    Ok((metadata, groups))
}

/// The partial indices of the secondary index files in `files`: each restricted to the keys
/// its column's pruning literals select. A column without such literals gets none: its index
/// would not prune.
fn decode_partial_indices(
    files: Vec<(&str, (String, bytes::Bytes))>,
    options: &ReadOptions,
) -> Result<HashMap<String, Index>> {
    let mut decoded = HashMap::new();
    let Some(predicates) = &options.predicates else {
        return Ok(decoded);
    };
    for (column, (key, bytes)) in files {
        let literals = planning::pruning_literals(predicates, column);
        if literals.is_empty() {
            continue;
        }
        let index =
            Index::from_parquet_matching(column, bytes, &key, &literals, &EvalOptions::default())?;
        decoded.insert(column.to_owned(), index);
    }
    Ok(decoded)
}

/// Plans a read into data: [`plan`], then one [`ScanTask`] per partition that can match.
///
/// # Errors
/// The errors of [`plan`]; [`Error::InvalidInput`] for a partition column missing from the
/// schema.
pub fn plan_scan(factory: &DatasetFactory, options: &ReadOptions) -> Result<ScanPlan> {
    runtime::block_on_scoped(plan_scan_async(factory, options))
}

/// Async [`plan_scan`].
///
/// # Errors
/// As [`plan_scan`].
pub async fn plan_scan_async(factory: &DatasetFactory, options: &ReadOptions) -> Result<ScanPlan> {
    let (metadata, groups) = plan_async(factory, options).await?;
    scan_plan_of(&metadata, &groups, options)
}

/// The [`ScanPlan`] of already planned `groups` of `metadata`.
///
/// # Errors
/// [`Error::InvalidInput`] for a label that is not a partition of the dataset or a partition
/// column missing from the schema; predicate errors.
pub fn scan_plan_of(
    metadata: &DatasetMetadata,
    groups: &[DispatchGroup],
    options: &ReadOptions,
) -> Result<ScanPlan> {
    let schema = Arc::new(dataset_schema(metadata));
    let output_schema = output_schema(metadata, &schema, options)?;
    let mut tasks = Vec::new();
    let mut scan_groups = Vec::with_capacity(groups.len());
    for (position, group) in groups.iter().enumerate() {
        let conjunctions = group_conjunctions(group, options);
        for label in &group.labels {
            if let Some(task) =
                plan_task(metadata, &schema, position, label, conjunctions.as_deref())?
            {
                tasks.push(task);
            }
        }
        scan_groups.push(ScanGroup {
            conjunction: group.conjunction.clone(),
            labels: group.labels.clone(),
        });
    }
    Ok(ScanPlan {
        uuid: metadata.uuid.clone(),
        output_schema,
        dataset_schema: schema,
        partition_keys: metadata.partition_keys.clone(),
        options: options.clone(),
        groups: scan_groups,
        tasks,
    })
}

/// The schema of a read's result: the dataset schema's columns (or the requested ones) with
/// their result types; no columns for a dataset without `_common_metadata` and without
/// requested columns.
pub(crate) fn output_schema(
    metadata: &DatasetMetadata,
    schema: &Schema,
    options: &ReadOptions,
) -> Result<SchemaRef> {
    if metadata.schema.is_none() && options.columns.as_ref().is_none_or(Vec::is_empty) {
        return Ok(Arc::new(Schema::empty()));
    }
    let template = empty_batch(schema, options.columns.as_deref())?;
    let fields: Vec<FieldRef> = template
        .schema_ref()
        .fields()
        .iter()
        .map(|f| Arc::new(result_field(f, options)))
        .collect();
    Ok(Arc::new(Schema::new(fields)))
}

/// The dataset schema, or an empty one for a dataset without `_common_metadata`.
pub(crate) fn dataset_schema(metadata: &DatasetMetadata) -> Schema {
    metadata
        .schema
        .as_ref()
        .map(|s| s.schema().as_ref().clone())
        .unwrap_or_else(Schema::empty)
}

/// The checks that need no data: columns, predicates, dispatch columns.
fn validate(metadata: &DatasetMetadata, options: &ReadOptions) -> Result<()> {
    let schema = dataset_schema(metadata);
    if let Some(columns) = &options.columns {
        let missing: BTreeSet<&String> = columns
            .iter()
            .filter(|c| schema.index_of(c).is_err())
            .collect();
        if !missing.is_empty() {
            return Err(Error::ColumnNotFound {
                columns: missing.into_iter().cloned().collect(),
            });
        }
    }
    if let Some(predicates) = &options.predicates {
        predicates.validate()?;
        // Load-time semantics (strict date types): what plateau would raise when it reads.
        filter::check_types(&schema, predicates, &EvalOptions::default())?;
    }
    if let Some(dispatch_by) = &options.dispatch_by {
        let indexed = metadata.index_columns();
        if dispatch_by.iter().any(|c| !indexed.contains(&c.as_str())) {
            return Err(Error::invalid_input(format!(
                "Dispatch columns must be indexed.\nRequested index: {dispatch_by:?} but available index columns: {indexed:?}"
            )));
        }
    }
    Ok(())
}

/// Drops the `dispatch_by` groups whose values no conjunction accepts: plateau filters the
/// index values of every scanned column by the conjunction's literals before grouping, so
/// `dispatch_by=["C"]` with `C == 1` gives the group `C = 1` only, although the surviving
/// partitions also hold other values of `C` (reference §4.3, `test_read_dispatch_by_with_predicates`).
fn groups_matching(
    groups: Vec<DispatchGroup>,
    predicates: &Predicates,
    schema: &Schema,
) -> Result<Vec<DispatchGroup>> {
    // Planning semantics: a date may be compared with a timestamp index.
    let options = EvalOptions::default().strict_date_types(false);
    let mut kept = Vec::with_capacity(groups.len());
    for group in groups {
        if group.conjunction.is_empty() {
            kept.push(group);
            continue;
        }
        let values: Vec<PartitionValue> = group
            .conjunction
            .iter()
            .filter_map(|literal| {
                let value = literal.value.as_scalar()?.clone();
                let data_type = schema
                    .field_with_name(&literal.column)
                    .map(|f| f.data_type().clone())
                    .unwrap_or_else(|_| value.data_type());
                Some(PartitionValue {
                    column: literal.column.clone(),
                    value,
                    data_type,
                })
            })
            .collect();
        let batch = constant_batch(&values, 1)?;
        let mut accepted = false;
        for conjunction in &predicates.conjunctions {
            let on_group: Vec<Literal> = conjunction
                .literals
                .iter()
                .filter(|l| values.iter().any(|v| v.column == l.column))
                .cloned()
                .collect();
            if on_group.is_empty()
                || filter::evaluate(
                    &batch,
                    &Predicates::all(Conjunction::from(on_group)),
                    &options,
                )?
                .value(0)
            {
                accepted = true;
                break;
            }
        }
        if accepted {
            kept.push(group);
        }
    }
    Ok(kept)
}

/// The predicates a group's partitions must satisfy: the user's, with the group's
/// `dispatch_by` literals ANDed into every conjunction; `None` for no filtering.
fn group_conjunctions(group: &DispatchGroup, options: &ReadOptions) -> Option<Vec<Conjunction>> {
    match &options.predicates {
        Some(predicates) => Some(predicates.and_all(&group.conjunction).conjunctions),
        None if group.conjunction.is_empty() => None,
        None => Some(vec![Conjunction::from(group.conjunction.clone())]),
    }
}

/// What a partition's key values leave of the predicates.
enum ContentFilter {
    /// No conjunction can match: skip the partition.
    Skip,
    /// Read every row.
    All,
    /// Read the rows matching these (content-only) predicates.
    Rows(Predicates),
}

/// Splits each conjunction into partition-key and content literals, evaluates the key part
/// on the partition's values and keeps the content parts of the conjunctions that hold.
fn content_filter(
    conjunctions: &[Conjunction],
    partition_keys: &[String],
    key_batch: &RecordBatch,
) -> Result<ContentFilter> {
    let options = EvalOptions::default();
    let mut remaining: Vec<Conjunction> = Vec::new();
    for conjunction in conjunctions {
        let (keys, content): (Vec<&Literal>, Vec<&Literal>) = conjunction
            .literals
            .iter()
            .partition(|l| partition_keys.contains(&l.column));
        if !keys.is_empty() {
            let key_part = Predicates::all(Conjunction::from(
                keys.into_iter().cloned().collect::<Vec<_>>(),
            ));
            if !filter::evaluate(key_batch, &key_part, &options)?.value(0) {
                continue;
            }
        }
        if content.is_empty() {
            return Ok(ContentFilter::All);
        }
        remaining.push(Conjunction::from(
            content.into_iter().cloned().collect::<Vec<_>>(),
        ));
    }
    Ok(if remaining.is_empty() {
        ContentFilter::Skip
    } else {
        ContentFilter::Rows(Predicates::new(remaining))
    })
}

/// The task of one partition: `None` if its partition values rule out every conjunction.
fn plan_task(
    metadata: &DatasetMetadata,
    schema: &Schema,
    group: usize,
    label: &str,
    conjunctions: Option<&[Conjunction]>,
) -> Result<Option<ScanTask>> {
    let partition = metadata.partitions.get(label).ok_or_else(|| {
        Error::invalid_input(format!(
            "partition `{label}` is not part of dataset `{}`",
            metadata.uuid
        ))
    })?;
    let keys = &metadata.partition_keys;
    let values: Vec<PartitionValue> = if keys.is_empty() {
        Vec::new()
    } else {
        label_values(metadata, label)?
            .into_iter()
            .map(|(column, value)| {
                let data_type = schema
                    .field_with_name(&column)
                    .map(|f| f.data_type().clone())
                    .map_err(|_| {
                        Error::invalid_input(format!(
                            "Cannot find type information for partition column \"{column}\" in the schema of dataset `{}`",
                            metadata.uuid
                        ))
                    })?;
                Ok(PartitionValue {
                    column,
                    value,
                    data_type,
                })
            })
            .collect::<Result<_>>()?
    };
    let filter = match conjunctions {
        None => None,
        Some(conjunctions) => {
            let key_batch = constant_batch(&values, 1)?;
            match content_filter(conjunctions, keys, &key_batch)? {
                ContentFilter::Skip => return Ok(None),
                ContentFilter::All => None,
                ContentFilter::Rows(predicates) => Some(predicates),
            }
        }
    };
    Ok(Some(ScanTask {
        group,
        label: label.to_owned(),
        file: partition.file.clone(),
        partition_values: values,
        filter,
    }))
}

/// A batch of `rows` copies of the partition values, typed by the schema.
pub(crate) fn constant_batch(values: &[PartitionValue], rows: usize) -> Result<RecordBatch> {
    let mut fields = Vec::with_capacity(values.len());
    let mut columns = Vec::with_capacity(values.len());
    for value in values {
        fields.push(Field::new(
            value.column.as_str(),
            value.data_type.clone(),
            true,
        ));
        columns.push(value.value.to_array_of(&value.data_type, rows)?);
    }
    Ok(RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )?)
}

/// Reads one task's file: its rows with the data file's column types, partition columns
/// first (typed by the schema) unless `columns` orders them.
///
/// # Errors
/// Store, Parquet and predicate errors; [`Error::ColumnNotFound`] for a requested column the
/// file lacks; [`Error::Corrupt`] for a file lacking a column of the dataset schema.
pub async fn read_task(store: &Store, plan: &Arc<ScanPlan>, index: usize) -> Result<RecordBatch> {
    let fetched = fetch_task(store, plan, index).await?;
    decode_task(Arc::clone(plan), index, fetched).await
}

/// The bytes task `index` of `plan` needs (no decoding).
async fn fetch_task(store: &Store, plan: &ScanPlan, index: usize) -> Result<fetch::FetchedFile> {
    let task = plan
        .tasks
        .get(index)
        .ok_or_else(|| Error::invalid_input(format!("the scan plan has no task {index}")))?;
    fetch::fetch(store, &task.file, &plan.file_read_options(task)).await
}

/// Decodes a fetched task on tokio's blocking pool: CPU work, kept off the runtime's workers
/// so other files' I/O keeps flowing.
async fn decode_task(
    plan: Arc<ScanPlan>,
    index: usize,
    fetched: fetch::FetchedFile,
) -> Result<RecordBatch> {
    tokio::task::spawn_blocking(move || {
        let task = plan
            .tasks
            .get(index)
            .ok_or_else(|| Error::invalid_input(format!("the scan plan has no task {index}")))?;
        let data = fetched.decode(&plan.file_read_options(task))?;
        complete_task_batch(&plan, task, data)
    })
    .await
    .map_err(|e| Error::Io(std::io::Error::other(format!("decoding task failed: {e}"))))?
}

/// The tasks `indices` of `plan` in that order.
///
/// Two stages: up to [`ScanOptions::files_in_flight`] fetches run as tasks of the current
/// tokio runtime, and as many decodes as the machine has cores run on the blocking pool.
/// The fetch stage is driven by a task of its own, which hands fetched files to the decode
/// stage through a channel of `files_in_flight` places: a finished fetch is replaced at once,
/// not when a decoder is free, so the requests of a read stay `files_in_flight` deep while
/// decoding is busy. At most `2 × files_in_flight` files are in memory undecoded.
pub fn read_tasks(
    store: Store,
    plan: Arc<ScanPlan>,
    indices: Vec<usize>,
    options: &ScanOptions,
) -> BoxStream<'static, Result<RecordBatch>> {
    let decoders = std::thread::available_parallelism().map_or(2, usize::from);
    let in_flight = options.files_in_flight.max(1);
    let fetch_plan = Arc::clone(&plan);
    // Started on first poll: the caller may build the stream outside a runtime.
    let fetched = futures::stream::once(async move {
        let (sender, receiver) = tokio::sync::mpsc::channel(in_flight);
        let driver = AbortOnDrop::spawn(fetch_stage(store, fetch_plan, indices, in_flight, sender));
        // The stream owns the driver: dropping it stops the fetches.
        futures::stream::unfold((receiver, driver), |(mut receiver, driver)| async move {
            let item = receiver.recv().await?;
            Some((item, (receiver, driver)))
        })
    })
    .flatten();
    fetched
        .map(move |fetched| {
            let plan = Arc::clone(&plan);
            async move {
                let (index, fetched) = fetched?;
                decode_task(plan, index, fetched).await
            }
        })
        .buffered(decoders)
        .boxed()
}

/// Fetches the tasks `indices` of `plan`, `in_flight` at a time, and sends them on in order
/// until the first error or until the receiver is gone.
async fn fetch_stage(
    store: Store,
    plan: Arc<ScanPlan>,
    indices: Vec<usize>,
    in_flight: usize,
    sender: tokio::sync::mpsc::Sender<Result<(usize, fetch::FetchedFile)>>,
) {
    let mut fetches = futures::stream::iter(indices)
        .map(|index| {
            let store = store.clone();
            let plan = Arc::clone(&plan);
            let fetching =
                AbortOnDrop::spawn(async move { fetch_task(&store, &plan, index).await });
            async move { Ok::<_, Error>((index, fetching.await??)) }
        })
        .buffered(in_flight);
    while let Some(fetched) = fetches.next().await {
        let failed = fetched.is_err();
        if sender.send(fetched).await.is_err() || failed {
            return;
        }
    }
}

/// Reads the tasks `indices` of `plan` on the shared runtime, blocking once: their batches
/// in that order.
///
/// # Errors
/// The first error of [`read_task`].
pub fn read_tasks_blocking(
    store: &Store,
    plan: &Arc<ScanPlan>,
    indices: Vec<usize>,
    options: &ScanOptions,
) -> Result<Vec<RecordBatch>> {
    TaskReader::new(store, Arc::clone(plan), indices, options)?.collect()
}

/// A blocking iterator over the batches of [`read_tasks`] (data file types, before
/// [`conform`]), fetched ahead on the shared runtime while the caller consumes them. The
/// scan stops at the first error, and when the reader is dropped.
#[derive(Debug)]
pub struct TaskReader {
    receiver: tokio::sync::mpsc::Receiver<Result<RecordBatch>>,
}

impl TaskReader {
    /// Starts reading the tasks `indices` of `plan`.
    ///
    /// # Errors
    /// [`Error::Io`] if the shared runtime cannot be started.
    pub fn new(
        store: &Store,
        plan: Arc<ScanPlan>,
        indices: Vec<usize>,
        options: &ScanOptions,
    ) -> Result<Self> {
        let stream = read_tasks(store.clone(), plan, indices, options);
        Ok(Self {
            receiver: spawn_stream(stream, options.files_in_flight)?,
        })
    }
}

impl Iterator for TaskReader {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        // Not `blocking_recv`, which panics inside a runtime: the blocking API must not.
        futures::executor::block_on(self.receiver.recv())
    }
}

/// Drives `stream` on the shared runtime into a channel of `capacity` items.
fn spawn_stream(
    mut stream: BoxStream<'static, Result<RecordBatch>>,
    capacity: usize,
) -> Result<tokio::sync::mpsc::Receiver<Result<RecordBatch>>> {
    let (sender, receiver) = tokio::sync::mpsc::channel(capacity.max(1));
    runtime::handle()?.spawn(async move {
        while let Some(item) = stream.next().await {
            let failed = item.is_err();
            // A dropped receiver ends the scan.
            if sender.send(item).await.is_err() || failed {
                break;
            }
        }
    });
    Ok(receiver)
}

/// Adds the partition columns to a task's decoded file and checks the file holds the
/// dataset's columns.
fn complete_task_batch(plan: &ScanPlan, task: &ScanTask, data: RecordBatch) -> Result<RecordBatch> {
    let keys = &plan.partition_keys;
    let options = &plan.options;
    // Every partition file holds every column of the dataset schema (writers validate
    // that); a file without one was replaced or damaged, and filling it with nulls would
    // hide that.
    if options.columns.is_none() {
        if let Some(missing) = plan.dataset_schema.fields().iter().find(|field| {
            !keys.contains(field.name()) && data.column_by_name(field.name()).is_none()
        }) {
            return Err(Error::corrupt(
                &task.file,
                format!(
                    "the data file has no column `{}` of the dataset schema (columns: {})",
                    missing.name(),
                    data.schema_ref()
                        .fields()
                        .iter()
                        .map(|f| f.name().as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    let rows = data.num_rows();
    let mut fields: Vec<FieldRef> =
        Vec::with_capacity(task.partition_values.len() + data.num_columns());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(fields.capacity());
    let wanted = |name: &str| {
        options
            .columns
            .as_ref()
            .is_none_or(|columns| columns.iter().any(|c| c == name))
    };
    for value in &task.partition_values {
        if !wanted(&value.column) {
            continue;
        }
        let field = result_field(
            &Field::new(value.column.as_str(), value.data_type.clone(), true),
            options,
        );
        let array = value.value.to_array_of(&value.data_type, rows)?;
        let array = if array.data_type() == field.data_type() {
            array
        } else {
            cast(&array, field.data_type())?
        };
        fields.push(Arc::new(field));
        columns.push(array);
    }
    for (field, column) in data.schema_ref().fields().iter().zip(data.columns()) {
        // A file that still holds a partition column loses it to the label's value, and
        // pandas index columns the file's metadata did not name are dropped by their name.
        if keys.contains(field.name()) || is_index_level_name(field.name()) {
            continue;
        }
        fields.push(Arc::clone(field));
        columns.push(Arc::clone(column));
    }
    if let Some(requested) = &options.columns {
        let mut ordered_fields = Vec::with_capacity(requested.len());
        let mut ordered_columns = Vec::with_capacity(requested.len());
        for name in requested {
            let position = fields
                .iter()
                .position(|f| f.name() == name)
                .ok_or_else(|| Error::ColumnNotFound {
                    columns: vec![name.clone()],
                })?;
            ordered_fields.push(Arc::clone(&fields[position]));
            ordered_columns.push(Arc::clone(&columns[position]));
        }
        fields = ordered_fields;
        columns = ordered_columns;
    }
    Ok(RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )?)
}

/// `batch` with exactly the columns of `schema`, cast to their types (missing columns as
/// nulls). Casts fail on values the target cannot hold instead of turning them into nulls.
///
/// # Errors
/// [`Error::Arrow`] for a value the target type cannot hold.
pub fn conform(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    let rows = batch.num_rows();
    let columns = schema
        .fields()
        .iter()
        .map(|field| conform_column(batch, field))
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new_with_options(
        Arc::clone(schema),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )?)
}

/// The column `field` of [`conform`]`(batch, ..)`: `batch`'s column of that name cast to the
/// field's type (failing on values it cannot hold), or nulls when `batch` lacks it.
///
/// # Errors
/// [`Error::Arrow`] for a value the target type cannot hold.
pub(crate) fn conform_column(batch: &RecordBatch, field: &Field) -> Result<ArrayRef> {
    let cast_options = CastOptions {
        safe: false,
        ..Default::default()
    };
    Ok(match batch.column_by_name(field.name()) {
        Some(column) if column.data_type() == field.data_type() => Arc::clone(column),
        Some(column) => cast_with_options(column, field.data_type(), &cast_options)?,
        None => arrow::array::new_null_array(field.data_type(), batch.num_rows()),
    })
}

/// The batches of a scan, each with the stream's [`ScanStream::schema`].
pub struct ScanStream {
    schema: SchemaRef,
    inner: BoxStream<'static, Result<RecordBatch>>,
}

impl ScanStream {
    /// The schema of every batch ([`ScanPlan::output_schema`]).
    pub fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
}

impl Stream for ScanStream {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

impl std::fmt::Debug for ScanStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanStream")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

/// Executes `plan`: one batch per task, in task order, each cast to the plan's
/// `output_schema`. Tasks are fetched [`ScanOptions::files_in_flight`] at a time.
///
/// A timestamp beyond the nanosecond range (before 1677 or after 2262) in a file whose unit
/// is coarser is an error here, where [`crate::read::read_table`] keeps the coarser unit.
pub fn execute(store: &Store, plan: Arc<ScanPlan>, options: &ScanOptions) -> ScanStream {
    let schema = Arc::clone(&plan.output_schema);
    let target = Arc::clone(&schema);
    let indices = (0..plan.tasks.len()).collect();
    let inner = read_tasks(store.clone(), plan, indices, options)
        .map(move |batch| batch.and_then(|batch| conform(&batch, &target)))
        .boxed();
    ScanStream { schema, inner }
}

/// Plans and executes a scan of the factory's dataset: [`plan_scan_async`] (metadata,
/// `_common_metadata` and the index files the predicates need, loaded asynchronously and
/// cached in `factory`), then [`execute`].
///
/// # Errors
/// The errors of [`plan_scan`]; each item carries the errors of [`read_task`].
pub async fn scan(
    factory: &DatasetFactory,
    options: &ReadOptions,
    scan_options: &ScanOptions,
) -> Result<ScanStream> {
    let plan = plan_scan_async(factory, options).await?;
    Ok(execute(factory.store(), Arc::new(plan), scan_options))
}

/// A blocking [`RecordBatchReader`] over a scan: the batches of [`execute`], fetched ahead on
/// the shared runtime (up to [`ScanOptions::files_in_flight`] files) while the caller
/// consumes them.
pub struct ScanReader {
    schema: SchemaRef,
    receiver: tokio::sync::mpsc::Receiver<Result<RecordBatch>>,
}

impl ScanReader {
    /// Starts reading `plan`.
    ///
    /// # Errors
    /// [`Error::Io`] if the shared runtime cannot be started.
    pub fn new(store: &Store, plan: Arc<ScanPlan>, options: &ScanOptions) -> Result<Self> {
        let stream = execute(store, plan, options);
        let schema = stream.schema();
        Ok(Self {
            schema,
            receiver: spawn_stream(stream.inner, options.files_in_flight)?,
        })
    }
}

impl std::fmt::Debug for ScanReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanReader")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

impl Iterator for ScanReader {
    type Item = std::result::Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        // Not `blocking_recv`, which panics inside a runtime: the blocking API must not.
        futures::executor::block_on(self.receiver.recv())
            .map(|item| item.map_err(|e| ArrowError::ExternalError(Box::new(e))))
    }
}

impl RecordBatchReader for ScanReader {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
}
