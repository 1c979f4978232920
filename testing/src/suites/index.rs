//! plateau's `plateau/io/testing/index.py` (all BI, all ported), plus the divergence: an index
//! on a partition column is an error.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::{ArrayRef, Int8Array, UInt64Array};
use plateau_core::Scalar;
use plateau_io::write::StoreOptions;

use super::{factory, index, index_dct, labels_of};
use crate::data::{batch, int64};
use crate::{Driver, StoreKind};

fn columns(names: &[&str]) -> Vec<String> {
    names.iter().map(|c| (*c).to_owned()).collect()
}

/// `test_build_indices`: on an unindexed dataset, value 2 is in two partitions, 1 and 3 in
/// one each, with the right overlaps.
pub fn test_build_indices(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let store = temp.store();
    let dataset = driver
        .store(
            store,
            "dataset_uuid",
            &[
                batch(vec![("p", int64([1, 2]))]),
                batch(vec![("p", int64([2, 3]))]),
            ],
            &StoreOptions::default(),
        )
        .unwrap();
    assert!(dataset.indices.is_empty());
    driver
        .build_indices(&factory(store, "dataset_uuid"), &columns(&["p"]))
        .unwrap();
    let p = index(store, "dataset_uuid", "p");
    let set = |v: i64| {
        labels_of(&p, &Scalar::Int(v))
            .into_iter()
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(set(1).len(), 1);
    assert_eq!(set(2).len(), 2);
    assert_eq!(set(3).len(), 1);
    assert_eq!(set(3).intersection(&set(2)).count(), 1);
    assert_eq!(set(1).intersection(&set(2)).count(), 1);
    assert_eq!(set(1).intersection(&set(3)).count(), 0);
}

/// `test_create_index_from_inexistent_column_fails`.
pub fn test_create_index_from_inexistent_column_fails(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    driver
        .store(
            temp.store(),
            "dataset_uuid",
            &[
                batch(vec![("p", int64([1, 2]))]),
                batch(vec![("p", int64([2, 3]))]),
            ],
            &StoreOptions::default(),
        )
        .unwrap();
    let err = driver
        .build_indices(&factory(temp.store(), "dataset_uuid"), &columns(&["abc"]))
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("Column `abc` could not be found"),
        "{message}"
    );
}

/// `test_add_column_to_existing_index`: building x keeps p.
pub fn test_add_column_to_existing_index(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let store = temp.store();
    let dataset = driver
        .store(
            store,
            "dataset_uuid",
            &[
                batch(vec![("p", int64([1, 2])), ("x", int64([100, 4500]))]),
                batch(vec![("p", int64([4, 3])), ("x", int64([500, 10]))]),
            ],
            &StoreOptions::default().secondary_indices(["p"]),
        )
        .unwrap();
    assert_eq!(dataset.indices.keys().collect::<Vec<_>>(), ["p"]);
    driver
        .build_indices(&factory(store, "dataset_uuid"), &columns(&["x"]))
        .unwrap();
    let stored = super::stored(store, "dataset_uuid");
    let names: BTreeSet<&str> = stored.indices.keys().map(String::as_str).collect();
    assert_eq!(names, BTreeSet::from(["p", "x"]));
}

/// `test_indices_uints`: uint64 0, 2^64−1 and 17128351978467489013 stay exact; rebuilding
/// gives the same index.
pub fn test_indices_uints(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let store = temp.store();
    let u = |v: u64| {
        batch(vec![(
            "p",
            Arc::new(UInt64Array::from(vec![v])) as ArrayRef,
        )])
    };
    let dataset = driver
        .store(
            store,
            "dataset_uuid",
            &[u(0), u(u64::MAX), u(17_128_351_978_467_489_013)],
            &StoreOptions::default(),
        )
        .unwrap();
    assert!(dataset.indices.is_empty());
    driver
        .build_indices(&factory(store, "dataset_uuid"), &columns(&["p"]))
        .unwrap();
    let first = index_dct(&index(store, "dataset_uuid", "p"));
    assert_eq!(
        first.iter().map(|(v, _)| v.clone()).collect::<Vec<_>>(),
        [0, 17_128_351_978_467_489_013, u64::MAX].map(Scalar::UInt)
    );
    assert_eq!(first.iter().map(|(_, l)| l.len()).sum::<usize>(), 3);
    driver
        .build_indices(&factory(store, "dataset_uuid"), &columns(&["p"]))
        .unwrap();
    assert_eq!(index_dct(&index(store, "dataset_uuid", "p")), first);
}

/// `test_empty_partitions`: a 0-row int8 partition contributes nothing.
pub fn test_empty_partitions(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let store = temp.store();
    let i8s = |v: Vec<i8>| batch(vec![("p", Arc::new(Int8Array::from(v)) as ArrayRef)]);
    let dataset = driver
        .store(
            store,
            "dataset_uuid",
            &[i8s(vec![]), i8s(vec![1])],
            &StoreOptions::default(),
        )
        .unwrap();
    assert!(dataset.indices.is_empty());
    driver
        .build_indices(&factory(store, "dataset_uuid"), &columns(&["p"]))
        .unwrap();
    assert_eq!(index_dct(&index(store, "dataset_uuid", "p")).len(), 1);
}

/// Divergence from plateau (which registers it): an index on a partition column is an error
/// and changes nothing.
pub fn test_build_index_on_partition_column_fails(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let store = temp.store();
    driver
        .store(
            store,
            "dataset_uuid",
            &[batch(vec![("p", int64([1, 2])), ("x", int64([1, 2]))])],
            &StoreOptions::default().partition_on(["p"]),
        )
        .unwrap();
    let before = super::keys(store);
    let err = driver
        .build_indices(&factory(store, "dataset_uuid"), &columns(&["p"]))
        .unwrap_err();
    assert!(err.to_string().contains("partition columns"), "{err}");
    assert_eq!(super::keys(store), before);
}
