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
    /// The store holding the data root could not be listed.
    #[error("{root}: {source}")]
    Store {
        /// The data root.
        root: String,
        /// The underlying error.
        #[source]
        source: object_store::Error,
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
    /// A Delta table uses a feature this reader does not read; wenflow writes none of them.
    #[error(
        "table {table}: not readable here: {reason} (wenflow reads Delta reader version 1 without partition columns, as it writes)"
    )]
    Unsupported {
        /// The table.
        table: String,
        /// The feature.
        reason: String,
    },
    /// The statement is not SQL, or names a table or column that does not exist, or does
    /// not type-check: the user's to fix. One line, naming the token or the name.
    #[error("{0}")]
    Invalid(String),
    /// DataFusion failed running the query.
    #[error("{0}")]
    DataFusion(datafusion::error::DataFusionError),
    /// Formatting the result failed.
    #[error("formatting: {0}")]
    Format(#[from] arrow::error::ArrowError),
}

impl From<datafusion::error::DataFusionError> for QueryError {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        use datafusion::error::DataFusionError as E;
        match e.find_root() {
            E::SQL(parser, _) => QueryError::Invalid(parser.to_string()),
            E::Plan(message) => QueryError::Invalid(message.clone()),
            E::SchemaError(schema, _) => QueryError::Invalid(schema.to_string()),
            _ => QueryError::DataFusion(e),
        }
    }
}

impl QueryError {
    /// Whether the user's input is at fault (bad SQL, an unknown table or column, a data
    /// directory that does not exist or holds no tables), rather than the system.
    pub fn is_usage(&self) -> bool {
        match self {
            QueryError::NoTables(_) | QueryError::Invalid(_) => true,
            QueryError::Io { source, .. } => source.kind() == std::io::ErrorKind::NotFound,
            _ => false,
        }
    }
}

/// Result alias of the query layer.
pub type Result<T, E = QueryError> = std::result::Result<T, E>;
