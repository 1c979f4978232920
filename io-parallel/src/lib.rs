//! rayon fan-out over partitions, the role Dask plays for Python plateau (reference
//! §1.4–§1.6).
//!
//! What is read and written is decided by `plateau-io`; this crate only decides *where* the
//! work runs: every partition (or `dispatch_by` group) is decoded, and every input batch is
//! split, indexed and written, as one rayon task on the pool chosen by [`ParallelOptions`].
//! Results come back in the order of the eager front end, so a parallel read equals the eager
//! one batch for batch, and a parallel write commits once, at the end, exactly what the eager
//! write would commit (partitions in input order).
//!
//! * [`mod@read`]: [`read::read_dataset`], [`read::read_table`], [`read::par_groups`] (a rayon
//!   parallel iterator of groups) and [`read::ReadAhead`] (an ordered iterator decoding a
//!   bounded window of groups in parallel).
//! * [`mod@write`]: [`write::store_dataset`] and [`write::update_dataset`] from a slice of
//!   batches (validated before the first byte, one commit at the end), and their `_with`
//!   variants taking a [`write::WriteLayout`]: `sort_partitions_by` and the shuffle into
//!   `num_buckets` buckets by `bucket_by`.
//! * [`maintenance`]: garbage collection and delete with deletes in parallel chunks,
//!   [`maintenance::build_indices`] with per-partition indices built in parallel.
//! * [`compact`]: [`compact::compact`], merging small files with bins read, encoded and
//!   uploaded in parallel; the plan and the commit are [`plateau_io::compact`]'s.
//! * [`stats`]: [`stats::collect_dataset_metadata`], one row per row group, footers read in
//!   parallel.
//! * [`shuffle`]: regrouping input rows into `num_buckets` batches by `bucket_by`, the
//!   [`write::WriteLayout::shuffle`] option of the writers.
//! * [`progress`]: what a call reports to [`ParallelOptions::progress`] (for progress bars).
//! * [`hash`]: [`hash::hash_dataset`], a content hash per partition or `group_key` group,
//!   identical across runs and thread counts.
//!
//! Errors are the eager front end's: planning and validation are shared, and when several
//! tasks fail the error of the first one in eager order is returned.
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Int64Array, RecordBatch};
//! use plateau_core::Store;
//! use plateau_io::{read::ReadOptions, write::StoreOptions};
//! use plateau_io_parallel::{read, write, ParallelOptions};
//! use plateau_metadata::DatasetFactory;
//!
//! let store = Store::memory();
//! let batches: Vec<RecordBatch> = (0..4)
//!     .map(|i| {
//!         RecordBatch::try_from_iter([
//!             ("P", Arc::new(Int64Array::from(vec![i % 2, i % 2])) as _),
//!             ("x", Arc::new(Int64Array::from(vec![i, i + 10])) as _),
//!         ])
//!         .unwrap()
//!     })
//!     .collect();
//! let parallel = ParallelOptions::with_threads(2).unwrap();
//! let options = StoreOptions::default().partition_on(["P"]);
//! write::store_dataset(&store, "demo", &batches, &options, &parallel).unwrap();
//!
//! let factory = DatasetFactory::new(store, "demo");
//! let table = read::read_table(&factory, &ReadOptions::default(), &parallel).unwrap();
//! assert_eq!(table.num_rows(), 8);
//! ```

use std::fmt;
use std::sync::Arc;

use plateau_core::{Error, Result};
use rayon::ThreadPool;

use crate::progress::{Progress, Step};

pub mod compact;
pub mod hash;
pub mod maintenance;
pub mod progress;
pub mod read;
pub mod shuffle;
pub mod stats;
pub mod write;

/// Where the parallel work runs.
///
/// * `pool` set: on that pool (the caller's; it is shared, not copied).
/// * else `threads` set: on a pool of that many threads, built for each call (prefer
///   [`ParallelOptions::with_threads`], which builds it once).
/// * neither (the default): on rayon's global pool (one thread per core unless
///   `RAYON_NUM_THREADS` says otherwise).
///
/// `threads` also sizes the read-ahead window of [`read::ReadAhead`] (see there).
///
/// `progress`, when set, is told about every parallel step of a call (see [`progress`]).
/// Default: none.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct ParallelOptions {
    /// Threads of a pool built for the call; ignored when `pool` is set. Default: `None`.
    pub threads: Option<usize>,
    /// A pool to run on. Default: `None` (rayon's global pool, unless `threads` is set).
    pub pool: Option<Arc<ThreadPool>>,
    /// An observer of the calls' progress. Default: `None`.
    pub progress: Option<Arc<dyn Progress>>,
}

impl fmt::Debug for ParallelOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParallelOptions")
            .field("threads", &self.threads)
            .field("pool", &self.pool.as_ref().map(|p| p.current_num_threads()))
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl ParallelOptions {
    /// rayon's global pool.
    pub fn new() -> Self {
        Self::default()
    }

    /// A pool of `threads` threads, built now and shared by every call with these options.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for zero threads or when the pool cannot be built.
    pub fn with_threads(threads: usize) -> Result<Self> {
        let pool = build_pool(threads)?;
        Ok(Self {
            threads: Some(threads),
            pool: Some(Arc::new(pool)),
            progress: None,
        })
    }

    /// Runs on the caller's `pool`.
    pub fn with_pool(pool: Arc<ThreadPool>) -> Self {
        Self {
            threads: Some(pool.current_num_threads()),
            pool: Some(pool),
            progress: None,
        }
    }

    /// Sets [`ParallelOptions::threads`] (a pool is built for each call unless `pool` is set).
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads);
        self
    }

    /// Sets [`ParallelOptions::pool`].
    pub fn pool(mut self, pool: Arc<ThreadPool>) -> Self {
        self.pool = Some(pool);
        self
    }

    /// Sets [`ParallelOptions::progress`].
    pub fn progress(mut self, progress: Arc<dyn Progress>) -> Self {
        self.progress = Some(progress);
        self
    }

    /// These options with the sized pool built now (when `threads` is set without `pool`), so
    /// that repeated [`ParallelOptions::install`] calls share one pool.
    ///
    /// # Errors
    /// The errors of [`ParallelOptions::with_threads`].
    pub fn resolved(self) -> Result<Self> {
        match (&self.pool, self.threads) {
            (None, Some(threads)) => Ok(Self {
                progress: self.progress,
                ..Self::with_threads(threads)?
            }),
            _ => Ok(self),
        }
    }

    /// The number of threads work runs on.
    pub fn num_threads(&self) -> usize {
        match (&self.pool, self.threads) {
            (Some(pool), _) => pool.current_num_threads(),
            (None, Some(threads)) => threads.max(1),
            (None, None) => rayon::current_num_threads(),
        }
    }

    /// Runs `work` on the configured pool and returns its result; rayon calls inside `work`
    /// (`par_iter`, `join`, ...) use that pool.
    ///
    /// # Errors
    /// The error of building a sized pool, or `work`'s.
    pub fn install<R, F>(&self, work: F) -> Result<R>
    where
        R: Send,
        F: FnOnce() -> Result<R> + Send,
    {
        match (&self.pool, self.threads) {
            (Some(pool), _) => pool.install(work),
            (None, Some(threads)) => build_pool(threads)?.install(work),
            (None, None) => work(),
        }
    }
}

impl ParallelOptions {
    /// Tells the observer, if any, that `step` starts with `total` units.
    pub(crate) fn begin(&self, step: Step, total: usize) {
        if let Some(progress) = &self.progress {
            progress.begin(step, total as u64);
        }
    }

    /// Tells the observer, if any, that `units` units finished.
    pub(crate) fn advance(&self, units: usize) {
        if let Some(progress) = &self.progress {
            progress.advance(units as u64);
        }
    }
}

fn build_pool(threads: usize) -> Result<ThreadPool> {
    if threads == 0 {
        return Err(Error::invalid_input(
            "a thread pool needs at least one thread",
        ));
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("plateau-parallel-{i}"))
        .build()
        .map_err(|e| Error::invalid_input(format!("cannot build a thread pool: {e}")))
}
