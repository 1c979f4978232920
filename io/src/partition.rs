//! Splitting an input batch by `partition_on` (reference §1.14), and `sort_partitions_by`.
//!
//! Plateau groups a frame with `groupby(partition_cols, sort=False, observed=True)`: groups
//! come out in the order their key tuple first appears, rows keep their order inside a group,
//! and the partition columns are dropped from the groups. Every group of one input frame
//! shares the frame's base label, so its partitions are `c1=v1/.../<base>`.
//!
//! Here the split is done in two steps so that everything can be validated before the first
//! byte is written: [`split`] computes the groups (row positions, typed key values, labels)
//! without copying data and fails on null keys; [`take_group`] materialises one group's data
//! when it is written. Key tuples are compared in Arrow's row format
//! ([`arrow::row::RowConverter`]), which compares dictionary (categorical) columns by value.
//!
//! Null or NaN keys are an error with plateau's message (pandas' groupby drops such rows, and
//! plateau then notices the size mismatch).

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, RecordBatchOptions, UInt32Array};
use arrow::compute::{take_record_batch, SortOptions};
use arrow::datatypes::{Schema, SchemaRef};
use arrow::row::{RowConverter, SortField};
use plateau_core::{Error, Result, Scalar};
use plateau_metadata::labels::make_label;
use plateau_metadata::schema::{is_index_level_name, PANDAS_METADATA_KEY};

/// The rows of one input batch that share one tuple of partition values.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// The partition values, in `partition_on` order.
    pub values: Vec<Scalar>,
    /// The partition label: `c1=v1/.../<base>` (just `<base>` without `partition_on`).
    pub label: String,
    /// Row positions in the input batch, ascending.
    pub rows: Vec<u32>,
}

/// Checks `partition_on` against the columns of `schema`: every partition column must exist
/// (plateau: "Partition column(s) missing: a, b", names sorted) and at least one data column
/// must remain ("No data left to save outside partition columns"). Both are
/// [`Error::InvalidInput`].
pub fn check_partition_columns(schema: &Schema, partition_on: &[String]) -> Result<()> {
    if partition_on.is_empty() {
        return Ok(());
    }
    if let Some((i, column)) = partition_on
        .iter()
        .enumerate()
        .find(|(i, c)| partition_on[..*i].contains(c))
    {
        return Err(Error::invalid_input(format!(
            "Partition column `{column}` is given more than once (position {i}) in `partition_on`"
        )));
    }
    let mut missing: Vec<&str> = partition_on
        .iter()
        .filter(|c| schema.field_with_name(c).is_err())
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        missing.sort_unstable();
        missing.dedup();
        return Err(Error::invalid_input(format!(
            "Partition column(s) missing: {}",
            missing.join(", ")
        )));
    }
    if data_columns(schema, partition_on).is_empty() {
        return Err(Error::invalid_input(
            "No data left to save outside partition columns",
        ));
    }
    Ok(())
}

/// Positions of the columns that go into data files: every column except the partition
/// columns and pandas index columns (`__index_level_N__`, or names the schema's own pandas
/// metadata lists as index columns), which are not part of the table (plateau's `make_meta`
/// drops them from the schema too).
pub fn data_columns(schema: &Schema, partition_on: &[String]) -> Vec<usize> {
    let own_index: Vec<String> = schema
        .metadata()
        .get(PANDAS_METADATA_KEY)
        .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok())
        .and_then(|pandas| {
            pandas
                .get("index_columns")
                .and_then(|c| c.as_array())
                .map(|cols| {
                    cols.iter()
                        .filter_map(|c| c.as_str().map(str::to_owned))
                        .collect()
                })
        })
        .unwrap_or_default();
    schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            !partition_on.contains(f.name())
                && !is_index_level_name(f.name())
                && !own_index.contains(f.name())
        })
        .map(|(i, _)| i)
        .collect()
}

/// Splits `batch` by the columns `partition_on` into groups labelled with `base`, in
/// first-appearance order of the key tuples (rows keep their order inside a group).
///
/// Without `partition_on` the whole batch is one group labelled `base`. A batch without rows
/// gives no groups when `partition_on` is set (plateau writes no partition for it).
///
/// # Errors
/// * the errors of [`check_partition_columns`];
/// * [`Error::InvalidInput`] with plateau's size-mismatch message when a partition column
///   holds nulls (or NaN);
/// * [`Error::Unsupported`] for partition columns whose values cannot be put into a key
///   (nested types).
pub fn split(batch: &RecordBatch, partition_on: &[String], base: &str) -> Result<Vec<Group>> {
    if partition_on.is_empty() {
        let rows = (0..row_count(batch)?).collect();
        return Ok(vec![Group {
            values: Vec::new(),
            label: base.to_owned(),
            rows,
        }]);
    }
    check_partition_columns(&batch.schema(), partition_on)?;
    let n = row_count(batch)?;
    if n == 0 {
        return Ok(Vec::new());
    }
    let columns: Vec<ArrayRef> = partition_on
        .iter()
        .map(|c| Ok(Arc::clone(batch.column(batch.schema().index_of(c)?))))
        .collect::<Result<_>>()?;
    let converter = RowConverter::new(
        columns
            .iter()
            .map(|c| SortField::new(c.data_type().clone()))
            .collect(),
    )
    .map_err(|e| unsupported_keys(partition_on, e))?;
    let rows = converter
        .convert_columns(&columns)
        .map_err(|e| unsupported_keys(partition_on, e))?;

    let mut positions: HashMap<&[u8], usize> = HashMap::new();
    let mut group_rows: Vec<Vec<u32>> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let next = group_rows.len();
        let g = *positions.entry(row.data()).or_insert(next);
        if g == next {
            group_rows.push(Vec::new());
        }
        // `i < n`, and `n` fits u32 (checked by `row_count`).
        group_rows[g].push(i as u32);
    }

    let mut groups = Vec::with_capacity(group_rows.len());
    let mut kept_rows = 0usize;
    let mut has_null = false;
    for rows in group_rows {
        let Some(first) = rows.first().map(|r| *r as usize) else {
            continue;
        };
        let values: Vec<Scalar> = columns
            .iter()
            .map(|c| Scalar::try_from_array(c.as_ref(), first))
            .collect::<Result<_>>()?;
        if values.iter().any(Scalar::is_null) {
            has_null = true;
            continue;
        }
        kept_rows += rows.len();
        let pairs: Vec<(&str, &Scalar)> = partition_on
            .iter()
            .map(String::as_str)
            .zip(values.iter())
            .collect();
        let label = make_label(&pairs, base)?;
        groups.push(Group {
            values,
            label,
            rows,
        });
    }
    if has_null {
        return Err(Error::invalid_input(format!(
            "Original dataframe size ({n} rows) does not match new dataframe size ({kept_rows} rows). \
             Hint: you may see this if you are trying to use `partition_on` on a column with null values."
        )));
    }
    Ok(groups)
}

/// The data of `group`: the rows of `batch` at `group.rows`, restricted to the columns at
/// `columns` (see [`data_columns`]), without schema-level metadata (the batch's own pandas
/// metadata would describe columns the file does not have).
pub fn take_group(batch: &RecordBatch, columns: &[usize], group: &Group) -> Result<RecordBatch> {
    let projected = project_plain(batch, columns)?;
    if group.rows.len() == batch.num_rows() {
        // The whole batch, in order: no copy needed.
        return Ok(projected);
    }
    let indices = UInt32Array::from(group.rows.clone());
    Ok(take_record_batch(&projected, &indices)?)
}

/// `batch` restricted to `columns`, with the schema's metadata dropped (fields keep theirs)
/// and null-typed fields nullable (a `NullArray` reports no nulls, so a batch built from one
/// may declare it non-nullable, which no file writer accepts).
fn project_plain(batch: &RecordBatch, columns: &[usize]) -> Result<RecordBatch> {
    let projected = batch.project(columns)?;
    let fields: Vec<_> = projected
        .schema()
        .fields()
        .iter()
        .map(|f| {
            if f.data_type() == &arrow::datatypes::DataType::Null && !f.is_nullable() {
                Arc::new(f.as_ref().clone().with_nullable(true))
            } else {
                Arc::clone(f)
            }
        })
        .collect();
    let schema: SchemaRef = Arc::new(Schema::new(fields));
    // Not `with_schema`: it only accepts a superset of the current schema, metadata included,
    // and dropping the metadata is the point.
    let options = RecordBatchOptions::new().with_row_count(Some(projected.num_rows()));
    Ok(RecordBatch::try_new_with_options(
        schema,
        projected.columns().to_vec(),
        &options,
    )?)
}

/// Sorts `batch` by `columns` (ascending, nulls last, dictionary columns by value), keeping
/// the order of equal rows: plateau's `sort_partitions_by`, applied to each input frame
/// before it is split.
///
/// # Errors
/// [`Error::InvalidInput`] naming the columns (sorted) the batch does not have;
/// [`Error::Unsupported`] for columns that cannot be ordered.
pub fn sort_batch(batch: &RecordBatch, columns: &[String]) -> Result<RecordBatch> {
    if columns.is_empty() || batch.num_rows() < 2 {
        check_sort_columns(&batch.schema(), columns)?;
        return Ok(batch.clone());
    }
    check_sort_columns(&batch.schema(), columns)?;
    let arrays: Vec<ArrayRef> = columns
        .iter()
        .map(|c| Ok(Arc::clone(batch.column(batch.schema().index_of(c)?))))
        .collect::<Result<_>>()?;
    let options = SortOptions {
        descending: false,
        nulls_first: false,
    };
    let converter = RowConverter::new(
        arrays
            .iter()
            .map(|a| SortField::new_with_options(a.data_type().clone(), options))
            .collect(),
    )
    .map_err(|e| Error::unsupported(format!("cannot sort by {}: {e}", columns.join(", "))))?;
    let rows = converter
        .convert_columns(&arrays)
        .map_err(|e| Error::unsupported(format!("cannot sort by {}: {e}", columns.join(", "))))?;
    let n = row_count(batch)?;
    let mut order: Vec<u32> = (0..n).collect();
    // Stable: rows with equal keys keep their input order.
    order.sort_by(|a, b| rows.row(*a as usize).cmp(&rows.row(*b as usize)));
    if order.iter().enumerate().all(|(i, r)| i as u32 == *r) {
        return Ok(batch.clone());
    }
    Ok(take_record_batch(batch, &UInt32Array::from(order))?)
}

/// Checks that `batch` has every column of `sort_partitions_by`.
pub fn check_sort_columns(schema: &Schema, columns: &[String]) -> Result<()> {
    let mut missing: Vec<&str> = columns
        .iter()
        .filter(|c| schema.field_with_name(c).is_err())
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    missing.sort_unstable();
    missing.dedup();
    Err(Error::invalid_input(format!(
        "sort_partitions_by column(s) missing: {}",
        missing.join(", ")
    )))
}

fn row_count(batch: &RecordBatch) -> Result<u32> {
    u32::try_from(batch.num_rows()).map_err(|_| {
        Error::unsupported(format!(
            "batches of more than {} rows cannot be partitioned",
            u32::MAX
        ))
    })
}

fn unsupported_keys(partition_on: &[String], e: arrow::error::ArrowError) -> Error {
    Error::unsupported(format!(
        "cannot partition on {}: {e}",
        partition_on.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Float64Array, Int64Array, StringArray};

    fn batch() -> RecordBatch {
        RecordBatch::try_from_iter([
            (
                "P",
                Arc::new(Int64Array::from(vec![2, 1, 2, 1, 3])) as ArrayRef,
            ),
            (
                "L",
                Arc::new(StringArray::from(vec!["a", "b", "a", "c", "a"])) as ArrayRef,
            ),
            (
                "x",
                Arc::new(Int64Array::from(vec![0, 1, 2, 3, 4])) as ArrayRef,
            ),
        ])
        .unwrap()
    }

    #[test]
    fn first_appearance_order() {
        let groups = split(&batch(), &["P".into()], "base").unwrap();
        let labels: Vec<&str> = groups.iter().map(|g| g.label.as_str()).collect();
        assert_eq!(labels, ["P=2/base", "P=1/base", "P=3/base"]);
        assert_eq!(groups[0].rows, [0, 2]);
        assert_eq!(groups[1].rows, [1, 3]);
        let data = take_group(
            &batch(),
            &data_columns(&batch().schema(), &["P".into()]),
            &groups[0],
        )
        .unwrap();
        assert_eq!(data.schema().fields().len(), 2);
        assert_eq!(data.num_rows(), 2);
    }

    #[test]
    fn nulls_and_nan_are_rejected() {
        let b = RecordBatch::try_from_iter([
            (
                "P",
                Arc::new(Float64Array::from(vec![Some(1.0), Some(f64::NAN), None])) as ArrayRef,
            ),
            ("x", Arc::new(Int64Array::from(vec![0, 1, 2])) as ArrayRef),
        ])
        .unwrap();
        let err = split(&b, &["P".into()], "base").unwrap_err().to_string();
        assert!(
            err.contains(
                "Original dataframe size (3 rows) does not match new dataframe size (1 rows)"
            ),
            "{err}"
        );
    }
}
