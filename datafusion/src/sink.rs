//! `INSERT INTO`: a DataFusion [`DataSink`] that appends through plateau's commit.

use std::fmt;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::concat_batches;
use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::datasource::sink::DataSink;
use datafusion::error::Result as DfResult;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::{DisplayAs, DisplayFormatType};
use futures::TryStreamExt;
use plateau_io::update::{update_dataset_async, UpdateOptions};
use plateau_metadata::DatasetFactory;

use crate::provider::plateau_error;

/// Appends the rows of an `INSERT INTO` to a dataset as one input frame (one new partition
/// per partition-key combination): one `update_dataset` (every
/// secondary index maintained, compare-and-swap commit retried as
/// [`plateau_io::retry::RetryPolicy::default`] allows) once the input is complete, so a
/// failed statement commits nothing.
pub struct PlateauSink {
    factory: Arc<DatasetFactory>,
    schema: SchemaRef,
}

impl PlateauSink {
    /// A sink appending to the dataset of `factory`, whose table schema is `schema`.
    pub fn new(factory: Arc<DatasetFactory>, schema: SchemaRef) -> Self {
        Self { factory, schema }
    }
}

impl fmt::Debug for PlateauSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlateauSink")
            .field("uuid", &self.factory.uuid())
            .finish_non_exhaustive()
    }
}

impl DisplayAs for PlateauSink {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PlateauSink: append to `{}`", self.factory.uuid())
    }
}

#[async_trait]
impl DataSink for PlateauSink {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    async fn write_all(
        &self,
        data: SendableRecordBatchStream,
        _context: &Arc<TaskContext>,
    ) -> DfResult<u64> {
        let schema = data.schema();
        let batches: Vec<RecordBatch> = data.try_collect().await?;
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        if rows == 0 {
            return Ok(0);
        }
        // One input frame: one new partition per key combination, however many batches
        // (files, partitions of the plan) the rows came in.
        let frame = concat_batches(&schema, &batches)?;
        // A fresh read of the metadata: the commit's compare-and-swap is on what it saw.
        self.factory.invalidate();
        update_dataset_async(&self.factory, &[frame], &UpdateOptions::default())
            .await
            .map_err(plateau_error)?;
        Ok(rows as u64)
    }
}
