//! SQL over wenflow's output tables with DataFusion.
//!
//! [`register_tables`] registers every Delta table under a data root twice: its change
//! log as `<name>_log` (every row with `time` and `diff`) and its current state as
//! `<name>` (the rows whose diffs sum to a positive count, without `time` and `diff`).
//! [`format_batches`] renders results as a table, CSV or JSON.

pub mod error;
mod format;
pub mod reports;
pub mod state;
mod tables;

pub use error::{QueryError, Result};
pub use format::{OutputFormat, format_batches};
pub use tables::{query_log, register_tables, run_sql, session};
