//! Parquet files the fuzz targets found (fuzz/regressions/): corrupt footers and corrupt pages
//! on which the parquet reader panicked. Reading them as data files gives an answer or an
//! error, never a panic.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use plateau_core::{Error, Store};
use plateau_serialization::{ParquetSerializer, ReadOptions, Serializer};

/// Reads every file of `fuzz/regressions/<target>/` every way a data file is read; returns
/// how many reads failed (all with a typed error) and how many files there were.
fn read_all(target: &str) -> (usize, usize) {
    let dir = format!(
        "{}/../fuzz/regressions/{target}",
        env!("CARGO_MANIFEST_DIR")
    );
    let store = Store::memory();
    let (mut failed, mut files) = (0, 0);
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = Bytes::from(std::fs::read(&path).unwrap());
        let key = "u/table/x.parquet";
        store.put(key, bytes.clone()).unwrap();
        let all = ReadOptions::new();
        let some = ReadOptions::new().columns(["x".to_owned()]);
        for result in [
            ParquetSerializer::default().deserialize(bytes.clone(), key, &all),
            ParquetSerializer::default().restore(&store, key, &all),
            ParquetSerializer::default().restore(&store, key, &some),
        ] {
            if let Err(err) = result {
                assert!(
                    matches!(err, Error::Corrupt { .. } | Error::ColumnNotFound { .. }),
                    "{}: {err:?}",
                    path.display()
                );
                failed += 1;
            }
        }
        files += 1;
    }
    (failed, files)
}

#[test]
fn corrupt_footers_are_errors() {
    let (failed, files) = read_all("index_parquet");
    assert!(files >= 2);
    assert!(failed >= 2 * 3, "only {failed} reads failed");
}

#[test]
fn corrupt_pages_are_errors() {
    let (failed, files) = read_all("data_file_read");
    assert!(files >= 6);
    // Every one of these made the parquet reader panic on a full read.
    assert!(
        failed >= files,
        "only {failed} of {files} full reads failed"
    );
}

#[test]
fn corrupt_page_error_names_the_file() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fuzz/regressions/data_file_read"
    );
    let bytes = Bytes::from(std::fs::read(format!("{dir}/rle_vlq_too_long")).unwrap());
    let err = ParquetSerializer::default()
        .deserialize(bytes, "u/table/broken.parquet", &ReadOptions::new())
        .unwrap_err();
    assert!(
        matches!(&err, Error::Corrupt { key, .. } if key == "u/table/broken.parquet"),
        "{err:?}"
    );
}
