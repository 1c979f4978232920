//! [`ReadOptions`]: what a read returns, shared by planning ([`crate::scan`]) and the
//! result rules of [`crate::read`].

use arrow::datatypes::Field;
use plateau_core::Predicates;

/// What to read (plateau's `columns`, `predicates`, `predicate_pushdown_to_io`,
/// `categoricals` and `dispatch_by` arguments).
///
/// ```
/// use plateau_core::Predicates;
/// use plateau_io::read::ReadOptions;
///
/// let options = ReadOptions::default()
///     .columns(["P", "x"])
///     .predicates(Predicates::parse("P == 1 or x > 3").unwrap())
///     .dispatch_by(["P"]);
/// assert!(options.predicate_pushdown_to_io);
/// assert_eq!(options.columns.as_deref(), Some(&["P".to_owned(), "x".to_owned()][..]));
/// ```
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct ReadOptions {
    /// The columns to return, in this order (partition columns included). `None` (the
    /// default): every column. `Some(vec![])`: no column, only the row count.
    pub columns: Option<Vec<String>>,
    /// Rows to keep, in disjunctive normal form. `None` (the default): every row.
    pub predicates: Option<Predicates>,
    /// Whether row groups whose statistics rule out every predicate may be skipped. Default
    /// `true`. The rows returned are the same either way.
    pub predicate_pushdown_to_io: bool,
    /// Columns returned as `Dictionary<Int32, _>` arrays (plateau's categoricals). Default
    /// empty: dictionary-encoded file columns are decoded to their value type.
    pub categoricals: Vec<String>,
    /// `None` (the default): one batch per partition. `Some(vec![])`: one batch of all
    /// partitions. `Some(columns)`: one batch per observed value combination of these index
    /// columns (partition keys or secondary indices), in ascending order. Ignored by
    /// [`crate::read::read_table`].
    pub dispatch_by: Option<Vec<String>>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            columns: None,
            predicates: None,
            predicate_pushdown_to_io: true,
            categoricals: Vec::new(),
            dispatch_by: None,
        }
    }
}

impl ReadOptions {
    /// Options that read every row and column, one batch per partition.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`ReadOptions::columns`].
    pub fn columns(mut self, columns: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.columns = Some(columns.into_iter().map(Into::into).collect());
        self
    }

    /// Sets [`ReadOptions::predicates`].
    pub fn predicates(mut self, predicates: Predicates) -> Self {
        self.predicates = Some(predicates);
        self
    }

    /// Sets [`ReadOptions::predicate_pushdown_to_io`].
    pub fn predicate_pushdown_to_io(mut self, pushdown: bool) -> Self {
        self.predicate_pushdown_to_io = pushdown;
        self
    }

    /// Sets [`ReadOptions::categoricals`].
    pub fn categoricals(mut self, columns: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.categoricals = columns.into_iter().map(Into::into).collect();
        self
    }

    /// Sets [`ReadOptions::dispatch_by`].
    pub fn dispatch_by(mut self, columns: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.dispatch_by = Some(columns.into_iter().map(Into::into).collect());
        self
    }

    pub(crate) fn is_categorical(&self, column: &str) -> bool {
        self.categoricals.iter().any(|c| c == column)
    }
}

/// `field` with the type a result column has: categoricals dictionary-encoded.
pub fn result_field(field: &Field, options: &ReadOptions) -> Field {
    let data_type = if options.is_categorical(field.name()) {
        plateau_serialization::serializer::categorical_type(field.data_type())
    } else {
        field.data_type().clone()
    };
    Field::new(field.name(), data_type, true).with_metadata(field.metadata().clone())
}
