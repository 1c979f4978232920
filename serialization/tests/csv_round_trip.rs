//! `CsvSerializer`: plateau's `;`-separated, optionally gzipped CSV.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::io::Write;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, DictionaryArray, Float64Array, Int64Array,
    RecordBatch, StringArray,
};
use arrow::datatypes::{DataType, Field, Int32Type, Int64Type, Schema};
use bytes::Bytes;
use plateau_core::{Error, Predicates, Store};
use plateau_serialization::{restore, CsvSerializer, ReadOptions, Serializer};

fn sample() -> RecordBatch {
    RecordBatch::try_from_iter_with_nullable([
        (
            "i",
            Arc::new(Int64Array::from(vec![Some(1), None, Some(3)])) as ArrayRef,
            true,
        ),
        (
            "f",
            Arc::new(Float64Array::from(vec![Some(0.5), Some(-2.25), None])),
            true,
        ),
        (
            "s",
            Arc::new(StringArray::from(vec![Some("a;b"), Some("x\"y"), None])),
            true,
        ),
        (
            "b",
            Arc::new(BooleanArray::from(vec![Some(true), Some(false), None])),
            true,
        ),
        (
            "d",
            Arc::new(Date32Array::from(vec![Some(18262), None, Some(0)])),
            true,
        ),
    ])
    .unwrap()
}

fn gunzip(bytes: &[u8]) -> String {
    let mut out = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(bytes), &mut out).unwrap();
    out
}

#[test]
fn writes_plateau_csv() {
    let plain = CsvSerializer::new(false).serialize(&sample()).unwrap();
    let text = std::str::from_utf8(&plain).unwrap();
    assert!(
        text.starts_with("i;f;s;b;d\n1;0.5;\"a;b\";true;2020-01-01\n"),
        "{text}"
    );
    let gz = CsvSerializer::default().serialize(&sample()).unwrap();
    assert_eq!(&gz[..2], &[0x1f, 0x8b]);
    assert_eq!(gunzip(&gz), text);
}

#[test]
fn store_uses_the_suffix_and_restore_dispatches() {
    let store = Store::memory();
    for (serializer, suffix) in [
        (CsvSerializer::default(), ".csv.gz"),
        (CsvSerializer::new(false), ".csv"),
    ] {
        let key = serializer.store(&store, "u/table/part", &sample()).unwrap();
        assert_eq!(key, format!("u/table/part{suffix}"));
        let options = ReadOptions::default().schema(sample().schema());
        assert_eq!(restore(&store, &key, &options).unwrap(), sample());
        assert_eq!(
            serializer.restore(&store, &key, &options).unwrap(),
            sample()
        );
    }
}

#[test]
fn inferred_types_round_trip() {
    let bytes = CsvSerializer::default().serialize(&sample()).unwrap();
    let read = CsvSerializer::default()
        .deserialize(bytes, "x.csv.gz", &ReadOptions::default())
        .unwrap();
    let types: Vec<DataType> = read
        .schema()
        .fields()
        .iter()
        .map(|f| f.data_type().clone())
        .collect();
    assert_eq!(
        types,
        [
            DataType::Int64,
            DataType::Float64,
            DataType::Utf8,
            DataType::Boolean,
            DataType::Date32
        ]
    );
    assert_eq!(read, sample());
}

#[test]
fn reads_pandas_output() {
    // What plateau's CsvSerializer (`df.to_csv(sep=";", index=False)`) writes.
    let text = "A;B;C;D\n1;x;True;1.5\n2;;False;\n3;z;True;nan\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).unwrap();
    let gz = Bytes::from(gz.finish().unwrap());
    let options = ReadOptions::default().predicates(Predicates::parse("A >= 2").unwrap());
    let read = CsvSerializer::default()
        .deserialize(gz, "p.csv.gz", &options)
        .unwrap();
    assert_eq!(read.num_rows(), 2);
    assert_eq!(read.column(0).as_primitive::<Int64Type>().values(), &[2, 3]);
    assert!(!read.column(2).as_boolean().value(0));
    assert!(read.column(1).is_null(0));
    assert!(read.column(3).is_null(0));
    // NaN is a float for arrow-csv; the evaluator treats it as null.
    let options = ReadOptions::default().predicates(Predicates::parse("D == null").unwrap());
    let plain = Bytes::from(text);
    let read = CsvSerializer::new(false)
        .deserialize(plain, "p.csv", &options)
        .unwrap();
    assert_eq!(read.num_rows(), 2);
}

#[test]
fn projection_predicates_and_categoricals() {
    let bytes = CsvSerializer::default().serialize(&sample()).unwrap();
    let options = ReadOptions::default()
        .schema(sample().schema())
        .columns(["s", "i"])
        .categoricals(["s"])
        .predicates(Predicates::parse("f < 1.0 and d != date '2020-01-01'").unwrap());
    let read = CsvSerializer::default()
        .deserialize(bytes.clone(), "x.csv.gz", &options)
        .unwrap();
    assert_eq!(read.num_rows(), 1);
    let fields: Vec<String> = read
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(fields, ["s", "i"]);
    let s: &DictionaryArray<Int32Type> = read.column(0).as_dictionary();
    assert_eq!(s.values().as_string::<i32>().value(0), "x\"y");
    assert!(read.column(1).is_null(0));

    let options = ReadOptions::default()
        .columns(Vec::<String>::new())
        .predicates(Predicates::parse("i in (1, 3)").unwrap());
    let read = CsvSerializer::default()
        .deserialize(bytes.clone(), "x.csv.gz", &options)
        .unwrap();
    assert_eq!((read.num_columns(), read.num_rows()), (0, 2));

    let options = ReadOptions::default()
        .columns(["nope"])
        .predicates(Predicates::parse("zz == 1").unwrap());
    match CsvSerializer::default()
        .deserialize(bytes.clone(), "x.csv.gz", &options)
        .unwrap_err()
    {
        Error::ColumnNotFound { columns } => assert_eq!(columns, ["nope", "zz"]),
        other => panic!("unexpected {other}"),
    }
    let options = ReadOptions::default().predicates(Predicates::parse("i == 'x'").unwrap());
    assert!(matches!(
        CsvSerializer::default()
            .deserialize(bytes, "x.csv.gz", &options)
            .unwrap_err(),
        Error::PredicateType { .. }
    ));
}

#[test]
fn dictionary_columns_are_written_as_values() {
    let dict: DictionaryArray<Int32Type> = vec!["p", "q", "p"].into_iter().collect();
    let data = RecordBatch::try_from_iter([("c", Arc::new(dict) as ArrayRef)]).unwrap();
    let bytes = CsvSerializer::new(false).serialize(&data).unwrap();
    assert_eq!(std::str::from_utf8(&bytes).unwrap(), "c\np\nq\np\n");
}

#[test]
fn empty_files() {
    let gz_empty = {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        Bytes::from(gz.finish().unwrap())
    };
    for bytes in [Bytes::new(), Bytes::from_static(b"\n"), gz_empty] {
        let read = CsvSerializer::default()
            .deserialize(bytes.clone(), "e.csv.gz", &ReadOptions::default())
            .unwrap();
        assert_eq!((read.num_columns(), read.num_rows()), (0, 0));
        // With a schema, the empty batch has it (projected).
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int64, true),
            Field::new("b", DataType::Utf8, true),
        ]));
        let options = ReadOptions::default()
            .schema(schema)
            .columns(["b"])
            .predicates(Predicates::parse("a > 1").unwrap());
        let read = CsvSerializer::default()
            .deserialize(bytes.clone(), "e.csv.gz", &options)
            .unwrap();
        assert_eq!(read.num_rows(), 0);
        assert_eq!(read.schema().field(0).name(), "b");
        let missing = ReadOptions::default().columns(["a"]);
        assert!(matches!(
            CsvSerializer::default()
                .deserialize(bytes, "e.csv.gz", &missing)
                .unwrap_err(),
            Error::ColumnNotFound { .. }
        ));
    }
    // A header without rows.
    let read = CsvSerializer::default()
        .deserialize(
            Bytes::from_static(b"a;b\n"),
            "h.csv",
            &ReadOptions::default(),
        )
        .unwrap();
    assert_eq!((read.num_columns(), read.num_rows()), (2, 0));
}

#[test]
fn corrupt_gzip_is_an_error() {
    let err = CsvSerializer::default()
        .deserialize(
            Bytes::from_static(&[0x1f, 0x8b, 1, 2, 3]),
            "bad.csv.gz",
            &ReadOptions::default(),
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::Corrupt { ref key, .. } if key == "bad.csv.gz"),
        "{err}"
    );
}

#[test]
fn many_rows_round_trip() {
    let n = 200_000i64;
    let data = RecordBatch::try_from_iter_with_nullable([
        (
            "i",
            Arc::new(Int64Array::from_iter_values(0..n)) as ArrayRef,
            true,
        ),
        (
            "s",
            Arc::new(StringArray::from_iter_values(
                (0..n).map(|i| format!("v{}", i % 7)),
            )),
            true,
        ),
    ])
    .unwrap();
    let bytes = CsvSerializer::default().serialize(&data).unwrap();
    let read = CsvSerializer::default()
        .deserialize(bytes.clone(), "m.csv.gz", &ReadOptions::default())
        .unwrap();
    assert_eq!(read, data);
    let options =
        ReadOptions::default().predicates(Predicates::parse("s == 'v3' and i < 100").unwrap());
    let read = CsvSerializer::default()
        .deserialize(bytes, "m.csv.gz", &options)
        .unwrap();
    assert_eq!(read.num_rows(), 14);
}
