//! CSV input: the reads of the CLI's `--input x.csv` (arrow-csv schema inference and reader
//! with a header row, then one concatenated batch, exactly as `cli/src/formats.rs` calls
//! them) and plateau's CSV data files (`CsvSerializer::deserialize`, `;`-separated, plain or
//! gzipped, types inferred or taken from a schema).
//! The CLI's JSON-lines reader has its own target, `jsonl_input`.
//!
//! Properties: nothing panics.
#![no_main]

use std::io::Cursor;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Field, Schema};
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use plateau_core::{Op, Predicates};
use plateau_serialization::{CsvSerializer, ReadOptions, Serializer};

/// `plateau_cli::formats::read_input` for `InputFormat::Csv`, on bytes instead of a file.
fn cli_read_csv(data: &[u8]) -> Result<Option<RecordBatch>, arrow::error::ArrowError> {
    let format = arrow::csv::reader::Format::default().with_header(true);
    let (schema, _) = format.infer_schema(Cursor::new(data), None)?;
    let reader = arrow::csv::ReaderBuilder::new(Arc::new(schema))
        .with_header(true)
        .build(Cursor::new(data))?;
    let batches = reader.collect::<Result<Vec<_>, _>>()?;
    match batches.first() {
        Some(first) => Ok(Some(arrow::compute::concat_batches(
            first.schema_ref(),
            &batches,
        )?)),
        None => Ok(None),
    }
}

fuzz_target!(|data: &[u8]| plateau_fuzz::guard(|| run(data)));

fn run(data: &[u8]) {
    let _ = cli_read_csv(data);

    let key = "fuzz/table/part.csv";
    let serializer = CsvSerializer::default();
    let bytes = Bytes::copy_from_slice(data);
    let Ok(inferred) = serializer.deserialize(bytes.clone(), key, &ReadOptions::default()) else {
        return;
    };
    // With the inferred schema given, a projection, and a predicate on the first column.
    let schema = inferred.schema();
    let typed = ReadOptions::new().schema(Arc::clone(&schema));
    let _ = serializer.deserialize(bytes.clone(), key, &typed);
    if let Some(first) = schema.fields().first() {
        let projected = ReadOptions::new().columns([first.name().clone()]);
        let _ = serializer.deserialize(bytes.clone(), key, &projected);
        if inferred.num_rows() > 0 {
            if let Ok(value) = plateau_core::Scalar::try_from_array(inferred.column(0).as_ref(), 0)
            {
                for op in [Op::Eq, Op::Lt, Op::NotIn] {
                    let operand = if op.takes_list() {
                        plateau_core::Value::List(vec![value.clone()])
                    } else {
                        plateau_core::Value::Scalar(value.clone())
                    };
                    let predicates = Predicates::all(
                        vec![plateau_core::Literal::new(
                            first.name().clone(),
                            op,
                            operand,
                        )]
                        .into(),
                    );
                    let options = ReadOptions::new().predicates(predicates);
                    let _ = serializer.deserialize(bytes.clone(), key, &options);
                }
            }
        }
    }
    // Every column read as strings.
    let strings = Schema::new(
        schema
            .fields()
            .iter()
            .map(|f| Field::new(f.name(), DataType::Utf8, true))
            .collect::<Vec<_>>(),
    );
    let _ = serializer.deserialize(bytes, key, &ReadOptions::new().schema(Arc::new(strings)));
}
