//! A stream job: a watched folder whose new, changed and removed files become insertions,
//! updates and deletions through every operator, committed epoch by epoch with the input
//! log that makes a restart resume exactly where the committed epochs end.

pub use wenflow_connectors::watch::WatchOptions;

use crate::error::Result;
use crate::ingest::{IngestArgs, IngestSummary, run_job};

/// Runs a stream of `watch` with the job options of `args` (its `inputs` are not used):
/// until the process stops, or, with `watch.once`, for one scan whose difference to what
/// the output holds is committed.
pub fn run(args: IngestArgs, watch: WatchOptions) -> Result<IngestSummary> {
    run_job(args, Some(watch))
}
