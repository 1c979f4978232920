//! The footer and schema of a data file (`<uuid>/<table>/<label>.parquet`) as
//! `plateau_serialization` reads them before decoding any data: the footer, the Arrow schema
//! (with the pandas index columns dropped), the row count, and row-group pruning from the
//! footer's statistics (`plateau_serialization::pruning::prune_row_groups`).
//!
//! No column data is decoded (`columns = []` without predicates is answered from the footer),
//! so this target stays on plateau's own code rather than on the Parquet page decoders.
//! Properties: nothing panics; the in-memory read and the store read (`restore`) agree;
//! pruning returns ascending row-group numbers of the file.
#![no_main]

use std::sync::Arc;

use arrow::datatypes::TimeUnit;
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use plateau_core::partition_value::parse_value;
use plateau_core::{Literal, Op, Predicates, Scalar, Store, Value};
use plateau_serialization::filter::EvalOptions;
use plateau_serialization::pruning::prune_row_groups;
use plateau_serialization::{ParquetSerializer, ReadOptions, Serializer};

const KEY: &str = "fuzz/table/p=1/part.parquet";

/// Values of every kind, for literals whose type does not match the column.
fn other_values() -> Vec<Scalar> {
    vec![
        Scalar::Null,
        Scalar::Bool(true),
        Scalar::Int(-1),
        Scalar::UInt(u64::MAX),
        Scalar::Float(0.5),
        Scalar::Float(f64::NAN),
        Scalar::String("m".into()),
        Scalar::Binary(vec![0xff]),
        Scalar::Date(0),
        Scalar::Timestamp {
            value: 0,
            unit: TimeUnit::Nanosecond,
            tz: Some("UTC".into()),
        },
        Scalar::Decimal {
            value: 150,
            precision: 3,
            scale: 2,
        },
    ]
}

fuzz_target!(|data: &[u8]| plateau_fuzz::guard(|| run(data)));

fn run(data: &[u8]) {
    let bytes = Bytes::copy_from_slice(data);
    let serializer = ParquetSerializer::default();
    let footer_only = ReadOptions::new().columns(Vec::<String>::new());
    let in_memory = serializer.deserialize(bytes.clone(), KEY, &footer_only);
    let store = Store::memory();
    if store.put(KEY, bytes.clone()).is_ok() {
        let from_store = plateau_serialization::restore(&store, KEY, &footer_only);
        match (&in_memory, &from_store) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "in-memory and store reads differ"),
            (Err(_), Err(_)) => {}
            (a, b) => panic!("in-memory read {a:?} but store read {b:?}"),
        }
    }

    // Pruning on the footer's statistics, with literals of the column's own type (parsed
    // from a few texts) and of a value picked by the first byte (usually another type).
    // parquet 59 converts `ARROW:schema` with arrow-ipc's panicking decoder: such a file is
    // as unreadable as one that fails to load (the library's readers guard the same call).
    let loaded = plateau_serialization::parquet::guard_decoder(KEY, || {
        ArrowReaderMetadata::load(&bytes, ArrowReaderOptions::new())
            .map_err(|e| plateau_core::Error::corrupt(KEY, e.to_string()))
    });
    let Ok(metadata) = loaded else {
        return;
    };
    let schema = Arc::clone(metadata.schema());
    let parquet_metadata = metadata.metadata();
    let others = other_values();
    let picked = &others[usize::from(data.first().copied().unwrap_or(0)) % others.len()];
    let options = [
        EvalOptions::default(),
        EvalOptions::default().strict_date_types(false),
    ];
    for field in schema.fields().iter().take(8) {
        let own = ["1", "2020-01-01", "m", "True", "1.5"]
            .iter()
            .find_map(|text| parse_value(text, field.data_type()).ok());
        for value in own.iter().chain([picked]) {
            for op in Op::ALL {
                let operand = if op.takes_list() {
                    Value::List(vec![value.clone(), Scalar::Null])
                } else {
                    Value::Scalar(value.clone())
                };
                let predicates =
                    Predicates::all(vec![Literal::new(field.name().clone(), op, operand)].into());
                for options in &options {
                    if let Ok(groups) =
                        prune_row_groups(parquet_metadata, &schema, &predicates, options)
                    {
                        assert!(
                            groups.windows(2).all(|w| w[0] < w[1])
                                && groups
                                    .last()
                                    .is_none_or(|&g| g < parquet_metadata.num_row_groups()),
                            "prune_row_groups returned {groups:?} of {} row groups",
                            parquet_metadata.num_row_groups()
                        );
                    }
                }
            }
        }
    }
}
