//! Errors of the query layer.

use thiserror::Error;

/// Errors raised while registering tables or running SQL.
#[derive(Debug, Error)]
pub enum QueryError {
    /// The data root has no tables.
    #[error("no tables under {0} (is it a wenflow --out directory?)")]
    NoTables(String),
    /// A path could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Opening a Delta table failed.
    #[error("table {table}: {source}")]
    Delta {
        /// The table.
        table: String,
        /// The underlying error.
        #[source]
        source: deltalake::DeltaTableError,
    },
    /// DataFusion rejected or failed the query.
    #[error("{0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// Formatting the result failed.
    #[error("formatting: {0}")]
    Format(#[from] arrow::error::ArrowError),
}

/// Result alias of the query layer.
pub type Result<T, E = QueryError> = std::result::Result<T, E>;
