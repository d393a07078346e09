//! Errors raised by the engine runtime.

use thiserror::Error;

/// Errors of the engine: cluster configuration, sinks and commits.
#[derive(Debug, Error)]
pub enum EngineError {
    /// The cluster configuration (workers, processes, hostfile) is not usable.
    #[error("cluster configuration: {0}")]
    Cluster(String),
    /// Reading a file the engine needs (a hostfile) failed.
    #[error("reading {path}: {source}")]
    Io {
        /// The file that could not be read.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Building an Arrow batch from records failed.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// A table's column does not match its declaration: on disk, in a batch read back, or
    /// in a value that does not fit the record.
    #[error("table {table}, column {column}: {message}")]
    Column {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// What does not match.
        message: String,
    },
    /// A sink could not write or commit an epoch. `retryable` says whether a retry can help.
    #[error("sink {table}: {message}")]
    Sink {
        /// The table the sink writes.
        table: String,
        /// What went wrong.
        message: String,
        /// Whether retrying the same operation may succeed (a transient storage error).
        retryable: bool,
    },
    /// The dataflow failed on a worker.
    #[error("dataflow: {0}")]
    Dataflow(String),
}

/// Result alias of the engine.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;
