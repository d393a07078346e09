//! A stream job: a watched folder whose new, changed and removed files, or Kafka topics
//! whose new values and tombstones, become insertions, updates and deletions through every
//! operator, committed epoch by epoch with the input log (and Kafka positions) that make a
//! restart resume exactly where the committed epochs end.

pub use crate::ingest::StreamInput;
pub use wenflow_connectors::kafka::{DeadLetters, KafkaOptions, Payload};
pub use wenflow_connectors::sources::{STREAM_SOURCES, StreamSource};
pub use wenflow_connectors::watch::WatchOptions;

use crate::error::Result;
use crate::ingest::{IngestArgs, IngestSummary, run_job};

/// Runs a stream of `input` with the job options of `args` (its `inputs` are not used):
/// until the process stops, or, with `once`, until what the input holds when the job
/// starts is committed.
pub fn run(args: IngestArgs, input: StreamInput) -> Result<IngestSummary> {
    run_job(args, Some(input))
}
