//! Every key shape of a plateau dataset (reference §2.1), so no other crate formats keys by
//! hand.
//!
//! | object | key |
//! |---|---|
//! | metadata | `<uuid>.by-dataset-metadata.json` or `.msgpack.zstd` |
//! | schema | `<uuid>/<table>/_common_metadata` |
//! | data file | `<uuid>/<table>/<label>.parquet`, label = `[col=value/]*<uuid4 hex>` |
//! | secondary index | `<uuid>/indices/<quote(col)>/<quote(iso time)>.by-dataset-index.parquet` |
//! | legacy index | `<uuid>.<col>.by-dataset-index.parquet` |
//!
//! Label components keep their quoted form everywhere; only typed parsing
//! ([`crate::partition_value`]) unquotes a value, because a binary value need not be UTF-8.

use std::borrow::Cow;

use crate::error::{Error, Result};
use crate::quote::{quote, quote_component, quote_component_bytes, unquote_bytes, unquote_str};

/// Common stem of both metadata file suffixes.
pub const METADATA_BASE_SUFFIX: &str = ".by-dataset-metadata";
/// File name of a table's schema file.
pub const COMMON_METADATA: &str = "_common_metadata";
/// Suffix of secondary index files.
pub const INDEX_SUFFIX: &str = ".by-dataset-index.parquet";
/// Directory of a dataset's secondary index files, under `<uuid>/`.
pub const INDICES_DIR: &str = "indices";
/// The default (and in plateau 4 the only) table name.
pub const DEFAULT_TABLE: &str = "table";
/// Suffix of Parquet data files.
pub const PARQUET_SUFFIX: &str = ".parquet";

/// The two encodings of the metadata file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MetadataFormat {
    /// `<uuid>.by-dataset-metadata.json` (plateau's default).
    #[default]
    Json,
    /// `<uuid>.by-dataset-metadata.msgpack.zstd`.
    Msgpack,
}

impl MetadataFormat {
    /// Both formats in the order readers try them (JSON wins when both exist, as in plateau).
    pub const READ_ORDER: [MetadataFormat; 2] = [MetadataFormat::Json, MetadataFormat::Msgpack];

    /// The file suffix after [`METADATA_BASE_SUFFIX`].
    pub fn extension(&self) -> &'static str {
        match self {
            MetadataFormat::Json => ".json",
            MetadataFormat::Msgpack => ".msgpack.zstd",
        }
    }

    /// Parses `json` or `msgpack` (case-insensitive), as plateau's `metadata_storage_format`.
    pub fn parse(name: &str) -> Result<Self> {
        match name.to_ascii_lowercase().as_str() {
            "json" => Ok(MetadataFormat::Json),
            "msgpack" => Ok(MetadataFormat::Msgpack),
            _ => Err(Error::invalid_input(format!(
                "unknown metadata storage format encountered: {name}"
            ))),
        }
    }
}

/// `<uuid>.by-dataset-metadata.<ext>`.
pub fn metadata_key(uuid: &str, format: MetadataFormat) -> String {
    format!("{uuid}{METADATA_BASE_SUFFIX}{}", format.extension())
}

/// If `key` is a metadata file, its uuid and format.
pub fn parse_metadata_key(key: &str) -> Option<(&str, MetadataFormat)> {
    MetadataFormat::READ_ORDER.into_iter().find_map(|format| {
        let suffix = format!("{METADATA_BASE_SUFFIX}{}", format.extension());
        key.strip_suffix(suffix.as_str())
            .filter(|uuid| !uuid.is_empty() && !uuid.contains('/'))
            .map(|uuid| (uuid, format))
    })
}

/// `<uuid>/<table>/_common_metadata`.
pub fn common_metadata_key(uuid: &str, table: &str) -> String {
    format!("{uuid}/{table}/{COMMON_METADATA}")
}

/// `<uuid>/<table>/`: the prefix of every data file of the table.
pub fn table_prefix(uuid: &str, table: &str) -> String {
    format!("{uuid}/{table}/")
}

/// `<uuid>/indices/`: the prefix of every current-style index file.
pub fn indices_prefix(uuid: &str) -> String {
    format!("{uuid}/{INDICES_DIR}/")
}

/// The two prefixes under which a dataset's keys live: `<uuid>/` and `<uuid>.`.
/// (`u` must not claim `u_other/`, so a bare string prefix is not enough.)
pub fn dataset_prefixes(uuid: &str) -> [String; 2] {
    [format!("{uuid}/"), format!("{uuid}.")]
}

/// Whether `key` belongs to dataset `uuid` (plateau's `storage_keys` filter).
pub fn is_dataset_key(uuid: &str, key: &str) -> bool {
    key.strip_prefix(uuid)
        .is_some_and(|rest| rest.starts_with('/') || rest.starts_with('.'))
}

/// `<uuid>/<table>/<label><suffix>` (suffix `.parquet`, `.csv` or `.csv.gz`).
pub fn data_file_key(uuid: &str, table: &str, label: &str, suffix: &str) -> String {
    format!("{uuid}/{table}/{label}{suffix}")
}

/// One `col=value` label component from an unquoted column and an already quoted value.
pub fn label_component(column: &str, quoted_value: &str) -> String {
    format!("{}={quoted_value}", quote_component(column))
}

/// A partition label: the components joined by `/`, then the base name.
pub fn partition_label<S: AsRef<str>>(components: &[S], base: &str) -> String {
    let mut label = String::new();
    for c in components {
        label.push_str(c.as_ref());
        label.push('/');
    }
    label.push_str(base);
    label
}

/// A key or label split into partition pairs and the rest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedKey {
    /// `(unquoted column, value as quoted in the key)` for each `col=value` component.
    pub pairs: Vec<(String, String)>,
    /// The last component (file name or label base).
    pub file: String,
}

/// Splits a partition label (`P=1/L=a%20b/<base>`) like plateau's `decode_key` does for the
/// part below the table: every component that splits into exactly two parts on `=` is a pair,
/// other middle components are skipped. A column that is not UTF-8 after unquoting is an
/// error.
pub fn decode_label(label: &str) -> Result<DecodedKey> {
    let pairs = label_pairs(label)
        .map(|pair| pair.map(|(column, value)| (column.into_owned(), value.to_owned())))
        .collect::<Result<_>>()?;
    let file = label.rsplit('/').next().unwrap_or_default().to_owned();
    Ok(DecodedKey { pairs, file })
}

/// [`decode_label`]'s pairs without copies: every component but the last (the file name)
/// that is one `column=value` pair, the column unquoted (borrowed unless it holds an escape),
/// the value as quoted in the label.
pub fn label_pairs(label: &str) -> impl Iterator<Item = Result<(Cow<'_, str>, &str)>> {
    let mut components = label.split('/');
    components.next_back();
    components.filter_map(|component| {
        let mut split = component.split('=');
        let (Some(column), Some(value), None) = (split.next(), split.next(), split.next()) else {
            return None;
        };
        Some(unquote_str(column).map(|column| (column, value)))
    })
}

/// A data file key split into uuid, table, partition pairs and file name; `None` for keys
/// with fewer than three components.
pub fn decode_data_key(key: &str) -> Result<Option<(String, String, DecodedKey)>> {
    let mut split = key.splitn(3, '/');
    let (Some(uuid), Some(table), Some(rest)) = (split.next(), split.next(), split.next()) else {
        return Ok(None);
    };
    Ok(Some((
        uuid.to_owned(),
        table.to_owned(),
        decode_label(rest)?,
    )))
}

/// Re-quotes a label component's value so that equivalent escapes compare equal
/// (`%7e` → `~`, `%2f` → `%2F`), as plateau re-quotes labels of implicit partitions.
pub fn normalize_quoted_value(quoted: &str) -> String {
    quote_component_bytes(&unquote_bytes(quoted))
}

/// `<uuid>/indices/<quote(column)>/<quote(timestamp)>.by-dataset-index.parquet`. The column
/// keeps `/` unescaped, exactly as plateau writes it.
pub fn index_key(uuid: &str, column: &str, timestamp_iso: &str) -> String {
    format!(
        "{uuid}/{INDICES_DIR}/{}/{}{INDEX_SUFFIX}",
        quote(column),
        quote(timestamp_iso)
    )
}

/// Checks that `key` (as stored in metadata) names something a store can hold: no empty,
/// `.` or `..` segments, no leading or trailing `/`. Metadata that names such a key is
/// corrupt; reading or deleting through it could leave the store.
///
/// # Errors
/// [`Error::InvalidInput`] naming the key.
pub fn check_key(key: &str) -> Result<()> {
    if key_is_bad(key.as_bytes()) {
        return Err(Error::invalid_input(format!(
            "`{key}` is not a valid key (empty, `.` or `..` path segments)"
        )));
    }
    Ok(())
}

/// An empty, `.` or `..` segment, or an ASCII control character, which object_store's
/// `Path::parse` also refuses. Every partition of a metadata load is checked, so the common
/// case is one branch-free pass the compiler vectorizes: a bad segment needs a `/` or `.` at
/// the start, a `/` at the end, or a `//` or `/.` pair; only a key with one of those is
/// split into segments.
fn key_is_bad(key: &[u8]) -> bool {
    let (Some(first), Some(last)) = (key.first(), key.last()) else {
        return true;
    };
    let (control, pair) = key.iter().zip(&key[1..]).fold(
        (last.is_ascii_control(), false),
        |(control, pair), (byte, next)| {
            (
                control | byte.is_ascii_control(),
                pair | (*byte == b'/') & (*next == b'/' || *next == b'.'),
            )
        },
    );
    if control {
        return true;
    }
    let suspicious = pair || matches!(first, b'/' | b'.') || *last == b'/';
    suspicious
        && key
            .split(|byte| *byte == b'/')
            .any(|segment| matches!(segment, b"" | b"." | b".."))
}

/// Checks that an index on `column` can be stored: its key
/// (`<uuid>/indices/<column>/…`, the column quoted with `/` kept as plateau does) must not
/// have empty, `.` or `..` segments, which no store can hold. Called before anything is
/// written.
///
/// # Errors
/// [`Error::InvalidInput`] naming the column.
pub fn check_index_column(column: &str) -> Result<()> {
    let quoted = quote(column);
    let bad = column.is_empty()
        || quoted
            .split('/')
            .any(|segment| segment.is_empty() || segment == "." || segment == "..");
    if bad {
        return Err(Error::invalid_input(format!(
            "cannot index column `{column}`: its index file key `<uuid>/{INDICES_DIR}/{quoted}/…` \
             would have an empty, `.` or `..` path segment"
        )));
    }
    Ok(())
}

/// The legacy index key `<uuid>.<column>.by-dataset-index.parquet`.
pub fn legacy_index_key(uuid: &str, column: &str) -> String {
    format!("{uuid}.{column}{INDEX_SUFFIX}")
}

/// Checks plateau's uuid rule `[a-zA-Z0-9+\-_]+`.
pub fn validate_uuid(uuid: &str) -> Result<()> {
    let ok = !uuid.is_empty()
        && uuid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'_'));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidUuid(uuid.to_owned()))
    }
}

/// A fresh uuid4 as 32 lowercase hex characters (plateau's `gen_uuid`), used for dataset
/// uuids and partition base names.
pub fn gen_uuid() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vectorized check agrees with the rule it implements, on every key of up to six
    /// bytes over the bytes that matter.
    #[test]
    fn key_check_matches_its_rule_exhaustively() {
        let rule = |key: &[u8]| {
            key.iter().any(u8::is_ascii_control)
                || key
                    .split(|byte| *byte == b'/')
                    .any(|segment| matches!(segment, b"" | b"." | b".."))
        };
        let alphabet = [b'/', b'.', b'a', b'\n'];
        let mut keys: Vec<Vec<u8>> = vec![Vec::new()];
        let mut checked = 0;
        for _ in 0..=6 {
            let mut longer = Vec::new();
            for key in &keys {
                assert_eq!(
                    key_is_bad(key),
                    rule(key),
                    "{:?}",
                    String::from_utf8_lossy(key)
                );
                checked += 1;
                for byte in alphabet {
                    let mut next = key.clone();
                    next.push(byte);
                    longer.push(next);
                }
            }
            keys = longer;
        }
        assert_eq!(checked, (0..=6).map(|n| 4usize.pow(n)).sum::<usize>());
    }

    /// `check_key` refuses every key object_store's `Path::parse` refuses, and more.
    #[test]
    fn check_key_is_at_least_as_strict_as_object_store() {
        let keys = [
            "u/table/p=1/a.parquet",
            "u/t/p=%2F/a.parquet",
            "u/t/ü/a.parquet",
            "",
            "/u/a",
            "u/a/",
            "u//a",
            "u/./a",
            "u/../a",
            "u/a\u{7f}b",
            "u/a\nb",
            "u/a\u{0}",
            "u/a\u{85}b",
            "..",
        ];
        for key in keys {
            let ours = check_key(key).is_ok();
            let object_store = object_store::path::Path::parse(key).is_ok();
            assert!(!ours || object_store, "{key:?}");
        }
        assert!(check_key("u/table/p=1/a.parquet").is_ok());
        assert!(check_key("u/t/ü/a.parquet").is_ok());
        assert!(check_key("u/a\u{7f}b").is_err());
        assert!(check_key("u/a\tb").is_err());
    }

    #[test]
    fn key_shapes() {
        assert_eq!(
            metadata_key("u", MetadataFormat::Msgpack),
            "u.by-dataset-metadata.msgpack.zstd"
        );
        assert_eq!(
            parse_metadata_key("u.by-dataset-metadata.json"),
            Some(("u", MetadataFormat::Json))
        );
        assert_eq!(parse_metadata_key("u/x.by-dataset-metadata.json"), None);
        assert_eq!(
            common_metadata_key("u", "table"),
            "u/table/_common_metadata"
        );
        assert_eq!(
            index_key("u", "foo/bar:x", "2000-01-01T01:01:01.000001"),
            "u/indices/foo/bar%3Ax/2000-01-01T01%3A01%3A01.000001.by-dataset-index.parquet"
        );
        assert_eq!(legacy_index_key("u", "c"), "u.c.by-dataset-index.parquet");
        let label = partition_label(&[label_component("level 1", "a%2Fb")], "abc");
        assert_eq!(label, "level%201=a%2Fb/abc");
        assert_eq!(
            data_file_key("u", "table", &label, PARQUET_SUFFIX),
            "u/table/level%201=a%2Fb/abc.parquet"
        );
    }

    #[test]
    fn decoding_skips_components_without_exactly_one_equals() {
        let (uuid, table, decoded) = decode_data_key("u/t/a=1/junk/b=x=y/c=%C3%B6/f.parquet")
            .unwrap()
            .unwrap();
        assert_eq!((uuid.as_str(), table.as_str()), ("u", "t"));
        assert_eq!(
            decoded.pairs,
            vec![("a".into(), "1".into()), ("c".into(), "%C3%B6".into())]
        );
        assert_eq!(decoded.file, "f.parquet");
        assert_eq!(decode_data_key("u/f.parquet").unwrap(), None);
    }

    #[test]
    fn uuids() {
        assert!(validate_uuid("abc-DEF_1+2").is_ok());
        assert!(matches!(validate_uuid("a.b"), Err(Error::InvalidUuid(_))));
        assert!(validate_uuid("").is_err());
        let u = gen_uuid();
        assert_eq!(u.len(), 32);
        assert!(u
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert!(
            is_dataset_key("u", "u/x")
                && is_dataset_key("u", "u.by")
                && !is_dataset_key("u", "u_x/y")
        );
        assert_eq!(normalize_quoted_value("%7e%2f"), "~%2F");
    }
}
