//! Errors of the index crate.

/// What can go wrong building or searching the index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// A tantivy operation failed.
    #[error("index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The index manifest or a shard is missing, unreadable or inconsistent.
    #[error("index at {path}: {message}")]
    Layout {
        /// The index directory.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A shard holds the commits of another job.
    #[error("index shard {path} belongs to job {found:?}, not {expected:?}")]
    ForeignJob {
        /// The shard directory.
        path: String,
        /// The job that committed it.
        found: String,
        /// This job.
        expected: String,
    },
    /// The committed changes of an epoch could not be read back for replay.
    #[error("reading the committed changes of epoch {epoch} to index them: {message}")]
    Replay {
        /// The epoch.
        epoch: u64,
        /// What went wrong.
        message: String,
    },
    /// A query or filter could not be parsed.
    #[error("query: {0}")]
    Query(String),
}

impl IndexError {
    /// Whether the user's input is at fault (a query or filter that does not parse).
    pub fn is_usage(&self) -> bool {
        matches!(self, IndexError::Query(_))
    }
}

/// Result with [`IndexError`].
pub type Result<T> = std::result::Result<T, IndexError>;
