//! [`PlateauTable`]: one plateau dataset as a DataFusion [`TableProvider`].

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use arrow::datatypes::{FieldRef, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::{DFSchema, Statistics};
use datafusion::datasource::listing::helpers::{expr_applicable_for_cols, filter_partitioned_file};
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::sink::DataSinkExec;
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::table_schema::TableSchema;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::dml::InsertOp;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::scalar::ScalarValue;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectMeta, ObjectStore};
use plateau_core::{Error, Result, Store};
use plateau_io::read::ReadOptions;
use plateau_io::scan::{plan_scan_async, ScanPlan};
use plateau_metadata::DatasetFactory;

use crate::filters::{columns_of, to_predicates};
use crate::report::ScanReport;
use crate::sink::PlateauSink;

/// The object store URL tables register their store under unless told otherwise.
pub const DEFAULT_OBJECT_STORE_URL: &str = "plateau://store";

/// Up to this many files get their sizes by `HEAD` (concurrently); more by one listing of
/// the table's files. DataFusion's Parquet reader needs each file's size.
const MAX_HEADS: usize = 32;

/// One plateau dataset as a DataFusion table (see the crate documentation).
///
/// The table's columns are the dataset's `_common_metadata` columns without the partition
/// keys, in stored order, then the partition keys with their types (DataFusion's
/// convention for hive-partitioned tables).
pub struct PlateauTable {
    factory: Arc<DatasetFactory>,
    store: Store,
    uuid: String,
    schema: SchemaRef,
    file_schema: SchemaRef,
    partition_fields: Vec<FieldRef>,
    object_store_url: ObjectStoreUrl,
    scans: Arc<Mutex<Vec<ScanReport>>>,
}

impl fmt::Debug for PlateauTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlateauTable")
            .field("uuid", &self.uuid)
            .field("schema", &self.schema)
            .field("object_store_url", &self.object_store_url)
            .finish_non_exhaustive()
    }
}

impl PlateauTable {
    /// The table of dataset `uuid` in `store`: loads its metadata and `_common_metadata`.
    ///
    /// # Errors
    /// [`Error::DatasetNotFound`]; [`Error::Corrupt`] for a dataset with partitions but no
    /// `_common_metadata`; metadata loading errors.
    pub async fn try_new(store: Store, uuid: &str) -> Result<Self> {
        let factory = Arc::new(DatasetFactory::new(store.clone(), uuid));
        let plan = plan_scan_async(&factory, &ReadOptions::default()).await?;
        let dataset_schema = &plan.dataset_schema;
        if dataset_schema.fields().is_empty() && !plan.tasks.is_empty() {
            return Err(Error::corrupt(
                uuid,
                "the dataset has partitions but no _common_metadata",
            ));
        }
        let keys = &plan.partition_keys;
        let file_fields: Vec<FieldRef> = dataset_schema
            .fields()
            .iter()
            .filter(|f| !keys.contains(f.name()))
            .cloned()
            .collect();
        let partition_fields = keys
            .iter()
            .map(|key| {
                dataset_schema
                    .field_with_name(key)
                    .map(|f| Arc::new(f.clone()))
                    .map_err(|_| {
                        Error::invalid_input(format!(
                            "partition column `{key}` is missing from the schema of `{uuid}`"
                        ))
                    })
            })
            .collect::<Result<Vec<FieldRef>>>()?;
        let file_schema = Arc::new(Schema::new(file_fields.clone()));
        let mut all = file_fields;
        all.extend(partition_fields.iter().cloned());
        Ok(Self {
            factory,
            store,
            uuid: uuid.to_owned(),
            schema: Arc::new(Schema::new(all)),
            file_schema,
            partition_fields,
            object_store_url: default_object_store_url(),
            scans: Arc::default(),
        })
    }

    /// Registers the store under `url` instead of [`DEFAULT_OBJECT_STORE_URL`] (tables of
    /// different stores in one session need different URLs).
    pub fn with_object_store_url(mut self, url: ObjectStoreUrl) -> Self {
        self.object_store_url = url;
        self
    }

    /// Records the [`ScanReport`]s of this table's scans in `reports` (shared, e.g. by all
    /// tables of a [`crate::PlateauSchema`]).
    pub fn with_scan_reports(mut self, reports: Arc<Mutex<Vec<ScanReport>>>) -> Self {
        self.scans = reports;
        self
    }

    /// The dataset's uuid.
    pub fn uuid(&self) -> &str {
        &self.uuid
    }

    /// The URL and the object store a session must have registered to execute this table's
    /// scans (a scan registers them in its own session; remote workers register them
    /// themselves).
    pub fn object_store(&self) -> (ObjectStoreUrl, Arc<dyn ObjectStore>) {
        (self.object_store_url.clone(), datafusion_store(&self.store))
    }

    /// The default URL and the object store tables of `store` read through (what a worker
    /// registers).
    pub fn object_store_of(store: &Store) -> (ObjectStoreUrl, Arc<dyn ObjectStore>) {
        (default_object_store_url(), datafusion_store(store))
    }

    /// What every scan planned so far pruned (the `EXPLAIN` detail of `plateau sql`).
    pub fn scan_reports(&self) -> Vec<ScanReport> {
        self.scans
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn partition_names(&self) -> Vec<&str> {
        self.partition_fields
            .iter()
            .map(|f| f.name().as_str())
            .collect()
    }

    /// Whether `filter` is decided by the partition keys alone.
    fn decided_by_partitions(&self, filter: &Expr) -> bool {
        let names = self.partition_names();
        !names.is_empty() && expr_applicable_for_cols(&names, filter)
    }

    /// Plans the read with `filters` as plateau predicates; without them if plateau refuses
    /// them (a literal whose type plateau does not accept for the column): pruning is an
    /// optimisation, DataFusion evaluates every filter anyway.
    async fn plan(&self, filters: &[Expr]) -> Result<(ScanPlan, Option<String>)> {
        let Some(predicates) = to_predicates(filters) else {
            return Ok((
                plan_scan_async(&self.factory, &ReadOptions::default()).await?,
                None,
            ));
        };
        let text = predicates.to_json_value().to_string();
        let options = ReadOptions::default().predicates(predicates);
        match plan_scan_async(&self.factory, &options).await {
            Ok(plan) => Ok((plan, Some(text))),
            Err(
                Error::PredicateType { .. }
                | Error::InvalidPredicate(_)
                | Error::ColumnNotFound { .. },
            ) => Ok((
                plan_scan_async(&self.factory, &ReadOptions::default()).await?,
                None,
            )),
            Err(e) => Err(e),
        }
    }

    /// The sizes of `keys`: `HEAD`s for a few, one listing of the table for many.
    async fn sizes(&self, keys: Vec<String>, table: &str) -> Result<HashMap<String, u64>> {
        if keys.len() <= MAX_HEADS {
            let heads = keys.into_iter().map(|key| {
                let store = self.store.clone();
                async move {
                    let object = store.head_async(&key).await?;
                    Ok::<_, Error>((key, object.size))
                }
            });
            return futures::stream::iter(heads)
                .buffer_unordered(MAX_HEADS)
                .try_collect()
                .await;
        }
        let prefix = format!("{}/{table}/", self.uuid);
        Ok(self
            .store
            .list_async(&prefix)
            .await?
            .into_iter()
            .map(|o| (o.key, o.size))
            .collect())
    }

    /// The files of `plan` as DataFusion's partitioned files, those the partition-key
    /// `filters` rule out dropped (evaluated by DataFusion on the partition values, so
    /// exactly as SQL would).
    async fn files(&self, plan: &ScanPlan, filters: &[Expr]) -> Result<Vec<PartitionedFile>> {
        let metadata = self.factory.metadata_async().await?;
        let keys: Vec<String> = plan.tasks.iter().map(|t| t.file.clone()).collect();
        let sizes = self.sizes(keys, &metadata.table_name).await?;
        let partition_schema = DFSchema::try_from(Schema::new(self.partition_fields.clone()))
            .map_err(datafusion_error)?;
        let mut files = Vec::with_capacity(plan.tasks.len());
        for task in &plan.tasks {
            let size = *sizes.get(&task.file).ok_or_else(|| Error::NotFound {
                key: task.file.clone(),
            })?;
            let by_column: BTreeMap<&str, ScalarValue> = task
                .partition_values
                .iter()
                .map(|value| {
                    let array = value.value.to_array_of(&value.data_type, 1)?;
                    let scalar =
                        ScalarValue::try_from_array(&array, 0).map_err(datafusion_error)?;
                    Ok((value.column.as_str(), scalar))
                })
                .collect::<Result<_>>()?;
            let partition_values = self
                .partition_fields
                .iter()
                .map(|field| {
                    by_column
                        .get(field.name().as_str())
                        .cloned()
                        .ok_or_else(|| {
                            Error::invalid_input(format!(
                                "partition `{}` has no value for `{}`",
                                task.label,
                                field.name()
                            ))
                        })
                })
                .collect::<Result<Vec<_>>>()?;
            let location = Path::parse(&task.file)
                .map_err(|e| Error::invalid_input(format!("key `{}`: {e}", task.file)))?;
            let file = PartitionedFile::new_from_meta(ObjectMeta {
                location,
                last_modified: chrono_epoch(),
                size,
                e_tag: None,
                version: None,
            })
            .with_partition_values(partition_values);
            if let Some(file) = filter_partitioned_file(file, filters, &partition_schema)
                .map_err(datafusion_error)?
            {
                files.push(file);
            }
        }
        Ok(files)
    }
}

#[async_trait]
impl TableProvider for PlateauTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DfResult<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|filter| {
                if self.decided_by_partitions(filter) {
                    TableProviderFilterPushDown::Exact
                } else {
                    TableProviderFilterPushDown::Inexact
                }
            })
            .collect())
    }

    fn statistics(&self) -> Option<Statistics> {
        None
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let (url, store) = self.object_store();
        state
            .runtime_env()
            .register_object_store(url.as_ref(), store);
        let (plan, predicates) = self.plan(filters).await.map_err(plateau_error)?;
        let partition_filters: Vec<Expr> = filters
            .iter()
            .filter(|f| self.decided_by_partitions(f))
            .cloned()
            .collect();
        let files = self
            .files(&plan, &partition_filters)
            .await
            .map_err(plateau_error)?;
        let metadata = self.factory.metadata().map_err(plateau_error)?;
        self.scans
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(ScanReport {
                uuid: self.uuid.clone(),
                partitions: metadata.partitions.len(),
                planned: plan.tasks.len(),
                read: files.len(),
                predicates,
                partition_filters: partition_filters.iter().map(ToString::to_string).collect(),
                other_filters: filters
                    .iter()
                    .filter(|f| !self.decided_by_partitions(f))
                    .map(|f| {
                        let columns: Vec<String> = columns_of(f).into_iter().collect();
                        format!("{f} [{}]", columns.join(", "))
                    })
                    .collect(),
            });
        if files.is_empty() {
            let schema = match projection {
                Some(indices) => Arc::new(self.schema.project(indices)?),
                None => Arc::clone(&self.schema),
            };
            return Ok(Arc::new(EmptyExec::new(schema)));
        }
        let groups = file_groups(files, state.config_options().execution.target_partitions);
        let table_schema = TableSchema::builder(Arc::clone(&self.file_schema))
            .with_table_partition_cols(self.partition_fields.clone())
            .build();
        let source = ParquetSource::new(table_schema)
            .with_table_parquet_options(state.table_options().parquet.clone())
            .with_pushdown_filters(true);
        let config = FileScanConfigBuilder::new(url, Arc::new(source))
            .with_file_groups(groups)
            .with_projection_indices(projection.cloned())?
            .with_limit(limit)
            .build();
        Ok(DataSourceExec::from_data_source(config))
    }

    async fn insert_into(
        &self,
        _state: &dyn Session,
        input: Arc<dyn ExecutionPlan>,
        insert_op: InsertOp,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        if insert_op != InsertOp::Append {
            return Err(DataFusionError::NotImplemented(format!(
                "{insert_op} into a plateau dataset: only INSERT INTO (append) is supported"
            )));
        }
        let sink = PlateauSink::new(Arc::clone(&self.factory), Arc::clone(&self.schema));
        Ok(Arc::new(DataSinkExec::new(input, Arc::new(sink), None)))
    }
}

/// The store as DataFusion reads it: the backend with the store's prefix.
fn datafusion_store(store: &Store) -> Arc<dyn ObjectStore> {
    let backend = store.object_store();
    if store.prefix().is_empty() {
        backend
    } else {
        Arc::new(PrefixStore::new(backend, store.prefix()))
    }
}

fn default_object_store_url() -> ObjectStoreUrl {
    // A constant URL; parsing it cannot fail, but no panic either way.
    ObjectStoreUrl::parse(DEFAULT_OBJECT_STORE_URL)
        .unwrap_or_else(|_| ObjectStoreUrl::local_filesystem())
}

/// Files spread over `partitions` groups of about equal count, in plan order.
fn file_groups(files: Vec<PartitionedFile>, partitions: usize) -> Vec<FileGroup> {
    let groups = partitions.clamp(1, files.len().max(1));
    let per_group = files.len().div_ceil(groups);
    let mut result = Vec::with_capacity(groups);
    let mut files = files.into_iter().peekable();
    while files.peek().is_some() {
        result.push(FileGroup::new(files.by_ref().take(per_group).collect()));
    }
    result
}

/// The modification time DataFusion is given (it only uses it for caching).
fn chrono_epoch() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::<chrono::Utc>::UNIX_EPOCH
}

/// A plateau error as DataFusion's external error.
pub(crate) fn plateau_error(error: Error) -> DataFusionError {
    DataFusionError::External(Box::new(error))
}

/// A DataFusion error as plateau's.
pub(crate) fn datafusion_error(error: DataFusionError) -> Error {
    Error::invalid_input(format!("DataFusion: {error}"))
}
