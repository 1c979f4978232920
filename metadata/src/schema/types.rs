//! Type rules: field and type equality, pyarrow type names, plateau's type normalisation and
//! the Arrow types pyarrow builds from pandas, timestamp units and nullability. "The module
//! documentation" in the comments below is that of the parent module, [`super`].

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, FieldRef, Fields, Schema, TimeUnit};
use plateau_core::{Error, Result};

use super::pandas::{pandas_type_of, PandasType};

/// Name of list elements in the schemas we build and write (pyarrow ≥ 13 writes this name;
/// older files say `item`, which compares equal).
pub const LIST_ELEMENT_NAME: &str = "element";

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
///
/// [`make_meta`]: super::make::make_meta
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

/// Maps a Rust type to the Arrow type pyarrow builds from the equivalent pandas column, so the
/// stored schema is one a Python writer reproduces. `nested` is true inside lists and structs,
/// where pyarrow builds `string` for Python `str` values.
pub(super) fn pandas_equivalent_type(data_type: &DataType, nested: bool) -> Result<DataType> {
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
pub(super) fn with_ns_timestamps(field: &Field) -> Field {
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

/// `data_type` with every nested field nullable (pyarrow builds nullable fields from pandas).
pub(super) fn all_nullable(data_type: &DataType) -> DataType {
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

/// The pandas entry of an already normalised (stored) type: `Utf8` there means the pandas
/// `string` dtype, `LargeUtf8` ordinary text.
pub(super) fn stored_pandas_type(data_type: &DataType) -> PandasType {
    match data_type {
        DataType::Utf8 => PandasType::new("unicode", "string"),
        other => normalize_type(other, &pandas_type_of(other)).1,
    }
}
