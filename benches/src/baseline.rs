//! The floor every plateau read is compared with: arrow-rs reading the same Parquet files
//! directly, without plateau's metadata.

use std::error::Error;
use std::fs::File;
use std::path::Path;

use arrow::array::{Int64Array, RecordBatch};
use arrow::compute::kernels::cmp::{gt_eq, lt_eq};
use arrow::compute::{and, concat_batches, filter_record_batch};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// Keeps the rows with `min <= column <= max` (an int64 column).
#[derive(Clone, Debug)]
pub struct RangeFilter {
    /// The column.
    pub column: String,
    /// The smallest value kept.
    pub min: i64,
    /// The largest value kept.
    pub max: i64,
}

/// Reads `files` with arrow-rs's `ParquetRecordBatchReader`, filters every batch and
/// concatenates them.
///
/// # Errors
/// I/O and Parquet errors, a filter column missing from a file, no batch at all.
pub fn read_files<P: AsRef<Path>>(
    files: &[P],
    filter: Option<&RangeFilter>,
) -> Result<RecordBatch, Box<dyn Error>> {
    let mut batches = Vec::new();
    let mut schema = None;
    for path in files {
        let path = path.as_ref();
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path)?)?.build()?;
        for batch in reader {
            let batch = batch?;
            let batch = match filter {
                Some(RangeFilter { column, min, max }) => {
                    let values = batch
                        .column_by_name(column)
                        .ok_or_else(|| format!("no column `{column}` in {}", path.display()))?;
                    let mask = and(
                        &gt_eq(values, &Int64Array::new_scalar(*min))?,
                        &lt_eq(values, &Int64Array::new_scalar(*max))?,
                    )?;
                    filter_record_batch(&batch, &mask)?
                }
                None => batch,
            };
            schema.get_or_insert_with(|| batch.schema());
            batches.push(batch);
        }
    }
    let schema = schema.ok_or("no batches")?;
    Ok(concat_batches(&schema, &batches)?)
}
