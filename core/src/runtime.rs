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
