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
use plateau_datafusion::{session_of, PlateauSchema};

use crate::context::Log;
use crate::{CliError, CliResult, OutputFormat};

/// Runs `plateau sql`.
pub fn run(
    store: &Store,
    query: &str,
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
    let threads = log.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .map_err(|e| CliError::new(1, format!("cannot start the query runtime: {e}")))?;
    let (table, explain) = runtime.block_on(async {
        let schema = Arc::new(PlateauSchema::try_new(store.clone()).await?);
        let config = SessionConfig::new().with_target_partitions(threads);
        let ctx = session_of(Arc::clone(&schema), config)?;
        let frame = ctx.sql(query).await.map_err(query_error)?;
        let explain = matches!(
            frame.logical_plan(),
            LogicalPlan::Explain(_) | LogicalPlan::Analyze(_)
        );
        let arrow_schema = Arc::new(frame.schema().as_arrow().clone());
        let batches = frame.collect().await.map_err(query_error)?;
        let table = concat_batches(&arrow_schema, &batches)?;
        let reports = if explain {
            Some(schema.scan_reports())
        } else {
            None
        };
        Ok::<_, CliError>((table, reports))
    })?;
    let rows = table.num_rows();
    let write = |out: &mut dyn std::io::Write| -> CliResult {
        let mut out = out;
        crate::output::write_output(&mut out, &table, format)?;
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
