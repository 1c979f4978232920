//! Query planning, from plateau's `tests/io_components/test_read.py` (dispatching partitions
//! by predicates and `dispatch_by`). Planning is shared by every front end
//! ([`plateau_io::read::plan`]); the datasets are written, and the data read, through the
//! driver. All tests are ported.

use plateau_core::{Predicates, Scalar, Value};
use plateau_io::read::{plan, ReadOptions};
use plateau_io::write::StoreOptions;
use plateau_metadata::planning::DispatchGroup;
use plateau_metadata::DatasetFactory;

use super::{concat, factory, predicates};
use crate::compare::Table;
use crate::data::{self, batch, int64, strings};
use crate::fixtures::{self, DATASET, DATASET_PARTITION_KEYS};
use crate::{Driver, StoreKind};

fn groups(factory: &DatasetFactory, options: &ReadOptions) -> Vec<DispatchGroup> {
    plan(factory, options)
        .unwrap_or_else(|e| panic!("planning failed: {e}"))
        .1
}

/// `test_dispatch_metapartitions`: the unpartitioned dataset dispatches two distinct
/// partitions.
pub fn test_dispatch_metapartitions(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    fixtures::dataset(driver, temp.store());
    let groups = groups(&factory(temp.store(), DATASET), &ReadOptions::default());
    assert_eq!(groups.len(), 2);
    assert!(groups
        .iter()
        .all(|g| g.labels.len() == 1 && g.conjunction.is_empty()));
    assert_ne!(groups[0].labels, groups[1].labels);
}

/// `test_dispatch_metapartition_undefined_behaviour`: invalid predicate shapes are rejected
/// with plateau's messages.
pub fn test_dispatch_metapartition_undefined_behaviour(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    fixtures::dataset(driver, temp.store());
    let f = factory(temp.store(), DATASET);
    for (json, message) in [
        ("[]", "Empty predicates"),
        ("[[]]", "Conjunction 0 is empty"),
        (
            r#"[[["mycol", "in", null]]]"#,
            "Clause 0 in conjunction 0 with null value and operator 'in'.",
        ),
        (
            r#"[[["mycol", "in", "scalar"]]]"#,
            "operator 'in' must be used with a tuple or list",
        ),
        (
            r#"[[["mycol", "not in", null]]]"#,
            "Clause 0 in conjunction 0 with null value and operator 'not in'.",
        ),
        (
            r#"[[["mycol", "not in", "scalar"]]]"#,
            "operator 'not in' must be used with a tuple or list",
        ),
        (
            r#"[[["mycol", "<", [17, 12]]]]"#,
            "operator '<' must be used with a scalar type",
        ),
    ] {
        let result = Predicates::from_json(json)
            .and_then(|p| plan(&f, &ReadOptions::default().predicates(p)).map(|_| ()));
        let err = match result {
            Err(err) => err.to_string(),
            Ok(()) => panic!("{json} was accepted"),
        };
        assert!(
            err.to_lowercase().contains(&message.to_lowercase()),
            "{json}: `{err}` should contain `{message}`"
        );
    }
}

/// `test_dispatch_metapartitions_query_partition_on`: predicates on the partition key (and
/// non-indexed columns, which do not prune) keep exactly `P=2/…`.
pub fn test_dispatch_metapartitions_query_partition_on(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    fixtures::dataset_partition_keys(driver, temp.store());
    let f = factory(temp.store(), DATASET_PARTITION_KEYS);
    for text in [
        "P == 2",
        "P in (2)",
        "P != 1",
        "P > 1",
        "P >= 2 and TARGET == 500",
    ] {
        let groups = groups(&f, &ReadOptions::default().predicates(predicates(text)));
        assert_eq!(groups.len(), 1, "{text}");
        assert!(
            groups[0].labels[0].starts_with("P=2/"),
            "{text}: {:?}",
            groups[0].labels
        );
    }
}

/// `test_dispatch_metapartitions_query_no_effect`: ORs with a non-indexed column keep every
/// partition.
pub fn test_dispatch_metapartitions_query_no_effect(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    fixtures::dataset_partition_keys(driver, temp.store());
    let f = factory(temp.store(), DATASET_PARTITION_KEYS);
    for text in [
        "P == 2 or TARGET == 500",
        "P in (2) or TARGET in (500)",
        "L == 2 or TARGET == 500",
    ] {
        assert_eq!(
            groups(&f, &ReadOptions::default().predicates(predicates(text))).len(),
            2,
            "{text}"
        );
    }
}

/// `test_dispatch_metapartitions_concat_regression`: two partitions with the same key value
/// are two groups, but one `dispatch_by` group.
pub fn test_dispatch_metapartitions_concat_regression(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    driver
        .store(
            temp.store(),
            "test",
            &[
                batch(vec![("p", int64([0])), ("x", int64([0]))]),
                batch(vec![("p", int64([0])), ("x", int64([1]))]),
            ],
            &StoreOptions::default().partition_on(["p"]),
        )
        .unwrap();
    let f = factory(temp.store(), "test");
    assert_eq!(groups(&f, &ReadOptions::default()).len(), 2);
    assert_eq!(
        groups(&f, &ReadOptions::default().dispatch_by(["p"])).len(),
        1
    );
}

/// `test_dispatch_metapartitions_dups_with_predicates`: an `in` over all values of a
/// secondary index dispatches the same (single) partition once.
pub fn test_dispatch_metapartitions_dups_with_predicates(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    driver
        .store(
            temp.store(),
            "test",
            &[batch(vec![("p", int64([0, 1])), ("x", int64([0, 0]))])],
            &StoreOptions::default().secondary_indices(["p"]),
        )
        .unwrap();
    let f = factory(temp.store(), "test");
    let without = groups(&f, &ReadOptions::default());
    let with = groups(
        &f,
        &ReadOptions::default().predicates(predicates("p in (0, 1)")),
    );
    assert_eq!(without.len(), 1);
    assert_eq!(without, with);
}

/// `test_dispatch_metapartitions_dups_with_predicates_dispatch_by`: the same with
/// `dispatch_by`.
pub fn test_dispatch_metapartitions_dups_with_predicates_dispatch_by(
    driver: &dyn Driver,
    kind: StoreKind,
) {
    let temp = kind.fresh();
    driver
        .store(
            temp.store(),
            "test",
            &[batch(vec![("p", int64([0, 1])), ("x", int64([0, 0]))])],
            &StoreOptions::default().secondary_indices(["p", "x"]),
        )
        .unwrap();
    let f = factory(temp.store(), "test");
    let without = groups(&f, &ReadOptions::default().dispatch_by(["x"]));
    let with = groups(
        &f,
        &ReadOptions::default()
            .dispatch_by(["x"])
            .predicates(predicates("p in (0, 1)")),
    );
    assert_eq!(without, with);
}

/// `test_dispatch_metapartitions_sorted_dispatch_by`: `dispatch_by` groups come in ascending
/// value order, each with its one `==` literal.
pub fn test_dispatch_metapartitions_sorted_dispatch_by(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let values: Vec<i64> = data::pseudo_random(42, 100)
        .into_iter()
        .map(|r| (r % 200_000) as i64 - 100_000)
        .collect();
    driver
        .store(
            temp.store(),
            "test",
            &[batch(vec![
                ("p", int64(values.iter().copied())),
                ("x", int64([0; 100])),
            ])],
            &StoreOptions::default().secondary_indices(["p", "x"]),
        )
        .unwrap();
    let groups = groups(
        &factory(temp.store(), "test"),
        &ReadOptions::default().dispatch_by(["p"]),
    );
    let distinct: std::collections::BTreeSet<i64> = values.iter().copied().collect();
    assert_eq!(groups.len(), distinct.len());
    let mut last = i64::MIN;
    for group in &groups {
        assert_eq!(group.conjunction.len(), 1);
        let current = match &group.conjunction[0].value {
            Value::Scalar(Scalar::Int(v)) => *v,
            other => panic!("unexpected dispatch value {other:?}"),
        };
        assert!(current > last, "{current} after {last}");
        last = current;
    }
}

/// `test_dispatch_metapartitions_complex_or_predicates`: an OR across two partition keys
/// reads exactly the matching rows.
pub fn test_dispatch_metapartitions_complex_or_predicates(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let b: Vec<&str> = (0..10)
        .map(|i| if i % 2 == 0 { "A" } else { "B" })
        .collect();
    driver
        .store(
            temp.store(),
            "test",
            &[batch(vec![
                ("A", int64(0..10)),
                ("B", strings(b.iter().copied())),
                ("C", int64(-10..0)),
            ])],
            &StoreOptions::default().partition_on(["A", "B"]),
        )
        .unwrap();
    let result = driver
        .read_dataset(
            &factory(temp.store(), "test"),
            &ReadOptions::default().predicates(predicates("A < 3 or B == 'B'")),
        )
        .unwrap();
    let mut actual = concat(&result).sorted_columns();
    actual
        .rows
        .sort_by_key(|row| row[0].parse::<i64>().unwrap_or_default());
    let expected = batch(vec![
        ("A", int64([0, 1, 2, 3, 5, 7, 9])),
        ("B", strings(["A", "B", "A", "B", "B", "B", "B"])),
        ("C", int64([-10, -9, -8, -7, -5, -3, -1])),
    ]);
    assert_eq!(actual, Table::of(&expected));
}
