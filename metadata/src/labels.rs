//! Partition labels ⇄ typed partition values.
//!
//! A label is `col=value/…/<base>` with quoted components. Values are typed through the
//! schema in `_common_metadata`, so bool, binary and tz-aware timestamp partition columns come
//! back with their real type (plateau reads every bool as `True`, binary as `str` and fails on
//! tz-aware values; reference §2.6).

use plateau_core::{naming, partition_value, Error, Result, Scalar};

use crate::dataset::DatasetMetadata;
use crate::load::column_type;

/// The typed partition values of `label`, in partition-key order.
pub fn label_values(metadata: &DatasetMetadata, label: &str) -> Result<Vec<(String, Scalar)>> {
    let decoded = naming::decode_label(label)?;
    metadata
        .partition_keys
        .iter()
        .map(|key| {
            let (_, quoted) = decoded
                .pairs
                .iter()
                .find(|(column, _)| column == key)
                .ok_or_else(|| {
                    Error::invalid_input(format!(
                        "partition `{label}` of dataset `{}` has no value for partition key `{key}`",
                        metadata.uuid
                    ))
                })?;
            let data_type = column_type(metadata, key)?;
            Ok((key.clone(), partition_value::parse_value(quoted, &data_type)?))
        })
        .collect()
}

/// A new partition label from typed partition values and a base name (a uuid4 hex).
pub fn make_label(values: &[(&str, &Scalar)], base: &str) -> Result<String> {
    let components = values
        .iter()
        .map(|(column, value)| {
            Ok(naming::label_component(
                column,
                &partition_value::quote_value(value)?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(naming::partition_label(&components, base))
}
