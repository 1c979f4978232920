//! The end-to-end benchmark table (see `src/bin/e2e.rs` for its columns), shared by the e2e
//! and latency harnesses.

use std::error::Error;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};

/// Distinct values of the secondary index column `idx_key`.
pub const INDEX_CARDINALITY: i64 = 1000;
/// The `idx_key` value the index-pruned reads select.
pub const INDEX_VALUE: i64 = 505;
/// Distinct strings of column `s`.
pub const STRING_POOL: usize = 10_000;

/// The strings of column `s`.
pub fn string_pool() -> Vec<String> {
    (0..STRING_POOL)
        .map(|i| format!("str_{i:06}_{}", "x".repeat(i % 7)))
        .collect()
}

/// The table of `rows` rows as `frames` input batches.
///
/// # Errors
/// Arrow errors (none for valid arguments).
pub fn make_batches(
    rows: usize,
    partitions: i64,
    frames: usize,
) -> Result<Vec<RecordBatch>, Box<dyn Error>> {
    let pool = string_pool();
    let frames = frames.max(1);
    let bounds: Vec<usize> = (0..=frames).map(|f| rows * f / frames).collect();
    bounds
        .windows(2)
        .map(|w| make_batch(w[0], w[1], rows, partitions, &pool))
        .collect()
}

/// splitmix64: the per-row pseudo-random source both harnesses share.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Rows `lo..hi` of the benchmark table.
///
/// # Errors
/// Arrow errors (none for valid arguments).
pub fn make_batch(
    lo: usize,
    hi: usize,
    rows: usize,
    partitions: i64,
    pool: &[String],
) -> Result<RecordBatch, Box<dyn Error>> {
    let n = i64::try_from(rows)?;
    let ids: Vec<i64> = (i64::try_from(lo)?..i64::try_from(hi)?).collect();
    let hashes: Vec<u64> = ids.iter().map(|&id| splitmix64(id as u64)).collect();
    // i128: `id * partitions` must not overflow for any --rows
    let scaled = |id: i64, k: i64| (i128::from(id) * i128::from(k) / i128::from(n)) as i64;
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("id", Arc::new(Int64Array::from(ids.clone()))),
        (
            "part",
            Arc::new(Int64Array::from_iter_values(
                ids.iter().map(|&id| scaled(id, partitions)),
            )),
        ),
        (
            "idx_key",
            Arc::new(Int64Array::from_iter_values(
                ids.iter().map(|&id| scaled(id, INDEX_CARDINALITY)),
            )),
        ),
        (
            "f0",
            Arc::new(Float64Array::from_iter_values(hashes.iter().map(|&h| {
                (h >> 11) as f64 / (1u64 << 53) as f64 * 2000.0 - 1000.0
            }))),
        ),
        (
            "s",
            Arc::new(StringArray::from_iter_values(hashes.iter().map(|&h| {
                pool[((h >> 20) % STRING_POOL as u64) as usize].as_str()
            }))),
        ),
        (
            "flag",
            Arc::new(
                hashes
                    .iter()
                    .map(|&h| Some(h & 1 == 1))
                    .collect::<BooleanArray>(),
            ),
        ),
        (
            "d",
            // 18262 = 2020-01-01
            Arc::new(Date32Array::from_iter_values(
                hashes.iter().map(|&h| 18262 + ((h >> 32) % 3650) as i32),
            )),
        ),
        (
            "ts",
            Arc::new(TimestampMicrosecondArray::from_iter_values(
                hashes
                    .iter()
                    .map(|&h| 1_577_836_800_000_000 + ((h >> 8) % 10_000_000_000_000) as i64),
            )),
        ),
    ];
    Ok(RecordBatch::try_from_iter(columns)?)
}
