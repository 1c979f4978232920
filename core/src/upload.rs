//! [`Uploader`]: objects written concurrently from synchronous code.
//!
//! A writer that serializes files one after another on its own thread hands each file to
//! the uploader and goes on with the next; up to `in_flight` PUTs overlap on the shared
//! runtime, so a write of many files costs about `files × latency ÷ in_flight` instead of
//! `files × latency`, and serializing overlaps uploading.

use std::collections::VecDeque;

use bytes::Bytes;
use tokio::task::JoinHandle;

use crate::error::{Error, Result};
use crate::runtime;
use crate::store::Store;

/// Uploads in flight; see the module documentation.
///
/// ```
/// use bytes::Bytes;
/// use plateau_core::Store;
/// use plateau_core::upload::Uploader;
///
/// let store = Store::memory();
/// let mut uploader = Uploader::new(&store, 8);
/// for i in 0..20 {
///     uploader.push(format!("u/f{i}"), Bytes::from(vec![i as u8]))?;
/// }
/// uploader.finish()?;
/// assert_eq!(store.list_keys("u/")?.len(), 20);
/// # Ok::<(), plateau_core::Error>(())
/// ```
#[derive(Debug)]
pub struct Uploader {
    store: Store,
    in_flight: usize,
    pending: VecDeque<JoinHandle<Result<()>>>,
}

impl Uploader {
    /// An uploader to `store` with at most `in_flight` uploads at once (at least one).
    pub fn new(store: &Store, in_flight: usize) -> Self {
        Self {
            store: store.clone(),
            in_flight: in_flight.max(1),
            pending: VecDeque::new(),
        }
    }

    /// Starts writing `bytes` to `key` ([`Store::put`]), first waiting for the oldest upload
    /// if `in_flight` are running.
    ///
    /// # Errors
    /// The error of an earlier upload (the first to fail); [`Error::Io`] if the runtime
    /// cannot be started.
    pub fn push(&mut self, key: String, bytes: Bytes) -> Result<()> {
        while self.pending.len() >= self.in_flight {
            self.wait_oldest()?;
        }
        let store = self.store.clone();
        let handle =
            runtime::handle()?.spawn(async move { store.put_async(&key, bytes).await.map(|_| ()) });
        self.pending.push_back(handle);
        Ok(())
    }

    /// Waits for every upload.
    ///
    /// # Errors
    /// The first failed upload's error.
    pub fn finish(mut self) -> Result<()> {
        while !self.pending.is_empty() {
            self.wait_oldest()?;
        }
        Ok(())
    }

    fn wait_oldest(&mut self) -> Result<()> {
        let Some(handle) = self.pending.pop_front() else {
            return Ok(());
        };
        futures::executor::block_on(handle)
            .map_err(|e| Error::Io(std::io::Error::other(format!("upload task failed: {e}"))))?
    }
}
