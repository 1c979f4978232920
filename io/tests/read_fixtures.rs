//! Acceptance: our `read_table` returns what Python plateau 4.6.2's `read_table` returns, for
//! every fixture dataset Python wrote and a set of queries, compared byte for byte in the
//! canonical row format (`fixtures/rows/`, written by `tools/fixtures/dump_rows.py`).
//!
//! Where plateau's read is known to be wrong, our correct result is asserted instead:
//! * bool partition columns: plateau reads every value as `True`;
//! * tz-aware partition columns: plateau raises;
//! * timestamps outside the nanosecond range: plateau raises.
#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "../../testing/src/canonical.rs"]
mod canonical;

use std::path::PathBuf;

use arrow::array::RecordBatch;
use arrow::datatypes::DataType;
use parquet::arrow::parquet_to_arrow_schema;
use parquet::file::metadata::ParquetMetaDataReader;
use plateau_core::{naming, Error, Predicates, Store};
use plateau_io::read::{read_table, ReadOptions};
use plateau_metadata::schema::pyarrow_type_name;
use plateau_metadata::DatasetFactory;
use serde_json::Value as Json;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn store() -> Store {
    Store::local(fixtures().join("datasets")).unwrap()
}

/// `(name, pyarrow type)` of the stored `_common_metadata`, as Python's dump header shows it.
fn disk_types(store: &Store, uuid: &str) -> Vec<(String, String)> {
    let factory = DatasetFactory::new(store.clone(), uuid);
    let metadata = factory.metadata().unwrap();
    let key = naming::common_metadata_key(uuid, &metadata.table_name);
    let Some((bytes, _)) = store.get_opt(&key).unwrap() else {
        return Vec::new();
    };
    let footer = ParquetMetaDataReader::new()
        .parse_and_finish(&bytes)
        .unwrap();
    let file = footer.file_metadata();
    let schema = parquet_to_arrow_schema(file.schema_descr(), file.key_value_metadata()).unwrap();
    schema
        .fields()
        .iter()
        .map(|f| (f.name().clone(), pyarrow_type_name(f.data_type())))
        .collect()
}

fn options_of(entry: &Json) -> ReadOptions {
    let mut options =
        ReadOptions::default().predicate_pushdown_to_io(entry["pushdown"].as_bool().unwrap());
    if !entry["predicates"].is_null() {
        options = options.predicates(Predicates::from_json_value(&entry["predicates"]).unwrap());
    }
    if let Some(columns) = entry["columns"].as_array() {
        options = options.columns(columns.iter().map(|c| c.as_str().unwrap().to_owned()));
    }
    options
}

fn our_dump(store: &Store, uuid: &str, options: &ReadOptions) -> Result<String, Error> {
    let factory = DatasetFactory::new(store.clone(), uuid);
    let batch = read_table(&factory, options)?;
    canonical::dump_rows(uuid, &batch, &disk_types(store, uuid))
}

fn fnv1a64(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// The first differing line of two dumps, for readable failures.
fn first_difference(expected: &str, actual: &str) -> String {
    for (i, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
        if e != a {
            return format!("line {}:\n  python: {e}\n  rust:   {a}", i + 1);
        }
    }
    format!(
        "line counts differ: python {}, rust {}",
        expected.lines().count(),
        actual.lines().count()
    )
}

/// Dumps where plateau is known to be wrong, with our (correct) result.
fn divergence(name: &str) -> Option<&'static str> {
    Some(match name {
        // plateau: flag=True for every row (np.bool_("False") is True).
        "ref_quirk_partition_bool" => concat!(
            r#"{"columns":[{"name":"flag","type":"bool"},{"name":"v","type":"int64"}],"dataset_uuid":"ref_quirk_partition_bool","format":"pyref-dump/1","num_rows":4}"#,
            "\n",
            r#"[{"bool":false},{"int":1}]"#,
            "\n",
            r#"[{"bool":false},{"int":3}]"#,
            "\n",
            r#"[{"bool":true},{"int":0}]"#,
            "\n",
            r#"[{"bool":true},{"int":2}]"#,
            "\n",
        ),
        // plateau: RuntimeError "Unexpected object encountered" (tz-aware partition column).
        "ref_quirk_partition_tz" => concat!(
            r#"{"columns":[{"name":"t","type":"timestamp[us, tz=UTC]"},{"name":"v","type":"int64"}],"dataset_uuid":"ref_quirk_partition_tz","format":"pyref-dump/1","num_rows":2}"#,
            "\n",
            r#"[{"ts":"2020-01-01T00:00:00.000000Z"},{"int":0}]"#,
            "\n",
            r#"[{"ts":"2020-06-01T12:00:00.000000Z"},{"int":1}]"#,
            "\n",
        ),
        // plateau: ArrowInvalid, it casts to nanoseconds.
        "ref_quirk_ts_out_of_ns_range" => concat!(
            r#"{"columns":[{"name":"t","type":"timestamp[us]"},{"name":"v","type":"int64"}],"dataset_uuid":"ref_quirk_ts_out_of_ns_range","format":"pyref-dump/1","num_rows":3}"#,
            "\n",
            r#"[{"ts":"1500-01-01T00:00:00.000000"},{"int":1}]"#,
            "\n",
            r#"[{"ts":"2020-01-01T00:00:00.000000"},{"int":2}]"#,
            "\n",
            r#"[{"ts":"3000-01-01T00:00:00.000000"},{"int":0}]"#,
            "\n",
        ),
        _ => return None,
    })
}

#[test]
fn rust_reads_every_fixture_like_python() {
    let store = store();
    let index: Json =
        serde_json::from_slice(&std::fs::read(fixtures().join("rows/index.json")).unwrap())
            .unwrap();
    assert_eq!(index["format"], "pyref-rows-index/1");
    let entries = index["dumps"].as_array().unwrap();
    assert!(entries.len() >= 100, "{} dumps", entries.len());
    let mut failures = Vec::new();
    let mut compared = 0;
    let mut diverged = Vec::new();
    for entry in entries {
        let name = entry["name"].as_str().unwrap();
        let uuid = entry["dataset_uuid"].as_str().unwrap();
        let options = options_of(entry);
        let ours = match our_dump(&store, uuid, &options) {
            Ok(dump) => dump,
            Err(e) => {
                failures.push(format!("{name}: rust failed: {e}"));
                continue;
            }
        };
        if let Some(expected) = divergence(name) {
            diverged.push(name);
            if ours != expected {
                failures.push(format!(
                    "{name} (known plateau bug, our result asserted): {}",
                    first_difference(expected, &ours)
                ));
            }
            continue;
        }
        if let Some(error) = entry.get("error") {
            failures.push(format!(
                "{name}: python failed ({error}) but no divergence is declared"
            ));
            continue;
        }
        compared += 1;
        if let Some(file) = entry["file"].as_str() {
            let expected = std::fs::read_to_string(fixtures().join("rows").join(file)).unwrap();
            if ours != expected {
                failures.push(format!("{name}: {}", first_difference(&expected, &ours)));
            }
        } else {
            let digest = &entry["digest"];
            let header = digest["header"].as_str().unwrap();
            let ours_header = ours.lines().next().unwrap_or_default();
            if ours_header != header {
                failures.push(format!(
                    "{name}: header\n  python: {header}\n  rust:   {ours_header}"
                ));
            } else if digest["bytes"].as_u64().unwrap() != ours.len() as u64
                || digest["fnv1a64"].as_str().unwrap() != fnv1a64(ours.as_bytes())
            {
                failures.push(format!("{name}: rows differ (digest)"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} dumps differ:\n{}",
        failures.len(),
        entries.len(),
        failures.join("\n")
    );
    assert_eq!(diverged.len(), 3, "{diverged:?}");
    assert!(compared >= 100, "{compared}");
}

/// `/` in partition values: plateau writes it unescaped and every reader (plateau's and ours,
/// through the shared label parser of the metadata crate) truncates the value at the first
/// `/`. Planning and reading agree, so `key == "a"` finds the `a/b` row.
#[test]
fn slash_partition_values_read_like_plateau() {
    let store = store();
    let options = ReadOptions::default().predicates(Predicates::parse("key == 'a'").unwrap());
    let factory = DatasetFactory::new(store, "ref_quirk_partition_slash");
    let table = read_table(&factory, &options).unwrap();
    assert_eq!(table.num_rows(), 1);
    let keys = table.column_by_name("key").unwrap();
    assert_eq!(keys.data_type(), &DataType::LargeUtf8);
}

#[test]
fn partition_columns_have_their_schema_types() {
    let store = store();
    let read = |uuid: &str| -> RecordBatch {
        read_table(
            &DatasetFactory::new(store.clone(), uuid),
            &ReadOptions::default(),
        )
        .unwrap()
    };
    let bools = read("ref_quirk_partition_bool");
    assert_eq!(bools.schema().field(0).data_type(), &DataType::Boolean);
    let tz = read("ref_quirk_partition_tz");
    assert_eq!(
        tz.schema().field(0).data_type(),
        &DataType::Timestamp(arrow::datatypes::TimeUnit::Nanosecond, Some("UTC".into()))
    );
    let numeric = read("ref_partition_numeric");
    let types: Vec<&DataType> = numeric
        .schema_ref()
        .fields()
        .iter()
        .map(|f| f.data_type())
        .collect();
    assert_eq!(
        &types[..3],
        &[&DataType::Float64, &DataType::UInt64, &DataType::Int64]
    );
}

/// Out-of-nanosecond-range timestamps keep the files' microseconds.
#[test]
fn timestamps_beyond_nanoseconds_keep_microseconds() {
    let factory = DatasetFactory::new(store(), "ref_quirk_ts_out_of_ns_range");
    let table = read_table(&factory, &ReadOptions::default()).unwrap();
    assert_eq!(
        table.column_by_name("t").unwrap().data_type(),
        &DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, None)
    );
}

/// The two datasets plateau refuses to load are refused by the reader too.
#[test]
fn rejected_datasets_stay_rejected() {
    for uuid in ["multi_table", "version_3"] {
        let factory = DatasetFactory::new(store(), uuid);
        assert!(
            read_table(&factory, &ReadOptions::default()).is_err(),
            "{uuid}"
        );
    }
}
