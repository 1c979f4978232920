//! Reading a dataset: planning which partitions to read, reading one planned
//! [`DispatchGroup`] into a batch, and the `read_table` / `read_dataset_as_dataframes` column
//! rules of Python plateau (reference §1.2, §1.14, §4.3, §4.4).
//!
//! The flow is the same for every front end:
//!
//! 1. [`plan`] loads the metadata through the [`DatasetFactory`], validates the options
//!    against the dataset schema *before* any data or index I/O (unknown columns, predicate
//!    shape and types, `dispatch_by` on unindexed columns), loads only the indices the
//!    predicates and `dispatch_by` use, and prunes partitions
//!    ([`plateau_metadata::planning::plan`]).
//! 2. [`read_group`] reads the partitions of one group. Per partition, the group's
//!    `dispatch_by` literals are ANDed into every conjunction of the predicates; each
//!    conjunction is split into its partition-key literals, evaluated once on the partition's
//!    typed key values, and its content literals, pushed into the file read. A conjunction
//!    whose key part is false is dropped; a partition left without conjunctions is skipped
//!    (plateau raises "Empty predicates" there, §4.3); a conjunction without content part means
//!    the file is read unfiltered.
//! 3. Partition columns are added as typed constant columns (bool, binary and tz-aware values
//!    keep their real type; plateau reads bools as `True`, binary as `str` and fails on
//!    tz-aware values, §2.6), first and in partition-key order, followed by the file's columns
//!    in the file's order; with `columns`, exactly those in that order.
//! 4. [`read_table`] concatenates all partitions with every column cast to its
//!    `_common_metadata` type (narrow file types such as `int8` or dictionaries widen, as
//!    plateau's concat with a schema-typed empty frame does), in schema order (partition keys,
//!    then the other columns sorted) or `columns` order. [`read_dataset`] returns one batch per
//!    group.
//!
//! Decoding runs on the calling thread; front ends that want parallelism call [`read_group`]
//! from their own workers.
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Int64Array, RecordBatch};
//! use plateau_core::{Predicates, Store};
//! use plateau_io::read::{read_table, ReadOptions};
//! use plateau_metadata::DatasetFactory;
//! # use plateau_metadata::{codec, common_metadata, schema::make_meta, DatasetMetadataBuilder};
//! # use plateau_serialization::{ParquetSerializer, Serializer};
//!
//! let store = Store::memory();
//! # let batch = RecordBatch::try_from_iter([
//! #     ("x", Arc::new(Int64Array::from(vec![1, 2, 3])) as _),
//! # ]).unwrap();
//! # let file = ParquetSerializer::default().store(&store, "demo/table/part", &batch).unwrap();
//! # let schema = make_meta(&batch.schema(), "part", &[]).unwrap();
//! # store.put("demo/table/_common_metadata", common_metadata::write_common_metadata(&schema).unwrap()).unwrap();
//! # let metadata = DatasetMetadataBuilder::new("demo").partition_keys(vec![]).add_partition("part", file).build().unwrap();
//! # store.put("demo.by-dataset-metadata.json", codec::to_json(&metadata).unwrap().into()).unwrap();
//! // `demo` holds one partition with x = 1, 2, 3.
//! let factory = DatasetFactory::new(store, "demo");
//! let options = ReadOptions::default().predicates(Predicates::parse("x >= 2").unwrap());
//! let table = read_table(&factory, &options).unwrap();
//! assert_eq!(table.num_rows(), 2);
//! ```

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::{new_null_array, Array, ArrayRef, AsArray, RecordBatch, RecordBatchOptions};
use arrow::compute::{cast, cast_with_options, concat_batches, CastOptions};
use arrow::datatypes::{DataType, Field, FieldRef, Int64Type, Schema, SchemaRef, TimeUnit};
use plateau_core::{naming, Conjunction, Error, Literal, Predicates, Result, Scalar, Store};
use plateau_metadata::labels::label_values;
use plateau_metadata::planning::{self, DispatchGroup};
use plateau_metadata::schema::{empty_batch, is_index_level_name};
use plateau_metadata::{DatasetFactory, DatasetMetadata};
use plateau_serialization::filter::{self, EvalOptions};

/// What to read (plateau's `columns`, `predicates`, `predicate_pushdown_to_io`,
/// `categoricals` and `dispatch_by` arguments).
///
/// ```
/// use plateau_core::Predicates;
/// use plateau_io::read::ReadOptions;
///
/// let options = ReadOptions::default()
///     .columns(["P", "x"])
///     .predicates(Predicates::parse("P == 1 or x > 3").unwrap())
///     .dispatch_by(["P"]);
/// assert!(options.predicate_pushdown_to_io);
/// assert_eq!(options.columns.as_deref(), Some(&["P".to_owned(), "x".to_owned()][..]));
/// ```
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// The columns to return, in this order (partition columns included). `None` (the
    /// default): every column. `Some(vec![])`: no column, only the row count.
    pub columns: Option<Vec<String>>,
    /// Rows to keep, in disjunctive normal form. `None` (the default): every row.
    pub predicates: Option<Predicates>,
    /// Whether row groups whose statistics rule out every predicate may be skipped. Default
    /// `true`. The rows returned are the same either way.
    pub predicate_pushdown_to_io: bool,
    /// Columns returned as `Dictionary<Int32, _>` arrays (plateau's categoricals). Default
    /// empty: dictionary-encoded file columns are decoded to their value type.
    pub categoricals: Vec<String>,
    /// `None` (the default): one batch per partition. `Some(vec![])`: one batch of all
    /// partitions. `Some(columns)`: one batch per observed value combination of these index
    /// columns (partition keys or secondary indices), in ascending order. Ignored by
    /// [`read_table`].
    pub dispatch_by: Option<Vec<String>>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            columns: None,
            predicates: None,
            predicate_pushdown_to_io: true,
            categoricals: Vec::new(),
            dispatch_by: None,
        }
    }
}

impl ReadOptions {
    /// Options that read every row and column, one batch per partition.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`ReadOptions::columns`].
    pub fn columns(mut self, columns: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.columns = Some(columns.into_iter().map(Into::into).collect());
        self
    }

    /// Sets [`ReadOptions::predicates`].
    pub fn predicates(mut self, predicates: Predicates) -> Self {
        self.predicates = Some(predicates);
        self
    }

    /// Sets [`ReadOptions::predicate_pushdown_to_io`].
    pub fn predicate_pushdown_to_io(mut self, pushdown: bool) -> Self {
        self.predicate_pushdown_to_io = pushdown;
        self
    }

    /// Sets [`ReadOptions::categoricals`].
    pub fn categoricals(mut self, columns: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.categoricals = columns.into_iter().map(Into::into).collect();
        self
    }

    /// Sets [`ReadOptions::dispatch_by`].
    pub fn dispatch_by(mut self, columns: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.dispatch_by = Some(columns.into_iter().map(Into::into).collect());
        self
    }

    fn is_categorical(&self, column: &str) -> bool {
        self.categoricals.iter().any(|c| c == column)
    }
}

/// Validates `options` against the dataset, loads the indices the predicates and
/// `dispatch_by` need, and plans the read.
///
/// Nothing but the metadata file and `_common_metadata` is read before validation passes.
///
/// # Errors
/// * [`Error::ColumnNotFound`] (names sorted) for `columns` or predicate columns the schema
///   lacks;
/// * [`Error::InvalidPredicate`] and [`Error::PredicateType`] for malformed predicates or values
///   that do not fit their column's type;
/// * [`Error::InvalidInput`] for `dispatch_by` columns without an index;
/// * [`Error::DatasetNotFound`] and the store and decoding errors of loading.
pub fn plan(
    factory: &DatasetFactory,
    options: &ReadOptions,
) -> Result<(Arc<DatasetMetadata>, Vec<DispatchGroup>)> {
    let metadata = factory.metadata()?;
    validate(&metadata, options)?;
    let needed = planning::index_columns_needed(
        &metadata,
        options.predicates.as_ref(),
        options.dispatch_by.as_deref(),
    );
    let metadata = if needed.is_empty() {
        metadata
    } else {
        let columns: Vec<&str> = needed.iter().map(String::as_str).collect();
        factory.load_indices(&columns)?
    };
    let groups = planning::plan(
        &metadata,
        options.predicates.as_ref(),
        options.dispatch_by.as_deref(),
    )?;
    let groups = match &options.predicates {
        Some(predicates) => groups_matching(groups, predicates, &dataset_schema(&metadata))?,
        None => groups,
    };
    Ok((metadata, groups))
}

/// Drops the `dispatch_by` groups whose values no conjunction accepts: plateau filters the
/// index values of every scanned column by the conjunction's literals before grouping, so
/// `dispatch_by=["C"]` with `C == 1` gives the group `C = 1` only, although the surviving
/// partitions also hold other values of `C` (reference §4.3, `test_read_dispatch_by_with_predicates`).
fn groups_matching(
    groups: Vec<DispatchGroup>,
    predicates: &Predicates,
    schema: &Schema,
) -> Result<Vec<DispatchGroup>> {
    // Planning semantics: a date may be compared with a timestamp index.
    let options = EvalOptions {
        strict_date_types: false,
    };
    let mut kept = Vec::with_capacity(groups.len());
    for group in groups {
        if group.conjunction.is_empty() {
            kept.push(group);
            continue;
        }
        let values: Vec<(String, Scalar, DataType)> = group
            .conjunction
            .iter()
            .filter_map(|literal| {
                let value = literal.value.as_scalar()?.clone();
                let data_type = schema
                    .field_with_name(&literal.column)
                    .map(|f| f.data_type().clone())
                    .unwrap_or_else(|_| value.data_type());
                Some((literal.column.clone(), value, data_type))
            })
            .collect();
        let batch = constant_batch(&values, 1)?;
        let mut accepted = false;
        for conjunction in &predicates.conjunctions {
            let on_group: Vec<Literal> = conjunction
                .literals
                .iter()
                .filter(|l| values.iter().any(|(column, _, _)| *column == l.column))
                .cloned()
                .collect();
            if on_group.is_empty()
                || filter::evaluate(
                    &batch,
                    &Predicates::all(Conjunction::from(on_group)),
                    &options,
                )?
                .value(0)
            {
                accepted = true;
                break;
            }
        }
        if accepted {
            kept.push(group);
        }
    }
    Ok(kept)
}

/// Reads the partitions of one planned group into one batch.
///
/// Without `dispatch_by` (a group of one partition) the columns keep the data file's types
/// (an `int8` column stays `int8`, as in plateau's `read_dataset_as_dataframes`); partition
/// columns have their schema type. With `dispatch_by`, every partition is cast to the
/// dataset schema's types before the concatenation, so all groups of a read agree.
///
/// A partition whose partition values rule out every conjunction contributes nothing; a group
/// left without partitions gives an empty batch typed by the schema.
///
/// # Errors
/// [`Error::ColumnNotFound`] for requested or predicate columns a data file lacks, the
/// predicate errors of [`plan`] (for options that did not go through it), store, Parquet and
/// cast errors.
pub fn read_group(
    store: &Store,
    metadata: &DatasetMetadata,
    group: &DispatchGroup,
    options: &ReadOptions,
) -> Result<RecordBatch> {
    let schema = dataset_schema(metadata);
    let mut batches = read_partitions(store, metadata, &schema, group, options)?;
    if options.dispatch_by.is_none() && batches.len() == 1 {
        return Ok(batches.swap_remove(0));
    }
    if batches.is_empty() {
        return empty_group_batch(metadata, &schema, options);
    }
    // Column order of the first partition, then columns only later partitions have; types
    // from the dataset schema.
    let mut names: Vec<&str> = Vec::new();
    for batch in &batches {
        for field in batch.schema_ref().fields() {
            if !names.contains(&field.name().as_str()) {
                names.push(field.name());
            }
        }
    }
    let target: Vec<FieldRef> = names
        .iter()
        .map(|name| {
            let field = match schema.field_with_name(name) {
                Ok(field) => field.clone(),
                // Not in the schema (a file with extra columns): the first partition's type.
                Err(_) => batches
                    .iter()
                    .find_map(|b| b.schema_ref().field_with_name(name).ok().cloned())
                    .unwrap_or_else(|| Field::new(*name, DataType::Null, true)),
            };
            Arc::new(result_field(&field, options))
        })
        .collect();
    concat_conformed(target, &batches)
}

/// Reads every planned group, one batch each (plateau's `read_dataset_as_dataframes`).
///
/// # Errors
/// The errors of [`plan`] and [`read_group`].
pub fn read_dataset(factory: &DatasetFactory, options: &ReadOptions) -> Result<Vec<RecordBatch>> {
    let (metadata, groups) = plan(factory, options)?;
    groups
        .iter()
        .map(|group| read_group(factory.store(), &metadata, group, options))
        .collect()
}

/// Reads the whole dataset into one batch (plateau's `read_table`).
///
/// Every column has its `_common_metadata` type (categoricals as `Dictionary<Int32, _>`), in
/// schema order or `columns` order; an empty result still carries the schema. A dataset
/// without `_common_metadata` and without partitions (created from no data) reads as a batch
/// without columns. `dispatch_by` is ignored.
///
/// Timestamps have the schema's nanosecond unit, except in a column holding values outside
/// the nanosecond range (before 1677 or after 2262): it keeps the data files' coarser unit
/// rather than failing (plateau raises) or wrapping.
///
/// # Errors
/// The errors of [`plan`] and [`read_group`]; [`Error::Corrupt`] for a dataset with partitions
/// but no `_common_metadata`.
pub fn read_table(factory: &DatasetFactory, options: &ReadOptions) -> Result<RecordBatch> {
    let options = ReadOptions {
        dispatch_by: None,
        ..options.clone()
    };
    let (metadata, groups) = plan(factory, &options)?;
    let Some(wrapper) = metadata.schema.as_ref() else {
        if metadata.partitions.is_empty() {
            let schema = Arc::new(Schema::empty());
            return Ok(RecordBatch::try_new_with_options(
                schema,
                Vec::new(),
                &RecordBatchOptions::new().with_row_count(Some(0)),
            )?);
        }
        return Err(Error::corrupt(
            naming::common_metadata_key(&metadata.uuid, &metadata.table_name),
            format!(
                "dataset `{}` has partitions but no _common_metadata, so its column types are unknown",
                metadata.uuid
            ),
        ));
    };
    let template = empty_batch(wrapper.schema(), options.columns.as_deref())?;
    let target: Vec<FieldRef> = template
        .schema_ref()
        .fields()
        .iter()
        .map(|f| Arc::new(result_field(f, &options)))
        .collect();
    let schema = wrapper.schema().as_ref();
    let mut batches = Vec::new();
    for group in &groups {
        batches.extend(read_partitions(
            factory.store(),
            &metadata,
            schema,
            group,
            &options,
        )?);
    }
    concat_conformed(target, &batches)
}

/// The dataset schema, or an empty one for a dataset without `_common_metadata`.
fn dataset_schema(metadata: &DatasetMetadata) -> Schema {
    metadata
        .schema
        .as_ref()
        .map(|s| s.schema().as_ref().clone())
        .unwrap_or_else(Schema::empty)
}

/// The checks that need no data: columns, predicates, dispatch columns.
fn validate(metadata: &DatasetMetadata, options: &ReadOptions) -> Result<()> {
    let schema = dataset_schema(metadata);
    if let Some(columns) = &options.columns {
        let missing: BTreeSet<&String> = columns
            .iter()
            .filter(|c| schema.index_of(c).is_err())
            .collect();
        if !missing.is_empty() {
            return Err(Error::ColumnNotFound {
                columns: missing.into_iter().cloned().collect(),
            });
        }
    }
    if let Some(predicates) = &options.predicates {
        predicates.validate()?;
        // Load-time semantics (strict date types): what plateau would raise when it reads.
        filter::check_types(&schema, predicates, &EvalOptions::default())?;
    }
    if let Some(dispatch_by) = &options.dispatch_by {
        let indexed = metadata.index_columns();
        if dispatch_by.iter().any(|c| !indexed.contains(&c.as_str())) {
            return Err(Error::invalid_input(format!(
                "Dispatch columns must be indexed.\nRequested index: {dispatch_by:?} but available index columns: {indexed:?}"
            )));
        }
    }
    Ok(())
}

/// The predicates a group's partitions must satisfy: the user's, with the group's
/// `dispatch_by` literals ANDed into every conjunction; `None` for no filtering.
fn group_conjunctions(group: &DispatchGroup, options: &ReadOptions) -> Option<Vec<Conjunction>> {
    match &options.predicates {
        Some(predicates) => Some(predicates.and_all(&group.conjunction).conjunctions),
        None if group.conjunction.is_empty() => None,
        None => Some(vec![Conjunction::from(group.conjunction.clone())]),
    }
}

/// Reads each partition of `group` that can match; skipped partitions give no batch.
fn read_partitions(
    store: &Store,
    metadata: &DatasetMetadata,
    schema: &Schema,
    group: &DispatchGroup,
    options: &ReadOptions,
) -> Result<Vec<RecordBatch>> {
    let conjunctions = group_conjunctions(group, options);
    let mut batches = Vec::with_capacity(group.labels.len());
    for label in &group.labels {
        if let Some(batch) = read_partition(
            store,
            metadata,
            schema,
            label,
            conjunctions.as_deref(),
            options,
        )? {
            batches.push(batch);
        }
    }
    Ok(batches)
}

/// What a partition's key values leave of the predicates.
enum ContentFilter {
    /// No conjunction can match: skip the partition.
    Skip,
    /// Read every row.
    All,
    /// Read the rows matching these (content-only) predicates.
    Rows(Predicates),
}

/// Splits each conjunction into partition-key and content literals, evaluates the key part
/// on the partition's values and keeps the content parts of the conjunctions that hold.
fn content_filter(
    conjunctions: &[Conjunction],
    partition_keys: &[String],
    key_batch: &RecordBatch,
) -> Result<ContentFilter> {
    let options = EvalOptions::default();
    let mut remaining: Vec<Conjunction> = Vec::new();
    for conjunction in conjunctions {
        let (keys, content): (Vec<&Literal>, Vec<&Literal>) = conjunction
            .literals
            .iter()
            .partition(|l| partition_keys.contains(&l.column));
        if !keys.is_empty() {
            let key_part = Predicates::all(Conjunction::from(
                keys.into_iter().cloned().collect::<Vec<_>>(),
            ));
            if !filter::evaluate(key_batch, &key_part, &options)?.value(0) {
                continue;
            }
        }
        if content.is_empty() {
            return Ok(ContentFilter::All);
        }
        remaining.push(Conjunction::from(
            content.into_iter().cloned().collect::<Vec<_>>(),
        ));
    }
    Ok(if remaining.is_empty() {
        ContentFilter::Skip
    } else {
        ContentFilter::Rows(Predicates::new(remaining))
    })
}

/// Reads one partition: `None` if its partition values rule out every conjunction.
fn read_partition(
    store: &Store,
    metadata: &DatasetMetadata,
    schema: &Schema,
    label: &str,
    conjunctions: Option<&[Conjunction]>,
    options: &ReadOptions,
) -> Result<Option<RecordBatch>> {
    let partition = metadata.partitions.get(label).ok_or_else(|| {
        Error::invalid_input(format!(
            "partition `{label}` is not part of dataset `{}`",
            metadata.uuid
        ))
    })?;
    let keys = &metadata.partition_keys;
    // Typed partition values with their schema types.
    let values: Vec<(String, Scalar, DataType)> = if keys.is_empty() {
        Vec::new()
    } else {
        label_values(metadata, label)?
            .into_iter()
            .map(|(column, value)| {
                let data_type = schema
                    .field_with_name(&column)
                    .map(|f| f.data_type().clone())
                    .map_err(|_| {
                        Error::invalid_input(format!(
                            "Cannot find type information for partition column \"{column}\" in the schema of dataset `{}`",
                            metadata.uuid
                        ))
                    })?;
                Ok((column, value, data_type))
            })
            .collect::<Result<_>>()?
    };

    let content = match conjunctions {
        None => None,
        Some(conjunctions) => {
            let key_batch = constant_batch(&values, 1)?;
            match content_filter(conjunctions, keys, &key_batch)? {
                ContentFilter::Skip => return Ok(None),
                ContentFilter::All => None,
                ContentFilter::Rows(predicates) => Some(predicates),
            }
        }
    };

    // Partition columns are served from the label, never from the file.
    let file_columns: Option<Vec<String>> = options.columns.as_ref().map(|columns| {
        columns
            .iter()
            .filter(|c| !keys.contains(c))
            .cloned()
            .collect()
    });
    let read_options = plateau_serialization::ReadOptions {
        columns: file_columns,
        predicates: content,
        predicate_pushdown: options.predicate_pushdown_to_io,
        categoricals: options.categoricals.clone(),
        schema: None,
        eval_options: EvalOptions::default(),
    };
    let data = plateau_serialization::restore(store, &partition.file, &read_options)?;
    // Every partition file holds every column of the dataset schema (writers validate
    // that); a file without one was replaced or damaged, and filling it with nulls would
    // hide that.
    if options.columns.is_none() {
        if let Some(missing) = schema.fields().iter().find(|field| {
            !keys.contains(field.name()) && data.column_by_name(field.name()).is_none()
        }) {
            return Err(Error::corrupt(
                &partition.file,
                format!(
                    "the data file has no column `{}` of the dataset schema (columns: {})",
                    missing.name(),
                    data.schema_ref()
                        .fields()
                        .iter()
                        .map(|f| f.name().as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    let rows = data.num_rows();

    let mut fields: Vec<FieldRef> = Vec::with_capacity(values.len() + data.num_columns());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(fields.capacity());
    let wanted = |name: &str| {
        options
            .columns
            .as_ref()
            .is_none_or(|columns| columns.iter().any(|c| c == name))
    };
    for (column, value, data_type) in &values {
        if !wanted(column) {
            continue;
        }
        let field = result_field(
            &Field::new(column.as_str(), data_type.clone(), true),
            options,
        );
        let array = value.to_array_of(data_type, rows)?;
        let array = if array.data_type() == field.data_type() {
            array
        } else {
            cast(&array, field.data_type())?
        };
        fields.push(Arc::new(field));
        columns.push(array);
    }
    for (field, column) in data.schema_ref().fields().iter().zip(data.columns()) {
        // A file that still holds a partition column loses it to the label's value, and
        // pandas index columns the file's metadata did not name are dropped by their name.
        if keys.contains(field.name()) || is_index_level_name(field.name()) {
            continue;
        }
        fields.push(Arc::clone(field));
        columns.push(Arc::clone(column));
    }
    if let Some(requested) = &options.columns {
        let mut ordered_fields = Vec::with_capacity(requested.len());
        let mut ordered_columns = Vec::with_capacity(requested.len());
        for name in requested {
            let position = fields
                .iter()
                .position(|f| f.name() == name)
                .ok_or_else(|| Error::ColumnNotFound {
                    columns: vec![name.clone()],
                })?;
            ordered_fields.push(Arc::clone(&fields[position]));
            ordered_columns.push(Arc::clone(&columns[position]));
        }
        fields = ordered_fields;
        columns = ordered_columns;
    }
    Ok(Some(RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )?))
}

/// A batch of `rows` copies of the partition values, typed by the schema.
fn constant_batch(values: &[(String, Scalar, DataType)], rows: usize) -> Result<RecordBatch> {
    let mut fields = Vec::with_capacity(values.len());
    let mut columns = Vec::with_capacity(values.len());
    for (column, value, data_type) in values {
        fields.push(Field::new(column.as_str(), data_type.clone(), true));
        columns.push(value.to_array_of(data_type, rows)?);
    }
    Ok(RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )?)
}

/// The empty batch of a group whose partitions were all skipped: the schema's columns
/// (partition keys first, as the schema orders them) or the requested ones.
fn empty_group_batch(
    metadata: &DatasetMetadata,
    schema: &Schema,
    options: &ReadOptions,
) -> Result<RecordBatch> {
    if metadata.schema.is_none() && options.columns.as_ref().is_none_or(Vec::is_empty) {
        return Ok(RecordBatch::new_empty(Arc::new(Schema::empty())));
    }
    let template = empty_batch(schema, options.columns.as_deref())?;
    let fields: Vec<FieldRef> = template
        .schema_ref()
        .fields()
        .iter()
        .map(|f| Arc::new(result_field(f, options)))
        .collect();
    Ok(RecordBatch::new_empty(Arc::new(Schema::new(fields))))
}

/// `field` with the type a result column has: categoricals dictionary-encoded.
pub fn result_field(field: &Field, options: &ReadOptions) -> Field {
    let data_type = if options.is_categorical(field.name()) {
        plateau_serialization::serializer::categorical_type(field.data_type())
    } else {
        field.data_type().clone()
    };
    Field::new(field.name(), data_type, true).with_metadata(field.metadata().clone())
}

/// Casts every batch to `target` (columns by name, missing ones as nulls) and concatenates.
pub fn concat_conformed(mut target: Vec<FieldRef>, batches: &[RecordBatch]) -> Result<RecordBatch> {
    keep_out_of_range_timestamps(&mut target, batches)?;
    let schema: SchemaRef = Arc::new(Schema::new(target));
    let conformed = batches
        .iter()
        .map(|batch| conform(batch, &schema))
        .collect::<Result<Vec<_>>>()?;
    Ok(concat_batches(&schema, &conformed)?)
}

/// `batch` with exactly the columns of `schema`, cast to their types.
fn conform(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    // Unsafe casts fail on values the target cannot hold instead of turning them into nulls.
    let cast_options = CastOptions {
        safe: false,
        ..Default::default()
    };
    let rows = batch.num_rows();
    let columns = schema
        .fields()
        .iter()
        .map(|field| match batch.column_by_name(field.name()) {
            Some(column) if column.data_type() == field.data_type() => Ok(Arc::clone(column)),
            Some(column) => Ok(cast_with_options(column, field.data_type(), &cast_options)?),
            None => Ok(new_null_array(field.data_type(), rows)),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new_with_options(
        Arc::clone(schema),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )?)
}

/// Lowers the unit of a timestamp target column to the coarsest unit of the batches when
/// some value would not fit the target unit (years beyond 1677..2262 in nanoseconds), so such
/// data reads correctly instead of failing.
fn keep_out_of_range_timestamps(target: &mut [FieldRef], batches: &[RecordBatch]) -> Result<()> {
    for field in target.iter_mut() {
        let DataType::Timestamp(unit, tz) = field.data_type() else {
            continue;
        };
        let mut chosen = *unit;
        for batch in batches {
            let Some(column) = batch.column_by_name(field.name()) else {
                continue;
            };
            let DataType::Timestamp(source, _) = column.data_type() else {
                continue;
            };
            if unit_nanos(*source) <= unit_nanos(chosen) {
                continue;
            }
            if !fits_unit(column.as_ref(), *source, chosen)? {
                chosen = *source;
            }
        }
        if chosen != *unit {
            *field = Arc::new(
                field
                    .as_ref()
                    .clone()
                    .with_data_type(DataType::Timestamp(chosen, tz.clone())),
            );
        }
    }
    Ok(())
}

/// Nanoseconds per unit.
fn unit_nanos(unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Second => 1_000_000_000,
        TimeUnit::Millisecond => 1_000_000,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1,
    }
}

/// Whether every value of a timestamp `array` in `source` unit can be expressed in the finer
/// `target` unit without overflow (checked on the column's min and max).
fn fits_unit(array: &dyn Array, source: TimeUnit, target: TimeUnit) -> Result<bool> {
    let factor = unit_nanos(source) / unit_nanos(target);
    let raw = cast(array, &DataType::Int64)?;
    let raw = raw.as_primitive::<Int64Type>();
    let fits = |v: Option<i64>| v.is_none_or(|v| v.checked_mul(factor).is_some());
    Ok(fits(arrow::compute::min(raw)) && fits(arrow::compute::max(raw)))
}
