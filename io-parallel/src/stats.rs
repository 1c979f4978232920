//! `collect_dataset_metadata` (reference §1.4): the Parquet footer statistics of a dataset's
//! partitions, one row per row group, read in parallel.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use parquet::file::metadata::ParquetMetaDataReader;
use plateau_core::naming::PARQUET_SUFFIX;
use plateau_core::{Error, Predicates, Result, Store};
use plateau_io::read::{plan, ReadOptions};
use plateau_metadata::DatasetFactory;
use rayon::prelude::*;

use crate::progress::Step;
use crate::ParallelOptions;

/// The columns of [`collect_dataset_metadata`], plateau's `_METADATA_SCHEMA`.
pub const METADATA_COLUMNS: [&str; 8] = [
    "partition_label",
    "row_group_id",
    "row_group_compressed_size",
    "row_group_uncompressed_size",
    "number_rows_total",
    "number_row_groups",
    "serialized_size",
    "number_rows_per_row_group",
];

/// Options of [`collect_dataset_metadata`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct MetadataOptions {
    /// Partitions to describe: pruned through the partition keys and secondary indices only
    /// (as plateau; content predicates do not filter, so the result is approximate). Default:
    /// every partition.
    pub predicates: Option<Predicates>,
    /// Fraction of the (pruned) partitions to sample, in `(0, 1]`; at least one partition is
    /// kept. Default: `1.0`.
    pub frac: f64,
    /// Seed of the sample. Default: `0`. The same seed gives the same sample on every run and
    /// thread count.
    pub seed: u64,
}

impl Default for MetadataOptions {
    fn default() -> Self {
        Self {
            predicates: None,
            frac: 1.0,
            seed: 0,
        }
    }
}

impl MetadataOptions {
    /// Sets [`MetadataOptions::predicates`].
    pub fn predicates(mut self, predicates: Predicates) -> Self {
        self.predicates = Some(predicates);
        self
    }

    /// Sets [`MetadataOptions::frac`].
    pub fn frac(mut self, frac: f64) -> Self {
        self.frac = frac;
        self
    }

    /// Sets [`MetadataOptions::seed`].
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

/// The schema of [`collect_dataset_metadata`]: `partition_label` (utf8), the rest int64.
pub fn metadata_schema() -> SchemaRef {
    Arc::new(Schema::new(
        METADATA_COLUMNS
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let data_type = if i == 0 {
                    DataType::Utf8
                } else {
                    DataType::Int64
                };
                Field::new(*name, data_type, false)
            })
            .collect::<Vec<_>>(),
    ))
}

/// One row per row group of every selected partition (plateau's `collect_dataset_metadata`),
/// footers read in parallel: `partition_label`, `row_group_id`, `row_group_compressed_size`
/// (the row group's total byte size, as pyarrow's `total_byte_size`),
/// `row_group_uncompressed_size` (sum of its column chunks' uncompressed sizes),
/// `number_rows_total`, `number_row_groups`, `serialized_size` (the footer's length) and
/// `number_rows_per_row_group`. Only the footer of each file is fetched.
///
/// Rows come in metadata (partition) order, row groups ascending. With `frac < 1`,
/// `max(1, floor(n * frac))` partitions are chosen by a shuffle seeded with `seed` (plateau
/// shuffles with an unseeded `random.shuffle`). No partition: an empty batch with the
/// schema. A partition without rows groups (an empty file) gives no row, as in plateau.
///
/// # Errors
/// [`Error::InvalidInput`] for `frac` outside `(0, 1]`; the planning errors of
/// [`plateau_io::read::plan`]; [`Error::Unsupported`] for non-Parquet data files;
/// [`Error::Corrupt`] for unreadable footers; store errors.
pub fn collect_dataset_metadata(
    factory: &DatasetFactory,
    options: &MetadataOptions,
    parallel: &ParallelOptions,
) -> Result<RecordBatch> {
    if !(options.frac > 0.0 && options.frac <= 1.0) {
        return Err(Error::invalid_input(format!(
            "Invalid value for parameter `frac`: {}.Please make sure to provide a value larger than 0.0 and smaller than or equal to 1.0 .",
            options.frac
        )));
    }
    let mut read = ReadOptions::default();
    if let Some(predicates) = &options.predicates {
        read = read.predicates(predicates.clone());
    }
    let (metadata, groups) = plan(factory, &read)?;
    let mut labels: Vec<&str> = groups
        .iter()
        .flat_map(|g| g.labels.iter().map(String::as_str))
        .collect();
    if options.frac < 1.0 && !labels.is_empty() {
        let keep = ((labels.len() as f64 * options.frac) as usize).max(1);
        let mut order: Vec<usize> = (0..labels.len()).collect();
        shuffle(&mut order, options.seed);
        let mut chosen: Vec<usize> = order.into_iter().take(keep).collect();
        chosen.sort_unstable();
        labels = chosen.into_iter().map(|i| labels[i]).collect();
    }
    let files: Vec<(&str, &str)> = labels
        .iter()
        .map(|label| {
            metadata
                .partitions
                .get(*label)
                .map(|p| (*label, p.file.as_str()))
                .ok_or_else(|| {
                    Error::corrupt(
                        metadata.metadata_key(),
                        format!("unknown partition `{label}`"),
                    )
                })
        })
        .collect::<Result<_>>()?;
    let store = factory.store();
    parallel.begin(Step::ReadFooters, files.len());
    let per_file: Vec<Result<Vec<Row>>> = parallel.install(|| {
        Ok(files
            .par_iter()
            .map(|(label, file)| {
                let rows = footer_rows(store, label, file);
                parallel.advance(1);
                rows
            })
            .collect())
    })?;
    let mut rows = Vec::new();
    for file in per_file {
        rows.extend(file?);
    }
    let int =
        |f: fn(&Row) -> i64| Arc::new(Int64Array::from_iter_values(rows.iter().map(f))) as ArrayRef;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| r.label.as_str()),
        )),
        int(|r| r.row_group_id),
        int(|r| r.compressed),
        int(|r| r.uncompressed),
        int(|r| r.rows_total),
        int(|r| r.row_groups),
        int(|r| r.serialized_size),
        int(|r| r.rows),
    ];
    Ok(RecordBatch::try_new(metadata_schema(), columns)?)
}

/// One row of the result.
struct Row {
    label: String,
    row_group_id: i64,
    compressed: i64,
    uncompressed: i64,
    rows_total: i64,
    row_groups: i64,
    serialized_size: i64,
    rows: i64,
}

/// The rows of one data file, from its footer only.
fn footer_rows(store: &Store, label: &str, key: &str) -> Result<Vec<Row>> {
    if !key.ends_with(PARQUET_SUFFIX) {
        return Err(Error::unsupported(format!(
            "collect_dataset_metadata needs Parquet files, but partition `{label}` is stored as `{key}`"
        )));
    }
    let size = store.head(key)?.size;
    if size < 12 {
        return Err(Error::corrupt(key, "file too small to be Parquet"));
    }
    let tail = store.get_range(key, size - 8..size)?;
    if tail.len() != 8 || &tail[4..8] != b"PAR1" {
        return Err(Error::corrupt(key, "missing Parquet magic"));
    }
    let len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if len + 8 > size {
        return Err(Error::corrupt(key, "Parquet footer longer than the file"));
    }
    let footer = store.get_range(key, size - 8 - len..size - 8)?;
    let parquet = ParquetMetaDataReader::decode_metadata(&footer)
        .map_err(|e| Error::corrupt(key, format!("unreadable Parquet footer: {e}")))?;
    let file = parquet.file_metadata();
    let row_groups = parquet.row_groups();
    Ok(row_groups
        .iter()
        .enumerate()
        .map(|(id, rg)| Row {
            label: label.to_owned(),
            row_group_id: id as i64,
            compressed: rg.total_byte_size(),
            uncompressed: rg.columns().iter().map(|c| c.uncompressed_size()).sum(),
            rows_total: file.num_rows(),
            row_groups: row_groups.len() as i64,
            serialized_size: len as i64,
            rows: rg.num_rows(),
        })
        .collect())
}

/// Fisher–Yates with splitmix64: deterministic for a seed, independent of threads.
fn shuffle(items: &mut [usize], seed: u64) {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for i in (1..items.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}
