//! Schema compatibility: plateau's column order and `validate_compatible` over the schemas of
//! many partitions, with the error messages describing a violation.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, FieldRef, Schema};
use plateau_core::{Error, Result};
use serde_json::{Map as JsonMap, Value as Json};

use super::pandas::{column_entry, pandas_columns, pandas_metadata_document};
use super::types::{
    fields_equal, pyarrow_type_name, schemas_equal, stored_pandas_type, types_equal,
};
use super::wrapper::SchemaWrapper;

/// Plateau's `normalize_column_order`: partition keys first (in `partition_keys` order, those
/// present), then the named columns sorted by name (code point order), then unnamed pandas
/// entries (index levels). Both the fields and the pandas `columns` list are reordered; fields
/// the pandas metadata does not mention are dropped, as in plateau.
///
/// Without pandas metadata (where plateau fails) the fields themselves are ordered the same way.
pub fn normalize_column_order(
    schema: &SchemaWrapper,
    partition_keys: &[String],
) -> Result<SchemaWrapper> {
    let by_name: HashMap<&str, &FieldRef> = schema
        .schema
        .fields()
        .iter()
        .map(|f| (f.name().as_str(), f))
        .collect();
    let Some(pandas) = schema.pandas_metadata() else {
        let mut partition: Vec<FieldRef> = Vec::new();
        for key in partition_keys {
            if let Some(f) = by_name.get(key.as_str()) {
                partition.push(Arc::clone(f));
            }
        }
        let mut payload: Vec<FieldRef> = schema
            .schema
            .fields()
            .iter()
            .filter(|f| !partition_keys.contains(f.name()))
            .cloned()
            .collect();
        payload.sort_by(|a, b| a.name().cmp(b.name()));
        partition.extend(payload);
        return schema.rebuilt(partition, None);
    };

    let mut partition: BTreeMap<usize, (Json, Option<FieldRef>)> = BTreeMap::new();
    let mut payload: Vec<(String, Json, Option<FieldRef>)> = Vec::new();
    let mut misc: Vec<(Json, Option<FieldRef>)> = Vec::new();
    for entry in pandas_columns(pandas) {
        let field = entry
            .get("field_name")
            .and_then(Json::as_str)
            .and_then(|n| by_name.get(n))
            .map(|f| Arc::clone(f));
        let entry_json = Json::Object(entry.clone());
        match entry.get("name") {
            None | Some(Json::Null) => misc.push((entry_json, field)),
            Some(name) => {
                // pandas labels are strings in practice; other JSON values sort by their text.
                let name = name
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| name.to_string());
                match partition_keys.iter().position(|k| *k == name) {
                    Some(position) => {
                        partition.insert(position, (entry_json, field));
                    }
                    None => payload.push((name, entry_json, field)),
                }
            }
        }
    }
    payload.sort_by(|a, b| a.0.cmp(&b.0));

    let ordered: Vec<(Json, Option<FieldRef>)> = partition
        .into_values()
        .chain(payload.into_iter().map(|(_, e, f)| (e, f)))
        .chain(misc)
        .collect();
    let mut pandas = pandas.clone();
    pandas.insert(
        "columns".into(),
        Json::Array(ordered.iter().map(|(e, _)| e.clone()).collect()),
    );
    let fields = ordered.into_iter().filter_map(|(_, f)| f).collect();
    schema.rebuilt(fields, Some(pandas))
}

/// Plateau's `validate_compatible`: checks that all `schemas` describe the same table and
/// returns the reference schema, carrying the union of all origins (`None` for no input).
///
/// * Null-typed fields are wildcards: the reference is a schema with the fewest null fields,
///   and its null fields are filled from other schemas' concrete fields of the same name.
/// * Every other schema, with its null fields removed from both sides, must have the same
///   fields as the reference: names, order, types and nullability (metadata ignored). A null
///   column the reference does not have is an extra column and an error (plateau lets it
///   pass and drops it from the stored schema, against its own intent).
///
/// Timestamps are nanoseconds in every [`SchemaWrapper`], so timestamp units never conflict,
/// tz-aware ones included; zones must be equal. Mismatches fail with
/// [`Error::SchemaIncompatible`] whose message names the origins of both sides (sorted, joined,
/// cut at 200 characters like plateau), lists the differing fields and shows the reference.
pub fn validate_compatible(
    schemas: &[SchemaWrapper],
    dataset_uuid: &str,
) -> Result<Option<SchemaWrapper>> {
    let Some((first, rest)) = schemas.split_first() else {
        return Ok(None);
    };
    let null_columns = |s: &SchemaWrapper| -> BTreeSet<String> {
        s.schema
            .fields()
            .iter()
            .filter(|f| f.data_type() == &DataType::Null)
            .map(|f| f.name().clone())
            .collect()
    };

    // Choose the reference exactly as plateau's `_determine_schemas_to_compare`, but over the
    // input order instead of a hash set.
    let mut reference = first.clone();
    let mut reference_nulls = null_columns(first);
    let mut to_evaluate: Vec<(SchemaWrapper, BTreeSet<String>)> = Vec::new();
    for schema in rest {
        let mut current = schema.clone();
        let mut current_nulls = null_columns(schema);
        if reference_nulls.is_subset(&current_nulls) {
            to_evaluate.push((current, current_nulls));
        } else if current_nulls.is_subset(&reference_nulls) {
            let previous = std::mem::replace(&mut reference, current);
            let previous_nulls = std::mem::replace(&mut reference_nulls, current_nulls);
            to_evaluate.push((previous, previous_nulls));
        } else {
            if current_nulls.len() < reference_nulls.len() {
                std::mem::swap(&mut reference, &mut current);
                std::mem::swap(&mut reference_nulls, &mut current_nulls);
            }
            for column in reference_nulls
                .difference(&current_nulls)
                .cloned()
                .collect::<Vec<_>>()
            {
                // plateau raises a KeyError when `current` lacks the column; leaving it null
                // lets the comparison below report the missing column instead.
                if current.field(&column).is_some() {
                    reference = fill_field(&reference, &current, &column)?;
                    reference_nulls.remove(&column);
                }
            }
            to_evaluate.push((current, current_nulls));
        }
    }

    for (current, nulls) in &to_evaluate {
        // plateau means to refuse stripping when the reference lacks one of the null columns
        // ("most likely an indicator for incompatible schemas"), but strips `current` anyway,
        // so an extra all-null column passes and silently vanishes from the stored schema
        // (verified with 4.6.2). We refuse on both sides: the extra column is reported.
        let strippable = nulls.iter().all(|n| reference.field(n).is_some());
        let no_strip = BTreeSet::new();
        let nulls = if strippable { nulls } else { &no_strip };
        let reference_stripped = strip_columns(&reference.schema, nulls);
        let current_stripped = strip_columns(&current.schema, nulls);
        if !schemas_equal(&reference_stripped, &current_stripped) {
            return Err(Error::SchemaIncompatible {
                uuid: dataset_uuid.to_owned(),
                message: violation_message(
                    current,
                    &reference,
                    &current_stripped,
                    &reference_stripped,
                ),
            });
        }
    }

    // Origins are added after checking so an error names only the reference's own origins.
    let mut origin = reference.origin.clone();
    for (schema, _) in &to_evaluate {
        origin.extend(schema.origin.iter().cloned());
    }
    let mut result = reference.with_origin(origin);
    if !result.has_pandas_metadata() {
        if let Some(pandas) = borrowed_pandas_metadata(&result, schemas) {
            result = result.rebuilt(
                result.schema.fields().iter().cloned().collect(),
                Some(pandas),
            )?;
        }
    }
    Ok(Some(result))
}

/// `reference` with its (null) field `column` replaced by `source`'s, and the pandas entry
/// replaced too so it describes the concrete type.
fn fill_field(
    reference: &SchemaWrapper,
    source: &SchemaWrapper,
    column: &str,
) -> Result<SchemaWrapper> {
    let Some(new_field) = source.field(column) else {
        return Ok(reference.clone());
    };
    let fields = reference
        .schema
        .fields()
        .iter()
        .map(|f| {
            if f.name() == column {
                Arc::clone(new_field)
            } else {
                Arc::clone(f)
            }
        })
        .collect();
    let pandas = match (reference.pandas_metadata(), source.pandas_column(column)) {
        (Some(pandas), Some(source_entry)) => {
            let mut pandas = pandas.clone();
            if let Some(columns) = pandas.get_mut("columns").and_then(Json::as_array_mut) {
                for entry in columns.iter_mut() {
                    if entry.get("field_name").and_then(Json::as_str) == Some(column) {
                        *entry = Json::Object(source_entry.clone());
                    }
                }
            }
            Some(pandas)
        }
        (pandas, _) => pandas.cloned(),
    };
    reference.rebuilt(fields, pandas)
}

/// Pandas metadata for `result` (which has none) from the other inputs: their entries for the
/// same field names and types, and entries derived from the stored types otherwise. `None`
/// when no input has pandas metadata.
fn borrowed_pandas_metadata(
    result: &SchemaWrapper,
    schemas: &[SchemaWrapper],
) -> Option<JsonMap<String, Json>> {
    let with_pandas: Vec<&SchemaWrapper> =
        schemas.iter().filter(|s| s.has_pandas_metadata()).collect();
    if with_pandas.is_empty() {
        return None;
    }
    let columns = result
        .schema
        .fields()
        .iter()
        .map(|field| {
            with_pandas
                .iter()
                .find_map(|s| {
                    let same_type = s
                        .field(field.name())
                        .is_some_and(|f| types_equal(f.data_type(), field.data_type()));
                    if same_type {
                        s.pandas_column(field.name()).cloned().map(Json::Object)
                    } else {
                        None
                    }
                })
                .unwrap_or_else(|| {
                    column_entry(field.name(), &stored_pandas_type(field.data_type()))
                })
        })
        .collect();
    Some(pandas_metadata_document(columns))
}

/// `schema` without the fields named in `names`.
fn strip_columns(schema: &Schema, names: &BTreeSet<String>) -> Schema {
    Schema::new(
        schema
            .fields()
            .iter()
            .filter(|f| !names.contains(f.name()))
            .cloned()
            .collect::<Vec<_>>(),
    )
}

/// Origins as plateau prints them: sorted, comma-joined, cut at 200 characters plus `...`
/// (dask truncates exception messages at 1000 characters).
pub fn format_origin(origin: &BTreeSet<String>) -> String {
    const MAX_LEN: usize = 200;
    const ELLIPSIS: &str = "...";
    let inner = origin
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let inner = if inner.chars().count() > MAX_LEN + ELLIPSIS.len() {
        let cut: String = inner.chars().take(MAX_LEN).collect();
        format!("{cut}{ELLIPSIS}")
    } else {
        inner
    };
    format!("{{{inner}}}")
}

fn violation_message(
    current: &SchemaWrapper,
    reference: &SchemaWrapper,
    current_stripped: &Schema,
    reference_stripped: &Schema,
) -> String {
    let diff = field_diff(current_stripped, reference_stripped).join("\n");
    format!(
        "Schema violation\n\nOrigin schema: {}\nOrigin reference: {}\n\nDiff:\n{diff}\n\nReference schema:\n{reference}",
        format_origin(&current.origin),
        format_origin(&reference.origin),
    )
}

/// One line per difference between the fields of `schema` and `reference`.
fn field_diff(schema: &Schema, reference: &Schema) -> Vec<String> {
    let describe = |f: &Field| {
        let null = if f.is_nullable() { "" } else { " not null" };
        format!("{}{null}", pyarrow_type_name(f.data_type()))
    };
    let find = |s: &Schema, name: &str| s.fields().iter().find(|f| f.name() == name).cloned();
    let mut lines = Vec::new();
    for r in reference.fields() {
        match find(schema, r.name()) {
            None => lines.push(format!(
                "  column `{}`: missing in schema, reference has {}",
                r.name(),
                describe(r)
            )),
            Some(s) if !fields_equal(&s, r) => lines.push(format!(
                "  column `{}`: schema has {}, reference has {}",
                r.name(),
                describe(&s),
                describe(r)
            )),
            Some(_) => {}
        }
    }
    for s in schema.fields() {
        if find(reference, s.name()).is_none() {
            lines.push(format!(
                "  column `{}`: schema has {}, missing in reference",
                s.name(),
                describe(s)
            ));
        }
    }
    if lines.is_empty() {
        let names = |s: &Schema| {
            s.fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        lines.push(format!(
            "  column order differs: schema has [{}], reference has [{}]",
            names(schema),
            names(reference)
        ));
    }
    lines
}
