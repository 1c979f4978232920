//! [`Store`]: an `object_store` backend with an optional key prefix, with async reads and
//! writes and a blocking facade over them.
//!
//! The prefix is object_store's own [`PrefixStore`] around the backend: plateau keys go in,
//! and listings come back relative to the prefix, so no code here joins or strips prefixes
//! by hand. [`Store::object_store`] hands out the backend *without* the prefix, so that a
//! caller can wrap it (request counting, fault injection, throttling) and rebuild the same
//! store with [`Store::new`]`(wrapper, store.prefix())`.
//!
//! The `*_async` methods are plain futures over the backend: poll them inside a tokio
//! runtime of either flavour (object_store's HTTP clients and local-disk I/O need one). The
//! blocking methods run the same futures on [`crate::runtime`]'s shared runtime and wait for
//! them on the calling thread.
//!
//! Keys are plateau keys: `/`-separated, and they may contain `%` escapes that must reach the
//! backend literally (`u/table/P=a%20b/x.parquet`). They are turned into object paths with
//! [`Path::parse`], never `Path::from`, which would escape the `%` again.
//!
//! Conditional writes: [`Store::put_if_absent`] maps to `PutMode::Create` and
//! [`Store::put_if_match`] to `PutMode::Update`. Local disk, which object_store cannot
//! compare-and-swap, is wrapped in [`LockingLocalStore`] (an OS lock file per key), so every
//! backend is driven the same way here.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{
    GetOptions, GetRange, ObjectMeta, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload,
    UpdateVersion,
};

use crate::error::{Error, Result};
use crate::local_cas::LockingLocalStore;
use crate::location::{redact_url, StoreLocation};
use crate::runtime::block_on as run;

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
    /// The backend is configured without conditional writes (the reason says how); commits
    /// cannot be atomic.
    Unavailable(String),
}

/// A blob store holding plateau datasets.
///
/// Cheap to clone; clones share the backend.
#[derive(Clone)]
pub struct Store {
    /// The backend seen through the key prefix (a [`PrefixStore`]): takes plateau keys, lists
    /// keys relative to the prefix.
    inner: Arc<dyn ObjectStore>,
    /// The backend itself, without the prefix, for [`Store::object_store`].
    backend: Arc<dyn ObjectStore>,
    /// The key prefix as given (without leading or trailing `/`), for [`Store::prefix`].
    prefix: String,
    /// The prefix as an object path, or why it is not one: [`Store::new`] cannot fail, so an
    /// invalid prefix fails every operation instead (as a key with that prefix would).
    prefix_path: std::result::Result<Path, String>,
    url: String,
    conditional_update: ConditionalUpdate,
    /// For local disk: the backend (to map keys to files: symbolic links, interrupted
    /// uploads) and the store's root directory.
    local: Option<(Arc<LocalFileSystem>, PathBuf)>,
    /// Writes to a store without conditional writes are allowed, with commits degraded to
    /// compare-then-write (see [`Store::with_last_writer_wins`]).
    last_writer_wins: bool,
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
    /// Wraps any `object_store` backend. `prefix` (leading and trailing `/` are ignored) is
    /// put in front of every key, through object_store's [`PrefixStore`]; the backend must
    /// support `PutMode::Update` for [`Store::put_if_match`].
    ///
    /// The prefix is parsed like a key ([`Path::parse`]: `%` escapes are kept literally). A
    /// prefix that is not a valid object path (an empty, `.` or `..` segment, a control
    /// character) does not fail here but makes every operation fail with
    /// [`Error::InvalidInput`].
    ///
    /// `Store::new(backend, store.prefix())` with `backend` = [`Store::object_store`] (or a
    /// wrapper around it) addresses the same objects as `store`; see there for what it does
    /// not carry over.
    pub fn new(backend: Arc<dyn ObjectStore>, prefix: impl Into<String>) -> Self {
        let prefix = prefix.into().trim_matches('/').to_owned();
        let prefix_path = Path::parse(&prefix).map_err(|e| e.to_string());
        // An invalid prefix never reaches the backend (`key_path` refuses first); the empty
        // path only keeps the wrapper constructible.
        let wrapper_prefix = prefix_path.clone().unwrap_or_default();
        Self {
            url: format!("{backend}"),
            inner: Arc::new(PrefixStore::new(Arc::clone(&backend), wrapper_prefix)),
            backend,
            prefix,
            prefix_path,
            conditional_update: ConditionalUpdate::Native,
            local: None,
            last_writer_wins: false,
        }
    }

    /// A new, empty in-memory store.
    pub fn memory() -> Self {
        let mut store = Self::new(Arc::new(InMemory::new()), "");
        store.url = "memory://".into();
        store
    }

    /// A store on a local directory.
    ///
    /// A directory that does not exist yet is not created here: the first write creates it,
    /// so that opening a mistyped path to read or list changes nothing on disk.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the path exists but is not a directory, or names a
    /// `..` component below its deepest existing ancestor; I/O errors.
    pub fn local(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        let (root, local, prefix) = match std::fs::metadata(&root) {
            Ok(meta) if meta.is_dir() => {
                let root = std::fs::canonicalize(&root)?;
                let local = LocalFileSystem::new_with_prefix(&root).map_err(Error::from)?;
                (root, Arc::new(local), String::new())
            }
            Ok(_) => {
                return Err(Error::invalid_input(format!(
                    "store path `{}` exists but is not a directory",
                    root.display()
                )))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // `LocalFileSystem::new_with_prefix` needs an existing directory. Rooted at
                // `/` with the directory as key prefix instead, the backend's writes create
                // the missing directories.
                let root = absolute_missing(&root)?;
                let prefix = root.to_string_lossy().trim_matches('/').to_owned();
                (root, Arc::new(LocalFileSystem::new()), prefix)
            }
            Err(e) => return Err(e.into()),
        };
        let prefix_path = Path::parse(&prefix).map_err(|e| {
            Error::invalid_input(format!(
                "store path `{}` is not a valid object path: {e}",
                root.display()
            ))
        })?;
        // The locking layer sits below the prefix, so it sees backend paths; it leaves the
        // prefix out of its lock file names.
        let locking =
            LockingLocalStore::new(Arc::clone(&local), root.join(".plateau-locks"), prefix_path);
        let mut store = Self::new(Arc::new(locking), prefix);
        store.url = format!("file://{}", root.display());
        store.local = Some((local, root));
        Ok(store)
    }

    /// Opens a store from a URL (the forms are listed in [`crate::location`]): a plain path,
    /// `file://`, `memory://`, object_store's `s3://`, `az://`, `abfss://`, `gs://` URLs, and
    /// the minimalkv URLs of Python plateau (`hs3://KEY:SECRET@HOST:PORT/BUCKET`, `hazure://`,
    /// `hgcs://`, `hfs://`, `hmemory://`). Cloud stores read the environment variables with
    /// their backend's prefix (`AWS_`, `AZURE_`, `GOOGLE_`) and need the cargo feature `aws`,
    /// `azure` or `gcp`.
    ///
    /// # Errors
    /// See [`Store::from_url_opts`].
    pub fn from_url(url: &str) -> Result<Self> {
        Self::from_url_opts(url, std::iter::empty::<(String, String)>())
    }

    /// Opens a store from a URL with object_store configuration options (e.g.
    /// `("aws_endpoint", "http://127.0.0.1:9000")`), which override the URL's and the
    /// environment's. [`Store::url`] shows the URL with its secrets redacted.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a URL that cannot be parsed, an option key the backend does
    /// not know, options for a local or memory store, or a configuration the backend rejects;
    /// [`Error::Unsupported`] for a cloud URL without its cargo feature. Messages show the URL
    /// redacted.
    pub fn from_url_opts<I, K, V>(url: &str, options: I) -> Result<Self>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let mut location = StoreLocation::parse(url)?;
        let options: Vec<(String, String)> = options
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        match &mut location {
            StoreLocation::Cloud(cloud) => cloud.options.extend(options),
            _ if !options.is_empty() => {
                return Err(Error::invalid_input(format!(
                    "store options apply to cloud stores only, not to `{}`",
                    redact_url(url)
                )))
            }
            _ => {}
        }
        let mut store = Self::from_location(&location, &redact_url(url))?;
        if matches!(location, StoreLocation::Cloud(_)) {
            store.url = redact_url(url);
        }
        Ok(store)
    }

    /// Opens a parsed location; `display` names it in errors (pass a redacted URL).
    ///
    /// # Errors
    /// As [`Store::from_url_opts`].
    pub fn from_location(location: &StoreLocation, display: &str) -> Result<Self> {
        match location {
            StoreLocation::Memory => Ok(Self::memory()),
            StoreLocation::Local(path) => Self::local(path.clone()),
            StoreLocation::Cloud(cloud) => {
                let opened = crate::cloud::open(cloud, display)?;
                let mut store = Self::new(opened.backend, cloud.prefix.as_str());
                store.url = display.to_owned();
                if let Some(reason) = opened.without_conditional_writes {
                    store.conditional_update = ConditionalUpdate::Unavailable(reason);
                }
                Ok(store)
            }
        }
    }

    /// The key prefix in front of every key in the backend (without leading or trailing `/`):
    /// the prefix of [`Store::object_store`]'s paths.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The URL or description of the store.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The underlying async backend *without* the key prefix, for callers that want to drive
    /// I/O themselves: its paths are [`Store::path`] (the key behind [`Store::prefix`]).
    ///
    /// To see this store through an `ObjectStore` wrapper (counting, fault injection,
    /// throttling), wrap this backend and call `Store::new(Arc::new(wrapper),
    /// store.prefix())`: the new store addresses the same objects. It is a plain
    /// [`Store::new`] store, though: the URL, the local-disk checks (symbolic links,
    /// [`Store::list_interrupted`]) and the conditional-write configuration
    /// ([`Store::with_last_writer_wins`]) stay with this one. For local disk the backend
    /// includes the lock-file layer that makes [`Store::put_if_match`] atomic, so wrappers
    /// keep compare-and-swap.
    pub fn object_store(&self) -> Arc<dyn ObjectStore> {
        Arc::clone(&self.backend)
    }

    /// The backend path of a plateau key (prefix applied, `%` escapes kept literally): the
    /// path of the object in [`Store::object_store`].
    pub fn path(&self, key: &str) -> Result<Path> {
        Ok(self.backend_path(&self.key_path(key)?))
    }

    /// The path of a plateau key below the prefix, as `inner` takes it. [`Path::parse`], not
    /// `Path::from`, which would escape the `%` of plateau's escapes a second time.
    fn key_path(&self, key: &str) -> Result<Path> {
        if let Err(e) = &self.prefix_path {
            return Err(Error::invalid_input(format!(
                "invalid key prefix `{}` of store `{}`: {e}",
                self.prefix, self.url
            )));
        }
        Path::parse(key).map_err(|e| Error::invalid_input(format!("invalid key `{key}`: {e}")))
    }

    /// The backend path of a path below the prefix (as [`PrefixStore`] joins them: by
    /// segments, nothing re-encoded).
    fn backend_path(&self, location: &Path) -> Path {
        match &self.prefix_path {
            Ok(prefix) => prefix.parts().chain(location.parts()).collect(),
            Err(_) => location.clone(),
        }
    }

    fn object(&self, meta: &ObjectMeta) -> StoreObject {
        StoreObject {
            // `inner` reports locations relative to the prefix: they are the keys.
            key: meta.location.as_ref().to_owned(),
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
        let this = self.clone();
        let key = key.to_owned();
        run(async move { this.get_versioned_async(&key).await })
    }

    /// Async [`Store::get_versioned`].
    pub async fn get_versioned_async(&self, key: &str) -> Result<(Bytes, ObjectVersion)> {
        let path = self.key_path(key)?;
        let result = self
            .inner
            .get(&path)
            .await
            .map_err(|e| not_found_as(e, key))?;
        let version = ObjectVersion::from_meta(&result.meta);
        let bytes = result.bytes().await.map_err(|e| not_found_as(e, key))?;
        Ok((bytes, version))
    }

    /// `None` if the key does not exist, else the object with its version.
    pub fn get_opt(&self, key: &str) -> Result<Option<(Bytes, ObjectVersion)>> {
        let this = self.clone();
        let key = key.to_owned();
        run(async move { this.get_opt_async(&key).await })
    }

    /// Async [`Store::get_opt`].
    pub async fn get_opt_async(&self, key: &str) -> Result<Option<(Bytes, ObjectVersion)>> {
        match self.get_versioned_async(key).await {
            Ok(found) => Ok(Some(found)),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Several objects at once (`None` for a missing key), fetched concurrently: one round
    /// trip of latency instead of one per key.
    pub fn get_many_opt(&self, keys: &[String]) -> Result<Vec<Option<Bytes>>> {
        let this = self.clone();
        let keys = keys.to_vec();
        run(async move { this.get_many_opt_async(&keys).await })
    }

    /// Async [`Store::get_many_opt`].
    pub async fn get_many_opt_async(&self, keys: &[String]) -> Result<Vec<Option<Bytes>>> {
        let fetches = keys.iter().map(|key| self.get_opt_async(key));
        let found = futures::future::try_join_all(fetches).await?;
        Ok(found
            .into_iter()
            .map(|f| f.map(|(bytes, _)| bytes))
            .collect())
    }

    /// A byte range of the object.
    pub fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes> {
        let this = self.clone();
        let key = key.to_owned();
        run(async move { this.get_range_async(&key, range).await })
    }

    /// Async [`Store::get_range`].
    pub async fn get_range_async(&self, key: &str, range: Range<u64>) -> Result<Bytes> {
        let path = self.key_path(key)?;
        self.inner
            .get_range(&path, range)
            .await
            .map_err(|e| not_found_as(e, key))
    }

    /// The last `n` bytes of the object (all of it if it is smaller) and the object's size,
    /// in one request where the backend takes suffix ranges (S3, GCS, local disk, memory);
    /// Azure, which does not, costs a HEAD and a ranged GET.
    pub fn get_tail(&self, key: &str, n: u64) -> Result<(Bytes, u64)> {
        let this = self.clone();
        let key = key.to_owned();
        run(async move { this.get_tail_async(&key, n).await })
    }

    /// Async [`Store::get_tail`].
    pub async fn get_tail_async(&self, key: &str, n: u64) -> Result<(Bytes, u64)> {
        let path = self.key_path(key)?;
        let options = GetOptions {
            range: Some(GetRange::Suffix(n)),
            ..Default::default()
        };
        match self.inner.get_opts(&path, options).await {
            Ok(result) => {
                let size = result.meta.size;
                let bytes = result.bytes().await.map_err(|e| not_found_as(e, key))?;
                return Ok((bytes, size));
            }
            Err(object_store::Error::NotSupported { .. }) => {}
            Err(e) => return Err(not_found_as(e, key)),
        }
        let size = self.head_async(key).await?.size;
        let bytes = self
            .get_range_async(key, size.saturating_sub(n)..size)
            .await?;
        Ok((bytes, size))
    }

    /// Several byte ranges of the object; remote backends coalesce nearby ranges.
    pub fn get_ranges(&self, key: &str, ranges: Vec<Range<u64>>) -> Result<Vec<Bytes>> {
        let this = self.clone();
        let key = key.to_owned();
        run(async move { this.get_ranges_async(&key, &ranges).await })
    }

    /// Async [`Store::get_ranges`].
    pub async fn get_ranges_async(&self, key: &str, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        let path = self.key_path(key)?;
        self.inner
            .get_ranges(&path, ranges)
            .await
            .map_err(|e| not_found_as(e, key))
    }

    /// Size, modification time and version of the object.
    pub fn head(&self, key: &str) -> Result<StoreObject> {
        let this = self.clone();
        let key = key.to_owned();
        run(async move { this.head_async(&key).await })
    }

    /// Async [`Store::head`].
    pub async fn head_async(&self, key: &str) -> Result<StoreObject> {
        let path = self.key_path(key)?;
        let meta = self
            .inner
            .head(&path)
            .await
            .map_err(|e| not_found_as(e, key))?;
        // The key asked for, not `meta.location`: object_store 0.13's `PrefixStore` leaves
        // its prefix on the location of `head` and `get` results.
        Ok(StoreObject {
            key: key.to_owned(),
            ..self.object(&meta)
        })
    }

    /// Whether the key exists.
    pub fn exists(&self, key: &str) -> Result<bool> {
        let this = self.clone();
        let key = key.to_owned();
        run(async move { this.exists_async(&key).await })
    }

    /// Async [`Store::exists`].
    pub async fn exists_async(&self, key: &str) -> Result<bool> {
        match self.head_async(key).await {
            Ok(_) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Refuses to change a store whose commits cannot be atomic, unless the caller accepted
    /// that: the first write of any operation fails, so nothing is written.
    fn check_writable(&self) -> Result<()> {
        match &self.conditional_update {
            ConditionalUpdate::Unavailable(reason) if !self.last_writer_wins => {
                Err(Error::unsupported(format!(
                    "store `{}` cannot make commits atomic: {reason}; nothing was written. \
                     Enable conditional writes, or accept that concurrent writers may \
                     overwrite each other's commits (CLI --last-writer-wins, \
                     Store::with_last_writer_wins)",
                    self.url
                )))
            }
            _ => Ok(()),
        }
    }

    /// Checks that the backend honours the preconditions plateau's commits rely on, with a
    /// probe object under `.plateau-probe/` that is deleted afterwards: a second put-if-absent
    /// must conflict, a put-if-match with a stale version must conflict, one with the current
    /// version must succeed. An S3-compatible store that ignores `If-None-Match`/`If-Match`
    /// would turn every commit into last-writer-wins; this tells before data is at stake.
    ///
    /// # Errors
    /// [`Error::Unsupported`] naming the precondition the store ignored; store errors.
    pub fn probe_conditional_writes(&self) -> Result<()> {
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        let key = format!(".plateau-probe/{}-{nanos}", std::process::id());
        let ignored = |what: &str| {
            Error::unsupported(format!(
                "store `{}` ignores {what}: its commits would not be atomic",
                self.url
            ))
        };
        let outcome = (|| {
            let first = self.put_if_absent(&key, Bytes::from_static(b"1"))?;
            match self.put_if_absent(&key, Bytes::from_static(b"2")) {
                Err(Error::CommitConflict { .. }) => {}
                Ok(_) => return Err(ignored("create-if-absent (If-None-Match: *)")),
                Err(e) => return Err(e),
            }
            let second = self.put_if_match(&key, Bytes::from_static(b"3"), &first)?;
            match self.put_if_match(&key, Bytes::from_static(b"4"), &first) {
                Err(Error::CommitConflict { .. }) => {}
                Ok(_) => return Err(ignored("update-if-match (If-Match: <ETag>)")),
                Err(e) => return Err(e),
            }
            if self.get(&key)?.as_ref() != b"3" || second == first {
                return Err(ignored("update-if-match (If-Match: <ETag>)"));
            }
            Ok(())
        })();
        let cleanup = self.delete(&key);
        outcome.and(cleanup)
    }

    /// Whether a commit to this store is atomic (compare-and-swap); `false` only for a
    /// backend configured without conditional writes.
    pub fn has_atomic_commits(&self) -> bool {
        !matches!(self.conditional_update, ConditionalUpdate::Unavailable(_))
    }

    /// Allows writing to a store without conditional writes (e.g. S3 with
    /// `aws_conditional_put=disabled`): `put_if_absent` and `put_if_match` then compare and
    /// write in two requests, so a concurrent writer's commit can be lost (Python plateau's
    /// behaviour on every store). Without this, every write to such a store fails before the
    /// first byte. No effect on stores with conditional writes.
    pub fn with_last_writer_wins(mut self, allow: bool) -> Self {
        self.last_writer_wins = allow;
        self
    }

    fn put_mode(&self, key: &str, bytes: Bytes, mode: PutMode) -> Result<ObjectVersion> {
        let this = self.clone();
        let key = key.to_owned();
        run(async move { this.put_mode_async(&key, bytes, mode).await })
    }

    async fn put_mode_async(
        &self,
        key: &str,
        bytes: Bytes,
        mode: PutMode,
    ) -> Result<ObjectVersion> {
        self.check_writable()?;
        if matches!(self.conditional_update, ConditionalUpdate::Unavailable(_)) {
            return self.put_compare_then_write(key, bytes, mode).await;
        }
        let path = self.key_path(key)?;
        let opts = PutOptions {
            mode,
            ..Default::default()
        };
        let result = self
            .inner
            .put_opts(&path, PutPayload::from(bytes), opts)
            .await
            .map_err(|e| conflict_key(e, key))?;
        Ok(ObjectVersion {
            e_tag: result.e_tag,
            version: result.version,
        })
    }

    /// `mode` emulated by a HEAD and a plain PUT (last writer wins between the two).
    async fn put_compare_then_write(
        &self,
        key: &str,
        bytes: Bytes,
        mode: PutMode,
    ) -> Result<ObjectVersion> {
        let conflict = |message: &str| Error::CommitConflict {
            key: key.to_owned(),
            message: message.to_owned(),
        };
        match &mode {
            PutMode::Overwrite => {}
            PutMode::Create => match self.head_async(key).await {
                Ok(_) => return Err(conflict("object exists")),
                Err(Error::NotFound { .. }) => {}
                Err(e) => return Err(e),
            },
            PutMode::Update(expected) => match self.head_async(key).await {
                Ok(object)
                    if object.version.e_tag == expected.e_tag
                        && object.version.version == expected.version => {}
                Ok(_) => return Err(conflict("object changed since it was read")),
                Err(Error::NotFound { .. }) => {
                    return Err(conflict("object was deleted since it was read"))
                }
                Err(e) => return Err(e),
            },
        }
        let path = self.key_path(key)?;
        let result = self.inner.put(&path, PutPayload::from(bytes)).await?;
        Ok(ObjectVersion {
            e_tag: result.e_tag,
            version: result.version,
        })
    }

    /// Writes the object atomically, replacing any previous one.
    pub fn put(&self, key: &str, bytes: Bytes) -> Result<ObjectVersion> {
        self.put_mode(key, bytes, PutMode::Overwrite)
    }

    /// Async [`Store::put`].
    pub async fn put_async(&self, key: &str, bytes: Bytes) -> Result<ObjectVersion> {
        self.put_mode_async(key, bytes, PutMode::Overwrite).await
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
        self.put_mode(
            key,
            bytes,
            PutMode::Update(UpdateVersion {
                e_tag: expected.e_tag.clone(),
                version: expected.version.clone(),
            }),
        )
    }

    /// Async [`Store::put_if_absent`].
    pub async fn put_if_absent_async(&self, key: &str, bytes: Bytes) -> Result<ObjectVersion> {
        self.put_mode_async(key, bytes, PutMode::Create).await
    }

    /// Async [`Store::put_if_match`].
    pub async fn put_if_match_async(
        &self,
        key: &str,
        bytes: Bytes,
        expected: &ObjectVersion,
    ) -> Result<ObjectVersion> {
        let mode = PutMode::Update(UpdateVersion {
            e_tag: expected.e_tag.clone(),
            version: expected.version.clone(),
        });
        self.put_mode_async(key, bytes, mode).await
    }

    /// Deletes the object; a missing key is not an error. On local disk, a key whose file
    /// lies below a symbolic link to a directory is left alone: deleting never follows links
    /// out of the store.
    pub fn delete(&self, key: &str) -> Result<()> {
        let this = self.clone();
        let key = key.to_owned();
        run(async move { this.delete_async(&key).await })
    }

    /// Async [`Store::delete`].
    pub async fn delete_async(&self, key: &str) -> Result<()> {
        self.check_writable()?;
        let path = self.key_path(key)?;
        if self.behind_symlink(&path, &mut HashMap::new())? {
            return Ok(());
        }
        match self.inner.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes every key; missing keys are not errors.
    ///
    /// Object stores get one streamed batch (`delete_stream`: S3's `DeleteObjects` takes 1,000
    /// keys per request, Azure's blob batch 256); local disk deletes key by key, because each
    /// key is checked for symbolic links first.
    pub fn delete_many(&self, keys: &[String]) -> Result<()> {
        self.check_writable()?;
        if self.local.is_some() {
            for key in keys {
                self.delete(key)?;
            }
            return Ok(());
        }
        let paths: Vec<object_store::Result<Path>> = keys
            .iter()
            .map(|key| self.key_path(key))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .map(Ok)
            .collect();
        if paths.is_empty() {
            return Ok(());
        }
        let inner = Arc::clone(&self.inner);
        run(async move {
            let mut results = inner.delete_stream(futures::stream::iter(paths).boxed());
            while let Some(result) = results.next().await {
                match result {
                    Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(())
        })
    }

    /// The objects directly inside the directory `dir` (`""` for the store's root), sorted by
    /// key: one delimiter listing, nothing below is walked. The metadata files of a store's
    /// datasets are the objects of its root.
    pub fn list_directory(&self, dir: &str) -> Result<Vec<StoreObject>> {
        let dir = self.key_path(dir.trim_end_matches('/'))?;
        let inner = Arc::clone(&self.inner);
        let listing = run(async move { Ok(inner.list_with_delimiter(Some(&dir)).await?) })?;
        let mut links = HashMap::new();
        let mut objects = Vec::with_capacity(listing.objects.len());
        for meta in &listing.objects {
            if !self.behind_symlink(&meta.location, &mut links)? {
                objects.push(self.object(meta));
            }
        }
        objects.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(objects)
    }

    /// Every object whose key starts with `prefix` (plain string prefix, as minimalkv's
    /// `iter_keys`), sorted by key. Only the deepest whole directory of the prefix is listed
    /// on the backend, so `u/` does not list the rest of the store.
    pub fn list(&self, prefix: &str) -> Result<Vec<StoreObject>> {
        let this = self.clone();
        let prefix = prefix.to_owned();
        run(async move { this.list_async(&prefix).await })
    }

    /// Async [`Store::list`].
    pub async fn list_async(&self, prefix: &str) -> Result<Vec<StoreObject>> {
        let dir = match prefix.rfind('/') {
            Some(pos) => &prefix[..pos],
            None => "",
        };
        let dir = self.key_path(dir)?;
        let metas: Vec<ObjectMeta> = self.inner.list(Some(&dir)).try_collect::<Vec<_>>().await?;
        let mut links = HashMap::new();
        let mut objects = Vec::with_capacity(metas.len());
        for meta in &metas {
            let object = self.object(meta);
            if object.key.starts_with(prefix)
                && !object.key.starts_with(".plateau-locks/")
                && !self.behind_symlink(&meta.location, &mut links)?
            {
                objects.push(object);
            }
        }
        objects.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(objects)
    }

    /// Whether `location` (a path below the prefix, as `inner` takes and lists it) lies below
    /// a symbolic link on local disk (the backend's listing follows links; plateau never
    /// does). `links` caches the answer per directory.
    fn behind_symlink(&self, location: &Path, links: &mut HashMap<PathBuf, bool>) -> Result<bool> {
        let Some((local, _)) = &self.local else {
            return Ok(false);
        };
        // The file system backend sits below the prefix: it maps whole backend paths.
        let file = local
            .path_to_filesystem(&self.backend_path(location))
            .map_err(Error::from)?;
        let root = self.local_root();
        let mut dir = file.parent();
        while let Some(current) = dir {
            if root.as_deref().is_some_and(|root| current == root) || !current.starts_with("/") {
                break;
            }
            let is_link = match links.get(current) {
                Some(known) => *known,
                None => {
                    let known = std::fs::symlink_metadata(current)
                        .map(|m| m.file_type().is_symlink())
                        .unwrap_or(false);
                    links.insert(current.to_path_buf(), known);
                    known
                }
            };
            if is_link {
                return Ok(true);
            }
            dir = current.parent();
        }
        Ok(false)
    }

    /// The root directory of a local-disk store.
    fn local_root(&self) -> Option<PathBuf> {
        self.local.as_ref().map(|(_, root)| root.clone())
    }

    /// Files that interrupted uploads left behind under `prefix`, on local disk: the
    /// backend writes `<file>#<n>` and renames it when complete, so a killed writer leaves
    /// the temporary file, which listings do not show. Empty for other backends, where an
    /// unfinished upload is never visible. Keys are as in [`Store::list`] (with the `#<n>`
    /// suffix); symbolic links are not followed.
    pub fn list_interrupted(&self, prefix: &str) -> Result<Vec<StoreObject>> {
        let Some(root) = self.local_root() else {
            return Ok(Vec::new());
        };
        let dir = match prefix.rfind('/') {
            Some(pos) => &prefix[..pos],
            None => "",
        };
        let mut found = Vec::new();
        let mut pending = vec![(root.join(dir), dir.to_owned())];
        while let Some((path, key)) = pending.pop() {
            let entries = match std::fs::read_dir(&path) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e.into()),
            };
            for entry in entries {
                // Uploads finish (and their temporary files vanish) while we walk.
                let vanished = |e: &std::io::Error| e.kind() == std::io::ErrorKind::NotFound;
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(e) if vanished(&e) => continue,
                    Err(e) => return Err(e.into()),
                };
                let name = entry.file_name().to_string_lossy().into_owned();
                let child = if key.is_empty() {
                    name.clone()
                } else {
                    format!("{key}/{name}")
                };
                let file_type = match entry.file_type() {
                    Ok(file_type) => file_type,
                    Err(e) if vanished(&e) => continue,
                    Err(e) => return Err(e.into()),
                };
                if file_type.is_dir() {
                    if child != ".plateau-locks" {
                        pending.push((entry.path(), child));
                    }
                } else if file_type.is_file()
                    && is_upload_in_progress(&name)
                    && child.starts_with(prefix)
                {
                    let meta = match entry.metadata() {
                        Ok(meta) => meta,
                        Err(e) if vanished(&e) => continue,
                        Err(e) => return Err(e.into()),
                    };
                    found.push(StoreObject {
                        key: child,
                        size: meta.len(),
                        last_modified: meta.modified()?.into(),
                        version: ObjectVersion::default(),
                    });
                }
            }
        }
        found.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(found)
    }

    /// Removes a file of [`Store::list_interrupted`]; a missing file is not an error, and
    /// only such temporary files are removed.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a key that is not an interrupted upload of a local store.
    pub fn delete_interrupted(&self, key: &str) -> Result<()> {
        let name = key.rsplit('/').next().unwrap_or(key);
        let root = self.local_root();
        let Some(root) = root.filter(|_| is_upload_in_progress(name)) else {
            return Err(Error::invalid_input(format!(
                "`{key}` is not an interrupted upload of a local store"
            )));
        };
        if key
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        {
            return Err(Error::invalid_input(format!("invalid key `{key}`")));
        }
        let path = self.key_path(
            key.trim_end_matches(|c: char| c.is_ascii_digit())
                .trim_end_matches('#'),
        )?;
        if self.behind_symlink(&path, &mut HashMap::new())? {
            return Ok(());
        }
        match std::fs::remove_file(root.join(key)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The keys of [`Store::list`].
    pub fn list_keys(&self, prefix: &str) -> Result<Vec<String>> {
        Ok(self.list(prefix)?.into_iter().map(|o| o.key).collect())
    }

    /// Async [`Store::list_keys`].
    pub async fn list_keys_async(&self, prefix: &str) -> Result<Vec<String>> {
        Ok(self
            .list_async(prefix)
            .await?
            .into_iter()
            .map(|o| o.key)
            .collect())
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
    // A write cannot miss its key; a backend answering "not found" to a PUT lacks the bucket
    // or container (S3's NoSuchBucket, Azure's ContainerNotFound).
    if let object_store::Error::NotFound { source, .. } = err {
        return Error::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "cannot write `{key}`: the store's bucket or container does not exist ({source})"
            ),
        ));
    }
    match Error::from(err) {
        Error::CommitConflict { message, .. } => Error::CommitConflict {
            key: key.to_owned(),
            message,
        },
        other => other,
    }
}

/// Whether a file name is the backend's temporary name of an upload in progress:
/// `<name>#<digits>`.
fn is_upload_in_progress(name: &str) -> bool {
    name.rsplit_once('#').is_some_and(|(base, suffix)| {
        !base.is_empty() && !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit())
    })
}

/// The absolute, normalised form of a local path that does not exist: its deepest existing
/// ancestor canonicalised, then the missing components.
fn absolute_missing(path: &std::path::Path) -> Result<PathBuf> {
    use std::path::Component;
    let absolute = std::path::absolute(path)?;
    let mut existing = absolute.as_path();
    let mut missing = Vec::new();
    while !existing.exists() {
        missing.push(existing.file_name());
        existing = match existing.parent() {
            Some(parent) => parent,
            None => break,
        };
    }
    let mut result = std::fs::canonicalize(existing)?;
    for name in missing.into_iter().rev() {
        let Some(name) = name else {
            return Err(Error::invalid_input(format!(
                "store path `{}` cannot be resolved",
                path.display()
            )));
        };
        result.push(name);
    }
    if result
        .components()
        .any(|c| matches!(c, Component::ParentDir | Component::CurDir))
    {
        return Err(Error::invalid_input(format!(
            "store path `{}` has `..` below its deepest existing directory",
            path.display()
        )));
    }
    Ok(result)
}
