//! Type rules: which literal values fit which column types, and their conversion to the
//! column's representation.

use arrow::datatypes::{DataType, TimeUnit};
use plateau_core::{Error, Result, Scalar};

use super::EvalOptions;

/// Nanoseconds in a day, for dates compared with timestamps (midnight UTC).
const NANOS_PER_DAY: i128 = 86_400_000_000_000;

/// A literal value checked against a column type, in the form the kernels compare with.
///
/// Values keep their full precision here (`i128` integers, instants in nanoseconds, decimals
/// at their own scale): whether a value is representable in the column's type is decided by
/// the kernels, which then adjust the comparison instead of rounding the value.
#[derive(Clone, Debug)]
pub(crate) enum Coerced {
    /// A null value (`Scalar::Null` or NaN): only the null rules apply.
    Null,
    /// A non-null value against an arrow `null` column: it never equals a row.
    Any,
    /// An integer against an integer column.
    Int(i128),
    /// A float against a float column.
    Float(f64),
    /// A decimal (or integer, scale 0) against a decimal column.
    Decimal {
        /// The unscaled value.
        value: i128,
        /// Its scale.
        scale: i8,
    },
    /// A boolean against a boolean column.
    Bool(bool),
    /// A string against a string column (always valid UTF-8).
    Text(String),
    /// Bytes against a binary column.
    Bytes(Vec<u8>),
    /// Days since the epoch against a date column.
    Days(i32),
    /// An instant, nanoseconds since the epoch (UTC), against a timestamp column.
    Nanos(i128),
}

/// The type a column's values have: dictionary columns compare by their value type.
pub(crate) fn value_type(data_type: &DataType) -> &DataType {
    match data_type {
        DataType::Dictionary(_, values) => value_type(values),
        other => other,
    }
}

/// Whether the evaluator handles columns of this (value) type.
pub(crate) fn is_supported(data_type: &DataType) -> bool {
    use DataType::*;
    matches!(
        value_type(data_type),
        Null | Boolean
            | Int8
            | Int16
            | Int32
            | Int64
            | UInt8
            | UInt16
            | UInt32
            | UInt64
            | Float16
            | Float32
            | Float64
            | Decimal128(_, _)
            | Decimal256(_, _)
            | Utf8
            | LargeUtf8
            | Utf8View
            | Binary
            | LargeBinary
            | BinaryView
            | FixedSizeBinary(_)
            | Date32
            | Date64
            | Timestamp(_, _)
    )
}

/// The error for a column type the evaluator does not handle (nested, time of day, ...).
pub(crate) fn unsupported(column: &str, data_type: &DataType) -> Error {
    Error::unsupported(format!(
        "predicates on column `{column}` of type {data_type} are not supported"
    ))
}

/// Checks `value` against the column type and converts it for the kernels.
pub(crate) fn coerce(
    column: &str,
    column_type: &DataType,
    value: &Scalar,
    options: &EvalOptions,
) -> Result<Coerced> {
    if !is_supported(column_type) {
        return Err(unsupported(column, column_type));
    }
    if value.is_null() {
        // Null values fit every column: plateau compares them by the null rules only.
        return Ok(Coerced::Null);
    }
    let mismatch = |detail: Option<&str>| {
        let kind = value.kind();
        Error::PredicateType {
            column: column.to_owned(),
            column_type: column_type.to_string(),
            value: value.to_string(),
            value_type: match detail {
                Some(detail) => format!("{kind} ({detail})"),
                None => kind.to_owned(),
            },
        }
    };
    use DataType as T;
    Ok(match (value_type(column_type), value) {
        (T::Null, _) => Coerced::Any,
        (
            T::Int8 | T::Int16 | T::Int32 | T::Int64 | T::UInt8 | T::UInt16 | T::UInt32 | T::UInt64,
            Scalar::Int(v),
        ) => Coerced::Int((*v).into()),
        (
            T::Int8 | T::Int16 | T::Int32 | T::Int64 | T::UInt8 | T::UInt16 | T::UInt32 | T::UInt64,
            Scalar::UInt(v),
        ) => Coerced::Int((*v).into()),
        (T::Float16 | T::Float32 | T::Float64, Scalar::Float(v)) => Coerced::Float(*v),
        (T::Decimal128(_, _) | T::Decimal256(_, _), Scalar::Decimal { value, scale, .. }) => {
            Coerced::Decimal {
                value: *value,
                scale: *scale,
            }
        }
        (T::Decimal128(_, _) | T::Decimal256(_, _), Scalar::Int(v)) => Coerced::Decimal {
            value: (*v).into(),
            scale: 0,
        },
        (T::Decimal128(_, _) | T::Decimal256(_, _), Scalar::UInt(v)) => Coerced::Decimal {
            value: (*v).into(),
            scale: 0,
        },
        (T::Boolean, Scalar::Bool(v)) => Coerced::Bool(*v),
        (T::Utf8 | T::LargeUtf8 | T::Utf8View, Scalar::String(v)) => Coerced::Text(v.clone()),
        (T::Utf8 | T::LargeUtf8 | T::Utf8View, Scalar::Binary(v)) => {
            // plateau decodes bytes for string columns; bytes that are not UTF-8 can never
            // equal a string, so they are a type error rather than a silent non-match.
            Coerced::Text(
                String::from_utf8(v.clone()).map_err(|_| mismatch(Some("not valid UTF-8")))?,
            )
        }
        (T::Binary | T::LargeBinary | T::BinaryView | T::FixedSizeBinary(_), Scalar::Binary(v)) => {
            Coerced::Bytes(v.clone())
        }
        (T::Binary | T::LargeBinary | T::BinaryView | T::FixedSizeBinary(_), Scalar::String(v)) => {
            Coerced::Bytes(v.as_bytes().to_vec())
        }
        (T::Date32 | T::Date64, Scalar::Date(days)) => Coerced::Days(*days),
        (T::Date32 | T::Date64, Scalar::String(text)) => Coerced::Days(
            plateau_core::temporal::parse_date(text)
                .map_err(|_| mismatch(Some("not a YYYY-MM-DD date")))?,
        ),
        (T::Timestamp(_, _), Scalar::Timestamp { value, unit, .. }) => {
            Coerced::Nanos(Scalar::timestamp_nanos(*value, *unit))
        }
        (T::Timestamp(_, _), Scalar::String(text)) => Coerced::Nanos(
            plateau_core::temporal::parse_timestamp(text)
                .map_err(|_| mismatch(Some("not a timestamp")))?
                .nanos
                .into(),
        ),
        (T::Timestamp(_, _), Scalar::Date(days)) if !options.strict_date_types => {
            Coerced::Nanos(i128::from(*days) * NANOS_PER_DAY)
        }
        _ => return Err(mismatch(None)),
    })
}

/// The value of `coerced` as a [`Scalar`] of the variant `column_type`'s values have, keeping
/// `original` where the column's representation cannot hold it exactly.
pub(crate) fn to_scalar(column_type: &DataType, coerced: Coerced, original: &Scalar) -> Scalar {
    use DataType as T;
    match (value_type(column_type), coerced) {
        (_, Coerced::Null) => Scalar::Null,
        (T::Int8 | T::Int16 | T::Int32 | T::Int64, Coerced::Int(v)) => i64::try_from(v)
            .map(Scalar::Int)
            .or_else(|_| u64::try_from(v).map(Scalar::UInt))
            .unwrap_or_else(|_| original.clone()),
        (T::UInt8 | T::UInt16 | T::UInt32 | T::UInt64, Coerced::Int(v)) => u64::try_from(v)
            .map(Scalar::UInt)
            .or_else(|_| i64::try_from(v).map(Scalar::Int))
            .unwrap_or_else(|_| original.clone()),
        (T::Float16 | T::Float32 | T::Float64, Coerced::Float(v)) => Scalar::Float(v),
        (
            T::Decimal128(precision, scale) | T::Decimal256(precision, scale),
            Coerced::Decimal { value, scale: from },
        ) => match super::bound::rescale_i128(value, from, *scale) {
            super::bound::Bound::Exact(v) => Scalar::Decimal {
                value: v,
                precision: *precision,
                scale: *scale,
            },
            _ => Scalar::Decimal {
                value,
                precision: decimal_digits(value),
                scale: from,
            },
        },
        (T::Boolean, Coerced::Bool(v)) => Scalar::Bool(v),
        (_, Coerced::Text(v)) => Scalar::String(v),
        (_, Coerced::Bytes(v)) => Scalar::Binary(v),
        (_, Coerced::Days(v)) => Scalar::Date(v),
        (T::Timestamp(unit, tz), Coerced::Nanos(nanos)) => {
            // The column's unit when the instant is exactly representable in it, else the
            // finest unit that holds it: comparisons by instant stay exact either way.
            let units = [
                *unit,
                TimeUnit::Nanosecond,
                TimeUnit::Microsecond,
                TimeUnit::Millisecond,
                TimeUnit::Second,
            ];
            units
                .into_iter()
                .find_map(|unit| {
                    let factor = Scalar::timestamp_nanos(1, unit);
                    if nanos % factor != 0 {
                        return None;
                    }
                    let value = i64::try_from(nanos / factor).ok()?;
                    Some(Scalar::Timestamp {
                        value,
                        unit,
                        tz: tz.clone(),
                    })
                })
                .unwrap_or_else(|| original.clone())
        }
        _ => original.clone(),
    }
}

/// The number of decimal digits of an unscaled value (at least 1), capped at 38.
fn decimal_digits(value: i128) -> u8 {
    let digits = value.unsigned_abs().checked_ilog10().map_or(1, |d| d + 1);
    u8::try_from(digits.min(38)).unwrap_or(38)
}
