//! Errors of a job run.

use thiserror::Error;

/// Why a job could not run to its end. Each variant names the step that failed and keeps
/// the cause as its source, without repeating it in its own message.
#[derive(Debug, Error)]
pub enum JobError {
    /// The I/O runtime could not start.
    #[error("starting the I/O runtime")]
    Runtime(#[source] std::io::Error),
    /// The input could not be planned (a path that does not exist, an unreadable folder).
    #[error("planning the input")]
    Plan(#[source] Box<wenflow_connectors::ConnectorError>),
    /// A user gazetteer could not be loaded.
    #[error("loading gazetteers")]
    Gazetteer(#[source] wenflow_operators::OperatorError),
    /// A gazetteer could not be read for the job id.
    #[error("reading gazetteer {path}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The output tables could not be opened, restored or cleaned up.
    #[error("{what}")]
    Output {
        /// What was being done.
        what: &'static str,
        /// The cause.
        #[source]
        source: Box<wenflow_connectors::ConnectorError>,
    },
    /// The index could not be opened or brought up to the committed tables.
    #[error("opening the index and bringing it up to the committed tables")]
    Index(#[source] wenflow_index::IndexError),
    /// The engine refused: an unusable cluster configuration, a table that cannot be
    /// written or vacuumed.
    #[error(transparent)]
    Engine(#[from] wenflow_engine::EngineError),
    /// A worker failed; the message says which and why.
    #[error("the dataflow failed: {0}")]
    Dataflow(String),
}

/// Result alias of the jobs crate.
pub type Result<T, E = JobError> = std::result::Result<T, E>;
