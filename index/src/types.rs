//! The type an index stores its values in: plateau's normalized column types.

use arrow::datatypes::{DataType, TimeUnit};
use plateau_core::{Error, Result};

/// The name of the label column in index files; no index may be built for a column of this
/// name (plateau: "internal implementation conflict").
pub const PARTITION_COLUMN: &str = "partition";

/// The type an index over `column` of type `data_type` keeps its values in.
///
/// Mirrors plateau's `normalize_type` as applied to index dtypes, plus the representation
/// plateau writes: signed integers → `Int64`, unsigned → `UInt64`, floats → `Float64`, every
/// string type → `LargeUtf8`, every binary type → `Binary`, dates → `Date32`, timestamps →
/// `Timestamp(Nanosecond, tz)` (pandas' resolution), `Boolean` and `Decimal128` unchanged,
/// dictionaries → their normalized value type.
///
/// # Errors
/// * [`Error::InvalidInput`] for a column named `partition`;
/// * [`Error::Unsupported`] for the null type ("Indices w/ null/NA type are not supported"),
///   nested types ("Indices w/ nested types are not supported") and types plateau cannot
///   index (time of day, durations, intervals, ...).
pub fn normalize_index_type(column: &str, data_type: &DataType) -> Result<DataType> {
    check_column(column)?;
    use DataType as T;
    Ok(match data_type {
        T::Int8 | T::Int16 | T::Int32 | T::Int64 => T::Int64,
        T::UInt8 | T::UInt16 | T::UInt32 | T::UInt64 => T::UInt64,
        T::Float16 | T::Float32 | T::Float64 => T::Float64,
        T::Utf8 | T::LargeUtf8 | T::Utf8View => T::LargeUtf8,
        T::Binary | T::LargeBinary | T::BinaryView | T::FixedSizeBinary(_) => T::Binary,
        T::Date32 | T::Date64 => T::Date32,
        T::Timestamp(_, tz) => T::Timestamp(TimeUnit::Nanosecond, tz.clone()),
        T::Boolean => T::Boolean,
        T::Decimal128(precision, scale) => T::Decimal128(*precision, *scale),
        T::Dictionary(_, values) => normalize_index_type(column, values)?,
        T::Null => {
            return Err(Error::unsupported(format!(
                "Indices w/ null/NA type are not supported (column `{column}`)"
            )))
        }
        nested if nested.is_nested() => {
            return Err(Error::unsupported(format!(
                "Indices w/ nested types are not supported (column `{column}` has type {nested})"
            )))
        }
        other => {
            return Err(Error::unsupported(format!(
                "Indices over values of type {other} are not supported (column `{column}`)"
            )))
        }
    })
}

/// Rejects the one column name an index cannot have.
pub(crate) fn check_column(column: &str) -> Result<()> {
    if column == PARTITION_COLUMN {
        return Err(Error::invalid_input(format!(
            "Cannot create an index for column {column} due to an internal implementation \
             conflict. Please contact a plateau maintainer if you receive this error message"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::datatypes::Field;

    use super::*;

    #[test]
    fn widths_collapse_like_plateau() {
        let n = |t: DataType| normalize_index_type("c", &t).unwrap();
        assert_eq!(n(DataType::Int8), DataType::Int64);
        assert_eq!(n(DataType::UInt8), DataType::UInt64);
        assert_eq!(n(DataType::Float32), DataType::Float64);
        assert_eq!(n(DataType::Utf8View), DataType::LargeUtf8);
        assert_eq!(n(DataType::FixedSizeBinary(3)), DataType::Binary);
        assert_eq!(n(DataType::Date64), DataType::Date32);
        assert_eq!(
            n(DataType::Timestamp(
                TimeUnit::Microsecond,
                Some("EST".into())
            )),
            DataType::Timestamp(TimeUnit::Nanosecond, Some("EST".into()))
        );
        assert_eq!(
            n(DataType::Dictionary(
                Box::new(DataType::Int16),
                Box::new(DataType::Float32)
            )),
            DataType::Float64
        );
        assert_eq!(n(DataType::Decimal128(10, 2)), DataType::Decimal128(10, 2));
    }

    #[test]
    fn rejected_types() {
        let err = normalize_index_type("c", &DataType::Null).unwrap_err();
        assert!(
            matches!(&err, Error::Unsupported(m) if m.starts_with("Indices w/ null/NA type are not supported"))
        );
        let list = DataType::List(Arc::new(Field::new("item", DataType::Int8, true)));
        let err = normalize_index_type("c", &list).unwrap_err();
        assert!(
            matches!(&err, Error::Unsupported(m) if m.starts_with("Indices w/ nested types are not supported"))
        );
        let err = normalize_index_type("partition", &DataType::Int64).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput(m) if m.contains("internal implementation conflict"))
        );
        assert!(matches!(
            normalize_index_type("c", &DataType::Time32(TimeUnit::Second)),
            Err(Error::Unsupported(_))
        ));
    }
}
