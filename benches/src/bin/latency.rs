//! Latency benchmark: plateau's operations on an object store that takes a fixed time per
//! request.
//!
//! ```text
//! cargo run --release -p plateau-benches --bin latency -- [--rows 2000000] [--partitions 100]
//!     [--frames 4] [--latency-ms 0,5,20] [--repeat 3] [--store URL] [--json out.json]
//! ```
//!
//! The e2e table (`--rows` rows, `--partitions` partitions × `--frames` input batches = 400
//! files by default) is written once without delay into `--store` (default: an in-memory
//! store; e.g. `s3://bucket` with the environment of `tools/servers/start.sh` for moto), then
//! for each latency `L` of `--latency-ms` every request goes through object_store's
//! `ThrottledStore` (sleeping `L` per GET, PUT, LIST and DELETE call) and a request counter,
//! and each operation is timed `--repeat` times:
//!
//! * `write`: `store_dataframes_as_dataset(partition_on=[part], secondary_indices=[idx_key])`
//!   to a fresh uuid;
//! * `read_full`: the eager `read_table`; `par2_read_full`: plateau-io-parallel's
//!   `read_table` on 2 threads (what the CLI's `read` runs by default);
//! * `read_partition`: `read_table` with `part == partitions/2`;
//! * `read_index`: `read_table` with `idx_key == 505`;
//! * `update`: `update_dataset_from_dataframes` replacing `part == 0` of the dataset `write`
//!   made.
//!
//! Each line reports the median and min, the requests of one run, and the ideal time
//! `requests × L ÷ in flight` (32 files in flight for reads, the scan's default; 16 uploads
//! for writes and updates). Only the
//! blocking front-end APIs are used, so the same source measures an older build of the
//! library (`tools/bench/compare.sh latency` does that, side by side).

use std::error::Error;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{Int64Array, RecordBatch};
use arrow::compute::filter_record_batch;
use arrow::compute::kernels::cmp::eq;
use clap::Parser;
use object_store::memory::InMemory;
use object_store::throttle::{ThrottleConfig, ThrottledStore};
use object_store::ObjectStore;
use plateau_benches::data::{make_batches, INDEX_VALUE};
use plateau_core::{Predicates, Scalar, Store};
use plateau_io_eager::{
    read_table, store_dataframes_as_dataset, update_dataset_from_dataframes, ReadOptions,
    StoreOptions, UpdateOptions,
};
use plateau_io_parallel::ParallelOptions;
use plateau_metadata::DatasetFactory;
use plateau_testing::CountingStore;
use serde_json::json;

type Res<T> = Result<T, Box<dyn Error>>;

/// The in-flight limits the ideal time assumes: `ScanOptions::files_in_flight` for reads,
/// `write::UPLOADS_IN_FLIGHT` for writes and updates.
const READ_IN_FLIGHT: u32 = 32;
const WRITE_IN_FLIGHT: u32 = 16;

#[derive(Parser, Debug)]
#[command(about = "plateau's operations against a store with a fixed delay per request")]
struct Args {
    /// Number of rows.
    #[arg(long, default_value_t = 2_000_000)]
    rows: usize,
    /// Distinct values of the partition column.
    #[arg(long, default_value_t = 100)]
    partitions: i64,
    /// Input batches; files = frames × partitions.
    #[arg(long, default_value_t = 4)]
    frames: usize,
    /// Delays per request in milliseconds, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "0,5,20")]
    latency_ms: Vec<u64>,
    /// Timed runs of each operation.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// The store (a fresh prefix is used under it); default in memory.
    #[arg(long)]
    store: Option<String>,
    /// A label for this build in the output (e.g. a commit).
    #[arg(long, default_value = "current")]
    label: String,
    /// Where to write the results.
    #[arg(long, default_value = "latency_results.json")]
    json: std::path::PathBuf,
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

/// One timed operation's result.
struct Timing {
    median: f64,
    min: f64,
    requests: u64,
}

/// Runs `op` `repeat` times (after `setup` each time), counting the requests of the last run.
fn time(
    counting: &CountingStore,
    repeat: usize,
    mut setup: impl FnMut(usize) -> Res<()>,
    mut op: impl FnMut(usize) -> Res<()>,
) -> Res<Timing> {
    let mut times = Vec::with_capacity(repeat);
    let mut requests = 0;
    for run in 0..repeat.max(1) {
        setup(run)?;
        counting.take();
        let started = Instant::now();
        op(run)?;
        times.push(started.elapsed().as_secs_f64());
        requests = counting.take().total();
    }
    times.sort_by(f64::total_cmp);
    Ok(Timing {
        median: times[times.len() / 2],
        min: times[0],
        requests,
    })
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
    let prefix = format!("{prefix}/latency-{nanos}")
        .trim_start_matches('/')
        .to_owned();
    let batches = make_batches(args.rows, args.partitions, args.frames)?;
    let store_options = StoreOptions::default()
        .partition_on(["part"])
        .secondary_indices(["idx_key"]);
    let direct = Store::new(Arc::clone(&backend), prefix.clone());
    store_dataframes_as_dataset(&direct, "bench", &batches, &store_options)?;
    let files = DatasetFactory::new(direct.clone(), "bench")
        .metadata()?
        .partitions
        .len();
    println!(
        "plateau-rs latency ({}): {} rows, {} files, repeat {}, store {}",
        args.label,
        args.rows,
        files,
        args.repeat,
        args.store.as_deref().unwrap_or("memory")
    );

    let full = ReadOptions::default();
    let partition = ReadOptions::default().predicates(Predicates::parse(&format!(
        "part == {}",
        args.partitions / 2
    ))?);
    let index =
        ReadOptions::default().predicates(Predicates::parse(&format!("idx_key == {INDEX_VALUE}"))?);
    let replacement = vec![first_partition(&batches)?];
    let update_options =
        UpdateOptions::default().delete_scope(vec![vec![("part".to_owned(), Scalar::Int(0))]]);
    let parallel = ParallelOptions::with_threads(2)?;

    println!(
        "{:>7} {:<16} {:>9} {:>9} {:>9} {:>9}",
        "latency", "operation", "median s", "min s", "requests", "ideal s"
    );
    let mut results = Vec::new();
    for &latency_ms in &args.latency_ms {
        let latency = Duration::from_millis(latency_ms);
        let counting = CountingStore::new(Arc::new(ThrottledStore::new(
            Arc::clone(&backend),
            config(latency),
        )));
        let store = counting.store(&prefix);
        let written = |run: usize| format!("w{latency_ms}x{run}");
        let mut report = |name: &str, timing: Timing| {
            let in_flight = if name.contains("read") {
                READ_IN_FLIGHT
            } else {
                WRITE_IN_FLIGHT
            };
            let ideal = latency.as_secs_f64() * timing.requests as f64 / f64::from(in_flight);
            println!(
                "{:>5}ms {:<16} {:>9.3} {:>9.3} {:>9} {:>9.3}",
                latency_ms, name, timing.median, timing.min, timing.requests, ideal
            );
            results.push(json!({
                "label": args.label,
                "latency_ms": latency_ms,
                "operation": name,
                "median_s": timing.median,
                "min_s": timing.min,
                "requests": timing.requests,
                "ideal_s": ideal,
            }));
        };
        let timing = time(
            &counting,
            args.repeat,
            |_| Ok(()),
            |run| {
                store_dataframes_as_dataset(&store, &written(run), &batches, &store_options)?;
                Ok(())
            },
        )?;
        report("write", timing);
        for (name, options) in [
            ("read_full", &full),
            ("read_partition", &partition),
            ("read_index", &index),
        ] {
            let timing = time(
                &counting,
                args.repeat,
                |_| Ok(()),
                |_| {
                    let factory = DatasetFactory::new(store.clone(), "bench");
                    let rows = read_table(&factory, options)?.num_rows();
                    if rows == 0 {
                        return Err("a read returned no rows".into());
                    }
                    Ok(())
                },
            )?;
            report(name, timing);
        }
        let timing = time(
            &counting,
            args.repeat,
            |_| Ok(()),
            |_| {
                let factory = DatasetFactory::new(store.clone(), "bench");
                let rows =
                    plateau_io_parallel::read::read_table(&factory, &full, &parallel)?.num_rows();
                if rows != args.rows {
                    return Err(format!("read {rows} rows of {}", args.rows).into());
                }
                Ok(())
            },
        )?;
        report("par2_read_full", timing);
        let timing = time(
            &counting,
            args.repeat,
            |_| Ok(()),
            |run| {
                let factory = DatasetFactory::new(store.clone(), written(run));
                update_dataset_from_dataframes(&factory, &replacement, &update_options)?;
                Ok(())
            },
        )?;
        report("update", timing);
    }
    std::fs::write(&args.json, serde_json::to_string_pretty(&results)?)?;
    Ok(())
}

/// The rows of `part == 0` (the update's replacement).
fn first_partition(batches: &[RecordBatch]) -> Res<RecordBatch> {
    let batch = &batches[0];
    let part = batch
        .column_by_name("part")
        .ok_or("no part column")?
        .as_any()
        .downcast_ref::<Int64Array>()
        .ok_or("part is not int64")?;
    let mask = eq(part, &Int64Array::new_scalar(0))?;
    Ok(filter_record_batch(batch, &mask)?)
}
