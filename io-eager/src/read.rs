//! `read_table` and `read_dataset_as_dataframes`: thin wrappers over [`plateau_io::read`],
//! which holds the planning and column rules.

use arrow::record_batch::RecordBatch;
use plateau_core::Result;
use plateau_io::read::{self, ReadOptions};
use plateau_metadata::DatasetFactory;

/// Reads the whole dataset into one batch (plateau's `read_table`): every column with its
/// `_common_metadata` type, partition keys first, then the other columns sorted by name (or
/// the order of [`ReadOptions::columns`]); an empty result still carries the schema.
/// [`ReadOptions::dispatch_by`] is ignored.
///
/// # Errors
/// See [`plateau_io::read::read_table`]: unknown columns ([`plateau_core::Error::ColumnNotFound`]),
/// invalid predicates, a missing dataset, store and decoding errors — all option errors are
/// reported before any data file is read.
pub fn read_table(factory: &DatasetFactory, options: &ReadOptions) -> Result<RecordBatch> {
    read::read_table(factory, options)
}

/// Reads the dataset as one batch per partition, or one per [`ReadOptions::dispatch_by`]
/// group (plateau's `read_dataset_as_dataframes`). Partition columns come first in
/// partition-key order, then the data file's columns in the file's order (or the order of
/// [`ReadOptions::columns`]).
///
/// # Errors
/// See [`plateau_io::read::read_dataset`].
pub fn read_dataset_as_dataframes(
    factory: &DatasetFactory,
    options: &ReadOptions,
) -> Result<Vec<RecordBatch>> {
    read::read_dataset(factory, options)
}
