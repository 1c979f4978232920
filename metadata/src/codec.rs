//! The metadata file's bytes, both ways (reference §2.2).
//!
//! The dict form ([`to_dict`] / [`from_dict`]) is the JSON value plateau's
//! `DatasetMetadataBuilder.to_dict()` produces, with its key order and omission rules:
//! `dataset_metadata_version`, `dataset_uuid`, `indices` (only if any), `metadata` (only if
//! non-empty), `partitions` (only for explicit partitions), `partition_keys` (only if stored).
//!
//! * JSON ([`to_json`]) is byte-identical to `simplejson.dumps(dict)` with its defaults:
//!   `", "` and `": "` separators, non-ASCII escaped as lowercase `\uXXXX` (surrogate pairs
//!   beyond the BMP), floats as Python's `repr`, no trailing newline.
//! * msgpack ([`to_msgpack`]) is `msgpack.packb(dict)` (compact integers, str8/16/32 strings,
//!   float64, maps in insertion order) compressed by zstd at level 3 with the content size in
//!   the frame header and no checksum, which Python's `ZstdDecompressor().decompress` needs.

use indexmap::IndexMap;
use plateau_core::naming::{MetadataFormat, DEFAULT_TABLE};
use plateau_core::{partition_value, Error, Result, Scalar};
use serde_json::{Map, Value as Json};

use crate::dataset::{check_version, DatasetMetadata, IndexEntry, IndexSource, Partition};

/// zstd level of `zstandard.ZstdCompressor()`'s default.
const ZSTD_LEVEL: i32 = 3;

/// The dict form of the metadata, in plateau's key order.
pub fn to_dict(metadata: &DatasetMetadata) -> Result<Json> {
    let mut dict = Map::new();
    dict.insert(
        "dataset_metadata_version".into(),
        Json::from(metadata.metadata_version),
    );
    dict.insert("dataset_uuid".into(), Json::String(metadata.uuid.clone()));
    if !metadata.indices.is_empty() {
        let mut indices = Map::new();
        for (column, entry) in &metadata.indices {
            let value = match &entry.source {
                IndexSource::External(key) => Json::String(key.clone()),
                IndexSource::Embedded(raw) => raw.clone(),
            };
            indices.insert(column.clone(), value);
        }
        dict.insert("indices".into(), Json::Object(indices));
    }
    if !metadata.metadata.is_empty() {
        dict.insert("metadata".into(), Json::Object(metadata.metadata.clone()));
    }
    if metadata.explicit_partitions {
        let mut partitions = Map::new();
        for (label, partition) in &metadata.partitions {
            let mut files = Map::new();
            files.insert(
                metadata.table_name.clone(),
                Json::String(partition.file.clone()),
            );
            let mut entry = Map::new();
            entry.insert("files".into(), Json::Object(files));
            partitions.insert(label.clone(), Json::Object(entry));
        }
        dict.insert("partitions".into(), Json::Object(partitions));
    }
    if metadata.partition_keys_stored {
        dict.insert(
            "partition_keys".into(),
            Json::Array(
                metadata
                    .partition_keys
                    .iter()
                    .map(|k| Json::String(k.clone()))
                    .collect(),
            ),
        );
    }
    Ok(Json::Object(dict))
}

/// Parses the dict form without touching a store (plateau's `from_dict`).
///
/// Implicit datasets (no `partitions` key) come back with no partitions; the loader fills
/// them from the store. The table name is that of the first partition, else `"table"`.
pub fn from_dict(dict: &Json, format: MetadataFormat) -> Result<DatasetMetadata> {
    let obj = dict
        .as_object()
        .ok_or_else(|| corrupt("", "the metadata is not a JSON object"))?;
    let uuid = obj
        .get("dataset_uuid")
        .and_then(Json::as_str)
        .ok_or_else(|| corrupt("", "`dataset_uuid` is missing or not a string"))?
        .to_owned();
    let version = obj
        .get("dataset_metadata_version")
        .and_then(Json::as_u64)
        .ok_or_else(|| {
            corrupt(
                &uuid,
                "`dataset_metadata_version` is missing or not an integer",
            )
        })?;
    check_version(version)?;

    let metadata = match obj.get("metadata") {
        None | Some(Json::Null) => Map::new(),
        Some(Json::Object(m)) => m.clone(),
        Some(other) => {
            return Err(corrupt(
                &uuid,
                format!("`metadata` is not an object: {other}"),
            ))
        }
    };

    let mut table_name: Option<String> = None;
    let mut partitions = IndexMap::new();
    let explicit_partitions = obj.contains_key("partitions");
    if let Some(raw) = obj.get("partitions") {
        let raw = raw
            .as_object()
            .ok_or_else(|| corrupt(&uuid, "`partitions` is not an object"))?;
        for (label, entry) in raw {
            let files = match entry.get("files") {
                Some(Json::Object(files)) => files,
                Some(Json::String(_)) | None if entry.is_string() => {
                    return Err(Error::invalid_input(format!(
                        "dataset `{uuid}`: partition `{label}` references a multi-file string, which is not supported"
                    )))
                }
                _ => {
                    return Err(corrupt(
                        &uuid,
                        format!("partition `{label}` has no `files` object"),
                    ))
                }
            };
            if files.len() != 1 {
                let tables: Vec<&String> = files.keys().collect();
                return Err(Error::unsupported(format!(
                    "Dataset {uuid} has tables {tables:?} but read support for multi tabled dataset was dropped with plateau 4.0."
                )));
            }
            let (table, file) = files
                .iter()
                .next()
                .ok_or_else(|| corrupt(&uuid, format!("partition `{label}` has no file")))?;
            let file = file.as_str().ok_or_else(|| {
                corrupt(
                    &uuid,
                    format!("the file of partition `{label}` is not a string"),
                )
            })?;
            match &table_name {
                None => table_name = Some(table.clone()),
                Some(existing) if existing != table => {
                    return Err(Error::unsupported(format!(
                        "Dataset {uuid} has tables [{existing:?}, {table:?}] but read support for multi tabled dataset was dropped with plateau 4.0."
                    )))
                }
                Some(_) => {}
            }
            partitions.insert(
                label.clone(),
                Partition {
                    file: file.to_owned(),
                },
            );
        }
    }

    let (partition_keys, partition_keys_stored) = match obj.get("partition_keys") {
        None | Some(Json::Null) => (Vec::new(), false),
        Some(Json::Array(keys)) => (
            keys.iter()
                .map(|k| {
                    k.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| corrupt(&uuid, "`partition_keys` holds a non-string"))
                })
                .collect::<Result<Vec<_>>>()?,
            true,
        ),
        Some(other) => {
            return Err(corrupt(
                &uuid,
                format!("`partition_keys` is not a list: {other}"),
            ))
        }
    };

    let mut indices = IndexMap::new();
    if let Some(raw) = obj.get("indices") {
        let raw = raw
            .as_object()
            .ok_or_else(|| corrupt(&uuid, "`indices` is not an object"))?;
        for (column, value) in raw {
            let source = match value {
                Json::String(key) => IndexSource::External(key.clone()),
                Json::Object(_) => IndexSource::Embedded(value.clone()),
                other => {
                    return Err(corrupt(
                        &uuid,
                        format!("index of column `{column}` is neither a key nor a dict: {other}"),
                    ))
                }
            };
            indices.insert(
                column.clone(),
                IndexEntry {
                    source,
                    index: None,
                },
            );
        }
    }

    Ok(DatasetMetadata {
        uuid,
        metadata_version: version,
        table_name: table_name.unwrap_or_else(|| DEFAULT_TABLE.to_owned()),
        partitions,
        explicit_partitions,
        partition_keys,
        partition_keys_stored,
        metadata,
        indices,
        partition_indices: IndexMap::new(),
        schema: None,
        format,
        version: None,
    })
}

fn corrupt(uuid: &str, message: impl std::fmt::Display) -> Error {
    Error::corrupt(
        if uuid.is_empty() {
            "metadata".to_owned()
        } else {
            format!("{uuid}.by-dataset-metadata")
        },
        message,
    )
}

/// The JSON metadata file's bytes.
pub fn to_json(metadata: &DatasetMetadata) -> Result<Vec<u8>> {
    let mut out = String::new();
    write_simplejson(&to_dict(metadata)?, &mut out)?;
    Ok(out.into_bytes())
}

/// The msgpack + zstd metadata file's bytes.
pub fn to_msgpack(metadata: &DatasetMetadata) -> Result<Vec<u8>> {
    encode_msgpack(&to_dict(metadata)?)
}

/// The metadata file's bytes in `format`.
pub fn encode(metadata: &DatasetMetadata, format: MetadataFormat) -> Result<Vec<u8>> {
    match format {
        MetadataFormat::Json => to_json(metadata),
        MetadataFormat::Msgpack => to_msgpack(metadata),
    }
}

/// Parses a metadata file of either format into its dict form.
pub fn decode_dict(bytes: &[u8], format: MetadataFormat, key: &str) -> Result<Json> {
    match format {
        MetadataFormat::Json => serde_json::from_slice(bytes)
            .map_err(|e| Error::corrupt(key, format!("invalid JSON: {e}"))),
        MetadataFormat::Msgpack => {
            let raw = zstd::bulk::decompress(bytes, max_decompressed_size(bytes, key)?)
                .map_err(|e| Error::corrupt(key, format!("invalid zstd frame: {e}")))?;
            rmp_serde::from_slice(&raw)
                .map_err(|e| Error::corrupt(key, format!("invalid msgpack: {e}")))
        }
    }
}

/// Parses a metadata file of either format (no store access; see [`crate::load`]).
pub fn decode(bytes: &[u8], format: MetadataFormat, key: &str) -> Result<DatasetMetadata> {
    from_dict(&decode_dict(bytes, format, key)?, format)
}

/// The content size from the zstd frame header, which plateau always writes; without it the
/// frame cannot be decompressed in one step (Python rejects it too).
fn max_decompressed_size(bytes: &[u8], key: &str) -> Result<usize> {
    match zstd::zstd_safe::get_frame_content_size(bytes) {
        Ok(Some(size)) => usize::try_from(size)
            .map_err(|_| Error::corrupt(key, "zstd content size does not fit in memory")),
        Ok(None) => Err(Error::corrupt(
            key,
            "zstd frame has no content size (plateau writes it)",
        )),
        Err(_) => Err(Error::corrupt(key, "not a zstd frame")),
    }
}

fn encode_msgpack(dict: &Json) -> Result<Vec<u8>> {
    let packed = rmp_serde::to_vec(dict)
        .map_err(|e| Error::invalid_input(format!("metadata cannot be packed as msgpack: {e}")))?;
    let mut compressor = zstd::bulk::Compressor::new(ZSTD_LEVEL)?;
    compressor.include_checksum(false)?;
    compressor.include_contentsize(true)?;
    Ok(compressor.compress(&packed)?)
}

/// Writes `value` exactly as `simplejson.dumps(value)` does with default options.
pub fn write_simplejson(value: &Json, out: &mut String) -> Result<()> {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push_str(&i.to_string());
            } else if let Some(u) = n.as_u64() {
                out.push_str(&u.to_string());
            } else {
                let f = n.as_f64().ok_or_else(|| {
                    Error::invalid_input(format!("number {n} is not representable"))
                })?;
                let text = partition_value::format_value(&Scalar::Float(f))?;
                out.push_str(&String::from_utf8_lossy(&text));
            }
        }
        Json::String(s) => write_ascii_string(s, out),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_simplejson(item, out)?;
            }
            out.push(']');
        }
        Json::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_ascii_string(key, out);
                out.push_str(": ");
                write_simplejson(item, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// `ensure_ascii=True` string escaping: printable ASCII stays, `"` `\` and the five named
/// control characters get short escapes, everything else `\uXXXX` in lowercase hex.
fn write_ascii_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::DatasetMetadataBuilder;

    #[test]
    fn json_matches_the_documented_example() {
        let m = DatasetMetadataBuilder::new("u")
            .add_metadata(
                "creation_time",
                Json::from("2026-11-24T07:39:39.181083+00:00"),
            )
            .add_metadata("ü", Json::from("ö"))
            .add_partition("ee7d", "u/table/ee7d.parquet")
            .partition_keys(vec![])
            .build()
            .unwrap();
        assert_eq!(
            String::from_utf8(to_json(&m).unwrap()).unwrap(),
            r#"{"dataset_metadata_version": 4, "dataset_uuid": "u", "metadata": {"creation_time": "2026-11-24T07:39:39.181083+00:00", "\u00fc": "\u00f6"}, "partitions": {"ee7d": {"files": {"table": "u/table/ee7d.parquet"}}}, "partition_keys": []}"#
        );
        let header = DatasetMetadataBuilder::new("e")
            .add_metadata("creation_time", Json::from("t"))
            .partition_keys(vec!["p".into()])
            .explicit_partitions(false)
            .build()
            .unwrap();
        assert_eq!(
            String::from_utf8(to_json(&header).unwrap()).unwrap(),
            r#"{"dataset_metadata_version": 4, "dataset_uuid": "e", "metadata": {"creation_time": "t"}, "partition_keys": ["p"]}"#
        );
    }

    #[test]
    fn simplejson_escaping_and_numbers() {
        let v: Json = serde_json::from_str(
            r#"{"a": [1, -2, 18446744073709551615, 1.5, 1e20, 1e-7, 100.0], "s": "q\"\\\n\t\u0001\u007f😀/"}"#,
        )
        .unwrap();
        let mut out = String::new();
        write_simplejson(&v, &mut out).unwrap();
        assert_eq!(
            out,
            r#"{"a": [1, -2, 18446744073709551615, 1.5, 1e+20, 1e-07, 100.0], "s": "q\"\\\n\t\u0001\u007f\ud83d\ude00/"}"#
        );
    }

    #[test]
    fn msgpack_round_trips_and_carries_the_content_size() {
        let m = DatasetMetadataBuilder::new("u")
            .add_partition("p=1/x", "u/table/p=1/x.parquet")
            .partition_keys(vec!["p".into()])
            .add_external_index("k", "u/indices/k/t.by-dataset-index.parquet")
            .build()
            .unwrap();
        let bytes = to_msgpack(&m).unwrap();
        assert_eq!(&bytes[..4], &[0x28, 0xb5, 0x2f, 0xfd]);
        assert!(zstd::zstd_safe::get_frame_content_size(&bytes)
            .unwrap()
            .is_some());
        let back = decode(&bytes, MetadataFormat::Msgpack, "k").unwrap();
        assert_eq!(to_dict(&back).unwrap(), to_dict(&m).unwrap());
    }

    #[test]
    fn rejects_what_plateau_rejects() {
        let v3: Json =
            serde_json::from_str(r#"{"dataset_metadata_version": 3, "dataset_uuid": "u"}"#)
                .unwrap();
        assert!(matches!(
            from_dict(&v3, MetadataFormat::Json),
            Err(Error::Unsupported(_))
        ));
        let multi: Json = serde_json::from_str(
            r#"{"dataset_metadata_version": 4, "dataset_uuid": "u", "partitions": {"a": {"files": {"t1": "x", "t2": "y"}}}}"#,
        )
        .unwrap();
        let err = from_dict(&multi, MetadataFormat::Json).unwrap_err();
        assert!(
            err.to_string().contains("multi tabled dataset was dropped"),
            "{err}"
        );
        assert!(matches!(
            decode(b"{not json", MetadataFormat::Json, "k.json"),
            Err(Error::Corrupt { .. })
        ));
        assert!(matches!(
            decode(b"garbage", MetadataFormat::Msgpack, "k.msgpack.zstd"),
            Err(Error::Corrupt { .. })
        ));
    }
}
