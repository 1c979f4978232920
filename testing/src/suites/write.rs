//! plateau's `plateau/io/testing/write.py`.
//!
//! Not ported:
//! * `test_store_input_types` (PY: URL / KeyValueStore / callable store inputs).
//! * `test_store_dataframes_as_dataset_auto_uuid` (PY: a mocked uuid generator; the Rust API
//!   takes the uuid explicitly).
//! * `test_schema_check_write_nice_error`, `test_schema_check_write_cut_error` (xfail in
//!   plateau), `test_store_empty_dataframes_partition_on`, `test_store_overwrite_none` (skipped
//!   in plateau).
//!
//! Adapted: `test_store_dataframes_as_dataset_batch_mode` (a nested list of frames is two
//! batches here), `test_store_dataframes_as_dataset_mp_partition_on_none` (`None` and a
//! `MetaPartition` input become an empty batch and a batch).

use arrow::record_batch::RecordBatch;
use plateau_core::{Error, Scalar};
use plateau_io::write::StoreOptions;
use plateau_serialization::ReadOptions as FileReadOptions;

use super::{assert_same_metadata, factory, index, keys, observed, read_rows};
use crate::compare::{assert_frame_equal, Table};
use crate::data::{self, batch, int64, strings};
use crate::fixtures;
use crate::{Driver, StoreKind};

fn p_l_target(p: &[i64], l: &[i64], target: &[i64]) -> RecordBatch {
    batch(vec![
        ("P", int64(p.iter().copied())),
        ("L", int64(l.iter().copied())),
        ("TARGET", int64(target.iter().copied())),
    ])
}

/// `test_file_structure_dataset_v4`: two frames, two partitions, exactly four keys.
pub fn test_file_structure_dataset_v4(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let df = data::utils_frame();
    let dataset = driver
        .store(
            temp.store(),
            "dataset_uuid",
            &[df.clone(), df],
            &StoreOptions::default(),
        )
        .unwrap();
    assert_eq!(dataset.partitions.len(), 2);
    let keys = keys(temp.store());
    assert_eq!(keys.len(), 4, "{keys:?}");
    assert!(keys.contains(&"dataset_uuid/table/_common_metadata".to_owned()));
    assert!(keys.contains(&"dataset_uuid.by-dataset-metadata.json".to_owned()));
}

/// `test_file_structure_dataset_v4_partition_on`: 2 frames × 6 (P, L) pairs = 12
/// partitions, 14 keys.
pub fn test_file_structure_dataset_v4_partition_on(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    assert!(keys(temp.store()).is_empty());
    let df = p_l_target(
        &[1, 2, 3, 1, 2, 3],
        &[1, 1, 1, 2, 2, 2],
        &[10, 11, 12, 13, 14, 15],
    );
    let dataset = driver
        .store(
            temp.store(),
            "dataset_uuid",
            &[df.clone(), df],
            &StoreOptions::default().partition_on(["P", "L"]),
        )
        .unwrap();
    assert_eq!(dataset.partition_keys, ["P", "L"]);
    assert_eq!(dataset.partitions.len(), 12);
    assert_eq!(keys(temp.store()).len(), 14);
}

/// `test_store_dataframes_as_dataset`: secondary index P with values 0..9, stored metadata
/// equals the returned one, every data file round-trips exactly.
pub fn test_store_dataframes_as_dataset(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let store = temp.store();
    let df = data::utils_frame();
    let dataset = driver
        .store(
            store,
            "dataset_uuid",
            &[df.clone(), df.clone()],
            &StoreOptions::default().secondary_indices(["P"]),
        )
        .unwrap();
    assert_eq!(dataset.partitions.len(), 2);
    assert!(dataset.indices.contains_key("P"));
    let stored = factory(store, "dataset_uuid").metadata().unwrap();
    assert_eq!(dataset.uuid, stored.uuid);
    assert_eq!(dataset.metadata, stored.metadata);
    assert_eq!(dataset.partitions, stored.partitions);
    assert_eq!(
        observed(&index(store, "dataset_uuid", "P")),
        (0..10).map(Scalar::Int).collect::<Vec<_>>()
    );
    let mut counter = 0;
    for key in keys(store) {
        if key.contains("parquet") && !key.contains("indices") {
            counter += 1;
            let restored =
                plateau_serialization::restore(store, &key, &FileReadOptions::default()).unwrap();
            assert_frame_equal(&restored, &df);
        }
    }
    assert_eq!(counter, 2);
}

/// `test_store_dataframes_as_dataset_empty_dataframe`: a 0-row frame of every type stores as
/// one partition and round-trips.
pub fn test_store_dataframes_as_dataset_empty_dataframe(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let store = temp.store();
    let empty = data::all_types().slice(0, 0);
    let dataset = driver
        .store(
            store,
            "dataset_uuid",
            std::slice::from_ref(&empty),
            &StoreOptions::default(),
        )
        .unwrap();
    assert_eq!(dataset.partitions.len(), 1);
    let stored = factory(store, "dataset_uuid").metadata().unwrap();
    assert_eq!(dataset.uuid, stored.uuid);
    assert_eq!(dataset.metadata, stored.metadata);
    assert_eq!(dataset.partitions, stored.partitions);
    let file = &dataset.partitions.values().next().unwrap().file;
    let restored =
        plateau_serialization::restore(store, file, &FileReadOptions::default()).unwrap();
    assert_eq!(restored.num_rows(), 0);
    assert_eq!(Table::of(&restored).columns, Table::of(&empty).columns);
}

/// `test_store_dataframes_as_dataset_batch_mode` (adapted): two frames with a secondary index
/// give two partitions and the index.
pub fn test_store_dataframes_as_dataset_batch_mode(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let dfs = [
        batch(vec![("P", int64([1, 2, 3]))]),
        batch(vec![("P", int64([4, 5, 6]))]),
    ];
    let dataset = driver
        .store(
            temp.store(),
            "dataset_uuid",
            &dfs,
            &StoreOptions::default().secondary_indices(["P"]),
        )
        .unwrap();
    assert_eq!(dataset.partitions.len(), 2);
    let stored = super::stored(temp.store(), "dataset_uuid");
    assert_eq!(dataset.uuid, stored.uuid);
    assert_eq!(dataset.metadata, stored.metadata);
    assert_eq!(dataset.partitions, stored.partitions);
    assert!(dataset.indices.contains_key("P"));
    assert_eq!(observed(&index(temp.store(), "dataset_uuid", "P")).len(), 6);
}

/// `test_store_dataframes_as_dataset_mp_partition_on_none` (adapted): an empty frame and a
/// 10-row frame partitioned on P give 10 partitions; stored equals returned.
pub fn test_store_dataframes_as_dataset_mp_partition_on_none(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let df = data::utils_frame();
    let dataset = driver
        .store(
            temp.store(),
            "dataset_uuid",
            &[df.slice(0, 0), df],
            &StoreOptions::default().partition_on(["P"]),
        )
        .unwrap();
    assert_eq!(dataset.partition_keys, ["P"]);
    assert_eq!(dataset.partitions.len(), 10);
    assert_eq!(dataset.metadata_version, 4);
    let stored = factory(temp.store(), "dataset_uuid").metadata().unwrap();
    assert_same_metadata(&dataset, &stored);
}

/// `test_store_dataframes_partition_on`: an empty first frame, `partition_on` and a secondary
/// index: one partition, one index.
pub fn test_store_dataframes_partition_on(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let df = batch(vec![
        ("location", strings(["0", "1", "2"])),
        ("other", strings(["a", "a", "a"])),
    ]);
    let dataset = driver
        .store(
            temp.store(),
            "dataset_uuid",
            &[df.slice(0, 0), df],
            &StoreOptions::default()
                .partition_on(["other"])
                .secondary_indices(["location"]),
        )
        .unwrap();
    assert_eq!(dataset.partitions.len(), 1);
    assert_eq!(dataset.indices.len(), 1);
    assert_eq!(dataset.partition_keys, ["other"]);
}

/// The frames and verdicts of `test_schema_check_write` / `test_schema_check_update`.
pub fn schema_check_cases() -> Vec<(Vec<RecordBatch>, bool)> {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Int16Array, Int32Array, UInt64Array};
    let i16s = |v: &[i16]| Arc::new(Int16Array::from(v.to_vec())) as ArrayRef;
    let i32s = |v: &[i32]| Arc::new(Int32Array::from(v.to_vec())) as ArrayRef;
    let u64s = |v: &[u64]| Arc::new(UInt64Array::from(v.to_vec())) as ArrayRef;
    let i64s = |v: &[i64]| int64(v.iter().copied());
    vec![
        (
            vec![
                batch(vec![("P", i64s(&[1])), ("X", i64s(&[1]))]),
                batch(vec![("P", i64s(&[2])), ("X", i64s(&[2]))]),
            ],
            true,
        ),
        (
            vec![
                batch(vec![("P", i64s(&[1])), ("X", i32s(&[1]))]),
                batch(vec![("P", i64s(&[2])), ("X", i16s(&[2]))]),
            ],
            true,
        ),
        (
            vec![
                batch(vec![("P", i16s(&[1])), ("X", i64s(&[1]))]),
                batch(vec![("P", i32s(&[2])), ("X", i64s(&[2]))]),
            ],
            true,
        ),
        (
            vec![
                batch(vec![("P", i64s(&[1])), ("X", i64s(&[1]))]),
                batch(vec![("P", i64s(&[2])), ("X", u64s(&[2]))]),
            ],
            false,
        ),
        (
            vec![
                batch(vec![("P", i64s(&[1])), ("X", i64s(&[1]))]),
                batch(vec![
                    ("P", i64s(&[2])),
                    ("X", i64s(&[2])),
                    ("Y", i64s(&[2])),
                ]),
            ],
            false,
        ),
        (
            vec![
                batch(vec![("P", i64s(&[1, 2])), ("X", i64s(&[1, 2]))]),
                batch(vec![("P", i64s(&[3])), ("X", u64s(&[3]))]),
            ],
            false,
        ),
    ]
}

/// `test_schema_check_write`: int widths mix; int vs uint, an extra column and a mismatch in
/// a later partition fail with the schema error, and nothing is written.
pub fn test_schema_check_write(driver: &dyn Driver, kind: StoreKind) {
    for (i, (dfs, ok)) in schema_check_cases().into_iter().enumerate() {
        let temp = kind.fresh();
        let result = driver.store(
            temp.store(),
            "dataset_uuid",
            &dfs,
            &StoreOptions::default().partition_on(["P"]),
        );
        if ok {
            result.unwrap_or_else(|e| panic!("case {i}: {e}"));
        } else {
            match result {
                Err(Error::SchemaIncompatible { uuid, .. }) => assert_eq!(uuid, "dataset_uuid"),
                other => panic!("case {i}: expected a schema error, got {other:?}"),
            }
            assert!(
                keys(temp.store()).is_empty(),
                "case {i}: validated before writing"
            );
        }
    }
}

/// `test_metadata_consistency_errors_fails`: frames with different columns fail, in both
/// orders.
pub fn test_metadata_consistency_errors_fails(driver: &dyn Driver, kind: StoreKind) {
    let a = batch(vec![("W", int64(0..10)), ("L", int64(0..10))]);
    let b = p_l_target(
        &(10..20).collect::<Vec<_>>(),
        &(0..10).collect::<Vec<_>>(),
        &(10..20).collect::<Vec<_>>(),
    );
    for dfs in [[a.clone(), b.clone()], [b, a]] {
        let temp = kind.fresh();
        let result = driver.store(temp.store(), "dataset_uuid", &dfs, &StoreOptions::default());
        assert!(
            matches!(result, Err(Error::SchemaIncompatible { .. })),
            "{result:?}"
        );
    }
}

/// `test_store_dataframes_as_dataset_overwrite`: an existing uuid fails unless `overwrite`;
/// a new uuid works.
pub fn test_store_dataframes_as_dataset_overwrite(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let store = temp.store();
    let existing = fixtures::dataset(driver, store);
    let df = batch(vec![("x", int64([1]))]);
    let result = driver.store(
        store,
        &existing.uuid,
        std::slice::from_ref(&df),
        &StoreOptions::default(),
    );
    assert!(
        matches!(result, Err(Error::DatasetExists { .. })),
        "{result:?}"
    );
    driver
        .store(
            store,
            &existing.uuid,
            std::slice::from_ref(&df),
            &StoreOptions::default().overwrite(true),
        )
        .unwrap();
    assert_eq!(
        read_rows(driver, store, &existing.uuid),
        Table::of(&df).sorted_columns().sorted_rows()
    );
    driver
        .store(
            store,
            "new_dataset_uuid",
            std::slice::from_ref(&df),
            &StoreOptions::default(),
        )
        .unwrap();
}

/// `test_secondary_index_on_partition_column`: "Cannot create secondary index on partition
/// columns: {'x'}", before anything is written.
pub fn test_secondary_index_on_partition_column(driver: &dyn Driver, kind: StoreKind) {
    let temp = kind.fresh();
    let df = batch(vec![("x", int64([1])), ("y", int64([1]))]);
    let err = driver
        .store(
            temp.store(),
            "dataset_uuid",
            &[df],
            &StoreOptions::default()
                .partition_on(["x"])
                .secondary_indices(["x"]),
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("Cannot create secondary index on partition columns: {'x'}"),
        "{err}"
    );
    assert!(keys(temp.store()).is_empty());
}

/// `test_non_default_table_name_roundtrip`: every data key names the table `foo`; the data
/// reads back.
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
    for key in keys(temp.store()) {
        if key.ends_with(".parquet") && !key.contains("indices") {
            assert!(key.contains("foo"), "{key}");
        }
    }
    let table = driver
        .read_table(&factory(temp.store(), "dataset_uuid"), &Default::default())
        .unwrap();
    assert_frame_equal(&table, &df);
}
