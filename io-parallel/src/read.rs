//! Parallel reads. [`read_table`] executes the scan plan with many files in flight
//! ([`scan_options`]: at least the scan default, at least the thread count), decoding on tokio's blocking
//! pool; [`par_groups`], [`PlannedRead`] and [`ReadAhead`] decode every planned partition
//! (or `dispatch_by` group) with [`plateau_io::read::read_group`] as one rayon task.
//! Planning and validation are the eager ones ([`plateau_io::read::plan`]), so errors are
//! the eager errors and raised before any data is read.
//!
//! # Bounding in-flight data
//!
//! * [`read_dataset`] and [`read_table`] return everything they read, so what they hold is
//!   the result itself; while decoding, at most one group per pool thread is being decoded.
//! * [`par_groups`] is a rayon [`IndexedParallelIterator`]: rayon splits the groups among
//!   the pool's threads, each decodes one group at a time, so at most `threads` groups are
//!   being decoded; what the consumer keeps is up to it (`for_each` that writes each batch
//!   away keeps nothing).
//! * [`ReadAhead`] is an ordinary [`Iterator`] in eager order that decodes windows of
//!   `window` groups in parallel (default: the pool's thread count): at most `window` decoded
//!   batches exist at any time besides the ones the caller still holds, independent of the
//!   dataset's size.

use std::sync::Arc;
use std::vec::IntoIter;

use arrow::array::RecordBatch;
use plateau_core::{Result, Store};
use plateau_io::read::{collect_table, plan, plan_table, read_group, ReadOptions, TablePlan};
use plateau_io::scan::{ScanOptions, TaskReader};
use plateau_metadata::planning::DispatchGroup;
use plateau_metadata::{DatasetFactory, DatasetMetadata};
use rayon::prelude::*;

use crate::progress::Step;
use crate::ParallelOptions;

/// Reads every planned group in parallel, one batch each, in the eager order (plateau's
/// `read_dataset_as_delayed` computed, or `read_dataset_as_dataframes`).
///
/// # Errors
/// The errors of [`plan`] and [`read_group`] (the first in group order when several fail),
/// and of building a sized pool.
pub fn read_dataset(
    factory: &DatasetFactory,
    options: &ReadOptions,
    parallel: &ParallelOptions,
) -> Result<Vec<RecordBatch>> {
    let (metadata, groups) = plan(factory, options)?;
    let batches = read_groups(factory.store(), &metadata, &groups, options, parallel)?;
    // The first error in group order, as the eager read reports it.
    batches.into_iter().collect()
}

/// A planned read whose groups can be decoded in parallel: the result of [`plan_read`].
#[derive(Debug, Clone)]
pub struct PlannedRead {
    store: Store,
    metadata: Arc<DatasetMetadata>,
    groups: Vec<DispatchGroup>,
    options: ReadOptions,
}

/// Plans a read (validation and index loading happen here, as in the eager read).
///
/// # Errors
/// The errors of [`plan`].
pub fn plan_read(factory: &DatasetFactory, options: &ReadOptions) -> Result<PlannedRead> {
    let (metadata, groups) = plan(factory, options)?;
    Ok(PlannedRead {
        store: factory.store().clone(),
        metadata,
        groups,
        options: options.clone(),
    })
}

impl PlannedRead {
    /// The planned groups, in eager order.
    pub fn groups(&self) -> &[DispatchGroup] {
        &self.groups
    }

    /// The metadata the plan was made on.
    pub fn metadata(&self) -> &Arc<DatasetMetadata> {
        &self.metadata
    }

    /// Decodes one group (on the calling thread).
    ///
    /// # Errors
    /// The errors of [`read_group`].
    pub fn read(&self, group: &DispatchGroup) -> Result<RecordBatch> {
        read_group(&self.store, &self.metadata, group, &self.options)
    }

    /// A rayon parallel iterator over the decoded groups (like a dask.bag of partitions):
    /// indexed, so `collect` keeps the eager order. Run it inside
    /// [`ParallelOptions::install`] to choose the pool.
    pub fn par_iter(&self) -> impl IndexedParallelIterator<Item = Result<RecordBatch>> + '_ {
        self.groups.par_iter().map(move |group| self.read(group))
    }

    /// An ordered iterator decoding `window` groups at a time in parallel on `parallel`'s
    /// pool (`None`: its thread count). A sized pool is built once, here.
    ///
    /// # Errors
    /// The errors of building a sized pool.
    pub fn read_ahead(self, parallel: ParallelOptions, window: Option<usize>) -> Result<ReadAhead> {
        let parallel = parallel.resolved()?;
        let window = window.unwrap_or_else(|| parallel.num_threads()).max(1);
        parallel.begin(Step::ReadGroups, self.groups.len());
        Ok(ReadAhead {
            groups: self.groups.clone().into_iter(),
            plan: self,
            parallel,
            window,
            ready: Vec::new().into_iter(),
            failed: false,
        })
    }
}

/// A rayon parallel iterator of the planned groups of `factory` (plateau's
/// `read_dataset_as_delayed`): validation and planning happen now, decoding when the
/// iterator is driven, on the pool the iterator runs in.
///
/// # Errors
/// The errors of [`plan`].
pub fn par_groups(factory: &DatasetFactory, options: &ReadOptions) -> Result<PlannedRead> {
    plan_read(factory, options)
}

/// The groups of a read in eager order, decoded in windows of `window` groups in parallel:
/// at most `window` decoded batches are held by the iterator (see the module documentation).
/// After an error the iterator ends.
pub struct ReadAhead {
    plan: PlannedRead,
    groups: IntoIter<DispatchGroup>,
    parallel: ParallelOptions,
    window: usize,
    ready: IntoIter<Result<RecordBatch>>,
    failed: bool,
}

impl Iterator for ReadAhead {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        if let Some(next) = self.ready.next() {
            self.failed = next.is_err();
            return Some(next);
        }
        let window: Vec<DispatchGroup> = self.groups.by_ref().take(self.window).collect();
        if window.is_empty() {
            return None;
        }
        let plan = &self.plan;
        let parallel = &self.parallel;
        let decoded = parallel.install(|| {
            Ok(window
                .par_iter()
                .map(|group| {
                    let batch = plan.read(group);
                    parallel.advance(1);
                    batch
                })
                .collect::<Vec<_>>())
        });
        match decoded {
            Ok(decoded) => {
                self.ready = decoded.into_iter();
                self.next()
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// Reads the whole dataset into one batch with the partitions decoded in parallel
/// (plateau's `read_table`, or `read_dataset_as_ddf(...).compute()`): the result is identical
/// to [`plateau_io::read::read_table`] — same columns, types and row order.
///
/// # Errors
/// The errors of [`plateau_io::read::read_table`].
pub fn read_table(
    factory: &DatasetFactory,
    options: &ReadOptions,
    parallel: &ParallelOptions,
) -> Result<RecordBatch> {
    match plan_table(factory, options)? {
        TablePlan::Done(batch) => Ok(batch),
        TablePlan::Scan(plan) => {
            parallel.begin(Step::ReadGroups, plan.tasks.len());
            let indices = (0..plan.tasks.len()).collect();
            let reader = TaskReader::new(
                factory.store(),
                Arc::clone(&plan),
                indices,
                &scan_options(parallel),
            )?;
            collect_table(&plan, reader.inspect(|_| parallel.advance(1)))
        }
    }
}

/// The scan options of a parallel read: [`ScanOptions::files_in_flight`] at least its
/// default, and at least the thread count.
pub fn scan_options(parallel: &ParallelOptions) -> ScanOptions {
    let default = ScanOptions::default();
    let files = default.files_in_flight.max(parallel.num_threads());
    default.files_in_flight(files)
}

/// Decodes `groups` in parallel, in group order, reporting each decoded group.
fn read_groups(
    store: &Store,
    metadata: &DatasetMetadata,
    groups: &[DispatchGroup],
    options: &ReadOptions,
    parallel: &ParallelOptions,
) -> Result<Vec<Result<RecordBatch>>> {
    parallel.begin(Step::ReadGroups, groups.len());
    parallel.install(|| {
        Ok(groups
            .par_iter()
            .map(|group| {
                let batch = read_group(store, metadata, group, options);
                parallel.advance(1);
                batch
            })
            .collect())
    })
}
