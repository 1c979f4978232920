//! `plateau demo`: a deterministic sample dataset and one pruned query, so a first run shows
//! partition pruning and a secondary index at work.

use std::io::Write as _;
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use plateau_core::{Predicates, Store};
use plateau_io_eager as eager;
use plateau_metadata::DatasetFactory;

use crate::CliResult;

/// The demo dataset's uuid.
pub const DEMO_UUID: &str = "demo";
/// Input frames: each one holds its own ten products, so the product index prunes.
const FRAMES: usize = 4;
const COUNTRIES: [&str; 4] = ["DE", "FR", "NL", "US"];
const YEARS: [i64; 4] = [2020, 2021, 2022, 2023];
/// The query the demo runs.
pub const QUERY: &str = "country == 'DE' and year >= 2022 and product == 'p07'";

/// A small deterministic generator (64-bit LCG), so every run writes the same rows.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

/// One input frame of `rows` rows (ids from `first_id`).
pub fn frame(frame: usize, first_id: i64, rows: usize) -> CliResult<RecordBatch> {
    let mut rng = Lcg(frame as u64 + 42);
    let mut ids = Vec::with_capacity(rows);
    let mut countries = Vec::with_capacity(rows);
    let mut years = Vec::with_capacity(rows);
    let mut products = Vec::with_capacity(rows);
    let mut amounts = Vec::with_capacity(rows);
    let mut days = Vec::with_capacity(rows);
    for i in 0..rows {
        ids.push(first_id + i as i64);
        countries.push(COUNTRIES[(rng.next() % 4) as usize]);
        let year_pos = (rng.next() % 4) as usize;
        years.push(YEARS[year_pos]);
        products.push(format!("p{:02}", frame * 10 + (rng.next() % 10) as usize));
        amounts.push((rng.next() % 100_000) as f64 / 100.0);
        // 2020-01-01 is day 18262; each year is given 365 days.
        days.push(18_262 + year_pos as i32 * 365 + (rng.next() % 365) as i32);
    }
    let schema = Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("country", DataType::Utf8, false),
        Field::new("year", DataType::Int64, false),
        Field::new("product", DataType::Utf8, false),
        Field::new("amount", DataType::Float64, false),
        Field::new("day", DataType::Date32, false),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(ids)),
        Arc::new(StringArray::from(countries)),
        Arc::new(Int64Array::from(years)),
        Arc::new(StringArray::from(products)),
        Arc::new(Float64Array::from(amounts)),
        Arc::new(Date32Array::from(days)),
    ];
    Ok(RecordBatch::try_new(Arc::new(schema), columns)?)
}

/// Writes the demo dataset (replacing an earlier one), runs [`QUERY`] and prints what
/// happened and what to try next.
pub fn run(store: &Store, store_arg: &str, rows: usize) -> CliResult {
    let per_frame = rows.div_ceil(FRAMES).max(1);
    let mut batches = Vec::with_capacity(FRAMES);
    for f in 0..FRAMES {
        let first = f * per_frame;
        let n = per_frame.min(rows.saturating_sub(first));
        batches.push(frame(f, first as i64, n)?);
    }
    let started = Instant::now();
    let options = eager::StoreOptions::default()
        .partition_on(["country", "year"])
        .secondary_indices(["product"])
        .overwrite(true);
    let metadata = eager::store_dataframes_as_dataset(store, DEMO_UUID, &batches, &options)?;
    let write_time = started.elapsed();

    let factory = DatasetFactory::new(store.clone(), DEMO_UUID);
    let read_options = eager::ReadOptions::default().predicates(Predicates::parse(QUERY)?);
    let started = Instant::now();
    let (_, groups) = plateau_io::read::plan(&factory, &read_options)?;
    let table = eager::read_table(&factory, &read_options)?;
    let read_time = started.elapsed();

    let text = format!(
        "wrote dataset `{DEMO_UUID}` to {store_arg}: {rows} rows, {} partitions \
         (partitioned on country, year; secondary index on product) in {:.2?}\n\
         query: {QUERY}\n  \
         read {} of {} partitions (pruned by the partition keys and the product index), \
         {} matching rows in {:.2?}\n\n\
         try next:\n  \
         plateau --store {store_arg} list\n  \
         plateau --store {store_arg} info {DEMO_UUID}\n  \
         plateau --store {store_arg} index {DEMO_UUID} product\n  \
         plateau --store {store_arg} partitions {DEMO_UUID} --where \"{QUERY}\"\n  \
         plateau --store {store_arg} read {DEMO_UUID} --where \"{QUERY}\" --limit 10\n  \
         plateau --store {store_arg} read {DEMO_UUID} --where \"day >= date '2023-06-01' and amount > 999\" --format csv",
        metadata.partitions.len(),
        write_time,
        groups.len(),
        metadata.partitions.len(),
        table.num_rows(),
        read_time,
    );
    // Errors propagate: a closed pipe (`plateau demo | head -1`) ends quietly.
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()?;
    Ok(())
}
