//! Decoding only the part of an index file a plan needs.
//!
//! A point read (`idx == 12345`) needs the labels of one key, yet a full decode reads every
//! label list of the file, interns every label and sorts every key: on a 20,000-value index
//! that is most of the read. Here the value column is read alone, the literals are evaluated
//! on it, and only the matching rows' label lists are decoded. The result is a partial index
//! that answers those literals exactly as the full index would: every row whose key a
//! literal selects is in it, so the label set of each literal is the same.

use arrow::array::{new_empty_array, Array, BooleanArray};
use arrow::compute::kernels::boolean::or_kleene;
use bytes::Bytes;
use parquet::arrow::arrow_reader::RowSelection;
use plateau_core::{Op, Result, Value};
use plateau_serialization::filter::{evaluate_literal, EvalOptions};

use crate::index::Index;
use crate::keys;
use crate::persist::{key_rows, IndexFile, RowsToRead};
use crate::types::check_column;

impl Index {
    /// The index in the file `bytes` (at `key`), restricted to the keys that at least one of
    /// `literals` selects: `eval` of each of those literals gives the same labels as on the
    /// full index ([`Index::from_parquet`]). Such an index is for planning one read; it is
    /// not the dataset's index and must not be stored or cached as such.
    ///
    /// Cost: the value column is decoded and the literals evaluated on it; label lists are
    /// decoded only in the row groups holding a selected key, and interned only for the
    /// selected rows.
    ///
    /// # Errors
    /// As [`Index::from_parquet`]; a literal's evaluation errors (e.g.
    /// [`plateau_core::Error::PredicateType`]), raised as [`Index::eval`] raises them, even
    /// on a file without rows.
    pub fn from_parquet_matching(
        column: &str,
        bytes: Bytes,
        key: &str,
        literals: &[(Op, &Value)],
        options: &EvalOptions,
    ) -> Result<Index> {
        check_column(column)?;
        plateau_serialization::parquet::guard_decoder(key, || {
            let file = IndexFile::open(column, bytes, key)?;
            // The literal's type checks, even when the file has no rows to evaluate it on.
            let empty = new_empty_array(&file.data_type);
            for (op, value) in literals {
                evaluate_literal(column, empty.as_ref(), *op, value, options)?;
            }
            let mut selected: Vec<bool> = Vec::new();
            for values in file.values(key)? {
                let values = keys::canonical_floats(values);
                let mut mask = BooleanArray::from(vec![false; values.len()]);
                for (op, value) in literals {
                    let matched = evaluate_literal(column, values.as_ref(), *op, value, options)?;
                    mask = or_kleene(&mask, &matched)?;
                }
                let keys = key_rows(values.as_ref());
                selected.extend((0..values.len()).map(|row| {
                    mask.is_valid(row)
                        && mask.value(row)
                        && keys.as_ref().is_none_or(|keys| keys[row])
                }));
            }
            let rows = rows_to_read(&file.row_group_rows(), &selected);
            file.read(column, key, Some(rows))
        })
    }
}

/// The row groups holding a selected row, and the selection within them.
fn rows_to_read(row_group_rows: &[usize], selected: &[bool]) -> RowsToRead {
    let mut row_groups = Vec::new();
    let mut kept: Vec<bool> = Vec::new();
    let mut start = 0;
    for (group, rows) in row_group_rows.iter().enumerate() {
        let end = (start + rows).min(selected.len());
        let rows = &selected[start.min(end)..end];
        if rows.iter().any(|s| *s) {
            row_groups.push(group);
            kept.extend_from_slice(rows);
        }
        start = end;
    }
    RowsToRead {
        row_groups,
        selection: RowSelection::from_filters(&[BooleanArray::from(kept)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_to_read_keeps_only_groups_with_selected_rows() {
        // Groups: rows 0..2, 2..5, 5..7; rows 2 and 6 selected.
        let selected = [false, false, true, false, false, false, true];
        let rows = rows_to_read(&[2, 3, 2], &selected);
        assert_eq!(rows.row_groups, [1, 2]);
        assert_eq!(rows.selection.row_count(), 2);
        assert_eq!(rows.selection.skipped_row_count(), 3);
    }

    #[test]
    fn rows_to_read_without_selected_rows_reads_nothing() {
        let rows = rows_to_read(&[2, 3], &[false; 5]);
        assert!(rows.row_groups.is_empty());
        assert_eq!(rows.selection.row_count(), 0);
    }
}
