//! [`WritePlan`]: input batches validated and split into the data files to write, with the
//! indices to build for each; and writing them — serialized on the calling thread and
//! uploaded [`UPLOADS_IN_FLIGHT`] at a time (what a transaction's `write` does), one by one
//! ([`WritePlan::write`]), or serialized only ([`WritePlan::build`]) for a caller that uploads
//! itself, e.g. from rayon threads (a plan is `Sync`).
//!
//! A plan decides nothing about the dataset: which partition keys, table and index columns
//! apply, and which schema the batches must fit, is [`crate::transaction`]'s business.

use std::collections::{BTreeSet, VecDeque};

use arrow::array::RecordBatch;
use bytes::Bytes;
use plateau_core::naming;
use plateau_core::runtime::AbortOnDrop;
use plateau_core::{Error, Result, Store};
use plateau_index::{Index, IndexKind};
use plateau_metadata::schema::{make_meta, SchemaWrapper};
use plateau_serialization::Serializer;

use crate::check::{check_index_column, missing_index_column};
use crate::metapartition::MetaPartition;
use crate::partition::{self, Group};

/// How many data files a write uploads at once. On an object store with tens of
/// milliseconds per request this turns `files × latency` into `files × latency ÷ 16`; memory
/// holds up to this many serialized files.
pub const UPLOADS_IN_FLIGHT: usize = 16;

/// One input batch, validated and split, ready to be written.
#[derive(Debug)]
pub(crate) struct PreparedBatch {
    /// The batch, sorted if requested.
    batch: RecordBatch,
    /// Its groups (one per partition to write).
    groups: Vec<Group>,
    /// Positions of the columns that go into the data files.
    data_columns: Vec<usize>,
    /// Its normalised schema, with the partition labels as origins.
    schema: SchemaWrapper,
}

/// One serialized data file of a [`WritePlan`], not written yet.
#[derive(Debug)]
pub struct BuiltFile {
    /// The data file's key.
    pub key: String,
    /// Its bytes.
    pub bytes: Bytes,
    /// The partition to commit once the file is written.
    pub partition: MetaPartition,
}

/// Everything a write needs, validated: the input batches split into the partitions to
/// write, and the index columns to build for each. Made by
/// [`DatasetWriter::plan`](crate::transaction::DatasetWriter::plan).
#[derive(Debug)]
pub struct WritePlan {
    uuid: String,
    table_name: String,
    partition_on: Vec<String>,
    index_columns: Vec<String>,
    batches: Vec<PreparedBatch>,
}

impl WritePlan {
    /// Validates and splits `batches` (nothing is written): sorting columns, partition
    /// columns, null keys, index columns and their types, and builds each batch's schema.
    pub(crate) fn prepare(
        uuid: &str,
        table_name: &str,
        batches: &[RecordBatch],
        partition_on: &[String],
        index_columns: &[String],
        sort_partitions_by: &[String],
    ) -> Result<WritePlan> {
        let mut prepared = Vec::with_capacity(batches.len());
        for batch in batches {
            partition::check_partition_columns(&batch.schema(), partition_on)?;
            let batch = partition::sort_batch(batch, sort_partitions_by)?;
            let base = naming::gen_uuid();
            let groups = partition::split(&batch, partition_on, &base)?;
            let schema_ref = batch.schema();
            let data_columns = partition::data_columns(&schema_ref, partition_on);
            if let Some(first) = groups.first() {
                for column in index_columns {
                    check_index_column(&batch, &data_columns, partition_on, column, &first.label)?;
                }
            }
            let origin: BTreeSet<String> = if groups.is_empty() {
                BTreeSet::from([format!("{table_name}/{base}")])
            } else {
                groups.iter().map(|g| g.label.clone()).collect()
            };
            let schema = make_meta(&schema_ref, &base, partition_on)?.with_origin(origin);
            prepared.push(PreparedBatch {
                batch,
                groups,
                data_columns,
                schema,
            });
        }
        Ok(WritePlan {
            uuid: uuid.to_owned(),
            table_name: table_name.to_owned(),
            partition_on: partition_on.to_vec(),
            index_columns: index_columns.to_vec(),
            batches: prepared,
        })
    }

    /// Whether writing produces at least one partition.
    pub(crate) fn has_partitions(&self) -> bool {
        self.batches.iter().any(|b| !b.groups.is_empty())
    }

    /// The normalised schema of every input batch, in input order (with the partition labels
    /// as origins).
    pub(crate) fn schemas(&self) -> impl Iterator<Item = &SchemaWrapper> {
        self.batches.iter().map(|b| &b.schema)
    }

    /// The number of input batches (a batch may produce no file and still counts: its schema
    /// takes part in validation).
    pub(crate) fn num_batches(&self) -> usize {
        self.batches.len()
    }

    /// The number of data files the plan writes (one per partition of every batch).
    pub fn len(&self) -> usize {
        self.batches.iter().map(|b| b.groups.len()).sum()
    }

    /// Whether the plan writes nothing.
    pub fn is_empty(&self) -> bool {
        !self.has_partitions()
    }

    /// Writes the `file`-th data file (`0..len()`, in input order: batch by batch, partitions
    /// in first-appearance order) and builds its indices. Files are independent of each
    /// other, so they may be written in any order or concurrently; the partitions go to the
    /// commit in input order.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for `file >= len()`; serialization and store errors.
    pub fn write(
        &self,
        store: &Store,
        serializer: &dyn Serializer,
        file: usize,
    ) -> Result<MetaPartition> {
        let built = self.build(serializer, file)?;
        store.put(&built.key, built.bytes)?;
        Ok(built.partition)
    }

    /// Serializes the `file`-th data file and builds its indices without writing anything:
    /// the caller uploads [`BuiltFile::bytes`] to [`BuiltFile::key`] (e.g. with an
    /// [`Uploader`](plateau_core::upload::Uploader)) before committing [`BuiltFile::partition`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for `file >= len()`; serialization errors.
    pub fn build(&self, serializer: &dyn Serializer, file: usize) -> Result<BuiltFile> {
        let mut rest = file;
        for prepared in &self.batches {
            match prepared.groups.get(rest) {
                Some(group) => return self.build_group(serializer, prepared, group),
                None => rest -= prepared.groups.len(),
            }
        }
        Err(Error::invalid_input(format!(
            "the write plan has {} files, there is no file {file}",
            self.len()
        )))
    }

    /// Writes every group's data file and builds its indices, in input order. Files are
    /// serialized by the polling thread while up to [`UPLOADS_IN_FLIGHT`] of them upload as
    /// tasks of the current runtime (aborted if this future is dropped).
    pub(crate) async fn execute(
        &self,
        store: &Store,
        serializer: &dyn Serializer,
    ) -> Result<Vec<MetaPartition>> {
        let mut written = Vec::with_capacity(self.len());
        let mut uploads = VecDeque::with_capacity(UPLOADS_IN_FLIGHT);
        for prepared in &self.batches {
            for group in &prepared.groups {
                let BuiltFile {
                    key,
                    bytes,
                    partition,
                } = self.build_group(serializer, prepared, group)?;
                if uploads.len() >= UPLOADS_IN_FLIGHT {
                    if let Some(oldest) = uploads.pop_front() {
                        oldest.await??;
                    }
                }
                let store = store.clone();
                uploads.push_back(AbortOnDrop::spawn(async move {
                    store.put_async(&key, bytes).await.map(|_| ())
                }));
                written.push(partition);
            }
        }
        for upload in uploads {
            upload.await??;
        }
        Ok(written)
    }

    /// One group's data file (key and bytes, not written yet) and its partition with indices.
    fn build_group(
        &self,
        serializer: &dyn Serializer,
        prepared: &PreparedBatch,
        group: &Group,
    ) -> Result<BuiltFile> {
        let data = partition::take_group(&prepared.batch, &prepared.data_columns, group)?;
        let file = naming::data_file_key(
            &self.uuid,
            &self.table_name,
            &group.label,
            serializer.file_suffix(),
        );
        let bytes = serializer.serialize(&data)?;
        let mut indices = indexmap::IndexMap::new();
        for column in &self.index_columns {
            let index = match self.partition_on.iter().position(|c| c == column) {
                // Only datasets Python indexed on a partition column get here: the
                // group's partition value is its only value.
                Some(position) => {
                    let field = prepared.batch.schema().field_with_name(column)?.clone();
                    Index::from_entries(
                        column,
                        IndexKind::Secondary,
                        field.data_type(),
                        [(group.values[position].clone(), [group.label.as_str()])],
                    )?
                }
                None => {
                    let array = data
                        .column_by_name(column)
                        .ok_or_else(|| missing_index_column(column, &group.label))?;
                    Index::from_array(column, array.as_ref(), &group.label)?
                }
            };
            indices.insert(column.clone(), index);
        }
        let partition = MetaPartition {
            label: group.label.clone(),
            file: file.clone(),
            table_name: self.table_name.clone(),
            num_rows: group.rows.len() as u64,
            partition_keys: self.partition_on.clone(),
            schema: prepared
                .schema
                .with_origin(BTreeSet::from([group.label.clone()])),
            indices,
        };
        Ok(BuiltFile {
            key: file,
            bytes,
            partition,
        })
    }
}
