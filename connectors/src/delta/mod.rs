//! Delta Lake output tables.
//!
//! # Contract
//!
//! Every table of the registry (`wenflow_engine::schema::tables()`: `documents`,
//! `duplicates`, `failures`, `entities`, `entity_counts`, `clean_changes`, `pages`, `runs`)
//! is a Delta table under the output root, written as a change log with `time` and `diff`,
//! and checked against its declaration when the output is opened. Workers write Parquet
//! parts ([`DeltaPartWriter`]); worker 0 commits each epoch with one Delta transaction per
//! table ([`DeltaCommitter`]) whose `txn` action carries the job id as application id and
//! the epoch as version. A table whose `txn` version for the job is at least `e` already
//! holds epoch `e`: writers and the committer skip it, so a re-run commits nothing twice
//! and a killed job resumes after the last epoch every table holds ([`Output::resume_epoch`]).
//! On resume the committed documents and entity rows are read back ([`restore_documents`],
//! [`restore_entities`]) so that stateful operators do not start empty, and an index shard
//! behind the tables replays the epochs it lacks ([`epoch_changes`]).

mod committer;
mod compact;
mod output;
mod restore;
mod writer;

pub use committer::{DeltaCommitter, Maintenance, RunTotals};
pub use compact::{Compacted, compact};
pub use output::Output;
pub use restore::{
    epoch_changes, epoch_failures, restore, restore_documents, restore_entities, restore_log, restore_page_outputs,
    restore_positions,
};
pub use writer::DeltaPartWriter;
