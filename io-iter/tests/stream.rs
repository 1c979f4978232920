#![allow(clippy::unwrap_used)]
//! The streaming behaviour of plateau-io-iter beyond the shared suites: iterator reads equal
//! eager reads, writes happen batch by batch, and an error anywhere in the input stream
//! leaves the dataset exactly as it was.

use std::cell::Cell;

use arrow::record_batch::RecordBatch;
use plateau_core::naming;
use plateau_core::{Error, Predicates, Result, Scalar, Store};
use plateau_io_iter::{
    read_dataset_as_batches_iter, read_dataset_as_metapartitions_iter, store_dataset_from_iter,
    update_dataset_from_iter, ReadOptions, StoreOptions, UpdateOptions,
};
use plateau_metadata::DatasetFactory;
use plateau_testing::compare::Table;
use plateau_testing::data::{batch, int64, sized, strings};
use plateau_testing::{Fault, StoreKind};

const UUID: &str = "stream_uuid";

fn frame(p: &[i64], x: &[i64]) -> RecordBatch {
    batch(vec![
        ("P", int64(p.iter().copied())),
        ("x", int64(x.iter().copied())),
        (
            "s",
            strings(x.iter().map(|v| if v % 2 == 0 { "even" } else { "odd" })),
        ),
    ])
}

fn frames() -> Vec<RecordBatch> {
    vec![
        frame(&[1, 2, 1], &[1, 2, 3]),
        frame(&[2, 3], &[4, 5]),
        frame(&[3, 3, 4], &[6, 7, 8]),
    ]
}

fn ok_stream(batches: Vec<RecordBatch>) -> impl Iterator<Item = Result<RecordBatch>> {
    batches.into_iter().map(Ok)
}

fn options() -> StoreOptions {
    StoreOptions::default()
        .partition_on(["P"])
        .secondary_indices(["x"])
}

/// Every key and the bytes of the metadata file: "exactly as before".
fn snapshot(store: &Store) -> (Vec<String>, Option<Vec<u8>>) {
    let keys = store.list_keys("").unwrap();
    let metadata = store
        .get_opt(&naming::metadata_key(UUID, naming::MetadataFormat::Json))
        .unwrap()
        .map(|(bytes, _)| bytes.to_vec());
    (keys, metadata)
}

fn rows(store: &Store) -> Table {
    let table = plateau_io::read::read_table(
        &DatasetFactory::new(store.clone(), UUID),
        &Default::default(),
    )
    .unwrap();
    Table::of(&table).sorted_columns().sorted_rows()
}

fn stored_dataset(store: &Store) {
    store_dataset_from_iter(store, UUID, ok_stream(frames()), &options()).unwrap();
}

#[test]
fn iterator_reads_equal_eager_reads() {
    for kind in StoreKind::ALL {
        let temp = kind.fresh();
        let store = temp.store();
        stored_dataset(store);
        let cases = [
            ReadOptions::default(),
            ReadOptions::default().columns(["x", "P"]),
            ReadOptions::default().predicates(Predicates::parse("P >= 2 and x != 5").unwrap()),
            ReadOptions::default().predicates(Predicates::parse("x > 100").unwrap()),
            ReadOptions::default().categoricals(["s", "P"]),
            ReadOptions::default().dispatch_by(["P"]),
            ReadOptions::default().dispatch_by(["x"]).columns(["s"]),
            ReadOptions::default()
                .dispatch_by(Vec::<String>::new())
                .predicates(Predicates::parse("P == 3").unwrap()),
            ReadOptions::default().predicate_pushdown_to_io(false),
        ];
        for options in cases {
            let factory = DatasetFactory::new(store.clone(), UUID);
            let eager = plateau_io_eager::read_dataset_as_dataframes(&factory, &options).unwrap();
            let iter = read_dataset_as_batches_iter(&factory, &options).unwrap();
            assert_eq!(iter.size_hint().1, Some(eager.len()), "{options:?}");
            let streamed: Vec<RecordBatch> = iter.collect::<Result<_>>().unwrap();
            assert_eq!(streamed, eager, "{kind:?} {options:?}");
        }
    }
}

#[test]
fn metapartition_iterator_names_its_partitions() {
    let temp = StoreKind::Memory.fresh();
    let store = temp.store();
    stored_dataset(store);
    let factory = DatasetFactory::new(store.clone(), UUID);
    let loaded: Vec<_> = read_dataset_as_metapartitions_iter(&factory, &ReadOptions::default())
        .unwrap()
        .collect::<Result<_>>()
        .unwrap();
    let metadata = factory.metadata().unwrap();
    let labels: Vec<&String> = loaded.iter().flat_map(|l| &l.labels).collect();
    assert_eq!(labels, metadata.partitions.keys().collect::<Vec<_>>());
    assert!(loaded.iter().all(|l| l.dispatch_values.is_empty()));
    assert_eq!(loaded.iter().map(|l| l.data.num_rows()).sum::<usize>(), 8);

    let by_p: Vec<_> =
        read_dataset_as_metapartitions_iter(&factory, &ReadOptions::default().dispatch_by(["P"]))
            .unwrap()
            .collect::<Result<_>>()
            .unwrap();
    let values: Vec<String> = by_p
        .iter()
        .map(|l| format!("{:?}", l.dispatch_values[0].value))
        .collect();
    assert_eq!(by_p.len(), 4, "{values:?}");
    // P = 3 comes from two input frames: two partitions in one group.
    assert_eq!(by_p[2].labels.len(), 2);
    assert_eq!(by_p[2].data.num_rows(), 3);
}

#[test]
fn read_options_are_validated_before_any_data_io() {
    let temp = StoreKind::Memory.fresh();
    let store = temp.store();
    stored_dataset(store);
    // Delete every data file: a read that touched one would fail differently.
    for key in store.list_keys(&format!("{UUID}/table/")).unwrap() {
        if key.ends_with(".parquet") {
            store.delete(&key).unwrap();
        }
    }
    let factory = DatasetFactory::new(store.clone(), UUID);
    let err = read_dataset_as_batches_iter(&factory, &ReadOptions::default().columns(["nope"]))
        .unwrap_err();
    assert!(matches!(err, Error::ColumnNotFound { .. }), "{err:?}");
    let err = read_dataset_as_batches_iter(&factory, &ReadOptions::default().dispatch_by(["s"]))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    // Planning succeeds without data; the first `next()` fails, and then the iterator ends.
    let mut iter = read_dataset_as_batches_iter(&factory, &ReadOptions::default()).unwrap();
    assert!(iter.next().unwrap().is_err());
    assert!(iter.next().is_none());
}

#[test]
fn each_batch_is_written_before_the_next_is_pulled() {
    let temp = StoreKind::Memory.fresh();
    let store = temp.store().clone();
    let pulled = Cell::new(0usize);
    let data_files = |store: &Store| {
        store
            .list_keys(&format!("{UUID}/table/"))
            .unwrap()
            .into_iter()
            .filter(|k| k.ends_with(".parquet"))
            .count()
    };
    let input = (0..5).map(|i| {
        // Batch i is pulled after batches 0..i were written (one file each), and nothing is
        // committed before the end.
        assert_eq!(data_files(&store), i);
        assert!(!store
            .exists(&naming::metadata_key(UUID, naming::MetadataFormat::Json))
            .unwrap());
        pulled.set(pulled.get() + 1);
        Ok(frame(&[i as i64], &[i as i64]))
    });
    let dataset = store_dataset_from_iter(
        temp.store(),
        UUID,
        input,
        &StoreOptions::default().secondary_indices(["x"]),
    )
    .unwrap();
    assert_eq!(pulled.get(), 5);
    assert_eq!(dataset.partitions.len(), 5);
    assert_eq!(rows(temp.store()).rows.len(), 5);
}

#[test]
fn streamed_store_reads_like_eager_store() {
    let eager = StoreKind::Memory.fresh();
    let streamed = StoreKind::Memory.fresh();
    let batches: Vec<RecordBatch> = (0..4).map(|i| sized(50 + i, 3)).collect();
    let options = StoreOptions::default()
        .partition_on(["key"])
        .secondary_indices(["group"]);
    plateau_io_eager::store_dataframes_as_dataset(eager.store(), UUID, &batches, &options).unwrap();
    let dataset =
        store_dataset_from_iter(streamed.store(), UUID, ok_stream(batches), &options).unwrap();
    assert_eq!(dataset.partitions.len(), 12);
    assert_eq!(rows(streamed.store()), rows(eager.store()));
    let index = |store: &Store| {
        let factory = DatasetFactory::new(store.clone(), UUID);
        let metadata = factory.load_all_indices().unwrap();
        let index = metadata.loaded_index("group").unwrap();
        let mut values: Vec<String> = index
            .entries()
            .unwrap()
            .into_iter()
            .map(|(value, labels)| format!("{value:?}:{}", labels.len()))
            .collect();
        values.sort();
        values
    };
    assert_eq!(index(streamed.store()), index(eager.store()));
}

/// Runs `write` (which must fail) against the state `setup` made and checks that the
/// dataset, the store keys and the metadata bytes are exactly as before.
fn assert_unchanged(
    kind: StoreKind,
    setup: &dyn Fn(&Store),
    write: &dyn Fn(&Store) -> Result<()>,
    expected: &dyn Fn(&Error) -> bool,
) {
    let temp = kind.fresh();
    setup(temp.store());
    let before = snapshot(temp.store());
    let rows_before = before.1.as_ref().map(|_| rows(temp.store()));
    let err = write(temp.store()).unwrap_err();
    assert!(expected(&err), "{kind:?}: unexpected error {err:?}");
    assert_eq!(snapshot(temp.store()), before, "{kind:?}: {err}");
    assert_eq!(before.1.as_ref().map(|_| rows(temp.store())), rows_before);
}

fn nothing(_: &Store) {}

#[test]
fn store_error_item_mid_stream_writes_nothing() {
    for kind in StoreKind::ALL {
        assert_unchanged(
            kind,
            &nothing,
            &|store| {
                let mut input: Vec<Result<RecordBatch>> = frames().into_iter().map(Ok).collect();
                input.insert(2, Err(Error::invalid_input("the producer failed")));
                store_dataset_from_iter(store, UUID, input, &options()).map(|_| ())
            },
            &|e| e.to_string().contains("the producer failed"),
        );
    }
}

#[test]
fn store_bad_batch_mid_stream_writes_nothing() {
    for kind in StoreKind::ALL {
        // A null partition value in the third batch.
        assert_unchanged(
            kind,
            &nothing,
            &|store| {
                let mut input = frames();
                input.push(batch(vec![
                    (
                        "P",
                        std::sync::Arc::new(arrow::array::Int64Array::from(vec![Some(1), None]))
                            as _,
                    ),
                    ("x", int64([9, 10])),
                    ("s", strings(["odd", "even"])),
                ]));
                store_dataset_from_iter(store, UUID, ok_stream(input), &options()).map(|_| ())
            },
            &|e| e.to_string().contains("null values"),
        );
        // A batch without the partition column.
        assert_unchanged(
            kind,
            &nothing,
            &|store| {
                let mut input = frames();
                input.insert(1, batch(vec![("x", int64([1])), ("s", strings(["odd"]))]));
                store_dataset_from_iter(store, UUID, ok_stream(input), &options()).map(|_| ())
            },
            &|e| matches!(e, Error::InvalidInput(_)),
        );
    }
}

#[test]
fn store_schema_mismatch_mid_stream_writes_nothing() {
    for kind in StoreKind::ALL {
        assert_unchanged(
            kind,
            &nothing,
            &|store| {
                let mut input = frames();
                input.push(batch(vec![
                    ("P", int64([1])),
                    ("x", strings(["not an int"])),
                    ("s", strings(["odd"])),
                ]));
                store_dataset_from_iter(store, UUID, ok_stream(input), &options()).map(|_| ())
            },
            &|e| matches!(e, Error::SchemaIncompatible { .. }),
        );
    }
}

#[test]
fn overwrite_failing_mid_stream_keeps_the_old_dataset() {
    for kind in StoreKind::ALL {
        assert_unchanged(
            kind,
            &stored_dataset,
            &|store| {
                let input = vec![
                    Ok(batch(vec![("y", int64([1]))])),
                    Err(Error::invalid_input("the producer failed")),
                ];
                store_dataset_from_iter(
                    store,
                    UUID,
                    input,
                    &StoreOptions::default().overwrite(true),
                )
                .map(|_| ())
            },
            &|e| e.to_string().contains("the producer failed"),
        );
    }
}

#[test]
fn update_errors_mid_stream_leave_the_dataset_unchanged() {
    let update_options = || {
        UpdateOptions::default()
            .add_delete_scope([("P", Scalar::Int(1))])
            .metadata(serde_json::Map::from_iter([(
                "extra".to_owned(),
                serde_json::Value::from("metadata"),
            )]))
    };
    for kind in StoreKind::ALL {
        // An error item.
        assert_unchanged(
            kind,
            &stored_dataset,
            &|store| {
                let input = vec![
                    Ok(frame(&[5], &[50])),
                    Ok(frame(&[6, 7], &[60, 70])),
                    Err(Error::invalid_input("the producer failed")),
                ];
                update_dataset_from_iter(
                    &DatasetFactory::new(store.clone(), UUID),
                    input,
                    &update_options(),
                )
                .map(|_| ())
            },
            &|e| e.to_string().contains("the producer failed"),
        );
        // A schema mismatch against the stored schema in the second batch.
        assert_unchanged(
            kind,
            &stored_dataset,
            &|store| {
                let input = vec![
                    frame(&[5], &[50]),
                    batch(vec![
                        ("P", int64([6])),
                        ("x", int64([60])),
                        ("s", int64([0])),
                    ]),
                ];
                update_dataset_from_iter(
                    &DatasetFactory::new(store.clone(), UUID),
                    ok_stream(input),
                    &update_options(),
                )
                .map(|_| ())
            },
            &|e| matches!(e, Error::SchemaIncompatible { .. }),
        );
        // A batch lacking the index column.
        assert_unchanged(
            kind,
            &stored_dataset,
            &|store| {
                let input = vec![
                    frame(&[5], &[50]),
                    batch(vec![("P", int64([6])), ("s", strings(["odd"]))]),
                ];
                update_dataset_from_iter(
                    &DatasetFactory::new(store.clone(), UUID),
                    ok_stream(input),
                    &update_options(),
                )
                .map(|_| ())
            },
            &|e| matches!(e, Error::InvalidInput(_)),
        );
    }
}

#[test]
fn a_store_failure_mid_stream_leaves_the_dataset_unchanged() {
    for kind in StoreKind::ALL {
        let temp = kind.fresh();
        stored_dataset(temp.store());
        let (_, metadata_before) = snapshot(temp.store());
        let rows_before = rows(temp.store());
        let faulty = temp.faulty();
        // Unpartitioned-looking input: every batch has one P value, so one data file (one
        // mutation) per batch; the third batch's write fails.
        faulty.arm(Fault::FailAt(2));
        let input = vec![
            frame(&[5], &[50]),
            frame(&[6], &[60]),
            frame(&[7], &[70]),
            frame(&[8], &[80]),
        ];
        let result = update_dataset_from_iter(
            &DatasetFactory::new(faulty.store(), UUID),
            ok_stream(input),
            &UpdateOptions::default(),
        );
        assert!(result.is_err(), "{kind:?}: the fault did not surface");
        let log = faulty.log();
        assert!(
            log.iter()
                .all(|op| !op.contains("by-dataset-metadata") && !op.contains("indices")),
            "{kind:?}: the commit started: {log:?}"
        );
        let (keys_after, metadata_after) = snapshot(temp.store());
        assert_eq!(metadata_after, metadata_before, "{kind:?}");
        assert_eq!(rows(temp.store()), rows_before, "{kind:?}");
        // The two files written before the failure were removed again.
        let stray: Vec<&String> = keys_after
            .iter()
            .filter(|k| k.contains("P=5") || k.contains("P=6") || k.contains("P=7"))
            .collect();
        assert!(stray.is_empty(), "{kind:?}: {stray:?}");
    }
}

#[test]
fn empty_and_delete_only_streams_behave_like_eager() {
    let temp = StoreKind::Memory.fresh();
    let store = temp.store();
    let err = store_dataset_from_iter(store, UUID, std::iter::empty(), &options()).unwrap_err();
    assert!(
        err.to_string().contains("Cannot store empty datasets"),
        "{err}"
    );
    assert!(store.list_keys("").unwrap().is_empty());

    stored_dataset(store);
    let factory = DatasetFactory::new(store.clone(), UUID);
    let updated = update_dataset_from_iter(
        &factory,
        std::iter::empty(),
        &UpdateOptions::default().add_delete_scope([("P", Scalar::Int(3))]),
    )
    .unwrap();
    // Six partitions (two per frame), two of them with P = 3.
    assert_eq!(updated.partitions.len(), 4);
    assert!(updated.partitions.keys().all(|l| !l.starts_with("P=3/")));
}

#[test]
fn options_are_validated_before_the_first_batch_is_pulled() {
    let temp = StoreKind::Memory.fresh();
    let store = temp.store();
    let untouched = || (0..1).map(|_| -> Result<RecordBatch> { panic!("the input was pulled") });
    let err = store_dataset_from_iter(
        store,
        UUID,
        untouched(),
        &StoreOptions::default()
            .partition_on(["P"])
            .secondary_indices(["P"]),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("Cannot create secondary index"),
        "{err}"
    );
    assert!(matches!(
        store_dataset_from_iter(store, "bad uuid/", untouched(), &options()),
        Err(Error::InvalidUuid(_))
    ));
    stored_dataset(store);
    assert!(matches!(
        store_dataset_from_iter(store, UUID, untouched(), &options()),
        Err(Error::DatasetExists { .. })
    ));
    let factory = DatasetFactory::new(store.clone(), UUID);
    for options in [
        UpdateOptions::default().partition_on(["x"]),
        UpdateOptions::default().secondary_indices(["s"]),
        UpdateOptions::default().add_delete_scope([("s", "odd")]),
    ] {
        let err = update_dataset_from_iter(&factory, untouched(), &options).unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    }
}

#[test]
fn an_update_creating_the_dataset_fails_mid_stream_without_traces() {
    for kind in StoreKind::ALL {
        assert_unchanged(
            kind,
            &nothing,
            &|store| {
                let input = vec![
                    Ok(frame(&[5], &[50])),
                    Ok(frame(&[6, 7], &[60, 70])),
                    Err(Error::invalid_input("the producer failed")),
                ];
                update_dataset_from_iter(
                    &DatasetFactory::new(store.clone(), UUID),
                    input,
                    &UpdateOptions::default()
                        .partition_on(["P"])
                        .secondary_indices(["x"]),
                )
                .map(|_| ())
            },
            &|e| e.to_string().contains("the producer failed"),
        );
    }
}

#[test]
fn the_commit_is_one_metadata_write_after_all_data() {
    for kind in StoreKind::ALL {
        let temp = kind.fresh();
        stored_dataset(temp.store());
        let faulty = temp.faulty();
        faulty.disarm();
        let factory = DatasetFactory::new(faulty.store(), UUID);
        let updated = update_dataset_from_iter(
            &factory,
            ok_stream(vec![frame(&[5, 6], &[50, 60]), frame(&[7], &[70])]),
            &UpdateOptions::default().add_delete_scope([("P", Scalar::Int(1))]),
        )
        .unwrap();
        let log = faulty.log();
        let metadata_writes: Vec<usize> = log
            .iter()
            .enumerate()
            .filter(|(_, op)| op.contains("by-dataset-metadata"))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(metadata_writes, [log.len() - 1], "{kind:?}: {log:?}");
        let data_writes = log
            .iter()
            .filter(|op| op.contains("/table/") && op.ends_with(".parquet"))
            .count();
        assert_eq!(data_writes, 3, "{kind:?}: {log:?}");
        // The factory's cache holds the committed metadata; P = 1 is gone, 3 partitions added.
        assert_eq!(factory.metadata().unwrap().version, updated.version);
        assert_eq!(updated.partitions.len(), 6 - 1 + 3);
        assert!(updated.partitions.keys().all(|l| !l.starts_with("P=1/")));
    }
}
