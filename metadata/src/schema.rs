//! Table schemas the way plateau sees them: type normalisation, column order, compatibility
//! between the schemas of many partitions, and empty typed batches.
//!
//! This mirrors `plateau.core.common_metadata` (reference §3). A [`SchemaWrapper`] is an Arrow
//! schema whose metadata holds pandas metadata under the key [`PANDAS_METADATA_KEY`], plus the
//! set of places it came from (its *origins*, used in error messages).
//!
//! # Rules for Rust batches
//!
//! Plateau normalises a schema from a pandas frame, where each column carries a pandas dtype. A
//! Rust [`RecordBatch`] has no dtypes, so [`make_meta`] asks what pyarrow would write for *the
//! pandas frame a Python user would build for the same data* (pandas 3, its default `str` dtype
//! for text) and then applies plateau's [`normalize_type`]:
//!
//! | Arrow type of the batch | stored type | `pandas_type` / `numpy_type` |
//! |---|---|---|
//! | `Int8`..`Int64` | `Int64` | `int64` / `int64` |
//! | `UInt8`..`UInt64` | `UInt64` | `uint64` / `uint64` |
//! | `Float16`..`Float64` | `Float64` | `float64` / `float64` |
//! | `Utf8`, `LargeUtf8`, `Utf8View`, `Dictionary<_, string>` | `LargeUtf8` | `object` / `str` |
//! | `Binary`, `LargeBinary`, `BinaryView`, `FixedSizeBinary`, `Dictionary<_, binary>` | `Binary` | `bytes` / `object` |
//! | `Dictionary<_, V>` (other `V`) | the rule of `V` | the rule of `V` |
//! | `Boolean` | `Boolean` | `bool` / `bool` |
//! | `Date32`, `Date64` | `Date32` | `date` / `object` |
//! | `Timestamp(unit, tz)` | `Timestamp(ns, tz)` in memory, µs on disk | `datetime` or `datetimetz` / `datetime64[unit]` |
//! | `Decimal*(p, s)` | unchanged | `decimal` / `object`, metadata `{precision, scale}` |
//! | `List`, `LargeList`, `FixedSizeList`, `ListView`s of `T` | `List<element: T'>` | `list[...]` / `object` |
//! | `Time32`/`Time64`, `Duration`, `Struct`, `Map`, `Null` | unchanged | `time`, `object`, `empty`, ... |
//!
//! Inside lists and structs, strings become `Utf8` and binaries `Binary`, because a pandas
//! column of Python lists of `str` converts to `list<string>` (plateau does not widen nested
//! strings). Every field becomes nullable, as all pyarrow fields from pandas are.
//!
//! A batch whose schema carries pandas metadata of its own (for example one read from a file
//! plateau wrote) is normalised with *those* dtypes, exactly as plateau would. That is the way to
//! ask for the pandas `string` dtype (pd.NA strings, stored as `Utf8` with `unicode`/`string`):
//! give the column an entry with `numpy_type: "string"`.
//!
//! # Divergences from plateau (all deliberate)
//!
//! * **Timestamps are nanoseconds in memory, for every zone.** Plateau coerces naive
//!   timestamps to ns before validating and reads naive `us` back as `ns`, but leaves tz-aware
//!   columns in their unit, so `timestamp[us, UTC]` (stored) and `timestamp[ns, UTC]` (new data)
//!   do not validate (reference §8 item 3, pyref §8 item 12). Every [`SchemaWrapper`] here holds
//!   `Timestamp(Nanosecond, tz)` whatever the unit of the data, so timestamp units never
//!   conflict; the time zone must still match exactly. On disk the unit is µs, as plateau
//!   writes it (see [`crate::common_metadata`]).
//! * **Deterministic reference.** Plateau picks the reference schema from a hash set; here the
//!   first schema (in input order) with the fewest null columns wins, and the result carries the
//!   origins of every input, duplicates included.
//! * **An extra all-null column is an error.** Plateau means to reject it but strips it from
//!   the new schema only, so it passes and the column disappears from `_common_metadata`
//!   (verified with 4.6.2: `[x]` vs `[x, n: null]` validates to `[x]`). We report it as a
//!   column missing in the reference.
//! * **Filling null columns also fills their pandas entry.** When a reference's null field is
//!   replaced by a concrete one, plateau keeps the `empty` pandas entry; we take the entry that
//!   belongs to the concrete field.
//! * **Pandas and non-pandas schemas are comparable** on their fields. Plateau raises "Pandas and
//!   non-Pandas schemas are not comparable"; we compare fields, and when the reference lacks
//!   pandas metadata but another input has it, the result gets pandas metadata built from the
//!   others' column entries, so Python can still update the dataset afterwards.
//! * **`Dictionary<_, binary>`** is stored with pandas type `bytes`/`object`; plateau writes the
//!   leftover `categorical`/`int8` entry for a binary categorical. Field types are identical.
//! * **Date64 becomes Date32** and large/view/fixed-size variants become their plain Arrow
//!   type, because that is what the equivalent pandas column converts to; plateau leaves such
//!   types alone, but a pandas frame never produces them.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Field, FieldRef, Fields, Metadata, Schema, SchemaRef, TimeUnit};
use plateau_core::{Error, Result};
use serde_json::{json, Map as JsonMap, Value as Json};

/// The schema-metadata key under which pandas metadata (a JSON document) is stored.
pub const PANDAS_METADATA_KEY: &str = "pandas";

/// Name of list elements in the schemas we build and write (pyarrow ≥ 13 writes this name;
/// older files say `item`, which compares equal).
pub const LIST_ELEMENT_NAME: &str = "element";

/// The pandas version whose conventions our pandas metadata follows: pandas 3 writes
/// `numpy_type: "str"` for ordinary text columns and in `column_indexes`. Neither pyarrow nor
/// plateau interprets this value (plateau even overwrites it before comparing).
pub const PANDAS_VERSION: &str = "3.1.1";

/// The pandas side of a column type: what pyarrow writes into a `columns` entry of the pandas
/// metadata next to the Arrow type.
#[derive(Debug, Clone, PartialEq)]
pub struct PandasType {
    /// pandas' logical type, e.g. `int64`, `object`, `unicode`, `datetimetz`, `list[int64]`.
    pub pandas_type: String,
    /// The physical (numpy or extension) dtype, e.g. `int64`, `str`, `string`, `object`.
    pub numpy_type: String,
    /// Type parameters: `{"timezone": ...}`, `{"precision": p, "scale": s}`, or `None`.
    pub metadata: Option<Json>,
}

impl PandasType {
    fn new(pandas_type: &str, numpy_type: &str) -> Self {
        Self {
            pandas_type: pandas_type.to_owned(),
            numpy_type: numpy_type.to_owned(),
            metadata: None,
        }
    }
}

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
    schema: SchemaRef,
    origin: BTreeSet<String>,
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
        let metadata = Metadata::new().with(PANDAS_METADATA_KEY, pandas_json_text(&pandas)?);
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
        Self {
            origin,
            ..self.clone()
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
    fn rebuilt(
        &self,
        fields: Vec<FieldRef>,
        pandas: Option<JsonMap<String, Json>>,
    ) -> Result<Self> {
        let (metadata, pandas) = match pandas {
            Some(pandas) => {
                let pandas = sort_keys_map(&pandas);
                let text = pandas_json_text(&pandas)?;
                let metadata = Metadata::new().with(PANDAS_METADATA_KEY, text);
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

/// Whether two schemas have the same fields: names, order, types and nullability, ignoring all
/// metadata and the names of list elements.
pub fn schemas_equal(a: &Schema, b: &Schema) -> bool {
    a.fields().len() == b.fields().len()
        && a.fields()
            .iter()
            .zip(b.fields().iter())
            .all(|(x, y)| fields_equal(x, y))
}

/// Field equality as plateau (pyarrow `equals(check_metadata=False)`) sees it.
pub fn fields_equal(a: &Field, b: &Field) -> bool {
    a.name() == b.name()
        && a.is_nullable() == b.is_nullable()
        && types_equal(a.data_type(), b.data_type())
}

/// Type equality ignoring field metadata everywhere and the names of list elements.
pub fn types_equal(a: &DataType, b: &DataType) -> bool {
    // Children of list-like types: the element name is not part of the type (pyarrow ≥ 14 and
    // plateau agree), nullability and type are.
    fn element_equal(x: &Field, y: &Field) -> bool {
        x.is_nullable() == y.is_nullable() && types_equal(x.data_type(), y.data_type())
    }
    match (a, b) {
        (DataType::List(x), DataType::List(y))
        | (DataType::LargeList(x), DataType::LargeList(y))
        | (DataType::ListView(x), DataType::ListView(y))
        | (DataType::LargeListView(x), DataType::LargeListView(y)) => element_equal(x, y),
        (DataType::FixedSizeList(x, n), DataType::FixedSizeList(y, m)) => {
            n == m && element_equal(x, y)
        }
        (DataType::Map(x, sx), DataType::Map(y, sy)) => sx == sy && element_equal(x, y),
        (DataType::Struct(x), DataType::Struct(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| fields_equal(p, q))
        }
        (DataType::Dictionary(kx, vx), DataType::Dictionary(ky, vy)) => {
            kx == ky && types_equal(vx, vy)
        }
        _ => a == b,
    }
}

/// A type name in pyarrow's spelling (`int64`, `large_string`, `timestamp[ns, tz=UTC]`,
/// `list<element: int64>`), so messages read like plateau's.
pub fn pyarrow_type_name(data_type: &DataType) -> String {
    fn unit(u: &TimeUnit) -> &'static str {
        match u {
            TimeUnit::Second => "s",
            TimeUnit::Millisecond => "ms",
            TimeUnit::Microsecond => "us",
            TimeUnit::Nanosecond => "ns",
        }
    }
    fn child(f: &Field) -> String {
        let null = if f.is_nullable() { "" } else { " not null" };
        format!("{}: {}{null}", f.name(), pyarrow_type_name(f.data_type()))
    }
    match data_type {
        DataType::Null => "null".into(),
        DataType::Boolean => "bool".into(),
        DataType::Int8 => "int8".into(),
        DataType::Int16 => "int16".into(),
        DataType::Int32 => "int32".into(),
        DataType::Int64 => "int64".into(),
        DataType::UInt8 => "uint8".into(),
        DataType::UInt16 => "uint16".into(),
        DataType::UInt32 => "uint32".into(),
        DataType::UInt64 => "uint64".into(),
        DataType::Float16 => "halffloat".into(),
        DataType::Float32 => "float".into(),
        DataType::Float64 => "double".into(),
        DataType::Utf8 => "string".into(),
        DataType::LargeUtf8 => "large_string".into(),
        DataType::Utf8View => "string_view".into(),
        DataType::Binary => "binary".into(),
        DataType::LargeBinary => "large_binary".into(),
        DataType::BinaryView => "binary_view".into(),
        DataType::FixedSizeBinary(n) => format!("fixed_size_binary[{n}]"),
        DataType::Date32 => "date32[day]".into(),
        DataType::Date64 => "date64[ms]".into(),
        DataType::Time32(u) => format!("time32[{}]", unit(u)),
        DataType::Time64(u) => format!("time64[{}]", unit(u)),
        DataType::Timestamp(u, None) => format!("timestamp[{}]", unit(u)),
        DataType::Timestamp(u, Some(tz)) => format!("timestamp[{}, tz={tz}]", unit(u)),
        DataType::Duration(u) => format!("duration[{}]", unit(u)),
        DataType::Decimal32(p, s) => format!("decimal32({p}, {s})"),
        DataType::Decimal64(p, s) => format!("decimal64({p}, {s})"),
        DataType::Decimal128(p, s) => format!("decimal128({p}, {s})"),
        DataType::Decimal256(p, s) => format!("decimal256({p}, {s})"),
        DataType::List(f) => format!("list<{}>", child(f)),
        DataType::LargeList(f) => format!("large_list<{}>", child(f)),
        DataType::ListView(f) => format!("list_view<{}>", child(f)),
        DataType::LargeListView(f) => format!("large_list_view<{}>", child(f)),
        DataType::FixedSizeList(f, n) => format!("fixed_size_list<{}>[{n}]", child(f)),
        DataType::Struct(fields) => {
            let inner: Vec<String> = fields.iter().map(|f| child(f)).collect();
            format!("struct<{}>", inner.join(", "))
        }
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(kv) if kv.len() == 2 => format!(
                "map<{}, {}>",
                pyarrow_type_name(kv[0].data_type()),
                pyarrow_type_name(kv[1].data_type())
            ),
            other => format!("map<{}>", pyarrow_type_name(other)),
        },
        DataType::Dictionary(k, v) => format!(
            "dictionary<values={}, indices={}, ordered=0>",
            pyarrow_type_name(v),
            pyarrow_type_name(k)
        ),
        other => other.to_string(),
    }
}

/// Plateau's `normalize_type(t_pa, t_pd, t_np, metadata)`: the stored type of a column and its
/// pandas entry, given the Arrow type and the pandas entry pyarrow produced.
///
/// * signed ints → `Int64` (`int64`/`int64`), unsigned → `UInt64`, floats → `Float64`, all with
///   metadata `None`;
/// * `List<T>` → `List<norm(T)>` with pandas type `list[<norm pandas type of T>]`/`object`
///   (the element is normalised without a numpy type, so nested strings keep their type);
/// * `Dictionary<_, V>` → `norm(V)` with the column's pandas entry;
/// * `Utf8`/`LargeUtf8`: pandas type `categorical` or numpy type `str` → `LargeUtf8`
///   (`object`/`str`); numpy type `string` (pandas' pd.NA `StringDtype`) → `Utf8`
///   (`unicode`/`string`); otherwise unchanged;
/// * everything else unchanged.
///
/// This is plateau's rule verbatim; [`make_meta`] first maps Rust-only types (views, large and
/// fixed-size variants) to what pyarrow builds from pandas, see the module documentation.
pub fn normalize_type(data_type: &DataType, pandas: &PandasType) -> (DataType, PandasType) {
    match data_type {
        t if t.is_signed_integer() => (DataType::Int64, PandasType::new("int64", "int64")),
        t if t.is_unsigned_integer() => (DataType::UInt64, PandasType::new("uint64", "uint64")),
        t if t.is_floating() => (DataType::Float64, PandasType::new("float64", "float64")),
        DataType::List(element) => {
            let element_pandas = pandas
                .pandas_type
                .strip_prefix("list[")
                .and_then(|s| s.strip_suffix(']'))
                .unwrap_or("object");
            // plateau passes `t_np=None` for the element; "object" takes the same branches.
            let (element_type, element_pandas) = normalize_type(
                element.data_type(),
                &PandasType::new(element_pandas, "object"),
            );
            (
                DataType::List(Arc::new(Field::new(LIST_ELEMENT_NAME, element_type, true))),
                PandasType::new(&format!("list[{}]", element_pandas.pandas_type), "object"),
            )
        }
        DataType::Dictionary(_, value) => normalize_type(
            value,
            &PandasType {
                metadata: None,
                ..pandas.clone()
            },
        ),
        DataType::Utf8 | DataType::LargeUtf8 => {
            if pandas.pandas_type == "categorical" || pandas.numpy_type == "str" {
                (DataType::LargeUtf8, PandasType::new("object", "str"))
            } else if pandas.numpy_type == "string" {
                (DataType::Utf8, PandasType::new("unicode", "string"))
            } else {
                (data_type.clone(), pandas.clone())
            }
        }
        _ => (data_type.clone(), pandas.clone()),
    }
}

/// The pandas entry pyarrow writes for the pandas column equivalent to a Rust column of type
/// `data_type` (before normalisation). Text is the pandas 3 `str` dtype (`unicode`/`str`).
pub fn pandas_type_of(data_type: &DataType) -> PandasType {
    let numpy = match data_type {
        DataType::Boolean => "bool",
        DataType::Int8 => "int8",
        DataType::Int16 => "int16",
        DataType::Int32 => "int32",
        DataType::Int64 => "int64",
        DataType::UInt8 => "uint8",
        DataType::UInt16 => "uint16",
        DataType::UInt32 => "uint32",
        DataType::UInt64 => "uint64",
        DataType::Float16 => "float16",
        DataType::Float32 => "float32",
        DataType::Float64 => "float64",
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "str",
        DataType::Timestamp(unit, _) => {
            return PandasType {
                pandas_type: logical_pandas_type(data_type),
                numpy_type: format!("datetime64[{}]", unit_suffix(unit)),
                metadata: match data_type {
                    DataType::Timestamp(_, Some(tz)) => Some(json!({ "timezone": tz.as_ref() })),
                    _ => None,
                },
            }
        }
        DataType::Duration(unit) => {
            return PandasType {
                pandas_type: logical_pandas_type(data_type),
                numpy_type: format!("timedelta64[{}]", unit_suffix(unit)),
                metadata: None,
            }
        }
        DataType::Decimal32(p, s) | DataType::Decimal64(p, s) | DataType::Decimal128(p, s) => {
            return decimal_pandas_type(*p, *s)
        }
        DataType::Decimal256(p, s) => return decimal_pandas_type(*p, *s),
        // A string categorical keeps its `categorical` entry (normalised to `object`/`str`);
        // other categoricals are described by their values, see the module documentation.
        DataType::Dictionary(_, value)
            if !matches!(
                value.as_ref(),
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            ) =>
        {
            return pandas_type_of(value)
        }
        DataType::Dictionary(_, _) => "int8",
        _ => "object",
    };
    PandasType::new(&logical_pandas_type(data_type), numpy)
}

fn decimal_pandas_type(precision: u8, scale: i8) -> PandasType {
    PandasType {
        pandas_type: "decimal".into(),
        numpy_type: "object".into(),
        metadata: Some(json!({ "precision": precision, "scale": scale })),
    }
}

fn unit_suffix(unit: &TimeUnit) -> &'static str {
    match unit {
        TimeUnit::Second => "s",
        TimeUnit::Millisecond => "ms",
        TimeUnit::Microsecond => "us",
        TimeUnit::Nanosecond => "ns",
    }
}

/// pyarrow's `get_logical_type`: the `pandas_type` of an Arrow type.
fn logical_pandas_type(data_type: &DataType) -> String {
    match data_type {
        DataType::Null => "empty".into(),
        DataType::Boolean => "bool".into(),
        DataType::Int8 => "int8".into(),
        DataType::Int16 => "int16".into(),
        DataType::Int32 => "int32".into(),
        DataType::Int64 => "int64".into(),
        DataType::UInt8 => "uint8".into(),
        DataType::UInt16 => "uint16".into(),
        DataType::UInt32 => "uint32".into(),
        DataType::UInt64 => "uint64".into(),
        DataType::Float16 => "float16".into(),
        DataType::Float32 => "float32".into(),
        DataType::Float64 => "float64".into(),
        DataType::Date32 | DataType::Date64 => "date".into(),
        DataType::Time32(_) | DataType::Time64(_) => "time".into(),
        DataType::Timestamp(_, None) => "datetime".into(),
        DataType::Timestamp(_, Some(_)) => "datetimetz".into(),
        DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => "decimal".into(),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "unicode".into(),
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => "bytes".into(),
        DataType::List(f)
        | DataType::LargeList(f)
        | DataType::FixedSizeList(f, _)
        | DataType::ListView(f)
        | DataType::LargeListView(f) => format!("list[{}]", logical_pandas_type(f.data_type())),
        DataType::Dictionary(_, _) => "categorical".into(),
        _ => "object".into(),
    }
}

/// Maps a Rust type to the Arrow type pyarrow builds from the equivalent pandas column, so the
/// stored schema is one a Python writer reproduces. `nested` is true inside lists and structs,
/// where pyarrow builds `string` for Python `str` values.
fn pandas_equivalent_type(data_type: &DataType, nested: bool) -> Result<DataType> {
    let element = |f: &FieldRef| -> Result<FieldRef> {
        Ok(Arc::new(Field::new(
            LIST_ELEMENT_NAME,
            pandas_equivalent_type(f.data_type(), true)?,
            true,
        )))
    };
    Ok(match data_type {
        DataType::Utf8View => DataType::Utf8,
        DataType::LargeUtf8 if nested => DataType::Utf8,
        DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_) => {
            DataType::Binary
        }
        DataType::Date64 => DataType::Date32,
        DataType::List(f)
        | DataType::LargeList(f)
        | DataType::FixedSizeList(f, _)
        | DataType::ListView(f)
        | DataType::LargeListView(f) => DataType::List(element(f)?),
        DataType::Struct(fields) => DataType::Struct(
            fields
                .iter()
                .map(|f| {
                    Ok(Arc::new(Field::new(
                        f.name(),
                        pandas_equivalent_type(f.data_type(), true)?,
                        true,
                    )))
                })
                .collect::<Result<Fields>>()?,
        ),
        DataType::Map(entries, sorted) => {
            let entries = match entries.data_type() {
                DataType::Struct(kv) => Field::new(
                    entries.name(),
                    DataType::Struct(
                        kv.iter()
                            .map(|f| {
                                Ok(Arc::new(Field::new(
                                    f.name(),
                                    pandas_equivalent_type(f.data_type(), true)?,
                                    f.is_nullable(),
                                )))
                            })
                            .collect::<Result<Fields>>()?,
                    ),
                    false,
                ),
                _ => entries.as_ref().clone(),
            };
            DataType::Map(Arc::new(entries), *sorted)
        }
        // A categorical column is its values for plateau; the value rule applies.
        DataType::Dictionary(_, value) if nested => pandas_equivalent_type(value, true)?,
        DataType::Dictionary(key, value) => {
            DataType::Dictionary(key.clone(), Box::new(pandas_equivalent_type(value, false)?))
        }
        // The Parquet writer cannot store these (arrow-rs even panics on unions); reject them
        // before anything is written.
        DataType::Union(..) | DataType::RunEndEncoded(..) | DataType::Interval(_) => {
            return Err(Error::unsupported(format!(
                "columns of type {data_type} cannot be stored in a plateau dataset"
            )))
        }
        other => other.clone(),
    })
}

/// `field` with every timestamp (also nested) in nanoseconds: the in-memory unit of plateau
/// schemas (see the module documentation).
fn with_ns_timestamps(field: &Field) -> Field {
    let data_type = map_timestamps(field.data_type(), TimeUnit::Nanosecond);
    field.clone().with_data_type(data_type)
}

/// `data_type` with every timestamp's unit replaced by `unit` (zones kept).
pub(crate) fn map_timestamps(data_type: &DataType, unit: TimeUnit) -> DataType {
    let map_field = |f: &FieldRef| -> FieldRef {
        Arc::new(
            f.as_ref()
                .clone()
                .with_data_type(map_timestamps(f.data_type(), unit)),
        )
    };
    match data_type {
        DataType::Timestamp(_, tz) => DataType::Timestamp(unit, tz.clone()),
        DataType::List(f) => DataType::List(map_field(f)),
        DataType::LargeList(f) => DataType::LargeList(map_field(f)),
        DataType::ListView(f) => DataType::ListView(map_field(f)),
        DataType::LargeListView(f) => DataType::LargeListView(map_field(f)),
        DataType::FixedSizeList(f, n) => DataType::FixedSizeList(map_field(f), *n),
        DataType::Map(f, sorted) => DataType::Map(map_field(f), *sorted),
        DataType::Struct(fields) => DataType::Struct(fields.iter().map(map_field).collect()),
        DataType::Dictionary(k, v) => {
            DataType::Dictionary(k.clone(), Box::new(map_timestamps(v, unit)))
        }
        other => other.clone(),
    }
}

/// Whether `name` is pyarrow's name for an unnamed index level (`__index_level_0__`, ...).
pub fn is_index_level_name(name: &str) -> bool {
    name.strip_prefix("__index_level_")
        .and_then(|rest| rest.strip_suffix("__"))
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// Plateau's `make_meta` for a Rust schema: normalised types, pandas metadata, and the
/// normalised column order (partition keys first, in the given order, then the other columns
/// by name in code point order).
///
/// Index columns are dropped: fields named `__index_level_N__` and fields listed in
/// `index_columns` of the schema's own pandas metadata. The pandas metadata written is what
/// pyarrow writes for a pandas 3 frame (`attributes`, `column_indexes`, `columns`, `creator`,
/// an empty RangeIndex in `index_columns`, `pandas_version`); `creator` names this library,
/// which nothing reads.
///
/// Fails with [`Error::InvalidInput`] on duplicate column names (pyarrow refuses them too) and
/// [`Error::Unsupported`] on types a Parquet file cannot hold (unions, run-end encoded,
/// intervals).
pub fn make_meta(
    schema: &Schema,
    origin: &str,
    partition_keys: &[String],
) -> Result<SchemaWrapper> {
    // The batch's own pandas metadata, if it came from pandas: its dtypes decide the string
    // flavours exactly as in plateau. Unparseable metadata is advisory only and ignored.
    let own_pandas = schema
        .metadata()
        .get(PANDAS_METADATA_KEY)
        .and_then(|text| parse_pandas_metadata(text).ok());
    let own_index: HashSet<String> = own_pandas
        .as_ref()
        .and_then(|p| p.get("index_columns"))
        .and_then(Json::as_array)
        .map(|cols| {
            cols.iter()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();

    let mut seen = HashSet::new();
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut columns = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let name = field.name();
        if is_index_level_name(name) || own_index.contains(name.as_str()) {
            continue;
        }
        if !seen.insert(name.as_str()) {
            return Err(Error::invalid_input(format!(
                "Duplicate column names found: column `{name}` appears more than once in the schema of {origin}"
            )));
        }
        let own_entry = own_pandas
            .as_ref()
            .and_then(|p| pandas_columns(p).find(|e| e.get("field_name") == Some(&json!(name))))
            .and_then(pandas_type_from_entry);
        let arrow_type = pandas_equivalent_type(field.data_type(), false)?;
        // Derived from the pandas-equivalent type, so that e.g. a list of categoricals is
        // described as the list of strings pyarrow would see.
        let pandas = own_entry.unwrap_or_else(|| pandas_type_of(&arrow_type));
        let (data_type, pandas) = normalize_type(&arrow_type, &pandas);
        fields.push(Arc::new(Field::new(name, all_nullable(&data_type), true)));
        columns.push(column_entry(name, &pandas));
    }

    let pandas = pandas_metadata_document(columns);
    let wrapper = SchemaWrapper::from_parts(
        &Schema::new(fields),
        Some(pandas),
        BTreeSet::from([origin.to_owned()]),
    )?;
    normalize_column_order(&wrapper, partition_keys)
}

/// The pandas metadata document for `columns`, in the shape pyarrow writes for a pandas 3
/// frame with a default (empty) RangeIndex.
fn pandas_metadata_document(columns: Vec<Json>) -> JsonMap<String, Json> {
    let document = json!({
        "attributes": {},
        "column_indexes": [{
            "field_name": null,
            "metadata": {"encoding": "UTF-8"},
            "name": null,
            "numpy_type": "str",
            "pandas_type": "unicode",
        }],
        "columns": columns,
        "creator": {"library": "plateau-rs", "version": env!("CARGO_PKG_VERSION")},
        "index_columns": [{"kind": "range", "name": null, "start": 0, "step": 1, "stop": 0}],
        "pandas_version": PANDAS_VERSION,
    });
    match document {
        Json::Object(map) => map,
        // `json!` of an object literal is always an object.
        _ => JsonMap::new(),
    }
}

/// One `columns` entry of the pandas metadata.
fn column_entry(name: &str, pandas: &PandasType) -> Json {
    json!({
        "field_name": name,
        "metadata": pandas.metadata.clone().unwrap_or(Json::Null),
        "name": name,
        "numpy_type": pandas.numpy_type,
        "pandas_type": pandas.pandas_type,
    })
}

fn pandas_type_from_entry(entry: &JsonMap<String, Json>) -> Option<PandasType> {
    Some(PandasType {
        pandas_type: entry.get("pandas_type")?.as_str()?.to_owned(),
        numpy_type: entry
            .get("numpy_type")
            .and_then(Json::as_str)
            .unwrap_or("object")
            .to_owned(),
        metadata: entry.get("metadata").filter(|m| !m.is_null()).cloned(),
    })
}

/// `data_type` with every nested field nullable (pyarrow builds nullable fields from pandas).
fn all_nullable(data_type: &DataType) -> DataType {
    let nullable = |f: &FieldRef| -> FieldRef {
        Arc::new(
            f.as_ref()
                .clone()
                .with_data_type(all_nullable(f.data_type()))
                .with_nullable(true),
        )
    };
    match data_type {
        DataType::List(f) => DataType::List(nullable(f)),
        DataType::Struct(fields) => DataType::Struct(fields.iter().map(nullable).collect()),
        other => other.clone(),
    }
}

/// Plateau's `normalize_column_order`: partition keys first (in `partition_keys` order, those
/// present), then the named columns sorted by name (code point order), then unnamed pandas
/// entries (index levels). Both the fields and the pandas `columns` list are reordered; fields
/// the pandas metadata does not mention are dropped, as in plateau.
///
/// Without pandas metadata (where plateau fails) the fields themselves are ordered the same way.
pub fn normalize_column_order(
    schema: &SchemaWrapper,
    partition_keys: &[String],
) -> Result<SchemaWrapper> {
    let by_name: HashMap<&str, &FieldRef> = schema
        .schema
        .fields()
        .iter()
        .map(|f| (f.name().as_str(), f))
        .collect();
    let Some(pandas) = schema.pandas_metadata() else {
        let mut partition: Vec<FieldRef> = Vec::new();
        for key in partition_keys {
            if let Some(f) = by_name.get(key.as_str()) {
                partition.push(Arc::clone(f));
            }
        }
        let mut payload: Vec<FieldRef> = schema
            .schema
            .fields()
            .iter()
            .filter(|f| !partition_keys.contains(f.name()))
            .cloned()
            .collect();
        payload.sort_by(|a, b| a.name().cmp(b.name()));
        partition.extend(payload);
        return schema.rebuilt(partition, None);
    };

    let mut partition: BTreeMap<usize, (Json, Option<FieldRef>)> = BTreeMap::new();
    let mut payload: Vec<(String, Json, Option<FieldRef>)> = Vec::new();
    let mut misc: Vec<(Json, Option<FieldRef>)> = Vec::new();
    for entry in pandas_columns(pandas) {
        let field = entry
            .get("field_name")
            .and_then(Json::as_str)
            .and_then(|n| by_name.get(n))
            .map(|f| Arc::clone(f));
        let entry_json = Json::Object(entry.clone());
        match entry.get("name") {
            None | Some(Json::Null) => misc.push((entry_json, field)),
            Some(name) => {
                // pandas labels are strings in practice; other JSON values sort by their text.
                let name = name
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| name.to_string());
                match partition_keys.iter().position(|k| *k == name) {
                    Some(position) => {
                        partition.insert(position, (entry_json, field));
                    }
                    None => payload.push((name, entry_json, field)),
                }
            }
        }
    }
    payload.sort_by(|a, b| a.0.cmp(&b.0));

    let ordered: Vec<(Json, Option<FieldRef>)> = partition
        .into_values()
        .chain(payload.into_iter().map(|(_, e, f)| (e, f)))
        .chain(misc)
        .collect();
    let mut pandas = pandas.clone();
    pandas.insert(
        "columns".into(),
        Json::Array(ordered.iter().map(|(e, _)| e.clone()).collect()),
    );
    let fields = ordered.into_iter().filter_map(|(_, f)| f).collect();
    schema.rebuilt(fields, Some(pandas))
}

/// Plateau's `validate_compatible`: checks that all `schemas` describe the same table and
/// returns the reference schema, carrying the union of all origins (`None` for no input).
///
/// * Null-typed fields are wildcards: the reference is a schema with the fewest null fields,
///   and its null fields are filled from other schemas' concrete fields of the same name.
/// * Every other schema, with its null fields removed from both sides, must have the same
///   fields as the reference: names, order, types and nullability (metadata ignored). A null
///   column the reference does not have is an extra column and an error (plateau lets it
///   pass and drops it from the stored schema, against its own intent).
///
/// Timestamps are nanoseconds in every [`SchemaWrapper`], so timestamp units never conflict,
/// tz-aware ones included; zones must be equal. Mismatches fail with
/// [`Error::SchemaIncompatible`] whose message names the origins of both sides (sorted, joined,
/// cut at 200 characters like plateau), lists the differing fields and shows the reference.
pub fn validate_compatible(
    schemas: &[SchemaWrapper],
    dataset_uuid: &str,
) -> Result<Option<SchemaWrapper>> {
    let Some((first, rest)) = schemas.split_first() else {
        return Ok(None);
    };
    let null_columns = |s: &SchemaWrapper| -> BTreeSet<String> {
        s.schema
            .fields()
            .iter()
            .filter(|f| f.data_type() == &DataType::Null)
            .map(|f| f.name().clone())
            .collect()
    };

    // Choose the reference exactly as plateau's `_determine_schemas_to_compare`, but over the
    // input order instead of a hash set.
    let mut reference = first.clone();
    let mut reference_nulls = null_columns(first);
    let mut to_evaluate: Vec<(SchemaWrapper, BTreeSet<String>)> = Vec::new();
    for schema in rest {
        let mut current = schema.clone();
        let mut current_nulls = null_columns(schema);
        if reference_nulls.is_subset(&current_nulls) {
            to_evaluate.push((current, current_nulls));
        } else if current_nulls.is_subset(&reference_nulls) {
            let previous = std::mem::replace(&mut reference, current);
            let previous_nulls = std::mem::replace(&mut reference_nulls, current_nulls);
            to_evaluate.push((previous, previous_nulls));
        } else {
            if current_nulls.len() < reference_nulls.len() {
                std::mem::swap(&mut reference, &mut current);
                std::mem::swap(&mut reference_nulls, &mut current_nulls);
            }
            for column in reference_nulls
                .difference(&current_nulls)
                .cloned()
                .collect::<Vec<_>>()
            {
                // plateau raises a KeyError when `current` lacks the column; leaving it null
                // lets the comparison below report the missing column instead.
                if current.field(&column).is_some() {
                    reference = fill_field(&reference, &current, &column)?;
                    reference_nulls.remove(&column);
                }
            }
            to_evaluate.push((current, current_nulls));
        }
    }

    for (current, nulls) in &to_evaluate {
        // plateau means to refuse stripping when the reference lacks one of the null columns
        // ("most likely an indicator for incompatible schemas"), but strips `current` anyway,
        // so an extra all-null column passes and silently vanishes from the stored schema
        // (verified with 4.6.2). We refuse on both sides: the extra column is reported.
        let strippable = nulls.iter().all(|n| reference.field(n).is_some());
        let no_strip = BTreeSet::new();
        let nulls = if strippable { nulls } else { &no_strip };
        let reference_stripped = strip_columns(&reference.schema, nulls);
        let current_stripped = strip_columns(&current.schema, nulls);
        if !schemas_equal(&reference_stripped, &current_stripped) {
            return Err(Error::SchemaIncompatible {
                uuid: dataset_uuid.to_owned(),
                message: violation_message(
                    current,
                    &reference,
                    &current_stripped,
                    &reference_stripped,
                ),
            });
        }
    }

    // Origins are added after checking so an error names only the reference's own origins.
    let mut origin = reference.origin.clone();
    for (schema, _) in &to_evaluate {
        origin.extend(schema.origin.iter().cloned());
    }
    let mut result = reference.with_origin(origin);
    if !result.has_pandas_metadata() {
        if let Some(pandas) = borrowed_pandas_metadata(&result, schemas) {
            result = result.rebuilt(
                result.schema.fields().iter().cloned().collect(),
                Some(pandas),
            )?;
        }
    }
    Ok(Some(result))
}

/// `reference` with its (null) field `column` replaced by `source`'s, and the pandas entry
/// replaced too so it describes the concrete type.
fn fill_field(
    reference: &SchemaWrapper,
    source: &SchemaWrapper,
    column: &str,
) -> Result<SchemaWrapper> {
    let Some(new_field) = source.field(column) else {
        return Ok(reference.clone());
    };
    let fields = reference
        .schema
        .fields()
        .iter()
        .map(|f| {
            if f.name() == column {
                Arc::clone(new_field)
            } else {
                Arc::clone(f)
            }
        })
        .collect();
    let pandas = match (reference.pandas_metadata(), source.pandas_column(column)) {
        (Some(pandas), Some(source_entry)) => {
            let mut pandas = pandas.clone();
            if let Some(columns) = pandas.get_mut("columns").and_then(Json::as_array_mut) {
                for entry in columns.iter_mut() {
                    if entry.get("field_name").and_then(Json::as_str) == Some(column) {
                        *entry = Json::Object(source_entry.clone());
                    }
                }
            }
            Some(pandas)
        }
        (pandas, _) => pandas.cloned(),
    };
    reference.rebuilt(fields, pandas)
}

/// Pandas metadata for `result` (which has none) from the other inputs: their entries for the
/// same field names and types, and entries derived from the stored types otherwise. `None`
/// when no input has pandas metadata.
fn borrowed_pandas_metadata(
    result: &SchemaWrapper,
    schemas: &[SchemaWrapper],
) -> Option<JsonMap<String, Json>> {
    let with_pandas: Vec<&SchemaWrapper> =
        schemas.iter().filter(|s| s.has_pandas_metadata()).collect();
    if with_pandas.is_empty() {
        return None;
    }
    let columns = result
        .schema
        .fields()
        .iter()
        .map(|field| {
            with_pandas
                .iter()
                .find_map(|s| {
                    let same_type = s
                        .field(field.name())
                        .is_some_and(|f| types_equal(f.data_type(), field.data_type()));
                    if same_type {
                        s.pandas_column(field.name()).cloned().map(Json::Object)
                    } else {
                        None
                    }
                })
                .unwrap_or_else(|| {
                    column_entry(field.name(), &stored_pandas_type(field.data_type()))
                })
        })
        .collect();
    Some(pandas_metadata_document(columns))
}

/// The pandas entry of an already normalised (stored) type: `Utf8` there means the pandas
/// `string` dtype, `LargeUtf8` ordinary text.
fn stored_pandas_type(data_type: &DataType) -> PandasType {
    match data_type {
        DataType::Utf8 => PandasType::new("unicode", "string"),
        other => normalize_type(other, &pandas_type_of(other)).1,
    }
}

/// `schema` without the fields named in `names`.
fn strip_columns(schema: &Schema, names: &BTreeSet<String>) -> Schema {
    Schema::new(
        schema
            .fields()
            .iter()
            .filter(|f| !names.contains(f.name()))
            .cloned()
            .collect::<Vec<_>>(),
    )
}

/// Origins as plateau prints them: sorted, comma-joined, cut at 200 characters plus `...`
/// (dask truncates exception messages at 1000 characters).
pub fn format_origin(origin: &BTreeSet<String>) -> String {
    const MAX_LEN: usize = 200;
    const ELLIPSIS: &str = "...";
    let inner = origin
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let inner = if inner.chars().count() > MAX_LEN + ELLIPSIS.len() {
        let cut: String = inner.chars().take(MAX_LEN).collect();
        format!("{cut}{ELLIPSIS}")
    } else {
        inner
    };
    format!("{{{inner}}}")
}

fn violation_message(
    current: &SchemaWrapper,
    reference: &SchemaWrapper,
    current_stripped: &Schema,
    reference_stripped: &Schema,
) -> String {
    let diff = field_diff(current_stripped, reference_stripped).join("\n");
    format!(
        "Schema violation\n\nOrigin schema: {}\nOrigin reference: {}\n\nDiff:\n{diff}\n\nReference schema:\n{reference}",
        format_origin(&current.origin),
        format_origin(&reference.origin),
    )
}

/// One line per difference between the fields of `schema` and `reference`.
fn field_diff(schema: &Schema, reference: &Schema) -> Vec<String> {
    let describe = |f: &Field| {
        let null = if f.is_nullable() { "" } else { " not null" };
        format!("{}{null}", pyarrow_type_name(f.data_type()))
    };
    let find = |s: &Schema, name: &str| s.fields().iter().find(|f| f.name() == name).cloned();
    let mut lines = Vec::new();
    for r in reference.fields() {
        match find(schema, r.name()) {
            None => lines.push(format!(
                "  column `{}`: missing in schema, reference has {}",
                r.name(),
                describe(r)
            )),
            Some(s) if !fields_equal(&s, r) => lines.push(format!(
                "  column `{}`: schema has {}, reference has {}",
                r.name(),
                describe(&s),
                describe(r)
            )),
            Some(_) => {}
        }
    }
    for s in schema.fields() {
        if find(reference, s.name()).is_none() {
            lines.push(format!(
                "  column `{}`: schema has {}, missing in reference",
                s.name(),
                describe(s)
            ));
        }
    }
    if lines.is_empty() {
        let names = |s: &Schema| {
            s.fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        lines.push(format!(
            "  column order differs: schema has [{}], reference has [{}]",
            names(schema),
            names(reference)
        ));
    }
    lines
}

/// A batch with no rows and the fields of `schema` (or only `columns`, in that order), so
/// readers can return a typed empty result. Schema metadata is not carried over, since the
/// pandas metadata would not describe a projection.
///
/// Fails with [`Error::ColumnNotFound`] (names sorted) for columns the schema lacks.
pub fn empty_batch(schema: &Schema, columns: Option<&[String]>) -> Result<RecordBatch> {
    let fields: Vec<FieldRef> = match columns {
        None => schema.fields().iter().cloned().collect(),
        Some(columns) => {
            let mut missing = Vec::new();
            let mut fields = Vec::with_capacity(columns.len());
            for column in columns {
                match schema.fields().iter().find(|f| f.name() == column) {
                    Some(f) => fields.push(Arc::clone(f)),
                    None => missing.push(column.clone()),
                }
            }
            if !missing.is_empty() {
                missing.sort();
                missing.dedup();
                return Err(Error::ColumnNotFound { columns: missing });
            }
            fields
        }
    };
    Ok(RecordBatch::new_empty(Arc::new(Schema::new(fields))))
}

/// The entries of `columns` of a pandas metadata document that are JSON objects.
fn pandas_columns(pandas: &JsonMap<String, Json>) -> impl Iterator<Item = &JsonMap<String, Json>> {
    pandas
        .get("columns")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(Json::as_object)
}

/// Parses pandas metadata text; it must be a JSON object.
pub(crate) fn parse_pandas_metadata(
    text: &str,
) -> std::result::Result<JsonMap<String, Json>, String> {
    match serde_json::from_str::<Json>(text) {
        Ok(Json::Object(map)) => Ok(map),
        Ok(_) => Err("pandas metadata is not a JSON object".to_owned()),
        Err(e) => Err(format!("pandas metadata is not valid JSON: {e}")),
    }
}

/// A copy of `map` with the keys of every object (recursively) in sorted order: plateau
/// re-serialises pandas metadata with `sort_keys=True`.
fn sort_keys_map(map: &JsonMap<String, Json>) -> JsonMap<String, Json> {
    let mut entries: Vec<(&String, &Json)> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
        .into_iter()
        .map(|(k, v)| (k.clone(), sort_keys(v)))
        .collect()
}

fn sort_keys(value: &Json) -> Json {
    match value {
        Json::Object(map) => Json::Object(sort_keys_map(map)),
        Json::Array(items) => Json::Array(items.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

/// The pandas metadata as plateau stores it: `simplejson.dumps(sort_keys=True)`, i.e. default
/// separators `", "` and `": "` and ASCII escapes (the map must already be sorted).
fn pandas_json_text(pandas: &JsonMap<String, Json>) -> Result<String> {
    let mut out = String::new();
    crate::simplejson::write_simplejson(&Json::Object(pandas.clone()), &mut out)?;
    Ok(out)
}
