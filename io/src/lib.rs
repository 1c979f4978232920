//! Building blocks shared by every plateau front end: read dispatch, `partition_on` split,
//! write, commit, update with delete scope, delete, garbage collection and index build.
//!
//! This layer is filled by the dataset-lifecycle milestone.
