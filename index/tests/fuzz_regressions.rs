//! Inputs the `index_parquet` fuzz target found (fuzz/regressions/index_parquet/): corrupt
//! index files are errors, never panics.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use plateau_core::Error;
use plateau_index::Index;

#[test]
fn corrupt_index_files_are_errors() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fuzz/regressions/index_parquet"
    );
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = Bytes::from(std::fs::read(&path).unwrap());
        for column in ["x", "L", "p"] {
            let result = Index::from_parquet(column, bytes.clone(), "k");
            if let Err(e) = &result {
                assert!(
                    matches!(e, Error::Corrupt { .. }),
                    "{}: {e:?}",
                    path.display()
                );
            }
        }
        seen += 1;
    }
    assert!(seen >= 2, "regression inputs missing in {dir}");
}
