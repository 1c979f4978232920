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
use plateau_core::naming::{self, MetadataFormat, DEFAULT_TABLE};
use plateau_core::{Error, Result};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::dataset::{
    check_version, DatasetMetadata, IndexEntry, IndexSource, Partition, PartitionMap,
};
use crate::simplejson;
pub use crate::simplejson::write_simplejson;

/// zstd level of `zstandard.ZstdCompressor()`'s default.
const ZSTD_LEVEL: i32 = 3;

/// The dict form of the metadata, in plateau's key order.
pub fn to_dict(metadata: &DatasetMetadata) -> Result<Json> {
    serde_json::to_value(DictView(metadata))
        .map_err(|e| Error::invalid_input(format!("metadata has no JSON form: {e}")))
}

/// Serialises a [`DatasetMetadata`] as plateau's dict without building it first (the
/// partitions of a large dataset dominate; they are streamed from the map).
struct DictView<'a>(&'a DatasetMetadata);

impl Serialize for DictView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let m = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("dataset_metadata_version", &m.metadata_version)?;
        map.serialize_entry("dataset_uuid", &m.uuid)?;
        if !m.indices.is_empty() {
            map.serialize_entry("indices", &IndicesView(m))?;
        }
        if !m.metadata.is_empty() {
            map.serialize_entry("metadata", &m.metadata)?;
        }
        if m.explicit_partitions {
            map.serialize_entry("partitions", &PartitionsView(m))?;
        }
        if m.partition_keys_stored {
            map.serialize_entry("partition_keys", &m.partition_keys)?;
        }
        map.end()
    }
}

struct IndicesView<'a>(&'a DatasetMetadata);

impl Serialize for IndicesView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.indices.len()))?;
        for (column, entry) in &self.0.indices {
            match &entry.source {
                IndexSource::External(key) => map.serialize_entry(column, key)?,
                IndexSource::Embedded(raw) => map.serialize_entry(column, raw)?,
            }
        }
        map.end()
    }
}

struct PartitionsView<'a>(&'a DatasetMetadata);

impl Serialize for PartitionsView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let m = self.0;
        let mut map = serializer.serialize_map(Some(m.partitions.len()))?;
        for (label, partition) in &m.partitions {
            map.serialize_entry(label, &FilesView(&m.table_name, &partition.file))?;
        }
        map.end()
    }
}

/// `{"files": {table: file}}`.
struct FilesView<'a>(&'a str, &'a str);

impl Serialize for FilesView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        struct Inner<'a>(&'a str, &'a str);
        impl Serialize for Inner<'_> {
            fn serialize<S: Serializer>(
                &self,
                serializer: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry(self.0, self.1)?;
                map.end()
            }
        }
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("files", &Inner(self.0, self.1))?;
        map.end()
    }
}

/// The metadata file as stored, decoded without an intermediate value tree. A missing or
/// `null` field is `None`; a repeated field is an error.
#[derive(Default)]
struct RawDict {
    dataset_metadata_version: Option<Json>,
    dataset_uuid: Option<Json>,
    metadata: Option<Json>,
    partitions: Option<RawPartitions>,
    partition_keys: Option<Json>,
    indices: Option<IndexMap<String, Json>>,
}

impl<'de> Deserialize<'de> for RawDict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        RawDictSeed {
            partitions_capacity: 0,
        }
        .deserialize(deserializer)
    }
}

/// Decodes a [`RawDict`] with room for `partitions_capacity` partitions reserved up front.
/// JSON maps do not tell their length, and growing the map of 100,000 partitions one
/// doubling at a time (rehashing and moving its entries) was 10% of a load.
struct RawDictSeed {
    partitions_capacity: usize,
}

impl RawDictSeed {
    /// A guess from the size of a JSON file: a partition entry
    /// (`"label": {"files": {"table": "<uuid>/<table>/<label>/<name>.parquet"}}`) takes well
    /// over 64 bytes, so this seldom reserves less than needed, and never more than
    /// `len / 128` entries. Capped, like the msgpack hint, at 2^20.
    fn for_json(len: usize) -> Self {
        Self {
            partitions_capacity: (len / 128).min(1 << 20),
        }
    }
}

impl<'de> DeserializeSeed<'de> for RawDictSeed {
    type Value = RawDict;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<RawDict, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RawDictSeed {
    type Value = RawDict;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a dataset metadata dict")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<RawDict, A::Error> {
        let mut raw = RawDict::default();
        // Whether a field was seen, `null` included, as serde's derive counts them.
        let mut seen = [false; 6];
        while let Some(key) = map.next_key::<Text<'de>>()? {
            let (slot, field) = match key.as_str() {
                "dataset_metadata_version" => (0, "dataset_metadata_version"),
                "dataset_uuid" => (1, "dataset_uuid"),
                "metadata" => (2, "metadata"),
                "partitions" => (3, "partitions"),
                "partition_keys" => (4, "partition_keys"),
                "indices" => (5, "indices"),
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    continue;
                }
            };
            if std::mem::replace(&mut seen[slot], true) {
                return Err(serde::de::Error::duplicate_field(field));
            }
            match slot {
                0 => raw.dataset_metadata_version = map.next_value()?,
                1 => raw.dataset_uuid = map.next_value()?,
                2 => raw.metadata = map.next_value()?,
                3 => {
                    raw.partitions = map.next_value_seed(OptionalPartitions {
                        capacity: self.partitions_capacity,
                    })?;
                }
                4 => raw.partition_keys = map.next_value()?,
                _ => raw.indices = map.next_value()?,
            }
        }
        Ok(raw)
    }
}

/// `partitions`, `null` or a map, with room reserved for `capacity` partitions when the
/// format does not tell the map's length.
struct OptionalPartitions {
    capacity: usize,
}

impl<'de> DeserializeSeed<'de> for OptionalPartitions {
    type Value = Option<RawPartitions>;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for OptionalPartitions {
    type Value = Option<RawPartitions>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("null or a map of partition label to {\"files\": {table: key}}")
    }

    fn visit_none<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        deserializer
            .deserialize_map(PartitionsVisitor {
                capacity: self.capacity,
            })
            .map(Some)
    }
}

/// The `partitions` dict decoded straight into the metadata's map. Per partition only the
/// label and the file key are allocated: at 100,000 partitions the decode is most of a
/// metadata load, and a map of owned entries rebuilt afterwards doubled it.
struct RawPartitions {
    map: PartitionMap,
    /// The table of the first partition.
    table: Option<String>,
    /// The first entry, in file order, that breaks a rule; reported by [`from_raw`], which
    /// knows the dataset uuid.
    problem: Option<PartitionProblem>,
}

enum PartitionProblem {
    NotOneFile { label: String },
    OtherTable { existing: String, table: String },
    BadKey { label: String, message: String },
}

impl<'de> Deserialize<'de> for RawPartitions {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_map(PartitionsVisitor { capacity: 0 })
    }
}

/// Decodes the `partitions` map, reserving the map's own length if the format tells it,
/// else `capacity`.
struct PartitionsVisitor {
    capacity: usize,
}

impl<'de> Visitor<'de> for PartitionsVisitor {
    type Value = RawPartitions;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a map of partition label to {\"files\": {table: key}}")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<RawPartitions, A::Error> {
        let capacity = map.size_hint().unwrap_or(self.capacity).min(1 << 20);
        let mut out = RawPartitions {
            map: PartitionMap::with_capacity_and_hasher(capacity, Default::default()),
            table: None,
            problem: None,
        };
        while let Some(label) = map.next_key::<String>()? {
            let entry = map.next_value::<RawPartition<'de>>()?;
            let Some(file) = out.check(&label, entry) else {
                continue;
            };
            out.map.insert(label, Partition { file });
        }
        Ok(out)
    }
}

impl RawPartitions {
    /// The entry's file key, after the checks of plateau's loader (one table file per
    /// partition, one table in the dataset, a valid key); the first failure is kept.
    fn check(&mut self, label: &str, entry: RawPartition<'_>) -> Option<String> {
        let (table, file) = match entry.files {
            FilesMap {
                first: Some(single),
                count: 1,
            } => single,
            _ => {
                self.fail(PartitionProblem::NotOneFile {
                    label: label.to_owned(),
                });
                return None;
            }
        };
        match &self.table {
            None => self.table = Some(table.as_str().to_owned()),
            Some(existing) if existing != table.as_str() => {
                let existing = existing.clone();
                self.fail(PartitionProblem::OtherTable {
                    existing,
                    table: table.as_str().to_owned(),
                });
            }
            Some(_) => {}
        }
        if let Err(e) = naming::check_key(&file) {
            self.fail(PartitionProblem::BadKey {
                label: label.to_owned(),
                message: e.to_string(),
            });
        }
        Some(file)
    }

    fn fail(&mut self, problem: PartitionProblem) {
        self.problem.get_or_insert(problem);
    }
}

/// One partition entry: `{"files": {table: key}, ...}` (other keys are ignored, as in
/// plateau).
struct RawPartition<'de> {
    files: FilesMap<'de>,
}

impl<'de> Deserialize<'de> for RawPartition<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct PartitionVisitor;
        impl<'de> Visitor<'de> for PartitionVisitor {
            type Value = RawPartition<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a partition entry {\"files\": {table: key}}")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<RawPartition<'de>, A::Error> {
                let mut files = None;
                while let Some(key) = map.next_key::<Text<'de>>()? {
                    if key.as_str() == "files" {
                        files = Some(map.next_value::<FilesMap<'de>>()?);
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                files
                    .map(|files| RawPartition { files })
                    .ok_or_else(|| serde::de::Error::missing_field("files"))
            }
        }
        deserializer.deserialize_map(PartitionVisitor)
    }
}

/// `{table: key, ...}`: the first pair and the number of pairs (plateau 4 reads one table).
struct FilesMap<'de> {
    first: Option<(Text<'de>, String)>,
    count: usize,
}

impl<'de> Deserialize<'de> for FilesMap<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct FilesVisitor;
        impl<'de> Visitor<'de> for FilesVisitor {
            type Value = FilesMap<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map of table name to file key")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<FilesMap<'de>, A::Error> {
                let mut first = None;
                let mut count = 0;
                while let Some(entry) = map.next_entry::<Text<'de>, String>()? {
                    first.get_or_insert(entry);
                    count += 1;
                }
                Ok(FilesMap { first, count })
            }
        }
        deserializer.deserialize_map(FilesVisitor)
    }
}

/// A string borrowed from the input when the format allows it (JSON without escapes),
/// owned otherwise: a table name or a field name compared and dropped.
enum Text<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Text<'_> {
    fn as_str(&self) -> &str {
        match self {
            Text::Borrowed(s) => s,
            Text::Owned(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Text<'de>, E> {
                Ok(Text::Borrowed(v))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Text<'de>, E> {
                Ok(Text::Owned(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> std::result::Result<Text<'de>, E> {
                Ok(Text::Owned(v))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

/// Parses the dict form without touching a store (plateau's `from_dict`).
///
/// Implicit datasets (no `partitions` key) come back with no partitions; the loader fills
/// them from the store. The table name is that of the first partition, else `"table"`.
pub fn from_dict(dict: &Json, format: MetadataFormat) -> Result<DatasetMetadata> {
    let origin = "metadata dict";
    let raw: RawDict = serde_json::from_value(dict.clone())
        .map_err(|e| corrupt(origin, format!("not plateau metadata: {e}")))?;
    from_raw(raw, format, origin)
}

/// `origin`: the metadata file's key (or what else the metadata came from), for errors.
fn from_raw(raw: RawDict, format: MetadataFormat, origin: &str) -> Result<DatasetMetadata> {
    let uuid = raw
        .dataset_uuid
        .as_ref()
        .and_then(Json::as_str)
        .ok_or_else(|| corrupt(origin, "`dataset_uuid` is missing or not a string"))?
        .to_owned();
    let version = raw
        .dataset_metadata_version
        .as_ref()
        .and_then(Json::as_u64)
        .ok_or_else(|| {
            corrupt(
                origin,
                "`dataset_metadata_version` is missing or not an integer",
            )
        })?;
    check_version(version)?;

    let metadata = match raw.metadata {
        None | Some(Json::Null) => Map::new(),
        Some(Json::Object(m)) => m,
        Some(other) => {
            return Err(corrupt(
                origin,
                format!("`metadata` is not an object: {other}"),
            ))
        }
    };

    let explicit_partitions = raw.partitions.is_some();
    let (partitions, table_name) = match raw.partitions {
        None => (PartitionMap::default(), None),
        Some(RawPartitions {
            map,
            table,
            problem,
        }) => {
            match problem {
                None => {}
                Some(PartitionProblem::NotOneFile { label }) => {
                    return Err(Error::unsupported(format!(
                        "Dataset {uuid} has a partition `{label}` without exactly one table file, but read support for multi tabled dataset was dropped with plateau 4.0."
                    )))
                }
                Some(PartitionProblem::OtherTable { existing, table }) => {
                    return Err(Error::unsupported(format!(
                        "Dataset {uuid} has tables [{existing:?}, {table:?}] but read support for multi tabled dataset was dropped with plateau 4.0."
                    )))
                }
                Some(PartitionProblem::BadKey { label, message }) => {
                    return Err(corrupt(origin, format!("partition `{label}`: {message}")))
                }
            }
            (map, table)
        }
    };

    let (partition_keys, partition_keys_stored) = match raw.partition_keys {
        None | Some(Json::Null) => (Vec::new(), false),
        Some(Json::Array(keys)) => (
            keys.into_iter()
                .map(|k| match k {
                    Json::String(s) => Ok(s),
                    _ => Err(corrupt(origin, "`partition_keys` holds a non-string")),
                })
                .collect::<Result<Vec<_>>>()?,
            true,
        ),
        Some(other) => {
            return Err(corrupt(
                origin,
                format!("`partition_keys` is not a list: {other}"),
            ))
        }
    };

    let mut indices = IndexMap::new();
    for (column, value) in raw.indices.unwrap_or_default() {
        let source = match value {
            Json::String(key) => {
                if let Err(e) = naming::check_key(&key) {
                    return Err(corrupt(origin, format!("index of column `{column}`: {e}")));
                }
                IndexSource::External(key)
            }
            Json::Object(_) => IndexSource::Embedded(value),
            other => {
                return Err(corrupt(
                    origin,
                    format!("index of column `{column}` is neither a key nor a dict: {other}"),
                ))
            }
        };
        indices.insert(
            column,
            IndexEntry {
                source,
                index: None,
            },
        );
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

fn corrupt(origin: &str, message: impl std::fmt::Display) -> Error {
    Error::corrupt(origin, message)
}

/// The JSON metadata file's bytes, written directly in simplejson's form.
pub fn to_json(metadata: &DatasetMetadata) -> Result<Vec<u8>> {
    let m = metadata;
    let mut out = String::with_capacity(64 + m.partitions.len() * 128);
    out.push_str("{\"dataset_metadata_version\": ");
    out.push_str(&m.metadata_version.to_string());
    out.push_str(", \"dataset_uuid\": ");
    simplejson::write_string(&m.uuid, &mut out);
    if !m.indices.is_empty() {
        out.push_str(", \"indices\": ");
        write_simplejson(
            &serde_json::to_value(IndicesView(m))
                .map_err(|e| Error::invalid_input(e.to_string()))?,
            &mut out,
        )?;
    }
    if !m.metadata.is_empty() {
        out.push_str(", \"metadata\": ");
        simplejson::write_map(&m.metadata, &mut out)?;
    }
    if m.explicit_partitions {
        out.push_str(", \"partitions\": {");
        for (i, (label, partition)) in m.partitions.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            simplejson::write_string(label, &mut out);
            out.push_str(": {\"files\": {");
            simplejson::write_string(&m.table_name, &mut out);
            out.push_str(": ");
            simplejson::write_string(&partition.file, &mut out);
            out.push_str("}}");
        }
        out.push('}');
    }
    if m.partition_keys_stored {
        out.push_str(", \"partition_keys\": [");
        for (i, key) in m.partition_keys.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            simplejson::write_string(key, &mut out);
        }
        out.push(']');
    }
    out.push('}');
    Ok(out.into_bytes())
}

/// The msgpack + zstd metadata file's bytes.
pub fn to_msgpack(metadata: &DatasetMetadata) -> Result<Vec<u8>> {
    let packed = rmp_serde::to_vec(&DictView(metadata))
        .map_err(|e| Error::invalid_input(format!("metadata cannot be packed as msgpack: {e}")))?;
    compress(&packed)
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
        MetadataFormat::Msgpack => rmp_serde::from_slice(&decompress(bytes, key)?)
            .map_err(|e| Error::corrupt(key, format!("invalid msgpack: {e}"))),
    }
}

/// Parses a metadata file of either format (no store access; see [`crate::load`]).
pub fn decode(bytes: &[u8], format: MetadataFormat, key: &str) -> Result<DatasetMetadata> {
    let raw: RawDict = match format {
        // One UTF-8 check of the whole file, then a parse that trusts it: `from_slice`
        // validates every string on its own, 7% of a 100,000-partition load.
        MetadataFormat::Json => std::str::from_utf8(bytes)
            .map_err(|e| e.to_string())
            .and_then(|text| {
                let mut json = serde_json::Deserializer::from_str(text);
                let raw = RawDictSeed::for_json(text.len()).deserialize(&mut json);
                raw.and_then(|raw| json.end().map(|()| raw))
                    .map_err(|e| e.to_string())
            })
            .map_err(|e| Error::corrupt(key, format!("invalid metadata JSON: {e}")))?,
        MetadataFormat::Msgpack => rmp_serde::from_slice(&decompress(bytes, key)?)
            .map_err(|e| Error::corrupt(key, format!("invalid metadata msgpack: {e}")))?,
    };
    from_raw(raw, format, key)
}

/// Decompresses one zstd frame that declares its content size.
///
/// The declared size is read from the file, so it only bounds the output: the buffer grows
/// with what the frame really decompresses to, and a corrupt header claiming exabytes costs
/// nothing (a one-step `bulk::decompress` would allocate the claim up front and abort).
fn decompress(bytes: &[u8], key: &str) -> Result<Vec<u8>> {
    use std::io::Read as _;
    let declared = declared_content_size(bytes, key)?;
    let invalid = |e: std::io::Error| Error::corrupt(key, format!("invalid zstd frame: {e}"));
    let decoder = zstd::stream::read::Decoder::with_buffer(bytes).map_err(invalid)?;
    let mut out = Vec::with_capacity(declared.min(bytes.len().saturating_mul(8)));
    let limit = u64::try_from(declared)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    decoder
        .single_frame()
        .take(limit)
        .read_to_end(&mut out)
        .map_err(invalid)?;
    if out.len() != declared {
        return Err(Error::corrupt(
            key,
            format!(
                "zstd frame declares {declared} bytes but holds {}",
                out.len()
            ),
        ));
    }
    Ok(out)
}

/// The content size from the zstd frame header, which plateau always writes; without it the
/// frame cannot be decompressed in one step (Python rejects it too).
fn declared_content_size(bytes: &[u8], key: &str) -> Result<usize> {
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

fn compress(packed: &[u8]) -> Result<Vec<u8>> {
    let mut compressor = zstd::bulk::Compressor::new(ZSTD_LEVEL)?;
    compressor.include_checksum(false)?;
    compressor.include_contentsize(true)?;
    Ok(compressor.compress(packed)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::DatasetMetadataBuilder;

    /// The hand-written decoder of the top-level dict keeps the derive's rules: a `null`
    /// `partitions` is an implicit dataset, unknown keys are ignored, a repeated key is an
    /// error (also a repeated `null`), trailing bytes are an error; JSON bytes and the dict
    /// form agree.
    #[test]
    fn top_level_fields_follow_the_derived_rules() {
        let parse = |json: &str| {
            let dict: Option<Json> = serde_json::from_str(json).ok();
            let from_bytes = decode(json.as_bytes(), MetadataFormat::Json, "k");
            (from_bytes, dict)
        };
        let head = r#""dataset_metadata_version": 4, "dataset_uuid": "u""#;
        let (null, _) = parse(&format!(
            r#"{{{head}, "partitions": null, "x": [1, {{}}]}}"#
        ));
        let null = null.unwrap();
        assert!(!null.explicit_partitions);
        assert!(null.partitions.is_empty());
        let (listed, dict) = parse(&format!(
            r#"{{{head}, "partitions": {{"p=1": {{"files": {{"table": "u/table/p=1/a.parquet"}}}}}}}}"#
        ));
        let listed = listed.unwrap();
        assert!(listed.explicit_partitions);
        assert_eq!(listed.partitions["p=1"].file, "u/table/p=1/a.parquet");
        let from_value = from_dict(&dict.unwrap(), MetadataFormat::Json).unwrap();
        assert_eq!(listed.partitions, from_value.partitions);
        for repeated in [
            format!(r#"{{{head}, "partitions": null, "partitions": null}}"#),
            format!(r#"{{{head}, "dataset_uuid": "v"}}"#),
            format!(r#"{{{head}, "indices": {{}}, "indices": {{}}}}"#),
        ] {
            let err = decode(repeated.as_bytes(), MetadataFormat::Json, "k").unwrap_err();
            assert!(err.to_string().contains("duplicate field"), "{err}");
        }
        let trailing = format!(r#"{{{head}}} x"#);
        assert!(decode(trailing.as_bytes(), MetadataFormat::Json, "k").is_err());
    }

    /// The whole-file UTF-8 check reports bytes that are not UTF-8 as a corrupt file, as
    /// the per-string check did, also where they sit inside a string.
    #[test]
    fn metadata_that_is_not_utf8_is_corrupt() {
        let good = br#"{"dataset_metadata_version": 4, "dataset_uuid": "u", "partitions": {}}"#;
        assert!(decode(good, MetadataFormat::Json, "k").is_ok());
        let mut bad = good.to_vec();
        let at = bad.iter().position(|b| *b == b'u').unwrap();
        bad[at] = 0xff;
        let err = decode(&bad, MetadataFormat::Json, "u.by-dataset-metadata.json").unwrap_err();
        assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
        assert!(err.to_string().contains("invalid metadata JSON"), "{err}");
    }

    /// The partitions dict's rules, checked in file order, in both formats and the dict form.
    #[test]
    fn partition_entries_follow_plateaus_rules() {
        let decode_json = |json: &str| {
            let dict: Json = serde_json::from_str(json).unwrap();
            let from_bytes = decode(json.as_bytes(), MetadataFormat::Json, "k");
            let from_value = from_dict(&dict, MetadataFormat::Json);
            let packed = to_msgpack_value(&dict);
            let from_msgpack = decode(&packed, MetadataFormat::Msgpack, "k");
            match (&from_bytes, &from_value, &from_msgpack) {
                (Ok(a), Ok(b), Ok(c)) => {
                    assert_eq!(a.partitions, b.partitions);
                    assert_eq!(a.partitions, c.partitions);
                    assert_eq!(a.table_name, b.table_name);
                }
                (Err(a), Err(b), Err(c)) => {
                    assert_eq!(std::mem::discriminant(a), std::mem::discriminant(b));
                    assert_eq!(std::mem::discriminant(a), std::mem::discriminant(c));
                    if let Error::Unsupported(_) = a {
                        assert_eq!(a.to_string(), b.to_string());
                        assert_eq!(a.to_string(), c.to_string());
                    }
                }
                other => panic!("the forms disagree: {other:?}"),
            }
            from_bytes
        };
        let head = r#"{"dataset_metadata_version": 4, "dataset_uuid": "u", "partitions": "#;
        let ok = decode_json(&format!(
            r#"{head}{{"a": {{"files": {{"t\u0061b": "u/tab/a.parquet"}}, "x": [1]}}, "b": {{"files": {{"tab": "u/tab/b.parquet"}}}}, "a": {{"files": {{"tab": "u/tab/a2.parquet"}}}}}}}}"#
        ))
        .unwrap();
        assert_eq!(ok.table_name, "tab");
        let files: Vec<(&str, &str)> = ok
            .partitions
            .iter()
            .map(|(l, p)| (l.as_str(), p.file.as_str()))
            .collect();
        // A repeated label keeps its first position and its last entry, as a dict does.
        assert_eq!(files, [("a", "u/tab/a2.parquet"), ("b", "u/tab/b.parquet")]);

        let two_tables = decode_json(&format!(
            r#"{head}{{"a": {{"files": {{"t1": "u/t1/a.parquet"}}}}, "b": {{"files": {{"t2": "u/t2/b.parquet"}}}}}}}}"#
        ))
        .unwrap_err();
        assert!(matches!(two_tables, Error::Unsupported(_)), "{two_tables}");
        assert!(
            two_tables.to_string().contains(r#"["t1", "t2"]"#),
            "{two_tables}"
        );

        let two_files = decode_json(&format!(
            r#"{head}{{"a": {{"files": {{"t1": "u/t1/a.parquet", "t2": "u/t2/a.parquet"}}}}}}}}"#
        ))
        .unwrap_err();
        assert!(
            two_files
                .to_string()
                .contains("partition `a` without exactly one"),
            "{two_files}"
        );

        let no_files = decode_json(&format!(r#"{head}{{"a": {{"files": {{}}}}}}}}"#)).unwrap_err();
        assert!(
            no_files.to_string().contains("partition `a` without"),
            "{no_files}"
        );

        // The first problem in file order wins: a bad key before a second table.
        let bad_key_first = decode_json(&format!(
            r#"{head}{{"a": {{"files": {{"t1": "u/../a.parquet"}}}}, "b": {{"files": {{"t2": "u/t2/b.parquet"}}}}}}}}"#
        ))
        .unwrap_err();
        assert!(
            matches!(&bad_key_first, Error::Corrupt { message, .. } if message.starts_with("partition `a`")),
            "{bad_key_first}"
        );

        let not_a_dict = decode_json(&format!(r#"{head}{{"a": {{"x": 1}}}}}}"#)).unwrap_err();
        assert!(matches!(not_a_dict, Error::Corrupt { .. }), "{not_a_dict}");
    }

    fn to_msgpack_value(dict: &Json) -> Vec<u8> {
        let packed = rmp_serde::to_vec(dict).unwrap();
        let mut encoder = zstd::stream::Encoder::new(Vec::new(), 3).unwrap();
        encoder.include_contentsize(true).unwrap();
        encoder
            .set_pledged_src_size(Some(packed.len() as u64))
            .unwrap();
        std::io::Write::write_all(&mut encoder, &packed).unwrap();
        encoder.finish().unwrap()
    }

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
