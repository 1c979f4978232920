//! Writing a result table as an aligned table, CSV, JSON lines or Parquet.
//!
//! Arrow's writers print most types as they are. The CLI renders the rest itself, so every
//! column a plateau dataset can hold prints in every format:
//!
//! * timestamps with a time zone (any unit, named zone or fixed offset) as RFC 3339 text with
//!   the numeric offset the zone has at that instant, e.g. `2020-09-13T14:26:40+02:00` for
//!   `Europe/Berlin` (the zone's name is not printed; a zero offset prints as `+00:00`).
//!   Fractions of a second get 3, 6 or 9 digits as needed, as for timestamps without a zone
//!   (`2020-09-13T12:26:40.500`);
//! * lists, structs and maps as JSON text in table and CSV cells and as JSON arrays and
//!   objects in JSON lines (a map becomes an object keyed by the key's text);
//! * dictionary (categorical) columns as their values.
//!
//! In JSON lines, booleans and integers and finite floats are JSON values; NaN and infinities
//! are `null`; decimals, dates, times, durations and binary (hex) are strings.
//!
//! Whatever cannot be printed all the same is an invalid-input error (exit code 5) naming the
//! column and its type, found before the first byte of output is written.

use std::io::Write;
use std::sync::{Arc, Mutex};

use arrow::array::{Array, ArrayRef, AsArray as _, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use plateau_core::temporal::{format_offset, to_naive_utc, Tz};
use plateau_core::Scalar;
use plateau_io_parallel::ParallelOptions;
use serde_json::{Map, Value as Json};

use crate::{CliError, CliResult, OutputFormat};

/// The name of `format` in messages.
fn format_name(format: OutputFormat) -> &'static str {
    match format {
        OutputFormat::Table => "table",
        OutputFormat::Csv => "csv",
        OutputFormat::Jsonl => "jsonl",
        OutputFormat::Parquet => "parquet",
    }
}

/// The error for column `name` of type `data_type` that `format` cannot hold.
fn cannot(
    name: &str,
    data_type: &DataType,
    format: OutputFormat,
    why: impl std::fmt::Display,
) -> CliError {
    CliError::input(format!(
        "column `{name}` of type {data_type} cannot be written as {}: {why}",
        format_name(format)
    ))
}

/// Writes `table` to `out` in `format`. An error of `out` itself (a closed pipe, a full disk)
/// is reported as that I/O error, also when Arrow's CSV writer wraps it in its own error.
pub fn write_output(
    out: &mut impl Write,
    table: &RecordBatch,
    format: OutputFormat,
    parallel: &ParallelOptions,
) -> CliResult {
    let mut out = Tracked {
        inner: out,
        error: None,
    };
    let result = write_tracked(&mut out, table, format, parallel);
    match (result, out.error) {
        (Err(_), Some(error)) => Err(error.into()),
        (result, _) => result,
    }
}

fn write_tracked(
    out: &mut impl Write,
    table: &RecordBatch,
    format: OutputFormat,
    parallel: &ParallelOptions,
) -> CliResult {
    match format {
        OutputFormat::Table => {
            let table = printable(table, format)?;
            writeln!(
                out,
                "{}",
                arrow::util::pretty::pretty_format_batches(std::slice::from_ref(&table))?
            )?;
        }
        OutputFormat::Csv => {
            let table = printable(table, format)?;
            let mut writer = arrow::csv::Writer::new(&mut *out);
            writer.write(&table)?;
        }
        OutputFormat::Jsonl => write_jsonl(out, table)?,
        OutputFormat::Parquet => write_parquet(out, table, parallel)?,
    }
    Ok(())
}

/// A writer that remembers the first error of the writer it wraps.
struct Tracked<'a, W: Write> {
    inner: &'a mut W,
    error: Option<std::io::Error>,
}

impl<W: Write> Tracked<'_, W> {
    fn track<T>(&mut self, result: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(error) = &result {
            if self.error.is_none() {
                self.error = Some(std::io::Error::new(error.kind(), error.to_string()));
            }
        }
        result
    }
}

impl<W: Write> Write for Tracked<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let result = self.inner.write(buf);
        self.track(result)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let result = self.inner.flush();
        self.track(result)
    }
}

/// An in-memory Parquet sink the caller drains between row groups: `SerializedFileWriter`
/// needs a `Send` writer, which a locked stdout is not.
#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl SharedBuffer {
    fn take(&self) -> std::io::Result<Vec<u8>> {
        let mut bytes = self
            .0
            .lock()
            .map_err(|_| std::io::Error::other("parquet output buffer poisoned"))?;
        Ok(std::mem::take(&mut *bytes))
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("parquet output buffer poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What failed while writing Parquet: the encoder or `out`.
enum ParquetOutputError {
    Encode(parquet::errors::ParquetError),
    Io(std::io::Error),
}

impl From<parquet::errors::ParquetError> for ParquetOutputError {
    fn from(error: parquet::errors::ParquetError) -> Self {
        Self::Encode(error)
    }
}

impl From<std::io::Error> for ParquetOutputError {
    fn from(error: std::io::Error) -> Self {
        Self::Io(error)
    }
}

/// Writes `table` as Parquet, the columns of a wave of row groups (one per thread) encoded
/// in parallel on `parallel`'s pool and passed on to `out` as soon as the wave is encoded, so
/// besides the table only one wave of encoded row groups is in memory (`ArrowWriter`'s row
/// groups and defaults). A column Parquet cannot hold is named in the error; type errors
/// surface when the writer is built, before the first byte reaches `out`, while an error of
/// a later wave (none is known for the types a result can hold) would follow earlier waves.
fn write_parquet(
    out: &mut impl Write,
    table: &RecordBatch,
    parallel: &ParallelOptions,
) -> CliResult {
    match encode_parquet(out, table, parallel, None) {
        Ok(()) => Ok(()),
        Err(ParquetOutputError::Io(error)) => Err(error.into()),
        Err(ParquetOutputError::Encode(error)) => Err(parquet_error(table, error)),
    }
}

/// [`write_parquet`]'s encoder; `properties` are `ArrowWriter`'s defaults unless given.
fn encode_parquet(
    out: &mut impl Write,
    table: &RecordBatch,
    parallel: &ParallelOptions,
    properties: Option<parquet::file::properties::WriterProperties>,
) -> Result<(), ParquetOutputError> {
    use parquet::arrow::arrow_writer::compute_leaves;
    use rayon::prelude::*;

    let buffer = SharedBuffer::default();
    let schema = table.schema();
    let writer =
        parquet::arrow::ArrowWriter::try_new(buffer.clone(), Arc::clone(&schema), properties)?;
    let (mut file, columns) = writer.into_serialized_writer()?;
    let group_rows = file
        .properties()
        .max_row_group_row_count()
        .unwrap_or(usize::MAX)
        .max(1);
    // Row groups are encoded a wave at a time, one per thread, every column of the wave in
    // parallel: a single row group's columns balance badly (one string column can cost more
    // than all the others together).
    let wave = parallel.num_threads().max(1);
    let mut offset = 0;
    while offset < table.num_rows() {
        let mut units = Vec::new();
        let mut groups = 0;
        while groups < wave && offset < table.num_rows() {
            let group = table.slice(offset, group_rows.min(table.num_rows() - offset));
            let writers =
                columns.create_column_writers(file.flushed_row_groups().len() + groups)?;
            let mut leaves = Vec::with_capacity(writers.len());
            for (field, column) in schema.fields().iter().zip(group.columns()) {
                leaves.extend(compute_leaves(field, column)?);
            }
            units.extend(writers.into_iter().zip(leaves).map(|unit| (groups, unit)));
            offset += group.num_rows();
            groups += 1;
        }
        let encoded = parallel
            .install(|| {
                Ok(units
                    .into_par_iter()
                    .map(|(group, (mut writer, leaf))| {
                        writer.write(&leaf)?;
                        Ok((group, writer.close()?))
                    })
                    .collect::<Result<Vec<_>, parquet::errors::ParquetError>>())
            })
            .map_err(|e| {
                ParquetOutputError::Encode(parquet::errors::ParquetError::External(e.into()))
            })??;
        let mut encoded = encoded.into_iter().peekable();
        for group in 0..groups {
            let mut row_group = file.next_row_group()?;
            while let Some((_, chunk)) = encoded.next_if(|(g, _)| *g == group) {
                chunk.append_to_row_group(&mut row_group)?;
            }
            row_group.close()?;
            out.write_all(&buffer.take()?)?;
        }
    }
    file.close()?;
    out.write_all(&buffer.take()?)?;
    Ok(())
}

/// The error for a table Parquet cannot encode: the first column that fails on its own.
fn parquet_error(table: &RecordBatch, error: parquet::errors::ParquetError) -> CliError {
    fn encode(batch: &RecordBatch) -> Result<(), parquet::errors::ParquetError> {
        let mut writer =
            parquet::arrow::ArrowWriter::try_new(std::io::sink(), batch.schema(), None)?;
        writer.write(batch)?;
        writer.close()?;
        Ok(())
    }
    let schema = table.schema();
    for (field, column) in schema.fields().iter().zip(table.columns()) {
        let single = Schema::new(vec![field.clone()]);
        let single = RecordBatch::try_new(Arc::new(single), vec![column.clone()]);
        if let Ok(Err(e)) = single.as_ref().map(encode) {
            return cannot(field.name(), field.data_type(), OutputFormat::Parquet, e);
        }
    }
    CliError::new(1, format!("cannot write the result as parquet: {error}"))
}

/// Whether arrow's table and CSV writers need our help with a column of `data_type`.
fn needs_rendering(data_type: &DataType) -> bool {
    match data_type {
        DataType::Timestamp(_, Some(_)) => true,
        DataType::Dictionary(_, values) => needs_rendering(values),
        other => other.is_nested(),
    }
}

/// `table` with every column arrow cannot print (or prints poorly) rendered as text; checks
/// that arrow can print every other column.
fn printable(table: &RecordBatch, format: OutputFormat) -> CliResult<RecordBatch> {
    let options = FormatOptions::default();
    let schema = table.schema();
    let mut fields = Vec::with_capacity(table.num_columns());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(table.num_columns());
    for (field, column) in schema.fields().iter().zip(table.columns()) {
        if needs_rendering(field.data_type()) {
            let renderer = Renderer::new(column.as_ref())
                .map_err(|why| cannot(field.name(), field.data_type(), format, why))?;
            let mut text = StringBuilder::new();
            for row in 0..column.len() {
                match renderer
                    .json(row)
                    .map_err(|why| cannot(field.name(), field.data_type(), format, why))?
                {
                    Json::Null => text.append_null(),
                    Json::String(s) => text.append_value(s),
                    other => text.append_value(other.to_string()),
                }
            }
            fields.push(Field::new(field.name(), DataType::Utf8, true));
            columns.push(Arc::new(text.finish()));
        } else {
            ArrayFormatter::try_new(column.as_ref(), &options)
                .map_err(|why| cannot(field.name(), field.data_type(), format, why))?;
            fields.push(field.as_ref().clone());
            columns.push(column.clone());
        }
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

fn write_jsonl(out: &mut impl Write, table: &RecordBatch) -> CliResult {
    let schema = table.schema();
    let renderers = schema
        .fields()
        .iter()
        .zip(table.columns())
        .map(|(field, column)| {
            Renderer::new(column.as_ref())
                .map_err(|why| cannot(field.name(), field.data_type(), OutputFormat::Jsonl, why))
        })
        .collect::<CliResult<Vec<_>>>()?;
    for row in 0..table.num_rows() {
        let mut object = Map::new();
        for (field, renderer) in schema.fields().iter().zip(&renderers) {
            let value = renderer
                .json(row)
                .map_err(|why| cannot(field.name(), field.data_type(), OutputFormat::Jsonl, why))?;
            object.insert(field.name().clone(), value);
        }
        writeln!(out, "{}", Json::Object(object))?;
    }
    Ok(())
}

/// Renders the values of one array as JSON, built once per column.
struct Renderer<'a> {
    array: &'a dyn Array,
    kind: Kind<'a>,
}

enum Kind<'a> {
    /// Booleans, integers and floats: JSON values.
    Value,
    /// Everything arrow prints as text: strings, decimals, binary, dates, times, ...
    Text(ArrayFormatter<'a>),
    /// A timestamp with a zone.
    Zoned(Tz),
    /// Lists (their values array, rendered).
    List(Box<Renderer<'a>>),
    /// Structs: field names and their renderers.
    Struct(Vec<(String, Renderer<'a>)>),
    /// Maps: keys and values.
    Map(Box<Renderer<'a>>, Box<Renderer<'a>>),
    /// Dictionaries: the value index of every row and the values.
    Dictionary(Vec<usize>, Box<Renderer<'a>>),
}

impl<'a> Renderer<'a> {
    fn new(array: &'a dyn Array) -> Result<Self, String> {
        use DataType as T;
        let kind = match array.data_type() {
            T::Null
            | T::Boolean
            | T::Int8
            | T::Int16
            | T::Int32
            | T::Int64
            | T::UInt8
            | T::UInt16
            | T::UInt32
            | T::UInt64
            | T::Float16
            | T::Float32
            | T::Float64 => Kind::Value,
            T::Timestamp(_, Some(tz)) => {
                Kind::Zoned(Tz::parse(tz).map_err(|_| format!("unknown time zone `{tz}`"))?)
            }
            T::List(_) => Kind::List(Box::new(Renderer::new(
                array.as_list::<i32>().values().as_ref(),
            )?)),
            T::LargeList(_) => Kind::List(Box::new(Renderer::new(
                array.as_list::<i64>().values().as_ref(),
            )?)),
            T::FixedSizeList(..) => Kind::List(Box::new(Renderer::new(
                array.as_fixed_size_list().values().as_ref(),
            )?)),
            T::Struct(fields) => Kind::Struct(
                fields
                    .iter()
                    .zip(array.as_struct().columns())
                    .map(|(field, column)| {
                        Ok((field.name().clone(), Renderer::new(column.as_ref())?))
                    })
                    .collect::<Result<_, String>>()?,
            ),
            T::Map(..) => {
                let map = array.as_map();
                Kind::Map(
                    Box::new(Renderer::new(map.keys().as_ref())?),
                    Box::new(Renderer::new(map.values().as_ref())?),
                )
            }
            T::Dictionary(..) => {
                let dictionary = array.as_any_dictionary();
                Kind::Dictionary(
                    dictionary.normalized_keys(),
                    Box::new(Renderer::new(dictionary.values().as_ref())?),
                )
            }
            _ => Kind::Text(
                ArrayFormatter::try_new(array, &FormatOptions::default())
                    .map_err(|e| e.to_string())?,
            ),
        };
        Ok(Self { array, kind })
    }

    /// The value of `row` as JSON (`null` for a null slot).
    fn json(&self, row: usize) -> Result<Json, String> {
        if self.array.is_null(row) {
            return Ok(Json::Null);
        }
        Ok(match &self.kind {
            Kind::Value => {
                match Scalar::try_from_array(self.array, row).map_err(|e| e.to_string())? {
                    Scalar::Bool(b) => Json::Bool(b),
                    Scalar::Int(v) => Json::from(v),
                    Scalar::UInt(v) => Json::from(v),
                    Scalar::Float(v) => {
                        serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number)
                    }
                    _ => Json::Null,
                }
            }
            Kind::Text(formatter) => Json::String(formatter.value(row).to_string()),
            Kind::Zoned(tz) => {
                let Scalar::Timestamp { value, unit, .. } =
                    Scalar::try_from_array(self.array, row).map_err(|e| e.to_string())?
                else {
                    return Err("not a timestamp".into());
                };
                Json::String(
                    rfc3339(value, unit, tz)
                        .ok_or_else(|| format!("timestamp value {value} is out of range"))?,
                )
            }
            Kind::List(values) => {
                let range = match self.array.data_type() {
                    DataType::List(_) => {
                        let offsets = self.array.as_list::<i32>().value_offsets();
                        offsets[row] as usize..offsets[row + 1] as usize
                    }
                    DataType::LargeList(_) => {
                        let offsets = self.array.as_list::<i64>().value_offsets();
                        offsets[row] as usize..offsets[row + 1] as usize
                    }
                    _ => {
                        let width = self.array.as_fixed_size_list().value_length() as usize;
                        row * width..(row + 1) * width
                    }
                };
                Json::Array(range.map(|i| values.json(i)).collect::<Result<_, _>>()?)
            }
            Kind::Struct(fields) => Json::Object(
                fields
                    .iter()
                    .map(|(name, field)| Ok((name.clone(), field.json(row)?)))
                    .collect::<Result<_, String>>()?,
            ),
            Kind::Map(keys, values) => {
                let offsets = self.array.as_map().value_offsets();
                let mut object = Map::new();
                for i in offsets[row] as usize..offsets[row + 1] as usize {
                    let key = match keys.json(i)? {
                        Json::String(s) => s,
                        other => other.to_string(),
                    };
                    object.insert(key, values.json(i)?);
                }
                Json::Object(object)
            }
            Kind::Dictionary(keys, values) => values.json(keys[row])?,
        })
    }
}

/// RFC 3339 text of a timestamp in zone `tz`: local time and the zone's offset at that
/// instant (`None` outside the representable range).
fn rfc3339(value: i64, unit: TimeUnit, tz: &Tz) -> Option<String> {
    let utc = to_naive_utc(value, unit)?;
    let offset = tz.offset_at(&utc);
    let per_second: i64 = match unit {
        TimeUnit::Second => 1,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    };
    let local = value.checked_add(i64::from(offset).checked_mul(per_second)?)?;
    let local = to_naive_utc(local, unit)?;
    Some(format!(
        "{}{}",
        local.format("%Y-%m-%dT%H:%M:%S%.f"),
        format_offset(offset)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{
        Int64Array, ListBuilder, TimestampMillisecondArray, TimestampNanosecondArray,
        TimestampSecondArray,
    };

    /// The row groups of a Parquet output and its rows read back.
    fn read_back(bytes: Vec<u8>) -> (usize, RecordBatch) {
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
            bytes::Bytes::from(bytes),
        )
        .unwrap();
        let groups = reader.metadata().num_row_groups();
        let reader = reader.build().unwrap();
        let schema = arrow::array::RecordBatchReader::schema(&reader);
        let batches: Vec<_> = reader.map(Result::unwrap).collect();
        (
            groups,
            arrow::compute::concat_batches(&schema, &batches).unwrap(),
        )
    }

    #[test]
    fn parquet_output_encodes_row_groups_in_parallel_waves() {
        use arrow::array::{StringArray, StructArray};
        let rows = 1_003;
        let ids: ArrayRef = Arc::new(Int64Array::from_iter_values(0..rows));
        let names: ArrayRef = Arc::new(StringArray::from_iter(
            (0..rows).map(|i| (i % 7 != 0).then(|| format!("name {}", i % 13))),
        ));
        // A struct has two leaves: each must reach its own column writer, in order.
        let pair: ArrayRef = Arc::new(StructArray::from(vec![
            (
                Arc::new(Field::new("a", DataType::Int64, false)),
                Arc::clone(&ids),
            ),
            (
                Arc::new(Field::new("b", DataType::Utf8, true)),
                Arc::clone(&names),
            ),
        ]));
        let table =
            RecordBatch::try_from_iter([("id", ids), ("name", names), ("pair", pair)]).unwrap();
        for threads in [1, 2, 3] {
            let parallel = ParallelOptions::with_threads(threads).unwrap();
            let properties = parquet::file::properties::WriterProperties::builder()
                .set_max_row_group_row_count(Some(100))
                .build();
            let mut out = Vec::new();
            let written = encode_parquet(&mut out, &table, &parallel, Some(properties));
            assert!(written.is_ok(), "{threads} threads");
            let (groups, back) = read_back(out);
            assert_eq!(groups, 11, "{threads} threads");
            assert_eq!(back, table, "{threads} threads");
        }
        // The defaults: one row group, the same as `ArrowWriter`.
        let mut out = Vec::new();
        write_output(
            &mut out,
            &table,
            OutputFormat::Parquet,
            &ParallelOptions::new(),
        )
        .unwrap();
        let mut expected = Vec::new();
        let mut writer =
            parquet::arrow::ArrowWriter::try_new(&mut expected, table.schema(), None).unwrap();
        writer.write(&table).unwrap();
        writer.close().unwrap();
        assert_eq!(out, expected);
        // No rows: a file with the schema and no row group.
        let mut out = Vec::new();
        write_output(
            &mut out,
            &table.slice(0, 0),
            OutputFormat::Parquet,
            &ParallelOptions::new(),
        )
        .unwrap();
        let (groups, back) = read_back(out);
        assert_eq!((groups, back.num_rows()), (0, 0));
        assert_eq!(back.schema(), table.schema());
    }

    fn render(array: ArrayRef, format: OutputFormat) -> String {
        let table = RecordBatch::try_from_iter([("c", array)]).unwrap();
        let mut out = Vec::new();
        write_output(&mut out, &table, format, &ParallelOptions::new()).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn zoned_timestamps_print_as_rfc3339_in_every_format() {
        let berlin: ArrayRef = Arc::new(
            TimestampNanosecondArray::from(vec![Some(1_600_000_000_500_000_000), None])
                .with_timezone("Europe/Berlin"),
        );
        assert_eq!(
            render(berlin.clone(), OutputFormat::Csv),
            "c\n2020-09-13T14:26:40.500+02:00\n\"\"\n"
        );
        assert_eq!(
            render(berlin.clone(), OutputFormat::Jsonl),
            "{\"c\":\"2020-09-13T14:26:40.500+02:00\"}\n{\"c\":null}\n"
        );
        assert!(render(berlin, OutputFormat::Table).contains("| 2020-09-13T14:26:40.500+02:00 |"));
        let utc: ArrayRef = Arc::new(TimestampSecondArray::from(vec![0]).with_timezone("UTC"));
        assert_eq!(
            render(utc, OutputFormat::Csv),
            "c\n1970-01-01T00:00:00+00:00\n"
        );
        let offset: ArrayRef =
            Arc::new(TimestampMillisecondArray::from(vec![1]).with_timezone("-05:30"));
        assert_eq!(
            render(offset, OutputFormat::Csv),
            "c\n1969-12-31T18:30:00.001-05:30\n"
        );
        // winter time
        let winter: ArrayRef = Arc::new(
            TimestampSecondArray::from(vec![1_577_880_000]).with_timezone("Europe/Berlin"),
        );
        assert_eq!(
            render(winter, OutputFormat::Csv),
            "c\n2020-01-01T13:00:00+01:00\n"
        );
    }

    #[test]
    fn nested_values_print_as_json() {
        let mut list = ListBuilder::new(arrow::array::Int64Builder::new());
        list.values().append_value(1);
        list.values().append_null();
        list.append(true);
        list.append(false);
        let list: ArrayRef = Arc::new(list.finish());
        assert_eq!(
            render(list.clone(), OutputFormat::Csv),
            "c\n\"[1,null]\"\n\"\"\n"
        );
        assert_eq!(
            render(list, OutputFormat::Jsonl),
            "{\"c\":[1,null]}\n{\"c\":null}\n"
        );
    }

    #[test]
    fn unknown_zone_is_an_input_error_naming_the_column() {
        let bad: ArrayRef = Arc::new(Int64Array::from(vec![1]));
        let bad = arrow::compute::cast(&bad, &DataType::Timestamp(TimeUnit::Second, None))
            .unwrap()
            .as_primitive::<arrow::datatypes::TimestampSecondType>()
            .clone()
            .with_timezone("Mars/Olympus");
        let table = RecordBatch::try_from_iter([("when", Arc::new(bad) as ArrayRef)]).unwrap();
        let error = write_output(
            &mut Vec::new(),
            &table,
            OutputFormat::Csv,
            &ParallelOptions::new(),
        )
        .unwrap_err();
        assert_eq!(error.code, 5);
        assert!(error.message.contains("`when`"), "{}", error.message);
        assert!(error.message.contains("csv"), "{}", error.message);
    }

    #[test]
    fn a_closed_pipe_is_reported_as_such() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let table = RecordBatch::try_from_iter([(
            "c",
            Arc::new(Int64Array::from(vec![1; 10_000])) as ArrayRef,
        )])
        .unwrap();
        for format in [
            OutputFormat::Csv,
            OutputFormat::Jsonl,
            OutputFormat::Table,
            OutputFormat::Parquet,
        ] {
            let error =
                write_output(&mut Closed, &table, format, &ParallelOptions::new()).unwrap_err();
            assert_eq!(error.code, 0, "{format:?}: {}", error.message);
        }
    }
}
