//! `stats` (per row group Parquet statistics, plateau's `collect_dataset_metadata`) and
//! `check` (an integrity check that reports every problem, not just the first).

use std::io::Write as _;

use arrow::datatypes::DataType;
use plateau_core::Store;
use plateau_metadata::common_metadata::read_common_metadata;
use plateau_metadata::load::LoadOptions;
use plateau_metadata::schema::{is_index_level_name, normalize_type, pandas_type_of, types_equal};
use plateau_metadata::DatasetFactory;

use plateau_io_parallel::stats::{collect_dataset_metadata, MetadataOptions, METADATA_COLUMNS};
use plateau_io_parallel::ParallelOptions;

use crate::context::{existing, parse_predicates, Log};
use crate::{CliError, CliResult, PredicateArgs};

/// The type with the distinctions a reader bridges removed: string, binary and list offset
/// widths and views, and dictionary encoding (plateau writes `large_string` to
/// `_common_metadata` and pyarrow/arrow-rs read `string` back from the data files).
fn loose(data_type: &DataType) -> DataType {
    // plateau normalizes integer and float widths in `_common_metadata` (int8 -> int64 ...).
    let (data_type, _) = normalize_type(data_type, &pandas_type_of(data_type));
    match &data_type {
        DataType::LargeUtf8 | DataType::Utf8View => DataType::Utf8,
        DataType::LargeBinary | DataType::BinaryView => DataType::Binary,
        DataType::Dictionary(_, value) => loose(value),
        DataType::LargeList(field) | DataType::ListView(field) | DataType::LargeListView(field) => {
            DataType::List(std::sync::Arc::new(
                field
                    .as_ref()
                    .clone()
                    .with_data_type(loose(field.data_type()))
                    .with_name("item"),
            ))
        }
        DataType::List(field) => DataType::List(std::sync::Arc::new(
            field
                .as_ref()
                .clone()
                .with_data_type(loose(field.data_type()))
                .with_name("item"),
        )),
        other => other.clone(),
    }
}

/// Prints one line per row group of every partition the query would read, with the columns
/// of plateau's `collect_dataset_metadata` (only the footers are fetched, in parallel).
pub fn stats(
    store: &Store,
    uuid: &str,
    predicate: &PredicateArgs,
    parallel: &ParallelOptions,
) -> CliResult {
    let factory = existing(store, uuid)?;
    let metadata = factory.metadata()?;
    let mut options = MetadataOptions::default();
    if let Some(predicates) = parse_predicates(predicate, &metadata)? {
        options = options.predicates(predicates);
    }
    let table = collect_dataset_metadata(&factory, &options, parallel)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", METADATA_COLUMNS.join("\t"))?;
    let columns: Vec<_> = (0..table.num_columns())
        .map(|i| {
            arrow::util::display::ArrayFormatter::try_new(
                table.column(i).as_ref(),
                &Default::default(),
            )
        })
        .collect::<Result<_, _>>()?;
    for row in 0..table.num_rows() {
        let cells: Vec<String> = columns.iter().map(|c| c.value(row).to_string()).collect();
        writeln!(out, "{}", cells.join("\t"))?;
    }
    Ok(())
}

/// Checks every referenced file, data file schemas against `_common_metadata` and every
/// index; prints each problem on stdout and fails with exit code 7 if there is any.
pub fn check(store: &Store, uuid: &str, log: &Log) -> CliResult {
    plateau_core::naming::validate_uuid(uuid)?;
    let prefix = format!("{uuid}/");
    let interrupted = store.list_interrupted(&prefix)?;
    if !DatasetFactory::new(store.clone(), uuid).exists()? {
        let orphans = store.list(&prefix)?.len() + interrupted.len();
        if orphans > 0 {
            writeln!(
                std::io::stdout().lock(),
                "no metadata, but {orphans} files under `{prefix}`: left by an interrupted write \
                 or delete (or a write in progress); `plateau delete {uuid}` removes them once \
                 older than --min-age"
            )?;
            return Err(CliError::new(
                7,
                format!("dataset `{uuid}` has no metadata but {orphans} orphan files"),
            ));
        }
    }
    let factory = existing(store, uuid)?;
    // The metadata file without `_common_metadata`: an unreadable schema is a problem to
    // report, not a reason to stop.
    let options = LoadOptions::default().load_schema(false);
    let bare = DatasetFactory::with_options(store.clone(), uuid, options);
    let mut metadata = (*bare.metadata()?).clone();
    let mut problems: Vec<String> = Vec::new();
    let common_key = plateau_core::naming::common_metadata_key(uuid, &metadata.table_name);
    match store.get_opt(&common_key) {
        Ok(Some((bytes, _))) => match read_common_metadata(bytes, &common_key) {
            Ok(schema) => metadata.schema = Some(schema),
            Err(e) => problems.push(format!("`{common_key}` is unreadable: {e}")),
        },
        Ok(None) => problems.push(format!("`{common_key}` is missing")),
        Err(e) => problems.push(format!("`{common_key}`: {e}")),
    }
    for (label, partition) in &metadata.partitions {
        let bytes = match store.get(&partition.file) {
            Ok(bytes) => bytes,
            Err(e) => {
                problems.push(format!("partition `{label}`: {e}"));
                continue;
            }
        };
        let file_schema = match read_common_metadata(bytes, &partition.file) {
            Ok(schema) => schema,
            Err(e) => {
                problems.push(format!(
                    "partition `{label}`: cannot open `{}`: {e}",
                    partition.file
                ));
                continue;
            }
        };
        let Some(common) = &metadata.schema else {
            continue;
        };
        for field in file_schema.schema().fields() {
            if is_index_level_name(field.name()) {
                continue;
            }
            match common.field(field.name()) {
                None => problems.push(format!(
                    "partition `{label}`: column `{}` is not in _common_metadata",
                    field.name()
                )),
                Some(reference)
                    if !types_equal(reference.data_type(), field.data_type())
                        && loose(reference.data_type()) != loose(field.data_type()) =>
                {
                    // An all-null column of a partition is compatible with any type.
                    if field.data_type() != &DataType::Null {
                        problems.push(format!(
                            "partition `{label}`: column `{}` has type {} but _common_metadata says {}",
                            field.name(),
                            field.data_type(),
                            reference.data_type()
                        ));
                    }
                }
                Some(_) => {}
            }
        }
        for field in common.schema().fields() {
            if !metadata.partition_keys.contains(field.name())
                && file_schema.field(field.name()).is_none()
            {
                problems.push(format!(
                    "partition `{label}`: column `{}` of _common_metadata is missing",
                    field.name()
                ));
            }
        }
    }
    for column in metadata.secondary_index_columns() {
        // Indices are typed through the schema where it is readable.
        let loader = if metadata.schema.is_some() {
            &factory
        } else {
            &bare
        };
        match loader.load_indices(&[column]) {
            Err(e) => problems.push(format!("index `{column}`: {e}")),
            Ok(loaded) => {
                if let Some(index) = loaded.loaded_index(column) {
                    for label in index.labels() {
                        if !metadata.partitions.contains_key(label) {
                            problems.push(format!(
                                "index `{column}`: references partition `{label}` which is not in the dataset"
                            ));
                        }
                    }
                }
            }
        }
    }
    for object in &interrupted {
        problems.push(format!(
            "`{}` ({} bytes) is the temporary file of an interrupted upload (or one in \
             progress); `plateau gc {uuid}` removes it once older than --min-age",
            object.key, object.size
        ));
    }
    let mut out = std::io::stdout().lock();
    for problem in &problems {
        writeln!(out, "{problem}")?;
    }
    if problems.is_empty() {
        log.say(format!(
            "dataset `{uuid}` is consistent: {} partitions, {} indices",
            metadata.partitions.len(),
            metadata.indices.len()
        ));
        Ok(())
    } else {
        Err(CliError::new(
            7,
            match problems.len() {
                1 => format!("dataset `{uuid}` has 1 problem"),
                n => format!("dataset `{uuid}` has {n} problems"),
            },
        ))
    }
}
