//! Delete scopes: which partitions a list of `column == value` conjunctions selects.
//!
//! Kept apart from [`crate::update`] so that the commit can evaluate a scope again when it
//! retries against newer metadata, without the commit depending on the update module.

use std::collections::HashSet;

use plateau_core::{Error, Result, Scalar};
use plateau_metadata::DatasetMetadata;

/// One dict of plateau's `delete_scope`: `(column, value)` equalities that must all hold.
pub type DeleteScope = Vec<(String, Scalar)>;

/// The columns `scopes` use, each once, in first-use order.
pub fn scope_columns(scopes: &[DeleteScope]) -> Vec<&str> {
    let mut columns: Vec<&str> = Vec::new();
    for (column, _) in scopes.iter().flatten() {
        if !columns.contains(&column.as_str()) {
            columns.push(column);
        }
    }
    columns
}

/// The labels of the partitions of `metadata` that `scopes` match, in metadata order. The
/// indices of [`scope_columns`] must be loaded.
///
/// # Errors
/// [`Error::InvalidInput`] for an index that is not loaded; values that cannot be read as
/// their column's type.
pub fn matching_labels(metadata: &DatasetMetadata, scopes: &[DeleteScope]) -> Result<Vec<String>> {
    if scopes.is_empty() {
        return Ok(Vec::new());
    }
    let mut matched: HashSet<&str> = HashSet::new();
    for scope in scopes {
        let mut candidates: Option<HashSet<&str>> = None;
        for (column, value) in scope {
            let index = metadata.loaded_index(column).ok_or_else(|| {
                Error::invalid_input(format!("the index of `{column}` could not be loaded"))
            })?;
            let labels: HashSet<&str> = index.query(value)?.into_iter().collect();
            candidates = Some(match candidates {
                None => labels,
                Some(current) => current.intersection(&labels).copied().collect(),
            });
        }
        match candidates {
            // No equality: every partition, as plateau's `query()` without arguments.
            None => matched.extend(metadata.partitions.keys().map(String::as_str)),
            Some(labels) => matched.extend(labels),
        }
    }
    Ok(metadata
        .partitions
        .keys()
        .filter(|label| matched.contains(label.as_str()))
        .cloned()
        .collect())
}
