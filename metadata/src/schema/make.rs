//! Plateau's `make_meta` for a Rust schema.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use arrow::datatypes::{Field, Schema};
use plateau_core::{Error, Result};
use serde_json::{json, Value as Json};

use super::compat::normalize_column_order;
use super::pandas::{
    column_entry, is_index_level_name, pandas_columns, pandas_metadata_document,
    pandas_type_from_entry, pandas_type_of, parse_pandas_metadata, PANDAS_METADATA_KEY,
};
use super::types::{all_nullable, normalize_type, pandas_equivalent_type};
use super::wrapper::SchemaWrapper;

/// Plateau's `make_meta` for a Rust schema: normalised types, pandas metadata, and the
/// normalised column order (partition keys first, in the given order, then the other columns
/// by name in code point order).
///
/// Index columns are dropped: fields named `__index_level_N__` and fields listed in
/// `index_columns` of the schema's own pandas metadata. The pandas metadata written is what
/// pyarrow writes for a pandas 3 frame (`attributes`, `column_indexes`, `columns`, `creator`,
/// an empty RangeIndex in `index_columns`, `pandas_version`); `creator` names this library,
/// which nothing reads.
///
/// Fails with [`Error::InvalidInput`] on duplicate column names (pyarrow refuses them too) and
/// [`Error::Unsupported`] on types a Parquet file cannot hold (unions, run-end encoded,
/// intervals).
pub fn make_meta(
    schema: &Schema,
    origin: &str,
    partition_keys: &[String],
) -> Result<SchemaWrapper> {
    // The batch's own pandas metadata, if it came from pandas: its dtypes decide the string
    // flavours exactly as in plateau. Unparseable metadata is advisory only and ignored.
    let own_pandas = schema
        .metadata()
        .get(PANDAS_METADATA_KEY)
        .and_then(|text| parse_pandas_metadata(text).ok());
    let own_index: HashSet<String> = own_pandas
        .as_ref()
        .and_then(|p| p.get("index_columns"))
        .and_then(Json::as_array)
        .map(|cols| {
            cols.iter()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();

    let mut seen = HashSet::new();
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut columns = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let name = field.name();
        if is_index_level_name(name) || own_index.contains(name.as_str()) {
            continue;
        }
        if !seen.insert(name.as_str()) {
            return Err(Error::invalid_input(format!(
                "Duplicate column names found: column `{name}` appears more than once in the schema of {origin}"
            )));
        }
        let own_entry = own_pandas
            .as_ref()
            .and_then(|p| pandas_columns(p).find(|e| e.get("field_name") == Some(&json!(name))))
            .and_then(pandas_type_from_entry);
        let arrow_type = pandas_equivalent_type(field.data_type(), false)?;
        // Derived from the pandas-equivalent type, so that e.g. a list of categoricals is
        // described as the list of strings pyarrow would see.
        let pandas = own_entry.unwrap_or_else(|| pandas_type_of(&arrow_type));
        let (data_type, pandas) = normalize_type(&arrow_type, &pandas);
        fields.push(Arc::new(Field::new(name, all_nullable(&data_type), true)));
        columns.push(column_entry(name, &pandas));
    }

    let pandas = pandas_metadata_document(columns);
    let wrapper = SchemaWrapper::from_parts(
        &Schema::new(fields),
        Some(pandas),
        BTreeSet::from([origin.to_owned()]),
    )?;
    normalize_column_order(&wrapper, partition_keys)
}
