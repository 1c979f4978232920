//! Partition values against texts and keys produced by pandas and real Python plateau
//! (`tools/vectors/gen_partition_value_vectors.py` writes `vectors/partition_values.json`),
//! plus round-trip properties of `parse_value(quote_value(v))`.

use std::sync::Arc;

use arrow::datatypes::{DataType, TimeUnit};
use plateau_core::partition_value::{format_value, parse_value, quote_value};
use plateau_core::Scalar;
use proptest::prelude::*;
use serde::Deserialize;
use serde_json::Value as Json;

#[derive(Deserialize)]
struct Document {
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    name: String,
    arrow_type: String,
    source_type: String,
    value: Json,
    text: Option<String>,
    text_hex: Option<String>,
    quoted: String,
    plateau_key_component: String,
    /// Per type string: whether a column of that type can hold the value.
    parses: serde_json::Map<String, Json>,
}

fn vectors() -> Vec<Vector> {
    let doc: Document = serde_json::from_str(include_str!("vectors/partition_values.json"))
        .expect("vectors/partition_values.json parses");
    doc.vectors
}

/// pyarrow's `str()` of a type, as the generator records it, to the Arrow type.
fn arrow_type(s: &str) -> DataType {
    let unit = |u: &str| match u {
        "s" => TimeUnit::Second,
        "ms" => TimeUnit::Millisecond,
        "us" => TimeUnit::Microsecond,
        "ns" => TimeUnit::Nanosecond,
        other => panic!("unknown unit {other}"),
    };
    match s {
        "int8" => DataType::Int8,
        "int16" => DataType::Int16,
        "int32" => DataType::Int32,
        "int64" => DataType::Int64,
        "uint8" => DataType::UInt8,
        "uint16" => DataType::UInt16,
        "uint32" => DataType::UInt32,
        "uint64" => DataType::UInt64,
        "halffloat" => DataType::Float16,
        "float" => DataType::Float32,
        "double" => DataType::Float64,
        "bool" => DataType::Boolean,
        "string" => DataType::Utf8,
        "large_string" => DataType::LargeUtf8,
        "binary" => DataType::Binary,
        "large_binary" => DataType::LargeBinary,
        "date32[day]" => DataType::Date32,
        "date64[ms]" => DataType::Date64,
        _ => {
            if let Some(inner) = s
                .strip_prefix("timestamp[")
                .and_then(|r| r.strip_suffix(']'))
            {
                return match inner.split_once(", tz=") {
                    Some((u, tz)) => DataType::Timestamp(unit(u), Some(tz.into())),
                    None => DataType::Timestamp(unit(inner), None),
                };
            }
            if let Some(inner) = s
                .strip_prefix("decimal128(")
                .and_then(|r| r.strip_suffix(')'))
            {
                let (p, sc) = inner.split_once(", ").expect("decimal128(p, s)");
                return DataType::Decimal128(
                    p.parse().expect("precision"),
                    sc.parse().expect("scale"),
                );
            }
            if let Some(inner) = s
                .strip_prefix("dictionary<")
                .and_then(|r| r.strip_suffix('>'))
            {
                let mut values = None;
                let mut indices = None;
                for part in inner.split(", ") {
                    if let Some(v) = part.strip_prefix("values=") {
                        values = Some(arrow_type(v));
                    } else if let Some(i) = part.strip_prefix("indices=") {
                        indices = Some(arrow_type(i));
                    }
                }
                return DataType::Dictionary(
                    Box::new(indices.expect("indices")),
                    Box::new(values.expect("values")),
                );
            }
            panic!("unknown arrow type string {s}")
        }
    }
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The typed value of a vector, in the representation of a column of `data_type`.
fn scalar(value: &Json, data_type: &DataType) -> Scalar {
    match data_type {
        DataType::Dictionary(_, inner) => scalar(value, inner),
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
            Scalar::Int(value.as_i64().expect("int"))
        }
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => {
            Scalar::UInt(value.as_u64().expect("uint"))
        }
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            Scalar::Float(value.as_str().expect("float repr").parse().expect("float"))
        }
        DataType::Boolean => Scalar::Bool(value.as_bool().expect("bool")),
        DataType::Utf8 | DataType::LargeUtf8 => {
            Scalar::String(value.as_str().expect("string").to_owned())
        }
        DataType::Binary | DataType::LargeBinary => {
            Scalar::Binary(unhex(value.as_str().expect("hex")))
        }
        DataType::Date32 | DataType::Date64 => Scalar::Date(
            plateau_core::temporal::parse_date(value.as_str().expect("date")).expect("date"),
        ),
        DataType::Timestamp(_, _) => {
            let unit = match value["unit"].as_str().expect("unit") {
                "s" => TimeUnit::Second,
                "ms" => TimeUnit::Millisecond,
                "us" => TimeUnit::Microsecond,
                "ns" => TimeUnit::Nanosecond,
                other => panic!("unit {other}"),
            };
            Scalar::Timestamp {
                value: value["epoch"].as_i64().expect("epoch"),
                unit,
                tz: value["tz"].as_str().map(Arc::from),
            }
        }
        DataType::Decimal128(precision, scale) => {
            assert_eq!(value["scale"].as_i64(), Some(i64::from(*scale)));
            Scalar::Decimal {
                value: value["unscaled"]
                    .as_str()
                    .expect("unscaled")
                    .parse()
                    .expect("i128"),
                precision: *precision,
                scale: *scale,
            }
        }
        other => panic!("no vector values of type {other}"),
    }
}

fn expected_text(v: &Vector) -> Vec<u8> {
    match (&v.text, &v.text_hex) {
        (Some(text), None) => text.as_bytes().to_vec(),
        (None, Some(hex)) => unhex(hex),
        _ => panic!("{}: exactly one of text and text_hex", v.name),
    }
}

/// Bit-exact float comparison (`Scalar` equality treats -0.0 and 0.0 as equal).
fn same(a: &Scalar, b: &Scalar) -> bool {
    match (a, b) {
        (Scalar::Float(x), Scalar::Float(y)) => {
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        _ => a == b,
    }
}

#[test]
fn vectors_cover_every_kind() {
    let vectors = vectors();
    assert!(vectors.len() >= 300, "only {} vectors", vectors.len());
    for t in [
        "int64",
        "uint64",
        "double",
        "bool",
        "large_string",
        "string",
        "binary",
        "date32[day]",
        "timestamp[ns]",
        "timestamp[us, tz=Europe/Berlin]",
        "timestamp[us, tz=+05:30]",
    ] {
        assert!(
            vectors.iter().any(|v| v.arrow_type == t),
            "no vector of type {t}"
        );
    }
    assert!(
        vectors
            .iter()
            .filter(|v| v.name.starts_with("random float64"))
            .count()
            >= 200
    );
}

#[test]
fn format_value_is_python_str() {
    for v in vectors() {
        let value = scalar(&v.value, &arrow_type(&v.arrow_type));
        let text = format_value(&value).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert_eq!(
            String::from_utf8_lossy(&text),
            String::from_utf8_lossy(&expected_text(&v)),
            "{}",
            v.name
        );
        assert_eq!(text, expected_text(&v), "{}", v.name);
    }
}

#[test]
fn quote_value_is_python_quote_with_slash_escaped() {
    for v in vectors() {
        let value = scalar(&v.value, &arrow_type(&v.arrow_type));
        assert_eq!(quote_value(&value).expect("quotes"), v.quoted, "{}", v.name);
    }
}

/// The directory real plateau wrote equals ours once our one deliberate divergence is undone:
/// plateau keeps `/` in a value (adding directory levels, which the local filesystem store
/// then collapses when empty), where we write `%2F`. `%2F` in our output can only stem from a
/// `/`, because a literal `%` is always quoted as `%25`.
#[test]
fn quote_value_matches_keys_written_by_plateau() {
    for v in vectors() {
        let value = scalar(&v.value, &arrow_type(&v.arrow_type));
        let ours = format!(
            "p={}",
            quote_value(&value).expect("quotes").replace("%2F", "/")
        );
        let collapsed: Vec<&str> = ours.split('/').filter(|level| !level.is_empty()).collect();
        assert_eq!(collapsed.join("/"), v.plateau_key_component, "{}", v.name);
    }
}

#[test]
fn parse_value_inverts_quote_value_for_both_column_types() {
    for v in vectors() {
        for type_string in [&v.arrow_type, &v.source_type] {
            let data_type = arrow_type(type_string);
            let ok = v.parses[type_string.as_str()].as_bool().expect("bool");
            let parsed = parse_value(&v.quoted, &data_type);
            if ok {
                let parsed = parsed.unwrap_or_else(|e| panic!("{} as {type_string}: {e}", v.name));
                let expected = scalar(&v.value, &data_type);
                assert!(
                    same(&parsed, &expected),
                    "{} as {type_string}: {parsed:?} != {expected:?}",
                    v.name
                );
                if let (DataType::Timestamp(unit, tz), Scalar::Timestamp { unit: u, tz: t, .. }) =
                    (&data_type, &parsed)
                {
                    assert_eq!((unit, tz), (u, t), "{}: the column's unit and zone", v.name);
                }
            } else {
                let err = parsed.expect_err(&format!("{} as {type_string} must not parse", v.name));
                assert!(err.to_string().contains(&v.quoted), "{}: {err}", v.name);
            }
        }
    }
}

/// Keys written by Python plateau read back with their real type (plateau itself reads bools as
/// `True`, binary as `str` and fails on tz-aware values). Values containing `/` are excluded:
/// plateau's key for them is not recoverable, which is the bug we avoid.
#[test]
fn parse_value_reads_keys_written_by_plateau() {
    for v in vectors() {
        let Some(quoted) = v.plateau_key_component.strip_prefix("p=") else {
            panic!("{}: component without p=", v.name)
        };
        if expected_text(&v).contains(&b'/')
            || !v.parses[v.arrow_type.as_str()].as_bool().unwrap_or(false)
        {
            continue;
        }
        let data_type = arrow_type(&v.arrow_type);
        let parsed = parse_value(quoted, &data_type).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert!(same(&parsed, &scalar(&v.value, &data_type)), "{}", v.name);
    }
}

fn round_trip(value: &Scalar, data_type: &DataType) -> std::result::Result<(), TestCaseError> {
    let quoted = quote_value(value).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(!quoted.contains('/'), "{quoted}");
    let parsed = parse_value(&quoted, data_type).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(same(&parsed, value), "{value:?} -> {quoted} -> {parsed:?}");
    Ok(())
}

/// Days of the years 0001..=9999, the dates Python can represent.
const MIN_DAY: i32 = -719_162;
const MAX_DAY: i32 = 2_932_896;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn ints_round_trip(v in any::<i64>()) {
        round_trip(&Scalar::Int(v), &DataType::Int64)?;
    }

    #[test]
    fn narrow_ints_round_trip(v in any::<i8>(), w in any::<u16>()) {
        round_trip(&Scalar::Int(v.into()), &DataType::Int8)?;
        round_trip(&Scalar::UInt(w.into()), &DataType::UInt16)?;
    }

    #[test]
    fn uints_round_trip(v in any::<u64>()) {
        round_trip(&Scalar::UInt(v), &DataType::UInt64)?;
    }

    #[test]
    fn finite_floats_round_trip(bits in any::<u64>()) {
        let v = f64::from_bits(bits);
        prop_assume!(v.is_finite());
        round_trip(&Scalar::Float(v), &DataType::Float64)?;
    }

    #[test]
    fn float32_values_round_trip(v in any::<f32>()) {
        prop_assume!(v.is_finite());
        round_trip(&Scalar::Float(v.into()), &DataType::Float32)?;
        round_trip(&Scalar::Float(v.into()), &DataType::Float64)?;
    }

    #[test]
    fn strings_round_trip(s in any::<String>()) {
        round_trip(&Scalar::String(s.clone()), &DataType::Utf8)?;
        round_trip(&Scalar::String(s), &DataType::LargeUtf8)?;
    }

    #[test]
    fn binary_round_trips(b in proptest::collection::vec(any::<u8>(), 0..32)) {
        round_trip(&Scalar::Binary(b), &DataType::Binary)?;
    }

    #[test]
    fn dates_round_trip(days in MIN_DAY..=MAX_DAY) {
        round_trip(&Scalar::Date(days), &DataType::Date32)?;
    }

    #[test]
    fn ns_timestamps_round_trip(ns in (i64::MIN + 1)..=i64::MAX) {
        let naive = Scalar::Timestamp { value: ns, unit: TimeUnit::Nanosecond, tz: None };
        round_trip(&naive, &DataType::Timestamp(TimeUnit::Nanosecond, None))?;
    }

    #[test]
    fn zoned_timestamps_round_trip(
        us in -2_208_988_800_000_000i64..4_102_444_800_000_000,
        zone in prop::sample::select(vec!["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "+05:30", "-03:00"]),
    ) {
        let tz: Arc<str> = Arc::from(zone);
        let value = Scalar::Timestamp { value: us, unit: TimeUnit::Microsecond, tz: Some(tz.clone()) };
        round_trip(&value, &DataType::Timestamp(TimeUnit::Microsecond, Some(tz)))?;
    }

    #[test]
    fn second_timestamps_round_trip_over_python_years(s in -62_135_596_800i64..=253_402_300_799) {
        let value = Scalar::Timestamp { value: s, unit: TimeUnit::Second, tz: None };
        round_trip(&value, &DataType::Timestamp(TimeUnit::Second, None))?;
    }

    /// Arbitrary key text is rejected with an error, never a panic, whatever the type.
    #[test]
    fn arbitrary_text_never_panics(
        text in "[0-9a-zA-Z%:+. _TZ-]{0,32}|\\PC{0,12}|-?[0-9]{1,5}-[01][0-9]-[0-3][0-9]([ T][0-2][0-9]:[0-5][0-9](:[0-6][0-9](\\.[0-9]{0,10})?)?([+-][0-2][0-9]:?[0-9]{2}|Z)?)?|[+-]?[0-9_]{1,8}(\\.[0-9]{0,4})?([eE][+-]?[0-9]{1,3})?",
        data_type in prop::sample::select(vec![
            DataType::Int8, DataType::UInt64, DataType::Float32, DataType::Float64,
            DataType::Boolean, DataType::Utf8, DataType::Binary, DataType::Date32,
            DataType::Timestamp(TimeUnit::Nanosecond, None),
            DataType::Timestamp(TimeUnit::Second, Some("Europe/Berlin".into())),
            DataType::Decimal128(10, 3),
        ]),
    ) {
        if let Ok(value) = parse_value(&text, &data_type) {
            // Whatever parses must format and parse back to itself.
            round_trip(&value, &data_type)?;
        }
        let _ = plateau_core::partition_value::normalize_value(&Scalar::String(text), &data_type);
    }

    #[test]
    fn decimals_round_trip(v in -(10i128.pow(20) - 1)..10i128.pow(20), scale in 0i8..=20) {
        let value = Scalar::Decimal { value: v, precision: 38, scale };
        round_trip(&value, &DataType::Decimal128(38, scale))?;
    }
}
