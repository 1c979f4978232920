//! plateau for Rust's side of the peer harness (`tools/bench/peers.py`): a long-lived process
//! that runs one timed operation per command, so the Python driver can alternate it with
//! Python plateau, polars, DuckDB and pyarrow inside one run while every engine stays warm.
//!
//! ```text
//! cargo build --release -p plateau-benches --bin peers
//! target/release/peers --input frame0.parquet,frame1.parquet [--threads 2]
//! ```
//!
//! `--input` names the Parquet files of the input frames (one frame per file, as `plateau
//! write` takes them), loaded once at start. Then each line on stdin is a JSON command and
//! each answer one JSON line on stdout:
//!
//! | `op` | fields | what is timed |
//! |---|---|---|
//! | `read` | `api`, `store`, `dataset`, `where` (plateau predicate or null) | `read_table` with a fresh factory (metadata, indices, data) |
//! | `arrow_read` | `files`, `filter` (null or `{column, min, max}`, inclusive) | arrow-rs `ParquetRecordBatchReader` over `files`, filtered, concatenated |
//! | `write` | `api`, `store`, `dataset` | `store_dataset(partition_on=[part], secondary_indices=[idx_key])` of the input frames; the dataset's files are removed first, untimed |
//! | `update` | `api`, `store`, `dataset` | `update_dataset` with the input rows of `part == 0` and the delete scope `part == 0` |
//! | `build_index` | `api`, `store`, `dataset`, `column` | `build_indices([column])` |
//! | `load` | `api`, `store`, `dataset` | a fresh factory's metadata load (no indices) |
//!
//! `api` is `eager` (plateau-io-eager), `parallel` (plateau-io-parallel on a pool of
//! `--threads` threads, built once) or `async` (plateau-io's async functions on a tokio
//! runtime with `--threads` workers). There is no async `build_indices`.
//!
//! Answer: `{"seconds", "rows", "result_bytes", "peak_bytes"}` or `{"error"}`. `rows` and
//! `result_bytes` (arrow memory of the result) are set for reads. `peak_bytes` is the peak
//! resident set during the operation above the resident set before it: the kernel's
//! high-water mark is reset before each operation (`/proc/self/clear_refs`), so it is `null`
//! where that file is not writable.

use std::error::Error;
use std::fs::File;
use std::io::{BufRead, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{Int64Array, RecordBatch, RecordBatchReader as _};
use arrow::compute::kernels::cmp::eq;
use arrow::compute::{concat_batches, filter_record_batch};
use clap::Parser;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use plateau_benches::baseline::{read_files, RangeFilter};
use plateau_core::{Predicates, Scalar, Store};
use plateau_io::options::{StoreOptions, UpdateOptions};
use plateau_io::read::ReadOptions;
use plateau_io::scan::{execute, plan_scan_async, ScanOptions};
use plateau_io_parallel::ParallelOptions;
use plateau_metadata::{DatasetFactory, DatasetMetadata};
use serde_json::{json, Value};

type Res<T> = Result<T, Box<dyn Error>>;

/// Command line of the peer server.
#[derive(Parser, Debug)]
#[command(about = "plateau-rs side of tools/bench/peers.py: timed operations from stdin")]
struct Args {
    /// Parquet files of the input frames, comma separated.
    #[arg(long, value_delimiter = ',', required = true)]
    input: Vec<PathBuf>,
    /// Threads of the parallel pool and of the async runtime.
    #[arg(long, default_value_t = 2)]
    threads: usize,
}

/// What the operations share: the input, the pool and the runtime.
struct Engines {
    frames: Vec<RecordBatch>,
    replacement: Vec<RecordBatch>,
    parallel: ParallelOptions,
    runtime: tokio::runtime::Runtime,
}

/// The outcome of one operation.
#[derive(Default)]
struct Outcome {
    rows: Option<usize>,
    result_bytes: Option<usize>,
    /// The result itself, dropped after the clock stops: the Python engines' results are
    /// freed after their timing too (`timed_python`).
    result: Option<Box<dyn std::any::Any>>,
}

impl Outcome {
    fn table(batch: RecordBatch) -> Self {
        Self {
            rows: Some(batch.num_rows()),
            result_bytes: Some(batch.get_array_memory_size()),
            result: Some(Box::new(batch)),
        }
    }

    fn metadata(metadata: Arc<DatasetMetadata>) -> Self {
        Self {
            rows: Some(metadata.partitions.len()),
            result_bytes: None,
            result: Some(Box::new(metadata)),
        }
    }
}

fn field<'a>(command: &'a Value, name: &str) -> Res<&'a str> {
    command
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("command lacks the string field `{name}`").into())
}

fn factory(command: &Value) -> Res<DatasetFactory> {
    let store = Store::local(field(command, "store")?)?;
    Ok(DatasetFactory::new(store, field(command, "dataset")?))
}

fn read_options(command: &Value) -> Res<ReadOptions> {
    Ok(match command.get("where").and_then(Value::as_str) {
        Some(expr) => ReadOptions::default().predicates(Predicates::parse(expr)?),
        None => ReadOptions::default(),
    })
}

fn store_options() -> StoreOptions {
    StoreOptions::default()
        .partition_on(["part"])
        .secondary_indices(["idx_key"])
}

fn update_options() -> UpdateOptions {
    UpdateOptions::default().delete_scope(vec![vec![("part".to_owned(), Scalar::Int(0))]])
}

/// Reads a Parquet file into one batch.
fn read_parquet(path: &Path) -> Res<RecordBatch> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path)?)?.build()?;
    let schema = reader.schema();
    let batches = reader.collect::<Result<Vec<_>, _>>()?;
    Ok(concat_batches(&schema, &batches)?)
}

/// arrow-rs over `files`, optionally keeping `min <= column <= max`: the floor for a reader
/// of the same files without plateau's metadata.
fn arrow_read(command: &Value) -> Res<Outcome> {
    let files: Vec<&str> = command
        .get("files")
        .and_then(Value::as_array)
        .ok_or("command lacks `files`")?
        .iter()
        .map(|f| f.as_str().ok_or("`files` holds a non-string"))
        .collect::<Result<_, _>>()?;
    let filter = match command.get("filter") {
        Some(Value::Object(filter)) => {
            let bound = |name: &str| {
                filter
                    .get(name)
                    .and_then(Value::as_i64)
                    .ok_or(format!("filter lacks the integer `{name}`"))
            };
            let column = filter
                .get("column")
                .and_then(Value::as_str)
                .ok_or("filter lacks `column`")?;
            Some(RangeFilter {
                column: column.to_owned(),
                min: bound("min")?,
                max: bound("max")?,
            })
        }
        _ => None,
    };
    Ok(Outcome::table(read_files(&files, filter.as_ref())?))
}

/// The untimed setup of a command: a `write` starts from a store without the dataset.
fn prepare(command: &Value) -> Res<()> {
    if command.get("op").and_then(Value::as_str) != Some("write") {
        return Ok(());
    }
    let store = Path::new(field(command, "store")?);
    let uuid = field(command, "dataset")?;
    let dir = store.join(uuid);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    let metadata_file = store.join(format!("{uuid}.by-dataset-metadata.json"));
    if metadata_file.exists() {
        std::fs::remove_file(&metadata_file)?;
    }
    Ok(())
}

impl Engines {
    fn run(&self, command: &Value) -> Res<Outcome> {
        let op = field(command, "op")?;
        if op == "arrow_read" {
            return arrow_read(command);
        }
        let api = field(command, "api")?;
        let factory = factory(command)?;
        match (op, api) {
            ("read", "eager") => Ok(Outcome::table(plateau_io_eager::read_table(
                &factory,
                &read_options(command)?,
            )?)),
            ("read", "parallel") => Ok(Outcome::table(plateau_io_parallel::read::read_table(
                &factory,
                &read_options(command)?,
                &self.parallel,
            )?)),
            ("read", "async") => {
                let options = read_options(command)?;
                let table = self.runtime.block_on(async {
                    use futures::TryStreamExt as _;
                    let plan = Arc::new(plan_scan_async(&factory, &options).await?);
                    let batches: Vec<RecordBatch> =
                        execute(factory.store(), Arc::clone(&plan), &ScanOptions::default())
                            .try_collect()
                            .await?;
                    plateau_io::read::concat_table(&plan, &batches)
                })?;
                Ok(Outcome::table(table))
            }
            ("write", api) => {
                let store = factory.store();
                let options = store_options();
                match api {
                    "eager" => {
                        plateau_io_eager::store_dataframes_as_dataset(
                            store,
                            factory.uuid(),
                            &self.frames,
                            &options,
                        )?;
                    }
                    "parallel" => {
                        plateau_io_parallel::write::store_dataset(
                            store,
                            factory.uuid(),
                            &self.frames,
                            &options,
                            &self.parallel,
                        )?;
                    }
                    "async" => {
                        self.runtime
                            .block_on(plateau_io::write::store_dataset_async(
                                store,
                                factory.uuid(),
                                &self.frames,
                                &options,
                            ))?;
                    }
                    other => return Err(format!("unknown api `{other}`").into()),
                }
                Ok(Outcome::default())
            }
            ("update", api) => {
                let options = update_options();
                match api {
                    "eager" => {
                        plateau_io_eager::update_dataset_from_dataframes(
                            &factory,
                            &self.replacement,
                            &options,
                        )?;
                    }
                    "parallel" => {
                        plateau_io_parallel::write::update_dataset(
                            &factory,
                            &self.replacement,
                            &options,
                            &self.parallel,
                        )?;
                    }
                    "async" => {
                        self.runtime
                            .block_on(plateau_io::update::update_dataset_async(
                                &factory,
                                &self.replacement,
                                &options,
                            ))?;
                    }
                    other => return Err(format!("unknown api `{other}`").into()),
                }
                Ok(Outcome::default())
            }
            ("build_index", api) => {
                let columns = [field(command, "column")?.to_owned()];
                match api {
                    "eager" => {
                        plateau_io_eager::build_dataset_indices(&factory, &columns)?;
                    }
                    "parallel" => {
                        plateau_io_parallel::maintenance::build_indices(
                            &factory,
                            &columns,
                            &self.parallel,
                        )?;
                    }
                    other => return Err(format!("no build_index in api `{other}`").into()),
                }
                Ok(Outcome::default())
            }
            ("load", "eager" | "parallel") => Ok(Outcome::metadata(factory.metadata()?)),
            ("load", "async") => Ok(Outcome::metadata(
                self.runtime.block_on(factory.metadata_async())?,
            )),
            (op, api) => Err(format!("unknown operation `{op}` for api `{api}`").into()),
        }
    }
}

/// A `/proc/self/status` field in bytes.
fn status_bytes(name: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(name))?;
    let kib: u64 = line[name.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// Resets the resident-set high-water mark; the resident set afterwards, if it worked.
fn reset_peak() -> Option<u64> {
    std::fs::write("/proc/self/clear_refs", "5").ok()?;
    status_bytes("VmRSS:")
}

fn answer(engines: &Engines, line: &str) -> Value {
    let command: Value = match serde_json::from_str(line) {
        Ok(command) => command,
        Err(e) => return json!({ "error": format!("bad command: {e}") }),
    };
    if let Err(e) = prepare(&command) {
        return json!({ "error": e.to_string() });
    }
    let before = reset_peak();
    let start = Instant::now();
    let outcome = engines.run(&command);
    let seconds = start.elapsed().as_secs_f64();
    let peak = before.and_then(|before| Some(status_bytes("VmHWM:")?.saturating_sub(before)));
    match outcome {
        Ok(outcome) => {
            let answer = json!({
                "seconds": seconds, "rows": outcome.rows,
                "result_bytes": outcome.result_bytes, "peak_bytes": peak,
            });
            // Freed untimed, as the Python engines' results are.
            drop(outcome.result);
            answer
        }
        Err(e) => json!({ "error": e.to_string() }),
    }
}

fn main() -> Res<()> {
    let args = Args::parse();
    if args.threads == 0 {
        return Err("--threads must be positive".into());
    }
    let frames = args
        .input
        .iter()
        .map(|path| read_parquet(path))
        .collect::<Res<Vec<_>>>()?;
    let replacement = frames
        .iter()
        .map(|frame| {
            let part = frame.column_by_name("part").ok_or("no `part` column")?;
            Ok(filter_record_batch(
                frame,
                &eq(part, &Int64Array::new_scalar(0))?,
            )?)
        })
        .collect::<Res<Vec<_>>>()?;
    let engines = Engines {
        frames,
        replacement,
        parallel: ParallelOptions::with_threads(args.threads)?,
        runtime: tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()?,
    };
    let stdout = std::io::stdout();
    println!("{}", json!({ "ready": true }));
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let reply = answer(&engines, &line);
        let mut out = stdout.lock();
        writeln!(out, "{reply}")?;
        out.flush()?;
    }
    Ok(())
}
