#![allow(clippy::unwrap_used)]
//! Parallel gc / delete over many files, and `collect_dataset_metadata`.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::{AsArray, Int64Array, RecordBatch};
use arrow::datatypes::Int64Type;
use plateau_core::{Error, Predicates, Store};
use plateau_io::maintenance::GcOptions;
use plateau_io::update::UpdateOptions;
use plateau_io::write::StoreOptions;
use plateau_io_parallel::stats::{collect_dataset_metadata, metadata_schema, MetadataOptions};
use plateau_io_parallel::{maintenance, ParallelOptions};
use plateau_metadata::DatasetFactory;

/// 40 frames × 4 partitions (P in 0..4), 10 rows each frame.
fn dataset(store: &Store) -> DatasetFactory {
    let frames: Vec<RecordBatch> = (0..40)
        .map(|f| {
            RecordBatch::try_from_iter([
                (
                    "P",
                    Arc::new(Int64Array::from_iter_values((0..10).map(|i| i % 4))) as _,
                ),
                (
                    "x",
                    Arc::new(Int64Array::from_iter_values((0..10).map(|i| f * 10 + i))) as _,
                ),
            ])
            .unwrap()
        })
        .collect();
    let options = StoreOptions::default().partition_on(["P"]);
    plateau_io::write::store_dataset(store, "ds", &frames, &options).unwrap();
    DatasetFactory::new(store.clone(), "ds")
}

#[test]
fn gc_and_delete_in_chunks() {
    let parallel = ParallelOptions::with_threads(4).unwrap();
    let store = Store::memory();
    let factory = dataset(&store);
    // Removing P=0 and P=1 leaves 80 unreferenced files (more than one delete chunk).
    let options = UpdateOptions::default()
        .add_delete_scope([("P", 0_i64)])
        .add_delete_scope([("P", 1_i64)]);
    plateau_io::update::update_dataset(&factory, &[], &options).unwrap();
    let eager =
        plateau_io::maintenance::garbage_collect(&factory, &GcOptions::immediate().dry_run(true))
            .unwrap();
    assert_eq!(eager.files.len(), 80);
    let dry =
        maintenance::garbage_collect(&factory, &GcOptions::immediate().dry_run(true), &parallel)
            .unwrap();
    assert_eq!(dry, eager);
    let before: BTreeSet<String> = store.list_keys("ds/").unwrap().into_iter().collect();
    let report =
        maintenance::garbage_collect(&factory, &GcOptions::immediate(), &parallel).unwrap();
    assert_eq!(report, eager);
    let after: BTreeSet<String> = store.list_keys("ds/").unwrap().into_iter().collect();
    let removed: BTreeSet<String> = before.difference(&after).cloned().collect();
    assert_eq!(removed, eager.files.iter().cloned().collect());
    assert_eq!(
        plateau_io::read::read_table(&factory, &Default::default())
            .unwrap()
            .num_rows(),
        160
    );

    maintenance::delete_dataset(&factory, &parallel).unwrap();
    assert!(store.list("").unwrap().is_empty());
    let err = maintenance::delete_dataset(&factory, &parallel).unwrap_err();
    assert!(matches!(err, Error::DatasetNotFound { .. }), "{err:?}");
}

#[test]
fn dataset_metadata_rows() {
    let store = Store::memory();
    let factory = dataset(&store);
    let parallel = ParallelOptions::with_threads(2).unwrap();
    let all = collect_dataset_metadata(&factory, &MetadataOptions::default(), &parallel).unwrap();
    assert_eq!(all.schema(), metadata_schema());
    assert_eq!(all.num_rows(), 160);
    let labels = all.column(0).as_string::<i32>();
    let metadata = factory.metadata().unwrap();
    let expected: Vec<&str> = metadata.partitions.keys().map(String::as_str).collect();
    let got: Vec<&str> = labels.iter().map(Option::unwrap).collect();
    assert_eq!(got, expected);
    let int = |i: usize| all.column(i).as_primitive::<Int64Type>().clone();
    assert!(int(1).iter().all(|v| v == Some(0)));
    // One row group per file: its rows are the file's rows (3 for P in {0, 1}, else 2).
    assert_eq!(int(4), int(7));
    assert!(int(5).iter().all(|v| v == Some(1)));
    let total: i64 = int(7).iter().map(Option::unwrap).sum();
    assert_eq!(total, 400);
    assert!(int(2).iter().all(|v| v.unwrap() > 0));
    assert!(int(3).iter().all(|v| v.unwrap() > 0));
    assert!(int(6).iter().all(|v| v.unwrap() > 0));

    // Predicates prune through the partition keys.
    let pruned = collect_dataset_metadata(
        &factory,
        &MetadataOptions::default().predicates(Predicates::parse("P == 1").unwrap()),
        &parallel,
    )
    .unwrap();
    assert_eq!(pruned.num_rows(), 40);
    assert!(pruned
        .column(0)
        .as_string::<i32>()
        .iter()
        .all(|l| l.unwrap().starts_with("P=1/")));

    // Sampling: deterministic per seed and thread count, at least one partition.
    let sample = |seed, threads| {
        collect_dataset_metadata(
            &factory,
            &MetadataOptions::default().frac(0.25).seed(seed),
            &ParallelOptions::with_threads(threads).unwrap(),
        )
        .unwrap()
    };
    let a = sample(7, 1);
    assert_eq!(a.num_rows(), 40);
    assert_eq!(a, sample(7, 8));
    assert_ne!(a, sample(8, 2));
    let tiny =
        collect_dataset_metadata(&factory, &MetadataOptions::default().frac(0.001), &parallel)
            .unwrap();
    assert_eq!(tiny.num_rows(), 1);

    for frac in [0.0, 1.5, f64::NAN] {
        let err =
            collect_dataset_metadata(&factory, &MetadataOptions::default().frac(frac), &parallel)
                .unwrap_err();
        assert!(
            err.to_string()
                .contains("Invalid value for parameter `frac`"),
            "{err}"
        );
    }

    // No partition left: an empty batch with the schema.
    let none = collect_dataset_metadata(
        &factory,
        &MetadataOptions::default().predicates(Predicates::parse("P == 9").unwrap()),
        &parallel,
    )
    .unwrap();
    assert_eq!(none.num_rows(), 0);
    assert_eq!(none.schema(), metadata_schema());
}

#[test]
fn build_indices_equals_eager() {
    let eager_store = Store::memory();
    let eager = dataset(&eager_store);
    let columns = vec!["x".to_owned()];
    let expected = plateau_io::maintenance::build_indices(&eager, &columns).unwrap();
    for threads in [1, 3] {
        let store = Store::memory();
        let factory = dataset(&store);
        let parallel = ParallelOptions::with_threads(threads).unwrap();
        let built = maintenance::build_indices(&factory, &columns, &parallel).unwrap();
        let ours = built.loaded_index("x").unwrap();
        let theirs = expected.loaded_index("x").unwrap();
        // Labels differ (random base labels); the value → partition-count shape must not.
        let shape = |entries: Vec<(plateau_core::Scalar, Vec<&str>)>| {
            entries
                .into_iter()
                .map(|(value, labels)| (format!("{value:?}"), labels.len()))
                .collect::<Vec<_>>()
        };
        let ours = shape(ours.entries().unwrap());
        assert_eq!(ours, shape(theirs.entries().unwrap()));
        assert_eq!(ours.len(), 400);
        // Reading through the new index prunes to the partition holding the value.
        let read = plateau_io::read::read_dataset(
            &factory,
            &plateau_io::read::ReadOptions::default()
                .predicates(Predicates::parse("x == 123").unwrap()),
        )
        .unwrap();
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].num_rows(), 1);
        let err = maintenance::build_indices(&factory, &["P".to_owned()], &parallel).unwrap_err();
        assert!(err
            .to_string()
            .contains("Cannot create secondary index on partition columns"));
        let err =
            maintenance::build_indices(&factory, &["nope".to_owned()], &parallel).unwrap_err();
        assert!(
            err.to_string().contains("Column `nope` could not be found"),
            "{err}"
        );
    }
}

/// The figures Python plateau 4.6.2 (`plateau.io.dask.dataframe.collect_dataset_metadata`,
/// pyarrow 26) gives for the `ref_types_core` fixture, sorted by label.
#[test]
fn dataset_metadata_matches_python_on_fixture() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/datasets");
    let store = Store::local(root).unwrap();
    let factory = DatasetFactory::new(store, "ref_types_core");
    let parallel = ParallelOptions::with_threads(2).unwrap();
    let batch = collect_dataset_metadata(&factory, &MetadataOptions::default(), &parallel).unwrap();
    let mut rows: Vec<(String, Vec<i64>)> = (0..batch.num_rows())
        .map(|r| {
            let label = batch.column(0).as_string::<i32>().value(r).to_owned();
            let ints = (1..8)
                .map(|c| batch.column(c).as_primitive::<Int64Type>().value(r))
                .collect();
            (label, ints)
        })
        .collect();
    rows.sort();
    let expected = vec![
        (
            "31264ae335ae48d08f863c9908af7ea5".to_owned(),
            vec![0, 2396, 2396, 7, 1, 10272, 7],
        ),
        (
            "3376116f5a074d69b229f6d80f481c1c".to_owned(),
            vec![0, 2511, 2511, 11, 1, 10286, 11],
        ),
        (
            "9800f2e579984d77a34992b5b5f75e1e".to_owned(),
            vec![0, 2467, 2467, 9, 1, 10273, 9],
        ),
    ];
    assert_eq!(rows, expected);
}

#[test]
fn hash_is_stable_across_threads_and_layout() {
    use plateau_io_parallel::hash::{hash_dataset, HashOptions};
    let store = Store::memory();
    let factory = dataset(&store);
    let one = ParallelOptions::with_threads(1).unwrap();
    let eight = ParallelOptions::with_threads(8).unwrap();

    let per_partition = hash_dataset(&factory, &HashOptions::default(), &one).unwrap();
    assert_eq!(per_partition.num_rows(), 160);
    assert_eq!(
        per_partition,
        hash_dataset(&factory, &HashOptions::default(), &eight).unwrap()
    );
    // The same content written as other partitions (one frame) gives the same group hashes.
    let by_p = HashOptions::default().group_key(["P"]);
    let grouped = hash_dataset(&factory, &by_p, &eight).unwrap();
    assert_eq!(grouped.num_rows(), 4);
    assert_eq!(grouped, hash_dataset(&factory, &by_p, &one).unwrap());
    let other_store = Store::memory();
    let whole = plateau_io::read::read_table(&factory, &Default::default()).unwrap();
    plateau_io::write::store_dataset(&other_store, "ds", &[whole], &StoreOptions::default())
        .unwrap();
    let other = DatasetFactory::new(other_store, "ds");
    assert_eq!(hash_dataset(&other, &by_p, &eight).unwrap(), grouped);
    let keys = grouped.column(0).as_primitive::<Int64Type>();
    assert_eq!(keys.values().to_vec(), vec![0, 1, 2, 3]);

    // Different content, different hash; subsets and predicates are honoured.
    let by_x = hash_dataset(&factory, &by_p.clone().subset(["P"]), &one).unwrap();
    assert_ne!(by_x.column(1), grouped.column(1));
    let pruned = hash_dataset(
        &factory,
        &by_p.predicates(Predicates::parse("P == 2").unwrap()),
        &one,
    )
    .unwrap();
    assert_eq!(pruned.num_rows(), 1);
    assert_eq!(
        pruned
            .column(1)
            .as_primitive::<arrow::datatypes::UInt64Type>()
            .value(0),
        grouped
            .column(1)
            .as_primitive::<arrow::datatypes::UInt64Type>()
            .value(2)
    );
    let err = hash_dataset(&factory, &HashOptions::default().subset(["nope"]), &one).unwrap_err();
    assert!(matches!(err, Error::ColumnNotFound { .. }), "{err:?}");
}
