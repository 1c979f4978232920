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
    ObjectStoreExt, PutMode, PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions,
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
}

impl StoreKind {
    /// Both kinds.
    pub const ALL: [StoreKind; 2] = [StoreKind::Memory, StoreKind::Local];

    /// A new, empty store of this kind.
    ///
    /// # Panics
    /// If a temporary directory cannot be created (a broken test environment).
    pub fn fresh(self) -> TempStore {
        match self {
            StoreKind::Memory => {
                let store = Store::memory();
                TempStore {
                    backend: store.object_store(),
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
                    store,
                    _dir: Some(dir),
                }
            }
        }
    }
}

/// A fresh store that lives as long as this value (a local directory is removed on drop).
pub struct TempStore {
    store: Store,
    backend: Arc<dyn ObjectStore>,
    _dir: Option<TempDir>,
}

impl TempStore {
    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A [`FaultStore`] over the same backend: what it writes, this store sees.
    pub fn faulty(&self) -> FaultStore {
        FaultStore::new(Arc::clone(&self.backend))
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
/// Conditional updates (`PutMode::Update`) are emulated (compare the version, then overwrite,
/// under a lock) when the wrapped backend cannot do them itself, so the wrapper also works
/// around a local directory.
#[derive(Clone)]
pub struct FaultStore {
    inner: Arc<dyn ObjectStore>,
    state: Arc<Mutex<State>>,
    update_lock: Arc<futures::lock::Mutex<()>>,
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
            state: Arc::new(Mutex::new(State::default())),
            update_lock: Arc::new(futures::lock::Mutex::new(())),
        }
    }

    /// A plateau [`Store`] that goes through this wrapper.
    pub fn store(&self) -> Store {
        Store::new(Arc::new(self.clone()), "")
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
        let PutMode::Update(expected) = &opts.mode else {
            return self.inner.put_opts(location, payload, opts).await;
        };
        let expected = expected.clone();
        match self.inner.put_opts(location, payload.clone(), opts).await {
            Err(object_store::Error::NotImplemented { .. }) => {}
            other => return other,
        }
        // Emulated compare-and-swap for backends without it (local disk).
        let _guard = self.update_lock.lock().await;
        let current = match self.inner.head(location).await {
            Ok(meta) => meta,
            Err(object_store::Error::NotFound { path, source }) => {
                return Err(object_store::Error::Precondition { path, source })
            }
            Err(e) => return Err(e),
        };
        if current.e_tag != expected.e_tag || current.version != expected.version {
            return Err(object_store::Error::Precondition {
                path: location.to_string(),
                source: "the object changed since it was read".into(),
            });
        }
        self.inner
            .put_opts(location, payload, PutOptions::default())
            .await
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
