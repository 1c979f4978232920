//! [`DatasetFactory`]: a dataset handle that caches its metadata and loaded indices.
//!
//! As in plateau, there is no automatic invalidation: a factory reused after a write by
//! someone else sees the metadata it loaded until [`DatasetFactory::invalidate`] is called.
//! Unlike plateau, the cache is behind a lock and shared cheaply (`Arc`), so a factory can be
//! used from several threads.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;

use plateau_core::runtime::block_on_scoped;
use plateau_core::{Error, Result, Store};

use crate::dataset::{DatasetMetadata, IndexSource};
use crate::load::{self, LoadOptions};

/// A store, a dataset uuid, and the dataset's cached metadata.
#[derive(Debug)]
pub struct DatasetFactory {
    store: Store,
    uuid: String,
    options: LoadOptions,
    cache: Mutex<Option<Arc<DatasetMetadata>>>,
    /// Index files fetched with the metadata and not decoded yet, by key.
    prefetched: Mutex<HashMap<String, Bytes>>,
}

impl Clone for DatasetFactory {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            uuid: self.uuid.clone(),
            options: self.options.clone(),
            cache: Mutex::new(self.lock().clone()),
            prefetched: Mutex::new(self.lock_prefetched().clone()),
        }
    }
}

impl DatasetFactory {
    /// A factory for dataset `uuid` in `store` (schema loaded, indices on demand).
    pub fn new(store: Store, uuid: impl Into<String>) -> Self {
        Self::with_options(store, uuid, LoadOptions::default())
    }

    /// A factory with explicit load options.
    pub fn with_options(store: Store, uuid: impl Into<String>, options: LoadOptions) -> Self {
        Self {
            store,
            uuid: uuid.into(),
            options,
            cache: Mutex::new(None),
            prefetched: Mutex::new(HashMap::new()),
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The dataset uuid.
    pub fn uuid(&self) -> &str {
        &self.uuid
    }

    fn lock(&self) -> MutexGuard<'_, Option<Arc<DatasetMetadata>>> {
        // A panic while holding the lock cannot leave the Option half-written.
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lock_prefetched(&self) -> MutexGuard<'_, HashMap<String, Bytes>> {
        self.prefetched
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The metadata, loaded on first use; when it is loaded now, the external index files of
    /// the columns `index_columns` names are fetched together with `_common_metadata` (one
    /// round trip instead of two) and kept, undecoded, for [`DatasetFactory::load_indices`].
    pub fn metadata_prefetching_indices(
        &self,
        index_columns: impl FnOnce(&DatasetMetadata) -> Vec<String>,
    ) -> Result<Arc<DatasetMetadata>> {
        block_on_scoped(self.metadata_prefetching_indices_async(index_columns))
    }

    /// Async [`DatasetFactory::metadata_prefetching_indices`]. Concurrent first calls may
    /// each load; the last to finish is cached.
    pub async fn metadata_prefetching_indices_async(
        &self,
        index_columns: impl FnOnce(&DatasetMetadata) -> Vec<String>,
    ) -> Result<Arc<DatasetMetadata>> {
        if let Some(metadata) = self.lock().as_ref() {
            return Ok(Arc::clone(metadata));
        }
        let (metadata, prefetched) =
            load::load_prefetching_async(&self.store, &self.uuid, &self.options, |metadata| {
                index_columns(metadata)
                    .iter()
                    .filter_map(|column| match metadata.indices.get(column) {
                        Some(entry) if entry.index.is_none() => match &entry.source {
                            IndexSource::External(key) => Some(key.clone()),
                            IndexSource::Embedded(_) => None,
                        },
                        _ => None,
                    })
                    .collect()
            })
            .await?;
        let loaded = Arc::new(metadata);
        *self.lock() = Some(Arc::clone(&loaded));
        let mut kept = self.lock_prefetched();
        for (key, bytes) in prefetched {
            if let Some(bytes) = bytes {
                kept.insert(key, bytes);
            }
        }
        Ok(loaded)
    }

    /// The metadata, loaded on first use.
    pub fn metadata(&self) -> Result<Arc<DatasetMetadata>> {
        let mut cache = self.lock();
        if let Some(metadata) = cache.as_ref() {
            return Ok(Arc::clone(metadata));
        }
        // Loading under the lock: concurrent first calls from threads load once.
        let loaded = Arc::new(load::load(&self.store, &self.uuid, &self.options)?);
        *cache = Some(Arc::clone(&loaded));
        Ok(loaded)
    }

    /// Async [`DatasetFactory::metadata`]. Concurrent first calls may each load; the last
    /// to finish is cached.
    pub async fn metadata_async(&self) -> Result<Arc<DatasetMetadata>> {
        if let Some(metadata) = self.lock().as_ref() {
            return Ok(Arc::clone(metadata));
        }
        let loaded = Arc::new(load::load_async(&self.store, &self.uuid, &self.options).await?);
        *self.lock() = Some(Arc::clone(&loaded));
        Ok(loaded)
    }

    /// Whether the dataset exists (uses the cache when loaded).
    pub fn exists(&self) -> Result<bool> {
        block_on_scoped(self.exists_async())
    }

    /// Async [`DatasetFactory::exists`].
    pub async fn exists_async(&self) -> Result<bool> {
        if self.lock().is_some() {
            return Ok(true);
        }
        load::exists_async(&self.store, &self.uuid).await
    }

    /// Loads the indices of `columns` (partition keys or secondary indices) into the cached
    /// metadata and returns it.
    pub fn load_indices(&self, columns: &[&str]) -> Result<Arc<DatasetMetadata>> {
        block_on_scoped(self.load_indices_async(columns))
    }

    /// Async [`DatasetFactory::load_indices`]: the index files not fetched yet are fetched
    /// concurrently.
    pub async fn load_indices_async(&self, columns: &[&str]) -> Result<Arc<DatasetMetadata>> {
        let current = self.metadata_async().await?;
        let missing: Vec<&str> = columns
            .iter()
            .copied()
            .filter(|c| current.loaded_index(c).is_none())
            .collect();
        if missing.is_empty() {
            return Ok(current);
        }
        let mut updated = (*current).clone();
        let mut bytes = Vec::with_capacity(missing.len());
        let mut to_fetch = Vec::new();
        for column in &missing {
            let kept = match updated.indices.get(*column) {
                Some(entry) if entry.index.is_none() => match &entry.source {
                    IndexSource::External(key) => match self.lock_prefetched().remove(key) {
                        Some(kept) => Some(kept),
                        None => {
                            to_fetch.push((bytes.len(), key.clone()));
                            None
                        }
                    },
                    IndexSource::Embedded(_) => None,
                },
                _ => None,
            };
            bytes.push(kept);
        }
        let fetched = futures::future::try_join_all(
            to_fetch
                .iter()
                .map(|(_, key)| self.store.get_versioned_async(key)),
        )
        .await?;
        for ((position, _), (fetched, _)) in to_fetch.into_iter().zip(fetched) {
            bytes[position] = Some(fetched);
        }
        for (column, bytes) in missing.into_iter().zip(bytes) {
            load::load_index_prefetched(&self.store, &mut updated, column, bytes)?;
        }
        let updated = Arc::new(updated);
        *self.lock() = Some(Arc::clone(&updated));
        Ok(updated)
    }

    /// The storage key and bytes of `column`'s external index file when its index is not
    /// decoded in the cached metadata; `None` for a partition key, an embedded index, an
    /// unknown column or a decoded index. The bytes are kept (a prefetched file is not
    /// consumed, a fetched one is kept), so that reads planning through partial indices
    /// ([`plateau_index::Index::from_parquet_matching`]) fetch each file once.
    pub async fn index_file_async(&self, column: &str) -> Result<Option<(String, Bytes)>> {
        let current = self.metadata_async().await?;
        let Some(key) = load::external_index_to_fetch(&current, column) else {
            return Ok(None);
        };
        if let Some(bytes) = self.lock_prefetched().get(&key) {
            return Ok(Some((key, bytes.clone())));
        }
        let (bytes, _) = self.store.get_versioned_async(&key).await?;
        self.lock_prefetched().insert(key.clone(), bytes.clone());
        Ok(Some((key, bytes)))
    }

    /// Loads every index into the cached metadata and returns it.
    pub fn load_all_indices(&self) -> Result<Arc<DatasetMetadata>> {
        block_on_scoped(self.load_all_indices_async())
    }

    /// Async [`DatasetFactory::load_all_indices`].
    pub async fn load_all_indices_async(&self) -> Result<Arc<DatasetMetadata>> {
        let current = self.metadata_async().await?;
        let mut columns: Vec<&str> = current.indices.keys().map(String::as_str).collect();
        columns.extend(current.partition_keys.iter().map(String::as_str));
        let columns: Vec<String> = columns.into_iter().map(str::to_owned).collect();
        let refs: Vec<&str> = columns.iter().map(String::as_str).collect();
        self.load_indices_async(&refs).await
    }

    /// Drops the cached metadata; the next call loads it again.
    pub fn invalidate(&self) {
        *self.lock() = None;
        self.lock_prefetched().clear();
    }

    /// Replaces the cached metadata (after a commit made through this factory).
    pub fn set_metadata(&self, metadata: DatasetMetadata) -> Result<()> {
        if metadata.uuid != self.uuid {
            return Err(Error::invalid_input(format!(
                "metadata of dataset `{}` cannot be cached in a factory of `{}`",
                metadata.uuid, self.uuid
            )));
        }
        *self.lock() = Some(Arc::new(metadata));
        Ok(())
    }
}
