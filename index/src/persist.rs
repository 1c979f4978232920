//! plateau's index file format (reference §2.8): a Parquet file with the columns
//! `<column>: <normalized type>` and `partition: list<string>`, one row per value.
//!
//! Writing follows pyarrow's defaults as plateau uses them (SNAPPY, `ARROW:schema`, a list
//! element named `element`, one row group per 10,000 values) with rows in key order and each
//! label list sorted. Reading accepts every shape plateau ever wrote (§2.9): the value column
//! in either position, `item`- or `element`-named lists, `large_list`, `large_string` labels,
//! any integer width and timestamp unit.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, DictionaryArray, GenericListArray, ListArray,
    OffsetSizeTrait, RecordBatch, StringArray, StringBuilder,
};
use arrow::buffer::OffsetBuffer;
use arrow::compute::{concat, filter};
use arrow::datatypes::{DataType, Field, FieldRef, Float64Type, Int32Type, Schema, SchemaRef};
use bytes::Bytes;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelection,
};
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::Compression;
use parquet::file::metadata::ParquetMetaData;
use parquet::file::properties::WriterProperties;
use plateau_core::{naming, Error, Result, Store};

use crate::assemble::{assemble, RawIndex};
use crate::build::u32_len;
use crate::hash::Interner;
use crate::index::{Index, IndexKind};
use crate::keys;
use crate::types::{check_column, normalize_index_type, PARTITION_COLUMN};

/// Values per row group: plateau writes its dictionary in chunks of 10,000 entries, one
/// `write_table` (hence one row group) per chunk.
pub const ROW_GROUP_SIZE: usize = 10_000;

/// The name of the list element field, as current pyarrow writes it.
const LIST_ELEMENT: &str = "element";

impl Index {
    /// The index as a Parquet file in plateau's format (see the module documentation).
    ///
    /// Timestamps are written in nanoseconds (lossless; pyarrow reads them natively). An empty
    /// index gives a file without rows that keeps the type.
    ///
    /// # Errors
    /// Parquet or Arrow errors of the writer.
    pub fn to_parquet(&self) -> Result<Bytes> {
        let element = Arc::new(Field::new(LIST_ELEMENT, DataType::Utf8, true));
        let schema: SchemaRef = Arc::new(Schema::new(vec![
            Field::new(&self.column, self.data_type.clone(), true),
            Field::new(PARTITION_COLUMN, DataType::List(element.clone()), true),
        ]));
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_SIZE))
            .build();
        let mut buffer = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut buffer, schema.clone(), Some(properties))?;
        let mut start = 0;
        while start < self.len() {
            let end = (start + ROW_GROUP_SIZE).min(self.len());
            writer.write(&self.chunk(&schema, &element, start, end)?)?;
            // One row group per chunk, as plateau's writer produces.
            writer.flush()?;
            start = end;
        }
        writer.close()?;
        Ok(Bytes::from(buffer))
    }

    /// Rows `start..end` as a batch of the file schema.
    fn chunk(
        &self,
        schema: &SchemaRef,
        element: &FieldRef,
        start: usize,
        end: usize,
    ) -> Result<RecordBatch> {
        let first = self.offsets[start] as usize;
        let last = self.offsets[end] as usize;
        let ids = &self.postings[first..last];
        let mut labels = StringBuilder::with_capacity(
            ids.len(),
            ids.iter().map(|id| self.labels[*id as usize].len()).sum(),
        );
        for id in ids {
            labels.append_value(&self.labels[*id as usize]);
        }
        let offsets: Vec<i32> = self.offsets[start..=end]
            .iter()
            .map(|o| i32::try_from(*o as usize - first))
            .collect::<Result<_, _>>()
            .map_err(|_| Error::unsupported("more than 2^31 labels in one row group"))?;
        let lists = ListArray::try_new(
            element.clone(),
            OffsetBuffer::new(offsets.into()),
            Arc::new(labels.finish()),
            None,
        )?;
        Ok(RecordBatch::try_new(
            schema.clone(),
            vec![self.keys.slice(start, end - start), Arc::new(lists)],
        )?)
    }

    /// Reads an index file of `column`; the index remembers `key` as its storage key, which
    /// also names the file in errors.
    ///
    /// The labels are read as a dictionary per row group and mapped to ids once per
    /// dictionary entry, not once per row; keys already in order (our own files) are not
    /// sorted again.
    ///
    /// # Errors
    /// [`Error::Corrupt`] naming `key` for bytes that are not Parquet or a file without the
    /// two columns of the format; [`Error::InvalidInput`] for `column == "partition"`.
    pub fn from_parquet(column: &str, bytes: Bytes, key: &str) -> Result<Index> {
        check_column(column)?;
        plateau_serialization::parquet::guard_decoder(key, || {
            Self::from_parquet_unguarded(column, bytes, key)
        })
    }

    fn from_parquet_unguarded(column: &str, bytes: Bytes, key: &str) -> Result<Index> {
        IndexFile::open(column, bytes, key)?.read(column, key, None)
    }

    /// Writes the index to `store` and returns it with its storage key set (plateau's
    /// `ExplicitSecondaryIndex.store`).
    ///
    /// The key is reused when the index has one that contains `dataset_uuid` (the file is
    /// then overwritten in place, as plateau does for unchanged indices); otherwise it is
    /// [`naming::index_key`]`(dataset_uuid, column, now_iso)`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a partition index (derived from keys, never persisted);
    /// writer and store errors.
    pub fn store(&self, store: &Store, dataset_uuid: &str, now_iso: &str) -> Result<Index> {
        if self.kind == IndexKind::Partition {
            return Err(Error::invalid_input(format!(
                "the partition index of `{}` is derived from partition keys and is never stored",
                self.column
            )));
        }
        let key = match &self.storage_key {
            Some(key) if !dataset_uuid.is_empty() && key.contains(dataset_uuid) => key.clone(),
            _ => naming::index_key(dataset_uuid, &self.column, now_iso),
        };
        store.put(&key, self.to_parquet()?)?;
        Ok(self.clone().with_storage_key(key))
    }

    /// Loads the index file at `key` (plateau's `ExplicitSecondaryIndex.load`).
    ///
    /// # Errors
    /// [`Error::NotFound`] for a missing key; the errors of [`Index::from_parquet`].
    pub fn load(store: &Store, column: &str, key: &str) -> Result<Index> {
        Index::from_parquet(column, store.get(key)?, key)
    }

    /// Async [`Index::load`] (the file is decoded on the polling thread: index files are
    /// small).
    pub async fn load_async(store: &Store, column: &str, key: &str) -> Result<Index> {
        let (bytes, _) = store.get_versioned_async(key).await?;
        Index::from_parquet(column, bytes, key)
    }
}

/// An index file whose footer and layout are checked, ready to decode.
pub(crate) struct IndexFile {
    bytes: Bytes,
    metadata: ArrowReaderMetadata,
    layout: Layout,
    /// The normalized index type of the value column.
    pub(crate) data_type: DataType,
    /// Rows per batch: the largest row group, so that a batch never spans two dictionaries.
    batch_size: usize,
}

/// Rows of an index file to decode: the row groups, and the rows within them.
pub(crate) struct RowsToRead {
    pub(crate) row_groups: Vec<usize>,
    pub(crate) selection: RowSelection,
}

impl IndexFile {
    /// Checks the footer and finds the two columns (see [`Index::from_parquet`]).
    pub(crate) fn open(column: &str, bytes: Bytes, key: &str) -> Result<IndexFile> {
        let corrupt = |message: String| Error::corrupt(key, message);
        let metadata = ArrowReaderMetadata::load(&bytes, ArrowReaderOptions::new())
            .map_err(|e| corrupt(format!("not a readable Parquet file: {e}")))?;
        plateau_serialization::parquet::check_footer(metadata.metadata(), bytes.len() as u64, key)?;
        let layout = Layout::find(column, metadata.schema()).map_err(corrupt)?;
        let data_type = normalize_index_type(column, layout.value_field.data_type())
            .map_err(|e| corrupt(format!("unsupported index value type: {e}")))?;
        let batch_size = metadata
            .metadata()
            .row_groups()
            .iter()
            .map(|rg| rg.num_rows())
            .max()
            .and_then(|rows| usize::try_from(rows).ok())
            .unwrap_or(1)
            .clamp(1, 1 << 20);
        Ok(IndexFile {
            bytes,
            metadata,
            layout,
            data_type,
            batch_size,
        })
    }

    /// The row groups' row counts, in file order.
    pub(crate) fn row_group_rows(&self) -> Vec<usize> {
        self.metadata
            .metadata()
            .row_groups()
            .iter()
            .map(|rg| usize::try_from(rg.num_rows()).unwrap_or(0))
            .collect()
    }

    /// The value column alone, batch by batch, cast to the index type (nulls kept, so that
    /// positions are row numbers).
    pub(crate) fn values(&self, key: &str) -> Result<Vec<ArrayRef>> {
        let corrupt = |message: String| Error::corrupt(key, message);
        let mask =
            ProjectionMask::roots(self.metadata.parquet_schema(), [self.layout.value_position]);
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(
            self.bytes.clone(),
            self.metadata.clone(),
        )
        .with_projection(mask)
        .with_batch_size(self.batch_size)
        .build()
        .map_err(|e| corrupt(format!("cannot read the index: {e}")))?;
        reader
            .map(|batch| {
                let batch = batch.map_err(|e| corrupt(format!("cannot read the index: {e}")))?;
                let values = batch
                    .column_by_name(self.layout.value_field.name())
                    .ok_or_else(|| corrupt("the reader lost a column".to_owned()))?;
                keys::cast_checked(values.as_ref(), &self.data_type)
                    .map_err(|e| corrupt(e.to_string()))
            })
            .collect()
    }

    /// Decodes the index from the file's rows, or from `rows` only.
    pub(crate) fn read(self, column: &str, key: &str, rows: Option<RowsToRead>) -> Result<Index> {
        let corrupt = |message: String| Error::corrupt(key, message);
        let IndexFile {
            bytes,
            metadata,
            layout,
            data_type,
            batch_size,
        } = self;
        let file_schema = metadata.schema().clone();
        let mask = ProjectionMask::roots(
            metadata.parquet_schema(),
            [layout.value_position, layout.label_position],
        );
        // Ask for the labels as dictionaries: the reader then hands out each row group's
        // dictionary page as is. If the reader rejects the hint, read plain strings.
        let hinted = ArrowReaderMetadata::try_new(
            metadata.metadata().clone(),
            ArrowReaderOptions::new().with_schema(layout.dictionary_schema(&file_schema)),
        );
        let row_groups: Vec<usize> = match &rows {
            Some(rows) => rows.row_groups.clone(),
            None => (0..metadata.metadata().num_row_groups()).collect(),
        };
        plateau_serialization::parquet::check_dictionary_pages(
            &std::sync::Arc::new(bytes.clone()),
            metadata.metadata(),
            &row_groups,
            &mask,
            key,
        )?;
        let mut builder = RawBuilder::with_capacity(metadata.metadata(), layout.label_position);
        let reader_metadata = hinted.unwrap_or(metadata);
        let mut reader = ParquetRecordBatchReaderBuilder::new_with_metadata(bytes, reader_metadata)
            .with_projection(mask)
            .with_batch_size(batch_size);
        if let Some(rows) = rows {
            reader = reader
                .with_row_groups(rows.row_groups)
                .with_row_selection(rows.selection);
        }
        let reader = reader
            .build()
            .map_err(|e| corrupt(format!("cannot read the index: {e}")))?;

        for batch in reader {
            let batch = batch.map_err(|e| corrupt(format!("cannot read the index: {e}")))?;
            let (Some(values), Some(lists)) = (
                batch.column_by_name(layout.value_field.name()),
                batch.column_by_name(PARTITION_COLUMN),
            ) else {
                return Err(corrupt("the reader lost a column".to_owned()));
            };
            builder
                .add_batch(values, lists, &data_type)
                .map_err(|e| match e {
                    Error::Corrupt { .. } => e,
                    other => corrupt(other.to_string()),
                })?;
        }
        let raw = builder.finish(&data_type)?;
        let index = assemble(column, IndexKind::Secondary, &data_type, raw)
            .map_err(|e| corrupt(e.to_string()))?;
        Ok(index.with_storage_key(key))
    }
}

/// Where the two columns of an index file are.
struct Layout {
    value_position: usize,
    value_field: FieldRef,
    label_position: usize,
    label_field: FieldRef,
}

impl Layout {
    /// The value column by name, else (in a two-column file) the column that is not
    /// `partition`; the label column by name, a list of strings.
    fn find(column: &str, schema: &Schema) -> std::result::Result<Layout, String> {
        let fields = schema.fields();
        let (label_position, label_field) = fields
            .find(PARTITION_COLUMN)
            .ok_or_else(|| format!("no `{PARTITION_COLUMN}` column in {schema}"))?;
        let (value_position, value_field) = match fields.find(column) {
            Some(found) => found,
            None if fields.len() == 2 => {
                let position = 1 - label_position;
                (position, &fields[position])
            }
            None => return Err(format!("no column `{column}` in {schema}")),
        };
        let element = match label_field.data_type() {
            DataType::List(element) | DataType::LargeList(element) => element,
            other => return Err(format!("`{PARTITION_COLUMN}` has type {other}, not a list")),
        };
        if !matches!(
            element.data_type(),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
        ) {
            return Err(format!(
                "`{PARTITION_COLUMN}` holds {}, not strings",
                element.data_type()
            ));
        }
        Ok(Layout {
            value_position,
            value_field: value_field.clone(),
            label_position,
            label_field: label_field.clone(),
        })
    }

    /// The file schema with the labels as `Dictionary<Int32, Utf8>` inside the same list type.
    fn dictionary_schema(&self, schema: &Schema) -> SchemaRef {
        let dictionary = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
        let list_type = match self.label_field.data_type() {
            DataType::LargeList(element) => DataType::LargeList(Arc::new(
                element.as_ref().clone().with_data_type(dictionary),
            )),
            DataType::List(element) => DataType::List(Arc::new(
                element.as_ref().clone().with_data_type(dictionary),
            )),
            other => other.clone(),
        };
        let fields: Vec<FieldRef> = schema
            .fields()
            .iter()
            .enumerate()
            .map(|(i, field)| {
                if i == self.label_position {
                    Arc::new(field.as_ref().clone().with_data_type(list_type.clone()))
                } else {
                    field.clone()
                }
            })
            .collect();
        Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
    }
}

/// The rows whose key is an index value: null keys (and NaN, pandas' null) are not. `None`
/// when every row's is.
pub(crate) fn key_rows(values: &dyn Array) -> Option<Vec<bool>> {
    let mut valid: Option<Vec<bool>> = values.logical_nulls().map(|nulls| nulls.iter().collect());
    if let Some(floats) = values.as_primitive_opt::<Float64Type>() {
        if floats.values().iter().any(|v| v.is_nan()) {
            let slots = valid.get_or_insert_with(|| vec![true; values.len()]);
            for (slot, v) in slots.iter_mut().zip(floats.values().iter()) {
                *slot &= !v.is_nan();
            }
        }
    }
    valid
}

/// Marks a null list element in [`RawBuilder`]'s per-element ids.
const NO_LABEL: u32 = u32::MAX;

/// Collects keys and CSR label ids batch by batch.
#[derive(Default)]
struct RawBuilder {
    keys: Vec<ArrayRef>,
    offsets: Vec<u32>,
    postings: Vec<u32>,
    labels: Interner,
    /// The last dictionary seen and its entries' label ids: batches of one row group share
    /// their dictionary.
    dictionary: Option<(ArrayRef, Vec<u32>)>,
}

impl RawBuilder {
    /// A builder with room for the file's rows and labels, so that the million-entry vectors
    /// are allocated once instead of grown (and page-faulted) by doubling.
    fn with_capacity(metadata: &ParquetMetaData, label_position: usize) -> Self {
        let rows = usize::try_from(metadata.file_metadata().num_rows()).unwrap_or(0);
        // The leaf column of the labels: the first leaf under the label root.
        let leaf = (0..metadata.file_metadata().schema_descr().num_columns()).find(|i| {
            metadata
                .file_metadata()
                .schema_descr()
                .get_column_root_idx(*i)
                == label_position
        });
        let elements: i64 = leaf.map_or(0, |leaf| {
            metadata
                .row_groups()
                .iter()
                .map(|rg| rg.column(leaf).num_values())
                .sum()
        });
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        Self {
            offsets,
            postings: Vec::with_capacity(usize::try_from(elements).unwrap_or(0)),
            ..Self::default()
        }
    }

    fn add_batch(
        &mut self,
        values: &ArrayRef,
        lists: &ArrayRef,
        data_type: &DataType,
    ) -> Result<()> {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        let valid = key_rows(values.as_ref());
        match lists.data_type() {
            DataType::List(_) => self.add_lists(lists.as_list::<i32>(), valid.as_deref())?,
            DataType::LargeList(_) => self.add_lists(lists.as_list::<i64>(), valid.as_deref())?,
            other => {
                return Err(Error::invalid_input(format!(
                    "`{PARTITION_COLUMN}` has type {other}, not a list"
                )))
            }
        }
        let kept: ArrayRef = match valid {
            Some(valid) => filter(values.as_ref(), &BooleanArray::from(valid))?,
            None => values.clone(),
        };
        self.keys
            .push(keys::cast_checked(kept.as_ref(), data_type)?);
        Ok(())
    }

    /// Appends the label ids of the rows whose key is valid (`valid`: `None` for all rows).
    fn add_lists<O: OffsetSizeTrait>(
        &mut self,
        lists: &GenericListArray<O>,
        valid: Option<&[bool]>,
    ) -> Result<()> {
        let ids = self.element_ids(lists.values())?;
        let offsets = lists.value_offsets();
        let (Some(first), Some(last)) = (offsets.first(), offsets.last()) else {
            return Ok(());
        };
        let (first, last) = (first.as_usize(), last.as_usize());
        let clean =
            valid.is_none() && lists.null_count() == 0 && !ids[first..last].contains(&NO_LABEL);
        if clean {
            // The common case (every file plateau or we write): copy the ids and shift the
            // list offsets, no per-row work.
            let base = self.postings.len();
            self.postings.extend_from_slice(&ids[first..last]);
            u32_len(self.postings.len())?;
            self.offsets.extend(
                offsets[1..]
                    .iter()
                    .map(|o| (base + o.as_usize() - first) as u32),
            );
            return Ok(());
        }
        for row in 0..lists.len() {
            if valid.is_some_and(|v| !v[row]) {
                continue;
            }
            if lists.is_valid(row) {
                let (start, end) = (offsets[row].as_usize(), offsets[row + 1].as_usize());
                self.postings
                    .extend(ids[start..end].iter().filter(|id| **id != NO_LABEL));
            }
            self.offsets.push(u32_len(self.postings.len())?);
        }
        Ok(())
    }

    /// The label id of every list element ([`NO_LABEL`] for a null element).
    fn element_ids(&mut self, elements: &ArrayRef) -> Result<Vec<u32>> {
        if let Some(dict) = elements.as_dictionary_opt::<Int32Type>() {
            return self.dictionary_element_ids(dict);
        }
        let strings = arrow::compute::cast(elements.as_ref(), &DataType::Utf8)?;
        self.intern_all(strings.as_string::<i32>())
    }

    fn dictionary_element_ids(&mut self, dict: &DictionaryArray<Int32Type>) -> Result<Vec<u32>> {
        let values = dict.values();
        let cached = matches!(&self.dictionary, Some((seen, _)) if Arc::ptr_eq(seen, values));
        if !cached {
            let strings = arrow::compute::cast(values.as_ref(), &DataType::Utf8)?;
            let ids = self.intern_all(strings.as_string::<i32>())?;
            self.dictionary = Some((values.clone(), ids));
        }
        let Some((_, entry_ids)) = &self.dictionary else {
            return Ok(Vec::new());
        };
        let keys = dict.keys();
        let lookup = |k: i32| {
            usize::try_from(k)
                .ok()
                .and_then(|k| entry_ids.get(k).copied())
                .unwrap_or(NO_LABEL)
        };
        Ok(match keys.nulls() {
            None => keys.values().iter().map(|k| lookup(*k)).collect(),
            Some(nulls) => keys
                .values()
                .iter()
                .zip(nulls.iter())
                .map(|(k, valid)| if valid { lookup(*k) } else { NO_LABEL })
                .collect(),
        })
    }

    fn intern_all(&mut self, strings: &StringArray) -> Result<Vec<u32>> {
        self.labels
            .intern_all(strings.iter(), NO_LABEL)
            .ok_or_else(|| {
                Error::unsupported(format!("indices are limited to {} labels", u32::MAX - 1))
            })
    }

    fn finish(self, data_type: &DataType) -> Result<RawIndex> {
        let keys = if self.keys.is_empty() {
            arrow::array::new_empty_array(data_type)
        } else {
            let parts: Vec<&dyn Array> = self.keys.iter().map(|k| k.as_ref()).collect();
            concat(&parts)?
        };
        let offsets = if self.offsets.is_empty() {
            vec![0]
        } else {
            self.offsets
        };
        Ok(RawIndex {
            keys,
            offsets,
            postings: self.postings,
            labels: self.labels.into_strings(),
        })
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Int64Array, ListBuilder, StringBuilder};

    use super::*;

    /// The path for label columns the reader does not hand out as dictionaries.
    #[test]
    fn plain_string_labels() {
        let mut lists = ListBuilder::new(StringBuilder::new());
        for row in [
            Some(vec![Some("b"), Some("a")]),
            Some(vec![Some("x")]),
            None,
            Some(vec![Some("a"), None]),
        ] {
            match row {
                Some(labels) => {
                    for label in labels {
                        lists.values().append_option(label);
                    }
                    lists.append(true);
                }
                None => lists.append(false),
            }
        }
        let lists: ArrayRef = Arc::new(lists.finish());
        let values: ArrayRef = Arc::new(Int64Array::from(vec![Some(5), None, Some(9), Some(1)]));
        let mut builder = RawBuilder::default();
        builder
            .add_batch(&values, &lists, &DataType::Int64)
            .unwrap();
        let raw = builder.finish(&DataType::Int64).unwrap();
        let index = assemble("c", IndexKind::Secondary, &DataType::Int64, raw).unwrap();
        let entries: Vec<(String, Vec<&str>)> = index
            .entries()
            .unwrap()
            .into_iter()
            .map(|(v, l)| (v.to_string(), l))
            .collect();
        assert_eq!(
            entries,
            [
                ("1".to_owned(), vec!["a"]),
                ("5".to_owned(), vec!["a", "b"])
            ]
        );
    }
}
