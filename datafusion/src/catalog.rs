//! [`PlateauSchema`]: every dataset of a store as a table named by its uuid.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use datafusion::catalog::SchemaProvider;
use datafusion::datasource::TableProvider;
use datafusion::error::Result as DfResult;
use datafusion::execution::object_store::ObjectStoreUrl;
use plateau_core::naming::parse_metadata_key;
use plateau_core::{Error, Result, Store};

use crate::provider::{plateau_error, PlateauTable};
use crate::report::ScanReport;

/// The datasets of one store as a DataFusion schema: a table per dataset, named by its
/// uuid (quote uuids that are not plain identifiers: `SELECT * FROM "my-data"`).
///
/// The names are the datasets found when the schema was made ([`PlateauSchema::try_new`]
/// lists the store's root once); a table is loaded when a query names it, so it is always
/// the dataset's current state, and a dataset created later is found too.
#[derive(Debug)]
pub struct PlateauSchema {
    store: Store,
    names: BTreeSet<String>,
    object_store_url: Option<ObjectStoreUrl>,
    scans: Arc<Mutex<Vec<ScanReport>>>,
}

impl PlateauSchema {
    /// The schema of `store`'s datasets.
    ///
    /// # Errors
    /// Store errors listing the root.
    pub async fn try_new(store: Store) -> Result<Self> {
        let names = dataset_uuids(&store).await?;
        Ok(Self {
            store,
            names,
            object_store_url: None,
            scans: Arc::default(),
        })
    }

    /// Tables register their store under `url` (see [`PlateauTable::with_object_store_url`]).
    pub fn with_object_store_url(mut self, url: ObjectStoreUrl) -> Self {
        self.object_store_url = Some(url);
        self
    }

    /// What the scans of this schema's tables pruned, in planning order.
    pub fn scan_reports(&self) -> Vec<ScanReport> {
        self.scans
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The table of dataset `uuid`, if it exists.
    ///
    /// # Errors
    /// Metadata loading errors other than a missing dataset.
    pub async fn plateau_table(&self, uuid: &str) -> Result<Option<PlateauTable>> {
        match PlateauTable::try_new(self.store.clone(), uuid).await {
            Ok(table) => {
                let table = table.with_scan_reports(Arc::clone(&self.scans));
                Ok(Some(match &self.object_store_url {
                    Some(url) => table.with_object_store_url(url.clone()),
                    None => table,
                }))
            }
            Err(Error::DatasetNotFound { .. } | Error::InvalidUuid(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The uuids of the datasets in `store` (its root's metadata files).
///
/// # Errors
/// Store errors.
pub async fn dataset_uuids(store: &Store) -> Result<BTreeSet<String>> {
    let store = store.clone();
    // The root listing is a blocking facade call; off the caller's async worker.
    let objects = tokio::task::spawn_blocking(move || store.list_directory(""))
        .await
        .map_err(|e| Error::invalid_input(format!("listing the store: {e}")))??;
    Ok(objects
        .iter()
        .filter_map(|o| parse_metadata_key(&o.key).map(|(uuid, _)| uuid.to_owned()))
        .collect())
}

#[async_trait]
impl SchemaProvider for PlateauSchema {
    fn table_names(&self) -> Vec<String> {
        self.names.iter().cloned().collect()
    }

    async fn table(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        let table = self.plateau_table(name).await.map_err(plateau_error)?;
        Ok(table.map(|t| Arc::new(t) as Arc<dyn TableProvider>))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.names.contains(name)
    }
}
