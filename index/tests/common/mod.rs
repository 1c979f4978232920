//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;

use arrow::datatypes::TimeUnit;
use bytes::Bytes;
use plateau_core::{temporal, Scalar};
use plateau_index::Index;

/// The bytes of `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> Bytes {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    Bytes::from(std::fs::read(&path).unwrap())
}

/// The index as owned `(value, labels)` pairs.
pub fn entries(index: &Index) -> Vec<(Scalar, Vec<String>)> {
    index
        .entries()
        .unwrap()
        .into_iter()
        .map(|(v, labels)| (v, labels.into_iter().map(str::to_owned).collect()))
        .collect()
}

/// Owned labels from string literals.
pub fn labels(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// A nanosecond timestamp from ISO text (naive text is UTC), with an optional zone.
pub fn ts(text: &str, tz: Option<&str>) -> Scalar {
    Scalar::Timestamp {
        value: temporal::parse_timestamp(text).unwrap().nanos,
        unit: TimeUnit::Nanosecond,
        tz: tz.map(Arc::from),
    }
}

/// A date from `YYYY-MM-DD`.
pub fn date(text: &str) -> Scalar {
    Scalar::Date(temporal::parse_date(text).unwrap())
}
