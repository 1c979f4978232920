//! Dataset metadata of plateau: the metadata file (JSON and msgpack+zstd), `_common_metadata`,
//! schema normalisation and compatibility, index loading and query planning.
//!
//! This layer is filled by the metadata-and-index milestone; the crate exists now so the
//! workspace layering is fixed.
