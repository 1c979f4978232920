//! Datasets written by real Python plateau 4.6.2 (`fixtures/`, made by
//! `tools/fixtures/gen_fixtures.py`): every one loads, inspects and plans like in Python, and
//! re-encoding their metadata files gives the stored bytes.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use plateau_core::naming::{parse_metadata_key, MetadataFormat};
use plateau_core::Store;
use plateau_metadata::codec;
use plateau_metadata::dump::{dump, to_canonical_string};
use plateau_metadata::load::{load, LoadOptions};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn store() -> Store {
    Store::local(fixtures().join("datasets")).expect("fixture store")
}

/// Python's dump adjusted for the divergences we chose deliberately (README), so the
/// comparison stays byte-exact everywhere else:
/// * tz-aware timestamp columns are held as nanoseconds in memory (plateau keeps µs, and then
///   cannot update such datasets with ns data);
/// * an embedded (legacy) index is typed through the schema (plateau keeps its JSON keys as
///   strings, so `== 1` on an int column fails there);
/// * `-0.0` and `0.0` are one index key, kept as `0.0`;
/// * a missing `creation_time` is made up from the clock at load time (plateau: the same, with
///   a pinned clock in the fixture generator), so ours is taken over.
fn expected_after_divergences(uuid: &str, python: &str, ours: &Value) -> String {
    let mut expected: Value = serde_json::from_str(python).expect("python dump is JSON");
    if let Some(schema) = expected.get_mut("schema").and_then(Value::as_array_mut) {
        for field in schema {
            if let Some(Value::String(t)) = field.get_mut("type") {
                *t = t.replace("Timestamp(\u{b5}s, \"", "Timestamp(ns, \"");
            }
        }
    }
    if let Some(indices) = expected.get_mut("indices").and_then(Value::as_object_mut) {
        for entries in indices.values_mut() {
            for entry in entries.as_array_mut().into_iter().flatten() {
                if entry[0].is_f64() && entry[0].as_f64() == Some(0.0) {
                    entry[0] = serde_json::json!(0.0);
                }
            }
        }
    }
    if uuid == "legacy_embedded_index" {
        for entry in expected["indices"]["i"]
            .as_array_mut()
            .into_iter()
            .flatten()
        {
            let text = entry[0]
                .as_str()
                .expect("plateau keeps embedded keys as strings");
            entry[0] = Value::from(text.parse::<i64>().expect("integer text"));
        }
    }
    if uuid == "legacy_missing_metadata_key" {
        expected["metadata"]["creation_time"] = ours["metadata"]["creation_time"].clone();
    }
    to_canonical_string(&expected)
}

#[test]
fn every_fixture_dump_matches_python() {
    let dumps = fixtures().join("dumps");
    let mut compared = 0;
    let mut rejected = 0;
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dumps)
        .expect("fixtures/dumps exists")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    let store = store();
    let options = LoadOptions::default()
        .load_schema(true)
        .load_all_indices(true);
    let mut failures = Vec::new();
    for path in entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if let Some(uuid) = name.strip_suffix(".error.txt") {
            let expected = std::fs::read_to_string(&path).unwrap();
            match load(&store, uuid, &options) {
                Err(_) => rejected += 1,
                Ok(_) => failures.push(format!(
                    "{uuid}: Python fails ({}), we load it",
                    expected.trim()
                )),
            }
        } else if let Some(uuid) = name.strip_suffix(".json") {
            let expected = std::fs::read_to_string(&path).unwrap();
            let ours = load(&store, uuid, &options).and_then(|m| dump(&m));
            match ours {
                Ok(value) => {
                    let expected = expected_after_divergences(uuid, &expected, &value);
                    let ours = to_canonical_string(&value);
                    if ours != expected {
                        failures.push(format!("{uuid}:\n  python: {expected}  rust:   {ours}"));
                    }
                    compared += 1;
                }
                Err(e) => failures.push(format!("{uuid}: {e}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(compared >= 20, "only {compared} dumps compared");
    assert!(rejected >= 1, "no must-reject dataset was checked");
}

#[test]
fn re_encoding_fixture_metadata_gives_the_stored_bytes() {
    let root = fixtures().join("datasets");
    let mut checked = 0;
    for entry in std::fs::read_dir(&root).expect("fixtures/datasets exists") {
        let path = entry.unwrap().path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let Some((uuid, format)) = parse_metadata_key(&name) else {
            continue;
        };
        let bytes = std::fs::read(&path).unwrap();
        let dict = match codec::decode_dict(&bytes, format, &name) {
            Ok(dict) => dict,
            Err(e) => panic!("{name}: {e}"),
        };
        // Files plateau itself refuses (old versions, several tables) are covered elsewhere.
        let Ok(metadata) = codec::from_dict(&dict, format) else {
            continue;
        };
        let again = codec::encode(&metadata, format).unwrap();
        match format {
            MetadataFormat::Json => assert_eq!(
                String::from_utf8_lossy(&again),
                String::from_utf8_lossy(&bytes),
                "{uuid}: JSON re-encoding differs"
            ),
            // zstd output may legitimately differ between library builds; the msgpack payload
            // must not.
            MetadataFormat::Msgpack => {
                let ours = zstd::stream::decode_all(again.as_slice()).unwrap();
                let theirs = zstd::stream::decode_all(bytes.as_slice()).unwrap();
                assert_eq!(ours, theirs, "{uuid}: msgpack re-encoding differs");
                assert_eq!(again, bytes, "{uuid}: zstd frame differs");
            }
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} metadata files re-encoded");
}
