//! wenflow's full-text index: tantivy shards built inside the dataflow, and search over
//! them.
//!
//! - [`analyzer`]: the CJK-aware tokenizer registered as [`analyzer::CJK_ANALYZER`].
//! - [`schema`]: the fields, and the index document of a wenflow document.
//! - [`shards`]: the layout under `<out>/index/`, routing by `doc_id`, the shard writer.
//! - [`dataflow`]: the index sink, which commits each epoch after the tables.
//! - [`catch_up`]: replaying committed epochs a shard lacks from the tables.
//! - [`search`]: one global BM25 ranking over all shards, filters, snippets.

pub mod analyzer;
pub mod catch_up;
pub mod dataflow;
pub mod error;
pub mod schema;
pub mod search;
pub mod shards;

pub use catch_up::{CaughtUp, EpochChanges, catch_up};
pub use dataflow::{IndexTarget, MergeMode, ShardCommit, index_epochs};
pub use error::{IndexError, Result};
pub use search::{Filters, Hit, SearchRequest, SearchResults, ShardedSearcher, Snippet, parse_years};
pub use shards::{INDEX_DIR, IndexLayout};
