//! Inverted indices of a plateau dataset: for one column, each distinct non-null value maps to
//! the labels of the partitions that contain it.
//!
//! An [`Index`] is either a partition index ([`IndexKind::Partition`], derived from the
//! partition keys of the labels, never persisted) or a secondary index
//! ([`IndexKind::Secondary`], built from the data with [`Index::from_array`] and persisted as
//! a Parquet file in plateau's index file format, [`Index::to_parquet`] /
//! [`Index::from_parquet`], shared with Python plateau in both directions).
//!
//! Keys stay columnar: a sorted, distinct Arrow array of the normalized column type
//! ([`normalize_index_type`]); the labels of each key are integer ids into a per-index label
//! dictionary (CSR layout), and lookups return [`LabelSet`] bitsets. Operators are evaluated on
//! the keys with the same evaluator that filters rows
//! ([`plateau_serialization::filter::evaluate_literal`]), so type checks and comparison rules
//! cannot drift apart. An index holds no nulls: see [`literal_can_match_null`] for the literals
//! a planner must not prune through a secondary index.
//!
//! ```
//! use arrow::array::Int32Array;
//! use plateau_core::{Op, Scalar, Store, Value};
//! use plateau_index::{Index, IndexKind};
//! use plateau_serialization::filter::EvalOptions;
//!
//! // One index per written partition, merged into the dataset's index.
//! let part_1 = Index::from_array("x", &Int32Array::from(vec![Some(1), None, Some(3)]), "p1")?;
//! let part_2 = Index::from_array("x", &Int32Array::from(vec![3, 4]), "p2")?;
//! let index = Index::merge_all([part_1, part_2])?.expect("two inputs");
//! assert_eq!(index.data_type(), &arrow::datatypes::DataType::Int64);
//! assert_eq!(index.query(&Scalar::from("3"))?, ["p1", "p2"]); // lenient, like plateau
//!
//! let options = EvalOptions::default().strict_date_types(true);
//! let matching = index.eval_labels(Op::Ge, &Value::from(4), &options)?;
//! assert_eq!(matching, ["p2"]);
//!
//! // Persist in plateau's format and load it back.
//! let store = Store::memory();
//! let stored = index.store(&store, "uuid", "2024-01-01T00:00:00.000000")?;
//! let key = stored.storage_key().expect("stored");
//! assert_eq!(key, "uuid/indices/x/2024-01-01T00%3A00%3A00.000000.by-dataset-index.parquet");
//! assert_eq!(Index::load(&store, "x", key)?, index);
//!
//! // Partition indices come from (value, labels) entries.
//! let by_key = Index::from_entries(
//!     "p",
//!     IndexKind::Partition,
//!     &arrow::datatypes::DataType::Utf8,
//!     [(Scalar::from("a"), vec!["p=a/f1", "p=a/f2"])],
//! )?;
//! assert_eq!(by_key.query(&Scalar::from("a"))?, ["p=a/f1", "p=a/f2"]);
//! # Ok::<(), plateau_core::Error>(())
//! ```

mod assemble;
mod build;
mod eval;
mod flat;
mod hash;
mod index;
mod key_list;
mod keys;
mod label_set;
mod lookup;
mod mutate;
mod persist;
mod types;

pub use eval::literal_can_match_null;
pub use index::{Index, IndexKind};
pub use key_list::KeyList;
pub use label_set::LabelSet;
pub use persist::ROW_GROUP_SIZE;
pub use types::{normalize_index_type, PARTITION_COLUMN};
