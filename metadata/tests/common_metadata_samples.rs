//! Every interop sample of `examples/write_common_metadata_samples.rs` round-trips through
//! `write_common_metadata` → `read_common_metadata`, with the stored types pinned down.
//! (The Python side of the same samples: `tests/python/check_common_metadata.py`.)

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

#[allow(dead_code)] // `main` of the example is not used here
#[path = "../examples/write_common_metadata_samples.rs"]
mod samples;

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, TimeUnit};
use plateau_metadata::common_metadata::{read_common_metadata, write_common_metadata};
use plateau_metadata::schema::{make_meta, validate_compatible};

/// The stored (normalised, in-memory) type of a sample kind.
fn stored_type(kind: &str) -> DataType {
    let list = |t: DataType| DataType::List(Arc::new(Field::new("element", t, true)));
    let ts = |tz: Option<&str>| DataType::Timestamp(TimeUnit::Nanosecond, tz.map(Into::into));
    match kind {
        "int8" | "int16" | "int32" | "int64" => DataType::Int64,
        "uint8" | "uint16" | "uint32" | "uint64" => DataType::UInt64,
        "float32" | "float64" => DataType::Float64,
        "bool" => DataType::Boolean,
        "string" | "large_string" | "string_view" | "dict_string" => DataType::LargeUtf8,
        "binary" | "large_binary" => DataType::Binary,
        "date32" => DataType::Date32,
        "decimal" => DataType::Decimal128(10, 2),
        "ts_s" | "ts_ms" | "ts_us" | "ts_ns" => ts(None),
        "ts_s_utc" | "ts_ms_utc" | "ts_us_utc" | "ts_ns_utc" => ts(Some("UTC")),
        "ts_us_berlin" | "ts_ns_berlin" => ts(Some("Europe/Berlin")),
        "list_int64" => list(DataType::Int64),
        "list_string" => list(DataType::Utf8),
        "null" => DataType::Null,
        other => panic!("no stored type for {other}"),
    }
}

#[test]
fn every_sample_round_trips() {
    let all = samples::samples();
    assert!(all.len() >= 16);
    for sample in all {
        let keys: Vec<String> = sample
            .partition_keys
            .iter()
            .map(|k| k.to_string())
            .collect();
        let schema = samples::sample_schema(&sample).unwrap();
        let meta = make_meta(&schema, sample.name, &keys).unwrap();

        // partition keys first, then the rest by name
        let mut expected_order: Vec<&str> = sample.partition_keys.to_vec();
        let mut rest: Vec<&str> = sample
            .columns
            .iter()
            .map(|(name, _)| *name)
            .filter(|name| !sample.partition_keys.contains(name))
            .collect();
        rest.sort();
        expected_order.extend(rest);
        assert_eq!(meta.names(), expected_order, "{}", sample.name);
        for (name, kind) in sample.columns {
            assert_eq!(
                meta.field(name).unwrap().data_type(),
                &stored_type(kind),
                "{}.{name}",
                sample.name
            );
        }

        let key = format!("{}/table/_common_metadata", sample.name);
        let back = read_common_metadata(write_common_metadata(&meta).unwrap(), &key).unwrap();
        assert_eq!(back, meta, "{}", sample.name);
        assert_eq!(
            back.pandas_metadata(),
            meta.pandas_metadata(),
            "{}",
            sample.name
        );
        assert_eq!(
            back.schema().metadata(),
            meta.schema().metadata(),
            "{}",
            sample.name
        );
        // what we read back validates against a fresh make_meta of the same batch
        validate_compatible(&[back, meta], sample.name).unwrap();
    }
}
