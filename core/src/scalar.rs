//! [`Scalar`]: one typed value, as used by predicates, partition values and index keys.
//!
//! A scalar is deliberately close to a Python value in plateau: an integer is an integer
//! whatever its width, a float is a float64, a string is UTF-8. The Arrow type of the column a
//! scalar is compared with decides how it is interpreted (see `plateau-serialization`'s
//! evaluator); [`Scalar::data_type`] is only its natural type.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use arrow::array::{
    new_null_array, Array, ArrayRef, AsArray, BinaryArray, BooleanArray, Date32Array,
    Decimal128Array, Float64Array, Int64Array, StringArray, UInt64Array,
};
use arrow::compute::cast;
use arrow::datatypes::{
    DataType, Date32Type, Date64Type, Decimal128Type, Float16Type, Float32Type, Float64Type,
    Int16Type, Int32Type, Int64Type, Int8Type, TimeUnit, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};

use crate::error::{Error, Result};

/// Milliseconds in a day, for `date64` values.
const MS_PER_DAY: i64 = 86_400_000;

/// A typed value.
///
/// Equality is by value: NaN equals NaN, timestamps are equal when they denote the same instant
/// in the same zone (whatever their unit), decimals when their numeric values are equal.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub enum Scalar {
    /// The missing value (`None` / `NaN` in plateau's predicates).
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer of any width.
    Int(i64),
    /// An unsigned integer that does not fit `i64` or comes from an unsigned column.
    UInt(u64),
    /// A floating point number of any width.
    Float(f64),
    /// A UTF-8 string.
    String(String),
    /// Raw bytes.
    Binary(Vec<u8>),
    /// A calendar date, as days since 1970-01-01.
    Date(i32),
    /// A point in time: `value` units since the epoch (UTC), with an optional time zone.
    Timestamp {
        /// Units since 1970-01-01T00:00:00 UTC.
        value: i64,
        /// The unit of `value`.
        unit: TimeUnit,
        /// The time zone (`"Europe/Berlin"`, `"+01:00"`, `"UTC"`), `None` for naive timestamps.
        tz: Option<Arc<str>>,
    },
    /// A fixed-point decimal: `value * 10^-scale`.
    Decimal {
        /// The unscaled value.
        value: i128,
        /// Total number of digits.
        precision: u8,
        /// Digits after the decimal point.
        scale: i8,
    },
}

impl Scalar {
    /// Whether this is [`Scalar::Null`] or a float NaN (plateau treats both as missing).
    pub fn is_null(&self) -> bool {
        match self {
            Scalar::Null => true,
            Scalar::Float(f) => f.is_nan(),
            _ => false,
        }
    }

    /// A short name of the value's kind for error messages (`"int"`, `"string"`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Scalar::Null => "null",
            Scalar::Bool(_) => "bool",
            Scalar::Int(_) => "int",
            Scalar::UInt(_) => "uint",
            Scalar::Float(_) => "float",
            Scalar::String(_) => "string",
            Scalar::Binary(_) => "binary",
            Scalar::Date(_) => "date",
            Scalar::Timestamp { .. } => "timestamp",
            Scalar::Decimal { .. } => "decimal",
        }
    }

    /// The natural Arrow type of the value.
    pub fn data_type(&self) -> DataType {
        match self {
            Scalar::Null => DataType::Null,
            Scalar::Bool(_) => DataType::Boolean,
            Scalar::Int(_) => DataType::Int64,
            Scalar::UInt(_) => DataType::UInt64,
            Scalar::Float(_) => DataType::Float64,
            Scalar::String(_) => DataType::Utf8,
            Scalar::Binary(_) => DataType::Binary,
            Scalar::Date(_) => DataType::Date32,
            Scalar::Timestamp { unit, tz, .. } => DataType::Timestamp(*unit, tz.clone()),
            Scalar::Decimal {
                precision, scale, ..
            } => DataType::Decimal128(*precision, *scale),
        }
    }

    /// A one-element array of the value in its natural type ([`Scalar::data_type`]).
    pub fn to_array(&self) -> ArrayRef {
        match self {
            Scalar::Null => new_null_array(&DataType::Null, 1),
            Scalar::Bool(v) => Arc::new(BooleanArray::from(vec![*v])),
            Scalar::Int(v) => Arc::new(Int64Array::from(vec![*v])),
            Scalar::UInt(v) => Arc::new(UInt64Array::from(vec![*v])),
            Scalar::Float(v) => Arc::new(Float64Array::from(vec![*v])),
            Scalar::String(v) => Arc::new(StringArray::from(vec![v.as_str()])),
            Scalar::Binary(v) => Arc::new(BinaryArray::from(vec![v.as_slice()])),
            Scalar::Date(v) => Arc::new(Date32Array::from(vec![*v])),
            Scalar::Timestamp { value, unit, tz } => {
                let array: ArrayRef = match unit {
                    TimeUnit::Second => Arc::new(
                        arrow::array::TimestampSecondArray::from(vec![*value])
                            .with_timezone_opt(tz.clone()),
                    ),
                    TimeUnit::Millisecond => Arc::new(
                        arrow::array::TimestampMillisecondArray::from(vec![*value])
                            .with_timezone_opt(tz.clone()),
                    ),
                    TimeUnit::Microsecond => Arc::new(
                        arrow::array::TimestampMicrosecondArray::from(vec![*value])
                            .with_timezone_opt(tz.clone()),
                    ),
                    TimeUnit::Nanosecond => Arc::new(
                        arrow::array::TimestampNanosecondArray::from(vec![*value])
                            .with_timezone_opt(tz.clone()),
                    ),
                };
                array
            }
            Scalar::Decimal {
                value,
                precision,
                scale,
            } => Arc::new(
                Decimal128Array::from(vec![*value])
                    .with_precision_and_scale(*precision, *scale)
                    .unwrap_or_else(|_| Decimal128Array::from(vec![*value])),
            ),
        }
    }

    /// `len` copies of the value as an array of `data_type` (used for partition columns).
    ///
    /// The value is cast with Arrow's safe cast; a value that does not fit the type is an
    /// [`Error::InvalidInput`] rather than a silent null.
    pub fn to_array_of(&self, data_type: &DataType, len: usize) -> Result<ArrayRef> {
        if self.is_null() {
            return Ok(new_null_array(data_type, len));
        }
        let one = self.to_array();
        let typed = if one.data_type() == data_type {
            one
        } else {
            let casted = cast(&one, data_type)?;
            if casted.null_count() > 0 {
                return Err(Error::invalid_input(format!(
                    "value {self} cannot be represented as {data_type}"
                )));
            }
            casted
        };
        let indices = arrow::array::UInt32Array::from(vec![0u32; len]);
        Ok(arrow::compute::take(&typed, &indices, None)?)
    }

    /// The value at `index` of `array`; a null slot gives [`Scalar::Null`].
    ///
    /// Dictionary arrays give their value; integer widths collapse to [`Scalar::Int`] /
    /// [`Scalar::UInt`], float widths to [`Scalar::Float`], `date64` to [`Scalar::Date`],
    /// large and view string and binary types to [`Scalar::String`] / [`Scalar::Binary`].
    pub fn try_from_array(array: &dyn Array, index: usize) -> Result<Scalar> {
        if index >= array.len() {
            return Err(Error::invalid_input(format!(
                "index {index} out of bounds for array of length {}",
                array.len()
            )));
        }
        if array.is_null(index) {
            return Ok(Scalar::Null);
        }
        Ok(match array.data_type() {
            DataType::Null => Scalar::Null,
            DataType::Boolean => Scalar::Bool(array.as_boolean().value(index)),
            DataType::Int8 => Scalar::Int(array.as_primitive::<Int8Type>().value(index).into()),
            DataType::Int16 => Scalar::Int(array.as_primitive::<Int16Type>().value(index).into()),
            DataType::Int32 => Scalar::Int(array.as_primitive::<Int32Type>().value(index).into()),
            DataType::Int64 => Scalar::Int(array.as_primitive::<Int64Type>().value(index)),
            DataType::UInt8 => Scalar::UInt(array.as_primitive::<UInt8Type>().value(index).into()),
            DataType::UInt16 => {
                Scalar::UInt(array.as_primitive::<UInt16Type>().value(index).into())
            }
            DataType::UInt32 => {
                Scalar::UInt(array.as_primitive::<UInt32Type>().value(index).into())
            }
            DataType::UInt64 => Scalar::UInt(array.as_primitive::<UInt64Type>().value(index)),
            DataType::Float16 => {
                Scalar::Float(array.as_primitive::<Float16Type>().value(index).to_f64())
            }
            DataType::Float32 => {
                Scalar::Float(array.as_primitive::<Float32Type>().value(index).into())
            }
            DataType::Float64 => Scalar::Float(array.as_primitive::<Float64Type>().value(index)),
            DataType::Utf8 => Scalar::String(array.as_string::<i32>().value(index).to_owned()),
            DataType::LargeUtf8 => Scalar::String(array.as_string::<i64>().value(index).to_owned()),
            DataType::Utf8View => Scalar::String(array.as_string_view().value(index).to_owned()),
            DataType::Binary => Scalar::Binary(array.as_binary::<i32>().value(index).to_vec()),
            DataType::LargeBinary => Scalar::Binary(array.as_binary::<i64>().value(index).to_vec()),
            DataType::BinaryView => Scalar::Binary(array.as_binary_view().value(index).to_vec()),
            DataType::FixedSizeBinary(_) => {
                Scalar::Binary(array.as_fixed_size_binary().value(index).to_vec())
            }
            DataType::Date32 => Scalar::Date(array.as_primitive::<Date32Type>().value(index)),
            DataType::Date64 => {
                let ms = array.as_primitive::<Date64Type>().value(index);
                let days = ms.div_euclid(MS_PER_DAY);
                Scalar::Date(
                    i32::try_from(days).map_err(|_| {
                        Error::invalid_input(format!("date64 value {ms} out of range"))
                    })?,
                )
            }
            DataType::Timestamp(unit, tz) => {
                let value = match unit {
                    TimeUnit::Second => array.as_primitive::<TimestampSecondType>().value(index),
                    TimeUnit::Millisecond => array
                        .as_primitive::<TimestampMillisecondType>()
                        .value(index),
                    TimeUnit::Microsecond => array
                        .as_primitive::<TimestampMicrosecondType>()
                        .value(index),
                    TimeUnit::Nanosecond => {
                        array.as_primitive::<TimestampNanosecondType>().value(index)
                    }
                };
                Scalar::Timestamp {
                    value,
                    unit: *unit,
                    tz: tz.clone(),
                }
            }
            DataType::Decimal128(precision, scale) => Scalar::Decimal {
                value: array.as_primitive::<Decimal128Type>().value(index),
                precision: *precision,
                scale: *scale,
            },
            DataType::Dictionary(_, _) => {
                let dict = array.as_any_dictionary();
                let key = dict.normalized_keys()[index];
                Scalar::try_from_array(dict.values().as_ref(), key)?
            }
            other => {
                return Err(Error::unsupported(format!(
                    "values of type {other} cannot be used as scalars"
                )))
            }
        })
    }

    /// A timestamp as nanoseconds since the epoch (UTC), widened so no unit overflows.
    pub fn timestamp_nanos(value: i64, unit: TimeUnit) -> i128 {
        let factor: i128 = match unit {
            TimeUnit::Second => 1_000_000_000,
            TimeUnit::Millisecond => 1_000_000,
            TimeUnit::Microsecond => 1_000,
            TimeUnit::Nanosecond => 1,
        };
        i128::from(value) * factor
    }

    /// Compares two values of compatible kinds: numbers with numbers (any signedness and
    /// float), strings with strings, bytes with bytes, dates with dates and timestamps by
    /// instant. Returns `None` for incomparable kinds and for nulls or NaN.
    pub fn partial_cmp_value(&self, other: &Scalar) -> Option<Ordering> {
        use Scalar::*;
        match (self, other) {
            (Bool(a), Bool(b)) => Some(a.cmp(b)),
            (Int(a), Int(b)) => Some(a.cmp(b)),
            (UInt(a), UInt(b)) => Some(a.cmp(b)),
            (Int(a), UInt(b)) => Some(i128::from(*a).cmp(&i128::from(*b))),
            (UInt(a), Int(b)) => Some(i128::from(*a).cmp(&i128::from(*b))),
            (Float(a), Float(b)) => a.partial_cmp(b),
            (Float(a), Int(b)) => a.partial_cmp(&(*b as f64)),
            (Float(a), UInt(b)) => a.partial_cmp(&(*b as f64)),
            (Int(a), Float(b)) => (*a as f64).partial_cmp(b),
            (UInt(a), Float(b)) => (*a as f64).partial_cmp(b),
            (String(a), String(b)) => Some(a.cmp(b)),
            (Binary(a), Binary(b)) => Some(a.cmp(b)),
            (Date(a), Date(b)) => Some(a.cmp(b)),
            (
                Timestamp {
                    value: a, unit: ua, ..
                },
                Timestamp {
                    value: b, unit: ub, ..
                },
            ) => Some(Self::timestamp_nanos(*a, *ua).cmp(&Self::timestamp_nanos(*b, *ub))),
            (
                Decimal {
                    value: a,
                    scale: sa,
                    ..
                },
                Decimal {
                    value: b,
                    scale: sb,
                    ..
                },
            ) => {
                // Bring both to the larger scale; saturate rather than overflow.
                let scale = (*sa).max(*sb);
                let up = |v: i128, s: i8| {
                    v.saturating_mul(10i128.saturating_pow(u32::from((scale - s).unsigned_abs())))
                };
                Some(up(*a, *sa).cmp(&up(*b, *sb)))
            }
            _ => None,
        }
    }
}

impl PartialEq for Scalar {
    fn eq(&self, other: &Self) -> bool {
        use Scalar::*;
        match (self, other) {
            (Null, Null) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (UInt(a), UInt(b)) => a == b,
            (Float(a), Float(b)) => a == b || (a.is_nan() && b.is_nan()),
            (String(a), String(b)) => a == b,
            (Binary(a), Binary(b)) => a == b,
            (Date(a), Date(b)) => a == b,
            (Timestamp { tz: ta, .. }, Timestamp { tz: tb, .. }) => {
                ta == tb && self.partial_cmp_value(other) == Some(Ordering::Equal)
            }
            (Decimal { .. }, Decimal { .. }) => {
                self.partial_cmp_value(other) == Some(Ordering::Equal)
            }
            _ => false,
        }
    }
}

impl From<bool> for Scalar {
    fn from(v: bool) -> Self {
        Scalar::Bool(v)
    }
}
impl From<i64> for Scalar {
    fn from(v: i64) -> Self {
        Scalar::Int(v)
    }
}
impl From<i32> for Scalar {
    fn from(v: i32) -> Self {
        Scalar::Int(v.into())
    }
}
impl From<u64> for Scalar {
    fn from(v: u64) -> Self {
        Scalar::UInt(v)
    }
}
impl From<f64> for Scalar {
    fn from(v: f64) -> Self {
        Scalar::Float(v)
    }
}
impl From<&str> for Scalar {
    fn from(v: &str) -> Self {
        Scalar::String(v.to_owned())
    }
}
impl From<String> for Scalar {
    fn from(v: String) -> Self {
        Scalar::String(v)
    }
}
impl From<Vec<u8>> for Scalar {
    fn from(v: Vec<u8>) -> Self {
        Scalar::Binary(v)
    }
}
impl From<&[u8]> for Scalar {
    fn from(v: &[u8]) -> Self {
        Scalar::Binary(v.to_vec())
    }
}
impl<T: Into<Scalar>> From<Option<T>> for Scalar {
    fn from(v: Option<T>) -> Self {
        v.map_or(Scalar::Null, Into::into)
    }
}

/// Formats the value as a literal of the predicate text syntax, so that
/// `Predicates::parse(&p.to_string()) == p`.
impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Null => f.write_str("null"),
            Scalar::Bool(v) => f.write_str(if *v { "true" } else { "false" }),
            Scalar::Int(v) => write!(f, "{v}"),
            Scalar::UInt(v) => write!(f, "{v}u"),
            Scalar::Float(v) => {
                if v.is_nan() {
                    f.write_str("nan")
                } else if v.is_infinite() {
                    f.write_str(if *v > 0.0 { "inf" } else { "-inf" })
                } else {
                    // `{:?}` is the shortest round-trip form and always carries a `.` or `e`.
                    write!(f, "{v:?}")
                }
            }
            Scalar::String(v) => write_quoted(f, v),
            Scalar::Binary(v) => {
                f.write_str("x'")?;
                for b in v {
                    write!(f, "{b:02x}")?;
                }
                f.write_str("'")
            }
            Scalar::Date(days) => match crate::temporal::date_to_string(*days) {
                Some(s) => write!(f, "date '{s}'"),
                None => write!(f, "date {days}"),
            },
            Scalar::Timestamp { value, unit, tz } => {
                match crate::temporal::timestamp_to_iso(*value, *unit, tz.as_deref()) {
                    Some(s) => {
                        f.write_str("timestamp ")?;
                        write_quoted(f, &s)
                    }
                    None => write!(f, "timestamp {value}"),
                }
            }
            Scalar::Decimal { value, scale, .. } => {
                f.write_str("decimal '")?;
                f.write_str(&crate::temporal::decimal_to_string(*value, *scale))?;
                f.write_str("'")
            }
        }
    }
}

fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("'")?;
    f.write_str(&s.replace('\'', "''"))?;
    f.write_str("'")
}
