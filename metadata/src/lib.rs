//! The metadata layer of plateau: everything a reader needs to plan a query without touching
//! data files, and everything a writer needs to commit one.
//!
//! * [`DatasetMetadata`]: the content of `<uuid>.by-dataset-metadata.{json,msgpack.zstd}` —
//!   partitions, partition keys, index references, user metadata — plus the table schema and
//!   loaded indices. [`DatasetMetadataBuilder`] assembles new metadata.
//! * [`codec`]: the metadata file's bytes, identical to what Python plateau writes (simplejson
//!   JSON, or msgpack + zstd with the content size in the frame).
//! * [`common_metadata`] and [`schema`]: `<uuid>/<table>/_common_metadata`, schema
//!   normalisation and compatibility.
//! * [`load`]: loading from a [`Store`](plateau_core::Store), including implicit partitions and
//!   the legacy forms of older plateau versions.
//! * [`labels`]: partition labels ⇄ typed values.
//! * [`planning`]: which partitions a predicate can match, from partition keys and secondary
//!   indices; `dispatch_by` grouping.
//! * [`DatasetFactory`]: caches metadata and indices across calls.
//!
//! ```
//! use plateau_core::Store;
//! use plateau_metadata::{codec, DatasetMetadataBuilder};
//!
//! let metadata = DatasetMetadataBuilder::new("my_uuid")
//!     .partition_keys(vec!["P".to_owned()])
//!     .add_partition("P=1/part", "my_uuid/table/P=1/part.parquet")
//!     .build()
//!     .unwrap();
//! let json = codec::to_json(&metadata).unwrap();
//! assert!(json.starts_with(b"{\"dataset_metadata_version\": 4, \"dataset_uuid\": \"my_uuid\""));
//!
//! let store = Store::memory();
//! store.put("my_uuid.by-dataset-metadata.json", json.into()).unwrap();
//! let loaded = plateau_metadata::load::load(&store, "my_uuid", &Default::default()).unwrap();
//! assert_eq!(loaded.partitions.len(), 1);
//! ```

pub mod codec;
pub mod common_metadata;
pub mod dataset;
pub mod dump;
pub mod factory;
pub mod labels;
pub mod load;
mod load_options;
pub mod planning;
pub mod schema;
pub mod simplejson;

pub use dataset::{DatasetMetadata, DatasetMetadataBuilder, IndexEntry, Partition, PartitionMap};
pub use factory::DatasetFactory;
