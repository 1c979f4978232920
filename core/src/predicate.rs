//! Predicates in disjunctive normal form, as plateau takes them.
//!
//! [`Predicates`] is an OR of [`Conjunction`]s; a conjunction is an AND of [`Literal`]s
//! `(column, op, value)`. They are built in code, parsed from text
//! (`a == 1 and b in (1, 2) or c >= date '2020-01-01'`, see [`Predicates::parse`]) or from
//! plateau's JSON form (`[[["a", "==", 1]]]`, see [`Predicates::from_json`]).
//!
//! [`Predicates::validate`] applies plateau's shape rules (reference §4.1) before any I/O. Type
//! checks against a schema live with the evaluator in `plateau-serialization`.
//!
//! ```
//! use plateau_core::{Conjunction, Op, Predicates};
//!
//! let built = Predicates::new(vec![
//!     Conjunction::new().with("a", Op::Eq, 1).with("b", Op::In, vec![1, 2]),
//!     Conjunction::new().with("c", Op::Gt, 2.5),
//! ]);
//! let parsed = Predicates::parse("a == 1 and b in (1, 2) or c > 2.5").unwrap();
//! assert_eq!(built, parsed);
//! assert_eq!(Predicates::parse(&built.to_string()).unwrap(), built);
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::scalar::Scalar;

/// A comparison operator of plateau's predicates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Op {
    /// `==`
    Eq,
    /// `!=` (plateau semantics: keeps nulls unless the value is null)
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `in` with a list
    In,
    /// `not in` with a list
    NotIn,
    /// `is distinct from` (null-aware `!=`)
    IsDistinctFrom,
}

impl Op {
    /// All operators, in plateau's documentation order.
    pub const ALL: [Op; 9] = [
        Op::Eq,
        Op::Ne,
        Op::Lt,
        Op::Le,
        Op::Gt,
        Op::Ge,
        Op::In,
        Op::NotIn,
        Op::IsDistinctFrom,
    ];

    /// The operator as plateau spells it (`"=="`, `"not in"`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::In => "in",
            Op::NotIn => "not in",
            Op::IsDistinctFrom => "is distinct from",
        }
    }

    /// Whether the operator takes a list value (`in`, `not in`).
    pub fn takes_list(&self) -> bool {
        matches!(self, Op::In | Op::NotIn)
    }

    /// Whether the operator accepts a null scalar (`==`, `!=`, `is distinct from`).
    pub fn accepts_null(&self) -> bool {
        matches!(self, Op::Eq | Op::Ne | Op::IsDistinctFrom)
    }
}

impl FromStr for Op {
    type Err = Error;

    /// Parses plateau's spelling; `=` and `<>` are accepted as aliases of `==` and `!=`.
    fn from_str(s: &str) -> Result<Op> {
        let normalized = s.split_whitespace().collect::<Vec<_>>().join(" ");
        Ok(match normalized.to_ascii_lowercase().as_str() {
            "==" | "=" => Op::Eq,
            "!=" | "<>" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "in" => Op::In,
            "not in" => Op::NotIn,
            "is distinct from" => Op::IsDistinctFrom,
            _ => {
                return Err(Error::InvalidPredicate(format!(
                    "unknown operator `{s}`; expected one of ==, !=, <, <=, >, >=, in, not in, is distinct from"
                )))
            }
        })
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The right-hand side of a literal: one value, or a list for `in` / `not in`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Value {
    /// A single value.
    Scalar(Scalar),
    /// A list of values.
    List(Vec<Scalar>),
}

impl Value {
    /// The values, one for a scalar.
    pub fn values(&self) -> &[Scalar] {
        match self {
            Value::Scalar(s) => std::slice::from_ref(s),
            Value::List(list) => list,
        }
    }

    /// The scalar, `None` for a list.
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match self {
            Value::Scalar(s) => Some(s),
            Value::List(_) => None,
        }
    }
}

impl<T: Into<Scalar>> From<T> for Value {
    fn from(v: T) -> Self {
        Value::Scalar(v.into())
    }
}

impl<T: Into<Scalar>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Self {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Scalar(s) => write!(f, "{s}"),
            Value::List(list) => {
                f.write_str("(")?;
                for (i, v) in list.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// One comparison `column op value`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Literal {
    /// The column name.
    pub column: String,
    /// The operator.
    pub op: Op,
    /// The value.
    pub value: Value,
}

impl Literal {
    /// A literal from its parts.
    pub fn new(column: impl Into<String>, op: Op, value: impl Into<Value>) -> Self {
        Self {
            column: column.into(),
            op,
            value: value.into(),
        }
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_identifier(f, &self.column)?;
        write!(f, " {} {}", self.op, self.value)
    }
}

/// Words that cannot be bare column names (value keywords such as `date` or `true` can: a
/// column position is never ambiguous with a value position).
pub(crate) const KEYWORDS: &[&str] = &["and", "or", "not", "in", "is"];

/// Whether `name` reads back as itself without quotes.
pub(crate) fn is_bare_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        && !KEYWORDS.contains(&name.to_ascii_lowercase().as_str())
}

/// Writes a column name bare when the parser would read it back as the same identifier,
/// otherwise in double quotes.
fn write_identifier(f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
    if is_bare_identifier(name) {
        f.write_str(name)
    } else {
        write!(f, "\"{}\"", name.replace('"', "\"\""))
    }
}

/// An AND of literals.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Conjunction {
    /// The literals, all of which must hold.
    pub literals: Vec<Literal>,
}

impl Conjunction {
    /// An empty conjunction (invalid until a literal is added).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the literal `column op value`.
    pub fn with(mut self, column: impl Into<String>, op: Op, value: impl Into<Value>) -> Self {
        self.literals.push(Literal::new(column, op, value));
        self
    }

    /// Adds a literal.
    pub fn push(&mut self, literal: Literal) {
        self.literals.push(literal);
    }
}

impl From<Vec<Literal>> for Conjunction {
    fn from(literals: Vec<Literal>) -> Self {
        Self { literals }
    }
}

impl fmt::Display for Conjunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, lit) in self.literals.iter().enumerate() {
            if i > 0 {
                f.write_str(" and ")?;
            }
            write!(f, "{lit}")?;
        }
        Ok(())
    }
}

/// An OR of conjunctions: plateau's `predicates` argument.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Predicates {
    /// The conjunctions, any of which may hold.
    pub conjunctions: Vec<Conjunction>,
}

impl Predicates {
    /// Predicates from conjunctions.
    pub fn new(conjunctions: Vec<Conjunction>) -> Self {
        Self { conjunctions }
    }

    /// A single conjunction.
    pub fn all(conjunction: Conjunction) -> Self {
        Self::new(vec![conjunction])
    }

    /// Every column a literal refers to.
    pub fn columns(&self) -> BTreeSet<&str> {
        self.literals().map(|l| l.column.as_str()).collect()
    }

    /// Every literal of every conjunction.
    pub fn literals(&self) -> impl Iterator<Item = &Literal> {
        self.conjunctions.iter().flat_map(|c| c.literals.iter())
    }

    /// Checks plateau's shape rules (reference §4.1): at least one conjunction, no empty
    /// conjunction, a null scalar only with `==`, `!=` or `is distinct from`, a list exactly
    /// with `in` / `not in`, and no empty column name.
    pub fn validate(&self) -> Result<()> {
        if self.conjunctions.is_empty() {
            return Err(Error::InvalidPredicate("empty predicates".into()));
        }
        for (ci, conjunction) in self.conjunctions.iter().enumerate() {
            if conjunction.literals.is_empty() {
                return Err(Error::InvalidPredicate(format!(
                    "conjunction {ci} is empty"
                )));
            }
            for (li, lit) in conjunction.literals.iter().enumerate() {
                let at = format!("clause {li} in conjunction {ci}");
                if lit.column.is_empty() {
                    return Err(Error::InvalidPredicate(format!(
                        "{at} has an empty column name"
                    )));
                }
                match (&lit.value, lit.op.takes_list()) {
                    // plateau checks null values first, so `in None` is a null error.
                    (Value::Scalar(s), _) if s.is_null() && !lit.op.accepts_null() => {
                        return Err(Error::InvalidPredicate(format!(
                            "{at} with null value and operator '{}'. Only operators supporting null values are '==', '!=', 'in' and 'is distinct from' (column `{}`).",
                            lit.op, lit.column
                        )))
                    }
                    (Value::Scalar(_), false) => {}
                    (Value::Scalar(s), true) => {
                        return Err(Error::InvalidPredicate(format!(
                            "{at} with operator '{}' must be used with a tuple or list, got {} instead.",
                            lit.op,
                            s.kind()
                        )))
                    }
                    (Value::List(_), false) => {
                        return Err(Error::InvalidPredicate(format!(
                            "{at} with operator '{}' must be used with a scalar type, got list instead.",
                            lit.op
                        )))
                    }
                    (Value::List(_), true) => {}
                }
            }
        }
        Ok(())
    }

    /// Keeps only the literals on `columns` and drops conjunctions left empty; `None` when
    /// nothing remains (plateau's `filter_predicates_by_column`).
    pub fn restrict_to_columns(&self, columns: &[&str]) -> Option<Predicates> {
        let conjunctions: Vec<Conjunction> = self
            .conjunctions
            .iter()
            .map(|c| Conjunction {
                literals: c
                    .literals
                    .iter()
                    .filter(|l| columns.contains(&l.column.as_str()))
                    .cloned()
                    .collect(),
            })
            .filter(|c| !c.literals.is_empty())
            .collect();
        (!conjunctions.is_empty()).then(|| Predicates::new(conjunctions))
    }

    /// ANDs `extra` into every conjunction (plateau's `logical_conjunction` of a dispatch group).
    pub fn and_all(&self, extra: &[Literal]) -> Predicates {
        Predicates::new(
            self.conjunctions
                .iter()
                .map(|c| {
                    let mut c = c.clone();
                    c.literals.extend_from_slice(extra);
                    c
                })
                .collect(),
        )
    }

    /// Parses plateau's JSON form: a list of conjunctions, each a list of
    /// `[column, op, value]`. Values are JSON scalars or lists; typed values are objects with
    /// one key, as the pyref kit writes them: `{"date": "2020-01-01"}`,
    /// `{"timestamp": "2020-01-01T00:00:00[+00:00]"}`, `{"bytes": "00ff"}` (hex),
    /// `{"bytes_utf8": "abc"}`, `{"decimal": "1.10"}`, `{"float": "nan"}`, `{"int": 1}`,
    /// `{"str": "x"}`.
    pub fn from_json(text: &str) -> Result<Self> {
        let json: Json = serde_json::from_str(text)
            .map_err(|e| Error::InvalidPredicate(format!("predicates are not valid JSON: {e}")))?;
        Self::from_json_value(&json)
    }

    /// [`Predicates::from_json`] on a parsed JSON value.
    pub fn from_json_value(json: &Json) -> Result<Self> {
        let outer = json.as_array().ok_or_else(|| {
            Error::InvalidPredicate("predicates must be a list of conjunctions".into())
        })?;
        let mut conjunctions = Vec::with_capacity(outer.len());
        for (ci, conj) in outer.iter().enumerate() {
            let literals = conj.as_array().ok_or_else(|| {
                Error::InvalidPredicate(format!(
                    "conjunction {ci} should be a list of 3-tuples, got {conj}"
                ))
            })?;
            let mut out = Conjunction::new();
            for (li, lit) in literals.iter().enumerate() {
                let parts = lit.as_array().filter(|p| p.len() == 3).ok_or_else(|| {
                    Error::InvalidPredicate(format!(
                        "clause {li} in conjunction {ci} should be [column, op, value], got {lit}"
                    ))
                })?;
                let column = parts[0].as_str().ok_or_else(|| {
                    Error::InvalidPredicate(format!(
                        "clause {li} in conjunction {ci}: column must be a string, got {}",
                        parts[0]
                    ))
                })?;
                let op: Op = parts[1]
                    .as_str()
                    .ok_or_else(|| {
                        Error::InvalidPredicate(format!(
                            "clause {li} in conjunction {ci}: operator must be a string, got {}",
                            parts[1]
                        ))
                    })?
                    .parse()?;
                let value = match &parts[2] {
                    Json::Array(items) => Value::List(
                        items
                            .iter()
                            .map(scalar_from_json)
                            .collect::<Result<Vec<_>>>()?,
                    ),
                    other => Value::Scalar(scalar_from_json(other)?),
                };
                out.push(Literal {
                    column: column.to_owned(),
                    op,
                    value,
                });
            }
            conjunctions.push(out);
        }
        Ok(Predicates::new(conjunctions))
    }

    /// The JSON form (inverse of [`Predicates::from_json_value`]).
    pub fn to_json_value(&self) -> Json {
        Json::Array(
            self.conjunctions
                .iter()
                .map(|c| {
                    Json::Array(
                        c.literals
                            .iter()
                            .map(|l| {
                                let value = match &l.value {
                                    Value::Scalar(s) => scalar_to_json(s),
                                    Value::List(list) => {
                                        Json::Array(list.iter().map(scalar_to_json).collect())
                                    }
                                };
                                Json::Array(vec![
                                    Json::String(l.column.clone()),
                                    Json::String(l.op.as_str().to_owned()),
                                    value,
                                ])
                            })
                            .collect(),
                    )
                })
                .collect(),
        )
    }
}

impl FromStr for Predicates {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Predicates::parse(s)
    }
}

impl From<Vec<Conjunction>> for Predicates {
    fn from(conjunctions: Vec<Conjunction>) -> Self {
        Predicates::new(conjunctions)
    }
}

/// The text form; [`Predicates::parse`] reads it back to an equal value.
impl fmt::Display for Predicates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.conjunctions.iter().enumerate() {
            if i > 0 {
                f.write_str(" or ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

fn scalar_from_json(json: &Json) -> Result<Scalar> {
    let bad =
        |what: &str| Error::InvalidPredicate(format!("invalid predicate value {json}: {what}"));
    Ok(match json {
        Json::Null => Scalar::Null,
        Json::Bool(b) => Scalar::Bool(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                Scalar::Int(i)
            } else if let Some(u) = n.as_u64() {
                Scalar::UInt(u)
            } else {
                Scalar::Float(n.as_f64().ok_or_else(|| bad("number out of range"))?)
            }
        }
        Json::String(s) => Scalar::String(s.clone()),
        Json::Array(_) => return Err(bad("nested lists are not allowed")),
        Json::Object(map) => {
            let mut entries = map.iter();
            let (Some((tag, inner)), None) = (entries.next(), entries.next()) else {
                return Err(bad("a typed value is an object with exactly one key"));
            };
            let text = || inner.as_str().ok_or_else(|| bad("expected a string"));
            match tag.as_str() {
                "date" => Scalar::Date(crate::temporal::parse_date(text()?)?),
                "timestamp" | "datetime" => {
                    let parsed = crate::temporal::parse_timestamp(text()?)?;
                    Scalar::Timestamp {
                        value: parsed.nanos,
                        unit: arrow::datatypes::TimeUnit::Nanosecond,
                        tz: parsed.tz,
                    }
                }
                "bytes" => Scalar::Binary(decode_hex(text()?).ok_or_else(|| bad("invalid hex"))?),
                "bytes_utf8" => Scalar::Binary(text()?.as_bytes().to_vec()),
                "decimal" => {
                    let (value, precision, scale) = crate::temporal::parse_decimal(text()?)?;
                    Scalar::Decimal {
                        value,
                        precision,
                        scale,
                    }
                }
                "float" => match inner {
                    Json::Number(n) => Scalar::Float(n.as_f64().ok_or_else(|| bad("not a float"))?),
                    Json::String(s) => {
                        Scalar::Float(parse_special_float(s).ok_or_else(|| bad("not a float"))?)
                    }
                    _ => return Err(bad("not a float")),
                },
                "int" => match inner {
                    Json::Number(n) => match (n.as_i64(), n.as_u64()) {
                        (Some(i), _) => Scalar::Int(i),
                        (None, Some(u)) => Scalar::UInt(u),
                        _ => return Err(bad("not an integer")),
                    },
                    _ => return Err(bad("not an integer")),
                },
                "uint" => Scalar::UInt(
                    inner
                        .as_u64()
                        .ok_or_else(|| bad("not an unsigned integer"))?,
                ),
                "str" => Scalar::String(text()?.to_owned()),
                other => return Err(bad(&format!("unknown type tag `{other}`"))),
            }
        }
    })
}

fn parse_special_float(s: &str) -> Option<f64> {
    match s.to_ascii_lowercase().as_str() {
        "nan" => Some(f64::NAN),
        "inf" | "+inf" | "infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        other => other.parse().ok(),
    }
}

fn scalar_to_json(s: &Scalar) -> Json {
    let tagged = |tag: &str, v: Json| {
        let mut map = serde_json::Map::new();
        map.insert(tag.to_owned(), v);
        Json::Object(map)
    };
    match s {
        Scalar::Null => Json::Null,
        Scalar::Bool(b) => Json::Bool(*b),
        Scalar::Int(i) => Json::from(*i),
        Scalar::UInt(u) => tagged("uint", Json::from(*u)),
        Scalar::Float(f) => match serde_json::Number::from_f64(*f) {
            Some(n) => Json::Number(n),
            None => tagged("float", Json::String(format!("{f:?}"))),
        },
        Scalar::String(v) => Json::String(v.clone()),
        Scalar::Binary(b) => tagged("bytes", Json::String(encode_hex(b))),
        Scalar::Date(d) => match crate::temporal::date_to_string(*d) {
            Some(text) => tagged("date", Json::String(text)),
            None => tagged("date", Json::String(d.to_string())),
        },
        Scalar::Timestamp { value, unit, tz } => tagged(
            "timestamp",
            Json::String(
                crate::temporal::timestamp_to_iso(*value, *unit, tz.as_deref())
                    .unwrap_or_else(|| value.to_string()),
            ),
        ),
        Scalar::Decimal { value, scale, .. } => tagged(
            "decimal",
            Json::String(crate::temporal::decimal_to_string(*value, *scale)),
        ),
    }
}

/// Lowercase hex of bytes.
pub fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes of a hex string (either case), `None` if malformed.
pub fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}
