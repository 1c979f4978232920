//! A small, fast hasher for the value sets of `in` / `not in`.
//!
//! The sets are built from predicate values and only probed with column values, so hash
//! flooding is not a concern; speed of probing 10^6 rows is. std's SipHash costs several times
//! more per probe than this multiply-rotate hash (the one rustc uses, "FxHash").

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

/// The multiplier of FxHash.
const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// FxHash: `hash = (hash.rotl(5) ^ word) * SEED` per 8-byte word.
///
/// With `AVALANCHE`, the result is mixed fully before hashbrown sees it (see
/// [`Hasher::finish`]); integers do not need it and are faster without.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FxHasher<const AVALANCHE: bool> {
    hash: u64,
}

impl<const AVALANCHE: bool> FxHasher<AVALANCHE> {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl<const AVALANCHE: bool> Hasher for FxHasher<AVALANCHE> {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        // Whole words, then the tail as one word read so that it ends at the last byte
        // (overlapping the previous word): no variable-length copy per key. Equal inputs
        // still hash equally, and `Hash for [u8]` writes the length first.
        let len = bytes.len();
        if len >= 8 {
            let mut rest = bytes;
            while rest.len() > 8 {
                self.add(read_u64(rest, 0));
                rest = &rest[8..];
            }
            self.add(read_u64(bytes, len - 8));
        } else if len >= 4 {
            let head = u64::from(read_u32(bytes, 0));
            let tail = u64::from(read_u32(bytes, len - 4));
            self.add(head << 32 | tail);
        } else if len > 0 {
            let word = u64::from(bytes[0]) << 16
                | u64::from(bytes[len / 2]) << 8
                | u64::from(bytes[len - 1]);
            self.add(word);
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i.into());
    }

    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(i.into());
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i.into());
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_u128(&mut self, i: u128) {
        // Truncation is the point: the two halves are hashed one after the other.
        self.add(i as u64);
        self.add((i >> 64) as u64);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // hashbrown takes the bucket from the low bits and a 7-bit tag from the top bits,
        // while the multiply-rotate state has its entropy in the high bits.
        if AVALANCHE {
            // Byte strings that differ in one byte of a word ("key-00007", "key-00014")
            // differ only in a few high bits of the state: mix fully (murmur3's finaliser),
            // or they share buckets and tags.
            let mut h = self.hash;
            h ^= h >> 33;
            h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
            h ^= h >> 33;
            h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
            h ^ (h >> 33)
        } else {
            // One multiply spreads an integer's low bits upwards: rotating brings them to
            // the bucket bits, so keys differing in high bits only (multiples of 1024,
            // whole seconds as nanoseconds) still spread.
            self.hash.rotate_left(26)
        }
    }
}

/// The little-endian `u64` at `at` (the caller guarantees 8 bytes are there).
#[inline]
fn read_u64(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

/// The little-endian `u32` at `at` (the caller guarantees 4 bytes are there).
#[inline]
fn read_u32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

/// A `HashSet` of integers with [`FxHasher`].
pub(crate) type FxHashSet<T> = HashSet<T, BuildHasherDefault<FxHasher<false>>>;

/// A `HashSet` of byte strings with [`FxHasher`] and a full final mix.
pub(crate) type BytesHashSet<'a> = HashSet<&'a [u8], BuildHasherDefault<FxHasher<true>>>;
