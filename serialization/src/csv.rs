//! [`CsvSerializer`]: plateau's CSV files — `;`-separated, a header row, UTF-8, optionally
//! gzipped (`.csv.gz`).
//!
//! CSV stores no types, so reads are only type-stable with [`ReadOptions::schema`]; without
//! it, arrow-csv infers them from the whole file (integers, floats, booleans, dates,
//! timestamps, else strings), as plateau's `pd.read_csv` does. Predicates are applied in
//! memory after parsing; there is nothing to prune.

use std::io::{Cursor, Read, Write};
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::compute::{cast, concat_batches};
use arrow::csv::reader::Format;
use arrow::csv::{ReaderBuilder, WriterBuilder};
use arrow::datatypes::{DataType, Field, Schema};
use bytes::Bytes;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use plateau_core::{Error, Result};

use crate::serializer::{ReadOptions, ReadRequest, Serializer};

/// The field separator plateau uses.
const DELIMITER: u8 = b';';

/// The first two bytes of every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Rows per parsed batch; the batches are concatenated into the result.
const BATCH_SIZE: usize = 64 * 1024;

/// Writes record batches as plateau's CSV files and reads them back.
///
/// ```
/// use std::sync::Arc;
/// use arrow::array::{Int64Array, RecordBatch};
/// use plateau_serialization::{CsvSerializer, ReadOptions, Serializer};
///
/// let x = Arc::new(Int64Array::from(vec![1, 2])) as _;
/// let batch = RecordBatch::try_from_iter_with_nullable([("x", x, true)]).unwrap();
/// let serializer = CsvSerializer::default();
/// assert_eq!(serializer.file_suffix(), ".csv.gz");
/// let bytes = serializer.serialize(&batch).unwrap();
/// let read = serializer.deserialize(bytes, "x.csv.gz", &ReadOptions::default()).unwrap();
/// assert_eq!(read, batch);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CsvSerializer {
    /// Whether files are gzipped and named `.csv.gz` (default `true`, as plateau) rather
    /// than plain `.csv`. Reading detects gzip by content, whatever this says.
    pub compress: bool,
}

impl Default for CsvSerializer {
    fn default() -> Self {
        Self { compress: true }
    }
}

impl CsvSerializer {
    /// A serializer that gzips (`true`) or not.
    pub fn new(compress: bool) -> Self {
        Self { compress }
    }
}

impl Serializer for CsvSerializer {
    fn file_suffix(&self) -> &'static str {
        if self.compress {
            ".csv.gz"
        } else {
            ".csv"
        }
    }

    fn serialize(&self, batch: &RecordBatch) -> Result<Bytes> {
        // The CSV writer has no dictionary support: write the values.
        let batch = decode_dictionaries(batch)?;
        let mut text = Vec::new();
        {
            let mut writer = WriterBuilder::new()
                .with_header(true)
                .with_delimiter(DELIMITER)
                .build(&mut text);
            writer.write(&batch)?;
        }
        if !self.compress {
            return Ok(Bytes::from(text));
        }
        let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(&text)?;
        Ok(Bytes::from(encoder.finish()?))
    }

    fn deserialize(&self, bytes: Bytes, key: &str, options: &ReadOptions) -> Result<RecordBatch> {
        let text = if bytes.starts_with(&GZIP_MAGIC) {
            let mut text = Vec::new();
            MultiGzDecoder::new(bytes.as_ref())
                .read_to_end(&mut text)
                .map_err(|e| Error::corrupt(key, format!("invalid gzip data: {e}")))?;
            Bytes::from(text)
        } else {
            bytes
        };
        if text.iter().all(u8::is_ascii_whitespace) {
            // plateau: an empty file is an empty frame.
            let schema = options
                .schema
                .clone()
                .unwrap_or_else(|| Arc::new(Schema::empty()));
            let request = ReadRequest::new(Arc::clone(&schema), None, options)?;
            return request.empty_result();
        }
        let schema = match &options.schema {
            Some(schema) => Arc::clone(schema),
            None => {
                let (schema, _) = Format::default()
                    .with_header(true)
                    .with_delimiter(DELIMITER)
                    .infer_schema(Cursor::new(text.as_ref()), None)
                    .map_err(|e| Error::corrupt(key, e))?;
                Arc::new(schema)
            }
        };
        let request = ReadRequest::new(Arc::clone(&schema), None, options)?;
        let reader = ReaderBuilder::new(schema)
            .with_header(true)
            .with_delimiter(DELIMITER)
            .with_batch_size(BATCH_SIZE)
            .with_projection(request.decode.clone())
            .build(Cursor::new(text.as_ref()))
            .map_err(|e| Error::corrupt(key, e))?;
        let mut batches = Vec::new();
        for batch in reader {
            let batch = batch.map_err(|e| Error::corrupt(key, e))?;
            batches.push(request.finish(&batch)?);
        }
        match batches.len() {
            0 => request.empty_result(),
            1 => Ok(batches.swap_remove(0)),
            _ => {
                let schema = batches[0].schema();
                Ok(concat_batches(&schema, &batches)?)
            }
        }
    }
}

/// The batch with every dictionary column cast to its value type.
fn decode_dictionaries(batch: &RecordBatch) -> Result<RecordBatch> {
    if !batch
        .schema()
        .fields()
        .iter()
        .any(|f| matches!(f.data_type(), DataType::Dictionary(_, _)))
    {
        return Ok(batch.clone());
    }
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        match field.data_type() {
            DataType::Dictionary(_, value) => {
                columns.push(cast(column, value)?);
                fields.push(Field::new(field.name(), value.as_ref().clone(), true));
            }
            _ => {
                columns.push(Arc::clone(column));
                fields.push(field.as_ref().clone());
            }
        }
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}
