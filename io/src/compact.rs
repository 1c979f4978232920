//! Compaction: fewer, larger data files for the same rows.
//!
//! Every update adds at least one file per partition-key combination it touches, so a dataset
//! fed by a daily or hourly pipeline collects many small files under each key, and reads pay
//! a footer and a request for each. Python plateau has no remedy; this is plateau's form of
//! delta-rs' `optimize`, iceberg's data-file rewrite and lance's compaction.
//!
//! # Planning
//!
//! [`plan_compaction`] decides, as data ([`CompactionPlan`], serde), what is merged. For every
//! partition-key combination (only those [`CompactOptions::predicates`] select, when given),
//! the Parquet data files smaller than [`CompactOptions::target`] are packed, in metadata
//! order, into bins: a bin closes once it reaches the target, so it stays below twice the
//! target; what is left at the end forms a last bin. A bin of one file is left alone (merging
//! it would rewrite it for nothing), as are files at or above the target and non-Parquet
//! (CSV) files. Sizes come from one listing of the table's files; a row target reads each
//! candidate's footer instead.
//!
//! # Execution
//!
//! [`execute_compaction`] reads each bin's rows with the dataset's types (partition values
//! included, files in label order; timestamps in the finest unit the bin's files store, so
//! Python's microseconds stay microseconds), sorts them by [`CompactOptions::sort_by`] if asked, and
//! writes them as one new partition with every secondary index of the dataset. Then it
//! commits once: an update that removes exactly the merged partitions and adds the new ones
//! (compare-and-swap, retried as [`CompactOptions::retry`] allows). A retry goes on only
//! while every merged partition is still in the dataset with the same file: appends that
//! landed meanwhile are kept, and anything that removed or replaced a merged partition (a
//! delete scope, another compaction) is reported as [`Error::CommitConflict`], with nothing
//! committed. The old files stay until garbage collection, so readers that loaded the old
//! metadata keep working.
//!
//! # Choices
//!
//! Python plateau has no compaction, so these are ours, made to keep Python readers and
//! writers working: the result is an ordinary update (new partitions with fresh labels,
//! indices rewritten, `_common_metadata` unchanged), which Python plateau 4.6.2 reads,
//! updates and garbage-collects like any other. The rows are the same multiset, but their
//! order within a partition-key combination changes (merged files come after the files that
//! were not merged, and `sort_by` reorders within a new file). `predicates` may only use
//! partition keys: compaction rewrites whole partitions, never parts of them.
//!
//! **Delete scopes on secondary indices.** plateau's delete scope removes whole partitions,
//! and a compaction makes partitions larger: a scope `day == d` on an indexed (not partition
//! key) column would afterwards also remove the rows of other days merged into the same
//! file. Pipelines that replace data by such a column name it in
//! [`CompactOptions::delete_scope_columns`]; only partitions with the same values of those
//! columns are then merged, so every such scope removes exactly the rows it removed before.
//! Scopes on partition keys are always safe.
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Int64Array, RecordBatch};
//! use plateau_core::Store;
//! use plateau_io::compact::{compact, CompactOptions};
//! use plateau_io::update::{update_dataset, UpdateOptions};
//! use plateau_io::write::{store_dataset, StoreOptions};
//! use plateau_metadata::DatasetFactory;
//!
//! let store = Store::memory();
//! let batch = |x: i64| {
//!     RecordBatch::try_from_iter([
//!         ("P", Arc::new(Int64Array::from(vec![1, 2])) as _),
//!         ("x", Arc::new(Int64Array::from(vec![x, x])) as _),
//!     ])
//!     .unwrap()
//! };
//! store_dataset(&store, "demo", &[batch(0)], &StoreOptions::default().partition_on(["P"]))?;
//! let factory = DatasetFactory::new(store, "demo");
//! for x in 1..10 {
//!     update_dataset(&factory, &[batch(x)], &UpdateOptions::default())?;
//! }
//! assert_eq!(factory.metadata()?.partitions.len(), 20);
//!
//! let report = compact(&factory, &CompactOptions::default())?;
//! assert_eq!((report.removed, report.written), (20, 2));
//! assert_eq!(factory.metadata()?.partitions.len(), 2);
//! # Ok::<(), plateau_core::Error>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::cast;
use arrow::datatypes::{DataType, Schema, TimeUnit};
use futures::{StreamExt, TryStreamExt};
use plateau_core::runtime::block_on_scoped;
use plateau_core::{naming, Error, Predicates, Result, Store};
use plateau_metadata::{DatasetFactory, DatasetMetadata};
use plateau_serialization::parquet::fetch_row_count;
use plateau_serialization::{ParquetSerializer, Serializer};
use serde::{Deserialize, Serialize};

use crate::accumulate::TableAccumulator;
use crate::options::UpdateOptions;
use crate::read::{collect_table, ReadOptions};
use crate::retry::RetryPolicy;
use crate::scan::{self, ScanOptions, ScanPlan, TaskReader};
use crate::transaction::{metadata_with_schema_async, DatasetWriter};

/// How large a compacted file should be, and so which files count as small.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TargetSize {
    /// Bytes of stored (compressed) data. The new file's size is about the sum of its inputs'.
    Bytes(u64),
    /// Rows.
    Rows(u64),
}

impl TargetSize {
    /// The default target: 128 MiB, the size of a typical HDFS block and within the 100 MiB
    /// to 512 MiB that delta-rs and iceberg aim at; large enough that a file's footer and
    /// request are small against its data, small enough that one file decodes comfortably.
    pub const DEFAULT_BYTES: u64 = 128 * 1024 * 1024;

    fn amount(self) -> u64 {
        match self {
            TargetSize::Bytes(amount) | TargetSize::Rows(amount) => amount,
        }
    }
}

impl Default for TargetSize {
    fn default() -> Self {
        TargetSize::Bytes(Self::DEFAULT_BYTES)
    }
}

impl fmt::Display for TargetSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetSize::Bytes(bytes) => write!(f, "{bytes} bytes"),
            TargetSize::Rows(rows) => write!(f, "{rows} rows"),
        }
    }
}

/// What a compaction merges and how.
///
/// ```
/// use plateau_core::Predicates;
/// use plateau_io::compact::{CompactOptions, TargetSize};
///
/// let options = CompactOptions::default()
///     .target(TargetSize::Rows(1_000_000))
///     .predicates(Predicates::parse("date >= '2024-01-01'").unwrap())
///     .sort_by(["id"]);
/// assert_eq!(options.target, TargetSize::Rows(1_000_000));
/// assert_eq!(CompactOptions::default().target, TargetSize::Bytes(128 * 1024 * 1024));
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct CompactOptions {
    /// The size of a compacted file; smaller files are merged. Default:
    /// [`TargetSize::DEFAULT_BYTES`] bytes.
    pub target: TargetSize,
    /// Only the partition-key combinations these select (partition-key columns only).
    /// Default: every combination.
    pub predicates: Option<Predicates>,
    /// Sort each new file's rows by these columns. Default: none (the input order).
    pub sort_by: Vec<String>,
    /// How the new files are written. Default: [`ParquetSerializer::default`].
    pub serializer: Arc<dyn Serializer>,
    /// How a lost compare-and-swap is retried (see the module documentation). Default:
    /// [`RetryPolicy::default`].
    pub retry: RetryPolicy,
    /// How the merged files are read. Default: [`ScanOptions::default`].
    pub scan: ScanOptions,
    /// Secondary-index columns whose delete scopes must keep removing exactly the rows they
    /// remove now: only partitions holding the same set of values of each of these columns
    /// are merged. A delete scope on a secondary index removes whole partitions, so without
    /// this a scope `day == d` after a compaction also removes the rows of other days merged
    /// into the same file. Name here the columns your pipelines replace data by. Default:
    /// none (partition keys are always safe: a merge never crosses them).
    pub delete_scope_columns: Vec<String>,
}

impl Default for CompactOptions {
    fn default() -> Self {
        Self {
            target: TargetSize::default(),
            predicates: None,
            sort_by: Vec::new(),
            serializer: Arc::new(ParquetSerializer::default()),
            retry: RetryPolicy::default(),
            scan: ScanOptions::default(),
            delete_scope_columns: Vec::new(),
        }
    }
}

impl fmt::Debug for CompactOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompactOptions")
            .field("target", &self.target)
            .field("predicates", &self.predicates)
            .field("sort_by", &self.sort_by)
            .field("serializer", &self.serializer)
            .field("retry", &self.retry)
            .field("scan", &self.scan)
            .field("delete_scope_columns", &self.delete_scope_columns)
            .finish()
    }
}

impl CompactOptions {
    /// Sets [`CompactOptions::target`].
    pub fn target(mut self, target: TargetSize) -> Self {
        self.target = target;
        self
    }

    /// Sets [`CompactOptions::predicates`].
    pub fn predicates(mut self, predicates: Predicates) -> Self {
        self.predicates = Some(predicates);
        self
    }

    /// Sets [`CompactOptions::sort_by`].
    pub fn sort_by<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.sort_by = columns.into_iter().map(Into::into).collect();
        self
    }

    /// Sets [`CompactOptions::serializer`].
    pub fn serializer(mut self, serializer: impl Serializer + 'static) -> Self {
        self.serializer = Arc::new(serializer);
        self
    }

    /// Sets [`CompactOptions::retry`].
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets [`CompactOptions::scan`].
    pub fn scan(mut self, scan: ScanOptions) -> Self {
        self.scan = scan;
        self
    }

    /// Sets [`CompactOptions::delete_scope_columns`].
    pub fn delete_scope_columns<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.delete_scope_columns = columns.into_iter().map(Into::into).collect();
        self
    }
}

/// One data file a compaction looked at.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompactionFile {
    /// Its partition label.
    pub label: String,
    /// Its position in [`CompactionPlan::scan`]'s tasks.
    pub task: usize,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its rows, when a row target made planning read the footer.
    pub rows: Option<u64>,
}

/// Files merged into one new file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompactionBin {
    /// The files, in metadata order (at least two).
    pub files: Vec<CompactionFile>,
}

impl CompactionBin {
    /// The bytes of the merged files.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }

    /// The scan tasks of the merged files, in order.
    pub fn tasks(&self) -> Vec<usize> {
        self.files.iter().map(|f| f.task).collect()
    }
}

/// The plan for one partition-key combination.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompactionGroup {
    /// The combination as its directory, `P=1/Q=a` (empty without partition keys).
    pub key: String,
    /// How many data files the combination has now.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
    /// What is merged (possibly nothing).
    pub bins: Vec<CompactionBin>,
}

impl CompactionGroup {
    /// How many files the combination has after the compaction (one per bin, plus the files
    /// not merged).
    pub fn files_after(&self) -> usize {
        let merged: usize = self.bins.iter().map(|b| b.files.len()).sum();
        self.files - merged + self.bins.len()
    }
}

/// A planned compaction (see the module documentation): data, so it can be printed, stored
/// or executed elsewhere.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CompactionPlan {
    /// The dataset's uuid.
    pub uuid: String,
    /// The dataset's table.
    pub table_name: String,
    /// The target the plan was made for.
    pub target: TargetSize,
    /// The read of every selected data file, one task per file; bins refer to its tasks.
    pub scan: ScanPlan,
    /// The selected partition-key combinations, in order of first appearance.
    pub groups: Vec<CompactionGroup>,
}

impl CompactionPlan {
    /// Whether the plan merges nothing.
    pub fn is_empty(&self) -> bool {
        self.groups.iter().all(|g| g.bins.is_empty())
    }

    /// Every bin, group by group.
    pub fn bins(&self) -> impl Iterator<Item = &CompactionBin> {
        self.groups.iter().flat_map(|g| &g.bins)
    }

    /// The labels of the partitions the compaction replaces.
    pub fn merged_labels(&self) -> Vec<String> {
        self.bins()
            .flat_map(|b| &b.files)
            .map(|f| f.label.clone())
            .collect()
    }

    /// Selected data files now.
    pub fn files_before(&self) -> usize {
        self.groups.iter().map(|g| g.files).sum()
    }

    /// Their bytes.
    pub fn bytes_before(&self) -> u64 {
        self.groups.iter().map(|g| g.bytes).sum()
    }

    /// Selected data files after the compaction.
    pub fn files_after(&self) -> usize {
        self.groups.iter().map(CompactionGroup::files_after).sum()
    }

    /// How many files are merged.
    pub fn files_merged(&self) -> usize {
        self.bins().map(|b| b.files.len()).sum()
    }

    /// The bytes of the merged files (a new file's size is about its bin's).
    pub fn bytes_merged(&self) -> u64 {
        self.bins().map(CompactionBin::bytes).sum()
    }
}

/// What [`execute_compaction`] did.
#[derive(Clone, Debug)]
pub struct CompactReport {
    /// The plan that was executed.
    pub plan: CompactionPlan,
    /// Partitions removed (the merged ones).
    pub removed: usize,
    /// Partitions written (one per bin; none for a bin whose files held no rows).
    pub written: usize,
    /// The committed metadata; `None` when there was nothing to merge.
    pub metadata: Option<DatasetMetadata>,
}

/// Plans a compaction of the dataset of `factory` (see the module documentation).
///
/// # Errors
/// Nothing is written in any case. [`Error::InvalidInput`] for a target of 0, predicates
/// on columns other than partition keys, `delete_scope_columns` without a secondary index,
/// and a dataset without `_common_metadata` that has partitions; [`Error::ColumnNotFound`] for `sort_by` columns the dataset lacks; the
/// planning errors of [`scan::plan_scan`]; store errors, [`Error::NotFound`] for a data file
/// the metadata lists but the store lacks.
pub fn plan_compaction(
    factory: &DatasetFactory,
    options: &CompactOptions,
) -> Result<CompactionPlan> {
    block_on_scoped(plan_compaction_async(factory, options))
}

/// Async [`plan_compaction`].
///
/// # Errors
/// As [`plan_compaction`].
pub async fn plan_compaction_async(
    factory: &DatasetFactory,
    options: &CompactOptions,
) -> Result<CompactionPlan> {
    if options.target.amount() == 0 {
        return Err(Error::invalid_input(
            "the compaction target must be above 0",
        ));
    }
    let read = ReadOptions {
        predicates: options.predicates.clone(),
        ..ReadOptions::default()
    };
    // Typing partition values needs the schema, also from a factory that skips it.
    metadata_with_schema_async(factory).await?;
    let plan = scan::plan_scan_async(factory, &read).await?;
    validate(&plan, options)?;
    let metadata = factory.metadata_async().await?;
    let scope_values = scope_values(factory, &metadata, &options.delete_scope_columns).await?;
    let sizes = measure(factory.store(), &metadata, &plan, options.target).await?;
    let mut groups: Vec<CompactionGroup> = Vec::new();
    let mut positions: HashMap<&str, usize> = HashMap::new();
    // Per group, the candidates by the values they hold of the delete-scope columns.
    let mut candidates: Vec<Vec<(Vec<String>, CompactionFile)>> = Vec::new();
    for (task, (scan_task, (bytes, rows))) in plan.tasks.iter().zip(sizes).enumerate() {
        let key = group_key(&scan_task.label);
        let position = *positions.entry(key).or_insert_with(|| {
            groups.push(CompactionGroup {
                key: key.to_owned(),
                files: 0,
                bytes: 0,
                bins: Vec::new(),
            });
            candidates.push(Vec::new());
            groups.len() - 1
        });
        let group = &mut groups[position];
        group.files += 1;
        group.bytes += bytes;
        let measure = match options.target {
            TargetSize::Bytes(_) => Some(bytes),
            TargetSize::Rows(_) => rows,
        };
        let small = measure.is_some_and(|m| m < options.target.amount());
        if small && scan_task.file.ends_with(naming::PARQUET_SUFFIX) {
            let values = scope_values
                .get(&scan_task.label)
                .cloned()
                .unwrap_or_default();
            let file = CompactionFile {
                label: scan_task.label.clone(),
                task,
                bytes,
                rows,
            };
            candidates[position].push((values, file));
        }
    }
    for (group, files) in groups.iter_mut().zip(candidates) {
        // Files with other delete-scope values are never merged (first-appearance order).
        let mut kinds: Vec<(Vec<String>, Vec<CompactionFile>)> = Vec::new();
        for (values, file) in files {
            match kinds.iter_mut().find(|(seen, _)| *seen == values) {
                Some((_, same)) => same.push(file),
                None => kinds.push((values, vec![file])),
            }
        }
        group.bins = kinds
            .into_iter()
            .flat_map(|(_, files)| pack(files, options.target))
            .collect();
    }
    Ok(CompactionPlan {
        uuid: plan.uuid.clone(),
        table_name: metadata.table_name.clone(),
        target: options.target,
        scan: plan,
        groups,
    })
}

/// Checks what planning the read could not: predicates on partition keys only, `sort_by`
/// columns that exist.
fn validate(plan: &ScanPlan, options: &CompactOptions) -> Result<()> {
    if let Some(predicates) = &options.predicates {
        let others: Vec<&str> = predicates
            .columns()
            .into_iter()
            .filter(|c| !plan.partition_keys.iter().any(|k| k == c))
            .collect();
        if !others.is_empty() {
            return Err(Error::invalid_input(format!(
                "a compaction selects whole partition-key combinations, so its predicates may \
                 only use the partition keys {:?}, not {others:?}",
                plan.partition_keys
            )));
        }
    }
    let missing: Vec<String> = options
        .sort_by
        .iter()
        .filter(|c| plan.dataset_schema.field_with_name(c).is_err())
        .cloned()
        .collect();
    if !missing.is_empty() && !plan.tasks.is_empty() {
        return Err(Error::ColumnNotFound { columns: missing });
    }
    Ok(())
}

/// For each partition, the values it holds of each of `columns` (secondary indices), as
/// text: partitions with equal entries are the ones a compaction may merge.
///
/// # Errors
/// [`Error::InvalidInput`] for a column without a secondary index; index loading errors.
async fn scope_values(
    factory: &DatasetFactory,
    metadata: &DatasetMetadata,
    columns: &[String],
) -> Result<HashMap<String, Vec<String>>> {
    let columns: Vec<&str> = columns
        .iter()
        .map(String::as_str)
        .filter(|c| !metadata.partition_keys.iter().any(|k| k == c))
        .collect();
    if let Some(column) = columns.iter().find(|c| !metadata.indices.contains_key(**c)) {
        return Err(Error::invalid_input(format!(
            "delete scopes can only use indexed columns, and `{column}` has no secondary index \
             in dataset `{}`",
            metadata.uuid
        )));
    }
    let mut values: HashMap<String, Vec<String>> = HashMap::new();
    if columns.is_empty() {
        return Ok(values);
    }
    let loaded = factory.load_indices_async(&columns).await?;
    for (position, column) in columns.iter().enumerate() {
        let index = loaded.loaded_index(column).ok_or_else(|| {
            Error::invalid_input(format!("the index of `{column}` could not be loaded"))
        })?;
        for (value, labels) in index.entries()? {
            let text = format!("{position}:{value:?}");
            for label in labels {
                values
                    .entry(label.to_owned())
                    .or_default()
                    .push(text.clone());
            }
        }
    }
    for held in values.values_mut() {
        held.sort();
    }
    Ok(values)
}

/// The size of each task's file, and its rows for a row target: a listing of the table's
/// files for bytes, the footers of the Parquet files for rows.
async fn measure(
    store: &Store,
    metadata: &DatasetMetadata,
    plan: &ScanPlan,
    target: TargetSize,
) -> Result<Vec<(u64, Option<u64>)>> {
    if plan.tasks.is_empty() {
        return Ok(Vec::new());
    }
    match target {
        TargetSize::Bytes(_) => {
            let prefix = format!("{}/{}/", metadata.uuid, metadata.table_name);
            let sizes: HashMap<String, u64> = store
                .list_async(&prefix)
                .await?
                .into_iter()
                .map(|o| (o.key, o.size))
                .collect();
            plan.tasks
                .iter()
                .map(|task| match sizes.get(&task.file) {
                    Some(size) => Ok((*size, None)),
                    None => Err(Error::NotFound {
                        key: task.file.clone(),
                    }),
                })
                .collect()
        }
        TargetSize::Rows(_) => {
            futures::stream::iter(&plan.tasks)
                .map(|task| async move {
                    if task.file.ends_with(naming::PARQUET_SUFFIX) {
                        let (rows, bytes) = fetch_row_count(store, &task.file).await?;
                        Ok((bytes, Some(rows)))
                    } else {
                        Ok((store.head_async(&task.file).await?.size, None))
                    }
                })
                .buffered(32)
                .try_collect()
                .await
        }
    }
}

/// The partition-key directory of a label (`P=1/Q=a/<name>` → `P=1/Q=a`).
fn group_key(label: &str) -> &str {
    label.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// Packs small files, in order, into bins that close once they reach `target`; bins of one
/// file are dropped.
fn pack(files: Vec<CompactionFile>, target: TargetSize) -> Vec<CompactionBin> {
    let amount = |f: &CompactionFile| match target {
        TargetSize::Bytes(_) => f.bytes,
        TargetSize::Rows(_) => f.rows.unwrap_or(0),
    };
    let mut bins = Vec::new();
    let mut current: Vec<CompactionFile> = Vec::new();
    let mut filled = 0u64;
    for file in files {
        filled = filled.saturating_add(amount(&file));
        current.push(file);
        if filled >= target.amount() {
            bins.push(std::mem::take(&mut current));
            filled = 0;
        }
    }
    bins.push(current);
    bins.into_iter()
        .filter(|files| files.len() > 1)
        .map(|files| CompactionBin { files })
        .collect()
}

/// Plans and executes a compaction of the dataset of `factory` ([`plan_compaction`], then
/// [`execute_compaction`]). Refreshes the factory's cache with the committed metadata.
///
/// # Errors
/// Those of both.
pub fn compact(factory: &DatasetFactory, options: &CompactOptions) -> Result<CompactReport> {
    block_on_scoped(compact_async(factory, options))
}

/// Async [`compact`].
///
/// # Errors
/// As [`compact`].
pub async fn compact_async(
    factory: &DatasetFactory,
    options: &CompactOptions,
) -> Result<CompactReport> {
    let plan = plan_compaction_async(factory, options).await?;
    execute_compaction_async(factory, plan, options).await
}

/// The transaction that commits `plan` (see [`compaction_writer_async`]), blocking.
///
/// # Errors
/// As [`compaction_writer_async`].
pub fn compaction_writer<'a>(
    factory: &'a DatasetFactory,
    plan: &CompactionPlan,
    options: &CompactOptions,
) -> Result<DatasetWriter<'a>> {
    block_on_scoped(compaction_writer_async(factory, plan, options))
}

/// The transaction that commits `plan`: an update of the dataset, with every secondary
/// index, sorting by `options.sort_by`, that removes exactly the merged partitions. Front
/// ends that read and write bins themselves start here.
///
/// # Errors
/// [`Error::InvalidInput`] for a plan of another dataset; the errors of
/// [`DatasetWriter::update`]; [`Error::CommitConflict`] when a merged partition is no longer
/// in the dataset the factory holds.
pub async fn compaction_writer_async<'a>(
    factory: &'a DatasetFactory,
    plan: &CompactionPlan,
    options: &CompactOptions,
) -> Result<DatasetWriter<'a>> {
    let update = UpdateOptions {
        table_name: plan.table_name.clone(),
        sort_partitions_by: options.sort_by.clone(),
        serializer: Arc::clone(&options.serializer),
        retry: options.retry.clone(),
        ..UpdateOptions::default()
    };
    if plan.uuid != factory.uuid() {
        return Err(Error::invalid_input(format!(
            "the compaction plan is for dataset `{}`, not `{}`",
            plan.uuid,
            factory.uuid()
        )));
    }
    let mut writer = DatasetWriter::update_async(factory, &update).await?;
    writer.remove_partitions(plan.merged_labels())?;
    writer.begin_async().await?;
    Ok(writer)
}

/// The rows of `bin`, read with the dataset's types (partition columns included), blocking
/// on the shared runtime.
///
/// # Errors
/// The read errors of [`scan::read_tasks`]; cast errors.
pub fn read_bin(
    store: &Store,
    scan: &Arc<ScanPlan>,
    bin: &CompactionBin,
    options: &ScanOptions,
) -> Result<RecordBatch> {
    let reader = TaskReader::new(store, Arc::clone(scan), bin.tasks(), options)?;
    let mut units = StoredUnits::default();
    let batches = reader.inspect(|batch| {
        if let Ok(batch) = batch {
            units.observe(batch);
        }
    });
    let table = collect_table(scan, batches)?;
    units.restore(table, scan)
}

/// Async [`read_bin`]: batches are appended to the result as their files arrive.
///
/// # Errors
/// As [`read_bin`].
pub async fn read_bin_async(
    store: &Store,
    scan: &Arc<ScanPlan>,
    bin: &CompactionBin,
    options: &ScanOptions,
) -> Result<RecordBatch> {
    let mut batches = scan::read_tasks(store.clone(), Arc::clone(scan), bin.tasks(), options);
    let mut table = TableAccumulator::new(scan.output_schema.fields().iter().cloned().collect());
    let mut units = StoredUnits::default();
    while let Some(batch) = batches.next().await {
        let batch = batch?;
        units.observe(&batch);
        table.push(&batch)?;
    }
    units.restore(table.finish()?, scan)
}

/// The finest timestamp unit each column has in the files of a bin. Reads hold timestamps
/// as nanoseconds; writing them back so would turn the microseconds of Python's files (and
/// of `_common_metadata`) into nanoseconds. Going back to the finest unit of the inputs is
/// lossless, since every value came from a file of that unit or a coarser one.
#[derive(Default)]
struct StoredUnits(HashMap<String, TimeUnit>);

impl StoredUnits {
    fn observe(&mut self, batch: &RecordBatch) {
        for field in batch.schema_ref().fields() {
            if let DataType::Timestamp(unit, _) = field.data_type() {
                let finest = self.0.entry(field.name().clone()).or_insert(*unit);
                if nanos_per(*unit) < nanos_per(*finest) {
                    *finest = *unit;
                }
            }
        }
    }

    /// `table` with the units of the files, and the dataset schema's pandas metadata: its
    /// dtypes tell the writer what the columns are (a `Utf8` column is pandas' `string`
    /// dtype there, not ordinary text), so the new files normalise to the stored schema.
    fn restore(&self, table: RecordBatch, scan: &ScanPlan) -> Result<RecordBatch> {
        let schema = table.schema();
        let mut fields = Vec::with_capacity(schema.fields().len());
        let mut columns = Vec::with_capacity(schema.fields().len());
        for (field, column) in schema.fields().iter().zip(table.columns()) {
            match (field.data_type(), self.0.get(field.name())) {
                (DataType::Timestamp(unit, zone), Some(stored))
                    if nanos_per(*stored) > nanos_per(*unit) =>
                {
                    let data_type = DataType::Timestamp(*stored, zone.clone());
                    columns.push(cast(column, &data_type)?);
                    fields.push(Arc::new(field.as_ref().clone().with_data_type(data_type)));
                }
                _ => {
                    columns.push(Arc::clone(column));
                    fields.push(Arc::clone(field));
                }
            }
        }
        let mut metadata = schema.metadata().clone();
        metadata.extend(
            scan.dataset_schema
                .metadata()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        let schema = Arc::new(Schema::new_with_metadata(fields, metadata));
        Ok(RecordBatch::try_new(schema, columns)?)
    }
}

/// Nanoseconds per `unit`.
fn nanos_per(unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Second => 1_000_000_000,
        TimeUnit::Millisecond => 1_000_000,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1,
    }
}

/// Executes `plan` on the dataset of `factory` (see the module documentation): each bin is
/// read and written as one new partition, then one commit replaces the merged partitions.
/// A plan that merges nothing writes nothing. Refreshes the factory's cache.
///
/// # Errors
/// Those of [`compaction_writer_async`] (nothing written), read, serialization and store
/// errors (the files written so far are deleted), and [`Error::CommitConflict`] when a
/// merged partition was removed or replaced meanwhile or the retries ran out (nothing
/// committed; the new files are garbage for garbage collection).
pub fn execute_compaction(
    factory: &DatasetFactory,
    plan: CompactionPlan,
    options: &CompactOptions,
) -> Result<CompactReport> {
    block_on_scoped(execute_compaction_async(factory, plan, options))
}

/// Async [`execute_compaction`]: one bin is read and written at a time, each with many
/// files in flight.
///
/// # Errors
/// As [`execute_compaction`].
pub async fn execute_compaction_async(
    factory: &DatasetFactory,
    plan: CompactionPlan,
    options: &CompactOptions,
) -> Result<CompactReport> {
    if plan.is_empty() {
        return Ok(CompactReport {
            plan,
            removed: 0,
            written: 0,
            metadata: None,
        });
    }
    let mut writer = compaction_writer_async(factory, &plan, options).await?;
    let scan = Arc::new(plan.scan.clone());
    let store = factory.store();
    let mut failure = None;
    for bin in plan.bins() {
        let written = async {
            let table = read_bin_async(store, &scan, bin, &options.scan).await?;
            writer.write_batches_async(&[table]).await
        }
        .await;
        if let Err(e) = written {
            failure = Some(e);
            break;
        }
    }
    if let Some(e) = failure {
        writer.abort_async().await;
        return Err(e);
    }
    let written = writer.partitions().len();
    let metadata = writer.commit_async().await?;
    Ok(CompactReport {
        removed: plan.files_merged(),
        written,
        metadata: Some(metadata),
        plan,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(label: &str, bytes: u64) -> CompactionFile {
        CompactionFile {
            label: label.to_owned(),
            task: 0,
            bytes,
            rows: None,
        }
    }

    fn labels(bins: &[CompactionBin]) -> Vec<Vec<&str>> {
        bins.iter()
            .map(|b| b.files.iter().map(|f| f.label.as_str()).collect())
            .collect()
    }

    #[test]
    fn bins_close_at_the_target_and_single_files_stay() {
        let files = vec![
            file("a", 40),
            file("b", 40),
            file("c", 30),
            file("d", 90),
            file("e", 20),
            file("f", 10),
        ];
        let bins = pack(files, TargetSize::Bytes(100));
        assert_eq!(
            labels(&bins),
            vec![vec!["a", "b", "c"], vec!["d", "e"]],
            "f alone is left as it is"
        );
        let bins = pack(vec![file("a", 1), file("b", 1)], TargetSize::Bytes(100));
        assert_eq!(labels(&bins), vec![vec!["a", "b"]]);
        assert!(pack(vec![file("a", 1)], TargetSize::Bytes(100)).is_empty());
        assert!(pack(Vec::new(), TargetSize::Bytes(100)).is_empty());
    }

    #[test]
    fn row_targets_pack_by_rows() {
        let mut a = file("a", 1000);
        a.rows = Some(5);
        let mut b = file("b", 1000);
        b.rows = Some(5);
        let mut c = file("c", 1000);
        c.rows = Some(5);
        assert_eq!(
            labels(&pack(vec![a, b, c], TargetSize::Rows(10))),
            vec![vec!["a", "b"]]
        );
    }

    #[test]
    fn group_keys_are_label_directories() {
        assert_eq!(group_key("P=1/Q=a/part"), "P=1/Q=a");
        assert_eq!(group_key("part"), "");
    }
}
