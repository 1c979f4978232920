//! The page index of a Parquet file's column chunks, decoded from bytes a read already holds.
//!
//! A column chunk's page index has two parts: the *column index* (per data page: min, max,
//! null count) and the *offset index* (per data page: where it starts and its first row).
//! [`crate::pruning::prune_pages`] turns them into the rows a read may skip.
//!
//! A read never fetches a page index: files written by pyarrow mostly have none, and fetching
//! it would cost a request that has to finish before the data can be requested. It is used
//! when the whole file is in memory, or when the index lies in the end of the file already
//! fetched for the footer (writers put it just before the footer).
//!
//! The index comes from the file, so it is checked before it is believed: a page index that
//! does not decode, whose pages do not start at row 0 and then at strictly increasing rows
//! inside the row group, whose column and offset index disagree on the number of pages, or
//! whose null counts exceed a page's rows is ignored ([`FilePageIndex::chunk`] returns
//! `None`), as is a file whose offset index claims more pages than it has bytes, and the read
//! proceeds without page pruning, with the same result.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use parquet::file::metadata::{
    PageIndexPolicy, ParquetColumnIndex, ParquetMetaData, ParquetMetaDataReader, ParquetOffsetIndex,
};
use parquet::file::page_index::column_index::ColumnIndexMetaData;
use parquet::file::page_index::offset_index::OffsetIndexMetaData;

/// The page index of a whole file, decoded from bytes a read already holds.
///
/// parquet 59 decodes page indexes only for a whole file at once (its per-chunk decoders are
/// private), so a file's index is used when the bytes of every chunk's index are in hand,
/// and not at all otherwise.
#[derive(Debug)]
pub(crate) struct FilePageIndex {
    column: ParquetColumnIndex,
    offset: ParquetOffsetIndex,
}

impl FilePageIndex {
    /// The page index of the file whose footer is `metadata` and whose size is `file_size`,
    /// if it has one and `held` (the bytes of a range of the file that are already in
    /// memory) covers it.
    pub(crate) fn load(
        metadata: &ParquetMetaData,
        file_size: u64,
        held: &dyn Fn(Range<u64>) -> Option<Bytes>,
    ) -> Option<Arc<Self>> {
        let mut start = u64::MAX;
        for chunk in metadata.row_groups().iter().flat_map(|g| g.columns()) {
            if let Some(range) =
                index_range(chunk.offset_index_offset(), chunk.offset_index_length())
            {
                // Checked before parquet sees it: see `claimed_pages`.
                let bytes = held(range.clone())?;
                if claimed_pages(&bytes).is_some_and(|pages| pages > bytes.len() as u64) {
                    return None;
                }
                start = start.min(range.start);
            }
            if let Some(range) =
                index_range(chunk.column_index_offset(), chunk.column_index_length())
            {
                start = start.min(range.start);
            }
        }
        if start >= file_size {
            return None;
        }
        // parquet reads the indexes from a suffix of the file.
        let suffix = held(start..file_size)?;
        let mut reader = ParquetMetaDataReader::new_with_metadata(metadata.clone())
            .with_page_index_policy(PageIndexPolicy::Optional);
        reader.read_page_indexes_sized(&suffix, file_size).ok()?;
        let decoded = reader.finish().ok()?;
        Some(Arc::new(Self {
            column: decoded.column_index()?.clone(),
            offset: decoded.offset_index()?.clone(),
        }))
    }

    /// The checked page index of the chunk of leaf column `leaf` in row group `row_group`
    /// of `metadata` (the footer it was loaded with); `None` when the chunk has none or it
    /// fails the checks of the module documentation.
    pub(crate) fn chunk(
        self: &Arc<Self>,
        metadata: &ParquetMetaData,
        row_group: usize,
        leaf: usize,
    ) -> Option<ChunkPageIndex> {
        let rows = usize::try_from(metadata.row_groups().get(row_group)?.num_rows()).ok()?;
        let offset_index = self.offset.get(row_group)?.get(leaf)?;
        let column_index = self.column.get(row_group)?.get(leaf)?;
        // A chunk without a column index (parquet's placeholder answers no question).
        if matches!(column_index, ColumnIndexMetaData::NONE) {
            return None;
        }
        let pages = page_rows(offset_index, rows)?;
        if !agrees(column_index, &pages) {
            return None;
        }
        Some(ChunkPageIndex {
            file: Arc::clone(self),
            row_group,
            pages,
        })
    }
}

/// The checked page index of one column chunk: its file's index, the chunk's row group, and
/// the rows of each of its data pages.
#[derive(Debug)]
pub(crate) struct ChunkPageIndex {
    file: Arc<FilePageIndex>,
    row_group: usize,
    /// The rows (within the row group) of each data page, in order and adjacent.
    pages: Vec<Range<usize>>,
}

impl ChunkPageIndex {
    /// The rows of each data page.
    pub(crate) fn pages(&self) -> &[Range<usize>] {
        &self.pages
    }

    /// The file's column indexes, as parquet's statistics converter takes them.
    pub(crate) fn column_indexes(&self) -> &ParquetColumnIndex {
        &self.file.column
    }

    /// The file's offset indexes, as parquet's statistics converter takes them.
    pub(crate) fn offset_indexes(&self) -> &ParquetOffsetIndex {
        &self.file.offset
    }

    /// The chunk's row group.
    pub(crate) fn row_group(&self) -> usize {
        self.row_group
    }
}

/// The byte range of a page index part from its footer entry (offset and length).
pub(crate) fn index_range(offset: Option<i64>, length: Option<i32>) -> Option<Range<u64>> {
    let start = u64::try_from(offset?).ok()?;
    let length = u64::try_from(length?).ok()?;
    Some(start..start.checked_add(length)?)
}

// parquet's fast offset-index decoder reserves room for the claimed number of pages before
// reading any: a corrupt count of two billion asks for about 50 GB, and a failed allocation
// aborts the process, which no panic guard catches. Every page location takes several bytes,
// so a count above the byte length is certainly corrupt.

/// The number of pages an offset index declares, when it starts the way parquet's fast
/// decoder reads without checking the count; `None` when it does not (parquet then uses its
/// checked decoder).
///
/// In Thrift's compact encoding the index starts with the header of field 1, a list: the byte
/// `0x19` (field id delta 1, type 9). The list header follows: one byte whose high nibble is
/// the element count, or `0xF` and the count as an unsigned LEB128 varint after it.
fn claimed_pages(bytes: &[u8]) -> Option<u64> {
    let (&field, rest) = bytes.split_first()?;
    if field != 0x19 {
        return None;
    }
    let (&list, rest) = rest.split_first()?;
    let short = u64::from(list >> 4);
    if short != 0xF {
        return Some(short);
    }
    let mut count = 0u64;
    // A u64 takes at most ten varint bytes.
    for (i, &byte) in rest.iter().take(10).enumerate() {
        count |= u64::from(byte & 0x7F)
            .checked_shl(7 * i as u32)
            .unwrap_or(0);
        if byte & 0x80 == 0 {
            return Some(count);
        }
    }
    // Unterminated: parquet would fail to read it, but never let it reach the allocation.
    Some(u64::MAX)
}

/// The rows of each page of a column chunk of `rows` rows, from its offset index; `None`
/// unless the first page starts at row 0 and every other one strictly later, inside the row
/// group (so every page has rows and they cover the row group exactly).
fn page_rows(index: &OffsetIndexMetaData, rows: usize) -> Option<Vec<Range<usize>>> {
    let starts = index
        .page_locations()
        .iter()
        .map(|page| usize::try_from(page.first_row_index).ok())
        .collect::<Option<Vec<usize>>>()?;
    let valid = starts.first() == Some(&0)
        && starts.windows(2).all(|pair| pair[0] < pair[1])
        && starts.last().is_some_and(|&last| last < rows);
    if !valid {
        return None;
    }
    let ends = starts.iter().skip(1).copied().chain(std::iter::once(rows));
    Some(
        starts
            .iter()
            .zip(ends)
            .map(|(&start, end)| start..end)
            .collect(),
    )
}

/// Whether a column index describes exactly `pages` and counts no more nulls in a page than
/// it has rows (a larger count would let pruning conclude that a page has no values).
fn agrees(index: &ColumnIndexMetaData, pages: &[Range<usize>]) -> bool {
    if index.num_pages() != pages.len() as u64 {
        return false;
    }
    index.null_counts().is_none_or(|counts| {
        counts.len() == pages.len()
            && counts
                .iter()
                .zip(pages)
                .all(|(&nulls, rows)| u64::try_from(nulls).is_ok_and(|n| n <= rows.len() as u64))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use parquet::basic::Type;
    use parquet::file::metadata::{ColumnIndexBuilder, OffsetIndexBuilder};

    use super::*;

    #[test]
    fn claimed_page_counts() {
        // Not the fast decoder's layout: parquet checks the count itself.
        assert_eq!(claimed_pages(&[]), None);
        assert_eq!(claimed_pages(&[0x18, 0x3C]), None);
        // Short form: three pages.
        assert_eq!(claimed_pages(&[0x19, 0x3C]), Some(3));
        // Long form: 300 = 0b10_0101100 as LEB128 (0xAC 0x02).
        assert_eq!(claimed_pages(&[0x19, 0xFC, 0xAC, 0x02]), Some(300));
        // Two billion pages in a few bytes.
        let hostile = [0x19, 0xFC, 0x80, 0x80, 0x80, 0x80, 0x07, 0x00];
        assert_eq!(claimed_pages(&hostile), Some(1_879_048_192));
        // Unterminated varint.
        assert_eq!(claimed_pages(&[0x19, 0xFC, 0x80]), Some(u64::MAX));
    }

    fn offset_index(row_counts: &[i64]) -> OffsetIndexMetaData {
        let mut builder = OffsetIndexBuilder::new();
        for (page, &rows) in row_counts.iter().enumerate() {
            builder.append_row_count(rows);
            builder.append_offset_and_size(4 + 100 * page as i64, 100);
        }
        builder.build()
    }

    #[test]
    fn pages_must_cover_the_row_group_in_order() {
        assert_eq!(
            page_rows(&offset_index(&[3, 4, 2]), 9),
            Some(vec![0..3, 3..7, 7..9])
        );
        // An empty page (a repeated first row), a first row past the row group, no pages.
        assert_eq!(page_rows(&offset_index(&[3, 0, 6]), 9), None);
        assert_eq!(page_rows(&offset_index(&[3, 6, 1]), 9), None);
        assert_eq!(page_rows(&offset_index(&[]), 9), None);
        assert_eq!(page_rows(&offset_index(&[-1, 10]), 9), None);
    }

    fn column_index(null_counts: &[i64]) -> ColumnIndexMetaData {
        let mut builder = ColumnIndexBuilder::new(Type::INT64);
        for &nulls in null_counts {
            builder.append(
                false,
                1i64.to_le_bytes().to_vec(),
                2i64.to_le_bytes().to_vec(),
                nulls,
            );
        }
        builder.build().unwrap()
    }

    #[test]
    fn column_index_must_agree_with_the_pages() {
        let pages = [0..3, 3..7];
        assert!(agrees(&column_index(&[0, 4]), &pages));
        // More nulls than rows, a negative count, a page too many.
        assert!(!agrees(&column_index(&[4, 0]), &pages));
        assert!(!agrees(&column_index(&[-1, 0]), &pages));
        assert!(!agrees(&column_index(&[0, 0, 0]), &pages));
    }
}
