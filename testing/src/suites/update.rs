//! plateau's `plateau/io/testing/update.py`.
//!
//! Not ported:
//! * `test_update_dataset_with_partitions_delete_only`, `test_metadata_version` (xfail in
//!   plateau).
//! * The NA-flavour halves of `test_update_after_empty_partition_string_dtypes` and
//!   `..._categoricals` (PD: pandas `string[pyarrow]` vs `str` NA semantics have no Arrow
//!   counterpart); the empty-partition halves are ported.
//!
//! Adapted: `test_raises_on_invalid_input` (Python passes a malformed object, which Rust's
//! types rule out; here the invalid input is a batch with the wrong columns).

use std::sync::Arc;

use arrow::array::{ArrayRef, DictionaryArray};
use arrow::datatypes::{DataType, Int32Type};
use arrow::record_batch::RecordBatch;
use plateau_core::{Error, Scalar};
use plateau_io::read::ReadOptions;
use plateau_io::update::UpdateOptions;
use plateau_io::write::StoreOptions;

use super::{assert_same_metadata, factory, index, index_dct, keys, labels_of, observed, stored};
use crate::compare::{assert_frame_equal, Table};
use crate::data::{self, batch, dates, int64, opt_strings, strings};
use crate::fixtures::json_map;
use crate::{Driver, StoreKind};

fn p(values: &[i64]) -> RecordBatch {
    batch(vec![("p", int64(values.iter().copied()))])
}

fn update(
    driver: &dyn Driver,
    store: &plateau_core::Store,
    uuid: &str,
    batches: &[RecordBatch],
    options: &UpdateOptions,
) -> plateau_metadata::DatasetMetadata {
    driver
        .update(&factory(store, uuid), batches, options)
        .unwrap_or_else(|e| panic!("{}: update failed: {e}", driver.name()))
}

/// `test_update_dataset_with_partitions`: create (index p), then update (+p=3, delete scope
/// p=1, more metadata): index values {2, 3}, p=2 untouched, metadata merged with the original
/// `creation_time`, 7 files, stored equals returned.
pub fn test_update_dataset_with_partitions(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let store = temp.store();
    let dataset = update(
        driver,
        store,
        "dataset_uuid",
        &[p(&[1]), p(&[2])],
        &UpdateOptions::default()
            .metadata(json_map(&[("dataset", "metadata")]))
            .secondary_indices(["p"]),
    );
    let ind = index(store, "dataset_uuid", "p");
    let updated = update(
        driver,
        store,
        "dataset_uuid",
        &[p(&[3])],
        &UpdateOptions::default()
            .add_delete_scope([("p", 1i64)])
            .metadata(json_map(&[("extra", "metadata")]))
            .secondary_indices(["p"]),
    );
    let ind_updated = index(store, "dataset_uuid", "p");
    assert_eq!(observed(&ind), [Scalar::Int(1), Scalar::Int(2)]);
    assert_eq!(observed(&ind_updated), [Scalar::Int(2), Scalar::Int(3)]);
    assert_eq!(
        labels_of(&ind_updated, &Scalar::Int(2)),
        labels_of(&ind, &Scalar::Int(2))
    );
    assert_ne!(
        labels_of(&ind, &Scalar::Int(1)),
        labels_of(&ind_updated, &Scalar::Int(3))
    );

    let mut expected = json_map(&[("dataset", "metadata"), ("extra", "metadata")]);
    expected.insert(
        "creation_time".into(),
        dataset.metadata["creation_time"].clone(),
    );
    let mut actual = updated.metadata.clone();
    actual.sort_keys();
    expected.sort_keys();
    assert_eq!(actual, expected, "metadata merged, creation_time preserved");
    assert_eq!(updated.uuid, "dataset_uuid");
    // 1 metadata file, 2 index files, 3 data files, _common_metadata.
    assert_eq!(keys(store).len(), 7, "{:?}", keys(store));
    assert_same_metadata(&updated, &stored(store, "dataset_uuid"));
}

/// `test_update_dataset_with_partitions__reducer_partitions`: partitioned on P with a
/// secondary index on L; a delete scope on L == 2 replaces exactly the partitions of the
/// second input frame, and the P partition index follows.
pub fn test_update_dataset_with_partitions_reducer_partitions(
    driver: &dyn Driver,
    kind: StoreKind,
) {
    let temp = kind.fresh();
    let store = temp.store();
    assert!(keys(store).is_empty());
    let frame = |l: i64, targets: &[i64]| {
        batch(vec![
            ("P", int64([1, 2, 3, 1, 2, 3])),
            ("L", int64([l; 6])),
            ("TARGET", int64(targets.iter().copied())),
        ])
    };
    let df1 = frame(1, &[10, 11, 12, 13, 14, 15]);
    let df2 = frame(2, &[12, 13, 14, 15, 16, 17]);
    let dataset = driver
        .store(
            store,
            "dataset_uuid",
            &[df1, df2],
            &StoreOptions::default()
                .partition_on(["P"])
                .secondary_indices(["L"]),
        )
        .unwrap();
    let base = |label: &String| label.rsplit('/').next().unwrap_or_default().to_owned();
    let l_index = index(store, "dataset_uuid", "L");
    let cluster_1 = base(&labels_of(&l_index, &Scalar::Int(1))[0]);
    let cluster_2 = base(&labels_of(&l_index, &Scalar::Int(2))[0]);
    let p_before = index_dct(&index(store, "dataset_uuid", "P"));

    let df3 = frame(2, &[7, 8, 9, 10, 11, 12]);
    let updated = update(
        driver,
        store,
        "dataset_uuid",
        &[df3],
        &UpdateOptions::default()
            .add_delete_scope([("L", 2i64)])
            .metadata(json_map(&[("extra", "metadata")]))
            .partition_on(["P"])
            .secondary_indices(["L"]),
    );
    let l_updated = index(store, "dataset_uuid", "L");
    let cluster_3: std::collections::BTreeSet<String> = labels_of(&l_updated, &Scalar::Int(2))
        .iter()
        .map(base)
        .collect();
    assert_eq!(cluster_3.len(), 1);
    let cluster_3 = cluster_3.into_iter().next().unwrap_or_default();
    let mut expected: Vec<String> = [1, 2, 3]
        .iter()
        .flat_map(|v| [format!("P={v}/{cluster_1}"), format!("P={v}/{cluster_3}")])
        .collect();
    expected.sort();
    let mut actual: Vec<String> = updated.partitions.keys().cloned().collect();
    actual.sort();
    assert_eq!(actual, expected);
    assert_eq!(
        dataset.indices.keys().collect::<Vec<_>>(),
        updated.indices.keys().collect::<Vec<_>>()
    );

    let expected_p: Vec<(Scalar, Vec<String>)> = p_before
        .into_iter()
        .map(|(value, labels)| {
            let mut labels: Vec<String> = labels
                .iter()
                .map(|l| l.replace(&cluster_2, &cluster_3))
                .collect();
            labels.sort();
            (value, labels)
        })
        .collect();
    assert_eq!(index_dct(&index(store, "dataset_uuid", "P")), expected_p);
}

/// `test_update_dataset_with_partitions__reducer_nonexistent`: an update that creates the
/// dataset, with a delete scope matching nothing: one partition, metadata `{extra,
/// creation_time}`, 4 files, index `{3: [label]}`.
pub fn test_update_dataset_with_partitions_reducer_nonexistent(
    driver: &dyn Driver,
    kind: StoreKind,
) {
    let temp = kind.fresh();
    let store = temp.store();
    let updated = update(
        driver,
        store,
        "dataset_uuid",
        &[p(&[3])],
        &UpdateOptions::default()
            .add_delete_scope([("p", 1i64)])
            .metadata(json_map(&[("extra", "metadata")]))
            .secondary_indices(["p"]),
    );
    let ind = index(store, "dataset_uuid", "p");
    let label = labels_of(&ind, &Scalar::Int(3));
    assert_eq!(label.len(), 1);
    let mut metadata_keys: Vec<&String> = updated.metadata.keys().collect();
    metadata_keys.sort();
    assert_eq!(metadata_keys, ["creation_time", "extra"]);
    assert_eq!(updated.metadata["extra"], "metadata");
    assert_eq!(
        updated.partitions.keys().cloned().collect::<Vec<_>>(),
        label
    );
    assert_eq!(updated.uuid, "dataset_uuid");
    assert_eq!(keys(store).len(), 4, "{:?}", keys(store));
    assert_eq!(index_dct(&ind), [(Scalar::Int(3), label)]);
    assert_same_metadata(&updated, &stored(store, "dataset_uuid"));
}

/// `test_schema_check_update`: the write matrix across create and update; a failing update
/// changes nothing.
pub fn test_schema_check_update(driver: &dyn Driver, kind: StoreKind) {
    for (i, (dfs, ok)) in super::write::schema_check_cases().into_iter().enumerate() {
        let temp = kind.fresh();
        let store = temp.store();
        driver
            .store(
                store,
                "dataset_uuid",
                &dfs[..1],
                &StoreOptions::default().partition_on(["P"]),
            )
            .unwrap();
        let before = keys(store);
        let result = driver.update(
            &factory(store, "dataset_uuid"),
            &dfs[1..],
            &UpdateOptions::default().partition_on(["P"]),
        );
        if ok {
            result.unwrap_or_else(|e| panic!("case {i}: {e}"));
        } else {
            match result {
                Err(Error::SchemaIncompatible { uuid, .. }) => assert_eq!(uuid, "dataset_uuid"),
                other => panic!("case {i}: expected a schema error, got {other:?}"),
            }
            assert_eq!(keys(store), before, "case {i}: validated before writing");
        }
    }
}

/// `test_sort_partitions_by`: after an update with `sort_partitions_by = [TARGET]`, TARGET is
/// sorted within every partition.
pub fn test_sort_partitions_by(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let store = temp.store();
    let df1 = batch(vec![
        ("P", int64([3])),
        ("L", int64([1])),
        ("TARGET", int64([1])),
    ]);
    let df2 = batch(vec![
        ("P", int64([1, 2, 3, 1, 2, 3])),
        ("L", int64([1; 6])),
        ("TARGET", int64([15, 14, 13, 12, 11, 10])),
    ]);
    let df3 = batch(vec![
        ("P", int64([1, 2, 3, 1, 2, 3])),
        ("L", int64([1; 6])),
        ("TARGET", int64([88, 1, 5, 99, 12, 11])),
    ]);
    driver
        .store(store, "dataset_uuid", &[df1], &StoreOptions::default())
        .unwrap();
    update(
        driver,
        store,
        "dataset_uuid",
        &[df2, df3],
        &UpdateOptions::default()
            .metadata(json_map(&[("extra", "metadata")]))
            .sort_partitions_by(["TARGET"]),
    );
    let parts = driver
        .read_dataset(&factory(store, "dataset_uuid"), &ReadOptions::default())
        .unwrap();
    assert_eq!(parts.len(), 3);
    for part in parts {
        let target: Vec<i64> = Table::of(&part)
            .column("TARGET")
            .iter()
            .map(|v| v.parse().unwrap_or_default())
            .collect();
        let mut sorted = target.clone();
        sorted.sort();
        assert_eq!(target, sorted);
    }
}

/// `test_raises_on_invalid_input` (adapted): invalid input is an error and writes nothing.
pub fn test_raises_on_invalid_input(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let store = temp.store();
    let dataset = driver
        .store(
            store,
            "dataset_uuid",
            &[p(&[1, 2]), p(&[2, 3])],
            &StoreOptions::default(),
        )
        .unwrap();
    let before = keys(store);
    let invalid = batch(vec![("something", strings(["stuff"]))]);
    let result = driver.update(
        &factory(store, "dataset_uuid"),
        &[invalid],
        &UpdateOptions::default(),
    );
    assert!(result.is_err());
    assert_eq!(keys(store), before, "nothing written");
    let parts = driver
        .read_dataset(&factory(store, "dataset_uuid"), &ReadOptions::default())
        .unwrap();
    assert_eq!(parts.len(), dataset.partitions.len());
}

/// `test_update_secondary_indices_subset`: an omitted secondary index is still maintained; a
/// new one is an error ("Incorrect indices provided").
pub fn test_update_secondary_indices_subset(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let store = temp.store();
    let df = |indexed: i64| batch(vec![("A", int64(0..10)), ("indexed", int64([indexed; 10]))]);
    update(
        driver,
        store,
        "dataset_uuid",
        &[df(1)],
        &UpdateOptions::default().secondary_indices(["indexed"]),
    );
    update(
        driver,
        store,
        "dataset_uuid",
        &[df(2)],
        &UpdateOptions::default(),
    );
    assert_eq!(
        observed(&index(store, "dataset_uuid", "indexed")),
        [Scalar::Int(1), Scalar::Int(2)]
    );
    let err = driver
        .update(
            &factory(store, "dataset_uuid"),
            &[df(2)],
            &UpdateOptions::default().secondary_indices(["A"]),
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("Incorrect indices provided"),
        "{err}"
    );
}

/// `test_update_first_time_with_secondary_indices`: an update that creates the dataset takes
/// secondary indices.
pub fn test_update_first_time_with_secondary_indices(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let updated = update(
        driver,
        temp.store(),
        "dataset_uuid",
        &[p(&[1, 2])],
        &UpdateOptions::default().secondary_indices(["p"]),
    );
    assert!(updated.indices.contains_key("p"));
    assert_eq!(
        observed(&index(temp.store(), "dataset_uuid", "p")),
        [Scalar::Int(1), Scalar::Int(2)]
    );
}

/// `test_partition_on_null`: a null partition value is an error naming the null values, and
/// nothing is written.
pub fn test_partition_on_null(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let df = batch(vec![
        ("part", opt_strings([Some("a"), Some("b"), Some("c"), None])),
        ("value", int64(0..4)),
    ]);
    let err = driver
        .update(
            &factory(temp.store(), "a_unique_dataset_identifier"),
            &[df],
            &UpdateOptions::default().partition_on(["part"]),
        )
        .unwrap_err();
    assert!(err.to_string().contains("null values"), "{err}");
    assert!(keys(temp.store()).is_empty());
}

/// `test_update_infers_partition_on`: an update without `partition_on` uses the dataset's.
pub fn test_update_infers_partition_on(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let df = data::core_not_nested();
    let dataset = update(
        driver,
        temp.store(),
        "dataset_uuid",
        std::slice::from_ref(&df),
        &UpdateOptions::default().partition_on(["bool"]),
    );
    let updated = update(
        driver,
        temp.store(),
        "dataset_uuid",
        &[df],
        &UpdateOptions::default(),
    );
    assert_eq!(updated.partitions.len(), 2 * dataset.partitions.len());
    assert_eq!(updated.partition_keys, ["bool"]);
}

/// `test_update_raises_incompatible_partition_keys`.
pub fn test_update_raises_incompatible_partition_keys(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let df = data::core_not_nested();
    update(
        driver,
        temp.store(),
        "dataset_uuid",
        std::slice::from_ref(&df),
        &UpdateOptions::default().partition_on(["bool"]),
    );
    let err = driver
        .update(
            &factory(temp.store(), "dataset_uuid"),
            &[df],
            &UpdateOptions::default().partition_on(["byte"]),
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("Incompatible set of partition keys encountered."),
        "{err}"
    );
}

/// `test_update_raises_incompatible_inidces`: a secondary index the dataset does not have.
pub fn test_update_raises_incompatible_indices(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let df = data::core_not_nested();
    update(
        driver,
        temp.store(),
        "dataset_uuid",
        std::slice::from_ref(&df),
        &UpdateOptions::default().secondary_indices(["bool"]),
    );
    let err = driver
        .update(
            &factory(temp.store(), "dataset_uuid"),
            &[df],
            &UpdateOptions::default().secondary_indices(["byte"]),
        )
        .unwrap_err();
    assert!(err.to_string().contains("indices"), "{err}");
}

/// `test_update_of_dataset_with_non_default_table_name`: the table name survives an update and
/// a date partition column reads back.
pub fn test_update_of_dataset_with_non_default_table_name(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let store = temp.store();
    let create = batch(vec![
        ("date", dates([(2021, 1, 1), (2021, 1, 2)])),
        ("value", int64(0..2)),
    ]);
    driver
        .store(
            store,
            "dataset_uuid",
            std::slice::from_ref(&create),
            &StoreOptions::default()
                .table_name("non-default-name")
                .partition_on(["date"]),
        )
        .unwrap();
    assert_eq!(
        factory(store, "dataset_uuid")
            .metadata()
            .unwrap()
            .table_name,
        "non-default-name"
    );
    let upd = batch(vec![
        ("date", dates([(2021, 1, 3), (2021, 1, 4)])),
        ("value", int64(0..2)),
    ]);
    update(
        driver,
        store,
        "dataset_uuid",
        std::slice::from_ref(&upd),
        &UpdateOptions::default()
            .table_name("non-default-name")
            .partition_on(["date"]),
    );
    assert_eq!(
        factory(store, "dataset_uuid")
            .metadata()
            .unwrap()
            .table_name,
        "non-default-name"
    );
    let read = driver
        .read_table(&factory(store, "dataset_uuid"), &ReadOptions::default())
        .unwrap();
    let mut expected = Table::of(&create);
    expected.rows.extend(Table::of(&upd).rows);
    assert_eq!(Table::of(&read), expected);
}

/// `test_update_after_empty_partition_string_dtypes` (empty-partition half): an empty string
/// partition does not fix the column to the null type; data with nulls follows.
pub fn test_update_after_empty_partition_string_dtypes(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let store = temp.store();
    let df = batch(vec![("str", opt_strings([Some("a"), Some("b"), None]))]);
    update(
        driver,
        store,
        "dataset_uuid",
        &[df.slice(0, 0)],
        &UpdateOptions::default(),
    );
    update(
        driver,
        store,
        "dataset_uuid",
        std::slice::from_ref(&df),
        &UpdateOptions::default(),
    );
    let read = driver
        .read_table(&factory(store, "dataset_uuid"), &ReadOptions::default())
        .unwrap();
    assert_frame_equal(&read, &df);
}

/// `test_update_after_empty_partition_string_dtypes_categoricals` (empty-partition half):
/// dictionary strings after an empty dictionary partition, then plain strings, read back as
/// strings and, with `categoricals`, as a dictionary.
pub fn test_update_after_empty_partition_string_dtypes_categoricals(
    driver: &dyn Driver,
    kind: StoreKind,
) {
    let temp = kind.fresh();
    let store = temp.store();
    let dict: DictionaryArray<Int32Type> = vec![Some("a"), Some("b"), None].into_iter().collect();
    let df = batch(vec![("str", Arc::new(dict) as ArrayRef)]);
    update(
        driver,
        store,
        "dataset_uuid",
        &[df.slice(0, 0)],
        &UpdateOptions::default(),
    );
    update(
        driver,
        store,
        "dataset_uuid",
        std::slice::from_ref(&df),
        &UpdateOptions::default(),
    );
    let plain = batch(vec![("str", strings(["c", "d"]))]);
    update(
        driver,
        store,
        "dataset_uuid",
        &[plain],
        &UpdateOptions::default(),
    );
    let read = driver
        .read_table(&factory(store, "dataset_uuid"), &ReadOptions::default())
        .unwrap();
    let expected = batch(vec![(
        "str",
        opt_strings([Some("a"), Some("b"), None, Some("c"), Some("d")]),
    )]);
    assert_eq!(
        Table::of(&read).sorted_rows(),
        Table::of(&expected).sorted_rows()
    );
    let as_categories = driver
        .read_table(
            &factory(store, "dataset_uuid"),
            &ReadOptions::default().categoricals(["str"]),
        )
        .unwrap();
    assert!(matches!(
        as_categories.schema().field(0).data_type(),
        DataType::Dictionary(..)
    ));
    assert_eq!(
        Table::of(&as_categories).sorted_rows(),
        Table::of(&expected).sorted_rows()
    );
}
