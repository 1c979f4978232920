//! The predicate evaluator: plateau's predicates ([`Predicates`], disjunctive normal form) over
//! Arrow arrays and record batches.
//!
//! Everything in plateau that filters rows or index keys goes through this module: the
//! in-memory filter after a Parquet read, the row-group pruning (which uses [`coerce_value`]
//! to compare literals with statistics) and the planning over partition keys and secondary
//! indices. One evaluator means one set of type and null rules everywhere.
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Array, Float64Array, RecordBatch, StringArray};
//! use plateau_core::Predicates;
//! use plateau_serialization::filter::{filter_batch, EvalOptions};
//!
//! let batch = RecordBatch::try_from_iter([
//!     ("x", Arc::new(Float64Array::from(vec![Some(1.0), None, Some(f64::NAN), Some(4.0)])) as _),
//!     ("s", Arc::new(StringArray::from(vec!["a", "b", "c", "d"])) as _),
//! ])
//! .unwrap();
//! // `!=` keeps the null rows (NaN is null), as in plateau.
//! let predicates = Predicates::parse("x != 1.0 and s < 'd'").unwrap();
//! let kept = filter_batch(&batch, &predicates, &EvalOptions::default()).unwrap();
//! assert_eq!(kept.num_rows(), 2);
//! ```
//!
//! # Semantics
//!
//! Type rules: the value's kind must fit the column's Arrow type (dictionary columns use their
//! value type), otherwise [`Error::PredicateType`] names the column, its type and the value:
//!
//! | column | accepted values |
//! |---|---|
//! | integers (any width, signed or not) | `Int`, `UInt` (compared mathematically, also outside the column's range) |
//! | floats (f16/f32/f64) | `Float` (compared in f64) |
//! | decimal128/256 | `Decimal`, `Int`, `UInt` |
//! | bool | `Bool` |
//! | string, large string, string view | `String`; `Binary` if valid UTF-8 |
//! | binary, large, fixed-size, view | `Binary`; `String` (UTF-8 bytes) |
//! | date32/date64 | `Date`; `String` `YYYY-MM-DD` |
//! | timestamp (any unit and zone) | `Timestamp` (by instant, naive = UTC); `String` read by [`plateau_core::temporal::parse_timestamp`]; `Date` only without [`EvalOptions::strict_date_types`] (midnight UTC) |
//! | null | anything (every row is null) |
//! | nested, time, duration, interval | [`Error::Unsupported`] |
//!
//! Null values (`Scalar::Null`, `Float(NaN)`) fit every supported column; float NaN in the
//! data is null (pandas semantics). `== null` selects the null rows; `!= null` and
//! `is distinct from null` the others; `!= v` and `is distinct from v` keep null rows; `==`,
//! `<`, `<=`, `>`, `>=` never match them; `in` matches them iff its list holds a null, and
//! `not in` keeps them iff its list holds none. `in ()` selects nothing and `not in ()`
//! everything, without a type check. Strings and bytes compare by byte order (code point order,
//! as Python's `str`), dictionary columns by value.
//!
//! # Decisions where plateau for Rust deliberately differs from Python plateau
//!
//! 1. Decimal columns accept `Decimal` and integer values (Python raises with pushdown).
//! 2. Date columns accept `YYYY-MM-DD` strings everywhere: partition keys, indices, data with
//!    or without pushdown (Python matches them only with pushdown on data columns and
//!    silently matches nothing on partition keys; reference §4.3, §4.4, §8 item 8).
//! 3. Timestamp columns accept strings readable by `parse_timestamp`, a naive text meaning UTC
//!    (Python's pushdown rejects strings).
//! 4. A literal on an arrow `null` column follows the row-wise null rules (Python drops the
//!    whole conjunction with pushdown).
//! 5. A bool value against a string or binary column (`"True"` vs `True`) is a type error,
//!    and so is any other value kind that is not in the table above, e.g. a date against a
//!    string column (Python lets values through against object columns: the xfails of
//!    gh-193, and `datetime.date` values, which then never match).
//! 6. Bytes against a string column must be valid UTF-8, else a type error.
//! 7. Null values fit every supported column type, also inside lists, whose other elements
//!    are type-checked one by one (Python raises for `None` against a bool column, and infers
//!    one dtype for a whole list, so `[1, None]` on an int column raises).
//! 8. `!=` keeps null rows and `not in` / `is distinct from` work on every column type and
//!    code path (Python's pushdown drops the nulls of `!=` and fails on `not in` and
//!    `is distinct from`, reference §8 item 7).
//! 9. Integer values outside a column's range and timestamps finer than a column's unit compare
//!    exactly (an `int8` column is never `== 1000`; a microsecond column never equals a value
//!    with extra nanoseconds); nothing wraps, saturates or rounds.
//! 10. Float columns compare in f64 with IEEE rules: a float32 `0.1` is not `== 0.1`, and
//!     `-0.0 == 0.0` (as numpy).
//! 11. Ordering operators work on bool columns (`false < true`) and on binary columns.
//! 12. Nested (list, struct, map), time-of-day, duration and interval columns are
//!     [`Error::Unsupported`], except for `in ()` / `not in ()`, which need no type.

mod bound;
mod coerce;
mod hash;
mod kernels;

use std::collections::BTreeSet;

use arrow::array::{Array, AsArray, BooleanArray, RecordBatch};
use arrow::buffer::BooleanBuffer;
use arrow::datatypes::{DataType, Schema};
use plateau_core::{Conjunction, Error, Literal, Op, Predicates, Result, Scalar, Value};

use self::coerce::Coerced;
use self::kernels::{finalize, Raw};

/// Options of the evaluator.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct EvalOptions {
    /// plateau's `strict_date_types`: a date value against a timestamp column is a type error
    /// (`true`: load-time semantics). `false`: allowed, the date means midnight UTC (planning
    /// semantics). Default: `true`.
    pub strict_date_types: bool,
}

impl EvalOptions {
    /// Sets [`EvalOptions::strict_date_types`].
    pub fn strict_date_types(mut self, strict: bool) -> Self {
        self.strict_date_types = strict;
        self
    }
}

impl Default for EvalOptions {
    /// Strict date types, as plateau applies them when it loads data.
    fn default() -> Self {
        Self {
            strict_date_types: true,
        }
    }
}

/// Converts a literal value to the representation of the column's values: the [`Scalar`]
/// variant that [`Scalar::try_from_array`] gives for the column (dictionary columns: their
/// value type), or the typed error if the value does not fit the column (see the module
/// documentation for the rules).
///
/// * Integer columns: [`Scalar::Int`] for signed, [`Scalar::UInt`] for unsigned columns; a value
///   the variant cannot hold (a negative value for an unsigned column) keeps the other one.
///   Values outside the column's width are returned unchanged, not clamped.
/// * Timestamp columns: [`Scalar::Timestamp`] in the column's unit and zone; when the instant
///   is not a whole number of the column's unit (or overflows it), in the finest unit that
///   holds it exactly.
/// * Decimal columns: [`Scalar::Decimal`] at the column's precision and scale; a value with more
///   fractional digits than the column keeps its own scale.
/// * Date columns: [`Scalar::Date`]; string columns [`Scalar::String`]; binary columns
///   [`Scalar::Binary`]; float columns [`Scalar::Float`].
/// * A null value (null or NaN) gives [`Scalar::Null`].
///
/// Comparing the result with [`Scalar::partial_cmp_value`] is therefore exact.
pub fn coerce_value(
    column: &str,
    column_type: &DataType,
    value: &Scalar,
    options: &EvalOptions,
) -> Result<Scalar> {
    let coerced = coerce::coerce(column, column_type, value, options)?;
    Ok(coerce::to_scalar(column_type, coerced, value))
}

/// The mask of one literal `column op value` over `array` (named `column` in errors), without
/// nulls: plateau's null rules decide the null rows.
///
/// The literal's shape is checked as [`Predicates::validate`] does (a list exactly with `in` /
/// `not in`, a null scalar only with `==`, `!=`, `is distinct from`), then its value against the
/// array's type.
pub fn evaluate_literal(
    column: &str,
    array: &dyn Array,
    op: Op,
    value: &Value,
    options: &EvalOptions,
) -> Result<BooleanArray> {
    check_shape(column, op, value)?;
    let rhs = Rhs::coerce(column, array.data_type(), value, options)?;
    literal_mask(array, op, &rhs)
}

/// The mask of `predicates` over `batch`: the OR over conjunctions of the AND of their
/// literals' masks, without nulls.
///
/// The predicates are validated and type-checked against the batch's schema before any
/// row is compared ([`check_types`]); a column the batch lacks is [`Error::ColumnNotFound`].
pub fn evaluate(
    batch: &RecordBatch,
    predicates: &Predicates,
    options: &EvalOptions,
) -> Result<BooleanArray> {
    let prepared = prepare(batch.schema_ref(), predicates, options)?;
    let len = batch.num_rows();
    let mut any: Option<BooleanBuffer> = None;
    for conjunction in &prepared {
        let mut all: Option<BooleanBuffer> = None;
        for literal in conjunction {
            let mask = literal_mask(
                batch.column(literal.index).as_ref(),
                literal.op,
                &literal.rhs,
            )?;
            let mask = mask.values();
            let next = match all {
                None => mask.clone(),
                Some(prev) => &prev & mask,
            };
            // Later literals cannot revive rows: skip them once nothing is left (their types
            // were already checked by `prepare`).
            let done = next.count_set_bits() == 0;
            all = Some(next);
            if done {
                break;
            }
        }
        let all = all.unwrap_or_else(|| BooleanBuffer::new_unset(len));
        let next = match any {
            None => all,
            Some(prev) => &prev | &all,
        };
        let done = next.count_set_bits() == len;
        any = Some(next);
        if done {
            break;
        }
    }
    Ok(BooleanArray::new(
        any.unwrap_or_else(|| BooleanBuffer::new_unset(len)),
        None,
    ))
}

/// The rows of `batch` that `predicates` select ([`evaluate`] then
/// [`arrow::compute::filter_record_batch`]).
pub fn filter_batch(
    batch: &RecordBatch,
    predicates: &Predicates,
    options: &EvalOptions,
) -> Result<RecordBatch> {
    let mask = evaluate(batch, predicates, options)?;
    Ok(arrow::compute::filter_record_batch(batch, &mask)?)
}

/// Validates `predicates` ([`Predicates::validate`]) and checks that every column exists in
/// `schema` ([`Error::ColumnNotFound`] lists the missing ones, sorted) and that every literal's
/// value fits its column's type ([`Error::PredicateType`], [`Error::Unsupported`]).
pub fn check_types(schema: &Schema, predicates: &Predicates, options: &EvalOptions) -> Result<()> {
    prepare(schema, predicates, options).map(|_| ())
}

/// A literal ready to evaluate: its column's index and its coerced value.
struct Prepared {
    index: usize,
    op: Op,
    rhs: Rhs,
}

/// Validates, resolves columns and coerces every value, so evaluation cannot fail halfway on
/// a user error.
fn prepare(
    schema: &Schema,
    predicates: &Predicates,
    options: &EvalOptions,
) -> Result<Vec<Vec<Prepared>>> {
    predicates.validate()?;
    let missing: BTreeSet<&str> = predicates
        .columns()
        .into_iter()
        .filter(|c| schema.index_of(c).is_err())
        .collect();
    if !missing.is_empty() {
        return Err(Error::ColumnNotFound {
            columns: missing.into_iter().map(str::to_owned).collect(),
        });
    }
    predicates
        .conjunctions
        .iter()
        .map(|conjunction| {
            conjunction
                .literals
                .iter()
                .map(|literal| {
                    let index = schema.index_of(&literal.column)?;
                    let data_type = schema.field(index).data_type();
                    Ok(Prepared {
                        index,
                        op: literal.op,
                        rhs: Rhs::coerce(&literal.column, data_type, &literal.value, options)?,
                    })
                })
                .collect()
        })
        .collect()
}

/// The checks of [`Predicates::validate`] for one literal.
fn check_shape(column: &str, op: Op, value: &Value) -> Result<()> {
    // The shape does not depend on a list's elements, so validate an empty stand-in rather
    // than copying a long list.
    let value = match value {
        Value::Scalar(s) => Value::Scalar(s.clone()),
        Value::List(_) => Value::List(Vec::new()),
    };
    Predicates::all(Conjunction::from(vec![Literal {
        column: column.to_owned(),
        op,
        value,
    }]))
    .validate()
}

/// The right-hand side of a literal, coerced for its column.
enum Rhs {
    /// A scalar ([`Coerced::Null`] for a null value).
    One(Coerced),
    /// A list: its non-null values and whether it held a null.
    Many {
        values: Vec<Coerced>,
        has_null: bool,
    },
}

impl Rhs {
    fn coerce(
        column: &str,
        data_type: &DataType,
        value: &Value,
        options: &EvalOptions,
    ) -> Result<Rhs> {
        Ok(match value {
            Value::Scalar(s) => Rhs::One(coerce::coerce(column, data_type, s, options)?),
            Value::List(items) => {
                let mut values = Vec::with_capacity(items.len());
                let mut has_null = false;
                for item in items {
                    match coerce::coerce(column, data_type, item, options)? {
                        Coerced::Null => has_null = true,
                        other => values.push(other),
                    }
                }
                Rhs::Many { values, has_null }
            }
        })
    }

    /// The outcome for a null row (plateau's null rules, reference §4.2).
    fn null_result(&self, op: Op) -> bool {
        match self {
            Rhs::One(Coerced::Null) => op == Op::Eq,
            Rhs::One(_) => matches!(op, Op::Ne | Op::IsDistinctFrom),
            Rhs::Many { has_null, .. } => match op {
                Op::NotIn => !has_null,
                _ => *has_null,
            },
        }
    }
}

/// The mask of one coerced literal over an array.
fn literal_mask(array: &dyn Array, op: Op, rhs: &Rhs) -> Result<BooleanArray> {
    let len = array.len();
    let null_result = rhs.null_result(op);
    if let Some(dictionary) = array.as_any_dictionary_opt() {
        // Evaluate on the (usually few) distinct values, then gather by key: null keys are
        // null rows, null values are already resolved in the values' mask.
        let on_values = literal_mask(dictionary.values().as_ref(), op, rhs)?;
        let taken = arrow::compute::take(&on_values, dictionary.keys(), None)?;
        let taken = taken.as_boolean();
        return Ok(finalize(
            len,
            Raw::Mask(taken.values().clone()),
            taken.nulls(),
            null_result,
        ));
    }
    let raw = match rhs {
        // No value can equal a null: `== null` is false on valid rows, `!=` and
        // `is distinct from` true.
        Rhs::One(Coerced::Null) => Raw::Const(op != Op::Eq),
        Rhs::One(value) => kernels::compare(array, op, value)?,
        Rhs::Many { values, .. } => {
            let raw = kernels::membership(array, values)?;
            if op == Op::NotIn {
                raw.not()
            } else {
                raw
            }
        }
    };
    let validity = kernels::validity(array)?;
    Ok(finalize(len, raw, validity.as_ref(), null_result))
}
