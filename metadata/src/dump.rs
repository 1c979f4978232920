//! The canonical dump of a dataset's metadata: one JSON object that the `dump` example, the
//! CLI's `info --json` and the fixture tests share, and that Python produces for the same
//! dataset (`tools/fixtures/dump_metadata.py`), so the two can be compared byte for byte.
//!
//! Keys (sorted in the output): `uuid`, `metadata_version`, `table`, `partition_keys`,
//! `partitions` (label → file key), `schema` (list of `{"name", "type"}`, the type in arrow-rs
//! `Display` form), `indices` (column → list of `[value, [labels sorted]]` sorted by value, for
//! every loaded secondary and partition index), `metadata`. Values: numbers, strings and bools
//! as JSON; dates `"YYYY-MM-DD"`; timestamps as integer nanoseconds since the epoch (UTC);
//! binary as lowercase hex.

use plateau_core::predicate::encode_hex;
use plateau_core::{temporal, Error, Result, Scalar};
use plateau_index::Index;
use serde_json::{Map, Value as Json};

use crate::dataset::DatasetMetadata;

/// The dump as a JSON value (keys in any order; see [`to_canonical_string`]).
pub fn dump(metadata: &DatasetMetadata) -> Result<Json> {
    let mut out = Map::new();
    out.insert("uuid".into(), Json::String(metadata.uuid.clone()));
    out.insert(
        "metadata_version".into(),
        Json::from(metadata.metadata_version),
    );
    out.insert("table".into(), Json::String(metadata.table_name.clone()));
    out.insert(
        "partition_keys".into(),
        Json::Array(
            metadata
                .partition_keys
                .iter()
                .cloned()
                .map(Json::String)
                .collect(),
        ),
    );
    out.insert(
        "partitions".into(),
        Json::Object(
            metadata
                .partitions
                .iter()
                .map(|(label, p)| (label.clone(), Json::String(p.file.clone())))
                .collect(),
        ),
    );
    let schema = match &metadata.schema {
        Some(schema) => schema
            .schema()
            .fields()
            .iter()
            .map(|f| {
                let mut field = Map::new();
                field.insert("name".into(), Json::String(f.name().clone()));
                field.insert("type".into(), Json::String(f.data_type().to_string()));
                Json::Object(field)
            })
            .collect(),
        None => Vec::new(),
    };
    out.insert("schema".into(), Json::Array(schema));
    let mut indices = Map::new();
    for (column, entry) in &metadata.indices {
        if let Some(index) = &entry.index {
            indices.insert(column.clone(), index_entries(index)?);
        }
    }
    for (column, index) in &metadata.partition_indices {
        indices.insert(column.clone(), index_entries(index)?);
    }
    out.insert("indices".into(), Json::Object(indices));
    out.insert("metadata".into(), Json::Object(metadata.metadata.clone()));
    Ok(Json::Object(out))
}

/// `[[value, [labels sorted]], …]` in key order (keys are sorted by value).
fn index_entries(index: &Index) -> Result<Json> {
    let labels = index.labels();
    (0..index.len())
        .map(|key| {
            let value = scalar_json(&Scalar::try_from_array(index.keys().as_ref(), key)?)?;
            let mut names: Vec<&str> = index
                .label_ids(key)
                .iter()
                .map(|id| labels[*id as usize].as_str())
                .collect();
            names.sort_unstable();
            Ok(Json::Array(vec![
                value,
                Json::Array(
                    names
                        .into_iter()
                        .map(|n| Json::String(n.to_owned()))
                        .collect(),
                ),
            ]))
        })
        .collect::<Result<Vec<_>>>()
        .map(Json::Array)
}

fn scalar_json(value: &Scalar) -> Result<Json> {
    Ok(match value {
        Scalar::Null => Json::Null,
        Scalar::Bool(b) => Json::Bool(*b),
        Scalar::Int(i) => Json::from(*i),
        Scalar::UInt(u) => Json::from(*u),
        Scalar::Float(f) => serde_json::Number::from_f64(*f)
            .map(Json::Number)
            .ok_or_else(|| Error::invalid_input(format!("{f} has no JSON form")))?,
        Scalar::String(s) => Json::String(s.clone()),
        Scalar::Binary(b) => Json::String(encode_hex(b)),
        Scalar::Date(d) => Json::String(
            temporal::date_to_string(*d)
                .ok_or_else(|| Error::invalid_input(format!("date {d} out of range")))?,
        ),
        Scalar::Timestamp { value, unit, .. } => {
            let nanos = Scalar::timestamp_nanos(*value, *unit);
            Json::from(i64::try_from(nanos).map_err(|_| {
                Error::invalid_input(format!("timestamp {value} does not fit in nanoseconds"))
            })?)
        }
        Scalar::Decimal { value, scale, .. } => {
            Json::String(temporal::decimal_to_string(*value, *scale))
        }
    })
}

/// Compact JSON with object keys sorted recursively and a trailing newline: Python's
/// `json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"`.
pub fn to_canonical_string(value: &Json) -> String {
    let mut text = serde_json::to_string(&sorted(value)).unwrap_or_default();
    text.push('\n');
    text
}

fn sorted(value: &Json) -> Json {
    match value {
        Json::Object(map) => {
            let mut entries: Vec<(&String, &Json)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Json::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Json::Array(items) => Json::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}
