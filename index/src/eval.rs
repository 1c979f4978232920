//! Lookups: operator evaluation over the keys ([`Index::eval`]) and plateau's lenient exact
//! lookup ([`Index::query`]).

use arrow::array::{Array, BooleanArray};
use plateau_core::partition_value::normalize_value;
use plateau_core::{Op, Result, Scalar, Value};
use plateau_serialization::filter::{evaluate_literal, EvalOptions};

use crate::index::Index;
use crate::keys;
use crate::label_set::LabelSet;

impl Index {
    /// The labels of every value `v` of the index for which `v op value` holds (plateau's
    /// `IndexBase.eval_operator`).
    ///
    /// The literal is evaluated on the keys by the one predicate evaluator
    /// ([`evaluate_literal`]), so type checks and comparison rules are exactly those applied
    /// to rows. Pass `strict_date_types: true` for plateau's `eval_operator` and `false` for
    /// planning. An index holds no nulls: where the literal can match null rows
    /// ([`literal_can_match_null`]) the result cannot say which partitions hold such rows.
    ///
    /// Cost: one vectorized pass over the keys plus the postings of the matching keys.
    ///
    /// # Errors
    /// The evaluator's errors, e.g. [`plateau_core::Error::PredicateType`] for `== "1234"` on
    /// an integer index.
    pub fn eval(&self, op: Op, value: &Value, options: &EvalOptions) -> Result<LabelSet> {
        let mask = evaluate_literal(&self.column, self.keys.as_ref(), op, value, options)?;
        let mut set = LabelSet::new(self.num_labels());
        for i in selected(&mask) {
            for id in self.label_ids(i) {
                set.insert(*id);
            }
        }
        Ok(set)
    }

    /// [`Index::eval`] with the labels resolved, ascending.
    ///
    /// # Errors
    /// As [`Index::eval`].
    pub fn eval_labels(&self, op: Op, value: &Value, options: &EvalOptions) -> Result<Vec<&str>> {
        let set = self.eval(op, value, options)?;
        Ok(set.iter().filter_map(|id| self.label(id)).collect())
    }

    /// The labels of the partitions holding `value`, ascending; empty when the value is not in
    /// the index (plateau's `IndexBase.query`).
    ///
    /// The value is first normalized leniently to the index type
    /// ([`plateau_core::partition_value::normalize_value`]): `"1"` and `1.0` find `1` on an
    /// integer index, `"2018-01-01"` finds the date on a date index. Cost: O(log n).
    ///
    /// # Errors
    /// The normalization's errors, for values that cannot be read as the index type.
    pub fn query(&self, value: &Scalar) -> Result<Vec<&str>> {
        let normalized = normalize_value(value, &self.data_type)?;
        if normalized.is_null() {
            return Ok(Vec::new());
        }
        Ok(match self.position(&normalized)? {
            Some(i) => self.value_labels(i).collect(),
            None => Vec::new(),
        })
    }

    /// The position of an already normalized value in the keys.
    pub(crate) fn position(&self, normalized: &Scalar) -> Result<Option<usize>> {
        let probe = keys::scalars_to_array(std::slice::from_ref(normalized), &self.data_type)?;
        let probe = keys::canonical_floats(probe);
        keys::binary_search(self.keys.as_ref(), probe.as_ref())
    }
}

/// The positions the mask selects (a null counts as not selected).
pub(crate) fn selected(mask: &BooleanArray) -> Box<dyn Iterator<Item = usize> + '_> {
    match mask.nulls() {
        None => Box::new(mask.values().set_indices()),
        Some(nulls) => Box::new(
            mask.values()
                .set_indices()
                .filter(move |i| nulls.is_valid(*i)),
        ),
    }
}

/// Whether `column op value` can hold for a row whose value is null, under plateau's rules
/// as the evaluator applies them:
///
/// | literal | null rows match |
/// |---|---|
/// | `== null` | yes |
/// | `!= v`, `is distinct from v` (v not null) | yes |
/// | `!= null`, `is distinct from null` | no |
/// | `in (.., null, ..)` | yes |
/// | `not in (..)` without null, including `not in ()` | yes |
/// | `not in (.., null, ..)`, `in` without null, `<`, `<=`, `>`, `>=` | no |
///
/// An index holds no nulls, so a planner must not prune partitions through a secondary index
/// for a literal where this is `true`: the partitions holding null rows are not in the
/// index. A value of the wrong shape (a list for `==`) answers `true`, the safe side.
pub fn literal_can_match_null(op: Op, value: &Value) -> bool {
    let has_null = value.values().iter().any(Scalar::is_null);
    match (op, value) {
        (Op::Eq, Value::Scalar(v)) => v.is_null(),
        (Op::Ne | Op::IsDistinctFrom, Value::Scalar(v)) => !v.is_null(),
        (Op::Lt | Op::Le | Op::Gt | Op::Ge, Value::Scalar(_)) => false,
        (Op::In, _) => has_null,
        // The evaluator's `not in ()` selects every row, nulls included (SQL semantics;
        // Python plateau selects nothing).
        (Op::NotIn, _) => !has_null,
        (_, Value::List(_)) => true,
    }
}
