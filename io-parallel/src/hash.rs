//! `hash_dataset` (reference §1.4): a content hash per partition or per `group_key` group,
//! computed in parallel.
//!
//! # The hash
//! Each row of the hashed columns (`subset`, default every column, in that order; typed as
//! the dataset schema says, so file-level type narrowing does not matter) is encoded with
//! Arrow's row format and hashed with 64-bit FNV-1a; a partition's or group's hash is the
//! wrapping sum of its rows' hashes, so it does not depend on row order, on how rows are
//! spread over partitions (for groups), on the thread count or on the run. It is stable for
//! a given Arrow version (the row format is not promised across Arrow releases) and is not
//! pandas' `hash_pandas_object`.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray, UInt64Array};
use arrow::compute::{cast, interleave};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::row::{RowConverter, SortField};
use plateau_core::{Error, Predicates, Result};
use plateau_io::read::{plan, read_group, ReadOptions};
use plateau_metadata::DatasetFactory;
use rayon::prelude::*;

use crate::ParallelOptions;

/// Options of [`hash_dataset`].
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct HashOptions {
    /// Columns to hash, in this order. Default: every column of the schema.
    pub subset: Option<Vec<String>>,
    /// Columns to group by (any columns). Default: one hash per partition.
    pub group_key: Option<Vec<String>>,
    /// Rows to hash. Default: every row.
    pub predicates: Option<Predicates>,
}

impl HashOptions {
    /// Sets [`HashOptions::subset`].
    pub fn subset(mut self, columns: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.subset = Some(columns.into_iter().map(Into::into).collect());
        self
    }

    /// Sets [`HashOptions::group_key`].
    pub fn group_key(mut self, columns: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.group_key = Some(columns.into_iter().map(Into::into).collect());
        self
    }

    /// Sets [`HashOptions::predicates`].
    pub fn predicates(mut self, predicates: Predicates) -> Self {
        self.predicates = Some(predicates);
        self
    }
}

/// Hashes the dataset's content (plateau's `hash_dataset`; see the module documentation for
/// the hash).
///
/// Without `group_key`: columns `partition_label` (utf8) and `hash` (uint64), one row per
/// partition in read order (partitions the predicates rule out are left out). With
/// `group_key`: the key columns (schema types) and `hash`, one row per observed key, ordered
/// by key ascending.
///
/// # Errors
/// [`Error::ColumnNotFound`] for unknown `subset` or `group_key` columns, the errors of
/// [`plateau_io::read::read_dataset`], and [`Error::Unsupported`] for column types the row
/// format cannot encode.
pub fn hash_dataset(
    factory: &DatasetFactory,
    options: &HashOptions,
    parallel: &ParallelOptions,
) -> Result<RecordBatch> {
    let metadata = factory.metadata()?;
    let schema = metadata
        .schema
        .as_ref()
        .map(|s| s.schema().clone())
        .unwrap_or_else(|| Arc::new(Schema::empty()));
    let subset: Vec<String> = match &options.subset {
        Some(subset) => subset.clone(),
        None => schema.fields().iter().map(|f| f.name().clone()).collect(),
    };
    let keys: Vec<String> = options.group_key.clone().unwrap_or_default();
    let mut columns = subset.clone();
    for key in &keys {
        if !columns.contains(key) {
            columns.push(key.clone());
        }
    }
    let mut read = ReadOptions::default().columns(columns.iter().cloned());
    if let Some(predicates) = &options.predicates {
        read = read.predicates(predicates.clone());
    }
    let (metadata, groups) = plan(factory, &read)?;
    let types: Vec<DataType> = columns
        .iter()
        .map(|c| Ok(schema.field_with_name(c)?.data_type().clone()))
        .collect::<Result<_>>()?;
    let field_of = |name: &str| -> Result<SortField> {
        let position =
            columns
                .iter()
                .position(|c| c == name)
                .ok_or_else(|| Error::ColumnNotFound {
                    columns: vec![name.to_owned()],
                })?;
        Ok(SortField::new(types[position].clone()))
    };
    let hash_fields: Vec<SortField> = subset.iter().map(|c| field_of(c)).collect::<Result<_>>()?;
    let key_fields: Vec<SortField> = keys.iter().map(|c| field_of(c)).collect::<Result<_>>()?;
    let unsupported = |e: arrow::error::ArrowError| Error::unsupported(format!("cannot hash: {e}"));

    let store = factory.store();
    let per_partition: Vec<Result<Partial>> = parallel.install(|| {
        Ok(groups
            .par_iter()
            .map(|group| {
                let batch = read_group(store, &metadata, group, &read)?;
                // Schema types, so narrow file types hash like their schema type.
                let typed: Vec<ArrayRef> = columns
                    .iter()
                    .zip(&types)
                    .map(|(name, data_type)| {
                        let column =
                            batch
                                .column_by_name(name)
                                .ok_or_else(|| Error::ColumnNotFound {
                                    columns: vec![name.clone()],
                                })?;
                        Ok(if column.data_type() == data_type {
                            Arc::clone(column)
                        } else {
                            cast(column, data_type)?
                        })
                    })
                    .collect::<Result<_>>()?;
                let pick = |names: &[String]| -> Vec<ArrayRef> {
                    names
                        .iter()
                        .filter_map(|n| columns.iter().position(|c| c == n))
                        .map(|i| Arc::clone(&typed[i]))
                        .collect()
                };
                let hasher = RowConverter::new(hash_fields.clone()).map_err(unsupported)?;
                let rows = hasher
                    .convert_columns(&pick(&subset))
                    .map_err(unsupported)?;
                let hashes: Vec<u64> = (0..batch.num_rows())
                    .map(|r| fnv1a(rows.row(r).as_ref()))
                    .collect();
                let mut by_key: BTreeMap<Vec<u8>, (usize, u64)> = BTreeMap::new();
                let key_arrays = pick(&keys);
                if !keys.is_empty() {
                    let converter = RowConverter::new(key_fields.clone()).map_err(unsupported)?;
                    let key_rows = converter
                        .convert_columns(&key_arrays)
                        .map_err(unsupported)?;
                    for (r, hash) in hashes.iter().enumerate() {
                        let entry = by_key
                            .entry(key_rows.row(r).as_ref().to_vec())
                            .or_insert((r, 0));
                        entry.1 = entry.1.wrapping_add(*hash);
                    }
                }
                Ok(Partial {
                    label: group.labels.join(","),
                    total: hashes.iter().fold(0u64, |a, h| a.wrapping_add(*h)),
                    by_key,
                    key_arrays,
                })
            })
            .collect())
    })?;
    let partials = per_partition.into_iter().collect::<Result<Vec<_>>>()?;

    if keys.is_empty() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("partition_label", DataType::Utf8, false),
            Field::new("hash", DataType::UInt64, false),
        ]));
        return Ok(RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from_iter_values(
                    partials.iter().map(|p| p.label.as_str()),
                )),
                Arc::new(UInt64Array::from_iter_values(
                    partials.iter().map(|p| p.total),
                )),
            ],
        )?);
    }
    // Merge the groups of all partitions; the first occurrence supplies the key values.
    let mut merged: BTreeMap<&[u8], ((usize, usize), u64)> = BTreeMap::new();
    for (p, partial) in partials.iter().enumerate() {
        for (key, (row, hash)) in &partial.by_key {
            let entry = merged.entry(key.as_slice()).or_insert(((p, *row), 0));
            entry.1 = entry.1.wrapping_add(*hash);
        }
    }
    let key_type = |k: usize| {
        columns
            .iter()
            .position(|c| *c == keys[k])
            .map_or(DataType::Null, |i| types[i].clone())
    };
    let picks: Vec<(usize, usize)> = merged.values().map(|(at, _)| *at).collect();
    let mut fields = Vec::with_capacity(keys.len() + 1);
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(keys.len() + 1);
    for (k, name) in keys.iter().enumerate() {
        let sources: Vec<&dyn arrow::array::Array> =
            partials.iter().map(|p| p.key_arrays[k].as_ref()).collect();
        let array = if partials.is_empty() {
            arrow::array::new_empty_array(&key_type(k))
        } else {
            interleave(&sources, &picks)?
        };
        fields.push(Field::new(name, array.data_type().clone(), true));
        arrays.push(array);
    }
    fields.push(Field::new("hash", DataType::UInt64, false));
    arrays.push(Arc::new(UInt64Array::from_iter_values(
        merged.values().map(|(_, h)| *h),
    )));
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
}

/// One partition's contribution.
struct Partial {
    label: String,
    total: u64,
    /// Key row bytes → (first row, hash sum).
    by_key: BTreeMap<Vec<u8>, (usize, u64)>,
    key_arrays: Vec<ArrayRef>,
}

/// 64-bit FNV-1a (shared with the shuffle's bucketing).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}
