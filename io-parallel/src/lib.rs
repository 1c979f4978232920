//! rayon fan-out over partitions, the role Dask plays for Python plateau.
//!
//! Filled by the streaming-and-parallel milestone.
