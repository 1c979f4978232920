//! Inverted indices of a plateau dataset: `PartitionIndex` (derived from partition keys) and
//! `SecondaryIndex` (persisted as Parquet), with typed keys and operator evaluation.
//!
//! This layer is filled by the metadata-and-index milestone; the crate exists now so the
//! workspace layering (core → serialization → index → metadata → io → front ends) is fixed.
