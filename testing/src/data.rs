//! Deterministic test data: the frames of plateau's test fixtures (`tests/conftest.py`,
//! `plateau.core.testing`, `plateau.serialization.testing`) as Arrow batches, and sized data
//! for larger tests.
//!
//! Every field is nullable, as every column pyarrow builds from pandas is.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryArray, BooleanArray, Date32Array, Float32Array, Float64Array, Int16Array,
    Int32Array, Int64Array, Int8Array, ListArray, NullArray, StringArray, TimestampNanosecondArray,
    UInt16Array, UInt32Array, UInt64Array, UInt8Array,
};
use arrow::datatypes::{
    Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow::record_batch::RecordBatch;

/// A batch from named columns, all fields nullable.
///
/// # Panics
/// If the columns have different lengths.
pub fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    #[allow(clippy::expect_used)]
    RecordBatch::try_from_iter_with_nullable(
        columns
            .into_iter()
            .map(|(name, array)| (name.to_owned(), array, true)),
    )
    .expect("columns of equal length")
}

/// An `Int64` column.
pub fn int64(values: impl IntoIterator<Item = i64>) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(values))
}

/// A `Utf8` column.
pub fn strings<'a>(values: impl IntoIterator<Item = &'a str>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(values))
}

/// A `Utf8` column with nulls.
pub fn opt_strings<'a>(values: impl IntoIterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(values.into_iter().collect::<StringArray>())
}

/// A `Date32` column from `(year, month, day)`.
pub fn dates(values: impl IntoIterator<Item = (i32, u32, u32)>) -> ArrayRef {
    Arc::new(Date32Array::from_iter_values(
        values.into_iter().map(|(y, m, d)| days(y, m, d)),
    ))
}

/// A naive `Timestamp(ns)` column from `(year, month, day)` at midnight.
pub fn datetimes(values: impl IntoIterator<Item = (i32, u32, u32)>) -> ArrayRef {
    Arc::new(TimestampNanosecondArray::from_iter_values(
        values
            .into_iter()
            .map(|(y, m, d)| i64::from(days(y, m, d)) * 86_400 * 1_000_000_000),
    ))
}

/// A batch of `Int64` columns.
pub fn ints(columns: &[(&str, &[i64])]) -> RecordBatch {
    batch(
        columns
            .iter()
            .map(|(name, values)| (*name, int64(values.iter().copied())))
            .collect(),
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub fn days(year: i32, month: u32, day: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i32::try_from(month).unwrap_or(1);
    let d = i32::try_from(day).unwrap_or(1);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// conftest's first partition (`cluster_1`): `P=1, L=1, TARGET=1, DATE=2010-01-01`.
pub fn cluster_1() -> RecordBatch {
    batch(vec![
        ("P", int64([1])),
        ("L", int64([1])),
        ("TARGET", int64([1])),
        ("DATE", dates([(2010, 1, 1)])),
    ])
}

/// conftest's second partition (`cluster_2`): `P=2, L=2, TARGET=2, DATE=2009-12-31`.
pub fn cluster_2() -> RecordBatch {
    batch(vec![
        ("P", int64([2])),
        ("L", int64([2])),
        ("TARGET", int64([2])),
        ("DATE", dates([(2009, 12, 31)])),
    ])
}

/// The input frames of conftest's `dataset` fixtures: `[cluster_1, cluster_2]`.
pub fn dataset_frames() -> Vec<RecordBatch> {
    vec![cluster_1(), cluster_2()]
}

/// `plateau.io.testing.utils.create_dataset`'s frame: `P`, `L` = 0..10, `TARGET` = 10..20.
pub fn utils_frame() -> RecordBatch {
    batch(vec![
        ("P", int64(0..10)),
        ("L", int64(0..10)),
        ("TARGET", int64(10..20)),
    ])
}

/// The binary values of `plateau.serialization.testing.BINARY_COLUMNS`.
pub fn binary_values() -> Vec<Vec<u8>> {
    let utf16 = |s: &str| {
        // Python's `str.encode("utf-16")`: a little-endian BOM, then UTF-16-LE.
        let mut out = vec![0xff, 0xfe];
        out.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        out
    };
    let utf32 = |s: &str| {
        let mut out = vec![0xff, 0xfe, 0x00, 0x00];
        out.extend(s.chars().flat_map(|c| u32::from(c).to_le_bytes()));
        out
    };
    vec![
        "\u{1}".as_bytes().to_vec(),
        b"1".to_vec(),
        b"2".to_vec(),
        b"3".to_vec(),
        utf16("4"),
        utf32("4"),
        b"\x8f\xb6\xe5@\x90\xdc\x11\xe8\xa0\xae\x02B\xac\x12\x01\x06".to_vec(),
        "🙈".as_bytes().to_vec(),
        "\u{80}".as_bytes().to_vec(),
    ]
}

/// `plateau.serialization.testing.get_dataframe_not_nested(n)`: one column per scalar type,
/// columns sorted by name (`bool`, `bytes`, `date`, `datetime64`, `float32`, `float64`,
/// `int16`, `int32`, `int64`, `int8`, `null`, `uint16`, `uint32`, `uint64`, `uint8`,
/// `unicode`).
pub fn not_nested(n: usize) -> RecordBatch {
    let mut binaries = binary_values();
    binaries.truncate(n);
    for x in binaries.len()..n {
        binaries.push(x.to_string().into_bytes());
    }
    let range = || 0..n;
    let small = |x: usize| i64::try_from(x).unwrap_or(i64::MAX);
    let date_of = |x: usize| (2018, 1, u32::try_from((x + 1) % 31 + 1).unwrap_or(1));
    batch(vec![
        (
            "bool",
            Arc::new(BooleanArray::from_iter(range().map(|i| Some(i < n / 2)))) as ArrayRef,
        ),
        (
            "bytes",
            Arc::new(BinaryArray::from_iter_values(binaries.iter())),
        ),
        ("date", dates(range().map(date_of))),
        ("datetime64", datetimes(range().map(date_of))),
        (
            "float32",
            Arc::new(Float32Array::from_iter_values(range().map(|x| x as f32))),
        ),
        (
            "float64",
            Arc::new(Float64Array::from_iter_values(range().map(|x| x as f64))),
        ),
        (
            "int16",
            Arc::new(Int16Array::from_iter_values(
                range().map(|x| small(x) as i16),
            )),
        ),
        (
            "int32",
            Arc::new(Int32Array::from_iter_values(
                range().map(|x| small(x) as i32),
            )),
        ),
        ("int64", int64(range().map(small))),
        (
            "int8",
            Arc::new(Int8Array::from_iter_values(range().map(|x| small(x) as i8))),
        ),
        ("null", Arc::new(NullArray::new(n))),
        (
            "uint16",
            Arc::new(UInt16Array::from_iter_values(range().map(|x| x as u16))),
        ),
        (
            "uint32",
            Arc::new(UInt32Array::from_iter_values(range().map(|x| x as u32))),
        ),
        (
            "uint64",
            Arc::new(UInt64Array::from_iter_values(range().map(|x| x as u64))),
        ),
        (
            "uint8",
            Arc::new(UInt8Array::from_iter_values(range().map(|x| x as u8))),
        ),
        (
            "unicode",
            Arc::new(StringArray::from_iter_values(
                range().map(|x| x.to_string()),
            )),
        ),
    ])
}

/// `plateau.core.testing.get_dataframe_not_nested()` (conftest's `df_not_nested`): one row,
/// columns `bool`, `byte` (16 bytes that are not UTF-8), `date`, `datetime64`, `float32`,
/// `float64`, `int16`, `int32`, `int64`, `int8`, `null`, `uint16`, `uint32`, `uint64`,
/// `uint8`, `unicode` (`"Ö"`).
pub fn core_not_nested() -> RecordBatch {
    batch(vec![
        ("bool", Arc::new(BooleanArray::from(vec![true])) as ArrayRef),
        (
            "byte",
            Arc::new(BinaryArray::from_iter_values([
                b"\x8f\xb6\xe5@\x90\xdc\x11\xe8\xa0\xae\x02B\xac\x12\x01\x06",
            ])),
        ),
        ("date", dates([(2018, 1, 1)])),
        ("datetime64", datetimes([(2018, 1, 1)])),
        ("float32", Arc::new(Float32Array::from(vec![1.0]))),
        ("float64", Arc::new(Float64Array::from(vec![1.0]))),
        ("int16", Arc::new(Int16Array::from(vec![1]))),
        ("int32", Arc::new(Int32Array::from(vec![1]))),
        ("int64", int64([1])),
        ("int8", Arc::new(Int8Array::from(vec![1]))),
        ("null", Arc::new(NullArray::new(1))),
        ("uint16", Arc::new(UInt16Array::from(vec![1]))),
        ("uint32", Arc::new(UInt32Array::from(vec![1]))),
        ("uint64", Arc::new(UInt64Array::from(vec![1]))),
        ("uint8", Arc::new(UInt8Array::from(vec![1]))),
        ("unicode", strings(["Ö"])),
    ])
}

/// `plateau.core.testing.get_dataframe_alltypes()` (conftest's `df_all_types`): the columns of
/// [`core_not_nested`] plus one list column per numeric type and `array_unicode`, one row,
/// columns sorted by name.
pub fn all_types() -> RecordBatch {
    fn list<T: arrow::datatypes::ArrowPrimitiveType>(v: T::Native) -> ArrayRef {
        Arc::new(ListArray::from_iter_primitive::<T, _, _>([Some([Some(v)])]))
    }
    let unicode_list: ArrayRef = {
        let values: ArrayRef = strings(["Ö"]);
        let field = Arc::new(arrow::datatypes::Field::new(
            "item",
            arrow::datatypes::DataType::Utf8,
            true,
        ));
        Arc::new(ListArray::new(
            field,
            arrow::buffer::OffsetBuffer::from_lengths([1]),
            values,
            None,
        ))
    };
    let mut columns: Vec<(String, ArrayRef)> = vec![
        ("array_float32".into(), float_list32()),
        ("array_float64".into(), float_list64()),
        ("array_int16".into(), list::<Int16Type>(1)),
        ("array_int32".into(), list::<Int32Type>(1)),
        ("array_int64".into(), list::<Int64Type>(1)),
        ("array_int8".into(), list::<Int8Type>(1)),
        ("array_uint16".into(), list::<UInt16Type>(1)),
        ("array_uint32".into(), list::<UInt32Type>(1)),
        ("array_uint64".into(), list::<UInt64Type>(1)),
        ("array_uint8".into(), list::<UInt8Type>(1)),
        ("array_unicode".into(), unicode_list),
    ];
    let scalars = core_not_nested();
    for (field, column) in scalars.schema().fields().iter().zip(scalars.columns()) {
        columns.push((field.name().clone(), Arc::clone(column)));
    }
    columns.sort_by(|a, b| a.0.cmp(&b.0));
    batch(
        columns
            .iter()
            .map(|(n, a)| (n.as_str(), Arc::clone(a)))
            .collect(),
    )
}

fn float_list32() -> ArrayRef {
    Arc::new(ListArray::from_iter_primitive::<
        arrow::datatypes::Float32Type,
        _,
        _,
    >([Some([Some(1.0)])]))
}

fn float_list64() -> ArrayRef {
    Arc::new(ListArray::from_iter_primitive::<
        arrow::datatypes::Float64Type,
        _,
        _,
    >([Some([Some(1.0)])]))
}

/// A sized frame for larger tests: `key` (`i % keys`), `group` (`"g<i % 7>"`), `value` (`i`)
/// and `text` (`"row <i>"`), deterministic.
pub fn sized(rows: usize, keys: usize) -> RecordBatch {
    let keys = keys.max(1);
    batch(vec![
        ("key", int64((0..rows).map(|i| (i % keys) as i64))),
        (
            "group",
            Arc::new(StringArray::from_iter_values(
                (0..rows).map(|i| format!("g{}", i % 7)),
            )),
        ),
        ("value", int64((0..rows).map(|i| i as i64))),
        (
            "text",
            Arc::new(StringArray::from_iter_values(
                (0..rows).map(|i| format!("row {i}")),
            )),
        ),
    ])
}

/// A deterministic pseudo-random sequence (SplitMix64) for tests that need "random" data.
pub fn pseudo_random(seed: u64, count: usize) -> Vec<u64> {
    let mut state = seed;
    (0..count)
        .map(|_| {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_days_since_the_epoch() {
        assert_eq!(days(1970, 1, 1), 0);
        assert_eq!(days(2010, 1, 1), 14610);
        assert_eq!(days(2009, 12, 31), 14609);
        assert_eq!(days(1969, 12, 31), -1);
    }

    #[test]
    fn frames_have_the_fixture_shapes() {
        let df = not_nested(10);
        assert_eq!(df.num_rows(), 10);
        assert_eq!(df.schema().field(0).name(), "bool");
        assert_eq!(df.schema().field(1).name(), "bytes");
        assert_eq!(all_types().num_columns(), 27);
        assert_eq!(sized(100, 3).num_rows(), 100);
        assert_eq!(pseudo_random(1, 3), pseudo_random(1, 3));
    }
}
