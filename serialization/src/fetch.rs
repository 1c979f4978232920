//! Reading a stored file in two halves: [`fetch`] (async I/O, no decoding) and
//! [`FetchedFile::decode`] (CPU only, no I/O).
//!
//! The split is what lets a scan keep many files' requests in flight on an async runtime
//! while decoding runs elsewhere (a blocking pool, rayon, the caller's thread). A Parquet
//! fetch costs one suffix `GET` (footer and file size, no `HEAD`) and one coalesced ranged
//! `GET` of the projected column chunks of the row groups that statistics cannot rule out;
//! a read of every column without predicates, a small file and a CSV file are one `GET`.
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Int64Array, RecordBatch};
//! use plateau_core::{Predicates, Store};
//! use plateau_serialization::{fetch, ParquetSerializer, ReadOptions, Serializer};
//!
//! let batch = RecordBatch::try_from_iter([(
//!     "x",
//!     Arc::new(Int64Array::from(vec![1, 2, 3])) as _,
//! )])
//! .unwrap();
//! let store = Store::memory();
//! let key = ParquetSerializer::default().store(&store, "u/table/part", &batch).unwrap();
//! let options = ReadOptions::default().predicates(Predicates::parse("x >= 2").unwrap());
//!
//! let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
//! let fetched = runtime.block_on(fetch::fetch(&store, &key, &options)).unwrap();
//! assert_eq!(fetched.decode(&options).unwrap().num_rows(), 2);
//! ```

use arrow::array::RecordBatch;
use plateau_core::{Result, Store};

use crate::format::serializer_for_key;
use crate::parquet::{self, ParquetBytes};
use crate::serializer::ReadOptions;

/// The bytes of one stored file that a read needs, not decoded yet.
#[derive(Debug)]
pub struct FetchedFile {
    key: String,
    contents: Contents,
}

#[derive(Debug)]
enum Contents {
    Parquet(ParquetBytes),
    /// A format read whole (CSV).
    Whole(bytes::Bytes),
}

impl FetchedFile {
    /// The key the file was fetched from.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Decodes the file with `options`, which must be the options it was fetched with (other
    /// options may need bytes that were not fetched; that is an error, never a wrong result).
    ///
    /// # Errors
    /// The errors of [`crate::restore`]: [`plateau_core::Error::ColumnNotFound`], predicate
    /// type errors, [`plateau_core::Error::Corrupt`] for a damaged file.
    pub fn decode(self, options: &ReadOptions) -> Result<RecordBatch> {
        match self.contents {
            Contents::Parquet(bytes) => parquet::decode(bytes, &self.key, options),
            Contents::Whole(bytes) => {
                serializer_for_key(&self.key)?.deserialize(bytes, &self.key, options)
            }
        }
    }
}

/// Fetches what a read of the file at `key` with `options` needs (the serializer is chosen
/// by the key's suffix, as in [`crate::restore`]).
///
/// # Errors
/// [`plateau_core::Error::NotFound`] and the store's errors; [`plateau_core::Error::Corrupt`]
/// for a damaged footer; [`plateau_core::Error::Unsupported`] for an unknown suffix.
pub async fn fetch(store: &Store, key: &str, options: &ReadOptions) -> Result<FetchedFile> {
    let contents = if key.ends_with(".parquet") {
        Contents::Parquet(parquet::fetch(store, key, options).await?)
    } else {
        // Checks the suffix before any I/O.
        serializer_for_key(key)?;
        Contents::Whole(store.get_versioned_async(key).await?.0)
    };
    Ok(FetchedFile {
        key: key.to_owned(),
        contents,
    })
}
