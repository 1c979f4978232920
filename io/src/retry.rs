//! [`RetryPolicy`]: how often and how patiently a commit that lost the compare-and-swap is
//! retried against the newer metadata (DESIGN.md §6).
//!
//! Backoff is exponential with "equal jitter": attempt `n` sleeps a random duration in
//! `[d/2, d]` with `d = min(max_backoff, initial_backoff · 2ⁿ)`, so writers that collided
//! once spread out instead of colliding again in lock step.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// How a commit conflict is retried. Only conflicts that can be retried without changing
/// the meaning of the operation are (see [`crate::commit`]); the others are reported as
/// [`plateau_core::Error::CommitConflict`] at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; `0` disables retrying. Default
    /// [`RetryPolicy::DEFAULT_MAX_RETRIES`] (32).
    pub max_retries: u32,
    /// The backoff before the first retry (upper bound, see the module documentation).
    /// Default 10 ms.
    pub initial_backoff: Duration,
    /// The largest backoff between two attempts. Default 2 s.
    pub max_backoff: Duration,
}

impl RetryPolicy {
    /// The default number of retries: enough for 16 writers appending to one dataset at
    /// the same time on a slow server. Each attempt loses to any commit that lands between
    /// its read of the metadata and its compare-and-swap; with 16 writers on a moto S3
    /// server answering in ~50 ms under load, 16 retries were sometimes exhausted. Once the
    /// backoff reaches `max_backoff`, 32 retries wait about 40 s at most.
    pub const DEFAULT_MAX_RETRIES: u32 = 32;

    /// A policy that never retries.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Sets [`RetryPolicy::max_retries`].
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// The sleep before retry number `attempt` (0-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(30)).unwrap_or(u32::MAX);
        let ceiling = self
            .initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff);
        let half = ceiling / 2;
        let spread = (ceiling - half).as_nanos();
        if spread == 0 {
            return ceiling;
        }
        // A fresh `RandomState` is randomly keyed: enough entropy for jitter without a
        // random-number dependency.
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u32(attempt);
        let offset = u128::from(hasher.finish()) % spread;
        half + Duration::from_nanos(u64::try_from(offset).unwrap_or(u64::MAX))
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: Self::DEFAULT_MAX_RETRIES,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_secs(2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_bounded() {
        let policy = RetryPolicy::default();
        for attempt in 0..40 {
            let ceiling = (policy.initial_backoff * 2u32.saturating_pow(attempt.min(20)))
                .min(policy.max_backoff);
            let sleep = policy.backoff(attempt);
            assert!(
                sleep <= ceiling,
                "attempt {attempt}: {sleep:?} > {ceiling:?}"
            );
            assert!(sleep >= ceiling / 2, "attempt {attempt}: {sleep:?} < half");
        }
        assert_eq!(RetryPolicy::none().max_retries, 0);
    }

    #[test]
    fn backoff_is_jittered() {
        let policy = RetryPolicy::default();
        let sleeps: std::collections::BTreeSet<Duration> =
            (0..20).map(|_| policy.backoff(5)).collect();
        assert!(sleeps.len() > 1, "20 draws gave one value: {sleeps:?}");
    }
}
