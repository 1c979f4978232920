//! Stores for tests: fresh temporary stores of each backend ([`StoreKind`], [`TempStore`]) and
//! a fault-injecting `object_store` wrapper ([`FaultStore`]) to show that every mutating
//! operation leaves a readable dataset whatever operation the store fails at.

use std::fmt;
use std::ops::Range;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions,
};
use plateau_core::Store;
use tempfile::TempDir;

/// The store backends the suites run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    /// `object_store`'s in-memory store.
    Memory,
    /// A local directory (deleted when the [`TempStore`] is dropped).
    Local,
    /// An S3 server: a fresh key prefix under the store URL in `PLATEAU_TEST_S3_URL` (e.g.
    /// `s3://plateau` with `AWS_ENDPOINT`, `AWS_ALLOW_HTTP`, … for a moto server; see
    /// `tools/servers/`).
    S3,
    /// An Azure Blob server: a fresh key prefix under `PLATEAU_TEST_AZURE_URL` (e.g.
    /// `az://plateau` with `AZURE_STORAGE_USE_EMULATOR` for Azurite).
    Azure,
}

impl StoreKind {
    /// The kinds that need no server.
    pub const ALL: [StoreKind; 2] = [StoreKind::Memory, StoreKind::Local];

    /// The kinds that need a protocol server (`tools/servers/start.sh`).
    pub const SERVERS: [StoreKind; 2] = [StoreKind::S3, StoreKind::Azure];

    /// The environment variable holding the base URL of a server kind.
    pub fn url_variable(self) -> Option<&'static str> {
        match self {
            StoreKind::S3 => Some("PLATEAU_TEST_S3_URL"),
            StoreKind::Azure => Some("PLATEAU_TEST_AZURE_URL"),
            StoreKind::Memory | StoreKind::Local => None,
        }
    }

    /// A new, empty store of this kind.
    ///
    /// # Panics
    /// If a temporary directory cannot be created, or, for a server kind, its URL variable
    /// is not set or the store cannot be opened (a broken test environment).
    pub fn fresh(self) -> TempStore {
        match self {
            StoreKind::Memory => {
                let store = Store::memory();
                TempStore {
                    backend: store.object_store(),
                    prefix: store.prefix().to_owned(),
                    store,
                    _dir: None,
                }
            }
            StoreKind::Local => {
                #[allow(clippy::expect_used)]
                let dir = tempfile::tempdir().expect("a temporary directory");
                #[allow(clippy::expect_used)]
                let store = Store::local(dir.path()).expect("a local store");
                TempStore {
                    backend: store.object_store(),
                    prefix: store.prefix().to_owned(),
                    store,
                    _dir: Some(dir),
                }
            }
            StoreKind::S3 | StoreKind::Azure => {
                let variable = self.url_variable().unwrap_or_default();
                let base = std::env::var(variable).unwrap_or_else(|_| {
                    panic!("{variable} is not set: start the servers with tools/servers/start.sh and source its env file")
                });
                // A fresh prefix per store: tests share the bucket and run in parallel.
                let prefix = format!("t-{}", uuid::Uuid::new_v4().simple());
                let url = format!("{}/{prefix}", base.trim_end_matches('/'));
                let store =
                    Store::from_url(&url).unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
                TempStore {
                    backend: store.object_store(),
                    prefix: store.prefix().to_owned(),
                    store,
                    _dir: None,
                }
            }
        }
    }
}

/// A fresh store that lives as long as this value (a local directory is removed on drop).
pub struct TempStore {
    store: Store,
    /// The store's backend without its key prefix ([`Store::object_store`]), to put wrappers
    /// around and rebuild the store with `prefix` (the contract of [`Store::object_store`]).
    backend: Arc<dyn ObjectStore>,
    /// The store's key prefix in `backend` ([`Store::prefix`]).
    prefix: String,
    _dir: Option<TempDir>,
}

impl TempStore {
    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A [`FaultStore`] over the same backend and prefix: what it writes, this store sees.
    pub fn faulty(&self) -> FaultStore {
        FaultStore::new(Arc::clone(&self.backend)).with_prefix(self.prefix.clone())
    }
}

/// When a [`FaultStore`] fails. `n` counts mutating operations (puts, deletes, copies,
/// renames) from 0, starting when the fault is armed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Mutation `n` fails without effect; everything else works (a transient error the
    /// caller sees and reports).
    FailAt(usize),
    /// Mutation `n` does not happen, and it and every later operation (reads included) fail:
    /// the process died just before it.
    CrashBefore(usize),
    /// Mutation `n` takes effect, but it and every later operation fail: the process died
    /// right after it, before it saw the reply.
    CrashAfter(usize),
}

#[derive(Debug, Default)]
struct State {
    fault: Option<Fault>,
    mutations: usize,
    crashed: bool,
    log: Vec<String>,
}

/// What to do with one mutation.
enum Verdict {
    Proceed,
    ProceedThenFail,
    Fail,
}

/// An [`ObjectStore`] around another that fails or "crashes" at the N-th mutating operation.
///
/// Conditional writes are the wrapped backend's: around a local directory, wrap the
/// [`plateau_core::local_cas::LockingLocalStore`] that `Store::local` uses
/// ([`TempStore::faulty`] does).
#[derive(Clone)]
pub struct FaultStore {
    inner: Arc<dyn ObjectStore>,
    prefix: String,
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for FaultStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultStore")
            .field("inner", &self.inner.to_string())
            .finish()
    }
}

impl fmt::Display for FaultStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FaultStore({})", self.inner)
    }
}

impl FaultStore {
    /// Wraps `inner`; no fault is armed.
    pub fn new(inner: Arc<dyn ObjectStore>) -> Self {
        Self {
            inner,
            prefix: String::new(),
            state: Arc::new(Mutex::new(State::default())),
        }
    }

    /// The same wrapper for a [`Store`] with key prefix `prefix` in the wrapped backend.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// A plateau [`Store`] that goes through this wrapper.
    pub fn store(&self) -> Store {
        Store::new(Arc::new(self.clone()), self.prefix.as_str())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Arms `fault` and restarts the mutation count (and the crash state) at 0.
    pub fn arm(&self, fault: Fault) {
        let mut state = self.lock();
        *state = State {
            fault: Some(fault),
            ..State::default()
        };
    }

    /// Removes any fault and restarts the mutation count at 0.
    pub fn disarm(&self) {
        *self.lock() = State::default();
    }

    /// Mutating operations attempted since the last [`FaultStore::arm`] / `disarm`.
    pub fn mutations(&self) -> usize {
        self.lock().mutations
    }

    /// Whether a crash fault has fired.
    pub fn crashed(&self) -> bool {
        self.lock().crashed
    }

    /// `"<op> <path>"` of every mutating operation attempted, in order.
    pub fn log(&self) -> Vec<String> {
        self.lock().log.clone()
    }

    fn check_alive(&self, op: &str, path: &Path) -> object_store::Result<()> {
        if self.lock().crashed {
            return Err(injected(op, path, "the process has crashed"));
        }
        Ok(())
    }

    fn before_mutation(&self, op: &str, path: &Path) -> object_store::Result<Verdict> {
        let mut state = self.lock();
        if state.crashed {
            return Err(injected(op, path, "the process has crashed"));
        }
        let n = state.mutations;
        state.mutations += 1;
        state.log.push(format!("{op} {path}"));
        Ok(match state.fault {
            Some(Fault::FailAt(at)) if at == n => Verdict::Fail,
            Some(Fault::CrashBefore(at)) if at == n => {
                state.crashed = true;
                Verdict::Fail
            }
            Some(Fault::CrashAfter(at)) if at == n => Verdict::ProceedThenFail,
            _ => Verdict::Proceed,
        })
    }

    /// Runs one mutation under the armed fault.
    async fn mutate<T, F>(&self, op: &str, path: &Path, run: F) -> object_store::Result<T>
    where
        F: std::future::Future<Output = object_store::Result<T>>,
    {
        match self.before_mutation(op, path)? {
            Verdict::Fail => Err(injected(op, path, "injected failure")),
            Verdict::Proceed => run.await,
            Verdict::ProceedThenFail => {
                let result = run.await;
                self.lock().crashed = true;
                result?;
                Err(injected(op, path, "crashed after the operation"))
            }
        }
    }

    async fn put_inner(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }
}

fn injected(op: &str, path: &Path, what: &str) -> object_store::Error {
    object_store::Error::Generic {
        store: "FaultStore",
        source: format!("{what} ({op} {path})").into(),
    }
}

#[async_trait]
impl ObjectStore for FaultStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.mutate("put", location, self.put_inner(location, payload, opts))
            .await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.mutate(
            "put_multipart",
            location,
            self.inner.put_multipart_opts(location, opts),
        )
        .await
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.check_alive("get", location)?;
        self.inner.get_opts(location, options).await
    }

    async fn get_ranges(
        &self,
        location: &Path,
        ranges: &[Range<u64>],
    ) -> object_store::Result<Vec<Bytes>> {
        self.check_alive("get_ranges", location)?;
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        let this = self.clone();
        locations
            .then(move |location| {
                let this = this.clone();
                async move {
                    let location = location?;
                    let inner = Arc::clone(&this.inner);
                    let target = location.clone();
                    let reported = location.clone();
                    this.mutate("delete", &location, async move {
                        let mut results = inner.delete_stream(
                            futures::stream::once(async move { Ok(target) }).boxed(),
                        );
                        match results.next().await {
                            Some(result) => result,
                            None => Err(injected("delete", &reported, "no delete result")),
                        }
                    })
                    .await
                }
            })
            .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        if self.lock().crashed {
            let error = injected(
                "list",
                &prefix.cloned().unwrap_or_default(),
                "the process has crashed",
            );
            return futures::stream::once(async move { Err(error) }).boxed();
        }
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.check_alive("list", &prefix.cloned().unwrap_or_default())?;
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.mutate("copy", to, self.inner.copy_opts(from, to, options))
            .await
    }

    async fn rename_opts(
        &self,
        from: &Path,
        to: &Path,
        options: RenameOptions,
    ) -> object_store::Result<()> {
        self.mutate("rename", to, self.inner.rename_opts(from, to, options))
            .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn faults_fire_at_the_armed_mutation() {
        for kind in StoreKind::ALL {
            let temp = kind.fresh();
            let faulty = temp.faulty();
            let store = faulty.store();
            faulty.arm(Fault::FailAt(1));
            store.put("a", Bytes::from_static(b"1")).unwrap();
            assert!(store.put("b", Bytes::from_static(b"2")).is_err());
            store.put("c", Bytes::from_static(b"3")).unwrap();
            assert_eq!(temp.store().list_keys("").unwrap(), ["a", "c"]);
            assert_eq!(faulty.mutations(), 3);

            faulty.arm(Fault::CrashBefore(0));
            assert!(store.delete("a").is_err());
            assert!(store.get("a").is_err(), "reads fail after a crash");
            assert!(temp.store().exists("a").unwrap());

            faulty.arm(Fault::CrashAfter(0));
            assert!(store.delete("a").is_err());
            assert!(!temp.store().exists("a").unwrap());
            assert!(faulty.crashed());
            assert_eq!(faulty.log(), ["delete a"]);
        }
    }

    /// Plateau keys through the key prefix of a server store: `%` escapes reach the server
    /// literally, spaces and non-ASCII characters round trip, listings come back relative to
    /// the prefix, and the unprefixed backend holds them under `prefix/key`.
    fn keys_round_trip_through_the_prefix(kind: StoreKind) {
        let temp = kind.fresh();
        let store = temp.store();
        assert!(
            !store.prefix().is_empty(),
            "{kind:?}: a fresh prefix per store"
        );
        let mut keys = vec![
            "u/table/P=a%20b/x.parquet".to_owned(),
            "u/table/P=a b/ü ñ 日本.parquet".to_owned(),
            "u/table/k=%25/2.parquet".to_owned(),
            "u/table/s=%C3%B6%2Fx/1.parquet".to_owned(),
        ];
        keys.sort();
        for key in &keys {
            store.put(key, Bytes::from(key.clone())).unwrap();
        }
        for key in &keys {
            assert_eq!(store.get(key).unwrap(), key.as_bytes(), "{kind:?}: {key}");
            assert_eq!(&store.head(key).unwrap().key, key, "{kind:?}");
        }
        assert_eq!(store.list_keys("u/").unwrap(), keys, "{kind:?}");
        let escaped: Vec<String> = store
            .list_directory("u/table/P=a%20b")
            .unwrap()
            .into_iter()
            .map(|o| o.key)
            .collect();
        assert_eq!(escaped, ["u/table/P=a%20b/x.parquet"], "{kind:?}");

        let whole = Store::new(store.object_store(), "");
        let below: Vec<String> = keys
            .iter()
            .map(|key| format!("{}/{key}", store.prefix()))
            .collect();
        assert_eq!(
            whole.list_keys(&format!("{}/", store.prefix())).unwrap(),
            below,
            "{kind:?}: the backend holds prefix/key"
        );
        assert_eq!(temp.faulty().store().list_keys("").unwrap(), keys);

        store.delete_many(&keys).unwrap();
        assert!(store.list_keys("").unwrap().is_empty(), "{kind:?}");
    }

    #[test]
    #[ignore = "needs an S3 server: tools/servers/start.sh, then --ignored"]
    fn keys_round_trip_through_the_prefix_on_s3() {
        keys_round_trip_through_the_prefix(StoreKind::S3);
    }

    #[test]
    #[ignore = "needs an Azure Blob server: tools/servers/start.sh, then --ignored"]
    fn keys_round_trip_through_the_prefix_on_azure() {
        keys_round_trip_through_the_prefix(StoreKind::Azure);
    }

    #[test]
    fn keys_round_trip_through_the_prefix_locally() {
        for kind in StoreKind::ALL {
            let temp = kind.fresh();
            let store = temp.store();
            // Memory and an existing directory have no prefix; give one to show the same.
            let prefixed = Store::new(store.object_store(), "p/q%20r");
            for key in ["u/P=a%20b/x", "u/P=a b/ü 日本"] {
                prefixed.put(key, Bytes::from_static(b"x")).unwrap();
                assert!(store.exists(&format!("p/q%20r/{key}")).unwrap(), "{kind:?}");
            }
            assert_eq!(
                prefixed.list_keys("").unwrap(),
                ["u/P=a b/ü 日本", "u/P=a%20b/x"]
            );
        }
    }

    #[test]
    fn conditional_updates_work_on_every_backend() {
        for kind in StoreKind::ALL {
            let temp = kind.fresh();
            let store = temp.faulty().store();
            let v1 = store.put_if_absent("k", Bytes::from_static(b"1")).unwrap();
            assert!(store.put_if_absent("k", Bytes::from_static(b"x")).is_err());
            let (_, read) = store.get_versioned("k").unwrap();
            assert_eq!(read, v1);
            store
                .put_if_match("k", Bytes::from_static(b"2"), &read)
                .unwrap();
            let err = store
                .put_if_match("k", Bytes::from_static(b"3"), &read)
                .unwrap_err();
            assert!(
                matches!(err, plateau_core::Error::CommitConflict { .. }),
                "{kind:?}: {err}"
            );
            assert_eq!(store.get("k").unwrap(), Bytes::from_static(b"2"));
        }
    }
}
