//! The eager read API (`read_table`, `read_dataset_as_dataframes`) over the other eager calls:
//! what a Python user of `plateau.io.eager` does, end to end.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int64Array, Int8Array, RecordBatch, StringArray};
use arrow::datatypes::DataType;
use plateau_core::{Error, Predicates, Store};
use plateau_io_eager::*;
use plateau_metadata::DatasetFactory;

fn frame(p: &[i64], x: &[i8], s: &[&str]) -> RecordBatch {
    RecordBatch::try_from_iter([
        ("s", Arc::new(StringArray::from(s.to_vec())) as ArrayRef),
        ("p", Arc::new(Int64Array::from(p.to_vec())) as ArrayRef),
        ("x", Arc::new(Int8Array::from(x.to_vec())) as ArrayRef),
    ])
    .unwrap()
}

fn ints(batch: &RecordBatch, name: &str) -> Vec<i64> {
    let column =
        arrow::compute::cast(batch.column_by_name(name).unwrap(), &DataType::Int64).unwrap();
    column
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap()
        .values()
        .to_vec()
}

fn store_two_frames() -> DatasetFactory {
    let store = Store::memory();
    let frames = [
        frame(&[1, 2, 1], &[1, 2, 3], &["a", "b", "c"]),
        frame(&[2], &[4], &["d"]),
    ];
    store_dataframes_as_dataset(
        &store,
        "eager",
        &frames,
        &StoreOptions::default()
            .partition_on(["p"])
            .secondary_indices(["s"]),
    )
    .unwrap();
    DatasetFactory::new(store, "eager")
}

#[test]
fn read_table_widens_and_orders_like_plateau() {
    let factory = store_two_frames();
    let table = read_table(&factory, &ReadOptions::default()).unwrap();
    let names: Vec<&str> = table
        .schema_ref()
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(names, ["p", "s", "x"]);
    assert_eq!(table.column(2).data_type(), &DataType::Int64);
    assert_eq!(table.column(1).data_type(), &DataType::LargeUtf8);
    let mut x = ints(&table, "x");
    x.sort_unstable();
    assert_eq!(x, [1, 2, 3, 4]);
}

#[test]
fn read_dataset_as_dataframes_keeps_file_order_and_types() {
    let factory = store_two_frames();
    let parts = read_dataset_as_dataframes(&factory, &ReadOptions::default()).unwrap();
    // Frame 1 splits into p=1 and p=2, frame 2 is p=2.
    assert_eq!(parts.len(), 3);
    for part in &parts {
        let names: Vec<&str> = part
            .schema_ref()
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        assert_eq!(names, ["p", "s", "x"]);
        assert_eq!(part.column(2).data_type(), &DataType::Int8);
    }
    let by_p =
        read_dataset_as_dataframes(&factory, &ReadOptions::default().dispatch_by(["p"])).unwrap();
    assert_eq!(
        by_p.iter().map(RecordBatch::num_rows).collect::<Vec<_>>(),
        [2, 2]
    );
    assert_eq!(ints(&by_p[1], "p"), [2, 2]);
}

#[test]
fn predicates_through_the_eager_api() {
    let factory = store_two_frames();
    let options = ReadOptions::default()
        .predicates(Predicates::parse("s == 'd' or p == 1 and x > 1").unwrap())
        .columns(["x"]);
    let table = read_table(&factory, &options).unwrap();
    let mut x = ints(&table, "x");
    x.sort_unstable();
    assert_eq!(x, [3, 4]);
    let err = read_table(&factory, &ReadOptions::default().columns(["nope"])).unwrap_err();
    assert!(matches!(err, Error::ColumnNotFound { .. }), "{err}");
}

#[test]
fn reads_see_updates_through_a_fresh_factory() {
    let factory = store_two_frames();
    update_dataset_from_dataframes(
        &factory,
        &[frame(&[3], &[5], &["e"])],
        &UpdateOptions::default(),
    )
    .unwrap();
    let fresh = DatasetFactory::new(factory.store().clone(), "eager");
    let table = read_table(
        &fresh,
        &ReadOptions::default().predicates(Predicates::parse("p == 3").unwrap()),
    )
    .unwrap();
    assert_eq!(ints(&table, "x"), [5]);
}
