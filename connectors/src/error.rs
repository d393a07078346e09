//! Errors of the connectors. Each says whether retrying can help.

use thiserror::Error;

/// Errors raised by sources and sinks.
#[derive(Debug, Error)]
pub enum ConnectorError {
    /// Kafka could not be reached, read or written; the message says which and why.
    #[error("kafka: {0}")]
    Kafka(String),
    /// An input path does not exist or cannot be listed.
    #[error("input {path}: {message}")]
    Input {
        /// The path.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// The output location holds the tables of another job.
    #[error("{path} holds the output of job {found:?}; resume it with --job-id {found}, or write to a new --out")]
    ForeignJob {
        /// The output root.
        path: String,
        /// The job id found there.
        found: String,
    },
    /// A Delta Lake operation failed.
    #[error("delta table {table}: {source}")]
    Delta {
        /// The table.
        table: String,
        /// The underlying error.
        #[source]
        source: deltalake::DeltaTableError,
    },
    /// Object storage failed.
    #[error("object store: {0}")]
    ObjectStore(#[from] object_store::Error),
    /// Encoding Parquet failed.
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// Arrow conversion failed.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// A table does not match its declaration, or a record does not fit it.
    #[error(transparent)]
    Engine(#[from] wenflow_engine::EngineError),
    /// A table's data files cannot be compacted together.
    #[error("compaction: {0}")]
    Compact(String),
    /// Reading committed data back failed.
    #[error("query: {0}")]
    Query(String),
    /// Local I/O failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl ConnectorError {
    /// Whether retrying the same operation may succeed (transient storage failures).
    pub fn is_retryable(&self) -> bool {
        match self {
            ConnectorError::ObjectStore(e) => {
                !matches!(e, object_store::Error::NotFound { .. } | object_store::Error::AlreadyExists { .. })
            }
            ConnectorError::Delta { source, .. } => {
                matches!(source, deltalake::DeltaTableError::ObjectStore { .. })
            }
            _ => false,
        }
    }
}

/// Result alias of the connectors.
pub type Result<T, E = ConnectorError> = std::result::Result<T, E>;
