//! Partition values as plateau writes them into keys and reads them back (reference §2.5,
//! §2.6), and plateau's lenient value normalisation for index lookups (reference §1.9).
//!
//! Python plateau puts `str(value)` of the pandas groupby key into a key, percent-quoted. To
//! land in the same directory as a Python writer, [`format_value`] reproduces that text:
//! Python's float `repr`, `True`/`False`, pandas' `Timestamp.__str__`, `str(Decimal)`.
//! [`quote_value`] quotes it with [`quote_component_bytes`], which differs from plateau only in
//! escaping `/` as `%2F` (plateau's `/` corrupts the value; Python decodes `%2F` fine).
//!
//! [`parse_value`] is the inverse, typed by the column's Arrow type from `_common_metadata`.
//! Unlike Python plateau it reads bool, binary and tz-aware values back with their real type
//! (reference §2.6 lists the three bugs).
//!
//! [`normalize_value`] is the lenient conversion plateau applies to values a user passes to
//! an index query or a delete scope (`"1"` finds the integer 1).
//!
//! ```
//! use arrow::datatypes::DataType;
//! use plateau_core::partition_value::{parse_value, quote_value};
//! use plateau_core::Scalar;
//!
//! assert_eq!(quote_value(&Scalar::Float(1e20)).unwrap(), "1e%2B20");
//! assert_eq!(quote_value(&Scalar::String("a/b".into())).unwrap(), "a%2Fb");
//! assert_eq!(parse_value("False", &DataType::Boolean).unwrap(), Scalar::Bool(false));
//! ```

use std::sync::Arc;

use arrow::datatypes::{ArrowPrimitiveType, DataType, Float16Type, TimeUnit};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

use crate::error::{Error, Result};
use crate::quote::{quote_component_bytes, unquote_bytes};
use crate::scalar::Scalar;
use crate::temporal::{self, Tz};

const NANOS_PER_SEC: i64 = 1_000_000_000;

/// The text plateau puts into a key for `value`, before quoting: Python's `str()` of the
/// pandas groupby key.
///
/// | value | text |
/// |---|---|
/// | `Int`, `UInt` | decimal (`-2`, `18446744073709551615`) |
/// | `Float` | Python `repr` ([`format_float`]): `0.1`, `1.0`, `1e+16`, `1e-07`, `inf`, `nan` |
/// | `Bool` | `True` / `False` |
/// | `String` | the string itself |
/// | `Binary` | the raw bytes (plateau quotes `bytes` as they are) |
/// | `Date` | `2020-01-01` |
/// | `Timestamp` | pandas `str(Timestamp)` ([`format_timestamp`]): `2020-01-01 00:00:00.500000+01:00` |
/// | `Decimal` | Python `str(Decimal)` ([`format_decimal`]): `1.50`, `-1E-7` |
///
/// [`Scalar::Null`] is an error: plateau cannot partition on missing values (pandas' groupby
/// drops them).
pub fn format_value(value: &Scalar) -> Result<Vec<u8>> {
    Ok(match value {
        Scalar::Null => {
            return Err(Error::invalid_input(
                "a partition value cannot be null (plateau cannot partition on missing values)",
            ))
        }
        Scalar::Bool(v) => if *v { "True" } else { "False" }.as_bytes().to_vec(),
        Scalar::Int(v) => v.to_string().into_bytes(),
        Scalar::UInt(v) => v.to_string().into_bytes(),
        Scalar::Float(v) => format_float(*v).into_bytes(),
        Scalar::String(v) => v.as_bytes().to_vec(),
        Scalar::Binary(v) => v.clone(),
        Scalar::Date(days) => format_date(*days)?.into_bytes(),
        Scalar::Timestamp { value, unit, tz } => {
            format_timestamp(*value, *unit, tz.as_deref())?.into_bytes()
        }
        Scalar::Decimal { value, scale, .. } => format_decimal(*value, *scale).into_bytes(),
    })
}

/// The exact text of `value` in a key component `column=<here>`: [`format_value`] quoted with
/// [`quote_component_bytes`] (plateau's quoting, plus `/` as `%2F`).
pub fn quote_value(value: &Scalar) -> Result<String> {
    Ok(quote_component_bytes(&format_value(value)?))
}

/// Python's `repr(float)`: the shortest digits that round-trip, in scientific notation iff
/// the decimal exponent is < -4 or >= 16 (`1e-05`, `1e+16`, `1.5e+300`: signed exponent of at
/// least two digits), otherwise positional with `.0` appended to integral values
/// (`1000000000000000.0`, `-0.0`); `inf`, `-inf`, `nan`.
pub fn format_float(v: f64) -> String {
    if v.is_nan() {
        return "nan".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    let sign = if v.is_sign_negative() { "-" } else { "" };
    let (digits, exponent) = shortest_digits(v.abs());
    let mut out = String::from(sign);
    if !(-4..16).contains(&exponent) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push_str(&format!(
            "e{}{:02}",
            if exponent < 0 { '-' } else { '+' },
            exponent.unsigned_abs()
        ));
    } else if exponent >= 0 {
        let int_len = usize::try_from(exponent).unwrap_or(0) + 1;
        if digits.len() <= int_len {
            out.push_str(&digits);
            out.push_str(&"0".repeat(int_len - digits.len()));
            out.push_str(".0");
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    } else {
        out.push_str("0.");
        out.push_str(&"0".repeat(usize::try_from(-exponent - 1).unwrap_or(0)));
        out.push_str(&digits);
    }
    out
}

/// The digits (without leading zeros) and decimal exponent of `x`, as `d.ddd * 10^exp`, from
/// Rust's scientific formatting.
fn scientific_parts(text: &str) -> (String, i32) {
    let (mantissa, exponent) = text.split_once('e').unwrap_or((text, "0"));
    let digits = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    (digits, exponent.parse().unwrap_or(0))
}

/// Python's shortest round-trip digits of a finite, non-negative `x`.
///
/// Rust's `{:e}` finds the same (shortest) number of digits as Python, and the same digits
/// whenever one candidate is closest to `x`. When `x` lies exactly halfway between two
/// shortest candidates (common for widened float32 values such as 659.91802978515625),
/// Python rounds half to even and Rust does not, so that case is decided here from the exact
/// decimal expansion.
fn shortest_digits(x: f64) -> (String, i32) {
    let (digits, exponent) = scientific_parts(&format!("{x:e}"));
    let n = digits.len();
    let is_half = |tail: &str| tail.starts_with('5') && tail[1..].bytes().all(|b| b == b'0');
    // Cheap screen first: 25 more digits than needed, rounded; only a tie can look like `50…0`.
    let (wide, _) = scientific_parts(&format!("{:.*e}", n + 24, x));
    if !is_half(wide.get(n..).unwrap_or("")) {
        return (digits, exponent);
    }
    // An f64 has at most 767 significant decimal digits, so 801 digits are exact.
    let (exact, exact_exponent) = scientific_parts(&format!("{:.800e}", x));
    if !is_half(exact.get(n..).unwrap_or("")) {
        return (digits, exponent);
    }
    let lower = &exact[..n];
    let (mut candidate, mut candidate_exponent) = (lower.to_owned(), exact_exponent);
    if lower.bytes().last().is_some_and(|b| (b - b'0') % 2 == 1) {
        // Round up: add one to the last digit, carrying through nines.
        let mut bytes = lower.as_bytes().to_vec();
        let mut i = bytes.len();
        loop {
            if i == 0 {
                bytes.insert(0, b'1');
                bytes.pop();
                candidate_exponent += 1;
                break;
            }
            i -= 1;
            if bytes[i] == b'9' {
                bytes[i] = b'0';
            } else {
                bytes[i] += 1;
                break;
            }
        }
        candidate = String::from_utf8(bytes).unwrap_or_default();
    }
    let trimmed = candidate.trim_end_matches('0');
    let trimmed = if trimmed.is_empty() { "0" } else { trimmed };
    let literal = format!("{}.{}e{candidate_exponent}", &trimmed[..1], &trimmed[1..]);
    // The even candidate is as close as Rust's; keep it only if it really round-trips.
    if literal.parse::<f64>() == Ok(x) {
        (trimmed.to_owned(), candidate_exponent)
    } else {
        (digits, exponent)
    }
}

/// Formats a year as C's `%04d` (as pandas does): `0001`, `2020`, `10000`, `-001`.
fn format_year(year: i32) -> String {
    format!("{year:04}")
}

/// `str(datetime.date)`: `YYYY-MM-DD`.
pub fn format_date(days: i32) -> Result<String> {
    let (y, m, d) = temporal::date_parts(days).ok_or_else(|| {
        Error::invalid_input(format!(
            "date {days} (days since 1970-01-01) is out of range"
        ))
    })?;
    Ok(format!("{}-{m:02}-{d:02}", format_year(y)))
}

/// pandas' `str(Timestamp)`: `2020-01-01 00:00:00`, with a fraction only when it is non-zero
/// (6 digits for a whole microsecond, else 9) and, for a zone, the UTC offset of that zone at
/// that instant (`+01:00`, `+00:00` for UTC, `+00:19:32` for historic offsets with seconds).
pub fn format_timestamp(value: i64, unit: TimeUnit, tz: Option<&str>) -> Result<String> {
    let out_of_range =
        || Error::invalid_input(format!("timestamp {value} ({unit:?}) is out of range"));
    let utc = temporal::to_naive_utc(value, unit).ok_or_else(out_of_range)?;
    let (local, offset) = match tz {
        None => (utc, None),
        Some(name) => {
            let offset = Tz::parse(name)?.offset_at(&utc);
            let local = utc
                .checked_add_signed(Duration::seconds(offset.into()))
                .ok_or_else(out_of_range)?;
            (local, Some(offset))
        }
    };
    let (h, mi, s, nanos) = temporal::time_parts(&local);
    let mut text = format!(
        "{}-{:02}-{:02} {h:02}:{mi:02}:{s:02}",
        format_year(local.year()),
        local.month(),
        local.day()
    );
    if nanos != 0 {
        if nanos % 1_000 == 0 {
            text.push_str(&format!(".{:06}", nanos / 1_000));
        } else {
            text.push_str(&format!(".{nanos:09}"));
        }
    }
    if let Some(offset) = offset {
        text.push_str(&temporal::format_offset(offset));
    }
    Ok(text)
}

/// Python's `str(Decimal)` of `value * 10^-scale`: positional when the exponent is <= 0 and
/// the number is not tiny (`1.50`, `0.000001`), else scientific with a capital `E`
/// (`1E-7`, `1E+2`, `0E-10`). The scale is the Arrow column's, so `1.50` keeps its zero.
pub fn format_decimal(value: i128, scale: i8) -> String {
    // A port of CPython's `Decimal.__str__` (to_sci_string) for finite values.
    let sign = if value < 0 { "-" } else { "" };
    let digits = value.unsigned_abs().to_string();
    let n = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    let exp = -i32::from(scale);
    let left_digits = exp + n;
    let dot_place = if exp <= 0 && left_digits > -6 {
        left_digits
    } else {
        1
    };
    let (int_part, frac_part) = if dot_place <= 0 {
        let zeros = "0".repeat(usize::try_from(-dot_place).unwrap_or(0));
        ("0".to_owned(), format!(".{zeros}{digits}"))
    } else if dot_place >= n {
        let zeros = "0".repeat(usize::try_from(dot_place - n).unwrap_or(0));
        (format!("{digits}{zeros}"), String::new())
    } else {
        let split = usize::try_from(dot_place).unwrap_or(0);
        (digits[..split].to_owned(), format!(".{}", &digits[split..]))
    };
    let exponent = if left_digits == dot_place {
        String::new()
    } else {
        format!("E{:+}", left_digits - dot_place)
    };
    format!("{sign}{int_part}{frac_part}{exponent}")
}

/// Parses a quoted partition value from a key back into a typed value of `data_type` (the
/// column's type in `_common_metadata`).
///
/// The text is unquoted first; binary columns take the raw bytes, every other type requires
/// UTF-8. The result has the column's representation: [`Scalar::Int`] / [`Scalar::UInt`]
/// (range-checked against the declared width), [`Scalar::Float`] (narrowed through the
/// declared width), [`Scalar::Date`] for `date32`/`date64`, [`Scalar::Timestamp`] with the
/// column's unit and zone, [`Scalar::Decimal`] with the column's precision and scale.
/// Dictionary columns parse as their value type.
///
/// Accepted texts, beyond what [`format_value`] writes:
/// * int: Python `int()` syntax (surrounding whitespace, a sign, `_` between digits);
/// * float: Python `float()` syntax (`1e+20`, `.5`, `inf`, `-Infinity`, `nan`);
/// * bool: `True`/`False` in any case;
/// * date: `YYYY-MM-DD`, or a timestamp text whose (local, as written) date is taken;
/// * timestamp: `YYYY-MM-DD`, `YYYY-MM-DD[ T]HH:MM[:SS[.f…]]` with 1 to 9 fractional digits,
///   optionally followed by `Z`, `±HH:MM`, `±HHMM` or `±HH:MM:SS`. A text with an offset is
///   converted to its UTC instant; a naive text is UTC even for a tz-aware column, as in
///   plateau's `normalize_value`. A fraction finer than the column's unit is an error rather
///   than a silent truncation;
/// * decimal: Python `Decimal()` syntax for finite values (`1.50`, `-1E-7`), which must fit
///   the column's scale and precision exactly.
pub fn parse_value(quoted: &str, data_type: &DataType) -> Result<Scalar> {
    parse_unquoted(&unquote_bytes(quoted), data_type).map_err(|err| match err {
        Error::InvalidInput(why) => Error::invalid_input(format!(
            "partition value `{quoted}` is not a valid {data_type}: {why}"
        )),
        other => other,
    })
}

/// [`parse_value`] for an already unquoted value.
pub fn parse_unquoted(bytes: &[u8], data_type: &DataType) -> Result<Scalar> {
    match data_type {
        DataType::Dictionary(_, value_type) => return parse_unquoted(bytes, value_type),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => {
            return Ok(Scalar::Binary(bytes.to_vec()))
        }
        DataType::FixedSizeBinary(width) => {
            return fixed_size_binary(bytes.to_vec(), *width);
        }
        _ => {}
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Error::invalid_input(format!(
            "not valid UTF-8 (invalid byte at {})",
            e.valid_up_to()
        ))
    })?;
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            Ok(Scalar::String(text.to_owned()))
        }
        DataType::Boolean => parse_bool(text).map(Scalar::Bool),
        t if int_bounds(t).is_some() => {
            let v = parse_python_int(text).ok_or_else(|| Error::invalid_input("not an integer"))?;
            int_scalar(v, t)
        }
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            parse_float_for(text, data_type).map(Scalar::Float)
        }
        DataType::Date32 | DataType::Date64 => parse_date_text(text).map(Scalar::Date),
        DataType::Timestamp(unit, tz) => {
            let utc = parse_timestamp_text(text)?;
            Ok(Scalar::Timestamp {
                value: naive_utc_to_unit(&utc, *unit)?,
                unit: *unit,
                tz: tz.clone(),
            })
        }
        DataType::Decimal128(precision, scale) => {
            let (digits, exponent) = parse_decimal_text(text)?;
            decimal_scalar(digits, exponent, *precision, *scale)
        }
        other => Err(unsupported(other)),
    }
}

/// Converts a user-supplied value to the representation of a column of `data_type`, as
/// plateau's `IndexBase.normalize_value` does for index queries and delete scopes
/// (reference §1.9). Rules by column type:
///
/// * **string** (any string flavour): strings stay; UTF-8 bytes are decoded; anything else
///   becomes Python's `str()` of it ([`format_value`]: `1.0` → `"1.0"`, `true` → `"True"`).
/// * **binary**: bytes stay; anything else is its `str()` encoded as UTF-8.
/// * **signed / unsigned int**: `int(v)`: integers are range-checked against the width,
///   floats and decimals truncate toward zero (`1.5` → 1), bools are 0/1, strings (and UTF-8
///   bytes) use Python `int()` syntax (`"1"` → 1, but `"1.5"` is an error, as in Python).
/// * **float**: `float(v)`: numbers convert, bools are 0.0/1.0, strings use Python `float()`
///   syntax (`"1e+20"`, `"inf"`, `"nan"`); the result is narrowed through the column width.
/// * **bool**: bools stay; strings must be `true`/`false` in any case (plateau *returns* an
///   error object for other strings; this is an error); numbers are `bool(v)` (non-zero is
///   true); NaN is an error.
/// * **date**: dates stay; timestamps give their date in their own zone (naive ones: UTC);
///   strings parse as a date or a timestamp text whose written date is taken.
/// * **timestamp**: timestamps convert to the column's unit (exactly, else an error) and take
///   the column's zone (same instant); dates are midnight UTC; strings parse as in
///   [`parse_value`] (a naive text means UTC).
/// * **decimal**: decimals, integers and strings rescale exactly to the column's scale;
///   floats go through their `repr` (`0.1` → `0.1`).
/// * dictionary columns use their value type.
///
/// Numbers are not accepted for dates and timestamps (Python would read them as nanoseconds
/// since the epoch, which is never what a caller means). [`Scalar::Null`] stays null for
/// every type: whether a null can match is the caller's decision.
pub fn normalize_value(value: &Scalar, data_type: &DataType) -> Result<Scalar> {
    if matches!(value, Scalar::Null) {
        return Ok(Scalar::Null);
    }
    normalize_inner(value, data_type).map_err(|err| match err {
        Error::InvalidInput(why) => Error::invalid_input(format!(
            "value {value} ({}) cannot be normalised to {data_type}: {why}",
            value.kind()
        )),
        other => other,
    })
}

fn normalize_inner(value: &Scalar, data_type: &DataType) -> Result<Scalar> {
    use Scalar::*;
    let mismatch = || Error::invalid_input(format!("{} values are not accepted", value.kind()));
    match data_type {
        DataType::Dictionary(_, value_type) => normalize_inner(value, value_type),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => match value {
            String(s) => Ok(String(s.clone())),
            Binary(b) => Ok(String(utf8(b)?.to_owned())),
            other => Ok(String(utf8(&format_value(other)?)?.to_owned())),
        },
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => match value {
            Binary(b) => Ok(Binary(b.clone())),
            other => Ok(Binary(format_value(other)?)),
        },
        DataType::FixedSizeBinary(width) => {
            let bytes = match value {
                Binary(b) => b.clone(),
                other => format_value(other)?,
            };
            fixed_size_binary(bytes, *width)
        }
        t if int_bounds(t).is_some() => {
            let v: i128 = match value {
                Int(v) => (*v).into(),
                UInt(v) => (*v).into(),
                Bool(v) => (*v).into(),
                Float(f) => float_to_int(*f)?,
                Decimal { value, scale, .. } => decimal_trunc(*value, *scale),
                String(s) => {
                    parse_python_int(s).ok_or_else(|| Error::invalid_input("not an integer"))?
                }
                Binary(b) => parse_python_int(utf8(b)?)
                    .ok_or_else(|| Error::invalid_input("not an integer"))?,
                _ => return Err(mismatch()),
            };
            int_scalar(v, t)
        }
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            let v = match value {
                Int(v) => *v as f64,
                UInt(v) => *v as f64,
                Bool(v) => f64::from(u8::from(*v)),
                Float(f) => *f,
                Decimal { value, scale, .. } => parse_python_float(&format_decimal(*value, *scale))
                    .ok_or_else(|| Error::invalid_input("decimal out of float range"))?,
                String(s) => return parse_float_for(s, data_type).map(Float),
                Binary(b) => return parse_float_for(utf8(b)?, data_type).map(Float),
                _ => return Err(mismatch()),
            };
            Ok(Float(narrow_float(v, data_type)))
        }
        DataType::Boolean => match value {
            Bool(v) => Ok(Bool(*v)),
            String(s) => parse_bool(s).map(Bool),
            Int(v) => Ok(Bool(*v != 0)),
            UInt(v) => Ok(Bool(*v != 0)),
            Float(f) if f.is_nan() => Err(Error::invalid_input("NaN has no truth value")),
            Float(f) => Ok(Bool(*f != 0.0)),
            _ => Err(mismatch()),
        },
        DataType::Date32 | DataType::Date64 => match value {
            Date(d) => Ok(Date(*d)),
            Timestamp { value, unit, tz } => {
                let utc = temporal::to_naive_utc(*value, *unit)
                    .ok_or_else(|| Error::invalid_input("timestamp out of range"))?;
                let local = match tz {
                    None => utc,
                    Some(name) => {
                        let offset = Tz::parse(name)?.offset_at(&utc);
                        utc.checked_add_signed(Duration::seconds(offset.into()))
                            .ok_or_else(|| Error::invalid_input("timestamp out of range"))?
                    }
                };
                temporal::date_to_days(local.date()).map(Date)
            }
            String(s) => parse_date_text(s).map(Date),
            _ => Err(mismatch()),
        },
        DataType::Timestamp(unit, tz) => {
            let utc = match value {
                Timestamp {
                    value, unit: from, ..
                } => temporal::to_naive_utc(*value, *from)
                    .ok_or_else(|| Error::invalid_input("timestamp out of range"))?,
                Date(days) => {
                    let date = temporal::date_parts(*days)
                        .and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d))
                        .ok_or_else(|| Error::invalid_input("date out of range"))?;
                    date.and_time(NaiveTime::MIN)
                }
                String(s) => parse_timestamp_text(s)?,
                _ => return Err(mismatch()),
            };
            Ok(Timestamp {
                value: naive_utc_to_unit(&utc, *unit)?,
                unit: *unit,
                tz: tz.clone(),
            })
        }
        DataType::Decimal128(precision, scale) => {
            let (digits, exponent) = match value {
                Decimal { value, scale, .. } => (*value, -i32::from(*scale)),
                Int(v) => (i128::from(*v), 0),
                UInt(v) => (i128::from(*v), 0),
                Float(f) => parse_decimal_text(&format_float(*f))?,
                String(s) => parse_decimal_text(s)?,
                _ => return Err(mismatch()),
            };
            decimal_scalar(digits, exponent, *precision, *scale)
        }
        other => Err(unsupported(other)),
    }
}

fn unsupported(data_type: &DataType) -> Error {
    Error::unsupported(format!("partition values of type {data_type}"))
}

fn utf8(bytes: &[u8]) -> Result<&str> {
    std::str::from_utf8(bytes).map_err(|e| {
        Error::invalid_input(format!(
            "bytes are not valid UTF-8 (invalid byte at {})",
            e.valid_up_to()
        ))
    })
}

fn fixed_size_binary(bytes: Vec<u8>, width: i32) -> Result<Scalar> {
    if usize::try_from(width).ok() != Some(bytes.len()) {
        return Err(Error::invalid_input(format!(
            "{} bytes do not fit a fixed size of {width}",
            bytes.len()
        )));
    }
    Ok(Scalar::Binary(bytes))
}

/// `True`/`False` as plateau writes them, and `true`/`false` in any case as plateau's
/// normalisation accepts them.
fn parse_bool(text: &str) -> Result<bool> {
    if text.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if text.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(Error::invalid_input("expected True or False"))
    }
}

/// The inclusive range and signedness of an integer type.
fn int_bounds(data_type: &DataType) -> Option<(i128, i128, bool)> {
    Some(match data_type {
        DataType::Int8 => (i8::MIN.into(), i8::MAX.into(), true),
        DataType::Int16 => (i16::MIN.into(), i16::MAX.into(), true),
        DataType::Int32 => (i32::MIN.into(), i32::MAX.into(), true),
        DataType::Int64 => (i64::MIN.into(), i64::MAX.into(), true),
        DataType::UInt8 => (0, u8::MAX.into(), false),
        DataType::UInt16 => (0, u16::MAX.into(), false),
        DataType::UInt32 => (0, u32::MAX.into(), false),
        DataType::UInt64 => (0, u64::MAX.into(), false),
        _ => return None,
    })
}

/// `v` as the scalar of an integer column, if it is within the column's range.
fn int_scalar(v: i128, data_type: &DataType) -> Result<Scalar> {
    let (min, max, signed) =
        int_bounds(data_type).ok_or_else(|| Error::invalid_input("not an integer type"))?;
    if v < min || v > max {
        return Err(Error::invalid_input(format!(
            "{v} is out of range [{min}, {max}]"
        )));
    }
    // In range, so the conversions cannot fail; map_err keeps it panic-free anyway.
    let out_of_range = |_| Error::invalid_input(format!("{v} is out of range"));
    if signed {
        i64::try_from(v).map(Scalar::Int).map_err(out_of_range)
    } else {
        u64::try_from(v).map(Scalar::UInt).map_err(out_of_range)
    }
}

/// Removes the `_` digit separators Python allows (`1_000`), `None` when one is misplaced
/// (leading, trailing, doubled or next to a non-digit).
fn strip_digit_separators(s: &str) -> Option<String> {
    if !s.contains('_') {
        return Some(s.to_owned());
    }
    let bytes = s.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'_' {
            let before = i.checked_sub(1).and_then(|j| bytes.get(j));
            let after = bytes.get(i + 1);
            if !before.is_some_and(u8::is_ascii_digit) || !after.is_some_and(u8::is_ascii_digit) {
                return None;
            }
        }
    }
    Some(s.replace('_', ""))
}

/// Python's `int(text)` for base 10: whitespace around, an optional sign, ASCII digits with
/// `_` separators. `None` for anything else and beyond `i128`.
fn parse_python_int(text: &str) -> Option<i128> {
    let t = text.trim();
    let (negative, body) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let digits = strip_digit_separators(body)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude: i128 = digits.parse().ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

/// Python's `float(text)`: whitespace around, an optional sign, `inf`/`infinity`/`nan` in any
/// case, or a decimal number with optional exponent and `_` separators between digits.
fn python_float_literal(text: &str) -> Option<String> {
    let t = text.trim();
    let (sign, body) = match t.as_bytes().first()? {
        b'-' => ("-", &t[1..]),
        b'+' => ("", &t[1..]),
        _ => ("", t),
    };
    let lower = body.to_ascii_lowercase();
    if matches!(lower.as_str(), "inf" | "infinity" | "nan") {
        return Some(format!("{sign}{lower}"));
    }
    let body = strip_digit_separators(body)?;
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(pos) => (&body[..pos], Some(&body[pos + 1..])),
        None => (body.as_str(), None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !all_digits(int) || !all_digits(frac) {
        return None;
    }
    if let Some(exponent) = exponent {
        let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        if digits.is_empty() || !all_digits(digits) {
            return None;
        }
    }
    Some(format!("{sign}{body}"))
}

fn parse_python_float(text: &str) -> Option<f64> {
    python_float_literal(text)?.parse().ok()
}

/// A float for a column of `data_type`, parsed directly at the column's width so a float32
/// value is not rounded twice.
fn parse_float_for(text: &str, data_type: &DataType) -> Result<f64> {
    let literal = python_float_literal(text).ok_or_else(|| Error::invalid_input("not a float"))?;
    let bad = |_| Error::invalid_input("not a float");
    match data_type {
        DataType::Float32 => literal.parse::<f32>().map(f64::from).map_err(bad),
        DataType::Float16 => literal
            .parse::<f64>()
            .map(|v| narrow_float(v, data_type))
            .map_err(bad),
        _ => literal.parse::<f64>().map_err(bad),
    }
}

/// The value a column of `data_type` stores for `v`, widened back to `f64`.
fn narrow_float(v: f64, data_type: &DataType) -> f64 {
    type F16 = <Float16Type as ArrowPrimitiveType>::Native;
    match data_type {
        DataType::Float32 => f64::from(v as f32),
        DataType::Float16 => F16::from_f64(v).to_f64(),
        _ => v,
    }
}

/// Python's `int(float)`: truncation toward zero; NaN and infinities are errors.
fn float_to_int(f: f64) -> Result<i128> {
    // 2^127: beyond it `as i128` would saturate, and no integer column holds such values.
    const LIMIT: f64 = 1.7014118346046923e38;
    if !f.is_finite() {
        return Err(Error::invalid_input(format!(
            "cannot convert float {} to integer",
            format_float(f)
        )));
    }
    let t = f.trunc();
    if t.abs() >= LIMIT {
        return Err(Error::invalid_input(format!(
            "{} is out of range",
            format_float(f)
        )));
    }
    Ok(t as i128)
}

/// Python's `int(Decimal)`: the integral part, truncated toward zero.
fn decimal_trunc(value: i128, scale: i8) -> i128 {
    if scale <= 0 {
        let factor = 10i128.saturating_pow(u32::from(scale.unsigned_abs()));
        value.saturating_mul(factor)
    } else {
        let divisor = 10i128.checked_pow(u32::from(scale.unsigned_abs()));
        divisor.map_or(0, |d| value / d)
    }
}

/// Parses Python `Decimal()` syntax of a finite number into (digits, exponent) so that the
/// value is `digits * 10^exponent`.
fn parse_decimal_text(text: &str) -> Result<(i128, i32)> {
    let bad = || Error::invalid_input("not a finite decimal number");
    let t = text.trim();
    let (negative, body) = match t.as_bytes().first().ok_or_else(bad)? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let body = strip_digit_separators(body).ok_or_else(bad)?;
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(pos) => (&body[..pos], Some(&body[pos + 1..])),
        None => (body.as_str(), None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !all_digits(int) || !all_digits(frac) {
        return Err(bad());
    }
    let exponent: i32 = match exponent {
        Some(e) => e.parse().map_err(|_| bad())?,
        None => 0,
    };
    let frac_len = i32::try_from(frac.len()).map_err(|_| bad())?;
    let all = format!("{int}{frac}");
    let significant = all.trim_start_matches('0');
    let magnitude: i128 = if significant.is_empty() {
        0
    } else {
        significant
            .parse()
            .map_err(|_| Error::invalid_input("too many digits"))?
    };
    let exponent = exponent.checked_sub(frac_len).ok_or_else(bad)?;
    Ok((if negative { -magnitude } else { magnitude }, exponent))
}

/// `digits * 10^exponent` as a decimal of the given precision and scale, exactly.
fn decimal_scalar(digits: i128, exponent: i32, precision: u8, scale: i8) -> Result<Scalar> {
    let inexact = || Error::invalid_input(format!("does not fit decimal({precision}, {scale})"));
    let shift = exponent.checked_add(i32::from(scale)).ok_or_else(inexact)?;
    let value = if shift >= 0 {
        let factor = u32::try_from(shift)
            .ok()
            .and_then(|s| 10i128.checked_pow(s))
            .ok_or_else(inexact)?;
        digits.checked_mul(factor).ok_or_else(inexact)?
    } else {
        let divisor = u32::try_from(-shift)
            .ok()
            .and_then(|s| 10i128.checked_pow(s));
        match divisor {
            Some(d) if digits % d == 0 => digits / d,
            // Dividing by more than 10^38 leaves only zero exact.
            None if digits == 0 => 0,
            _ => {
                return Err(Error::invalid_input(format!(
                    "has more than {scale} fractional digits"
                )))
            }
        }
    };
    let max = 10i128
        .checked_pow(u32::from(precision))
        .unwrap_or(i128::MAX);
    if value.unsigned_abs() >= max.unsigned_abs() {
        return Err(inexact());
    }
    Ok(Scalar::Decimal {
        value,
        precision,
        scale,
    })
}

/// Days since the epoch of a date text, or of the date part (as written) of a timestamp text.
fn parse_date_text(text: &str) -> Result<i32> {
    let (local, _) = parse_datetime_text(text)?;
    temporal::date_to_days(local.date())
}

/// The UTC instant of a timestamp text; a naive text is taken as UTC.
fn parse_timestamp_text(text: &str) -> Result<NaiveDateTime> {
    let (local, offset) = parse_datetime_text(text)?;
    match offset {
        None => Ok(local),
        Some(seconds) => local
            .checked_sub_signed(Duration::seconds(seconds.into()))
            .ok_or_else(|| Error::invalid_input("out of range")),
    }
}

/// Parses pandas' and ISO's forms: `[-]YYYY-MM-DD`, optionally followed by `T` or a space,
/// `HH:MM[:SS[.f{1,9}]]` and an offset (`Z`, `±HH:MM`, `±HHMM`, `±HH:MM:SS`). Returns the
/// wall time as written and the offset in seconds east of UTC.
fn parse_datetime_text(text: &str) -> Result<(NaiveDateTime, Option<i32>)> {
    let bad = |why: &str| Error::invalid_input(format!("not a date or timestamp ({why})"));
    let t = text.trim();
    // The date ends at the separator; a leading '-' belongs to a negative year.
    let sep = t
        .char_indices()
        .find(|(i, c)| *i > 0 && (*c == 'T' || *c == ' '))
        .map(|(i, _)| i);
    let (date_text, time_text) = match sep {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let date = parse_ymd(date_text).ok_or_else(|| bad("expected YYYY-MM-DD"))?;
    let Some(time_text) = time_text else {
        return Ok((date.and_time(NaiveTime::MIN), None));
    };
    let (clock, offset) = if let Some(rest) = time_text.strip_suffix(['Z', 'z']) {
        (rest, Some(0))
    } else if let Some(pos) = time_text.find(['+', '-']) {
        let offset = parse_offset(&time_text[pos..]).ok_or_else(|| bad("invalid UTC offset"))?;
        (&time_text[..pos], Some(offset))
    } else {
        (time_text, None)
    };
    let time = parse_clock(clock).ok_or_else(|| bad("expected HH:MM[:SS[.fffffffff]]"))?;
    Ok((date.and_time(time), offset))
}

fn parse_ymd(text: &str) -> Option<NaiveDate> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let mut parts = body.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || year.is_empty()
        || month.len() != 2
        || day.len() != 2
        || ![year, month, day]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let year: i32 = year.parse().ok()?;
    NaiveDate::from_ymd_opt(
        if negative { -year } else { year },
        month.parse().ok()?,
        day.parse().ok()?,
    )
}

fn parse_clock(text: &str) -> Option<NaiveTime> {
    let (hms, frac) = match text.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (text, None),
    };
    let fields: Vec<&str> = hms.split(':').collect();
    if !(2..=3).contains(&fields.len())
        || !fields
            .iter()
            .all(|f| f.len() == 2 && f.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let h: u32 = fields[0].parse().ok()?;
    let m: u32 = fields[1].parse().ok()?;
    let s: u32 = match fields.get(2) {
        Some(s) => s.parse().ok()?,
        None if frac.is_some() => return None,
        None => 0,
    };
    let nanos = match frac {
        None => 0,
        Some(f) if (1..=9).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{f:0<9}").parse().ok()?
        }
        Some(_) => return None,
    };
    // from_hms_nano_opt would accept nanos >= 1e9 as a leap second; the fraction cannot reach
    // that, and s == 60 is rejected by the range check.
    NaiveTime::from_hms_nano_opt(h, m, s, nanos)
}

/// `±HH:MM`, `±HHMM` or `±HH:MM:SS` in seconds east of UTC.
fn parse_offset(text: &str) -> Option<i32> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let fields: Vec<&str> = if rest.contains(':') {
        rest.split(':').collect()
    } else if rest.len() == 4 && rest.bytes().all(|b| b.is_ascii_digit()) {
        vec![&rest[..2], &rest[2..]]
    } else {
        return None;
    };
    if !(2..=3).contains(&fields.len())
        || !fields
            .iter()
            .all(|f| f.len() == 2 && f.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let mut seconds = 0i32;
    for (field, factor) in fields.iter().zip([3600, 60, 1]) {
        seconds += field.parse::<i32>().ok()? * factor;
    }
    (seconds < 86_400).then_some(sign * seconds)
}

/// A naive UTC date-time as a value of `unit`, exactly: a fraction finer than the unit and a
/// value beyond `i64` are errors.
fn naive_utc_to_unit(utc: &NaiveDateTime, unit: TimeUnit) -> Result<i64> {
    let seconds = utc.and_utc().timestamp();
    let nanos = i64::from(utc.nanosecond());
    let per_unit = match unit {
        TimeUnit::Second => NANOS_PER_SEC,
        TimeUnit::Millisecond => 1_000_000,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1,
    };
    if nanos % per_unit != 0 {
        return Err(Error::invalid_input(format!(
            "has a finer fraction of a second than the column's unit ({unit:?})"
        )));
    }
    // In i128: near the bottom of the range the floored seconds alone overflow `i64` before
    // the (positive) fraction is added.
    let value =
        i128::from(seconds) * i128::from(NANOS_PER_SEC / per_unit) + i128::from(nanos / per_unit);
    i64::try_from(value)
        .map_err(|_| Error::invalid_input(format!("is out of the range of unit {unit:?}")))
}

/// The zone of a timestamp type, for callers building a [`Scalar::Timestamp`] by hand.
pub fn timestamp_tz(data_type: &DataType) -> Option<Arc<str>> {
    match data_type {
        DataType::Timestamp(_, tz) => tz.clone(),
        DataType::Dictionary(_, value_type) => timestamp_tz(value_type),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(value: i64, unit: TimeUnit, tz: Option<&str>) -> Scalar {
        Scalar::Timestamp {
            value,
            unit,
            tz: tz.map(Arc::from),
        }
    }

    fn text(value: &Scalar) -> String {
        String::from_utf8(format_value(value).expect("formats")).expect("utf-8")
    }

    #[test]
    fn float_repr_layout() {
        let cases = [
            (0.1, "0.1"),
            (1.0, "1.0"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123456789.123, "123456789.123"),
            (0.0001, "0.0001"),
            (0.00015, "0.00015"),
            (1e-5, "1e-05"),
            (1.5e-5, "1.5e-05"),
            (1e-7, "1e-07"),
            (1.5e300, "1.5e+300"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::from(0.1f32), "0.10000000149011612"),
            // Exact ties between two shortest candidates round half to even, as in Python.
            (-659.9180297851562, "-659.9180297851562"),
            (f64::from(8.028549f32), "8.028549194335938"),
            (f64::from(-239.53952f32), "-239.53952026367188"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
        ];
        for (v, expected) in cases {
            assert_eq!(format_float(v), expected, "{v:?}");
        }
    }

    #[test]
    fn decimal_str_matches_python() {
        let cases = [
            (150, 2, "1.50"),
            (-1, 7, "-1E-7"),
            (1, 6, "0.000001"),
            (0, 10, "0E-10"),
            (0, 2, "0.00"),
            (12345, 0, "12345"),
            (1, -2, "1E+2"),
            (-12345, 3, "-12.345"),
        ];
        for (value, scale, expected) in cases {
            assert_eq!(format_decimal(value, scale), expected);
            let scalar = Scalar::Decimal {
                value,
                precision: 38,
                scale,
            };
            let back = parse_value(
                &quote_value(&scalar).unwrap(),
                &DataType::Decimal128(38, scale),
            );
            assert_eq!(back.unwrap(), scalar, "{expected}");
        }
    }

    #[test]
    fn timestamps_like_pandas() {
        let s = TimeUnit::Second;
        let ns = TimeUnit::Nanosecond;
        assert_eq!(text(&ts(1_577_836_800, s, None)), "2020-01-01 00:00:00");
        assert_eq!(
            text(&ts(1_577_836_800_500_000_000, ns, None)),
            "2020-01-01 00:00:00.500000"
        );
        assert_eq!(
            text(&ts(1_577_836_800_000_000_001, ns, None)),
            "2020-01-01 00:00:00.000000001"
        );
        assert_eq!(text(&ts(-1, ns, None)), "1969-12-31 23:59:59.999999999");
        assert_eq!(
            text(&ts(1_577_836_800, s, Some("Europe/Berlin"))),
            "2020-01-01 01:00:00+01:00"
        );
        assert_eq!(
            text(&ts(1_577_836_800, s, Some("UTC"))),
            "2020-01-01 00:00:00+00:00"
        );
        assert_eq!(
            text(&ts(1_577_836_800, s, Some("-05:30"))),
            "2019-12-31 18:30:00-05:30"
        );
        assert_eq!(text(&ts(-62_135_596_800, s, None)), "0001-01-01 00:00:00");
        assert_eq!(text(&ts(253_402_300_800, s, None)), "10000-01-01 00:00:00");
        assert!(format_value(&ts(0, s, Some("Mars/Olympus"))).is_err());
    }

    #[test]
    fn scalar_texts() {
        assert_eq!(text(&Scalar::Bool(true)), "True");
        assert_eq!(text(&Scalar::Bool(false)), "False");
        assert_eq!(text(&Scalar::Int(-2)), "-2");
        assert_eq!(text(&Scalar::UInt(u64::MAX)), "18446744073709551615");
        assert_eq!(text(&Scalar::Date(0)), "1970-01-01");
        assert_eq!(
            format_value(&Scalar::Binary(vec![0xff, 0])).unwrap(),
            vec![0xff, 0]
        );
        assert_eq!(
            quote_value(&Scalar::Binary(b"c d".to_vec())).unwrap(),
            "c%20d"
        );
        assert_eq!(
            quote_value(&Scalar::String("ö/x".into())).unwrap(),
            "%C3%B6%2Fx"
        );
        assert_eq!(quote_value(&Scalar::String(String::new())).unwrap(), "");
        let err = format_value(&Scalar::Null).unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)));
        assert!(err.to_string().contains("null"));
    }

    #[test]
    fn int_widths_are_range_checked() {
        assert_eq!(
            parse_value("-128", &DataType::Int8).unwrap(),
            Scalar::Int(-128)
        );
        assert_eq!(
            parse_value("127", &DataType::Int8).unwrap(),
            Scalar::Int(127)
        );
        let err = parse_value("128", &DataType::Int8).unwrap_err().to_string();
        assert!(
            err.contains("`128`") && err.contains("Int8") && err.contains("out of range"),
            "{err}"
        );
        assert!(parse_value("-1", &DataType::UInt8).is_err());
        assert_eq!(
            parse_value("255", &DataType::UInt8).unwrap(),
            Scalar::UInt(255)
        );
        assert_eq!(
            parse_value("18446744073709551615", &DataType::UInt64).unwrap(),
            Scalar::UInt(u64::MAX)
        );
        assert!(parse_value("18446744073709551616", &DataType::UInt64).is_err());
        assert!(parse_value("9223372036854775808", &DataType::Int64).is_err());
        assert_eq!(
            parse_value("-9223372036854775808", &DataType::Int64).unwrap(),
            Scalar::Int(i64::MIN)
        );
        assert_eq!(
            parse_value("%2B1_000", &DataType::Int32).unwrap(),
            Scalar::Int(1000)
        );
        assert_eq!(
            parse_value("%201%20", &DataType::Int16).unwrap(),
            Scalar::Int(1)
        );
        for bad in [
            "1.0",
            "",
            "1__0",
            "_1",
            "0x10",
            "1e3",
            "%C3%B6",
            "99999999999999999999999999999999999999999",
        ] {
            assert!(parse_value(bad, &DataType::Int64).is_err(), "{bad}");
        }
    }

    #[test]
    fn floats_parse_python_syntax() {
        let f = |s: &str| parse_value(s, &DataType::Float64).unwrap();
        assert_eq!(f("1e%2B20"), Scalar::Float(1e20));
        assert_eq!(f("inf"), Scalar::Float(f64::INFINITY));
        assert_eq!(f("-Infinity"), Scalar::Float(f64::NEG_INFINITY));
        assert!(f("nan").is_null());
        assert_eq!(f(".5"), Scalar::Float(0.5));
        assert_eq!(f("1_0.5"), Scalar::Float(10.5));
        match f("-0.0") {
            Scalar::Float(v) => assert!(v == 0.0 && v.is_sign_negative()),
            other => panic!("{other:?}"),
        }
        for bad in ["", "e5", ".", "1e", "1_", "0x1p3", "infinit", "1.5f"] {
            assert!(parse_value(bad, &DataType::Float64).is_err(), "{bad}");
        }
        assert_eq!(
            parse_value("0.10000000149011612", &DataType::Float32).unwrap(),
            Scalar::Float(f64::from(0.1f32))
        );
        assert_eq!(
            parse_value("0.1", &DataType::Float32).unwrap(),
            Scalar::Float(f64::from(0.1f32))
        );
        assert_eq!(
            parse_value("0.5", &DataType::Float16).unwrap(),
            Scalar::Float(0.5)
        );
    }

    #[test]
    fn bools_binary_and_strings() {
        for (t, v) in [
            ("True", true),
            ("False", false),
            ("true", true),
            ("FALSE", false),
        ] {
            assert_eq!(parse_value(t, &DataType::Boolean).unwrap(), Scalar::Bool(v));
        }
        assert!(parse_value("1", &DataType::Boolean).is_err());
        assert_eq!(
            parse_value("%FF%00", &DataType::Binary).unwrap(),
            Scalar::Binary(vec![0xff, 0])
        );
        assert_eq!(
            parse_value("ab", &DataType::FixedSizeBinary(2)).unwrap(),
            Scalar::Binary(b"ab".to_vec())
        );
        assert!(parse_value("abc", &DataType::FixedSizeBinary(2)).is_err());
        let err = parse_value("%FF", &DataType::Utf8).unwrap_err().to_string();
        assert!(err.contains("UTF-8") && err.contains("`%FF`"), "{err}");
        for t in [DataType::Utf8, DataType::LargeUtf8, DataType::Utf8View] {
            assert_eq!(
                parse_value("a%2Fb", &t).unwrap(),
                Scalar::String("a/b".into())
            );
        }
        let dict = DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::LargeUtf8));
        assert_eq!(
            parse_value("x%20y", &dict).unwrap(),
            Scalar::String("x y".into())
        );
        assert!(matches!(
            parse_value("1", &DataType::Time32(TimeUnit::Second)),
            Err(Error::Unsupported(m)) if m.contains("Time32")
        ));
        assert!(parse_value("1", &DataType::Null).is_err());
    }

    #[test]
    fn dates_and_timestamps_parse() {
        let ns = TimeUnit::Nanosecond;
        assert_eq!(
            parse_value("2020-01-01", &DataType::Date32).unwrap(),
            Scalar::Date(18262)
        );
        assert_eq!(
            parse_value("2020-01-01", &DataType::Date64).unwrap(),
            Scalar::Date(18262)
        );
        assert_eq!(
            parse_value("0001-01-01", &DataType::Date32).unwrap(),
            Scalar::Date(-719_162)
        );
        assert_eq!(
            parse_value("2020-01-01%2023%3A00%3A00-01%3A00", &DataType::Date32).unwrap(),
            Scalar::Date(18262)
        );
        assert!(parse_value("2020-02-30", &DataType::Date32).is_err());
        let naive = DataType::Timestamp(ns, None);
        let expect = ts(1_577_836_800_500_000_000, ns, None);
        for t in [
            "2020-01-01%2000%3A00%3A00.500000",
            "2020-01-01T00%3A00%3A00.5",
            "2020-01-01%2000%3A00%3A00.500000000",
            "2020-01-01%2001%3A00%3A00.5%2B01%3A00",
            "2020-01-01T00:00:00.500Z",
        ] {
            assert_eq!(parse_value(t, &naive).unwrap(), expect, "{t}");
        }
        assert_eq!(
            parse_value("2020-01-01", &naive).unwrap(),
            ts(1_577_836_800_000_000_000, ns, None)
        );
        let berlin = DataType::Timestamp(TimeUnit::Microsecond, Some("Europe/Berlin".into()));
        assert_eq!(
            parse_value("2020-07-01%2001%3A02%3A03%2B02%3A00", &berlin).unwrap(),
            ts(
                1_593_558_123_000_000,
                TimeUnit::Microsecond,
                Some("Europe/Berlin")
            )
        );
        // A naive text in a tz-aware column is UTC.
        assert_eq!(
            parse_value("2020-06-30 23:02:03", &berlin).unwrap(),
            ts(
                1_593_558_123_000_000,
                TimeUnit::Microsecond,
                Some("Europe/Berlin")
            )
        );
        // Finer than the unit, or out of the unit's range: errors, not silent changes.
        let us = DataType::Timestamp(TimeUnit::Microsecond, None);
        let err = parse_value("2020-01-01 00:00:00.000000001", &us)
            .unwrap_err()
            .to_string();
        assert!(err.contains("finer"), "{err}");
        assert!(parse_value("0001-01-01 00:00:00", &naive).is_err());
        assert_eq!(
            parse_value(
                "0001-01-01 00:00:00",
                &DataType::Timestamp(TimeUnit::Second, None)
            )
            .unwrap(),
            ts(-62_135_596_800, TimeUnit::Second, None)
        );
        assert_eq!(
            parse_value(
                "1900-01-01 00:00:00+00:19:32",
                &DataType::Timestamp(TimeUnit::Second, Some("Europe/Amsterdam".into()))
            )
            .unwrap(),
            ts(-2_208_989_972, TimeUnit::Second, Some("Europe/Amsterdam"))
        );
        for bad in [
            "2020-01-01 25:00:00",
            "2020-01-01 00:00:00.",
            "2020-01-01 00:00:00.1234567890",
            "2020-01-01 00:00+25:00",
            "2020-1-1",
            "x",
        ] {
            assert!(parse_value(bad, &naive).is_err(), "{bad}");
        }
    }

    #[test]
    fn decimals_parse_exactly() {
        let t = DataType::Decimal128(5, 2);
        let d = |value| Scalar::Decimal {
            value,
            precision: 5,
            scale: 2,
        };
        assert_eq!(parse_value("1.5", &t).unwrap(), d(150));
        assert_eq!(parse_value("-1E-2", &t).unwrap(), d(-1));
        assert_eq!(parse_value("1.500", &t).unwrap(), d(150));
        assert!(parse_value("1.505", &t).is_err());
        assert!(parse_value("1000", &t).is_err());
        assert_eq!(parse_value("999.99", &t).unwrap(), d(99_999));
        assert!(parse_value("NaN", &t).is_err());
        assert!(parse_value("1", &DataType::Decimal256(5, 2)).is_err());
    }

    #[test]
    fn normalisation_rules() {
        let n = |v: Scalar, t: &DataType| normalize_value(&v, t);
        // int: "1" finds 1, 1.5 truncates, "1.5" is an error as in Python.
        assert_eq!(n("1".into(), &DataType::Int64).unwrap(), Scalar::Int(1));
        assert_eq!(
            n(Scalar::Float(1.5), &DataType::Int64).unwrap(),
            Scalar::Int(1)
        );
        assert_eq!(
            n(Scalar::Float(-1.5), &DataType::Int8).unwrap(),
            Scalar::Int(-1)
        );
        assert!(n("1.5".into(), &DataType::Int64).is_err());
        assert!(n(Scalar::Float(f64::NAN), &DataType::Int64).is_err());
        assert!(n(Scalar::Int(300), &DataType::Int8).is_err());
        assert_eq!(
            n(Scalar::Int(3), &DataType::UInt8).unwrap(),
            Scalar::UInt(3)
        );
        assert_eq!(
            n(Scalar::Bool(true), &DataType::Int64).unwrap(),
            Scalar::Int(1)
        );
        assert_eq!(
            n(
                Scalar::Decimal {
                    value: -199,
                    precision: 5,
                    scale: 2
                },
                &DataType::Int64
            )
            .unwrap(),
            Scalar::Int(-1)
        );
        // float
        assert_eq!(
            n("1e+20".into(), &DataType::Float64).unwrap(),
            Scalar::Float(1e20)
        );
        assert_eq!(
            n(Scalar::Int(2), &DataType::Float64).unwrap(),
            Scalar::Float(2.0)
        );
        assert_eq!(
            n(Scalar::Float(0.1), &DataType::Float32).unwrap(),
            Scalar::Float(f64::from(0.1f32))
        );
        // bool
        assert_eq!(
            n("TRUE".into(), &DataType::Boolean).unwrap(),
            Scalar::Bool(true)
        );
        let err = n("yes".into(), &DataType::Boolean).unwrap_err().to_string();
        assert!(
            err.contains("'yes'") && err.contains("True or False"),
            "{err}"
        );
        assert_eq!(
            n(Scalar::Int(0), &DataType::Boolean).unwrap(),
            Scalar::Bool(false)
        );
        // strings: Python str()
        assert_eq!(
            n(Scalar::Float(1.0), &DataType::LargeUtf8).unwrap(),
            Scalar::String("1.0".into())
        );
        assert_eq!(
            n(Scalar::Bool(true), &DataType::Utf8).unwrap(),
            Scalar::String("True".into())
        );
        assert_eq!(
            n(Scalar::Binary(b"ab".to_vec()), &DataType::Utf8).unwrap(),
            Scalar::String("ab".into())
        );
        assert!(n(Scalar::Binary(vec![0xff]), &DataType::Utf8).is_err());
        // binary
        assert_eq!(
            n("ö".into(), &DataType::Binary).unwrap(),
            Scalar::Binary("ö".as_bytes().to_vec())
        );
        assert_eq!(
            n(Scalar::Int(5), &DataType::Binary).unwrap(),
            Scalar::Binary(b"5".to_vec())
        );
        // dates
        let day = 18262;
        assert_eq!(
            n("2020-01-01".into(), &DataType::Date32).unwrap(),
            Scalar::Date(day)
        );
        assert_eq!(
            n("2020-01-01 12:00:00".into(), &DataType::Date32).unwrap(),
            Scalar::Date(day)
        );
        assert_eq!(
            n(
                ts(
                    1_577_836_800 + 23 * 3600,
                    TimeUnit::Second,
                    Some("Europe/Berlin")
                ),
                &DataType::Date32
            )
            .unwrap(),
            Scalar::Date(day + 1),
            "the date in the value's own zone"
        );
        assert!(n(Scalar::Int(0), &DataType::Date32).is_err());
        // timestamps: naive strings are UTC, dates are midnight UTC, units convert exactly
        let ns = DataType::Timestamp(TimeUnit::Nanosecond, None);
        let midnight = ts(1_577_836_800_000_000_000, TimeUnit::Nanosecond, None);
        assert_eq!(n("2020-01-01".into(), &ns).unwrap(), midnight);
        assert_eq!(n(Scalar::Date(day), &ns).unwrap(), midnight);
        assert_eq!(
            n(ts(1_577_836_800, TimeUnit::Second, None), &ns).unwrap(),
            midnight
        );
        let utc = DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()));
        assert_eq!(
            n("2020-01-01 01:00:00+01:00".into(), &utc).unwrap(),
            ts(1_577_836_800_000_000_000, TimeUnit::Nanosecond, Some("UTC"))
        );
        let seconds = DataType::Timestamp(TimeUnit::Second, None);
        assert!(n(ts(1, TimeUnit::Nanosecond, None), &seconds).is_err());
        assert!(n(Scalar::Int(5), &ns).is_err());
        // decimals
        let dec = DataType::Decimal128(10, 2);
        let d = |value| Scalar::Decimal {
            value,
            precision: 10,
            scale: 2,
        };
        assert_eq!(n(Scalar::Float(0.1), &dec).unwrap(), d(10));
        assert_eq!(n(Scalar::Int(3), &dec).unwrap(), d(300));
        assert_eq!(n("1.25".into(), &dec).unwrap(), d(125));
        // null stays null, dictionaries use their values' type
        assert_eq!(n(Scalar::Null, &DataType::Int64).unwrap(), Scalar::Null);
        let dict = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Int64));
        assert_eq!(n("7".into(), &dict).unwrap(), Scalar::Int(7));
        let err = n("x".into(), &DataType::Int64).unwrap_err().to_string();
        assert!(err.contains("'x'") && err.contains("Int64"), "{err}");
    }
}
