#![allow(clippy::unwrap_used, clippy::cloned_ref_to_slice_refs)]
//! `store_dataset` (plateau's `store_dataframes_as_dataset`): the shared write suite of
//! Python plateau (reference §6, write.py) plus validation-before-write.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BooleanArray, Date32Array, DictionaryArray,
    Float32Array, Int16Array, Int32Array, Int64Array, Int8Array, ListArray, NullArray, RecordBatch,
    StringArray, TimestampMicrosecondArray, UInt64Array,
};
use arrow::datatypes::{DataType, Int32Type, Int64Type};
use plateau_core::naming::MetadataFormat;
use plateau_core::{Error, Scalar, Store};
use plateau_index::IndexKind;
use plateau_io::read::{read_table, ReadOptions};
use plateau_io::write::{store_dataset, StoreOptions};
use plateau_metadata::load::{load, LoadOptions};
use plateau_metadata::{DatasetFactory, DatasetMetadata};
use plateau_serialization::{
    restore, CsvSerializer, ParquetSerializer, ReadOptions as FileReadOptions,
};
use serde_json::json;

fn ints(values: &[i64]) -> ArrayRef {
    Arc::new(Int64Array::from(values.to_vec()))
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).unwrap()
}

fn keys(store: &Store) -> Vec<String> {
    store
        .list_keys("")
        .unwrap()
        .into_iter()
        .filter(|k| !k.starts_with(".plateau-locks"))
        .collect()
}

fn int_values(batch: &RecordBatch, name: &str) -> Vec<i64> {
    let column = batch.column_by_name(name).unwrap();
    let column = arrow::compute::cast(column, &DataType::Int64).unwrap();
    column.as_primitive::<Int64Type>().values().to_vec()
}

fn load_all(store: &Store, uuid: &str) -> DatasetMetadata {
    load(
        store,
        uuid,
        &LoadOptions::default()
            .load_schema(true)
            .load_all_indices(true),
    )
    .unwrap()
}

/// The comparable part of metadata (what the metadata file says plus the schema).
fn file_view(m: &DatasetMetadata) -> serde_json::Value {
    let mut dict = plateau_metadata::codec::to_dict(m).unwrap();
    dict["__schema"] = json!(m.schema.as_ref().map(|s| s.to_string()));
    dict["__format"] = json!(format!("{:?}", m.format));
    dict
}

fn p_l_target() -> RecordBatch {
    batch(vec![
        (
            "P",
            Arc::new(Int64Array::from_iter_values(0..10)) as ArrayRef,
        ),
        (
            "L",
            Arc::new(Int64Array::from_iter_values(0..10)) as ArrayRef,
        ),
        (
            "TARGET",
            Arc::new(Int64Array::from_iter_values(10..20)) as ArrayRef,
        ),
    ])
}

#[test]
fn file_structure_dataset_v4() {
    let store = Store::memory();
    let df = p_l_target();
    let dataset = store_dataset(
        &store,
        "dataset_uuid",
        &[df.clone(), df],
        &StoreOptions::default(),
    )
    .unwrap();
    assert_eq!(dataset.partitions.len(), 2);
    let keys = keys(&store);
    assert_eq!(keys.len(), 4, "{keys:?}");
    assert!(keys.contains(&"dataset_uuid/table/_common_metadata".to_owned()));
    assert!(keys.contains(&"dataset_uuid.by-dataset-metadata.json".to_owned()));
    for (label, partition) in &dataset.partitions {
        assert_eq!(label.len(), 32);
        assert_eq!(
            partition.file,
            format!("dataset_uuid/table/{label}.parquet")
        );
        assert!(keys.contains(&partition.file));
    }
    // The metadata file says `"partition_keys": []` and lists both partitions.
    let json = String::from_utf8(
        store
            .get("dataset_uuid.by-dataset-metadata.json")
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    assert!(json.starts_with("{\"dataset_metadata_version\": 4, \"dataset_uuid\": \"dataset_uuid\", \"metadata\": {\"creation_time\": \""), "{json}");
    assert!(json.ends_with("\"partition_keys\": []}"), "{json}");
}

#[test]
fn file_structure_dataset_v4_partition_on() {
    let store = Store::memory();
    let df = batch(vec![
        ("P", ints(&[1, 1, 1, 2, 2, 2])),
        ("L", ints(&[1, 2, 3, 1, 2, 3])),
        ("TARGET", ints(&[10, 11, 12, 13, 14, 15])),
    ]);
    let options = StoreOptions::default().partition_on(["P", "L"]);
    let dataset = store_dataset(&store, "dataset_uuid", &[df.clone(), df], &options).unwrap();
    assert_eq!(dataset.partition_keys, ["P", "L"]);
    assert_eq!(dataset.partitions.len(), 12);
    assert_eq!(keys(&store).len(), 14);
    // Both input frames share their base label across their six partitions.
    let bases: std::collections::BTreeSet<&str> = dataset
        .partitions
        .keys()
        .map(|l| l.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(bases.len(), 2);
    let first: Vec<&String> = dataset.partitions.keys().take(6).collect();
    let base = first[0].rsplit('/').next().unwrap();
    assert_eq!(
        first,
        ["P=1/L=1", "P=1/L=2", "P=1/L=3", "P=2/L=1", "P=2/L=2", "P=2/L=3"]
            .map(|p| format!("{p}/{base}"))
            .iter()
            .collect::<Vec<_>>()
    );
}

#[test]
fn store_dataframes_as_dataset_with_index_round_trips() {
    let store = Store::memory();
    let df = p_l_target();
    let options = StoreOptions::default()
        .secondary_indices(["P"])
        .metadata(json!({"dataset": "metadata"}).as_object().unwrap().clone());
    let dataset =
        store_dataset(&store, "dataset_uuid", &[df.clone(), df.clone()], &options).unwrap();
    assert_eq!(dataset.secondary_index_columns(), ["P"]);

    let stored = load(&store, "dataset_uuid", &LoadOptions::default()).unwrap();
    assert_eq!(stored, dataset, "stored metadata equals the returned one");

    let loaded = load_all(&store, "dataset_uuid");
    let index = loaded.indices["P"].index.as_ref().unwrap();
    assert_eq!(index.kind(), IndexKind::Secondary);
    assert_eq!(index.data_type(), &DataType::Int64);
    assert_eq!(index.len(), 10);
    for (value, labels) in index.entries().unwrap() {
        assert!(matches!(value, Scalar::Int(0..=9)));
        assert_eq!(labels.len(), 2, "both partitions hold every value");
    }
    // Each data file round-trips exactly (its own column order and types).
    for partition in dataset.partitions.values() {
        let read = restore(&store, &partition.file, &FileReadOptions::default()).unwrap();
        assert_eq!(read, df);
    }
    assert_eq!(dataset.metadata["dataset"], json!("metadata"));
    assert_eq!(dataset.metadata.keys().next().unwrap(), "creation_time");
}

#[test]
fn data_files_keep_batch_order_and_types_and_read_table_normalises() {
    let store = Store::memory();
    let df = batch(vec![
        ("z", Arc::new(Int8Array::from(vec![1, 2, 3])) as ArrayRef),
        ("P", ints(&[1, 1, 2])),
        (
            "a",
            Arc::new(StringArray::from(vec!["x", "y", "z"])) as ArrayRef,
        ),
    ]);
    let options = StoreOptions::default().partition_on(["P"]);
    let dataset = store_dataset(&store, "u", &[df], &options).unwrap();
    let first = dataset.partitions.values().next().unwrap();
    let file = restore(&store, &first.file, &FileReadOptions::default()).unwrap();
    let file_schema = file.schema();
    let names: Vec<&str> = file_schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(names, ["z", "a"]);
    assert_eq!(file.column(0).data_type(), &DataType::Int8);
    // _common_metadata is normalised: partition keys first, then sorted, int64.
    let schema = dataset.schema.as_ref().unwrap();
    assert_eq!(schema.names(), ["P", "a", "z"]);
    assert_eq!(schema.field("z").unwrap().data_type(), &DataType::Int64);

    let factory = DatasetFactory::new(store, "u");
    let table = read_table(&factory, &ReadOptions::default()).unwrap();
    assert_eq!(table.num_rows(), 3);
    assert_eq!(int_values(&table, "P"), [1, 1, 2]);
    assert_eq!(int_values(&table, "z"), [1, 2, 3]);
}

fn all_types(n: usize) -> RecordBatch {
    let rows: Vec<i64> = (0..n as i64).collect();
    let dict: DictionaryArray<Int32Type> = rows
        .iter()
        .map(|i| if i % 2 == 0 { "c0" } else { "c1" })
        .collect();
    batch(vec![
        (
            "bool",
            Arc::new(BooleanArray::from(
                rows.iter().map(|i| i % 2 == 0).collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
        (
            "int8",
            Arc::new(Int8Array::from(
                rows.iter().map(|i| *i as i8).collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
        (
            "int16",
            Arc::new(Int16Array::from(
                rows.iter().map(|i| *i as i16).collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
        (
            "int32",
            Arc::new(Int32Array::from(
                rows.iter().map(|i| *i as i32).collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
        ("int64", ints(&rows)),
        (
            "uint64",
            Arc::new(UInt64Array::from(
                rows.iter()
                    .map(|i| u64::MAX - *i as u64)
                    .collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
        (
            "float32",
            Arc::new(Float32Array::from(
                rows.iter().map(|i| *i as f32 / 2.0).collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
        (
            "str",
            Arc::new(StringArray::from(
                rows.iter().map(|i| format!("s{i}")).collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
        (
            "bytes",
            Arc::new(BinaryArray::from_iter_values(
                rows.iter().map(|i| vec![*i as u8, 0]),
            )) as ArrayRef,
        ),
        (
            "date",
            Arc::new(Date32Array::from(
                rows.iter().map(|i| *i as i32).collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
        (
            "ts",
            Arc::new(TimestampMicrosecondArray::from(rows.clone())) as ArrayRef,
        ),
        (
            "ts_tz",
            Arc::new(TimestampMicrosecondArray::from(rows.clone()).with_timezone("Europe/Berlin"))
                as ArrayRef,
        ),
        ("cat", Arc::new(dict) as ArrayRef),
        (
            "list",
            Arc::new(ListArray::from_iter_primitive::<Int64Type, _, _>(
                rows.iter().map(|i| Some(vec![Some(*i)])),
            )) as ArrayRef,
        ),
    ])
}

#[test]
fn empty_batch_is_a_real_partition_and_round_trips() {
    let store = Store::memory();
    let empty = all_types(3).slice(0, 0);
    let dataset = store_dataset(
        &store,
        "dataset_uuid",
        &[empty.clone()],
        &StoreOptions::default(),
    )
    .unwrap();
    assert_eq!(dataset.partitions.len(), 1);
    let stored = load(&store, "dataset_uuid", &LoadOptions::default()).unwrap();
    assert_eq!(stored.metadata, dataset.metadata);
    assert_eq!(stored.partitions, dataset.partitions);
    let file = &dataset.partitions.values().next().unwrap().file;
    let read = restore(&store, file, &FileReadOptions::default()).unwrap();
    assert_eq!(read.num_rows(), 0);
    assert_eq!(read.schema().fields().len(), empty.num_columns());
    let table = read_table(
        &DatasetFactory::new(store, "dataset_uuid"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(table.num_rows(), 0);
    assert_eq!(table.num_columns(), 14);
}

#[test]
fn all_types_round_trip_through_read_table() {
    let store = Store::memory();
    let df = all_types(4);
    let options = StoreOptions::default().secondary_indices([
        "int8", "str", "date", "ts", "cat", "uint64", "bool", "bytes",
    ]);
    store_dataset(&store, "u", &[df.clone(), df.clone()], &options).unwrap();
    let table = read_table(
        &DatasetFactory::new(store.clone(), "u"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(table.num_rows(), 8);
    assert_eq!(int_values(&table, "int8"), [0, 1, 2, 3, 0, 1, 2, 3]);
    let loaded = load_all(&store, "u");
    assert_eq!(loaded.indices.len(), 8);
    let index = loaded.indices["uint64"].index.as_ref().unwrap();
    assert_eq!(index.query(&Scalar::UInt(u64::MAX)).unwrap().len(), 2);
    let cat = loaded.indices["cat"].index.as_ref().unwrap();
    assert_eq!(cat.data_type(), &DataType::LargeUtf8);
    assert_eq!(cat.len(), 2);
}

#[test]
fn several_batches_and_indices() {
    let store = Store::memory();
    let dataset = store_dataset(
        &store,
        "u",
        &[
            batch(vec![("P", ints(&[1, 2, 3]))]),
            batch(vec![("P", ints(&[4, 5, 6]))]),
        ],
        &StoreOptions::default().secondary_indices(["P"]),
    )
    .unwrap();
    assert_eq!(dataset.partitions.len(), 2);
    let index = load_all(&store, "u").indices["P"].index.clone().unwrap();
    assert_eq!(index.len(), 6);
    let labels: Vec<&String> = dataset.partitions.keys().collect();
    assert_eq!(index.query(&Scalar::Int(2)).unwrap(), [labels[0].as_str()]);
    assert_eq!(index.query(&Scalar::Int(5)).unwrap(), [labels[1].as_str()]);
}

#[test]
fn empty_first_frame_with_partition_on() {
    let store = Store::memory();
    let df = batch(vec![
        (
            "location",
            Arc::new(StringArray::from(vec!["0", "1", "2"])) as ArrayRef,
        ),
        (
            "other",
            Arc::new(StringArray::from(vec!["a", "a", "a"])) as ArrayRef,
        ),
    ]);
    let options = StoreOptions::default()
        .partition_on(["other"])
        .secondary_indices(["location"]);
    let dataset = store_dataset(&store, "dataset_uuid", &[df.slice(0, 0), df], &options).unwrap();
    assert_eq!(dataset.partitions.len(), 1);
    assert_eq!(dataset.indices.len(), 1);
    assert_eq!(dataset.partition_keys, ["other"]);
}

#[test]
fn only_empty_frames_with_partition_on_give_an_explicit_dataset_without_partitions() {
    let store = Store::memory();
    let df = batch(vec![("x", ints(&[])), ("y", ints(&[]))]);
    let dataset = store_dataset(
        &store,
        "u",
        &[df],
        &StoreOptions::default().partition_on(["x"]),
    )
    .unwrap();
    assert!(dataset.partitions.is_empty());
    assert!(dataset.explicit_partitions);
    assert_eq!(dataset.schema.as_ref().unwrap().names(), ["x", "y"]);
    let json =
        String::from_utf8(store.get("u.by-dataset-metadata.json").unwrap().to_vec()).unwrap();
    assert!(json.contains("\"partitions\": {}"), "{json}");
    let table = read_table(&DatasetFactory::new(store, "u"), &ReadOptions::default()).unwrap();
    assert_eq!(table.num_rows(), 0);
    assert_eq!(table.num_columns(), 2);
}

fn schema_matrix() -> Vec<(Vec<RecordBatch>, bool)> {
    let one = |p: ArrayRef, x: ArrayRef| batch(vec![("P", p), ("X", x)]);
    vec![
        (
            vec![one(ints(&[1]), ints(&[1])), one(ints(&[2]), ints(&[2]))],
            true,
        ),
        (
            vec![
                one(ints(&[1]), Arc::new(Int32Array::from(vec![1]))),
                one(ints(&[2]), Arc::new(Int16Array::from(vec![2]))),
            ],
            true,
        ),
        (
            vec![
                one(Arc::new(Int16Array::from(vec![1])), ints(&[1])),
                one(Arc::new(Int32Array::from(vec![2])), ints(&[2])),
            ],
            true,
        ),
        (
            vec![
                one(ints(&[1]), ints(&[1])),
                one(ints(&[2]), Arc::new(UInt64Array::from(vec![2]))),
            ],
            false,
        ),
        (
            vec![
                one(ints(&[1]), ints(&[1])),
                batch(vec![
                    ("P", ints(&[2])),
                    ("X", ints(&[2])),
                    ("Y", ints(&[2])),
                ]),
            ],
            false,
        ),
        (
            vec![
                one(ints(&[1, 2]), ints(&[1, 2])),
                one(ints(&[3]), Arc::new(UInt64Array::from(vec![3]))),
            ],
            false,
        ),
    ]
}

#[test]
fn schema_check_write() {
    for (i, (dfs, ok)) in schema_matrix().into_iter().enumerate() {
        let store = Store::memory();
        let result = store_dataset(
            &store,
            "dataset_uuid",
            &dfs,
            &StoreOptions::default().partition_on(["P"]),
        );
        if ok {
            result.unwrap();
        } else {
            let err = result.unwrap_err();
            assert!(
                matches!(&err, Error::SchemaIncompatible { uuid, .. } if uuid == "dataset_uuid"),
                "case {i}: {err:?}"
            );
            assert!(keys(&store).is_empty(), "case {i}: nothing written");
        }
    }
}

#[test]
fn different_column_sets_are_incompatible() {
    let store = Store::memory();
    let err = store_dataset(
        &store,
        "u",
        &[
            batch(vec![("a", ints(&[1]))]),
            batch(vec![("b", ints(&[1]))]),
        ],
        &StoreOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::SchemaIncompatible { .. }));
    assert!(err.to_string().contains("Schema violation"), "{err}");
}

#[test]
fn overwrite() {
    let store = Store::memory();
    let first = store_dataset(&store, "u", &[p_l_target()], &StoreOptions::default()).unwrap();
    let before = keys(&store);
    let err = store_dataset(&store, "u", &[p_l_target()], &StoreOptions::default()).unwrap_err();
    assert!(matches!(&err, Error::DatasetExists { uuid } if uuid == "u"));
    assert_eq!(keys(&store), before);

    let second = store_dataset(
        &store,
        "u",
        &[p_l_target()],
        &StoreOptions::default().overwrite(true),
    )
    .unwrap();
    assert_ne!(
        first.partitions.keys().next(),
        second.partitions.keys().next()
    );
    // Nothing deleted: the old data file is garbage now.
    assert_eq!(keys(&store).len(), before.len() + 1);
    let loaded = load(&store, "u", &LoadOptions::default()).unwrap();
    assert_eq!(loaded.partitions, second.partitions);
    store_dataset(
        &store,
        "new_dataset_uuid",
        &[p_l_target()],
        &StoreOptions::default(),
    )
    .unwrap();
}

#[test]
fn overwrite_in_another_format_is_not_shadowed() {
    let store = Store::memory();
    store_dataset(&store, "u", &[p_l_target()], &StoreOptions::default()).unwrap();
    let second = store_dataset(
        &store,
        "u",
        &[p_l_target()],
        &StoreOptions::default()
            .overwrite(true)
            .metadata_format(MetadataFormat::Msgpack),
    )
    .unwrap();
    assert!(!store.exists("u.by-dataset-metadata.json").unwrap());
    assert!(store.exists("u.by-dataset-metadata.msgpack.zstd").unwrap());
    let loaded = load(&store, "u", &LoadOptions::default()).unwrap();
    assert_eq!(loaded.format, MetadataFormat::Msgpack);
    assert_eq!(loaded.partitions, second.partitions);
}

#[test]
fn msgpack_format() {
    let store = Store::memory();
    let dataset = store_dataset(
        &store,
        "u",
        &[p_l_target()],
        &StoreOptions::default()
            .metadata_format(MetadataFormat::Msgpack)
            .secondary_indices(["L"]),
    )
    .unwrap();
    assert_eq!(dataset.format, MetadataFormat::Msgpack);
    assert!(store.exists("u.by-dataset-metadata.msgpack.zstd").unwrap());
    assert!(!store.exists("u.by-dataset-metadata.json").unwrap());
    let loaded = load(&store, "u", &LoadOptions::default()).unwrap();
    assert_eq!(file_view(&loaded), file_view(&dataset));
}

#[test]
fn secondary_index_on_partition_column() {
    let store = Store::memory();
    let df = batch(vec![("x", ints(&[1])), ("y", ints(&[1]))]);
    let err = store_dataset(
        &store,
        "u",
        &[df],
        &StoreOptions::default()
            .partition_on(["x", "y"])
            .secondary_indices(["y", "x"]),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(m) if m == "Cannot create secondary index on partition columns: {'x', 'y'}"),
        "{err:?}"
    );
    let err = store_dataset(
        &store,
        "u",
        &[batch(vec![("x", ints(&[1])), ("y", ints(&[1]))])],
        &StoreOptions::default()
            .partition_on(["x"])
            .secondary_indices(["x"]),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid input: Cannot create secondary index on partition columns: {'x'}"
    );
    assert!(keys(&store).is_empty());
}

#[test]
fn non_default_table_name_roundtrip() {
    let store = Store::memory();
    let df = batch(vec![("A", ints(&[1]))]);
    store_dataset(
        &store,
        "dataset_uuid",
        &[df.clone()],
        &StoreOptions::default().table_name("foo"),
    )
    .unwrap();
    for key in keys(&store) {
        if key.ends_with(".parquet") && !key.contains("indices") {
            assert!(key.contains("/foo/"), "{key}");
        }
    }
    assert!(store.exists("dataset_uuid/foo/_common_metadata").unwrap());
    let table = read_table(
        &DatasetFactory::new(store, "dataset_uuid"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(int_values(&table, "A"), [1]);
}

/// name, uuid, batches, options, expected error.
type ErrorCase = (
    &'static str,
    &'static str,
    Vec<RecordBatch>,
    StoreOptions,
    fn(&Error) -> bool,
);

#[test]
fn every_error_happens_before_anything_is_written() {
    let store = Store::memory();
    store_dataset(&store, "exists", &[p_l_target()], &StoreOptions::default()).unwrap();
    let before = keys(&store);
    let good = p_l_target();
    let cases: Vec<ErrorCase> = vec![
        (
            "bad uuid",
            "a.b",
            vec![good.clone()],
            StoreOptions::default(),
            |e| matches!(e, Error::InvalidUuid(_)),
        ),
        (
            "version 3",
            "u",
            vec![good.clone()],
            StoreOptions::default().metadata_version(3),
            |e| {
                e.to_string()
                    .contains("Minimal supported metadata version is 4. You requested 3 instead.")
            },
        ),
        (
            "version 5",
            "u",
            vec![good.clone()],
            StoreOptions::default().metadata_version(5),
            |e| {
                e.to_string()
                    .contains("Future metadata version `5` encountered.")
            },
        ),
        (
            "exists",
            "exists",
            vec![good.clone()],
            StoreOptions::default(),
            |e| matches!(e, Error::DatasetExists { .. }),
        ),
        ("empty", "u", vec![], StoreOptions::default(), |e| {
            e.to_string().contains(
                "Cannot store empty datasets, partition_list must not be empty if in store mode.",
            )
        }),
        (
            "missing partition column",
            "u",
            vec![good.clone()],
            StoreOptions::default().partition_on(["foo", "bar"]),
            |e| {
                e.to_string()
                    .contains("Partition column(s) missing: bar, foo")
            },
        ),
        (
            "no data left",
            "u",
            vec![good.clone()],
            StoreOptions::default().partition_on(["P", "L", "TARGET"]),
            |e| {
                e.to_string()
                    .contains("No data left to save outside partition columns")
            },
        ),
        (
            "null partition value in a later batch",
            "u",
            vec![
                good.clone(),
                batch(vec![
                    (
                        "P",
                        Arc::new(Int64Array::from(vec![Some(1), None])) as ArrayRef,
                    ),
                    ("L", ints(&[1, 2])),
                    ("TARGET", ints(&[1, 2])),
                ]),
            ],
            StoreOptions::default().partition_on(["P"]),
            |e| {
                e.to_string().contains(
                    "Original dataframe size (2 rows) does not match new dataframe size (1 rows)",
                )
            },
        ),
        (
            "index column missing",
            "u",
            vec![good.clone()],
            StoreOptions::default().secondary_indices(["z"]),
            |e| matches!(e, Error::InvalidInput(m) if m.starts_with("Column `z` could not be found in the partition `") && m.ends_with("` Please check for any typos and validate your dataset.")),
        ),
        (
            "index on a null column",
            "u",
            vec![batch(vec![
                ("x", ints(&[1])),
                ("n", Arc::new(NullArray::new(1)) as ArrayRef),
            ])],
            StoreOptions::default().secondary_indices(["n"]),
            |e| matches!(e, Error::Unsupported(m) if m.starts_with("Indices w/ null/NA type are not supported")),
        ),
        (
            "index on a nested column",
            "u",
            vec![all_types(2)],
            StoreOptions::default().secondary_indices(["list"]),
            |e| matches!(e, Error::Unsupported(m) if m.starts_with("Indices w/ nested types are not supported")),
        ),
        (
            "index overlaps partition_on",
            "u",
            vec![good.clone()],
            StoreOptions::default()
                .partition_on(["P"])
                .secondary_indices(["P"]),
            |e| {
                e.to_string()
                    .contains("Cannot create secondary index on partition columns: {'P'}")
            },
        ),
        (
            "schema mismatch in the last batch",
            "u",
            vec![
                good.clone(),
                batch(vec![
                    ("P", ints(&[1])),
                    ("L", ints(&[1])),
                    (
                        "TARGET",
                        Arc::new(Float32Array::from(vec![1.0])) as ArrayRef,
                    ),
                ]),
            ],
            StoreOptions::default(),
            |e| matches!(e, Error::SchemaIncompatible { .. }),
        ),
        (
            "bad table name",
            "u",
            vec![good.clone()],
            StoreOptions::default().table_name("a/b"),
            |e| matches!(e, Error::InvalidInput(m) if m.contains("invalid table name")),
        ),
        (
            "unpartitionable type",
            "u",
            vec![all_types(2)],
            StoreOptions::default().partition_on(["list"]),
            |e| matches!(e, Error::Unsupported(_)),
        ),
    ];
    for (name, uuid, batches, options, check) in cases {
        let err = store_dataset(&store, uuid, &batches, &options).unwrap_err();
        assert!(check(&err), "{name}: unexpected error {err:?}");
        assert_eq!(keys(&store), before, "{name}: the store changed");
    }
}

#[test]
fn indices_skip_nulls_and_normalise_types() {
    let store = Store::memory();
    let df = batch(vec![
        (
            "x",
            Arc::new(Int8Array::from(vec![Some(1), None, Some(1), Some(3)])) as ArrayRef,
        ),
        (
            "s",
            Arc::new(StringArray::from(vec![Some("a"), None, Some("b"), None])) as ArrayRef,
        ),
    ]);
    store_dataset(
        &store,
        "u",
        &[df],
        &StoreOptions::default().secondary_indices(["x", "s"]),
    )
    .unwrap();
    let loaded = load_all(&store, "u");
    // Sorted column order of a new dataset's indices.
    assert_eq!(loaded.secondary_index_columns(), ["s", "x"]);
    let x = loaded.indices["x"].index.as_ref().unwrap();
    assert_eq!(x.data_type(), &DataType::Int64);
    assert_eq!(x.len(), 2);
    let s = loaded.indices["s"].index.as_ref().unwrap();
    assert_eq!(s.data_type(), &DataType::LargeUtf8);
    assert_eq!(s.len(), 2);
}

#[test]
fn serializer_options_are_used() {
    let store = Store::memory();
    let df = batch(vec![(
        "x",
        Arc::new(Int64Array::from_iter_values(0..10)) as ArrayRef,
    )]);
    let options = StoreOptions::default().serializer(
        ParquetSerializer::default()
            .with_chunk_size(Some(3))
            .unwrap(),
    );
    let dataset = store_dataset(&store, "u", &[df.clone()], &options).unwrap();
    let file = &dataset.partitions.values().next().unwrap().file;
    let bytes = store.get(file).unwrap();
    let reader = parquet::file::serialized_reader::SerializedFileReader::new(bytes).unwrap();
    use parquet::file::reader::FileReader;
    assert_eq!(reader.metadata().num_row_groups(), 4);

    let dataset = store_dataset(
        &store,
        "csv",
        &[df.clone()],
        &StoreOptions::default().serializer(CsvSerializer::default()),
    )
    .unwrap();
    let file = &dataset.partitions.values().next().unwrap().file;
    assert!(file.ends_with(".csv.gz"), "{file}");
    let table = read_table(&DatasetFactory::new(store, "csv"), &ReadOptions::default()).unwrap();
    assert_eq!(int_values(&table, "x"), (0..10).collect::<Vec<_>>());
}

#[test]
fn index_level_columns_are_not_written() {
    let store = Store::memory();
    let df = batch(vec![
        ("__index_level_0__", ints(&[5, 6])),
        ("P", ints(&[1, 2])),
        ("x", ints(&[1, 2])),
    ]);
    let dataset = store_dataset(
        &store,
        "u",
        &[df],
        &StoreOptions::default().partition_on(["P"]),
    )
    .unwrap();
    assert_eq!(dataset.schema.as_ref().unwrap().names(), ["P", "x"]);
    let file = &dataset.partitions.values().next().unwrap().file;
    let read = restore(&store, file, &FileReadOptions::default()).unwrap();
    assert_eq!(read.schema().fields().len(), 1);
    assert_eq!(read.schema().field(0).name(), "x");
}

#[test]
fn local_store_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::local(dir.path()).unwrap();
    let options = StoreOptions::default()
        .partition_on(["P"])
        .secondary_indices(["L"]);
    let dataset = store_dataset(&store, "u", &[p_l_target()], &options).unwrap();
    assert_eq!(dataset.partitions.len(), 10);
    let loaded = load(&store, "u", &LoadOptions::default()).unwrap();
    assert_eq!(loaded, dataset);
    let table = read_table(&DatasetFactory::new(store, "u"), &ReadOptions::default()).unwrap();
    assert_eq!(table.num_rows(), 10);
}

#[test]
fn frame_without_columns() {
    // plateau's overwrite test stores `[pd.DataFrame()]`.
    let store = Store::memory();
    let empty = RecordBatch::new_empty(Arc::new(arrow::datatypes::Schema::empty()));
    let dataset = store_dataset(&store, "u", &[empty.clone()], &StoreOptions::default()).unwrap();
    assert_eq!(dataset.partitions.len(), 1);
    store_dataset(
        &store,
        "u",
        &[empty],
        &StoreOptions::default().overwrite(true),
    )
    .unwrap();
}

#[test]
fn write_plan_writes_files_in_any_order() {
    use plateau_io::write::{plan_single_partition, WriteOptions};
    let store = Store::memory();
    let first = batch(vec![("P", ints(&[1, 2])), ("x", ints(&[10, 20]))]);
    store_dataset(
        &store,
        "ds",
        &[first],
        &StoreOptions::default()
            .partition_on(["P"])
            .secondary_indices(["x"]),
    )
    .unwrap();
    let factory = DatasetFactory::new(store.clone(), "ds");
    let inputs = [
        batch(vec![("P", ints(&[1, 2, 1])), ("x", ints(&[1, 2, 3]))]),
        batch(vec![("P", ints(&[3])), ("x", ints(&[4]))]),
    ];
    let before = keys(&store);
    let plan = plan_single_partition(&factory, &inputs, &WriteOptions::default()).unwrap();
    // Planning writes nothing.
    assert_eq!(keys(&store), before);
    assert_eq!(plan.len(), 3);
    assert!(!plan.is_empty());
    let serializer = ParquetSerializer::default();
    // Last file first: each file is independent, labels follow input order.
    let mut written: Vec<_> = (0..plan.len())
        .rev()
        .map(|file| plan.write(&store, &serializer, file).unwrap())
        .collect();
    written.reverse();
    let labels: Vec<&str> = written
        .iter()
        .map(|p| p.label.split('/').next().unwrap())
        .collect();
    assert_eq!(labels, ["P=1", "P=2", "P=3"]);
    assert_eq!(
        written.iter().map(|p| p.num_rows).collect::<Vec<_>>(),
        [2, 1, 1]
    );
    // The dataset's index on x is built for every file.
    assert!(written.iter().all(|p| p.indices.contains_key("x")));
    let err = plan.write(&store, &serializer, 3).unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    let empty = plan_single_partition(&factory, &[], &WriteOptions::default()).unwrap();
    assert!(empty.is_empty());
    assert_eq!(empty.len(), 0);
}
