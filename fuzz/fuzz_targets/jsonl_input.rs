//! JSON lines input: the CLI's `--input x.jsonl` reader (`plateau_cli::jsonl::read_jsonl`),
//! which infers one type per column and refuses a column that mixes types.
//!
//! Properties: nothing panics; an accepted input has one row per non-blank line and only the
//! column types the reader documents (int64, float64, bool, string); the batch round-trips
//! through a plateau data file (`ParquetSerializer`) unchanged.
#![no_main]

use arrow::datatypes::DataType;
use libfuzzer_sys::fuzz_target;
use plateau_cli::jsonl::read_jsonl;
use plateau_serialization::{ParquetSerializer, ReadOptions, Serializer};

fuzz_target!(|data: &[u8]| plateau_fuzz::guard(|| run(data)));

fn run(data: &[u8]) {
    let Ok(batch) = read_jsonl(data) else {
        return;
    };
    // `lines()` fails on invalid UTF-8, so an accepted input is text.
    let text = String::from_utf8_lossy(data);
    let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
    assert_eq!(batch.num_rows(), lines, "one row per non-blank line");
    for field in batch.schema().fields() {
        assert!(
            matches!(
                field.data_type(),
                DataType::Int64 | DataType::Float64 | DataType::Boolean | DataType::Utf8
            ),
            "column `{}` has type {}",
            field.name(),
            field.data_type()
        );
    }
    let serializer = ParquetSerializer::default();
    let Ok(bytes) = serializer.serialize(&batch) else {
        return;
    };
    let back = serializer
        .deserialize(bytes, "fuzz/table/x.parquet", &ReadOptions::default())
        .expect("a file plateau wrote reads back");
    assert_eq!(back, batch, "data file round trip");
}
