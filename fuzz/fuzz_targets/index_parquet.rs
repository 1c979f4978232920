//! Index files (`<uuid>/indices/<column>/<ts>.by-dataset-index.parquet` and the legacy
//! shapes): `plateau_index::Index::from_parquet`.
//!
//! Properties: reading never panics; an index that reads writes with `to_parquet` and reads
//! back equal; merging it with itself and removing no partition leave it equal; every stored
//! value finds its labels through `query` and through `eval(==)`; the other operators
//! evaluate without panicking.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use plateau_core::{Op, Value};
use plateau_fuzz::assert_same;
use plateau_index::Index;
use plateau_serialization::filter::EvalOptions;

const KEY: &str = "fuzz/indices/x/2024-01-01T00%3A00%3A00.by-dataset-index.parquet";

fuzz_target!(|data: &[u8]| plateau_fuzz::guard(|| run(data)));

fn run(data: &[u8]) {
    // A two-column file is read whatever its value column is called.
    let Ok(index) = Index::from_parquet("x", Bytes::copy_from_slice(data), KEY) else {
        return;
    };
    let written = index
        .to_parquet()
        .expect("an index that reads can be written");
    let again = Index::from_parquet("x", written, KEY).expect("a written index reads back");
    assert_same(&index, &again, "index via to_parquet/from_parquet");

    let merged = index.merge(&index).expect("an index merges with itself");
    assert_same(&index, &merged, "index merged with itself");
    let kept = index.remove_partitions::<&str>(&[]);
    assert_same(&index, &kept, "index without no partitions");

    let options = EvalOptions::default();
    for i in 0..index.len().min(4) {
        let value = index.value(i).expect("a stored value converts to a scalar");
        let expected: Vec<&str> = {
            let mut labels: Vec<&str> = index.value_labels(i).collect();
            labels.sort_unstable();
            labels.dedup();
            labels
        };
        if !value.is_null() && !matches!(value, plateau_core::Scalar::Float(f) if f.is_nan()) {
            let found = index.query(&value).expect("a stored value can be queried");
            for label in &expected {
                assert!(found.contains(label), "query({value}) lost label {label}");
            }
        }
        for op in Op::ALL {
            let operand = if op.takes_list() {
                Value::List(vec![value.clone()])
            } else {
                Value::Scalar(value.clone())
            };
            let _ = index.eval_labels(op, &operand, &options);
        }
        let _ = index.remove_values(&[value]);
    }
    let first_label: Option<String> = index.partitions().next().map(str::to_owned);
    if let Some(label) = first_label {
        let _ = index.remove_partitions(&[label]);
    }
}
