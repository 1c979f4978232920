//! Row-group and page pruning from Parquet statistics.
//!
//! A row group is read iff some conjunction of the predicates has every literal "maybe true"
//! on it ([`prune_row_groups`]). Whether a literal may be true is decided from the row
//! group's statistics ([`ColumnStatistics`], [`literal_may_match`]) and is **conservative**:
//! a row group that can hold a matching row is never skipped, so pruning never changes the
//! result of a read, only its cost. The exact row filter runs on the rows that are read.
//!
//! A row group is split into its null rows and its non-null values, and the literal may
//! match if it may match either part:
//!
//! * **null rows** exist when the null count is unknown or positive, and — for float
//!   columns — always, because plateau treats NaN as null and statistics do not count NaN
//!   as null. Whether a null row matches is plateau's null rule for the operator: `== null`,
//!   `!= v`, `is distinct from v`, `in [.., null]` and `not in [..]` without null in the list
//!   match nulls; nothing else does.
//! * **non-null values** exist unless the null count equals the row count; they lie in
//!   `[min, max]`. Without usable bounds (missing statistics, NaN bounds, `max < min` as in
//!   ARROW-5166 / the uint64 overflow, incomparable values, nested columns) they may match
//!   anything. Otherwise: `== v` needs `min ≤ v ≤ max`; `<`, `<=`, `>`, `>=` compare with
//!   `min` or `max`; `in` needs an element in `[min, max]` (`in []` never matches); `!= v`,
//!   `is distinct from v` and `not in` exclude all values only when `min == max` are exact
//!   (not truncated) bounds equal to `v` / listed; `!= null` and `is distinct from null`
//!   match any value.
//!
//! The same rule prunes **data pages** from a file's page index (its per-page min, max and
//! null count): `prune_pages` gives the rows of each chosen row group whose pages may
//! match, and the reader skips the others. Pages of different columns do not align, so a
//! conjunction keeps the intersection of its literals' row ranges and the predicates the
//! union of their conjunctions'. Page bounds of byte-array columns may be truncated (the
//! column index has no exactness flag) and count as inexact.
//!
//! A column of Arrow type `Null` holds only null rows. Literal values are converted to the
//! column's representation with [`crate::filter::coerce_value`], so statistics and the row
//! filter compare the same values; a value that cannot be converted does not prune (the row
//! filter reports the error).
//!
//! Differences from plateau's `_predicate_accepts` (reference §4.4, §8 item 7): `!=` keeps
//! row groups whose non-`v` rows are nulls (plateau drops them, losing rows); `not in` and
//! `is distinct from` are supported; float bounds are used exactly (no `_epsilon` widening,
//! since Arrow statistics are exact), NaN is accounted for as null; truncated string bounds
//! are never used for equality-based pruning; a literal on a `null` column is evaluated as
//! on all-null data instead of dropping its conjunction.

use std::cmp::Ordering;
use std::ops::Range;

use arrow::array::{Array, ArrayRef, BooleanArray, UInt64Array};
use arrow::datatypes::{DataType, Schema};
use parquet::arrow::arrow_reader::statistics::StatisticsConverter;
use parquet::arrow::arrow_reader::{RowSelection, RowSelector};
use parquet::basic::Type as PhysicalType;
use parquet::file::metadata::ParquetMetaData;
use plateau_core::{Error, Literal, Op, Predicates, Result, Scalar, Value};

use crate::filter::{self, EvalOptions};
use crate::page_index::ChunkPageIndex;

/// What the statistics of one row group say about one column.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnStatistics {
    /// Rows in the row group.
    pub row_count: u64,
    /// Null rows, `None` if unknown. NaN values are not counted here.
    pub null_count: Option<u64>,
    /// The smallest non-null value (possibly truncated), `None` if unknown.
    pub min: Option<Scalar>,
    /// The largest non-null value (possibly truncated), `None` if unknown.
    pub max: Option<Scalar>,
    /// Whether `min` is an actual value of the column rather than a truncated lower bound.
    pub min_exact: bool,
    /// Whether `max` is an actual value of the column rather than a truncated upper bound.
    pub max_exact: bool,
}

impl ColumnStatistics {
    /// Statistics that say nothing about `row_count` rows (nothing can be pruned).
    pub fn unknown(row_count: u64) -> Self {
        Self {
            row_count,
            null_count: None,
            min: None,
            max: None,
            min_exact: false,
            max_exact: false,
        }
    }

    /// Exact statistics of a column with non-null values in `[min, max]` and `null_count`
    /// nulls.
    pub fn exact(row_count: u64, null_count: u64, min: Scalar, max: Scalar) -> Self {
        Self {
            row_count,
            null_count: Some(null_count),
            min: Some(min),
            max: Some(max),
            min_exact: true,
            max_exact: true,
        }
    }
}

/// The literal's value in the column's representation.
#[derive(Debug)]
enum Prepared {
    /// Nothing usable: the literal never prunes.
    Unusable,
    /// One value; [`Scalar::Null`] for a null literal.
    Scalar(Scalar),
    /// The list of `in` / `not in`, nulls as [`Scalar::Null`].
    List(Vec<Scalar>),
}

/// How a column's values can be reasoned about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ColumnKind {
    /// Arrow `Null`: every row is null.
    AllNull,
    /// Floats: NaN rows behave as nulls but are not counted as nulls.
    Float,
    /// Primitive, string, binary, temporal or decimal values (dictionaries by their values).
    Plain,
    /// Nested or otherwise unsupported: never pruned.
    Opaque,
}

fn column_kind(data_type: &DataType) -> ColumnKind {
    match data_type {
        DataType::Null => ColumnKind::AllNull,
        DataType::Float16 | DataType::Float32 | DataType::Float64 => ColumnKind::Float,
        DataType::Dictionary(_, value) => column_kind(value),
        DataType::Boolean
        | DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View
        | DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_)
        | DataType::Date32
        | DataType::Date64
        | DataType::Timestamp(_, _)
        | DataType::Decimal128(_, _) => ColumnKind::Plain,
        _ => ColumnKind::Opaque,
    }
}

/// Whether a null row satisfies `op value` under plateau's null rules (the evaluator's
/// semantics, see [`crate::filter`]).
pub fn null_row_matches(op: Op, value: &Value) -> bool {
    let has_null = value.values().iter().any(Scalar::is_null);
    match op {
        Op::Eq => has_null,
        Op::Ne | Op::IsDistinctFrom => !has_null,
        Op::Lt | Op::Le | Op::Gt | Op::Ge => false,
        Op::In => has_null,
        Op::NotIn => !has_null,
    }
}

fn prepare(column: &str, data_type: &DataType, value: &Value, options: &EvalOptions) -> Prepared {
    let value_type = match data_type {
        DataType::Dictionary(_, value) => value.as_ref(),
        other => other,
    };
    let coerce = |v: &Scalar| -> Option<Scalar> {
        if v.is_null() {
            return Some(Scalar::Null);
        }
        // A value the evaluator cannot convert makes the literal unusable for pruning; the
        // row filter reports the error on the rows that are read.
        filter::coerce_value(column, value_type, v, options).ok()
    };
    match value {
        Value::Scalar(v) => coerce(v).map_or(Prepared::Unusable, Prepared::Scalar),
        Value::List(list) => list
            .iter()
            .map(coerce)
            .collect::<Option<Vec<_>>>()
            .map_or(Prepared::Unusable, Prepared::List),
    }
}

/// Whether a row group with statistics `stats` of a column of type `data_type` may hold a
/// row satisfying `literal`. `false` means the row group certainly holds none.
///
/// ```
/// use arrow::datatypes::DataType;
/// use plateau_core::{Literal, Op, Scalar};
/// use plateau_serialization::filter::EvalOptions;
/// use plateau_serialization::pruning::{literal_may_match, ColumnStatistics};
///
/// let stats = ColumnStatistics::exact(4, 0, Scalar::Int(0), Scalar::Int(29));
/// let lit = Literal::new("A", Op::In, vec![-2i64, 44]);
/// assert!(!literal_may_match(&lit, &DataType::Int64, &stats, &EvalOptions::default()));
/// let lit = Literal::new("A", Op::Lt, 1i64);
/// assert!(literal_may_match(&lit, &DataType::Int64, &stats, &EvalOptions::default()));
/// ```
pub fn literal_may_match(
    literal: &Literal,
    data_type: &DataType,
    stats: &ColumnStatistics,
    options: &EvalOptions,
) -> bool {
    LiteralTest::new(literal, data_type, options).may_match(stats)
}

/// A literal prepared once (its value converted to the column's representation) and then
/// tested against the statistics of many row groups or pages.
#[derive(Debug)]
struct LiteralTest {
    kind: ColumnKind,
    op: Op,
    value: Prepared,
    null_matches: bool,
}

impl LiteralTest {
    fn new(literal: &Literal, data_type: &DataType, options: &EvalOptions) -> Self {
        let kind = column_kind(data_type);
        let value = match kind {
            ColumnKind::Plain | ColumnKind::Float => {
                prepare(&literal.column, data_type, &literal.value, options)
            }
            ColumnKind::AllNull | ColumnKind::Opaque => Prepared::Unusable,
        };
        Self {
            kind,
            op: literal.op,
            value,
            null_matches: null_row_matches(literal.op, &literal.value),
        }
    }

    /// Whether rows described by `stats` may satisfy the literal.
    fn may_match(&self, stats: &ColumnStatistics) -> bool {
        may_match(self.kind, self.op, &self.value, self.null_matches, stats)
    }
}

fn may_match(
    kind: ColumnKind,
    op: Op,
    value: &Prepared,
    null_matches: bool,
    stats: &ColumnStatistics,
) -> bool {
    if stats.row_count == 0 {
        return false;
    }
    if kind == ColumnKind::Opaque {
        return true;
    }
    let nulls_possible = kind == ColumnKind::Float
        || kind == ColumnKind::AllNull
        || stats.null_count.is_none_or(|n| n > 0);
    if nulls_possible && null_matches {
        return true;
    }
    let values_possible =
        kind != ColumnKind::AllNull && stats.null_count.is_none_or(|n| n < stats.row_count);
    values_possible && values_may_match(op, value, stats)
}

/// `a <= b`, `true` when the two cannot be compared (conservative).
fn maybe_le(a: &Scalar, b: &Scalar) -> bool {
    !matches!(a.partial_cmp_value(b), Some(Ordering::Greater))
}

/// `a < b`, `true` when the two cannot be compared (conservative).
fn maybe_lt(a: &Scalar, b: &Scalar) -> bool {
    !matches!(
        a.partial_cmp_value(b),
        Some(Ordering::Greater | Ordering::Equal)
    )
}

/// `a == b`, known for certain.
fn surely_eq(a: &Scalar, b: &Scalar) -> bool {
    if let (Scalar::Decimal { scale: sa, .. }, Scalar::Decimal { scale: sb, .. }) = (a, b) {
        // Decimals of different scales are compared after a saturating rescale, which can
        // call two huge values equal. A literal keeps a scale other than the column's only
        // when it has more fractional digits, so it equals no value of the column anyway.
        if sa != sb {
            return false;
        }
    }
    a.partial_cmp_value(b) == Some(Ordering::Equal)
}

/// Whether a non-null value in the row group's bounds may satisfy the literal.
fn values_may_match(op: Op, value: &Prepared, stats: &ColumnStatistics) -> bool {
    let (Some(min), Some(max)) = (&stats.min, &stats.max) else {
        return true;
    };
    // NaN bounds, bounds of different kinds and max < min (ARROW-5166, unsigned values
    // written with signed statistics) say nothing.
    if min.is_null()
        || max.is_null()
        || !matches!(
            min.partial_cmp_value(max),
            Some(Ordering::Less | Ordering::Equal)
        )
    {
        return true;
    }
    // Every non-null value equals `min`: only with exact (untruncated) bounds.
    let single = stats.min_exact && stats.max_exact && surely_eq(min, max);
    match (op, value) {
        (_, Prepared::Unusable) => true,
        (Op::Eq, Prepared::Scalar(v)) => !v.is_null() && maybe_le(min, v) && maybe_le(v, max),
        (Op::Ne | Op::IsDistinctFrom, Prepared::Scalar(v)) => {
            v.is_null() || !(single && surely_eq(min, v))
        }
        (Op::Lt, Prepared::Scalar(v)) => maybe_lt(min, v),
        (Op::Le, Prepared::Scalar(v)) => maybe_le(min, v),
        (Op::Gt, Prepared::Scalar(v)) => maybe_lt(v, max),
        (Op::Ge, Prepared::Scalar(v)) => maybe_le(v, max),
        (Op::In, Prepared::List(list)) => list
            .iter()
            .any(|v| !v.is_null() && maybe_le(min, v) && maybe_le(v, max)),
        (Op::NotIn, Prepared::List(list)) => {
            !(single && list.iter().any(|v| !v.is_null() && surely_eq(min, v)))
        }
        // Shapes validation rejects (a list with `==`, ...): never prune on them.
        _ => true,
    }
}

/// The statistics of `column` in every row group of a file, in row-group order.
///
/// `schema` is the file's Arrow schema (as the reader sees it). Statistics that cannot be
/// read or converted are reported as unknown, which only means nothing is pruned; a column
/// missing from `schema` is [`Error::ColumnNotFound`].
pub fn row_group_statistics(
    metadata: &ParquetMetaData,
    schema: &Schema,
    column: &str,
) -> Result<Vec<ColumnStatistics>> {
    let row_counts: Vec<u64> = metadata
        .row_groups()
        .iter()
        .map(|rg| u64::try_from(rg.num_rows()).unwrap_or(0))
        .collect();
    let unknown = || {
        row_counts
            .iter()
            .map(|&n| ColumnStatistics::unknown(n))
            .collect()
    };
    let (_, field) = schema
        .column_with_name(column)
        .ok_or_else(|| Error::ColumnNotFound {
            columns: vec![column.to_owned()],
        })?;
    if matches!(
        column_kind(field.data_type()),
        ColumnKind::Opaque | ColumnKind::AllNull
    ) {
        return Ok(unknown());
    }
    let parquet_schema = metadata.file_metadata().schema_descr();
    let Ok(converter) = StatisticsConverter::try_new(column, schema, parquet_schema) else {
        return Ok(unknown());
    };
    let Some(leaf) = converter.parquet_column_index() else {
        return Ok(unknown());
    };
    // A missing null count is unknown, not zero: old writers omit it.
    let converter = converter.with_missing_null_counts_as_zero(false);
    let groups = metadata.row_groups();
    let (Ok(mins), Ok(maxes), Ok(nulls), Ok(min_exact), Ok(max_exact)) = (
        converter.row_group_mins(groups),
        converter.row_group_maxes(groups),
        converter.row_group_null_counts(groups),
        converter.row_group_is_min_value_exact(groups),
        converter.row_group_is_max_value_exact(groups),
    ) else {
        return Ok(unknown());
    };
    // Only byte-array bounds can be truncated; numbers are always exact even when a writer
    // did not set the (newer) exactness flags.
    let truncatable = matches!(
        parquet_schema.column(leaf).physical_type(),
        PhysicalType::BYTE_ARRAY | PhysicalType::FIXED_LEN_BYTE_ARRAY
    );
    let mut out = Vec::with_capacity(row_counts.len());
    for (i, &row_count) in row_counts.iter().enumerate() {
        out.push(ColumnStatistics {
            row_count,
            null_count: count_at(&nulls, i),
            min: scalar_at(&mins, i),
            max: scalar_at(&maxes, i),
            min_exact: !truncatable || flag_at(&min_exact, i),
            max_exact: !truncatable || flag_at(&max_exact, i),
        });
    }
    Ok(out)
}

fn scalar_at(array: &ArrayRef, i: usize) -> Option<Scalar> {
    if i >= array.len() || array.is_null(i) {
        return None;
    }
    Scalar::try_from_array(array.as_ref(), i).ok()
}

fn count_at(array: &UInt64Array, i: usize) -> Option<u64> {
    (i < array.len() && array.is_valid(i)).then(|| array.value(i))
}

fn flag_at(array: &BooleanArray, i: usize) -> bool {
    i < array.len() && array.is_valid(i) && array.value(i)
}

/// The indices of the row groups of a file that may hold rows matching `predicates`, in
/// file order.
///
/// `schema` is the file's Arrow schema as the reader sees it. Every literal's column must be
/// in it ([`Error::ColumnNotFound`] otherwise). Type errors of literal values are not
/// reported here (run [`crate::filter::check_types`] first); such literals do not prune.
pub fn prune_row_groups(
    metadata: &ParquetMetaData,
    schema: &Schema,
    predicates: &Predicates,
    options: &EvalOptions,
) -> Result<Vec<usize>> {
    let num_row_groups = metadata.num_row_groups();
    // Per column: statistics of every row group, computed once however many literals use it.
    let mut columns: Vec<(&str, Vec<ColumnStatistics>)> = Vec::new();
    for name in predicates.columns() {
        let stats = row_group_statistics(metadata, schema, name)?;
        columns.push((name, stats));
    }
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let conjunctions = prepare_literals(schema, predicates, &names, options)?;
    Ok((0..num_row_groups)
        .filter(|&rg| {
            conjunctions.iter().any(|literals| {
                literals.iter().all(|(column, test)| {
                    columns[*column]
                        .1
                        .get(rg)
                        .is_none_or(|stats| test.may_match(stats))
                })
            })
        })
        .collect())
}

/// Every literal of `predicates`, conjunction by conjunction, as the position of its column
/// in `columns` and its prepared test.
fn prepare_literals(
    schema: &Schema,
    predicates: &Predicates,
    columns: &[&str],
    options: &EvalOptions,
) -> Result<Vec<Vec<(usize, LiteralTest)>>> {
    let not_found = |name: &str| Error::ColumnNotFound {
        columns: vec![name.to_owned()],
    };
    predicates
        .conjunctions
        .iter()
        .map(|conjunction| {
            conjunction
                .literals
                .iter()
                .map(|literal| {
                    let column = columns
                        .iter()
                        .position(|name| *name == literal.column)
                        .ok_or_else(|| not_found(&literal.column))?;
                    let field = schema
                        .field_with_name(&literal.column)
                        .map_err(|_| not_found(&literal.column))?;
                    Ok((
                        column,
                        LiteralTest::new(literal, field.data_type(), options),
                    ))
                })
                .collect()
        })
        .collect()
}

/// The statistics of one data page and the rows (within its row group) it holds.
#[derive(Clone, Debug)]
struct PageStatistics {
    rows: Range<usize>,
    stats: ColumnStatistics,
}

/// For each of `row_groups`, in order, the rows that may hold a row matching `predicates`
/// according to the statistics of their data pages: a [`RowSelection`] spanning the row
/// group's rows. `None` when no predicate column has a usable page index in any of them, so
/// there is nothing to prune.
///
/// `load` gives the checked page index of a column chunk (row group, leaf column), or `None`
/// (no index, or not in memory); its pages then count as "may match". A page is skipped
/// only when, for every conjunction, some literal cannot match it: as for row groups, each
/// literal's pages are tested with the literal's statistics rule, the kept pages of the
/// literals of a conjunction are intersected, and the conjunctions' rows united. Pages of
/// different columns need not align: the rules combine row ranges, not pages.
///
/// The predicates must have been checked against `schema` ([`crate::filter::check_types`]).
pub(crate) fn prune_pages(
    metadata: &ParquetMetaData,
    schema: &Schema,
    predicates: &Predicates,
    options: &EvalOptions,
    row_groups: &[usize],
    load: &dyn Fn(usize, usize) -> Option<ChunkPageIndex>,
) -> Result<Option<Vec<RowSelection>>> {
    let names: Vec<&str> = predicates.columns().into_iter().collect();
    // Per column, per row group in `row_groups`: its pages, if known.
    let pages: Vec<Vec<Option<Vec<PageStatistics>>>> = names
        .iter()
        .map(|name| column_page_statistics(metadata, schema, name, row_groups, load))
        .collect();
    if pages.iter().flatten().all(Option::is_none) {
        return Ok(None);
    }
    let conjunctions = prepare_literals(schema, predicates, &names, options)?;
    let selections = row_groups
        .iter()
        .enumerate()
        .map(|(i, &rg)| {
            let rows = usize::try_from(metadata.row_group(rg).num_rows()).unwrap_or(0);
            row_group_selection(&conjunctions, |column| pages[column][i].as_deref(), rows)
        })
        .collect();
    Ok(Some(selections))
}

/// The pages of `column` in each of `row_groups` (`None` where unknown).
fn column_page_statistics(
    metadata: &ParquetMetaData,
    schema: &Schema,
    column: &str,
    row_groups: &[usize],
    load: &dyn Fn(usize, usize) -> Option<ChunkPageIndex>,
) -> Vec<Option<Vec<PageStatistics>>> {
    let unknown = || vec![None; row_groups.len()];
    let Some((_, field)) = schema.column_with_name(column) else {
        return unknown();
    };
    // As for row groups: nested columns are never pruned, all-null ones need no statistics.
    if matches!(
        column_kind(field.data_type()),
        ColumnKind::Opaque | ColumnKind::AllNull
    ) {
        return unknown();
    }
    let parquet_schema = metadata.file_metadata().schema_descr();
    let Ok(converter) = StatisticsConverter::try_new(column, schema, parquet_schema) else {
        return unknown();
    };
    let Some(leaf) = converter.parquet_column_index() else {
        return unknown();
    };
    // The column index has no exactness flags; writers truncate long byte-array bounds.
    let truncatable = matches!(
        parquet_schema.column(leaf).physical_type(),
        PhysicalType::BYTE_ARRAY | PhysicalType::FIXED_LEN_BYTE_ARRAY
    );
    row_groups
        .iter()
        .map(|rg| {
            let index = load(*rg, leaf)?;
            chunk_page_statistics(&converter, &index, truncatable)
        })
        .collect()
}

/// The pages of one column chunk with their statistics; `None` if parquet cannot convert
/// them to the column's Arrow type.
fn chunk_page_statistics(
    converter: &StatisticsConverter<'_>,
    index: &ChunkPageIndex,
    truncatable: bool,
) -> Option<Vec<PageStatistics>> {
    let (columns, offsets) = (index.column_indexes(), index.offset_indexes());
    let row_group = [index.row_group()];
    let mins = converter
        .data_page_mins(columns, offsets, &row_group)
        .ok()?;
    let maxes = converter
        .data_page_maxes(columns, offsets, &row_group)
        .ok()?;
    let nulls = converter
        .data_page_null_counts(columns, offsets, &row_group)
        .ok()?;
    let pages = index.pages();
    if [mins.len(), maxes.len(), nulls.len()] != [pages.len(); 3] {
        return None;
    }
    let statistics = pages.iter().enumerate().map(|(i, rows)| PageStatistics {
        rows: rows.clone(),
        stats: ColumnStatistics {
            row_count: rows.len() as u64,
            null_count: count_at(&nulls, i),
            min: scalar_at(&mins, i),
            max: scalar_at(&maxes, i),
            min_exact: !truncatable,
            max_exact: !truncatable,
        },
    });
    Some(statistics.collect())
}

/// The rows of a row group of `rows` rows that may match: the union over conjunctions of
/// the intersection over their literals of the pages the literal may match (`pages` gives a
/// column's pages, `None` when unknown: every row may match).
fn row_group_selection<'p>(
    conjunctions: &[Vec<(usize, LiteralTest)>],
    pages: impl Fn(usize) -> Option<&'p [PageStatistics]>,
    rows: usize,
) -> RowSelection {
    let mut any: Option<RowSelection> = None;
    for literals in conjunctions {
        let mut all = RowSelection::from(vec![RowSelector::select(rows)]);
        for (column, test) in literals {
            let Some(pages) = pages(*column) else {
                continue;
            };
            let kept = pages
                .iter()
                .filter(|page| test.may_match(&page.stats))
                .map(|page| page.rows.clone());
            all = all.intersection(&RowSelection::from_consecutive_ranges(kept, rows));
        }
        any = Some(match any {
            None => all,
            Some(previous) => previous.union(&all),
        });
    }
    any.unwrap_or_else(|| RowSelection::from(vec![RowSelector::skip(rows)]))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    fn stats(min: i64, max: i64, nulls: u64, rows: u64) -> ColumnStatistics {
        ColumnStatistics::exact(rows, nulls, Scalar::Int(min), Scalar::Int(max))
    }

    #[test]
    fn null_rule_table() {
        let v = || Value::from(1i64);
        let null = || Value::Scalar(Scalar::Null);
        assert!(null_row_matches(Op::Eq, &null()));
        assert!(!null_row_matches(Op::Eq, &v()));
        assert!(null_row_matches(Op::Ne, &v()));
        assert!(!null_row_matches(Op::Ne, &null()));
        assert!(null_row_matches(Op::IsDistinctFrom, &v()));
        assert!(!null_row_matches(Op::IsDistinctFrom, &null()));
        assert!(!null_row_matches(Op::Lt, &v()));
        assert!(null_row_matches(
            Op::In,
            &Value::List(vec![Scalar::Int(1), Scalar::Null])
        ));
        assert!(!null_row_matches(Op::In, &Value::List(vec![])));
        assert!(null_row_matches(
            Op::NotIn,
            &Value::List(vec![Scalar::Int(1)])
        ));
        assert!(!null_row_matches(
            Op::NotIn,
            &Value::List(vec![Scalar::Null])
        ));
        assert!(null_row_matches(Op::NotIn, &Value::List(vec![])));
        assert!(null_row_matches(
            Op::Eq,
            &Value::Scalar(Scalar::Float(f64::NAN))
        ));
    }

    #[test]
    fn empty_row_group_never_matches() {
        let s = ColumnStatistics::unknown(0);
        assert!(!may_match(
            ColumnKind::Plain,
            Op::Ne,
            &Prepared::Unusable,
            true,
            &s
        ));
    }

    #[test]
    fn max_below_min_keeps() {
        let s = stats(10, 5, 0, 3);
        let v = Prepared::Scalar(Scalar::Int(100));
        assert!(may_match(ColumnKind::Plain, Op::Eq, &v, false, &s));
        assert!(may_match(ColumnKind::Plain, Op::Gt, &v, false, &s));
    }

    #[test]
    fn nan_bounds_keep() {
        let s = ColumnStatistics::exact(3, 0, Scalar::Float(f64::NAN), Scalar::Float(1.0));
        let v = Prepared::Scalar(Scalar::Float(5.0));
        assert!(may_match(ColumnKind::Float, Op::Eq, &v, false, &s));
    }

    #[test]
    fn unusable_literal_keeps_unless_empty_or_all_null() {
        let s = stats(0, 1, 0, 3);
        assert!(may_match(
            ColumnKind::Plain,
            Op::Lt,
            &Prepared::Unusable,
            false,
            &s
        ));
        let all_null = ColumnStatistics {
            null_count: Some(3),
            ..ColumnStatistics::unknown(3)
        };
        assert!(!may_match(
            ColumnKind::Plain,
            Op::Lt,
            &Prepared::Unusable,
            false,
            &all_null
        ));
    }
}
