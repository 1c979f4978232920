//! Writes one sample index file per supported value type into a local store directory, plus
//! `expected.json` describing what each file must contain, for
//! `index/tests/python/check_plateau_loads.py` to verify that Python plateau loads every file
//! with the right type and values.
//!
//! ```text
//! cargo run -p plateau-index --example write_index_samples -- /tmp/index-samples
//! /work/pyvenv/bin/python index/tests/python/check_plateau_loads.py /tmp/index-samples
//! ```
//!
//! `expected.json`: a list of `{"column", "key", "type", "row_groups", "entries"}` where `type`
//! is the pyarrow type string plateau should see and `entries` are `[value, [labels...]]` with
//! values in a canonical text form: integers in decimal, floats as Python `repr`, bools as
//! `True`/`False`, strings as is, bytes in hex, dates as ISO, timestamps as nanoseconds since
//! the epoch (UTC), decimals as text.

use std::fmt::Write as _;
use std::sync::Arc;

use arrow::datatypes::{DataType, TimeUnit};
use plateau_core::{partition_value, temporal, Result, Scalar, Store};
use plateau_index::{Index, IndexKind};

/// One sample: column, type, entries.
struct Sample {
    column: &'static str,
    data_type: DataType,
    pyarrow_type: &'static str,
    entries: Vec<(Scalar, Vec<String>)>,
}

fn labels(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn nanos(text: &str) -> Result<i64> {
    Ok(temporal::parse_timestamp(text)?.nanos)
}

fn samples() -> Result<Vec<Sample>> {
    let ts = |text: &str, tz: Option<&str>| -> Result<Scalar> {
        Ok(Scalar::Timestamp {
            value: nanos(text)?,
            unit: TimeUnit::Nanosecond,
            tz: tz.map(Arc::from),
        })
    };
    let date = |text: &str| -> Result<Scalar> { Ok(Scalar::Date(temporal::parse_date(text)?)) };
    let p = |list: &[&str]| labels(list);
    Ok(vec![
        Sample {
            column: "i",
            data_type: DataType::Int64,
            pyarrow_type: "int64",
            entries: vec![
                (Scalar::Int(i64::MIN), p(&["p=1/a"])),
                (Scalar::Int(-1), p(&["p=1/a", "p=2/b"])),
                (Scalar::Int(i64::MAX), p(&["p=2/b"])),
            ],
        },
        Sample {
            column: "u",
            data_type: DataType::UInt64,
            pyarrow_type: "uint64",
            entries: vec![
                (Scalar::UInt(0), p(&["a"])),
                (Scalar::UInt(17_128_351_978_467_489_013), p(&["a", "b"])),
                (Scalar::UInt(u64::MAX), p(&["b"])),
            ],
        },
        Sample {
            column: "f",
            data_type: DataType::Float64,
            pyarrow_type: "double",
            entries: vec![
                (Scalar::Float(f64::NEG_INFINITY), p(&["a"])),
                (Scalar::Float(0.0), p(&["a", "b"])),
                (Scalar::Float(0.1), p(&["b"])),
                (Scalar::Float(1e300), p(&["c"])),
            ],
        },
        Sample {
            column: "b",
            data_type: DataType::Boolean,
            pyarrow_type: "bool",
            entries: vec![
                (Scalar::Bool(false), p(&["a"])),
                (Scalar::Bool(true), p(&["a", "b"])),
            ],
        },
        Sample {
            column: "s",
            data_type: DataType::Utf8,
            pyarrow_type: "large_string",
            entries: vec![
                (Scalar::from(""), p(&["a"])),
                (Scalar::from("quote\" back\\slash"), p(&["a"])),
                (Scalar::from("ü/ß é"), p(&["a", "b"])),
            ],
        },
        Sample {
            column: "by",
            data_type: DataType::Binary,
            pyarrow_type: "binary",
            entries: vec![
                (Scalar::Binary(vec![]), p(&["a"])),
                (Scalar::Binary(vec![0, 0xff, 0x80]), p(&["b"])),
            ],
        },
        Sample {
            column: "d",
            data_type: DataType::Date32,
            pyarrow_type: "date32[day]",
            entries: vec![
                (date("1900-01-01")?, p(&["a"])),
                (date("2020-02-29")?, p(&["a", "b"])),
            ],
        },
        Sample {
            column: "t",
            data_type: DataType::Timestamp(TimeUnit::Nanosecond, None),
            pyarrow_type: "timestamp[ns]",
            entries: vec![
                (ts("1970-01-01T00:00:00", None)?, p(&["a"])),
                (ts("2021-06-01T12:30:00.123456789", None)?, p(&["a", "b"])),
            ],
        },
        Sample {
            column: "tz",
            data_type: DataType::Timestamp(TimeUnit::Nanosecond, Some("Europe/Berlin".into())),
            pyarrow_type: "timestamp[ns, tz=Europe/Berlin]",
            entries: vec![
                (
                    ts("2018-01-01T00:00:00+01:00", Some("Europe/Berlin"))?,
                    p(&["a"]),
                ),
                (
                    ts("2021-03-28T01:30:00Z", Some("Europe/Berlin"))?,
                    p(&["b"]),
                ),
            ],
        },
        Sample {
            column: "utc",
            // Microseconds in, nanoseconds out: the index normalizes the unit.
            data_type: DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            pyarrow_type: "timestamp[ns, tz=UTC]",
            entries: vec![(ts("2022-01-01T10:00:00Z", Some("UTC"))?, p(&["a"]))],
        },
        Sample {
            column: "dec",
            data_type: DataType::Decimal128(10, 2),
            pyarrow_type: "decimal128(10, 2)",
            entries: vec![
                (
                    Scalar::Decimal {
                        value: -150,
                        precision: 10,
                        scale: 2,
                    },
                    p(&["a"]),
                ),
                (
                    Scalar::Decimal {
                        value: 12_345,
                        precision: 10,
                        scale: 2,
                    },
                    p(&["b"]),
                ),
            ],
        },
        Sample {
            column: "empty_i",
            data_type: DataType::Int64,
            pyarrow_type: "int64",
            entries: vec![],
        },
        Sample {
            column: "empty_tz",
            data_type: DataType::Timestamp(TimeUnit::Nanosecond, Some("EST".into())),
            pyarrow_type: "timestamp[ns, tz=EST]",
            entries: vec![],
        },
        Sample {
            column: "foo:bar/baz",
            data_type: DataType::Int32,
            pyarrow_type: "int64",
            entries: vec![(Scalar::Int(1), p(&["x=1/y"]))],
        },
        Sample {
            column: "large",
            data_type: DataType::Int64,
            pyarrow_type: "int64",
            entries: (0..25_000)
                .map(|i| (Scalar::Int(i), vec![format!("part_{}", i % 97)]))
                .collect(),
        },
    ])
}

/// The canonical text of a value (see the module docs).
fn canonical(value: &Scalar) -> Result<String> {
    Ok(match value {
        Scalar::Int(v) => v.to_string(),
        Scalar::UInt(v) => v.to_string(),
        Scalar::Float(v) => partition_value::format_float(*v),
        Scalar::Bool(v) => if *v { "True" } else { "False" }.to_owned(),
        Scalar::String(v) => v.clone(),
        Scalar::Binary(v) => v.iter().fold(String::new(), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        }),
        Scalar::Date(days) => temporal::date_to_string(*days).unwrap_or_default(),
        Scalar::Timestamp { value, unit, .. } => Scalar::timestamp_nanos(*value, *unit).to_string(),
        Scalar::Decimal { value, scale, .. } => temporal::decimal_to_string(*value, *scale),
        Scalar::Null => "None".to_owned(),
    })
}

/// A JSON string literal.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn main() -> Result<()> {
    let dir = std::env::args()
        .nth(1)
        .ok_or_else(|| plateau_core::Error::invalid_input("usage: write_index_samples <dir>"))?;
    let store = Store::local(&dir)?;
    let mut json = String::from("[\n");
    let samples = samples()?;
    for (n, sample) in samples.iter().enumerate() {
        let index = Index::from_entries(
            sample.column,
            IndexKind::Secondary,
            &sample.data_type,
            sample.entries.clone(),
        )?;
        let now = format!("2024-01-01T00:00:00.{n:06}+00:00");
        let stored = index.store(&store, "samples", &now)?;
        let key = stored.storage_key().unwrap_or_default().to_owned();
        // Our own reader must agree before Python is asked.
        if Index::load(&store, sample.column, &key)? != index {
            return Err(plateau_core::Error::corrupt(
                &key,
                "reads back different content",
            ));
        }

        let mut entries = Vec::new();
        for (value, labels) in index.entries()? {
            let labels: Vec<String> = labels.iter().map(|l| json_string(l)).collect();
            entries.push(format!(
                "[{}, [{}]]",
                json_string(&canonical(&value)?),
                labels.join(", ")
            ));
        }
        let row_groups = index.len().div_ceil(plateau_index::ROW_GROUP_SIZE);
        let _ = writeln!(
            json,
            "  {{\"column\": {}, \"key\": {}, \"type\": {}, \"row_groups\": {row_groups}, \"entries\": [{}]}}{}",
            json_string(sample.column),
            json_string(&key),
            json_string(sample.pyarrow_type),
            entries.join(", "),
            if n + 1 < samples.len() { "," } else { "" }
        );
        println!("{key}: {} values", index.len());
    }
    json.push_str("]\n");
    std::fs::write(std::path::Path::new(&dir).join("expected.json"), json)?;
    Ok(())
}
