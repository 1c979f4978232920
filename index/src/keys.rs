//! Key arrays: ordering, conversion from scalars and normalization of float keys.
//!
//! Keys are compared with Arrow's `make_comparator` and sorted with `sort_to_indices`, which
//! agree on every supported type (floats by `total_cmp`, strings and bytes bytewise), so a
//! binary search over keys sorted by one finds what the other compares equal.

use std::cmp::Ordering;
use std::sync::Arc;

use arrow::array::{
    make_comparator, Array, ArrayRef, ArrowPrimitiveType, AsArray, BinaryBuilder, BooleanArray,
    DynComparator, LargeStringBuilder, PrimitiveArray,
};
use arrow::compute::SortOptions;
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Float64Type, Int64Type, TimeUnit,
    TimestampNanosecondType, UInt64Type,
};
use plateau_core::{Error, Result, Scalar};

/// A comparator of `left[i]` with `right[j]` in the keys' sort order.
pub(crate) fn comparator(left: &dyn Array, right: &dyn Array) -> Result<DynComparator> {
    Ok(make_comparator(left, right, SortOptions::default())?)
}

/// Whether `keys` is strictly ascending (sorted and distinct).
pub(crate) fn is_strictly_ascending(keys: &dyn Array) -> Result<bool> {
    // Typed fast paths for the common key types; the comparator is a dynamic call per pair.
    fn typed<T: ArrowPrimitiveType>(keys: &dyn Array) -> bool
    where
        T::Native: PartialOrd,
    {
        keys.as_primitive::<T>()
            .values()
            .windows(2)
            .all(|w| w[0] < w[1])
    }
    Ok(match keys.data_type() {
        DataType::Int64 => typed::<Int64Type>(keys),
        DataType::UInt64 => typed::<UInt64Type>(keys),
        DataType::Date32 => typed::<Date32Type>(keys),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => typed::<TimestampNanosecondType>(keys),
        _ => {
            let cmp = comparator(keys, keys)?;
            (1..keys.len()).all(|i| cmp(i - 1, i) == Ordering::Less)
        }
    })
}

/// The position of `probe[0]` in the strictly ascending `keys`, if present.
pub(crate) fn binary_search(keys: &dyn Array, probe: &dyn Array) -> Result<Option<usize>> {
    if probe.is_empty() || keys.is_empty() {
        return Ok(None);
    }
    let cmp = comparator(keys, probe)?;
    let (mut low, mut high) = (0usize, keys.len());
    while low < high {
        let mid = low + (high - low) / 2;
        match cmp(mid, 0) {
            Ordering::Less => low = mid + 1,
            Ordering::Greater => high = mid,
            Ordering::Equal => return Ok(Some(mid)),
        }
    }
    Ok(None)
}

/// Replaces `-0.0` by `0.0` in float keys, so that equal values are one key (pandas treats
/// them as one dict key; `total_cmp` would keep them apart).
pub(crate) fn canonical_floats(keys: ArrayRef) -> ArrayRef {
    let Some(floats) = keys.as_primitive_opt::<Float64Type>() else {
        return keys;
    };
    if !floats
        .values()
        .iter()
        .any(|v| *v == 0.0 && v.is_sign_negative())
    {
        return keys;
    }
    let fixed: PrimitiveArray<Float64Type> = floats.unary(|v| if v == 0.0 { 0.0 } else { v });
    Arc::new(fixed)
}

/// Non-null scalars as an array of the normalized index type `data_type`.
///
/// Values are expected to be normalized already (`partition_value::normalize_value`); the
/// exact variants convert directly, anything else goes through Arrow's checked cast.
pub(crate) fn scalars_to_array(values: &[Scalar], data_type: &DataType) -> Result<ArrayRef> {
    if let Some(null) = values.iter().find(|v| v.is_null()) {
        return Err(Error::invalid_input(format!(
            "index values must not be null, got {null}"
        )));
    }
    Ok(match data_type {
        DataType::Int64 => primitive::<Int64Type>(values, data_type, |v| match v {
            Scalar::Int(v) => Some(*v),
            Scalar::UInt(v) => i64::try_from(*v).ok(),
            _ => None,
        })?,
        DataType::UInt64 => primitive::<UInt64Type>(values, data_type, |v| match v {
            Scalar::UInt(v) => Some(*v),
            Scalar::Int(v) => u64::try_from(*v).ok(),
            _ => None,
        })?,
        DataType::Float64 => primitive::<Float64Type>(values, data_type, |v| match v {
            Scalar::Float(v) => Some(*v),
            _ => None,
        })?,
        DataType::Date32 => primitive::<Date32Type>(values, data_type, |v| match v {
            Scalar::Date(v) => Some(*v),
            _ => None,
        })?,
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            // A timestamp scalar is an instant whatever its zone; casting a naive array to a
            // zoned type would reinterpret it as local time, so convert the instant directly.
            primitive::<TimestampNanosecondType>(values, data_type, |v| match v {
                Scalar::Timestamp { value, unit, .. } => {
                    i64::try_from(Scalar::timestamp_nanos(*value, *unit)).ok()
                }
                _ => None,
            })?
        }
        DataType::Decimal128(_, scale) => {
            primitive::<Decimal128Type>(values, data_type, |v| match v {
                Scalar::Decimal {
                    value, scale: s, ..
                } if s == scale => Some(*value),
                _ => None,
            })?
        }
        DataType::Boolean => {
            let bools = values
                .iter()
                .map(|v| match v {
                    Scalar::Bool(b) => Ok(Some(*b)),
                    other => Ok(Some(cast_one(other, data_type)?.as_boolean().value(0))),
                })
                .collect::<Result<BooleanArray>>()?;
            Arc::new(bools)
        }
        DataType::LargeUtf8 => {
            let mut builder = LargeStringBuilder::with_capacity(values.len(), 0);
            for v in values {
                match v {
                    Scalar::String(s) => builder.append_value(s),
                    Scalar::Binary(b) => builder
                        .append_value(std::str::from_utf8(b).map_err(|_| {
                            Error::invalid_input(format!("{v} is not valid UTF-8"))
                        })?),
                    other => builder
                        .append_value(cast_one(other, data_type)?.as_string::<i64>().value(0)),
                }
            }
            Arc::new(builder.finish())
        }
        DataType::Binary => {
            let mut builder = BinaryBuilder::with_capacity(values.len(), 0);
            for v in values {
                match v {
                    Scalar::Binary(b) => builder.append_value(b),
                    Scalar::String(s) => builder.append_value(s.as_bytes()),
                    other => builder
                        .append_value(cast_one(other, data_type)?.as_binary::<i32>().value(0)),
                }
            }
            Arc::new(builder.finish())
        }
        other => {
            return Err(Error::unsupported(format!(
                "index values of type {other} are not supported"
            )))
        }
    })
}

/// A primitive array from scalars: `direct` converts the expected variants, the rest is cast.
fn primitive<T: ArrowPrimitiveType>(
    values: &[Scalar],
    data_type: &DataType,
    direct: impl Fn(&Scalar) -> Option<T::Native>,
) -> Result<ArrayRef> {
    let natives = values
        .iter()
        .map(|v| match direct(v) {
            Some(native) => Ok(native),
            None => Ok(cast_one(v, data_type)?.as_primitive::<T>().value(0)),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Arc::new(
        PrimitiveArray::<T>::from_iter_values(natives).with_data_type(data_type.clone()),
    ))
}

/// One value as a one-element array of `data_type`, via Arrow's checked cast.
fn cast_one(value: &Scalar, data_type: &DataType) -> Result<ArrayRef> {
    value.to_array_of(data_type, 1).map_err(|_| {
        Error::invalid_input(format!(
            "value {value} of kind {} cannot be an index value of type {data_type}",
            value.kind()
        ))
    })
}

/// Casts `array` to `data_type`, failing instead of producing nulls for values that do not
/// fit (a timestamp beyond the nanosecond range, an integer beyond `i64`).
pub(crate) fn cast_checked(array: &dyn Array, data_type: &DataType) -> Result<ArrayRef> {
    let cast = arrow::compute::cast(array, data_type)?;
    if cast.null_count() != array.null_count() {
        return Err(Error::invalid_input(format!(
            "values of type {} do not fit the index type {data_type}",
            array.data_type()
        )));
    }
    Ok(cast)
}
