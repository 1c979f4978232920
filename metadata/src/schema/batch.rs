//! Empty typed batches.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{FieldRef, Schema};
use plateau_core::{Error, Result};

/// A batch with no rows and the fields of `schema` (or only `columns`, in that order), so
/// readers can return a typed empty result. Schema metadata is not carried over, since the
/// pandas metadata would not describe a projection.
///
/// Fails with [`Error::ColumnNotFound`] (names sorted) for columns the schema lacks.
pub fn empty_batch(schema: &Schema, columns: Option<&[String]>) -> Result<RecordBatch> {
    let fields: Vec<FieldRef> = match columns {
        None => schema.fields().iter().cloned().collect(),
        Some(columns) => {
            let mut missing = Vec::new();
            let mut fields = Vec::with_capacity(columns.len());
            for column in columns {
                match schema.fields().iter().find(|f| f.name() == column) {
                    Some(f) => fields.push(Arc::clone(f)),
                    None => missing.push(column.clone()),
                }
            }
            if !missing.is_empty() {
                missing.sort();
                missing.dedup();
                return Err(Error::ColumnNotFound { columns: missing });
            }
            fields
        }
    };
    Ok(RecordBatch::new_empty(Arc::new(Schema::new(fields))))
}
