//! The README's first command until the `plateau` CLI exists: writes a few Parquet partitions
//! of generated data into a local directory store, then reads them back with a projection and
//! a predicate that row-group statistics can prune, and prints what happened.
//!
//! ```text
//! cargo run --release -p plateau-serialization --example quickstart -- ./demo-store
//! ```

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Instant;

use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use plateau_core::{naming, Predicates, Store};
use plateau_serialization::parquet::ParquetSerializer;
use plateau_serialization::{restore, ReadOptions, Serializer};

const ROWS_PER_PARTITION: i64 = 250_000;
const PARTITIONS: i64 = 4;

fn main() -> plateau_core::Result<()> {
    let root = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "./demo-store".to_owned());
    let store = Store::from_url(&root)?;
    let serializer = ParquetSerializer::default().with_chunk_size(Some(25_000))?;
    let cities = ["Berlin", "Hamburg", "München", "Köln", "Frankfurt am Main"];

    let started = Instant::now();
    let mut keys = Vec::new();
    for part in 0..PARTITIONS {
        let first = part * ROWS_PER_PARTITION;
        let ids: Vec<i64> = (first..first + ROWS_PER_PARTITION).collect();
        let batch = RecordBatch::try_from_iter([
            ("id", Arc::new(Int64Array::from(ids.clone())) as ArrayRef),
            (
                "city",
                Arc::new(StringArray::from_iter_values(
                    ids.iter().map(|i| cities[(*i % 5) as usize]),
                )),
            ),
            (
                "amount",
                Arc::new(Float64Array::from_iter_values(
                    ids.iter().map(|i| (*i % 1000) as f64 / 10.0),
                )),
            ),
        ])?;
        let label = naming::partition_label(
            &[naming::label_component("part", &part.to_string())],
            &naming::gen_uuid(),
        );
        let prefix = naming::data_file_key("quickstart", naming::DEFAULT_TABLE, &label, "");
        keys.push(serializer.store(&store, &prefix, &batch)?);
    }
    println!(
        "wrote {} rows in {} Parquet files to {} ({:.0} ms)",
        ROWS_PER_PARTITION * PARTITIONS,
        keys.len(),
        store,
        started.elapsed().as_secs_f64() * 1e3
    );

    let predicates = Predicates::parse("id >= 600000 and id < 600100 and city == 'Köln'")?;
    let options = ReadOptions::default()
        .columns(["id", "amount"])
        .predicates(predicates.clone());
    let started = Instant::now();
    let mut matched = 0;
    for key in &keys {
        matched += restore(&store, key, &options)?.num_rows();
    }
    println!(
        "read `{predicates}` with columns id, amount: {matched} rows in {:.1} ms \
         (row groups whose statistics exclude the range were skipped)",
        started.elapsed().as_secs_f64() * 1e3
    );
    println!(
        "the files are under {}/quickstart/table/",
        root.trim_end_matches('/')
    );
    Ok(())
}
