#![allow(clippy::unwrap_used)]
//! The parallel front end against the eager one on a dataset of many partitions: same
//! batches, same order, same table; writes that validate before writing; pools.

use std::sync::Arc;
use std::time::Instant;

use arrow::array::{Float64Array, Int64Array, RecordBatch, StringArray};
use plateau_core::{Error, Predicates, Store};
use plateau_io::maintenance::GcOptions;
use plateau_io::read::ReadOptions;
use plateau_io::update::UpdateOptions;
use plateau_io::write::StoreOptions;
use plateau_io_parallel::{read, write, ParallelOptions};
use plateau_metadata::DatasetFactory;

/// `frames` input frames of `rows` rows: P in 0..4 (partition key), L (indexed), x, s.
fn frames(frames: i64, rows: i64) -> Vec<RecordBatch> {
    (0..frames)
        .map(|f| {
            let ids: Vec<i64> = (0..rows).map(|r| f * rows + r).collect();
            RecordBatch::try_from_iter([
                (
                    "P",
                    Arc::new(Int64Array::from_iter_values(ids.iter().map(|i| i % 4))) as _,
                ),
                (
                    "L",
                    Arc::new(Int64Array::from_iter_values(ids.iter().map(|i| i % 7))) as _,
                ),
                ("x", Arc::new(Int64Array::from(ids.clone())) as _),
                (
                    "y",
                    Arc::new(Float64Array::from_iter_values(
                        ids.iter().map(|i| *i as f64 / 3.0),
                    )) as _,
                ),
                (
                    "s",
                    Arc::new(StringArray::from_iter_values(
                        ids.iter().map(|i| format!("row-{i}")),
                    )) as _,
                ),
            ])
            .unwrap()
        })
        .collect()
}

fn dataset(store: &Store, uuid: &str, n: i64, rows: i64) -> DatasetFactory {
    let options = StoreOptions::default()
        .partition_on(["P"])
        .secondary_indices(["L"]);
    plateau_io::write::store_dataset(store, uuid, &frames(n, rows), &options).unwrap();
    DatasetFactory::new(store.clone(), uuid)
}

fn read_options() -> Vec<ReadOptions> {
    vec![
        ReadOptions::default(),
        ReadOptions::default().columns(["x", "P", "s"]),
        ReadOptions::default().predicates(Predicates::parse("P == 1 or x > 150").unwrap()),
        ReadOptions::default().dispatch_by(["L"]),
        ReadOptions::default().dispatch_by(Vec::<String>::new()),
        ReadOptions::default()
            .dispatch_by(["P"])
            .categoricals(["s"])
            .predicates(Predicates::parse("L == 3").unwrap()),
    ]
}

#[test]
fn reads_equal_eager_for_every_thread_count() {
    let store = Store::memory();
    let factory = dataset(&store, "ds", 12, 20);
    for threads in [1, 2, 8] {
        let parallel = ParallelOptions::with_threads(threads).unwrap();
        for options in read_options() {
            let eager = plateau_io::read::read_dataset(&factory, &options).unwrap();
            let batches = read::read_dataset(&factory, &options, &parallel).unwrap();
            assert_eq!(batches, eager, "read_dataset {options:?} threads {threads}");

            let eager = plateau_io::read::read_table(&factory, &options).unwrap();
            let table = read::read_table(&factory, &options, &parallel).unwrap();
            assert_eq!(table, eager, "read_table {options:?} threads {threads}");

            let planned = read::par_groups(&factory, &options).unwrap();
            let collected: Vec<RecordBatch> = parallel
                .install(|| {
                    use rayon::prelude::*;
                    planned.par_iter().collect::<plateau_core::Result<Vec<_>>>()
                })
                .unwrap();
            let expected = plateau_io::read::read_dataset(&factory, &options).unwrap();
            assert_eq!(collected, expected);

            for window in [None, Some(1), Some(3)] {
                let ahead: Vec<RecordBatch> = read::plan_read(&factory, &options)
                    .unwrap()
                    .read_ahead(parallel.clone(), window)
                    .unwrap()
                    .collect::<plateau_core::Result<_>>()
                    .unwrap();
                assert_eq!(ahead, expected, "read-ahead window {window:?}");
            }
        }
    }
}

#[test]
fn read_errors_are_the_eager_ones() {
    let store = Store::memory();
    let factory = dataset(&store, "ds", 2, 5);
    let parallel = ParallelOptions::with_threads(2).unwrap();
    let options = ReadOptions::default().columns(["nope"]);
    let err = read::read_table(&factory, &options, &parallel).unwrap_err();
    assert!(matches!(err, Error::ColumnNotFound { .. }), "{err:?}");
    let err = read::read_dataset(&factory, &options, &parallel).unwrap_err();
    assert!(matches!(err, Error::ColumnNotFound { .. }), "{err:?}");
    let missing = DatasetFactory::new(store, "missing");
    let err = read::read_table(&missing, &ReadOptions::default(), &parallel).unwrap_err();
    assert!(matches!(err, Error::DatasetNotFound { .. }), "{err:?}");
}

#[test]
fn store_and_update_equal_eager() {
    let input = frames(9, 15);
    let store_options = StoreOptions::default()
        .partition_on(["P"])
        .secondary_indices(["L"]);
    let update_options = UpdateOptions::default()
        .sort_partitions_by(["x"])
        .add_delete_scope([("P", 2_i64)]);
    let update_input = frames(3, 4);
    let read_all = ReadOptions::default();

    let eager_store = Store::memory();
    plateau_io::write::store_dataset(&eager_store, "ds", &input, &store_options).unwrap();
    let eager = DatasetFactory::new(eager_store, "ds");
    plateau_io::update::update_dataset(&eager, &update_input, &update_options).unwrap();

    for threads in [1, 2, 8] {
        let parallel = ParallelOptions::with_threads(threads).unwrap();
        let store = Store::memory();
        let stored = write::store_dataset(&store, "ds", &input, &store_options, &parallel).unwrap();
        assert_eq!(stored.partitions.len(), 9 * 4);
        let factory = DatasetFactory::new(store, "ds");
        let updated =
            write::update_dataset(&factory, &update_input, &update_options, &parallel).unwrap();
        assert_eq!(
            updated.partitions.len(),
            eager.metadata().unwrap().partitions.len()
        );
        assert_eq!(
            read::read_table(&factory, &read_all, &parallel).unwrap(),
            plateau_io::read::read_table(&eager, &read_all).unwrap()
        );
        // Same batches in the same order (labels differ, content and order do not).
        assert_eq!(
            plateau_io::read::read_dataset(&factory, &read_all).unwrap(),
            plateau_io::read::read_dataset(&eager, &read_all).unwrap()
        );
        let by_l = ReadOptions::default().dispatch_by(["L"]);
        assert_eq!(
            read::read_dataset(&factory, &by_l, &parallel).unwrap(),
            plateau_io::read::read_dataset(&eager, &by_l).unwrap()
        );
    }
}

#[test]
fn invalid_batch_writes_nothing() {
    let mut input = frames(6, 5);
    // The 5th batch lacks the partition column: nothing may be written at all.
    input[4] = input[4].project(&[1, 2, 3, 4]).unwrap();
    let parallel = ParallelOptions::with_threads(4).unwrap();
    let store = Store::memory();
    let options = StoreOptions::default().partition_on(["P"]);
    let err = write::store_dataset(&store, "ds", &input, &options, &parallel).unwrap_err();
    assert!(
        err.to_string().contains("Partition column(s) missing: P"),
        "{err}"
    );
    assert!(store.list("").unwrap().is_empty());

    // Same for an update whose batch has an incompatible schema.
    let factory = dataset(&store, "ds", 2, 5);
    let before = store.list("").unwrap().len();
    let mut bad = frames(3, 5);
    bad[2] = RecordBatch::try_from_iter([
        ("P", Arc::new(Int64Array::from(vec![1])) as _),
        ("L", Arc::new(Int64Array::from(vec![1])) as _),
        ("x", Arc::new(StringArray::from(vec!["not an int"])) as _),
        ("y", Arc::new(Float64Array::from(vec![1.0])) as _),
        ("s", Arc::new(StringArray::from(vec!["a"])) as _),
    ])
    .unwrap();
    let err =
        write::update_dataset(&factory, &bad, &UpdateOptions::default(), &parallel).unwrap_err();
    assert!(matches!(err, Error::SchemaIncompatible { .. }), "{err:?}");
    assert_eq!(store.list("").unwrap().len(), before);
}

#[test]
fn pools() {
    assert!(ParallelOptions::with_threads(0).is_err());
    let pool = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap(),
    );
    let parallel = ParallelOptions::with_pool(Arc::clone(&pool));
    assert_eq!(parallel.num_threads(), 3);
    let inside = parallel
        .install(|| Ok(rayon::current_thread_index().is_some()))
        .unwrap();
    assert!(inside);
    assert_eq!(ParallelOptions::new().threads(2).num_threads(), 2);
    let sized = ParallelOptions::new()
        .threads(2)
        .install(|| Ok(rayon::current_num_threads()))
        .unwrap();
    assert_eq!(sized, 2);
    // The global pool by default.
    let global = ParallelOptions::default()
        .install(|| Ok(rayon::current_num_threads()))
        .unwrap();
    assert_eq!(global, rayon::current_num_threads());
}

/// Parallel writes and reads of a mid-size dataset on a local store give exactly the eager
/// results. It also prints the times it saw (informative only; benchmarks belong in
/// `plateau-benches`).
#[test]
fn mid_size_parallel_equals_eager() {
    fn best<T>(runs: &mut Vec<std::time::Duration>, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        runs.push(start.elapsed());
        out
    }
    let dir = tempfile::tempdir().unwrap();
    let store = Store::local(dir.path()).unwrap();
    // Mid-size in release builds; small in debug builds (the figures matter only in release).
    let (n, rows) = if cfg!(debug_assertions) {
        (16, 2_000)
    } else {
        (64, 20_000)
    };
    let input = frames(n, rows);
    let options = StoreOptions::default()
        .partition_on(["P"])
        .secondary_indices(["L"]);
    let two = ParallelOptions::with_threads(2).unwrap();
    let (mut eager_w, mut par_w) = (Vec::new(), Vec::new());
    for round in 0..3 {
        best(&mut eager_w, || {
            plateau_io::write::store_dataset(&store, &format!("e{round}"), &input, &options)
                .unwrap()
        });
        best(&mut par_w, || {
            write::store_dataset(&store, &format!("p{round}"), &input, &options, &two).unwrap()
        });
        // Keep the disk footprint to one dataset.
        let written = DatasetFactory::new(store.clone(), format!("p{round}"));
        plateau_io::maintenance::delete_dataset(&written).unwrap();
        if round > 0 {
            let written = DatasetFactory::new(store.clone(), format!("e{round}"));
            plateau_io::maintenance::delete_dataset(&written).unwrap();
        }
    }
    let factory = DatasetFactory::new(store.clone(), "e0");
    let read_options = ReadOptions::default();
    let (mut eager_r, mut one_r, mut two_r) = (Vec::new(), Vec::new(), Vec::new());
    let one = ParallelOptions::with_threads(1).unwrap();
    for _ in 0..3 {
        let eager = best(&mut eager_r, || {
            plateau_io::read::read_table(&factory, &read_options).unwrap()
        });
        let table = best(&mut one_r, || {
            read::read_table(&factory, &read_options, &one).unwrap()
        });
        assert_eq!(table, eager);
        let table = best(&mut two_r, || {
            read::read_table(&factory, &read_options, &two).unwrap()
        });
        assert_eq!(table, eager);
        assert_eq!(eager.num_rows() as i64, n * rows);
    }
    let (mut eager_d, mut two_d) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let eager = best(&mut eager_d, || {
            plateau_io::read::read_dataset(&factory, &read_options).unwrap()
        });
        let batches = best(&mut two_d, || {
            read::read_dataset(&factory, &read_options, &two).unwrap()
        });
        assert_eq!(batches, eager);
    }
    let min = |runs: &[std::time::Duration]| runs.iter().min().copied().unwrap();
    println!(
        "read_dataset {} partitions: eager {:?}, parallel(2) {:?}",
        n * 4,
        min(&eager_d),
        min(&two_d)
    );
    println!(
        "store {n} frames x {rows} rows: eager {:?}, parallel(2) {:?}",
        min(&eager_w),
        min(&par_w)
    );
    println!(
        "read_table {} rows: eager {:?}, parallel(1) {:?}, parallel(2) {:?}",
        n * rows,
        min(&eager_r),
        min(&one_r),
        min(&two_r)
    );
}

#[test]
fn sorted_store_equals_eager_sorted_update() {
    let input = frames(5, 30);
    // Reverse each frame so sorting has work to do.
    let input: Vec<RecordBatch> = input
        .iter()
        .map(|b| {
            let order = arrow::array::UInt32Array::from_iter_values((0..30u32).rev());
            arrow::compute::take_record_batch(b, &order).unwrap()
        })
        .collect();
    let eager_store = Store::memory();
    let eager = DatasetFactory::new(eager_store, "ds");
    plateau_io::update::update_dataset(
        &eager,
        &input,
        &UpdateOptions::default()
            .partition_on(["P"])
            .sort_partitions_by(["x"]),
    )
    .unwrap();
    let store = Store::memory();
    let parallel = ParallelOptions::new().threads(3).resolved().unwrap();
    write::store_dataset_with(
        &store,
        "ds",
        &input,
        &StoreOptions::default().partition_on(["P"]),
        &write::WriteLayout::default().sort_partitions_by(["x"]),
        &parallel,
    )
    .unwrap();
    let factory = DatasetFactory::new(store, "ds");
    let all = ReadOptions::default();
    assert_eq!(
        read::read_dataset(&factory, &all, &parallel).unwrap(),
        plateau_io::read::read_dataset(&eager, &all).unwrap()
    );
    let err = write::store_dataset_with(
        &Store::memory(),
        "ds",
        &input,
        &StoreOptions::default(),
        &write::WriteLayout::default().sort_partitions_by(["nope"]),
        &parallel,
    )
    .unwrap_err();
    assert!(err
        .to_string()
        .contains("sort_partitions_by column(s) missing: nope"));
}

/// Labels grouped by partition key (the label without its base), with the number of files.
fn files_per_key(factory: &DatasetFactory) -> std::collections::BTreeMap<String, usize> {
    let mut files = std::collections::BTreeMap::new();
    for label in factory.metadata().unwrap().partitions.keys() {
        let key = label.rsplit_once('/').map_or("", |(k, _)| k).to_owned();
        *files.entry(key).or_default() += 1;
    }
    files
}

/// Asserts that no (P, L) pair is found in more than one data file.
fn assert_bucket_values_not_split(factory: &DatasetFactory) {
    use std::collections::{BTreeMap, BTreeSet};
    let batches = plateau_io::read::read_dataset(factory, &ReadOptions::default()).unwrap();
    let mut files_of: BTreeMap<(i64, i64), BTreeSet<usize>> = BTreeMap::new();
    for (file, batch) in batches.iter().enumerate() {
        let p = batch.column_by_name("P").unwrap();
        let l = batch.column_by_name("L").unwrap();
        let p = p.as_any().downcast_ref::<Int64Array>().unwrap();
        let l = l.as_any().downcast_ref::<Int64Array>().unwrap();
        for r in 0..batch.num_rows() {
            files_of
                .entry((p.value(r), l.value(r)))
                .or_default()
                .insert(file);
        }
    }
    assert!(!files_of.is_empty());
    assert!(
        files_of.values().all(|files| files.len() == 1),
        "{files_of:?}"
    );
}

/// The table sorted by `x`, for order-free comparisons.
fn sorted_by_x(table: &RecordBatch) -> RecordBatch {
    let order =
        arrow::compute::sort_to_indices(table.column_by_name("x").unwrap(), None, None).unwrap();
    arrow::compute::take_record_batch(table, &order).unwrap()
}

#[test]
fn shuffle_buckets_rows() {
    use plateau_io_parallel::shuffle::{shuffle, Shuffle};
    let input = frames(10, 50);
    let spec = Shuffle::new(["L"], 3);
    let one = ParallelOptions::with_threads(1).unwrap();
    let eight = ParallelOptions::with_threads(8).unwrap();
    let buckets = shuffle(&input, &spec, &eight).unwrap();
    assert!(buckets.len() <= 3 && !buckets.is_empty());
    assert_eq!(buckets, shuffle(&input, &spec, &one).unwrap());
    assert_eq!(
        buckets.iter().map(RecordBatch::num_rows).sum::<usize>(),
        500
    );
    // An empty `bucket_by` buckets by all columns, as plateau does.
    let all = shuffle(&input, &Shuffle::new(Vec::<String>::new(), 4), &eight).unwrap();
    assert!(all.len() <= 4 && all.len() > 1);
    assert_eq!(all.iter().map(RecordBatch::num_rows).sum::<usize>(), 500);

    assert!(shuffle(&input, &Shuffle::new(["L"], 0), &one).is_err());
    assert!(shuffle(&input, &Shuffle::new(["nope"], 2), &one).is_err());
    assert!(shuffle(&[], &spec, &one).unwrap().is_empty());
}

#[test]
fn store_with_shuffle_buckets_files() {
    let input = frames(10, 50);
    let options = StoreOptions::default()
        .partition_on(["P"])
        .secondary_indices(["L"]);
    let layout = write::WriteLayout::default().shuffle(["L"], 3);
    let mut tables = Vec::new();
    for threads in [1, 2, 8] {
        let parallel = ParallelOptions::with_threads(threads).unwrap();
        let store = Store::memory();
        write::store_dataset_with(&store, "ds", &input, &options, &layout, &parallel).unwrap();
        let factory = DatasetFactory::new(store, "ds");
        // Without the shuffle every one of the 10 inputs gives a file per key.
        let files = files_per_key(&factory);
        assert_eq!(files.len(), 4, "{files:?}");
        assert!(files.values().all(|n| *n <= 3), "{files:?}");
        assert_bucket_values_not_split(&factory);
        let table = read::read_table(&factory, &ReadOptions::default(), &parallel).unwrap();
        assert_eq!(table.num_rows(), 500);
        // The index still finds every row of a value.
        let seven = read::read_table(
            &factory,
            &ReadOptions::default().predicates(Predicates::parse("L == 3").unwrap()),
            &parallel,
        )
        .unwrap();
        assert_eq!(seven.num_rows(), (0..500).filter(|i| i % 7 == 3).count());
        tables.push(sorted_by_x(&table));
    }
    // The same rows as the eager write of the unshuffled input, for every thread count.
    let eager = Store::memory();
    plateau_io::write::store_dataset(&eager, "ds", &input, &options).unwrap();
    let eager_table =
        plateau_io::read::read_table(&DatasetFactory::new(eager, "ds"), &ReadOptions::default())
            .unwrap();
    for table in &tables {
        assert_eq!(table, &sorted_by_x(&eager_table));
    }
}

#[test]
fn update_with_shuffle_buckets_files_and_applies_delete_scope() {
    let parallel = ParallelOptions::with_threads(2).unwrap();
    let store = Store::memory();
    let options = StoreOptions::default()
        .partition_on(["P"])
        .secondary_indices(["L"]);
    write::store_dataset(&store, "ds", &frames(2, 20), &options, &parallel).unwrap();
    let factory = DatasetFactory::new(store, "ds");
    let before = factory.metadata().unwrap().partitions.len();
    assert_eq!(before, 8);

    // New rows with ids 1000.. (frames(.., ..) shifted), replacing partition P == 0.
    let input: Vec<RecordBatch> = frames(60, 10).split_off(50);
    let scope = vec![vec![("P".to_owned(), plateau_core::Scalar::Int(0))]];
    let layout = write::WriteLayout::default()
        .shuffle(["L"], 2)
        .sort_partitions_by(["x"]);
    write::update_dataset_with(
        &factory,
        &input,
        &UpdateOptions::default().delete_scope(scope),
        &layout,
        &parallel,
    )
    .unwrap();
    let metadata = factory.metadata().unwrap();
    let new: Vec<&String> = metadata
        .partitions
        .keys()
        .filter(|label| !label.starts_with("P=0/"))
        .collect();
    // The 6 old partitions of P in 1..4 stay; the 100 new rows add at most 2 per key.
    let files = files_per_key(&factory);
    assert_eq!(files.len(), 4);
    assert!(files["P=0"] <= 2, "{files:?}");
    assert!(new.len() <= 6 + 3 * 2, "{new:?}");
    let table = read::read_table(&factory, &ReadOptions::default(), &parallel).unwrap();
    let old_kept = (0..40).filter(|i| i % 4 != 0).count();
    assert_eq!(table.num_rows(), old_kept + 100);
    // Every new file is sorted by x.
    for batch in read::read_dataset(&factory, &ReadOptions::default(), &parallel).unwrap() {
        let x = batch.column_by_name("x").unwrap();
        let x = x.as_any().downcast_ref::<Int64Array>().unwrap();
        assert!(x.values().windows(2).all(|w| w[0] <= w[1]));
    }

    // Conflicting sort columns are an error before anything is written.
    let keys_before = factory.store().list_keys("").unwrap();
    let err = write::update_dataset_with(
        &factory,
        &input,
        &UpdateOptions::default().sort_partitions_by(["y"]),
        &layout,
        &parallel,
    )
    .unwrap_err();
    assert!(err
        .to_string()
        .contains("sort_partitions_by is given twice"));
    assert_eq!(factory.store().list_keys("").unwrap(), keys_before);
}

#[test]
fn bad_shuffle_writes_nothing() {
    let parallel = ParallelOptions::with_threads(2).unwrap();
    let input = frames(3, 10);
    let options = StoreOptions::default().partition_on(["P"]);
    for (layout, message) in [
        (
            write::WriteLayout::default().shuffle(["nope"], 2),
            "bucket_by column `nope` is not in the input",
        ),
        (
            write::WriteLayout::default().shuffle(["L"], 0),
            "num_buckets must be at least 1",
        ),
    ] {
        let store = Store::memory();
        let err = write::store_dataset_with(&store, "ds", &input, &options, &layout, &parallel)
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
        assert!(err.to_string().contains(message), "{err}");
        assert!(store.list_keys("").unwrap().is_empty());

        let store = Store::memory();
        write::store_dataset(&store, "ds", &input, &options, &parallel).unwrap();
        let keys = store.list_keys("").unwrap();
        let factory = DatasetFactory::new(store.clone(), "ds");
        let err = write::update_dataset_with(
            &factory,
            &input,
            &UpdateOptions::default(),
            &layout,
            &parallel,
        )
        .unwrap_err();
        assert!(err.to_string().contains(message), "{err}");
        assert_eq!(store.list_keys("").unwrap(), keys);
    }
    // Inputs with different (if compatible) schemas cannot be concatenated into buckets.
    let mut mixed = frames(2, 10);
    let other = mixed[0].schema().as_ref().clone().with_metadata(
        [("origin".to_owned(), "elsewhere".to_owned())]
            .into_iter()
            .collect::<std::collections::HashMap<String, String>>(),
    );
    mixed.push(mixed[0].clone().with_schema(Arc::new(other)).unwrap());
    let store = Store::memory();
    let err = write::store_dataset_with(
        &store,
        "ds",
        &mixed,
        &options,
        &write::WriteLayout::default().shuffle(["L"], 2),
        &parallel,
    )
    .unwrap_err();
    assert!(err.to_string().contains("same schema"), "{err}");
    assert!(store.list_keys("").unwrap().is_empty());
}

/// Records what a call reports.
#[derive(Default)]
struct Recorder {
    steps: std::sync::Mutex<Vec<(plateau_io_parallel::progress::Step, u64, u64)>>,
}

impl plateau_io_parallel::progress::Progress for Recorder {
    fn begin(&self, step: plateau_io_parallel::progress::Step, total: u64) {
        self.steps.lock().unwrap().push((step, total, 0));
    }
    fn advance(&self, units: u64) {
        if let Some(last) = self.steps.lock().unwrap().last_mut() {
            last.2 += units;
        }
    }
}

impl Recorder {
    fn take(&self) -> Vec<(plateau_io_parallel::progress::Step, u64, u64)> {
        std::mem::take(&mut *self.steps.lock().unwrap())
    }
}

#[test]
fn progress_reports_every_unit() {
    use plateau_io_parallel::maintenance;
    use plateau_io_parallel::progress::Step;
    let recorder = Arc::new(Recorder::default());
    let parallel = ParallelOptions::with_threads(3)
        .unwrap()
        .progress(recorder.clone());
    let store = Store::memory();
    let options = StoreOptions::default().partition_on(["P"]);
    write::store_dataset(&store, "ds", &frames(5, 20), &options, &parallel).unwrap();
    // 5 inputs × 4 values of P.
    assert_eq!(recorder.take(), vec![(Step::WriteFiles, 20, 20)]);

    let factory = DatasetFactory::new(store, "ds");
    read::read_table(&factory, &ReadOptions::default(), &parallel).unwrap();
    assert_eq!(recorder.take(), vec![(Step::ReadGroups, 20, 20)]);
    let ahead = read::plan_read(&factory, &ReadOptions::default())
        .unwrap()
        .read_ahead(parallel.clone(), Some(4))
        .unwrap();
    assert_eq!(ahead.count(), 20);
    assert_eq!(recorder.take(), vec![(Step::ReadGroups, 20, 20)]);

    let labels = |f: &DatasetFactory| -> std::collections::BTreeSet<String> {
        f.metadata().unwrap().partitions.keys().cloned().collect()
    };
    let before = labels(&factory);
    write::update_dataset_with(
        &factory,
        &frames(3, 20),
        &UpdateOptions::default()
            .delete_scope(vec![vec![("P".to_owned(), plateau_core::Scalar::Int(1))]]),
        &write::WriteLayout::default().shuffle(["L"], 2),
        &parallel,
    )
    .unwrap();
    let written = labels(&factory).difference(&before).count() as u64;
    assert!(written > 2, "{written}");
    assert_eq!(
        recorder.take(),
        vec![
            (Step::BucketBatches, 3, 3),
            (Step::WriteFiles, written, written)
        ]
    );

    maintenance::build_indices(&factory, &["L".to_owned()], &parallel).unwrap();
    let partitions = factory.metadata().unwrap().partitions.len() as u64;
    assert_eq!(
        recorder.take(),
        vec![(Step::IndexPartitions, partitions, partitions)]
    );

    // The 5 files of P == 1 that the delete scope dropped.
    let report =
        maintenance::garbage_collect(&factory, &GcOptions::immediate(), &parallel).unwrap();
    assert_eq!(report.files.len(), 5);
    assert_eq!(recorder.take(), vec![(Step::DeleteFiles, 5, 5)]);
}
