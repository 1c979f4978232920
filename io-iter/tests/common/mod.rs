//! [`IterDriver`]: plateau-io-iter as a plateau-testing suite driver.

use arrow::datatypes::Schema;
use arrow::record_batch::RecordBatch;
use plateau_core::{Result, Store};
use plateau_io::maintenance::{self, GcOptions, GcReport};
use plateau_io::write::HeaderOptions;
use plateau_io_iter::{
    read_dataset_as_batches_iter, store_dataset_from_iter, update_dataset_from_iter, ReadOptions,
    StoreOptions, UpdateOptions,
};
use plateau_metadata::{DatasetFactory, DatasetMetadata};
use plateau_testing::Driver;

/// plateau-io-iter as a suite driver: writes stream the given batches one by one through
/// the iterator functions, `read_dataset` collects the batch iterator. `plateau.io.iter` has
/// no `read_table`, maintenance or commit-flow functions; those use plateau-io directly.
pub struct IterDriver;

/// The batches as a stream that hands out one clone at a time.
fn stream(batches: &[RecordBatch]) -> impl Iterator<Item = Result<RecordBatch>> + '_ {
    batches.iter().cloned().map(Ok)
}

impl Driver for IterDriver {
    fn name(&self) -> &str {
        "iter"
    }

    fn store(
        &self,
        store: &Store,
        uuid: &str,
        batches: &[RecordBatch],
        options: &StoreOptions,
    ) -> Result<DatasetMetadata> {
        store_dataset_from_iter(store, uuid, stream(batches), options)
    }

    fn update(
        &self,
        factory: &DatasetFactory,
        batches: &[RecordBatch],
        options: &UpdateOptions,
    ) -> Result<DatasetMetadata> {
        update_dataset_from_iter(factory, stream(batches), options)
    }

    fn read_table(&self, factory: &DatasetFactory, options: &ReadOptions) -> Result<RecordBatch> {
        plateau_io::read::read_table(factory, options)
    }

    fn read_dataset(
        &self,
        factory: &DatasetFactory,
        options: &ReadOptions,
    ) -> Result<Vec<RecordBatch>> {
        read_dataset_as_batches_iter(factory, options)?.collect()
    }

    fn delete(&self, factory: &DatasetFactory) -> Result<()> {
        maintenance::delete_dataset(factory)
    }

    fn garbage_collect(&self, factory: &DatasetFactory, options: &GcOptions) -> Result<GcReport> {
        maintenance::garbage_collect(factory, options)
    }

    fn build_indices(
        &self,
        factory: &DatasetFactory,
        columns: &[String],
    ) -> Result<DatasetMetadata> {
        maintenance::build_indices(factory, columns)
    }

    fn create_empty_dataset_header(
        &self,
        store: &Store,
        uuid: &str,
        schema: &Schema,
        options: &HeaderOptions,
    ) -> Result<DatasetMetadata> {
        plateau_io::write::create_empty_dataset_header(store, uuid, schema, options)
    }
}
