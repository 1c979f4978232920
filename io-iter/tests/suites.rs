#![allow(clippy::unwrap_used)]
//! The shared suites of plateau-testing, run through the streaming API: one `#[test]` per
//! suite function and store kind (`<suite>::memory::<test>`, `<suite>::local::<test>`).

mod common;

pub use common::IterDriver;

plateau_testing::suite_tests!(crate::IterDriver);
