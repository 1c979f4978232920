//! Per-type comparison kernels: one literal against one (non-dictionary) array.
//!
//! Every function here returns the comparison for the non-null rows only ([`Raw`]); the
//! caller resolves null rows with plateau's null rules ([`finalize`]). Values that the
//! column's type cannot represent exactly (an `int8` column against 1000, a microsecond column
//! against a value with extra nanoseconds, a decimal with more digits than the column's scale)
//! are never rounded: the comparison is rewritten on the nearest representable value below it
//! ([`Bound`]).

use std::hash::Hash;

use arrow::array::{
    Array, ArrowPrimitiveType, AsArray, BinaryArray, BinaryViewArray, BooleanArray, Datum,
    LargeBinaryArray, LargeStringArray, PrimitiveArray, Scalar as ArrowScalar, StringArray,
    StringViewArray,
};
use arrow::buffer::{BooleanBuffer, NullBuffer};
use arrow::compute::kernels::cmp;
use arrow::datatypes::{
    DataType, Date32Type, Date64Type, Decimal128Type, Decimal256Type, Float16Type, Float32Type,
    Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, TimeUnit, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow::error::ArrowError;
use plateau_core::{Error, Op, Result};

use super::bound::{int_bound, rescale_i128, rescale_i256, timestamp_bound, Bound};
use super::coerce::Coerced;
use super::hash::{BytesHashSet, FxHashSet};

/// Milliseconds in a day, for `date64` columns.
const MS_PER_DAY: i64 = 86_400_000;

/// Up to this many distinct `in` values on a primitive column, OR-ing one vectorised
/// comparison per value beats probing a hash set per row (about 0.5 ms against 3.5 ms per
/// million rows; `benches/filter.rs`).
const SMALL_LIST_PRIMITIVE: usize = 4;

/// The same for string and binary columns, whose comparisons cost more (about 3 ms against
/// 8 ms per million short strings).
const SMALL_LIST_BYTES: usize = 2;

/// The outcome for the non-null rows of an array.
pub(crate) enum Raw {
    /// The same for every row.
    Const(bool),
    /// Per row; bits of null rows are arbitrary.
    Mask(BooleanBuffer),
}

impl Raw {
    /// `not in` is the negation of `in` on the non-null rows.
    pub(crate) fn not(self) -> Raw {
        match self {
            Raw::Const(b) => Raw::Const(!b),
            Raw::Mask(m) => Raw::Mask(!&m),
        }
    }
}

/// The final mask: `raw` on rows that are valid in `validity`, `null_result` on the others.
pub(crate) fn finalize(
    len: usize,
    raw: Raw,
    validity: Option<&NullBuffer>,
    null_result: bool,
) -> BooleanArray {
    let valid = validity
        .filter(|v| v.null_count() > 0)
        .map(NullBuffer::inner);
    let values = match (raw, valid) {
        (Raw::Const(true), None) => BooleanBuffer::new_set(len),
        (Raw::Const(false), None) => BooleanBuffer::new_unset(len),
        (Raw::Mask(mask), None) => mask,
        (Raw::Const(b), Some(valid)) => match (b, null_result) {
            (true, true) => BooleanBuffer::new_set(len),
            (false, false) => BooleanBuffer::new_unset(len),
            (true, false) => valid.clone(),
            (false, true) => !valid,
        },
        (Raw::Mask(mask), Some(valid)) => {
            if null_result {
                &mask | &!valid
            } else {
                &mask & valid
            }
        }
    };
    BooleanArray::new(values, None)
}

/// The rows that count as valid: not null and, for float columns, not NaN (plateau follows
/// pandas, where NaN is the missing value).
pub(crate) fn validity(array: &dyn Array) -> Result<Option<NullBuffer>> {
    Ok(match array.data_type() {
        DataType::Float16 => nan_validity::<Float16Type>(array)?,
        DataType::Float32 => nan_validity::<Float32Type>(array)?,
        DataType::Float64 => nan_validity::<Float64Type>(array)?,
        _ => array.logical_nulls(),
    })
}

fn nan_validity<T>(array: &dyn Array) -> Result<Option<NullBuffer>>
where
    T: ArrowPrimitiveType,
    T::Native: Into<f64>,
{
    let array = primitive::<T>(array)?;
    let values = array.values();
    let not_nan = BooleanBuffer::collect_bool(values.len(), |i| !values[i].into().is_nan());
    let valid = match array.nulls() {
        Some(nulls) => &not_nan & nulls.inner(),
        None => not_nan,
    };
    Ok(Some(NullBuffer::new(valid)))
}

/// `array op value` for a non-null `value` and a scalar operator.
pub(crate) fn compare(array: &dyn Array, op: Op, value: &Coerced) -> Result<Raw> {
    use Coerced as C;
    use DataType as T;
    match (array.data_type(), value) {
        (T::Null, _) => Ok(Raw::Const(false)),
        (T::Int8, C::Int(v)) => cmp_primitive::<Int8Type>(array, op, int_bound(*v)),
        (T::Int16, C::Int(v)) => cmp_primitive::<Int16Type>(array, op, int_bound(*v)),
        (T::Int32, C::Int(v)) => cmp_primitive::<Int32Type>(array, op, int_bound(*v)),
        (T::Int64, C::Int(v)) => cmp_primitive::<Int64Type>(array, op, int_bound(*v)),
        (T::UInt8, C::Int(v)) => cmp_primitive::<UInt8Type>(array, op, int_bound(*v)),
        (T::UInt16, C::Int(v)) => cmp_primitive::<UInt16Type>(array, op, int_bound(*v)),
        (T::UInt32, C::Int(v)) => cmp_primitive::<UInt32Type>(array, op, int_bound(*v)),
        (T::UInt64, C::Int(v)) => cmp_primitive::<UInt64Type>(array, op, int_bound(*v)),
        (T::Float16, C::Float(v)) => cmp_float::<Float16Type>(array, op, *v),
        (T::Float32, C::Float(v)) => cmp_float::<Float32Type>(array, op, *v),
        (T::Float64, C::Float(v)) => cmp_float::<Float64Type>(array, op, *v),
        (T::Decimal128(_, to), C::Decimal { value, scale }) => {
            cmp_primitive::<Decimal128Type>(array, op, rescale_i128(*value, *scale, *to))
        }
        (T::Decimal256(_, to), C::Decimal { value, scale }) => {
            cmp_primitive::<Decimal256Type>(array, op, rescale_i256(*value, *scale, *to))
        }
        (T::Boolean, C::Bool(v)) => cmp_datum(array, &BooleanArray::new_scalar(*v), op),
        (T::Utf8, C::Text(v)) => cmp_datum(array, &StringArray::new_scalar(v), op),
        (T::LargeUtf8, C::Text(v)) => cmp_datum(array, &LargeStringArray::new_scalar(v), op),
        (T::Utf8View, C::Text(v)) => cmp_datum(array, &StringViewArray::new_scalar(v), op),
        (T::Binary, C::Bytes(v)) => cmp_datum(array, &BinaryArray::new_scalar(v), op),
        (T::LargeBinary, C::Bytes(v)) => cmp_datum(array, &LargeBinaryArray::new_scalar(v), op),
        (T::BinaryView, C::Bytes(v)) => cmp_datum(array, &BinaryViewArray::new_scalar(v), op),
        (T::FixedSizeBinary(_), C::Bytes(_)) => {
            // Values of another length are legal literals, so compare as variable-length
            // binary, where ordering between lengths is lexicographic.
            let binary = arrow::compute::cast(array, &DataType::Binary)?;
            compare(binary.as_ref(), op, value)
        }
        (T::Date32, C::Days(v)) => cmp_primitive::<Date32Type>(array, op, Bound::Exact(*v)),
        (T::Date64, C::Days(v)) => {
            let days = date64_days(array)?;
            cmp_primitive::<Int64Type>(&days, op, Bound::Exact(i64::from(*v)))
        }
        (T::Timestamp(unit, _), C::Nanos(v)) => {
            let bound = timestamp_bound(*v, *unit);
            match unit {
                TimeUnit::Second => cmp_primitive::<TimestampSecondType>(array, op, bound),
                TimeUnit::Millisecond => {
                    cmp_primitive::<TimestampMillisecondType>(array, op, bound)
                }
                TimeUnit::Microsecond => {
                    cmp_primitive::<TimestampMicrosecondType>(array, op, bound)
                }
                TimeUnit::Nanosecond => cmp_primitive::<TimestampNanosecondType>(array, op, bound),
            }
        }
        (data_type, value) => Err(internal_mismatch(data_type, value)),
    }
}

/// Whether each row equals one of `values` (all non-null and coerced for this column).
pub(crate) fn membership(array: &dyn Array, values: &[Coerced]) -> Result<Raw> {
    use DataType as T;
    if values.is_empty() {
        return Ok(Raw::Const(false));
    }
    match array.data_type() {
        T::Null => Ok(Raw::Const(false)),
        T::Int8 => in_primitive::<Int8Type>(array, exact(values, int_value)),
        T::Int16 => in_primitive::<Int16Type>(array, exact(values, int_value)),
        T::Int32 => in_primitive::<Int32Type>(array, exact(values, int_value)),
        T::Int64 => in_primitive::<Int64Type>(array, exact(values, int_value)),
        T::UInt8 => in_primitive::<UInt8Type>(array, exact(values, int_value)),
        T::UInt16 => in_primitive::<UInt16Type>(array, exact(values, int_value)),
        T::UInt32 => in_primitive::<UInt32Type>(array, exact(values, int_value)),
        T::UInt64 => in_primitive::<UInt64Type>(array, exact(values, int_value)),
        T::Float16 => in_float::<Float16Type>(array, float_values(values)),
        T::Float32 => in_float::<Float32Type>(array, float_values(values)),
        T::Float64 => in_float::<Float64Type>(array, float_values(values)),
        T::Decimal128(_, to) => {
            let to = *to;
            in_primitive::<Decimal128Type>(
                array,
                exact(values, |v| match v {
                    Coerced::Decimal { value, scale } => Some(rescale_i128(*value, *scale, to)),
                    _ => None,
                }),
            )
        }
        T::Decimal256(_, to) => {
            let to = *to;
            in_primitive::<Decimal256Type>(
                array,
                exact(values, |v| match v {
                    Coerced::Decimal { value, scale } => Some(rescale_i256(*value, *scale, to)),
                    _ => None,
                }),
            )
        }
        T::Boolean => {
            let bits = array
                .as_boolean_opt()
                .ok_or_else(|| downcast_error(array))?;
            let has = |b: bool| {
                values
                    .iter()
                    .any(|v| matches!(v, Coerced::Bool(x) if *x == b))
            };
            Ok(match (has(true), has(false)) {
                (true, true) => Raw::Const(true),
                (false, false) => Raw::Const(false),
                (true, false) => Raw::Mask(bits.values().clone()),
                (false, true) => Raw::Mask(!bits.values()),
            })
        }
        T::Utf8 | T::LargeUtf8 | T::Utf8View | T::Binary | T::LargeBinary | T::BinaryView => {
            in_bytes(array, values)
        }
        T::FixedSizeBinary(_) => {
            let binary = arrow::compute::cast(array, &DataType::Binary)?;
            membership(binary.as_ref(), values)
        }
        T::Date32 => in_primitive::<Date32Type>(
            array,
            exact(values, |v| match v {
                Coerced::Days(d) => Some(Bound::Exact(*d)),
                _ => None,
            }),
        ),
        T::Date64 => {
            let days = date64_days(array)?;
            in_primitive::<Int64Type>(
                &days,
                exact(values, |v| match v {
                    Coerced::Days(d) => Some(Bound::Exact(i64::from(*d))),
                    _ => None,
                }),
            )
        }
        T::Timestamp(unit, _) => {
            let unit = *unit;
            let natives = exact(values, |v| match v {
                Coerced::Nanos(n) => Some(timestamp_bound(*n, unit)),
                _ => None,
            });
            match unit {
                TimeUnit::Second => in_primitive::<TimestampSecondType>(array, natives),
                TimeUnit::Millisecond => in_primitive::<TimestampMillisecondType>(array, natives),
                TimeUnit::Microsecond => in_primitive::<TimestampMicrosecondType>(array, natives),
                TimeUnit::Nanosecond => in_primitive::<TimestampNanosecondType>(array, natives),
            }
        }
        other => Err(Error::unsupported(format!(
            "`in` on columns of type {other} is not supported"
        ))),
    }
}

/// The natives of the values that the column can represent exactly; the others can never be
/// equal to a row and are dropped.
fn exact<N>(values: &[Coerced], bound: impl Fn(&Coerced) -> Option<Bound<N>>) -> Vec<N> {
    values
        .iter()
        .filter_map(|v| match bound(v)? {
            Bound::Exact(n) => Some(n),
            _ => None,
        })
        .collect()
}

fn int_value<N: TryFrom<i128>>(value: &Coerced) -> Option<Bound<N>> {
    match value {
        Coerced::Int(v) => Some(int_bound(*v)),
        _ => None,
    }
}

fn float_values(values: &[Coerced]) -> Vec<f64> {
    values
        .iter()
        .filter_map(|v| match v {
            Coerced::Float(f) if !f.is_nan() => Some(*f),
            _ => None,
        })
        .collect()
}

/// The arrow kernel of a scalar operator.
type Kernel = fn(&dyn Datum, &dyn Datum) -> std::result::Result<BooleanArray, ArrowError>;

fn kernel(op: Op) -> Result<Kernel> {
    Ok(match op {
        Op::Eq => cmp::eq,
        // For a non-null value both keep the null rows; that is decided in `finalize`.
        Op::Ne | Op::IsDistinctFrom => cmp::neq,
        Op::Lt => cmp::lt,
        Op::Le => cmp::lt_eq,
        Op::Gt => cmp::gt,
        Op::Ge => cmp::gt_eq,
        Op::In | Op::NotIn => {
            return Err(Error::InvalidPredicate(format!(
                "operator '{op}' takes a list, not a scalar"
            )))
        }
    })
}

fn cmp_datum(array: &dyn Array, value: &dyn Datum, op: Op) -> Result<Raw> {
    let result = kernel(op)?(&array, value)?;
    Ok(Raw::Mask(result.values().clone()))
}

/// A one-element scalar of `T` with the array's exact type (time zone, decimal precision), as
/// the arrow kernels require identical types on both sides.
fn primitive_scalar<T: ArrowPrimitiveType>(
    array: &dyn Array,
    value: T::Native,
) -> ArrowScalar<PrimitiveArray<T>> {
    ArrowScalar::new(
        PrimitiveArray::<T>::from_value(value, 1).with_data_type(array.data_type().clone()),
    )
}

fn cmp_primitive<T: ArrowPrimitiveType>(
    array: &dyn Array,
    op: Op,
    bound: Bound<T::Native>,
) -> Result<Raw> {
    // Guards `primitive_scalar`, whose `with_data_type` requires a type of `T`.
    primitive::<T>(array)?;
    match bound {
        Bound::Exact(v) => cmp_datum(array, &primitive_scalar::<T>(array, v), op),
        Bound::Between(floor) => match op {
            Op::Eq => Ok(Raw::Const(false)),
            Op::Ne | Op::IsDistinctFrom => Ok(Raw::Const(true)),
            // floor < value < floor + 1: below the value means at most floor.
            Op::Lt | Op::Le => cmp_datum(array, &primitive_scalar::<T>(array, floor), Op::Le),
            Op::Gt | Op::Ge => cmp_datum(array, &primitive_scalar::<T>(array, floor), Op::Gt),
            Op::In | Op::NotIn => kernel(op).map(|_| Raw::Const(false)),
        },
        Bound::Below => Ok(Raw::Const(matches!(
            op,
            Op::Ne | Op::IsDistinctFrom | Op::Gt | Op::Ge
        ))),
        Bound::Above => Ok(Raw::Const(matches!(
            op,
            Op::Ne | Op::IsDistinctFrom | Op::Lt | Op::Le
        ))),
    }
}

/// Float columns compare in f64 with IEEE semantics (NaN rows are null anyway, and
/// `-0.0 == 0.0` as in numpy), which arrow's total-order kernels do not give.
fn cmp_float<T>(array: &dyn Array, op: Op, value: f64) -> Result<Raw>
where
    T: ArrowPrimitiveType,
    T::Native: Into<f64>,
{
    let values = primitive::<T>(array)?.values();
    let len = values.len();
    let x = |i: usize| -> f64 { values[i].into() };
    Ok(Raw::Mask(match op {
        Op::Eq => BooleanBuffer::collect_bool(len, |i| x(i) == value),
        Op::Ne | Op::IsDistinctFrom => BooleanBuffer::collect_bool(len, |i| x(i) != value),
        Op::Lt => BooleanBuffer::collect_bool(len, |i| x(i) < value),
        Op::Le => BooleanBuffer::collect_bool(len, |i| x(i) <= value),
        Op::Gt => BooleanBuffer::collect_bool(len, |i| x(i) > value),
        Op::Ge => BooleanBuffer::collect_bool(len, |i| x(i) >= value),
        Op::In | Op::NotIn => return kernel(op).map(|_| Raw::Const(false)),
    }))
}

fn in_primitive<T>(array: &dyn Array, natives: Vec<T::Native>) -> Result<Raw>
where
    T: ArrowPrimitiveType,
    T::Native: Hash + Eq,
{
    let primitive = primitive::<T>(array)?;
    let set: FxHashSet<T::Native> = natives.into_iter().collect();
    if set.is_empty() {
        return Ok(Raw::Const(false));
    }
    if set.len() <= SMALL_LIST_PRIMITIVE {
        return or_all(
            set.iter()
                .map(|v| cmp_datum(array, &primitive_scalar::<T>(array, *v), Op::Eq)),
        );
    }
    let values = primitive.values();
    Ok(Raw::Mask(BooleanBuffer::collect_bool(values.len(), |i| {
        set.contains(&values[i])
    })))
}

fn in_float<T>(array: &dyn Array, list: Vec<f64>) -> Result<Raw>
where
    T: ArrowPrimitiveType,
    T::Native: Into<f64>,
{
    let values = primitive::<T>(array)?.values();
    let len = values.len();
    if list.is_empty() {
        return Ok(Raw::Const(false));
    }
    if list.len() <= SMALL_LIST_PRIMITIVE {
        return Ok(Raw::Mask(BooleanBuffer::collect_bool(len, |i| {
            let x: f64 = values[i].into();
            list.contains(&x)
        })));
    }
    // Adding 0.0 turns -0.0 into 0.0, so the bit patterns agree exactly when the IEEE values
    // do (NaN never reaches the set and NaN rows are null).
    let set: FxHashSet<u64> = list.iter().map(|v| (v + 0.0).to_bits()).collect();
    Ok(Raw::Mask(BooleanBuffer::collect_bool(len, |i| {
        let x: f64 = values[i].into();
        set.contains(&(x + 0.0).to_bits())
    })))
}

fn in_bytes(array: &dyn Array, values: &[Coerced]) -> Result<Raw> {
    let mut list = BytesHashSet::default();
    // The distinct values in list order, for the comparison path.
    let mut distinct: Vec<&Coerced> = Vec::new();
    for value in values {
        let bytes = match value {
            Coerced::Text(s) => s.as_bytes(),
            Coerced::Bytes(b) => b.as_slice(),
            _ => continue,
        };
        if list.insert(bytes) {
            distinct.push(value);
        }
    }
    if list.is_empty() {
        return Ok(Raw::Const(false));
    }
    if list.len() <= SMALL_LIST_BYTES {
        return or_all(distinct.into_iter().map(|v| compare(array, Op::Eq, v)));
    }
    let contains = |value: &[u8]| list.contains(value);
    let len = array.len();
    let mask = match array.data_type() {
        DataType::Utf8 => {
            let a = array
                .as_string_opt::<i32>()
                .ok_or_else(|| downcast_error(array))?;
            BooleanBuffer::collect_bool(len, |i| contains(a.value(i).as_bytes()))
        }
        DataType::LargeUtf8 => {
            let a = array
                .as_string_opt::<i64>()
                .ok_or_else(|| downcast_error(array))?;
            BooleanBuffer::collect_bool(len, |i| contains(a.value(i).as_bytes()))
        }
        DataType::Utf8View => {
            let a = array
                .as_string_view_opt()
                .ok_or_else(|| downcast_error(array))?;
            BooleanBuffer::collect_bool(len, |i| contains(a.value(i).as_bytes()))
        }
        DataType::Binary => {
            let a = array
                .as_binary_opt::<i32>()
                .ok_or_else(|| downcast_error(array))?;
            BooleanBuffer::collect_bool(len, |i| contains(a.value(i)))
        }
        DataType::LargeBinary => {
            let a = array
                .as_binary_opt::<i64>()
                .ok_or_else(|| downcast_error(array))?;
            BooleanBuffer::collect_bool(len, |i| contains(a.value(i)))
        }
        DataType::BinaryView => {
            let a = array
                .as_binary_view_opt()
                .ok_or_else(|| downcast_error(array))?;
            BooleanBuffer::collect_bool(len, |i| contains(a.value(i)))
        }
        _ => return Err(downcast_error(array)),
    };
    Ok(Raw::Mask(mask))
}

/// The OR of masks.
fn or_all(masks: impl Iterator<Item = Result<Raw>>) -> Result<Raw> {
    let mut acc = Raw::Const(false);
    for mask in masks {
        acc = match (acc, mask?) {
            (Raw::Const(true), _) | (_, Raw::Const(true)) => Raw::Const(true),
            (Raw::Const(false), other) | (other, Raw::Const(false)) => other,
            (Raw::Mask(a), Raw::Mask(b)) => Raw::Mask(&a | &b),
        };
    }
    Ok(acc)
}

/// A `date64` column as whole days (floor), the unit its values have as [`Scalar::Date`].
fn date64_days(array: &dyn Array) -> Result<PrimitiveArray<Int64Type>> {
    Ok(primitive::<Date64Type>(array)?.unary(|ms| ms.div_euclid(MS_PER_DAY)))
}

fn primitive<T: ArrowPrimitiveType>(array: &dyn Array) -> Result<&PrimitiveArray<T>> {
    array
        .as_primitive_opt::<T>()
        .ok_or_else(|| downcast_error(array))
}

fn downcast_error(array: &dyn Array) -> Error {
    Error::invalid_input(format!(
        "internal error of the predicate evaluator: unexpected array of type {}",
        array.data_type()
    ))
}

fn internal_mismatch(data_type: &DataType, value: &Coerced) -> Error {
    Error::invalid_input(format!(
        "internal error of the predicate evaluator: value {value:?} was not coerced for type {data_type}"
    ))
}
