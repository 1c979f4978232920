//! Choosing the serializer by a key's suffix (plateau's
//! `DataFrameSerializer.restore_dataframe`): `.parquet` ([`ParquetSerializer`]), `.csv.gz`
//! or `.csv` ([`CsvSerializer`]).

use arrow::array::RecordBatch;
use plateau_core::{Error, Result, Store};

use crate::csv::CsvSerializer;
use crate::parquet::ParquetSerializer;
use crate::serializer::{ReadOptions, Serializer};

/// Reads the file at `key` with the serializer its suffix names: `.parquet`
/// ([`ParquetSerializer`]), `.csv.gz` or `.csv` ([`CsvSerializer`]). Any other suffix is
/// [`Error::Unsupported`].
pub fn restore(store: &Store, key: &str, options: &ReadOptions) -> Result<RecordBatch> {
    serializer_for_key(key)?.restore(store, key, options)
}

/// The serializer that reads files with the suffix of `key`.
pub fn serializer_for_key(key: &str) -> Result<Box<dyn Serializer>> {
    // Same order as plateau's registry: `.csv.gz` before `.csv`.
    if key.ends_with(".parquet") {
        Ok(Box::new(ParquetSerializer::default()))
    } else if key.ends_with(".csv.gz") {
        Ok(Box::new(CsvSerializer::default()))
    } else if key.ends_with(".csv") {
        Ok(Box::new(CsvSerializer::new(false)))
    } else {
        Err(Error::unsupported(format!(
            "the file format of `{key}` is not supported (expected .parquet, .csv.gz or .csv)"
        )))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn suffix_dispatch() {
        assert_eq!(
            serializer_for_key("a/b.parquet").unwrap().file_suffix(),
            ".parquet"
        );
        assert_eq!(
            serializer_for_key("a/b.csv.gz").unwrap().file_suffix(),
            ".csv.gz"
        );
        assert_eq!(serializer_for_key("a/b.csv").unwrap().file_suffix(), ".csv");
        let err = serializer_for_key("a/b.json").unwrap_err();
        assert!(
            matches!(err, Error::Unsupported(ref m) if m.contains("a/b.json")),
            "{err}"
        );
    }
}
