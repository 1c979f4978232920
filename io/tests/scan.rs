//! The scan plan and its async execution: one schema for every batch, the same rows as
//! `read_table`, and the runtime contract (async from either runtime flavour, blocking
//! readers from inside a runtime without panicking).
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, Int8Array, RecordBatch, StringArray};
use arrow::compute::concat_batches;
use arrow::datatypes::DataType;
use futures::TryStreamExt;
use plateau_core::{Predicates, Store};
use plateau_io::read::{read_table, ReadOptions};
use plateau_io::scan::{plan_scan, scan, ScanOptions, ScanReader};
use plateau_io::write::{store_dataset, StoreOptions};
use plateau_metadata::DatasetFactory;

/// Two input batches whose `x` is int8 in one and int64 in the other, partitioned on `P`
/// (4 partitions) with an index on `L`.
fn dataset() -> Store {
    let store = Store::memory();
    let first = RecordBatch::try_from_iter([
        (
            "P",
            Arc::new(Int64Array::from(vec![1, 1, 2, 2])) as ArrayRef,
        ),
        (
            "L",
            Arc::new(StringArray::from(vec!["a", "b", "c", "d"])) as _,
        ),
        ("x", Arc::new(Int64Array::from(vec![10, 20, 30, 40])) as _),
    ])
    .unwrap();
    let second = RecordBatch::try_from_iter([
        ("P", Arc::new(Int64Array::from(vec![3, 4])) as ArrayRef),
        ("L", Arc::new(StringArray::from(vec!["e", "f"])) as _),
        ("x", Arc::new(Int8Array::from(vec![50, 60])) as _),
    ])
    .unwrap();
    let options = StoreOptions::default()
        .partition_on(["P"])
        .secondary_indices(["L"]);
    store_dataset(&store, "scan", &[first], &options).unwrap();
    plateau_io::update::update_dataset(
        &DatasetFactory::new(store.clone(), "scan"),
        &[second],
        &plateau_io::update::UpdateOptions::default(),
    )
    .unwrap();
    store
}

fn collect(batches: &[RecordBatch]) -> RecordBatch {
    concat_batches(&batches[0].schema(), batches).unwrap()
}

#[test]
fn plan_has_one_task_per_surviving_partition_and_residual_filters() {
    let store = dataset();
    let factory = DatasetFactory::new(store, "scan");
    let options = ReadOptions::default()
        .predicates(Predicates::parse("P == 1 and x > 10 or P == 3").unwrap());
    let plan = plan_scan(&factory, &options).unwrap();
    assert_eq!(plan.tasks.len(), 2);
    let filters: Vec<Option<String>> = plan
        .tasks
        .iter()
        .map(|t| t.filter.as_ref().map(|f| f.to_string()))
        .collect();
    // P == 1 keeps the content literal; P == 3 reads every row.
    assert!(
        filters[0].as_deref().is_some_and(|f| f.contains('x')),
        "{filters:?}"
    );
    assert_eq!(filters[1], None);
    assert_eq!(
        plan.output_schema.field_with_name("x").unwrap().data_type(),
        &DataType::Int64
    );
}

#[test]
fn async_scan_matches_read_table_on_both_runtime_flavours() {
    let store = dataset();
    let options = ReadOptions::default().predicates(Predicates::parse("x >= 20").unwrap());
    let expected = read_table(&DatasetFactory::new(store.clone(), "scan"), &options).unwrap();
    assert_eq!(expected.num_rows(), 5);
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for runtime in [&current, &multi] {
        let factory = DatasetFactory::new(store.clone(), "scan");
        let batches: Vec<RecordBatch> = runtime.block_on(async {
            let stream = scan(
                &factory,
                &options,
                &ScanOptions::default().files_in_flight(2),
            )
            .await
            .unwrap();
            let schema = stream.schema();
            let batches: Vec<RecordBatch> = stream.try_collect().await.unwrap();
            // Every batch has the output schema, whatever the file's types (int8 here).
            assert!(batches.iter().all(|b| b.schema() == schema));
            batches
        });
        assert_eq!(collect(&batches), expected);
    }
}

#[test]
fn blocking_reader_works_inside_a_runtime() {
    let store = dataset();
    let factory = DatasetFactory::new(store.clone(), "scan");
    let plan = Arc::new(plan_scan(&factory, &ReadOptions::default()).unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let rows = runtime.block_on(async {
        let reader = ScanReader::new(&store, plan, &ScanOptions::default()).unwrap();
        let schema = arrow::array::RecordBatchReader::schema(&reader);
        let batches: Vec<RecordBatch> = reader.collect::<Result<_, _>>().unwrap();
        assert!(batches.iter().all(|b| b.schema() == schema));
        batches.iter().map(RecordBatch::num_rows).sum::<usize>()
    });
    assert_eq!(rows, 6);
    // The eager API from inside a runtime, too.
    let table = runtime.block_on(async { read_table(&factory, &ReadOptions::default()) });
    assert_eq!(table.unwrap().num_rows(), 6);
}

#[test]
fn scan_errors_are_items_and_planning_errors_come_first() {
    let store = dataset();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let factory = DatasetFactory::new(store.clone(), "scan");
    let bad = ReadOptions::default().columns(["nope"]);
    let err = runtime
        .block_on(scan(&factory, &bad, &ScanOptions::default()))
        .unwrap_err();
    assert!(
        matches!(err, plateau_core::Error::ColumnNotFound { .. }),
        "{err}"
    );
    // A data file removed after planning: the stream yields the error.
    let plan = plan_scan(&factory, &ReadOptions::default()).unwrap();
    store.delete(&plan.tasks[0].file).unwrap();
    let result: Result<Vec<RecordBatch>, _> = runtime.block_on(async {
        let stream = scan(
            &DatasetFactory::new(store.clone(), "scan"),
            &ReadOptions::default(),
            &ScanOptions::default(),
        )
        .await
        .unwrap();
        stream.try_collect().await
    });
    let err = result.unwrap_err();
    assert!(matches!(err, plateau_core::Error::NotFound { .. }), "{err}");
}

#[test]
fn plans_are_data_that_other_processes_can_execute() {
    let store = dataset();
    let factory = DatasetFactory::new(store.clone(), "scan");
    let options = ReadOptions::default()
        .columns(["x", "P"])
        .predicates(Predicates::parse("L in ('b', 'c', 'e') and x >= 20").unwrap());
    let plan = plan_scan(&factory, &options).unwrap();
    let text = serde_json::to_string(&plan).unwrap();
    let received: plateau_io::scan::ScanPlan = serde_json::from_str(&text).unwrap();
    assert_eq!(received.output_schema, plan.output_schema);
    assert_eq!(received.tasks.len(), plan.tasks.len());
    let run = |plan: plateau_io::scan::ScanPlan| {
        let plan = Arc::new(plan);
        let indices = (0..plan.tasks.len()).collect();
        plateau_io::scan::read_tasks_blocking(&store, &plan, indices, &ScanOptions::default())
            .unwrap()
    };
    let here = run(plan);
    let there = run(received);
    assert_eq!(here, there);
    assert_eq!(
        here.iter().map(RecordBatch::num_rows).sum::<usize>(),
        3,
        "rows b, c and e"
    );
}

/// A read that prunes through a secondary index decodes only the part of the index file its
/// literals select: the plan is the one the full index gives, and the factory's cached
/// metadata never holds the partial index (a later `dispatch_by` sees the whole index).
#[test]
fn pruning_through_a_partial_index_plans_as_the_full_index() {
    let store = dataset();
    for predicate in [
        "L == 'c'",
        "L in ('a', 'f', 'zz')",
        "L >= 'd'",
        "L == 'b' or P == 4",
        "L == 'b' and x > 5",
        "L != 'b'",
        "L == 'q'",
    ] {
        let options = ReadOptions::default().predicates(Predicates::parse(predicate).unwrap());
        let lazy = DatasetFactory::new(store.clone(), "scan");
        let partial = plan_scan(&lazy, &options).unwrap();
        assert!(
            lazy.metadata().unwrap().loaded_index("L").is_none(),
            "{predicate}: the partial index was cached"
        );
        let loaded = DatasetFactory::new(store.clone(), "scan");
        loaded.load_all_indices().unwrap();
        let full = plan_scan(&loaded, &options).unwrap();
        let files = |plan: &plateau_io::scan::ScanPlan| -> Vec<String> {
            plan.tasks.iter().map(|t| t.file.clone()).collect()
        };
        assert_eq!(files(&partial), files(&full), "{predicate}");
        assert_eq!(
            read_table(&lazy, &options).unwrap(),
            read_table(&loaded, &options).unwrap(),
            "{predicate}"
        );

        let dispatched =
            plateau_io::read::plan(&lazy, &options.clone().dispatch_by(vec!["L".to_owned()]))
                .unwrap()
                .1;
        let expected =
            plateau_io::read::plan(&loaded, &options.clone().dispatch_by(vec!["L".to_owned()]))
                .unwrap()
                .1;
        assert_eq!(dispatched, expected, "{predicate}");
    }
    // `L == 'c'` prunes to the one partition holding `c`.
    let options = ReadOptions::default().predicates(Predicates::parse("L == 'c'").unwrap());
    let plan = plan_scan(&DatasetFactory::new(store, "scan"), &options).unwrap();
    assert_eq!(plan.tasks.len(), 1);
    assert!(
        plan.tasks[0].file.contains("P=2"),
        "{:?}",
        plan.tasks[0].file
    );
}
