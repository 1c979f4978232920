//! Test support for plateau: deterministic data, temporary stores, a fault-injecting store
//! and the backend-independent suites every front end runs (DESIGN.md §8).
//!
//! * [`Driver`]: the operations the suites need; each front end (eager, iter, parallel)
//!   implements it once.
//! * [`suites`]: plateau's shared Python suites (read, write, update, delete, gc, index), the
//!   commit flow, query planning and crash safety, as `pub fn test_x(driver, kind)`.
//! * [`suite_tests!`]: one `#[test]` per suite function and store kind, for a front end's
//!   integration tests.
//! * [`data`] and [`fixtures`]: the frames and datasets of plateau's test fixtures.
//! * [`stores`]: fresh memory and local-directory stores, and [`FaultStore`], which fails or
//!   "crashes" at the N-th mutating store operation.
//! * [`compare`]: comparing batches like `pandas.testing.assert_frame_equal` with
//!   `check_dtype=False`; [`canonical`]: the byte-comparable row dump shared with the Python
//!   reference kit.
//!
//! ```text
//! // tests/suites.rs of a front end
//! struct MyDriver;
//! impl plateau_testing::Driver for MyDriver { /* ... */ }
//! plateau_testing::suite_tests!(crate::MyDriver);
//! ```
//!
//! This crate is test support: a failed expectation panics, so `unwrap` is the norm here.
#![allow(clippy::unwrap_used)]

pub mod canonical;
pub mod compare;
pub mod counting;
pub mod data;
pub mod driver;
pub mod fixtures;
pub mod stores;
pub mod suites;

pub use counting::{CountingStore, RequestCounts, Tally};
pub use driver::Driver;
pub use stores::{Fault, FaultStore, StoreKind, TempStore};

/// Generates one `#[test]` per suite function and store kind: modules
/// `<suite>::memory::<test>` and `<suite>::local::<test>`, each calling
/// `plateau_testing::suites::<suite>::<test>(&DRIVER, kind)`.
///
/// `suite_tests!(servers DRIVER)` generates the same for the protocol servers, as
/// `servers::<suite>::{s3,azure}::<test>`, marked `#[ignore]`: they need the servers of
/// `tools/servers/start.sh` and its environment, and run with `cargo test -- --ignored`.
///
/// The argument is an expression that builds the driver; use absolute paths
/// (`crate::EagerDriver`), because it is evaluated inside the generated modules.
#[macro_export]
macro_rules! suite_tests {
    ($driver:expr) => {
        $crate::suite_tests!(@lists $driver, local_kinds);
    };
    (servers $driver:expr) => {
        mod servers {
            $crate::suite_tests!(@lists $driver, server_kinds);
        }
    };
    (@lists $driver:expr, $kinds:ident) => {
        $crate::suite_tests!(@$kinds $driver, read, [
                test_store_input_types,
                test_read_dataset_as_dataframes_predicate,
                test_read_dataset_as_dataframes_predicate_with_partition_keys,
                test_read_dataset_as_dataframes_predicate_empty,
                test_read_dataset_as_dataframes_dispatch_by_empty,
                test_read_dataset_as_dataframes_dispatch_by_single_col,
                test_read_dataset_as_dataframes_dispatch_by_multi_col,
                test_read_dispatch_by_with_predicates,
                test_read_dataset_as_dataframes,
                test_read_dataset_as_dataframes_columns_projection,
                test_read_dataset_as_dataframes_columns_primary_index_only,
                test_empty_predicate_pushdown_empty_col_projection,
                test_datetime_predicate_with_dates_as_object,
                test_string_roundtrip,
                test_non_default_table_name_roundtrip,
            ]);
        $crate::suite_tests!(@$kinds $driver, write, [
                test_file_structure_dataset_v4,
                test_file_structure_dataset_v4_partition_on,
                test_store_dataframes_as_dataset,
                test_store_dataframes_as_dataset_empty_dataframe,
                test_store_dataframes_as_dataset_batch_mode,
                test_store_dataframes_as_dataset_mp_partition_on_none,
                test_store_dataframes_partition_on,
                test_schema_check_write,
                test_metadata_consistency_errors_fails,
                test_store_dataframes_as_dataset_overwrite,
                test_secondary_index_on_partition_column,
                test_non_default_table_name_roundtrip,
            ]);
        $crate::suite_tests!(@$kinds $driver, update, [
                test_update_dataset_with_partitions,
                test_update_dataset_with_partitions_reducer_partitions,
                test_update_dataset_with_partitions_reducer_nonexistent,
                test_schema_check_update,
                test_sort_partitions_by,
                test_raises_on_invalid_input,
                test_update_secondary_indices_subset,
                test_update_first_time_with_secondary_indices,
                test_partition_on_null,
                test_update_infers_partition_on,
                test_update_raises_incompatible_partition_keys,
                test_update_raises_incompatible_indices,
                test_update_of_dataset_with_non_default_table_name,
                test_update_after_empty_partition_string_dtypes,
                test_update_after_empty_partition_string_dtypes_categoricals,
            ]);
        $crate::suite_tests!(@$kinds $driver, delete, [
                test_delete_dataset,
                test_delete_single_dataset,
                test_delete_only_dataset,
                test_delete_missing_dataset,
                test_delete_dataset_unreferenced_files,
                test_delete_msgpack_dataset,
                test_delete_dataset_without_partitions,
            ]);
        $crate::suite_tests!(@$kinds $driver, gc, [
                test_garbage_collect_idempotent,
                test_gc_tables,
                test_gc_without_secondary_indices,
                test_gc_without_partitions,
            ]);
        $crate::suite_tests!(@$kinds $driver, index, [
                test_build_indices,
                test_create_index_from_inexistent_column_fails,
                test_add_column_to_existing_index,
                test_indices_uints,
                test_empty_partitions,
                test_build_index_on_partition_column_fails,
            ]);
        $crate::suite_tests!(@$kinds $driver, commit, [
                test_commit_dataset_from_metapartition,
                test_commit_dataset_from_nested_metapartition,
                test_initial_commit,
                test_commit_dataset_only_delete,
                test_commit_dataset_delete_all,
                test_commit_dataset_add_metadata,
                test_commit_dataset_raises_no_input,
            ]);
        $crate::suite_tests!(@$kinds $driver, planning, [
                test_dispatch_metapartitions,
                test_dispatch_metapartition_undefined_behaviour,
                test_dispatch_metapartitions_query_partition_on,
                test_dispatch_metapartitions_query_no_effect,
                test_dispatch_metapartitions_concat_regression,
                test_dispatch_metapartitions_dups_with_predicates,
                test_dispatch_metapartitions_dups_with_predicates_dispatch_by,
                test_dispatch_metapartitions_sorted_dispatch_by,
                test_dispatch_metapartitions_complex_or_predicates,
            ]);
        $crate::suite_tests!(@$kinds $driver, crash, [
                test_store_is_atomic,
                test_update_is_atomic,
                test_delete_is_atomic,
                test_commit_is_atomic,
                test_build_indices_is_atomic,
                test_gc_is_safe,
            ]);
    };
    (@server_kinds $driver:expr, $suite:ident, [$($test:ident),* $(,)?]) => {
        mod $suite {
            mod s3 {
                $(
                    #[test]
                    #[ignore = "needs an S3 server: tools/servers/start.sh, then --ignored"]
                    fn $test() {
                        $crate::suites::$suite::$test(&$driver, $crate::StoreKind::S3);
                    }
                )*
            }
            mod azure {
                $(
                    #[test]
                    #[ignore = "needs an Azure Blob server: tools/servers/start.sh, then --ignored"]
                    fn $test() {
                        $crate::suites::$suite::$test(&$driver, $crate::StoreKind::Azure);
                    }
                )*
            }
        }
    };
    (@local_kinds $driver:expr, $suite:ident, [$($test:ident),* $(,)?]) => {
        mod $suite {
            mod memory {
                $(
                    #[test]
                    fn $test() {
                        $crate::suites::$suite::$test(&$driver, $crate::StoreKind::Memory);
                    }
                )*
            }
            mod local {
                $(
                    #[test]
                    fn $test() {
                        $crate::suites::$suite::$test(&$driver, $crate::StoreKind::Local);
                    }
                )*
            }
        }
    };
}
