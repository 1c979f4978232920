//! Changing indices: merge (plateau's `update`), merging many at once, removing partitions
//! and values. Every operation returns a new index; one whose content changed has no storage
//! key, so storing it writes a new file as in plateau.

use std::cmp::Ordering;

use arrow::array::{Array, ArrayRef, BooleanArray};
use arrow::compute::{concat, filter, interleave};
use plateau_core::partition_value::normalize_value;
use plateau_core::{Error, Result, Scalar};

use crate::assemble::{assemble, RawIndex};
use crate::build::u32_len;
use crate::index::Index;
use crate::keys;

impl Index {
    /// The union of two indices over the same column: per value, the union of the labels
    /// (plateau's `IndexBase.update`).
    ///
    /// Merging an empty index returns an equal index that keeps its storage key; otherwise the
    /// result has none. Cost: O(n + m) (one merge pass over both sorted key arrays).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the types differ ("Trying to update an index with
    /// different types. Expected `x` but got `y`") or the columns differ ("Trying to update an
    /// index with the wrong column. Got `a` but expected `b`"), checked in plateau's order.
    pub fn merge(&self, other: &Index) -> Result<Index> {
        check_compatible(self, other)?;
        if other.is_empty() {
            return Ok(self.clone());
        }
        if self.is_empty() {
            return Ok(Index {
                kind: self.kind,
                storage_key: None,
                ..other.clone()
            });
        }
        let (labels, remap_a, remap_b) = merge_labels(&self.labels, &other.labels)?;
        let cmp = keys::comparator(self.keys.as_ref(), other.keys.as_ref())?;
        let (n, m) = (self.len(), other.len());
        let mut picks: Vec<(usize, usize)> = Vec::with_capacity(n + m);
        let mut offsets = Vec::with_capacity(n + m + 1);
        offsets.push(0u32);
        let mut postings = Vec::with_capacity(self.postings.len() + other.postings.len());
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            let order = if i == n {
                Ordering::Greater
            } else if j == m {
                Ordering::Less
            } else {
                cmp(i, j)
            };
            // Remapping is monotone, so remapped lists stay sorted.
            let a = self.label_ids(i).iter().map(|id| remap_a[*id as usize]);
            let b = other.label_ids(j).iter().map(|id| remap_b[*id as usize]);
            match order {
                Ordering::Less => {
                    picks.push((0, i));
                    postings.extend(a);
                    i += 1;
                }
                Ordering::Greater => {
                    picks.push((1, j));
                    postings.extend(b);
                    j += 1;
                }
                Ordering::Equal => {
                    picks.push((0, i));
                    union_sorted(a, b, &mut postings);
                    i += 1;
                    j += 1;
                }
            }
            offsets.push(u32_len(postings.len())?);
        }
        let keys = interleave(&[self.keys.as_ref(), other.keys.as_ref()], &picks)?;
        Ok(Index {
            column: self.column.clone(),
            kind: self.kind,
            data_type: self.data_type.clone(),
            keys,
            offsets,
            postings,
            labels,
            storage_key: None,
        })
    }

    /// The union of many indices over the same column, built once from all parts: O(N log N)
    /// in the total number of values, however many indices (merging 10,000 one-partition
    /// indices pairwise would copy the growing result 10,000 times).
    ///
    /// Returns `None` for no input. As with [`Index::merge`] applied left to right, the result
    /// keeps the first index's kind, and its storage key when all other indices are empty.
    ///
    /// # Errors
    /// As [`Index::merge`], for any index that does not fit the first.
    pub fn merge_all(indices: impl IntoIterator<Item = Index>) -> Result<Option<Index>> {
        let mut iter = indices.into_iter();
        let Some(first) = iter.next() else {
            return Ok(None);
        };
        let mut parts = Vec::new();
        for other in iter {
            check_compatible(&first, &other)?;
            if !other.is_empty() {
                parts.push(other);
            }
        }
        match parts.as_slice() {
            [] => return Ok(Some(first)),
            [only] => return first.merge(only).map(Some),
            _ => {}
        }
        parts.insert(0, first);
        let raw = concat_raw(&parts)?;
        let first = &parts[0];
        assemble(&first.column, first.kind, &first.data_type, raw).map(Some)
    }

    /// This index without the given partition labels; values left without labels disappear
    /// (plateau's `remove_partitions`).
    ///
    /// An empty list, or one naming no label of the index, returns an equal index that keeps
    /// its storage key. Cost: O(n + postings).
    pub fn remove_partitions<S: AsRef<str>>(&self, partitions: &[S]) -> Index {
        let mut removed = vec![false; self.labels.len()];
        let mut any = false;
        for label in partitions {
            if let Ok(id) = self
                .labels
                .binary_search_by(|probe| probe.as_str().cmp(label.as_ref()))
            {
                removed[id] = true;
                any = true;
            }
        }
        if !any {
            return self.clone();
        }
        // Kept labels keep their order, so new ids are ranks among the kept ones.
        let mut remap = vec![u32::MAX; self.labels.len()];
        let mut labels = Vec::with_capacity(self.labels.len());
        for (id, label) in self.labels.iter().enumerate() {
            if !removed[id] {
                remap[id] = labels.len() as u32;
                labels.push(label.clone());
            }
        }
        let mut keep = Vec::with_capacity(self.len());
        let mut offsets = vec![0u32];
        let mut postings = Vec::with_capacity(self.postings.len());
        for i in 0..self.len() {
            let before = postings.len();
            postings.extend(
                self.label_ids(i)
                    .iter()
                    .filter(|id| !removed[**id as usize])
                    .map(|id| remap[*id as usize]),
            );
            let kept = postings.len() > before;
            keep.push(kept);
            if kept {
                // Bounded by the existing postings, which fit u32.
                offsets.push(postings.len() as u32);
            }
        }
        // A kept label occurs under a key that keeps it, so the dictionary stays canonical.
        let keys = match filter_keys(&self.keys, keep) {
            Ok(keys) => keys,
            // Filtering with a mask of the keys' length cannot fail; stay total regardless.
            Err(_) => return self.empty_like(),
        };
        Index {
            column: self.column.clone(),
            kind: self.kind,
            data_type: self.data_type.clone(),
            keys,
            offsets,
            postings,
            labels,
            storage_key: None,
        }
    }

    /// This index without the given values, normalized leniently first as in
    /// [`Index::query`] (plateau's `remove_values`).
    ///
    /// An empty list, or one naming no value of the index, returns an equal index that keeps
    /// its storage key.
    ///
    /// # Errors
    /// The normalization's errors.
    pub fn remove_values(&self, values: &[Scalar]) -> Result<Index> {
        let mut keep = vec![true; self.len()];
        let mut any = false;
        for value in values {
            let normalized = normalize_value(value, &self.data_type)?;
            if normalized.is_null() {
                continue;
            }
            if let Some(i) = self.position(&normalized)? {
                keep[i] = false;
                any = true;
            }
        }
        if !any {
            return Ok(self.clone());
        }
        let mut offsets = vec![0u32];
        let mut postings = Vec::with_capacity(self.postings.len());
        for (i, kept) in keep.iter().enumerate() {
            if *kept {
                postings.extend_from_slice(self.label_ids(i));
                offsets.push(u32_len(postings.len())?);
            }
        }
        let keys = filter_keys(&self.keys, keep)?;
        // Labels may now be unused: the canonical form drops them.
        assemble(
            &self.column,
            self.kind,
            &self.data_type,
            RawIndex {
                keys,
                offsets,
                postings,
                labels: self.labels.clone(),
            },
        )
    }
}

fn check_compatible(index: &Index, other: &Index) -> Result<()> {
    if index.data_type != other.data_type {
        return Err(Error::invalid_input(format!(
            "Trying to update an index with different types. Expected `{}` but got `{}`",
            index.data_type, other.data_type
        )));
    }
    if index.column != other.column {
        return Err(Error::invalid_input(format!(
            "Trying to update an index with the wrong column. Got `{}` but expected `{}`",
            other.column, index.column
        )));
    }
    Ok(())
}

/// The sorted union of two sorted label dictionaries and the id maps of both into it.
fn merge_labels(a: &[String], b: &[String]) -> Result<(Vec<String>, Vec<u32>, Vec<u32>)> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let mut remap_a = Vec::with_capacity(a.len());
    let mut remap_b = Vec::with_capacity(b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let id = u32_len(out.len())?;
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => {
                out.push(x.clone());
                remap_a.push(id);
                remap_b.push(id);
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x < y => {
                out.push(x.clone());
                remap_a.push(id);
                i += 1;
            }
            (Some(x), None) => {
                out.push(x.clone());
                remap_a.push(id);
                i += 1;
            }
            (_, Some(y)) => {
                out.push(y.clone());
                remap_b.push(id);
                j += 1;
            }
            (None, None) => break,
        }
    }
    Ok((out, remap_a, remap_b))
}

/// Appends the sorted union of two sorted id sequences.
fn union_sorted(a: impl Iterator<Item = u32>, b: impl Iterator<Item = u32>, out: &mut Vec<u32>) {
    let mut a = a.peekable();
    let mut b = b.peekable();
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => match x.cmp(y) {
                Ordering::Less => a.next(),
                Ordering::Greater => b.next(),
                Ordering::Equal => {
                    b.next();
                    a.next()
                }
            },
            (Some(_), None) => a.next(),
            (None, Some(_)) => b.next(),
            (None, None) => None,
        };
        match next {
            Some(id) => out.push(id),
            None => break,
        }
    }
}

/// The keys whose flag is set (no copy when all are).
fn filter_keys(keys: &ArrayRef, keep: Vec<bool>) -> Result<ArrayRef> {
    if keep.iter().all(|k| *k) {
        return Ok(keys.clone());
    }
    Ok(filter(keys.as_ref(), &BooleanArray::from(keep))?)
}

/// Concatenates the parts of many indices into one raw index (label dictionaries appended,
/// ids shifted), for [`assemble`] to sort out.
fn concat_raw(indices: &[Index]) -> Result<RawIndex> {
    let key_arrays: Vec<&dyn Array> = indices.iter().map(|i| i.keys.as_ref()).collect();
    let keys = concat(&key_arrays)?;
    let mut offsets = vec![0u32];
    let mut postings = Vec::new();
    let mut labels = Vec::new();
    for index in indices {
        // Check the totals before shifting, so the shifted ids and offsets fit u32.
        let base = u32_len(labels.len())?;
        labels.extend(index.labels.iter().cloned());
        u32_len(labels.len())?;
        let shift = u32_len(postings.len())?;
        postings.extend(index.postings.iter().map(|id| id + base));
        u32_len(postings.len())?;
        offsets.extend(index.offsets.iter().skip(1).map(|o| o + shift));
    }
    Ok(RawIndex {
        keys,
        offsets,
        postings,
        labels,
    })
}
