//! Comparing batches the way plateau's tests compare frames (`pdt.assert_frame_equal` with
//! `check_dtype=False`): by column name and value text, so `Int8` 1 equals `Int64` 1,
//! `Utf8` equals `LargeUtf8`, a dictionary equals its decoded values and a `Timestamp(us)`
//! equals the same instant in `ns`.

use std::fmt;

use arrow::array::Array;
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};

/// A batch as text: column names and rows of formatted values.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Table {
    /// Column names, in the order chosen by the constructor.
    pub columns: Vec<String>,
    /// One entry per row, values in `columns` order (`"null"` for nulls).
    pub rows: Vec<Vec<String>>,
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.columns.join(" | "))?;
        for row in &self.rows {
            writeln!(f, "{}", row.join(" | "))?;
        }
        Ok(())
    }
}

/// The formatted value of `array[i]`.
fn values(array: &dyn Array) -> Vec<String> {
    let options = FormatOptions::default().with_null("null");
    match ArrayFormatter::try_new(array, &options) {
        Ok(formatter) => (0..array.len())
            .map(|i| formatter.value(i).to_string())
            .collect(),
        Err(e) => vec![format!("<unformattable: {e}>"); array.len()],
    }
}

impl Table {
    /// The batch with its columns in batch order and rows in batch order.
    pub fn of(batch: &RecordBatch) -> Self {
        let columns: Vec<String> = batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let by_column: Vec<Vec<String>> =
            batch.columns().iter().map(|c| values(c.as_ref())).collect();
        let rows = (0..batch.num_rows())
            .map(|r| by_column.iter().map(|c| c[r].clone()).collect())
            .collect();
        Self { columns, rows }
    }

    /// Several batches stacked (`pd.concat`), columns of the first batch; every batch must
    /// have the same column set (in any order).
    ///
    /// # Panics
    /// If the column sets differ.
    pub fn concat(batches: &[RecordBatch]) -> Self {
        let mut tables = batches.iter().map(Table::of);
        let Some(mut first) = tables.next() else {
            return Table {
                columns: Vec::new(),
                rows: Vec::new(),
            };
        };
        for table in tables {
            let table = table.reorder(&first.columns);
            first.rows.extend(table.rows);
        }
        first
    }

    /// The same table with columns in `order` (which must name every column once).
    ///
    /// # Panics
    /// If `order` is not a permutation of the columns.
    pub fn reorder(&self, order: &[String]) -> Self {
        let mut sorted_own = self.columns.clone();
        sorted_own.sort();
        let mut sorted_order = order.to_vec();
        sorted_order.sort();
        assert_eq!(sorted_own, sorted_order, "column sets differ");
        let positions: Vec<usize> = order
            .iter()
            .filter_map(|c| self.columns.iter().position(|own| own == c))
            .collect();
        Table {
            columns: order.to_vec(),
            rows: self
                .rows
                .iter()
                .map(|row| positions.iter().map(|&p| row[p].clone()).collect())
                .collect(),
        }
    }

    /// Columns sorted by name (for `check_like=True` comparisons).
    pub fn sorted_columns(&self) -> Self {
        let mut order = self.columns.clone();
        order.sort();
        self.reorder(&order)
    }

    /// Rows sorted (for comparisons that ignore row order).
    pub fn sorted_rows(mut self) -> Self {
        self.rows.sort();
        self
    }

    /// The values of one column.
    ///
    /// # Panics
    /// If there is no such column.
    pub fn column(&self, name: &str) -> Vec<String> {
        #[allow(clippy::expect_used)]
        let p = self
            .columns
            .iter()
            .position(|c| c == name)
            .expect("column exists");
        self.rows.iter().map(|r| r[p].clone()).collect()
    }
}

/// `assert_frame_equal(actual, expected, check_dtype=False)`: same columns in the same order,
/// same rows in the same order.
///
/// # Panics
/// On any difference.
pub fn assert_frame_equal(actual: &RecordBatch, expected: &RecordBatch) {
    assert_eq!(Table::of(actual), Table::of(expected));
}

/// `assert_frame_equal(..., check_like=True, check_dtype=False)`: column order ignored.
///
/// # Panics
/// On any difference.
pub fn assert_frame_equal_like(actual: &RecordBatch, expected: &RecordBatch) {
    assert_eq!(
        Table::of(actual).sorted_columns(),
        Table::of(expected).sorted_columns()
    );
}

/// Same rows and column set, ignoring the order of both.
///
/// # Panics
/// On any difference.
pub fn assert_same_rows(actual: &[RecordBatch], expected: &[RecordBatch]) {
    assert_eq!(
        Table::concat(actual).sorted_columns().sorted_rows(),
        Table::concat(expected).sorted_columns().sorted_rows()
    );
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, DictionaryArray, Int32Array, Int8Array, LargeStringArray};
    use arrow::datatypes::Int32Type;

    use super::*;
    use crate::data::{batch, int64, strings};

    #[test]
    fn values_compare_across_widths_and_encodings() {
        let a = batch(vec![
            ("x", Arc::new(Int8Array::from(vec![1, 2])) as ArrayRef),
            ("s", strings(["a", "b"])),
        ]);
        let dict: DictionaryArray<Int32Type> = vec!["a", "b"].into_iter().collect();
        let b = batch(vec![
            ("s", Arc::new(dict) as ArrayRef),
            ("x", int64([1, 2])),
        ]);
        assert_frame_equal_like(&a, &b);
        let c = batch(vec![
            ("x", Arc::new(Int32Array::from(vec![2, 1])) as ArrayRef),
            (
                "s",
                Arc::new(LargeStringArray::from(vec!["b", "a"])) as ArrayRef,
            ),
        ]);
        assert_same_rows(std::slice::from_ref(&a), std::slice::from_ref(&c));
        assert_ne!(Table::of(&a), Table::of(&c));
    }
}
