#![allow(clippy::unwrap_used)]
//! SQL over plateau tables against the same SQL over an in-memory copy of the rows
//! (`read_table`'s result as a `MemTable`): pruning by partition keys and indices must never
//! change an answer. Then the pruning itself, `INSERT INTO`, and the catalog.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampNanosecondArray,
};
use arrow::compute::concat_batches;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use plateau_core::Store;
use plateau_datafusion::{session_of, PlateauSchema, PlateauTable};
use plateau_io::read::{read_table, ReadOptions};
use plateau_io::update::{update_dataset, UpdateOptions};
use plateau_io::write::{store_dataset, StoreOptions};
use plateau_metadata::DatasetFactory;

/// Rows `ids` of the `sales` table: partition keys `region` (string) and `year` (int), an
/// index on `customer`, nulls in `amount`, `qty`, `note` and `ts`.
fn sales(ids: std::ops::Range<i64>) -> RecordBatch {
    let ids: Vec<i64> = ids.collect();
    let regions = ["north", "south", "east"];
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("id", Arc::new(Int64Array::from(ids.clone()))),
        (
            "region",
            Arc::new(StringArray::from_iter_values(
                ids.iter().map(|i| regions[(i % 3) as usize]),
            )),
        ),
        (
            "year",
            Arc::new(Int64Array::from_iter_values(
                ids.iter().map(|i| 2020 + i % 2),
            )),
        ),
        (
            "customer",
            Arc::new(Int64Array::from_iter_values(ids.iter().map(|i| i % 17))),
        ),
        (
            "amount",
            Arc::new(
                ids.iter()
                    .map(|i| (i % 5 != 0).then_some(*i as f64 * 1.5))
                    .collect::<Float64Array>(),
            ),
        ),
        (
            "qty",
            Arc::new(
                ids.iter()
                    .map(|i| (i % 7 != 0).then_some(i % 4))
                    .collect::<Int64Array>(),
            ),
        ),
        (
            "note",
            Arc::new(
                ids.iter()
                    .map(|i| (i % 4 != 0).then(|| format!("n{}", i % 6)))
                    .collect::<StringArray>(),
            ),
        ),
        (
            "day",
            Arc::new(Date32Array::from_iter_values(
                ids.iter().map(|i| 18_000 + (i % 30) as i32),
            )),
        ),
        (
            "ts",
            Arc::new(
                ids.iter()
                    .map(|i| {
                        (i % 6 != 0).then_some(1_600_000_000_000_000_000 + i * 3_600_000_000_000)
                    })
                    .collect::<TimestampNanosecondArray>(),
            ),
        ),
    ];
    RecordBatch::try_from_iter_with_nullable(columns.into_iter().map(|(n, a)| (n, a, true)))
        .unwrap()
}

/// `sales` (written by one create and three updates) and `customers`, a second dataset to
/// join with.
fn store() -> Store {
    let store = Store::memory();
    let options = StoreOptions::default()
        .partition_on(["region", "year"])
        .secondary_indices(["customer"]);
    store_dataset(&store, "sales", &[sales(0..60)], &options).unwrap();
    let factory = DatasetFactory::new(store.clone(), "sales");
    for round in 1..4 {
        let start = round * 100;
        update_dataset(
            &factory,
            &[sales(start..start + 40)],
            &UpdateOptions::default(),
        )
        .unwrap();
    }
    let customers = RecordBatch::try_from_iter(vec![
        (
            "customer",
            Arc::new(Int64Array::from_iter_values(0..17)) as ArrayRef,
        ),
        (
            "segment",
            Arc::new(StringArray::from_iter_values((0..17).map(|i| {
                if i % 2 == 0 {
                    "retail"
                } else {
                    "business"
                }
            }))),
        ),
    ])
    .unwrap();
    let options = StoreOptions::default().partition_on(["segment"]);
    store_dataset(&store, "customers", &[customers], &options).unwrap();
    store
}

/// The queries both engines answer.
const QUERIES: &[&str] = &[
    "SELECT * FROM sales",
    "SELECT id, amount FROM sales WHERE region = 'north'",
    "SELECT id FROM sales WHERE year = 2021 AND region <> 'east'",
    "SELECT id FROM sales WHERE region IN ('north', 'east') AND year >= 2021",
    "SELECT id FROM sales WHERE region NOT IN ('north')",
    "SELECT id, customer FROM sales WHERE customer = 5",
    "SELECT id FROM sales WHERE customer IN (1, 2, 3)",
    "SELECT id FROM sales WHERE customer <> 5",
    "SELECT id FROM sales WHERE customer > 14 OR region = 'south'",
    "SELECT id FROM sales WHERE customer IS NULL",
    "SELECT id FROM sales WHERE customer IS NOT NULL AND customer < 2",
    "SELECT id FROM sales WHERE amount > 100",
    "SELECT id FROM sales WHERE amount IS NULL",
    "SELECT id FROM sales WHERE note = 'n3' OR note IS NULL",
    "SELECT id FROM sales WHERE qty BETWEEN 1 AND 2",
    "SELECT id FROM sales WHERE day >= DATE '2019-04-20' AND day < DATE '2019-04-30'",
    "SELECT id FROM sales WHERE ts > TIMESTAMP '2020-09-20 00:00:00'",
    "SELECT id FROM sales WHERE ts IS NULL AND year = 2020",
    "SELECT region, year, count(*) AS n, sum(amount) AS total FROM sales GROUP BY region, year",
    "SELECT region, count(qty) AS n, min(day) AS first, max(ts) AS last FROM sales GROUP BY region",
    "SELECT id, amount FROM sales ORDER BY amount DESC NULLS LAST, id LIMIT 7",
    "SELECT count(*) AS n FROM sales WHERE customer = 3 AND region = 'north'",
    "SELECT s.id, c.segment FROM sales s JOIN customers c ON s.customer = c.customer WHERE c.segment = 'retail' AND s.year = 2020",
    "SELECT segment, count(*) AS n FROM sales JOIN customers USING (customer) GROUP BY segment",
    "SELECT id FROM sales WHERE lower(note) LIKE 'n1%' AND region = 'south'",
    "SELECT id FROM sales WHERE NOT (region = 'north') AND customer = 4",
    "SELECT DISTINCT region FROM sales WHERE year = 2022",
];

/// `batches` as sorted text rows (every column formatted the same way on both sides).
fn rows(batches: &[RecordBatch]) -> Vec<String> {
    let Some(first) = batches.first() else {
        return Vec::new();
    };
    let table = concat_batches(&first.schema(), batches).unwrap();
    let options = FormatOptions::default().with_null("NULL");
    let formatters: Vec<ArrayFormatter> = table
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
        .collect();
    let mut rows: Vec<String> = (0..table.num_rows())
        .map(|r| {
            formatters
                .iter()
                .map(|f| f.value(r).to_string())
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    rows.sort();
    rows
}

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
