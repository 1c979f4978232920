//! [`CountingStore`]: an `object_store` wrapper that counts the requests a plateau operation
//! makes and the bytes it moves, by kind (`GET`, `HEAD`, `PUT`, `DELETE`, `LIST`, …), for
//! request-economy tests and the `requests` benchmark.
//!
//! Counts are of calls at the `object_store` API, which map to HTTP requests one to one
//! except `get_ranges` (one `GET_RANGES` call; the backend merges nearby ranges, and sends
//! ranges far apart as separate GETs) and `delete_stream` (S3 and Azure batch up to 1,000
//! and 256 keys per request; counted per key as `DELETE`).

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions,
};
use plateau_core::Store;

/// Requests and bytes of one kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Calls.
    pub requests: u64,
    /// Bytes read (GET) or written (PUT).
    pub bytes: u64,
}

/// Tallies by request kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestCounts(pub BTreeMap<&'static str, Tally>);

impl RequestCounts {
    /// The tally of `kind` (zero if none).
    pub fn get(&self, kind: &str) -> Tally {
        self.0.get(kind).copied().unwrap_or_default()
    }

    /// All requests.
    pub fn total(&self) -> u64 {
        self.0.values().map(|t| t.requests).sum()
    }
}

impl fmt::Display for RequestCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(kind, t)| format!("{kind} {} ({} B)", t.requests, t.bytes))
            .collect();
        write!(f, "{}", parts.join(", "))
    }
}

/// An [`ObjectStore`] that counts what passes through it to another.
#[derive(Clone)]
pub struct CountingStore {
    inner: Arc<dyn ObjectStore>,
    counts: Arc<Mutex<RequestCounts>>,
}

impl fmt::Debug for CountingStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CountingStore({})", self.inner)
    }
}

impl fmt::Display for CountingStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CountingStore({})", self.inner)
    }
}

impl CountingStore {
    /// Counts the requests to `inner`.
    pub fn new(inner: Arc<dyn ObjectStore>) -> Self {
        Self {
            inner,
            counts: Arc::new(Mutex::new(RequestCounts::default())),
        }
    }

    /// A plateau [`Store`] with key prefix `prefix` that goes through this wrapper.
    pub fn store(&self, prefix: &str) -> Store {
        Store::new(Arc::new(self.clone()), prefix)
    }

    /// The counts so far, and a restart at zero.
    pub fn take(&self) -> RequestCounts {
        std::mem::take(&mut *self.counts.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn add(&self, kind: &'static str, requests: u64, bytes: u64) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let tally = counts.0.entry(kind).or_default();
        tally.requests += requests;
        tally.bytes += bytes;
    }
}

#[async_trait]
impl ObjectStore for CountingStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.add("PUT", 1, payload.content_length() as u64);
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.add("PUT_MULTIPART", 1, 0);
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        let head = options.head;
        let result = self.inner.get_opts(location, options).await;
        match &result {
            Ok(_) if head => self.add("HEAD", 1, 0),
            Ok(found) => self.add("GET", 1, found.range.end - found.range.start),
            // Refused by the client before any request (Azure has no suffix ranges).
            Err(object_store::Error::NotSupported { .. }) => {}
            Err(_) => self.add(if head { "HEAD" } else { "GET" }, 1, 0),
        }
        result
    }

    async fn get_ranges(
        &self,
        location: &Path,
        ranges: &[Range<u64>],
    ) -> object_store::Result<Vec<Bytes>> {
        let bytes: u64 = ranges.iter().map(|r| r.end - r.start).sum();
        self.add("GET_RANGES", 1, bytes);
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        let this = self.clone();
        let counted = locations
            .map(move |location| {
                this.add("DELETE", 1, 0);
                location
            })
            .boxed();
        self.inner.delete_stream(counted)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.add("LIST", 1, 0);
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.add("LIST_DELIMITED", 1, 0);
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.add("COPY", 1, 0);
        self.inner.copy_opts(from, to, options).await
    }

    async fn rename_opts(
        &self,
        from: &Path,
        to: &Path,
        options: RenameOptions,
    ) -> object_store::Result<()> {
        self.add("RENAME", 1, 0);
        self.inner.rename_opts(from, to, options).await
    }
}
