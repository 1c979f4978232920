//! Shuffle before writing (plateau's `update_dataset_from_ddf(..., shuffle=True, bucket_by=...,
//! num_buckets=...)`, reference §1.14): rows of all input batches are regrouped into
//! `num_buckets` batches by a hash of their `bucket_by` values (all columns when `bucket_by`
//! is empty, as in plateau), so rows with equal `bucket_by` values always land in the same
//! bucket. The writers of [`crate::write`] do this when [`crate::write::WriteLayout::shuffle`]
//! is set, after validating the input and before writing: each bucket is then written as one
//! input batch, which gives at most `num_buckets` files per `partition_on` key combination,
//! and equal `bucket_by` values are never split across files.
//!
//! The bucket of a row is the 64-bit FNV-1a hash of its `bucket_by` values in Arrow's row
//! format, modulo `num_buckets` (plateau uses pandas' hash, so bucket numbers differ; the
//! guarantees do not). It is the same on every run and thread count; within a bucket, rows
//! keep input order (input batch by input batch). Empty buckets are dropped.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, UInt32Array};
use arrow::compute::{concat_batches, take_record_batch};
use arrow::row::{RowConverter, SortField};
use plateau_core::{Error, Result};
use rayon::prelude::*;

use crate::hash::fnv1a;
use crate::progress::Step;
use crate::ParallelOptions;

/// How to shuffle: the bucketing columns and the number of buckets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shuffle {
    /// Columns whose values choose the bucket (plateau's `bucket_by`); empty: all columns.
    pub bucket_by: Vec<String>,
    /// Number of buckets, at least 1 (plateau's `num_buckets`; default 1).
    pub num_buckets: usize,
}

impl Shuffle {
    /// `num_buckets` buckets by `bucket_by`.
    pub fn new(bucket_by: impl IntoIterator<Item = impl Into<String>>, num_buckets: usize) -> Self {
        Self {
            bucket_by: bucket_by.into_iter().map(Into::into).collect(),
            num_buckets,
        }
    }
}

/// Regroups `batches` into at most `num_buckets` batches (see the module documentation).
/// Bucket ids are computed per input batch in parallel, then each bucket is gathered in
/// parallel.
///
/// # Errors
/// The errors of [`check`]; [`Error::Unsupported`] for columns the row format cannot encode.
pub fn shuffle(
    batches: &[RecordBatch],
    shuffle: &Shuffle,
    parallel: &ParallelOptions,
) -> Result<Vec<RecordBatch>> {
    let positions = check(batches, shuffle)?;
    let Some(first) = batches.first() else {
        return Ok(Vec::new());
    };
    let schema = first.schema();
    let fields: Vec<SortField> = positions
        .iter()
        .map(|i| SortField::new(schema.field(*i).data_type().clone()))
        .collect();
    let buckets = shuffle.num_buckets as u64;
    let unsupported =
        |e: arrow::error::ArrowError| Error::unsupported(format!("cannot bucket: {e}"));
    parallel.begin(Step::BucketBatches, batches.len());
    let gathered: Vec<Result<Option<RecordBatch>>> = parallel.install(|| {
        // Per input batch: the rows of each bucket.
        let assigned: Vec<Result<Vec<Vec<u32>>>> = batches
            .par_iter()
            .map(|batch| {
                let converter = RowConverter::new(fields.clone()).map_err(unsupported)?;
                let columns: Vec<ArrayRef> = positions
                    .iter()
                    .map(|i| Arc::clone(batch.column(*i)))
                    .collect();
                let rows = converter.convert_columns(&columns).map_err(unsupported)?;
                let mut per_bucket = vec![Vec::new(); shuffle.num_buckets];
                for r in 0..batch.num_rows() {
                    let bucket = (fnv1a(rows.row(r).as_ref()) % buckets) as usize;
                    let row = u32::try_from(r)
                        .map_err(|_| Error::invalid_input("a batch has more than 2^32 rows"))?;
                    per_bucket[bucket].push(row);
                }
                parallel.advance(1);
                Ok(per_bucket)
            })
            .collect();
        let assigned = assigned.into_iter().collect::<Result<Vec<_>>>()?;
        Ok((0..shuffle.num_buckets)
            .into_par_iter()
            .map(|bucket| {
                let parts: Vec<RecordBatch> = batches
                    .iter()
                    .zip(&assigned)
                    .filter(|(_, rows)| !rows[bucket].is_empty())
                    .map(|(batch, rows)| {
                        let indices = UInt32Array::from(rows[bucket].clone());
                        Ok(take_record_batch(batch, &indices)?)
                    })
                    .collect::<Result<_>>()?;
                if parts.is_empty() {
                    return Ok(None);
                }
                Ok(Some(concat_batches(&schema, &parts)?))
            })
            .collect())
    })?;
    Ok(gathered
        .into_iter()
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect())
}

/// Checks that `batches` can be shuffled as `shuffle` says, without touching their data;
/// the positions of the bucketing columns.
///
/// # Errors
/// [`Error::InvalidInput`] for `num_buckets == 0`, a `bucket_by` column missing from the
/// input, or input batches with different schemas (the buckets concatenate rows of several
/// batches).
pub fn check(batches: &[RecordBatch], shuffle: &Shuffle) -> Result<Vec<usize>> {
    if shuffle.num_buckets == 0 {
        return Err(Error::invalid_input("num_buckets must be at least 1"));
    }
    let Some(first) = batches.first() else {
        return Ok(Vec::new());
    };
    let schema = first.schema();
    if let Some(other) = batches.iter().find(|b| b.schema() != schema) {
        return Err(Error::invalid_input(format!(
            "all batches of a shuffle need the same schema; found {:?} and {:?}",
            schema,
            other.schema()
        )));
    }
    if shuffle.bucket_by.is_empty() {
        return Ok((0..schema.fields().len()).collect());
    }
    shuffle
        .bucket_by
        .iter()
        .map(|c| {
            schema.index_of(c).map_err(|_| {
                Error::invalid_input(format!(
                    "bucket_by column `{c}` is not in the input (columns: {})",
                    schema
                        .fields()
                        .iter()
                        .map(|f| f.name().as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
        })
        .collect()
}
