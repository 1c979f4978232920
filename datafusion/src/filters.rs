//! DataFusion filter expressions as plateau predicates, for pruning only.
//!
//! A filter DataFusion pushes into a scan becomes a plateau [`Predicates`] (a disjunction of
//! conjunctions of `column op value` literals) where its shape allows: comparisons of a
//! column with a literal, `IN` lists, `BETWEEN`, `IS [NOT] NULL`, and `AND`/`OR` of those.
//! The predicates only choose which partitions are read (partition keys and secondary
//! indices); DataFusion still evaluates every filter on the rows, so a conversion may keep
//! more partitions than SQL would return rows from, never fewer:
//!
//! * SQL's `x != v` drops nulls, plateau's keeps them: more partitions, never fewer.
//! * A filter that cannot be converted is left out of the conjunction: more partitions.
//! * `NOT`, functions, casts of columns and comparisons between columns are not converted.
//! * An `OR` whose disjunction would exceed [`MAX_CONJUNCTIONS`] conjunctions is left out.

use std::collections::BTreeSet;

use datafusion::logical_expr::{Between, BinaryExpr, Expr, Operator};
use datafusion::scalar::ScalarValue;
use plateau_core::{Conjunction, Literal, Op, Predicates, Scalar, Value};

/// The most conjunctions a converted filter may expand to (the product of `AND`ed
/// disjunctions grows fast); a larger one is left out of pruning.
pub const MAX_CONJUNCTIONS: usize = 64;

/// The plateau predicates equivalent to or weaker than the conjunction of `filters`; `None`
/// when no filter converts (read every partition).
pub fn to_predicates(filters: &[Expr]) -> Option<Predicates> {
    let mut conjunctions: Vec<Vec<Literal>> = vec![Vec::new()];
    let mut converted = false;
    for filter in filters {
        let Some(disjunction) = convert(filter) else {
            continue;
        };
        if conjunctions.len() * disjunction.len() > MAX_CONJUNCTIONS {
            continue;
        }
        conjunctions = conjunctions
            .iter()
            .flat_map(|left| {
                disjunction.iter().map(move |right| {
                    let mut both = left.clone();
                    both.extend(right.iter().cloned());
                    both
                })
            })
            .collect();
        converted = true;
    }
    if !converted {
        return None;
    }
    let conjunctions = conjunctions
        .into_iter()
        .map(|literals| {
            let mut conjunction = Conjunction::new();
            for literal in literals {
                conjunction.push(literal);
            }
            conjunction
        })
        .collect();
    Some(Predicates::new(conjunctions))
}

/// The columns `filter` refers to.
pub fn columns_of(filter: &Expr) -> BTreeSet<String> {
    filter
        .column_refs()
        .into_iter()
        .map(|c| c.name.clone())
        .collect()
}

/// `expr` as a disjunction of conjunctions of literals, if it has that shape.
fn convert(expr: &Expr) -> Option<Vec<Vec<Literal>>> {
    match expr {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => match op {
            Operator::And => {
                let left = convert(left)?;
                let right = convert(right)?;
                if left.len() * right.len() > MAX_CONJUNCTIONS {
                    return None;
                }
                Some(
                    left.iter()
                        .flat_map(|l| {
                            right.iter().map(move |r| {
                                let mut both = l.clone();
                                both.extend(r.iter().cloned());
                                both
                            })
                        })
                        .collect(),
                )
            }
            Operator::Or => {
                let mut left = convert(left)?;
                let right = convert(right)?;
                if left.len() + right.len() > MAX_CONJUNCTIONS {
                    return None;
                }
                left.extend(right);
                Some(left)
            }
            _ => comparison(left, *op, right).map(|literal| vec![vec![literal]]),
        },
        Expr::InList(list) => {
            let column = column_name(&list.expr)?;
            let values = list
                .list
                .iter()
                .map(literal_value)
                .collect::<Option<Vec<Scalar>>>()?;
            let op = if list.negated { Op::NotIn } else { Op::In };
            Some(vec![vec![Literal::new(column, op, Value::List(values))]])
        }
        Expr::Between(Between {
            expr,
            negated: false,
            low,
            high,
        }) => {
            let column = column_name(expr)?;
            let low = literal_value(low)?;
            let high = literal_value(high)?;
            Some(vec![vec![
                Literal::new(column.clone(), Op::Ge, Value::Scalar(low)),
                Literal::new(column, Op::Le, Value::Scalar(high)),
            ]])
        }
        Expr::IsNull(inner) => {
            let column = column_name(inner)?;
            Some(vec![vec![Literal::new(
                column,
                Op::Eq,
                Value::Scalar(Scalar::Null),
            )]])
        }
        Expr::IsNotNull(inner) => {
            let column = column_name(inner)?;
            Some(vec![vec![Literal::new(
                column,
                Op::Ne,
                Value::Scalar(Scalar::Null),
            )]])
        }
        _ => None,
    }
}

/// `column op value` (either side may be the column) as a plateau literal.
fn comparison(left: &Expr, op: Operator, right: &Expr) -> Option<Literal> {
    let (column, value, op) = match (column_name(left), column_name(right)) {
        (Some(column), None) => (column, literal_value(right)?, op),
        (None, Some(column)) => (column, literal_value(left)?, op.swap()?),
        _ => return None,
    };
    // A comparison with NULL is never true in SQL: such a filter selects nothing, which
    // plateau's `== null` would contradict. Leave it to DataFusion.
    if value.is_null() {
        return None;
    }
    let op = match op {
        Operator::Eq => Op::Eq,
        Operator::NotEq => Op::Ne,
        Operator::Lt => Op::Lt,
        Operator::LtEq => Op::Le,
        Operator::Gt => Op::Gt,
        Operator::GtEq => Op::Ge,
        _ => return None,
    };
    Some(Literal::new(column, op, Value::Scalar(value)))
}

/// The name of a plain column reference.
fn column_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Column(column) => Some(column.name.clone()),
        _ => None,
    }
}

/// The plateau scalar of a literal.
fn literal_value(expr: &Expr) -> Option<Scalar> {
    let Expr::Literal(value, _) = expr else {
        return None;
    };
    to_scalar(value)
}

/// A DataFusion scalar as a plateau scalar (through a one-element Arrow array, the one
/// conversion both sides know).
pub fn to_scalar(value: &ScalarValue) -> Option<Scalar> {
    if value.is_null() {
        return Some(Scalar::Null);
    }
    let array = value.to_array().ok()?;
    Scalar::try_from_array(array.as_ref(), 0).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use datafusion::logical_expr::{col, lit};

    use super::*;

    fn text(filters: &[Expr]) -> Option<String> {
        to_predicates(filters).map(|p| p.to_json_value().to_string())
    }

    #[test]
    fn comparisons_lists_ranges_and_nulls_convert() {
        let filters = [
            col("p").eq(lit(1i64)),
            lit(5i64).lt(col("x")),
            col("s").in_list(vec![lit("a"), lit("b")], false),
            col("y").between(lit(1i64), lit(3i64)),
            col("z").is_null(),
        ];
        let predicates = to_predicates(&filters).unwrap();
        let literals: Vec<String> = predicates
            .literals()
            .map(|l| format!("{} {} {:?}", l.column, l.op.as_str(), l.value))
            .collect();
        assert_eq!(literals.len(), 6);
        assert!(literals[1].starts_with("x >"), "{literals:?}");
    }

    #[test]
    fn ors_expand_and_unknown_shapes_are_left_out() {
        let either = col("p").eq(lit(1i64)).or(col("p").eq(lit(2i64)));
        let predicates = to_predicates(&[either, col("x").eq(lit(3i64))]).unwrap();
        assert_eq!(predicates.conjunctions.len(), 2);
        // Functions, NOT, column-to-column and NULL comparisons are not converted.
        assert_eq!(text(&[col("a").eq(col("b"))]), None);
        assert_eq!(text(&[col("a").eq(lit(ScalarValue::Int64(None)))]), None);
        assert_eq!(text(&[Expr::Not(Box::new(col("a").eq(lit(1i64))))]), None);
        // An OR with an unconvertible side is left out whole.
        let mixed = col("p").eq(lit(1i64)).or(col("a").eq(col("b")));
        assert_eq!(text(&[mixed]), None);
    }
}
