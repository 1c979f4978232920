//! The Rust half of the interop round trip with Python plateau (`.ci/interop/roundtrip.sh`).
//!
//! ```text
//! cargo run --release -p plateau-io-eager --example interop -- write <store-dir>
//! cargo run --release -p plateau-io-eager --example interop -- dump <store-dir> <uuid> <out.jsonl> [<predicates>]
//! ```
//!
//! `write` creates the datasets `tools/interop/python_side.py` knows (its `SPEC` mirrors what
//! is written here, and has to change with it) and prints their uuids, one per line:
//!
//! | uuid | what it covers |
//! |---|---|
//! | `ia_types` | every column type (int8..uint64 with their extremes, float32/64 with ±0, ±inf, NaN, subnormals, bool, string, binary, date32, naive and tz-aware timestamps, decimal128, list, an all-null column), nulls, user metadata, an unsorted input column order, a secondary index |
//! | `ia_part_str` | a string partition column with values that need quoting: spaces, `=`, `%`, `/`, unicode, `+`, `~`, `.`, `..`, the empty string, a literal `%2F` |
//! | `ia_part_typed` | four typed partition columns: int64 (negative, min and max) named with a space, float64 (`-0.0`, `1e20`, `0.1`), date, naive timestamp |
//! | `ia_part_numeric` | int8 and uint64 (≥ 2^63) partition values |
//! | `ia_part_bool` | a bool partition column |
//! | `ia_indices` | secondary indices on int64, string, date and timestamp columns, with nulls, values in several partitions |
//! | `ia_msgpack` | a msgpack (`.msgpack.zstd`) header with a partition key and an index |
//! | `ia_updated` | store, then an update (append + delete scope on the partition key), then a delete-only update (scope on an index value); no gc, so orphans stay |
//! | `ia_updated_gc` | the same, then `garbage_collect_dataset` (its uuid has `ia_updated` as a prefix) |
//!
//! Not written, because Python plateau 4.6.2 cannot read it back (see the exclusions in
//! `python_side.py`): tz-aware partition columns and timestamps outside pandas' ns range.
//!
//! `dump` reads a dataset with [`read_table`] (optionally with predicates in the pyref JSON
//! form, `[[["col", "==", 1]]]`) and writes the canonical row dump of `shared/pyref`
//! (`pyref-dump/1`) with `plateau_testing::canonical`, the same bytes Python plateau's read
//! of the dataset gives.

use std::error::Error;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryArray, BooleanArray, Decimal128Array, Float32Array, Float64Array, Int16Array,
    Int32Array, Int64Array, Int8Array, ListArray, NullArray, RecordBatch, StringArray,
    TimestampMicrosecondArray, UInt16Array, UInt32Array, UInt64Array, UInt8Array,
};
use arrow::compute::{cast_with_options, CastOptions};
use arrow::datatypes::{DataType, Int64Type, TimeUnit};
use plateau_core::naming::common_metadata_key;
use plateau_core::naming::MetadataFormat;
use plateau_core::{Predicates, Scalar, Store};
use plateau_io_eager::{
    garbage_collect_dataset, read_table, store_dataframes_as_dataset,
    update_dataset_from_dataframes, GcOptions, ReadOptions, StoreOptions, UpdateOptions,
};
use plateau_metadata::common_metadata::read_common_metadata;
use plateau_metadata::schema::pyarrow_type_name;
use plateau_metadata::DatasetFactory;
use plateau_testing::canonical::dump_rows;
use serde_json::json;

type Res<T> = Result<T, Box<dyn Error>>;

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["write", dir] => write_all(Path::new(dir)),
        ["dump", dir, uuid, out] => dump(Path::new(dir), uuid, Path::new(out), None),
        ["dump", dir, uuid, out, predicates] => {
            dump(Path::new(dir), uuid, Path::new(out), Some(predicates))
        }
        _ => Err("usage: interop write <store-dir> | \
                  interop dump <store-dir> <uuid> <out.jsonl> [<predicates JSON>]"
            .into()),
    }
}

// ---------------------------------------------------------------------------------------------
// array helpers
// ---------------------------------------------------------------------------------------------

fn arc<A: arrow::array::Array + 'static>(a: A) -> ArrayRef {
    Arc::new(a)
}

/// Parses ISO strings (`None` = null) into `to`, failing on anything that does not parse.
fn parsed(values: &[Option<&str>], to: &DataType) -> Res<ArrayRef> {
    let strings = StringArray::from(values.to_vec());
    let options = CastOptions {
        safe: false,
        ..Default::default()
    };
    Ok(cast_with_options(&strings, to, &options)?)
}

fn dates(values: &[Option<&str>]) -> Res<ArrayRef> {
    parsed(values, &DataType::Date32)
}

/// Naive microsecond timestamps from `YYYY-MM-DDTHH:MM:SS[.ffffff]`.
fn timestamps(values: &[Option<&str>]) -> Res<ArrayRef> {
    parsed(values, &DataType::Timestamp(TimeUnit::Microsecond, None))
}

/// tz-aware microsecond timestamps; `values` are UTC wall clocks.
fn timestamps_tz(values: &[Option<&str>], tz: &str) -> Res<ArrayRef> {
    let naive = parsed(values, &DataType::Timestamp(TimeUnit::Microsecond, None))?;
    let naive = naive
        .as_any()
        .downcast_ref::<TimestampMicrosecondArray>()
        .ok_or("not a microsecond timestamp array")?;
    Ok(arc(naive.clone().with_timezone(tz)))
}

fn strings(values: &[Option<&str>]) -> ArrayRef {
    arc(StringArray::from(values.to_vec()))
}

fn ints(values: &[i64]) -> ArrayRef {
    arc(Int64Array::from(values.to_vec()))
}

/// A batch as most Rust callers build one: fields are nullable only where the array has
/// nulls (and the all-null `NullArray` column comes out non-nullable), unlike pyarrow's
/// always-nullable fields from pandas; the writer must cope.
fn batch(columns: Vec<(&str, ArrayRef)>) -> Res<RecordBatch> {
    Ok(RecordBatch::try_from_iter(columns)?)
}

fn scope(column: &str, value: Scalar) -> Vec<(String, Scalar)> {
    vec![(column.to_owned(), value)]
}

// ---------------------------------------------------------------------------------------------
// the datasets
// ---------------------------------------------------------------------------------------------

/// Every column type. Columns are given out of order on purpose (plateau sorts them).
/// Int extremes sit in columns without nulls: pandas turns a nullable int column into floats.
fn types_batch(frame: i64) -> Res<RecordBatch> {
    let first = frame == 0;
    let pick = |a: ArrayRef, b: ArrayRef| if first { a } else { b };
    batch(vec![
        ("grp", ints(&[frame; 4])),
        (
            "id",
            ints(&[frame * 4, frame * 4 + 1, frame * 4 + 2, frame * 4 + 3]),
        ),
        (
            "s",
            pick(
                strings(&[
                    Some(""),
                    Some("a"),
                    Some("ünïcødé 日本"),
                    Some("quote\"back\\slash\nnl"),
                ]),
                strings(&[None, Some("tab\t"), Some("\u{1}ctl"), Some("emoji 🦀")]),
            ),
        ),
        (
            "i8",
            pick(
                arc(Int8Array::from(vec![i8::MIN, i8::MAX, 0, -1])),
                arc(Int8Array::from(vec![1, 2, 3, 4])),
            ),
        ),
        (
            "i16",
            pick(
                arc(Int16Array::from(vec![i16::MIN, i16::MAX, 0, -1])),
                arc(Int16Array::from(vec![1, 2, 3, 4])),
            ),
        ),
        (
            "i32",
            pick(
                arc(Int32Array::from(vec![i32::MIN, i32::MAX, 0, -1])),
                arc(Int32Array::from(vec![1, 2, 3, 4])),
            ),
        ),
        (
            "i64",
            pick(
                ints(&[i64::MIN, i64::MAX, 0, -1]),
                ints(&[1, 2, 3, (1 << 53) + 1]),
            ),
        ),
        (
            "i64n",
            pick(
                arc(Int64Array::from(vec![None, Some(1), Some(-2), None])),
                arc(Int64Array::from(vec![Some(3), None, Some(5), Some(6)])),
            ),
        ),
        (
            "u8",
            pick(
                arc(UInt8Array::from(vec![0, u8::MAX, 1, 2])),
                arc(UInt8Array::from(vec![3, 4, 5, 6])),
            ),
        ),
        (
            "u16",
            pick(
                arc(UInt16Array::from(vec![0, u16::MAX, 1, 2])),
                arc(UInt16Array::from(vec![3, 4, 5, 6])),
            ),
        ),
        (
            "u32",
            pick(
                arc(UInt32Array::from(vec![0, u32::MAX, 1, 2])),
                arc(UInt32Array::from(vec![3, 4, 5, 6])),
            ),
        ),
        (
            "u64",
            pick(
                arc(UInt64Array::from(vec![0, u64::MAX, 1 << 63, 1])),
                arc(UInt64Array::from(vec![2, 3, 4, 5])),
            ),
        ),
        (
            "f32",
            pick(
                arc(Float32Array::from(vec![
                    Some(1.5),
                    Some(-0.0),
                    Some(f32::MAX),
                    Some(0.1),
                ])),
                arc(Float32Array::from(vec![
                    Some(f32::NAN),
                    None,
                    Some(f32::INFINITY),
                    Some(1e-45),
                ])),
            ),
        ),
        (
            "f64",
            pick(
                arc(Float64Array::from(vec![
                    Some(0.1),
                    Some(1e300),
                    Some(-2.5),
                    Some(f64::INFINITY),
                ])),
                arc(Float64Array::from(vec![
                    Some(f64::NEG_INFINITY),
                    Some(f64::NAN),
                    None,
                    Some(5e-324),
                ])),
            ),
        ),
        (
            "b",
            pick(
                arc(BooleanArray::from(vec![
                    Some(true),
                    Some(false),
                    None,
                    Some(true),
                ])),
                arc(BooleanArray::from(vec![
                    Some(false),
                    Some(false),
                    Some(true),
                    None,
                ])),
            ),
        ),
        (
            "bin",
            pick(
                arc(BinaryArray::from(vec![
                    Some(&b""[..]),
                    Some(&b"\x00\xff"[..]),
                    None,
                    Some(&b"abc"[..]),
                ])),
                arc(BinaryArray::from(vec![
                    Some(&b"\x80"[..]),
                    None,
                    Some(&b"z"[..]),
                    Some(&b"\x00"[..]),
                ])),
            ),
        ),
        (
            "d",
            if first {
                dates(&[
                    Some("1970-01-01"),
                    Some("2020-02-29"),
                    Some("9999-12-31"),
                    Some("0001-01-01"),
                ])?
            } else {
                dates(&[
                    None,
                    Some("1969-12-31"),
                    Some("2000-01-01"),
                    Some("2024-12-31"),
                ])?
            },
        ),
        (
            "ts",
            if first {
                timestamps(&[
                    Some("2020-01-01T12:34:56.789012"),
                    Some("1970-01-01T00:00:00"),
                    Some("1677-09-22T00:00:00"),
                    Some("2262-04-10T23:59:59.999999"),
                ])?
            } else {
                timestamps(&[
                    None,
                    Some("1969-12-31T23:59:59.999999"),
                    Some("2000-01-01T00:00:00.000001"),
                    Some("2024-02-29T12:00:00"),
                ])?
            },
        ),
        (
            "tstz",
            if first {
                // around both 2020 DST switches of Europe/Berlin
                timestamps_tz(
                    &[
                        Some("2020-03-29T00:59:59"),
                        Some("2020-10-25T01:00:00"),
                        Some("1970-01-01T00:00:00"),
                        None,
                    ],
                    "Europe/Berlin",
                )?
            } else {
                timestamps_tz(
                    &[
                        Some("2024-06-01T12:00:00.5"),
                        None,
                        Some("1999-12-31T23:00:00"),
                        Some("2030-01-01T00:00:00"),
                    ],
                    "Europe/Berlin",
                )?
            },
        ),
        (
            "dec",
            arc(if first {
                Decimal128Array::from(vec![Some(-255), Some(0), Some(9_999_999_999), None])
            } else {
                Decimal128Array::from(vec![Some(-9_999_999_999), Some(1), None, Some(110)])
            }
            .with_precision_and_scale(10, 2)?),
        ),
        (
            "lst",
            arc(if first {
                ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
                    Some(vec![Some(1), Some(2), Some(3)]),
                    Some(vec![]),
                    None,
                    Some(vec![None, Some(4)]),
                ])
            } else {
                ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
                    Some(vec![Some(9)]),
                    Some(vec![Some(5)]),
                    Some(vec![None]),
                    None,
                ])
            }),
        ),
        ("nul", arc(NullArray::new(4))),
    ])
}

/// String partition values that need quoting (two input frames: some values get two files).
const AWKWARD: &[&str] = &[
    "plain",
    "a b",
    "x=y",
    "100%",
    "a/b",
    "/lead",
    "trail/",
    "ünï 日本",
    "+1",
    "~tilde",
    "-1",
    ".",
    "..",
    "",
    "%2F",
    "a%20b",
    "tab\there",
];

fn part_str() -> Res<Vec<RecordBatch>> {
    let keys: Vec<Option<&str>> = AWKWARD.iter().copied().map(Some).collect();
    let values: Vec<i64> = (0..keys.len() as i64).collect();
    Ok(vec![
        batch(vec![("key", strings(&keys)), ("v", ints(&values))])?,
        batch(vec![
            ("key", strings(&[Some("a b"), Some("a/b"), Some("plain")])),
            ("v", ints(&[100, 101, 102])),
        ])?,
    ])
}

type TypedRow<'a> = (i64, f64, &'a str, &'a str);

fn typed_batch(rows: &[TypedRow<'_>], v0: i64) -> Res<RecordBatch> {
    let d: Vec<Option<&str>> = rows.iter().map(|r| Some(r.2)).collect();
    let t: Vec<Option<&str>> = rows.iter().map(|r| Some(r.3)).collect();
    batch(vec![
        (
            "level 1",
            ints(&rows.iter().map(|r| r.0).collect::<Vec<_>>()),
        ),
        (
            "f",
            arc(Float64Array::from(
                rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            )),
        ),
        ("d", dates(&d)?),
        ("t", timestamps(&t)?),
        ("v", ints(&(v0..v0 + rows.len() as i64).collect::<Vec<_>>())),
    ])
}

fn part_typed() -> Res<Vec<RecordBatch>> {
    Ok(vec![
        typed_batch(
            &[
                (-1, 1.5, "2020-02-29", "2020-01-01T12:34:56.789"),
                (-1, 1e20, "1999-12-31", "2020-01-01T00:00:00"),
                (i64::MIN, -0.0, "1970-01-01", "1999-12-31T23:59:59.000001"),
                (i64::MAX, 0.1, "1999-12-31", "2020-01-01T00:00:00"),
                (0, -3.25e-10, "2000-01-01", "1970-01-01T00:00:00"),
            ],
            0,
        )?,
        typed_batch(
            &[
                (-1, 1.5, "2020-02-29", "2020-01-01T12:34:56.789"),
                (42, 2.5, "1999-12-31", "2262-04-10T00:00:00"),
            ],
            5,
        )?,
    ])
}

fn part_numeric() -> Res<Vec<RecordBatch>> {
    Ok(vec![batch(vec![
        ("i8", arc(Int8Array::from(vec![i8::MIN, i8::MAX, -1, -1]))),
        (
            "u",
            arc(UInt64Array::from(vec![0, u64::MAX, 1 << 63, u64::MAX])),
        ),
        ("v", arc(Float64Array::from(vec![0.5, 1.5, -2.5, 3.5]))),
    ])?])
}

fn part_bool() -> Res<Vec<RecordBatch>> {
    Ok(vec![
        batch(vec![
            ("flag", arc(BooleanArray::from(vec![true, false, true]))),
            ("v", ints(&[0, 1, 2])),
        ])?,
        batch(vec![
            ("flag", arc(BooleanArray::from(vec![false]))),
            ("v", ints(&[3])),
        ])?,
    ])
}

type IndexRow<'a> = (
    &'a str,
    Option<i64>,
    Option<&'a str>,
    Option<&'a str>,
    &'a str,
    i64,
);

fn indices_batch(rows: &[IndexRow<'_>]) -> Res<RecordBatch> {
    let d: Vec<Option<&str>> = rows.iter().map(|r| r.3).collect();
    let t: Vec<Option<&str>> = rows.iter().map(|r| Some(r.4)).collect();
    batch(vec![
        (
            "p",
            strings(&rows.iter().map(|r| Some(r.0)).collect::<Vec<_>>()),
        ),
        (
            "i",
            arc(Int64Array::from(
                rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            )),
        ),
        ("s", strings(&rows.iter().map(|r| r.2).collect::<Vec<_>>())),
        ("d", dates(&d)?),
        ("t", timestamps(&t)?),
        ("v", ints(&rows.iter().map(|r| r.5).collect::<Vec<_>>())),
    ])
}

fn indices() -> Res<Vec<RecordBatch>> {
    Ok(vec![
        indices_batch(&[
            (
                "a",
                Some(1),
                Some("shared"),
                Some("2020-01-01"),
                "2020-01-01T00:00:00",
                0,
            ),
            (
                "a",
                Some(2),
                Some("x"),
                None,
                "2020-01-01T00:00:00.000001",
                1,
            ),
            (
                "b",
                None,
                Some("y"),
                Some("2020-01-02"),
                "2020-01-01T00:00:00",
                2,
            ),
            (
                "b",
                Some(1),
                None,
                Some("2020-01-03"),
                "2021-06-30T12:00:00",
                3,
            ),
            (
                "c",
                Some(3),
                Some("z ü"),
                Some("2020-01-03"),
                "1999-12-31T23:59:59",
                4,
            ),
        ])?,
        indices_batch(&[
            (
                "a",
                Some(4),
                Some("w"),
                Some("2020-01-04"),
                "2020-01-01T00:00:00",
                5,
            ),
            (
                "c",
                Some(1),
                Some("shared"),
                Some("2020-01-05"),
                "2020-01-01T00:00:00",
                6,
            ),
            (
                "d",
                Some(5),
                Some("q"),
                Some("2020-01-02"),
                "2022-01-01T00:00:00",
                7,
            ),
        ])?,
    ])
}

/// A `p` (string partition key), `k` (indexed int), `v` frame.
fn keyed(rows: &[(&str, i64, i64)]) -> Res<RecordBatch> {
    batch(vec![
        (
            "p",
            strings(&rows.iter().map(|r| Some(r.0)).collect::<Vec<_>>()),
        ),
        ("k", ints(&rows.iter().map(|r| r.1).collect::<Vec<_>>())),
        ("v", ints(&rows.iter().map(|r| r.2).collect::<Vec<_>>())),
    ])
}

fn store(store: &Store, uuid: &str, batches: &[RecordBatch], options: &StoreOptions) -> Res<()> {
    store_dataframes_as_dataset(store, uuid, batches, options)?;
    Ok(())
}

/// Store, update (append + delete scope on the partition key), delete-only update (scope on
/// an index value), and gc if asked.
fn updated(s: &Store, uuid: &str, gc: bool) -> Res<()> {
    let options = StoreOptions::default()
        .partition_on(["p"])
        .secondary_indices(["k"]);
    let batches = [
        keyed(&[("a", 10, 0), ("b", 20, 1)])?,
        keyed(&[("a", 11, 2), ("c", 20, 3)])?,
    ];
    store(s, uuid, &batches, &options)?;
    let factory = DatasetFactory::new(s.clone(), uuid);
    update_dataset_from_dataframes(
        &factory,
        &[keyed(&[("a", 12, 4), ("d", 21, 5)])?],
        &UpdateOptions::default().delete_scope(vec![scope("p", Scalar::String("a".into()))]),
    )
    .map_err(|e| format!("update: {e}"))?;
    update_dataset_from_dataframes(
        &factory,
        &[],
        &UpdateOptions::default().delete_scope(vec![scope("k", Scalar::Int(21))]),
    )
    .map_err(|e| format!("delete-only update: {e}"))?;
    if gc {
        garbage_collect_dataset(&factory, &GcOptions::immediate())
            .map_err(|e| format!("gc: {e}"))?;
    }
    Ok(())
}

type Writer = fn(&Store, &str) -> Res<()>;

/// The datasets, in the order of `python_side.py list`.
const DATASETS: &[(&str, Writer)] = &[
    ("ia_types", |s, uuid| {
        let metadata = json!({"origin": "plateau-rs interop", "nested": {"a": [1, 2], "b": null}});
        let metadata = metadata.as_object().cloned().ok_or("not an object")?;
        let options = StoreOptions::default()
            .secondary_indices(["grp"])
            .metadata(metadata);
        store(s, uuid, &[types_batch(0)?, types_batch(1)?], &options)
    }),
    ("ia_part_str", |s, uuid| {
        store(
            s,
            uuid,
            &part_str()?,
            &StoreOptions::default().partition_on(["key"]),
        )
    }),
    ("ia_part_typed", |s, uuid| {
        let options = StoreOptions::default().partition_on(["level 1", "f", "d", "t"]);
        store(s, uuid, &part_typed()?, &options)
    }),
    ("ia_part_numeric", |s, uuid| {
        let options = StoreOptions::default().partition_on(["i8", "u"]);
        store(s, uuid, &part_numeric()?, &options)
    }),
    ("ia_part_bool", |s, uuid| {
        store(
            s,
            uuid,
            &part_bool()?,
            &StoreOptions::default().partition_on(["flag"]),
        )
    }),
    ("ia_indices", |s, uuid| {
        let options = StoreOptions::default()
            .partition_on(["p"])
            .secondary_indices(["i", "s", "d", "t"]);
        store(s, uuid, &indices()?, &options)
    }),
    ("ia_msgpack", |s, uuid| {
        let batches = [
            keyed(&[("x", 1, 0), ("x", 2, 1), ("y", 3, 2)])?,
            keyed(&[("y", 3, 3), ("z", 4, 4)])?,
        ];
        let options = StoreOptions::default()
            .partition_on(["p"])
            .secondary_indices(["k"])
            .metadata_format(MetadataFormat::Msgpack);
        store(s, uuid, &batches, &options)
    }),
    ("ia_updated", |s, uuid| updated(s, uuid, false)),
    ("ia_updated_gc", |s, uuid| updated(s, uuid, true)),
];

/// Writes every dataset; prints the uuid of each one written, reports the others on stderr
/// and fails at the end if there were any (so the check can still go on with the rest).
fn write_all(dir: &Path) -> Res<()> {
    let s = Store::local(dir)?;
    let mut failed = Vec::new();
    for (uuid, write) in DATASETS {
        match write(&s, uuid) {
            Ok(()) => println!("{uuid}"),
            Err(e) => {
                eprintln!("writing {uuid} failed: {e}");
                failed.push(*uuid);
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("could not write {}", failed.join(", ")).into())
    }
}

// ---------------------------------------------------------------------------------------------
// dump
// ---------------------------------------------------------------------------------------------

fn dump(dir: &Path, uuid: &str, out: &Path, predicates: Option<&str>) -> Res<()> {
    let store = Store::local(dir)?;
    let factory = DatasetFactory::new(store.clone(), uuid);
    let mut options = ReadOptions::default();
    if let Some(text) = predicates {
        options = options.predicates(Predicates::from_json(text)?);
    }
    let table = read_table(&factory, &options).map_err(|e| format!("reading {uuid}: {e}"))?;
    // The header shows each column's type as stored in `_common_metadata`, in pyarrow's
    // spelling, like Python's dump does. `read_common_metadata` widens timestamps to ns (the
    // unit plateau computes in), while both writers store them as µs (plateau's
    // `coerce_timestamps="us"`) and pyarrow reports that stored unit: map them back.
    let metadata = factory.metadata()?;
    let key = common_metadata_key(uuid, &metadata.table_name);
    let schema = read_common_metadata(store.get(&key)?, &key)?;
    let types: Vec<(String, String)> = schema
        .schema()
        .fields()
        .iter()
        .map(|f| {
            let stored = match f.data_type() {
                DataType::Timestamp(_, tz) => {
                    DataType::Timestamp(TimeUnit::Microsecond, tz.clone())
                }
                other => other.clone(),
            };
            (f.name().clone(), pyarrow_type_name(&stored))
        })
        .collect();
    std::fs::write(out, dump_rows(uuid, &table, &types)?)?;
    Ok(())
}
