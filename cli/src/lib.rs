//! The library half of the `plateau` command-line tool: input readers that other code (the
//! fuzz targets, or a pipeline that takes the same files as the CLI) can call. The commands
//! themselves live in the `plateau` binary.
//!
//! ```
//! use plateau_cli::jsonl::read_jsonl;
//!
//! let batch = read_jsonl("{\"a\": 1, \"b\": \"x\"}\n{\"a\": 2.5}\n".as_bytes())?;
//! assert_eq!(batch.num_rows(), 2);
//! assert_eq!(batch.schema().field(0).data_type(), &arrow::datatypes::DataType::Float64);
//! # Ok::<(), plateau_core::Error>(())
//! ```

pub mod jsonl;
