//! The evaluator against a naive row-by-row evaluator built on `Scalar::try_from_array` and
//! `Scalar::partial_cmp_value`: random columns (with nulls and NaN), random literals (also
//! outside the columns' ranges and finer than their units), all nine operators, random DNFs.

use std::cmp::Ordering;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BinaryArray, BooleanArray, Date32Array, Decimal128Array, DictionaryArray,
    Float64Array, Int64Array, Int8Array, LargeStringArray, RecordBatch, StringArray,
    TimestampMicrosecondArray, TimestampNanosecondArray, UInt64Array,
};
use arrow::datatypes::{Int32Type, TimeUnit};
use plateau_core::{Conjunction, Literal, Op, Predicates, Scalar, Value};
use plateau_serialization::filter::{coerce_value, evaluate, filter_batch, EvalOptions};
use proptest::prelude::*;
use proptest::sample::select;

/// 2020-01-01 as seconds since the epoch: timestamps cluster around it.
const BASE_SECONDS: i64 = 1_577_836_800;
/// 2019-04-14 as days since the epoch: dates cluster around it.
const BASE_DAY: i32 = 18_000;

const WORDS: [&str; 7] = ["", "a", "b", "ab", "é", "B", "a\u{0}b"];
const BLOBS: [&[u8]; 6] = [b"", b"\x00", b"\x01", b"\x00\x01", b"\xff", b"a"];
const ZONES: [Option<&str>; 3] = [None, Some("UTC"), Some("Europe/Berlin")];

#[derive(Clone, Copy, Debug)]
enum Kind {
    Int8,
    Int64,
    UInt64,
    Float64,
    Utf8,
    LargeUtf8,
    Dictionary,
    Date32,
    TimestampUs(Option<&'static str>),
    TimestampNs(Option<&'static str>),
    Bool,
    Binary,
    /// decimal128(12, 2)
    Decimal,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Int8),
        Just(Kind::Int64),
        Just(Kind::UInt64),
        Just(Kind::Float64),
        Just(Kind::Utf8),
        Just(Kind::LargeUtf8),
        Just(Kind::Dictionary),
        Just(Kind::Date32),
        select(ZONES.to_vec()).prop_map(Kind::TimestampUs),
        select(ZONES.to_vec()).prop_map(Kind::TimestampNs),
        Just(Kind::Bool),
        Just(Kind::Binary),
        Just(Kind::Decimal),
    ]
}

/// A value of a row or `None` for a null row, `weight` of 5 to be null.
fn maybe<T: std::fmt::Debug + Clone>(
    values: impl Strategy<Value = T>,
) -> impl Strategy<Value = Option<T>> {
    prop_oneof![1 => Just(None), 4 => values.prop_map(Some)]
}

/// Microsecond offsets from the base instant: whole seconds and sub-second values.
fn micros() -> impl Strategy<Value = i64> {
    prop_oneof![
        (-3i64..3).prop_map(|s| s * 1_000_000),
        (-3_000_000i64..3_000_000),
    ]
}

fn column(kind: Kind, len: usize) -> BoxedStrategy<ArrayRef> {
    let n = len..=len;
    match kind {
        Kind::Int8 => {
            proptest::collection::vec(maybe(prop_oneof![-5i8..5, Just(i8::MIN), Just(i8::MAX)]), n)
                .prop_map(|v| Arc::new(Int8Array::from(v)) as ArrayRef)
                .boxed()
        }
        Kind::Int64 => proptest::collection::vec(
            maybe(prop_oneof![-5i64..5, Just(i64::MIN), Just(i64::MAX)]),
            n,
        )
        .prop_map(|v| Arc::new(Int64Array::from(v)) as ArrayRef)
        .boxed(),
        Kind::UInt64 => proptest::collection::vec(
            maybe(prop_oneof![0u64..5, Just(u64::MAX), Just(1u64 << 63)]),
            n,
        )
        .prop_map(|v| Arc::new(UInt64Array::from(v)) as ArrayRef)
        .boxed(),
        Kind::Float64 => proptest::collection::vec(
            maybe(prop_oneof![
                (-6i32..6).prop_map(|x| f64::from(x) / 2.0),
                Just(f64::NAN),
                Just(-0.0),
                Just(f64::INFINITY),
                Just(f64::NEG_INFINITY),
            ]),
            n,
        )
        .prop_map(|v| Arc::new(Float64Array::from(v)) as ArrayRef)
        .boxed(),
        Kind::Utf8 => proptest::collection::vec(maybe(select(WORDS.to_vec())), n)
            .prop_map(|v| Arc::new(StringArray::from(v)) as ArrayRef)
            .boxed(),
        Kind::LargeUtf8 => proptest::collection::vec(maybe(select(WORDS.to_vec())), n)
            .prop_map(|v| Arc::new(LargeStringArray::from(v)) as ArrayRef)
            .boxed(),
        Kind::Dictionary => proptest::collection::vec(maybe(select(WORDS.to_vec())), n)
            .prop_map(|v| {
                Arc::new(v.into_iter().collect::<DictionaryArray<Int32Type>>()) as ArrayRef
            })
            .boxed(),
        Kind::Date32 => proptest::collection::vec(maybe(BASE_DAY - 3..BASE_DAY + 3), n)
            .prop_map(|v| Arc::new(Date32Array::from(v)) as ArrayRef)
            .boxed(),
        Kind::TimestampUs(tz) => proptest::collection::vec(maybe(micros()), n)
            .prop_map(move |v| {
                let v: Vec<Option<i64>> = v
                    .into_iter()
                    .map(|o| o.map(|us| BASE_SECONDS * 1_000_000 + us))
                    .collect();
                Arc::new(TimestampMicrosecondArray::from(v).with_timezone_opt(tz)) as ArrayRef
            })
            .boxed(),
        Kind::TimestampNs(tz) => {
            proptest::collection::vec(maybe((micros(), prop_oneof![Just(0i64), -2i64..2])), n)
                .prop_map(move |v| {
                    let v: Vec<Option<i64>> = v
                        .into_iter()
                        .map(|o| o.map(|(us, ns)| (BASE_SECONDS * 1_000_000 + us) * 1_000 + ns))
                        .collect();
                    Arc::new(TimestampNanosecondArray::from(v).with_timezone_opt(tz)) as ArrayRef
                })
                .boxed()
        }
        Kind::Bool => proptest::collection::vec(maybe(any::<bool>()), n)
            .prop_map(|v| Arc::new(BooleanArray::from(v)) as ArrayRef)
            .boxed(),
        Kind::Binary => proptest::collection::vec(maybe(select(BLOBS.to_vec())), n)
            .prop_map(|v| Arc::new(BinaryArray::from(v)) as ArrayRef)
            .boxed(),
        Kind::Decimal => proptest::collection::vec(
            maybe(prop_oneof![(-3i128..3).prop_map(|x| x * 100), -40i128..40]),
            n,
        )
        .prop_map(|v| {
            Arc::new(
                Decimal128Array::from(v)
                    .with_precision_and_scale(12, 2)
                    .expect("values fit decimal(12, 2)"),
            ) as ArrayRef
        })
        .boxed(),
    }
}

/// A non-null literal value that fits `kind`, often near the column's values, sometimes
/// outside its range or between two representable values.
fn value(kind: Kind) -> BoxedStrategy<Scalar> {
    match kind {
        Kind::Int8 | Kind::Int64 | Kind::UInt64 => prop_oneof![
            4 => (-6i64..6).prop_map(Scalar::Int),
            1 => (0u64..6).prop_map(Scalar::UInt),
            1 => select(vec![
                Scalar::Int(1000),
                Scalar::Int(-1000),
                Scalar::Int(-129),
                Scalar::Int(128),
                Scalar::Int(127),
                Scalar::Int(-128),
                Scalar::Int(-1),
                Scalar::Int(i64::MIN),
                Scalar::Int(i64::MAX),
                Scalar::UInt(u64::MAX),
                Scalar::UInt(1 << 63),
            ]),
        ]
        .boxed(),
        Kind::Float64 => prop_oneof![
            4 => (-7i32..7).prop_map(|x| Scalar::Float(f64::from(x) / 2.0)),
            1 => select(vec![
                Scalar::Float(0.25),
                Scalar::Float(-0.0),
                Scalar::Float(1e300),
                Scalar::Float(f64::INFINITY),
                Scalar::Float(f64::NEG_INFINITY),
            ]),
        ]
        .boxed(),
        Kind::Utf8 | Kind::LargeUtf8 | Kind::Dictionary => prop_oneof![
            4 => select(WORDS.to_vec()).prop_map(Scalar::from),
            1 => select(vec!["zz", "aa", "\u{10ffff}"]).prop_map(Scalar::from),
            1 => select(WORDS.to_vec()).prop_map(|w| Scalar::Binary(w.as_bytes().to_vec())),
        ]
        .boxed(),
        Kind::Date32 => prop_oneof![
            3 => (BASE_DAY - 4..BASE_DAY + 4).prop_map(Scalar::Date),
            1 => (BASE_DAY - 4..BASE_DAY + 4).prop_map(|d| {
                Scalar::from(plateau_core::temporal::date_to_string(d).unwrap_or_default())
            }),
        ]
        .boxed(),
        Kind::TimestampUs(_) | Kind::TimestampNs(_) => prop_oneof![
            4 => (
                prop_oneof![(-3i64..3).prop_map(|s| s * 1_000_000), micros()],
                -2i64..=2,
                select(vec![
                    TimeUnit::Second,
                    TimeUnit::Millisecond,
                    TimeUnit::Microsecond,
                    TimeUnit::Nanosecond,
                ]),
                select(ZONES.to_vec()),
            )
                .prop_map(|(us, ns, unit, tz)| {
                    let nanos = i128::from(BASE_SECONDS * 1_000_000 + us) * 1_000 + i128::from(ns);
                    let factor = Scalar::timestamp_nanos(1, unit);
                    // In units coarser than the instant, the floor: still a valid value.
                    let value = i64::try_from(nanos.div_euclid(factor)).unwrap_or_default();
                    Scalar::Timestamp {
                        value,
                        unit,
                        tz: tz.map(Into::into),
                    }
                }),
            1 => (-3i64..3).prop_map(|s| {
                Scalar::from(
                    plateau_core::temporal::timestamp_to_iso(
                        BASE_SECONDS + s,
                        TimeUnit::Second,
                        None,
                    )
                    .unwrap_or_default(),
                )
            }),
            1 => select(vec![
                Scalar::Timestamp { value: i64::MAX, unit: TimeUnit::Second, tz: None },
                Scalar::Timestamp { value: i64::MIN, unit: TimeUnit::Millisecond, tz: None },
            ]),
        ]
        .boxed(),
        Kind::Bool => any::<bool>().prop_map(Scalar::Bool).boxed(),
        Kind::Decimal => prop_oneof![
            2 => (-4i64..4).prop_map(Scalar::Int),
            // Hundredths near the data, with extra digits at scales 3 and 4 that fall
            // between two values of the column's scale.
            4 => (-40i128..40, -9i128..=9, 1i8..5).prop_map(|(hundredths, extra, scale)| {
                let value = match scale {
                    1 => hundredths / 10,
                    2 => hundredths,
                    3 => hundredths * 10 + extra,
                    _ => hundredths * 100 + extra * 10 + extra.signum(),
                };
                Scalar::Decimal { value, precision: 12, scale }
            }),
            1 => select(vec![
                Scalar::Decimal { value: 1, precision: 38, scale: 38 },
                Scalar::Decimal { value: -1, precision: 38, scale: 38 },
                Scalar::Decimal { value: 1, precision: 1, scale: -30 },
                Scalar::UInt(u64::MAX),
            ]),
        ]
        .boxed(),
        Kind::Binary => prop_oneof![
            4 => select(BLOBS.to_vec()).prop_map(|b| Scalar::Binary(b.to_vec())),
            1 => Just(Scalar::from("a")),
            1 => Just(Scalar::Binary(b"\xff\xff".to_vec())),
        ]
        .boxed(),
    }
}

fn null() -> impl Strategy<Value = Scalar> {
    prop_oneof![Just(Scalar::Null), Just(Scalar::Float(f64::NAN))]
}

fn literal(name: String, kind: Kind) -> BoxedStrategy<Literal> {
    let scalar_ops = select(vec![
        Op::Eq,
        Op::Ne,
        Op::Lt,
        Op::Le,
        Op::Gt,
        Op::Ge,
        Op::IsDistinctFrom,
    ]);
    let with_null = prop_oneof![6 => value(kind), 1 => null()];
    let n1 = name.clone();
    let n2 = name.clone();
    let n3 = name;
    prop_oneof![
        4 => (scalar_ops, value(kind)).prop_map(move |(op, v)| Literal::new(n1.clone(), op, v)),
        1 => (select(vec![Op::Eq, Op::Ne, Op::IsDistinctFrom]), null())
            .prop_map(move |(op, v)| Literal::new(n2.clone(), op, v)),
        3 => (
            select(vec![Op::In, Op::NotIn]),
            proptest::collection::vec(with_null, 0..20),
        )
            .prop_map(move |(op, list)| Literal::new(n3.clone(), op, Value::List(list))),
    ]
    .boxed()
}

/// A batch of up to three random columns (`c0`, `c1`, `c2`), a DNF over them, and an offset to
/// slice the batch at.
fn case() -> impl Strategy<Value = (RecordBatch, Predicates, usize)> {
    (
        proptest::collection::vec(kind(), 1..=3),
        0usize..40,
        0usize..4,
    )
        .prop_flat_map(|(kinds, len, offset)| {
            let columns: Vec<BoxedStrategy<ArrayRef>> =
                kinds.iter().map(|k| column(*k, len + offset)).collect();
            let literals: Vec<BoxedStrategy<Literal>> = kinds
                .iter()
                .enumerate()
                .map(|(i, k)| literal(format!("c{i}"), *k))
                .collect();
            let conjunction = proptest::collection::vec(select(literals), 1..=3)
                .prop_flat_map(|strategies| strategies);
            let predicates = proptest::collection::vec(conjunction, 1..=3)
                .prop_map(|cs| Predicates::new(cs.into_iter().map(Conjunction::from).collect()));
            (columns, predicates).prop_map(move |(columns, predicates)| {
                let batch = RecordBatch::try_from_iter(
                    columns
                        .into_iter()
                        .enumerate()
                        .map(|(i, c)| (format!("c{i}"), c)),
                )
                .expect("columns of equal length");
                (batch.slice(offset, len), predicates, offset)
            })
        })
}

/// plateau's semantics, one row at a time.
fn naive_literal(array: &dyn Array, literal: &Literal, options: &EvalOptions) -> Vec<bool> {
    let coerce = |v: &Scalar| {
        coerce_value(&literal.column, array.data_type(), v, options)
            .expect("generated values fit their column")
    };
    (0..array.len())
        .map(|i| {
            let row = Scalar::try_from_array(array, i).expect("generated types have scalars");
            let row_null = row.is_null();
            match &literal.value {
                Value::Scalar(value) => {
                    let value = coerce(value);
                    if value.is_null() {
                        match literal.op {
                            Op::Eq => row_null,
                            _ => !row_null,
                        }
                    } else if row_null {
                        matches!(literal.op, Op::Ne | Op::IsDistinctFrom)
                    } else {
                        let ord = row
                            .partial_cmp_value(&value)
                            .expect("non-null values of one column type compare");
                        match literal.op {
                            Op::Eq => ord == Ordering::Equal,
                            Op::Ne | Op::IsDistinctFrom => ord != Ordering::Equal,
                            Op::Lt => ord == Ordering::Less,
                            Op::Le => ord != Ordering::Greater,
                            Op::Gt => ord == Ordering::Greater,
                            Op::Ge => ord != Ordering::Less,
                            Op::In | Op::NotIn => unreachable!("validated"),
                        }
                    }
                }
                Value::List(items) => {
                    let items: Vec<Scalar> = items.iter().map(coerce).collect();
                    let found = if row_null {
                        items.iter().any(Scalar::is_null)
                    } else {
                        items.iter().any(|v| {
                            !v.is_null() && row.partial_cmp_value(v) == Some(Ordering::Equal)
                        })
                    };
                    (literal.op == Op::In) == found
                }
            }
        })
        .collect()
}

fn naive(batch: &RecordBatch, predicates: &Predicates, options: &EvalOptions) -> Vec<bool> {
    let mut any = vec![false; batch.num_rows()];
    for conjunction in &predicates.conjunctions {
        let mut all = vec![true; batch.num_rows()];
        for literal in &conjunction.literals {
            let array = batch
                .column_by_name(&literal.column)
                .expect("literals use the batch's columns");
            for (a, b) in all.iter_mut().zip(naive_literal(array, literal, options)) {
                *a &= b;
            }
        }
        for (a, b) in any.iter_mut().zip(all) {
            *a |= b;
        }
    }
    any
}

/// One column and one literal: every case exercises a literal's kernel directly, without
/// other literals masking its outcome.
fn single() -> impl Strategy<Value = (RecordBatch, Predicates)> {
    (kind(), 0usize..40).prop_flat_map(|(kind, len)| {
        (column(kind, len), literal("c0".to_owned(), kind)).prop_map(|(column, literal)| {
            let batch = RecordBatch::try_from_iter([("c0", column)]).expect("one column");
            (batch, Predicates::all(Conjunction::from(vec![literal])))
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn literals_match_naive_evaluator((batch, predicates) in single()) {
        let options = EvalOptions::default();
        let mask = evaluate(&batch, &predicates, &options).expect("generated predicates are valid");
        prop_assert_eq!(mask.null_count(), 0);
        let got: Vec<bool> = mask.iter().map(|b| b.unwrap_or_default()).collect();
        prop_assert_eq!(got, naive(&batch, &predicates, &options), "{}", predicates);
    }

    #[test]
    fn evaluator_matches_naive_evaluator((batch, predicates, _offset) in case()) {
        let options = EvalOptions::default();
        let mask = evaluate(&batch, &predicates, &options).expect("generated predicates are valid");
        prop_assert_eq!(mask.null_count(), 0);
        let got: Vec<bool> = mask.iter().map(|b| b.unwrap_or_default()).collect();
        let want = naive(&batch, &predicates, &options);
        prop_assert_eq!(&got, &want, "{}", predicates);
        let kept = filter_batch(&batch, &predicates, &options).expect("generated predicates are valid");
        prop_assert_eq!(kept.num_rows(), want.iter().filter(|b| **b).count());
    }
}
