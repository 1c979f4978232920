//! End-to-end benchmark of plateau for Rust's eager API, with arrow-rs reading the same Parquet
//! files directly as the baseline, and the rayon front end (`plateau-io-parallel`) on the same
//! data.
//!
//! ```text
//! cargo run --release -p plateau-benches --bin e2e -- [--rows 2000000] [--repeat 3] [--json out.json]
//!     [--threads 1,2] [--no-parallel]
//! ```
//!
//! Data: `--rows` rows × 8 columns of mixed types, the same values `tools/interop/bench_python.py`
//! generates (both derive every value from splitmix64 of the row id), written as `--frames`
//! input batches:
//!
//! | column | type | values |
//! |---|---|---|
//! | `id` | int64 | 0..rows |
//! | `part` | int64 | `id * partitions / rows`: `--partitions` (100) contiguous blocks, the partition key |
//! | `idx_key` | int64 | `id * 1000 / rows`: 1000 values, each inside one partition, with a secondary index |
//! | `f0` | float64 | uniform in [-1000, 1000) |
//! | `s` | string | one of 10,000 strings of 11 to 17 bytes |
//! | `flag` | bool | random |
//! | `d` | date32 | 2020-01-01 + 0..3650 days |
//! | `ts` | timestamp[us] | 2020-01-01 + 0..10^13 µs |
//!
//! Operations, each timed `--repeat` times (median and min reported):
//!
//! * `write`: `store_dataframes_as_dataset(partition_on=[part], secondary_indices=[idx_key])`
//!   into an emptied store;
//! * `read_full`: `read_table`;
//! * `read_partition`: `read_table` with `part == partitions/2` (partition pruning);
//! * `read_index`: `read_table` with `idx_key == 505` (secondary-index pruning);
//! * `update`: `update_dataset_from_dataframes` with the rows of `part == 0` and the delete
//!   scope `part == 0` (replaces one partition);
//! * `arrow_read_full`: arrow-rs `ParquetRecordBatchReaderBuilder` over every data file of the
//!   dataset, batches concatenated: the floor for `read_full`;
//! * `arrow_read_partition`: the same over the files of `part == partitions/2` only;
//! * `arrow_filter_index`: every file read and filtered on `idx_key == 505`: what a reader
//!   without the index has to do.
//!
//! Then, for each thread count `T` of `--threads` (comma-separated, default `2`; skipped with
//! `--no-parallel`), the same operations through `plateau-io-parallel` on a pool of `T`
//! threads, built once per `T` so that pool start-up is not timed:
//!
//! * `par{T}_write`: `write::store_dataset`, same batches and options as `write`, into an
//!   emptied store. The reads that follow must see the dataset the eager reads saw, so the
//!   harness checks that it has as many files as the eager one and the same content (one
//!   `hash_dataset` hash per `part` value, independent of the random file labels);
//! * `par{T}_read_full`, `par{T}_read_partition`, `par{T}_read_index`: `read::read_table`
//!   with the options of the eager reads; each run must return the eager row count;
//! * `par{T}_update`: `write::update_dataset` with the eager update's batches and scope.
//!
//! Each operation starts from the dataset state its eager counterpart started from, and
//! timings include the same work (a fresh factory whose metadata is loaded before the reads).
//! The `par / eager` column is the ratio of medians (below 1: the parallel front end is
//! faster).
//!
//! Prints a table and writes the results as JSON (`--json`, default `e2e_results.json` in the
//! current directory); parallel results carry `threads`, `eager_op` and `vs_eager` (the ratio).

use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::Instant;

use arrow::array::{Int64Array, RecordBatch};
use arrow::compute::filter_record_batch;
use arrow::compute::kernels::cmp::eq;
use clap::Parser;
use plateau_benches::baseline::{read_files, RangeFilter};
use plateau_benches::data::{make_batches, INDEX_VALUE};
use plateau_core::{Predicates, Scalar, Store};
use plateau_io_eager::{
    read_table, store_dataframes_as_dataset, update_dataset_from_dataframes, ReadOptions,
    StoreOptions, UpdateOptions,
};
use plateau_io_parallel::hash::{hash_dataset, HashOptions};
use plateau_io_parallel::ParallelOptions;
use plateau_metadata::DatasetFactory;
use serde_json::json;

type Res<T> = Result<T, Box<dyn Error>>;

const UUID: &str = "bench";

/// Command line of the harness.
#[derive(Parser, Debug)]
#[command(about = "End-to-end benchmark of plateau's eager API against raw arrow-rs")]
struct Args {
    /// Number of rows.
    #[arg(long, default_value_t = 2_000_000)]
    rows: usize,
    /// Distinct values of the partition column.
    #[arg(long, default_value_t = 100)]
    partitions: i64,
    /// Input batches (plateau input frames); files = frames × partitions.
    #[arg(long, default_value_t = 1)]
    frames: usize,
    /// Timed runs of each operation.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Store directory (emptied first). Default: a temporary directory, removed at the end.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Where to write the results.
    #[arg(long, default_value = "e2e_results.json")]
    json: PathBuf,
    /// Thread counts of the plateau-io-parallel runs, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "2")]
    threads: Vec<usize>,
    /// Skip the plateau-io-parallel runs.
    #[arg(long, conflicts_with = "threads")]
    no_parallel: bool,
}

/// An operation: eager (or arrow-rs) when `threads` is `None`, else the parallel counterpart
/// of the eager `base` on `threads` threads.
#[derive(Clone, Copy)]
struct Op {
    base: &'static str,
    threads: Option<usize>,
}

impl Op {
    fn parallel(threads: usize, base: &'static str) -> Self {
        Self {
            base,
            threads: Some(threads),
        }
    }

    fn name(&self) -> String {
        match self.threads {
            None => self.base.to_owned(),
            Some(t) => format!("par{t}_{}", self.base),
        }
    }
}

impl From<&'static str> for Op {
    fn from(base: &'static str) -> Self {
        Self {
            base,
            threads: None,
        }
    }
}

/// Timing of one operation.
struct Timing {
    op: Op,
    description: String,
    times: Vec<f64>,
    rows: Option<usize>,
}

impl Timing {
    fn median(&self) -> f64 {
        let mut t = self.times.clone();
        t.sort_by(f64::total_cmp);
        t[t.len() / 2]
    }

    fn min(&self) -> f64 {
        self.times.iter().copied().fold(f64::INFINITY, f64::min)
    }

    /// Median of this parallel operation over the median of its eager counterpart.
    fn vs_eager(&self, results: &[Timing]) -> Option<f64> {
        self.op.threads?;
        let eager = results
            .iter()
            .find(|t| t.op.threads.is_none() && t.op.base == self.op.base)?;
        Some(self.median() / eager.median())
    }
}

/// The row count the eager `op` returned, which its parallel counterparts must match.
fn eager_rows(results: &[Timing], op: &str) -> Res<usize> {
    results
        .iter()
        .find(|t| t.op.threads.is_none() && t.op.base == op)
        .and_then(|t| t.rows)
        .ok_or_else(|| format!("no row count recorded for `{op}`").into())
}

/// `rows` as the timed result, or an error when it differs from the eager `expected`.
fn check_rows(op: Op, rows: usize, expected: usize) -> Res<Option<usize>> {
    if rows == expected {
        Ok(Some(rows))
    } else {
        Err(format!(
            "{} returned {rows} rows, the eager read {expected}",
            op.name()
        )
        .into())
    }
}

/// A content hash per `part` value: equal for datasets with the same rows, whatever their file
/// labels and row order. A factory of its own keeps the benchmarked factories' caches as the
/// timed operations left them.
fn content_hash(dir: &Path, parallel: &ParallelOptions) -> Res<RecordBatch> {
    let factory = DatasetFactory::new(Store::local(dir)?, UUID);
    let options = HashOptions::default().group_key(["part"]);
    Ok(hash_dataset(&factory, &options, parallel)?)
}

/// Runs `setup` (untimed) then `f` (timed) `repeat` times; `f` returns the rows it produced.
fn time<S, F>(
    results: &mut Vec<Timing>,
    repeat: usize,
    op: impl Into<Op>,
    description: impl Into<String>,
    mut setup: S,
    mut f: F,
) -> Res<()>
where
    S: FnMut() -> Res<()>,
    F: FnMut() -> Res<Option<usize>>,
{
    let mut timing = Timing {
        op: op.into(),
        description: description.into(),
        times: Vec::new(),
        rows: None,
    };
    for _ in 0..repeat.max(1) {
        setup()?;
        let start = Instant::now();
        timing.rows = f()?;
        timing.times.push(start.elapsed().as_secs_f64());
    }
    println!(
        "  {:<22} median {:>9.4}s  min {:>9.4}s  rows {:>9}  {}",
        timing.op.name(),
        timing.median(),
        timing.min(),
        timing.rows.map_or(String::new(), |r| r.to_string()),
        timing.description
    );
    results.push(timing);
    Ok(())
}

/// Reads `files` with arrow-rs, keeping only `idx_key == INDEX_VALUE` when `filter_index`.
fn arrow_read(files: &[PathBuf], filter_index: bool) -> Res<usize> {
    let filter = RangeFilter {
        column: "idx_key".to_owned(),
        min: INDEX_VALUE,
        max: INDEX_VALUE,
    };
    Ok(read_files(files, filter_index.then_some(&filter))?.num_rows())
}

fn clear_dir(dir: &Path) -> Res<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    Ok(())
}

fn main() -> Res<()> {
    let args = Args::parse();
    if args.rows == 0 || args.partitions <= 0 || args.frames == 0 {
        return Err("--rows, --partitions and --frames must be positive".into());
    }
    let thread_counts: &[usize] = if args.no_parallel { &[] } else { &args.threads };
    if thread_counts.contains(&0) {
        return Err("--threads must be positive".into());
    }
    // Duplicates would give two results the same op name.
    if (1..thread_counts.len()).any(|i| thread_counts[..i].contains(&thread_counts[i])) {
        return Err("--threads lists a thread count twice".into());
    }
    let tempdir;
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => {
            tempdir = tempfile::tempdir()?;
            tempdir.path().join("store")
        }
    };
    clear_dir(&dir)?;

    let started = Instant::now();
    let batches = make_batches(args.rows, args.partitions, args.frames)?;
    let generate_s = started.elapsed().as_secs_f64();
    let part_value = args.partitions / 2;
    println!(
        "plateau-rs e2e: {} rows x 8 columns, {} partitions, {} frame(s), repeat {}, store {}",
        args.rows,
        args.partitions,
        args.frames,
        args.repeat,
        dir.display()
    );

    let mut results = Vec::new();
    let store_options = StoreOptions::default()
        .partition_on(["part"])
        .secondary_indices(["idx_key"]);
    let store = Store::local(&dir)?;
    time(
        &mut results,
        args.repeat,
        "write",
        "store_dataframes_as_dataset(partition_on=[part], secondary_indices=[idx_key])",
        || clear_dir(&dir),
        || {
            store_dataframes_as_dataset(&store, UUID, &batches, &store_options)?;
            Ok(None)
        },
    )?;

    // The files of the freshly written dataset, for the arrow-rs baseline.
    let factory = DatasetFactory::new(Store::local(&dir)?, UUID);
    let metadata = factory.metadata()?;
    let all_files: Vec<PathBuf> = metadata
        .partitions
        .values()
        .map(|p| dir.join(&p.file))
        .collect();
    let part_label = format!("part={part_value}/");
    let part_files: Vec<PathBuf> = metadata
        .partitions
        .iter()
        .filter(|(label, _)| label.starts_with(&part_label))
        .map(|(_, p)| dir.join(&p.file))
        .collect();
    let bytes: u64 = all_files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()))
        .sum::<Result<u64, _>>()?;
    // The parallel writes replace this dataset; its content is what they must reproduce.
    let eager_hash = if thread_counts.is_empty() {
        None
    } else {
        Some(content_hash(&dir, &ParallelOptions::new())?)
    };

    let full = ReadOptions::default();
    let by_part =
        ReadOptions::default().predicates(Predicates::parse(&format!("part == {part_value}"))?);
    let by_index =
        ReadOptions::default().predicates(Predicates::parse(&format!("idx_key == {INDEX_VALUE}"))?);
    let none = || -> Res<()> { Ok(()) };
    time(
        &mut results,
        args.repeat,
        "read_full",
        "read_table",
        none,
        || Ok(Some(read_table(&factory, &full)?.num_rows())),
    )?;
    time(
        &mut results,
        args.repeat,
        "read_partition",
        format!("read_table part == {part_value} (partition pruning)"),
        none,
        || Ok(Some(read_table(&factory, &by_part)?.num_rows())),
    )?;
    time(
        &mut results,
        args.repeat,
        "read_index",
        format!("read_table idx_key == {INDEX_VALUE} (secondary index)"),
        none,
        || Ok(Some(read_table(&factory, &by_index)?.num_rows())),
    )?;
    time(
        &mut results,
        args.repeat,
        "arrow_read_full",
        format!(
            "arrow-rs ParquetRecordBatchReader over all {} files, concatenated",
            all_files.len()
        ),
        none,
        || Ok(Some(arrow_read(&all_files, false)?)),
    )?;
    time(
        &mut results,
        args.repeat,
        "arrow_read_partition",
        format!(
            "arrow-rs over the {} file(s) of part == {part_value}",
            part_files.len()
        ),
        none,
        || Ok(Some(arrow_read(&part_files, false)?)),
    )?;
    time(
        &mut results,
        args.repeat,
        "arrow_filter_index",
        format!("arrow-rs over all files, filtered on idx_key == {INDEX_VALUE}"),
        none,
        || Ok(Some(arrow_read(&all_files, true)?)),
    )?;

    // update: replace partition 0 with its own rows
    let replacement: Vec<RecordBatch> = batches
        .iter()
        .map(|b| {
            let part = b.column_by_name("part").ok_or("no part column")?;
            Ok(filter_record_batch(
                b,
                &eq(part, &Int64Array::new_scalar(0))?,
            )?)
        })
        .collect::<Res<Vec<_>>>()?;
    let replaced: usize = replacement.iter().map(RecordBatch::num_rows).sum();
    let update_options =
        UpdateOptions::default().delete_scope(vec![vec![("part".to_owned(), Scalar::Int(0))]]);
    time(
        &mut results,
        args.repeat,
        "update",
        format!("update_dataset_from_dataframes(delete_scope part == 0, {replaced} rows)"),
        none,
        || {
            update_dataset_from_dataframes(&factory, &replacement, &update_options)?;
            Ok(None)
        },
    )?;
    let rows_after = read_table(&factory, &full)?.num_rows();
    if rows_after != args.rows {
        return Err(format!(
            "{rows_after} rows after the updates, expected {}",
            args.rows
        )
        .into());
    }

    let full_rows = eager_rows(&results, "read_full")?;
    let part_rows = eager_rows(&results, "read_partition")?;
    let index_rows = eager_rows(&results, "read_index")?;
    for &threads in thread_counts {
        let parallel = ParallelOptions::with_threads(threads)?;
        let op = |base| Op::parallel(threads, base);
        time(
            &mut results,
            args.repeat,
            op("write"),
            format!("plateau_io_parallel::write::store_dataset, {threads} thread(s)"),
            || clear_dir(&dir),
            || {
                plateau_io_parallel::write::store_dataset(
                    &store,
                    UUID,
                    &batches,
                    &store_options,
                    &parallel,
                )?;
                Ok(None)
            },
        )?;
        // As for the eager reads: a fresh factory whose metadata is loaded before timing.
        let factory = DatasetFactory::new(Store::local(&dir)?, UUID);
        let files = factory.metadata()?.partitions.len();
        if files != all_files.len() {
            return Err(format!(
                "{} wrote {files} files, the eager write {}",
                op("write").name(),
                all_files.len()
            )
            .into());
        }
        if let Some(expected) = &eager_hash {
            if content_hash(&dir, &parallel)? != *expected {
                return Err(format!(
                    "{} wrote other rows than the eager write",
                    op("write").name()
                )
                .into());
            }
        }
        let read = |options: &ReadOptions| -> Res<usize> {
            Ok(plateau_io_parallel::read::read_table(&factory, options, &parallel)?.num_rows())
        };
        time(
            &mut results,
            args.repeat,
            op("read_full"),
            format!("plateau_io_parallel::read::read_table, {threads} thread(s)"),
            none,
            || check_rows(op("read_full"), read(&full)?, full_rows),
        )?;
        time(
            &mut results,
            args.repeat,
            op("read_partition"),
            format!("parallel read_table part == {part_value}, {threads} thread(s)"),
            none,
            || check_rows(op("read_partition"), read(&by_part)?, part_rows),
        )?;
        time(
            &mut results,
            args.repeat,
            op("read_index"),
            format!("parallel read_table idx_key == {INDEX_VALUE}, {threads} thread(s)"),
            none,
            || check_rows(op("read_index"), read(&by_index)?, index_rows),
        )?;
        time(
            &mut results,
            args.repeat,
            op("update"),
            format!("parallel update_dataset(delete_scope part == 0, {replaced} rows), {threads} thread(s)"),
            none,
            || {
                plateau_io_parallel::write::update_dataset(
                    &factory,
                    &replacement,
                    &update_options,
                    &parallel,
                )?;
                Ok(None)
            },
        )?;
        let rows_after = read(&full)?;
        if rows_after != args.rows {
            return Err(format!(
                "{rows_after} rows after the {} runs, expected {}",
                op("update").name(),
                args.rows
            )
            .into());
        }
    }

    let total_s = started.elapsed().as_secs_f64();
    println!();
    println!("| op | operation | median s | min s | rows | par / eager |");
    println!("|---|---|---:|---:|---:|---:|");
    for t in &results {
        println!(
            "| {} | {} | {:.4} | {:.4} | {} | {} |",
            t.op.name(),
            t.description,
            t.median(),
            t.min(),
            t.rows.map_or(String::new(), |r| r.to_string()),
            t.vs_eager(&results)
                .map_or(String::new(), |r| format!("{r:.2}"))
        );
    }
    println!(
        "\n{} rows, {} data files, {:.1} MB; total {:.1}s",
        args.rows,
        all_files.len(),
        bytes as f64 / 1e6,
        total_s
    );

    let doc = json!({
        "engine": "plateau-rs",
        "params": {
            "rows": args.rows, "partitions": args.partitions, "frames": args.frames,
            "repeat": args.repeat, "files": all_files.len(), "dataset_bytes": bytes,
            "generate_s": generate_s, "threads": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            "parallel_threads": thread_counts,
        },
        "results": results.iter().map(|t| {
            let mut result = json!({
                "op": t.op.name(), "description": t.description, "median_s": t.median(),
                "min_s": t.min(), "times_s": t.times, "rows": t.rows,
            });
            if let (Some(threads), Some(object)) = (t.op.threads, result.as_object_mut()) {
                object.insert("threads".into(), threads.into());
                object.insert("eager_op".into(), t.op.base.into());
                object.insert("vs_eager".into(), t.vs_eager(&results).into());
            }
            result
        }).collect::<Vec<_>>(),
        "total_s": total_s,
    });
    std::fs::write(&args.json, serde_json::to_string_pretty(&doc)? + "\n")?;
    println!("results in {}", args.json.display());
    Ok(())
}
