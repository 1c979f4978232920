//! [`Store`]: a blocking facade over an `object_store` backend, with an optional key prefix.
//!
//! plateau's pipelines are synchronous (decoding is CPU work that belongs on the caller's
//! thread or on rayon), while `object_store` is async. Every call here is run on one shared
//! multi-thread tokio runtime owned by this module and waited for on the calling thread, so
//! the facade also works when called from inside a caller's own tokio runtime.
//!
//! Keys are plateau keys: `/`-separated, and they may contain `%` escapes that must reach the
//! backend literally (`u/table/P=a%20b/x.parquet`). They are turned into object paths with
//! [`Path::parse`], never `Path::from`, which would escape the `%` again.
//!
//! Conditional writes: [`Store::put_if_absent`] maps to `PutMode::Create` and
//! [`Store::put_if_match`] to `PutMode::Update`. The local-disk backend cannot compare-and-swap,
//! so for it `put_if_match` takes an exclusive OS file lock on
//! `<root>/.plateau-locks/<key>.lock`, compares the current version, writes (write-then-rename)
//! and releases the lock. OS locks die with their process, so a crashed writer leaves no stale
//! lock behind.

use std::fmt;
use std::future::Future;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{
    ObjectMeta, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion,
};
use tokio::runtime::Runtime;

use crate::error::{Error, Result};

/// The shared I/O runtime. Two workers suffice: the work is waiting on I/O, not computing.
fn runtime() -> Result<&'static Runtime> {
    static RUNTIME: OnceLock<std::result::Result<Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("plateau-io")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| {
            Error::Io(std::io::Error::other(format!(
                "cannot start the I/O runtime: {e}"
            )))
        })
}

/// Runs `fut` on the shared runtime and waits for it on the current thread.
///
/// Spawning (rather than `Runtime::block_on`) is what makes this safe to call from inside
/// another tokio runtime.
fn run<F, T>(fut: F) -> Result<T>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let handle = runtime()?.spawn(fut);
    futures::executor::block_on(handle)
        .map_err(|e| Error::Io(std::io::Error::other(format!("I/O task failed: {e}"))))?
}

/// Metadata of one stored object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreObject {
    /// The key, relative to the store's prefix, exactly as stored (escapes included).
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modification time.
    pub last_modified: DateTime<Utc>,
    /// The version of the object, for conditional writes.
    pub version: ObjectVersion,
}

/// A version of an object as the backend identifies it, for [`Store::put_if_match`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectVersion {
    /// The entity tag.
    pub e_tag: Option<String>,
    /// A backend version id.
    pub version: Option<String>,
}

impl ObjectVersion {
    fn from_meta(meta: &ObjectMeta) -> Self {
        Self {
            e_tag: meta.e_tag.clone(),
            version: meta.version.clone(),
        }
    }
}

/// How [`Store::put_if_match`] is carried out.
#[derive(Clone, Debug)]
enum ConditionalUpdate {
    /// The backend supports `PutMode::Update`.
    Native,
    /// Local disk: an OS lock file under this directory guards compare-then-write.
    LockFile(PathBuf),
}

/// A blob store holding plateau datasets.
///
/// Cheap to clone; clones share the backend.
#[derive(Clone)]
pub struct Store {
    inner: Arc<dyn ObjectStore>,
    prefix: String,
    url: String,
    conditional_update: ConditionalUpdate,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("url", &self.url)
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl fmt::Display for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

impl Store {
    /// Wraps any `object_store` backend. `prefix` (without leading or trailing `/`) is put in
    /// front of every key; the backend must support `PutMode::Update` for
    /// [`Store::put_if_match`].
    pub fn new(inner: Arc<dyn ObjectStore>, prefix: impl Into<String>) -> Self {
        let prefix = prefix.into().trim_matches('/').to_owned();
        Self {
            url: format!("{inner}"),
            inner,
            prefix,
            conditional_update: ConditionalUpdate::Native,
        }
    }

    /// A new, empty in-memory store.
    pub fn memory() -> Self {
        let mut store = Self::new(Arc::new(InMemory::new()), "");
        store.url = "memory://".into();
        store
    }

    /// A store on a local directory, which is created if it does not exist.
    pub fn local(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(&root)?;
        let root = std::fs::canonicalize(&root)?;
        let backend = LocalFileSystem::new_with_prefix(&root).map_err(Error::from)?;
        Ok(Self {
            inner: Arc::new(backend),
            prefix: String::new(),
            url: format!("file://{}", root.display()),
            conditional_update: ConditionalUpdate::LockFile(root.join(".plateau-locks")),
        })
    }

    /// Opens a store from a URL.
    ///
    /// Accepted: a plain path (`./data`, `/tmp/x`), `file:///abs/path`, `memory://`, and
    /// plateau's (minimalkv's) `hfs:///abs/path`, `hfs://rel/path` and `hmemory://`.
    /// Cloud schemes (`s3://`, `az://`, `abfs://`, `gs://`, `hs3://`) need the cargo features
    /// `aws`, `azure` or `gcp` and are otherwise rejected with [`Error::Unsupported`].
    pub fn from_url(url: &str) -> Result<Self> {
        let (scheme, rest) = match url.split_once("://") {
            Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
            None => return Self::local(url),
        };
        match scheme.as_str() {
            "memory" | "hmemory" => Ok(Self::memory()),
            "file" => {
                let parsed = url::Url::parse(url)
                    .map_err(|e| Error::invalid_input(format!("invalid store URL `{url}`: {e}")))?;
                let path = parsed.to_file_path().map_err(|_| {
                    Error::invalid_input(format!("`{url}` does not name a local path"))
                })?;
                Self::local(path)
            }
            // minimalkv's `hfs://` takes the rest verbatim as a path (absolute with a third `/`).
            "hfs" | "fs" => Self::local(rest),
            "s3" | "hs3" | "az" | "abfs" | "abfss" | "azure" | "gs" | "gcs" => {
                Self::from_cloud_url(&scheme, url)
            }
            other => Err(Error::invalid_input(format!(
                "unsupported store URL scheme `{other}` in `{url}`"
            ))),
        }
    }

    #[allow(unused_variables)]
    fn from_cloud_url(scheme: &str, url: &str) -> Result<Self> {
        let feature = match scheme {
            "s3" | "hs3" => "aws",
            "gs" | "gcs" => "gcp",
            _ => "azure",
        };
        #[cfg(any(feature = "aws", feature = "azure", feature = "gcp"))]
        {
            let normalized = if scheme == "hs3" {
                format!("s3://{}", &url[url.find("://").map_or(0, |p| p + 3)..])
            } else {
                url.to_owned()
            };
            let parsed = url::Url::parse(&normalized)
                .map_err(|e| Error::invalid_input(format!("invalid store URL `{url}`: {e}")))?;
            if let Ok((backend, path)) = object_store::parse_url_opts(&parsed, std::env::vars()) {
                let mut store = Self::new(Arc::from(backend), path.as_ref());
                store.url = url.to_owned();
                return Ok(store);
            }
        }
        Err(Error::unsupported(format!(
            "store URL `{url}` needs plateau built with the `{feature}` feature"
        )))
    }

    /// The URL or description of the store.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The underlying async backend, for callers that want to drive I/O themselves. Keys
    /// must be combined with [`Store::path`].
    pub fn object_store(&self) -> Arc<dyn ObjectStore> {
        Arc::clone(&self.inner)
    }

    /// The backend path of a plateau key (prefix applied, `%` escapes kept literally).
    pub fn path(&self, key: &str) -> Result<Path> {
        let full = if self.prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{}/{key}", self.prefix)
        };
        Path::parse(&full).map_err(|e| Error::invalid_input(format!("invalid key `{key}`: {e}")))
    }

    /// The plateau key of a backend path (prefix removed).
    fn key_of(&self, path: &Path) -> String {
        let raw = path.as_ref();
        if self.prefix.is_empty() {
            raw.to_owned()
        } else {
            raw.strip_prefix(&self.prefix)
                .map(|k| k.trim_start_matches('/'))
                .unwrap_or(raw)
                .to_owned()
        }
    }

    fn object(&self, meta: &ObjectMeta) -> StoreObject {
        StoreObject {
            key: self.key_of(&meta.location),
            size: meta.size,
            last_modified: meta.last_modified,
            version: ObjectVersion::from_meta(meta),
        }
    }

    /// The whole object.
    pub fn get(&self, key: &str) -> Result<Bytes> {
        Ok(self.get_versioned(key)?.0)
    }

    /// The whole object with its version, for a later [`Store::put_if_match`].
    pub fn get_versioned(&self, key: &str) -> Result<(Bytes, ObjectVersion)> {
        let path = self.path(key)?;
        let inner = Arc::clone(&self.inner);
        let key_owned = key.to_owned();
        run(async move {
            let result = inner
                .get(&path)
                .await
                .map_err(|e| not_found_as(e, &key_owned))?;
            let version = ObjectVersion::from_meta(&result.meta);
            let bytes = result.bytes().await?;
            Ok((bytes, version))
        })
    }

    /// `None` if the key does not exist, else the object with its version.
    pub fn get_opt(&self, key: &str) -> Result<Option<(Bytes, ObjectVersion)>> {
        match self.get_versioned(key) {
            Ok(found) => Ok(Some(found)),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A byte range of the object.
    pub fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes> {
        let path = self.path(key)?;
        let inner = Arc::clone(&self.inner);
        let key_owned = key.to_owned();
        run(async move {
            inner
                .get_range(&path, range)
                .await
                .map_err(|e| not_found_as(e, &key_owned))
        })
    }

    /// Several byte ranges of the object; remote backends coalesce nearby ranges.
    pub fn get_ranges(&self, key: &str, ranges: Vec<Range<u64>>) -> Result<Vec<Bytes>> {
        let path = self.path(key)?;
        let inner = Arc::clone(&self.inner);
        let key_owned = key.to_owned();
        run(async move {
            inner
                .get_ranges(&path, &ranges)
                .await
                .map_err(|e| not_found_as(e, &key_owned))
        })
    }

    /// Size, modification time and version of the object.
    pub fn head(&self, key: &str) -> Result<StoreObject> {
        let path = self.path(key)?;
        let inner = Arc::clone(&self.inner);
        let key_owned = key.to_owned();
        let meta = run(async move {
            inner
                .head(&path)
                .await
                .map_err(|e| not_found_as(e, &key_owned))
        })?;
        Ok(self.object(&meta))
    }

    /// Whether the key exists.
    pub fn exists(&self, key: &str) -> Result<bool> {
        match self.head(key) {
            Ok(_) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn put_mode(&self, key: &str, bytes: Bytes, mode: PutMode) -> Result<ObjectVersion> {
        let path = self.path(key)?;
        let inner = Arc::clone(&self.inner);
        let key_owned = key.to_owned();
        run(async move {
            let opts = PutOptions {
                mode,
                ..Default::default()
            };
            let result = inner
                .put_opts(&path, PutPayload::from(bytes), opts)
                .await
                .map_err(|e| conflict_key(e, &key_owned))?;
            Ok(ObjectVersion {
                e_tag: result.e_tag,
                version: result.version,
            })
        })
    }

    /// Writes the object atomically, replacing any previous one.
    pub fn put(&self, key: &str, bytes: Bytes) -> Result<ObjectVersion> {
        self.put_mode(key, bytes, PutMode::Overwrite)
    }

    /// Writes the object only if the key does not exist yet; otherwise
    /// [`Error::CommitConflict`] and nothing is written.
    pub fn put_if_absent(&self, key: &str, bytes: Bytes) -> Result<ObjectVersion> {
        self.put_mode(key, bytes, PutMode::Create)
    }

    /// Replaces the object only if its current version is `expected`; otherwise
    /// [`Error::CommitConflict`] and nothing is written. A missing object is a conflict too.
    pub fn put_if_match(
        &self,
        key: &str,
        bytes: Bytes,
        expected: &ObjectVersion,
    ) -> Result<ObjectVersion> {
        match &self.conditional_update {
            ConditionalUpdate::Native => self.put_mode(
                key,
                bytes,
                PutMode::Update(UpdateVersion {
                    e_tag: expected.e_tag.clone(),
                    version: expected.version.clone(),
                }),
            ),
            ConditionalUpdate::LockFile(dir) => {
                let _guard = LockGuard::acquire(dir, key)?;
                let current = match self.head(key) {
                    Ok(object) => object.version,
                    Err(Error::NotFound { .. }) => {
                        return Err(Error::CommitConflict {
                            key: key.to_owned(),
                            message: "object was deleted since it was read".into(),
                        })
                    }
                    Err(e) => return Err(e),
                };
                if &current != expected {
                    return Err(Error::CommitConflict {
                        key: key.to_owned(),
                        message: "object changed since it was read".into(),
                    });
                }
                self.put(key, bytes)
            }
        }
    }

    /// Deletes the object; a missing key is not an error.
    pub fn delete(&self, key: &str) -> Result<()> {
        let path = self.path(key)?;
        let inner = Arc::clone(&self.inner);
        run(async move {
            match inner.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(e.into()),
            }
        })
    }

    /// Deletes every key; missing keys are not errors.
    pub fn delete_many(&self, keys: &[String]) -> Result<()> {
        for key in keys {
            self.delete(key)?;
        }
        Ok(())
    }

    /// Every object whose key starts with `prefix` (plain string prefix, as minimalkv's
    /// `iter_keys`), sorted by key. Only the deepest whole directory of the prefix is listed
    /// on the backend, so `u/` does not list the rest of the store.
    pub fn list(&self, prefix: &str) -> Result<Vec<StoreObject>> {
        let dir = match prefix.rfind('/') {
            Some(pos) => &prefix[..pos],
            None => "",
        };
        let list_path = if dir.is_empty() && self.prefix.is_empty() {
            None
        } else {
            Some(self.path(dir)?)
        };
        let inner = Arc::clone(&self.inner);
        let metas: Vec<ObjectMeta> = run(async move {
            Ok(inner
                .list(list_path.as_ref())
                .try_collect::<Vec<_>>()
                .await?)
        })?;
        let mut objects: Vec<StoreObject> = metas
            .iter()
            .map(|m| self.object(m))
            .filter(|o| o.key.starts_with(prefix) && !o.key.starts_with(".plateau-locks/"))
            .collect();
        objects.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(objects)
    }

    /// The keys of [`Store::list`].
    pub fn list_keys(&self, prefix: &str) -> Result<Vec<String>> {
        Ok(self.list(prefix)?.into_iter().map(|o| o.key).collect())
    }
}

/// Reports a missing object under the plateau key rather than the backend path.
fn not_found_as(err: object_store::Error, key: &str) -> Error {
    match err {
        object_store::Error::NotFound { .. } => Error::NotFound {
            key: key.to_owned(),
        },
        other => other.into(),
    }
}

/// Reports a conditional-write failure under the plateau key.
fn conflict_key(err: object_store::Error, key: &str) -> Error {
    match Error::from(err) {
        Error::CommitConflict { message, .. } => Error::CommitConflict {
            key: key.to_owned(),
            message,
        },
        other => other,
    }
}

/// An exclusive OS lock on `<dir>/<key>.lock`, released on drop (or when the process dies).
struct LockGuard {
    file: std::fs::File,
}

impl LockGuard {
    fn acquire(dir: &std::path::Path, key: &str) -> Result<Self> {
        let name = format!("{}.lock", key.replace('/', "%2F"));
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
