//! Writes `_common_metadata` samples for the Python interop check.
//!
//! ```text
//! cargo run -p plateau-metadata --example write_common_metadata_samples -- <dir>
//! /work/pyvenv/bin/python metadata/tests/python/check_common_metadata.py <dir>
//! ```
//!
//! For every sample, `<dir>/<name>/table/_common_metadata` holds the schema [`make_meta`]
//! builds for it, and `<dir>/manifest.json` lists the samples with their partition keys and
//! a `kind` per column, from which the Python check builds the equivalent pandas frame.
//!
//! The test `common_metadata_samples.rs` includes this file to round-trip every sample.

use std::path::Path;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use plateau_metadata::common_metadata::write_common_metadata;
use plateau_metadata::schema::make_meta;

/// One sample: a dataset name, its partition keys and `(column, kind)` pairs.
pub struct Sample {
    /// Dataset uuid of the sample.
    pub name: &'static str,
    /// Partition keys (also columns).
    pub partition_keys: &'static [&'static str],
    /// Columns in the order the batch has them, each with its kind (see [`data_type`]).
    pub columns: &'static [(&'static str, &'static str)],
}

/// The Arrow type of a column kind. The Python check maps the same kinds to pandas columns.
pub fn data_type(kind: &str) -> Option<DataType> {
    let tz = |unit: TimeUnit, zone: &str| DataType::Timestamp(unit, Some(zone.into()));
    let list = |t: DataType| DataType::List(Arc::new(Field::new("item", t, true)));
    Some(match kind {
        "int8" => DataType::Int8,
        "int16" => DataType::Int16,
        "int32" => DataType::Int32,
        "int64" => DataType::Int64,
        "uint8" => DataType::UInt8,
        "uint16" => DataType::UInt16,
        "uint32" => DataType::UInt32,
        "uint64" => DataType::UInt64,
        "float32" => DataType::Float32,
        "float64" => DataType::Float64,
        "bool" => DataType::Boolean,
        "string" => DataType::Utf8,
        "large_string" => DataType::LargeUtf8,
        "string_view" => DataType::Utf8View,
        "dict_string" => DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Utf8)),
        "binary" => DataType::Binary,
        "large_binary" => DataType::LargeBinary,
        "date32" => DataType::Date32,
        "decimal" => DataType::Decimal128(10, 2),
        "ts_s" => DataType::Timestamp(TimeUnit::Second, None),
        "ts_ms" => DataType::Timestamp(TimeUnit::Millisecond, None),
        "ts_us" => DataType::Timestamp(TimeUnit::Microsecond, None),
        "ts_ns" => DataType::Timestamp(TimeUnit::Nanosecond, None),
        "ts_s_utc" => tz(TimeUnit::Second, "UTC"),
        "ts_ms_utc" => tz(TimeUnit::Millisecond, "UTC"),
        "ts_us_utc" => tz(TimeUnit::Microsecond, "UTC"),
        "ts_ns_utc" => tz(TimeUnit::Nanosecond, "UTC"),
        "ts_us_berlin" => tz(TimeUnit::Microsecond, "Europe/Berlin"),
        "ts_ns_berlin" => tz(TimeUnit::Nanosecond, "Europe/Berlin"),
        "list_int64" => list(DataType::Int64),
        "list_string" => list(DataType::Utf8),
        "null" => DataType::Null,
        _ => return None,
    })
}

/// Every sample written.
pub fn samples() -> Vec<Sample> {
    vec![
        Sample {
            name: "ints",
            partition_keys: &[],
            columns: &[
                ("u64", "uint64"),
                ("i8", "int8"),
                ("i16", "int16"),
                ("i32", "int32"),
                ("i64", "int64"),
                ("u8", "uint8"),
                ("u16", "uint16"),
                ("u32", "uint32"),
            ],
        },
        Sample {
            name: "floats_bool",
            partition_keys: &[],
            columns: &[("f32", "float32"), ("f64", "float64"), ("b", "bool")],
        },
        Sample {
            name: "strings",
            partition_keys: &[],
            columns: &[
                ("s", "string"),
                ("ls", "large_string"),
                ("sv", "string_view"),
                ("cat", "dict_string"),
            ],
        },
        Sample {
            name: "binary_date_decimal",
            partition_keys: &[],
            columns: &[
                ("bin", "binary"),
                ("lbin", "large_binary"),
                ("d", "date32"),
                ("dec", "decimal"),
            ],
        },
        Sample {
            name: "ts_naive",
            partition_keys: &[],
            columns: &[
                ("t_s", "ts_s"),
                ("t_ms", "ts_ms"),
                ("t_us", "ts_us"),
                ("t_ns", "ts_ns"),
            ],
        },
        Sample {
            name: "ts_utc_us",
            partition_keys: &[],
            columns: &[("t", "ts_us_utc"), ("v", "int64")],
        },
        Sample {
            name: "ts_berlin_us",
            partition_keys: &[],
            columns: &[("t", "ts_us_berlin"), ("v", "int64")],
        },
        Sample {
            name: "ts_utc_ns",
            partition_keys: &[],
            columns: &[("t", "ts_ns_utc"), ("v", "int64")],
        },
        Sample {
            name: "ts_utc_s",
            partition_keys: &[],
            columns: &[("t", "ts_s_utc"), ("v", "int64")],
        },
        Sample {
            name: "ts_utc_ms",
            partition_keys: &[],
            columns: &[("t", "ts_ms_utc"), ("v", "int64")],
        },
        Sample {
            name: "ts_berlin_ns",
            partition_keys: &[],
            columns: &[("t", "ts_ns_berlin"), ("v", "int64")],
        },
        Sample {
            name: "lists",
            partition_keys: &[],
            columns: &[("li", "list_int64"), ("ls", "list_string")],
        },
        Sample {
            name: "null_column",
            partition_keys: &[],
            columns: &[("v", "int64"), ("n", "null")],
        },
        Sample {
            name: "partitioned",
            partition_keys: &["q", "p"],
            columns: &[
                ("z", "float64"),
                ("p", "string"),
                ("a", "int32"),
                ("q", "int64"),
                ("B", "string"),
            ],
        },
        Sample {
            name: "partitioned_ts",
            partition_keys: &["p"],
            columns: &[
                ("t", "ts_ns"),
                ("tz", "ts_us_utc"),
                ("p", "string"),
                ("v", "int16"),
            ],
        },
        Sample {
            name: "all_types",
            partition_keys: &["part"],
            columns: &[
                ("part", "int8"),
                ("i8", "int8"),
                ("i16", "int16"),
                ("i32", "int32"),
                ("i64", "int64"),
                ("u8", "uint8"),
                ("u16", "uint16"),
                ("u32", "uint32"),
                ("u64", "uint64"),
                ("f32", "float32"),
                ("f64", "float64"),
                ("b", "bool"),
                ("s", "string"),
                ("ls", "large_string"),
                ("cat", "dict_string"),
                ("bin", "binary"),
                ("d", "date32"),
                ("dec", "decimal"),
                ("t_s", "ts_s"),
                ("t_ms", "ts_ms"),
                ("t_us", "ts_us"),
                ("t_ns", "ts_ns"),
                ("t_utc", "ts_us_utc"),
                ("t_berlin", "ts_us_berlin"),
                ("li", "list_int64"),
                ("lst", "list_string"),
                ("n", "null"),
            ],
        },
    ]
}

/// The Arrow schema of a sample.
pub fn sample_schema(sample: &Sample) -> Result<Schema, String> {
    let fields = sample
        .columns
        .iter()
        .map(|(name, kind)| {
            data_type(kind)
                .map(|t| Field::new(*name, t, true))
                .ok_or_else(|| format!("unknown kind {kind}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Schema::new(fields))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .ok_or("usage: write_common_metadata_samples <dir>")?;
    let dir = Path::new(&dir);
    let mut manifest = Vec::new();
    for sample in samples() {
        let partition_keys: Vec<String> = sample
            .partition_keys
            .iter()
            .map(|k| k.to_string())
            .collect();
        let schema = make_meta(
            &sample_schema(&sample)?,
            &format!("table/{}", sample.name),
            &partition_keys,
        )?;
        let table_dir = dir.join(sample.name).join("table");
        std::fs::create_dir_all(&table_dir)?;
        std::fs::write(
            table_dir.join("_common_metadata"),
            write_common_metadata(&schema)?,
        )?;
        manifest.push(serde_json::json!({
            "name": sample.name,
            "partition_keys": sample.partition_keys,
            "columns": sample
                .columns
                .iter()
                .map(|(name, kind)| serde_json::json!({"name": name, "kind": kind}))
                .collect::<Vec<_>>(),
        }));
        println!("{}: {}", sample.name, schema.names().join(", "));
    }
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_string_pretty(&manifest)?,
    )?;
    Ok(())
}
