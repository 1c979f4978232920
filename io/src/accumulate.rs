//! [`TableAccumulator`]: a table built batch by batch in its final buffers.
//!
//! `read_table` returns one batch. Concatenating the decoded batches after the last one
//! arrived copies the whole table once more, on the critical path, into freshly faulted-in
//! memory, and holds the table twice at its peak. Appending each batch as it arrives instead
//! does the copy while the read still waits for files, and frees every decoded batch at once.
//!
//! Columns of the common types (booleans, integers, floats, dates, strings, binaries) are
//! appended to arrow builders, whose buffers grow by reallocation. Timestamp columns keep
//! their chunks as decoded: whether a coarser unit must be kept (values beyond the
//! nanosecond range) is only known once every chunk is in. Other types keep their conformed
//! chunks; both are concatenated by arrow at the end.

use std::sync::Arc;

use arrow::array::{
    make_builder, Array, ArrayBuilder, ArrayRef, BinaryArray, BinaryBuilder, BooleanArray,
    BooleanBuilder, LargeBinaryArray, LargeBinaryBuilder, LargeStringArray, LargeStringBuilder,
    PrimitiveArray, PrimitiveBuilder, RecordBatch, RecordBatchOptions, StringArray, StringBuilder,
};
use arrow::compute::{cast_with_options, concat, CastOptions};
use arrow::datatypes::{
    ArrowPrimitiveType, DataType, Date32Type, Date64Type, Field, FieldRef, Float16Type,
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, Schema, UInt16Type,
    UInt32Type, UInt64Type, UInt8Type,
};
use plateau_core::{Error, Result};

use crate::read::timestamp_unit;
use crate::scan::conform_column;

/// One output column being accumulated.
enum Column {
    /// Appended into its final buffers.
    Built(Box<dyn ArrayBuilder>),
    /// Timestamp chunks as decoded (nulls where a batch lacked the column), cast at the end.
    Timestamps(Vec<ArrayRef>),
    /// Conformed chunks, concatenated at the end.
    Chunks(Vec<ArrayRef>),
}

/// Batches appended one by one into one table with `target`'s columns (see the module
/// documentation); the result equals casting every batch to `target` and concatenating.
pub(crate) struct TableAccumulator {
    target: Vec<FieldRef>,
    columns: Vec<Column>,
    rows: usize,
}

impl TableAccumulator {
    /// An empty table of `target`'s columns.
    pub(crate) fn new(target: Vec<FieldRef>) -> Self {
        let columns = target
            .iter()
            .map(|field| match field.data_type() {
                DataType::Timestamp(..) => Column::Timestamps(Vec::new()),
                data_type if appendable(data_type) => Column::Built(make_builder(data_type, 0)),
                _ => Column::Chunks(Vec::new()),
            })
            .collect();
        Self {
            target,
            columns,
            rows: 0,
        }
    }

    /// Appends `batch`: its columns by name, cast to the target types (unsafe casts: a value
    /// that does not fit is an error), missing ones as nulls.
    ///
    /// # Errors
    /// Cast errors; string offsets beyond `i32` for `Utf8`/`Binary` columns.
    pub(crate) fn push(&mut self, batch: &RecordBatch) -> Result<()> {
        let rows = batch.num_rows();
        for (field, column) in self.target.iter().zip(self.columns.iter_mut()) {
            match column {
                Column::Timestamps(chunks) => {
                    let chunk = match batch.column_by_name(field.name()) {
                        Some(array) => Arc::clone(array),
                        None => arrow::array::new_null_array(field.data_type(), rows),
                    };
                    chunks.push(chunk);
                }
                Column::Built(builder) => {
                    append(builder.as_mut(), conform_column(batch, field)?.as_ref())?;
                }
                Column::Chunks(chunks) => chunks.push(conform_column(batch, field)?),
            }
        }
        self.rows += rows;
        Ok(())
    }

    /// The table.
    ///
    /// # Errors
    /// Cast and concatenation errors.
    pub(crate) fn finish(self) -> Result<RecordBatch> {
        let cast_options = CastOptions {
            safe: false,
            ..Default::default()
        };
        let mut fields = Vec::with_capacity(self.target.len());
        let mut arrays = Vec::with_capacity(self.target.len());
        for (field, column) in self.target.into_iter().zip(self.columns) {
            let (field, array) = match column {
                Column::Built(mut builder) => (field, builder.finish()),
                Column::Chunks(chunks) => {
                    let array = concat_or_empty(&chunks, field.data_type())?;
                    (field, array)
                }
                Column::Timestamps(chunks) => {
                    let DataType::Timestamp(unit, tz) = field.data_type() else {
                        return Err(Error::invalid_input(format!(
                            "column `{}` is not a timestamp column",
                            field.name()
                        )));
                    };
                    let unit = timestamp_unit(*unit, chunks.iter())?;
                    let data_type = DataType::Timestamp(unit, tz.clone());
                    let cast = chunks
                        .iter()
                        .map(|chunk| cast_with_options(chunk, &data_type, &cast_options))
                        .collect::<std::result::Result<Vec<_>, _>>()?;
                    let field: FieldRef =
                        Arc::new(Field::clone(&field).with_data_type(data_type.clone()));
                    (field, concat_or_empty(&cast, &data_type)?)
                }
            };
            fields.push(field);
            arrays.push(array);
        }
        Ok(RecordBatch::try_new_with_options(
            Arc::new(Schema::new(fields)),
            arrays,
            &RecordBatchOptions::new().with_row_count(Some(self.rows)),
        )?)
    }
}

/// Whether [`append`] takes columns of `data_type` (through `make_builder`'s builder).
fn appendable(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Boolean
            | DataType::Int8
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
            | DataType::Date32
            | DataType::Date64
            | DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Binary
            | DataType::LargeBinary
    )
}

/// Appends `array` (of the builder's type) to `builder`.
fn append(builder: &mut dyn ArrayBuilder, array: &dyn Array) -> Result<()> {
    fn primitive<T: ArrowPrimitiveType>(builder: &mut dyn ArrayBuilder, array: &dyn Array) -> bool {
        match (
            builder.as_any_mut().downcast_mut::<PrimitiveBuilder<T>>(),
            array.as_any().downcast_ref::<PrimitiveArray<T>>(),
        ) {
            (Some(builder), Some(array)) => {
                builder.append_array(array);
                true
            }
            _ => false,
        }
    }
    macro_rules! bytes {
        ($builder:ty, $array:ty) => {
            if let (Some(builder), Some(array)) = (
                builder.as_any_mut().downcast_mut::<$builder>(),
                array.as_any().downcast_ref::<$array>(),
            ) {
                builder.append_array(array)?;
                return Ok(());
            }
        };
    }
    let appended = match array.data_type() {
        DataType::Boolean => {
            match (
                builder.as_any_mut().downcast_mut::<BooleanBuilder>(),
                array.as_any().downcast_ref::<BooleanArray>(),
            ) {
                (Some(builder), Some(array)) => {
                    builder.append_array(array);
                    true
                }
                _ => false,
            }
        }
        DataType::Int8 => primitive::<Int8Type>(builder, array),
        DataType::Int16 => primitive::<Int16Type>(builder, array),
        DataType::Int32 => primitive::<Int32Type>(builder, array),
        DataType::Int64 => primitive::<Int64Type>(builder, array),
        DataType::UInt8 => primitive::<UInt8Type>(builder, array),
        DataType::UInt16 => primitive::<UInt16Type>(builder, array),
        DataType::UInt32 => primitive::<UInt32Type>(builder, array),
        DataType::UInt64 => primitive::<UInt64Type>(builder, array),
        DataType::Float16 => primitive::<Float16Type>(builder, array),
        DataType::Float32 => primitive::<Float32Type>(builder, array),
        DataType::Float64 => primitive::<Float64Type>(builder, array),
        DataType::Date32 => primitive::<Date32Type>(builder, array),
        DataType::Date64 => primitive::<Date64Type>(builder, array),
        _ => {
            bytes!(StringBuilder, StringArray);
            bytes!(LargeStringBuilder, LargeStringArray);
            bytes!(BinaryBuilder, BinaryArray);
            bytes!(LargeBinaryBuilder, LargeBinaryArray);
            false
        }
    };
    if appended {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "cannot append a column of type {} to its table",
            array.data_type()
        )))
    }
}

/// Arrow's `concat`, or an empty array of `data_type` for no chunks.
fn concat_or_empty(chunks: &[ArrayRef], data_type: &DataType) -> Result<ArrayRef> {
    if chunks.is_empty() {
        return Ok(arrow::array::new_empty_array(data_type));
    }
    let refs: Vec<&dyn Array> = chunks.iter().map(AsRef::as_ref).collect();
    Ok(concat(&refs)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{
        Date32Array, Decimal128Array, Float64Array, Int64Array, TimestampMicrosecondArray,
        TimestampNanosecondArray,
    };
    use arrow::compute::concat_batches;
    use arrow::datatypes::TimeUnit;

    fn field(name: &str, data_type: DataType) -> FieldRef {
        Arc::new(Field::new(name, data_type, true))
    }

    fn batch(start: i64) -> RecordBatch {
        let ids: Vec<i64> = (start..start + 1000).collect();
        RecordBatch::try_from_iter([
            ("id", Arc::new(Int64Array::from(ids.clone())) as ArrayRef),
            (
                "f",
                Arc::new(Float64Array::from_iter(
                    ids.iter().map(|&i| (i % 7 != 0).then_some(i as f64)),
                )) as ArrayRef,
            ),
            (
                "s",
                Arc::new(StringArray::from_iter(
                    ids.iter().map(|&i| (i % 5 != 0).then(|| format!("v{i}"))),
                )) as ArrayRef,
            ),
            (
                "b",
                Arc::new(BooleanArray::from_iter(
                    ids.iter().map(|&i| (i % 3 != 0).then_some(i % 2 == 0)),
                )) as ArrayRef,
            ),
            (
                "d",
                Arc::new(Date32Array::from_iter_values(ids.iter().map(|&i| i as i32))) as ArrayRef,
            ),
            (
                "dec",
                Arc::new(
                    Decimal128Array::from_iter_values(ids.iter().map(|&i| i128::from(i)))
                        .with_precision_and_scale(20, 2)
                        .expect("valid decimal"),
                ) as ArrayRef,
            ),
            (
                "t",
                Arc::new(TimestampNanosecondArray::from_iter_values(ids.clone())) as ArrayRef,
            ),
        ])
        .expect("valid batch")
    }

    #[test]
    fn equals_arrows_concatenation_with_casts_and_missing_columns() {
        let batches: Vec<RecordBatch> = (0..7).map(|i| batch(i * 1000)).collect();
        // A batch without `s`, and one whose `id` is narrower: cast and filled with nulls.
        let without_s = batches[1].project(&[0, 1, 3, 4, 5, 6]).expect("project");
        let narrow = RecordBatch::try_from_iter([(
            "id",
            Arc::new(arrow::array::Int32Array::from(vec![1, 2, 3])) as ArrayRef,
        )])
        .expect("valid batch");
        let target: Vec<FieldRef> = batches[0]
            .schema()
            .fields()
            .iter()
            .map(|f| Arc::new(Field::clone(f).with_nullable(true)))
            .chain([field("missing", DataType::Utf8)])
            .collect();
        let schema = Arc::new(Schema::new(target.clone()));
        let mut accumulator = TableAccumulator::new(target);
        let mut conformed = Vec::new();
        for batch in batches.iter().chain([&without_s, &narrow]) {
            accumulator.push(batch).expect("push");
            conformed.push(crate::scan::conform(batch, &schema).expect("conform"));
        }
        let expected = concat_batches(&schema, &conformed).expect("concat");
        assert_eq!(accumulator.finish().expect("finish"), expected);
    }

    #[test]
    fn timestamps_beyond_nanoseconds_keep_their_coarser_unit() {
        let far = TimestampMicrosecondArray::from_iter_values([i64::MAX / 10]);
        let near = TimestampNanosecondArray::from_iter_values([5]);
        let target = vec![field("t", DataType::Timestamp(TimeUnit::Nanosecond, None))];
        let mut accumulator = TableAccumulator::new(target);
        for array in [Arc::new(near) as ArrayRef, Arc::new(far) as ArrayRef] {
            let batch = RecordBatch::try_from_iter([("t", array)]).expect("batch");
            accumulator.push(&batch).expect("push");
        }
        let table = accumulator.finish().expect("finish");
        assert_eq!(
            table.schema().field(0).data_type(),
            &DataType::Timestamp(TimeUnit::Microsecond, None)
        );
        assert_eq!(table.num_rows(), 2);
    }

    #[test]
    fn no_batches_is_an_empty_table_of_the_target() {
        let target = vec![
            field("a", DataType::Int64),
            field("t", DataType::Timestamp(TimeUnit::Millisecond, None)),
        ];
        let table = TableAccumulator::new(target).finish().expect("finish");
        assert_eq!(table.num_rows(), 0);
        assert_eq!(table.num_columns(), 2);
    }
}
