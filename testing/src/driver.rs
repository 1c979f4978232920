//! [`Driver`]: the operations the suites need, implemented once per front end (eager, iter,
//! parallel), so the same suites check every front end.

use arrow::datatypes::Schema;
use arrow::record_batch::RecordBatch;
use plateau_core::{Result, Store};
use plateau_io::maintenance::{GcOptions, GcReport};
use plateau_io::read::ReadOptions;
use plateau_io::update::{CommitOptions, UpdateOptions};
use plateau_io::write::{HeaderOptions, StoreOptions, WriteOptions};
use plateau_io::MetaPartition;
use plateau_metadata::{DatasetFactory, DatasetMetadata};

/// One front end of plateau, as the suites see it.
///
/// Each method has the meaning of the eager function of the same name (`store` =
/// `store_dataframes_as_dataset`, `read_dataset` = `read_dataset_as_dataframes`, ...). A front
/// end that has no own way of doing the low-level commit flow keeps the default methods,
/// which call plateau-io directly.
pub trait Driver {
    /// A short name for messages (`"eager"`).
    fn name(&self) -> &str;

    /// Creates a dataset from batches (one input frame each).
    fn store(
        &self,
        store: &Store,
        uuid: &str,
        batches: &[RecordBatch],
        options: &StoreOptions,
    ) -> Result<DatasetMetadata>;

    /// Updates (or creates) a dataset.
    fn update(
        &self,
        factory: &DatasetFactory,
        batches: &[RecordBatch],
        options: &UpdateOptions,
    ) -> Result<DatasetMetadata>;

    /// Reads the dataset as one batch.
    fn read_table(&self, factory: &DatasetFactory, options: &ReadOptions) -> Result<RecordBatch>;

    /// Reads the dataset as one batch per partition (or per `dispatch_by` group).
    fn read_dataset(
        &self,
        factory: &DatasetFactory,
        options: &ReadOptions,
    ) -> Result<Vec<RecordBatch>>;

    /// Deletes the dataset.
    fn delete(&self, factory: &DatasetFactory) -> Result<()>;

    /// Garbage-collects the dataset.
    fn garbage_collect(&self, factory: &DatasetFactory, options: &GcOptions) -> Result<GcReport>;

    /// Builds secondary indices.
    fn build_indices(
        &self,
        factory: &DatasetFactory,
        columns: &[String],
    ) -> Result<DatasetMetadata>;

    /// Writes a dataset header without partitions.
    fn create_empty_dataset_header(
        &self,
        store: &Store,
        uuid: &str,
        schema: &Schema,
        options: &HeaderOptions,
    ) -> Result<DatasetMetadata> {
        plateau_io::write::create_empty_dataset_header(store, uuid, schema, options)
    }

    /// Writes partitions without committing them.
    fn write_single_partition(
        &self,
        factory: &DatasetFactory,
        batches: &[RecordBatch],
        options: &WriteOptions,
    ) -> Result<Vec<MetaPartition>> {
        plateau_io::write::write_single_partition(factory, batches, options)
    }

    /// Commits written partitions, a delete scope or metadata.
    fn commit(
        &self,
        factory: &DatasetFactory,
        partitions: &[MetaPartition],
        options: &CommitOptions,
    ) -> Result<DatasetMetadata> {
        plateau_io::update::commit_dataset(factory, partitions, options)
    }
}
