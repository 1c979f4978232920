//! Input file formats: Parquet, CSV and JSON lines (the output formats are in
//! [`crate::output`], JSON lines are read by [`plateau_cli::jsonl`]).

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::{lexsort_to_indices, take_record_batch, SortColumn};
use plateau_cli::jsonl::read_jsonl;

use crate::{CliError, CliResult, InputFormat};

/// The format of `path`: `explicit`, else from the extension.
fn input_format(path: &Path, explicit: Option<InputFormat>) -> CliResult<InputFormat> {
    if let Some(format) = explicit {
        return Ok(format);
    }
    let name = path.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".parquet") || name.ends_with(".pq") {
        Ok(InputFormat::Parquet)
    } else if name.ends_with(".csv") {
        Ok(InputFormat::Csv)
    } else if name.ends_with(".jsonl") || name.ends_with(".ndjson") || name.ends_with(".json") {
        Ok(InputFormat::Jsonl)
    } else {
        Err(CliError::input(format!(
            "cannot infer the format of input file `{}` from its extension; use --input-format",
            path.display()
        )))
    }
}

/// Reads one input file as one batch (one plateau input frame).
pub fn read_input(path: &Path, explicit: Option<InputFormat>) -> CliResult<RecordBatch> {
    let format = input_format(path, explicit)?;
    let unreadable = |why: String| {
        CliError::input(format!(
            "cannot read input file `{}`: {why}",
            path.display()
        ))
    };
    let file = File::open(path).map_err(|e| unreadable(e.to_string()))?;
    let batches: Vec<RecordBatch> = match format {
        InputFormat::Parquet => {
            let decode = || -> plateau_core::Result<Vec<RecordBatch>> {
                let reader =
                    parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                        .and_then(|b| b.build())?;
                Ok(reader.collect::<Result<_, _>>()?)
            };
            // The parquet crate panics on some corrupt pages; that is an unreadable file.
            plateau_serialization::parquet::guard_decoder(&path.display().to_string(), decode)
                .map_err(|e| match e {
                    plateau_core::Error::Corrupt { message, .. } => unreadable(message),
                    other => unreadable(other.to_string()),
                })?
        }
        InputFormat::Csv => {
            let format = arrow::csv::reader::Format::default().with_header(true);
            let (schema, _) = format
                .infer_schema(BufReader::new(&file), None)
                .map_err(|e| unreadable(e.to_string()))?;
            let file = File::open(path).map_err(|e| unreadable(e.to_string()))?;
            let reader = arrow::csv::ReaderBuilder::new(Arc::new(schema))
                .with_header(true)
                .build(file)
                .map_err(|e| unreadable(e.to_string()))?;
            reader
                .collect::<Result<_, _>>()
                .map_err(|e| unreadable(e.to_string()))?
        }
        InputFormat::Jsonl => vec![read_jsonl(BufReader::new(file)).map_err(|e| match e {
            plateau_core::Error::InvalidInput(message) => unreadable(message),
            other => unreadable(other.to_string()),
        })?],
    };
    match batches.first() {
        Some(first) => Ok(arrow::compute::concat_batches(
            first.schema_ref(),
            &batches,
        )?),
        None => Err(unreadable("the file holds no rows and no schema".into())),
    }
}

/// Sorts `batch` by `columns`, ascending, nulls first.
pub fn sort_batch(batch: &RecordBatch, columns: &[String]) -> CliResult<RecordBatch> {
    let sort_columns = columns
        .iter()
        .map(|name| {
            let values = batch.column_by_name(name).cloned().ok_or_else(|| {
                CliError::input(format!("--sort-by: the input has no column `{name}`"))
            })?;
            Ok(SortColumn {
                values,
                options: None,
            })
        })
        .collect::<CliResult<Vec<_>>>()?;
    let indices = lexsort_to_indices(&sort_columns, None)?;
    Ok(take_record_batch(batch, &indices)?)
}
