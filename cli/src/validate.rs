//! Checks of the command line that need no store: the store path itself, `read --output`
//! against the store, and the input files' column types. All of them run before anything is
//! read from or written to the store.

use std::path::{Path, PathBuf};

use arrow::array::{Array as _, RecordBatch};
use plateau_core::naming::MetadataFormat;
use plateau_core::Scalar;

use crate::{Cli, CliError, CliResult, Command};

/// The longest file name (in bytes) local file systems allow.
const MAX_FILE_NAME: usize = 255;

/// `--row-group-size` and `--num-buckets` must be at least 1 (usage errors, exit code 2).
pub fn check_options(command: &Command) -> CliResult {
    let files = match command {
        Command::Write { files, .. } | Command::Update { files, .. } => files,
        _ => return Ok(()),
    };
    for (option, value) in [
        ("--row-group-size", files.row_group_size),
        ("--num-buckets", files.num_buckets),
    ] {
        if value == Some(0) {
            return Err(CliError::new(2, format!("{option} 0: must be at least 1")));
        }
    }
    Ok(())
}

/// The directory of a local store (a path, `file://`, `hfs://` or `fs://`), as given.
fn local_root(store: &str) -> Option<PathBuf> {
    match plateau_core::StoreLocation::parse(store) {
        Ok(plateau_core::StoreLocation::Local(path)) => Some(path),
        _ => None,
    }
}

/// The uuid argument of `command`, if it has one.
fn command_uuid(command: &Command) -> Option<&str> {
    match command {
        Command::Demo { .. } | Command::List { .. } | Command::Probe => None,
        #[cfg(feature = "sql")]
        Command::Sql { .. } | Command::Worker { .. } => None,
        Command::Info { uuid, .. }
        | Command::Schema { uuid }
        | Command::Index { uuid, .. }
        | Command::Partitions { uuid, .. }
        | Command::Read { uuid, .. }
        | Command::Write { uuid, .. }
        | Command::Update { uuid, .. }
        | Command::BuildIndex { uuid, .. }
        | Command::Gc { uuid, .. }
        | Command::Compact { uuid, .. }
        | Command::Stats { uuid, .. }
        | Command::Check { uuid }
        | Command::Delete { uuid, .. }
        | Command::Copy { uuid, .. } => Some(uuid),
    }
}

/// A local store must be a directory; only `write` and `demo` may create it. Commands that
/// read find no dataset in a store directory that does not exist, and must not create it.
pub fn check_store_path(cli: &Cli) -> CliResult {
    let Some(root) = local_root(&cli.store) else {
        return Ok(());
    };
    if let Some(uuid) = command_uuid(&cli.command) {
        plateau_core::naming::validate_uuid(uuid)?;
        // The longest file name of a dataset is its msgpack metadata file, in the root.
        let name = plateau_core::naming::metadata_key(uuid, MetadataFormat::Msgpack);
        if name.len() > MAX_FILE_NAME {
            return Err(CliError::input(format!(
                "dataset uuid `{uuid}` is too long for a local store: its metadata file name would have {} bytes, file systems allow {MAX_FILE_NAME}",
                name.len()
            )));
        }
    }
    match std::fs::metadata(&root) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(CliError::new(
            1,
            format!("store `{}` is not a directory", cli.store),
        )),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(CliError::new(
            1,
            format!("cannot open store `{}`: {e}", cli.store),
        )),
        Err(_) if matches!(cli.command, Command::Write { .. } | Command::Demo { .. }) => Ok(()),
        Err(_) => {
            let what = match command_uuid(&cli.command) {
                Some(uuid) => format!("dataset `{uuid}` does not exist: "),
                None => String::new(),
            };
            Err(CliError::new(
                3,
                format!("{what}store directory `{}` does not exist", cli.store),
            ))
        }
    }
}

/// `path` made absolute with every existing part resolved (symlinks included), so that two
/// paths to one file compare equal even if the file does not exist yet.
fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    let absolute = std::path::absolute(path)?;
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(mut resolved) = std::fs::canonicalize(existing) {
            for part in rest.iter().rev() {
                if *part == std::ffi::OsStr::new("..") {
                    resolved.pop();
                } else if *part != std::ffi::OsStr::new(".") {
                    resolved.push(part);
                }
            }
            return Ok(resolved);
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last.as_os_str().to_owned());
                existing = parent;
            }
            _ => return Ok(absolute),
        }
    }
}

/// `read --output` may not write into a local store: it could overwrite the dataset's own
/// files (its metadata, say).
pub fn check_output_outside_store(store: &str, output: &Path) -> CliResult {
    let Some(root) = local_root(store) else {
        return Ok(());
    };
    let cannot = |e: std::io::Error| {
        CliError::new(
            1,
            format!("cannot resolve --output `{}`: {e}", output.display()),
        )
    };
    let (root, target) = (
        resolve(&root).map_err(cannot)?,
        resolve(output).map_err(cannot)?,
    );
    if target.starts_with(&root) {
        return Err(CliError::input(format!(
            "--output `{}` lies inside the store `{store}`; write the result outside the store",
            output.display()
        )));
    }
    Ok(())
}

/// Every column of an input file must have a type a plateau dataset can store; the error
/// names the file and the first column that has none.
pub fn check_storable(path: &Path, batch: &RecordBatch) -> CliResult {
    use plateau_metadata::schema::make_meta;
    let schema = batch.schema();
    let Err(error) = make_meta(&schema, "input", &[]) else {
        return Ok(());
    };
    let file = path.display();
    for field in schema.fields() {
        let single = arrow::datatypes::Schema::new(vec![field.clone()]);
        if let Err(e) = make_meta(&single, "input", &[]) {
            return Err(CliError::input(format!(
                "input file `{file}`: column `{}` of type {}: {e}",
                field.name(),
                field.data_type()
            )));
        }
    }
    let error = CliError::from(error);
    Err(CliError::new(
        error.code,
        format!("input file `{file}`: {}", error.message),
    ))
}

/// Partition columns may not hold nulls (plateau cannot name such a partition) and must have
/// a type partition values can have; say which input and column before anything is written.
pub fn check_partition_columns(
    inputs: &[PathBuf],
    batches: &[RecordBatch],
    partition_on: &[String],
) -> CliResult {
    for (path, batch) in inputs.iter().zip(batches) {
        for column in partition_on {
            if let Some(array) = batch.column_by_name(column) {
                if array.null_count() > 0 {
                    return Err(CliError::input(format!(
                        "partition column `{column}` has {} null values in input file `{}`; partition columns may not hold nulls",
                        array.null_count(),
                        path.display()
                    )));
                }
                if !array.is_empty() {
                    if let Err(e) = Scalar::try_from_array(array.as_ref(), 0) {
                        return Err(CliError::input(format!(
                            "partition column `{column}` of input file `{}` has type {}, which partition values cannot have ({e})",
                            path.display(),
                            array.data_type()
                        )));
                    }
                }
            }
        }
    }
    Ok(())
}
