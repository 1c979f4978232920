#![allow(clippy::unwrap_used)]
//! The shared suites of plateau-testing, run through the eager API: one `#[test]` per suite
//! function and store kind (`<suite>::memory::<test>`, `<suite>::local::<test>`).

use arrow::datatypes::Schema;
use arrow::record_batch::RecordBatch;
use plateau_core::{Result, Store};
use plateau_io_eager::{
    build_dataset_indices, commit_dataset, create_empty_dataset_header, delete_dataset,
    garbage_collect_dataset, read_dataset_as_dataframes, read_table, store_dataframes_as_dataset,
    update_dataset_from_dataframes, write_single_partition, CommitOptions, GcOptions, GcReport,
    HeaderOptions, MetaPartition, ReadOptions, StoreOptions, UpdateOptions, WriteOptions,
};
use plateau_metadata::{DatasetFactory, DatasetMetadata};
use plateau_testing::Driver;

/// plateau-io-eager as a suite driver.
pub struct EagerDriver;

impl Driver for EagerDriver {
    fn name(&self) -> &str {
        "eager"
    }

    fn store(
        &self,
        store: &Store,
        uuid: &str,
        batches: &[RecordBatch],
        options: &StoreOptions,
    ) -> Result<DatasetMetadata> {
        store_dataframes_as_dataset(store, uuid, batches, options)
    }

    fn update(
        &self,
        factory: &DatasetFactory,
        batches: &[RecordBatch],
        options: &UpdateOptions,
    ) -> Result<DatasetMetadata> {
        update_dataset_from_dataframes(factory, batches, options)
    }

    fn read_table(&self, factory: &DatasetFactory, options: &ReadOptions) -> Result<RecordBatch> {
        read_table(factory, options)
    }

    fn read_dataset(
        &self,
        factory: &DatasetFactory,
        options: &ReadOptions,
    ) -> Result<Vec<RecordBatch>> {
        read_dataset_as_dataframes(factory, options)
    }

    fn delete(&self, factory: &DatasetFactory) -> Result<()> {
        delete_dataset(factory)
    }

    fn garbage_collect(&self, factory: &DatasetFactory, options: &GcOptions) -> Result<GcReport> {
        garbage_collect_dataset(factory, options)
    }

    fn build_indices(
        &self,
        factory: &DatasetFactory,
        columns: &[String],
    ) -> Result<DatasetMetadata> {
        build_dataset_indices(factory, columns)
    }

    fn create_empty_dataset_header(
        &self,
        store: &Store,
        uuid: &str,
        schema: &Schema,
        options: &HeaderOptions,
    ) -> Result<DatasetMetadata> {
        create_empty_dataset_header(store, uuid, schema, options)
    }

    fn write_single_partition(
        &self,
        factory: &DatasetFactory,
        batches: &[RecordBatch],
        options: &WriteOptions,
    ) -> Result<Vec<MetaPartition>> {
        write_single_partition(factory, batches, options)
    }

    fn commit(
        &self,
        factory: &DatasetFactory,
        partitions: &[MetaPartition],
        options: &CommitOptions,
    ) -> Result<DatasetMetadata> {
        commit_dataset(factory, partitions, options)
    }
}

plateau_testing::suite_tests!(crate::EagerDriver);
// Every suite again on S3 (moto) and Azure Blob (Azurite): `servers::<suite>::{s3,azure}`,
// ignored unless run with `--ignored` next to tools/servers/start.sh (as .ci/run does).
plateau_testing::suite_tests!(servers crate::EagerDriver);
