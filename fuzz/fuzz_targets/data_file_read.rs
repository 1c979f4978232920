//! Whole data files (`<uuid>/<table>/<label>.parquet`) as plateau reads them:
//! `ParquetSerializer::deserialize` (the footer, then every column decoded, pandas index
//! columns dropped, dictionaries decoded), with a projection and categoricals, with a
//! predicate (row-group pruning plus the row filter), and `restore` from a store.
//!
//! Unlike `data_file_schema`, this decodes column data, so it also reaches the Parquet page
//! decoders of the `parquet` crate that plateau calls.
//!
//! Properties: nothing panics; the in-memory read and the store read (`restore`) agree; a
//! read with predicate pushdown returns no row the same read without pushdown does not
//! (the row filter is exact; pruning may only drop row groups).
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use plateau_core::{Literal, Op, Predicates, Scalar, Store, Value};
use plateau_serialization::{ParquetSerializer, ReadOptions, Serializer};

const KEY: &str = "fuzz/table/part.parquet";

fuzz_target!(|data: &[u8]| plateau_fuzz::guard(|| run(data)));

fn run(data: &[u8]) {
    let bytes = Bytes::copy_from_slice(data);
    let serializer = ParquetSerializer::default();
    let Ok(batch) = serializer.deserialize(bytes.clone(), KEY, &ReadOptions::default()) else {
        return;
    };
    let store = Store::memory();
    if store.put(KEY, bytes.clone()).is_ok() {
        if let Ok(from_store) = plateau_serialization::restore(&store, KEY, &ReadOptions::default())
        {
            assert_eq!(batch, from_store, "in-memory and store reads differ");
        }
    }
    let schema = batch.schema();
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    if names.is_empty() {
        return;
    }
    // The last column only, as a categorical.
    let last = names[names.len() - 1].clone();
    let projected = ReadOptions::new()
        .columns([last.clone()])
        .categoricals([last]);
    let _ = serializer.deserialize(bytes.clone(), KEY, &projected);

    // A predicate on the first column with the first row's value.
    let Ok(value) = Scalar::try_from_array(batch.column(0).as_ref(), 0) else {
        return;
    };
    for op in [Op::Eq, Op::Lt, Op::Ge, Op::NotIn] {
        let operand = if op.takes_list() {
            Value::List(vec![value.clone()])
        } else {
            Value::Scalar(value.clone())
        };
        let predicates = Predicates::all(vec![Literal::new(names[0].clone(), op, operand)].into());
        let pushed = ReadOptions::new().predicates(predicates.clone());
        let not_pushed = pushed.clone().predicate_pushdown(false);
        if let (Ok(a), Ok(b)) = (
            serializer.deserialize(bytes.clone(), KEY, &pushed),
            serializer.deserialize(bytes.clone(), KEY, &not_pushed),
        ) {
            assert!(
                a.num_rows() <= b.num_rows(),
                "pushdown returned {} rows, the unpruned read {}",
                a.num_rows(),
                b.num_rows()
            );
        }
    }
}
