//! Reading one partition (or one `dispatch_by` group) per [`Iterator::next`].
//!
//! The iterators are built by planning once with [`plateau_io::read::plan`]: unknown
//! columns, malformed predicates and `dispatch_by` on unindexed columns fail when the
//! iterator is created, before any data file is read. Each `next()` then reads one planned
//! group with [`plateau_io::read::read_group`], so at most one group's data is in memory and
//! the batches are exactly those of the eager `read_dataset_as_dataframes`.

use std::sync::Arc;
use std::vec::IntoIter;

use arrow::record_batch::RecordBatch;
use plateau_core::{Literal, Result, Store};
use plateau_io::read::{self, ReadOptions};
use plateau_metadata::planning::DispatchGroup;
use plateau_metadata::{DatasetFactory, DatasetMetadata};

/// Reads the dataset of `factory` lazily, one batch per partition, or one per
/// [`ReadOptions::dispatch_by`] group (plateau's `read_dataset_as_dataframes__iterator`).
///
/// Columns, predicates and categoricals behave as in the eager
/// `read_dataset_as_dataframes`, and the batches are the same, in the same order.
///
/// # Errors
/// Planning errors, before any data I/O: [`plateau_core::Error::ColumnNotFound`],
/// [`plateau_core::Error::InvalidPredicate`], [`plateau_core::Error::PredicateType`],
/// [`plateau_core::Error::InvalidInput`] for `dispatch_by` on unindexed columns,
/// [`plateau_core::Error::DatasetNotFound`], store and decoding errors of the metadata. Each
/// item may then carry the read errors of [`plateau_io::read::read_group`]; the iterator ends
/// after the first one.
#[doc(alias = "read_dataset_as_dataframes__iterator")]
pub fn read_dataset_as_batches_iter(
    factory: &DatasetFactory,
    options: &ReadOptions,
) -> Result<BatchIter> {
    Ok(BatchIter {
        inner: read_dataset_as_metapartitions_iter(factory, options)?,
    })
}

/// Like [`read_dataset_as_batches_iter`], but each item also names the partitions it was
/// read from and its `dispatch_by` values (plateau's
/// `read_dataset_as_metapartitions__iterator`, which yields loaded metapartitions).
///
/// # Errors
/// As [`read_dataset_as_batches_iter`].
#[doc(alias = "read_dataset_as_metapartitions__iterator")]
pub fn read_dataset_as_metapartitions_iter(
    factory: &DatasetFactory,
    options: &ReadOptions,
) -> Result<PartitionIter> {
    let (metadata, groups) = read::plan(factory, options)?;
    Ok(PartitionIter {
        store: factory.store().clone(),
        metadata,
        options: options.clone(),
        groups: groups.into_iter(),
    })
}

/// One read group: its data and where it came from.
#[derive(Clone, Debug)]
pub struct LoadedPartition {
    /// The labels of the partitions read, in metadata order (one without `dispatch_by`).
    pub labels: Vec<String>,
    /// `(column, ==, value)` per `dispatch_by` column; empty without `dispatch_by`.
    pub dispatch_values: Vec<Literal>,
    /// The rows (after predicates), with the column rules of `read_dataset_as_dataframes`.
    pub data: RecordBatch,
}

/// The iterator of [`read_dataset_as_metapartitions_iter`]: one [`LoadedPartition`] per
/// planned group. Fused after the first error.
#[derive(Debug)]
pub struct PartitionIter {
    store: Store,
    metadata: Arc<DatasetMetadata>,
    options: ReadOptions,
    groups: IntoIter<DispatchGroup>,
}

impl PartitionIter {
    /// The metadata the read was planned on (later commits are not seen).
    pub fn metadata(&self) -> &Arc<DatasetMetadata> {
        &self.metadata
    }
}

impl Iterator for PartitionIter {
    type Item = Result<LoadedPartition>;

    fn next(&mut self) -> Option<Self::Item> {
        let group = self.groups.next()?;
        match read::read_group(&self.store, &self.metadata, &group, &self.options) {
            Ok(data) => Some(Ok(LoadedPartition {
                labels: group.labels,
                dispatch_values: group.conjunction,
                data,
            })),
            Err(err) => {
                // A failed read ends the iteration, as an exception ends a Python generator.
                self.groups = Vec::new().into_iter();
                Some(Err(err))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        // Exact until an error fuses the iterator early.
        (0, Some(self.groups.len()))
    }
}

impl std::iter::FusedIterator for PartitionIter {}

/// The iterator of [`read_dataset_as_batches_iter`]: one batch per planned group. Fused
/// after the first error.
#[derive(Debug)]
pub struct BatchIter {
    inner: PartitionIter,
}

impl BatchIter {
    /// The metadata the read was planned on (later commits are not seen).
    pub fn metadata(&self) -> &Arc<DatasetMetadata> {
        self.inner.metadata()
    }
}

impl Iterator for BatchIter {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(|item| item.map(|loaded| loaded.data))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl std::iter::FusedIterator for BatchIter {}
