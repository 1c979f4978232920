//! The [`Serializer`] trait and [`ReadOptions`]; [`crate::format`] picks the serializer
//! from a key's suffix.
//!
//! Every serializer follows the same read contract (reference §4.4), implemented once here
//! by one internal request type and shared by the Parquet and CSV readers:
//!
//! * `columns = None` returns every column of the file (except the pandas index columns named
//!   in the file's `pandas` metadata, which plateau restores as the frame index and drops);
//!   `Some(names)` returns exactly those columns in that order; `Some(vec![])` returns a batch
//!   without columns whose row count is the number of selected rows.
//! * A requested or predicate column the file does not have is [`Error::ColumnNotFound`]
//!   naming all of them, sorted.
//! * Predicates are validated and type-checked against the file schema before any data is
//!   decoded; the rows they select are exactly those of [`crate::filter::filter_batch`],
//!   whether or not row groups were pruned first.
//! * Columns named in `categoricals` come back dictionary-encoded (`Dictionary<Int32, _>`);
//!   every other dictionary column is decoded to its value type, as plateau does. Names in
//!   `categoricals` that are not in the result are ignored (a dataset passes its categoricals
//!   to every file, and partition columns are not stored in files).
//! * Schema-level metadata (`pandas`, ...) is not carried into the result, so batches read
//!   from different files of one dataset have equal schemas; field metadata is kept.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, RecordBatchOptions};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use bytes::Bytes;
use plateau_core::{Error, Predicates, Result, Store};

use crate::filter::{self, EvalOptions};

/// What to read from a stored file.
///
/// ```
/// use plateau_core::Predicates;
/// use plateau_serialization::ReadOptions;
///
/// let options = ReadOptions::default()
///     .columns(["a", "b"])
///     .predicates(Predicates::parse("c > 3").unwrap());
/// assert!(options.predicate_pushdown);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ReadOptions {
    /// The columns to return, in this order. `None` (the default): every column of the file.
    /// `Some(vec![])`: no column, only the row count.
    pub columns: Option<Vec<String>>,
    /// Rows to keep (plateau's `predicates`). They may name columns outside `columns`; those
    /// are read for filtering and dropped afterwards. `None` (the default): every row.
    pub predicates: Option<Predicates>,
    /// Whether the Parquet reader may use the predicates while it reads (plateau's
    /// `predicate_pushdown_to_io`): skip row groups, and data pages (with a page index in
    /// memory), whose statistics prove that no row matches, and evaluate the predicates on
    /// their columns first, decoding the other columns only for matching rows. Default
    /// `true`. Either way the result holds exactly the matching rows.
    pub predicate_pushdown: bool,
    /// Columns returned as `Dictionary<Int32, _>` arrays (plateau's `categories`). Default
    /// empty: dictionary-encoded columns are decoded to their value type. Columns Arrow
    /// cannot dictionary-encode (bool, nested, null) are returned unchanged.
    pub categoricals: Vec<String>,
    /// The expected schema for formats that do not store one (CSV): the file is parsed with
    /// these column types. `None` (the default): types are inferred from the data. Ignored by
    /// Parquet, whose files carry their schema.
    pub schema: Option<SchemaRef>,
    /// Options of the predicate evaluator. Default: [`EvalOptions::default`] (strict date
    /// types, as plateau applies predicates when it loads data).
    pub eval_options: EvalOptions,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            columns: None,
            predicates: None,
            predicate_pushdown: true,
            categoricals: Vec::new(),
            schema: None,
            eval_options: EvalOptions::default(),
        }
    }
}

impl ReadOptions {
    /// Options that read every row and column.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`ReadOptions::columns`].
    pub fn columns<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.columns = Some(columns.into_iter().map(Into::into).collect());
        self
    }

    /// Sets [`ReadOptions::predicates`].
    pub fn predicates(mut self, predicates: Predicates) -> Self {
        self.predicates = Some(predicates);
        self
    }

    /// Sets [`ReadOptions::predicate_pushdown`].
    pub fn predicate_pushdown(mut self, pushdown: bool) -> Self {
        self.predicate_pushdown = pushdown;
        self
    }

    /// Sets [`ReadOptions::categoricals`].
    pub fn categoricals<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.categoricals = columns.into_iter().map(Into::into).collect();
        self
    }

    /// Sets [`ReadOptions::schema`].
    pub fn schema(mut self, schema: SchemaRef) -> Self {
        self.schema = Some(schema);
        self
    }

    /// Sets [`ReadOptions::eval_options`].
    pub fn eval_options(mut self, eval_options: EvalOptions) -> Self {
        self.eval_options = eval_options;
        self
    }
}

/// Turns record batches into stored bytes and back.
///
/// Implementations: [`ParquetSerializer`] (plateau's default) and [`CsvSerializer`].
pub trait Serializer: fmt::Debug + Send + Sync {
    /// The key suffix of files this serializer writes (`".parquet"`, `".csv.gz"`, ...).
    fn file_suffix(&self) -> &'static str;

    /// The stored bytes of a batch.
    fn serialize(&self, batch: &RecordBatch) -> Result<Bytes>;

    /// A batch from stored bytes, with the columns, rows and encodings `options` ask for.
    /// `key` names the file in error messages.
    fn deserialize(&self, bytes: Bytes, key: &str, options: &ReadOptions) -> Result<RecordBatch>;

    /// Writes the batch to `<key_prefix><suffix>` and returns that key.
    fn store(&self, store: &Store, key_prefix: &str, batch: &RecordBatch) -> Result<String> {
        let key = format!("{key_prefix}{}", self.file_suffix());
        store.put(&key, self.serialize(batch)?)?;
        Ok(key)
    }

    /// Reads the file at `key`. The default fetches the whole object and calls
    /// [`Serializer::deserialize`]; formats that support ranged reads do less I/O.
    fn restore(&self, store: &Store, key: &str, options: &ReadOptions) -> Result<RecordBatch> {
        self.deserialize(store.get(key)?, key, options)
    }
}

/// A [`ReadOptions`] resolved against the schema of one file: which file columns to decode,
/// and how to turn the decoded batch into the result.
///
/// Built before any data is read, so option errors (unknown columns, bad predicates) never
/// cost a data fetch.
#[derive(Debug)]
pub(crate) struct ReadRequest<'a> {
    options: &'a ReadOptions,
    /// The file schema the request was resolved against.
    file_schema: SchemaRef,
    /// Indices (into the file schema, ascending) of the columns to decode: the output columns
    /// and the predicate columns.
    pub(crate) decode: Vec<usize>,
    /// Indices (into the file schema, ascending) of the predicate columns.
    pub(crate) predicate_columns: Vec<usize>,
    /// Indices (into the file schema, ascending, without repeats) of the output columns.
    pub(crate) output_columns: Vec<usize>,
    /// Names of the output columns, in output order.
    output: Vec<String>,
}

impl<'a> ReadRequest<'a> {
    /// Resolves `options` against `file_schema`, validating and type-checking the predicates.
    /// `pandas_metadata` is the file's `pandas` key-value entry, if any.
    pub(crate) fn new(
        file_schema: SchemaRef,
        pandas_metadata: Option<&str>,
        options: &'a ReadOptions,
    ) -> Result<Self> {
        if let Some(predicates) = &options.predicates {
            // Shape errors first: they are independent of the file.
            predicates.validate()?;
        }
        let output: Vec<String> = match &options.columns {
            Some(columns) => columns.clone(),
            None => {
                let index_columns = pandas_index_columns(pandas_metadata);
                file_schema
                    .fields()
                    .iter()
                    .map(|f| f.name().clone())
                    .filter(|name| !index_columns.contains(name))
                    .collect()
            }
        };
        let predicate_columns: BTreeSet<&str> = options
            .predicates
            .as_ref()
            .map(|p| p.columns())
            .unwrap_or_default();
        let missing: BTreeSet<String> = output
            .iter()
            .map(String::as_str)
            .chain(predicate_columns.iter().copied())
            .filter(|name| file_schema.index_of(name).is_err())
            .map(str::to_owned)
            .collect();
        if !missing.is_empty() {
            return Err(Error::ColumnNotFound {
                columns: missing.into_iter().collect(),
            });
        }
        if let Some(predicates) = &options.predicates {
            filter::check_types(&file_schema, predicates, &options.eval_options)?;
        }
        let mut decode: Vec<usize> = output
            .iter()
            .map(String::as_str)
            .chain(predicate_columns.iter().copied())
            .filter_map(|name| file_schema.index_of(name).ok())
            .collect();
        decode.sort_unstable();
        decode.dedup();
        let indices = |names: &mut dyn Iterator<Item = &str>| {
            let mut indices: Vec<usize> = names
                .filter_map(|name| file_schema.index_of(name).ok())
                .collect();
            indices.sort_unstable();
            indices.dedup();
            indices
        };
        let predicate_columns = indices(&mut predicate_columns.iter().copied());
        let output_columns = indices(&mut output.iter().map(String::as_str));
        Ok(Self {
            options,
            file_schema,
            decode,
            predicate_columns,
            output_columns,
            output,
        })
    }

    /// The read options.
    pub(crate) fn options(&self) -> &ReadOptions {
        self.options
    }

    /// The predicates, if any.
    pub(crate) fn predicates(&self) -> Option<&Predicates> {
        self.options.predicates.as_ref()
    }

    /// Whether `column` is to be returned dictionary-encoded.
    pub(crate) fn is_categorical(&self, column: &str) -> bool {
        self.options.categoricals.iter().any(|c| c == column)
    }

    /// The type a decoded file column should have before [`ReadRequest::finish`]: dictionary
    /// columns decoded unless categorical, categorical string/binary columns dictionary
    /// encoded. Readers that can produce this type directly (Parquet) save a cast.
    pub(crate) fn target_type(&self, field: &Field) -> DataType {
        target_type(field.data_type(), self.is_categorical(field.name()))
    }

    /// The schema of the result when no row is selected.
    pub(crate) fn empty_result(&self) -> Result<RecordBatch> {
        let decoded: Vec<ArrayRef> = self
            .decode
            .iter()
            .map(|&i| {
                let field = self.file_schema.field(i);
                arrow::array::new_empty_array(&self.target_type(field))
            })
            .collect();
        let fields: Vec<Field> = self
            .decode
            .iter()
            .zip(&decoded)
            .map(|(&i, a)| {
                self.file_schema
                    .field(i)
                    .clone()
                    .with_data_type(a.data_type().clone())
            })
            .collect();
        let batch = RecordBatch::try_new_with_options(
            Arc::new(Schema::new(fields)),
            decoded,
            &RecordBatchOptions::new().with_row_count(Some(0)),
        )?;
        self.project(&batch)
    }

    /// Filters a decoded batch (columns [`ReadRequest::decode`], in that order) with the
    /// predicates and projects it to the output columns with their final types.
    pub(crate) fn finish(&self, decoded: &RecordBatch) -> Result<RecordBatch> {
        let filtered = match self.predicates() {
            Some(predicates) => {
                filter::filter_batch(decoded, predicates, &self.options.eval_options)?
            }
            None => decoded.clone(),
        };
        self.project(&filtered)
    }

    /// [`ReadRequest::finish`] for a batch whose rows the reader already filtered with the
    /// predicates (late materialisation), which need hold only the output columns (any
    /// order): only projects, as evaluating the predicates again would cost as much as the
    /// first time and change nothing.
    pub(crate) fn finish_prefiltered(&self, filtered: &RecordBatch) -> Result<RecordBatch> {
        self.project(filtered)
    }

    /// Selects and orders the output columns and applies the dictionary rules.
    fn project(&self, batch: &RecordBatch) -> Result<RecordBatch> {
        let schema = batch.schema();
        let mut fields = Vec::with_capacity(self.output.len());
        let mut columns = Vec::with_capacity(self.output.len());
        for name in &self.output {
            let index = schema.index_of(name).map_err(|_| Error::ColumnNotFound {
                columns: vec![name.clone()],
            })?;
            let field = schema.field(index);
            let column = batch.column(index);
            let wanted = target_type(field.data_type(), self.is_categorical(name));
            let column = if column.data_type() == &wanted {
                Arc::clone(column)
            } else {
                cast(column, &wanted)?
            };
            fields.push(field.clone().with_data_type(wanted));
            columns.push(column);
        }
        Ok(RecordBatch::try_new_with_options(
            Arc::new(Schema::new(fields)),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(batch.num_rows())),
        )?)
    }
}

/// The type a column requested as categorical is returned as: `Dictionary<Int32, value>` for
/// dictionary columns and every type Arrow can dictionary-encode; bool, nested and null
/// columns unchanged. Readers that combine partitions use it so every layer agrees.
pub fn categorical_type(data_type: &DataType) -> DataType {
    target_type(data_type, true)
}

/// The result type of a column: categorical columns as `Dictionary<Int32, value>`, every
/// other dictionary column as its value type, anything else unchanged.
fn target_type(data_type: &DataType, categorical: bool) -> DataType {
    match (data_type, categorical) {
        (DataType::Dictionary(key, value), true) if key.as_ref() == &DataType::Int32 => {
            DataType::Dictionary(key.clone(), value.clone())
        }
        (DataType::Dictionary(_, value), true) => {
            DataType::Dictionary(Box::new(DataType::Int32), value.clone())
        }
        (DataType::Dictionary(_, value), false) => value.as_ref().clone(),
        // Bool, nested and null columns stay as they are: Arrow cannot dictionary-encode them.
        (other, true) if dictionary_encodable(other) => {
            DataType::Dictionary(Box::new(DataType::Int32), Box::new(other.clone()))
        }
        (other, _) => other.clone(),
    }
}

/// Whether Arrow's cast kernel can dictionary-encode values of this type.
fn dictionary_encodable(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
            | DataType::Float16
            | DataType::Float32
            | DataType::Float64
            | DataType::Decimal128(_, _)
            | DataType::Decimal256(_, _)
            | DataType::Date32
            | DataType::Date64
            | DataType::Time32(_)
            | DataType::Time64(_)
            | DataType::Timestamp(_, _)
            | DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Binary
            | DataType::LargeBinary
    )
}

/// The names of the pandas index columns stored in a file (`index_columns` entries that are
/// strings; a RangeIndex is stored as a dict and has no column). Malformed metadata names
/// none: it only decides which columns to hide, so it must not make a file unreadable.
pub(crate) fn pandas_index_columns(pandas_metadata: Option<&str>) -> BTreeSet<String> {
    let Some(text) = pandas_metadata else {
        return BTreeSet::new();
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(text) else {
        return BTreeSet::new();
    };
    json.get("index_columns")
        .and_then(|v| v.as_array())
        .map(|entries| {
            entries
                .iter()
                .filter_map(|e| e.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn pandas_index_columns_are_read_from_metadata() {
        let meta = r#"{"index_columns": ["__index_level_0__", {"kind": "range"}], "columns": []}"#;
        let columns = pandas_index_columns(Some(meta));
        assert_eq!(
            columns.into_iter().collect::<Vec<_>>(),
            ["__index_level_0__"]
        );
        assert!(pandas_index_columns(Some("not json")).is_empty());
        assert!(pandas_index_columns(None).is_empty());
    }

    #[test]
    fn target_types() {
        let dict = DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Utf8));
        assert_eq!(target_type(&dict, false), DataType::Utf8);
        assert_eq!(
            target_type(&dict, true),
            DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
        );
        assert_eq!(
            target_type(&DataType::Int64, true),
            DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Int64))
        );
        assert_eq!(target_type(&DataType::Null, true), DataType::Null);
        assert_eq!(target_type(&DataType::Boolean, true), DataType::Boolean);
        // Every type called encodable really casts.
        for data_type in [
            DataType::Float64,
            DataType::Date32,
            DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, Some("UTC".into())),
            DataType::Decimal128(10, 2),
            DataType::LargeUtf8,
            DataType::Binary,
        ] {
            let empty = arrow::array::new_empty_array(&data_type);
            let dictionary = target_type(&data_type, true);
            assert!(cast(&empty, &dictionary).is_ok(), "{data_type}");
        }
    }
}
