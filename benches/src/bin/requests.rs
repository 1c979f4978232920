//! Request economy: how many object-store requests (and bytes) each plateau operation makes.
//!
//! ```text
//! cargo run -p plateau-benches --bin requests -- [--store URL] [--rows 100000] [--partitions 16]
//! ```
//!
//! Writes a dataset of `--rows` rows partitioned on `part` (`--partitions` values) with a
//! secondary index on `key` (10 values per partition) under a fresh prefix of `--store`
//! (default `memory://`; e.g. `s3://plateau` with the environment of `tools/servers/start.sh`),
//! then counts, through `plateau_testing::CountingStore`, the requests of: the write, a full
//! read, a partition-pruned read (`part == 1`), an index-pruned read (`key == 15`), a
//! one-column projected read, an append of one partition, and gc. Prints one line per
//! operation: requests by kind and bytes.

use std::error::Error;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use clap::Parser;
use plateau_core::{Literal, Op, Predicates, Scalar, Store, Value};
use plateau_io::maintenance::{garbage_collect, GcOptions};
use plateau_io::read::{read_table, ReadOptions};
use plateau_io::update::{update_dataset, UpdateOptions};
use plateau_io::write::{store_dataset, StoreOptions};
use plateau_metadata::DatasetFactory;
use plateau_testing::CountingStore;

#[derive(Parser)]
struct Args {
    /// The store to measure (a fresh prefix is used under it).
    #[arg(long, default_value = "memory://")]
    store: String,
    /// Rows of the dataset.
    #[arg(long, default_value_t = 100_000)]
    rows: i64,
    /// Partition values.
    #[arg(long, default_value_t = 16)]
    partitions: i64,
}

fn batch(rows: std::ops::Range<i64>, rows_total: i64, partitions: i64) -> RecordBatch {
    let part: Vec<i64> = rows.clone().map(|i| i * partitions / rows_total).collect();
    let key: Vec<i64> = rows
        .clone()
        .map(|i| i * partitions * 10 / rows_total)
        .collect();
    let value: Vec<f64> = rows.clone().map(|i| (i % 1000) as f64 / 10.0).collect();
    let text: Vec<String> = rows.map(|i| format!("row-{i}")).collect();
    RecordBatch::try_from_iter([
        ("part", Arc::new(Int64Array::from(part)) as ArrayRef),
        ("key", Arc::new(Int64Array::from(key)) as ArrayRef),
        ("value", Arc::new(Float64Array::from(value)) as ArrayRef),
        ("text", Arc::new(StringArray::from(text)) as ArrayRef),
    ])
    .expect("columns of equal length")
}

fn equals(column: &str, value: i64) -> Predicates {
    Predicates::all(
        vec![Literal::new(
            column,
            Op::Eq,
            Value::Scalar(Scalar::Int(value)),
        )]
        .into(),
    )
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos();
    let base = if args.store.starts_with("memory://") {
        Store::memory()
    } else {
        Store::from_url(&format!(
            "{}/requests-{nanos}",
            args.store.trim_end_matches('/')
        ))?
    };
    let counting = CountingStore::new(base.object_store());
    let store = counting.store(base.prefix());
    let uuid = "requests";
    let factory = || DatasetFactory::new(store.clone(), uuid);
    println!(
        "store {} ({} rows, {} partitions, index on `key`)",
        base.url(),
        args.rows,
        args.partitions
    );
    let report = |operation: &str, rows: Option<usize>| {
        let counts = counting.take();
        let rows = rows.map(|r| format!(" -> {r} rows")).unwrap_or_default();
        println!(
            "{operation:<22} {:>4} requests: {counts}{rows}",
            counts.total()
        );
    };

    store_dataset(
        &store,
        uuid,
        &[batch(0..args.rows, args.rows, args.partitions)],
        &StoreOptions::default()
            .partition_on(["part"])
            .secondary_indices(["key"]),
    )?;
    report("write", None);

    let rows = read_table(&factory(), &ReadOptions::default())?.num_rows();
    report("read full", Some(rows));
    let rows = read_table(
        &factory(),
        &ReadOptions::default().predicates(equals("part", 1)),
    )?
    .num_rows();
    report("read part == 1", Some(rows));
    let rows = read_table(
        &factory(),
        &ReadOptions::default().predicates(equals("key", 15)),
    )?
    .num_rows();
    report("read key == 15", Some(rows));
    let rows = read_table(&factory(), &ReadOptions::default().columns(["value"]))?.num_rows();
    report("read column value", Some(rows));

    let extra = batch(0..args.rows / args.partitions, args.rows, args.partitions);
    update_dataset(&factory(), &[extra], &UpdateOptions::default())?;
    report("update (append)", None);
    garbage_collect(&factory(), &GcOptions::immediate())?;
    report("gc", None);
    Ok(())
}
