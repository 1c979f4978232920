//! The canonical row dump `pyref-dump/1` (pyref README §6): a byte-comparable text form of a
//! table, written identically by the Python reference kit (from plateau's `read_table`) and
//! by [`dump_rows`] (from ours), so "Rust reads what Python reads" is a string comparison.
//!
//! The format: a header line
//! `{"columns":[{"name":…,"type":…},…],"dataset_uuid":…,"format":"pyref-dump/1","num_rows":N}`,
//! then one line per row — a JSON array of cells in header order — with the rows sorted by
//! their UTF-8 bytes. A cell is `null` or a one-key object chosen by the column's type:
//!
//! | Arrow type | cell |
//! |---|---|
//! | bool | `{"bool":true}` |
//! | integers | `{"int":-5}` (exact) |
//! | floats | `{"float":"1.5e0"}` (`format!("{:e}")` of the value as f64; NaN is `null`) |
//! | strings | `{"str":"…"}` |
//! | binaries | `{"bytes":"00ff"}` (lowercase hex) |
//! | date32/date64 | `{"date":"2020-01-01"}` |
//! | timestamp | `{"ts":"2020-01-01T00:00:00.000000"}`: 6 fractional digits, 9 with a sub-µs part; tz-aware columns in UTC with a `Z` suffix, naive ones as wall clock |
//! | time32/time64 | `{"time":"12:30:00.000001"}` |
//! | duration | `{"duration_ns":1000}` |
//! | decimal | `{"decimal":"-2.55"}` (fixed point, all scale digits) |
//! | list/large list/fixed-size list | `{"list":[cell,…]}` |
//! | struct | `{"struct":{"field":cell,…}}` (fields sorted by name) |
//! | dictionary | the cell of the value |
//! | null | `null` |
//!
//! JSON is compact with sorted keys, non-ASCII written raw and only `" \ \n \r \t \b \f` and
//! other control characters escaped (`serde_json::to_string`'s rules), so the bytes equal
//! Python's `json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)`.
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Int64Array, RecordBatch, StringArray};
//! use plateau_testing::canonical::dump_rows;
//!
//! let batch = RecordBatch::try_from_iter([
//!     ("x", Arc::new(Int64Array::from(vec![2, 1])) as _),
//!     ("s", Arc::new(StringArray::from(vec![Some("ü"), None])) as _),
//! ])
//! .unwrap();
//! let types = [("x".to_owned(), "int64".to_owned()), ("s".to_owned(), "large_string".to_owned())];
//! let dump = dump_rows("demo", &batch, &types).unwrap();
//! assert_eq!(
//!     dump,
//!     concat!(
//!         r#"{"columns":[{"name":"x","type":"int64"},{"name":"s","type":"large_string"}],"dataset_uuid":"demo","format":"pyref-dump/1","num_rows":2}"#, "\n",
//!         r#"[{"int":1},null]"#, "\n",
//!         r#"[{"int":2},{"str":"ü"}]"#, "\n",
//!     )
//! );
//! ```

use std::fmt::Write as _;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{
    DataType, Date32Type, Date64Type, Decimal128Type, Decimal256Type, DecimalType, Float16Type,
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, Time32MillisecondType,
    Time32SecondType, Time64MicrosecondType, Time64NanosecondType, TimeUnit, UInt16Type,
    UInt32Type, UInt64Type, UInt8Type,
};
use plateau_core::{Error, Result};

/// The format name in the header line.
pub const DUMP_FORMAT: &str = "pyref-dump/1";

/// The canonical dump of `batch` (header line plus one line per row, sorted, each ending in
/// `\n`).
///
/// `schema_types` maps column names to the pyarrow type string the header shows for them
/// (the type in the dataset's `_common_metadata`, e.g. `"timestamp[us, tz=UTC]"`); every
/// column of the batch must be listed. Cells are encoded by the batch's own Arrow types, which
/// give the same text as the stored types (a `Timestamp(ns)` column prints like a
/// `timestamp[us]` one).
///
/// # Errors
/// [`Error::InvalidInput`] for a column missing from `schema_types`;
/// [`Error::Unsupported`] for types without a canonical encoding (maps, unions, intervals,
/// views).
pub fn dump_rows(
    uuid: &str,
    batch: &RecordBatch,
    schema_types: &[(String, String)],
) -> Result<String> {
    let schema = batch.schema();
    let mut header = String::from("{\"columns\":[");
    for (i, field) in schema.fields().iter().enumerate() {
        let type_name = schema_types
            .iter()
            .find(|(name, _)| name == field.name())
            .map(|(_, t)| t.as_str())
            .ok_or_else(|| {
                Error::invalid_input(format!(
                    "no type given for column `{}` of the dump of `{uuid}`",
                    field.name()
                ))
            })?;
        if i > 0 {
            header.push(',');
        }
        header.push_str("{\"name\":");
        write_json_string(&mut header, field.name());
        header.push_str(",\"type\":");
        write_json_string(&mut header, type_name);
        header.push('}');
    }
    header.push_str("],\"dataset_uuid\":");
    write_json_string(&mut header, uuid);
    let _ = write!(
        header,
        ",\"format\":\"{DUMP_FORMAT}\",\"num_rows\":{}}}",
        batch.num_rows()
    );

    // Dictionary columns are decoded once rather than looked up row by row.
    let columns = batch
        .columns()
        .iter()
        .map(|column| match column.data_type() {
            DataType::Dictionary(_, value) => Ok(arrow::compute::cast(column, value)?),
            _ => Ok(std::sync::Arc::clone(column)),
        })
        .collect::<Result<Vec<_>>>()?;
    let mut rows = Vec::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        let mut line = String::from("[");
        for (i, column) in columns.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            write_cell(&mut line, column.as_ref(), row)?;
        }
        line.push(']');
        rows.push(line);
    }
    rows.sort_unstable();

    let mut out = header;
    out.push('\n');
    for row in rows {
        out.push_str(&row);
        out.push('\n');
    }
    Ok(out)
}

/// Writes the cell of `array[row]`.
pub fn write_cell(out: &mut String, array: &dyn Array, row: usize) -> Result<()> {
    if array.is_null(row) {
        out.push_str("null");
        return Ok(());
    }
    macro_rules! int {
        ($t:ty) => {{
            let _ = write!(out, "{{\"int\":{}}}", array.as_primitive::<$t>().value(row));
        }};
    }
    match array.data_type() {
        DataType::Null => out.push_str("null"),
        DataType::Boolean => {
            let _ = write!(out, "{{\"bool\":{}}}", array.as_boolean().value(row));
        }
        DataType::Int8 => int!(Int8Type),
        DataType::Int16 => int!(Int16Type),
        DataType::Int32 => int!(Int32Type),
        DataType::Int64 => int!(Int64Type),
        DataType::UInt8 => int!(UInt8Type),
        DataType::UInt16 => int!(UInt16Type),
        DataType::UInt32 => int!(UInt32Type),
        DataType::UInt64 => int!(UInt64Type),
        DataType::Float16 => {
            write_float(out, array.as_primitive::<Float16Type>().value(row).to_f64())
        }
        DataType::Float32 => write_float(
            out,
            f64::from(array.as_primitive::<Float32Type>().value(row)),
        ),
        DataType::Float64 => write_float(out, array.as_primitive::<Float64Type>().value(row)),
        DataType::Utf8 => write_tagged_str(out, "str", array.as_string::<i32>().value(row)),
        DataType::LargeUtf8 => write_tagged_str(out, "str", array.as_string::<i64>().value(row)),
        DataType::Binary => write_hex(out, array.as_binary::<i32>().value(row)),
        DataType::LargeBinary => write_hex(out, array.as_binary::<i64>().value(row)),
        DataType::FixedSizeBinary(_) => write_hex(out, array.as_fixed_size_binary().value(row)),
        DataType::Date32 => {
            let days = i64::from(array.as_primitive::<Date32Type>().value(row));
            let _ = write!(out, "{{\"date\":\"{}\"}}", format_date(days));
        }
        DataType::Date64 => {
            let ms = array.as_primitive::<Date64Type>().value(row);
            let _ = write!(
                out,
                "{{\"date\":\"{}\"}}",
                format_date(ms.div_euclid(86_400_000))
            );
        }
        DataType::Timestamp(unit, tz) => {
            let value = match unit {
                TimeUnit::Second => array
                    .as_primitive::<arrow::datatypes::TimestampSecondType>()
                    .value(row),
                TimeUnit::Millisecond => array
                    .as_primitive::<arrow::datatypes::TimestampMillisecondType>()
                    .value(row),
                TimeUnit::Microsecond => array
                    .as_primitive::<arrow::datatypes::TimestampMicrosecondType>()
                    .value(row),
                TimeUnit::Nanosecond => array
                    .as_primitive::<arrow::datatypes::TimestampNanosecondType>()
                    .value(row),
            };
            let nanos = i128::from(value) * i128::from(unit_nanos(*unit));
            let suffix = if tz.is_some() { "Z" } else { "" };
            let _ = write!(out, "{{\"ts\":\"{}{suffix}\"}}", format_timestamp(nanos));
        }
        DataType::Time32(unit) => {
            let seconds_or_ms = match unit {
                TimeUnit::Second => {
                    i64::from(array.as_primitive::<Time32SecondType>().value(row)) * 1_000_000_000
                }
                _ => {
                    i64::from(array.as_primitive::<Time32MillisecondType>().value(row)) * 1_000_000
                }
            };
            write_time(out, seconds_or_ms);
        }
        DataType::Time64(unit) => {
            let nanos = match unit {
                TimeUnit::Nanosecond => array.as_primitive::<Time64NanosecondType>().value(row),
                _ => array
                    .as_primitive::<Time64MicrosecondType>()
                    .value(row)
                    .saturating_mul(1_000),
            };
            write_time(out, nanos);
        }
        DataType::Duration(unit) => {
            let value = match unit {
                TimeUnit::Second => array
                    .as_primitive::<arrow::datatypes::DurationSecondType>()
                    .value(row),
                TimeUnit::Millisecond => array
                    .as_primitive::<arrow::datatypes::DurationMillisecondType>()
                    .value(row),
                TimeUnit::Microsecond => array
                    .as_primitive::<arrow::datatypes::DurationMicrosecondType>()
                    .value(row),
                TimeUnit::Nanosecond => array
                    .as_primitive::<arrow::datatypes::DurationNanosecondType>()
                    .value(row),
            };
            let nanos = i128::from(value) * i128::from(unit_nanos(*unit));
            let _ = write!(out, "{{\"duration_ns\":{nanos}}}");
        }
        DataType::Decimal128(precision, scale) => {
            let value = array.as_primitive::<Decimal128Type>().value(row);
            let text = Decimal128Type::format_decimal(value, *precision, *scale);
            write_tagged_str(out, "decimal", &text);
        }
        DataType::Decimal256(precision, scale) => {
            let value = array.as_primitive::<Decimal256Type>().value(row);
            let text = Decimal256Type::format_decimal(value, *precision, *scale);
            write_tagged_str(out, "decimal", &text);
        }
        DataType::List(_) => {
            let list = array.as_list::<i32>();
            write_list(out, list.value(row).as_ref())?;
        }
        DataType::LargeList(_) => {
            let list = array.as_list::<i64>();
            write_list(out, list.value(row).as_ref())?;
        }
        DataType::FixedSizeList(_, _) => {
            let list = array.as_fixed_size_list();
            write_list(out, list.value(row).as_ref())?;
        }
        DataType::Struct(fields) => {
            let structs = array.as_struct();
            let mut order: Vec<usize> = (0..fields.len()).collect();
            order.sort_by(|a, b| fields[*a].name().cmp(fields[*b].name()));
            out.push_str("{\"struct\":{");
            for (n, i) in order.into_iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write_json_string(out, fields[i].name());
                out.push(':');
                write_cell(out, structs.column(i).as_ref(), row)?;
            }
            out.push_str("}}");
        }
        DataType::Dictionary(_, _) => {
            let dictionary = array.as_any_dictionary();
            let key = arrow::compute::cast(&dictionary.keys().slice(row, 1), &DataType::UInt64)?;
            let key = key.as_primitive::<UInt64Type>().value(0);
            let key = usize::try_from(key)
                .map_err(|_| Error::invalid_input(format!("dictionary key {key} out of range")))?;
            write_cell(out, dictionary.values().as_ref(), key)?;
        }
        other => {
            return Err(Error::unsupported(format!(
                "no canonical encoding for Arrow type {other}"
            )))
        }
    }
    Ok(())
}

fn write_list(out: &mut String, values: &dyn Array) -> Result<()> {
    out.push_str("{\"list\":[");
    for i in 0..values.len() {
        if i > 0 {
            out.push(',');
        }
        write_cell(out, values, i)?;
    }
    out.push_str("]}");
    Ok(())
}

/// `{"float":"<{:e}>"}`, `null` for NaN (pandas cannot tell NaN from null).
fn write_float(out: &mut String, value: f64) {
    if value.is_nan() {
        out.push_str("null");
    } else {
        let _ = write!(out, "{{\"float\":\"{value:e}\"}}");
    }
}

fn write_hex(out: &mut String, bytes: &[u8]) {
    out.push_str("{\"bytes\":\"");
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out.push_str("\"}");
}

fn write_tagged_str(out: &mut String, tag: &str, value: &str) {
    out.push('{');
    write_json_string(out, tag);
    out.push(':');
    write_json_string(out, value);
    out.push('}');
}

/// A JSON string with serde_json's escaping: `"` `\` and the short escapes, other control
/// characters as `\u00xx`, everything else raw.
pub fn write_json_string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn unit_nanos(unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Second => 1_000_000_000,
        TimeUnit::Millisecond => 1_000_000,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1,
    }
}

/// `(year, month, day)` of a day count since 1970-01-01 in the proleptic Gregorian calendar
/// (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `YYYY-MM-DD` (at least four year digits).
fn format_date(days: i64) -> String {
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}")
}

/// `YYYY-MM-DDTHH:MM:SS.ffffff` (9 fractional digits when there is a sub-µs part) of
/// nanoseconds since the epoch.
fn format_timestamp(nanos: i128) -> String {
    let per_day = 86_400_000_000_000i128;
    let days = nanos.div_euclid(per_day);
    let in_day = nanos.rem_euclid(per_day) as i64;
    // Day counts of every representable timestamp fit i64 by a wide margin.
    let days = i64::try_from(days).unwrap_or(i64::MAX);
    format!("{}T{}", format_date(days), format_time_of_day(in_day))
}

/// `HH:MM:SS.ffffff[fff]` of nanoseconds since midnight.
fn format_time_of_day(nanos: i64) -> String {
    let seconds = nanos / 1_000_000_000;
    let fraction = nanos % 1_000_000_000;
    let (h, m, s) = (seconds / 3_600, seconds / 60 % 60, seconds % 60);
    if fraction % 1_000 == 0 {
        format!("{h:02}:{m:02}:{s:02}.{:06}", fraction / 1_000)
    } else {
        format!("{h:02}:{m:02}:{s:02}.{fraction:09}")
    }
}

/// `{"time":"HH:MM:SS.ffffff"}`: Python formats `datetime.time` with microseconds.
fn write_time(out: &mut String, nanos: i64) {
    let micros = nanos / 1_000;
    let seconds = micros / 1_000_000;
    let (h, m, s) = (seconds / 3_600, seconds / 60 % 60, seconds % 60);
    let _ = write!(
        out,
        "{{\"time\":\"{h:02}:{m:02}:{s:02}.{:06}\"}}",
        micros % 1_000_000
    );
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn calendar() {
        assert_eq!(format_date(0), "1970-01-01");
        assert_eq!(format_date(-1), "1969-12-31");
        assert_eq!(format_date(-719_162), "0001-01-01");
        assert_eq!(format_date(2_932_896), "9999-12-31");
        assert_eq!(format_date(19_416), "2023-02-28");
        assert_eq!(format_date(11_016), "2000-02-29");
    }

    #[test]
    fn timestamps() {
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00.000000");
        assert_eq!(format_timestamp(-1_000), "1969-12-31T23:59:59.999999");
        assert_eq!(format_timestamp(1), "1970-01-01T00:00:00.000000001");
        assert_eq!(
            format_timestamp(1_577_882_096_789_000_000),
            "2020-01-01T12:34:56.789000"
        );
    }

    #[test]
    fn strings_escape_like_serde_json() {
        let mut s = String::new();
        write_json_string(&mut s, "a\"\\\n\r\t\u{8}\u{c}\u{1}\u{7f}ü🎉");
        assert_eq!(s, "\"a\\\"\\\\\\n\\r\\t\\b\\f\\u0001\u{7f}ü🎉\"");
    }

    #[test]
    fn floats_use_rust_exponent_form() {
        let mut s = String::new();
        for v in [1.5, 0.1, 1e20, 0.0, -0.0, f64::INFINITY, f64::NAN] {
            write_float(&mut s, v);
            s.push(' ');
        }
        assert_eq!(
            s,
            r#"{"float":"1.5e0"} {"float":"1e-1"} {"float":"1e20"} {"float":"0e0"} {"float":"-0e0"} {"float":"inf"} null "#
        );
    }
}
