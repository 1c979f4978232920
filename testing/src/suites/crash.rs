//! Crash safety: every mutating operation leaves the dataset readable, as either its old or
//! its new state, whichever store operation fails and however (DESIGN.md §6, §8).
//!
//! Each test runs the operation once on a healthy [`FaultStore`](crate::FaultStore) to count
//! its mutating store operations, then once per operation index and [`Fault`] kind on a fresh
//! store: the operation may fail, but a reader afterwards (through a healthy store on the same
//! backend) must find the old state or the new one, with every index loadable, never an error.
//! A garbage collection on the result must not change what readers see either, and must clean
//! up everything a failed writer left behind.

use plateau_core::naming::MetadataFormat;
use plateau_core::{Error, Result, Store};
use plateau_io::maintenance::GcOptions;
use plateau_io::read::ReadOptions;
use plateau_io::update::{CommitOptions, UpdateOptions};
use plateau_io::write::{StoreOptions, WriteOptions};

use super::{factory, keys};
use crate::compare::Table;
use crate::data::{batch, dates, int64};
use crate::stores::Fault;
use crate::{Driver, StoreKind};

const UUID: &str = "crash_uuid";

/// What a reader sees.
#[derive(Clone, Debug, PartialEq)]
enum State {
    Absent,
    Present {
        rows: Table,
        partitions: usize,
        indices: Vec<String>,
    },
}

fn state(driver: &dyn Driver, store: &Store) -> std::result::Result<State, String> {
    let f = factory(store, UUID);
    let metadata = match f.load_all_indices() {
        Ok(m) => m,
        Err(Error::DatasetNotFound { .. }) => return Ok(State::Absent),
        Err(e) => return Err(format!("the metadata or an index does not load: {e}")),
    };
    let table = driver
        .read_table(&f, &ReadOptions::default())
        .map_err(|e| format!("the dataset does not read: {e}"))?;
    Ok(State::Present {
        rows: Table::of(&table).sorted_columns().sorted_rows(),
        partitions: metadata.partitions.len(),
        indices: metadata.indices.keys().cloned().collect(),
    })
}

/// Runs `operation` under every fault at every mutation index; see the module docs.
fn check_atomic(
    driver: &dyn Driver,
    kind: StoreKind,
    what: &str,
    setup: &dyn Fn(&Store),
    operation: &dyn Fn(&Store) -> Result<()>,
) {
    let reference = kind.fresh();
    setup(reference.store());
    let old = state(driver, reference.store()).unwrap_or_else(|e| panic!("{what}: old state: {e}"));
    let faulty = reference.faulty();
    faulty.disarm();
    operation(&faulty.store()).unwrap_or_else(|e| panic!("{what}: healthy run failed: {e}"));
    let mutations = faulty.mutations();
    let new = state(driver, reference.store()).unwrap_or_else(|e| panic!("{what}: new state: {e}"));
    assert_ne!(old, new, "{what}: the operation changes nothing visible");
    assert!(mutations > 0, "{what}: no mutation");

    for n in 0..mutations {
        for fault in [
            Fault::FailAt(n),
            Fault::CrashBefore(n),
            Fault::CrashAfter(n),
        ] {
            let temp = kind.fresh();
            setup(temp.store());
            let faulty = temp.faulty();
            faulty.arm(fault);
            let result = operation(&faulty.store());
            assert!(
                faulty.mutations() > n,
                "{what} {fault:?}: the fault did not fire ({} mutations: {:?})",
                faulty.mutations(),
                faulty.log()
            );
            let context = format!("{what} {fault:?} (mutations {:?})", faulty.log());
            let seen = state(driver, temp.store()).unwrap_or_else(|e| panic!("{context}: {e}"));
            if result.is_ok() {
                assert_eq!(
                    seen, new,
                    "{context}: succeeded but the new state is not visible"
                );
            } else {
                assert!(
                    seen == old || seen == new,
                    "{context}: neither old nor new: {seen:?}"
                );
            }
            if seen != State::Absent {
                driver
                    .garbage_collect(&factory(temp.store(), UUID), &GcOptions::immediate())
                    .unwrap_or_else(|e| panic!("{context}: gc failed: {e}"));
                let after_gc = state(driver, temp.store())
                    .unwrap_or_else(|e| panic!("{context}: after gc: {e}"));
                assert_eq!(after_gc, seen, "{context}: gc changed the dataset");
                let leftovers: Vec<String> = keys(temp.store())
                    .into_iter()
                    .filter(|k| k.starts_with(&format!("{UUID}/indices/")))
                    .collect();
                let referenced: Vec<String> = factory(temp.store(), UUID)
                    .metadata()
                    .map(|m| {
                        m.indices
                            .values()
                            .filter_map(|e| e.storage_key().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                for key in leftovers {
                    assert!(referenced.contains(&key), "{context}: gc left {key}");
                }
            }
        }
    }
}

fn frames() -> Vec<arrow::record_batch::RecordBatch> {
    vec![
        batch(vec![
            ("P", int64([1, 2, 1])),
            ("L", int64([10, 20, 30])),
            ("DATE", dates([(2020, 1, 1), (2020, 1, 2), (2020, 1, 3)])),
        ]),
        batch(vec![
            ("P", int64([2, 3])),
            ("L", int64([40, 50])),
            ("DATE", dates([(2020, 1, 4), (2020, 1, 5)])),
        ]),
    ]
}

fn options(format: MetadataFormat) -> StoreOptions {
    StoreOptions::default()
        .partition_on(["P"])
        .secondary_indices(["L"])
        .metadata_format(format)
}

fn setup_dataset(driver: &dyn Driver, format: MetadataFormat) -> impl Fn(&Store) + '_ {
    move |store: &Store| {
        driver
            .store(store, UUID, &frames(), &options(format))
            .unwrap_or_else(|e| panic!("setup: {e}"));
        store
            .put(
                &format!("{UUID}/table/trash.parquet"),
                b"trash".to_vec().into(),
            )
            .unwrap_or_else(|e| panic!("setup: {e}"));
    }
}

/// Creating a dataset: the dataset is absent or complete.
pub fn test_store_is_atomic(driver: &dyn Driver, kind: StoreKind) {
    for format in [MetadataFormat::Json, MetadataFormat::Msgpack] {
        check_atomic(
            driver,
            kind,
            &format!("store ({format:?})"),
            &|_| {},
            &|store| {
                driver
                    .store(store, UUID, &frames(), &options(format))
                    .map(|_| ())
            },
        );
    }
}

/// Updating a dataset (append, delete scope, new metadata): old or new, in both formats.
pub fn test_update_is_atomic(driver: &dyn Driver, kind: StoreKind) {
    for format in [MetadataFormat::Json, MetadataFormat::Msgpack] {
        let new = batch(vec![
            ("P", int64([1, 4])),
            ("L", int64([60, 70])),
            ("DATE", dates([(2021, 1, 1), (2021, 1, 2)])),
        ]);
        check_atomic(
            driver,
            kind,
            &format!("update ({format:?})"),
            &setup_dataset(driver, format),
            &|store| {
                driver
                    .update(
                        &factory(store, UUID),
                        std::slice::from_ref(&new),
                        &UpdateOptions::default()
                            .add_delete_scope([("P", 2i64)])
                            .metadata(crate::fixtures::json_map(&[("extra", "metadata")])),
                    )
                    .map(|_| ())
            },
        );
    }
}

/// Deleting a dataset: complete or absent.
pub fn test_delete_is_atomic(driver: &dyn Driver, kind: StoreKind) {
    for format in [MetadataFormat::Json, MetadataFormat::Msgpack] {
        check_atomic(
            driver,
            kind,
            &format!("delete ({format:?})"),
            &setup_dataset(driver, format),
            &|store| driver.delete(&factory(store, UUID)),
        );
    }
}

/// `write_single_partition` + `commit_dataset`: old or new.
pub fn test_commit_is_atomic(driver: &dyn Driver, kind: StoreKind) {
    let new = batch(vec![
        ("P", int64([5])),
        ("L", int64([80])),
        ("DATE", dates([(2022, 1, 1)])),
    ]);
    check_atomic(
        driver,
        kind,
        "commit",
        &setup_dataset(driver, MetadataFormat::Json),
        &|store| {
            let f = factory(store, UUID);
            let partitions = driver.write_single_partition(
                &f,
                std::slice::from_ref(&new),
                &WriteOptions::default().secondary_indices(["L"]),
            )?;
            driver
                .commit(
                    &f,
                    &partitions,
                    &CommitOptions::default().add_delete_scope([("P", 1i64)]),
                )
                .map(|_| ())
        },
    );
}

/// Building an index: the index is there completely or not at all.
pub fn test_build_indices_is_atomic(driver: &dyn Driver, kind: StoreKind) {
    check_atomic(
        driver,
        kind,
        "build_indices",
        &setup_dataset(driver, MetadataFormat::Json),
        &|store| {
            driver
                .build_indices(&factory(store, UUID), &["DATE".to_owned()])
                .map(|_| ())
        },
    );
}

/// Garbage collection never changes what readers see, and a failed gc can be repeated until
/// nothing is left.
pub fn test_gc_is_safe(driver: &dyn Driver, kind: StoreKind) {
    let setup = |store: &Store| {
        setup_dataset(driver, MetadataFormat::Json)(store);
        store
            .put(
                &format!("{UUID}/indices/L/trash.parquet"),
                b"trash".to_vec().into(),
            )
            .unwrap_or_else(|e| panic!("setup: {e}"));
    };
    let reference = kind.fresh();
    setup(reference.store());
    let before = state(driver, reference.store()).unwrap_or_else(|e| panic!("{e}"));
    // Two files are garbage: the table trash and the index trash.
    for n in 0..2 {
        for fault in [
            Fault::FailAt(n),
            Fault::CrashBefore(n),
            Fault::CrashAfter(n),
        ] {
            let temp = kind.fresh();
            setup(temp.store());
            let faulty = temp.faulty();
            faulty.arm(fault);
            let result =
                driver.garbage_collect(&factory(&faulty.store(), UUID), &GcOptions::immediate());
            assert!(result.is_err(), "{fault:?}: the fault did not surface");
            let seen = state(driver, temp.store()).unwrap_or_else(|e| panic!("{fault:?}: {e}"));
            assert_eq!(seen, before, "{fault:?}");
            driver
                .garbage_collect(&factory(temp.store(), UUID), &GcOptions::immediate())
                .unwrap_or_else(|e| panic!("{fault:?}: {e}"));
            let again = driver
                .garbage_collect(&factory(temp.store(), UUID), &GcOptions::immediate())
                .unwrap_or_else(|e| panic!("{fault:?}: {e}"));
            assert!(again.files.is_empty(), "{fault:?}: {again:?}");
            let left = keys(temp.store());
            assert!(
                left.iter().all(|k| !k.contains("trash")),
                "{fault:?}: {left:?}"
            );
        }
    }
}
