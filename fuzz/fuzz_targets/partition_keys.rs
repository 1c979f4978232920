//! Partition labels and keys: `col=value` path segments, their percent-quoting, and partition
//! values typed through the column type (`plateau_core::{quote, naming, partition_value}`,
//! `Store::path` for the key as a backend path).
//!
//! The first input byte picks a column type, the rest (lossy UTF-8) is the text.
//!
//! Properties: nothing panics; `unquote_bytes` inverts `quote` and `quote_component_bytes`;
//! `normalize_quoted_value` is idempotent; a label built from a column and a quoted value
//! decodes back to them; a value that `parse_value` accepts is unchanged by
//! `normalize_value` to its own column type, and quotes (`quote_value`) to a text that parses
//! back to the same value (what a Rust writer puts into a key, a reader gets back).
#![no_main]

use arrow::datatypes::{DataType, TimeUnit};
use libfuzzer_sys::fuzz_target;
use plateau_core::naming::{self, MetadataFormat};
use plateau_core::partition_value::{normalize_value, parse_value, quote_value};
use plateau_core::quote::{quote, quote_component_bytes, unquote, unquote_bytes};
use plateau_core::{Scalar, Store};
use plateau_fuzz::assert_same;

/// The column types the first input byte picks from, with their pyarrow names.
/// `tools/fuzz/seed.sh` maps the typed vectors of `core/tests/vectors` by these names: keep
/// the order (new types go at the end).
fn column_types() -> Vec<(&'static str, DataType)> {
    use DataType::*;
    let ts = |unit, tz: Option<&str>| Timestamp(unit, tz.map(Into::into));
    let dict = |key: DataType, value: DataType| Dictionary(Box::new(key), Box::new(value));
    vec![
        ("string", Utf8),
        ("large_string", LargeUtf8),
        ("binary", Binary),
        ("fixed_size_binary[3]", FixedSizeBinary(3)),
        ("bool", Boolean),
        ("int8", Int8),
        ("int16", Int16),
        ("int32", Int32),
        ("int64", Int64),
        ("uint8", UInt8),
        ("uint16", UInt16),
        ("uint32", UInt32),
        ("uint64", UInt64),
        ("halffloat", Float16),
        ("float", Float32),
        ("double", Float64),
        ("date32[day]", Date32),
        ("date64[ms]", Date64),
        ("timestamp[s]", ts(TimeUnit::Second, None)),
        ("timestamp[ms]", ts(TimeUnit::Millisecond, None)),
        ("timestamp[us]", ts(TimeUnit::Microsecond, None)),
        ("timestamp[ns]", ts(TimeUnit::Nanosecond, None)),
        (
            "timestamp[ns, tz=UTC]",
            ts(TimeUnit::Nanosecond, Some("UTC")),
        ),
        (
            "timestamp[us, tz=UTC]",
            ts(TimeUnit::Microsecond, Some("UTC")),
        ),
        (
            "timestamp[us, tz=Europe/Berlin]",
            ts(TimeUnit::Microsecond, Some("Europe/Berlin")),
        ),
        (
            "timestamp[ns, tz=Europe/Berlin]",
            ts(TimeUnit::Nanosecond, Some("Europe/Berlin")),
        ),
        (
            "timestamp[s, tz=Europe/Berlin]",
            ts(TimeUnit::Second, Some("Europe/Berlin")),
        ),
        (
            "timestamp[us, tz=America/New_York]",
            ts(TimeUnit::Microsecond, Some("America/New_York")),
        ),
        (
            "timestamp[us, tz=Asia/Kolkata]",
            ts(TimeUnit::Microsecond, Some("Asia/Kolkata")),
        ),
        (
            "timestamp[us, tz=+05:30]",
            ts(TimeUnit::Microsecond, Some("+05:30")),
        ),
        (
            "timestamp[us, tz=-05:30]",
            ts(TimeUnit::Microsecond, Some("-05:30")),
        ),
        ("decimal128(3, 2)", Decimal128(3, 2)),
        ("decimal128(7, 7)", Decimal128(7, 7)),
        ("decimal128(5, 0)", Decimal128(5, 0)),
        ("decimal128(2, 2)", Decimal128(2, 2)),
        ("decimal128(5, 3)", Decimal128(5, 3)),
        ("decimal128(22, 2)", Decimal128(22, 2)),
        ("decimal128(38, 10)", Decimal128(38, 10)),
        ("decimal128(3, -2)", Decimal128(3, -2)),
        (
            "dictionary<values=large_string, indices=int8, ordered=0>",
            dict(Int8, LargeUtf8),
        ),
        (
            "dictionary<values=int64, indices=int32, ordered=0>",
            dict(Int32, Int64),
        ),
        ("null", Null),
        (
            "timestamp[ns, tz=-00:19:32]",
            ts(TimeUnit::Nanosecond, Some("-00:19:32")),
        ),
    ]
}

/// A memory store, for its key-to-path parsing (`Store::path`).
fn store() -> &'static Store {
    static STORE: std::sync::OnceLock<Store> = std::sync::OnceLock::new();
    STORE.get_or_init(Store::memory)
}

fn column_type(selector: u8) -> DataType {
    let types = column_types();
    types[usize::from(selector) % types.len()].1.clone()
}

fuzz_target!(|data: &[u8]| plateau_fuzz::guard(|| run(data)));

fn run(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let data_type = column_type(selector);
    let text = String::from_utf8_lossy(rest);

    // Quoting.
    assert_eq!(
        unquote_bytes(&quote(&text)).into_owned(),
        text.as_bytes(),
        "unquote(quote(s))"
    );
    assert_eq!(
        unquote_bytes(&quote_component_bytes(rest)).into_owned(),
        rest,
        "unquote(quote_component(b))"
    );
    let _ = unquote(&text);
    let normalized = naming::normalize_quoted_value(&text);
    assert_eq!(
        naming::normalize_quoted_value(&normalized),
        normalized,
        "normalize_quoted_value is not idempotent"
    );

    // Keys and labels as stored.
    let _ = naming::decode_label(&text);
    let _ = naming::decode_data_key(&text);
    let _ = naming::parse_metadata_key(&text);
    let _ = MetadataFormat::parse(&text);
    let _ = naming::validate_uuid(&text);
    let _ = store().path(&text);

    // Typed values.
    let _ = normalize_value(&Scalar::String(text.to_string()), &data_type);
    let _ = normalize_value(&Scalar::Binary(rest.to_vec()), &data_type);
    let Ok(value) = parse_value(&text, &data_type) else {
        return;
    };
    let renormalized = normalize_value(&value, &data_type)
        .unwrap_or_else(|e| panic!("parsed {value:?} does not normalise to {data_type}: {e}"));
    assert_same(&value, &renormalized, "normalize_value of a parsed value");
    let Ok(quoted) = quote_value(&value) else {
        return;
    };
    let reparsed = parse_value(&quoted, &data_type)
        .unwrap_or_else(|e| panic!("quoted {value:?} as `{quoted}`, which does not parse: {e}"));
    assert_same(
        &value,
        &reparsed,
        "partition value via quote_value/parse_value",
    );

    // The value in a label, under a column named by the text.
    let label = naming::partition_label(&[naming::label_component(&text, &quoted)], "base");
    let decoded = naming::decode_label(&label).expect("a built label decodes");
    assert_eq!(
        decoded.pairs,
        vec![(text.to_string(), quoted)],
        "label {label}"
    );
    assert_eq!(decoded.file, "base", "label {label}");
}
