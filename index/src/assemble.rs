//! Brings raw index parts (keys in any order, possibly repeated; label ids into a dictionary
//! in any order, possibly repeated or unused) into the canonical form of [`Index`].
//!
//! Every constructor that does not preserve the canonical form by construction (building,
//! loading, merging many indices) ends here, so the invariants live in one place.

use arrow::array::{Array, ArrayRef, UInt32Array};
use arrow::compute::{sort_to_indices, take};
use arrow::datatypes::DataType;
use plateau_core::{Error, Result};

use crate::index::{Index, IndexKind};
use crate::keys;

/// Index parts before canonicalization.
pub(crate) struct RawIndex {
    /// Values of the normalized type, without nulls, in any order, possibly repeated.
    pub keys: ArrayRef,
    /// CSR offsets: the label ids of row `i` are `postings[offsets[i]..offsets[i + 1]]`.
    pub offsets: Vec<u32>,
    /// Label ids into `labels`, in any order, possibly repeated.
    pub postings: Vec<u32>,
    /// The label dictionary, in any order, possibly with repeated or unused entries.
    pub labels: Vec<String>,
}

/// The canonical index of `raw`: labels sorted and deduplicated, keys sorted and distinct,
/// the label lists of equal keys united, keys without labels dropped.
pub(crate) fn assemble(
    column: &str,
    kind: IndexKind,
    data_type: &DataType,
    raw: RawIndex,
) -> Result<Index> {
    let RawIndex {
        keys,
        offsets,
        mut postings,
        labels,
    } = raw;
    check_shape(&keys, &offsets, &postings, labels.len(), data_type)?;
    let labels = canonical_labels(labels, &mut postings)?;
    let keys = keys::canonical_floats(keys);
    let (keys, offsets, postings) = if keys::is_strictly_ascending(keys.as_ref())? {
        normalize_lists(keys, &offsets, postings)?
    } else {
        group_keys(keys, &offsets, &postings)?
    };
    Ok(Index {
        column: column.to_owned(),
        kind,
        data_type: data_type.clone(),
        keys,
        offsets,
        postings,
        labels,
        storage_key: None,
    })
}

fn check_shape(
    keys: &ArrayRef,
    offsets: &[u32],
    postings: &[u32],
    num_labels: usize,
    data_type: &DataType,
) -> Result<()> {
    let bad = |what: &str| Error::invalid_input(format!("inconsistent index parts: {what}"));
    if keys.data_type() != data_type {
        return Err(bad("key type differs from the index type"));
    }
    if keys.null_count() > 0 {
        return Err(bad("null keys"));
    }
    if offsets.len() != keys.len() + 1 || offsets.first() != Some(&0) {
        return Err(bad("offsets do not match the keys"));
    }
    if offsets.windows(2).any(|w| w[0] > w[1])
        || offsets.last().map(|o| *o as usize) != Some(postings.len())
    {
        return Err(bad(
            "offsets are not monotonic or do not cover the postings",
        ));
    }
    if num_labels > u32::MAX as usize || postings.iter().any(|id| *id as usize >= num_labels) {
        return Err(bad("label id out of range"));
    }
    Ok(())
}

/// Sorts and deduplicates the label dictionary, drops unused labels and rewrites `postings`
/// to the new ids. Slices of `postings` may be unsorted afterwards.
fn canonical_labels(mut labels: Vec<String>, postings: &mut [u32]) -> Result<Vec<String>> {
    let mut used = vec![false; labels.len()];
    for id in postings.iter() {
        used[*id as usize] = true;
    }
    let mut order: Vec<u32> = (0..labels.len() as u32)
        .filter(|id| used[*id as usize])
        .collect();
    order.sort_unstable_by(|a, b| labels[*a as usize].cmp(&labels[*b as usize]));
    let mut remap = vec![0u32; labels.len()];
    let mut out: Vec<String> = Vec::with_capacity(order.len());
    for old in order {
        let label = std::mem::take(&mut labels[old as usize]);
        if out.last() != Some(&label) {
            out.push(label);
        }
        // `out` is non-empty here; ids fit u32 because the input dictionary did.
        remap[old as usize] = (out.len() - 1) as u32;
    }
    // Skip the rewrite when the dictionary was canonical already (our own files).
    if remap
        .iter()
        .enumerate()
        .any(|(old, new)| old as u32 != *new)
    {
        for id in postings.iter_mut() {
            *id = remap[*id as usize];
        }
    }
    Ok(out)
}

/// Keys already strictly ascending: sort and deduplicate each label list, drop keys whose
/// list is empty.
fn normalize_lists(
    keys: ArrayRef,
    offsets: &[u32],
    mut postings: Vec<u32>,
) -> Result<(ArrayRef, Vec<u32>, Vec<u32>)> {
    let lists_ok = offsets.windows(2).all(|w| {
        let list = &postings[w[0] as usize..w[1] as usize];
        !list.is_empty() && list.windows(2).all(|p| p[0] < p[1])
    });
    if lists_ok {
        return Ok((keys, offsets.to_vec(), postings));
    }
    let mut out_offsets = Vec::with_capacity(offsets.len());
    out_offsets.push(0u32);
    let mut kept = Vec::with_capacity(keys.len());
    let mut write = 0usize;
    for (i, w) in offsets.windows(2).enumerate() {
        let (start, end) = (w[0] as usize, w[1] as usize);
        let list = &mut postings[start..end];
        list.sort_unstable();
        let unique = dedup_sorted(list);
        postings.copy_within(start..start + unique, write);
        write += unique;
        if unique > 0 {
            kept.push(i as u32);
            out_offsets.push(write as u32);
        }
    }
    postings.truncate(write);
    let keys = if kept.len() == keys.len() {
        keys
    } else {
        take(keys.as_ref(), &UInt32Array::from(kept), None)?
    };
    Ok((keys, out_offsets, postings))
}

/// Keys in any order: sort them, unite the label lists of equal keys, drop keys without
/// labels.
fn group_keys(
    keys: ArrayRef,
    offsets: &[u32],
    postings: &[u32],
) -> Result<(ArrayRef, Vec<u32>, Vec<u32>)> {
    let order = sort_to_indices(keys.as_ref(), None, None)?;
    let order = order.values();
    let cmp = keys::comparator(keys.as_ref(), keys.as_ref())?;
    let mut firsts = Vec::new();
    let mut out_offsets = vec![0u32];
    let mut out_postings = Vec::with_capacity(postings.len());
    let mut group = 0usize;
    while group < order.len() {
        let mut end = group + 1;
        while end < order.len() && cmp(order[group] as usize, order[end] as usize).is_eq() {
            end += 1;
        }
        let start = out_postings.len();
        for &row in &order[group..end] {
            let row = row as usize;
            out_postings
                .extend_from_slice(&postings[offsets[row] as usize..offsets[row + 1] as usize]);
        }
        let list = &mut out_postings[start..];
        list.sort_unstable();
        let unique = dedup_sorted(list);
        out_postings.truncate(start + unique);
        if unique > 0 {
            firsts.push(order[group]);
            out_offsets.push(out_postings.len() as u32);
        }
        group = end;
    }
    let keys = take(keys.as_ref(), &UInt32Array::from(firsts), None)?;
    Ok((keys, out_offsets, out_postings))
}

/// Moves the distinct values of a sorted slice to its front; returns their count.
fn dedup_sorted(list: &mut [u32]) -> usize {
    let mut write = 0;
    for read in 0..list.len() {
        if write == 0 || list[write - 1] != list[read] {
            list[write] = list[read];
            write += 1;
        }
    }
    write
}
