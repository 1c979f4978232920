//! [`KeyList`]: index values without labels, for planners that map values to their own ids.
//!
//! Pruning by a partition key needs, per value, the partitions holding it. An [`Index`] of
//! the key interns every label and sorts both labels and keys; at 100,000 partitions that
//! is most of planning, and the planner then maps the labels back to partition positions.
//! A key list keeps the values in the caller's order, and selects the positions a literal
//! matches with the same normalization and evaluator as [`Index::from_entries`] and
//! [`Index::eval`], so both answer alike.

use arrow::array::{Array, ArrayRef};
use arrow::datatypes::DataType;
use plateau_core::{Op, Result, Scalar, Value};
use plateau_serialization::filter::{evaluate_literal, EvalOptions};

use crate::build::normalize_key;
use crate::eval::selected;
use crate::keys;
use crate::types::normalize_index_type;

#[cfg(doc)]
use crate::Index;

/// The values of one column, normalized to its index type, in the caller's order (repeats
/// allowed).
#[derive(Clone, Debug)]
pub struct KeyList {
    column: String,
    keys: ArrayRef,
}

impl KeyList {
    /// The values of `column` as [`Index::from_entries`] normalizes them.
    ///
    /// # Errors
    /// As [`Index::from_entries`]: the type errors of [`crate::normalize_index_type`];
    /// [`Error::InvalidInput`] for a null value or one that does not normalize into the type.
    pub fn new(column: &str, data_type: &DataType, values: &[Scalar]) -> Result<KeyList> {
        let data_type = normalize_index_type(column, data_type)?;
        let normalized = values
            .iter()
            .map(|value| normalize_key(column, value, &data_type))
            .collect::<Result<Vec<_>>>()?;
        let keys = keys::canonical_floats(keys::scalars_to_array(&normalized, &data_type)?);
        Ok(KeyList {
            column: column.to_owned(),
            keys,
        })
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The positions of the values for which `value op literal` holds, ascending: the values
    /// whose labels [`Index::eval`] returns.
    ///
    /// # Errors
    /// As [`Index::eval`].
    pub fn select(&self, op: Op, literal: &Value, options: &EvalOptions) -> Result<Vec<usize>> {
        let mask = evaluate_literal(&self.column, self.keys.as_ref(), op, literal, options)?;
        Ok(selected(&mask).collect())
    }
}

#[cfg(test)]
mod tests {
    use arrow::datatypes::TimeUnit;

    use super::*;
    use crate::{Index, IndexKind};

    /// `select` picks the values whose labels the index of the same entries returns.
    fn assert_like_index(data_type: &DataType, values: &[Scalar], literals: &[(Op, Value)]) {
        let list = KeyList::new("c", data_type, values).unwrap();
        let labels: Vec<String> = (0..values.len()).map(|i| format!("{i:03}")).collect();
        let index = Index::from_entries(
            "c",
            IndexKind::Partition,
            data_type,
            values
                .iter()
                .cloned()
                .zip(labels.iter().map(|l| vec![l.as_str()])),
        )
        .unwrap();
        let options = EvalOptions::default();
        for (op, literal) in literals {
            let selected: Vec<String> = list
                .select(*op, literal, &options)
                .unwrap()
                .into_iter()
                .map(|i| labels[i].clone())
                .collect();
            assert_eq!(
                selected,
                index.eval_labels(*op, literal, &options).unwrap(),
                "{op:?} {literal:?}"
            );
        }
    }

    #[test]
    fn selects_what_the_index_returns() {
        let ints: Vec<Scalar> = [5, -1, 5, 30, 7].map(Scalar::Int).to_vec();
        assert_like_index(
            &DataType::Int64,
            &ints,
            &[
                (Op::Eq, Value::from(5)),
                (Op::Ge, Value::from(7)),
                (Op::In, Value::List(vec![Scalar::Int(-1), Scalar::Int(30)])),
                (Op::NotIn, Value::List(vec![Scalar::Int(5)])),
                (Op::Ne, Value::from(5)),
                (Op::Eq, Value::from(99)),
            ],
        );
        let floats: Vec<Scalar> = [-0.0, 0.0, 1.5].map(Scalar::Float).to_vec();
        assert_like_index(
            &DataType::Float64,
            &floats,
            &[(Op::Eq, Value::from(0.0)), (Op::Lt, Value::from(1.0))],
        );
        let stamps = vec![Scalar::String("2020-01-01".into())];
        assert_like_index(
            &DataType::Timestamp(TimeUnit::Microsecond, None),
            &stamps,
            &[(Op::Le, Value::Scalar(stamps[0].clone()))],
        );
    }

    #[test]
    fn errors_are_the_index_errors() {
        let null = KeyList::new("c", &DataType::Int64, &[Scalar::Null]).unwrap_err();
        let index_null = Index::from_entries(
            "c",
            IndexKind::Partition,
            &DataType::Int64,
            [(Scalar::Null, vec!["a"])],
        )
        .unwrap_err();
        assert_eq!(null.to_string(), index_null.to_string());

        let list = KeyList::new("c", &DataType::Int64, &[Scalar::Int(1)]).unwrap();
        let index = Index::from_entries(
            "c",
            IndexKind::Partition,
            &DataType::Int64,
            [(Scalar::Int(1), vec!["a"])],
        )
        .unwrap();
        let options = EvalOptions::default();
        let literal = Value::from("x");
        assert_eq!(
            list.select(Op::Eq, &literal, &options)
                .unwrap_err()
                .to_string(),
            index
                .eval(Op::Eq, &literal, &options)
                .unwrap_err()
                .to_string()
        );
    }
}
