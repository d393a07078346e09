//! SQL over wenflow's output tables with DataFusion.
//!
//! [`register_tables`] registers every Delta table under a data root twice: its change
//! log as `<name>_log` (every row with `time` and `diff`) and its current state as
//! `<name>` (the rows whose diffs sum to a positive count, without `time` and `diff`).
//! [`format_batches`] renders results as a table, CSV or JSON. All of wenflow's SQL lives
//! here: the current-state rule ([`state`]), the named reports ([`reports`]).
//!
//! The state of a change log is its rows with their diffs summed, kept where positive:
//!
//! ```
//! use datafusion::arrow::array::{Int64Array, RecordBatch, StringArray};
//! use wenflow_queries::state::state_sql;
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! // `a` inserted at epoch 1 and updated at epoch 2 (retracted and inserted again).
//! let log = RecordBatch::try_from_iter([
//!     ("doc_id", std::sync::Arc::new(StringArray::from(vec!["a", "a", "a"])) as _),
//!     ("title", std::sync::Arc::new(StringArray::from(vec!["old", "old", "new"])) as _),
//!     ("time", std::sync::Arc::new(Int64Array::from(vec![1, 2, 2])) as _),
//!     ("diff", std::sync::Arc::new(Int64Array::from(vec![1, -1, 1])) as _),
//! ])?;
//! let ctx = wenflow_queries::session();
//! ctx.register_batch("documents_log", log)?;
//! let sql = state_sql("documents_log", &["doc_id", "title"], Some(2));
//! let batches = wenflow_queries::run_sql(&ctx, &sql).await?;
//! let text = wenflow_queries::format_batches(&batches, wenflow_queries::OutputFormat::Csv)?;
//! assert_eq!(text, "doc_id,title,diff\na,new,1\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod error;
mod files;
mod format;
pub mod reports;
pub mod state;
mod tables;

pub use error::{QueryError, Result};
pub use format::{OutputFormat, format_batches};
pub use tables::{
    Registered, Tables, data_url, is_table, query_log, query_output, register_tables, register_tables_as_of, run_sql,
    session,
};

#[cfg(test)]
mod testing;
