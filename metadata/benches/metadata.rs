//! Loading the metadata of a 100,000-partition dataset, JSON and msgpack, from a memory
//! store (decode + parse into `DatasetMetadata`), and encoding it.

#![allow(missing_docs)] // criterion_group! generates undocumented items

use criterion::{criterion_group, criterion_main, Criterion};
use plateau_core::naming::MetadataFormat;
use plateau_core::Store;
use plateau_metadata::load::{load, LoadOptions};
use plateau_metadata::{codec, DatasetMetadataBuilder};

const PARTITIONS: usize = 100_000;

fn dataset() -> plateau_metadata::DatasetMetadata {
    let mut builder = DatasetMetadataBuilder::new("bench")
        .partition_keys(vec!["part".into()])
        .add_external_index(
            "k",
            "bench/indices/k/2024-01-01T00%3A00%3A00%2B00%3A00.by-dataset-index.parquet",
        );
    for i in 0..PARTITIONS {
        let label = format!("part={}/{:032x}", i % 1000, i);
        let file = format!("bench/table/{label}.parquet");
        builder = builder.add_partition(label, file);
    }
    builder.build().expect("valid metadata")
}

fn bench(c: &mut Criterion) {
    let metadata = dataset();
    let options = LoadOptions::default()
        .load_schema(false)
        .load_all_indices(false);
    let mut group = c.benchmark_group("metadata_100k_partitions");
    group.sample_size(10);
    for format in [MetadataFormat::Json, MetadataFormat::Msgpack] {
        let store = Store::memory();
        let bytes = codec::encode(&metadata, format).expect("encode");
        store
            .put(
                &plateau_core::naming::metadata_key("bench", format),
                bytes.into(),
            )
            .expect("put");
        let name = format!("{format:?}").to_lowercase();
        group.bench_function(format!("load_{name}"), |b| {
            b.iter(|| {
                let loaded = load(&store, "bench", &options).expect("load");
                assert_eq!(loaded.partitions.len(), PARTITIONS);
            })
        });
        group.bench_function(format!("encode_{name}"), |b| {
            b.iter(|| codec::encode(&metadata, format).expect("encode"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
