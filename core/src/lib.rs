//! The foundation of plateau for Rust: errors, the blocking [`Store`] facade over
//! `object_store`, key naming and plateau-compatible quoting, typed [`Scalar`] values and the
//! predicate model ([`Predicates`]).
//!
//! Every other plateau crate builds on this one; it knows nothing about Parquet files,
//! metadata or indices beyond the shapes of their keys.
//!
//! ```
//! use plateau_core::{naming, quote, Predicates, Store};
//!
//! let store = Store::from_url("memory://").unwrap();
//! store.put("u/table/P=a%20b/x.parquet", b"bytes".to_vec().into()).unwrap();
//! assert_eq!(store.list("u/").unwrap()[0].key, "u/table/P=a%20b/x.parquet");
//!
//! assert_eq!(quote::quote("a b/c"), "a%20b/c");
//! assert_eq!(naming::metadata_key("u", naming::MetadataFormat::Json), "u.by-dataset-metadata.json");
//!
//! let predicates = Predicates::parse("P == 'a b' and x in (1, 2)").unwrap();
//! predicates.validate().unwrap();
//! ```

mod cloud;
pub mod error;
pub mod local_cas;
pub mod location;
pub mod naming;
pub mod partition_value;
pub mod predicate;
mod predicate_text;
pub mod quote;
pub mod runtime;
pub mod scalar;
pub mod store;
pub mod temporal;
pub mod upload;

pub use error::{Error, Result};
pub use location::StoreLocation;
pub use predicate::{Conjunction, Literal, Op, Predicates, Value};
pub use scalar::Scalar;
pub use store::{Store, StoreObject};
