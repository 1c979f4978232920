//! Benchmarks of plateau: criterion benches and the end-to-end harnesses.
//!
//! [`data`] holds the end-to-end table both `e2e` and `latency` generate; [`baseline`] reads
//! Parquet files with arrow-rs alone, the floor of `e2e` and `peers`.
//!
//! ```
//! let batches = plateau_benches::data::make_batches(1_000, 10, 2).unwrap();
//! assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 1_000);
//! ```

pub mod baseline;
pub mod data;
