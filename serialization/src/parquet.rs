//! [`ParquetSerializer`]: plateau's data files (reference §2.10), read with projection,
//! row-group and page pruning ([`crate::pruning`]), late materialisation and ranged I/O.
//!
//! # Reading from a store
//!
//! [`ParquetSerializer::restore`] and [`crate::fetch::fetch`] make at most three store
//! calls, whatever the file size:
//!
//! 1. One suffix `GET` of the last [`FOOTER_PREFETCH`] bytes ([`Store::get_tail_async`], which also
//!    tells the file size: no `HEAD`; Azure, which lacks suffix ranges, costs a `HEAD` and a
//!    ranged `GET`). It holds the footer of all but very wide files (a larger footer is
//!    fetched once more with its exact size); a file no larger than the prefetch arrives
//!    whole.
//! 2. Row groups are chosen from the footer's statistics, and the byte ranges of the
//!    projected column chunks of those row groups (only those) are fetched with one
//!    [`Store::get_ranges_async`] call, which remote backends coalesce into few requests.
//! 3. The chunks are decoded from those in-memory buffers, without further I/O.
//!
//! A read without `columns` and `predicates` needs the whole file anyway and is one `GET`.
//!
//! # Decoding
//!
//! A read with predicates and [`ReadOptions::predicate_pushdown`] (the default) uses them
//! before and while it decodes, never changing the result:
//!
//! 1. **Row groups** whose footer statistics prove that no row matches are skipped (and not
//!    fetched).
//! 2. **Pages**: where the file has a page index (plateau for Rust writes one; pyarrow by
//!    default does not) and it is already in memory — the whole file, or the end fetched
//!    for the footer, where writers put it — the pages of the predicate columns whose
//!    statistics prove that no row matches give row ranges the reader skips in every
//!    column; a row group left without rows is dropped. A page index that is not in memory
//!    is not fetched (that would be one more request before the data request), and one
//!    that is corrupt is ignored.
//! 3. **Late materialisation**: when some decoded columns are not predicate columns, the
//!    reader decodes the predicate columns first, evaluates the predicates on them
//!    ([`crate::filter::evaluate`], the evaluator of the filter after decoding) and decodes
//!    the other columns only for the matching rows. Otherwise every decoded column is
//!    needed for every row to evaluate the predicates, and they are applied after
//!    decoding.
//!
//! Without pushdown, every row of every row group is decoded and filtered afterwards.

use std::ops::Range;
use std::sync::{Arc, Mutex};

use arrow::array::{RecordBatch, RecordBatchOptions};
use arrow::compute::{cast_with_options, concat_batches, CastOptions};
use arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef, TimeUnit};
use arrow::error::ArrowError;
use bytes::{Buf, Bytes};
use parquet::arrow::arrow_reader::{
    ArrowPredicateFn, ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
    RowFilter, RowSelection,
};
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::Type as PhysicalType;
use parquet::column::page::{Page, PageReader};
use parquet::errors::ParquetError;
use parquet::file::metadata::{KeyValue, ParquetMetaData, ParquetMetaDataReader};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{ChunkReader, Length};
use parquet::file::serialized_reader::SerializedPageReader;
use parquet::schema::types::SchemaDescriptor;
use plateau_core::{Error, Result, Store};

pub use parquet::basic::Compression;
pub use parquet::file::properties::EnabledStatistics;

use crate::filter;
use crate::page_index::FilePageIndex;
use crate::pruning;
use crate::serializer::{ReadOptions, ReadRequest, Serializer};

/// How many bytes at the end of a file are fetched to read its footer. Footers of typical
/// plateau files (tens of columns, a few row groups) are a few KiB.
pub const FOOTER_PREFETCH: u64 = 64 * 1024;

/// The key-value metadata key of the pandas metadata.
const PANDAS_METADATA_KEY: &str = "pandas";

/// Writes record batches as Parquet and reads them back.
///
/// Defaults match plateau's `ParquetSerializer()`: snappy compression, one row group per
/// 1,048,576 rows (pyarrow's and arrow-rs's default), dictionary encoding on, statistics on,
/// data page v1, and the Arrow schema stored under `ARROW:schema`, so pyarrow reads back the
/// exact Arrow types (large strings, dictionaries, time zones).
///
/// **Nanosecond timestamps are stored as nanoseconds** (Parquet `TIMESTAMP(NANOS)`, format
/// 2.6). plateau writes with `coerce_timestamps="us"` and so fails on timestamps that are not
/// whole microseconds; arrow-rs has no such limit, and pyarrow 26 / plateau 4.6 read such
/// files back as `timestamp[ns]` (with their time zone) and the same values, checked by
/// `serialization/tests/python/check_pyarrow_reads.py`. Millisecond and microsecond
/// timestamps are stored as they are. Parquet has no unit for **seconds** and no 64-bit
/// **dates**, and pyarrow reads arrow-rs's untyped `INT64` for them as plain integers, so
/// `timestamp[s]` is written as `timestamp[ms]` and `date64` as `date32` (lossless; what
/// pyarrow itself writes) and read back in those types.
///
/// ```
/// use plateau_serialization::parquet::{Compression, ParquetSerializer};
///
/// let serializer = ParquetSerializer::default()
///     .with_compression(Compression::ZSTD(Default::default()))
///     .with_chunk_size(Some(50_000))
///     .unwrap();
/// assert_eq!(serializer.chunk_size(), Some(50_000));
/// assert!(ParquetSerializer::default().with_chunk_size(Some(0)).is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ParquetSerializer {
    compression: Compression,
    chunk_size: Option<usize>,
    statistics: EnabledStatistics,
    key_value_metadata: Vec<(String, String)>,
}

impl Default for ParquetSerializer {
    fn default() -> Self {
        Self {
            compression: Compression::SNAPPY,
            chunk_size: None,
            statistics: EnabledStatistics::Page,
            key_value_metadata: Vec::new(),
        }
    }
}

impl ParquetSerializer {
    /// A serializer with plateau's arguments: `compression` and `chunk_size` (rows per row
    /// group, `None` for the default). `Some(0)` is [`Error::InvalidInput`].
    pub fn new(compression: Compression, chunk_size: Option<usize>) -> Result<Self> {
        Self::default()
            .with_compression(compression)
            .with_chunk_size(chunk_size)
    }

    /// Sets the compression codec. Default: snappy.
    pub fn with_compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Sets the maximum number of rows per row group (plateau's `chunk_size`). `None` (the
    /// default): 1,048,576. Small row groups let readers skip more data by statistics at the
    /// cost of larger footers. `Some(0)` is [`Error::InvalidInput`].
    pub fn with_chunk_size(mut self, chunk_size: Option<usize>) -> Result<Self> {
        if chunk_size == Some(0) {
            return Err(Error::invalid_input(
                "cannot initialize ParquetSerializer because chunk size < 1",
            ));
        }
        self.chunk_size = chunk_size;
        Ok(self)
    }

    /// Sets which statistics are written. Default: [`EnabledStatistics::Page`] (row-group
    /// statistics, which pruning uses, plus a page index other engines can use).
    pub fn with_statistics(mut self, statistics: EnabledStatistics) -> Self {
        self.statistics = statistics;
        self
    }

    /// Adds (or replaces) a key-value entry of the file metadata, such as the `pandas`
    /// metadata plateau's readers use. Default: none besides `ARROW:schema`.
    pub fn with_key_value_metadata(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        let key = key.into();
        let value = value.into();
        match self.key_value_metadata.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.key_value_metadata.push((key, value)),
        }
        self
    }

    /// The compression codec.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// The maximum number of rows per row group, `None` for the default.
    pub fn chunk_size(&self) -> Option<usize> {
        self.chunk_size
    }

    /// The extra key-value metadata entries.
    pub fn key_value_metadata(&self) -> &[(String, String)] {
        &self.key_value_metadata
    }

    fn writer_properties(&self) -> Result<WriterProperties> {
        let mut builder = WriterProperties::builder()
            .set_compression(self.compression)
            .set_statistics_enabled(self.statistics)
            .set_dictionary_enabled(true);
        match self.chunk_size {
            // The writer panics on 0; reject it as plateau does.
            Some(0) => {
                return Err(Error::invalid_input(
                    "cannot initialize ParquetSerializer because chunk size < 1",
                ))
            }
            Some(rows) => builder = builder.set_max_row_group_row_count(Some(rows)),
            None => {}
        }
        if !self.key_value_metadata.is_empty() {
            builder = builder.set_key_value_metadata(Some(
                self.key_value_metadata
                    .iter()
                    .map(|(k, v)| KeyValue::new(k.clone(), v.clone()))
                    .collect(),
            ));
        }
        Ok(builder.build())
    }

    /// The metadata of a Parquet file held in memory (`key` names it in errors).
    fn metadata_from_bytes(bytes: &Bytes, key: &str) -> Result<ParquetMetaData> {
        let metadata = ParquetMetaDataReader::new()
            .parse_and_finish(bytes)
            .map_err(|e| corrupt(key, e))?;
        check_footer(&metadata, bytes.len() as u64, key)?;
        Ok(metadata)
    }
}

impl Serializer for ParquetSerializer {
    fn file_suffix(&self) -> &'static str {
        ".parquet"
    }

    fn serialize(&self, batch: &RecordBatch) -> Result<Bytes> {
        let properties = self.writer_properties()?;
        let batch = with_writable_types(batch)?;
        let mut buffer = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut buffer, batch.schema(), Some(properties))?;
        writer.write(&batch)?;
        writer.close()?;
        Ok(Bytes::from(buffer))
    }

    fn deserialize(&self, bytes: Bytes, key: &str, options: &ReadOptions) -> Result<RecordBatch> {
        guard_decoder(key, || {
            let metadata = Self::metadata_from_bytes(&bytes, key)?;
            read(Source::Memory(bytes), Arc::new(metadata), key, options)
        })
    }

    fn restore(&self, store: &Store, key: &str, options: &ReadOptions) -> Result<RecordBatch> {
        // Fetch on the shared runtime, decode on the calling thread.
        let (store_owned, key_owned, options_owned) =
            (store.clone(), key.to_owned(), options.clone());
        let bytes = plateau_core::runtime::block_on(async move {
            fetch(&store_owned, &key_owned, &options_owned).await
        })?;
        decode(bytes, key, options)
    }
}

/// The end of a parsed footer: the footer, or how many bytes at the end of the file it needs.
enum Footer {
    Parsed(ParquetMetaData),
    NeedMore(u64),
}

/// Parses the footer from the last bytes of a file of `size` bytes.
fn parse_footer(tail: &Bytes, size: u64, key: &str) -> Result<Footer> {
    let mut reader = ParquetMetaDataReader::new();
    match reader.try_parse_sized(tail, size) {
        Ok(()) => {}
        Err(ParquetError::NeedMoreData(needed)) => {
            let needed = u64::try_from(needed).unwrap_or(u64::MAX);
            if needed > size {
                return Err(Error::corrupt(
                    key,
                    format!("footer needs {needed} bytes but the file has {size}"),
                ));
            }
            return Ok(Footer::NeedMore(needed));
        }
        Err(e) => return Err(corrupt(key, e)),
    }
    let metadata = reader.finish().map_err(|e| corrupt(key, e))?;
    check_footer(&metadata, size, key)?;
    Ok(Footer::Parsed(metadata))
}

/// A Parquet file's bytes that one read needs: the whole file, or its footer and the
/// projected column chunks of the row groups that statistics cannot rule out.
#[derive(Debug)]
pub(crate) enum ParquetBytes {
    Whole(Bytes),
    Parts {
        metadata: Arc<ParquetMetaData>,
        file: SparseFile,
        /// The end of the file fetched for the footer, kept for the page index it may hold.
        tail: Tail,
    },
}

/// What [`fetch_footer`] found.
enum FetchedFooter {
    /// The file was no larger than the prefetch: all of it, footer not parsed.
    Whole(Bytes),
    /// The parsed footer, the bytes fetched from the end of the file and the file size.
    Parsed {
        metadata: ParquetMetaData,
        tail: Tail,
        size: u64,
    },
}

/// Fetches the footer of the Parquet file `key`: one suffix request gives the footer and the
/// file size (no HEAD); a footer longer than [`FOOTER_PREFETCH`] costs a second request, and a
/// file no larger than the prefetch arrives whole.
async fn fetch_footer(store: &Store, key: &str) -> Result<FetchedFooter> {
    let (tail, size) = store.get_tail_async(key, FOOTER_PREFETCH).await?;
    if size <= FOOTER_PREFETCH {
        return Ok(FetchedFooter::Whole(tail));
    }
    let mut tail = Tail {
        start: size - tail.len() as u64,
        bytes: tail,
    };
    let metadata = match guard_decoder(key, || parse_footer(&tail.bytes, size, key))? {
        Footer::Parsed(metadata) => metadata,
        Footer::NeedMore(needed) => {
            tail = Tail {
                start: size - needed,
                bytes: store.get_range_async(key, size - needed..size).await?,
            };
            match guard_decoder(key, || parse_footer(&tail.bytes, size, key))? {
                Footer::Parsed(metadata) => metadata,
                Footer::NeedMore(_) => {
                    return Err(Error::corrupt(key, "footer length changed between reads"))
                }
            }
        }
    };
    Ok(FetchedFooter::Parsed {
        metadata,
        tail,
        size,
    })
}

/// The number of rows and the size in bytes of the Parquet file `key`, from its footer
/// alone (usually one suffix request, see [`fetch_footer`]).
///
/// # Errors
/// [`Error::NotFound`] and the store's errors; [`Error::Corrupt`] for a damaged footer or a
/// negative row count.
pub async fn fetch_row_count(store: &Store, key: &str) -> Result<(u64, u64)> {
    let (metadata, size) = match fetch_footer(store, key).await? {
        FetchedFooter::Whole(bytes) => {
            let size = bytes.len() as u64;
            match guard_decoder(key, || parse_footer(&bytes, size, key))? {
                Footer::Parsed(metadata) => (metadata, size),
                Footer::NeedMore(_) => {
                    return Err(Error::corrupt(key, "footer longer than the file"))
                }
            }
        }
        FetchedFooter::Parsed { metadata, size, .. } => (metadata, size),
    };
    let rows = u64::try_from(metadata.file_metadata().num_rows())
        .map_err(|_| Error::corrupt(key, "negative row count in the footer"))?;
    Ok((rows, size))
}

/// Fetches what a read of the Parquet file `key` with `options` needs, in at most three
/// requests and usually two (see the module documentation); nothing is decoded but the
/// footer.
pub(crate) async fn fetch(store: &Store, key: &str, options: &ReadOptions) -> Result<ParquetBytes> {
    if options.columns.is_none() && options.predicates.is_none() {
        // Every byte is needed: one GET beats footer-then-chunks.
        return Ok(ParquetBytes::Whole(store.get_versioned_async(key).await?.0));
    }
    let (metadata, tail, size) = match fetch_footer(store, key).await? {
        FetchedFooter::Whole(bytes) => return Ok(ParquetBytes::Whole(bytes)),
        FetchedFooter::Parsed {
            metadata,
            tail,
            size,
        } => (Arc::new(metadata), tail, size),
    };
    let ranges = guard_decoder(key, || needed_ranges(&metadata, key, options))?;
    let file = fetch_ranges(store, key, size, &tail, ranges).await?;
    Ok(ParquetBytes::Parts {
        metadata,
        file,
        tail,
    })
}

/// Decodes what [`fetch`] returned.
pub(crate) fn decode(bytes: ParquetBytes, key: &str, options: &ReadOptions) -> Result<RecordBatch> {
    match bytes {
        ParquetBytes::Whole(bytes) => ParquetSerializer::default().deserialize(bytes, key, options),
        ParquetBytes::Parts {
            metadata,
            file,
            tail,
        } => guard_decoder(key, || {
            read(Source::Sparse { file, tail }, metadata, key, options)
        }),
    }
}

/// Runs `decode`, which decodes the Parquet file `key`, and turns a panic into
/// [`Error::Corrupt`] naming `key`.
///
/// The `parquet` crate's page decoders (and the arrow builders they feed) still panic on
/// some corrupt pages: an RLE run longer than its buffer, a dictionary index out of range, a
/// byte-array length of zero (see `fuzz/regressions/`). A corrupt file in a store must be an
/// error, never the end of a reader's process. Nothing `decode` built survives a panic, so no
/// broken state is observed afterwards.
///
/// The process's panic hook still runs first; a hook can ask [`is_decoding_guarded`] to tell
/// such a panic from a bug (the `plateau` binary keeps quiet about it).
///
/// # Errors
/// Whatever `decode` returns, and [`Error::Corrupt`] if it panicked.
pub fn guard_decoder<T>(key: &str, decode: impl FnOnce() -> Result<T>) -> Result<T> {
    GUARDED_DECODES.with(|depth| depth.set(depth.get() + 1));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(decode));
    GUARDED_DECODES.with(|depth| depth.set(depth.get().saturating_sub(1)));
    match outcome {
        Ok(result) => result,
        Err(payload) => {
            let why = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown cause".to_owned());
            Err(Error::corrupt(
                key,
                format!("the Parquet decoder failed on a corrupt page: {why}"),
            ))
        }
    }
}

/// Whether the current thread is inside [`guard_decoder`]: a panic hook's way to know that
/// the panic it sees will be answered with [`Error::Corrupt`].
pub fn is_decoding_guarded() -> bool {
    GUARDED_DECODES.with(|depth| depth.get() > 0)
}

thread_local! {
    /// How many [`guard_decoder`] calls the current thread is inside.
    static GUARDED_DECODES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Checks the dictionary page of every column chunk `mask` selects in `row_groups`: it must
/// hold no more values than its bytes can encode.
///
/// The parquet reader sizes a column's dictionary from the page header's value count before
/// decoding it, so a corrupt header claiming a billion values in a few bytes makes it
/// allocate (and zero) gigabytes; an allocation failure aborts the process, which no guard
/// can catch. This costs a second decompression of each dictionary page (they are small:
/// writers cap them at about 1 MiB).
///
/// # Errors
/// [`Error::Corrupt`] naming `key`, the row group and the column.
pub fn check_dictionary_pages<R: ChunkReader + 'static>(
    input: &Arc<R>,
    metadata: &ParquetMetaData,
    row_groups: &[usize],
    mask: &ProjectionMask,
    key: &str,
) -> Result<()> {
    let schema = metadata.file_metadata().schema_descr();
    for &group in row_groups {
        let row_group = metadata.row_group(group);
        let rows = usize::try_from(row_group.num_rows()).unwrap_or(0);
        for (leaf, column) in row_group.columns().iter().enumerate() {
            if !mask.leaf_included(leaf) || column.dictionary_page_offset().is_none() {
                continue;
            }
            let mut pages = SerializedPageReader::new(Arc::clone(input), column, rows, None)
                .map_err(|e| corrupt(key, e))?;
            let Some(Page::DictionaryPage {
                buf, num_values, ..
            }) = pages.get_next_page().map_err(|e| corrupt(key, e))?
            else {
                continue;
            };
            let type_length = u64::try_from(schema.column(leaf).type_length()).unwrap_or(0);
            let min_bits = match column.column_type() {
                PhysicalType::BOOLEAN => 1,
                PhysicalType::INT32 | PhysicalType::FLOAT | PhysicalType::BYTE_ARRAY => 32,
                PhysicalType::INT64 | PhysicalType::DOUBLE => 64,
                PhysicalType::INT96 => 96,
                PhysicalType::FIXED_LEN_BYTE_ARRAY => (type_length * 8).max(1),
            };
            if u64::from(num_values).saturating_mul(min_bits) > (buf.len() as u64) * 8 {
                return Err(Error::corrupt(
                    key,
                    format!(
                        "row group {group}, column `{}`: dictionary page claims {num_values} values in {} bytes",
                        column.column_path().string(),
                        buf.len()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Checks what the parquet reader trusts in a footer: every column chunk's pages lie inside
/// the file (the reader asserts non-negative offsets and sizes, i.e. panics on a corrupt
/// footer). A file of `file_size` bytes; `key` names it in errors.
///
/// # Errors
/// [`Error::Corrupt`] naming the row group and column.
pub fn check_footer(metadata: &ParquetMetaData, file_size: u64, key: &str) -> Result<()> {
    for (group, row_group) in metadata.row_groups().iter().enumerate() {
        for (index, column) in row_group.columns().iter().enumerate() {
            let start = column
                .dictionary_page_offset()
                .unwrap_or(column.data_page_offset());
            let within = u64::try_from(start)
                .ok()
                .zip(u64::try_from(column.compressed_size()).ok())
                .and_then(|(start, len)| start.checked_add(len))
                .is_some_and(|end| end <= file_size)
                && column.data_page_offset() >= 0;
            if !within {
                return Err(Error::corrupt(
                    key,
                    format!(
                        "row group {group}, column {index}: pages at offset {start} with {} bytes lie outside the file of {file_size} bytes",
                        column.compressed_size()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The type a column of type `data_type` is written as.
///
/// Parquet has no second-precision timestamps and no 64-bit dates: arrow-rs writes them as
/// plain `INT64`, which pyarrow (and so plateau) reads back as integers. They are converted
/// losslessly to what pyarrow writes for them: `timestamp[ms]` and `date32`.
fn writable_type(data_type: &DataType) -> DataType {
    let field = |f: &FieldRef| -> FieldRef {
        Arc::new(
            f.as_ref()
                .clone()
                .with_data_type(writable_type(f.data_type())),
        )
    };
    match data_type {
        DataType::Timestamp(TimeUnit::Second, tz) => {
            DataType::Timestamp(TimeUnit::Millisecond, tz.clone())
        }
        DataType::Date64 => DataType::Date32,
        DataType::List(f) => DataType::List(field(f)),
        DataType::LargeList(f) => DataType::LargeList(field(f)),
        DataType::FixedSizeList(f, n) => DataType::FixedSizeList(field(f), *n),
        DataType::Struct(fields) => DataType::Struct(fields.iter().map(field).collect()),
        DataType::Map(f, sorted) => DataType::Map(field(f), *sorted),
        DataType::Dictionary(key, value) => {
            DataType::Dictionary(key.clone(), Box::new(writable_type(value)))
        }
        other => other.clone(),
    }
}

/// The batch with every column in its [`writable_type`].
fn with_writable_types(batch: &RecordBatch) -> Result<RecordBatch> {
    let schema = batch.schema();
    if schema
        .fields()
        .iter()
        .all(|f| writable_type(f.data_type()) == *f.data_type())
    {
        return Ok(batch.clone());
    }
    // Unsafe cast: an overflowing value is an error rather than a silent null.
    let options = CastOptions {
        safe: false,
        ..CastOptions::default()
    };
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        let target = writable_type(field.data_type());
        if target == *field.data_type() {
            columns.push(Arc::clone(column));
        } else {
            columns.push(cast_with_options(column, &target, &options)?);
        }
        fields.push(field.as_ref().clone().with_data_type(target));
    }
    Ok(RecordBatch::try_new_with_options(
        Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone())),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(batch.num_rows())),
    )?)
}

/// An [`Error::Corrupt`] for a Parquet error while decoding `key`.
fn corrupt(key: &str, err: impl std::fmt::Display) -> Error {
    Error::corrupt(key, err)
}

/// The end of a file, fetched to read its footer.
#[derive(Debug)]
pub(crate) struct Tail {
    /// Offset of `bytes` in the file.
    start: u64,
    bytes: Bytes,
}

impl Tail {
    /// The bytes of `range` of the file, if the tail holds all of them.
    fn slice(&self, range: &Range<u64>) -> Option<Bytes> {
        slice_at(&self.bytes, self.start, range)
    }
}

/// The bytes of `range` of a file from `bytes`, which hold the file from offset `start`, if
/// they hold all of them.
fn slice_at(bytes: &Bytes, start: u64, range: &Range<u64>) -> Option<Bytes> {
    let from = usize::try_from(range.start.checked_sub(start)?).ok()?;
    let to = usize::try_from(range.end.checked_sub(start)?).ok()?;
    (from <= to && to <= bytes.len()).then(|| bytes.slice(from..to))
}

/// Where the bytes of a file come from.
enum Source {
    /// The whole file is in memory.
    Memory(Bytes),
    /// The parts of the file a read needs are in memory, and the tail fetched for the footer.
    Sparse { file: SparseFile, tail: Tail },
}

impl Source {
    /// The bytes of `range` of the file, if they are in memory without a fetch: anywhere in
    /// a whole file, in the footer's tail otherwise (the fetched column chunks never hold
    /// what is asked for here, the page index).
    fn held(&self, range: &Range<u64>) -> Option<Bytes> {
        match self {
            Source::Memory(bytes) => slice_at(bytes, 0, range),
            Source::Sparse { tail, .. } => tail.slice(range),
        }
    }

    /// The size of the file (the tail ends where the file does).
    fn size(&self) -> u64 {
        match self {
            Source::Memory(bytes) => bytes.len() as u64,
            Source::Sparse { tail, .. } => tail.start + tail.bytes.len() as u64,
        }
    }
}

/// The row groups that `request` needs and, without predicates that need rows, nothing else.
fn choose_row_groups(
    metadata: &ParquetMetaData,
    schema: &Schema,
    request: &ReadRequest<'_>,
) -> Result<Vec<usize>> {
    match request.predicates() {
        Some(predicates) if request.options().predicate_pushdown => pruning::prune_row_groups(
            metadata,
            schema,
            predicates,
            &request.options().eval_options,
        ),
        _ => Ok((0..metadata.num_row_groups()).collect()),
    }
}

/// Reads `request`'s rows and columns from a file whose footer is `metadata`.
fn read(
    source: Source,
    metadata: Arc<ParquetMetaData>,
    key: &str,
    options: &ReadOptions,
) -> Result<RecordBatch> {
    let Selection {
        reader_metadata,
        file_schema,
        request,
        row_groups,
        mask,
    } = select(&metadata, key, options)?;
    if row_groups.is_empty() {
        return request.empty_result();
    }
    if request.decode.is_empty() {
        // No column to decode (`columns = []` without predicates): the footer has the answer.
        let rows: i64 = row_groups
            .iter()
            .map(|&rg| metadata.row_group(rg).num_rows())
            .sum();
        let rows = usize::try_from(rows)
            .map_err(|_| Error::corrupt(key, format!("invalid row count {rows}")))?;
        return Ok(RecordBatch::try_new_with_options(
            Arc::new(Schema::empty()),
            vec![],
            &RecordBatchOptions::new().with_row_count(Some(rows)),
        )?);
    }
    let (row_groups, selection) =
        choose_pages(&source, &metadata, &file_schema, &request, row_groups)?;
    if row_groups.is_empty() {
        return request.empty_result();
    }
    let reader_metadata = with_target_types(reader_metadata, &file_schema, &request);
    let ranges = column_chunk_ranges(&metadata, &row_groups, &mask, key)?;
    let rows = match &selection {
        Some(selection) => selection.row_count(),
        None => row_groups
            .iter()
            .map(|&rg| usize::try_from(metadata.row_group(rg).num_rows()).unwrap_or(0))
            .sum::<usize>(),
    };
    let schema_descr = metadata.file_metadata().schema_descr();
    let filter = late_filter(&request, schema_descr);
    // With the reader filtering, predicate-only columns need not be decoded twice.
    let projection = match filter {
        Some(_) => ProjectionMask::roots(schema_descr, request.output_columns.iter().copied()),
        None => mask.clone(),
    };
    let decode = Decode {
        reader_metadata,
        mask,
        projection,
        row_groups,
        selection,
        filter,
        // One batch for the whole read: the result is one batch anyway, and this avoids
        // concatenating many small ones.
        batch_size: rows.max(1),
        key,
        request: &request,
    };
    match source {
        Source::Memory(bytes) => {
            if let Some(end) = ranges.last().map(|r| r.end) {
                if end > bytes.len() as u64 {
                    return Err(Error::corrupt(
                        key,
                        format!("column chunk ends at byte {end}, file has {}", bytes.len()),
                    ));
                }
            }
            decode.run(bytes)
        }
        Source::Sparse { file, .. } => decode.run(file),
    }
}

/// Narrows the row groups statistics chose with the file's page index, where the read holds
/// it in memory and may push predicates down: drops the row groups none of whose pages can
/// match, and gives the rows of the others that may (`None`: all of them).
fn choose_pages(
    source: &Source,
    metadata: &ParquetMetaData,
    file_schema: &Schema,
    request: &ReadRequest<'_>,
    row_groups: Vec<usize>,
) -> Result<(Vec<usize>, Option<RowSelection>)> {
    let options = request.options();
    let Some(predicates) = request.predicates().filter(|_| options.predicate_pushdown) else {
        return Ok((row_groups, None));
    };
    let held = |range: Range<u64>| source.held(&range);
    let Some(file_index) = FilePageIndex::load(metadata, source.size(), &held) else {
        return Ok((row_groups, None));
    };
    let load = |row_group, leaf| file_index.chunk(metadata, row_group, leaf);
    let Some(selections) = pruning::prune_pages(
        metadata,
        file_schema,
        predicates,
        &options.eval_options,
        &row_groups,
        &load,
    )?
    else {
        return Ok((row_groups, None));
    };
    let (row_groups, selections): (Vec<usize>, Vec<RowSelection>) = row_groups
        .into_iter()
        .zip(selections)
        .filter(|(_, selection)| selection.selects_any())
        .unzip();
    if selections.iter().all(|s| s.skipped_row_count() == 0) {
        // Nothing to skip inside the row groups left: the reader need not track rows.
        return Ok((row_groups, None));
    }
    // The reader wants one selection over the rows of all its row groups, in order.
    Ok((row_groups, Some(selections.into_iter().collect())))
}

/// The predicates of a read, for the reader to evaluate on the predicate columns alone
/// before it decodes the other columns, then only for the matching rows (late
/// materialisation).
struct LateFilter {
    filter: RowFilter,
    error: ErrorSlot,
}

/// Where the late filter leaves the evaluator's error, so the read returns that error (a
/// predicate type error, say) as it would without the filter: the reader passes on only
/// its text.
#[derive(Clone, Default)]
struct ErrorSlot(Arc<Mutex<Option<Error>>>);

impl ErrorSlot {
    /// Keeps `err` unless an error is kept already.
    fn put(&self, err: Error) {
        if let Ok(mut slot) = self.0.lock() {
            slot.get_or_insert(err);
        }
    }

    fn take(&self) -> Option<Error> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }
}

/// The [`LateFilter`] of `request` when it can pay off: predicate pushdown is on and some
/// decoded columns are not predicate columns. When every decoded column is a predicate
/// column, all of them are decoded for every row anyway, and filtering afterwards
/// ([`ReadRequest::finish`]) costs less than the reader decoding them twice.
///
/// The filter runs the same evaluator as `finish` ([`filter::evaluate`]) on the same
/// columns with the same types (the reader decodes both with the same schema), so it
/// selects the same rows.
fn late_filter(request: &ReadRequest<'_>, schema: &SchemaDescriptor) -> Option<LateFilter> {
    let options = request.options();
    let predicates = request.predicates()?.clone();
    if !options.predicate_pushdown || request.predicate_columns.len() >= request.decode.len() {
        return None;
    }
    let mask = ProjectionMask::roots(schema, request.predicate_columns.iter().copied());
    let error = ErrorSlot::default();
    let slot = error.clone();
    let eval_options = options.eval_options.clone();
    let predicate = ArrowPredicateFn::new(mask, move |batch: RecordBatch| {
        filter::evaluate(&batch, &predicates, &eval_options).map_err(|err| {
            let text = err.to_string();
            slot.put(err);
            ArrowError::ComputeError(text)
        })
    });
    Some(LateFilter {
        filter: RowFilter::new(vec![Box::new(predicate)]),
        error,
    })
}

/// What a read selects from a file whose footer is known: the request resolved against
/// the file's schema, the row groups statistics cannot rule out, and the projection.
struct Selection<'a> {
    reader_metadata: ArrowReaderMetadata,
    file_schema: SchemaRef,
    request: ReadRequest<'a>,
    row_groups: Vec<usize>,
    mask: ProjectionMask,
}

/// The [`Selection`] of `options` in a file whose footer is `metadata`; the same for
/// [`fetch`] (which bytes to get) and [`read`] (what to decode).
fn select<'a>(
    metadata: &Arc<ParquetMetaData>,
    key: &str,
    options: &'a ReadOptions,
) -> Result<Selection<'a>> {
    let reader_metadata =
        ArrowReaderMetadata::try_new(Arc::clone(metadata), ArrowReaderOptions::new())
            .map_err(|e| corrupt(key, e))?;
    let file_schema = Arc::clone(reader_metadata.schema());
    let pandas = metadata
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|e| e.key == PANDAS_METADATA_KEY))
        .and_then(|e| e.value.as_deref());
    let request = ReadRequest::new(Arc::clone(&file_schema), pandas, options)?;
    let row_groups = choose_row_groups(metadata, &file_schema, &request)?;
    let mask = ProjectionMask::roots(
        metadata.file_metadata().schema_descr(),
        request.decode.iter().copied(),
    );
    Ok(Selection {
        reader_metadata,
        file_schema,
        request,
        row_groups,
        mask,
    })
}

/// The byte ranges [`read`] will decode from a file whose footer is `metadata`: the projected
/// column chunks of the row groups statistics cannot rule out (none if no column is
/// decoded).
fn needed_ranges(
    metadata: &Arc<ParquetMetaData>,
    key: &str,
    options: &ReadOptions,
) -> Result<Vec<std::ops::Range<u64>>> {
    let selection = select(metadata, key, options)?;
    if selection.row_groups.is_empty() || selection.request.decode.is_empty() {
        return Ok(Vec::new());
    }
    column_chunk_ranges(metadata, &selection.row_groups, &selection.mask, key)
}

/// Uses the reader's ability to produce the result types directly: dictionary-encoded
/// Parquet columns decode straight to their value type, and categorical string columns
/// straight to dictionaries. Falls back to the file's types (cast later) if the reader does
/// not accept the hint.
fn with_target_types(
    reader_metadata: ArrowReaderMetadata,
    file_schema: &SchemaRef,
    request: &ReadRequest<'_>,
) -> ArrowReaderMetadata {
    let fields: Vec<Field> = file_schema
        .fields()
        .iter()
        .map(|f| f.as_ref().clone().with_data_type(request.target_type(f)))
        .collect();
    if fields
        .iter()
        .zip(file_schema.fields())
        .all(|(a, b)| a.data_type() == b.data_type())
    {
        return reader_metadata;
    }
    let hint = Arc::new(Schema::new_with_metadata(
        fields,
        file_schema.metadata().clone(),
    ));
    ArrowReaderMetadata::try_new(
        Arc::clone(reader_metadata.metadata()),
        ArrowReaderOptions::new().with_schema(hint),
    )
    .unwrap_or(reader_metadata)
}

/// The byte ranges of the projected column chunks of `row_groups`, sorted, with touching
/// ranges merged.
fn column_chunk_ranges(
    metadata: &ParquetMetaData,
    row_groups: &[usize],
    mask: &ProjectionMask,
    key: &str,
) -> Result<Vec<std::ops::Range<u64>>> {
    let leaves = metadata.file_metadata().schema_descr().num_columns();
    let mut ranges = Vec::new();
    for &rg in row_groups {
        let row_group = metadata.row_group(rg);
        for leaf in (0..leaves).filter(|&leaf| mask.leaf_included(leaf)) {
            let column = row_group.column(leaf);
            // The reader asserts these are non-negative; check first so a corrupt footer is
            // an error rather than a panic.
            let start = column
                .dictionary_page_offset()
                .unwrap_or_else(|| column.data_page_offset());
            let len = column.compressed_size();
            let (Ok(start), Ok(len)) = (u64::try_from(start), u64::try_from(len)) else {
                return Err(Error::corrupt(
                    key,
                    format!("invalid column chunk at {start} of {len} bytes"),
                ));
            };
            ranges.push(start..start.saturating_add(len));
        }
    }
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<std::ops::Range<u64>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    Ok(merged)
}

/// Fetches `ranges` of the file: those inside the already fetched tail from it, the rest
/// with one [`Store::get_ranges_async`] call.
async fn fetch_ranges(
    store: &Store,
    key: &str,
    size: u64,
    tail: &Tail,
    ranges: Vec<std::ops::Range<u64>>,
) -> Result<SparseFile> {
    if let Some(end) = ranges.last().map(|r| r.end) {
        if end > size {
            return Err(Error::corrupt(
                key,
                format!("column chunk ends at byte {end}, file has {size}"),
            ));
        }
    }
    let mut chunks = Vec::with_capacity(ranges.len());
    let mut remote = Vec::new();
    for range in ranges {
        match tail.slice(&range) {
            Some(bytes) => chunks.push((range.start, bytes)),
            None => remote.push(range),
        }
    }
    if !remote.is_empty() {
        let fetched = store.get_ranges_async(key, &remote).await?;
        if fetched.len() != remote.len() {
            return Err(Error::corrupt(
                key,
                "store returned the wrong number of ranges",
            ));
        }
        for (range, bytes) in remote.into_iter().zip(fetched) {
            if bytes.len() as u64 != range.end - range.start {
                return Err(Error::corrupt(
                    key,
                    format!("short read of bytes {}..{}", range.start, range.end),
                ));
            }
            chunks.push((range.start, bytes));
        }
    }
    chunks.sort_by_key(|(start, _)| *start);
    Ok(SparseFile { len: size, chunks })
}

/// The decoding half of a read, the same for in-memory and fetched files.
struct Decode<'a> {
    reader_metadata: ArrowReaderMetadata,
    /// Every column decoded: the output and the predicate columns.
    mask: ProjectionMask,
    /// The columns of the reader's batches: `mask`, or only the output columns when the
    /// reader filters (it decodes the predicate columns separately).
    projection: ProjectionMask,
    row_groups: Vec<usize>,
    /// The rows of `row_groups` the page index could not rule out (`None`: all).
    selection: Option<RowSelection>,
    /// The predicates for the reader to apply (`None`: applied after decoding).
    filter: Option<LateFilter>,
    batch_size: usize,
    key: &'a str,
    request: &'a ReadRequest<'a>,
}

impl Decode<'_> {
    fn run<R: ChunkReader + Clone + 'static>(self, input: R) -> Result<RecordBatch> {
        let Decode {
            reader_metadata,
            mask,
            projection,
            row_groups,
            selection,
            filter,
            batch_size,
            key,
            request,
        } = self;
        check_dictionary_pages(
            &Arc::new(input.clone()),
            reader_metadata.metadata(),
            &row_groups,
            &mask,
            key,
        )?;
        let mut builder =
            ParquetRecordBatchReaderBuilder::new_with_metadata(input, reader_metadata)
                .with_projection(projection)
                .with_row_groups(row_groups)
                .with_batch_size(batch_size);
        if let Some(selection) = selection {
            builder = builder.with_row_selection(selection);
        }
        let mut error_slot = None;
        if let Some(LateFilter { filter, error }) = filter {
            builder = builder.with_row_filter(filter);
            error_slot = Some(error);
        }
        // A reader error is the evaluator's error if it failed, else a corrupt file.
        let failed = |err: &dyn std::fmt::Display| {
            error_slot
                .as_ref()
                .and_then(ErrorSlot::take)
                .unwrap_or_else(|| corrupt(key, err))
        };
        let reader = builder.build().map_err(|e| failed(&e))?;
        let prefiltered = error_slot.is_some();
        let mut batches = Vec::new();
        for batch in reader {
            let batch = batch.map_err(|e| failed(&e))?;
            // Filter per batch so rows that are dropped are never concatenated.
            batches.push(if prefiltered {
                request.finish_prefiltered(&batch)?
            } else {
                request.finish(&batch)?
            });
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

/// Parts of a file held in memory: the column chunks a read needs, by offset.
///
/// The reader only asks for bytes inside the column chunks it decodes, all of which are
/// here; a request outside them is reported as an error, never answered with wrong bytes.
#[derive(Debug, Clone)]
pub(crate) struct SparseFile {
    len: u64,
    /// `(offset, bytes)`, sorted by offset, non-overlapping.
    chunks: Vec<(u64, Bytes)>,
}

impl SparseFile {
    /// The bytes from `start` to the end of the chunk that contains `start`.
    fn rest_from(&self, start: u64) -> parquet::errors::Result<Bytes> {
        let index = self.chunks.partition_point(|(offset, _)| *offset <= start);
        let missing = || {
            ParquetError::General(format!(
                "byte {start} was not fetched (reader asked outside the planned column chunks)"
            ))
        };
        let (offset, bytes) = index
            .checked_sub(1)
            .and_then(|i| self.chunks.get(i))
            .ok_or_else(missing)?;
        let skip = usize::try_from(start - offset).map_err(|_| missing())?;
        if skip > bytes.len() {
            return Err(missing());
        }
        Ok(bytes.slice(skip..))
    }
}

impl Length for SparseFile {
    fn len(&self) -> u64 {
        self.len
    }
}

impl ChunkReader for SparseFile {
    type T = bytes::buf::Reader<Bytes>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(self.rest_from(start)?.reader())
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        let rest = self.rest_from(start)?;
        if length > rest.len() {
            return Err(ParquetError::General(format!(
                "bytes {start}..{} were not fetched",
                start + length as u64
            )));
        }
        Ok(rest.slice(..length))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use arrow::array::{ArrayRef, Int64Array};
    use parquet::arrow::arrow_reader::RowSelector;
    use plateau_core::Predicates;

    use super::*;
    use crate::page_index::index_range;

    #[test]
    fn sparse_file_serves_only_fetched_bytes() {
        let file = SparseFile {
            len: 100,
            chunks: vec![
                (10, Bytes::from_static(b"abcde")),
                (50, Bytes::from_static(b"xyz")),
            ],
        };
        assert_eq!(file.get_bytes(11, 3).unwrap().as_ref(), b"bcd");
        assert_eq!(file.get_bytes(50, 3).unwrap().as_ref(), b"xyz");
        assert!(file.get_bytes(12, 4).is_err());
        assert!(file.get_bytes(5, 1).is_err());
        assert!(file.get_bytes(60, 1).is_err());
        let mut read = String::new();
        std::io::Read::read_to_string(&mut file.get_read(12).unwrap(), &mut read).unwrap();
        assert_eq!(read, "cde");
    }

    /// 1,000 rows in row groups of 500 and data pages of 100: `id` 0..1000 and `v` = 10 × `id`.
    fn paged_file(statistics: EnabledStatistics) -> Bytes {
        let batch = RecordBatch::try_from_iter([
            (
                "id",
                Arc::new(Int64Array::from_iter_values(0..1000)) as ArrayRef,
            ),
            (
                "v",
                Arc::new(Int64Array::from_iter_values((0..1000).map(|i| i * 10))),
            ),
        ])
        .unwrap();
        let properties = WriterProperties::builder()
            .set_max_row_group_row_count(Some(500))
            .set_data_page_row_count_limit(100)
            // The page row limit is checked once per write batch.
            .set_write_batch_size(100)
            .set_statistics_enabled(statistics)
            .build();
        let mut buffer = Vec::new();
        let mut writer =
            ArrowWriter::try_new(&mut buffer, batch.schema(), Some(properties)).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        Bytes::from(buffer)
    }

    /// What [`choose_pages`] leaves of a read of `v` with `predicates` from the footer of
    /// `bytes` and the bytes `source` holds.
    fn pages_chosen(
        source: &Source,
        bytes: &Bytes,
        predicates: &str,
    ) -> (Vec<usize>, Option<RowSelection>) {
        let metadata = Arc::new(ParquetSerializer::metadata_from_bytes(bytes, "k").unwrap());
        let options = ReadOptions::default()
            .columns(["v"])
            .predicates(Predicates::parse(predicates).unwrap());
        let selection = select(&metadata, "k", &options).unwrap();
        choose_pages(
            source,
            &metadata,
            &selection.file_schema,
            &selection.request,
            selection.row_groups,
        )
        .unwrap()
    }

    fn rows(selectors: &[(bool, usize)]) -> Option<RowSelection> {
        Some(RowSelection::from(
            selectors
                .iter()
                .map(|&(keep, n)| {
                    if keep {
                        RowSelector::select(n)
                    } else {
                        RowSelector::skip(n)
                    }
                })
                .collect::<Vec<_>>(),
        ))
    }

    /// Rows 250..320 (pages 2 and 3 of row group 0) and 990 (page 4 of row group 1).
    const TWO_RANGES: &str = "id >= 250 and id < 320 or id == 990";

    #[test]
    fn page_index_selects_the_pages_that_may_match() {
        let bytes = paged_file(EnabledStatistics::Page);
        let whole = Source::Memory(bytes.clone());
        assert_eq!(
            pages_chosen(&whole, &bytes, TWO_RANGES),
            (
                vec![0, 1],
                rows(&[(false, 200), (true, 200), (false, 500), (true, 100)])
            )
        );
        // Only pages whose bounds hold 995 could match; none do, so the row group goes too.
        assert_eq!(pages_chosen(&whole, &bytes, "v == 995"), (vec![], None));
        // Every page of the row group may match: nothing to skip.
        assert_eq!(pages_chosen(&whole, &bytes, "id < 500"), (vec![0], None));
        // Without a page index, the row groups of the statistics are read whole.
        let bytes = paged_file(EnabledStatistics::Chunk);
        let whole = Source::Memory(bytes.clone());
        assert_eq!(pages_chosen(&whole, &bytes, TWO_RANGES), (vec![0, 1], None));
    }

    /// The offsets of the first byte of the page index and of the byte after it.
    fn page_index_bounds(bytes: &Bytes) -> (u64, u64) {
        let metadata = ParquetSerializer::metadata_from_bytes(bytes, "k").unwrap();
        let ranges: Vec<Range<u64>> = metadata
            .row_groups()
            .iter()
            .flat_map(|rg| rg.columns())
            .flat_map(|c| {
                [
                    index_range(c.column_index_offset(), c.column_index_length()),
                    index_range(c.offset_index_offset(), c.offset_index_length()),
                ]
            })
            .map(Option::unwrap)
            .collect();
        (
            ranges.iter().map(|r| r.start).min().unwrap(),
            ranges.iter().map(|r| r.end).max().unwrap(),
        )
    }

    /// A fetched file of which only the end from `start` is in memory.
    fn tail_from(bytes: &Bytes, start: u64) -> Source {
        Source::Sparse {
            file: SparseFile {
                len: bytes.len() as u64,
                chunks: Vec::new(),
            },
            tail: Tail {
                start,
                bytes: bytes.slice(usize::try_from(start).unwrap()..),
            },
        }
    }

    #[test]
    fn page_index_is_used_only_from_bytes_in_hand() {
        let bytes = paged_file(EnabledStatistics::Page);
        let (start, end) = page_index_bounds(&bytes);
        assert_eq!(
            pages_chosen(&tail_from(&bytes, start), &bytes, TWO_RANGES),
            pages_chosen(&Source::Memory(bytes.clone()), &bytes, TWO_RANGES),
        );
        // The column index of `id` in row group 0 comes first and is missing: parquet 59
        // decodes a file's page index whole or not at all, so no page is skipped.
        assert_eq!(
            pages_chosen(&tail_from(&bytes, start + 1), &bytes, TWO_RANGES),
            (vec![0, 1], None)
        );
        assert_eq!(
            pages_chosen(&tail_from(&bytes, end), &bytes, TWO_RANGES),
            (vec![0, 1], None)
        );
    }

    #[test]
    fn corrupt_page_index_is_ignored() {
        let bytes = paged_file(EnabledStatistics::Page);
        let metadata = ParquetSerializer::metadata_from_bytes(&bytes, "k").unwrap();
        let id = |rg: usize| metadata.row_group(rg).column(0);
        let overwrite = |range: Range<u64>, with: &[u8]| {
            let mut corrupt = bytes.to_vec();
            let start = usize::try_from(range.start).unwrap();
            let end = usize::try_from(range.end).unwrap();
            for (i, byte) in corrupt[start..end].iter_mut().enumerate() {
                *byte = with[i % with.len()];
            }
            Bytes::from(corrupt)
        };
        // Garbage for the column index of `id` in row group 0; a page count of two billion
        // for its offset index in row group 0 (which parquet's decoder would try to allocate).
        // Either makes the whole file's page index unusable (parquet 59 decodes it at once).
        let column_index = |rg: usize| {
            index_range(id(rg).column_index_offset(), id(rg).column_index_length()).unwrap()
        };
        let offset_index = |rg: usize| {
            index_range(id(rg).offset_index_offset(), id(rg).offset_index_length()).unwrap()
        };
        for corrupt in [
            overwrite(column_index(0), &[0xFF]),
            overwrite(offset_index(0), &[0x19, 0xFC, 0x80, 0x80, 0x80, 0x80, 0x07]),
        ] {
            assert_eq!(
                pages_chosen(&Source::Memory(corrupt.clone()), &corrupt, TWO_RANGES),
                (vec![0, 1], None)
            );
        }
    }

    #[test]
    fn chunk_size_zero_is_rejected() {
        let err = ParquetSerializer::default()
            .with_chunk_size(Some(0))
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err}");
        assert!(ParquetSerializer::new(Compression::SNAPPY, Some(0)).is_err());
    }
}
