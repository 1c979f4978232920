//! Constructors: an empty index, an index from `(value, labels)` entries, and the builder of a
//! secondary index from one partition's column.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, ArrowPrimitiveType, AsArray, BooleanArray, PrimitiveArray, UInt32Array,
};
use arrow::compute::take;
use arrow::datatypes::{
    DataType, Date32Type, Date64Type, Decimal128Type, Float64Type, Int16Type, Int32Type, Int64Type,
    Int8Type, TimeUnit, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use plateau_core::partition_value::normalize_value;
use plateau_core::{Error, Result, Scalar};

use crate::assemble::{assemble, RawIndex};
use crate::hash::{FxHashMap, Interner};
use crate::index::{Index, IndexKind};
use crate::keys;
use crate::types::normalize_index_type;

/// `value` normalized to the index type `data_type` ([`normalize_value`]); a null value, or
/// one that normalizes to null, is an error (an index holds no nulls).
pub(crate) fn normalize_key(column: &str, value: &Scalar, data_type: &DataType) -> Result<Scalar> {
    if value.is_null() {
        return Err(Error::invalid_input(format!(
            "index values must not be null (column `{column}`)"
        )));
    }
    let normalized = normalize_value(value, data_type)?;
    if normalized.is_null() {
        return Err(Error::invalid_input(format!(
            "index value {value} of column `{column}` normalizes to null"
        )));
    }
    Ok(normalized)
}

impl Index {
    /// An index without values over `column` of type `data_type` (normalized).
    ///
    /// # Errors
    /// The type errors of [`normalize_index_type`].
    pub fn empty(column: &str, kind: IndexKind, data_type: &DataType) -> Result<Index> {
        let data_type = normalize_index_type(column, data_type)?;
        Ok(Index {
            column: column.to_owned(),
            kind,
            keys: arrow::array::new_empty_array(&data_type),
            data_type,
            offsets: vec![0],
            postings: Vec::new(),
            labels: Vec::new(),
            storage_key: None,
        })
    }

    /// An index from `(value, labels)` entries, like plateau's
    /// `IndexBase(column, index_dct, dtype)`.
    ///
    /// Values go through plateau's lenient normalization
    /// ([`plateau_core::partition_value::normalize_value`]: `"1"` and `1.0` become `1` on an
    /// integer index, `"2020-01-01"` a date on a date index); values that are equal after
    /// normalization merge their labels. Repeated labels count once; a value without labels is
    /// not kept (an index maps values to the partitions they occur in).
    ///
    /// # Errors
    /// * the type errors of [`normalize_index_type`];
    /// * [`Error::InvalidInput`] for a null (or NaN) value or one that does not normalize into
    ///   the type.
    pub fn from_entries<L, S>(
        column: &str,
        kind: IndexKind,
        data_type: &DataType,
        entries: impl IntoIterator<Item = (Scalar, L)>,
    ) -> Result<Index>
    where
        L: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let data_type = normalize_index_type(column, data_type)?;
        let mut values = Vec::new();
        let mut offsets = vec![0u32];
        let mut postings = Vec::new();
        let mut labels = Interner::default();
        for (value, entry_labels) in entries {
            values.push(normalize_key(column, &value, &data_type)?);
            for label in entry_labels {
                let id = labels.intern(label.as_ref()).ok_or_else(|| {
                    Error::unsupported(format!("indices are limited to {} labels", u32::MAX - 1))
                })?;
                postings.push(id);
            }
            offsets.push(u32_len(postings.len())?);
        }
        let keys = keys::scalars_to_array(&values, &data_type)?;
        assemble(
            column,
            kind,
            &data_type,
            RawIndex {
                keys,
                offsets,
                postings,
                labels: labels.into_strings(),
            },
        )
    }

    /// The secondary index of one partition: the distinct non-null values of `array` (a column
    /// of the partition's data), all mapped to `label`.
    ///
    /// Nulls and float NaN are not indexed (plateau builds indices after `dropna`). Values are
    /// deduplicated in the column's own type before they are cast to the normalized type, and
    /// dictionary columns only look at the dictionary entries they use, so the cost is one
    /// pass plus a sort (numbers) or hash (strings) of the column.
    ///
    /// # Errors
    /// * the type errors of [`normalize_index_type`];
    /// * [`Error::InvalidInput`] for values that do not fit the normalized type (timestamps
    ///   beyond the nanosecond range).
    pub fn from_array(column: &str, array: &dyn Array, label: &str) -> Result<Index> {
        let data_type = normalize_index_type(column, array.data_type())?;
        let distinct = distinct_values(array)?;
        let keys = keys::cast_checked(distinct.as_ref(), &data_type)?;
        let n = keys.len();
        let raw = RawIndex {
            keys,
            offsets: (0..=u32_len(n)?).collect(),
            postings: vec![0; n],
            labels: vec![label.to_owned()],
        };
        assemble(column, IndexKind::Secondary, &data_type, raw)
    }
}

/// A length as `u32`, the width of label ids and offsets.
pub(crate) fn u32_len(len: usize) -> Result<u32> {
    u32::try_from(len)
        .map_err(|_| Error::unsupported(format!("indices are limited to {} entries", u32::MAX)))
}

/// The distinct non-null (and non-NaN) values of `array`, in its own type (the values array
/// for dictionaries); sorted for primitive types, in first-appearance order otherwise.
pub(crate) fn distinct_values(array: &dyn Array) -> Result<ArrayRef> {
    use DataType as T;
    Ok(match array.data_type() {
        T::Dictionary(_, _) => {
            let dict = array.as_any_dictionary();
            let values = dict.values();
            let mut used = vec![false; values.len()];
            let keys = dict.normalized_keys();
            match array.logical_nulls() {
                Some(nulls) => keys
                    .iter()
                    .zip(nulls.iter())
                    .filter(|(_, valid)| *valid)
                    .for_each(|(k, _)| mark(&mut used, *k)),
                None => keys.iter().for_each(|k| mark(&mut used, *k)),
            }
            let positions: UInt32Array = (0..values.len() as u32)
                .filter(|i| used[*i as usize])
                .collect();
            let used_values = take(values.as_ref(), &positions, None)?;
            distinct_values(used_values.as_ref())?
        }
        T::Boolean => {
            let bools = array.as_boolean();
            let (mut seen_false, mut seen_true) = (false, false);
            for v in bools.iter().flatten() {
                if v {
                    seen_true = true;
                } else {
                    seen_false = true;
                }
                if seen_true && seen_false {
                    break;
                }
            }
            let values: Vec<bool> = [(seen_false, false), (seen_true, true)]
                .into_iter()
                .filter_map(|(seen, v)| seen.then_some(v))
                .collect();
            Arc::new(BooleanArray::from(values))
        }
        T::Int8 => distinct_primitive::<Int8Type>(array),
        T::Int16 => distinct_primitive::<Int16Type>(array),
        T::Int32 => distinct_primitive::<Int32Type>(array),
        T::Int64 => distinct_primitive::<Int64Type>(array),
        T::UInt8 => distinct_primitive::<UInt8Type>(array),
        T::UInt16 => distinct_primitive::<UInt16Type>(array),
        T::UInt32 => distinct_primitive::<UInt32Type>(array),
        T::UInt64 => distinct_primitive::<UInt64Type>(array),
        T::Date32 => distinct_primitive::<Date32Type>(array),
        T::Date64 => distinct_primitive::<Date64Type>(array),
        T::Decimal128(_, _) => distinct_primitive::<Decimal128Type>(array),
        T::Timestamp(TimeUnit::Second, _) => distinct_primitive::<TimestampSecondType>(array),
        T::Timestamp(TimeUnit::Millisecond, _) => {
            distinct_primitive::<TimestampMillisecondType>(array)
        }
        T::Timestamp(TimeUnit::Microsecond, _) => {
            distinct_primitive::<TimestampMicrosecondType>(array)
        }
        T::Timestamp(TimeUnit::Nanosecond, _) => {
            distinct_primitive::<TimestampNanosecondType>(array)
        }
        T::Float16 | T::Float32 | T::Float64 => {
            let floats = arrow::compute::cast(array, &T::Float64)?;
            distinct_floats(floats.as_primitive::<Float64Type>())
        }
        T::Utf8 => distinct_bytes(array, |i| array.as_string::<i32>().value(i).as_bytes())?,
        T::LargeUtf8 => distinct_bytes(array, |i| array.as_string::<i64>().value(i).as_bytes())?,
        T::Utf8View => distinct_bytes(array, |i| array.as_string_view().value(i).as_bytes())?,
        T::Binary => distinct_bytes(array, |i| array.as_binary::<i32>().value(i))?,
        T::LargeBinary => distinct_bytes(array, |i| array.as_binary::<i64>().value(i))?,
        T::BinaryView => distinct_bytes(array, |i| array.as_binary_view().value(i))?,
        T::FixedSizeBinary(_) => distinct_bytes(array, |i| array.as_fixed_size_binary().value(i))?,
        other => {
            return Err(Error::unsupported(format!(
                "cannot index values of type {other}"
            )))
        }
    })
}

/// Marks dictionary entry `key` as used (a key out of range is ignored: it cannot name a
/// value).
fn mark(used: &mut [bool], key: usize) {
    if let Some(slot) = used.get_mut(key) {
        *slot = true;
    }
}

/// Sort and deduplicate: pdqsort handles the typical low-cardinality columns in near-linear
/// time and leaves the keys sorted for the canonical form.
fn distinct_primitive<T: ArrowPrimitiveType>(array: &dyn Array) -> ArrayRef
where
    T::Native: Ord,
{
    let typed = array.as_primitive::<T>();
    let mut values: Vec<T::Native> = if typed.null_count() == 0 {
        typed.values().to_vec()
    } else {
        typed.iter().flatten().collect()
    };
    values.sort_unstable();
    values.dedup();
    Arc::new(
        PrimitiveArray::<T>::from_iter_values(values).with_data_type(array.data_type().clone()),
    )
}

/// Floats: NaN is missing (pandas), `-0.0` is `0.0`.
fn distinct_floats(floats: &PrimitiveArray<Float64Type>) -> ArrayRef {
    let mut values: Vec<f64> = floats
        .iter()
        .flatten()
        .filter(|v| !v.is_nan())
        .map(|v| if v == 0.0 { 0.0 } else { v })
        .collect();
    values.sort_unstable_by(f64::total_cmp);
    values.dedup();
    Arc::new(PrimitiveArray::<Float64Type>::from_iter_values(values))
}

/// Byte-like values: hash to find the first row of each distinct value, then gather them.
fn distinct_bytes<'a>(array: &'a dyn Array, value: impl Fn(usize) -> &'a [u8]) -> Result<ArrayRef> {
    let mut seen: FxHashMap<&[u8], ()> = FxHashMap::default();
    let mut firsts = Vec::new();
    let nulls = array.logical_nulls();
    for i in 0..array.len() {
        if nulls.as_ref().is_some_and(|n| n.is_null(i)) {
            continue;
        }
        if seen.insert(value(i), ()).is_none() {
            firsts.push(u32_len(i)?);
        }
    }
    Ok(take(array, &UInt32Array::from(firsts), None)?)
}
