//! `plateau sql`: one SQL statement over the store's datasets, on DataFusion
//! (plateau-datafusion: every dataset a table named by its uuid, pruned by partition keys
//! and secondary indices).
//!
//! The answer is written like `plateau read`'s (table, csv, jsonl, parquet; `--output`).
//! For `EXPLAIN`, each scan's pruning report follows the plan: how many partitions it read
//! of how many, and which filters did the pruning.

use std::io::IsTerminal as _;
use std::path::Path;
use std::sync::Arc;

use arrow::compute::concat_batches;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionConfig;
use plateau_core::Store;
use plateau_datafusion::distributed::{distributed_session, serve_worker};
use plateau_datafusion::{session_of, PlateauSchema};

use crate::context::Log;
use crate::{CliError, CliResult, OutputFormat};

/// Runs `plateau sql`.
pub fn run(
    store: &Store,
    query: &str,
    workers: &[String],
    format: OutputFormat,
    output: Option<&Path>,
    log: &Log,
) -> CliResult {
    if format == OutputFormat::Parquet && output.is_none() && std::io::stdout().is_terminal() {
        return Err(CliError::new(
            2,
            "--format parquet writes binary data: give --output FILE or redirect stdout",
        ));
    }
    let workers = workers
        .iter()
        .map(|text| {
            let url = url::Url::parse(text)
                .map_err(|e| CliError::new(2, format!("--workers `{text}`: {e}")))?;
            if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                return Err(CliError::new(
                    2,
                    format!("--workers `{text}`: expected http://HOST:PORT"),
                ));
            }
            Ok(url)
        })
        .collect::<CliResult<Vec<_>>>()?;
    let threads = threads(log);
    let runtime = runtime(threads)?;
    let (table, explain) = runtime.block_on(async {
        let schema = Arc::new(PlateauSchema::try_new(store.clone()).await?);
        let config = SessionConfig::new().with_target_partitions(threads);
        let distributed = !workers.is_empty();
        let ctx = if workers.is_empty() {
            session_of(Arc::clone(&schema), config)?
        } else {
            distributed_session(Arc::clone(&schema), workers, config)?
        };
        let frame = ctx.sql(query).await.map_err(query_error)?;
        // DataFusion's EXPLAIN shows the single-node plan: with workers, the plan the
        // coordinator really runs (its stages) is shown too.
        let distributed_plan = match frame.logical_plan() {
            LogicalPlan::Explain(explain) if distributed => {
                let inner = ctx
                    .execute_logical_plan(explain.plan.as_ref().clone())
                    .await
                    .map_err(query_error)?;
                let plan = inner.create_physical_plan().await.map_err(query_error)?;
                Some(datafusion_distributed::display_plan_ascii(
                    plan.as_ref(),
                    false,
                ))
            }
            _ => None,
        };
        let explain = matches!(
            frame.logical_plan(),
            LogicalPlan::Explain(_) | LogicalPlan::Analyze(_)
        );
        let arrow_schema = Arc::new(frame.schema().as_arrow().clone());
        let batches = frame.collect().await.map_err(query_error)?;
        let table = concat_batches(&arrow_schema, &batches)?;
        let reports = if explain {
            let mut lines: Vec<String> = schema
                .scan_reports()
                .iter()
                .map(ToString::to_string)
                .collect();
            if let Some(plan) = distributed_plan {
                lines.push(format!("distributed plan:\n{plan}\n"));
            }
            Some(lines)
        } else {
            None
        };
        Ok::<_, CliError>((table, reports))
    })?;
    let rows = table.num_rows();
    let write = |out: &mut dyn std::io::Write| -> CliResult {
        let mut out = out;
        crate::output::write_output(&mut out, &table, format, &log.parallel()?)?;
        if let Some(reports) = &explain {
            for report in reports {
                write!(out, "{report}")?;
            }
        }
        out.flush()?;
        Ok(())
    };
    match output {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(|e| {
                CliError::new(1, format!("cannot create `{}`: {e}", path.display()))
            })?;
            write(&mut std::io::BufWriter::new(file))?;
        }
        None => write(&mut std::io::stdout().lock())?,
    }
    log.say(format!("{rows} rows"));
    Ok(())
}

/// Runs `plateau worker`: serves plan fragments of distributed queries on `host:port`
/// until the process is stopped.
pub fn serve(store: &Store, host: std::net::IpAddr, port: u16, log: &Log) -> CliResult {
    let addr = std::net::SocketAddr::new(host, port);
    let runtime = runtime(threads(log))?;
    log.say(format!("plateau worker listening on http://{addr}"));
    runtime.block_on(serve_worker(store.clone(), addr))?;
    Ok(())
}

/// `--threads`, or one per core.
fn threads(log: &Log) -> usize {
    log.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
    })
}

/// The tokio runtime queries and workers run on.
fn runtime(threads: usize) -> CliResult<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .map_err(|e| CliError::new(1, format!("cannot start the query runtime: {e}")))
}

/// A DataFusion error with the exit code of its cause: plateau's own errors keep theirs
/// (a conflict is 6, a missing dataset 3), SQL and planning errors are invalid input (5).
fn query_error(error: DataFusionError) -> CliError {
    let code = match error.find_root() {
        DataFusionError::External(inner) => inner
            .downcast_ref::<plateau_core::Error>()
            .map_or(1, crate::exit_code),
        DataFusionError::SQL(..)
        | DataFusionError::Plan(_)
        | DataFusionError::SchemaError(..)
        | DataFusionError::NotImplemented(_) => 5,
        _ => 1,
    };
    CliError::new(code, error.to_string())
}

impl From<DataFusionError> for CliError {
    fn from(error: DataFusionError) -> Self {
        query_error(error)
    }
}
