//! Test support for plateau: data generators, temporary stores, a fault-injecting store and the
//! backend-independent suites every front end runs.
//!
//! Filled by the dataset-lifecycle milestone.
