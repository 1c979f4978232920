//! [`Index`]: the inverted index of one column, value → partition labels.
//!
//! # Representation and invariants
//!
//! Every constructor and operation of the crate returns an index in canonical form, which
//! makes structural equality the same as content equality and keeps lookups cheap:
//!
//! * `keys` is an Arrow array of the normalized type ([`crate::normalize_index_type`]) without
//!   nulls, strictly ascending in Arrow's sort order (floats without NaN, `-0.0` stored as
//!   `0.0`);
//! * the label ids of key `i` are `postings[offsets[i]..offsets[i + 1]]` (CSR), non-empty,
//!   strictly ascending;
//! * `labels` (id → label) is strictly ascending and every label occurs under some key, so
//!   ascending ids are ascending labels.

use std::fmt;
use std::ops::Range;

use arrow::array::{Array, ArrayRef};
use arrow::datatypes::DataType;
use plateau_core::{Result, Scalar};

/// Where an index comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IndexKind {
    /// Derived from the partition keys of the labels (plateau's `PartitionIndex`); never
    /// persisted.
    Partition,
    /// Built from the data and persisted as a Parquet file (plateau's
    /// `ExplicitSecondaryIndex`).
    Secondary,
}

/// An inverted index over one column: each distinct non-null value maps to the labels of the
/// partitions that contain it.
///
/// Equality ([`PartialEq`]) is content equality as in plateau: same column, same kind, same
/// normalized type, same values and the same *set* of labels per value. The storage key is
/// not compared (compare [`Index::storage_key`] as well where that matters).
#[derive(Clone)]
pub struct Index {
    pub(crate) column: String,
    pub(crate) kind: IndexKind,
    pub(crate) data_type: DataType,
    pub(crate) keys: ArrayRef,
    pub(crate) offsets: Vec<u32>,
    pub(crate) postings: Vec<u32>,
    pub(crate) labels: Vec<String>,
    pub(crate) storage_key: Option<String>,
}

impl Index {
    /// The indexed column.
    pub fn column(&self) -> &str {
        &self.column
    }

    /// Partition or secondary index.
    pub fn kind(&self) -> IndexKind {
        self.kind
    }

    /// The normalized type of the values ([`crate::normalize_index_type`]).
    pub fn data_type(&self) -> &DataType {
        &self.data_type
    }

    /// The number of distinct values.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the index holds no value.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The distinct values, ascending, of type [`Index::data_type`], without nulls.
    pub fn keys(&self) -> &ArrayRef {
        &self.keys
    }

    /// The distinct values as a new reference (plateau's `observed_values`).
    pub fn observed_values(&self) -> ArrayRef {
        self.keys.clone()
    }

    /// The value at position `i` of [`Index::keys`].
    ///
    /// # Errors
    /// [`plateau_core::Error::InvalidInput`] when `i` is out of bounds.
    pub fn value(&self, i: usize) -> Result<Scalar> {
        Scalar::try_from_array(self.keys.as_ref(), i)
    }

    /// The label dictionary (id → label), ascending; every label occurs under some value.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The number of distinct labels, the universe of this index's [`crate::LabelSet`]s.
    pub fn num_labels(&self) -> u32 {
        // Construction caps the dictionary at u32::MAX entries (ids are u32).
        u32::try_from(self.labels.len()).unwrap_or(u32::MAX)
    }

    /// The label of id `id`.
    pub fn label(&self, id: u32) -> Option<&str> {
        self.labels.get(id as usize).map(String::as_str)
    }

    /// The labels that occur in the index, ascending (plateau's set of partitions).
    pub fn partitions(&self) -> impl Iterator<Item = &str> + '_ {
        self.labels.iter().map(String::as_str)
    }

    /// The label ids of the value at position `i`, ascending; empty when out of bounds.
    pub fn label_ids(&self, i: usize) -> &[u32] {
        self.posting_range(i)
            .and_then(|range| self.postings.get(range))
            .unwrap_or_default()
    }

    /// The labels of the value at position `i`, ascending; empty when out of bounds.
    pub fn value_labels(&self, i: usize) -> impl Iterator<Item = &str> + '_ {
        self.label_ids(i).iter().filter_map(|id| self.label(*id))
    }

    /// Every `(value, labels)` pair in value order, like plateau's `to_dict()`.
    ///
    /// # Errors
    /// Only if a value cannot be represented as a [`Scalar`] (never for supported types).
    pub fn entries(&self) -> Result<Vec<(Scalar, Vec<&str>)>> {
        (0..self.len())
            .map(|i| Ok((self.value(i)?, self.value_labels(i).collect())))
            .collect()
    }

    /// The key of the Parquet file this index was loaded from or stored to; `None` when the
    /// index has not been persisted in its current content. Every mutation that changes the
    /// content drops it, so storing the result writes a new file (as plateau does).
    pub fn storage_key(&self) -> Option<&str> {
        self.storage_key.as_deref()
    }

    /// The same index, remembering `key` as its storage key.
    pub fn with_storage_key(mut self, key: impl Into<String>) -> Self {
        self.storage_key = Some(key.into());
        self
    }

    /// The same index without a storage key.
    pub fn without_storage_key(mut self) -> Self {
        self.storage_key = None;
        self
    }

    pub(crate) fn posting_range(&self, i: usize) -> Option<Range<usize>> {
        let start = *self.offsets.get(i)? as usize;
        let end = *self.offsets.get(i + 1)? as usize;
        Some(start..end)
    }

    /// An empty copy of this index's shape (column, kind, type), without storage key.
    pub(crate) fn empty_like(&self) -> Index {
        Index {
            column: self.column.clone(),
            kind: self.kind,
            data_type: self.data_type.clone(),
            keys: self.keys.slice(0, 0),
            offsets: vec![0],
            postings: Vec::new(),
            labels: Vec::new(),
            storage_key: None,
        }
    }
}

impl PartialEq for Index {
    fn eq(&self, other: &Self) -> bool {
        // Canonical form makes the structure unique per content (module docs).
        self.column == other.column
            && self.kind == other.kind
            && self.data_type == other.data_type
            && self.labels == other.labels
            && self.offsets == other.offsets
            && self.postings == other.postings
            && self.keys.to_data() == other.keys.to_data()
    }
}

impl fmt::Debug for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 8;
        let mut map = f.debug_map();
        for i in 0..self.len().min(SHOWN) {
            let value = self
                .value(i)
                .map_or_else(|e| format!("<{e}>"), |v| v.to_string());
            map.entry(&value, &self.value_labels(i).collect::<Vec<_>>());
        }
        if self.len() > SHOWN {
            map.entry(&"..", &format!("{} more", self.len() - SHOWN));
        }
        map.finish()?;
        write!(
            f,
            " ({:?} index on `{}`: {}, {} values, {} labels, storage key {:?})",
            self.kind,
            self.column,
            self.data_type,
            self.len(),
            self.labels.len(),
            self.storage_key
        )
    }
}
