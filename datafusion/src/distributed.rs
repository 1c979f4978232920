//! Queries across machines on datafusion-distributed: [`serve_worker`] runs a worker (a
//! tonic gRPC server executing plan fragments against the store), and [`distributed_session`]
//! is a coordinating session that plans queries over a store's datasets and spreads their
//! file scans over the workers given.
//!
//! Workers never plan, so they need no catalog: only the store, registered under the
//! object store URL the coordinator's scans name ([`crate::DEFAULT_OBJECT_STORE_URL`]).
//! Every worker and the coordinator must therefore open the same store.

use std::net::SocketAddr;
use std::sync::Arc;

use datafusion::error::DataFusionError;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_distributed::{DistributedExt, SessionStateBuilderExt, Worker, WorkerResolver};
use plateau_core::{Error, Result, Store};
use url::Url;

use crate::provider::datafusion_error;
use crate::{register_schema, PlateauSchema, PlateauTable};

/// A fixed list of worker URLs.
#[derive(Clone, Debug)]
pub struct FixedWorkers(pub Vec<Url>);

impl WorkerResolver for FixedWorkers {
    fn get_urls(&self) -> std::result::Result<Vec<Url>, DataFusionError> {
        Ok(self.0.clone())
    }
}

/// Serves a worker for `store` on `addr` until the future is dropped or the server fails.
///
/// # Errors
/// [`Error::InvalidInput`] when the server cannot start (address in use, ...) or fails.
pub async fn serve_worker(store: Store, addr: SocketAddr) -> Result<()> {
    let runtime = RuntimeEnvBuilder::new()
        .build_arc()
        .map_err(datafusion_error)?;
    let (url, object_store) = PlateauTable::object_store_of(&store);
    runtime.register_object_store(url.as_ref(), object_store);
    let worker = Worker::default().with_runtime_env(runtime);
    tonic::transport::Server::builder()
        .add_service(worker.into_worker_server())
        .serve(addr)
        .await
        .map_err(|e| Error::invalid_input(format!("worker on {addr}: {e}")))
}

/// A coordinating session over `schema`'s store whose queries are distributed over
/// `workers` (each file scan split into tasks across them).
///
/// # Errors
/// [`Error::InvalidInput`] for no workers, or if DataFusion refuses the configuration.
pub fn distributed_session(
    schema: Arc<PlateauSchema>,
    workers: Vec<Url>,
    config: SessionConfig,
) -> Result<SessionContext> {
    if workers.is_empty() {
        return Err(Error::invalid_input("a distributed session needs workers"));
    }
    let config = config.with_default_catalog_and_schema(crate::CATALOG, crate::SCHEMA);
    let state = SessionStateBuilder::new()
        .with_default_features()
        .with_config(config)
        .with_distributed_worker_resolver(FixedWorkers(workers))
        .with_distributed_planner()
        // Every file scan is worth spreading: plateau files are small next to the cost of
        // a query, and the point of workers is that each reads a share.
        .with_distributed_file_scan_config_bytes_per_partition(1)
        .map_err(datafusion_error)?
        .build();
    let ctx = SessionContext::from(state);
    register_schema(&ctx, schema)?;
    Ok(ctx)
}
