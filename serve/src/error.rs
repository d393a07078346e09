//! Errors of the server.

use std::net::SocketAddr;

use thiserror::Error;

/// Errors starting or running `wenflow serve`.
#[derive(Debug, Error)]
pub enum ServeError {
    /// The output root could not be read.
    #[error(transparent)]
    Query(#[from] Box<wenflow_queries::QueryError>),
    /// The index could not be opened.
    #[error("index: {0}")]
    Index(#[from] wenflow_index::IndexError),
    /// The output root is not a location wenflow can read.
    #[error("{0}")]
    Location(String),
    /// An address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// Rendering a result failed.
    #[error("rendering a result: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// A server stopped with an error.
    #[error("server: {0}")]
    Server(String),
}

impl ServeError {
    /// Whether what the user asked for is at fault (a missing output root, an address in
    /// use), rather than the system.
    pub fn is_usage(&self) -> bool {
        match self {
            ServeError::Query(e) => e.is_usage(),
            ServeError::Index(e) => e.is_usage(),
            ServeError::Location(_) | ServeError::Bind { .. } => true,
            ServeError::Server(_) | ServeError::Arrow(_) => false,
        }
    }
}

impl From<wenflow_queries::QueryError> for ServeError {
    fn from(e: wenflow_queries::QueryError) -> Self {
        ServeError::Query(Box::new(e))
    }
}

/// Result alias of the server.
pub type Result<T, E = ServeError> = std::result::Result<T, E>;
