//! The predicate evaluator against plateau's `tests/serialization/test_filter.py` (reference
//! §4.5), plus the cases where plateau for Rust decides differently (module docs of
//! `plateau_serialization::filter`) and the edges of type conversions.

use std::cmp::Ordering;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BinaryArray, BinaryViewArray, BooleanArray, Date32Array, Date64Array,
    Decimal128Array, Decimal256Array, DictionaryArray, FixedSizeBinaryArray, Float32Array,
    Float64Array, Int16Array, Int32Array, Int64Array, Int8Array, LargeBinaryArray,
    LargeStringArray, ListArray, NullArray, RecordBatch, StringArray, StringViewArray,
    Time64MicrosecondArray, TimestampMicrosecondArray, TimestampMillisecondArray,
    TimestampNanosecondArray, TimestampSecondArray, UInt16Array, UInt64Array, UInt8Array,
};
use arrow::datatypes::{i256, DataType, Field, Int32Type, Schema, TimeUnit};
use plateau_core::temporal::parse_date;
use plateau_core::{Conjunction, Error, Op, Predicates, Scalar, Value};
use plateau_serialization::filter::{
    check_types, coerce_value, evaluate, evaluate_literal, filter_batch, EvalOptions,
};

const NS_PER_DAY: i64 = 86_400_000_000_000;

fn strict() -> EvalOptions {
    EvalOptions::default()
}

fn lenient() -> EvalOptions {
    EvalOptions::default().strict_date_types(false)
}

fn mask_with(
    array: &dyn Array,
    op: Op,
    value: impl Into<Value>,
    options: &EvalOptions,
) -> Vec<bool> {
    let value = value.into();
    let mask = evaluate_literal("A", array, op, &value, options)
        .unwrap_or_else(|e| panic!("A {op} {value} on {}: {e}", array.data_type()));
    assert_eq!(mask.null_count(), 0, "masks never hold nulls");
    assert_eq!(mask.len(), array.len());
    mask.iter().map(|b| b.unwrap_or_default()).collect()
}

fn mask(array: &dyn Array, op: Op, value: impl Into<Value>) -> Vec<bool> {
    mask_with(array, op, value, &strict())
}

/// The indices of the selected rows.
fn selected(mask: &[bool]) -> Vec<usize> {
    mask.iter()
        .enumerate()
        .filter_map(|(i, b)| b.then_some(i))
        .collect()
}

/// The rows `op` selects when each row compares to the value as `ords` says (no nulls).
fn expected(ords: &[Ordering], op: Op) -> Vec<usize> {
    ords.iter()
        .enumerate()
        .filter(|(_, o)| match op {
            Op::Eq | Op::In => **o == Ordering::Equal,
            Op::Ne | Op::NotIn | Op::IsDistinctFrom => **o != Ordering::Equal,
            Op::Lt => **o == Ordering::Less,
            Op::Le => **o != Ordering::Greater,
            Op::Gt => **o == Ordering::Greater,
            Op::Ge => **o != Ordering::Less,
        })
        .map(|(i, _)| i)
        .collect()
}

/// `value` as the right-hand side of `op`: a one-element list for `in` / `not in`.
fn rhs(op: Op, value: Scalar) -> Value {
    if op.takes_list() {
        Value::List(vec![value])
    } else {
        Value::Scalar(value)
    }
}

fn ts(value: i64, unit: TimeUnit) -> Scalar {
    Scalar::Timestamp {
        value,
        unit,
        tz: None,
    }
}

fn date(text: &str) -> i32 {
    parse_date(text).expect("a valid date")
}

fn dict(keys: Vec<Option<i32>>, values: Vec<&str>) -> DictionaryArray<Int32Type> {
    DictionaryArray::try_new(Int32Array::from(keys), Arc::new(StringArray::from(values)))
        .expect("keys within the values")
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).expect("columns of equal length")
}

/// Column `B` (the row numbers) of the rows `predicates` keep.
fn kept_rows(batch: &RecordBatch, predicates: &Predicates, options: &EvalOptions) -> Vec<i64> {
    let kept =
        filter_batch(batch, predicates, options).unwrap_or_else(|e| panic!("{predicates}: {e}"));
    let b = kept
        .column_by_name("B")
        .and_then(|b| b.as_any().downcast_ref::<Int64Array>())
        .expect("an int64 column B");
    b.values().to_vec()
}

fn one(column: &str, op: Op, value: impl Into<Value>) -> Predicates {
    Predicates::all(Conjunction::new().with(column, op, value))
}

// --- test_filter_array_like_{eq,larger_eq,lower_eq} -------------------------------------

/// plateau's `array_like` fixture: int, float, str, categorical, `<U1` and `S` arrays, with the
/// value at index 3 of each.
fn array_likes() -> Vec<(ArrayRef, Scalar)> {
    let digits: Vec<String> = (0..10).map(|x| x.to_string()).collect();
    let digit_refs: Vec<&str> = digits.iter().map(String::as_str).collect();
    let letters = ["A", "B", "C", "D", "E", "F"];
    vec![
        (
            Arc::new(Int64Array::from_iter_values(0..10)),
            Scalar::Int(3),
        ),
        (
            Arc::new(Float64Array::from_iter_values((0..10).map(f64::from))),
            Scalar::Float(3.0),
        ),
        (
            Arc::new(StringArray::from(digit_refs.clone())),
            Scalar::from("3"),
        ),
        (
            Arc::new(
                digit_refs
                    .iter()
                    .copied()
                    .collect::<DictionaryArray<Int32Type>>(),
            ),
            Scalar::from("3"),
        ),
        (
            Arc::new(StringArray::from(letters.to_vec())),
            Scalar::from("D"),
        ),
        (
            Arc::new(BinaryArray::from_iter_values(
                letters.iter().map(|s| s.as_bytes()),
            )),
            Scalar::Binary(b"D".to_vec()),
        ),
    ]
}

#[test]
fn array_like_eq_ge_le() {
    for (array, value) in array_likes() {
        let n = array.len();
        assert_eq!(selected(&mask(&array, Op::Eq, value.clone())), vec![3]);
        assert_eq!(
            selected(&mask(&array, Op::Ge, value.clone())),
            (3..n).collect::<Vec<_>>(),
            "{array:?}"
        );
        assert_eq!(
            selected(&mask(&array, Op::Le, value.clone())),
            (0..=3).collect::<Vec<_>>()
        );
    }
}

// --- test_filter_array_like_categoricals ------------------------------------------------

#[test]
fn dictionary_ordering_is_lexicographic_whatever_the_value_order() {
    // The series ["B", "C", "A"] with the categories in several orders: Python makes the
    // categorical ordered lexicographically; a dictionary compares by value anyway.
    let cases: [(&[&str], [i32; 3]); 3] = [
        (&["A", "B", "C"], [1, 2, 0]),
        (&["B", "C", "A"], [0, 1, 2]),
        (&["C", "A", "B"], [2, 0, 1]),
    ];
    let ops = [
        (Op::Gt, [false, true, false]),
        (Op::Ge, [true, true, false]),
        (Op::Le, [true, false, true]),
        (Op::Lt, [false, false, true]),
    ];
    for (values, keys) in cases {
        let array = dict(keys.iter().map(|k| Some(*k)).collect(), values.to_vec());
        for (op, expected) in ops {
            assert_eq!(mask(&array, op, "B"), expected, "{op} with {values:?}");
        }
    }
}

// --- test_raise_on_type ------------------------------------------------------------------

#[test]
fn raise_on_type() {
    let day = date("2019-01-01");
    let midnight = ts(i64::from(day) * 86_400, TimeUnit::Second);
    // (column, value) pairs that must raise for every operator.
    let cases: Vec<(ArrayRef, Scalar)> = vec![
        (Arc::new(Int64Array::from(vec![1])), Scalar::Float(1.0)),
        (Arc::new(StringArray::from(vec!["1"])), Scalar::Float(1.0)),
        (Arc::new(StringArray::from(vec!["1"])), Scalar::Int(1)),
        (Arc::new(Int64Array::from(vec![1])), Scalar::from("1")),
        (Arc::new(Date32Array::from(vec![day])), Scalar::Int(1)),
        (
            Arc::new(TimestampNanosecondArray::from(vec![
                i64::from(day) * NS_PER_DAY,
            ])),
            Scalar::Int(1),
        ),
        (
            Arc::new(TimestampNanosecondArray::from(vec![
                i64::from(day) * NS_PER_DAY,
            ])),
            Scalar::Date(day),
        ),
        (Arc::new(Date32Array::from(vec![day])), midnight.clone()),
        (Arc::new(BooleanArray::from(vec![true])), Scalar::Int(1)),
        (Arc::new(BooleanArray::from(vec![true])), Scalar::Float(1.0)),
        (
            Arc::new(BooleanArray::from(vec![true])),
            Scalar::from("True"),
        ),
        (
            Arc::new(TimestampNanosecondArray::from(vec![
                i64::from(day) * NS_PER_DAY,
            ])),
            Scalar::Bool(true),
        ),
        (Arc::new(StringArray::from(vec!["2019-01-01"])), midnight),
        // The three xfails of gh-193, where Python does not raise: we do.
        (
            Arc::new(StringArray::from(vec!["True"])),
            Scalar::Bool(true),
        ),
        (
            Arc::new(BinaryArray::from_vec(vec![b"True"])),
            Scalar::Bool(true),
        ),
    ];
    for (array, value) in &cases {
        for op in Op::ALL {
            let err =
                evaluate_literal("A", array, op, &rhs(op, value.clone()), &strict()).unwrap_err();
            match err {
                Error::PredicateType {
                    column,
                    column_type,
                    value: shown,
                    value_type,
                } => {
                    assert_eq!(column, "A");
                    assert_eq!(column_type, array.data_type().to_string());
                    assert_eq!(shown, value.to_string());
                    assert_eq!(value_type, value.kind());
                }
                other => panic!("{op} {value} on {}: {other}", array.data_type()),
            }
        }
    }

    // The third xfail ([True] vs True): a list column is not supported at all.
    let list = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![Some(vec![Some(1)])]);
    for op in Op::ALL {
        let err =
            evaluate_literal("A", &list, op, &rhs(op, Scalar::Bool(true)), &strict()).unwrap_err();
        assert!(
            matches!(&err, Error::Unsupported(m) if m.contains("`A`")),
            "{err}"
        );
    }

    // (True, None): Python raises because `pd.Series([None])` is an object array; a null
    // value fits every column here (DECISION 7).
    let bools = BooleanArray::from(vec![true]);
    assert_eq!(mask(&bools, Op::Eq, Scalar::Null), [false]);
    assert_eq!(mask(&bools, Op::Ne, Scalar::Null), [true]);
    assert_eq!(mask(&bools, Op::In, vec![Scalar::Null]), [false]);
}

// --- test_filter_df_from_predicates -------------------------------------------------------

/// `[a, b] * 5`.
fn two<T: Copy>(a: T, b: T) -> impl Iterator<Item = T> {
    (0..10).map(move |i| if i % 2 == 0 { a } else { b })
}

#[test]
fn filter_df_from_predicates_all_ops() {
    let day1 = date("2019-01-01");
    let day2 = day1 + 1;
    let ns1 = i64::from(day1) * NS_PER_DAY;
    let ns2 = i64::from(day2) * NS_PER_DAY;
    // (data, value, order of each row relative to the value, options)
    let cases: Vec<(ArrayRef, Scalar, EvalOptions)> = vec![
        (
            Arc::new(Int64Array::from_iter_values(0..10)),
            Scalar::Int(4),
            strict(),
        ),
        (
            Arc::new(StringArray::from_iter_values(two("A", "B"))),
            Scalar::from("A"),
            strict(),
        ),
        (
            Arc::new(two("X", "Y").collect::<DictionaryArray<Int32Type>>()),
            Scalar::from("X"),
            strict(),
        ),
        (
            Arc::new(Date32Array::from_iter_values(two(day1, day2))),
            Scalar::Date(day1),
            strict(),
        ),
        (
            Arc::new(TimestampNanosecondArray::from_iter_values(two(ns1, ns2))),
            ts(ns1, TimeUnit::Nanosecond),
            strict(),
        ),
        // A date against a timestamp column: `filter_df_from_predicates` defaults to
        // `strict_date_types=False`, where the date means midnight.
        (
            Arc::new(TimestampNanosecondArray::from_iter_values(two(ns1, ns2))),
            Scalar::Date(day1),
            lenient(),
        ),
        (
            Arc::new(UInt8Array::from_iter_values(0..10)),
            Scalar::Int(4),
            strict(),
        ),
    ];
    for (data, value, options) in cases {
        let ords: Vec<Ordering> = (0..data.len())
            .map(|i| {
                let row = Scalar::try_from_array(&data, i).unwrap();
                let value = coerce_value("A", data.data_type(), &value, &options).unwrap();
                row.partial_cmp_value(&value).unwrap()
            })
            .collect();
        let b = Arc::new(Int64Array::from_iter_values(0..data.len() as i64));
        let batch = batch(vec![("A", data.clone()), ("B", b)]);
        for op in Op::ALL {
            let predicates = one("A", op, rhs(op, value.clone()));
            let rows = kept_rows(&batch, &predicates, &options);
            let want: Vec<i64> = expected(&ords, op).iter().map(|i| *i as i64).collect();
            assert_eq!(rows, want, "A {op} {value} on {}", data.data_type());
        }
    }
    // With strict date types the date against the timestamp column raises.
    let stamps = TimestampNanosecondArray::from(vec![ns1]);
    let err = evaluate_literal("A", &stamps, Op::Eq, &Scalar::Date(day1).into(), &strict());
    assert!(matches!(err, Err(Error::PredicateType { .. })));
}

// --- test_filter_datetime_varying_units ---------------------------------------------------

fn day_series(unit: TimeUnit, tz: Option<&str>) -> ArrayRef {
    let start = i64::from(date("2019-01-01")) * 86_400;
    let per_second = match unit {
        TimeUnit::Second => 1,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    };
    let values = (0..10).map(|d| (start + d * 86_400) * per_second);
    let array: ArrayRef = match unit {
        TimeUnit::Second => {
            Arc::new(TimestampSecondArray::from_iter_values(values).with_timezone_opt(tz))
        }
        TimeUnit::Millisecond => {
            Arc::new(TimestampMillisecondArray::from_iter_values(values).with_timezone_opt(tz))
        }
        TimeUnit::Microsecond => {
            Arc::new(TimestampMicrosecondArray::from_iter_values(values).with_timezone_opt(tz))
        }
        TimeUnit::Nanosecond => {
            Arc::new(TimestampNanosecondArray::from_iter_values(values).with_timezone_opt(tz))
        }
    };
    array
}

const UNITS: [TimeUnit; 4] = [
    TimeUnit::Second,
    TimeUnit::Millisecond,
    TimeUnit::Microsecond,
    TimeUnit::Nanosecond,
];

const SCALAR_OPS: [Op; 6] = [Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge];

#[test]
fn datetime_varying_units() {
    // Row 5 is 2019-01-06T00:00:00; each value form denotes that instant.
    let seconds = i64::from(date("2019-01-06")) * 86_400;
    let mut values: Vec<Scalar> = UNITS
        .iter()
        .map(|unit| {
            ts(
                match unit {
                    TimeUnit::Second => seconds,
                    TimeUnit::Millisecond => seconds * 1_000,
                    TimeUnit::Microsecond => seconds * 1_000_000,
                    TimeUnit::Nanosecond => seconds * 1_000_000_000,
                },
                *unit,
            )
        })
        .collect();
    values.push(Scalar::from("2019-01-06T00:00:00"));
    values.push(Scalar::from("2019-01-06"));
    values.push(Scalar::from("2019-01-06T01:00:00+01:00"));
    // Values are UTC-based whatever their zone.
    values.push(Scalar::Timestamp {
        value: seconds,
        unit: TimeUnit::Second,
        tz: Some("+01:00".into()),
    });
    let ords: Vec<Ordering> = (0..10).map(|i: i32| i.cmp(&5)).collect();
    for unit in UNITS {
        for tz in [None, Some("UTC"), Some("Europe/Berlin")] {
            let column = day_series(unit, tz);
            for value in &values {
                for op in SCALAR_OPS {
                    assert_eq!(
                        selected(&mask(&column, op, value.clone())),
                        expected(&ords, op),
                        "{unit:?} {tz:?} {op} {value}"
                    );
                }
            }
        }
    }
}

#[test]
fn timestamps_finer_than_the_column_unit() {
    // Row 5 plus one nanosecond / minus one nanosecond: not representable in s, ms or us.
    let nanos = i64::from(date("2019-01-06")) * NS_PER_DAY;
    for unit in [
        TimeUnit::Second,
        TimeUnit::Millisecond,
        TimeUnit::Microsecond,
    ] {
        let column = day_series(unit, None);
        let above = ts(nanos + 1, TimeUnit::Nanosecond);
        let below = ts(nanos - 1, TimeUnit::Nanosecond);
        assert!(selected(&mask(&column, Op::Eq, above.clone())).is_empty());
        assert_eq!(selected(&mask(&column, Op::Ne, above.clone())).len(), 10);
        assert_eq!(
            selected(&mask(&column, Op::Lt, above.clone())),
            [0, 1, 2, 3, 4, 5]
        );
        assert_eq!(
            selected(&mask(&column, Op::Le, above.clone())),
            [0, 1, 2, 3, 4, 5]
        );
        assert_eq!(
            selected(&mask(&column, Op::Gt, above.clone())),
            [6, 7, 8, 9]
        );
        assert_eq!(
            selected(&mask(&column, Op::Ge, above.clone())),
            [6, 7, 8, 9]
        );
        assert_eq!(
            selected(&mask(&column, Op::Lt, below.clone())),
            [0, 1, 2, 3, 4]
        );
        assert_eq!(
            selected(&mask(&column, Op::Ge, below.clone())),
            [5, 6, 7, 8, 9]
        );
        assert!(selected(&mask(&column, Op::In, vec![above, below])).is_empty());
    }
    // Values beyond what the column's i64 can hold.
    let column = day_series(TimeUnit::Nanosecond, None);
    let far = ts(i64::MAX / 1000, TimeUnit::Second);
    assert_eq!(selected(&mask(&column, Op::Lt, far.clone())).len(), 10);
    assert!(selected(&mask(&column, Op::Ge, far.clone())).is_empty());
    assert!(selected(&mask(&column, Op::Eq, far.clone())).is_empty());
    let past = ts(i64::MIN / 1000, TimeUnit::Second);
    assert_eq!(selected(&mask(&column, Op::Gt, past.clone())).len(), 10);
    assert!(selected(&mask(&column, Op::Le, past)).is_empty());
}

// --- test_filter_df_from_predicates_bool and _missing_bool --------------------------------

#[test]
fn bool_columns_with_nulls() {
    let a = BooleanArray::from([true, false].repeat(5));
    let b = BooleanArray::from([Some(true), Some(false), None, Some(true), Some(false)].repeat(2));
    assert_eq!(selected(&mask(&a, Op::Eq, true)), [0, 2, 4, 6, 8]);
    assert_eq!(selected(&mask(&a, Op::Ne, true)), [1, 3, 5, 7, 9]);
    assert_eq!(selected(&mask(&b, Op::Eq, true)), [0, 3, 5, 8]);
    // `None != True` is True in pandas' object comparison.
    assert_eq!(selected(&mask(&b, Op::Ne, true)), [1, 2, 4, 6, 7, 9]);

    // df_none: [True, False, True, True, None, False] * 2
    let none = BooleanArray::from(
        [
            Some(true),
            Some(false),
            Some(true),
            Some(true),
            None,
            Some(false),
        ]
        .repeat(2),
    );
    let is_true = [0, 2, 3, 6, 8, 9];
    let is_false = [1, 5, 7, 11];
    let nulls = [4, 10];
    let non_null: Vec<usize> = (0..12).filter(|i| !nulls.contains(i)).collect();
    let or = |a: &[usize], b: &[usize]| {
        let mut v = [a, b].concat();
        v.sort();
        v
    };
    assert_eq!(selected(&mask(&none, Op::Eq, true)), is_true);
    assert_eq!(selected(&mask(&none, Op::Ne, true)), or(&is_false, &nulls));
    assert_eq!(
        selected(&mask(&none, Op::IsDistinctFrom, true)),
        or(&is_false, &nulls)
    );
    assert_eq!(selected(&mask(&none, Op::Eq, false)), is_false);
    assert_eq!(selected(&mask(&none, Op::Ne, false)), or(&is_true, &nulls));
    assert_eq!(
        selected(&mask(&none, Op::IsDistinctFrom, false)),
        or(&is_true, &nulls)
    );
    assert_eq!(selected(&mask(&none, Op::Eq, Scalar::Null)), nulls);
    assert_eq!(selected(&mask(&none, Op::Ne, Scalar::Null)), non_null);
    assert_eq!(
        selected(&mask(&none, Op::IsDistinctFrom, Scalar::Null)),
        non_null
    );
}

// --- test_filter_df_from_predicates_missing_scalar ----------------------------------------

#[test]
fn float_nulls_and_nan() {
    // df_na: [0.0, 0.0, NaN, NaN, 1.0, 1.0, 1.0, 1.0, NaN, 2.0, 2.0], here with one NaN as a
    // real null: both are missing values.
    let na = Float64Array::from(vec![
        Some(0.0),
        Some(0.0),
        Some(f64::NAN),
        None,
        Some(1.0),
        Some(1.0),
        Some(1.0),
        Some(1.0),
        Some(f64::NAN),
        Some(2.0),
        Some(2.0),
    ]);
    let missing = vec![2, 3, 8];
    let present: Vec<usize> = (0..11).filter(|i| !missing.contains(i)).collect();
    let without =
        |drop: &[usize]| -> Vec<usize> { (0..11).filter(|i| !drop.contains(i)).collect() };
    assert_eq!(selected(&mask(&na, Op::Eq, 0.0)), [0, 1]);
    assert_eq!(selected(&mask(&na, Op::Ne, 0.0)), without(&[0, 1]));
    assert_eq!(
        selected(&mask(&na, Op::IsDistinctFrom, 0.0)),
        without(&[0, 1])
    );
    assert_eq!(selected(&mask(&na, Op::Eq, 1.0)), [4, 5, 6, 7]);
    assert_eq!(selected(&mask(&na, Op::Ne, 1.0)), without(&[4, 5, 6, 7]));
    assert_eq!(
        selected(&mask(&na, Op::IsDistinctFrom, 1.0)),
        without(&[4, 5, 6, 7])
    );
    for null in [Scalar::Float(f64::NAN), Scalar::Null] {
        assert_eq!(selected(&mask(&na, Op::Eq, null.clone())), missing);
        assert_eq!(selected(&mask(&na, Op::Ne, null.clone())), present);
        assert_eq!(
            selected(&mask(&na, Op::IsDistinctFrom, null.clone())),
            present
        );
    }
    // Ordering operators never match missing values, NaN included.
    assert_eq!(selected(&mask(&na, Op::Ge, 0.0)), present);
    assert_eq!(selected(&mask(&na, Op::Lt, 5.0)), present);
    assert!(selected(&mask(&na, Op::Gt, 2.0)).is_empty());
    // `in` / `not in` with and without a null in the list.
    assert_eq!(selected(&mask(&na, Op::In, vec![0.0, 2.0])), [0, 1, 9, 10]);
    assert_eq!(
        selected(&mask(&na, Op::In, vec![Scalar::Float(0.0), Scalar::Null])),
        [0, 1, 2, 3, 8]
    );
    assert_eq!(
        selected(&mask(&na, Op::In, vec![Scalar::Float(f64::NAN)])),
        missing
    );
    assert_eq!(
        selected(&mask(&na, Op::NotIn, vec![1.0])),
        without(&[4, 5, 6, 7])
    );
    assert_eq!(
        selected(&mask(
            &na,
            Op::NotIn,
            vec![Scalar::Float(1.0), Scalar::Null]
        )),
        [0, 1, 9, 10]
    );
}

#[test]
fn float_comparisons_are_ieee_in_f64() {
    // A float32 0.1 is not the float64 0.1 (as numpy), -0.0 equals 0.0.
    let f32s = Float32Array::from(vec![0.1f32, -0.0, 0.5]);
    assert_eq!(mask(&f32s, Op::Eq, 0.1), [false, false, false]);
    assert_eq!(mask(&f32s, Op::Eq, f64::from(0.1f32)), [true, false, false]);
    assert_eq!(mask(&f32s, Op::Eq, 0.0), [false, true, false]);
    assert_eq!(mask(&f32s, Op::Lt, 0.0), [false, false, false]);
    assert_eq!(mask(&f32s, Op::Ge, -0.0), [true, true, true]);
    // Long lists take the hashed path, which must agree.
    let many: Vec<f64> = (0..20).map(|i| f64::from(i) + 0.5).chain([-0.0]).collect();
    assert_eq!(mask(&f32s, Op::In, many.clone()), [false, true, true]);
    assert_eq!(mask(&f32s, Op::NotIn, many), [true, false, false]);
    let f16s = arrow::compute::cast(&f32s, &DataType::Float16).unwrap();
    assert_eq!(mask(&f16s, Op::Eq, 0.5), [false, false, true]);
    assert_eq!(mask(&f16s, Op::Gt, 0.25), [false, false, true]);
    // An integer value against a float column raises, as in Python.
    let err = evaluate_literal("A", &f32s, Op::Eq, &Scalar::Int(1).into(), &strict());
    assert!(matches!(err, Err(Error::PredicateType { .. })));
}

// --- test_filter_df_from_predicates_empty_in ----------------------------------------------

#[test]
fn empty_in_and_not_in() {
    let day = date("2020-01-01");
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(vec![Some(1), None])),
        Arc::new(UInt8Array::from(vec![Some(1), None])),
        Arc::new(Float64Array::from(vec![Some(1.1), None])),
        Arc::new(StringArray::from(vec![Some("A"), None])),
        Arc::new(Date32Array::from(vec![Some(day), None])),
        Arc::new(TimestampNanosecondArray::from(vec![
            Some(i64::from(day) * NS_PER_DAY),
            None,
        ])),
        Arc::new(TimestampMicrosecondArray::from(vec![
            Some(i64::from(day) * NS_PER_DAY / 1000),
            None,
        ])),
        // No type check at all: even types the evaluator does not support.
        Arc::new(ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
            Some(vec![Some(1)]),
            None,
        ])),
    ];
    let empty: Vec<Scalar> = Vec::new();
    for column in columns {
        assert_eq!(mask(&column, Op::In, empty.clone()), [false, false]);
        assert_eq!(mask(&column, Op::NotIn, empty.clone()), [true, true]);
        let batch = batch(vec![
            ("A", column.clone()),
            ("B", Arc::new(Int64Array::from(vec![0, 1]))),
        ]);
        assert!(kept_rows(&batch, &one("A", Op::In, empty.clone()), &strict()).is_empty());
        let schema = batch.schema();
        check_types(&schema, &one("A", Op::NotIn, empty.clone()), &strict()).unwrap();
    }
}

// --- test_filter_df_from_predicates_or_predicates -----------------------------------------

#[test]
fn or_of_conjunctions() {
    let batch = batch(vec![
        ("A", Arc::new(Int64Array::from_iter_values(0..10))),
        (
            "S",
            Arc::new(StringArray::from_iter_values((0..10).map(|i| {
                if i % 2 == 0 {
                    "A"
                } else {
                    "B"
                }
            }))),
        ),
        ("B", Arc::new(Int64Array::from_iter_values(0..10))),
    ]);
    let never = Predicates::new(vec![
        Conjunction::new().with("A", Op::Lt, 3),
        Conjunction::new().with("A", Op::Gt, 5),
        Conjunction::new().with("S", Op::Eq, "non-existent"),
    ]);
    assert_eq!(kept_rows(&batch, &never, &strict()), [0, 1, 2, 6, 7, 8, 9]);
    let odd = Predicates::new(vec![
        Conjunction::new().with("A", Op::Lt, 3),
        Conjunction::new().with("A", Op::Gt, 5),
        Conjunction::new().with("S", Op::Eq, "B"),
    ]);
    assert_eq!(
        kept_rows(&batch, &odd, &strict()),
        [0, 1, 2, 3, 5, 6, 7, 8, 9]
    );
    // AND within a conjunction, and the text form gives the same.
    let text = Predicates::parse("A >= 2 and S == 'A' and A < 8 or A == 9").unwrap();
    assert_eq!(kept_rows(&batch, &text, &strict()), [2, 4, 6, 9]);
    let mask = evaluate(&batch, &text, &strict()).unwrap();
    assert_eq!(mask.null_count(), 0);
    assert_eq!(mask.true_count(), 4);
}

// --- type rules and check_types -----------------------------------------------------------

#[test]
fn check_types_names_column_type_and_value() {
    let schema = Schema::new(vec![
        Field::new("i", DataType::Int64, true),
        Field::new("s", DataType::Utf8, true),
        Field::new(
            "t",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
        Field::new("l", DataType::new_list(DataType::Int32, true), true),
        Field::new(
            "d",
            DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
            true,
        ),
    ]);
    let err = check_types(&schema, &one("i", Op::Eq, 2.0), &strict()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unexpected type for predicate: column `i` has type Int64, but predicate value 2.0 has type float"
    );
    // Each element of a list is checked.
    let err = check_types(
        &schema,
        &one("s", Op::In, vec![Scalar::from("a"), Scalar::Int(3)]),
        &strict(),
    )
    .unwrap_err();
    match err {
        Error::PredicateType {
            column,
            column_type,
            value,
            value_type,
        } => {
            assert_eq!(column, "s");
            assert_eq!(column_type, "Utf8");
            assert_eq!(value, "3");
            assert_eq!(value_type, "int");
        }
        other => panic!("{other}"),
    }
    let err = check_types(&schema, &one("t", Op::Eq, "yesterday"), &strict()).unwrap_err();
    assert!(
        matches!(&err, Error::PredicateType { column, value_type, .. }
            if column == "t" && value_type.contains("not a timestamp")),
        "{err}"
    );
    let err = check_types(&schema, &one("d", Op::Lt, 1), &strict()).unwrap_err();
    assert!(
        matches!(&err, Error::PredicateType { column, .. } if column == "d"),
        "{err}"
    );
    let err = check_types(&schema, &one("l", Op::Eq, 1), &strict()).unwrap_err();
    assert!(
        matches!(&err, Error::Unsupported(m) if m.contains("`l`")),
        "{err}"
    );
    // Unknown columns, all of them, sorted.
    let predicates = Predicates::new(vec![
        Conjunction::new()
            .with("zz", Op::Eq, 1)
            .with("i", Op::Eq, 1),
        Conjunction::new()
            .with("aa", Op::Eq, 1)
            .with("zz", Op::Eq, 2),
    ]);
    match check_types(&schema, &predicates, &strict()).unwrap_err() {
        Error::ColumnNotFound { columns } => assert_eq!(columns, ["aa", "zz"]),
        other => panic!("{other}"),
    }
    // Shape errors come from validation.
    let err = check_types(&schema, &Predicates::default(), &strict()).unwrap_err();
    assert!(matches!(err, Error::InvalidPredicate(_)));
    check_types(
        &schema,
        &Predicates::parse("i in (1, 2u, null) and s == 'x' and t >= '2020-01-01'").unwrap(),
        &strict(),
    )
    .unwrap();
    // The type check happens before any row is compared, even in a conjunction that an
    // earlier literal already made empty.
    let batch = batch(vec![
        ("i", Arc::new(Int64Array::from(vec![1]))),
        ("s", Arc::new(StringArray::from(vec!["x"]))),
    ]);
    let err = evaluate(
        &batch,
        &Predicates::parse("i == 5 and s == 1").unwrap(),
        &strict(),
    );
    assert!(matches!(err, Err(Error::PredicateType { .. })));
    let err = evaluate(&batch, &Predicates::parse("q == 5").unwrap(), &strict());
    assert!(matches!(err, Err(Error::ColumnNotFound { .. })));
}

#[test]
fn literal_shapes_are_validated() {
    let array = Int64Array::from(vec![1, 2]);
    for (op, value) in [
        (Op::Lt, Value::Scalar(Scalar::Null)),
        (Op::In, Value::Scalar(Scalar::Int(1))),
        (Op::Eq, Value::List(vec![Scalar::Int(1)])),
    ] {
        let err = evaluate_literal("A", &array, op, &value, &strict()).unwrap_err();
        assert!(
            matches!(err, Error::InvalidPredicate(_)),
            "{op} {value}: {err}"
        );
    }
}

#[test]
fn integers_outside_the_column_range() {
    let int8 = Int8Array::from(vec![Some(-128), Some(0), None, Some(127)]);
    assert_eq!(mask(&int8, Op::Eq, 1000), [false; 4]);
    assert_eq!(mask(&int8, Op::Lt, 1000), [true, true, false, true]);
    assert_eq!(mask(&int8, Op::Le, 1000), [true, true, false, true]);
    assert_eq!(mask(&int8, Op::Gt, 1000), [false; 4]);
    assert_eq!(mask(&int8, Op::Ne, 1000), [true; 4]);
    assert_eq!(mask(&int8, Op::Gt, -129), [true, true, false, true]);
    assert_eq!(mask(&int8, Op::Lt, -129), [false; 4]);
    assert_eq!(mask(&int8, Op::Ge, 127), [false, false, false, true]);
    assert_eq!(
        mask(&int8, Op::In, vec![1000, 0, -1000]),
        [false, true, false, false]
    );
    assert_eq!(
        mask(&int8, Op::NotIn, vec![1000, 127]),
        [true, true, true, false]
    );

    let uint = UInt16Array::from(vec![0, 7, u16::MAX]);
    assert_eq!(mask(&uint, Op::Gt, -1), [true; 3]);
    assert_eq!(mask(&uint, Op::Eq, -1), [false; 3]);
    assert_eq!(mask(&uint, Op::Le, 65_535), [true; 3]);
    assert_eq!(mask(&uint, Op::Lt, 65_536), [true; 3]);
    let u64s = UInt64Array::from(vec![0, u64::MAX]);
    assert_eq!(mask(&u64s, Op::Eq, u64::MAX), [false, true]);
    assert_eq!(mask(&u64s, Op::Ge, i64::MIN), [true, true]);
    let i64s = Int64Array::from(vec![i64::MIN, i64::MAX]);
    assert_eq!(mask(&i64s, Op::Lt, u64::MAX), [true, true]);
    assert_eq!(
        mask(&i64s, Op::Eq, Scalar::UInt(i64::MAX as u64)),
        [false, true]
    );
    let i16s = Int16Array::from(vec![1, 2]);
    assert_eq!(mask(&i16s, Op::Eq, Scalar::UInt(2)), [false, true]);
}

#[test]
fn long_in_lists_use_the_hashed_path() {
    let ints = Int64Array::from(vec![Some(5), None, Some(50), Some(500), Some(-5)]);
    let list: Vec<i64> = (0..100).map(|i| i * 5).collect();
    assert_eq!(
        mask(&ints, Op::In, list.clone()),
        [true, false, true, false, false]
    );
    assert_eq!(
        mask(&ints, Op::NotIn, list.clone()),
        [false, true, false, true, true]
    );
    let mut with_null: Vec<Scalar> = list.iter().map(|i| Scalar::Int(*i)).collect();
    with_null.push(Scalar::Null);
    assert_eq!(
        mask(&ints, Op::In, with_null.clone()),
        [true, true, true, false, false]
    );
    assert_eq!(
        mask(&ints, Op::NotIn, with_null),
        [false, false, false, true, true]
    );

    let strings = StringArray::from(vec![Some("k5"), None, Some("k50"), Some("x"), Some("")]);
    let keys: Vec<String> = (0..100).map(|i| format!("k{i}")).collect();
    let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    assert_eq!(
        mask(&strings, Op::In, key_refs.clone()),
        [true, false, true, false, false]
    );
    assert_eq!(
        mask(&strings, Op::NotIn, key_refs.clone()),
        [false, true, false, true, true]
    );
    for array in [
        Arc::new(LargeStringArray::from(vec![Some("k5"), None, Some("zz")])) as ArrayRef,
        Arc::new(StringViewArray::from(vec![Some("k5"), None, Some("zz")])),
        Arc::new(
            vec![Some("k5"), None, Some("zz")]
                .into_iter()
                .collect::<DictionaryArray<Int32Type>>(),
        ),
    ] {
        assert_eq!(mask(&array, Op::In, key_refs.clone()), [true, false, false]);
        assert_eq!(mask(&array, Op::In, vec!["k5", "k6"]), [true, false, false]);
        assert_eq!(
            mask(&array, Op::NotIn, key_refs.clone()),
            [false, true, true]
        );
    }
    let binary = BinaryArray::from(vec![Some(&b"k5"[..]), None, Some(b"\xff")]);
    assert_eq!(
        mask(&binary, Op::In, key_refs.clone()),
        [true, false, false]
    );
    let large_binary = LargeBinaryArray::from(vec![Some(&b"k5"[..]), None, Some(b"\xff")]);
    let mut bytes: Vec<Scalar> = key_refs
        .iter()
        .map(|k| Scalar::Binary(k.as_bytes().to_vec()))
        .collect();
    bytes.push(Scalar::Binary(vec![0xff]));
    assert_eq!(
        mask(&large_binary, Op::In, bytes.clone()),
        [true, false, true]
    );
    let view = BinaryViewArray::from(vec![Some(&b"k5"[..]), None, Some(b"\xfe")]);
    assert_eq!(mask(&view, Op::In, bytes), [true, false, false]);

    let day = i64::from(date("2020-01-01"));
    let stamps = TimestampMillisecondArray::from(vec![day * 86_400_000, day * 86_400_000 + 1])
        .with_timezone("Europe/Berlin");
    let instants: Vec<Scalar> = (0..50)
        .map(|i| ts((day * 86_400_000 + i * 2) * 1_000_000, TimeUnit::Nanosecond))
        .collect();
    assert_eq!(mask(&stamps, Op::In, instants), [true, false]);
}

#[test]
fn dictionaries_with_null_keys_and_values() {
    // Keys: 0 -> "b", 1 -> null value, null key, 2 -> "a".
    let array = DictionaryArray::try_new(
        Int32Array::from(vec![Some(0), Some(1), None, Some(2), Some(0)]),
        Arc::new(StringArray::from(vec![Some("b"), None, Some("a")])),
    )
    .unwrap();
    assert_eq!(selected(&mask(&array, Op::Eq, "b")), [0, 4]);
    assert_eq!(selected(&mask(&array, Op::Ne, "b")), [1, 2, 3]);
    assert_eq!(selected(&mask(&array, Op::Lt, "b")), [3]);
    assert_eq!(selected(&mask(&array, Op::Eq, Scalar::Null)), [1, 2]);
    assert_eq!(
        selected(&mask(&array, Op::IsDistinctFrom, Scalar::Null)),
        [0, 3, 4]
    );
    assert_eq!(
        selected(&mask(&array, Op::In, vec![Scalar::from("a"), Scalar::Null])),
        [1, 2, 3]
    );
    assert_eq!(
        selected(&mask(
            &array,
            Op::NotIn,
            vec![Scalar::from("a"), Scalar::Null]
        )),
        [0, 4]
    );
    assert_eq!(selected(&mask(&array, Op::NotIn, vec!["a"])), [0, 1, 2, 4]);
    // A sliced dictionary keeps its keys' offset.
    let sliced = array.slice(2, 3);
    assert_eq!(mask(&sliced, Op::Eq, "a"), [false, true, false]);
    // Dictionaries of integers compare as integers.
    let ints = DictionaryArray::try_new(
        Int32Array::from(vec![0, 1, 0]),
        Arc::new(Int8Array::from(vec![5, -3])),
    )
    .unwrap();
    assert_eq!(mask(&ints, Op::Gt, 0), [true, false, true]);
    assert_eq!(mask(&ints, Op::Lt, 1000), [true, true, true]);
    assert!(coerce_value("A", ints.data_type(), &Scalar::from("5"), &strict()).is_err());
}

#[test]
fn sliced_arrays() {
    let array = Int64Array::from(vec![Some(1), None, Some(3), Some(4), None, Some(6)]);
    let sliced = array.slice(1, 4);
    assert_eq!(mask(&sliced, Op::Gt, 2), [false, true, true, false]);
    assert_eq!(mask(&sliced, Op::Ne, 3), [true, false, true, true]);
    let floats = Float64Array::from(vec![Some(f64::NAN), Some(1.0), None, Some(2.0)]);
    let sliced = floats.slice(1, 3);
    assert_eq!(mask(&sliced, Op::Ne, 1.0), [false, true, true]);
    assert_eq!(mask(&sliced, Op::Eq, Scalar::Null), [false, true, false]);
    let strings = StringArray::from(vec!["a", "b", "c"]).slice(1, 2);
    assert_eq!(mask(&strings, Op::Ge, "b"), [true, true]);
    let batch = batch(vec![
        ("A", Arc::new(array.slice(2, 4))),
        ("B", Arc::new(Int64Array::from(vec![0, 1, 2, 3]))),
    ]);
    assert_eq!(kept_rows(&batch, &one("A", Op::Le, 4), &strict()), [0, 1]);
}

#[test]
fn strings_compare_by_code_point() {
    let array = StringArray::from(vec!["B", "a", "é", "z", "É", "", "ab"]);
    assert_eq!(selected(&mask(&array, Op::Lt, "a")), [0, 5]);
    assert_eq!(selected(&mask(&array, Op::Gt, "z")), [2, 4]);
    assert_eq!(selected(&mask(&array, Op::Ge, "a")), [1, 2, 3, 4, 6]);
    // Bytes are decoded for string columns; invalid UTF-8 is a type error.
    assert_eq!(
        selected(&mask(&array, Op::Eq, Scalar::Binary(b"ab".to_vec()))),
        [6]
    );
    let err = evaluate_literal(
        "A",
        &array,
        Op::Eq,
        &Scalar::Binary(vec![0xff]).into(),
        &strict(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::PredicateType { .. }), "{err}");
    // Strings are encoded for binary columns.
    let binary = BinaryArray::from_vec(vec![b"ab", b"b"]);
    assert_eq!(mask(&binary, Op::Eq, "ab"), [true, false]);
    assert_eq!(mask(&binary, Op::Lt, "b"), [true, false]);
}

#[test]
fn fixed_size_binary_against_any_length() {
    let array = FixedSizeBinaryArray::try_from_sparse_iter_with_size(
        vec![Some(b"ab".to_vec()), None, Some(b"ba".to_vec())].into_iter(),
        2,
    )
    .unwrap();
    assert_eq!(
        mask(&array, Op::Eq, Scalar::Binary(b"ab".to_vec())),
        [true, false, false]
    );
    assert_eq!(
        mask(&array, Op::Eq, Scalar::Binary(b"abc".to_vec())),
        [false; 3]
    );
    assert_eq!(
        mask(&array, Op::Lt, Scalar::Binary(b"abc".to_vec())),
        [true, false, false]
    );
    assert_eq!(
        mask(&array, Op::Gt, Scalar::Binary(b"b".to_vec())),
        [false, false, true]
    );
    assert_eq!(
        mask(&array, Op::Ne, Scalar::Binary(b"b".to_vec())),
        [true, true, true]
    );
    assert_eq!(
        mask(&array, Op::In, vec!["ba", "abc"]),
        [false, false, true]
    );
}

#[test]
fn dates_and_date_strings() {
    let d = date("2020-01-02");
    let d32 = Date32Array::from(vec![Some(d - 1), Some(d), None, Some(d + 1)]);
    let d64 = Date64Array::from(vec![
        Some(i64::from(d - 1) * 86_400_000),
        Some(i64::from(d) * 86_400_000),
        None,
        Some(i64::from(d + 1) * 86_400_000),
    ]);
    for array in [&d32 as &dyn Array, &d64] {
        // DECISION 2: a `YYYY-MM-DD` string is a date on any date column.
        for value in [Scalar::Date(d), Scalar::from("2020-01-02")] {
            assert_eq!(
                mask(array, Op::Eq, value.clone()),
                [false, true, false, false]
            );
            assert_eq!(
                mask(array, Op::Ge, value.clone()),
                [false, true, false, true]
            );
            assert_eq!(
                mask(array, Op::Ne, value.clone()),
                [true, false, true, true]
            );
            assert_eq!(
                mask(array, Op::In, vec![value.clone()]),
                [false, true, false, false]
            );
        }
        let many: Vec<Scalar> = (0..20).map(|i| Scalar::Date(d + 1 + i)).collect();
        assert_eq!(mask(array, Op::In, many), [false, false, false, true]);
        let err = evaluate_literal(
            "A",
            array,
            Op::Eq,
            &Scalar::from("2020-1-2x").into(),
            &strict(),
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::PredicateType { value_type, .. } if value_type.contains("YYYY-MM-DD")),
            "{err}"
        );
    }
    assert_eq!(
        coerce_value(
            "A",
            &DataType::Date64,
            &Scalar::from("2020-01-02"),
            &strict()
        )
        .unwrap(),
        Scalar::Date(d)
    );
}

#[test]
fn decimals_against_decimal_and_integer_values() {
    // 1.00, 1.25, null, -2.50 at scale 2.
    let array = Decimal128Array::from(vec![Some(100), Some(125), None, Some(-250)])
        .with_precision_and_scale(10, 2)
        .unwrap();
    let dec = |value: i128, scale: i8| Scalar::Decimal {
        value,
        precision: 10,
        scale,
    };
    assert_eq!(mask(&array, Op::Eq, 1), [true, false, false, false]);
    assert_eq!(
        mask(&array, Op::Eq, dec(125, 2)),
        [false, true, false, false]
    );
    assert_eq!(
        mask(&array, Op::Eq, dec(1250, 3)),
        [false, true, false, false]
    );
    // 1.251 lies between 1.25 and 1.26.
    assert_eq!(mask(&array, Op::Eq, dec(1251, 3)), [false; 4]);
    assert_eq!(
        mask(&array, Op::Le, dec(1251, 3)),
        [true, true, false, true]
    );
    assert_eq!(
        mask(&array, Op::Gt, dec(1249, 3)),
        [false, true, false, false]
    );
    assert_eq!(mask(&array, Op::Lt, dec(-2501, 3)), [false; 4]);
    assert_eq!(
        mask(&array, Op::Le, dec(-2499, 3)),
        [false, false, false, true]
    );
    assert_eq!(mask(&array, Op::Ne, dec(1251, 3)), [true; 4]);
    assert_eq!(
        mask(&array, Op::Lt, Scalar::UInt(u64::MAX)),
        [true, true, false, true]
    );
    assert_eq!(
        mask(&array, Op::In, vec![dec(1, 0), dec(1251, 3), dec(-25, 1)]),
        [true, false, false, true]
    );
    // Negative scales and scales far apart.
    assert_eq!(mask(&array, Op::Lt, dec(1, -1)), [true, true, false, true]);
    assert_eq!(mask(&array, Op::Gt, dec(1, 38)), [true, true, false, false]);
    assert_eq!(
        mask(&array, Op::Lt, dec(-1, 38)),
        [false, false, false, true]
    );
    let err = evaluate_literal("A", &array, Op::Eq, &Scalar::Float(1.0).into(), &strict());
    assert!(matches!(err, Err(Error::PredicateType { .. })));

    let wide = Decimal256Array::from(vec![Some(i256::from_i128(100)), Some(i256::MAX), None])
        .with_precision_and_scale(76, 2)
        .unwrap();
    assert_eq!(mask(&wide, Op::Eq, 1), [true, false, false]);
    assert_eq!(mask(&wide, Op::Gt, dec(1001, 3)), [false, true, false]);
    assert_eq!(mask(&wide, Op::Ge, dec(1, 0)), [true, true, false]);
    assert_eq!(
        mask(&wide, Op::Lt, Scalar::Int(i64::MAX)),
        [true, false, false]
    );
    assert_eq!(
        mask(&wide, Op::In, vec![dec(100, 2), dec(1001, 3)]),
        [true, false, false]
    );

    assert_eq!(
        coerce_value("A", array.data_type(), &Scalar::Int(3), &strict()).unwrap(),
        Scalar::Decimal {
            value: 300,
            precision: 10,
            scale: 2
        }
    );
    assert_eq!(
        coerce_value("A", array.data_type(), &dec(1251, 3), &strict()).unwrap(),
        dec(1251, 3)
    );
}

#[test]
fn null_typed_columns_follow_the_null_rules() {
    // DECISION 4: row-wise null semantics rather than dropping the conjunction.
    let array = NullArray::new(3);
    assert_eq!(mask(&array, Op::Eq, 1), [false; 3]);
    assert_eq!(mask(&array, Op::Ne, 1), [true; 3]);
    assert_eq!(mask(&array, Op::Lt, "x"), [false; 3]);
    assert_eq!(mask(&array, Op::Eq, Scalar::Null), [true; 3]);
    assert_eq!(mask(&array, Op::IsDistinctFrom, Scalar::Null), [false; 3]);
    assert_eq!(
        mask(&array, Op::In, vec![Scalar::Int(1), Scalar::Null]),
        [true; 3]
    );
    assert_eq!(mask(&array, Op::NotIn, vec![1]), [true; 3]);
    assert_eq!(mask(&array, Op::NotIn, vec![Scalar::Null]), [false; 3]);
}

#[test]
fn unsupported_column_types() {
    let time = Time64MicrosecondArray::from(vec![1]);
    let err =
        evaluate_literal("clock", &time, Op::Eq, &Scalar::Int(1).into(), &strict()).unwrap_err();
    assert!(
        matches!(&err, Error::Unsupported(m) if m.contains("`clock`")),
        "{err}"
    );
    let err =
        evaluate_literal("clock", &time, Op::Eq, &Scalar::Null.into(), &strict()).unwrap_err();
    assert!(matches!(err, Error::Unsupported(_)));
}

#[test]
fn coerce_value_gives_the_column_representation() {
    let c = |dt: &DataType, v: Scalar| coerce_value("A", dt, &v, &strict()).unwrap();
    assert_eq!(c(&DataType::Int8, Scalar::Int(1000)), Scalar::Int(1000));
    assert_eq!(c(&DataType::Int8, Scalar::UInt(5)), Scalar::Int(5));
    assert_eq!(
        c(&DataType::Int64, Scalar::UInt(u64::MAX)),
        Scalar::UInt(u64::MAX)
    );
    assert_eq!(c(&DataType::UInt8, Scalar::Int(5)), Scalar::UInt(5));
    assert_eq!(c(&DataType::UInt32, Scalar::Int(-1)), Scalar::Int(-1));
    assert_eq!(
        c(&DataType::Float32, Scalar::Float(0.5)),
        Scalar::Float(0.5)
    );
    assert_eq!(c(&DataType::Float32, Scalar::Float(f64::NAN)), Scalar::Null);
    assert_eq!(
        c(&DataType::Utf8View, Scalar::Binary(b"x".to_vec())),
        Scalar::from("x")
    );
    assert_eq!(
        c(&DataType::LargeBinary, Scalar::from("x")),
        Scalar::Binary(b"x".to_vec())
    );
    assert_eq!(
        c(&DataType::FixedSizeBinary(1), Scalar::from("x")),
        Scalar::Binary(b"x".to_vec())
    );
    assert_eq!(c(&DataType::Null, Scalar::Int(1)), Scalar::Int(1));
    let dict = DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Date32));
    assert_eq!(c(&dict, Scalar::from("1970-01-02")), Scalar::Date(1));

    let us = DataType::Timestamp(TimeUnit::Microsecond, Some("Europe/Berlin".into()));
    let got = c(&us, ts(1_000, TimeUnit::Nanosecond));
    assert!(
        matches!(
            &got,
            Scalar::Timestamp { value: 1, unit: TimeUnit::Microsecond, tz: Some(tz) } if &**tz == "Europe/Berlin"
        ),
        "{got:?}"
    );
    let got = c(&us, ts(1_001, TimeUnit::Nanosecond));
    assert!(
        matches!(
            got,
            Scalar::Timestamp {
                value: 1_001,
                unit: TimeUnit::Nanosecond,
                ..
            }
        ),
        "{got:?}"
    );
    let got = c(&us, Scalar::from("1970-01-01T00:00:01"));
    assert!(
        matches!(
            got,
            Scalar::Timestamp {
                value: 1_000_000,
                unit: TimeUnit::Microsecond,
                ..
            }
        ),
        "{got:?}"
    );
    // Beyond the nanosecond range: kept in a unit that holds it.
    let ns = DataType::Timestamp(TimeUnit::Nanosecond, None);
    let far = ts(i64::MAX / 10, TimeUnit::Second);
    let got = c(&ns, far.clone());
    assert_eq!(got.partial_cmp_value(&far), Some(Ordering::Equal));
    // Dates on timestamp columns only without strict date types.
    assert!(coerce_value("A", &ns, &Scalar::Date(1), &strict()).is_err());
    let got = coerce_value("A", &ns, &Scalar::Date(1), &lenient()).unwrap();
    assert!(
        matches!(got, Scalar::Timestamp { value, unit: TimeUnit::Nanosecond, .. } if value == NS_PER_DAY),
        "{got:?}"
    );
    let err = coerce_value("A", &DataType::Boolean, &Scalar::from("True"), &strict()).unwrap_err();
    assert!(matches!(err, Error::PredicateType { .. }));
}

#[test]
fn timestamps_against_date_values_without_strict_types() {
    // Planning semantics: the date means midnight UTC.
    let column = day_series(TimeUnit::Microsecond, Some("UTC"));
    let value = Scalar::Date(date("2019-01-06"));
    let ords: Vec<Ordering> = (0..10).map(|i: i32| i.cmp(&5)).collect();
    for op in Op::ALL {
        assert_eq!(
            selected(&mask_with(&column, op, rhs(op, value.clone()), &lenient())),
            expected(&ords, op),
            "{op}"
        );
    }
}

#[test]
fn empty_batches() {
    let batch = batch(vec![("B", Arc::new(Int64Array::from(Vec::<i64>::new())))]);
    let mask = evaluate(&batch, &one("B", Op::NotIn, Vec::<i64>::new()), &strict()).unwrap();
    assert_eq!(mask.len(), 0);
}
