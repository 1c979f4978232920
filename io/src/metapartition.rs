//! [`MetaPartition`]: one written partition without its data — the message a
//! `write_single_partition` worker sends to the `commit_dataset` coordinator (DESIGN.md §5).
//!
//! Python plateau's `MetaPartition` carries data, indices, schema and labels through every
//! pipeline step and is pickled between Dask workers. Here the data never travels: a worker
//! writes the file and hands over only what the commit needs — label, file key, table name,
//! row count, the normalised schema (validated again at commit time, where it may upgrade
//! null columns of `_common_metadata`) and the partition's secondary indices.
//!
//! It is `serde`-serialisable in a self-contained form: the schema travels as the bytes of a
//! `_common_metadata` file and each index as the bytes of a plateau index file (both base64 in
//! human-readable formats such as JSON, raw bytes in binary formats), so any serde format
//! works and nothing depends on Rust struct layouts of other crates.
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Int64Array, RecordBatch};
//! use plateau_core::Store;
//! use plateau_io::{write, MetaPartition};
//! use plateau_metadata::DatasetFactory;
//!
//! let store = Store::memory();
//! let batch = RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![1, 2])) as _)]).unwrap();
//! write::create_empty_dataset_header(&store, "u", &batch.schema(), &Default::default()).unwrap();
//! let factory = DatasetFactory::new(store, "u");
//! let written = write::write_single_partition(&factory, &[batch], &Default::default()).unwrap();
//!
//! let message = serde_json::to_string(&written[0]).unwrap();
//! let received: MetaPartition = serde_json::from_str(&message).unwrap();
//! assert_eq!(received, written[0]);
//! ```

use std::collections::BTreeSet;
use std::fmt;

use indexmap::IndexMap;
use plateau_core::{Error, Result};
use plateau_index::Index;
use plateau_metadata::common_metadata::{read_common_metadata, write_common_metadata};
use plateau_metadata::schema::SchemaWrapper;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One written partition (one data file) of a dataset, without its data.
///
/// Equality compares every field; indices by content (not by storage key), schemas by
/// fields (see [`SchemaWrapper`]).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(try_from = "Wire")]
pub struct MetaPartition {
    /// The partition label: `[col=value/]*<uuid4 hex>`, quoted as in keys.
    pub label: String,
    /// The key of the written data file (`<uuid>/<table>/<label>.parquet`).
    pub file: String,
    /// The table the file belongs to.
    pub table_name: String,
    /// Number of rows in the file.
    pub num_rows: u64,
    /// The partition keys the partition was written with, outermost first.
    pub partition_keys: Vec<String>,
    /// The normalised schema of the input the partition came from (partition columns
    /// included, as plateau's `make_meta` builds it).
    pub schema: SchemaWrapper,
    /// The partition's secondary indices by column: each maps the partition's distinct
    /// non-null values to [`MetaPartition::label`]. A column being present (even with an empty
    /// index) means the partition is indexed on it.
    pub indices: IndexMap<String, Index>,
}

/// The serialised form of a [`MetaPartition`].
#[derive(Serialize, Deserialize)]
struct Wire {
    label: String,
    file: String,
    table_name: String,
    num_rows: u64,
    partition_keys: Vec<String>,
    /// `_common_metadata` bytes of the schema.
    schema: Blob,
    schema_origin: Vec<String>,
    /// `(column, index file bytes)`, in order.
    indices: Vec<(String, Blob)>,
}

impl Wire {
    /// The wire form; fails when the schema or an index cannot be encoded.
    fn encode(mp: &MetaPartition) -> Result<Self> {
        let schema = write_common_metadata(&mp.schema)?.to_vec();
        let indices = mp
            .indices
            .iter()
            .map(|(column, index)| Ok((column.clone(), Blob(index.to_parquet()?.to_vec()))))
            .collect::<Result<_>>()?;
        Ok(Wire {
            label: mp.label.clone(),
            file: mp.file.clone(),
            table_name: mp.table_name.clone(),
            num_rows: mp.num_rows,
            partition_keys: mp.partition_keys.clone(),
            schema: Blob(schema),
            schema_origin: mp.schema.origin().iter().cloned().collect(),
            indices,
        })
    }
}

impl Serialize for MetaPartition {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        Wire::encode(self)
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer)
    }
}

impl TryFrom<Wire> for MetaPartition {
    type Error = Error;

    fn try_from(wire: Wire) -> Result<Self> {
        let what = |part: &str| format!("metapartition `{}`: {part}", wire.label);
        let schema = read_common_metadata(wire.schema.0.into(), &what("schema"))?
            .with_origin(wire.schema_origin.into_iter().collect::<BTreeSet<_>>());
        let mut indices = IndexMap::new();
        for (column, blob) in wire.indices {
            let index =
                Index::from_parquet(&column, blob.0.into(), &what(&format!("index `{column}`")))?
                    .without_storage_key();
            indices.insert(column, index);
        }
        Ok(MetaPartition {
            label: wire.label,
            file: wire.file,
            table_name: wire.table_name,
            num_rows: wire.num_rows,
            partition_keys: wire.partition_keys,
            schema,
            indices,
        })
    }
}

/// Bytes that serialise as base64 text in human-readable formats and as bytes otherwise.
struct Blob(Vec<u8>);

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.serialize_str(&base64::encode(&self.0))
        } else {
            serializer.serialize_bytes(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Blob;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("base64 text or bytes")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Blob, E> {
                base64::decode(v).map(Blob).map_err(E::custom)
            }

            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> std::result::Result<Blob, E> {
                Ok(Blob(v.to_vec()))
            }

            fn visit_byte_buf<E: serde::de::Error>(
                self,
                v: Vec<u8>,
            ) -> std::result::Result<Blob, E> {
                Ok(Blob(v))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Blob, A::Error> {
                let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(b) = seq.next_element::<u8>()? {
                    bytes.push(b);
                }
                Ok(Blob(bytes))
            }
        }
        if deserializer.is_human_readable() {
            deserializer.deserialize_str(Visitor)
        } else {
            deserializer.deserialize_bytes(Visitor)
        }
    }
}

/// Standard base64 (RFC 4648, with padding); small enough not to warrant a dependency.
mod base64 {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub(super) fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let b = [
                chunk.first().copied().unwrap_or(0),
                chunk.get(1).copied().unwrap_or(0),
                chunk.get(2).copied().unwrap_or(0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
                if i <= chunk.len() {
                    out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    pub(super) fn decode(text: &str) -> Result<Vec<u8>, String> {
        let text = text.trim_end_matches('=');
        let mut out = Vec::with_capacity(text.len() * 3 / 4);
        let mut acc: u32 = 0;
        let mut bits = 0u32;
        for c in text.bytes() {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                _ => return Err(format!("invalid base64 character `{}`", char::from(c))),
            };
            acc = (acc << 6) | u32::from(v);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
        Ok(out)
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn round_trip() {
            for n in 0..20usize {
                let bytes: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
                let text = super::encode(&bytes);
                assert_eq!(text.len() % 4, 0);
                assert_eq!(super::decode(&text).unwrap(), bytes);
            }
            assert_eq!(super::encode(b"foobar"), "Zm9vYmFy");
            assert_eq!(super::encode(b"fo"), "Zm8=");
            assert!(super::decode("a!").is_err());
        }
    }
}

impl MetaPartition {
    /// The labels of `partitions`, in order.
    pub fn labels(partitions: &[MetaPartition]) -> Vec<&str> {
        partitions.iter().map(|mp| mp.label.as_str()).collect()
    }
}
