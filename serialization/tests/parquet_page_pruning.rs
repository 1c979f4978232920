//! Page pruning and late materialisation on a file of many data pages per row group: the
//! results equal those of a read without pushdown, from memory and from a store; the pages
//! pruning skips are never decoded; files without a page index and files with a corrupt
//! one read the same.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod parquet_support;

use std::ops::Range;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, DictionaryArray, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow::datatypes::Int32Type;
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::{
    ColumnChunkMetaData, PageIndexPolicy, ParquetMetaData, ParquetMetaDataReader,
};
use parquet::file::page_index::offset_index::PageLocation;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet_support::batch;
use plateau_core::{Error, Predicates, Store};
use plateau_serialization::parquet::FOOTER_PREFETCH;
use plateau_serialization::{ParquetSerializer, ReadOptions, Serializer};

const ROWS: i64 = 60_000;
const ROW_GROUP_ROWS: usize = 20_000;
const PAGE_ROWS: usize = 500;

/// A cheap deterministic scramble.
fn mix(i: i64) -> i64 {
    (i as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(23) as i64
}

/// The `text` of row `i`: scrambled, a null in every 7th row.
fn text_of(i: i64) -> Option<String> {
    (i % 7 != 3).then(|| format!("t{:05}", mix(i).rem_euclid(50_000)))
}

/// `id` sorted; `noise` scrambled; `text` ([`text_of`]); `at` one second per row; `cat` a
/// dictionary of 10 strings; `f` floats with NaN and nulls.
fn data() -> RecordBatch {
    let text: StringArray = (0..ROWS).map(text_of).collect();
    let cat: DictionaryArray<Int32Type> = (0..ROWS)
        .map(|i| ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"][(i % 10) as usize])
        .collect();
    let f: Float64Array = (0..ROWS)
        .map(|i| match i % 11 {
            0 => None,
            1 => Some(f64::NAN),
            _ => Some((mix(i) % 1000) as f64 / 1000.0),
        })
        .collect();
    batch(vec![
        (
            "id",
            Arc::new(Int64Array::from_iter_values(0..ROWS)) as ArrayRef,
        ),
        (
            "noise",
            Arc::new(Int64Array::from_iter_values((0..ROWS).map(mix))),
        ),
        ("text", Arc::new(text)),
        (
            "at",
            Arc::new(
                TimestampMicrosecondArray::from_iter_values((0..ROWS).map(|i| i * 1_000_000))
                    .with_timezone("UTC"),
            ),
        ),
        ("cat", Arc::new(cat)),
        ("f", Arc::new(f)),
    ])
}

/// The data as Parquet with row groups of 20,000 rows and data pages of 500, with the
/// statistics `statistics` (`Page`: with a page index), snappy-compressed.
fn write(statistics: EnabledStatistics) -> Bytes {
    write_with(statistics, Compression::SNAPPY)
}

/// [`write`] with the compression `compression`.
fn write_with(statistics: EnabledStatistics, compression: Compression) -> Bytes {
    let mut properties = WriterProperties::builder()
        .set_compression(compression)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_data_page_row_count_limit(PAGE_ROWS)
        // The page row limit is checked once per write batch.
        .set_write_batch_size(PAGE_ROWS)
        .set_statistics_enabled(statistics);
    if statistics != EnabledStatistics::Page {
        properties = properties.set_offset_index_disabled(true);
    }
    let data = data();
    let mut buffer = Vec::new();
    let mut writer =
        ArrowWriter::try_new(&mut buffer, data.schema(), Some(properties.build())).unwrap();
    writer.write(&data).unwrap();
    writer.close().unwrap();
    Bytes::from(buffer)
}

fn metadata(bytes: &Bytes) -> ParquetMetaData {
    ParquetMetaDataReader::new()
        .parse_and_finish(bytes)
        .unwrap()
}

/// The byte range of a chunk's column index.
fn column_index_range(chunk: &ColumnChunkMetaData) -> Option<Range<u64>> {
    let start = u64::try_from(chunk.column_index_offset()?).unwrap();
    Some(start..start + u64::try_from(chunk.column_index_length()?).unwrap())
}

/// The byte range of a chunk's offset index.
fn offset_index_range(chunk: &ColumnChunkMetaData) -> Option<Range<u64>> {
    let start = u64::try_from(chunk.offset_index_offset()?).unwrap();
    Some(start..start + u64::try_from(chunk.offset_index_length()?).unwrap())
}

/// Where the page index lies: from the first column index to the end of the last offset
/// index.
fn page_index_range(meta: &ParquetMetaData) -> Range<u64> {
    let ranges: Vec<Range<u64>> = meta
        .row_groups()
        .iter()
        .flat_map(|rg| rg.columns())
        .flat_map(|c| [column_index_range(c), offset_index_range(c)])
        .map(Option::unwrap)
        .collect();
    let start = ranges.iter().map(|r| r.start).min().unwrap();
    let end = ranges.iter().map(|r| r.end).max().unwrap();
    start..end
}

const PREDICATES: &[&str] = &[
    "id == 27321",
    "id >= 1000 and id < 3500",
    "id in (5, 35000, 59999, 200000)",
    "id > 200000",
    "noise < 0",
    "noise == 12345",
    "text == 't00042'",
    "text == null",
    "text != 't00042' and id < 2000",
    "text >= 't4' and id >= 50000",
    "at >= timestamp '1970-01-01T10:00:00Z' and at < timestamp '1970-01-01T10:30:00Z'",
    "at == timestamp '1970-01-01T12:00:00Z'",
    "cat in ('c1', 'c3') and id > 55000",
    "cat == 'c9' and id < 50",
    "f > 0.99 and id < 15000",
    "f == null and id >= 19990 and id < 20010",
    "id < 10 or id > 59990 or noise == 7",
    "id not in (1, 2, 3) and id < 5",
    "id is distinct from 4 and id <= 4",
];

/// Output column sets: all, one that is no predicate column, some in another order, none.
fn column_sets() -> Vec<Option<Vec<&'static str>>> {
    vec![
        None,
        Some(vec!["noise"]),
        Some(vec!["text", "at", "id", "cat"]),
        Some(vec![]),
    ]
}

fn options(predicates: &str, columns: &Option<Vec<&str>>) -> ReadOptions {
    let mut options = ReadOptions::default().predicates(Predicates::parse(predicates).unwrap());
    options.columns = columns
        .as_ref()
        .map(|names| names.iter().map(|n| (*n).to_owned()).collect());
    options
}

fn without_pushdown(options: &ReadOptions) -> ReadOptions {
    options.clone().predicate_pushdown(false)
}

/// Every predicate and column set read three ways: from memory and from a store with
/// pushdown, from memory without; all three must agree (batches compare schemas too).
fn assert_reads_agree(bytes: &Bytes) {
    let store = Store::memory();
    store.put("p.parquet", bytes.clone()).unwrap();
    let serializer = ParquetSerializer::default();
    for predicates in PREDICATES {
        for columns in column_sets() {
            let options = options(predicates, &columns);
            let plain = serializer
                .deserialize(bytes.clone(), "p.parquet", &without_pushdown(&options))
                .unwrap();
            let memory = serializer
                .deserialize(bytes.clone(), "p.parquet", &options)
                .unwrap();
            let fetched = serializer.restore(&store, "p.parquet", &options).unwrap();
            let what = format!("{predicates}, columns {columns:?}");
            assert_eq!(memory, plain, "{what}");
            assert_eq!(fetched, plain, "{what}");
        }
    }
}

#[test]
fn results_equal_those_without_pushdown() {
    let bytes = write(EnabledStatistics::Page);
    let meta = metadata(&bytes);
    assert_eq!(meta.num_row_groups(), 3);
    // The reads from the store see the page index only in the footer prefetch.
    let size = bytes.len() as u64;
    assert!(
        size > 4 * FOOTER_PREFETCH,
        "file of {size} bytes is too small"
    );
    assert!(
        page_index_range(&meta).start >= size - FOOTER_PREFETCH,
        "the page index must lie in the footer prefetch for this test"
    );
    assert_reads_agree(&bytes);
}

#[test]
fn files_without_page_index_read_the_same() {
    let bytes = write(EnabledStatistics::Chunk);
    let meta = metadata(&bytes);
    let chunk = meta.row_group(0).column(0);
    assert!(column_index_range(chunk).is_none() && offset_index_range(chunk).is_none());
    assert_reads_agree(&bytes);
}

/// The data pages of column `column` in row group `rg`.
fn pages(bytes: &Bytes, meta: &ParquetMetaData, rg: usize, column: usize) -> Vec<PageLocation> {
    assert!(offset_index_range(meta.row_group(rg).column(column)).is_some());
    let with_index = ParquetMetaDataReader::new()
        .with_offset_index_policy(PageIndexPolicy::Required)
        .parse_and_finish(bytes)
        .unwrap();
    with_index.offset_index().unwrap()[rg][column]
        .page_locations()
        .clone()
}

/// `bytes` with the body of each page (all but its first 64 bytes, which hold the page
/// header) overwritten with garbage. Pages must be gzip-compressed: gzip's checksum makes
/// decoding garbage fail for certain (other codecs may decode it to other values).
fn with_garbage_pages(bytes: &Bytes, pages: &[PageLocation]) -> Bytes {
    let mut corrupt = bytes.to_vec();
    for page in pages {
        let start = usize::try_from(page.offset).unwrap() + 64;
        let end = usize::try_from(page.offset + i64::from(page.compressed_page_size)).unwrap();
        assert!(start < end, "page too small for this test");
        corrupt[start..end].fill(0xFF);
    }
    Bytes::from(corrupt)
}

#[test]
fn pruned_pages_are_never_decoded() {
    let bytes = write_with(
        EnabledStatistics::Page,
        Compression::GZIP(Default::default()),
    );
    let meta = metadata(&bytes);
    // `id` 21,000..21,499 is page 2 of row group 1: wreck pages 5 and 30 of `id` and `noise`
    // there, which page pruning skips.
    let wrecked: Vec<PageLocation> = [0, 1]
        .into_iter()
        .flat_map(|column| {
            let pages = pages(&bytes, &meta, 1, column);
            assert_eq!(pages.len(), ROW_GROUP_ROWS / PAGE_ROWS);
            [pages[5].clone(), pages[30].clone()]
        })
        .collect();
    let corrupt = with_garbage_pages(&bytes, &wrecked);
    let store = Store::memory();
    store.put("p.parquet", corrupt.clone()).unwrap();
    let serializer = ParquetSerializer::default();
    let options = options("id >= 21000 and id < 21250", &Some(vec!["noise", "id"]));
    let expected = serializer
        .deserialize(bytes.clone(), "p.parquet", &without_pushdown(&options))
        .unwrap();
    assert_eq!(expected.num_rows(), 250);
    assert_eq!(
        serializer
            .deserialize(corrupt.clone(), "p.parquet", &options)
            .unwrap(),
        expected
    );
    assert_eq!(
        serializer.restore(&store, "p.parquet", &options).unwrap(),
        expected
    );
    // Reading every page finds the garbage.
    let err = serializer
        .deserialize(corrupt, "p.parquet", &without_pushdown(&options))
        .unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
}

#[test]
fn late_filter_decodes_other_columns_only_for_matching_rows() {
    let bytes = write_with(
        EnabledStatistics::Page,
        Compression::GZIP(Default::default()),
    );
    let meta = metadata(&bytes);
    // `text` is scrambled, so its page bounds span nearly all values and prune nothing; the
    // few rows with the text of row 31,234 lie in few pages. Wreck every `noise` page
    // without such a row: only the reader's filter on `text` keeps the decoder away.
    let wanted = text_of(31_234).unwrap();
    let matching: Vec<usize> = (0..ROWS)
        .filter(|&i| text_of(i).as_ref() == Some(&wanted))
        .map(|i| usize::try_from(i).unwrap())
        .collect();
    let mut wrecked = Vec::new();
    for rg in 0..meta.num_row_groups() {
        for (page, location) in pages(&bytes, &meta, rg, 1).into_iter().enumerate() {
            let first = rg * ROW_GROUP_ROWS + page * PAGE_ROWS;
            if !matching
                .iter()
                .any(|row| (first..first + PAGE_ROWS).contains(row))
            {
                wrecked.push(location);
            }
        }
    }
    assert!(wrecked.len() >= 100, "only {} pages wrecked", wrecked.len());
    let corrupt = with_garbage_pages(&bytes, &wrecked);
    let serializer = ParquetSerializer::default();
    let options = options(&format!("text == '{wanted}'"), &Some(vec!["noise"]));
    let expected = serializer
        .deserialize(bytes.clone(), "p.parquet", &without_pushdown(&options))
        .unwrap();
    assert_eq!(expected.num_rows(), matching.len());
    assert_eq!(
        serializer
            .deserialize(corrupt.clone(), "p.parquet", &options)
            .unwrap(),
        expected
    );
    // Decoding `noise` for every row finds the garbage.
    let err = serializer
        .deserialize(corrupt, "p.parquet", &without_pushdown(&options))
        .unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
}

/// `bytes` with `range` overwritten by `pattern`, repeated.
fn overwrite(bytes: &Bytes, range: Range<u64>, pattern: &[u8]) -> Bytes {
    let mut corrupt = bytes.to_vec();
    let range = usize::try_from(range.start).unwrap()..usize::try_from(range.end).unwrap();
    for (i, byte) in corrupt[range].iter_mut().enumerate() {
        *byte = pattern[i % pattern.len()];
    }
    Bytes::from(corrupt)
}

#[test]
fn corrupt_page_index_is_ignored() {
    let bytes = write(EnabledStatistics::Page);
    let meta = metadata(&bytes);
    let index = page_index_range(&meta);
    let id = meta.row_group(1).column(0);
    let corrupted = [
        // Garbage for the whole page index.
        overwrite(&bytes, index.clone(), &[0xFF]),
        overwrite(&bytes, index, &[0x00]),
        // Offset indexes claiming two billion pages (parquet's decoder would reserve memory
        // for them first).
        overwrite(
            &bytes,
            offset_index_range(id).unwrap(),
            &[0x19, 0xFC, 0x80, 0x80, 0x80, 0x80, 0x07],
        ),
    ];
    let serializer = ParquetSerializer::default();
    for corrupt in corrupted {
        for predicates in PREDICATES {
            let options = options(predicates, &Some(vec!["noise", "text"]));
            let expected = serializer
                .deserialize(bytes.clone(), "p.parquet", &without_pushdown(&options))
                .unwrap();
            let read = serializer
                .deserialize(corrupt.clone(), "p.parquet", &options)
                .unwrap();
            assert_eq!(read, expected, "{predicates}");
        }
    }
}

#[test]
fn damaged_page_index_bytes_are_an_answer_or_corrupt() {
    // A changed byte in the page index of the predicate column: the read answers or reports
    // a corrupt file. (A change that still decodes can make page bounds lie, as footer
    // statistics can; that is not detectable, so the rows are not compared here.)
    let bytes = write(EnabledStatistics::Page);
    let meta = metadata(&bytes);
    let id = meta.row_group(1).column(0);
    let targets = [
        column_index_range(id).unwrap(),
        offset_index_range(id).unwrap(),
    ];
    let serializer = ParquetSerializer::default();
    let options = options("id >= 21000 and id < 22500", &Some(vec!["noise"]));
    for step in 0..200u64 {
        let target = &targets[(step % 2) as usize];
        let at = target.start + (mix(step as i64) as u64) % (target.end - target.start);
        let at = usize::try_from(at).unwrap();
        let mut corrupt = bytes.to_vec();
        corrupt[at] ^= 1 << (step / 2 % 8);
        match serializer.deserialize(Bytes::from(corrupt), "p.parquet", &options) {
            Ok(_) | Err(Error::Corrupt { .. }) => {}
            Err(other) => panic!("byte {at}: {other:?}"),
        }
    }
}
