//! End-to-end benchmark of plateau for Rust's eager API, with arrow-rs reading the same Parquet
//! files directly as the baseline.
//!
//! ```text
//! cargo run --release -p plateau-benches --bin e2e -- [--rows 2000000] [--repeat 3] [--json out.json]
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
//! Prints a table and writes the results as JSON (`--json`, default `e2e_results.json` in the
//! current directory).

use std::error::Error;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow::compute::kernels::cmp::eq;
use arrow::compute::{concat_batches, filter_record_batch};
use clap::Parser;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use plateau_core::{Predicates, Scalar, Store};
use plateau_io_eager::{
    read_table, store_dataframes_as_dataset, update_dataset_from_dataframes, ReadOptions,
    StoreOptions, UpdateOptions,
};
use plateau_metadata::DatasetFactory;
use serde_json::json;

type Res<T> = Result<T, Box<dyn Error>>;

const UUID: &str = "bench";
const INDEX_CARDINALITY: i64 = 1000;
const INDEX_VALUE: i64 = 505;
const STRING_POOL: usize = 10_000;

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
}

/// splitmix64: the per-row pseudo-random source both harnesses share.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Rows `lo..hi` of the benchmark table (see the module documentation).
fn make_batch(
    lo: usize,
    hi: usize,
    rows: usize,
    partitions: i64,
    pool: &[String],
) -> Res<RecordBatch> {
    let n = i64::try_from(rows)?;
    let ids: Vec<i64> = (i64::try_from(lo)?..i64::try_from(hi)?).collect();
    let hashes: Vec<u64> = ids.iter().map(|&id| splitmix64(id as u64)).collect();
    // i128: `id * partitions` must not overflow for any --rows
    let scaled = |id: i64, k: i64| (i128::from(id) * i128::from(k) / i128::from(n)) as i64;
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("id", Arc::new(Int64Array::from(ids.clone()))),
        (
            "part",
            Arc::new(Int64Array::from_iter_values(
                ids.iter().map(|&id| scaled(id, partitions)),
            )),
        ),
        (
            "idx_key",
            Arc::new(Int64Array::from_iter_values(
                ids.iter().map(|&id| scaled(id, INDEX_CARDINALITY)),
            )),
        ),
        (
            "f0",
            Arc::new(Float64Array::from_iter_values(hashes.iter().map(|&h| {
                (h >> 11) as f64 / (1u64 << 53) as f64 * 2000.0 - 1000.0
            }))),
        ),
        (
            "s",
            Arc::new(StringArray::from_iter_values(hashes.iter().map(|&h| {
                pool[((h >> 20) % STRING_POOL as u64) as usize].as_str()
            }))),
        ),
        (
            "flag",
            Arc::new(
                hashes
                    .iter()
                    .map(|&h| Some(h & 1 == 1))
                    .collect::<BooleanArray>(),
            ),
        ),
        (
            "d",
            // 18262 = 2020-01-01
            Arc::new(Date32Array::from_iter_values(
                hashes.iter().map(|&h| 18262 + ((h >> 32) % 3650) as i32),
            )),
        ),
        (
            "ts",
            Arc::new(TimestampMicrosecondArray::from_iter_values(
                hashes
                    .iter()
                    .map(|&h| 1_577_836_800_000_000 + ((h >> 8) % 10_000_000_000_000) as i64),
            )),
        ),
    ];
    Ok(RecordBatch::try_from_iter(columns)?)
}

/// Timing of one operation.
struct Timing {
    op: &'static str,
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
}

/// Runs `setup` (untimed) then `f` (timed) `repeat` times; `f` returns the rows it produced.
fn time<S, F>(
    results: &mut Vec<Timing>,
    repeat: usize,
    op: &'static str,
    description: impl Into<String>,
    mut setup: S,
    mut f: F,
) -> Res<()>
where
    S: FnMut() -> Res<()>,
    F: FnMut() -> Res<Option<usize>>,
{
    let mut timing = Timing {
        op,
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
        timing.op,
        timing.median(),
        timing.min(),
        timing.rows.map_or(String::new(), |r| r.to_string()),
        timing.description
    );
    results.push(timing);
    Ok(())
}

/// Reads `files` with arrow-rs and concatenates them into one batch.
fn arrow_read(files: &[PathBuf], filter_index: bool) -> Res<usize> {
    let mut batches = Vec::new();
    let mut schema = None;
    for path in files {
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path)?)?.build()?;
        for batch in reader {
            let batch = batch?;
            let batch = if filter_index {
                let column = batch.column_by_name("idx_key").ok_or("no idx_key column")?;
                let mask = eq(column, &Int64Array::new_scalar(INDEX_VALUE))?;
                filter_record_batch(&batch, &mask)?
            } else {
                batch
            };
            schema.get_or_insert_with(|| batch.schema());
            batches.push(batch);
        }
    }
    let schema = schema.ok_or("no data files")?;
    Ok(concat_batches(&schema, &batches)?.num_rows())
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
    let tempdir;
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => {
            tempdir = tempfile::tempdir()?;
            tempdir.path().join("store")
        }
    };
    clear_dir(&dir)?;

    let pool: Vec<String> = (0..STRING_POOL)
        .map(|i| format!("str_{i:06}_{}", "x".repeat(i % 7)))
        .collect();
    let started = Instant::now();
    let bounds: Vec<usize> = (0..=args.frames)
        .map(|f| args.rows * f / args.frames)
        .collect();
    let batches = bounds
        .windows(2)
        .map(|w| make_batch(w[0], w[1], args.rows, args.partitions, &pool))
        .collect::<Res<Vec<_>>>()?;
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

    let total_s = started.elapsed().as_secs_f64();
    println!();
    println!("| op | operation | median s | min s | rows |");
    println!("|---|---|---:|---:|---:|");
    for t in &results {
        println!(
            "| {} | {} | {:.4} | {:.4} | {} |",
            t.op,
            t.description,
            t.median(),
            t.min(),
            t.rows.map_or(String::new(), |r| r.to_string())
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
        },
        "results": results.iter().map(|t| json!({
            "op": t.op, "description": t.description, "median_s": t.median(), "min_s": t.min(),
            "times_s": t.times, "rows": t.rows,
        })).collect::<Vec<_>>(),
        "total_s": total_s,
    });
    std::fs::write(&args.json, serde_json::to_string_pretty(&doc)? + "\n")?;
    println!("results in {}", args.json.display());
    Ok(())
}
