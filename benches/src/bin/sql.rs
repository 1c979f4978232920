//! SQL benchmark: queries over a store's datasets with plateau-datafusion, in process.
//!
//! ```text
//! cargo run --release -p plateau-benches --bin sql -- --store DIR --repeat 5 \
//!     --query "SELECT part, count(*) FROM bench GROUP BY part" --query "..."
//! ```
//!
//! For each `--query`, a fresh session over the store (listing its datasets) runs the query
//! `--repeat` times (each a new plan: the table's metadata is loaded, partitions pruned,
//! files read) and collects the answer. Prints one JSON line per query: `query`,
//! `median_s`, `min_s`, `rows`. `tools/bench/sql_peers.py` runs it beside DuckDB and polars.

use std::error::Error;
use std::time::Instant;

use arrow::array::RecordBatch;
use clap::Parser;
use datafusion::prelude::SessionConfig;
use plateau_core::Store;
use serde_json::json;

type Res<T> = Result<T, Box<dyn Error>>;

#[derive(Parser, Debug)]
#[command(about = "SQL over plateau datasets with plateau-datafusion, timed in process")]
struct Args {
    /// The store (any plateau store URL or directory).
    #[arg(long)]
    store: String,
    /// A query to time (repeatable).
    #[arg(long, required = true)]
    query: Vec<String>,
    /// Timed runs of each query.
    #[arg(long, default_value_t = 5)]
    repeat: usize,
    /// Target partitions of the session (default: the cores).
    #[arg(long)]
    threads: Option<usize>,
}

fn main() -> Res<()> {
    let args = Args::parse();
    let store = Store::from_url(&args.store)?;
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?;
    for query in &args.query {
        let (median, min, rows) = runtime.block_on(async {
            let config = SessionConfig::new().with_target_partitions(threads);
            let ctx = plateau_datafusion::session_with(store.clone(), config).await?;
            let mut times = Vec::with_capacity(args.repeat);
            let mut rows = 0;
            for _ in 0..args.repeat.max(1) {
                let started = Instant::now();
                let batches = ctx.sql(query).await?.collect().await?;
                times.push(started.elapsed().as_secs_f64());
                rows = batches.iter().map(RecordBatch::num_rows).sum::<usize>();
            }
            times.sort_by(f64::total_cmp);
            Ok::<_, Box<dyn Error>>((times[times.len() / 2], times[0], rows))
        })?;
        println!(
            "{}",
            json!({"query": query, "median_s": median, "min_s": min, "rows": rows})
        );
    }
    Ok(())
}
