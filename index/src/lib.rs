//! wenflow's full-text index: tantivy shards built inside the dataflow, and search over
//! them.
//!
//! - [`analyzer`]: the CJK-aware tokenizer registered as [`analyzer::CJK_ANALYZER`].
//! - [`schema`]: the fields, and the index document of a wenflow document.
//! - [`shards`]: the layout under `<out>/index/`, routing by `doc_id`, the shard writer.
//! - [`dataflow`]: the index sink, which commits each epoch after the tables.
//! - [`catch_up`]: replaying committed epochs a shard lacks from the tables.
//! - [`remote`]: the index in an object store, published with each commit, cached locally.
//! - [`search`]: one global BM25 ranking over all shards, filters, snippets.
//!
//! Inside a job the dataflow writes the shards ([`index_epochs`]); outside, a shard can be
//! written by hand and searched, in either script:
//!
//! ```
//! use wenflow_engine::Document;
//! use wenflow_index::shards::ShardWriter;
//! use wenflow_index::{IndexLayout, SearchRequest, ShardedSearcher};
//!
//! let out = tempfile::tempdir()?;
//! let layout = IndexLayout::open_or_create(out.path(), 1, true)?;
//! let poem = Document {
//!     doc_id: "jys".into(),
//!     title: Some("靜夜思".into()),
//!     text: "床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。".into(),
//!     ..Document::default()
//! };
//! let mut shard = ShardWriter::open(&layout, 0, "job")?;
//! shard.apply::<&Document>(&[(&poem, 1)], &[])?;
//! shard.commit(1)?;
//! shard.finish()?;
//!
//! let searcher = ShardedSearcher::open(out.path())?;
//! let hits = searcher.search(&SearchRequest::new("举头望明月", 10))?;
//! assert_eq!(hits.hits[0].doc_id, "jys");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod analyzer;
pub mod catch_up;
pub mod dataflow;
pub mod error;
pub mod remote;
pub mod schema;
pub mod search;
pub mod shards;

pub use catch_up::{CaughtUp, EpochChanges, catch_up, open_for_job};
pub use dataflow::{IndexTarget, MergeMode, ShardCommit, Staged, index_epochs};
pub use error::{IndexError, Result};
pub use remote::RemoteIndex;
pub use search::{Filters, Hit, SearchRequest, SearchResults, ShardedSearcher, Snippet, parse_years};
pub use shards::{INDEX_DIR, IndexHome, IndexLayout};
