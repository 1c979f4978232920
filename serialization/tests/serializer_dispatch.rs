//! `restore` picks the serializer by key suffix; `ReadOptions` defaults.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch};
use plateau_core::{Error, Predicates, Store};
use plateau_serialization::format::serializer_for_key;
use plateau_serialization::{restore, CsvSerializer, ParquetSerializer, ReadOptions, Serializer};

fn sample() -> RecordBatch {
    RecordBatch::try_from_iter_with_nullable([(
        "x",
        Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef,
        true,
    )])
    .unwrap()
}

#[test]
fn defaults() {
    let options = ReadOptions::default();
    assert!(options.columns.is_none());
    assert!(options.predicates.is_none());
    assert!(options.predicate_pushdown);
    assert!(options.categoricals.is_empty());
    assert!(options.schema.is_none());
    assert!(options.eval_options.strict_date_types);
    assert_eq!(CsvSerializer::default(), CsvSerializer { compress: true });
    assert_eq!(ParquetSerializer::default().chunk_size(), None);
}

#[test]
fn every_serializer_round_trips_through_restore() {
    let store = Store::memory();
    let serializers: Vec<Box<dyn Serializer>> = vec![
        Box::new(ParquetSerializer::default()),
        Box::new(CsvSerializer::default()),
        Box::new(CsvSerializer::new(false)),
    ];
    for serializer in serializers {
        let key = serializer.store(&store, "u/table/p", &sample()).unwrap();
        assert!(key.ends_with(serializer.file_suffix()));
        assert_eq!(
            serializer_for_key(&key).unwrap().file_suffix(),
            serializer.file_suffix()
        );
        let options = ReadOptions::default().predicates(Predicates::parse("x != 2").unwrap());
        let read = restore(&store, &key, &options).unwrap();
        let expected = RecordBatch::try_new(
            sample().schema(),
            vec![Arc::new(Int64Array::from(vec![1, 3])) as ArrayRef],
        )
        .unwrap();
        assert_eq!(read, expected, "{serializer:?}");
    }
}

#[test]
fn unknown_suffix_is_unsupported() {
    let store = Store::memory();
    store.put("u/table/p.feather", sample_bytes()).unwrap();
    match restore(&store, "u/table/p.feather", &ReadOptions::default()).unwrap_err() {
        Error::Unsupported(message) => assert!(message.contains("u/table/p.feather"), "{message}"),
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn missing_key_is_not_found() {
    let store = Store::memory();
    for key in ["a.parquet", "a.csv", "a.csv.gz"] {
        for options in [
            ReadOptions::default(),
            ReadOptions::default().columns(["x"]),
        ] {
            assert!(matches!(
                restore(&store, key, &options).unwrap_err(),
                Error::NotFound { key: k } if k == key
            ));
        }
    }
}

fn sample_bytes() -> bytes::Bytes {
    ParquetSerializer::default().serialize(&sample()).unwrap()
}
