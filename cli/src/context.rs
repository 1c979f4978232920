//! What every command shares: the [`Log`] (summaries, progress bar, thread pool, retries),
//! opening a dataset that must exist, and the `--where` / `--predicates` arguments.

use std::io::Write as _;

use arrow::datatypes::DataType;
use plateau_core::{Predicates, Scalar, Store, Value};
use plateau_io_parallel::ParallelOptions;
use plateau_metadata::{DatasetFactory, DatasetMetadata};

use crate::progress::Bar;
use crate::{CliError, CliResult, PredicateArgs};

/// What a command reports on stderr: summaries unless `--quiet`, and the progress bar (if
/// stderr is a terminal); and the parallel options the bar is attached to.
pub struct Log {
    /// Whether `--quiet` was given.
    pub quiet: bool,
    /// The progress bar, if one is drawn.
    pub bar: Option<std::sync::Arc<Bar>>,
    /// `--threads`, checked. The pool is built when a command first asks for it, so the
    /// commands that need none never start (and stop) its threads.
    pub(crate) threads: Option<usize>,
    /// The parallel options of `threads`, without the bar, once built.
    pub(crate) pool: std::cell::OnceCell<ParallelOptions>,
    /// `--retries`: how often a lost update or compaction commit is retried (`None`: the
    /// library's default).
    pub retries: Option<u32>,
}

impl Log {
    /// Prints one summary line on stderr (after clearing the bar, so the line stays).
    pub fn say(&self, line: impl AsRef<str>) {
        if let Some(bar) = &self.bar {
            bar.clear();
        }
        if !self.quiet {
            // A closed stderr must not fail (or panic) a command that did its work.
            let _ = writeln!(std::io::stderr(), "{}", line.as_ref());
        }
    }

    /// The parallel options of `--threads`, reporting to the bar.
    pub fn parallel(&self) -> CliResult<ParallelOptions> {
        let options = match self.pool.get() {
            Some(options) => options.clone(),
            None => {
                let options = match self.threads {
                    Some(threads) => ParallelOptions::with_threads(threads)?,
                    None => ParallelOptions::new(),
                };
                self.pool.get_or_init(|| options).clone()
            }
        };
        Ok(match &self.bar {
            Some(bar) => options.progress(bar.clone()),
            None => options,
        })
    }
}

/// A factory for a dataset that must exist (a clear exit code 3 otherwise, before any work).
pub fn existing(store: &Store, uuid: &str) -> CliResult<DatasetFactory> {
    plateau_core::naming::validate_uuid(uuid)?;
    let factory = DatasetFactory::new(store.clone(), uuid);
    // Loading answers "does it exist" too, without the HEAD request an existence check
    // would add before the GET. A dataset that exists but does not load (a damaged
    // `_common_metadata`, say) is left to the command, which reports it its own way.
    match factory.metadata() {
        Ok(_) => Ok(factory),
        Err(err @ plateau_core::Error::DatasetNotFound { .. }) => Err(err.into()),
        Err(_) if factory.exists()? => Ok(factory),
        Err(_) => Err(plateau_core::Error::DatasetNotFound {
            uuid: uuid.to_owned(),
        }
        .into()),
    }
}

/// [`existing`] for a query: the index files of the indexed columns `predicate` names are
/// fetched together with `_common_metadata` (one round trip less). The predicate is only
/// parsed for its column names here; [`parse_predicates`] reports its errors later.
pub fn existing_for_query(
    store: &Store,
    uuid: &str,
    predicate: &PredicateArgs,
) -> CliResult<DatasetFactory> {
    plateau_core::naming::validate_uuid(uuid)?;
    let raw = match (&predicate.where_, &predicate.predicates) {
        (Some(text), _) => Predicates::parse(text).ok(),
        (None, Some(json)) => Predicates::from_json(json).ok(),
        (None, None) => None,
    };
    let factory = DatasetFactory::new(store.clone(), uuid);
    let loaded = factory.metadata_prefetching_indices(|metadata| {
        plateau_metadata::planning::index_columns_needed(metadata, raw.as_ref(), None)
    });
    match loaded {
        Ok(_) => Ok(factory),
        // The plain path reports every other outcome the same way as other commands.
        Err(_) => existing(store, uuid),
    }
}

/// The predicates of `--where` or `--predicates`, if any, with their literals coerced to the
/// column types of `metadata` where that is lossless.
pub fn parse_predicates(
    args: &PredicateArgs,
    metadata: &DatasetMetadata,
) -> CliResult<Option<Predicates>> {
    let mut predicates = match (&args.where_, &args.predicates) {
        (Some(text), _) => Predicates::parse(text)?,
        (None, Some(json)) => Predicates::from_json(json)?,
        (None, None) => return Ok(None),
    };
    if let Some(schema) = &metadata.schema {
        for conjunction in &mut predicates.conjunctions {
            for literal in &mut conjunction.literals {
                let Some(field) = schema.field(&literal.column) else {
                    continue; // the library reports unknown columns with all their names
                };
                let data_type = field.data_type();
                match &mut literal.value {
                    Value::Scalar(value) => {
                        *value = coerce(&literal.column, data_type, value)?;
                    }
                    Value::List(values) => {
                        for value in values {
                            *value = coerce(&literal.column, data_type, value)?;
                        }
                    }
                }
            }
        }
    }
    Ok(Some(predicates))
}

/// A command-line literal as the column's type, when that loses nothing: integer to float
/// (|v| <= 2^53), string to date or timestamp, string to binary. Anything else is left to the
/// library, whose type error names the column, its type and the value.
fn coerce(column: &str, data_type: &DataType, value: &Scalar) -> CliResult<Scalar> {
    const EXACT: i64 = 1 << 53;
    let float = matches!(
        data_type,
        DataType::Float16 | DataType::Float32 | DataType::Float64
    );
    Ok(match value {
        Scalar::Int(v) if float && (-EXACT..=EXACT).contains(v) => Scalar::Float(*v as f64),
        Scalar::UInt(v) if float && *v <= EXACT as u64 => Scalar::Float(*v as f64),
        Scalar::String(text)
            if matches!(
                data_type,
                DataType::Date32 | DataType::Date64 | DataType::Timestamp(..)
            ) =>
        {
            plateau_core::partition_value::parse_unquoted(text.as_bytes(), data_type).map_err(
                |_| {
                    CliError::input(format!(
                        "predicate on column `{column}` (type {data_type}): value '{text}' is not a valid {data_type}"
                    ))
                },
            )?
        }
        Scalar::String(text)
            if matches!(
                data_type,
                DataType::Binary | DataType::LargeBinary | DataType::BinaryView
            ) =>
        {
            Scalar::Binary(text.as_bytes().to_vec())
        }
        other => other.clone(),
    })
}
