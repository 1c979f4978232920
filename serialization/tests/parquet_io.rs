//! What `ParquetSerializer::restore` fetches from a store: the footer with a ranged read, then
//! only the projected column chunks of the chosen row groups in one `get_ranges` call.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod parquet_support;

use std::ops::Range;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int64Array, StringArray};
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use parquet_support::{batch, bytes_of, size_of, Read, RecordingStore};
use plateau_core::{Error, Predicates, Store};
use plateau_serialization::parquet::FOOTER_PREFETCH;
use plateau_serialization::{ParquetSerializer, ReadOptions, Serializer};

/// 100,000 rows in 10 row groups: `id` sorted, `noise` and `text` incompressible, so the
/// file is far larger than the footer prefetch.
fn write_large(store: &Store) -> String {
    let n = 100_000i64;
    let mix = |i: i64| {
        (i as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(17) as i64
    };
    let data = batch(vec![
        (
            "id",
            Arc::new(Int64Array::from_iter_values(0..n)) as ArrayRef,
        ),
        (
            "noise",
            Arc::new(Int64Array::from_iter_values((0..n).map(mix))),
        ),
        (
            "text",
            Arc::new(StringArray::from_iter_values(
                (0..n).map(|i| format!("{:x}", mix(i + 7))),
            )),
        ),
    ]);
    let serializer = ParquetSerializer::default()
        .with_chunk_size(Some(10_000))
        .unwrap();
    serializer.store(store, "big", &data).unwrap()
}

fn metadata(store: &Store, key: &str) -> ParquetMetaData {
    ParquetMetaDataReader::new()
        .parse_and_finish(&bytes_of(store, key))
        .unwrap()
}

/// The byte range of column `column` in row group `rg`.
fn chunk(meta: &ParquetMetaData, rg: usize, column: usize) -> Range<u64> {
    let (start, len) = meta.row_group(rg).column(column).byte_range();
    start..start + len
}

/// The footer prefetch: one suffix GET, which also tells the size (no HEAD).
fn tail_read() -> Read {
    Read::Suffix(FOOTER_PREFETCH)
}

#[test]
fn projection_fetches_only_the_projected_chunks() {
    let (recording, store) = RecordingStore::new();
    let key = write_large(&store);
    let size = size_of(&store, &key);
    assert!(
        size > 4 * FOOTER_PREFETCH,
        "file of {size} bytes is too small for this test"
    );
    let meta = metadata(&store, &key);
    assert_eq!(meta.num_row_groups(), 10);
    recording.take();

    let options = ReadOptions::default().columns(["noise"]);
    let read = ParquetSerializer::default()
        .restore(&store, &key, &options)
        .unwrap();
    assert_eq!(read.num_rows(), 100_000);
    assert_eq!(read.schema().field(0).name(), "noise");

    let expected: Vec<Range<u64>> = (0..10).map(|rg| chunk(&meta, rg, 1)).collect();
    // The last chunk may lie inside the prefetched tail and is then not fetched again.
    let reads = recording.take();
    assert_eq!(reads[..1], [tail_read()]);
    assert_eq!(reads.len(), 2, "{reads:?}");
    let Read::Ranges(fetched) = &reads[1] else {
        panic!("expected one get_ranges call, got {reads:?}")
    };
    let tail_start = size - FOOTER_PREFETCH;
    let remote: Vec<Range<u64>> = expected
        .iter()
        .filter(|r| r.start < tail_start)
        .cloned()
        .collect();
    assert_eq!(fetched, &remote);
}

#[test]
fn pruned_row_groups_are_not_fetched() {
    let (recording, store) = RecordingStore::new();
    let key = write_large(&store);
    let meta = metadata(&store, &key);
    recording.take();

    let options = ReadOptions::default()
        .columns(["text"])
        .predicates(Predicates::parse("id < 100").unwrap());
    let read = ParquetSerializer::default()
        .restore(&store, &key, &options)
        .unwrap();
    assert_eq!(read.num_rows(), 100);
    assert_eq!(read.num_columns(), 1);

    let reads = recording.take();
    assert_eq!(
        reads,
        [
            tail_read(),
            // Row group 0 only: the predicate column and the projected one, not `noise`.
            Read::Ranges(vec![chunk(&meta, 0, 0), chunk(&meta, 0, 2)]),
        ]
    );
}

#[test]
fn adjacent_chunks_are_fetched_as_one_range() {
    let (recording, store) = RecordingStore::new();
    let key = write_large(&store);
    let meta = metadata(&store, &key);
    recording.take();

    let options = ReadOptions::default()
        .columns(["id", "noise"])
        .predicates(Predicates::parse("id >= 10000 and id < 10010").unwrap());
    let read = ParquetSerializer::default()
        .restore(&store, &key, &options)
        .unwrap();
    assert_eq!(read.num_rows(), 10);
    let both = chunk(&meta, 1, 0).start..chunk(&meta, 1, 1).end;
    assert_eq!(recording.take(), [tail_read(), Read::Ranges(vec![both])]);
}

#[test]
fn full_read_is_one_get() {
    let (recording, store) = RecordingStore::new();
    let key = write_large(&store);
    recording.take();
    let read = ParquetSerializer::default()
        .restore(&store, &key, &ReadOptions::default())
        .unwrap();
    assert_eq!(read.num_rows(), 100_000);
    assert_eq!(read.num_columns(), 3);
    assert_eq!(recording.take(), [Read::Get]);
}

#[test]
fn small_file_is_read_with_the_footer() {
    let (recording, store) = RecordingStore::new();
    let data = batch(vec![
        ("a", Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef),
        ("b", Arc::new(StringArray::from(vec!["x", "y", "z"]))),
    ]);
    let key = ParquetSerializer::default()
        .store(&store, "small", &data)
        .unwrap();
    let size = size_of(&store, &key);
    recording.take();
    let read = ParquetSerializer::default()
        .restore(&store, &key, &ReadOptions::default().columns(["b"]))
        .unwrap();
    assert_eq!(read.num_rows(), 3);
    assert!(size <= FOOTER_PREFETCH);
    // The suffix GET brings the whole small file: one request.
    assert_eq!(recording.take(), [tail_read()]);
}

#[test]
fn invalid_requests_fail_before_any_data_is_fetched() {
    let (recording, store) = RecordingStore::new();
    let key = write_large(&store);
    recording.take();

    let options = ReadOptions::default()
        .columns(["text"])
        .predicates(Predicates::parse("id == 'one'").unwrap());
    let err = ParquetSerializer::default()
        .restore(&store, &key, &options)
        .unwrap_err();
    assert!(matches!(err, Error::PredicateType { .. }), "{err}");
    assert_eq!(recording.take(), [tail_read()]);

    let options = ReadOptions::default().columns(["nope", "text", "also_missing"]);
    let err = ParquetSerializer::default()
        .restore(&store, &key, &options)
        .unwrap_err();
    match err {
        Error::ColumnNotFound { columns } => assert_eq!(columns, ["also_missing", "nope"]),
        other => panic!("unexpected {other}"),
    }
    assert_eq!(recording.take(), [tail_read()]);
}

#[test]
fn columns_only_need_no_data() {
    let (recording, store) = RecordingStore::new();
    let key = write_large(&store);
    recording.take();
    let read = ParquetSerializer::default()
        .restore(
            &store,
            &key,
            &ReadOptions::default().columns(Vec::<String>::new()),
        )
        .unwrap();
    assert_eq!(read.num_columns(), 0);
    assert_eq!(read.num_rows(), 100_000);
    assert_eq!(recording.take(), [tail_read()]);
}

#[test]
fn footers_larger_than_the_prefetch_are_fetched_once_more() {
    let (recording, store) = RecordingStore::new();
    // 400 columns x 30 row groups: a footer of several hundred KiB.
    let rows = 30i64;
    let columns: Vec<(String, ArrayRef)> = (0..400)
        .map(|c| {
            (
                format!("column_with_a_long_name_{c:04}"),
                Arc::new(Int64Array::from_iter_values(
                    (0..rows).map(|r| r * 1000 + c),
                )) as ArrayRef,
            )
        })
        .collect();
    let data = batch(
        columns
            .iter()
            .map(|(n, a)| (n.as_str(), Arc::clone(a)))
            .collect(),
    );
    let key = ParquetSerializer::default()
        .with_chunk_size(Some(1))
        .unwrap()
        .store(&store, "wide", &data)
        .unwrap();
    let size = size_of(&store, &key);
    recording.take();

    let options = ReadOptions::default()
        .columns(["column_with_a_long_name_0123"])
        .predicates(Predicates::parse("column_with_a_long_name_0005 == 7005").unwrap());
    let read = ParquetSerializer::default()
        .restore(&store, &key, &options)
        .unwrap();
    assert_eq!(read.num_rows(), 1);
    let values = read
        .column(0)
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap();
    assert_eq!(values.value(0), 7123);

    let reads = recording.take();
    assert_eq!(reads[..1], [tail_read()], "{reads:?}");
    let Read::Range(footer) = &reads[1] else {
        panic!("expected a second footer read, got {reads:?}")
    };
    assert!(footer.end == size && footer.end - footer.start > FOOTER_PREFETCH);
    assert!(reads.len() <= 3, "{reads:?}");
}

#[test]
fn corrupt_large_files_are_errors() {
    let (_, store) = RecordingStore::new();
    let key = write_large(&store);
    let good = bytes_of(&store, &key).to_vec();
    let meta = metadata(&store, &key);
    let len = good.len();

    // A footer length beyond the start of the file.
    let mut bad_length = good.clone();
    bad_length[len - 8..len - 4].copy_from_slice(&u32::MAX.to_le_bytes());
    // Garbage where the footer's thrift is.
    let mut bad_footer = good.clone();
    for b in &mut bad_footer[len - 200..len - 8] {
        *b = 0xAB;
    }
    // Garbage over the page header of the first `noise` chunk.
    let mut bad_page = good.clone();
    let chunk = chunk(&meta, 0, 1);
    for b in &mut bad_page[chunk.start as usize..chunk.start as usize + 64] {
        *b = 0xFF;
    }
    let options = ReadOptions::default()
        .columns(["noise"])
        .predicates(Predicates::parse("id < 5").unwrap());
    for (name, bytes) in [
        ("bad_length", bad_length),
        ("bad_footer", bad_footer),
        ("bad_page", bad_page),
    ] {
        let key = format!("{name}.parquet");
        store.put(&key, bytes.into()).unwrap();
        let err = ParquetSerializer::default()
            .restore(&store, &key, &options)
            .unwrap_err();
        assert!(
            matches!(err, Error::Corrupt { key: ref k, .. } if *k == key),
            "{name}: {err}"
        );
    }
}
