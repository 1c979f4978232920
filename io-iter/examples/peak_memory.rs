//! Peak memory of the streaming API for datasets of 10× different sizes.
//!
//! For each size the example runs itself as a child process (so every measurement starts
//! from a fresh high-water mark), which
//!
//! 1. writes `rows` rows into a local-directory store through
//!    [`plateau_io_iter::store_dataset_from_iter`], from a generator that builds one
//!    100 000-row batch at a time (`partition_on = ["key"]`, 4 keys; a secondary index on
//!    `group`, 7 values);
//! 2. reads them back through [`plateau_io_iter::read_dataset_as_batches_iter`], one
//!    partition per `next()`, counting rows;
//! 3. with `--eager`, reads the whole dataset with the eager `read_table` for contrast.
//!
//! and prints the peak resident set size (`VmHWM` of `/proc/self/status`) after each step.
//! Bounded memory shows as a peak that stays flat while the dataset grows 10× per row.
//!
//! ```text
//! cargo run --release -p plateau-io-iter --example peak_memory [-- --eager] [-- rows...]
//! ```
#![allow(clippy::unwrap_used)]

use std::process::Command;
use std::sync::Arc;

use arrow::array::{Int64Array, RecordBatch, StringArray};
use plateau_core::{Result, Store};
use plateau_io_iter::{
    read_dataset_as_batches_iter, store_dataset_from_iter, ReadOptions, StoreOptions,
};
use plateau_metadata::DatasetFactory;

const BATCH_ROWS: usize = 100_000;

/// Peak resident set size in KiB (Linux).
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Rows `start..start + len` of the generated table.
fn make_batch(start: usize, len: usize) -> Result<RecordBatch> {
    let rows = start..start + len;
    Ok(RecordBatch::try_from_iter([
        (
            "key",
            Arc::new(Int64Array::from_iter_values(
                rows.clone().map(|i| (i % 4) as i64),
            )) as _,
        ),
        (
            "group",
            Arc::new(StringArray::from_iter_values(
                rows.clone().map(|i| format!("g{}", i % 7)),
            )) as _,
        ),
        (
            "value",
            Arc::new(Int64Array::from_iter_values(rows.clone().map(|i| i as i64))) as _,
        ),
        (
            "text",
            Arc::new(StringArray::from_iter_values(
                rows.map(|i| format!("row number {i}")),
            )) as _,
        ),
    ])?)
}

fn child(rows: usize, eager: bool) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = Store::local(dir.path())?;
    let baseline = peak_rss_kib();
    let batches = (0..rows)
        .step_by(BATCH_ROWS)
        .map(|start| make_batch(start, BATCH_ROWS.min(rows - start)));
    let options = StoreOptions::default()
        .partition_on(["key"])
        .secondary_indices(["group"]);
    let start = std::time::Instant::now();
    let dataset = store_dataset_from_iter(&store, "peak", batches, &options)?;
    let write_secs = start.elapsed().as_secs_f64();
    let after_write = peak_rss_kib();

    let factory = DatasetFactory::new(store.clone(), "peak");
    let start = std::time::Instant::now();
    let mut read_rows = 0;
    for batch in read_dataset_as_batches_iter(&factory, &ReadOptions::default())? {
        read_rows += batch?.num_rows();
    }
    let read_secs = start.elapsed().as_secs_f64();
    assert_eq!(read_rows, rows);
    let after_read = peak_rss_kib();
    let bytes: u64 = store.list("")?.iter().map(|o| o.size).sum();
    print!(
        "{rows:>10} rows {:>5} files {:>8.1} MiB on disk | peak RSS MiB: start {:>6.1}  after iter write {:>6.1} ({write_secs:.1} s)  after iter read {:>6.1} ({read_secs:.1} s)",
        dataset.partitions.len(),
        bytes as f64 / 1048576.0,
        baseline as f64 / 1024.0,
        after_write as f64 / 1024.0,
        after_read as f64 / 1024.0,
    );
    if eager {
        let table = plateau_io::read::read_table(&factory, &ReadOptions::default())?;
        assert_eq!(table.num_rows(), rows);
        print!(
            "  after eager read_table {:>7.1}",
            peak_rss_kib() as f64 / 1024.0
        );
    }
    println!();
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let eager = args.iter().any(|a| a == "--eager");
    if args.first().map(String::as_str) == Some("--child") {
        let rows = args
            .get(1)
            .and_then(|r| r.parse().ok())
            .unwrap_or(BATCH_ROWS);
        return child(rows, eager);
    }
    let mut sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    if sizes.is_empty() {
        sizes = vec![100_000, 1_000_000, 10_000_000];
    }
    let exe = std::env::current_exe()?;
    println!("batch size {BATCH_ROWS} rows; partition_on [key] (4 values); index on group");
    for rows in sizes {
        let mut command = Command::new(&exe);
        command.arg("--child").arg(rows.to_string());
        if eager {
            command.arg("--eager");
        }
        let status = command.status()?;
        if !status.success() {
            eprintln!("child for {rows} rows failed: {status}");
        }
    }
    Ok(())
}
