//! [`LockingLocalStore`]: local disk with compare-and-swap, as an `ObjectStore` wrapper.
//!
//! object_store's `LocalFileSystem` writes atomically (write then rename) and supports
//! `PutMode::Create`, but not `PutMode::Update`. This wrapper adds it: under an exclusive OS
//! lock on `<locks>/<key>.lock` it compares the object's current version with the expected
//! one and only then writes. OS locks die with their process, so a crashed writer leaves no
//! stale lock behind. Everything else goes to the wrapped store unchanged, so other wrappers
//! (fault injection, request counting, throttling) compose with it.

use std::fmt;
use std::ops::Range;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    ObjectStoreExt, PutMode, PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions,
};

/// Local disk whose `PutMode::Update` is a compare-and-swap under an OS lock file.
#[derive(Debug)]
pub struct LockingLocalStore {
    inner: Arc<LocalFileSystem>,
    /// The directory of the lock files.
    locks: PathBuf,
    /// The part of object paths before the plateau key (empty when the backend is rooted at
    /// the store's directory), left out of lock file names: a `Store` puts its key prefix in
    /// front of this wrapper, which therefore sees whole backend paths, and lock file names
    /// of absolute directories would approach the file-name length limit.
    key_prefix: Path,
}

impl LockingLocalStore {
    /// Wraps `inner`; lock files go to `locks`, named by the object path without
    /// `key_prefix` (matched by whole segments; a path outside it keeps its whole name).
    ///
    /// `key_prefix` is a [`Path`] rather than a string: `Path::from(String)` would escape the
    /// `%` of plateau keys again; build it with [`Path::parse`].
    pub fn new(inner: Arc<LocalFileSystem>, locks: PathBuf, key_prefix: Path) -> Self {
        Self {
            inner,
            locks,
            key_prefix,
        }
    }

    /// The wrapped backend.
    pub fn inner(&self) -> &Arc<LocalFileSystem> {
        &self.inner
    }

    fn lock_name(&self, location: &Path) -> String {
        let key: Path = match location.prefix_match(&self.key_prefix) {
            Some(rest) => rest.collect(),
            None => location.clone(),
        };
        format!("{}.lock", key.as_ref().replace('/', "%2F"))
    }
}

impl fmt::Display for LockingLocalStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LockingLocalStore({})", self.inner)
    }
}

/// An exclusive OS lock on a file, released on drop (or when the process dies).
struct LockGuard {
    file: std::fs::File,
}

impl LockGuard {
    fn acquire(dir: &FsPath, name: &str) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(name))?;
        file.lock()?;
        Ok(Self { file })
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

fn generic(err: impl std::error::Error + Send + Sync + 'static) -> object_store::Error {
    object_store::Error::Generic {
        store: "LockingLocalStore",
        source: Box::new(err),
    }
}

#[async_trait]
impl ObjectStore for LockingLocalStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        let PutMode::Update(expected) = &opts.mode else {
            return self.inner.put_opts(location, payload, opts).await;
        };
        let expected = expected.clone();
        let (locks, name) = (self.locks.clone(), self.lock_name(location));
        // Waiting for the lock blocks: off the async workers.
        let _guard = tokio::task::spawn_blocking(move || LockGuard::acquire(&locks, &name))
            .await
            .map_err(generic)?
            .map_err(generic)?;
        let current = match self.inner.head(location).await {
            Ok(meta) => meta,
            Err(object_store::Error::NotFound { path, .. }) => {
                return Err(object_store::Error::Precondition {
                    path,
                    source: "it was deleted".into(),
                })
            }
            Err(e) => return Err(e),
        };
        if current.e_tag != expected.e_tag || current.version != expected.version {
            return Err(object_store::Error::Precondition {
                path: location.to_string(),
                source: "another writer replaced it".into(),
            });
        }
        let opts = PutOptions {
            mode: PutMode::Overwrite,
            ..opts
        };
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
        self.inner.get_opts(location, options).await
    }

    async fn get_ranges(
        &self,
        location: &Path,
        ranges: &[Range<u64>],
    ) -> object_store::Result<Vec<Bytes>> {
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

    async fn rename_opts(
        &self,
        from: &Path,
        to: &Path,
        options: RenameOptions,
    ) -> object_store::Result<()> {
        self.inner.rename_opts(from, to, options).await
    }
}
