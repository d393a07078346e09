//! The corpus a server reads: the output root's tables as of their last whole epoch and
//! its index, re-read when a job commits more.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use datafusion::prelude::SessionContext;
use wenflow_connectors::store::Location;
use wenflow_index::{INDEX_DIR, IndexLayout, RemoteIndex, SearchRequest, ShardedSearcher};
use wenflow_queries::Tables;

use crate::{Result, ServeError};

/// One consistent reading of the output root: every table registered as of `epoch`, and
/// the index as it was when the reading was made.
pub struct View {
    /// The tables: `<name>` current state, `<name>_log` change log.
    pub ctx: SessionContext,
    /// The epoch the tables show: the last every table has committed.
    pub epoch: u64,
    /// The table names (without `_log`).
    pub tables: Vec<String>,
    /// Documents in the current state.
    pub documents: u64,
    /// The index, if the root has one.
    pub searcher: Option<Arc<ShardedSearcher>>,
}

impl std::fmt::Debug for View {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("View").field("epoch", &self.epoch).field("tables", &self.tables).finish_non_exhaustive()
    }
}

/// The output root a server reads, and its current [`View`].
pub struct Corpus {
    data: String,
    index_cache: Option<PathBuf>,
    /// Memory the queries of one reading may hold (bytes).
    memory: usize,
    tables: tokio::sync::Mutex<Reader>,
    view: RwLock<Arc<View>>,
}

/// The tables, and what a refresh has to finish.
struct Reader {
    tables: Tables,
    /// A table moved since the view was built (set until a new view is in place, so a
    /// refresh that failed half-way is done again).
    dirty: bool,
    /// Sessions of past epochs (`as_of`), kept until the tables move.
    past: Vec<(u64, SessionContext)>,
}

/// Past epochs' sessions kept.
const PAST_KEPT: usize = 4;

impl std::fmt::Debug for Corpus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Corpus").field("data", &self.data).finish_non_exhaustive()
    }
}

impl Corpus {
    /// Opens the output root `data` (a folder or `s3://bucket/prefix`); the queries of a
    /// reading may hold `memory` bytes, beyond which a query fails rather than the server.
    pub async fn open(data: String, index_cache: Option<PathBuf>, memory: usize) -> Result<Corpus> {
        let tables = Tables::open(Path::new(&data)).await?;
        let searcher = searcher(&data, index_cache.clone()).await;
        let view = build(&tables, searcher, memory).await?;
        let reader = Reader { tables, dirty: false, past: Vec::new() };
        Ok(Corpus {
            data,
            index_cache,
            memory,
            tables: tokio::sync::Mutex::new(reader),
            view: RwLock::new(Arc::new(view)),
        })
    }

    /// The current reading.
    pub fn view(&self) -> Arc<View> {
        Arc::clone(&self.view.read().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Reads what jobs committed since the last call: a new [`View`] when a table moved or
    /// the index is behind the tables. Returns whether the view changed.
    pub async fn refresh(&self) -> Result<bool> {
        let mut reader = self.tables.lock().await;
        // Set until a new view is in place: a table that moved and an update or build that
        // then failed make the next refresh build again.
        let pending = std::mem::replace(&mut reader.dirty, true);
        let updated = reader.tables.update().await?;
        if updated {
            reader.past.clear();
        }
        let moved = updated || pending;
        let current = self.view();
        // An index behind the tables is looked at again; a root without an index only when
        // the tables move.
        let index_behind = current.searcher.as_ref().is_some_and(|s| s.epoch().unwrap_or(0) < current.epoch);
        if !moved && !index_behind {
            reader.dirty = false;
            return Ok(false);
        }
        let searcher = searcher(&self.data, self.index_cache.clone()).await;
        let index_moved = match (&searcher, &current.searcher) {
            (Some(new), Some(old)) => new.epoch() != old.epoch() || new.num_docs() != old.num_docs(),
            (a, b) => a.is_some() != b.is_some(),
        };
        if !moved && !index_moved {
            reader.dirty = false;
            return Ok(false);
        }
        let view = build(&reader.tables, searcher, self.memory).await?;
        tracing::info!(epoch = view.epoch, "new epoch read");
        *self.view.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(view);
        reader.dirty = false;
        Ok(true)
    }
}

impl Corpus {
    /// A session with the tables as they were after epoch `epoch`.
    pub async fn view_as_of(&self, epoch: u64) -> Result<SessionContext> {
        let mut reader = self.tables.lock().await;
        if let Some((_, ctx)) = reader.past.iter().find(|(e, _)| *e == epoch) {
            return Ok(ctx.clone());
        }
        let ctx = session(self.memory);
        reader.tables.register(&ctx, Some(epoch)).await?;
        if reader.past.len() >= PAST_KEPT {
            reader.past.remove(0);
        }
        reader.past.push((epoch, ctx.clone()));
        Ok(ctx)
    }
}

/// Refreshes `corpus` every `interval`, logging what fails (a store down for a while) and
/// going on with the last view.
pub(crate) async fn refresh_forever(corpus: Arc<Corpus>, interval: Duration) {
    loop {
        tokio::time::sleep(interval).await;
        if let Err(e) = corpus.refresh().await {
            tracing::warn!(error = %e, "re-reading the output failed; serving the last epoch read");
        }
    }
}

/// A session whose queries together may hold `memory` bytes.
fn session(memory: usize) -> SessionContext {
    let runtime = datafusion::execution::runtime_env::RuntimeEnvBuilder::new()
        .with_memory_limit(memory, 1.0)
        .build_arc()
        .unwrap_or_else(|_| Arc::new(datafusion::execution::runtime_env::RuntimeEnv::default()));
    SessionContext::new_with_config_rt(datafusion::prelude::SessionConfig::new(), runtime)
}

async fn build(tables: &Tables, searcher: Option<Arc<ShardedSearcher>>, memory: usize) -> Result<View> {
    let ctx = session(memory);
    let registered = tables.register(&ctx, None).await?;
    let documents = if registered.names.iter().any(|n| n == "documents") {
        // Live documents by key: the state of `documents` would group every column, text too.
        let counted = wenflow_queries::run_sql(
            &ctx,
            "SELECT count(*) FROM (SELECT doc_id FROM documents_log GROUP BY doc_id HAVING sum(diff) > 0)",
        )
        .await?;
        counted
            .first()
            .and_then(|b| b.column(0).as_any().downcast_ref::<arrow::array::Int64Array>())
            .map_or(0, |a| a.value(0).max(0) as u64)
    } else {
        0
    };
    Ok(View { ctx, epoch: registered.epoch, tables: registered.names, documents, searcher })
}

/// The index of `data`, or `None` (logged) when it has none or it cannot be read now.
async fn searcher(data: &str, cache: Option<PathBuf>) -> Option<Arc<ShardedSearcher>> {
    let data = data.to_owned();
    match tokio::task::spawn_blocking(move || open_index(&data, cache)).await {
        Ok(Ok(searcher)) => Some(Arc::new(searcher)),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "no index to search");
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, "opening the index failed");
            None
        }
    }
}

/// Opens the index of an output root (or of its `index` folder): a local folder, or one in
/// an object store pulled into `cache` (default under `~/.cache/wenflow/index`). Blocks.
pub fn open_index(index: &str, cache: Option<PathBuf>) -> Result<ShardedSearcher> {
    let location = Location::parse(index).map_err(|e| ServeError::Location(e.to_string()))?;
    let Location::S3 { bucket, prefix } = &location else {
        return Ok(ShardedSearcher::open(Path::new(index))?);
    };
    let store = |l: &Location| l.store().map_err(|e| ServeError::Location(e.to_string()));
    // The output root, or its `index` folder.
    let root = match prefix.rsplit_once('/').map_or(("", prefix.as_str()), |(p, last)| (p, last)) {
        (parent, INDEX_DIR) => {
            let parent = Location::S3 { bucket: bucket.clone(), prefix: parent.to_owned() };
            let probe = RemoteIndex::new(store(&parent)?, format!("{parent}/{INDEX_DIR}"));
            if probe.exists()? { parent } else { location.clone() }
        }
        _ => location.clone(),
    };
    let url = format!("{root}/{INDEX_DIR}");
    let cache = cache.unwrap_or_else(|| wenflow_index::remote::default_cache(&url));
    let layout = IndexLayout::pull_for_reading(&RemoteIndex::new(store(&root)?, url), &cache)?;
    Ok(ShardedSearcher::open(&layout.dir)?)
}

/// Runs `request` and renders it as `wenflow search --format json` does.
pub fn search_json(searcher: &ShardedSearcher, request: &SearchRequest) -> Result<serde_json::Value> {
    let started = Instant::now();
    let results = searcher.search(request)?;
    let took_ms = started.elapsed().as_secs_f64() * 1e3;
    let hits: Vec<serde_json::Value> = results
        .hits
        .iter()
        .enumerate()
        .map(|(i, h)| {
            serde_json::json!({
                "rank": i + 1, "doc_id": h.doc_id, "score": h.score, "title": h.title, "author": h.author,
                "collection": h.collection, "dynasty": h.dynasty, "snippet": h.snippet.text,
                "highlights": h.snippet.highlights, "shard": h.shard,
            })
        })
        .collect();
    Ok(serde_json::json!({
        "query": request.query, "total": results.total, "took_ms": took_ms, "shards": searcher.shards(),
        "documents": searcher.num_docs(), "epoch": searcher.epoch(), "hits": hits,
    }))
}
