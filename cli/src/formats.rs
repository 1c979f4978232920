//! Input file formats: Parquet, CSV and JSON lines (the output formats are in
//! [`crate::output`]).
//!
//! JSON lines are handled here (not with arrow-json) to keep the dependency tree of the
//! workspace unchanged. Types are inferred per column: integer, float, bool or string, and
//! arrays and objects kept as their JSON text. Nulls (and missing keys) fit every type and
//! integers mixed with floats make a float column (exact up to 2^53); any other mix, such as
//! `1` on one line and `"x"` on another, is an error naming the file, the column and both
//! lines.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int64Builder, RecordBatch, StringBuilder,
};
use arrow::compute::{lexsort_to_indices, take_record_batch, SortColumn};
use arrow::datatypes::{DataType, Field, Schema};
use serde_json::Value as Json;

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
#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Null,
    Bool,
    Int,
    Float,
    Str,
    /// Arrays and objects, kept as their JSON text.
    Nested,
}

impl Kind {
    fn of(value: &Json) -> Kind {
        match value {
            Json::Null => Kind::Null,
            Json::Bool(_) => Kind::Bool,
            Json::Number(n) if n.is_i64() => Kind::Int,
            Json::Number(_) => Kind::Float,
            Json::String(_) => Kind::Str,
            Json::Array(_) | Json::Object(_) => Kind::Nested,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "a boolean",
            Kind::Int => "an integer",
            Kind::Float => "a float",
            Kind::Str => "a string",
            Kind::Nested => "an array or object",
        }
    }

    /// The kind of a column holding both kinds, if they mix.
    fn widen(self, other: Kind) -> Option<Kind> {
        match (self, other) {
            (Kind::Null, k) | (k, Kind::Null) => Some(k),
            (a, b) if a == b => Some(a),
            (Kind::Int, Kind::Float) | (Kind::Float, Kind::Int) => Some(Kind::Float),
            _ => None,
        }
    }
}

/// One column of a JSON lines file: its name, kind and the line that decided the kind.
struct JsonColumn {
    name: String,
    kind: Kind,
    line: usize,
}

fn read_jsonl(reader: impl BufRead) -> Result<RecordBatch, String> {
    let mut rows: Vec<serde_json::Map<String, Json>> = Vec::new();
    let mut columns: Vec<JsonColumn> = Vec::new();
    for (n, line) in reader.lines().enumerate() {
        let line_no = n + 1;
        let line = line.map_err(|e| format!("line {line_no}: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let Json::Object(row) =
            serde_json::from_str(&line).map_err(|e| format!("line {line_no}: {e}"))?
        else {
            return Err(format!("line {line_no}: not a JSON object"));
        };
        for (key, value) in &row {
            if matches!(value, Json::Number(n) if n.is_u64() && !n.is_i64()) {
                return Err(format!(
                    "line {line_no}: column `{key}`: integer {value} does not fit in a signed 64-bit integer"
                ));
            }
            let kind = Kind::of(value);
            match columns.iter_mut().find(|c| &c.name == key) {
                Some(column) => match column.kind.widen(kind) {
                    Some(widened) => {
                        if column.kind == Kind::Null {
                            column.line = line_no;
                        }
                        column.kind = widened;
                    }
                    None => {
                        return Err(format!(
                            "line {line_no}: column `{key}` holds {} but {} on line {}; \
                             a column must hold one type (integers and floats may mix)",
                            kind.describe(),
                            column.kind.describe(),
                            column.line
                        ))
                    }
                },
                None => columns.push(JsonColumn {
                    name: key.clone(),
                    kind,
                    line: line_no,
                }),
            }
        }
        rows.push(row);
    }
    if columns.is_empty() {
        return Err("no JSON objects".into());
    }
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for column in &columns {
        let name = &column.name;
        let values = rows.iter().map(|r| r.get(name).unwrap_or(&Json::Null));
        let (data_type, array): (DataType, ArrayRef) = match column.kind {
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
            Kind::Str | Kind::Nested | Kind::Null => {
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
