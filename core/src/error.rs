//! The one error type of plateau.
//!
//! Every crate of the workspace returns [`Result`]. Variants are specific enough to match on
//! (a caller retrying a commit matches [`Error::CommitConflict`], a CLI maps
//! [`Error::DatasetNotFound`] to its own exit code) and their messages name the dataset, key
//! and column involved.

use std::fmt;

/// Result alias used throughout plateau.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in plateau.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Neither metadata file of the dataset exists.
    #[error("dataset `{uuid}` does not exist (tried {uuid}.by-dataset-metadata.json and {uuid}.by-dataset-metadata.msgpack.zstd)")]
    DatasetNotFound {
        /// The dataset uuid.
        uuid: String,
    },

    /// A dataset of that uuid exists and the operation may not overwrite it.
    #[error("dataset `{uuid}` already exists and overwrite is not permitted")]
    DatasetExists {
        /// The dataset uuid.
        uuid: String,
    },

    /// A key that must exist is missing from the store.
    #[error("key `{key}` not found in the store")]
    NotFound {
        /// The missing key (relative to the store's prefix).
        key: String,
    },

    /// Schemas that have to agree do not.
    #[error("schemas for dataset `{uuid}` are not compatible: {message}")]
    SchemaIncompatible {
        /// The dataset uuid (empty when no dataset is involved).
        uuid: String,
        /// A readable diff naming the origins of both sides.
        message: String,
    },

    /// Columns were requested that the data does not have.
    #[error("columns cannot be found in stored dataframe: {}", .columns.join(", "))]
    ColumnNotFound {
        /// The missing column names, sorted.
        columns: Vec<String>,
    },

    /// The value of a predicate does not fit the type of its column.
    #[error("unexpected type for predicate: column `{column}` has type {column_type}, but predicate value {value} has type {value_type}")]
    PredicateType {
        /// The column of the offending literal.
        column: String,
        /// The column's Arrow type.
        column_type: String,
        /// The offending value as text.
        value: String,
        /// The kind of the value.
        value_type: String,
    },

    /// Predicates have an invalid shape (empty, wrong operator for a null or list value, ...).
    #[error("invalid predicates: {0}")]
    InvalidPredicate(String),

    /// Predicate text could not be parsed.
    #[error("cannot parse predicate at byte {position} (`{token}`): {message}")]
    PredicateParse {
        /// Byte offset of the offending token in the input.
        position: usize,
        /// The offending token (empty at the end of input).
        token: String,
        /// What was expected.
        message: String,
    },

    /// A conditional write lost against a concurrent writer; nothing was written.
    #[error("commit conflict on `{key}`: {message}")]
    CommitConflict {
        /// The key whose conditional write failed.
        key: String,
        /// What the store reported.
        message: String,
    },

    /// A dataset uuid contains characters plateau does not allow (`[a-zA-Z0-9+\-_]+`).
    #[error("invalid dataset uuid `{0}`: only [a-zA-Z0-9+-_] are allowed")]
    InvalidUuid(String),

    /// An argument or input is invalid.
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// Stored bytes could not be decoded.
    #[error("corrupt data at `{key}`: {message}")]
    Corrupt {
        /// The key of the object that could not be decoded.
        key: String,
        /// What is wrong with it.
        message: String,
    },

    /// The feature, type or operation is not supported.
    #[error("not supported: {0}")]
    Unsupported(String),

    /// An error of the object store.
    #[error("store error: {0}")]
    Store(#[source] Box<object_store::Error>),

    /// An error of the Parquet reader or writer.
    #[error("parquet error: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),

    /// An error of an Arrow kernel.
    #[error("arrow error: {0}")]
    Arrow(#[from] arrow::error::ArrowError),

    /// A local I/O error.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// An [`Error::InvalidInput`] from anything displayable.
    pub fn invalid_input(message: impl fmt::Display) -> Self {
        Self::InvalidInput(message.to_string())
    }

    /// An [`Error::Corrupt`] for `key`.
    pub fn corrupt(key: impl Into<String>, message: impl fmt::Display) -> Self {
        Self::Corrupt {
            key: key.into(),
            message: message.to_string(),
        }
    }

    /// An [`Error::Unsupported`] from anything displayable.
    pub fn unsupported(message: impl fmt::Display) -> Self {
        Self::Unsupported(message.to_string())
    }
}

impl From<object_store::Error> for Error {
    fn from(err: object_store::Error) -> Self {
        match err {
            object_store::Error::NotFound { path, .. } => Error::NotFound { key: path },
            object_store::Error::AlreadyExists { path, source } => Error::CommitConflict {
                key: path,
                message: format!("object already exists: {source}"),
            },
            object_store::Error::Precondition { path, source } => Error::CommitConflict {
                key: path,
                message: format!("object changed since it was read: {source}"),
            },
            other => Error::Store(Box::new(other)),
        }
    }
}
