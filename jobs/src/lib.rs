//! wenflow's jobs as a library: the ingest dataflow ([`pipeline`]) and the run that plans a
//! job, opens its output, restores what earlier runs committed and drives the dataflow on
//! every worker ([`ingest`]). The `wenflow` binary parses arguments into these and prints
//! what they return.
//!
//! Ingesting a folder, then reading the committed tables back:
//!
//! ```
//! use wenflow_jobs::ingest::{IngestArgs, run};
//!
//! let dir = tempfile::tempdir()?;
//! let corpus = dir.path().join("corpus");
//! std::fs::create_dir(&corpus)?;
//! std::fs::write(
//!     corpus.join("poems.jsonl"),
//!     "{\"id\": \"a\", \"text\": \"床前明月光，疑是地上霜。\"}\n\
//!      {\"id\": \"b\", \"text\": \"床前明月光，疑是地上霜。\"}\n\
//!      {not json}\n",
//! )?;
//! let out = dir.path().join("out");
//! let summary = run(IngestArgs::new(vec![corpus], out.clone()))?;
//! // Every input is accounted for: two documents, one failure.
//! assert_eq!(summary.totals.inputs, 3);
//! assert_eq!(summary.totals.rows["documents"], 2);
//! assert_eq!(summary.totals.rows["failures"], 1);
//! // The two copies form one exact-duplicate cluster.
//! assert_eq!(summary.totals.rows["duplicates"], 2);
//! // A second run of the same job finds every epoch committed and does nothing.
//! let again = run(IngestArgs::new(vec![dir.path().join("corpus")], out))?;
//! assert_eq!(again.job_id, summary.job_id);
//! assert_eq!(again.totals.epochs, None);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod error;
pub mod ingest;
pub mod pipeline;
pub mod stream;

pub use error::{JobError, Result};
