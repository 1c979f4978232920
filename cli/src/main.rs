//! The `plateau` command-line tool: inspect, query, write and maintain plateau datasets
//! without writing Rust.
//!
//! Every command works on one store (`--store`, `PLATEAU_STORE`, default the current
//! directory). Errors are one line on stderr and a documented exit code (see [`EXIT_CODES`]),
//! so scripts can tell a missing dataset from a bad predicate.

mod commands;
mod compact;
mod context;
mod demo;
mod formats;
mod inspect;
mod output;
mod progress;
#[cfg(feature = "sql")]
mod sql;
mod validate;

use std::io::Write as _;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand, ValueEnum};

/// The exit codes, shown in `--help`.
const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  generic failure (store, I/O, corrupt data)
  2  usage error (unknown option, missing argument, option value out of range)
  3  dataset not found (also: the store directory does not exist)
  4  dataset already exists (use --overwrite)
  5  invalid input: bad uuid, bad predicate, unknown column, type mismatch, unreadable
     input file, a column type plateau or the output format cannot hold, an output file
     inside the store
  6  commit conflict: another writer changed the dataset; nothing was committed
  7  check found problems in the dataset

Example:
  plateau --store ./demo-store demo
  plateau --store ./demo-store read demo --where \"country == 'DE'\" --limit 5";

/// The plateau command-line tool.
#[derive(Parser, Debug)]
#[command(name = "plateau", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// The store: a path, file:///abs/path, memory://, s3://BUCKET/PREFIX, az://CONTAINER/PREFIX,
    /// abfss://CONTAINER@ACCOUNT.dfs.core.windows.net/PREFIX, gs://BUCKET/PREFIX, or Python
    /// plateau's minimalkv URLs (hs3://KEY:SECRET@HOST:PORT/BUCKET?is_secure=false,
    /// hazure://ACCOUNT:KEY@CONTAINER, hfs://PATH). Cloud stores read AWS_*, AZURE_* and
    /// GOOGLE_* environment variables (prefer them to secrets in URLs).
    #[arg(long, env = "PLATEAU_STORE", default_value = ".", global = true)]
    pub store: String,
    /// An object_store option for a cloud store, e.g. `aws_endpoint=http://127.0.0.1:9000`
    /// (repeatable; overrides the URL and the environment).
    #[arg(long = "store-option", value_name = "KEY=VALUE", global = true,
          value_parser = parse_store_option)]
    pub store_options: Vec<(String, String)>,
    /// Write to a store that cannot make commits atomic (e.g. S3 with
    /// aws_conditional_put=disabled), accepting that concurrent writers may overwrite each
    /// other's commits. Without it such a store refuses every write before the first byte.
    #[arg(long, global = true)]
    pub last_writer_wins: bool,
    /// Print only results (no summaries or progress bars on stderr). Progress bars are
    /// drawn only when stderr is a terminal.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Threads for reading, writing and maintenance: 1 to 256 (default: one per core).
    #[arg(long, env = "PLATEAU_THREADS", value_name = "N", global = true)]
    pub threads: Option<usize>,
    /// How often a lost update or compaction commit is retried against the newer dataset
    /// before exit 6: 0 to 1000 (default 32, with jittered exponential backoff up to 2 s).
    /// Only updates that mean the same after the other writer's commit are retried, and
    /// compactions only while every file they merge is still in the dataset.
    #[arg(long, env = "PLATEAU_RETRIES", value_name = "N", global = true,
          value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub retries: Option<u32>,
    /// Whether `threads` came from `PLATEAU_THREADS` (for error messages).
    #[arg(skip)]
    pub threads_from_env: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// A predicate given as text or as plateau's JSON.
#[derive(Args, Debug, Clone, Default)]
pub struct PredicateArgs {
    /// Predicate text, e.g. "a == 1 and b in ('x', 'y') or c >= date '2020-01-01'".
    #[arg(long = "where", value_name = "EXPR", conflicts_with = "predicates")]
    pub where_: Option<String>,
    /// Predicates in plateau's JSON form, e.g. '[[["a", "==", 1]]]'.
    #[arg(long, value_name = "JSON")]
    pub predicates: Option<String>,
}

/// Output formats of `read`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// An aligned text table (for terminals), values written as in csv.
    Table,
    /// CSV with a header line. Timestamps with a zone are RFC 3339 text with the zone's
    /// offset (2020-09-13T14:26:40+02:00); lists, structs and maps are JSON text.
    Csv,
    /// One JSON object per line: numbers and booleans as JSON values (NaN as null),
    /// decimals, dates, timestamps (as in csv) and binary (hex) as strings, lists, structs
    /// and maps as JSON arrays and objects.
    Jsonl,
    /// Parquet (lossless; needs --output or a redirected stdout).
    Parquet,
}

/// Input formats of `write` and `update`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFormat {
    /// Parquet files.
    Parquet,
    /// CSV files with a header line (types inferred).
    Csv,
    /// One JSON object per line (types inferred: integer, float, bool, string).
    Jsonl,
}

/// Parquet compression codecs.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompressionArg {
    /// Snappy (plateau's default).
    Snappy,
    /// Zstandard.
    Zstd,
    /// Gzip.
    Gzip,
    /// No compression.
    None,
}

/// Metadata file formats.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetadataFormatArg {
    /// `<uuid>.by-dataset-metadata.json`.
    Json,
    /// `<uuid>.by-dataset-metadata.msgpack.zstd`.
    Msgpack,
}

/// Options shared by `write` and `update` for the data files.
#[derive(Args, Debug, Clone)]
pub struct FileArgs {
    /// Input format (default: from each file's extension).
    #[arg(long, value_enum)]
    pub input_format: Option<InputFormat>,
    /// Rows per Parquet row group (at least 1).
    #[arg(long, value_name = "N")]
    pub row_group_size: Option<usize>,
    /// Parquet compression.
    #[arg(long, value_enum, default_value = "snappy")]
    pub compression: CompressionArg,
    /// Sort every written partition by these columns (comma separated).
    #[arg(long, value_delimiter = ',', value_name = "COLUMNS")]
    pub sort_by: Vec<String>,
    /// Shuffle the rows of all inputs into at most N files per partition (plateau's dask
    /// `shuffle=True, num_buckets=N`, N at least 1); without it, every input file gives its
    /// own files.
    #[arg(long, value_name = "N")]
    pub num_buckets: Option<usize>,
    /// With --num-buckets: rows with equal values of these columns go to one file (default:
    /// all columns).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "COLUMNS",
        requires = "num_buckets"
    )]
    pub bucket_by: Vec<String>,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write a sample partitioned, indexed dataset `demo` and run a pruned query on it.
    #[command(after_help = "Example:\n  plateau --store ./demo-store demo")]
    Demo {
        /// Number of rows to generate.
        #[arg(long, default_value_t = 300_000)]
        rows: usize,
    },
    /// List the datasets in the store.
    #[command(
        after_help = "Example:\n  plateau --store ./demo-store list --json\n\n\
        Columns: uuid, format (json|msgpack), partitions (count), partition_keys, indices.\n\
        --json prints one array of objects with these keys (lists for partition_keys and\n\
        indices); an unreadable dataset is reported on stderr and skipped."
    )]
    List {
        /// Print JSON instead of tab-separated text.
        #[arg(long)]
        json: bool,
    },
    /// Show a dataset's metadata: version, table, partition keys, partitions, indices, schema.
    #[command(
        after_help = "Example:\n  plateau --store ./demo-store info demo --json --indices\n\n\
        --json prints the canonical dump (keys sorted): uuid, metadata_version, table,\n\
        partition_keys, partitions (label -> file), schema ([{name, type}]), indices\n\
        (column -> [[value, [labels]]], only with --indices), metadata."
    )]
    Info {
        /// The dataset uuid.
        uuid: String,
        /// Print the canonical JSON dump.
        #[arg(long)]
        json: bool,
        /// Load and include the content of every index.
        #[arg(long)]
        indices: bool,
    },
    /// Print a dataset's schema (one `name: type` line per column).
    #[command(after_help = "Example:\n  plateau --store ./demo-store schema demo")]
    Schema {
        /// The dataset uuid.
        uuid: String,
    },
    /// Print an index: each value and the partitions holding it.
    #[command(
        after_help = "Example:\n  plateau --store ./demo-store index demo product\n\n\
        --json prints the index as in `info --json --indices`: [[value, [labels sorted]], ...]\n\
        sorted by value (dates as \"YYYY-MM-DD\", timestamps as integer nanoseconds, binary as hex)."
    )]
    Index {
        /// The dataset uuid.
        uuid: String,
        /// An indexed column (secondary index or partition key).
        column: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print the partitions (label and file) a query would read, without reading data.
    #[command(
        after_help = "Example:\n  plateau --store ./demo-store partitions demo --where \"country == 'DE' and product == 'p07'\"\n\n\
        Text: one `label<TAB>file` line per partition. --json prints\n\
        {\"total\": <partitions of the dataset>, \"partitions\": [{\"label\": .., \"file\": ..}, ...]}."
    )]
    Partitions {
        /// The dataset uuid.
        uuid: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// The query.
        #[command(flatten)]
        predicate: PredicateArgs,
    },
    /// Read rows of a dataset.
    #[command(
        after_help = "Example:\n  plateau --store ./demo-store read demo --columns id,amount --where \"amount > 990\" --format csv --limit 10"
    )]
    Read {
        /// The dataset uuid.
        uuid: String,
        /// Columns to read (comma separated; default all).
        #[arg(long, value_delimiter = ',', value_name = "COLUMNS")]
        columns: Option<Vec<String>>,
        /// The query.
        #[command(flatten)]
        predicate: PredicateArgs,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
        /// Write to this file instead of stdout.
        #[arg(long, short, value_name = "FILE")]
        output: Option<std::path::PathBuf>,
        /// At most this many rows.
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// Run a SQL query over the store's datasets (DataFusion; each dataset is a table named
    /// by its uuid). `EXPLAIN` also prints which partitions each scan read and what pruned
    /// the others; `INSERT INTO uuid SELECT ...` appends through plateau's commit.
    #[cfg(feature = "sql")]
    #[command(
        after_help = "Examples:\n  plateau --store ./demo-store sql \"SELECT country, count(*) FROM demo GROUP BY country\"\n  \
        plateau --store ./demo-store sql \"EXPLAIN SELECT * FROM demo WHERE country = 'DE'\""
    )]
    Sql {
        /// The query (one statement).
        query: String,
        /// Run the query across these `plateau worker`s (comma separated URLs such as
        /// `http://127.0.0.1:50051`), each reading a share of the files; they must open
        /// the same store. Default: run it in this process.
        #[arg(long, value_delimiter = ',', value_name = "URLS")]
        workers: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
        /// Write to this file instead of stdout.
        #[arg(long, short, value_name = "FILE")]
        output: Option<std::path::PathBuf>,
    },
    /// Serve as a worker for distributed `plateau sql --workers` queries on this store
    /// (a gRPC server executing plan fragments; runs until killed).
    #[cfg(feature = "sql")]
    #[command(
        after_help = "Example:\n  plateau --store s3://bucket/prefix worker --port 50051 &\n  \
        plateau --store s3://bucket/prefix sql \"SELECT count(*) FROM sales\" --workers http://127.0.0.1:50051"
    )]
    Worker {
        /// The port to listen on.
        #[arg(long, default_value_t = 50051)]
        port: u16,
        /// The address to listen on (loopback by default: expose workers deliberately).
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
    },
    /// Create a dataset from input files (one plateau input frame per file).
    #[command(
        after_help = "Examples:\n  plateau --store ./store write sales sales.csv --partition-on country --index product\n  \
        plateau --store ./store write sales part-*.parquet --partition-on country --num-buckets 4 --bucket-by product"
    )]
    Write {
        /// The dataset uuid.
        uuid: String,
        /// Input files (.parquet, .csv, .jsonl).
        #[arg(required = true)]
        inputs: Vec<std::path::PathBuf>,
        /// Partition columns (comma separated).
        #[arg(long, value_delimiter = ',', value_name = "COLUMNS")]
        partition_on: Vec<String>,
        /// Secondary index columns (comma separated).
        #[arg(long, value_delimiter = ',', value_name = "COLUMNS")]
        index: Vec<String>,
        /// Replace an existing dataset.
        #[arg(long)]
        overwrite: bool,
        /// Metadata file format.
        #[arg(long, value_enum, default_value = "json")]
        metadata_format: MetadataFormatArg,
        /// Data file options.
        #[command(flatten)]
        files: FileArgs,
    },
    /// Append input files to a dataset and/or delete partitions by scope.
    #[command(
        after_help = "Example:\n  plateau --store ./store update sales new.csv --delete-scope 'country=DE' --metadata source=cli"
    )]
    Update {
        /// The dataset uuid.
        uuid: String,
        /// Input files (.parquet, .csv, .jsonl); may be none for a pure delete.
        inputs: Vec<std::path::PathBuf>,
        /// Delete the partitions matching `col=value,col=value` (repeatable).
        #[arg(long, value_name = "SCOPE")]
        delete_scope: Vec<String>,
        /// Secondary index columns to add (comma separated).
        #[arg(long, value_delimiter = ',', value_name = "COLUMNS")]
        index: Vec<String>,
        /// User metadata `key=value` (repeatable).
        #[arg(long, value_name = "KEY=VALUE")]
        metadata: Vec<String>,
        /// Data file options.
        #[command(flatten)]
        files: FileArgs,
    },
    /// Build secondary indices of existing data.
    #[command(after_help = "Example:\n  plateau --store ./demo-store build-index demo id")]
    BuildIndex {
        /// The dataset uuid.
        uuid: String,
        /// The columns to index.
        #[arg(required = true)]
        columns: Vec<String>,
    },
    /// Delete files of the dataset that its metadata no longer references.
    #[command(after_help = "Example:\n  plateau --store ./demo-store gc demo --dry-run")]
    Gc {
        /// The dataset uuid.
        uuid: String,
        /// Only list what would be deleted.
        #[arg(long)]
        dry_run: bool,
        /// Keep unreferenced files younger than this (`0`, `500ms`, `30s`, `5m`, `1h`, `2d`):
        /// a concurrent writer's files look like garbage until it commits, so this must
        /// exceed the time any writer takes. `0` only while nobody writes.
        #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_duration)]
        min_age: std::time::Duration,
    },
    /// Merge each partition-key combination's small data files into larger ones (fewer
    /// files and requests per read; the rows stay the same, their order within a
    /// combination may change). One commit; the old files stay until `plateau gc`.
    #[command(
        after_help = "Examples:\n  plateau --store ./store compact sales --dry-run\n  \
        plateau --store ./store compact sales --where \"country == 'DE'\" --target-size 256MiB --sort-by id\n\n\
        Prints one `key<TAB>files_before<TAB>files_after<TAB>bytes_merged` line per\n\
        partition-key combination that changes, after a header line; the key is the\n\
        combination's directory (`country=DE/year=2024`), `(all)` for a dataset without\n\
        partition keys. Files at or above the target and combinations with fewer than two\n\
        small files are left alone; nothing to merge changes nothing. Indices are rewritten;\n\
        Python plateau reads, updates and garbage-collects the result."
    )]
    Compact {
        /// The dataset uuid.
        uuid: String,
        /// Which partition-key combinations to compact (predicates on partition keys only).
        #[command(flatten)]
        predicate: PredicateArgs,
        /// What to merge and how.
        #[command(flatten)]
        args: CompactArgs,
    },
    /// Per row group statistics of the partitions a query would read (plateau's
    /// `collect_dataset_metadata`), tab separated.
    #[command(
        after_help = "Example:\n  plateau --store ./demo-store stats demo --where \"country == 'DE'\""
    )]
    Stats {
        /// The dataset uuid.
        uuid: String,
        /// The query.
        #[command(flatten)]
        predicate: PredicateArgs,
    },
    /// Integrity check: files exist and open, schemas match _common_metadata, indices load
    /// and reference only existing partitions. Prints every problem; exit code 7 if any.
    #[command(after_help = "Example:\n  plateau --store ./demo-store check demo")]
    Check {
        /// The dataset uuid.
        uuid: String,
    },
    /// Delete a dataset: data files, indices and metadata.
    #[command(after_help = "Example:\n  plateau --store ./demo-store delete demo")]
    Delete {
        /// The dataset uuid.
        uuid: String,
        /// Files no metadata vouches for (interrupted uploads; every file of a uuid whose
        /// metadata is gone) are deleted only when older than this (`0`, `30s`, `1h`, …).
        #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_duration)]
        min_age: std::time::Duration,
    },
    /// Check that the store honours the conditional writes plateau's commits rely on
    /// (a probe object under .plateau-probe/, deleted afterwards). Exit 7 if it does not.
    #[command(after_help = "Example:\n  plateau --store s3://bucket/prefix probe")]
    Probe,
    /// Copy a dataset to another store, or under another uuid: data and index files first,
    /// verified by size, the metadata file last (never over an existing dataset).
    #[command(
        after_help = "Examples:\n  plateau --store ./demo-store copy demo --to s3://bucket/prefix\n  \
        plateau --store ./demo-store copy demo --to ./demo-store --as demo-copy"
    )]
    Copy {
        /// The dataset uuid.
        uuid: String,
        /// The target store (any --store URL).
        #[arg(long, value_name = "URL")]
        to: String,
        /// An object_store option of the target store (repeatable), as --store-option.
        #[arg(long = "to-option", value_name = "KEY=VALUE", value_parser = parse_store_option)]
        to_options: Vec<(String, String)>,
        /// The uuid of the copy (default: the same).
        #[arg(long = "as", value_name = "NEW_UUID")]
        as_uuid: Option<String>,
    },
}

/// The options of `plateau compact`.
#[derive(Args, Debug)]
pub struct CompactArgs {
    /// The size of a compacted file; smaller files are merged: bytes with an optional
    /// unit (K, M, G = powers of 1000, KiB, MiB, GiB = powers of 1024, any case) or
    /// rows as `<N>rows` [default: 128MiB].
    #[arg(long, value_name = "SIZE", value_parser = compact::parse_target_size)]
    pub target_size: Option<plateau_io::compact::TargetSize>,
    /// Sort each new file's rows by these columns (comma separated).
    #[arg(long, value_delimiter = ',', value_name = "COLUMNS")]
    pub sort_by: Vec<String>,
    /// Indexed columns your updates replace data by (`--delete-scope col=value`; comma
    /// separated): only partitions with the same values of these columns are merged, so
    /// such a delete scope keeps removing exactly the rows it removes now. A delete scope
    /// removes whole partitions, and compaction makes them larger.
    #[arg(long, value_delimiter = ',', value_name = "COLUMNS")]
    pub delete_scope_columns: Vec<String>,
    /// Only print the plan.
    #[arg(long)]
    pub dry_run: bool,
}

/// A duration as `<number><unit>` with unit `ms`, `s`, `m`, `h` or `d`, or `0`.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    use std::time::Duration;
    let text = text.trim();
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .ok_or_else(|| format!("`{text}` has no unit (ms, s, m, h or d)"))?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` does not start with a number"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        "d" => value * 86400.0,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{text}` (ms, s, m, h or d)"
            ))
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("`{text}`: {e}"))
}

/// An error ready to report: the exit code and one line of text.
#[derive(Debug)]
pub struct CliError {
    /// The exit code (see [`EXIT_CODES`]).
    pub code: u8,
    /// The message.
    pub message: String,
}

impl CliError {
    /// An error with exit code `code`.
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// An invalid-input error (exit code 5).
    pub fn input(message: impl Into<String>) -> Self {
        Self::new(5, message)
    }
}

impl From<plateau_core::Error> for CliError {
    fn from(error: plateau_core::Error) -> Self {
        Self::new(exit_code(&error), error.to_string())
    }
}

/// The exit code of a library error (see [`EXIT_CODES`]).
pub fn exit_code(error: &plateau_core::Error) -> u8 {
    use plateau_core::Error as E;
    match error {
        E::DatasetNotFound { .. } => 3,
        E::DatasetExists { .. } => 4,
        E::ColumnNotFound { .. }
        | E::PredicateType { .. }
        | E::InvalidPredicate(_)
        | E::PredicateParse { .. }
        | E::InvalidUuid(_)
        | E::InvalidInput(_)
        | E::Unsupported(_)
        | E::SchemaIncompatible { .. } => 5,
        E::CommitConflict { .. } => 6,
        _ => 1,
    }
}

impl From<std::io::Error> for CliError {
    fn from(error: std::io::Error) -> Self {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            // `plateau read ... | head`: the reader is gone, which is not a failure.
            return Self::new(0, "");
        }
        Self::new(1, format!("i/o error: {error}"))
    }
}

impl From<arrow::error::ArrowError> for CliError {
    fn from(error: arrow::error::ArrowError) -> Self {
        Self::new(1, format!("arrow error: {error}"))
    }
}

impl From<parquet::errors::ParquetError> for CliError {
    fn from(error: parquet::errors::ParquetError) -> Self {
        Self::new(1, format!("parquet error: {error}"))
    }
}

/// The result of a command.
pub type CliResult<T = ()> = Result<T, CliError>;

/// `message` as one line: its lines joined with `; `, other control characters (from a
/// uuid or column name, say) escaped so that they cannot break or garble the line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
        .chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// `message` with every secret the command was given replaced by `***`: passwords and
/// secret query values of `--store` and `--to` URLs, secret-looking `--store-option` and
/// `--to-option` values, and the secret `AWS_`/`AZURE_`/`GOOGLE_` environment variables.
/// Backends may quote request URLs or configuration in their errors; none of it reaches
/// the terminal.
fn redact_secrets(message: &str, cli: &Cli) -> String {
    use plateau_core::location::{is_secret_parameter, url_secrets};
    let mut secrets = url_secrets(&cli.store);
    let mut options: Vec<&(String, String)> = cli.store_options.iter().collect();
    if let Command::Copy { to, to_options, .. } = &cli.command {
        secrets.extend(url_secrets(to));
        options.extend(to_options.iter());
    }
    secrets.extend(
        options
            .into_iter()
            .filter(|(key, _)| is_secret_parameter(key))
            .map(|(_, value)| value.clone()),
    );
    secrets.extend(std::env::vars().filter_map(|(key, value)| {
        let cloud = ["AWS_", "AZURE_", "GOOGLE_"]
            .iter()
            .any(|p| key.starts_with(p));
        (cloud && is_secret_parameter(&key)).then_some(value)
    }));
    // Longest first, so that a secret containing another is replaced whole; very short
    // values would garble the message and cannot be secrets worth the name.
    secrets.retain(|s| s.len() >= 4);
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.iter().fold(message.to_owned(), |text, secret| {
        text.replace(secret.as_str(), "***")
    })
}

/// `KEY=VALUE` of `--store-option`.
fn parse_store_option(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_owned(), value.to_owned()))
        }
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

/// Parses the command line (exiting with clap's usage error, code 2, on bad syntax).
fn parse() -> Cli {
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    cli.threads_from_env = matches.value_source("threads") == Some(ValueSource::EnvVariable);
    cli
}

/// Keeps panics of the Parquet decoder quiet: the library turns them into "corrupt file"
/// errors (`guard_decoder`), which this binary reports in one line. Every other panic is a
/// bug of ours and keeps Rust's default report.
fn install_panic_hook() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !plateau_serialization::parquet::is_decoding_guarded() {
            default_hook(info);
        }
    }));
}

fn main() -> ExitCode {
    install_panic_hook();
    let cli = parse();
    match commands::run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.code == 0 => ExitCode::SUCCESS,
        Err(error) => {
            // One line, whatever the library's message looks like.
            let message = redact_secrets(&one_line(&error.message), &cli);
            // A closed stderr is no reason to panic: the exit code still tells.
            let _ = writeln!(std::io::stderr(), "plateau: error: {message}");
            ExitCode::from(error.code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plateau_core::Error;

    #[test]
    fn secrets_never_reach_error_messages() {
        let cli = Cli::try_parse_from([
            "plateau",
            "--store",
            "hs3://KEY:se%2Fcret99@host/b?session_token=TOKEN123",
            "--store-option",
            "aws_secret_access_key=OPTSECRET",
            "--store-option",
            "aws_access_key_id=KEYID123",
            "copy",
            "u",
            "--to",
            "hazure://acc:AZKEY777@c",
        ])
        .unwrap();
        let message = "GET failed: se/cret99 se%2Fcret99 TOKEN123 OPTSECRET AZKEY777 KEYID123";
        assert_eq!(
            redact_secrets(message, &cli),
            "GET failed: *** *** *** *** *** KEYID123"
        );
    }

    #[test]
    fn library_errors_map_to_documented_exit_codes() {
        let code = |e: Error| CliError::from(e).code;
        assert_eq!(code(Error::DatasetNotFound { uuid: "u".into() }), 3);
        assert_eq!(code(Error::DatasetExists { uuid: "u".into() }), 4);
        assert_eq!(
            code(Error::ColumnNotFound {
                columns: vec!["c".into()]
            }),
            5
        );
        assert_eq!(code(Error::InvalidPredicate("x".into())), 5);
        assert_eq!(code(Error::InvalidUuid("a/b".into())), 5);
        let conflict = Error::CommitConflict {
            key: "u.by-dataset-metadata.json".into(),
            message: "changed".into(),
        };
        assert_eq!(code(conflict), 6);
        assert_eq!(code(Error::corrupt("k", "bad")), 1);
        assert_eq!(code(Error::unsupported("columns of type Interval")), 5);
        let pipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert_eq!(CliError::from(pipe).code, 0);
    }

    #[test]
    fn messages_are_one_line() {
        assert_eq!(one_line("a\n  b\r\n\nc"), "a; b; c");
        assert_eq!(one_line("uuid `x\u{1}y\tz\rw`"), "uuid `x\\u{1}y\\tz\\rw`");
    }

    #[test]
    fn durations_parse() {
        use std::time::Duration;
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        for bad in ["", "5", "h", "5x", "-1s", "1e400s", "s5"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn arguments_parse() {
        Cli::command().debug_assert();
        let cli =
            Cli::try_parse_from(["plateau", "--store", "memory://", "-q", "read", "u"]).unwrap();
        assert!(cli.quiet);
        assert_eq!(cli.store, "memory://");
        assert_eq!(cli.threads, None);
        let cli = Cli::try_parse_from(["plateau", "--threads", "3", "gc", "u"]).unwrap();
        assert_eq!(cli.threads, Some(3));
    }
}
