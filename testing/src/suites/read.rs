//! plateau's `plateau/io/testing/read.py`.
//!
//! Not ported:
//! * `test_store_input_types`' store kinds (URL / KeyValueStore / unpicklable callable) are
//!   Python infrastructure (PY); its semantics (predicates on a partition and a secondary
//!   index column of the not-nested frame) are [`test_store_input_types`].
//! * `dates_as_object` (PD): dates are always `Date32` here; the date predicates of
//!   `test_datetime_predicate_with_dates_as_object` are ported.
//! * `test_binary_column_metadata` (PD): Arrow column names are always strings.
//! * `test_string_type_roundtrip` (PD: pandas `string` dtype) is adapted as
//!   [`test_string_roundtrip`].
//! * `test_ordered_categorical_roundtrip` (PD): pandas ordered categoricals have no
//!   counterpart in the reader's options.

use std::collections::BTreeSet;

use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use plateau_core::Store;
use plateau_io::read::ReadOptions;
use plateau_io::write::StoreOptions;

use super::{concat, factory, predicates};
use crate::compare::{assert_frame_equal, assert_frame_equal_like, Table};
use crate::data::{self, batch, dates, datetimes, int64};
use crate::fixtures::{self, DATASET, DATASET_DISPATCH_BY, DATASET_PARTITION_KEYS};
use crate::{Driver, StoreKind};

fn read_dataset(
    driver: &dyn Driver,
    store: &Store,
    uuid: &str,
    options: &ReadOptions,
) -> Vec<RecordBatch> {
    driver
        .read_dataset(&factory(store, uuid), options)
        .unwrap_or_else(|e| panic!("{}: read_dataset failed: {e}", driver.name()))
}

/// The P=2 row of the conftest dataset.
fn p2_row() -> RecordBatch {
    data::cluster_2()
}

/// `test_store_input_types` (semantics): partition on the first column, secondary index on
/// the second, and a predicate on both finds row 0.
pub fn test_store_input_types(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let df = data::not_nested(10);
    driver
        .store(
            temp.store(),
            "dataset_uuid",
            std::slice::from_ref(&df),
            &StoreOptions::default()
                .partition_on(["bool"])
                .secondary_indices(["bytes"]),
        )
        .unwrap();
    let result = read_dataset(
        driver,
        temp.store(),
        "dataset_uuid",
        &ReadOptions::default().predicates(predicates("bool == true and bytes == x'01'")),
    );
    assert_eq!(
        result.len(),
        1,
        "pruned to the one partition with bool == true"
    );
    assert_frame_equal(&result[0], &df.slice(0, 1));
}

const PREDICATES: [&str; 5] = ["P == 2", "P in (2)", "P != 1", "P > 1", "P >= 2"];

/// `test_read_dataset_as_dataframes_predicate`: on the unpartitioned dataset every predicate
/// keeps only the P=2 row.
pub fn test_read_dataset_as_dataframes_predicate(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    fixtures::dataset(driver, temp.store());
    for text in PREDICATES {
        let result = read_dataset(
            driver,
            temp.store(),
            DATASET,
            &ReadOptions::default().predicates(predicates(text)),
        );
        assert_eq!(
            concat(&result).sorted_columns(),
            Table::of(&p2_row()).sorted_columns(),
            "{text}"
        );
    }
}

/// `test_read_dataset_as_dataframes_predicate_with_partition_keys`: partition-key and content
/// predicates, including ORs, keep only the P=2 row.
pub fn test_read_dataset_as_dataframes_predicate_with_partition_keys(
    driver: &dyn Driver,
    kind: StoreKind,
) {
    let temp = kind.fresh();
    fixtures::dataset_partition_keys(driver, temp.store());
    for text in [
        "P == 2 and TARGET == 2",
        "P in (2) and TARGET == 2",
        "P != 1 and L == 2",
        "P != 1 and L in (2)",
        "P > 2 or TARGET >= 2",
        "P >= 2 or TARGET >= 2",
    ] {
        let result = read_dataset(
            driver,
            temp.store(),
            DATASET_PARTITION_KEYS,
            &ReadOptions::default().predicates(predicates(text)),
        );
        assert_eq!(
            concat(&result).sorted_columns(),
            Table::of(&p2_row()).sorted_columns(),
            "{text}"
        );
    }
}

/// `test_read_dataset_as_dataframes_predicate_empty`: a partition-key predicate that matches
/// nothing returns no partitions at all.
pub fn test_read_dataset_as_dataframes_predicate_empty(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    fixtures::dataset_partition_keys(driver, temp.store());
    let result = read_dataset(
        driver,
        temp.store(),
        DATASET_PARTITION_KEYS,
        &ReadOptions::default()
            .predicates(predicates("P == -42"))
            .columns(["P", "L", "TARGET"]),
    );
    assert!(result.is_empty(), "{} batches", result.len());
}

/// `test_read_dataset_as_dataframes_dispatch_by_empty`: `dispatch_by = []` is one group.
pub fn test_read_dataset_as_dataframes_dispatch_by_empty(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    fixtures::dataset_dispatch_by(driver, temp.store());
    let result = read_dataset(
        driver,
        temp.store(),
        DATASET_DISPATCH_BY,
        &ReadOptions::default().dispatch_by(Vec::<String>::new()),
    );
    assert_eq!(result.len(), 1);
    assert_eq!(result[0].num_rows(), 7);
}

/// `test_read_dataset_as_dataframes_dispatch_by_single_col` (A, B: partition keys; C:
/// secondary index): each group holds one value, no value in two groups.
pub fn test_read_dataset_as_dataframes_dispatch_by_single_col(
    driver: &dyn Driver,
    kind: StoreKind,
) {
    let temp = kind.fresh();
    fixtures::dataset_dispatch_by(driver, temp.store());
    for column in ["A", "B", "C"] {
        let result = read_dataset(
            driver,
            temp.store(),
            DATASET_DISPATCH_BY,
            &ReadOptions::default().dispatch_by([column]),
        );
        let mut seen = BTreeSet::new();
        for group in &result {
            let unique: BTreeSet<String> = Table::of(group).column(column).into_iter().collect();
            assert_eq!(unique.len(), 1, "dispatch_by {column}: {unique:?}");
            let value = unique.into_iter().next().unwrap_or_default();
            assert!(
                seen.insert(value.clone()),
                "dispatch_by {column}: {value} twice"
            );
        }
    }
}

/// `test_read_dataset_as_dataframes_dispatch_by_multi_col`: every 2-permutation of A, B, C;
/// one value tuple per group, unique across groups.
pub fn test_read_dataset_as_dataframes_dispatch_by_multi_col(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    fixtures::dataset_dispatch_by(driver, temp.store());
    let columns = ["A", "B", "C"];
    for first in columns {
        for second in columns.iter().copied().filter(|c| *c != first) {
            let result = read_dataset(
                driver,
                temp.store(),
                DATASET_DISPATCH_BY,
                &ReadOptions::default().dispatch_by([first, second]),
            );
            let mut seen = BTreeSet::new();
            for group in &result {
                let table = Table::of(group);
                let tuples: BTreeSet<(String, String)> = table
                    .column(first)
                    .into_iter()
                    .zip(table.column(second))
                    .collect();
                assert_eq!(tuples.len(), 1, "dispatch_by {first}, {second}: {tuples:?}");
                assert!(
                    seen.insert(tuples),
                    "dispatch_by {first}, {second}: repeated tuple"
                );
            }
        }
    }
}

/// `test_read_dispatch_by_with_predicates`: the number of groups after pruning.
pub fn test_read_dispatch_by_with_predicates(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    fixtures::dataset_dispatch_by(driver, temp.store());
    for (dispatch_by, text, expected) in [
        (vec!["A"], "C > 2", 1),
        (vec!["B"], "B == 10", 1),
        (vec!["C"], "C == 1", 1),
        (vec!["A", "C"], "A > 1 and C < 3", 2),
    ] {
        let result = read_dataset(
            driver,
            temp.store(),
            DATASET_DISPATCH_BY,
            &ReadOptions::default()
                .dispatch_by(dispatch_by.clone())
                .predicates(predicates(text)),
        );
        assert_eq!(result.len(), expected, "{dispatch_by:?} / {text}");
    }
}

/// `test_read_dataset_as_dataframes`: the full dataset, through a fresh and through a reused
/// factory, with and without categoricals: two partitions with the expected rows.
pub fn test_read_dataset_as_dataframes(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    fixtures::dataset(driver, temp.store());
    let reused = factory(temp.store(), DATASET);
    for use_categoricals in [false, true] {
        for fresh in [true, false] {
            let options = if use_categoricals {
                ReadOptions::default().categoricals(["P", "L"])
            } else {
                ReadOptions::default()
            };
            let f = if fresh {
                factory(temp.store(), DATASET)
            } else {
                reused.clone()
            };
            let mut result = driver.read_dataset(&f, &options).unwrap();
            assert_eq!(result.len(), 2);
            result.sort_by_key(|b| Table::of(b).column("P"));
            for (batch, expected) in result.iter().zip(data::dataset_frames()) {
                assert_frame_equal_like(batch, &expected);
                if use_categoricals {
                    for column in ["P", "L"] {
                        let field = batch.schema().field_with_name(column).cloned().unwrap();
                        assert!(
                            matches!(field.data_type(), DataType::Dictionary(..)),
                            "{column} should be categorical, is {}",
                            field.data_type()
                        );
                    }
                }
            }
        }
    }
}

fn abcd(c: arrow::array::ArrayRef) -> RecordBatch {
    batch(vec![
        ("a", int64([1, 1])),
        ("b", int64([1, 1])),
        ("c", c),
        ("d", int64([1, 2])),
    ])
}

/// `test_read_dataset_as_dataframes_columns_projection`: partition keys a, b; `columns =
/// [a, b, c]` returns those columns with reconstructed values.
pub fn test_read_dataset_as_dataframes_columns_projection(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    driver
        .store(
            temp.store(),
            "partitioned_uuid",
            &[abcd(int64([100, 100]))],
            &StoreOptions::default().partition_on(["a", "b"]),
        )
        .unwrap();
    let result = read_dataset(
        driver,
        temp.store(),
        "partitioned_uuid",
        &ReadOptions::default().columns(["a", "b", "c"]),
    );
    let expected = batch(vec![
        ("a", int64([1, 1])),
        ("b", int64([1, 1])),
        ("c", int64([100, 100])),
    ]);
    assert_eq!(
        concat(&result).sorted_columns(),
        Table::of(&expected).sorted_columns()
    );
}

/// `test_read_dataset_as_dataframes_columns_primary_index_only`: only partition keys.
pub fn test_read_dataset_as_dataframes_columns_primary_index_only(
    driver: &dyn Driver,
    kind: StoreKind,
) {
    let temp = kind.fresh();
    driver
        .store(
            temp.store(),
            "partitioned_uuid",
            &[abcd(int64([100, 100]))],
            &StoreOptions::default().partition_on(["a", "b"]),
        )
        .unwrap();
    let result = read_dataset(
        driver,
        temp.store(),
        "partitioned_uuid",
        &ReadOptions::default().columns(["a", "b"]),
    );
    let expected = batch(vec![("a", int64([1, 1])), ("b", int64([1, 1]))]);
    assert_eq!(
        concat(&result).sorted_columns(),
        Table::of(&expected).sorted_columns()
    );
}

/// `test_empty_predicate_pushdown_empty_col_projection`: `columns = []` with a predicate
/// that matches nothing gives empty results without columns.
pub fn test_empty_predicate_pushdown_empty_col_projection(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    fixtures::dataset(driver, temp.store());
    let result = read_dataset(
        driver,
        temp.store(),
        DATASET,
        &ReadOptions::default()
            .columns(Vec::<String>::new())
            .predicates(predicates("P == 12345678")),
    );
    assert!(
        !result.is_empty(),
        "the unpartitioned dataset cannot be pruned"
    );
    for batch in &result {
        assert_eq!(batch.num_rows(), 0);
        assert_eq!(batch.num_columns(), 0);
    }
}

/// `test_datetime_predicate_with_dates_as_object`: date and datetime predicates (`==`, `>=`)
/// on partition and data columns return the row.
pub fn test_datetime_predicate_with_dates_as_object(driver: &dyn Driver, kind: StoreKind) {
    for partition_on in [vec!["a", "b"], vec!["c"], vec!["a", "b", "c"]] {
        for (is_datetime, literal) in [
            (true, "timestamp '2000-01-01T00:00:00'"),
            (false, "date '2000-01-01'"),
        ] {
            for op in ["==", ">="] {
                let temp = kind.fresh();
                let c = if is_datetime {
                    datetimes([(2000, 1, 1), (2000, 1, 1)])
                } else {
                    dates([(2000, 1, 1), (2000, 1, 1)])
                };
                let df = abcd(c);
                driver
                    .store(
                        temp.store(),
                        "partitioned_uuid",
                        std::slice::from_ref(&df),
                        &StoreOptions::default().partition_on(partition_on.clone()),
                    )
                    .unwrap();
                let result = read_dataset(
                    driver,
                    temp.store(),
                    "partitioned_uuid",
                    &ReadOptions::default().predicates(predicates(&format!("c {op} {literal}"))),
                );
                let context = format!("{partition_on:?} c {op} {literal}");
                assert_eq!(result.len(), 1, "{context}");
                assert_eq!(
                    Table::of(&result[0]).sorted_columns(),
                    Table::of(&df).sorted_columns(),
                    "{context}"
                );
            }
        }
    }
}

/// `test_string_type_roundtrip` (adapted, PD): a string column with a null round-trips.
pub fn test_string_roundtrip(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let df = batch(vec![(
        "str",
        data::opt_strings([Some("a"), None, Some("b")]),
    )]);
    driver
        .store(
            temp.store(),
            "dataset_uuid",
            std::slice::from_ref(&df),
            &StoreOptions::default(),
        )
        .unwrap();
    let result = read_dataset(
        driver,
        temp.store(),
        "dataset_uuid",
        &ReadOptions::default(),
    );
    assert_eq!(concat(&result), Table::of(&df));
    for batch in &result {
        let data_type = batch.schema().field(0).data_type().clone();
        assert!(
            matches!(
                data_type,
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            ),
            "{data_type}"
        );
    }
}

/// `test_non_default_table_name_roundtrip`: a dataset with table `foo` reads without naming
/// the table.
pub fn test_non_default_table_name_roundtrip(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let df = batch(vec![("A", int64([1]))]);
    driver
        .store(
            temp.store(),
            "dataset_uuid",
            std::slice::from_ref(&df),
            &StoreOptions::default().table_name("foo"),
        )
        .unwrap();
    let result = read_dataset(
        driver,
        temp.store(),
        "dataset_uuid",
        &ReadOptions::default(),
    );
    assert_eq!(concat(&result), Table::of(&df));
}
