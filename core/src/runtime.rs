//! The shared I/O runtime behind every blocking call, and [`block_on`].
//!
//! The runtime contract of plateau:
//!
//! * Async functions (`Store::*_async`, `plateau_io::scan`) are ordinary futures. Poll them
//!   from a tokio runtime of either flavour (`current_thread` or multi-thread): object_store's
//!   HTTP clients and local-disk I/O need a tokio context. They never block the thread that
//!   polls them; CPU-heavy decoding is moved to tokio's blocking pool.
//! * Blocking functions spawn their future onto one process-wide multi-thread runtime owned
//!   by this module and wait for it on the calling thread, once per operation. They work from
//!   plain threads and from rayon, and do not panic inside a caller's runtime; but from an
//!   async task they stall that task's worker while they wait, so async code should call the
//!   async functions instead.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Handle, Runtime};

use crate::error::{Error, Result};

/// The shared runtime. Two workers suffice: they wait on I/O; decoding runs elsewhere.
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

/// A handle of the shared runtime, for callers that want to spawn onto it.
///
/// # Errors
/// [`Error::Io`] if the runtime cannot be started.
pub fn handle() -> Result<Handle> {
    Ok(runtime()?.handle().clone())
}

/// Runs `fut` on the shared runtime and waits for it on the current thread.
///
/// Spawning (rather than `Runtime::block_on`) is what makes this safe to call from inside
/// another tokio runtime.
///
/// # Errors
/// Whatever `fut` returns; [`Error::Io`] if the runtime cannot be started or the task
/// panicked.
pub fn block_on<F, T>(fut: F) -> Result<T>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let handle = runtime()?.spawn(fut);
    futures::executor::block_on(handle)
        .map_err(|e| Error::Io(std::io::Error::other(format!("I/O task failed: {e}"))))?
}

/// Polls `fut` on the calling thread inside the shared runtime's context and waits for it.
///
/// For futures that borrow from the caller (so cannot be spawned): the blocking twin of an
/// async operation whose arguments are references. Tokio resources the future uses (timers,
/// object_store's clients, local-disk blocking tasks) belong to the shared runtime, whose
/// workers drive them while this thread waits. The same caveat as [`block_on`] applies
/// inside a caller's runtime: the calling worker is stalled until the future completes.
///
/// # Errors
/// Whatever `fut` returns; [`Error::Io`] if the runtime cannot be started.
pub fn block_on_scoped<F, T>(fut: F) -> Result<T>
where
    F: Future<Output = Result<T>>,
{
    let _context = runtime()?.enter();
    futures::executor::block_on(fut)
}

/// Waits `duration` on the shared runtime's timer, so the caller's runtime needs no time
/// driver (e.g. a retry backoff inside an async commit).
///
/// # Errors
/// [`Error::Io`] if the runtime cannot be started or the timer task failed.
pub async fn sleep(duration: std::time::Duration) -> Result<()> {
    runtime()?
        // Created inside the task: a `Sleep` registers with the timer of the runtime it is
        // created on.
        .spawn(async move { tokio::time::sleep(duration).await })
        .await
        .map_err(|e| Error::Io(std::io::Error::other(format!("timer task failed: {e}"))))
}

/// A task spawned on the current tokio runtime that is aborted when this handle is dropped:
/// an operation given up early (an error, a satisfied consumer, a dropped future) stops its
/// I/O instead of finishing it for nobody.
#[derive(Debug)]
pub struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T: Send + 'static> AbortOnDrop<T> {
    /// Spawns `fut` with [`tokio::spawn`]; must be called inside a tokio runtime.
    pub fn spawn<F>(fut: F) -> Self
    where
        F: Future<Output = T> + Send + 'static,
    {
        Self(tokio::spawn(fut))
    }
}

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx).map(|joined| {
            joined.map_err(|e| Error::Io(std::io::Error::other(format!("I/O task failed: {e}"))))
        })
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
