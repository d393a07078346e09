//! wenflow's connectors: sources that read documents and sinks that make the results
//! durable.
//!
//! - [`files`]: JSONL, JSON arrays, the chinese-poetry package layout, directory trees of
//!   text files (UTF-8, GB18030, Big5) and Parquet files, planned into splits that spread
//!   over all workers of all processes.
//! - [`delta`]: Delta Lake tables: per-worker Parquet parts and per-epoch atomic,
//!   idempotent commits, and the restore of committed state on resume.
//!
//! Planning a folder and reading its splits, as each worker does with its share:
//!
//! ```
//! use wenflow_connectors::files::{SourceOptions, plan};
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("poems.jsonl"), "{\"id\": \"a\", \"text\": \"床前明月光\"}\n{oops}\n")?;
//! let opts = SourceOptions::default();
//! let plan = plan(&[dir.path().to_path_buf()], &opts)?;
//! let mut records = Vec::new();
//! for split in &plan.splits {
//!     split.read(&opts, &mut |r| records.push(r));
//! }
//! // Every input record is a document or a failure, never dropped.
//! assert_eq!(records.len(), 2);
//! assert_eq!(records[0].as_ref().map(|d| d.text.as_str()), Ok("床前明月光"));
//! assert!(records[1].as_ref().is_err_and(|f| f.error.contains("JSON")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod delta;
pub mod error;
pub mod files;
pub mod kafka;
pub mod sources;
pub mod store;
pub mod upserts;
pub mod watch;

pub use error::{ConnectorError, Result};
