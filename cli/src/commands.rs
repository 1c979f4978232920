//! The commands: each turns its arguments into library options, calls the library and
//! prints the result. Summaries and progress bars go to stderr (silenced by `--quiet`) so
//! stdout stays data.
//!
//! Reads, writes, updates, gc, delete, build-index, compact and stats run on the parallel
//! front end (plateau-io-parallel, `--threads`), whose progress reports drive the bars; the
//! small metadata-only commands call plateau-io directly.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use plateau_core::location::redact_url;
use plateau_core::naming::{parse_metadata_key, MetadataFormat};
use plateau_core::{Scalar, Store};
use plateau_io_eager as eager;
use plateau_io_parallel as parallel;
use plateau_metadata::{dump, DatasetFactory, DatasetMetadata};
use plateau_serialization::ParquetSerializer;
use serde_json::{Map, Value as Json};

use crate::context::{existing, existing_for_query, parse_predicates, Log};
use crate::progress::Bar;
use crate::validate;
use crate::{
    formats, Cli, CliError, CliResult, Command, CompressionArg, FileArgs, MetadataFormatArg,
    OutputFormat, PredicateArgs,
};

/// The most threads `--threads` accepts: far more than any machine's cores, few enough that
/// a typo cannot spawn a hundred thousand threads.
pub const MAX_THREADS: usize = 256;

/// Runs the command of `cli`. Options and paths are checked before the store is opened.
pub fn run(cli: &Cli) -> CliResult {
    let threads = check_threads(cli.threads, cli.threads_from_env)?;
    validate::check_options(&cli.command)?;
    validate::check_store_path(cli)?;
    if let Command::Read {
        output: Some(output),
        ..
    } = &cli.command
    {
        validate::check_output_outside_store(&cli.store, output)?;
    }
    #[cfg(feature = "sql")]
    if let Command::Sql {
        output: Some(output),
        ..
    } = &cli.command
    {
        validate::check_output_outside_store(&cli.store, output)?;
    }
    let store = Store::from_url_opts(&cli.store, cli.store_options.iter().cloned())?
        .with_last_writer_wins(cli.last_writer_wins);
    let bar = Bar::for_stderr(cli.quiet);
    let log = Log {
        quiet: cli.quiet,
        bar,
        threads,
        pool: std::cell::OnceCell::new(),
        retries: cli.retries,
    };
    match &cli.command {
        Command::Demo { rows } => crate::demo::run(&store, &redact_url(&cli.store), *rows),
        Command::List { json } => list(&store, *json),
        Command::Info {
            uuid,
            json,
            indices,
        } => info(&store, uuid, *json, *indices),
        Command::Schema { uuid } => schema(&store, uuid),
        Command::Index { uuid, column, json } => index(&store, uuid, column, *json),
        Command::Partitions {
            uuid,
            json,
            predicate,
        } => partitions(&store, uuid, predicate, *json, &log),
        Command::Read {
            uuid,
            columns,
            predicate,
            format,
            output,
            limit,
        } => read(
            &store,
            uuid,
            columns.as_deref(),
            predicate,
            *format,
            output.as_deref(),
            *limit,
            &log,
        ),
        #[cfg(feature = "sql")]
        Command::Sql {
            query,
            workers,
            format,
            output,
        } => crate::sql::run(&store, query, workers, *format, output.as_deref(), &log),
        #[cfg(feature = "sql")]
        Command::Worker { port, host } => crate::sql::serve(&store, *host, *port, &log),
        Command::Write {
            uuid,
            inputs,
            partition_on,
            index,
            overwrite,
            metadata_format,
            files,
        } => {
            let batches = load_inputs(inputs, files, &log)?;
            validate::check_partition_columns(inputs, &batches, partition_on)?;
            let format = match metadata_format {
                MetadataFormatArg::Json => MetadataFormat::Json,
                MetadataFormatArg::Msgpack => MetadataFormat::Msgpack,
            };
            let options = eager::StoreOptions::default()
                .partition_on(partition_on.clone())
                .secondary_indices(index.clone())
                .overwrite(*overwrite)
                .metadata_format(format)
                .serializer(serializer(files)?);
            let metadata = parallel::write::store_dataset_with(
                &store,
                uuid,
                &batches,
                &options,
                &layout(files),
                &log.parallel()?,
            )?;
            let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
            log.say(format!(
                "wrote dataset `{uuid}`: {rows} rows in {} partitions",
                metadata.partitions.len()
            ));
            Ok(())
        }
        Command::Update {
            uuid,
            inputs,
            delete_scope,
            index,
            metadata,
            files,
        } => update(
            &store,
            uuid,
            inputs,
            delete_scope,
            index,
            metadata,
            files,
            &log,
        ),
        Command::BuildIndex { uuid, columns } => {
            let factory = existing(&store, uuid)?;
            parallel::maintenance::build_indices(&factory, columns, &log.parallel()?)?;
            log.say(format!(
                "built indices {} of dataset `{uuid}`",
                columns.join(", ")
            ));
            Ok(())
        }
        Command::Gc {
            uuid,
            dry_run,
            min_age,
        } => {
            let factory = maintenance_factory(&store, uuid)?;
            let options = eager::GcOptions::default()
                .dry_run(*dry_run)
                .min_age(*min_age);
            let report =
                parallel::maintenance::garbage_collect(&factory, &options, &log.parallel()?)?;
            let mut out = std::io::stdout().lock();
            for file in &report.files {
                writeln!(out, "{file}")?;
            }
            let verb = if *dry_run { "would delete" } else { "deleted" };
            log.say(format!(
                "{verb} {} files{}",
                report.files.len(),
                kept_note(report.kept_young, *min_age)
            ));
            Ok(())
        }
        Command::Compact {
            uuid,
            predicate,
            args,
        } => crate::compact::run(&store, uuid, predicate, args, &log),
        Command::Stats { uuid, predicate } => {
            crate::inspect::stats(&store, uuid, predicate, &log.parallel()?)
        }
        Command::Check { uuid } => crate::inspect::check(&store, uuid, &log),
        Command::Probe => match store.probe_conditional_writes() {
            Ok(()) => {
                println!(
                    "store `{}` honours create-if-absent and update-if-match: commits are atomic",
                    redact_url(&cli.store)
                );
                Ok(())
            }
            Err(plateau_core::Error::Unsupported(message)) => Err(CliError::new(7, message)),
            Err(e) => Err(e.into()),
        },
        Command::Copy {
            uuid,
            to,
            to_options,
            as_uuid,
        } => {
            let target = Store::from_url_opts(to, to_options.iter().cloned())?
                .with_last_writer_wins(cli.last_writer_wins);
            let mut options = plateau_io::copy::CopyOptions::new();
            if let Some(new_uuid) = as_uuid {
                options = options.target_uuid(new_uuid.clone());
            }
            let report = plateau_io::copy::copy_dataset(&store, uuid, &target, &options)?;
            log.say(format!(
                "copied dataset `{uuid}` to `{}` as `{}`: {} files, {} bytes",
                redact_url(to),
                as_uuid.as_deref().unwrap_or(uuid),
                report.files,
                report.bytes
            ));
            Ok(())
        }
        Command::Delete { uuid, min_age } => {
            let factory = maintenance_factory(&store, uuid)?;
            let had_metadata = factory.exists()?;
            let options = eager::DeleteOptions::default().min_age(*min_age);
            let report =
                parallel::maintenance::delete_dataset_with(&factory, &options, &log.parallel()?)?;
            let kept = kept_note(report.kept_young, *min_age);
            if had_metadata {
                log.say(format!("deleted dataset `{uuid}`{kept}"));
            } else {
                log.say(format!(
                    "dataset `{uuid}` has no metadata: deleted {} orphan files{kept}",
                    report.files.len()
                ));
            }
            Ok(())
        }
    }
}

/// `--threads` (or `PLATEAU_THREADS`), if given, within 1..=[`MAX_THREADS`]; `None` means
/// rayon's global pool (one thread per core).
fn check_threads(threads: Option<usize>, from_env: bool) -> CliResult<Option<usize>> {
    match threads {
        Some(threads) if !(1..=MAX_THREADS).contains(&threads) => {
            let option = if from_env {
                format!("PLATEAU_THREADS={threads}")
            } else {
                format!("--threads {threads}")
            };
            Err(CliError::new(
                2,
                format!("{option}: the number of threads must be between 1 and {MAX_THREADS}"),
            ))
        }
        threads => Ok(threads),
    }
}

/// A factory for gc and delete: the uuid must be valid, but the metadata may be gone (its
/// orphan files are then what gc and delete remove), and `_common_metadata` is not loaded.
fn maintenance_factory(store: &Store, uuid: &str) -> CliResult<DatasetFactory> {
    plateau_core::naming::validate_uuid(uuid)?;
    let options = plateau_metadata::load::LoadOptions::default().load_schema(false);
    Ok(DatasetFactory::with_options(store.clone(), uuid, options))
}

/// `; kept N files younger than D` when files were kept for their age.
fn kept_note(kept: usize, min_age: std::time::Duration) -> String {
    match kept {
        0 => String::new(),
        n => format!("; kept {n} files younger than {min_age:?} (--min-age)"),
    }
}

fn format_name(format: MetadataFormat) -> &'static str {
    match format {
        MetadataFormat::Json => "json",
        MetadataFormat::Msgpack => "msgpack",
    }
}

fn list(store: &Store, json: bool) -> CliResult {
    let mut rows: Vec<Json> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    // Metadata files are the store root's objects: one delimiter listing, no walk over data.
    for object in store.list_directory("")? {
        let key = object.key;
        let Some((uuid, _)) = parse_metadata_key(&key) else {
            continue;
        };
        if !seen.insert(uuid.to_owned()) {
            continue;
        }
        let factory = DatasetFactory::new(store.clone(), uuid);
        // One unreadable dataset must not hide the others.
        match factory.metadata() {
            Ok(metadata) => rows.push(serde_json::json!({
                "uuid": uuid,
                "format": format_name(metadata.format),
                "partitions": metadata.partitions.len(),
                "partition_keys": metadata.partition_keys,
                "indices": metadata.secondary_index_columns(),
            })),
            Err(e) => {
                let message = e.to_string().lines().collect::<Vec<_>>().join("; ");
                let _ = writeln!(
                    std::io::stderr(),
                    "plateau: warning: dataset `{uuid}`: {message}"
                );
            }
        }
    }
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", Json::Array(rows))?;
        return Ok(());
    }
    writeln!(out, "uuid\tformat\tpartitions\tpartition_keys\tindices")?;
    let join = |v: &Json| {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Json::as_str)
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default()
    };
    for row in &rows {
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}",
            row["uuid"].as_str().unwrap_or_default(),
            row["format"].as_str().unwrap_or_default(),
            row["partitions"],
            join(&row["partition_keys"]),
            join(&row["indices"])
        )?;
    }
    Ok(())
}

fn info(store: &Store, uuid: &str, json: bool, indices: bool) -> CliResult {
    let factory = existing(store, uuid)?;
    let metadata = if indices {
        factory.load_all_indices()?
    } else {
        factory.metadata()?
    };
    let mut out = std::io::stdout().lock();
    if json {
        let value = dump::dump(&metadata)?;
        writeln!(out, "{}", dump::to_canonical_string(&value))?;
        return Ok(());
    }
    writeln!(out, "uuid: {}", metadata.uuid)?;
    writeln!(out, "metadata version: {}", metadata.metadata_version)?;
    writeln!(out, "metadata format: {}", format_name(metadata.format))?;
    writeln!(out, "table: {}", metadata.table_name)?;
    writeln!(
        out,
        "partition keys: {}",
        metadata.partition_keys.join(", ")
    )?;
    writeln!(out, "partitions: {}", metadata.partitions.len())?;
    writeln!(
        out,
        "secondary indices: {}",
        metadata.secondary_index_columns().join(", ")
    )?;
    writeln!(out, "metadata: {}", Json::Object(metadata.metadata.clone()))?;
    writeln!(out, "schema:")?;
    write_schema(&mut out, &metadata)?;
    if indices {
        for column in metadata.index_columns() {
            writeln!(out, "index {column}:")?;
            write_index(&mut out, &metadata, column)?;
        }
    }
    Ok(())
}

fn write_schema(out: &mut impl std::io::Write, metadata: &DatasetMetadata) -> CliResult {
    if let Some(schema) = &metadata.schema {
        for field in schema.schema().fields() {
            writeln!(out, "  {}: {}", field.name(), field.data_type())?;
        }
    }
    Ok(())
}

fn write_index(
    out: &mut impl std::io::Write,
    metadata: &DatasetMetadata,
    column: &str,
) -> CliResult {
    let index = metadata.loaded_index(column).ok_or_else(|| {
        CliError::input(format!(
            "column `{column}` of dataset `{}` has no index (indexed: {})",
            metadata.uuid,
            metadata.index_columns().join(", ")
        ))
    })?;
    for (value, labels) in index.entries()? {
        writeln!(out, "  {value}\t{}", labels.join(" "))?;
    }
    Ok(())
}

fn schema(store: &Store, uuid: &str) -> CliResult {
    let factory = existing(store, uuid)?;
    let metadata = factory.metadata()?;
    let schema = metadata.schema.as_ref().ok_or_else(|| {
        CliError::new(
            1,
            format!(
                "dataset `{uuid}` has no schema: `{}` is missing",
                plateau_core::naming::common_metadata_key(uuid, &metadata.table_name)
            ),
        )
    })?;
    let mut out = std::io::stdout().lock();
    for field in schema.schema().fields() {
        writeln!(out, "{}: {}", field.name(), field.data_type())?;
    }
    Ok(())
}

fn index(store: &Store, uuid: &str, column: &str, json: bool) -> CliResult {
    let factory = existing(store, uuid)?;
    let metadata = factory.metadata()?;
    if !metadata.index_columns().contains(&column) {
        return Err(CliError::input(format!(
            "column `{column}` of dataset `{uuid}` has no index (indexed: {})",
            metadata.index_columns().join(", ")
        )));
    }
    let metadata = factory.load_indices(&[column])?;
    let mut out = std::io::stdout().lock();
    if json {
        // The dump holds every loaded index in its canonical form; keep just this one.
        let value = dump::dump(&metadata)?;
        let entries = value["indices"][column].clone();
        writeln!(out, "{}", dump::to_canonical_string(&entries))?;
        return Ok(());
    }
    write_index(&mut out, &metadata, column)
}

fn partitions(
    store: &Store,
    uuid: &str,
    predicate: &PredicateArgs,
    json: bool,
    log: &Log,
) -> CliResult {
    let factory = existing_for_query(store, uuid, predicate)?;
    let metadata = factory.metadata()?;
    let mut options = eager::ReadOptions::default();
    if let Some(predicates) = parse_predicates(predicate, &metadata)? {
        options = options.predicates(predicates);
    }
    let (metadata, groups) = plateau_io::read::plan(&factory, &options)?;
    let planned: Vec<(&str, &str)> = groups
        .iter()
        .flat_map(|g| g.labels.iter())
        .map(|label| {
            let file = metadata
                .partitions
                .get(label)
                .map_or("", |p| p.file.as_str());
            (label.as_str(), file)
        })
        .collect();
    let mut out = std::io::stdout().lock();
    if json {
        let list: Vec<Json> = planned
            .iter()
            .map(|(label, file)| serde_json::json!({"label": label, "file": file}))
            .collect();
        let value = serde_json::json!({"total": metadata.partitions.len(), "partitions": list});
        writeln!(out, "{value}")?;
    } else {
        for (label, file) in &planned {
            writeln!(out, "{label}\t{file}")?;
        }
    }
    log.say(format!(
        "{} of {} partitions would be read",
        planned.len(),
        metadata.partitions.len()
    ));
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn read(
    store: &Store,
    uuid: &str,
    columns: Option<&[String]>,
    predicate: &PredicateArgs,
    format: OutputFormat,
    output: Option<&Path>,
    limit: Option<usize>,
    log: &Log,
) -> CliResult {
    use std::io::IsTerminal as _;
    if format == OutputFormat::Parquet && output.is_none() && std::io::stdout().is_terminal() {
        return Err(CliError::new(
            2,
            "--format parquet writes binary data: give --output FILE or redirect stdout",
        ));
    }
    let factory = existing_for_query(store, uuid, predicate)?;
    let mut options = eager::ReadOptions::default();
    if let Some(columns) = columns {
        if columns.iter().any(String::is_empty) {
            return Err(CliError::input(format!(
                "--columns `{}`: empty column name",
                columns.join(",")
            )));
        }
        options = options.columns(columns.iter().cloned());
    }
    let metadata = factory.metadata()?;
    if let Some(predicates) = parse_predicates(predicate, &metadata)? {
        options = options.predicates(predicates);
    }
    let mut table = parallel::read::read_table(&factory, &options, &log.parallel()?)?;
    if let Some(limit) = limit {
        table = table.slice(0, limit.min(table.num_rows()));
    }
    let rows = table.num_rows();
    match output {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(|e| {
                CliError::new(1, format!("cannot create `{}`: {e}", path.display()))
            })?;
            let mut file = std::io::BufWriter::new(file);
            crate::output::write_output(&mut file, &table, format, &log.parallel()?)?;
            file.flush()?;
        }
        None => {
            let mut out = std::io::stdout().lock();
            crate::output::write_output(&mut out, &table, format, &log.parallel()?)?;
            out.flush()?;
        }
    }
    log.say(format!("{rows} rows"));
    // The process ends after this command and the OS takes the memory back at once; freeing
    // the table and a large dataset's metadata piece by piece took 15% of a point read on
    // 100,000 partitions.
    std::mem::forget(table);
    std::mem::forget(metadata);
    std::mem::forget(factory);
    Ok(())
}

/// The Parquet serializer of `--compression` and `--row-group-size`.
fn serializer(files: &FileArgs) -> CliResult<ParquetSerializer> {
    let compression = match files.compression {
        CompressionArg::Snappy => Compression::SNAPPY,
        CompressionArg::Zstd => Compression::ZSTD(ZstdLevel::default()),
        CompressionArg::Gzip => Compression::GZIP(GzipLevel::default()),
        CompressionArg::None => Compression::UNCOMPRESSED,
    };
    Ok(ParquetSerializer::new(compression, files.row_group_size)?)
}

/// The shuffle of `--num-buckets` / `--bucket-by` (`--sort-by` is applied to each input
/// file when it is read, and again to each bucket).
fn layout(files: &FileArgs) -> parallel::write::WriteLayout {
    let mut layout = parallel::write::WriteLayout::default();
    if let Some(buckets) = files.num_buckets {
        layout = layout
            .shuffle(files.bucket_by.clone(), buckets)
            .sort_partitions_by(files.sort_by.clone());
    }
    layout
}

/// Reads the input files (one batch each), sorted by `--sort-by`. All of them are read
/// before anything is written, so a bad file changes nothing.
fn load_inputs(inputs: &[PathBuf], files: &FileArgs, log: &Log) -> CliResult<Vec<RecordBatch>> {
    if let Some(bar) = &log.bar {
        bar.start("reading input files", inputs.len() as u64);
    }
    inputs
        .iter()
        .map(|path| {
            let batch = formats::read_input(path, files.input_format)?;
            validate::check_storable(path, &batch)?;
            let batch = if files.sort_by.is_empty() {
                batch
            } else {
                formats::sort_batch(&batch, &files.sort_by)?
            };
            if let Some(bar) = &log.bar {
                bar.tick();
            }
            Ok(batch)
        })
        .collect()
}

/// `a=1,b=x` as a delete scope, each value parsed as the column's type.
fn parse_scope(metadata: &DatasetMetadata, text: &str) -> CliResult<eager::DeleteScope> {
    let mut scope = Vec::new();
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        let (column, value) = part.split_once('=').ok_or_else(|| {
            CliError::input(format!(
                "delete scope `{text}`: expected `column=value`, got `{part}`"
            ))
        })?;
        let column = column.trim();
        let data_type = plateau_metadata::load::column_type(metadata, column)?;
        let scalar: Scalar =
            plateau_core::partition_value::parse_unquoted(value.as_bytes(), &data_type)
                .map_err(|e| {
                    CliError::input(format!(
                        "delete scope: column `{column}` has type {data_type}, value `{value}` does not fit: {e}"
                    ))
                })?;
        scope.push((column.to_owned(), scalar));
    }
    if scope.is_empty() {
        return Err(CliError::input(format!("delete scope `{text}` is empty")));
    }
    Ok(scope)
}

#[allow(clippy::too_many_arguments)]
fn update(
    store: &Store,
    uuid: &str,
    inputs: &[PathBuf],
    delete_scope: &[String],
    index: &[String],
    metadata: &[String],
    files: &FileArgs,
    log: &Log,
) -> CliResult {
    let factory = existing(store, uuid)?;
    let current = factory.metadata()?;
    let scopes = delete_scope
        .iter()
        .map(|text| parse_scope(&current, text))
        .collect::<CliResult<Vec<_>>>()?;
    let mut user = Map::new();
    for entry in metadata {
        let (key, value) = entry.split_once('=').ok_or_else(|| {
            CliError::input(format!("--metadata `{entry}`: expected `key=value`"))
        })?;
        user.insert(key.to_owned(), Json::String(value.to_owned()));
    }
    let batches = load_inputs(inputs, files, log)?;
    validate::check_partition_columns(inputs, &batches, &current.partition_keys)?;
    let mut options = eager::UpdateOptions::default()
        .secondary_indices(index.to_vec())
        .delete_scope(scopes)
        .metadata(user)
        .serializer(serializer(files)?);
    if let Some(retries) = log.retries {
        options = options.retry(eager::RetryPolicy::default().max_retries(retries));
    }
    let before = current.partitions.len();
    let result = parallel::write::update_dataset_with(
        &factory,
        &batches,
        &options,
        &layout(files),
        &log.parallel()?,
    )?;
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    log.say(format!(
        "updated dataset `{uuid}`: {rows} rows appended, {before} -> {} partitions",
        result.partitions.len()
    ));
    Ok(())
}
