//! wenflow's connectors: sources that read documents and sinks that make the results
//! durable.
//!
//! - [`files`]: JSONL, JSON arrays, the chinese-poetry package layout, directory trees of
//!   text files (UTF-8, GB18030, Big5) and Parquet files, planned into splits that spread
//!   over all workers of all processes.
//! - [`delta`]: Delta Lake tables: per-worker Parquet parts and per-epoch atomic,
//!   idempotent commits, and the restore of committed state on resume.

pub mod delta;
pub mod error;
pub mod files;

pub use error::{ConnectorError, Result};
