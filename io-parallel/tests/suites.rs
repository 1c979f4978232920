#![allow(clippy::unwrap_used)]
//! The shared suites of plateau-testing, run through the parallel front end with pools of 1,
//! 2 and 8 threads: one `#[test]` per suite function, store kind and thread count
//! (`threads_<n>::<suite>::<kind>::<test>`), with the same assertions as the eager front end.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

use arrow::record_batch::RecordBatch;
use plateau_core::{Result, Store};
use plateau_io::maintenance::{GcOptions, GcReport};
use plateau_io::read::ReadOptions;
use plateau_io::update::UpdateOptions;
use plateau_io::write::StoreOptions;
use plateau_io_parallel::{maintenance, read, write, ParallelOptions};
use plateau_metadata::{DatasetFactory, DatasetMetadata};
use plateau_testing::Driver;

/// plateau-io-parallel as a suite driver, on a shared pool of `THREADS` threads.
pub struct ParallelDriver<const THREADS: usize>;

impl<const THREADS: usize> ParallelDriver<THREADS> {
    /// The pool of this thread count, built once per test binary.
    fn parallel(&self) -> ParallelOptions {
        static POOLS: OnceLock<Mutex<BTreeMap<usize, ParallelOptions>>> = OnceLock::new();
        let pools = POOLS.get_or_init(|| Mutex::new(BTreeMap::new()));
        let mut pools = pools.lock().unwrap();
        pools
            .entry(THREADS)
            .or_insert_with(|| ParallelOptions::with_threads(THREADS).unwrap())
            .clone()
    }
}

impl<const THREADS: usize> Driver for ParallelDriver<THREADS> {
    fn name(&self) -> &str {
        "parallel"
    }

    fn store(
        &self,
        store: &Store,
        uuid: &str,
        batches: &[RecordBatch],
        options: &StoreOptions,
    ) -> Result<DatasetMetadata> {
        write::store_dataset(store, uuid, batches, options, &self.parallel())
    }

    fn update(
        &self,
        factory: &DatasetFactory,
        batches: &[RecordBatch],
        options: &UpdateOptions,
    ) -> Result<DatasetMetadata> {
        write::update_dataset(factory, batches, options, &self.parallel())
    }

    fn read_table(&self, factory: &DatasetFactory, options: &ReadOptions) -> Result<RecordBatch> {
        read::read_table(factory, options, &self.parallel())
    }

    fn read_dataset(
        &self,
        factory: &DatasetFactory,
        options: &ReadOptions,
    ) -> Result<Vec<RecordBatch>> {
        read::read_dataset(factory, options, &self.parallel())
    }

    fn delete(&self, factory: &DatasetFactory) -> Result<()> {
        maintenance::delete_dataset(factory, &self.parallel())
    }

    fn garbage_collect(&self, factory: &DatasetFactory, options: &GcOptions) -> Result<GcReport> {
        maintenance::garbage_collect(factory, options, &self.parallel())
    }

    fn build_indices(
        &self,
        factory: &DatasetFactory,
        columns: &[String],
    ) -> Result<DatasetMetadata> {
        maintenance::build_indices(factory, columns, &self.parallel())
    }
}

mod threads_1 {
    plateau_testing::suite_tests!(crate::ParallelDriver::<1>);
}

mod threads_2 {
    plateau_testing::suite_tests!(crate::ParallelDriver::<2>);
}

mod threads_8 {
    plateau_testing::suite_tests!(crate::ParallelDriver::<8>);
}
