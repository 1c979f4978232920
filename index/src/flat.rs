//! The long form of an index: one row per (value, label).

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray, UInt32Array};
use arrow::compute::take;
use arrow::datatypes::{Field, Schema};
use plateau_core::Result;

use crate::index::Index;
use crate::types::PARTITION_COLUMN;

impl Index {
    /// The index as a table with columns `<column>` (the values, of [`Index::data_type`]) and
    /// `partition` (`Utf8` labels), one row per (value, label), sorted by value, then label
    /// (plateau's `as_flat_series()`, the input of `get_indices_as_dataframe`).
    ///
    /// # Errors
    /// Only Arrow errors gathering the values (none for a valid index).
    pub fn to_flat_batch(&self) -> Result<RecordBatch> {
        let mut rows = Vec::with_capacity(self.postings.len());
        for i in 0..self.len() {
            // Keys fit u32: their count is bounded by the u32 offsets.
            rows.extend(std::iter::repeat_n(i as u32, self.label_ids(i).len()));
        }
        let values = take(self.keys.as_ref(), &UInt32Array::from(rows), None)?;
        let labels: StringArray = self.postings.iter().map(|id| self.label(*id)).collect();
        let schema = Schema::new(vec![
            Field::new(&self.column, self.data_type.clone(), false),
            Field::new(PARTITION_COLUMN, arrow::datatypes::DataType::Utf8, false),
        ]);
        Ok(RecordBatch::try_new(
            Arc::new(schema),
            vec![values, Arc::new(labels) as ArrayRef],
        )?)
    }
}
