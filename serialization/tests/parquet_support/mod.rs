//! Helpers shared by the Parquet integration tests: a store that records reads, and batch
//! builders.
#![allow(dead_code)] // each test file uses a different subset

use std::fmt;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use arrow::array::{ArrayRef, RecordBatch};
use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult,
};
use plateau_core::Store;

/// One read the store served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Read {
    /// `HEAD`.
    Head,
    /// A `GET` of the whole object.
    Get,
    /// A ranged `GET`.
    Range(Range<u64>),
    /// One `get_ranges` call with its ranges.
    Ranges(Vec<Range<u64>>),
    /// A `GET` of the last N bytes.
    Suffix(u64),
    /// Any other ranged `GET` (offset or suffix).
    Other(String),
}

/// An in-memory store that records every read.
#[derive(Debug, Default)]
pub struct RecordingStore {
    inner: InMemory,
    reads: Mutex<Vec<Read>>,
}

impl RecordingStore {
    /// A new recording store and the plateau [`Store`] over it.
    pub fn new() -> (Arc<Self>, Store) {
        let recording = Arc::new(Self::default());
        let store = Store::new(Arc::clone(&recording) as Arc<dyn ObjectStore>, "");
        (recording, store)
    }

    /// The reads so far, and forgets them.
    pub fn take(&self) -> Vec<Read> {
        std::mem::take(&mut *self.reads.lock().expect("lock"))
    }

    fn record(&self, read: Read) {
        self.reads.lock().expect("lock").push(read);
    }
}

impl fmt::Display for RecordingStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecordingStore")
    }
}

#[async_trait]
impl ObjectStore for RecordingStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        let read = if options.head {
            Read::Head
        } else {
            match &options.range {
                None => Read::Get,
                Some(object_store::GetRange::Bounded(r)) => Read::Range(r.clone()),
                Some(object_store::GetRange::Suffix(n)) => Read::Suffix(*n),
                Some(other) => Read::Other(format!("{other:?}")),
            }
        };
        self.record(read);
        self.inner.get_opts(location, options).await
    }

    async fn get_ranges(
        &self,
        location: &Path,
        ranges: &[Range<u64>],
    ) -> object_store::Result<Vec<Bytes>> {
        self.record(Read::Ranges(ranges.to_vec()));
        // Straight to the backend, so the inner ranged GETs are not recorded twice.
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

/// A batch from `(name, array)` pairs; all columns nullable.
pub fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter_with_nullable(
        columns.into_iter().map(|(name, array)| (name, array, true)),
    )
    .expect("valid batch")
}

/// Bytes of a whole file in a store, for checks on what was read.
pub fn size_of(store: &Store, key: &str) -> u64 {
    store.head(key).expect("head").size
}

/// The stored bytes of `key`.
pub fn bytes_of(store: &Store, key: &str) -> Bytes {
    store.get(key).expect("get")
}
