//! Compaction with bins read, sorted, encoded and uploaded in parallel.
//!
//! What is merged, and how it is committed, is [`plateau_io::compact`]'s: the same
//! [`CompactionPlan`], the same transaction ([`compaction_writer`]: one update removing
//! exactly the merged partitions, compare-and-swap, retries). Only the work on the bins is
//! fanned out: they are taken in waves of one bin per pool thread, each read (with many
//! files in flight) and split on its own rayon task, then encoded and uploaded in parallel,
//! so memory holds about one wave of bins. The partitions are committed in plan order, so
//! the result equals the eager compaction's (labels aside).
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Int64Array, RecordBatch};
//! use plateau_core::Store;
//! use plateau_io::compact::CompactOptions;
//! use plateau_io::update::{update_dataset, UpdateOptions};
//! use plateau_io::write::{store_dataset, StoreOptions};
//! use plateau_io_parallel::{compact, ParallelOptions};
//! use plateau_metadata::DatasetFactory;
//!
//! let store = Store::memory();
//! let batch = |x: i64| {
//!     RecordBatch::try_from_iter([
//!         ("P", Arc::new(Int64Array::from(vec![1, 2])) as _),
//!         ("x", Arc::new(Int64Array::from(vec![x, x])) as _),
//!     ])
//!     .unwrap()
//! };
//! store_dataset(&store, "demo", &[batch(0)], &StoreOptions::default().partition_on(["P"]))?;
//! let factory = DatasetFactory::new(store, "demo");
//! for x in 1..4 {
//!     update_dataset(&factory, &[batch(x)], &UpdateOptions::default())?;
//! }
//! let parallel = ParallelOptions::with_threads(2)?;
//! let report = compact::compact(&factory, &CompactOptions::default(), &parallel)?;
//! assert_eq!((report.removed, report.written), (8, 2));
//! # Ok::<(), plateau_core::Error>(())
//! ```

use std::slice;
use std::sync::Arc;

use plateau_core::Result;
use plateau_io::compact::{
    compaction_writer, plan_compaction, read_bin, CompactOptions, CompactReport, CompactionBin,
    CompactionPlan,
};
use plateau_io::plan::WritePlan;
use plateau_metadata::DatasetFactory;
use rayon::prelude::*;

use crate::progress::Step;
use crate::write::write_all;
use crate::ParallelOptions;

/// Plans and executes a compaction ([`plan_compaction`], then [`execute_compaction`]).
///
/// # Errors
/// The errors of [`plateau_io::compact::compact`].
pub fn compact(
    factory: &DatasetFactory,
    options: &CompactOptions,
    parallel: &ParallelOptions,
) -> Result<CompactReport> {
    let plan = plan_compaction(factory, options)?;
    execute_compaction(factory, plan, options, parallel)
}

/// Executes `plan` with its bins worked on in parallel (see the module documentation);
/// reports [`Step::CompactBins`] progress, one unit per new file.
///
/// # Errors
/// The errors of [`plateau_io::compact::execute_compaction`]; when several bins fail, the
/// first one's in plan order. Files written before a failure are deleted.
pub fn execute_compaction(
    factory: &DatasetFactory,
    plan: CompactionPlan,
    options: &CompactOptions,
    parallel: &ParallelOptions,
) -> Result<CompactReport> {
    if plan.is_empty() {
        return Ok(CompactReport {
            plan,
            removed: 0,
            written: 0,
            metadata: None,
        });
    }
    let mut writer = compaction_writer(factory, &plan, options)?;
    let scan = Arc::new(plan.scan.clone());
    let bins: Vec<&CompactionBin> = plan.bins().collect();
    parallel.begin(Step::CompactBins, bins.len());
    let wave = parallel.num_threads().max(1);
    let mut failure = None;
    for bins in bins.chunks(wave) {
        let planned: Result<Vec<WritePlan>> = parallel
            .install(|| {
                Ok(bins
                    .par_iter()
                    .map(|bin| {
                        let table = read_bin(factory.store(), &scan, bin, &options.scan)?;
                        writer.plan(slice::from_ref(&table))
                    })
                    .collect::<Vec<Result<WritePlan>>>())
            })
            .and_then(|plans| plans.into_iter().collect());
        let written = planned.and_then(|plans| {
            writer.accept(&plans)?;
            write_all(&writer, &plans, parallel)
        });
        match written {
            Ok(partitions) => writer.record_written(partitions),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    if let Some(e) = failure {
        writer.abort();
        return Err(e);
    }
    let written = writer.partitions().len();
    let metadata = writer.commit()?;
    Ok(CompactReport {
        removed: plan.files_merged(),
        written,
        metadata: Some(metadata),
        plan,
    })
}
