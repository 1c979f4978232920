//! The [`SchemaWrapper`] type: an Arrow schema with pandas metadata and its origins.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;

use arrow::datatypes::{DataType, FieldRef, Schema, SchemaRef};
use plateau_core::{Error, Result};
use serde_json::{Map as JsonMap, Value as Json};

use super::pandas::{
    pandas_columns, pandas_json_text, parse_pandas_metadata, sort_keys_map, PANDAS_METADATA_KEY,
};
use super::types::{pyarrow_type_name, schemas_equal, with_ns_timestamps};

/// An Arrow schema with pandas metadata and the origins it was built from.
///
/// Invariants established by every constructor:
/// * timestamps (also inside lists and structs) are `Timestamp(Nanosecond, tz)`;
/// * with pandas metadata, the schema metadata holds exactly the key [`PANDAS_METADATA_KEY`]
///   with the metadata serialised like plateau (sorted keys, simplejson style), fields named as
///   pandas index columns are removed, and `string` fields described as `unicode`/`object`
///   (legacy) or `object`/`str` are `LargeUtf8` (plateau's `_schema_compat`).
///
/// Equality ([`PartialEq`]) compares fields only: names, order, types and nullability, ignoring
/// all schema and field metadata and the names of list elements (`item` vs `element`).
#[derive(Debug, Clone)]
pub struct SchemaWrapper {
    pub(super) schema: SchemaRef,
    pub(super) origin: BTreeSet<String>,
    pandas: Option<Arc<JsonMap<String, Json>>>,
}

impl SchemaWrapper {
    /// Wraps `schema`, applying plateau's compatibility fixes (see the type's invariants).
    ///
    /// Fails with [`Error::InvalidInput`] when the pandas metadata is not a JSON object and with
    /// [`Error::Unsupported`] when it names more than one index column (a MultiIndex).
    pub fn new(schema: impl Into<SchemaRef>, origin: impl Into<String>) -> Result<Self> {
        let schema: SchemaRef = schema.into();
        let pandas = match schema.metadata().get(PANDAS_METADATA_KEY) {
            Some(text) => Some(parse_pandas_metadata(text).map_err(Error::invalid_input)?),
            None => None,
        };
        Self::from_parts(&schema, pandas, BTreeSet::from([origin.into()]))
    }

    /// Builds a wrapper from a schema and already parsed pandas metadata (which replaces any
    /// `pandas` entry of the schema's metadata).
    pub(crate) fn from_parts(
        schema: &Schema,
        pandas: Option<JsonMap<String, Json>>,
        origin: BTreeSet<String>,
    ) -> Result<Self> {
        let mut fields: Vec<FieldRef> = schema
            .fields()
            .iter()
            .map(|f| Arc::new(with_ns_timestamps(f)))
            .collect();
        let Some(mut pandas) = pandas else {
            let schema = Schema::new_with_metadata(fields, schema.metadata().clone());
            return Ok(Self {
                schema: Arc::new(schema),
                origin,
                pandas: None,
            });
        };

        // plateau's `_schema_compat` (ARROW-5104): index columns are stored as fields but are
        // not part of the table.
        let index_columns = pandas
            .get("index_columns")
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        if index_columns.len() > 1 {
            return Err(Error::unsupported(
                "Treatment of MultiIndex not implemented.",
            ));
        }
        for column in &index_columns {
            // A RangeIndex is a dict (`kind: range`) and has no field; a named or default
            // index level is a string naming its field.
            if let Some(name) = column.as_str() {
                fields.retain(|f| f.name() != name);
            }
        }

        if let Some(columns) = pandas.get_mut("columns").and_then(Json::as_array_mut) {
            for entry in columns.iter_mut().filter_map(Json::as_object_mut) {
                if entry.get("name").is_none_or(Json::is_null) {
                    continue;
                }
                let Some(field_name) = entry.get("field_name").and_then(Json::as_str) else {
                    continue;
                };
                let Some(position) = fields.iter().position(|f| f.name() == field_name) else {
                    continue;
                };
                if fields[position].data_type() != &DataType::Utf8 {
                    continue;
                }
                let pandas_type = entry.get("pandas_type").and_then(Json::as_str);
                let numpy_type = entry.get("numpy_type").and_then(Json::as_str);
                // `unicode`/`object` is what older pyarrow wrote for object strings; plateau
                // upgrades it. `object`/`str` already *is* the normalised large_string and is
                // only seen as `string` when a file lacks `ARROW:schema` (we read it correctly
                // instead of failing the next validation).
                let legacy = pandas_type == Some("unicode") && numpy_type == Some("object");
                let normalised = pandas_type == Some("object") && numpy_type == Some("str");
                if legacy || normalised {
                    let field = fields[position].as_ref().clone();
                    fields[position] = Arc::new(field.with_data_type(DataType::LargeUtf8));
                    entry.insert("pandas_type".into(), Json::from("object"));
                    entry.insert("numpy_type".into(), Json::from("str"));
                    entry.insert("metadata".into(), Json::Null);
                }
            }
        }

        let pandas = sort_keys_map(&pandas);
        let metadata =
            HashMap::from([(PANDAS_METADATA_KEY.to_owned(), pandas_json_text(&pandas)?)]);
        Ok(Self {
            schema: Arc::new(Schema::new_with_metadata(fields, metadata)),
            origin,
            pandas: Some(Arc::new(pandas)),
        })
    }

    /// The Arrow schema (its metadata holds the pandas metadata, if any).
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Where this schema came from: partition labels, `_common_metadata` keys, ...
    pub fn origin(&self) -> &BTreeSet<String> {
        &self.origin
    }

    /// The same schema with `origin` as its origins.
    pub fn with_origin(&self, origin: BTreeSet<String>) -> Self {
        // Not `..self.clone()`: that clones the old origins too, and a write plan's schema
        // holds every label of the input, so a per-file call made writing N partitions
        // quadratic (69% of a 5,000-partition write's CPU).
        Self {
            schema: Arc::clone(&self.schema),
            origin,
            pandas: self.pandas.clone(),
        }
    }

    /// The parsed pandas metadata, or `None` for a schema that was not written by pandas.
    pub fn pandas_metadata(&self) -> Option<&JsonMap<String, Json>> {
        self.pandas.as_deref()
    }

    /// Whether the schema carries pandas metadata.
    pub fn has_pandas_metadata(&self) -> bool {
        self.pandas.is_some()
    }

    /// The pandas `columns` entry describing field `field_name`, if any.
    pub fn pandas_column(&self, field_name: &str) -> Option<&JsonMap<String, Json>> {
        pandas_columns(self.pandas.as_deref()?)
            .find(|entry| entry.get("field_name").and_then(Json::as_str) == Some(field_name))
    }

    /// The field named `name`.
    pub fn field(&self, name: &str) -> Option<&FieldRef> {
        self.schema.fields().iter().find(|f| f.name() == name)
    }

    /// The field names in order.
    pub fn names(&self) -> Vec<&str> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect()
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.schema.fields().len()
    }

    /// Whether the schema has no fields.
    pub fn is_empty(&self) -> bool {
        self.schema.fields().is_empty()
    }

    /// Replaces `pandas` metadata and fields, keeping origins (invariants are the caller's).
    pub(super) fn rebuilt(
        &self,
        fields: Vec<FieldRef>,
        pandas: Option<JsonMap<String, Json>>,
    ) -> Result<Self> {
        let (metadata, pandas) = match pandas {
            Some(pandas) => {
                let pandas = sort_keys_map(&pandas);
                let text = pandas_json_text(&pandas)?;
                let metadata = HashMap::from([(PANDAS_METADATA_KEY.to_owned(), text)]);
                (metadata, Some(Arc::new(pandas)))
            }
            None => (self.schema.metadata().clone(), None),
        };
        Ok(Self {
            schema: Arc::new(Schema::new_with_metadata(fields, metadata)),
            origin: self.origin.clone(),
            pandas,
        })
    }
}

impl PartialEq for SchemaWrapper {
    fn eq(&self, other: &Self) -> bool {
        schemas_equal(&self.schema, &other.schema)
    }
}

/// Shows the fields like pyarrow does (`name: type`, one per line).
impl fmt::Display for SchemaWrapper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, field) in self.schema.fields().iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(
                f,
                "{}: {}",
                field.name(),
                pyarrow_type_name(field.data_type())
            )?;
            if !field.is_nullable() {
                write!(f, " not null")?;
            }
        }
        Ok(())
    }
}
