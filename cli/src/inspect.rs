//! `stats` (per row group Parquet statistics, plateau's `collect_dataset_metadata`) and
//! `check` (an integrity check that reports every problem, not just the first).

use std::io::Write as _;

use arrow::datatypes::DataType;
use parquet::file::reader::{FileReader, SerializedFileReader};
use plateau_core::Store;
use plateau_metadata::common_metadata::read_common_metadata;
use plateau_metadata::schema::{is_index_level_name, normalize_type, pandas_type_of, types_equal};

use crate::commands::{existing, parse_predicates, Log};
use crate::{CliError, CliResult, PredicateArgs};

/// The length of Parquet's serialized `FileMetaData` (pyarrow's `serialized_size`), from the
/// file's last eight bytes (`<len u32 LE>PAR1`).
fn footer_length(bytes: &[u8]) -> Option<u32> {
    let n = bytes.len();
    if n < 12 || &bytes[n - 4..] != b"PAR1" {
        return None;
    }
    let mut len = [0u8; 4];
    len.copy_from_slice(&bytes[n - 8..n - 4]);
    Some(u32::from_le_bytes(len))
}

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
/// of plateau's `collect_dataset_metadata`.
pub fn stats(store: &Store, uuid: &str, predicate: &PredicateArgs) -> CliResult {
    let factory = existing(store, uuid)?;
    let metadata = factory.metadata()?;
    let mut options = plateau_io_eager::ReadOptions::default();
    if let Some(predicates) = parse_predicates(predicate, &metadata)? {
        options = options.predicates(predicates);
    }
    let (metadata, groups) = plateau_io::read::plan(&factory, &options)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "partition_label\trow_group_id\trow_group_compressed_size\trow_group_uncompressed_size\tnumber_rows_total\tnumber_row_groups\tserialized_size\tnumber_rows_per_row_group"
    )?;
    for label in groups.iter().flat_map(|g| g.labels.iter()) {
        let Some(partition) = metadata.partitions.get(label) else {
            continue;
        };
        let bytes = store.get(&partition.file)?;
        let serialized = footer_length(&bytes).unwrap_or(0);
        let reader = SerializedFileReader::new(bytes).map_err(|e| {
            CliError::new(
                1,
                format!("cannot open data file `{}`: {e}", partition.file),
            )
        })?;
        let file = reader.metadata();
        let total = file.file_metadata().num_rows();
        for (id, rg) in file.row_groups().iter().enumerate() {
            let uncompressed: i64 = rg.columns().iter().map(|c| c.uncompressed_size()).sum();
            writeln!(
                out,
                "{label}\t{id}\t{}\t{uncompressed}\t{total}\t{}\t{serialized}\t{}",
                rg.total_byte_size(),
                file.num_row_groups(),
                rg.num_rows()
            )?;
        }
    }
    Ok(())
}

/// Checks every referenced file, data file schemas against `_common_metadata` and every
/// index; prints each problem on stdout and fails with exit code 7 if there is any.
pub fn check(store: &Store, uuid: &str, log: &Log) -> CliResult {
    let factory = existing(store, uuid)?;
    let metadata = factory.metadata()?;
    let mut problems: Vec<String> = Vec::new();
    if metadata.schema.is_none() {
        problems.push(format!(
            "`{}` is missing or unreadable",
            plateau_core::naming::common_metadata_key(uuid, &metadata.table_name)
        ));
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
        match factory.load_indices(&[column]) {
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
            format!("dataset `{uuid}` has {} problems", problems.len()),
        ))
    }
}
