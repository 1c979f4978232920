//! Compaction benchmark: a dataset built by many small updates, read before and after
//! `compact`.
//!
//! ```text
//! cargo run --release -p plateau-benches --bin compaction -- [--rows 2000000]
//!     [--partitions 10] [--updates 200] [--latency-ms 0,20] [--repeat 3] [--store URL]
//!     [--json compaction_results.json]
//! ```
//!
//! The e2e table (`--rows` rows) is cut into `--updates` frames of every `--updates`-th row,
//! so each frame holds every value of `part` (`--partitions` of them). The first frame
//! creates the dataset (`partition_on=[part]`, `secondary_indices=[idx_key]`), each other one
//! is an `update_dataset_from_dataframes`: `--updates × --partitions` small files, all
//! written without delay into `--store` (default in memory; `file:///dir` for a local
//! directory, `s3://bucket` with `tools/servers/start.sh`'s environment for moto).
//!
//! For each delay `L` of `--latency-ms` (object_store's `ThrottledStore`: `L` per GET, PUT,
//! LIST and DELETE call) the eager `read_table` and plateau-io-parallel's on 2 threads read
//! the whole dataset `--repeat` times. Then `compact` (default options: 128 MiB target)
//! runs once through the store with the last delay, and the reads are timed again. Printed:
//! medians, requests of one run, the speed-up, and files before and after.

use std::error::Error;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{RecordBatch, UInt32Array};
use arrow::compute::take_record_batch;
use clap::Parser;
use object_store::memory::InMemory;
use object_store::throttle::{ThrottleConfig, ThrottledStore};
use object_store::ObjectStore;
use plateau_benches::data::make_batches;
use plateau_core::Store;
use plateau_io_eager::{
    compact_dataset, read_table, store_dataframes_as_dataset, update_dataset_from_dataframes,
    CompactOptions, ReadOptions, StoreOptions, UpdateOptions,
};
use plateau_io_parallel::ParallelOptions;
use plateau_metadata::DatasetFactory;
use plateau_testing::CountingStore;
use serde_json::json;

type Res<T> = Result<T, Box<dyn Error>>;

#[derive(Parser, Debug)]
#[command(about = "full reads of a dataset built by small updates, before and after compaction")]
struct Args {
    /// Number of rows.
    #[arg(long, default_value_t = 2_000_000)]
    rows: usize,
    /// Distinct values of the partition column.
    #[arg(long, default_value_t = 10)]
    partitions: i64,
    /// Commits that build the dataset (the first creates it).
    #[arg(long, default_value_t = 200)]
    updates: usize,
    /// Delays per request in milliseconds, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "0,20")]
    latency_ms: Vec<u64>,
    /// Timed runs of each read.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// The store (a fresh prefix is used under it); default in memory.
    #[arg(long)]
    store: Option<String>,
    /// Where to write the results.
    #[arg(long, default_value = "compaction_results.json")]
    json: std::path::PathBuf,
}

/// The backend with `latency_ms` per request. Without delay the backend itself:
/// `ThrottledStore` cannot pass on a local file's payload.
fn delayed(backend: &Arc<dyn ObjectStore>, latency_ms: u64) -> Arc<dyn ObjectStore> {
    if latency_ms == 0 {
        return Arc::clone(backend);
    }
    Arc::new(ThrottledStore::new(
        Arc::clone(backend),
        config(Duration::from_millis(latency_ms)),
    ))
}

fn config(latency: Duration) -> ThrottleConfig {
    ThrottleConfig {
        wait_delete_per_call: latency,
        wait_get_per_call: latency,
        wait_list_per_call: latency,
        wait_list_with_delimiter_per_call: latency,
        wait_put_per_call: latency,
        ..ThrottleConfig::default()
    }
}

/// Every `updates`-th row of `table`, starting at `offset`.
fn strided(table: &RecordBatch, offset: usize, updates: usize) -> Res<RecordBatch> {
    let indices: Vec<u32> = (offset..table.num_rows())
        .step_by(updates)
        .map(u32::try_from)
        .collect::<Result<_, _>>()?;
    Ok(take_record_batch(table, &UInt32Array::from(indices))?)
}

/// The median of `repeat` timed runs of `op`, and the requests of the last run.
fn time(
    counting: &CountingStore,
    repeat: usize,
    mut op: impl FnMut() -> Res<()>,
) -> Res<(f64, u64)> {
    let mut times = Vec::with_capacity(repeat);
    let mut requests = 0;
    for _ in 0..repeat.max(1) {
        counting.take();
        let started = Instant::now();
        op()?;
        times.push(started.elapsed().as_secs_f64());
        requests = counting.take().total();
    }
    times.sort_by(f64::total_cmp);
    Ok((times[times.len() / 2], requests))
}

/// Times both full reads at each delay: `(latency_ms, operation, median_s, requests)`.
fn reads(
    args: &Args,
    backend: &Arc<dyn ObjectStore>,
    prefix: &str,
    parallel: &ParallelOptions,
) -> Res<Vec<(u64, &'static str, f64, u64)>> {
    let mut timings = Vec::new();
    for &latency_ms in &args.latency_ms {
        let counting = CountingStore::new(delayed(backend, latency_ms));
        let store = counting.store(prefix);
        let check = |rows: usize| -> Res<()> {
            if rows == args.rows {
                Ok(())
            } else {
                Err(format!("read {rows} rows of {}", args.rows).into())
            }
        };
        let (median, requests) = time(&counting, args.repeat, || {
            let factory = DatasetFactory::new(store.clone(), "bench");
            check(read_table(&factory, &ReadOptions::default())?.num_rows())
        })?;
        timings.push((latency_ms, "read_full", median, requests));
        let (median, requests) = time(&counting, args.repeat, || {
            let factory = DatasetFactory::new(store.clone(), "bench");
            let table =
                plateau_io_parallel::read::read_table(&factory, &ReadOptions::default(), parallel)?;
            check(table.num_rows())
        })?;
        timings.push((latency_ms, "par2_read_full", median, requests));
    }
    Ok(timings)
}

fn main() -> Res<()> {
    let args = Args::parse();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos();
    let (backend, prefix): (Arc<dyn ObjectStore>, String) = match &args.store {
        None => (Arc::new(InMemory::new()), String::new()),
        Some(url) => {
            let store = Store::from_url(url)?;
            (store.object_store(), store.prefix().to_owned())
        }
    };
    let prefix = format!("{prefix}/compaction-{nanos}")
        .trim_start_matches('/')
        .to_owned();
    let direct = Store::new(Arc::clone(&backend), prefix.clone());
    let table = make_batches(args.rows, args.partitions, 1)?
        .pop()
        .ok_or("no table")?;
    let updates = args.updates.max(1);
    let store_options = StoreOptions::default()
        .partition_on(["part"])
        .secondary_indices(["idx_key"]);
    let started = Instant::now();
    store_dataframes_as_dataset(
        &direct,
        "bench",
        &[strided(&table, 0, updates)?],
        &store_options,
    )?;
    let factory = DatasetFactory::new(direct.clone(), "bench");
    for offset in 1..updates {
        let frame = strided(&table, offset, updates)?;
        update_dataset_from_dataframes(&factory, &[frame], &UpdateOptions::default())?;
    }
    let files_before = factory.metadata()?.partitions.len();
    println!(
        "plateau-rs compaction: {} rows, {} commits, {} files (built in {:.1} s), repeat {}, store {}",
        args.rows,
        updates,
        files_before,
        started.elapsed().as_secs_f64(),
        args.repeat,
        args.store.as_deref().unwrap_or("memory")
    );
    let parallel = ParallelOptions::with_threads(2)?;
    let before = reads(&args, &backend, &prefix, &parallel)?;

    let latency_ms = args.latency_ms.last().copied().unwrap_or(0);
    let counting = CountingStore::new(delayed(&backend, latency_ms));
    let factory = DatasetFactory::new(counting.store(&prefix), "bench");
    counting.take();
    let started = Instant::now();
    let report = compact_dataset(&factory, &CompactOptions::default())?;
    let compact_s = started.elapsed().as_secs_f64();
    let compact_requests = counting.take().total();
    let files_after = factory.metadata()?.partitions.len();
    println!(
        "compact at {latency_ms} ms: {compact_s:.3} s, {compact_requests} requests; {} files \
         merged into {}; files {files_before} -> {files_after}",
        report.removed, report.written
    );

    let after = reads(&args, &backend, &prefix, &parallel)?;
    println!(
        "{:>7} {:<15} {:>10} {:>9} {:>10} {:>9} {:>8}",
        "latency", "operation", "before s", "requests", "after s", "requests", "speed-up"
    );
    let mut results = Vec::new();
    for ((latency_ms, name, slow, slow_requests), (_, _, fast, fast_requests)) in
        before.into_iter().zip(after)
    {
        println!(
            "{latency_ms:>5}ms {name:<15} {slow:>10.3} {slow_requests:>9} {fast:>10.3} \
             {fast_requests:>9} {:>7.1}x",
            slow / fast
        );
        results.push(json!({
            "latency_ms": latency_ms,
            "operation": name,
            "before_s": slow,
            "before_requests": slow_requests,
            "after_s": fast,
            "after_requests": fast_requests,
            "speedup": slow / fast,
        }));
    }
    let summary = json!({
        "rows": args.rows,
        "commits": updates,
        "files_before": files_before,
        "files_after": files_after,
        "compact_s": compact_s,
        "compact_latency_ms": latency_ms,
        "compact_requests": compact_requests,
        "reads": results,
    });
    std::fs::write(&args.json, serde_json::to_string_pretty(&summary)?)?;
    Ok(())
}
