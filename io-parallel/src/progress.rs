//! Progress reports from parallel calls, for progress bars and logs (the role dask's
//! `ProgressBar` plays for Python plateau's dask front end).
//!
//! A call with [`crate::ParallelOptions::progress`] set announces each of its parallel steps
//! with [`Progress::begin`] (what is counted and how many there are) and reports finished
//! units with [`Progress::advance`] from the worker threads, as they finish, in any order.
//! A call may begin several steps one after the other (a shuffled write buckets, then
//! writes); nothing is reported for its sequential parts (planning, validation, the commit).
//! The observer must be cheap: it is called from inside the pool.
//!
//! ```
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use std::sync::Arc;
//! use plateau_io_parallel::progress::{Progress, Step};
//! use plateau_io_parallel::ParallelOptions;
//!
//! #[derive(Default)]
//! struct Count(AtomicU64);
//! impl Progress for Count {
//!     fn begin(&self, _step: Step, _total: u64) {}
//!     fn advance(&self, units: u64) {
//!         self.0.fetch_add(units, Ordering::Relaxed);
//!     }
//! }
//! let count = Arc::new(Count::default());
//! let parallel = ParallelOptions::new().progress(count.clone());
//! # let _ = parallel;
//! ```

use std::fmt;

/// A parallel step of a call, naming the unit it counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Step {
    /// Partitions or `dispatch_by` groups decoded (reads).
    ReadGroups,
    /// Data files written and indexed (store and update).
    WriteFiles,
    /// Input batches assigned to buckets (the shuffle before a write).
    BucketBatches,
    /// Files deleted (garbage collection and delete).
    DeleteFiles,
    /// Partitions read and indexed (building indices).
    IndexPartitions,
    /// Parquet footers read (dataset statistics).
    ReadFooters,
    /// New files a compaction wrote, each from a bin of small files.
    CompactBins,
}

impl Step {
    /// A short description for a progress bar: "reading partitions", ...
    pub fn describe(self) -> &'static str {
        match self {
            Step::ReadGroups => "reading partitions",
            Step::WriteFiles => "writing files",
            Step::BucketBatches => "bucketing inputs",
            Step::DeleteFiles => "deleting files",
            Step::IndexPartitions => "indexing partitions",
            Step::ReadFooters => "reading footers",
            Step::CompactBins => "compacting files",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Observes the progress of parallel calls (see the module documentation).
pub trait Progress: Send + Sync {
    /// A step counting `total` units starts.
    fn begin(&self, step: Step, total: u64);
    /// `units` more units of the current step finished.
    fn advance(&self, units: u64);
}
