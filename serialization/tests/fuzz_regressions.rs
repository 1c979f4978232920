//! Parquet files with corrupt footers (found by the fuzz targets, fuzz/regressions/): reading
//! them as data files is an error, never a panic of the parquet reader.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use plateau_core::{Error, Store};
use plateau_serialization::{ParquetSerializer, ReadOptions, Serializer};

#[test]
fn corrupt_footers_are_errors() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/regressions/index_parquet");
    let store = Store::memory();
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = Bytes::from(std::fs::read(&path).unwrap());
        let key = "u/table/x.parquet";
        store.put(key, bytes.clone()).unwrap();
        let all = ReadOptions::new();
        let some = ReadOptions::new().with_columns(["x".to_owned()]);
        for result in [
            ParquetSerializer::default().deserialize(bytes.clone(), key, &all),
            ParquetSerializer::default().restore(&store, key, &all),
            ParquetSerializer::default().restore(&store, key, &some),
        ] {
            let err = result.unwrap_err();
            assert!(
                matches!(err, Error::Corrupt { .. } | Error::ColumnNotFound { .. }),
                "{}: {err:?}",
                path.display()
            );
        }
        seen += 1;
    }
    assert!(seen >= 2);
}
