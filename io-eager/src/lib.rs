//! One-call blocking API mirroring `plateau.io.eager`.
//!
//! Filled by the dataset-lifecycle milestone.
