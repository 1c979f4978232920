//! How many store requests reads make (`plateau_testing::CountingStore`): a read lists
//! nothing; planning fetches the metadata, `_common_metadata` and only the index files the
//! predicate needs; a data file costs at most a footer request and one ranged request.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use plateau_core::{Literal, Op, Predicates, Scalar, Store, Value};
use plateau_io_eager::{read_table, store_dataframes_as_dataset, ReadOptions, StoreOptions};
use plateau_metadata::DatasetFactory;
use plateau_testing::{CountingStore, RequestCounts};

const PARTITIONS: i64 = 8;

fn setup() -> (CountingStore, Store) {
    let counting = CountingStore::new(Store::memory().object_store());
    let store = counting.store("");
    let rows = 8_000i64;
    let batch = RecordBatch::try_from_iter([
        (
            "part",
            Arc::new(Int64Array::from_iter_values(
                (0..rows).map(|i| i % PARTITIONS),
            )) as ArrayRef,
        ),
        ("key", Arc::new(Int64Array::from_iter_values(0..rows))),
        (
            "text",
            Arc::new(StringArray::from_iter_values(
                (0..rows).map(|i| format!("t{i}")),
            )),
        ),
    ])
    .unwrap();
    store_dataframes_as_dataset(
        &store,
        "d",
        &[batch],
        &StoreOptions::default()
            .partition_on(["part"])
            .secondary_indices(["key"]),
    )
    .unwrap();
    counting.take();
    (counting, store)
}

fn read(counting: &CountingStore, store: &Store, options: ReadOptions) -> (usize, RequestCounts) {
    let rows = read_table(&DatasetFactory::new(store.clone(), "d"), &options)
        .unwrap()
        .num_rows();
    (rows, counting.take())
}

fn eq(column: &str, value: i64) -> Predicates {
    Predicates::all(
        vec![Literal::new(
            column,
            Op::Eq,
            Value::Scalar(Scalar::Int(value)),
        )]
        .into(),
    )
}

fn fetches(counts: &RequestCounts) -> u64 {
    counts.get("GET").requests + counts.get("HEAD").requests + counts.get("GET_RANGES").requests
}

#[test]
fn reads_list_nothing_and_fetch_what_they_need() {
    let (counting, store) = setup();

    // Full read: metadata, _common_metadata, one GET per data file.
    let (rows, counts) = read(&counting, &store, ReadOptions::default());
    assert_eq!(rows, 8_000);
    assert_eq!(counts.total(), fetches(&counts), "{counts}");
    assert_eq!(
        counts.get("GET").requests,
        2 + PARTITIONS as u64,
        "{counts}"
    );

    // Partition pruning: one data file, no index file.
    let (rows, counts) = read(
        &counting,
        &store,
        ReadOptions::default().predicates(eq("part", 3)),
    );
    assert_eq!(rows, 1_000);
    assert_eq!(counts.total(), 3, "{counts}");

    // Index pruning: the index file of `key` and one data file.
    let (rows, counts) = read(
        &counting,
        &store,
        ReadOptions::default().predicates(eq("key", 17)),
    );
    assert_eq!(rows, 1);
    assert_eq!(counts.total(), 4, "{counts}");

    // Projection: per data file at most a footer request and one ranged request.
    let (rows, counts) = read(&counting, &store, ReadOptions::default().columns(["text"]));
    assert_eq!(rows, 8_000);
    assert_eq!(
        counts.get("LIST").requests + counts.get("LIST_DELIMITED").requests,
        0
    );
    assert!(fetches(&counts) <= 2 + 2 * PARTITIONS as u64, "{counts}");
}
