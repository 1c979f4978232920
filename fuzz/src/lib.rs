//! Helpers shared by the fuzz targets in `fuzz_targets/`.
//!
//! Every target calls the public API of the plateau crates on arbitrary input and fails only
//! on a panic (an `Err` is a fine answer to bad input) or on a broken round-trip property
//! that the API documents.

use std::cell::Cell;
use std::fmt::Debug;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};

use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use bytes::Bytes;
use plateau_core::naming::{self, MetadataFormat};
use plateau_core::{Literal, Op, Predicates, Store, Value};
use plateau_metadata::common_metadata::write_common_metadata;
use plateau_metadata::load::{load, LoadOptions};
use plateau_metadata::planning;
use plateau_metadata::schema::SchemaWrapper;

/// Runs one fuzz input.
///
/// A panic is a crash, with two exceptions:
/// * a panic of the Parquet decoder inside `plateau_serialization::parquet::guard_decoder`,
///   which answers the input with `Error::Corrupt`, as plateau promises (such a panic can
///   only reach here if the guard is broken, and then it is a crash);
/// * a panic at a source location listed in `PLATEAU_FUZZ_IGNORE` (comma-separated
///   `path/file.rs` or `path/file.rs:line` suffixes, e.g. `core/src/temporal.rs:213`): known,
///   already reported bugs, so that fuzzing goes on past them. Unset (the default, and in CI),
///   no location is ignored.
pub fn guard(body: impl FnOnce()) {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let ignored: Vec<String> = std::env::var("PLATEAU_FUZZ_IGNORE")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        // libfuzzer-sys' hook prints and aborts; keep it for every other panic.
        let abort_hook = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let Some(location) = info.location() else {
                return abort_hook(info);
            };
            let with_line = format!("{}:{}", location.file(), location.line());
            if plateau_serialization::parquet::is_decoding_guarded() {
                // guard_decoder turns it into an error.
            } else if ignored
                .iter()
                .any(|p| with_line.ends_with(p.as_str()) || location.file().ends_with(p.as_str()))
            {
                KNOWN_PANIC.with(|k| k.set(true));
            } else {
                abort_hook(info);
            }
        }));
    });
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(body)) {
        if KNOWN_PANIC.with(|k| k.replace(false)) {
            return;
        }
        panic::resume_unwind(payload);
    }
}

thread_local! {
    static KNOWN_PANIC: Cell<bool> = const { Cell::new(false) };
}

/// The dataset uuid the store-based targets use.
pub const UUID: &str = "fuzz";

/// Equality that also holds for values holding NaN (whose derived `PartialEq` is never true):
/// equal, or equal `Debug` forms.
pub fn same<T: PartialEq + Debug>(a: &T, b: &T) -> bool {
    a == b || format!("{a:?}") == format!("{b:?}")
}

/// Asserts [`same`], printing both values on failure.
#[track_caller]
pub fn assert_same<T: PartialEq + Debug>(a: &T, b: &T, what: &str) {
    assert!(
        same(a, b),
        "{what}: round trip changed the value\n  before: {a:?}\n  after:  {b:?}"
    );
}

/// Column types of the schema the store-based metadata targets put next to the fuzzed
/// metadata, so partition labels and embedded indices of those columns are typed through it.
/// The names are short so that the fuzzer finds them.
pub fn typed_columns() -> Vec<Field> {
    vec![
        Field::new("p", DataType::Int64, true),
        Field::new("u", DataType::UInt8, true),
        Field::new("s", DataType::LargeUtf8, true),
        Field::new("b", DataType::Boolean, true),
        Field::new("f", DataType::Float64, true),
        Field::new("d", DataType::Date32, true),
        Field::new("t", DataType::Timestamp(TimeUnit::Nanosecond, None), true),
        Field::new(
            "z",
            DataType::Timestamp(TimeUnit::Nanosecond, Some("Europe/Berlin".into())),
            true,
        ),
        Field::new("x", DataType::Binary, true),
        Field::new("m", DataType::Decimal128(5, 2), true),
    ]
}

/// `_common_metadata` bytes of [`typed_columns`], written once.
pub fn common_metadata_bytes() -> Bytes {
    static BYTES: OnceLock<Bytes> = OnceLock::new();
    BYTES
        .get_or_init(|| {
            let schema = SchemaWrapper::new(Arc::new(Schema::new(typed_columns())), "fuzz")
                .expect("the fixed schema is valid");
            write_common_metadata(&schema).expect("the fixed schema can be written")
        })
        .clone()
}

/// Loads metadata file `bytes` (of `format`) through a memory store, as a reader does:
/// implicit partitions, inferred partition keys, `_common_metadata`, every index (embedded
/// ones are parsed from the metadata), then plans a few predicates on the indexed columns.
/// Errors are fine; panics are not.
pub fn exercise_load(bytes: &[u8], format: MetadataFormat) {
    let store = Store::memory();
    let key = naming::metadata_key(UUID, format);
    if store.put(&key, Bytes::copy_from_slice(bytes)).is_err() {
        return;
    }
    // The table name comes from the metadata itself; put the schema under that table.
    let table = match plateau_metadata::codec::decode(bytes, format, &key) {
        Ok(metadata) => metadata.table_name,
        Err(_) => naming::DEFAULT_TABLE.to_owned(),
    };
    let common = naming::common_metadata_key(UUID, &table);
    if store.put(&common, common_metadata_bytes()).is_err() {
        return;
    }
    let options = LoadOptions::default()
        .load_schema(true)
        .load_all_indices(true);
    let Ok(metadata) = load(&store, UUID, &options) else {
        return;
    };
    for column in metadata
        .index_columns()
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
    {
        let Some(index) = metadata.loaded_index(&column) else {
            continue;
        };
        let Some(value) = (0..index.len().min(2)).find_map(|i| index.value(i).ok()) else {
            continue;
        };
        for op in Op::ALL {
            let value = if op.takes_list() {
                Value::List(vec![value.clone()])
            } else {
                Value::Scalar(value.clone())
            };
            let predicates = Predicates::all(vec![Literal::new(column.clone(), op, value)].into());
            let _ = planning::plan(&metadata, Some(&predicates), None);
            let _ = planning::plan(&metadata, Some(&predicates), Some(&[column.clone()]));
        }
    }
    let _ = planning::plan(&metadata, None, Some(&[]));
}
