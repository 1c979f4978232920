//! `<uuid>/<table>/_common_metadata`: the table schema as a footer-only Parquet file
//! (reference §2.7).
//!
//! Plateau writes it with `pq.write_metadata(schema, version="2.4", coerce_timestamps="us")`:
//! `PAR1`, a `FileMetaData` with 0 row groups, its length, `PAR1`; the key-value metadata holds
//! `ARROW:schema` (the IPC schema) and `pandas` (the pandas metadata, sorted keys, simplejson
//! style). The schema is the normalised one of [`crate::schema`], partition columns first.
//!
//! Units of time: timestamps are stored as microseconds (naive `isAdjustedToUTC=false`,
//! tz-aware `true` with the zone in `ARROW:schema`), exactly like plateau. On read every
//! timestamp becomes nanoseconds, which is what plateau does for naive columns; plateau keeps
//! tz-aware columns in µs, which makes their units conflict with new data — we do not (see
//! [`crate::schema`]).
//!
//! ```
//! use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
//! use plateau_metadata::common_metadata::{read_common_metadata, write_common_metadata};
//! use plateau_metadata::schema::make_meta;
//!
//! let batch_schema = Schema::new(vec![
//!     Field::new("x", DataType::Int8, true),
//!     Field::new("t", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), true),
//!     Field::new("p", DataType::Utf8, true),
//! ]);
//! let schema = make_meta(&batch_schema, "p=a/uuid", &["p".to_owned()]).unwrap();
//! let bytes = write_common_metadata(&schema).unwrap();
//! let back = read_common_metadata(bytes, "uuid/table/_common_metadata").unwrap();
//! assert_eq!(back, schema);
//! assert_eq!(back.names(), ["p", "t", "x"]);
//! assert_eq!(back.field("x").unwrap().data_type(), &DataType::Int64);
//! ```

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, FieldRef, Schema, TimeUnit};
use bytes::Bytes;
use parquet::arrow::{parquet_to_arrow_schema, ArrowWriter, ARROW_SCHEMA_META_KEY};
use parquet::file::metadata::{KeyValue, ParquetMetaDataReader};
use parquet::file::properties::{WriterProperties, WriterVersion};
use plateau_core::{Error, Result};
use plateau_serialization::parquet::guard_decoder;

use crate::schema::{
    map_timestamps, parse_pandas_metadata, SchemaWrapper, LIST_ELEMENT_NAME, PANDAS_METADATA_KEY,
};

/// Reads a `_common_metadata` file (`key` names it in errors and becomes the schema's origin).
///
/// The Arrow schema comes from `ARROW:schema` (or, when that is missing or undecodable, from
/// the Parquet schema), then plateau's read fixes apply: every timestamp becomes `ns`; fields
/// named by string entries of the pandas `index_columns` are dropped; `string` fields whose
/// pandas entry says `unicode`/`object` (or `object`/`str`) become `LargeUtf8`. A file without
/// pandas metadata is still read ([`SchemaWrapper::has_pandas_metadata`] is then `false`).
///
/// Errors: [`Error::Corrupt`] when the bytes are not a Parquet footer or the pandas metadata
/// is not a JSON object; [`Error::Unsupported`] ("Treatment of MultiIndex not implemented.")
/// for more than one index column.
pub fn read_common_metadata(bytes: Bytes, key: &str) -> Result<SchemaWrapper> {
    let metadata = ParquetMetaDataReader::new()
        .parse_and_finish(&bytes)
        .map_err(|e| Error::corrupt(key, format!("not a Parquet footer: {e}")))?;
    let file = metadata.file_metadata();
    let key_value = file.key_value_metadata();
    // parquet 59 decodes `ARROW:schema` with arrow-ipc's panicking converter: a malformed
    // hint must be an error here, not the end of the reader's process.
    let hinted = guard_decoder(key, || {
        parquet_to_arrow_schema(file.schema_descr(), key_value)
            .map_err(|e| Error::corrupt(key, e.to_string()))
    });
    let schema = match hinted {
        Ok(schema) => schema,
        // A damaged `ARROW:schema` only loses type hints; the Parquet schema is authoritative.
        Err(_) => {
            let without_hint: Option<Vec<KeyValue>> = key_value.map(|kvs| {
                kvs.iter()
                    .filter(|kv| kv.key != ARROW_SCHEMA_META_KEY)
                    .cloned()
                    .collect()
            });
            parquet_to_arrow_schema(file.schema_descr(), without_hint.as_ref())
                .map_err(|e| Error::corrupt(key, format!("cannot convert the schema: {e}")))?
        }
    };
    let pandas = match schema.metadata().get(PANDAS_METADATA_KEY) {
        Some(text) => Some(parse_pandas_metadata(text).map_err(|e| Error::corrupt(key, e))?),
        None => None,
    };
    SchemaWrapper::from_parts(&schema, pandas, BTreeSet::from([key.to_owned()]))
}

/// Writes `schema` as plateau's `_common_metadata`: a footer-only Parquet file (format 2.x)
/// with timestamps as microseconds, list elements named `element`, `ARROW:schema`, and every
/// schema-metadata entry (`pandas`) as its own key-value pair.
///
/// Fails with [`Error::Unsupported`] for types Parquet cannot hold.
pub fn write_common_metadata(schema: &SchemaWrapper) -> Result<Bytes> {
    let fields: Vec<FieldRef> = schema
        .schema()
        .fields()
        .iter()
        .map(|f| storage_field(f).map(Arc::new))
        .collect::<Result<_>>()?;
    let storage_schema = Arc::new(Schema::new_with_metadata(
        fields,
        schema.schema().metadata().clone(),
    ));
    let properties = WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_2_0)
        .build();
    let mut writer = ArrowWriter::try_new(Vec::new(), storage_schema, Some(properties))
        .map_err(|e| Error::unsupported(format!("cannot write the schema as Parquet: {e}")))?;
    // pyarrow writes each schema-metadata entry as a key-value pair next to `ARROW:schema`;
    // plateau and pyarrow read `pandas` from there. Key order, so the bytes are stable.
    let entries: std::collections::BTreeMap<_, _> = schema.schema().metadata().iter().collect();
    for (key, value) in entries {
        writer.append_key_value_metadata(KeyValue::new(key.clone(), value.clone()));
    }
    Ok(Bytes::from(writer.into_inner()?))
}

/// The field as stored: timestamps in µs (plateau's `coerce_timestamps="us"`) and compliant
/// list element names (what pyarrow ≥ 13 writes).
fn storage_field(field: &Field) -> Result<Field> {
    let data_type = storage_type(&map_timestamps(field.data_type(), TimeUnit::Microsecond))?;
    Ok(field.clone().with_data_type(data_type))
}

fn storage_type(data_type: &DataType) -> Result<DataType> {
    let element = |f: &FieldRef| -> Result<FieldRef> {
        Ok(Arc::new(
            f.as_ref()
                .clone()
                .with_name(LIST_ELEMENT_NAME)
                .with_data_type(storage_type(f.data_type())?),
        ))
    };
    Ok(match data_type {
        DataType::List(f) => DataType::List(element(f)?),
        DataType::LargeList(f) => DataType::LargeList(element(f)?),
        DataType::FixedSizeList(f, n) => DataType::FixedSizeList(element(f)?, *n),
        DataType::Struct(fields) => DataType::Struct(
            fields
                .iter()
                .map(|f| storage_field(f).map(Arc::new))
                .collect::<Result<_>>()?,
        ),
        // arrow-rs panics on unions instead of returning an error.
        DataType::Union(..) => {
            return Err(Error::unsupported(format!(
                "columns of type {data_type} cannot be stored in Parquet"
            )))
        }
        other => other.clone(),
    })
}
