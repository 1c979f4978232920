#![allow(clippy::unwrap_used, clippy::cloned_ref_to_slice_refs)]
//! `update_dataset` (plateau's `update_dataset_from_dataframes`): the shared update suite of
//! Python plateau (reference §6, update.py), delete scopes, index maintenance, metadata
//! format and creation time, compare-and-swap.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, AsArray, Date32Array, Float64Array, Int16Array, Int32Array, Int64Array, RecordBatch,
    StringArray, UInt64Array,
};
use arrow::datatypes::{DataType, Int64Type};
use plateau_core::naming::MetadataFormat;
use plateau_core::{Error, Scalar, Store};
use plateau_io::read::{read_dataset, read_table, ReadOptions};
use plateau_io::update::{update_dataset, UpdateOptions};
use plateau_io::write::{store_dataset, StoreOptions};
use plateau_metadata::load::{load, LoadOptions};
use plateau_metadata::{DatasetFactory, DatasetMetadata};
use serde_json::json;

fn ints(values: &[i64]) -> ArrayRef {
    Arc::new(Int64Array::from(values.to_vec()))
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).unwrap()
}

fn p(values: &[i64]) -> RecordBatch {
    batch(vec![("p", ints(values))])
}

fn keys(store: &Store) -> Vec<String> {
    store
        .list_keys("")
        .unwrap()
        .into_iter()
        .filter(|k| !k.starts_with(".plateau-locks"))
        .collect()
}

fn meta(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    value.as_object().unwrap().clone()
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

fn index_values(m: &DatasetMetadata, column: &str) -> Vec<Scalar> {
    m.loaded_index(column)
        .unwrap()
        .entries()
        .unwrap()
        .into_iter()
        .map(|(v, _)| v)
        .collect()
}

fn index_labels(m: &DatasetMetadata, column: &str, value: Scalar) -> BTreeSet<String> {
    m.loaded_index(column)
        .unwrap()
        .query(&value)
        .unwrap()
        .into_iter()
        .map(str::to_owned)
        .collect()
}

fn int_values(batch: &RecordBatch, name: &str) -> Vec<i64> {
    let column =
        arrow::compute::cast(batch.column_by_name(name).unwrap(), &DataType::Int64).unwrap();
    column.as_primitive::<Int64Type>().values().to_vec()
}

#[test]
fn update_dataset_with_partitions() {
    let store = Store::memory();
    let factory = DatasetFactory::new(store.clone(), "dataset_uuid");
    let options = UpdateOptions::default()
        .metadata(meta(json!({"dataset": "metadata"})))
        .secondary_indices(["p"]);
    let dataset = update_dataset(&factory, &[p(&[1]), p(&[2])], &options).unwrap();
    let dataset = load_all(&store, &dataset.uuid);
    assert_eq!(
        index_values(&dataset, "p"),
        [Scalar::Int(1), Scalar::Int(2)]
    );

    let options = UpdateOptions::default()
        .add_delete_scope([("p", 1i64)])
        .metadata(meta(json!({"extra": "metadata"})))
        .secondary_indices(["p"]);
    let updated = update_dataset(&factory, &[p(&[3])], &options).unwrap();
    let updated_loaded = load_all(&store, "dataset_uuid");
    assert_eq!(
        index_values(&updated_loaded, "p"),
        [Scalar::Int(2), Scalar::Int(3)]
    );
    assert_eq!(
        index_labels(&updated_loaded, "p", Scalar::Int(2)),
        index_labels(&dataset, "p", Scalar::Int(2))
    );
    assert_ne!(
        index_labels(&updated_loaded, "p", Scalar::Int(3)),
        index_labels(&dataset, "p", Scalar::Int(1))
    );
    let creation_time = dataset.creation_time().unwrap().to_owned();
    assert_eq!(
        serde_json::Value::Object(updated.metadata.clone()),
        json!({"creation_time": creation_time, "dataset": "metadata", "extra": "metadata"})
    );
    assert_eq!(updated.uuid, "dataset_uuid");
    // metadata, 2 index files, 3 data files, _common_metadata.
    assert_eq!(keys(&store).len(), 7, "{:?}", keys(&store));
    let stored = load(&store, "dataset_uuid", &LoadOptions::default()).unwrap();
    assert_eq!(stored, updated);
    // The factory was refreshed with the committed metadata.
    assert_eq!(*factory.metadata().unwrap(), updated);
}

#[test]
fn reducer_partitions() {
    let store = Store::memory();
    let df1 = batch(vec![
        ("P", ints(&[1, 2, 3, 1, 2, 3])),
        ("L", ints(&[1, 1, 1, 1, 1, 1])),
        ("TARGET", ints(&[10, 11, 12, 13, 14, 15])),
    ]);
    let df2 = batch(vec![
        ("P", ints(&[1, 2, 3, 1, 2, 3])),
        ("L", ints(&[2, 2, 2, 2, 2, 2])),
        ("TARGET", ints(&[12, 13, 14, 15, 16, 17])),
    ]);
    let dataset = store_dataset(
        &store,
        "dataset_uuid",
        &[df1, df2.clone()],
        &StoreOptions::default()
            .partition_on(["P"])
            .secondary_indices(["L"]),
    )
    .unwrap();
    let loaded = load_all(&store, "dataset_uuid");
    let base_of = |labels: BTreeSet<String>| -> BTreeSet<String> {
        labels
            .iter()
            .map(|l| l.rsplit('/').next().unwrap().to_owned())
            .collect()
    };
    let cluster_1 = base_of(index_labels(&loaded, "L", Scalar::Int(1)));
    let cluster_2 = base_of(index_labels(&loaded, "L", Scalar::Int(2)));
    assert_eq!((cluster_1.len(), cluster_2.len()), (1, 1));
    let cluster_1 = cluster_1.into_iter().next().unwrap();
    let cluster_2 = cluster_2.into_iter().next().unwrap();

    let factory = DatasetFactory::new(store.clone(), "dataset_uuid");
    let options = UpdateOptions::default()
        .add_delete_scope([("L", 2i64)])
        .metadata(meta(json!({"extra": "metadata"})))
        .partition_on(["P"])
        .secondary_indices(["L"]);
    let updated = update_dataset(&factory, &[df2], &options).unwrap();
    let updated_loaded = load_all(&store, "dataset_uuid");
    let cluster_3 = base_of(index_labels(&updated_loaded, "L", Scalar::Int(2)));
    assert_eq!(cluster_3.len(), 1);
    let cluster_3 = cluster_3.into_iter().next().unwrap();
    let mut expected: Vec<String> = [1, 2, 3]
        .iter()
        .flat_map(|p| [format!("P={p}/{cluster_1}"), format!("P={p}/{cluster_3}")])
        .collect();
    expected.sort();
    let mut actual: Vec<String> = updated.partitions.keys().cloned().collect();
    actual.sort();
    assert_eq!(actual, expected);
    assert_eq!(
        dataset.secondary_index_columns(),
        updated.secondary_index_columns()
    );

    // The partition index is consistent: cluster 2 replaced by cluster 3.
    for value in 1..=3 {
        let before: BTreeSet<String> = index_labels(&loaded, "P", Scalar::Int(value))
            .into_iter()
            .map(|l| l.replace(&cluster_2, &cluster_3))
            .collect();
        assert_eq!(
            index_labels(&updated_loaded, "P", Scalar::Int(value)),
            before
        );
    }
}

#[test]
fn reducer_nonexistent_creates_the_dataset() {
    let store = Store::memory();
    let factory = DatasetFactory::new(store.clone(), "dataset_uuid");
    let options = UpdateOptions::default()
        .add_delete_scope([("p", 1i64)])
        .metadata(meta(json!({"extra": "metadata"})))
        .secondary_indices(["p"]);
    let updated = update_dataset(&factory, &[p(&[3])], &options).unwrap();
    let loaded = load_all(&store, "dataset_uuid");
    let label = updated.partitions.keys().next().unwrap().clone();
    assert_eq!(updated.partitions.len(), 1);
    assert_eq!(
        updated.metadata.keys().collect::<Vec<_>>(),
        ["creation_time", "extra"]
    );
    assert_eq!(keys(&store).len(), 4);
    let entries = loaded.loaded_index("p").unwrap().entries().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].0, Scalar::Int(3));
    assert_eq!(entries[0].1, [label.as_str()]);
    assert_eq!(
        load(&store, "dataset_uuid", &LoadOptions::default()).unwrap(),
        updated
    );
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
fn schema_check_update() {
    for (i, (dfs, ok)) in schema_matrix().into_iter().enumerate() {
        let store = Store::memory();
        store_dataset(
            &store,
            "dataset_uuid",
            &dfs[..1],
            &StoreOptions::default().partition_on(["P"]),
        )
        .unwrap();
        let before = keys(&store);
        let factory = DatasetFactory::new(store.clone(), "dataset_uuid");
        let result = update_dataset(
            &factory,
            &dfs[1..],
            &UpdateOptions::default().partition_on(["P"]),
        );
        if ok {
            result.unwrap();
        } else {
            let err = result.unwrap_err();
            assert!(
                matches!(&err, Error::SchemaIncompatible { uuid, .. } if uuid == "dataset_uuid"),
                "case {i}: {err:?}"
            );
            assert_eq!(keys(&store), before, "case {i}: nothing written");
        }
    }
}

#[test]
fn sort_partitions_by() {
    let store = Store::memory();
    let df1 = batch(vec![
        ("P", ints(&[3])),
        ("L", ints(&[1])),
        ("TARGET", ints(&[1])),
    ]);
    let df2 = batch(vec![
        ("P", ints(&[1, 2, 3, 1, 2, 3])),
        ("L", ints(&[1; 6])),
        ("TARGET", ints(&[15, 14, 13, 12, 11, 10])),
    ]);
    let df3 = batch(vec![
        ("P", ints(&[1, 2, 3, 1, 2, 3])),
        ("L", ints(&[1; 6])),
        ("TARGET", ints(&[88, 1, 5, 99, 12, 11])),
    ]);
    store_dataset(&store, "dataset_uuid", &[df1], &StoreOptions::default()).unwrap();
    let factory = DatasetFactory::new(store.clone(), "dataset_uuid");
    let options = UpdateOptions::default()
        .metadata(meta(json!({"extra": "metadata"})))
        .sort_partitions_by(["TARGET"]);
    update_dataset(&factory, &[df2, df3], &options).unwrap();
    let parts = read_dataset(&factory, &ReadOptions::default()).unwrap();
    assert_eq!(parts.len(), 3);
    for part in parts {
        let target = int_values(&part, "TARGET");
        let mut sorted = target.clone();
        sorted.sort();
        assert_eq!(target, sorted);
    }
    // Sorting happens before partition_on: every partition is sorted too.
    let store = Store::memory();
    let df = batch(vec![
        ("P", ints(&[1, 2, 1, 2, 1])),
        ("T", ints(&[5, 4, 3, 2, 1])),
    ]);
    let factory = DatasetFactory::new(store.clone(), "s");
    update_dataset(
        &factory,
        &[df],
        &UpdateOptions::default()
            .partition_on(["P"])
            .sort_partitions_by(["T"]),
    )
    .unwrap();
    let parts = read_dataset(&factory, &ReadOptions::default()).unwrap();
    // First appearance after sorting: T=1 has P=1.
    assert_eq!(int_values(&parts[0], "T"), [1, 3, 5]);
    assert_eq!(int_values(&parts[1], "T"), [2, 4]);
}

#[test]
fn invalid_input_leaves_the_dataset_unchanged() {
    let store = Store::memory();
    let dataset = store_dataset(
        &store,
        "dataset_uuid",
        &[p(&[1, 2]), p(&[2, 3])],
        &StoreOptions::default(),
    )
    .unwrap();
    let factory = DatasetFactory::new(store.clone(), "dataset_uuid");
    let before = keys(&store);
    let err = update_dataset(
        &factory,
        &[batch(vec![("q", ints(&[1]))])],
        &UpdateOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::SchemaIncompatible { .. }));
    assert_eq!(keys(&store), before);
    let loaded = load(&store, "dataset_uuid", &LoadOptions::default()).unwrap();
    assert_eq!(loaded.partitions.len(), dataset.partitions.len());
}

#[test]
fn update_secondary_indices_subset() {
    let store = Store::memory();
    let factory = DatasetFactory::new(store.clone(), "dataset_uuid");
    let df = |v: i64| {
        batch(vec![
            (
                "A",
                Arc::new(Int64Array::from_iter_values(0..10)) as ArrayRef,
            ),
            ("indexed", ints(&[v; 10])),
        ])
    };
    update_dataset(
        &factory,
        &[df(1)],
        &UpdateOptions::default().secondary_indices(["indexed"]),
    )
    .unwrap();
    // The index is omitted: it is maintained regardless.
    update_dataset(&factory, &[df(2)], &UpdateOptions::default()).unwrap();
    let loaded = load_all(&store, "dataset_uuid");
    assert_eq!(
        index_values(&loaded, "indexed"),
        [Scalar::Int(1), Scalar::Int(2)]
    );

    let before = keys(&store);
    let err = update_dataset(
        &factory,
        &[df(3)],
        &UpdateOptions::default().secondary_indices(["A"]),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(m) if m == "Incorrect indices provided for dataset.\nExpected: ['indexed']\nBut got: ['A']"),
        "{err:?}"
    );
    assert_eq!(keys(&store), before);
}

#[test]
fn first_update_with_secondary_indices() {
    let store = Store::memory();
    let factory = DatasetFactory::new(store.clone(), "dataset_uuid");
    let df = batch(vec![("A", ints(&[0, 1])), ("indexed", ints(&[1, 1]))]);
    update_dataset(
        &factory,
        &[df.clone(), df],
        &UpdateOptions::default().secondary_indices(["indexed"]),
    )
    .unwrap();
    let loaded = load_all(&store, "dataset_uuid");
    assert_eq!(index_labels(&loaded, "indexed", Scalar::Int(1)).len(), 2);
}

#[test]
fn partition_on_null() {
    let store = Store::memory();
    let factory = DatasetFactory::new(store.clone(), "dataset_uuid");
    let df = batch(vec![
        (
            "part",
            Arc::new(Float64Array::from(vec![Some(1.0), None])) as ArrayRef,
        ),
        ("col", ints(&[1, 2])),
    ]);
    let err = update_dataset(
        &factory,
        &[df],
        &UpdateOptions::default().partition_on(["part"]),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains(
            "Original dataframe size (2 rows) does not match new dataframe size (1 rows)"
        ) && err.to_string().contains("on a column with null values."),
        "{err}"
    );
    assert!(keys(&store).is_empty());
}

#[test]
fn update_infers_partition_on() {
    let store = Store::memory();
    let df = batch(vec![("P", ints(&[1, 2])), ("x", ints(&[1, 2]))]);
    let dataset = store_dataset(
        &store,
        "u",
        &[df.clone()],
        &StoreOptions::default().partition_on(["P"]),
    )
    .unwrap();
    let factory = DatasetFactory::new(store.clone(), "u");
    let updated = update_dataset(&factory, &[df], &UpdateOptions::default()).unwrap();
    assert_eq!(updated.partitions.len(), 2 * dataset.partitions.len());
    assert_eq!(updated.partition_keys, ["P"]);
}

#[test]
fn update_raises_incompatible_partition_keys() {
    let store = Store::memory();
    let df = batch(vec![
        ("P", ints(&[1])),
        ("L", ints(&[1])),
        ("x", ints(&[1])),
    ]);
    store_dataset(
        &store,
        "u",
        &[df.clone()],
        &StoreOptions::default().partition_on(["P"]),
    )
    .unwrap();
    let before = keys(&store);
    let factory = DatasetFactory::new(store.clone(), "u");
    let err = update_dataset(
        &factory,
        &[df],
        &UpdateOptions::default().partition_on(["L"]),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(m) if m == "Incompatible set of partition keys encountered. Input partitioning was `['L']` while actual dataset was `['P']`"),
        "{err:?}"
    );
    assert_eq!(keys(&store), before);
}

#[test]
fn update_of_dataset_with_non_default_table_name() {
    let store = Store::memory();
    let df = batch(vec![
        ("date", Arc::new(Date32Array::from(vec![17897])) as ArrayRef),
        ("x", ints(&[1])),
    ]);
    store_dataset(
        &store,
        "u",
        &[df.clone()],
        &StoreOptions::default()
            .table_name("non-default-name")
            .partition_on(["date"]),
    )
    .unwrap();
    let factory = DatasetFactory::new(store.clone(), "u");
    let updated = update_dataset(
        &factory,
        &[df.clone()],
        &UpdateOptions::default().table_name("non-default-name"),
    )
    .unwrap();
    assert_eq!(updated.table_name, "non-default-name");
    // The default table name means "the dataset's".
    let updated = update_dataset(&factory, &[df.clone()], &UpdateOptions::default()).unwrap();
    assert_eq!(updated.table_name, "non-default-name");
    for partition in updated.partitions.values() {
        assert!(
            partition
                .file
                .starts_with("u/non-default-name/date=2019-01-01/"),
            "{}",
            partition.file
        );
    }
    let table = read_table(&factory, &ReadOptions::default()).unwrap();
    assert_eq!(table.num_rows(), 3);
    assert_eq!(
        table.column_by_name("date").unwrap().data_type(),
        &DataType::Date32
    );
    // Another explicit name is an error, before anything is written.
    let before = keys(&store);
    let err = update_dataset(
        &factory,
        &[df],
        &UpdateOptions::default().table_name("other"),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("has already table non-default-name"),
        "{err}"
    );
    assert_eq!(keys(&store), before);
}

#[test]
fn delete_scope_on_unindexed_column_is_an_error() {
    let store = Store::memory();
    store_dataset(&store, "u", &[p(&[1]), p(&[2])], &StoreOptions::default()).unwrap();
    let before = keys(&store);
    let factory = DatasetFactory::new(store.clone(), "u");
    let err = update_dataset(
        &factory,
        &[p(&[3])],
        &UpdateOptions::default().add_delete_scope([("p", 999i64)]),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(m) if m.starts_with("Delete scope column `p` is not indexed in dataset `u`")),
        "{err:?}"
    );
    assert_eq!(keys(&store), before);
    assert_eq!(
        load(&store, "u", &LoadOptions::default())
            .unwrap()
            .partitions
            .len(),
        2
    );
}

#[test]
fn delete_scope_is_lenient_overlapping_and_conjunctive() {
    let store = Store::memory();
    let df = |p: i64, q: &str, d: i32| {
        batch(vec![
            ("P", ints(&[p])),
            ("Q", Arc::new(StringArray::from(vec![q])) as ArrayRef),
            ("d", Arc::new(Date32Array::from(vec![d])) as ArrayRef),
            ("x", ints(&[p])),
        ])
    };
    let batches = [
        df(1, "a", 0),
        df(1, "b", 1),
        df(2, "a", 2),
        df(2, "b", 3),
        df(3, "c", 18262),
    ];
    store_dataset(
        &store,
        "u",
        &batches,
        &StoreOptions::default()
            .partition_on(["P"])
            .secondary_indices(["Q", "d"]),
    )
    .unwrap();
    let factory = DatasetFactory::new(store.clone(), "u");
    let options = UpdateOptions::default()
        // "1" finds the integer partition key 1; AND with Q == "a".
        .add_delete_scope([("P", Scalar::from("1")), ("Q", Scalar::from("a"))])
        // A date string finds the date (2020-01-01 = day 18262).
        .add_delete_scope([("d", "2020-01-01")])
        // Overlapping scopes are harmless.
        .add_delete_scope([("d", "2020-01-01")])
        .add_delete_scope([("P", 3i64)])
        // Matches nothing.
        .add_delete_scope([("Q", "zzz")]);
    let updated = update_dataset(&factory, &[], &options).unwrap();
    let remaining: Vec<i64> = {
        let table = read_table(&factory, &ReadOptions::default()).unwrap();
        let mut v = int_values(&table, "x");
        v.sort();
        v
    };
    assert_eq!(updated.partitions.len(), 3);
    assert_eq!(remaining, [1, 2, 2]);
    // Removed partitions vanish from every index.
    let loaded = load_all(&store, "u");
    assert_eq!(
        index_values(&loaded, "Q"),
        [Scalar::from("a"), Scalar::from("b")]
    );
    assert_eq!(loaded.loaded_index("d").unwrap().len(), 3);
    for column in ["P", "Q", "d"] {
        for label in loaded.loaded_index(column).unwrap().partitions() {
            assert!(loaded.partitions.contains_key(label), "{column}: {label}");
        }
    }
    // A value that cannot be read as the column type is an error.
    let err = update_dataset(
        &factory,
        &[],
        &UpdateOptions::default().add_delete_scope([("P", "abc")]),
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::InvalidInput(_) | Error::PredicateType { .. }),
        "{err:?}"
    );
}

#[test]
fn delete_only_and_empty_scope() {
    let store = Store::memory();
    store_dataset(
        &store,
        "u",
        &[p(&[1]), p(&[2])],
        &StoreOptions::default().secondary_indices(["p"]),
    )
    .unwrap();
    let factory = DatasetFactory::new(store.clone(), "u");
    let updated = update_dataset(
        &factory,
        &[],
        &UpdateOptions::default().add_delete_scope([("p", 1i64)]),
    )
    .unwrap();
    assert_eq!(updated.partitions.len(), 1);
    let loaded = load_all(&store, "u");
    assert_eq!(index_values(&loaded, "p"), [Scalar::Int(2)]);
    // An empty scope matches every partition (plateau's `query()` without arguments).
    let updated = update_dataset(
        &factory,
        &[],
        &UpdateOptions::default().delete_scope(vec![vec![]]),
    )
    .unwrap();
    assert!(updated.partitions.is_empty());
    assert!(updated.explicit_partitions);
    let loaded = load_all(&store, "u");
    assert!(loaded.loaded_index("p").unwrap().is_empty());
    // A delete-only update of a missing dataset has nothing to store.
    let factory = DatasetFactory::new(store.clone(), "missing");
    let err = update_dataset(&factory, &[], &UpdateOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains("Cannot store empty datasets"),
        "{err}"
    );
}

#[test]
fn unchanged_indices_keep_their_files() {
    let store = Store::memory();
    let df = |p: i64, q: i64| {
        batch(vec![
            ("P", ints(&[p])),
            ("q", ints(&[q])),
            (
                "r",
                Arc::new(Float64Array::from(vec![None::<f64>])) as ArrayRef,
            ),
        ])
    };
    let dataset = store_dataset(
        &store,
        "u",
        &[df(1, 1), df(2, 2)],
        &StoreOptions::default().secondary_indices(["q", "r"]),
    )
    .unwrap();
    let factory = DatasetFactory::new(store.clone(), "u");
    // New partitions with all-null `r`: the `r` index does not change.
    let updated = update_dataset(&factory, &[df(3, 3)], &UpdateOptions::default()).unwrap();
    assert_eq!(
        updated.indices["r"].storage_key(),
        dataset.indices["r"].storage_key()
    );
    assert_ne!(
        updated.indices["q"].storage_key(),
        dataset.indices["q"].storage_key()
    );
    // Metadata-only update: nothing but the metadata file changes.
    let before = keys(&store);
    let again = update_dataset(
        &factory,
        &[],
        &UpdateOptions::default().metadata(meta(json!({"a": 1}))),
    )
    .unwrap();
    assert_eq!(keys(&store), before);
    assert_eq!(again.indices, updated.indices);
    assert_eq!(again.metadata["a"], json!(1));
}

#[test]
fn msgpack_dataset_stays_msgpack() {
    let store = Store::memory();
    store_dataset(
        &store,
        "u",
        &[p(&[1])],
        &StoreOptions::default()
            .metadata_format(MetadataFormat::Msgpack)
            .secondary_indices(["p"]),
    )
    .unwrap();
    let factory = DatasetFactory::new(store.clone(), "u");
    let updated = update_dataset(
        &factory,
        &[p(&[2])],
        &UpdateOptions::default().add_delete_scope([("p", 1i64)]),
    )
    .unwrap();
    assert_eq!(updated.format, MetadataFormat::Msgpack);
    assert!(!store.exists("u.by-dataset-metadata.json").unwrap());
    let loaded = load_all(&store, "u");
    assert_eq!(loaded.format, MetadataFormat::Msgpack);
    assert_eq!(index_values(&loaded, "p"), [Scalar::Int(2)]);
    // An update creating a dataset uses the default format.
    let factory = DatasetFactory::new(store.clone(), "new");
    update_dataset(
        &factory,
        &[p(&[1])],
        &UpdateOptions::default().default_metadata_format(MetadataFormat::Msgpack),
    )
    .unwrap();
    assert!(store
        .exists("new.by-dataset-metadata.msgpack.zstd")
        .unwrap());
}

#[test]
fn creation_time_survives_and_metadata_merges() {
    let store = Store::memory();
    let dataset = store_dataset(
        &store,
        "u",
        &[p(&[1])],
        &StoreOptions::default().metadata(meta(json!({"a": 1, "b": 2}))),
    )
    .unwrap();
    let created = dataset.creation_time().unwrap().to_owned();
    let factory = DatasetFactory::new(store.clone(), "u");
    std::thread::sleep(std::time::Duration::from_millis(2));
    let updated = update_dataset(
        &factory,
        &[p(&[2])],
        &UpdateOptions::default().metadata(meta(json!({"b": 3, "c": 4}))),
    )
    .unwrap();
    assert_eq!(
        serde_json::Value::Object(updated.metadata.clone()),
        json!({"creation_time": created, "a": 1, "b": 3, "c": 4})
    );
    // A merger receives [existing]; dropping keys is possible, creation_time survives.
    let merger_options = UpdateOptions::default()
        .metadata_merger(|existing| {
            assert_eq!(existing.len(), 1);
            let mut kept = serde_json::Map::new();
            kept.insert("a".into(), existing[0]["a"].clone());
            kept
        })
        .metadata(meta(json!({"d": 5})));
    let merged = update_dataset(&factory, &[], &merger_options).unwrap();
    assert_eq!(
        serde_json::Value::Object(merged.metadata.clone()),
        json!({"creation_time": created, "a": 1, "d": 5})
    );
    // The new metadata may set creation_time explicitly.
    let reset = update_dataset(
        &factory,
        &[],
        &UpdateOptions::default().metadata(meta(json!({"creation_time": "x"}))),
    )
    .unwrap();
    assert_eq!(reset.creation_time(), Some("x"));
}

fn conflict_case(store: Store) {
    store_dataset(
        &store,
        "u",
        &[p(&[1])],
        &StoreOptions::default().secondary_indices(["p"]),
    )
    .unwrap();
    let a = DatasetFactory::new(store.clone(), "u");
    let b = DatasetFactory::new(store.clone(), "u");
    // Both read the same version.
    a.metadata().unwrap();
    b.metadata().unwrap();
    let first = update_dataset(&a, &[p(&[2])], &UpdateOptions::default()).unwrap();
    // Without retries the lost race is reported (with them it would be retried: see the
    // retry tests in tests/commit.rs).
    let err = update_dataset(
        &b,
        &[p(&[3])],
        &UpdateOptions::default()
            .add_delete_scope([("p", 1i64)])
            .retry(plateau_io::retry::RetryPolicy::none()),
    )
    .unwrap_err();
    assert!(matches!(err, Error::CommitConflict { .. }), "{err:?}");
    // The store holds exactly the first commit.
    let stored = load(&store, "u", &LoadOptions::default()).unwrap();
    assert_eq!(stored, first);
    let values: Vec<i64> = {
        let mut v = int_values(
            &read_table(
                &DatasetFactory::new(store.clone(), "u"),
                &ReadOptions::default(),
            )
            .unwrap(),
            "p",
        );
        v.sort();
        v
    };
    assert_eq!(values, [1, 2]);
    // The lost race dropped b's stale cache: a plain retry applies on top of the first.
    let retried = update_dataset(
        &b,
        &[p(&[3])],
        &UpdateOptions::default().add_delete_scope([("p", 1i64)]),
    )
    .unwrap();
    assert_eq!(retried.partitions.len(), 2);
    let loaded = load_all(&store, "u");
    assert_eq!(index_values(&loaded, "p"), [Scalar::Int(2), Scalar::Int(3)]);
    // Creating a dataset that another writer created meanwhile conflicts too.
    let c = DatasetFactory::new(store.clone(), "racy");
    assert!(!c.exists().unwrap());
    store_dataset(&store, "racy", &[p(&[1])], &StoreOptions::default()).unwrap();
    let err = plateau_io::commit::commit(
        &store,
        plateau_io::commit::CommitRequest {
            target: plateau_io::commit::CommitTarget::New {
                dataset: plateau_io::commit::NewDataset {
                    uuid: "racy".into(),
                    table_name: "table".into(),
                    partition_keys: vec![],
                    metadata_version: 4,
                    format: MetadataFormat::Json,
                    explicit_partitions: true,
                },
                mode: plateau_io::commit::CommitMode::Create,
            },
            partitions: &[],
            removed: vec![],
            schema: None,
            stored_schema: None,
            metadata: &serde_json::Map::new(),
            metadata_merger: None,
            force_explicit: false,
            delete_scope: &[],
            retry: Default::default(),
        },
    )
    .unwrap_err();
    assert!(matches!(err, Error::CommitConflict { .. }), "{err:?}");
}

#[test]
fn concurrent_updates_conflict_in_memory() {
    conflict_case(Store::memory());
}

#[test]
fn concurrent_updates_conflict_on_local_disk() {
    let dir = tempfile::tempdir().unwrap();
    conflict_case(Store::local(dir.path()).unwrap());
}

#[test]
fn null_columns_are_upgraded_by_later_updates() {
    let store = Store::memory();
    let first = batch(vec![
        ("x", ints(&[1])),
        ("n", Arc::new(arrow::array::NullArray::new(1)) as ArrayRef),
    ]);
    let dataset = store_dataset(&store, "u", &[first], &StoreOptions::default()).unwrap();
    assert_eq!(
        dataset
            .schema
            .as_ref()
            .unwrap()
            .field("n")
            .unwrap()
            .data_type(),
        &DataType::Null
    );
    let factory = DatasetFactory::new(store.clone(), "u");
    let second = batch(vec![
        ("x", ints(&[2])),
        ("n", Arc::new(StringArray::from(vec!["s"])) as ArrayRef),
    ]);
    let updated = update_dataset(&factory, &[second], &UpdateOptions::default()).unwrap();
    assert_eq!(
        updated
            .schema
            .as_ref()
            .unwrap()
            .field("n")
            .unwrap()
            .data_type(),
        &DataType::LargeUtf8
    );
    let stored = load(&store, "u", &LoadOptions::default()).unwrap();
    assert_eq!(
        stored
            .schema
            .as_ref()
            .unwrap()
            .field("n")
            .unwrap()
            .data_type(),
        &DataType::LargeUtf8
    );
}

#[test]
fn factory_without_schema_can_delete_by_partition_key() {
    let store = Store::memory();
    let df = batch(vec![("P", ints(&[1, 2])), ("x", ints(&[1, 2]))]);
    store_dataset(
        &store,
        "u",
        &[df],
        &StoreOptions::default().partition_on(["P"]),
    )
    .unwrap();
    let factory = DatasetFactory::with_options(
        store.clone(),
        "u",
        LoadOptions::default()
            .load_schema(false)
            .load_all_indices(false),
    );
    let updated = update_dataset(
        &factory,
        &[],
        &UpdateOptions::default().add_delete_scope([("P", 2i64)]),
    )
    .unwrap();
    assert_eq!(updated.partitions.len(), 1);
    assert!(updated
        .partitions
        .keys()
        .next()
        .unwrap()
        .starts_with("P=1/"));
}
