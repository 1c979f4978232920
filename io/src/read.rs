//! Reading a dataset: planning which partitions to read, reading one planned
//! [`DispatchGroup`] into a batch, and the `read_table` / `read_dataset_as_dataframes` column
//! rules of Python plateau (reference §1.2, §1.14, §4.3, §4.4).
//!
//! The flow is the same for every front end:
//!
//! 1. [`plan`] loads the metadata through the [`DatasetFactory`], validates the options
//!    against the dataset schema *before* any data or index I/O (unknown columns, predicate
//!    shape and types, `dispatch_by` on unindexed columns), loads only the indices the
//!    predicates and `dispatch_by` use, and prunes partitions
//!    ([`plateau_metadata::planning::plan`]); [`crate::scan::scan_plan_of`] turns the groups
//!    into one task per partition. Per partition, the group's `dispatch_by` literals are
//!    ANDed into every conjunction of the predicates; each conjunction is split into its
//!    partition-key literals, evaluated once on the partition's typed key values, and its
//!    content literals, pushed into the file read. A conjunction whose key part is false is
//!    dropped; a partition left without conjunctions has no task (plateau raises "Empty
//!    predicates" there, §4.3); a conjunction without content part means the file is read
//!    unfiltered.
//! 2. The tasks are read by [`crate::scan::read_tasks`]: many files in flight, decoding on
//!    tokio's blocking pool. Each function here blocks once per call, not per request.
//! 3. Partition columns are added as typed constant columns (bool, binary and tz-aware values
//!    keep their real type; plateau reads bools as `True`, binary as `str` and fails on
//!    tz-aware values, §2.6), first and in partition-key order, followed by the file's columns
//!    in the file's order; with `columns`, exactly those in that order.
//! 4. [`read_table`] concatenates all partitions with every column cast to its
//!    `_common_metadata` type (narrow file types such as `int8` or dictionaries widen, as
//!    plateau's concat with a schema-typed empty frame does), in schema order (partition keys,
//!    then the other columns sorted) or `columns` order. [`read_dataset`] returns one batch per
//!    group.
//!
//! Front ends that schedule groups themselves call [`read_group`] from their own workers.
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Int64Array, RecordBatch};
//! use plateau_core::{Predicates, Store};
//! use plateau_io::read::{read_table, ReadOptions};
//! use plateau_metadata::DatasetFactory;
//! # use plateau_metadata::{codec, common_metadata, schema::make_meta, DatasetMetadataBuilder};
//! # use plateau_serialization::{ParquetSerializer, Serializer};
//!
//! let store = Store::memory();
//! # let batch = RecordBatch::try_from_iter([
//! #     ("x", Arc::new(Int64Array::from(vec![1, 2, 3])) as _),
//! # ]).unwrap();
//! # let file = ParquetSerializer::default().store(&store, "demo/table/part", &batch).unwrap();
//! # let schema = make_meta(&batch.schema(), "part", &[]).unwrap();
//! # store.put("demo/table/_common_metadata", common_metadata::write_common_metadata(&schema).unwrap()).unwrap();
//! # let metadata = DatasetMetadataBuilder::new("demo").partition_keys(vec![]).add_partition("part", file).build().unwrap();
//! # store.put("demo.by-dataset-metadata.json", codec::to_json(&metadata).unwrap().into()).unwrap();
//! // `demo` holds one partition with x = 1, 2, 3.
//! let factory = DatasetFactory::new(store, "demo");
//! let options = ReadOptions::default().predicates(Predicates::parse("x >= 2").unwrap());
//! let table = read_table(&factory, &options).unwrap();
//! assert_eq!(table.num_rows(), 2);
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, RecordBatchOptions};
use arrow::compute::{cast, concat_batches};
use arrow::datatypes::{DataType, Field, FieldRef, Int64Type, Schema, SchemaRef, TimeUnit};
use plateau_core::{naming, Error, Result, Store};
use plateau_metadata::planning::DispatchGroup;
use plateau_metadata::{DatasetFactory, DatasetMetadata};

use crate::accumulate::TableAccumulator;
pub use crate::read_options::{result_field, ReadOptions};
pub use crate::scan::plan;
use crate::scan::{
    conform, output_schema, read_tasks_blocking, scan_plan_of, ScanOptions, ScanPlan, TaskReader,
};

/// Reads the partitions of one planned group into one batch.
///
/// Without `dispatch_by` (a group of one partition) the columns keep the data file's types
/// (an `int8` column stays `int8`, as in plateau's `read_dataset_as_dataframes`); partition
/// columns have their schema type. With `dispatch_by`, every partition is cast to the
/// dataset schema's types before the concatenation, so all groups of a read agree.
///
/// A partition whose partition values rule out every conjunction contributes nothing; a group
/// left without partitions gives an empty batch typed by the schema.
///
/// # Errors
/// [`Error::ColumnNotFound`] for requested or predicate columns a data file lacks, the
/// predicate errors of [`plan`] (for options that did not go through it), store, Parquet and
/// cast errors.
pub fn read_group(
    store: &Store,
    metadata: &DatasetMetadata,
    group: &DispatchGroup,
    options: &ReadOptions,
) -> Result<RecordBatch> {
    let plan = Arc::new(scan_plan_of(
        metadata,
        std::slice::from_ref(group),
        options,
    )?);
    let indices = (0..plan.tasks.len()).collect();
    let batches = read_tasks_blocking(store, &plan, indices, &ScanOptions::default())?;
    assemble_group(metadata, &plan, batches)
}

/// One group's batch from the batches of its tasks (see [`read_group`]).
fn assemble_group(
    metadata: &DatasetMetadata,
    plan: &ScanPlan,
    mut batches: Vec<RecordBatch>,
) -> Result<RecordBatch> {
    let options = &plan.options;
    if options.dispatch_by.is_none() && batches.len() == 1 {
        return Ok(batches.swap_remove(0));
    }
    if batches.is_empty() {
        return Ok(RecordBatch::new_empty(output_schema(
            metadata,
            &plan.dataset_schema,
            options,
        )?));
    }
    let schema = &plan.dataset_schema;
    // Column order of the first partition, then columns only later partitions have; types
    // from the dataset schema.
    let mut names: Vec<&str> = Vec::new();
    for batch in &batches {
        for field in batch.schema_ref().fields() {
            if !names.contains(&field.name().as_str()) {
                names.push(field.name());
            }
        }
    }
    let target: Vec<FieldRef> = names
        .iter()
        .map(|name| {
            let field = match schema.field_with_name(name) {
                Ok(field) => field.clone(),
                // Not in the schema (a file with extra columns): the first partition's type.
                Err(_) => batches
                    .iter()
                    .find_map(|b| b.schema_ref().field_with_name(name).ok().cloned())
                    .unwrap_or_else(|| Field::new(*name, DataType::Null, true)),
            };
            Arc::new(result_field(&field, options))
        })
        .collect();
    concat_conformed(target, &batches)
}

/// Reads every planned group, one batch each (plateau's `read_dataset_as_dataframes`).
///
/// # Errors
/// The errors of [`plan`] and [`read_group`].
pub fn read_dataset(factory: &DatasetFactory, options: &ReadOptions) -> Result<Vec<RecordBatch>> {
    let (metadata, groups) = plan(factory, options)?;
    let plan = Arc::new(scan_plan_of(&metadata, &groups, options)?);
    let indices = (0..plan.tasks.len()).collect();
    let batches = read_tasks_blocking(factory.store(), &plan, indices, &ScanOptions::default())?;
    let mut per_group: Vec<Vec<RecordBatch>> = vec![Vec::new(); plan.groups.len()];
    for (task, batch) in plan.tasks.iter().zip(batches) {
        if let Some(group) = per_group.get_mut(task.group) {
            group.push(batch);
        }
    }
    per_group
        .into_iter()
        .map(|batches| assemble_group(&metadata, &plan, batches))
        .collect()
}

/// Reads the whole dataset into one batch (plateau's `read_table`).
///
/// Every column has its `_common_metadata` type (categoricals as `Dictionary<Int32, _>`), in
/// schema order or `columns` order; an empty result still carries the schema. A dataset
/// without `_common_metadata` and without partitions (created from no data) reads as a batch
/// without columns. `dispatch_by` is ignored.
///
/// Timestamps have the schema's nanosecond unit, except in a column holding values outside
/// the nanosecond range (before 1677 or after 2262): it keeps the data files' coarser unit
/// rather than failing (plateau raises) or wrapping.
///
/// # Errors
/// The errors of [`plan`] and [`read_group`]; [`Error::Corrupt`] for a dataset with partitions
/// but no `_common_metadata`.
pub fn read_table(factory: &DatasetFactory, options: &ReadOptions) -> Result<RecordBatch> {
    read_table_with(factory, options, &ScanOptions::default())
}

/// [`read_table`] with explicit [`ScanOptions`].
///
/// # Errors
/// The errors of [`read_table`].
pub fn read_table_with(
    factory: &DatasetFactory,
    options: &ReadOptions,
    scan_options: &ScanOptions,
) -> Result<RecordBatch> {
    match plan_table(factory, options)? {
        TablePlan::Done(batch) => Ok(batch),
        TablePlan::Scan(plan) => {
            let indices = (0..plan.tasks.len()).collect();
            let reader =
                TaskReader::new(factory.store(), Arc::clone(&plan), indices, scan_options)?;
            collect_table(&plan, reader)
        }
    }
}

/// A planned [`read_table`]: its answer when no data file needs reading, or the scan whose
/// task batches [`concat_table`] turns into it. Front ends that schedule the tasks
/// themselves (progress reports, other pools) start here.
#[derive(Debug)]
pub enum TablePlan {
    /// The result, without reading anything (a dataset created from no data).
    Done(RecordBatch),
    /// The scan to execute.
    Scan(Arc<ScanPlan>),
}

/// Plans a [`read_table`] (`dispatch_by` ignored).
///
/// # Errors
/// The errors of [`plan`]; [`Error::Corrupt`] for a dataset with partitions but no
/// `_common_metadata`.
pub fn plan_table(factory: &DatasetFactory, options: &ReadOptions) -> Result<TablePlan> {
    let options = ReadOptions {
        dispatch_by: None,
        ..options.clone()
    };
    let (metadata, groups) = plan(factory, &options)?;
    if metadata.schema.is_none() {
        if metadata.partitions.is_empty() {
            let schema = Arc::new(Schema::empty());
            return Ok(TablePlan::Done(RecordBatch::try_new_with_options(
                schema,
                Vec::new(),
                &RecordBatchOptions::new().with_row_count(Some(0)),
            )?));
        }
        return Err(Error::corrupt(
            naming::common_metadata_key(&metadata.uuid, &metadata.table_name),
            format!(
                "dataset `{}` has partitions but no _common_metadata, so its column types are unknown",
                metadata.uuid
            ),
        ));
    }
    Ok(TablePlan::Scan(Arc::new(scan_plan_of(
        &metadata, &groups, &options,
    )?)))
}

/// [`concat_table`] of batches as they arrive: each is appended to the table's final buffers
/// (see the `accumulate` module) and dropped, so the copy overlaps the rest of the read and the
/// table is never held twice.
///
/// # Errors
/// The first error of `batches`; cast errors.
pub fn collect_table(
    plan: &ScanPlan,
    batches: impl IntoIterator<Item = Result<RecordBatch>>,
) -> Result<RecordBatch> {
    let target: Vec<FieldRef> = plan.output_schema.fields().iter().cloned().collect();
    let mut batches = batches.into_iter();
    // A read of one file keeps its batch's buffers: nothing to copy.
    let Some(first) = batches.next().transpose()? else {
        return concat_conformed(target, &[]);
    };
    let Some(second) = batches.next().transpose()? else {
        return concat_conformed(target, &[first]);
    };
    let mut table = TableAccumulator::new(target);
    table.push(&first)?;
    drop(first);
    table.push(&second)?;
    drop(second);
    for batch in batches {
        table.push(&batch?)?;
    }
    table.finish()
}

/// [`read_table`]'s result from the batches of every task of `plan`, in task order.
///
/// # Errors
/// Cast errors for values the schema's types cannot hold.
pub fn concat_table(plan: &ScanPlan, batches: &[RecordBatch]) -> Result<RecordBatch> {
    concat_conformed(
        plan.output_schema.fields().iter().cloned().collect(),
        batches,
    )
}

/// Casts every batch to `target` (columns by name, missing ones as nulls) and concatenates.
pub fn concat_conformed(mut target: Vec<FieldRef>, batches: &[RecordBatch]) -> Result<RecordBatch> {
    keep_out_of_range_timestamps(&mut target, batches)?;
    let schema: SchemaRef = Arc::new(Schema::new(target));
    let conformed = batches
        .iter()
        .map(|batch| conform(batch, &schema))
        .collect::<Result<Vec<_>>>()?;
    concat_columns(&schema, &conformed)
}

/// Below this many rows a concatenation is not worth a thread.
const PARALLEL_CONCAT_ROWS: usize = 256 * 1024;

/// `concat_batches`, with the columns copied on up to as many threads as there are cores:
/// concatenating a large table is the one step of `read_table` that runs after every file is
/// decoded, so it adds straight to the read's time.
fn concat_columns(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<RecordBatch> {
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let width = schema.fields().len();
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(width);
    if threads <= 1 || rows < PARALLEL_CONCAT_ROWS || batches.len() < 2 {
        return Ok(concat_batches(schema, batches)?);
    }
    let next = AtomicUsize::new(0);
    let concat_one = |column: usize| {
        let arrays: Vec<&dyn Array> = batches.iter().map(|b| b.column(column).as_ref()).collect();
        arrow::compute::concat(&arrays).map(|array| (column, array))
    };
    let worker = || {
        let mut done = Vec::new();
        loop {
            let column = next.fetch_add(1, Ordering::Relaxed);
            if column >= width {
                return done;
            }
            done.push(concat_one(column));
        }
    };
    let mut columns: Vec<Option<ArrayRef>> = vec![None; width];
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(worker)).collect();
        let mut results = worker();
        for helper in helpers {
            // A panicking copy is arrow's bug, not the data's: re-raise it.
            results.extend(
                helper
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            );
        }
        for result in results {
            let (column, array) = result?;
            columns[column] = Some(array);
        }
        Ok::<_, Error>(())
    })?;
    let columns = columns
        .into_iter()
        .map(|c| c.ok_or_else(|| Error::invalid_input("a column was not concatenated")))
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new_with_options(
        Arc::clone(schema),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )?)
}

/// Lowers the unit of a timestamp target column to the coarsest unit of the batches when
/// some value would not fit the target unit (years beyond 1677..2262 in nanoseconds), so such
/// data reads correctly instead of failing.
fn keep_out_of_range_timestamps(target: &mut [FieldRef], batches: &[RecordBatch]) -> Result<()> {
    for field in target.iter_mut() {
        let DataType::Timestamp(unit, tz) = field.data_type() else {
            continue;
        };
        let columns = batches
            .iter()
            .filter_map(|batch| batch.column_by_name(field.name()));
        let chosen = timestamp_unit(*unit, columns)?;
        if chosen != *unit {
            *field = Arc::new(
                field
                    .as_ref()
                    .clone()
                    .with_data_type(DataType::Timestamp(chosen, tz.clone())),
            );
        }
    }
    Ok(())
}

/// The unit a timestamp column of `unit` is read with, given its chunks `columns`: the
/// coarsest unit of a chunk whose values would not fit a finer one, else `unit`.
pub(crate) fn timestamp_unit<'a>(
    unit: TimeUnit,
    columns: impl Iterator<Item = &'a ArrayRef>,
) -> Result<TimeUnit> {
    let mut chosen = unit;
    for column in columns {
        let DataType::Timestamp(source, _) = column.data_type() else {
            continue;
        };
        if unit_nanos(*source) <= unit_nanos(chosen) {
            continue;
        }
        if !fits_unit(column.as_ref(), *source, chosen)? {
            chosen = *source;
        }
    }
    Ok(chosen)
}

/// Nanoseconds per unit.
fn unit_nanos(unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Second => 1_000_000_000,
        TimeUnit::Millisecond => 1_000_000,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1,
    }
}

/// Whether every value of a timestamp `array` in `source` unit can be expressed in the finer
/// `target` unit without overflow (checked on the column's min and max).
fn fits_unit(array: &dyn Array, source: TimeUnit, target: TimeUnit) -> Result<bool> {
    let factor = unit_nanos(source) / unit_nanos(target);
    let raw = cast(array, &DataType::Int64)?;
    let raw = raw.as_primitive::<Int64Type>();
    let fits = |v: Option<i64>| v.is_none_or(|v| v.checked_mul(factor).is_some());
    Ok(fits(arrow::compute::min(raw)) && fits(arrow::compute::max(raw)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Float64Array, Int64Array, StringArray};

    fn batch(start: i64, rows: i64) -> RecordBatch {
        let ids: Vec<i64> = (start..start + rows).collect();
        RecordBatch::try_from_iter([
            ("id", Arc::new(Int64Array::from(ids.clone())) as ArrayRef),
            (
                "f",
                Arc::new(Float64Array::from_iter(
                    ids.iter().map(|&i| (i % 7 != 0).then_some(i as f64)),
                )) as ArrayRef,
            ),
            (
                "s",
                Arc::new(StringArray::from_iter(
                    ids.iter().map(|&i| (i % 5 != 0).then(|| format!("v{i}"))),
                )) as ArrayRef,
            ),
        ])
        .expect("valid batch")
    }

    #[test]
    fn parallel_concatenation_equals_arrows() {
        let batches: Vec<RecordBatch> = (0..9).map(|i| batch(i * 40_000, 40_000)).collect();
        let schema = batches[0].schema();
        let expected = concat_batches(&schema, &batches).expect("concat");
        let parallel = concat_columns(&schema, &batches).expect("parallel concat");
        assert!(expected.num_rows() >= PARALLEL_CONCAT_ROWS);
        assert_eq!(parallel, expected);
    }
}
