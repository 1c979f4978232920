//! The read semantics of Python plateau's shared read suite (`plateau/io/testing/read.py`, the
//! rows tagged BI in reference §6) and of reference §1.2 / §1.14 / §4.3, on datasets written
//! with our writer (the same frames the Python suite's fixtures use).
#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "../../testing/src/canonical.rs"]
mod canonical;

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BinaryArray, BooleanArray, Date32Array, Int64Array, Int8Array, RecordBatch,
    StringArray, TimestampMicrosecondArray,
};
use arrow::compute::{cast, concat_batches};
use arrow::datatypes::{DataType, Int64Type, TimeUnit};
use plateau_core::{Conjunction, Error, Literal, Op, Predicates, Scalar, Store};
use plateau_io::read::{plan, read_dataset, read_group, read_table, ReadOptions};
use plateau_io::write::{store_dataset, StoreOptions};
use plateau_metadata::planning::DispatchGroup;
use plateau_metadata::{codec, DatasetFactory, DatasetMetadataBuilder};
use plateau_serialization::ParquetSerializer;

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).unwrap()
}

fn ints(values: &[i64]) -> ArrayRef {
    Arc::new(Int64Array::from(values.to_vec()))
}

fn strs(values: &[&str]) -> ArrayRef {
    Arc::new(StringArray::from(values.to_vec()))
}

fn days(y: i32, m: u32, d: u32) -> i32 {
    // Days since the epoch, by counting through Date32 parsing of arrow's cast.
    let text: ArrayRef = Arc::new(StringArray::from(vec![format!("{y:04}-{m:02}-{d:02}")]));
    let date = cast(&text, &DataType::Date32).unwrap();
    date.as_any()
        .downcast_ref::<Date32Array>()
        .unwrap()
        .value(0)
}

fn dates(values: &[(i32, u32, u32)]) -> ArrayRef {
    Arc::new(Date32Array::from(
        values
            .iter()
            .map(|(y, m, d)| days(*y, *m, *d))
            .collect::<Vec<_>>(),
    ))
}

fn factory(store: &Store, uuid: &str) -> DatasetFactory {
    DatasetFactory::new(store.clone(), uuid)
}

/// A column as `i64` values (`None` for nulls).
fn int_column(batch: &RecordBatch, name: &str) -> Vec<Option<i64>> {
    let column = batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name} in {:?}", batch.schema()));
    let column = match column.data_type() {
        DataType::Dictionary(_, value) => cast(column, value).unwrap(),
        _ => Arc::clone(column),
    };
    let column = cast(&column, &DataType::Int64).unwrap();
    column
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap()
        .iter()
        .collect()
}

fn names(batch: &RecordBatch) -> Vec<String> {
    batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect()
}

/// The canonical rows of a batch (sorted), without the header: a readable value comparison.
fn rows(batch: &RecordBatch) -> Vec<String> {
    let types: Vec<(String, String)> = names(batch)
        .into_iter()
        .map(|n| (n, String::new()))
        .collect();
    let dump = canonical::dump_rows("x", batch, &types).unwrap();
    dump.lines().skip(1).map(str::to_owned).collect()
}

fn concat(batches: &[RecordBatch]) -> RecordBatch {
    let schema = batches[0].schema();
    concat_batches(&schema, batches).unwrap()
}

fn predicates(text: &str) -> Predicates {
    Predicates::parse(text).unwrap()
}

/// Python's `dataset` fixture: two frames (partitions) with P, L, TARGET, DATE.
fn core_frames() -> Vec<RecordBatch> {
    vec![
        batch(vec![
            ("P", ints(&[1])),
            ("L", ints(&[1])),
            ("TARGET", ints(&[1])),
            ("DATE", dates(&[(2010, 1, 1)])),
        ]),
        batch(vec![
            ("P", ints(&[2])),
            ("L", ints(&[2])),
            ("TARGET", ints(&[2])),
            ("DATE", dates(&[(2009, 12, 31)])),
        ]),
    ]
}

/// `dataset` (unpartitioned), `dataset_partition_keys` (on P) and `dataset_with_index` (on P,
/// index on L), all in one store.
fn core_store() -> Store {
    let store = Store::memory();
    let frames = core_frames();
    store_dataset(&store, "dataset_uuid", &frames, &StoreOptions::default()).unwrap();
    store_dataset(
        &store,
        "dataset_uuid_partition_keys",
        &frames,
        &StoreOptions::default().partition_on(["P"]),
    )
    .unwrap();
    store_dataset(
        &store,
        "dataset_uuid_partition_keys_index",
        &frames,
        &StoreOptions::default()
            .partition_on(["P"])
            .secondary_indices(["L"]),
    )
    .unwrap();
    store
}

/// Python's `dataset_dispatch_by`: four clusters partitioned on A, B with an index on C.
fn dispatch_store() -> (Store, &'static str) {
    let store = Store::memory();
    let cluster = |a: &[i64], b: &[i64], c: &[i64], content: &str| {
        batch(vec![
            ("A", ints(a)),
            ("B", ints(b)),
            ("C", ints(c)),
            ("Content", strs(&vec![content; a.len()])),
        ])
    };
    let clusters = vec![
        cluster(&[1, 1], &[10, 10], &[1, 2], "cluster1"),
        cluster(&[1, 1], &[10, 10], &[2, 3], "cluster2"),
        cluster(&[1], &[20], &[1], "cluster3"),
        cluster(&[2, 2], &[10, 10], &[1, 2], "cluster4"),
    ];
    store_dataset(
        &store,
        "dispatch",
        &clusters,
        &StoreOptions::default()
            .partition_on(["A", "B"])
            .secondary_indices(["C"]),
    )
    .unwrap();
    (store, "dispatch")
}

/// `{"P": [2], "L": [2], "TARGET": [2], "DATE": [2009-12-31]}` in any column order.
fn assert_is_p2_row(batch: &RecordBatch) {
    assert_eq!(batch.num_rows(), 1, "{batch:?}");
    for column in ["P", "L", "TARGET"] {
        assert_eq!(int_column(batch, column), vec![Some(2)], "{column}");
    }
    let date = batch.column_by_name("DATE").unwrap();
    assert_eq!(date.data_type(), &DataType::Date32);
    assert_eq!(
        date.as_any()
            .downcast_ref::<Date32Array>()
            .unwrap()
            .value(0),
        days(2009, 12, 31)
    );
}

// ---------------------------------------------------------------------------------------------
// predicates (read.py: test_read_dataset_as_dataframes_predicate*, test_store_input_types)
// ---------------------------------------------------------------------------------------------

#[test]
fn predicate_on_unpartitioned_dataset() {
    let store = core_store();
    for text in ["P == 2", "P in (2)", "P != 1", "P > 1", "P >= 2"] {
        let options = ReadOptions::default().predicates(predicates(text));
        let result = read_dataset(&factory(&store, "dataset_uuid"), &options).unwrap();
        // No index on P: both partitions are read, the filter leaves one row.
        assert_eq!(result.len(), 2, "{text}");
        assert_is_p2_row(&concat(&result));
        assert_is_p2_row(&read_table(&factory(&store, "dataset_uuid"), &options).unwrap());
    }
}

#[test]
fn predicate_with_partition_keys_and_content_including_or() {
    let store = core_store();
    for uuid in [
        "dataset_uuid_partition_keys",
        "dataset_uuid_partition_keys_index",
    ] {
        for text in [
            "P == 2 and TARGET == 2",
            "P in (2) and TARGET == 2",
            "P != 1 and L == 2",
            "P != 1 and L in (2)",
            "P > 2 or TARGET >= 2",
            "P >= 2 or TARGET >= 2",
        ] {
            let options = ReadOptions::default().predicates(predicates(text));
            let result = read_dataset(&factory(&store, uuid), &options).unwrap();
            let non_empty: Vec<RecordBatch> =
                result.into_iter().filter(|b| b.num_rows() > 0).collect();
            assert_eq!(non_empty.len(), 1, "{uuid}: {text}");
            assert_is_p2_row(&non_empty[0]);
            assert_is_p2_row(&read_table(&factory(&store, uuid), &options).unwrap());
        }
    }
}

#[test]
fn predicate_on_partition_key_prunes_everything() {
    let store = core_store();
    let options = ReadOptions::default()
        .predicates(predicates("P == -42"))
        .columns(["P", "L", "TARGET"]);
    let result = read_dataset(&factory(&store, "dataset_uuid_partition_keys"), &options).unwrap();
    assert!(result.is_empty());
    let table = read_table(&factory(&store, "dataset_uuid_partition_keys"), &options).unwrap();
    assert_eq!(table.num_rows(), 0);
    assert_eq!(names(&table), ["P", "L", "TARGET"]);
}

#[test]
fn predicates_on_partition_key_and_secondary_index_select_the_first_row() {
    // test_store_input_types: `==` on a partition column and on a secondary index column.
    let store = Store::memory();
    let frame = batch(vec![
        ("a", ints(&[1, 2, 3])),
        ("b", strs(&["x", "y", "z"])),
        ("c", ints(&[10, 20, 30])),
    ]);
    let options = StoreOptions::default()
        .partition_on(["a"])
        .secondary_indices(["b"]);
    store_dataset(&store, "uuid", &[frame], &options).unwrap();
    let read = ReadOptions::default().predicates(predicates("a == 1 and b == 'x'"));
    let result = read_dataset(&factory(&store, "uuid"), &read).unwrap();
    assert_eq!(result.len(), 1);
    assert_eq!(int_column(&result[0], "c"), vec![Some(10)]);
}

#[test]
fn pushdown_off_gives_the_same_rows() {
    let store = core_store();
    for uuid in ["dataset_uuid", "dataset_uuid_partition_keys_index"] {
        for text in [
            "P >= 2 or TARGET >= 2",
            "L in (2, 3)",
            "TARGET != 1",
            "DATE < '2010-01-01'",
        ] {
            let on = ReadOptions::default().predicates(predicates(text));
            let off = on.clone().predicate_pushdown_to_io(false);
            let a = read_table(&factory(&store, uuid), &on).unwrap();
            let b = read_table(&factory(&store, uuid), &off).unwrap();
            assert_eq!(rows(&a), rows(&b), "{uuid}: {text}");
            assert_is_p2_row(&a);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// dispatch_by (read.py: test_read_dataset_as_dataframes_dispatch_by_*, test_read_dispatch_by_with_predicates)
// ---------------------------------------------------------------------------------------------

#[test]
fn dispatch_by_empty_gives_one_batch() {
    let (store, uuid) = dispatch_store();
    let result = read_dataset(
        &factory(&store, uuid),
        &ReadOptions::default().dispatch_by(Vec::<String>::new()),
    )
    .unwrap();
    assert_eq!(result.len(), 1);
    assert_eq!(result[0].num_rows(), 7);
}

#[test]
fn dispatch_by_single_column() {
    let (store, uuid) = dispatch_store();
    for column in ["A", "B", "C"] {
        let result = read_dataset(
            &factory(&store, uuid),
            &ReadOptions::default().dispatch_by([column]),
        )
        .unwrap();
        let mut seen = Vec::new();
        for part in &result {
            let mut values = int_column(part, column);
            values.dedup();
            assert_eq!(values.len(), 1, "{column}: {part:?}");
            assert!(!seen.contains(&values[0]), "{column}: {values:?} repeated");
            seen.push(values[0]);
        }
        // Groups come sorted by value.
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(seen, sorted, "{column}");
    }
    // C holds 1, 2, 3; each group has exactly the rows with that value.
    let by_c = read_dataset(
        &factory(&store, uuid),
        &ReadOptions::default().dispatch_by(["C"]),
    )
    .unwrap();
    assert_eq!(
        by_c.iter().map(RecordBatch::num_rows).collect::<Vec<_>>(),
        [3, 3, 1]
    );
}

#[test]
fn dispatch_by_two_columns() {
    let (store, uuid) = dispatch_store();
    for pair in [
        ["A", "B"],
        ["A", "C"],
        ["B", "A"],
        ["B", "C"],
        ["C", "A"],
        ["C", "B"],
    ] {
        let result = read_dataset(
            &factory(&store, uuid),
            &ReadOptions::default().dispatch_by(pair),
        )
        .unwrap();
        let mut seen = Vec::new();
        for part in &result {
            let first = int_column(part, pair[0]);
            let second = int_column(part, pair[1]);
            let mut tuples: Vec<(Option<i64>, Option<i64>)> =
                first.into_iter().zip(second).collect();
            tuples.dedup();
            assert_eq!(tuples.len(), 1, "{pair:?}: {tuples:?}");
            assert!(!seen.contains(&tuples[0]), "{pair:?}: {tuples:?} repeated");
            seen.push(tuples[0]);
        }
    }
}

#[test]
fn dispatch_by_with_predicates() {
    let (store, uuid) = dispatch_store();
    for (dispatch_by, text, expected) in [
        (vec!["A"], "C > 2", 1),
        (vec!["B"], "B == 10", 1),
        (vec!["C"], "C == 1", 1),
        (vec!["A", "C"], "A > 1 and C < 3", 2),
    ] {
        let options = ReadOptions::default()
            .dispatch_by(dispatch_by.clone())
            .predicates(predicates(text));
        let result = read_dataset(&factory(&store, uuid), &options).unwrap();
        assert_eq!(result.len(), expected, "{dispatch_by:?} {text}");
    }
}

#[test]
fn dispatch_groups_cast_to_the_schema_types() {
    // An int8 column in the files: per-partition reads keep int8, dispatch groups and
    // read_table have the schema's int64.
    let store = Store::memory();
    let frame = |p: i64, x: &[i8]| {
        batch(vec![
            ("p", ints(&vec![p; x.len()])),
            ("x", Arc::new(Int8Array::from(x.to_vec())) as ArrayRef),
        ])
    };
    store_dataset(
        &store,
        "narrow",
        &[frame(1, &[1, 2]), frame(1, &[3]), frame(2, &[4])],
        &StoreOptions::default().partition_on(["p"]),
    )
    .unwrap();
    let f = factory(&store, "narrow");
    let per_partition = read_dataset(&f, &ReadOptions::default()).unwrap();
    assert_eq!(per_partition.len(), 3);
    for part in &per_partition {
        assert_eq!(
            part.column_by_name("x").unwrap().data_type(),
            &DataType::Int8
        );
        assert_eq!(
            part.column_by_name("p").unwrap().data_type(),
            &DataType::Int64
        );
    }
    let grouped = read_dataset(&f, &ReadOptions::default().dispatch_by(["p"])).unwrap();
    assert_eq!(grouped.len(), 2);
    assert_eq!(int_column(&grouped[0], "x"), [Some(1), Some(2), Some(3)]);
    for part in &grouped {
        assert_eq!(
            part.column_by_name("x").unwrap().data_type(),
            &DataType::Int64
        );
    }
    let table = read_table(&f, &ReadOptions::default()).unwrap();
    assert_eq!(
        table.column_by_name("x").unwrap().data_type(),
        &DataType::Int64
    );
}

// ---------------------------------------------------------------------------------------------
// full reads, projections, column order (test_read_dataset_as_dataframes, *_columns_*)
// ---------------------------------------------------------------------------------------------

#[test]
fn full_read_with_and_without_categoricals() {
    let store = core_store();
    for uuid in ["dataset_uuid", "dataset_uuid_partition_keys_index"] {
        for categoricals in [false, true] {
            let mut options = ReadOptions::default();
            if categoricals {
                options = options.categoricals(["P", "L"]);
            }
            let mut result = read_dataset(&factory(&store, uuid), &options).unwrap();
            assert_eq!(result.len(), 2);
            result.sort_by_key(|b| int_column(b, "P")[0]);
            assert_is_p2_row(&result[1]);
            assert_eq!(int_column(&result[0], "TARGET"), [Some(1)]);
            for part in &result {
                let p = part.column_by_name("P").unwrap().data_type().clone();
                let l = part.column_by_name("L").unwrap().data_type().clone();
                if categoricals {
                    let dict =
                        DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Int64));
                    assert_eq!((p, l), (dict.clone(), dict), "{uuid}");
                } else {
                    assert_eq!((p, l), (DataType::Int64, DataType::Int64), "{uuid}");
                }
            }
            let table = read_table(&factory(&store, uuid), &options).unwrap();
            assert_eq!(table.num_rows(), 2);
            let expected = if uuid == "dataset_uuid" {
                ["DATE", "L", "P", "TARGET"]
            } else {
                ["P", "DATE", "L", "TARGET"]
            };
            assert_eq!(names(&table), expected);
        }
    }
}

#[test]
fn columns_projection_with_partition_keys() {
    let store = Store::memory();
    let frame = batch(vec![
        ("a", ints(&[1, 1])),
        ("b", ints(&[1, 1])),
        ("c", ints(&[100, 100])),
        ("d", ints(&[1, 2])),
    ]);
    store_dataset(
        &store,
        "partitioned_uuid",
        &[frame],
        &StoreOptions::default().partition_on(["a", "b"]),
    )
    .unwrap();
    let f = factory(&store, "partitioned_uuid");
    let result = read_dataset(&f, &ReadOptions::default().columns(["a", "b", "c"])).unwrap();
    let result = concat(&result);
    assert_eq!(names(&result), ["a", "b", "c"]);
    assert_eq!(int_column(&result, "a"), [Some(1), Some(1)]);
    assert_eq!(int_column(&result, "b"), [Some(1), Some(1)]);
    assert_eq!(int_column(&result, "c"), [Some(100), Some(100)]);
    // Requested order wins, also for partition columns.
    let result = read_dataset(&f, &ReadOptions::default().columns(["c", "b"])).unwrap();
    assert_eq!(names(&result[0]), ["c", "b"]);
}

#[test]
fn columns_projection_of_partition_keys_only() {
    let store = Store::memory();
    let frame = batch(vec![
        ("a", ints(&[1, 1])),
        ("b", ints(&[1, 1])),
        ("c", ints(&[100, 100])),
        ("d", ints(&[1, 2])),
    ]);
    store_dataset(
        &store,
        "partitioned_uuid",
        &[frame],
        &StoreOptions::default().partition_on(["a", "b"]),
    )
    .unwrap();
    let f = factory(&store, "partitioned_uuid");
    let result = concat(&read_dataset(&f, &ReadOptions::default().columns(["a", "b"])).unwrap());
    assert_eq!(names(&result), ["a", "b"]);
    assert_eq!(result.num_rows(), 2);
    let table = read_table(&f, &ReadOptions::default().columns(["b"])).unwrap();
    assert_eq!(names(&table), ["b"]);
    assert_eq!(int_column(&table, "b"), [Some(1), Some(1)]);
}

#[test]
fn empty_predicate_pushdown_with_empty_projection() {
    let store = core_store();
    let options = ReadOptions::default()
        .columns(Vec::<String>::new())
        .predicates(predicates("P == 12345678"));
    let result = read_dataset(&factory(&store, "dataset_uuid"), &options).unwrap();
    assert!(!result.is_empty());
    for part in &result {
        assert_eq!(part.num_columns(), 0);
        assert_eq!(part.num_rows(), 0);
    }
    let table = read_table(&factory(&store, "dataset_uuid"), &options).unwrap();
    assert_eq!((table.num_columns(), table.num_rows()), (0, 0));
    // The row count survives an empty projection.
    let all = ReadOptions::default().columns(Vec::<String>::new());
    let table = read_table(&factory(&store, "dataset_uuid"), &all).unwrap();
    assert_eq!((table.num_columns(), table.num_rows()), (0, 2));
}

#[test]
fn column_order_per_partition_and_for_read_table() {
    // Input columns z, P, a partitioned on P: per partition P, z, a; read_table P, a, z.
    let store = Store::memory();
    let frame = batch(vec![
        ("z", ints(&[1])),
        ("P", ints(&[1])),
        ("a", ints(&[2])),
    ]);
    store_dataset(
        &store,
        "order",
        &[frame],
        &StoreOptions::default().partition_on(["P"]),
    )
    .unwrap();
    let f = factory(&store, "order");
    let parts = read_dataset(&f, &ReadOptions::default()).unwrap();
    assert_eq!(names(&parts[0]), ["P", "z", "a"]);
    assert_eq!(
        names(&read_table(&f, &ReadOptions::default()).unwrap()),
        ["P", "a", "z"]
    );
    assert_eq!(
        names(&read_table(&f, &ReadOptions::default().columns(["z", "P"])).unwrap()),
        ["z", "P"]
    );
}

#[test]
fn empty_result_carries_the_schema() {
    let store = core_store();
    let options = ReadOptions::default().predicates(predicates("TARGET == 99"));
    let table = read_table(&factory(&store, "dataset_uuid_partition_keys"), &options).unwrap();
    assert_eq!(table.num_rows(), 0);
    assert_eq!(names(&table), ["P", "DATE", "L", "TARGET"]);
    assert_eq!(table.schema().field(1).data_type(), &DataType::Date32);
    let options = ReadOptions::default()
        .predicates(predicates("P == 99"))
        .categoricals(["L"]);
    let table = read_table(&factory(&store, "dataset_uuid_partition_keys"), &options).unwrap();
    assert_eq!(
        table.column_by_name("L").unwrap().data_type(),
        &DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Int64))
    );
}

// ---------------------------------------------------------------------------------------------
// dates, table name, partition value types
// ---------------------------------------------------------------------------------------------

#[test]
fn date_and_datetime_predicates_on_partition_and_data_columns() {
    for partition_on in [vec!["a", "b"], vec!["c"], vec!["a", "b", "c"]] {
        for datetime in [false, true] {
            for op in [Op::Eq, Op::Ge] {
                let store = Store::memory();
                let (c, value): (ArrayRef, Scalar) = if datetime {
                    let micros = i64::from(days(2000, 1, 1)) * 86_400_000_000;
                    (
                        Arc::new(TimestampMicrosecondArray::from(vec![micros, micros])),
                        Scalar::Timestamp {
                            value: micros,
                            unit: TimeUnit::Microsecond,
                            tz: None,
                        },
                    )
                } else {
                    (
                        dates(&[(2000, 1, 1), (2000, 1, 1)]),
                        Scalar::Date(days(2000, 1, 1)),
                    )
                };
                let frame = batch(vec![
                    ("a", ints(&[1, 1])),
                    ("b", ints(&[1, 1])),
                    ("c", c),
                    ("d", ints(&[1, 2])),
                ]);
                store_dataset(
                    &store,
                    "partitioned_uuid",
                    &[frame],
                    &StoreOptions::default().partition_on(partition_on.clone()),
                )
                .unwrap();
                let options = ReadOptions::default()
                    .predicates(Predicates::all(Conjunction::new().with("c", op, value)));
                let result = read_dataset(&factory(&store, "partitioned_uuid"), &options).unwrap();
                assert_eq!(result.len(), 1, "{partition_on:?} {datetime} {op}");
                assert_eq!(result[0].num_rows(), 2);
                assert_eq!(int_column(&result[0], "d"), [Some(1), Some(2)]);
            }
        }
    }
}

#[test]
fn date_strings_match_date_partition_keys() {
    // plateau silently matches nothing here (reference §4.3); we parse the date.
    let store = core_store();
    let options = ReadOptions::default().predicates(predicates("DATE == '2009-12-31'"));
    let mut uuids = vec!["dataset_uuid"];
    let frames = core_frames();
    store_dataset(
        &store,
        "by_date",
        &frames,
        &StoreOptions::default().partition_on(["DATE"]),
    )
    .unwrap();
    uuids.push("by_date");
    for uuid in uuids {
        assert_is_p2_row(&read_table(&factory(&store, uuid), &options).unwrap());
    }
}

#[test]
fn non_default_table_name() {
    let store = Store::memory();
    store_dataset(
        &store,
        "dataset_uuid",
        &[batch(vec![("A", ints(&[1]))])],
        &StoreOptions::default().table_name("foo"),
    )
    .unwrap();
    let result = read_dataset(&factory(&store, "dataset_uuid"), &ReadOptions::default()).unwrap();
    assert_eq!(result.len(), 1);
    assert_eq!(int_column(&result[0], "A"), [Some(1)]);
}

#[test]
fn bool_binary_and_tz_partition_values_keep_their_types() {
    let store = Store::memory();
    let micros = 1_577_836_800_000_000i64;
    let frame = batch(vec![
        (
            "flag",
            Arc::new(BooleanArray::from(vec![true, false])) as ArrayRef,
        ),
        (
            "bin",
            Arc::new(BinaryArray::from(vec![b"ab".as_ref(), b"\xff".as_ref()])) as ArrayRef,
        ),
        (
            "t",
            Arc::new(
                TimestampMicrosecondArray::from(vec![micros, micros + 1])
                    .with_timezone("Europe/Berlin"),
            ) as ArrayRef,
        ),
        ("v", ints(&[1, 2])),
    ]);
    store_dataset(
        &store,
        "typed",
        &[frame],
        &StoreOptions::default().partition_on(["flag", "bin", "t"]),
    )
    .unwrap();
    let f = factory(&store, "typed");
    let table = read_table(&f, &ReadOptions::default()).unwrap();
    assert_eq!(
        rows(&table),
        [
            r#"[{"bool":false},{"bytes":"ff"},{"ts":"2020-01-01T00:00:00.000001Z"},{"int":2}]"#,
            r#"[{"bool":true},{"bytes":"6162"},{"ts":"2020-01-01T00:00:00.000000Z"},{"int":1}]"#,
        ]
    );
    assert_eq!(table.schema().field(1).data_type(), &DataType::Binary);
    let options = ReadOptions::default().predicates(predicates("flag == false"));
    assert_eq!(
        int_column(&read_table(&f, &options).unwrap(), "v"),
        [Some(2)]
    );
}

// ---------------------------------------------------------------------------------------------
// validation before I/O, fixed plateau bugs, no-schema datasets
// ---------------------------------------------------------------------------------------------

/// Removes every data file, so a read that touched one would fail with `NotFound`.
fn drop_data_files(store: &Store, uuid: &str) {
    for key in store.list_keys(&format!("{uuid}/table/")).unwrap() {
        if key.ends_with(".parquet") {
            store.delete(&key).unwrap();
        }
    }
}

#[test]
fn options_are_validated_before_any_data_is_read() {
    let store = core_store();
    let uuid = "dataset_uuid_partition_keys_index";
    drop_data_files(&store, uuid);
    let f = factory(&store, uuid);
    let err = read_table(&f, &ReadOptions::default().columns(["zz", "P", "aa"])).unwrap_err();
    assert!(
        matches!(&err, Error::ColumnNotFound { columns } if columns == &["aa", "zz"]),
        "{err}"
    );
    let err = read_table(
        &f,
        &ReadOptions::default().predicates(predicates("nope == 1")),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::ColumnNotFound { columns } if columns == &["nope"]),
        "{err}"
    );
    let err = read_table(
        &f,
        &ReadOptions::default().predicates(predicates("P == 'x'")),
    )
    .unwrap_err();
    assert!(matches!(err, Error::PredicateType { .. }), "{err}");
    let err = read_table(
        &f,
        &ReadOptions::default().predicates(predicates("TARGET == 1.5")),
    )
    .unwrap_err();
    assert!(matches!(err, Error::PredicateType { .. }), "{err}");
    let err = read_table(
        &f,
        &ReadOptions::default().predicates(Predicates::new(vec![])),
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidPredicate(_)), "{err}");
    let err = read_dataset(&f, &ReadOptions::default().dispatch_by(["TARGET"])).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(m) if m.contains("Dispatch columns must be indexed")),
        "{err}"
    );
    // A valid read now fails on the missing file: the checks above never got there.
    assert!(matches!(
        read_table(&f, &ReadOptions::default()).unwrap_err(),
        Error::NotFound { .. }
    ));
    // Pruned to nothing: no file is touched, so it still succeeds.
    let empty = read_table(&f, &ReadOptions::default().predicates(predicates("P == 3"))).unwrap();
    assert_eq!(empty.num_rows(), 0);
}

#[test]
fn partitions_whose_keys_fail_every_conjunction_are_skipped() {
    // plateau raises "Empty predicates" when every conjunction's key part fails at load
    // (reference §4.3); we skip the partition.
    let store = core_store();
    let f = factory(&store, "dataset_uuid_partition_keys");
    let options = ReadOptions::default().predicates(predicates("P == 1 and TARGET >= 0 or P == 3"));
    let (metadata, groups) = plan(&f, &options).unwrap();
    assert_eq!(groups.len(), 1);
    // A group naming every partition, as a custom planner could hand in.
    let all = DispatchGroup {
        labels: metadata.partitions.keys().cloned().collect(),
        conjunction: vec![],
    };
    let read = read_group(f.store(), &metadata, &all, &options).unwrap();
    assert_eq!(int_column(&read, "P"), [Some(1)]);
    let none = ReadOptions::default().predicates(predicates("P == 3"));
    let read = read_group(f.store(), &metadata, &all, &none).unwrap();
    assert_eq!(read.num_rows(), 0);
    assert_eq!(names(&read), ["P", "DATE", "L", "TARGET"]);
    // The group's dispatch literals join every conjunction.
    let group = DispatchGroup {
        labels: metadata.partitions.keys().cloned().collect(),
        conjunction: vec![Literal::new("P", Op::Eq, 2i64)],
    };
    let read = read_group(f.store(), &metadata, &group, &ReadOptions::default()).unwrap();
    assert_is_p2_row(&read);
}

#[test]
fn dataset_without_common_metadata_reads_as_an_empty_batch() {
    // Python: store_dataframes_as_dataset([None]) writes no _common_metadata and read_table
    // raises AttributeError; we return a batch without columns.
    let store = Store::memory();
    let metadata = DatasetMetadataBuilder::new("nothing")
        .partition_keys(vec![])
        .build()
        .unwrap();
    store
        .put(
            "nothing.by-dataset-metadata.json",
            codec::to_json(&metadata).unwrap().into(),
        )
        .unwrap();
    let f = factory(&store, "nothing");
    let table = read_table(&f, &ReadOptions::default()).unwrap();
    assert_eq!((table.num_columns(), table.num_rows()), (0, 0));
    assert!(read_dataset(&f, &ReadOptions::default())
        .unwrap()
        .is_empty());
    let err = read_table(&f, &ReadOptions::default().columns(["x"])).unwrap_err();
    assert!(matches!(err, Error::ColumnNotFound { .. }), "{err}");
}

#[test]
fn missing_dataset_is_reported() {
    let err = read_table(
        &factory(&Store::memory(), "absent"),
        &ReadOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::DatasetNotFound { .. }), "{err}");
}

#[test]
fn row_group_pruning_and_categoricals_on_data_columns() {
    let store = Store::memory();
    let n = 10_000i64;
    let ids: Vec<i64> = (0..n).collect();
    let groups: Vec<String> = (0..n).map(|i| format!("g{}", i % 7)).collect();
    let frame = batch(vec![
        ("id", ints(&ids)),
        ("grp", Arc::new(StringArray::from(groups)) as ArrayRef),
    ]);
    let serializer = ParquetSerializer::default()
        .with_chunk_size(Some(500))
        .unwrap();
    store_dataset(
        &store,
        "rg",
        &[frame],
        &StoreOptions::default().serializer(serializer),
    )
    .unwrap();
    let f = factory(&store, "rg");
    let options = ReadOptions::default()
        .predicates(predicates("id >= 4990 and id < 5010"))
        .categoricals(["grp"]);
    let table = read_table(&f, &options).unwrap();
    assert_eq!(table.num_rows(), 20);
    assert_eq!(
        table.column_by_name("grp").unwrap().data_type(),
        &DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::LargeUtf8))
    );
    let ids = table.column_by_name("id").unwrap();
    let ids = ids
        .as_any()
        .downcast_ref::<arrow::array::PrimitiveArray<Int64Type>>()
        .unwrap();
    assert_eq!(ids.value(0), 4990);
    assert_eq!(ids.value(19), 5009);
}
