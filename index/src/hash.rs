//! A small, fast hasher for the crate's hash maps (distinct values of a column) and the
//! string interner of label dictionaries.
//!
//! Keys come from the dataset being indexed, not from an adversary who could flood buckets,
//! and the maps are probed once per row of million-row columns: std's SipHash would cost
//! several times more per probe than this multiply-rotate hash (rustc's "FxHash").

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The multiplier of FxHash.
const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// FxHash: `hash = (hash.rotl(5) ^ word) * SEED` per 8-byte word.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i.into());
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        avalanche(self.hash)
    }
}

/// A `HashMap` with [`FxHasher`].
pub(crate) type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Interns strings to dense ids `0, 1, 2, ...` in first-seen order.
///
/// Label dictionaries of index files are interned once per dictionary entry: on a
/// 1,000,000-value file whose values are spread over 10,000 partitions that is over half a
/// million lookups, bound by memory latency rather than hashing. So the table is an
/// open-addressing array of `u64` slots holding the upper half of the hash next to the id
/// (a probe rarely touches anything else), the strings live in one buffer, and
/// [`Interner::intern_all`] hashes a whole dictionary before probing so the CPU overlaps the
/// probes' cache misses.
#[derive(Debug)]
pub(crate) struct Interner {
    /// `hash >> 32 << 32 | id` by slot; [`EMPTY`] marks a free slot. Length: a power of two.
    slots: Vec<u64>,
    bytes: Vec<u8>,
    /// `(start, end)` of each string in `bytes`.
    spans: Vec<(usize, usize)>,
}

const EMPTY: u64 = u64::MAX;

/// The largest id: ids are `u32` and `u32::MAX` marks null elements for callers.
const MAX_ID: u32 = u32::MAX - 1;

impl Default for Interner {
    fn default() -> Self {
        Self {
            slots: vec![EMPTY; 64],
            bytes: Vec::new(),
            spans: Vec::new(),
        }
    }
}

impl Interner {
    /// The number of distinct strings.
    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }

    /// The id of `text`, assigning the next one if it is new; `None` when all `u32::MAX - 1`
    /// ids are taken.
    pub(crate) fn intern(&mut self, text: &str) -> Option<u32> {
        self.intern_hashed(text.as_bytes(), hash_bytes(text.as_bytes()))
    }

    /// The ids of many strings (`None` entries give `null_id`); `None` when the ids run out.
    pub(crate) fn intern_all<'a>(
        &mut self,
        texts: impl ExactSizeIterator<Item = Option<&'a str>> + Clone,
        null_id: u32,
    ) -> Option<Vec<u32>> {
        let hashes: Vec<u64> = texts
            .clone()
            .map(|t| t.map_or(0, |t| hash_bytes(t.as_bytes())))
            .collect();
        texts
            .zip(hashes)
            .map(|(text, hash)| match text {
                None => Some(null_id),
                Some(text) => self.intern_hashed(text.as_bytes(), hash),
            })
            .collect()
    }

    #[inline]
    fn intern_hashed(&mut self, text: &[u8], hash: u64) -> Option<u32> {
        let tag = hash & !0xffff_ffff;
        let mask = self.slots.len() - 1;
        let mut slot = (hash as usize) & mask;
        loop {
            let entry = self.slots[slot];
            if entry == EMPTY {
                break;
            }
            if entry & !0xffff_ffff == tag {
                let id = (entry & 0xffff_ffff) as usize;
                let (start, end) = self.spans[id];
                if &self.bytes[start..end] == text {
                    return Some(id as u32);
                }
            }
            slot = (slot + 1) & mask;
        }
        let id = u32::try_from(self.len()).ok().filter(|id| *id <= MAX_ID)?;
        let start = self.bytes.len();
        self.bytes.extend_from_slice(text);
        self.spans.push((start, self.bytes.len()));
        self.slots[slot] = tag | u64::from(id);
        // Keep the load factor at most 1/2 so probe sequences stay short.
        if self.len() * 2 > self.slots.len() {
            self.grow();
        }
        Some(id)
    }

    /// The interned strings, by id.
    pub(crate) fn into_strings(self) -> Vec<String> {
        self.spans
            .iter()
            // Every interned string came from a `&str`, so each span is valid UTF-8.
            .map(|&(start, end)| String::from_utf8_lossy(&self.bytes[start..end]).into_owned())
            .collect()
    }

    fn grow(&mut self) {
        let size = self.slots.len() * 2;
        let mask = size - 1;
        let mut slots = vec![EMPTY; size];
        for (id, &(start, end)) in self.spans.iter().enumerate() {
            let hash = hash_bytes(&self.bytes[start..end]);
            let mut slot = (hash as usize) & mask;
            while slots[slot] != EMPTY {
                slot = (slot + 1) & mask;
            }
            slots[slot] = (hash & !0xffff_ffff) | id as u64;
        }
        self.slots = slots;
    }
}

/// FxHash of the bytes with the final avalanche, so that strings differing only in early
/// bytes (labels sharing a long uuid suffix) still spread over the low bits that pick a slot.
fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut hasher = FxHasher::default();
    hasher.write(bytes);
    hasher.write_usize(bytes.len());
    hasher.finish()
}

/// The final mix of MurmurHash3: FxHash's multiply only carries entropy upwards, while hash
/// tables pick slots with the low bits (without it, short strings such as `value-123` pile up
/// in a few buckets and every probe ends in a string comparison).
#[inline]
fn avalanche(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interner_assigns_dense_ids_in_first_seen_order() {
        let mut interner = Interner::default();
        let labels: Vec<String> = (0..1_000).map(|i| format!("p={i}/uuid")).collect();
        for (i, label) in labels.iter().enumerate() {
            assert_eq!(interner.intern(label), Some(i as u32));
        }
        for (i, label) in labels.iter().enumerate().rev() {
            assert_eq!(interner.intern(label), Some(i as u32));
        }
        assert_eq!(interner.intern(""), Some(1_000));
        let batch = interner.intern_all([Some("p=3/uuid"), None, Some("new")].into_iter(), 77);
        assert_eq!(batch, Some(vec![3, 77, 1_001]));
        assert_eq!(interner.len(), 1_002);
        let strings = interner.into_strings();
        assert_eq!(strings[..1_000], labels[..]);
        assert_eq!(strings[1_000], "");
    }
}
