//! Benchmarks of plateau: criterion benches and the end-to-end harness.
