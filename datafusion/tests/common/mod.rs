//! The datasets, queries and answer formatting shared by the SQL tests.
#![allow(clippy::unwrap_used, dead_code)]

use std::sync::Arc;

use arrow::array::{
    ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampNanosecondArray,
};
use arrow::compute::concat_batches;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use plateau_core::Store;
use plateau_io::update::{update_dataset, UpdateOptions};
use plateau_io::write::{store_dataset, StoreOptions};
use plateau_metadata::DatasetFactory;

/// Rows `ids` of the `sales` table: partition keys `region` (string) and `year` (int), an
/// index on `customer`, nulls in `amount`, `qty`, `note` and `ts`.
pub fn sales(ids: std::ops::Range<i64>) -> RecordBatch {
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
pub fn store() -> Store {
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
pub const QUERIES: &[&str] = &[
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
pub fn rows(batches: &[RecordBatch]) -> Vec<String> {
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
