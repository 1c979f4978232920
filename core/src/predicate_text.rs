//! The text form of predicates.
//!
//! ```text
//! predicates  := conjunction ("or" conjunction)*
//! conjunction := literal ("and" literal)*
//! literal     := column op value
//! column      := identifier | "double-quoted name"        ("" escapes a quote)
//! op          := == | = | != | <> | < | <= | > | >= | in | not in | is distinct from
//! value       := scalar | "(" [scalar ("," scalar)* [","]] ")" | "[" ... "]"
//! scalar      := integer | integer "u" | float | nan | inf | -inf
//!              | 'single-quoted string'                   ('' escapes a quote)
//!              | true | false | null
//!              | date 'YYYY-MM-DD' | timestamp 'YYYY-MM-DDTHH:MM:SS[.f][±HH:MM][[Zone]]'
//!              | decimal '1.25' | x'00ff'
//! ```
//!
//! Keywords are case-insensitive. Integers that do not fit `i64` become unsigned; `u` forces an
//! unsigned value. Errors carry the byte offset and text of the offending token.

use arrow::datatypes::TimeUnit;

use crate::error::{Error, Result};
use crate::predicate::{decode_hex, Conjunction, Literal, Op, Predicates, Value, KEYWORDS};
use crate::scalar::Scalar;
use crate::temporal;

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    QuotedIdent(String),
    Str(String),
    Number(String),
    Symbol(&'static str),
    End,
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    pos: usize,
    text: String,
}

fn tokenize(input: &str) -> Result<Vec<Token>> {
    let bytes = input.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |pos: usize, token: &str, message: &str| Error::PredicateParse {
        position: pos,
        token: token.to_owned(),
        message: message.to_owned(),
    };
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let tok = match c {
            b'\'' | b'"' => {
                let quote = c;
                let mut text = String::new();
                i += 1;
                loop {
                    let Some(rel) = input[i..].find(quote as char) else {
                        return Err(err(start, &input[start..], "unterminated quoted text"));
                    };
                    text.push_str(&input[i..i + rel]);
                    i += rel + 1;
                    if bytes.get(i) == Some(&quote) {
                        text.push(quote as char);
                        i += 1;
                    } else {
                        break;
                    }
                }
                if quote == b'\'' {
                    Tok::Str(text)
                } else {
                    Tok::QuotedIdent(text)
                }
            }
            b'(' | b')' | b'[' | b']' | b',' => {
                i += 1;
                Tok::Symbol(match c {
                    b'(' => "(",
                    b')' => ")",
                    b'[' => "[",
                    b']' => "]",
                    _ => ",",
                })
            }
            b'=' | b'!' | b'<' | b'>' => {
                let two = input.get(i..i + 2).unwrap_or("");
                let sym = match two {
                    "==" => "==",
                    "!=" => "!=",
                    "<=" => "<=",
                    ">=" => ">=",
                    "<>" => "<>",
                    _ => match c {
                        b'=' => "=",
                        b'<' => "<",
                        b'>' => ">",
                        _ => return Err(err(start, "!", "expected `!=`")),
                    },
                };
                i += sym.len();
                Tok::Symbol(sym)
            }
            b'-' | b'+' | b'0'..=b'9' | b'.' => {
                i += 1;
                while i < bytes.len() {
                    let d = bytes[i];
                    let exponent_sign =
                        (d == b'-' || d == b'+') && matches!(bytes[i - 1], b'e' | b'E');
                    if d.is_ascii_alphanumeric() || d == b'.' || exponent_sign {
                        i += 1;
                    } else {
                        break;
                    }
                }
                Tok::Number(input[start..i].to_owned())
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'.')
                {
                    i += 1;
                }
                Tok::Word(input[start..i].to_owned())
            }
            _ => {
                let ch = input[i..].chars().next().unwrap_or('?');
                return Err(err(start, &ch.to_string(), "unexpected character"));
            }
        };
        out.push(Token {
            tok,
            pos: start,
            text: input[start..i].to_owned(),
        });
    }
    out.push(Token {
        tok: Tok::End,
        pos: input.len(),
        text: String::new(),
    });
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.at.min(self.tokens.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.at < self.tokens.len() - 1 {
            self.at += 1;
        }
        t
    }

    fn error(token: &Token, message: impl Into<String>) -> Error {
        Error::PredicateParse {
            position: token.pos,
            token: token.text.clone(),
            message: message.into(),
        }
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(&self.peek().tok, Tok::Word(w) if w.eq_ignore_ascii_case(word))
    }

    fn expect_word(&mut self, word: &str) -> Result<()> {
        if self.is_word(word) {
            self.next();
            Ok(())
        } else {
            Err(Self::error(self.peek(), format!("expected `{word}`")))
        }
    }

    fn predicates(&mut self) -> Result<Predicates> {
        let mut conjunctions = vec![self.conjunction()?];
        while self.is_word("or") {
            self.next();
            conjunctions.push(self.conjunction()?);
        }
        let end = self.peek();
        if end.tok != Tok::End {
            return Err(Self::error(end, "expected `and`, `or` or the end of input"));
        }
        Ok(Predicates::new(conjunctions))
    }

    fn conjunction(&mut self) -> Result<Conjunction> {
        let mut literals = vec![self.literal()?];
        while self.is_word("and") {
            self.next();
            literals.push(self.literal()?);
        }
        Ok(Conjunction::from(literals))
    }

    fn literal(&mut self) -> Result<Literal> {
        let token = self.next();
        let column = match token.tok {
            Tok::Word(w) if !KEYWORDS.contains(&w.to_ascii_lowercase().as_str()) => w,
            Tok::QuotedIdent(name) => name,
            _ => {
                return Err(Self::error(
                    &token,
                    "expected a column name (double-quote names that are keywords or contain other characters)",
                ))
            }
        };
        let op = self.op()?;
        let value = if op.takes_list() {
            self.list()?
        } else {
            Value::Scalar(self.scalar()?)
        };
        Ok(Literal { column, op, value })
    }

    fn op(&mut self) -> Result<Op> {
        let token = self.next();
        Ok(match &token.tok {
            Tok::Symbol("==") | Tok::Symbol("=") => Op::Eq,
            Tok::Symbol("!=") | Tok::Symbol("<>") => Op::Ne,
            Tok::Symbol("<") => Op::Lt,
            Tok::Symbol("<=") => Op::Le,
            Tok::Symbol(">") => Op::Gt,
            Tok::Symbol(">=") => Op::Ge,
            Tok::Word(w) if w.eq_ignore_ascii_case("in") => Op::In,
            Tok::Word(w) if w.eq_ignore_ascii_case("not") => {
                self.expect_word("in")?;
                Op::NotIn
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("is") => {
                self.expect_word("distinct")?;
                self.expect_word("from")?;
                Op::IsDistinctFrom
            }
            _ => {
                return Err(Self::error(
                    &token,
                    "unknown operator; expected one of ==, !=, <, <=, >, >=, in, not in, is distinct from",
                ))
            }
        })
    }

    fn list(&mut self) -> Result<Value> {
        let open = self.next();
        let close = match open.tok {
            Tok::Symbol("(") => ")",
            Tok::Symbol("[") => "]",
            _ => return Err(Self::error(&open, "expected a list such as (1, 2)")),
        };
        let mut values = Vec::new();
        loop {
            if self.peek().tok == Tok::Symbol(close) {
                self.next();
                break;
            }
            values.push(self.scalar()?);
            let sep = self.next();
            match sep.tok {
                Tok::Symbol(",") => {}
                Tok::Symbol(s) if s == close => break,
                _ => return Err(Self::error(&sep, format!("expected `,` or `{close}`"))),
            }
        }
        Ok(Value::List(values))
    }

    fn quoted_payload(&mut self, kind: &str) -> Result<(Token, String)> {
        let token = self.next();
        match &token.tok {
            Tok::Str(s) => {
                let s = s.clone();
                Ok((token, s))
            }
            _ => Err(Self::error(&token, format!("expected a quoted {kind}"))),
        }
    }

    fn scalar(&mut self) -> Result<Scalar> {
        let token = self.next();
        match &token.tok {
            Tok::Str(s) => Ok(Scalar::String(s.clone())),
            Tok::Number(n) => parse_number(n).ok_or_else(|| Self::error(&token, "invalid number")),
            Tok::Word(w) => match w.to_ascii_lowercase().as_str() {
                "true" => Ok(Scalar::Bool(true)),
                "false" => Ok(Scalar::Bool(false)),
                "null" => Ok(Scalar::Null),
                "nan" => Ok(Scalar::Float(f64::NAN)),
                "inf" => Ok(Scalar::Float(f64::INFINITY)),
                "date" => {
                    let (tok, text) = self.quoted_payload("date")?;
                    temporal::parse_date(&text)
                        .map(Scalar::Date)
                        .map_err(|e| Self::error(&tok, e.to_string()))
                }
                "timestamp" => {
                    let (tok, text) = self.quoted_payload("timestamp")?;
                    let parsed = temporal::parse_timestamp(&text)
                        .map_err(|e| Self::error(&tok, e.to_string()))?;
                    Ok(Scalar::Timestamp {
                        value: parsed.nanos,
                        unit: TimeUnit::Nanosecond,
                        tz: parsed.tz,
                    })
                }
                "decimal" => {
                    let (tok, text) = self.quoted_payload("decimal")?;
                    let (value, precision, scale) = temporal::parse_decimal(&text)
                        .map_err(|e| Self::error(&tok, e.to_string()))?;
                    Ok(Scalar::Decimal {
                        value,
                        precision,
                        scale,
                    })
                }
                "x" => {
                    let (tok, text) = self.quoted_payload("hex string")?;
                    decode_hex(&text)
                        .map(Scalar::Binary)
                        .ok_or_else(|| Self::error(&tok, "invalid hex digits"))
                }
                _ => Err(Self::error(
                    &token,
                    "expected a value (quote strings with single quotes)",
                )),
            },
            _ => Err(Self::error(&token, "expected a value")),
        }
    }
}

fn parse_number(text: &str) -> Option<Scalar> {
    let lower = text.to_ascii_lowercase();
    match lower.as_str() {
        "-inf" => return Some(Scalar::Float(f64::NEG_INFINITY)),
        "+inf" => return Some(Scalar::Float(f64::INFINITY)),
        _ => {}
    }
    if let Some(digits) = lower.strip_suffix('u') {
        return digits.parse::<u64>().ok().map(Scalar::UInt);
    }
    let is_integer = lower
        .strip_prefix(['-', '+'])
        .unwrap_or(&lower)
        .bytes()
        .all(|b| b.is_ascii_digit());
    if is_integer {
        if let Ok(i) = lower.parse::<i64>() {
            return Some(Scalar::Int(i));
        }
        return lower
            .strip_prefix('+')
            .unwrap_or(&lower)
            .parse::<u64>()
            .ok()
            .map(Scalar::UInt);
    }
    lower.parse::<f64>().ok().map(Scalar::Float)
}

impl Predicates {
    /// Parses the text form; see the [`crate::predicate`] documentation for the grammar.
    pub fn parse(text: &str) -> Result<Self> {
        parse(text)
    }
}

/// Parses the text form of predicates.
fn parse(input: &str) -> Result<Predicates> {
    let mut parser = Parser {
        tokens: tokenize(input)?,
        at: 0,
    };
    parser.predicates()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_err(text: &str) -> (usize, String) {
        match parse(text) {
            Err(Error::PredicateParse {
                position, token, ..
            }) => (position, token),
            other => panic!("expected a parse error for {text:?}, got {other:?}"),
        }
    }

    #[test]
    fn parses_the_documented_example() {
        let p = parse("a == 1 and b in (1, 2) or c >= date '2020-01-01'").unwrap();
        assert_eq!(p.conjunctions.len(), 2);
        assert_eq!(p.conjunctions[0].literals[1].op, Op::In);
        assert_eq!(
            p.conjunctions[1].literals[0].value,
            Value::Scalar(Scalar::Date(18262))
        );
    }

    #[test]
    fn parses_every_operator_and_value_kind() {
        let p = parse(
            "a = 1 AND b != 'it''s' and c <> null and d < 1.5 and e <= -2 and f > 18446744073709551615 \
             and g >= 3u and h not in [x'00ff', true] and \"odd name\" is distinct from timestamp '2020-01-01T00:00:00Z' \
             and i == decimal '1.25' and j == -inf and k in ()",
        )
        .unwrap();
        let lits = &p.conjunctions[0].literals;
        let ops: Vec<Op> = lits.iter().map(|l| l.op).collect();
        assert_eq!(
            ops,
            vec![
                Op::Eq,
                Op::Ne,
                Op::Ne,
                Op::Lt,
                Op::Le,
                Op::Gt,
                Op::Ge,
                Op::NotIn,
                Op::IsDistinctFrom,
                Op::Eq,
                Op::Eq,
                Op::In
            ]
        );
        assert_eq!(lits[1].value, Value::Scalar(Scalar::String("it's".into())));
        assert_eq!(lits[5].value, Value::Scalar(Scalar::UInt(u64::MAX)));
        assert_eq!(lits[6].value, Value::Scalar(Scalar::UInt(3)));
        assert_eq!(
            lits[7].value,
            Value::List(vec![Scalar::Binary(vec![0, 255]), Scalar::Bool(true)])
        );
        assert_eq!(lits[8].column, "odd name");
        assert_eq!(lits[11].value, Value::List(vec![]));
    }

    #[test]
    fn errors_point_at_the_offending_token() {
        assert_eq!(parse_err("a === 1"), (4, "=".into()));
        assert_eq!(parse_err("a ~ 1"), (2, "~".into()));
        assert_eq!(parse_err("a like 1"), (2, "like".into()));
        assert_eq!(parse_err("a == 1 b == 2"), (7, "b".into()));
        assert_eq!(parse_err("a == 'x"), (5, "'x".into()));
        assert_eq!(parse_err("a in 1"), (5, "1".into()));
        assert_eq!(parse_err("a == "), (5, "".into()));
        assert_eq!(parse_err("a == date 'nope'"), (10, "'nope'".into()));
        assert_eq!(parse_err("a not like (1)"), (6, "like".into()));
        assert_eq!(parse_err("and == 1"), (0, "and".into()));
        assert_eq!(parse_err("a == x'0g'"), (6, "'0g'".into()));
    }

    #[test]
    fn identifiers_that_need_quotes_are_quoted_on_display() {
        let p = Predicates::new(vec![Conjunction::new()
            .with("in", Op::Eq, 1)
            .with("a b", Op::Eq, "x")
            .with("q\"q", Op::Eq, 2)])
        .to_string();
        assert_eq!(p, r#""in" == 1 and "a b" == 'x' and "q""q" == 2"#);
        assert_eq!(
            parse(&p).unwrap().conjunctions[0].literals[2].column,
            "q\"q"
        );
    }
}
