//! Input and output file formats: Parquet, CSV and JSON lines in, plus an aligned table out.
//!
//! JSON lines are handled here (not with arrow-json) to keep the dependency tree of the
//! workspace unchanged; types are inferred per column (integer, float, bool, else string).

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanBuilder, Float64Builder, Int64Builder, RecordBatch, StringBuilder,
};
use arrow::compute::{lexsort_to_indices, take_record_batch, SortColumn};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use serde_json::Value as Json;

use crate::{CliError, CliResult, InputFormat, OutputFormat};

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
            let reader =
                parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                    .and_then(|b| b.build())
                    .map_err(|e| unreadable(e.to_string()))?;
            reader
                .collect::<Result<_, _>>()
                .map_err(|e| unreadable(e.to_string()))?
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
        InputFormat::Jsonl => vec![read_jsonl(BufReader::new(file)).map_err(unreadable)?],
    };
    match batches.first() {
        Some(first) => Ok(arrow::compute::concat_batches(
            first.schema_ref(),
            &batches,
        )?),
        None => Err(unreadable("the file holds no rows and no schema".into())),
    }
}

/// The inferred type of a JSON lines column.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Null,
    Bool,
    Int,
    Float,
    Str,
}

fn kind_of(value: &Json) -> Kind {
    match value {
        Json::Null => Kind::Null,
        Json::Bool(_) => Kind::Bool,
        Json::Number(n) if n.is_i64() => Kind::Int,
        Json::Number(_) => Kind::Float,
        _ => Kind::Str,
    }
}

fn widen(a: Kind, b: Kind) -> Kind {
    match (a, b) {
        (Kind::Null, k) | (k, Kind::Null) => k,
        (a, b) if a == b => a,
        (Kind::Int, Kind::Float) | (Kind::Float, Kind::Int) => Kind::Float,
        _ => Kind::Str,
    }
}

fn read_jsonl(reader: impl BufRead) -> Result<RecordBatch, String> {
    let mut rows: Vec<serde_json::Map<String, Json>> = Vec::new();
    let mut columns: Vec<(String, Kind)> = Vec::new();
    for (n, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| e.to_string())?;
        if line.trim().is_empty() {
            continue;
        }
        let Json::Object(row) =
            serde_json::from_str(&line).map_err(|e| format!("line {}: {e}", n + 1))?
        else {
            return Err(format!("line {}: not a JSON object", n + 1));
        };
        for (key, value) in &row {
            match columns.iter_mut().find(|(name, _)| name == key) {
                Some((_, kind)) => *kind = widen(*kind, kind_of(value)),
                None => columns.push((key.clone(), kind_of(value))),
            }
        }
        rows.push(row);
    }
    if columns.is_empty() {
        return Err("no JSON objects".into());
    }
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (name, kind) in &columns {
        let values = rows.iter().map(|r| r.get(name).unwrap_or(&Json::Null));
        let (data_type, array): (DataType, ArrayRef) = match kind {
            Kind::Bool => {
                let mut b = BooleanBuilder::new();
                values.for_each(|v| b.append_option(v.as_bool()));
                (DataType::Boolean, Arc::new(b.finish()))
            }
            Kind::Int => {
                let mut b = Int64Builder::new();
                values.for_each(|v| b.append_option(v.as_i64()));
                (DataType::Int64, Arc::new(b.finish()))
            }
            Kind::Float => {
                let mut b = Float64Builder::new();
                values.for_each(|v| b.append_option(v.as_f64()));
                (DataType::Float64, Arc::new(b.finish()))
            }
            Kind::Str | Kind::Null => {
                let mut b = StringBuilder::new();
                values.for_each(|v| match v {
                    Json::Null => b.append_null(),
                    Json::String(s) => b.append_value(s),
                    other => b.append_value(other.to_string()),
                });
                (DataType::Utf8, Arc::new(b.finish()))
            }
        };
        fields.push(Field::new(name, data_type, true));
        arrays.push(array);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(|e| e.to_string())
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

/// Writes `table` to `out` in `format`.
pub fn write_output(out: &mut impl Write, table: &RecordBatch, format: OutputFormat) -> CliResult {
    match format {
        OutputFormat::Table => {
            writeln!(
                out,
                "{}",
                arrow::util::pretty::pretty_format_batches(std::slice::from_ref(table))?
            )?;
        }
        OutputFormat::Csv => {
            let mut writer = arrow::csv::Writer::new(out);
            writer.write(table)?;
        }
        OutputFormat::Jsonl => write_jsonl(out, table)?,
        OutputFormat::Parquet => {
            // ArrowWriter needs `Send`, which a locked stdout is not: buffer first.
            let mut buffer = Vec::new();
            let mut writer =
                parquet::arrow::ArrowWriter::try_new(&mut buffer, table.schema(), None)?;
            writer.write(table)?;
            writer.close()?;
            out.write_all(&buffer)?;
        }
    }
    Ok(())
}

fn write_jsonl(out: &mut impl Write, table: &RecordBatch) -> CliResult {
    let options = FormatOptions::default();
    let schema = table.schema();
    let formatters = table
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
        .collect::<Result<Vec<_>, _>>()?;
    for row in 0..table.num_rows() {
        let mut object = serde_json::Map::new();
        for (i, column) in table.columns().iter().enumerate() {
            let value = if column.is_null(row) {
                Json::Null
            } else {
                match plateau_core::Scalar::try_from_array(column.as_ref(), row) {
                    Ok(plateau_core::Scalar::Bool(b)) => Json::Bool(b),
                    Ok(plateau_core::Scalar::Int(v)) => Json::from(v),
                    Ok(plateau_core::Scalar::UInt(v)) => Json::from(v),
                    Ok(plateau_core::Scalar::Float(v)) => {
                        serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number)
                    }
                    _ => Json::String(formatters[i].value(row).to_string()),
                }
            };
            object.insert(schema.field(i).name().clone(), value);
        }
        writeln!(out, "{}", Json::Object(object))?;
    }
    Ok(())
}
