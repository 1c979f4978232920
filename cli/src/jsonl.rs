//! JSON lines input: one JSON object per line, read into one [`RecordBatch`].
//!
//! Read here (not with arrow-json) to keep the dependency tree of the workspace unchanged.
//! Types are inferred per column: integer, float, bool or string, and arrays and objects kept
//! as their JSON text. Nulls (and missing keys) fit every type and integers mixed with floats
//! make a float column (exact up to 2^53); any other mix, such as `1` on one line and `"x"` on
//! another, is an error naming the column and both lines (a silently widened column would
//! change what the user wrote).

use std::io::BufRead;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int64Builder, RecordBatch, StringBuilder,
};
use arrow::datatypes::{DataType, Field, Schema};
use plateau_core::{Error, Result};
use serde_json::Value as Json;

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

/// Reads JSON lines (one object per line; blank lines skipped) as one batch, with each
/// column's type inferred as described in the module documentation.
///
/// # Errors
/// [`Error::InvalidInput`] naming the line (and the column, for a type mix): a line that is
/// not a JSON object, an integer beyond `i64`, a column holding two types, no object at all,
/// or a read error of `reader`.
pub fn read_jsonl(reader: impl BufRead) -> Result<RecordBatch> {
    read_rows(reader).map_err(Error::InvalidInput)
}

fn read_rows(reader: impl BufRead) -> std::result::Result<RecordBatch, String> {
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
