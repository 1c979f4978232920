//! Writes Parquet files of every Arrow type `ParquetSerializer` stores, plus a sidecar
//! `expected.json` with the values a reader must see, for the interop check
//! `serialization/tests/python/check_pyarrow_reads.py`:
//!
//! ```text
//! cargo run -p plateau-serialization --example write_type_samples -- /tmp/samples
//! /work/pyvenv/bin/python serialization/tests/python/check_pyarrow_reads.py /tmp/samples
//! ```
//!
//! Expected values are JSON, by `kind`: `int`, `float` (`"nan"`, `"inf"`, `"-inf"` for the
//! special values), `bool`, `string`, `binary` (hex), `date` (`YYYY-MM-DD`), `timestamp`
//! (nanoseconds since the epoch, UTC), `decimal` (text), `dictionary` (the values),
//! `list_int` (lists), `null`. `type` is pyarrow's name of the column type as read back
//! (`timestamp[s]` is stored as `timestamp[ms]` and `date64` as `date32`, as pyarrow does).

use std::error::Error;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryArray, BooleanArray, Date32Array, Date64Array, Decimal128Array,
    DictionaryArray, Float32Array, Float64Array, Int16Array, Int32Array, Int64Array, Int8Array,
    LargeStringArray, ListArray, NullArray, RecordBatch, StringArray, TimestampMicrosecondArray,
    TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray, UInt16Array,
    UInt32Array, UInt64Array, UInt8Array,
};
use arrow::datatypes::{Int32Type, Int64Type};
use plateau_core::Store;
use plateau_serialization::{ParquetSerializer, Serializer};
use serde_json::{json, Value};

/// 2020-01-01T00:00:00.123456789 UTC, in nanoseconds.
const NS: i64 = 1_577_836_800_123_456_789;

/// One column: name, array, pyarrow type name, value kind, expected values.
struct Sample {
    name: &'static str,
    array: ArrayRef,
    pyarrow_type: &'static str,
    kind: &'static str,
    values: Vec<Value>,
}

fn sample(
    name: &'static str,
    array: ArrayRef,
    pyarrow_type: &'static str,
    kind: &'static str,
    values: Vec<Value>,
) -> Sample {
    Sample {
        name,
        array,
        pyarrow_type,
        kind,
        values,
    }
}

fn samples() -> Result<Vec<Sample>, Box<dyn Error>> {
    let n = Value::Null;
    let ts = |values: [Option<i64>; 3], factor: i64| -> Vec<Value> {
        values
            .iter()
            .map(|v| v.map_or(Value::Null, |v| json!(v * factor)))
            .collect()
    };
    let s_values = [Some(NS / 1_000_000_000), None, Some(-86_400)];
    let ms_values = [Some(NS / 1_000_000), None, Some(1)];
    let us_values = [Some(NS / 1_000), None, Some(-1)];
    let ns_values = [Some(NS), None, Some(1)];
    let dict: DictionaryArray<Int32Type> = vec![Some("p"), None, Some("q")].into_iter().collect();
    let list = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
        Some(vec![Some(1), None, Some(3)]),
        None,
        Some(vec![]),
    ]);
    Ok(vec![
        sample(
            "int8",
            Arc::new(Int8Array::from(vec![Some(i8::MIN), None, Some(i8::MAX)])),
            "int8",
            "int",
            vec![json!(i8::MIN), n.clone(), json!(i8::MAX)],
        ),
        sample(
            "int16",
            Arc::new(Int16Array::from(vec![Some(i16::MIN), None, Some(16)])),
            "int16",
            "int",
            vec![json!(i16::MIN), n.clone(), json!(16)],
        ),
        sample(
            "int32",
            Arc::new(Int32Array::from(vec![Some(-32), None, Some(i32::MAX)])),
            "int32",
            "int",
            vec![json!(-32), n.clone(), json!(i32::MAX)],
        ),
        sample(
            "int64",
            Arc::new(Int64Array::from(vec![Some(i64::MIN), None, Some(i64::MAX)])),
            "int64",
            "int",
            vec![json!(i64::MIN), n.clone(), json!(i64::MAX)],
        ),
        sample(
            "uint8",
            Arc::new(UInt8Array::from(vec![Some(0), None, Some(u8::MAX)])),
            "uint8",
            "int",
            vec![json!(0), n.clone(), json!(u8::MAX)],
        ),
        sample(
            "uint16",
            Arc::new(UInt16Array::from(vec![Some(0), None, Some(u16::MAX)])),
            "uint16",
            "int",
            vec![json!(0), n.clone(), json!(u16::MAX)],
        ),
        sample(
            "uint32",
            Arc::new(UInt32Array::from(vec![Some(0), None, Some(u32::MAX)])),
            "uint32",
            "int",
            vec![json!(0), n.clone(), json!(u32::MAX)],
        ),
        sample(
            "uint64",
            Arc::new(UInt64Array::from(vec![Some(0), None, Some(u64::MAX)])),
            "uint64",
            "int",
            vec![json!(0), n.clone(), json!(u64::MAX)],
        ),
        sample(
            "float32",
            Arc::new(Float32Array::from(vec![Some(1.5), None, Some(f32::NAN)])),
            "float",
            "float",
            vec![json!(1.5), n.clone(), json!("nan")],
        ),
        sample(
            "float64",
            Arc::new(Float64Array::from(vec![
                Some(-0.1),
                Some(f64::NEG_INFINITY),
                None,
            ])),
            "double",
            "float",
            vec![json!(-0.1), json!("-inf"), n.clone()],
        ),
        sample(
            "bool",
            Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)])),
            "bool",
            "bool",
            vec![json!(true), n.clone(), json!(false)],
        ),
        sample(
            "string",
            Arc::new(StringArray::from(vec![Some("ä;\"x\""), None, Some("")])),
            "string",
            "string",
            vec![json!("ä;\"x\""), n.clone(), json!("")],
        ),
        sample(
            "large_string",
            Arc::new(LargeStringArray::from(vec![
                Some("large"),
                None,
                Some("🙈"),
            ])),
            "large_string",
            "string",
            vec![json!("large"), n.clone(), json!("🙈")],
        ),
        sample(
            "binary",
            Arc::new(BinaryArray::from(vec![
                Some(&b"\x00\xff"[..]),
                None,
                Some(b""),
            ])),
            "binary",
            "binary",
            vec![json!("00ff"), n.clone(), json!("")],
        ),
        sample(
            "date32",
            Arc::new(Date32Array::from(vec![Some(18262), None, Some(-1)])),
            "date32[day]",
            "date",
            vec![json!("2020-01-01"), n.clone(), json!("1969-12-31")],
        ),
        // Parquet has no date64: written as date32, as pyarrow does.
        sample(
            "date64",
            Arc::new(Date64Array::from(vec![
                Some(18262 * 86_400_000),
                None,
                Some(0),
            ])),
            "date32[day]",
            "date",
            vec![json!("2020-01-01"), n.clone(), json!("1970-01-01")],
        ),
        sample(
            "ts_s",
            Arc::new(TimestampSecondArray::from(s_values.to_vec())),
            "timestamp[ms]",
            "timestamp",
            ts(s_values, 1_000_000_000),
        ),
        sample(
            "ts_ms",
            Arc::new(TimestampMillisecondArray::from(ms_values.to_vec())),
            "timestamp[ms]",
            "timestamp",
            ts(ms_values, 1_000_000),
        ),
        sample(
            "ts_us",
            Arc::new(TimestampMicrosecondArray::from(us_values.to_vec())),
            "timestamp[us]",
            "timestamp",
            ts(us_values, 1_000),
        ),
        sample(
            "ts_ns",
            Arc::new(TimestampNanosecondArray::from(ns_values.to_vec())),
            "timestamp[ns]",
            "timestamp",
            ts(ns_values, 1),
        ),
        sample(
            "ts_s_utc",
            Arc::new(TimestampSecondArray::from(s_values.to_vec()).with_timezone("UTC")),
            "timestamp[ms, tz=UTC]",
            "timestamp",
            ts(s_values, 1_000_000_000),
        ),
        sample(
            "ts_ms_berlin",
            Arc::new(
                TimestampMillisecondArray::from(ms_values.to_vec()).with_timezone("Europe/Berlin"),
            ),
            "timestamp[ms, tz=Europe/Berlin]",
            "timestamp",
            ts(ms_values, 1_000_000),
        ),
        sample(
            "ts_us_utc",
            Arc::new(TimestampMicrosecondArray::from(us_values.to_vec()).with_timezone("UTC")),
            "timestamp[us, tz=UTC]",
            "timestamp",
            ts(us_values, 1_000),
        ),
        sample(
            "ts_ns_berlin",
            Arc::new(
                TimestampNanosecondArray::from(ns_values.to_vec()).with_timezone("Europe/Berlin"),
            ),
            "timestamp[ns, tz=Europe/Berlin]",
            "timestamp",
            ts(ns_values, 1),
        ),
        sample(
            "ts_ns_offset",
            Arc::new(TimestampNanosecondArray::from(ns_values.to_vec()).with_timezone("+01:00")),
            "timestamp[ns, tz=+01:00]",
            "timestamp",
            ts(ns_values, 1),
        ),
        sample(
            "decimal",
            Arc::new(
                Decimal128Array::from(vec![Some(12345), None, Some(-1)])
                    .with_precision_and_scale(10, 3)?,
            ),
            "decimal128(10, 3)",
            "decimal",
            vec![json!("12.345"), n.clone(), json!("-0.001")],
        ),
        sample(
            "dictionary",
            Arc::new(dict),
            "dictionary<values=string, indices=int32, ordered=0>",
            "dictionary",
            vec![json!("p"), n.clone(), json!("q")],
        ),
        sample(
            "list_int64",
            Arc::new(list),
            "list<item: int64>",
            "list_int",
            vec![json!([1, null, 3]), n.clone(), json!([])],
        ),
        sample(
            "null",
            Arc::new(NullArray::new(3)),
            "null",
            "null",
            vec![n.clone(), n.clone(), n],
        ),
    ])
}

/// A file without nulls in five row groups, for plateau's predicates (with and without
/// pushdown) on integer, float, string, date and nanosecond timestamp columns. `ts_ns`
/// values differ by one nanosecond, so plateau must see nanosecond precision. Tagged JSON
/// values (`{"timestamp": ..}`, `{"date": ..}`) become `pd.Timestamp` and `datetime.date`.
/// (Predicates on tz-aware columns are left out: plateau 4.6 fails on them whoever wrote
/// the file, reference §8 item 2/3.)
fn predicate_sample(store: &Store) -> Result<(String, Value), Box<dyn Error>> {
    let n = 10i64;
    let base = 1_577_836_800_000_000_000i64; // 2020-01-01T00:00:00
    let ids = || 0..n;
    let batch = RecordBatch::try_from_iter_with_nullable([
        (
            "int8",
            Arc::new(Int8Array::from_iter_values(ids().map(|i| i as i8))) as ArrayRef,
            true,
        ),
        ("int64", Arc::new(Int64Array::from_iter_values(ids())), true),
        (
            "uint64",
            Arc::new(UInt64Array::from_iter_values(ids().map(|i| i as u64))),
            true,
        ),
        (
            "float64",
            Arc::new(Float64Array::from_iter_values(ids().map(|i| i as f64))),
            true,
        ),
        (
            "string",
            Arc::new(StringArray::from_iter_values(ids().map(|i| i.to_string()))),
            true,
        ),
        (
            "date32",
            Arc::new(Date32Array::from_iter_values(
                ids().map(|i| 18262 + i as i32),
            )),
            true,
        ),
        (
            "ts_ns",
            Arc::new(TimestampNanosecondArray::from_iter_values(
                ids().map(|i| base + i),
            )),
            true,
        ),
        (
            "ts_ns_berlin",
            Arc::new(
                TimestampNanosecondArray::from_iter_values(ids().map(|i| base + i))
                    .with_timezone("Europe/Berlin"),
            ),
            true,
        ),
        (
            "ts_ns_whole_us",
            Arc::new(TimestampNanosecondArray::from_iter_values(
                ids().map(|i| base + i * 1000),
            )),
            true,
        ),
        (
            "ts_us",
            Arc::new(TimestampMicrosecondArray::from_iter_values(
                ids().map(|i| base / 1000 + i),
            )),
            true,
        ),
    ])?;
    let serializer = ParquetSerializer::default().with_chunk_size(Some(2))?;
    let key = serializer.store(store, "predicates", &batch)?;
    let ts = |s: &str| json!({ "timestamp": s });
    let spec = json!({
        "rows": n,
        "columns": [
            {"name": "int64", "type": "int64", "kind": "int", "values": (0..n).collect::<Vec<_>>()},
            {"name": "ts_ns", "type": "timestamp[ns]", "kind": "timestamp", "values": (0..n).map(|i| base + i).collect::<Vec<_>>()},
            {"name": "ts_ns_berlin", "type": "timestamp[ns, tz=Europe/Berlin]", "kind": "timestamp", "values": (0..n).map(|i| base + i).collect::<Vec<_>>()},
        ],
        "plateau_predicates": [
            {"predicates": [[["int64", "==", 3]]], "rows": 1},
            {"predicates": [[["uint64", ">", 5]]], "rows": 4},
            {"predicates": [[["int8", "in", [1, 2, 100]]]], "rows": 2},
            {"predicates": [[["float64", "<", 2.5]]], "rows": 3},
            {"predicates": [[["string", "==", "3"]]], "rows": 1},
            {"predicates": [[["date32", "==", {"date": "2020-01-04"}]]], "rows": 1},
            // plateau's pushdown reads timestamp statistics through Python `datetime`
            // (microseconds), so it drops row groups for sub-microsecond values: check
            // those without pushdown only. Whole microseconds work either way.
            {"predicates": [[["ts_ns", "==", ts("2020-01-01T00:00:00.000000003")]]], "rows": 1, "pushdown": [false]},
            {"predicates": [[["ts_ns", ">=", ts("2020-01-01T00:00:00.000000005")]]], "rows": 5, "pushdown": [false]},
            {"predicates": [[["ts_ns_whole_us", "==", ts("2020-01-01T00:00:00.000003")]]], "rows": 1},
            {"predicates": [[["ts_ns_whole_us", ">", ts("2020-01-01T00:00:00.000006")]]], "rows": 3},
            {"predicates": [[["ts_us", "==", ts("2020-01-01T00:00:00.000003")]]], "rows": 1},
            {"predicates": [[["int64", ">", 1], ["ts_ns_whole_us", "<", ts("2020-01-01T00:00:00.000004")]], [["string", "==", "9"]]], "rows": 3},
        ],
    });
    Ok((key, spec))
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::args()
        .nth(1)
        .ok_or("usage: write_type_samples <output directory>")?;
    let store = Store::local(&dir)?;
    let samples = samples()?;
    let batch = RecordBatch::try_from_iter_with_nullable(
        samples.iter().map(|s| (s.name, Arc::clone(&s.array), true)),
    )?;
    let columns: Vec<Value> = samples
        .iter()
        .map(
            |s| json!({"name": s.name, "type": s.pyarrow_type, "kind": s.kind, "values": s.values}),
        )
        .collect();
    // The same data with the default writer, with one row per row group, and zstd.
    let writers = [
        ("types", ParquetSerializer::default()),
        (
            "types_row_groups",
            ParquetSerializer::default().with_chunk_size(Some(1))?,
        ),
        (
            "types_zstd",
            ParquetSerializer::default().with_compression(
                plateau_serialization::parquet::Compression::ZSTD(Default::default()),
            ),
        ),
    ];
    let mut files = serde_json::Map::new();
    for (prefix, serializer) in writers {
        let key = serializer.store(&store, prefix, &batch)?;
        files.insert(
            key,
            json!({
                "rows": batch.num_rows(),
                "columns": columns,
                // Predicates plateau evaluates with row-group pushdown on our statistics.
                // (Integer columns with nulls are float64 in pandas, so plateau rejects
                // integer values for them: see `predicates.parquet` for those.)
                "plateau_predicates": [
                    {"predicates": [[["string", "==", ""]]], "rows": 1},
                    {"predicates": [[["float64", "<", 0.0]]], "rows": 2},
                    {"predicates": [[["large_string", "in", ["large", "x"]]]], "rows": 1},
                ],
            }),
        );
    }
    let (key, spec) = predicate_sample(&store)?;
    files.insert(key, spec);
    let expected = json!({ "files": files });
    std::fs::write(
        std::path::Path::new(&dir).join("expected.json"),
        serde_json::to_string_pretty(&expected)?,
    )?;
    println!(
        "wrote {} files and expected.json to {dir}",
        expected["files"].as_object().map_or(0, |f| f.len())
    );
    Ok(())
}
