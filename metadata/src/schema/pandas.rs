//! Pandas metadata: the pandas side of a column type ([`PandasType`], [`pandas_type_of`]),
//! pandas metadata documents and their column entries, and parsing, sorting and printing
//! pandas JSON.

use arrow::datatypes::{DataType, TimeUnit};
use plateau_core::Result;
use serde_json::{json, Map as JsonMap, Value as Json};

/// The schema-metadata key under which pandas metadata (a JSON document) is stored.
pub const PANDAS_METADATA_KEY: &str = "pandas";

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
    pub(super) fn new(pandas_type: &str, numpy_type: &str) -> Self {
        Self {
            pandas_type: pandas_type.to_owned(),
            numpy_type: numpy_type.to_owned(),
            metadata: None,
        }
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

/// Whether `name` is pyarrow's name for an unnamed index level (`__index_level_0__`, ...).
pub fn is_index_level_name(name: &str) -> bool {
    name.strip_prefix("__index_level_")
        .and_then(|rest| rest.strip_suffix("__"))
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// The pandas metadata document for `columns`, in the shape pyarrow writes for a pandas 3
/// frame with a default (empty) RangeIndex.
pub(super) fn pandas_metadata_document(columns: Vec<Json>) -> JsonMap<String, Json> {
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
pub(super) fn column_entry(name: &str, pandas: &PandasType) -> Json {
    json!({
        "field_name": name,
        "metadata": pandas.metadata.clone().unwrap_or(Json::Null),
        "name": name,
        "numpy_type": pandas.numpy_type,
        "pandas_type": pandas.pandas_type,
    })
}

pub(super) fn pandas_type_from_entry(entry: &JsonMap<String, Json>) -> Option<PandasType> {
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

/// The entries of `columns` of a pandas metadata document that are JSON objects.
pub(super) fn pandas_columns(
    pandas: &JsonMap<String, Json>,
) -> impl Iterator<Item = &JsonMap<String, Json>> {
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
pub(super) fn sort_keys_map(map: &JsonMap<String, Json>) -> JsonMap<String, Json> {
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
pub(super) fn pandas_json_text(pandas: &JsonMap<String, Json>) -> Result<String> {
    let mut out = String::new();
    crate::simplejson::write_simplejson(&Json::Object(pandas.clone()), &mut out)?;
    Ok(out)
}
