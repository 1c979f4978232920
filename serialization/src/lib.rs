//! `RecordBatch` ⇄ bytes for plateau, and the one predicate evaluator over Arrow arrays.
//!
//! * [`filter`]: evaluates [`plateau_core::Predicates`] on Arrow arrays and batches with
//!   plateau's semantics (all nine operators, null rules, type checks). Everything in plateau
//!   that filters rows or index keys goes through it.
//! * [`serializer`]: the [`Serializer`] trait and [`ReadOptions`]; [`format`]: [`restore`],
//!   which picks the serializer from a key's suffix.
//! * [`fetch`]: a read in two halves, async I/O then CPU-only decoding.
//! * [`parquet`]: [`ParquetSerializer`], with projection, row-group and page pruning from
//!   statistics ([`pruning`]) and exact row filtering, by the reader before it decodes the
//!   other columns where that pays.
//! * [`csv`]: [`CsvSerializer`], plateau's `;`-separated, optionally gzipped CSV.
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Int64Array, RecordBatch};
//! use plateau_core::{Predicates, Store};
//! use plateau_serialization::{ParquetSerializer, ReadOptions, Serializer};
//!
//! let batch = RecordBatch::try_from_iter([(
//!     "x",
//!     Arc::new(Int64Array::from(vec![1, 2, 3])) as _,
//! )])
//! .unwrap();
//! let store = Store::memory();
//! let key = ParquetSerializer::default().store(&store, "u/table/part", &batch).unwrap();
//! assert_eq!(key, "u/table/part.parquet");
//!
//! let options = ReadOptions::default().predicates(Predicates::parse("x >= 2").unwrap());
//! let read = plateau_serialization::restore(&store, &key, &options).unwrap();
//! assert_eq!(read.num_rows(), 2);
//! ```

pub mod csv;
pub mod fetch;
pub mod filter;
pub mod format;
mod page_index;
pub mod parquet;
pub mod pruning;
pub mod serializer;

pub use crate::csv::CsvSerializer;
pub use crate::format::restore;
pub use crate::parquet::ParquetSerializer;
pub use crate::serializer::{ReadOptions, Serializer};
