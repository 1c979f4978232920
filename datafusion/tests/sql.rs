#![allow(clippy::unwrap_used)]
//! SQL over plateau tables against the same SQL over an in-memory copy of the rows
//! (`read_table`'s result as a `MemTable`): pruning by partition keys and indices must never
//! change an answer. Then the pruning itself, `INSERT INTO`, and the catalog.

mod common;

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use common::{rows, store, QUERIES};
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use plateau_core::Store;
use plateau_datafusion::{session_of, PlateauSchema, PlateauTable};
use plateau_io::read::{read_table, ReadOptions};
use plateau_metadata::DatasetFactory;

async fn answer(ctx: &SessionContext, query: &str) -> Vec<String> {
    let batches = ctx.sql(query).await.unwrap().collect().await.unwrap();
    rows(&batches)
}

/// The same tables as plain in-memory tables (no pruning at all).
async fn reference(store: &Store) -> SessionContext {
    let ctx = SessionContext::new();
    for uuid in ["sales", "customers"] {
        let table = PlateauTable::try_new(store.clone(), uuid).await.unwrap();
        let factory = DatasetFactory::new(store.clone(), uuid);
        let batch = read_table(&factory, &ReadOptions::default()).unwrap();
        // The plateau table's column order: file columns, then partition keys.
        let schema = datafusion::datasource::TableProvider::schema(&table);
        let columns: Vec<ArrayRef> = schema
            .fields()
            .iter()
            .map(|f| Arc::clone(batch.column_by_name(f.name()).unwrap()))
            .collect();
        let batch = RecordBatch::try_new(Arc::clone(&schema), columns).unwrap();
        let mem = MemTable::try_new(schema, vec![vec![batch]]).unwrap();
        ctx.register_table(uuid, Arc::new(mem)).unwrap();
    }
    ctx
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_answer_as_over_the_unpruned_rows() {
    let store = store();
    let schema = Arc::new(PlateauSchema::try_new(store.clone()).await.unwrap());
    let ctx = session_of(Arc::clone(&schema), SessionConfig::new()).unwrap();
    let expected = reference(&store).await;
    assert!(QUERIES.len() >= 25);
    for query in QUERIES {
        let ours = answer(&ctx, query).await;
        let theirs = answer(&expected, query).await;
        assert_eq!(ours, theirs, "{query}");
    }
    // The answers are not trivially empty.
    assert_eq!(answer(&ctx, "SELECT count(*) FROM sales").await, ["180"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partition_keys_and_indices_prune() {
    let store = store();
    let schema = Arc::new(PlateauSchema::try_new(store.clone()).await.unwrap());
    let ctx = session_of(Arc::clone(&schema), SessionConfig::new()).unwrap();
    let partitions = DatasetFactory::new(store.clone(), "sales")
        .metadata()
        .unwrap()
        .partitions
        .len();
    assert_eq!(partitions, 24, "6 key combinations × 4 commits");

    let read = |query: &'static str| {
        let ctx = ctx.clone();
        let schema = Arc::clone(&schema);
        async move {
            let before = schema.scan_reports().len();
            ctx.sql(query).await.unwrap().collect().await.unwrap();
            let reports = schema.scan_reports();
            assert_eq!(reports.len(), before + 1, "{query}");
            reports[before].clone()
        }
    };
    let report = read("SELECT id FROM sales WHERE region = 'north' AND year = 2021").await;
    assert_eq!((report.partitions, report.read), (24, 4), "{report}");
    assert_eq!(report.partition_filters.len(), 2);
    // customer 5 is in ids ≡ 5 (mod 17): the index names the partitions that hold it.
    let report = read("SELECT id FROM sales WHERE customer = 5").await;
    assert!(
        report.read < 24 && report.read == report.planned,
        "{report}"
    );
    assert!(report.predicates.is_some());
    // Filters the index cannot answer with SQL's null rules read everything.
    let report = read("SELECT id FROM sales WHERE customer IS NULL").await;
    assert_eq!(report.read, 24, "{report}");
    let report = read("SELECT id FROM sales WHERE customer <> 5").await;
    assert_eq!(report.read, 24, "{report}");
    // A partition filter plateau cannot express is still exact: DataFusion evaluates it
    // on the partition values.
    let report = read("SELECT id FROM sales WHERE upper(region) = 'SOUTH'").await;
    assert_eq!(report.read, 8, "{report}");
    let report = read("SELECT id FROM sales WHERE region = 'west'").await;
    assert_eq!(report.read, 0, "{report}");
    let text = report.to_string();
    assert!(text.contains("0 of 24 partitions read"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insert_into_appends_with_indices() {
    let store = store();
    let schema = Arc::new(PlateauSchema::try_new(store.clone()).await.unwrap());
    let ctx = session_of(Arc::clone(&schema), SessionConfig::new()).unwrap();
    let inserted = answer(
        &ctx,
        "INSERT INTO sales (id, region, year, customer, amount, qty, note, day, ts) \
         SELECT id + 1000, region, year, 99, amount, qty, note, day, ts \
         FROM sales WHERE region = 'east'",
    )
    .await;
    assert_eq!(inserted, ["60"]);
    assert_eq!(answer(&ctx, "SELECT count(*) FROM sales").await, ["240"]);
    // The new rows are indexed: customer 99 exists only in them.
    let factory = DatasetFactory::new(store.clone(), "sales");
    let metadata = factory.load_all_indices().unwrap();
    let index = metadata.loaded_index("customer").unwrap();
    let labels = index.query(&plateau_core::Scalar::Int(99)).unwrap();
    assert_eq!(
        labels.len(),
        2,
        "one new partition per east key combination"
    );
    let table = read_table(
        &factory,
        &ReadOptions::default()
            .predicates(plateau_core::Predicates::parse("customer == 99").unwrap()),
    )
    .unwrap();
    assert_eq!(table.num_rows(), 60);
    // Only appends: an overwrite is refused and changes nothing.
    let overwrite = async {
        ctx.sql("INSERT OVERWRITE sales SELECT * FROM sales")
            .await?
            .collect()
            .await
    }
    .await;
    assert!(overwrite.is_err());
    assert_eq!(answer(&ctx, "SELECT count(*) FROM sales").await, ["240"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_lists_every_dataset() {
    let store = store();
    let schema = PlateauSchema::try_new(store.clone()).await.unwrap();
    use datafusion::catalog::SchemaProvider;
    assert_eq!(schema.table_names(), ["customers", "sales"]);
    assert!(schema.table_exist("sales"));
    assert!(schema.table("nope").await.unwrap().is_none());
    let ctx = session_of(Arc::new(schema), SessionConfig::new()).unwrap();
    let error = ctx.sql("SELECT * FROM nope").await.unwrap_err();
    assert!(error.to_string().contains("nope"), "{error}");
}
