//! plateau datasets as DataFusion tables: SQL over a store, with plateau's partition and
//! index pruning, and `INSERT INTO` through plateau's commit.
//!
//! * [`PlateauTable`] is one dataset as a [`TableProvider`](datafusion::datasource::TableProvider).
//!   Its columns are the `_common_metadata` columns, then the partition keys. A scan turns the
//!   filters DataFusion pushes down into plateau predicates where it can
//!   ([`filters::to_predicates`]), plans with them (partition keys and secondary indices
//!   prune partitions), and returns DataFusion's own Parquet scan of the files left: one
//!   file per partition, partition values as constants, filters pushed into the Parquet
//!   source for row-group, page and row pruning. Filters on partition keys alone are
//!   answered exactly (DataFusion evaluates them on each file's partition values); all
//!   others are applied to the rows again, so pruning never drops a row SQL returns.
//! * `INSERT INTO <uuid> SELECT …` appends with `update_dataset` ([`sink::PlateauSink`]):
//!   every index maintained, one compare-and-swap commit with retries.
//! * [`PlateauSchema`] exposes every dataset of a store as a table named by its uuid;
//!   [`session`] makes a `SessionContext` whose default schema it is.
//! * [`distributed`]: workers ([`distributed::serve_worker`]) and a coordinating session
//!   ([`distributed::distributed_session`]) on datafusion-distributed.
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Int64Array, RecordBatch};
//! use plateau_core::Store;
//! use plateau_io::write::StoreOptions;
//!
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! let store = Store::memory();
//! let batch = RecordBatch::try_from_iter([
//!     ("p", Arc::new(Int64Array::from(vec![1, 1, 2])) as _),
//!     ("x", Arc::new(Int64Array::from(vec![10, 20, 30])) as _),
//! ])
//! .unwrap();
//! let options = StoreOptions::default().partition_on(["p"]);
//! plateau_io::write::store_dataset_async(&store, "sales", &[batch], &options).await.unwrap();
//!
//! let ctx = plateau_datafusion::session(store).await.unwrap();
//! let batches = ctx
//!     .sql("SELECT p, sum(x) AS total FROM sales WHERE p = 1 GROUP BY p")
//!     .await
//!     .unwrap()
//!     .collect()
//!     .await
//!     .unwrap();
//! assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 1);
//! # });
//! ```

pub mod catalog;
pub mod distributed;
pub mod filters;
pub mod provider;
pub mod report;
pub mod sink;

use std::sync::Arc;

use datafusion::execution::context::SessionContext;
use datafusion::prelude::SessionConfig;
use plateau_core::{Error, Result, Store};

pub use catalog::PlateauSchema;
pub use provider::{PlateauTable, DEFAULT_OBJECT_STORE_URL};
pub use report::ScanReport;

/// The catalog and schema names of [`session`]'s default schema.
pub const CATALOG: &str = "plateau";
/// See [`CATALOG`].
pub const SCHEMA: &str = "public";

/// A DataFusion session whose default schema is `store`'s datasets ([`PlateauSchema`]):
/// `SELECT * FROM <uuid>` works as is.
///
/// # Errors
/// Store errors listing the datasets.
pub async fn session(store: Store) -> Result<SessionContext> {
    session_with(store, SessionConfig::new()).await
}

/// [`session`] with a configuration of the caller's (its default catalog and schema are
/// replaced).
///
/// # Errors
/// Store errors listing the datasets.
pub async fn session_with(store: Store, config: SessionConfig) -> Result<SessionContext> {
    let schema = Arc::new(PlateauSchema::try_new(store).await?);
    session_of(schema, config)
}

/// A session whose default schema is `schema` (keep the `Arc` to read its
/// [`PlateauSchema::scan_reports`] after a query).
///
/// # Errors
/// [`Error::InvalidInput`] if DataFusion refuses the schema.
pub fn session_of(schema: Arc<PlateauSchema>, config: SessionConfig) -> Result<SessionContext> {
    let config = config.with_default_catalog_and_schema(CATALOG, SCHEMA);
    let ctx = SessionContext::new_with_config(config);
    register_schema(&ctx, schema)?;
    Ok(ctx)
}

/// Makes `schema` the schema [`SCHEMA`] of catalog [`CATALOG`] in `ctx`.
fn register_schema(ctx: &SessionContext, schema: Arc<PlateauSchema>) -> Result<()> {
    let catalog = ctx.catalog(CATALOG).ok_or_else(|| {
        Error::invalid_input(
            "the session has no catalog `plateau`: configure it as default".to_owned(),
        )
    })?;
    catalog
        .register_schema(SCHEMA, schema)
        .map_err(provider::datafusion_error)?;
    Ok(())
}
