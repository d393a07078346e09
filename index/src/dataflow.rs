//! The index sink: shards written inside the dataflow, committed after the tables.
//!
//! # Contract
//!
//! - Documents and their entity mentions are exchanged to the worker that owns their shard
//!   ([`IndexLayout::shard_of`]); a mention travels with its document because both are
//!   routed by `doc_id`.
//! - When the frontier of the input passes an epoch, its consolidated updates are applied
//!   to the shards (retractions delete by `doc_id`, insertions add), and nothing more
//!   is applied until that epoch is committed to the index.
//! - When the frontier of `committed` (the tables' commit stream: every worker receives
//!   the epochs the tables hold, and its frontier is the first epoch they have not
//!   committed) passes the epoch, every owned shard commits with the payload
//!   `{job_id, epoch}`, unless the tables did not commit the epoch because nothing was in
//!   it (a stream's quiet epoch): then neither does the index. The index thus never shows an epoch the
//!   tables do not hold; after a crash between the two it lags by at most that epoch,
//!   and [`catch_up`](crate::catch_up) replays it from the tables on restart.
//! - Epochs a shard already holds (its payload epoch or earlier) are skipped, which makes
//!   re-runs and resumes idempotent.
//! - `epochs` carries one marker per epoch on every worker, so a shard that receives no
//!   document in an epoch still records that it holds it.
//!
//! - Segments are merged once the input is exhausted ([`MergeMode::AtEnd`], for batch
//!   jobs) or in the background by tantivy's log merge policy ([`MergeMode::Background`]).
//!
//! An index error is fatal for the job, as a table write error is: the worker panics with
//! the message and no later epoch is committed.

use std::collections::BTreeMap;
use std::sync::Arc;

use differential_dataflow::VecCollection;
use differential_dataflow::consolidation::consolidate;
use serde::{Deserialize, Serialize};
use timely::container::CapacityContainerBuilder;
use timely::dataflow::StreamVec;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::vec::Map;
use timely::dataflow::operators::{Capability, Concat, Exchange};
use wenflow_engine::{Document, EntityRow, Epoch, Shared};

use crate::shards::{Applied, IndexLayout, ShardWriter};

/// What flows into the index operator.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum IndexItem {
    /// A document version.
    Doc(Shared<Document>),
    /// An entity mention of a document.
    Mention(EntityRow),
    /// An epoch exists (diff 0).
    Epoch,
}

/// One shard's commit of one epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardCommit {
    /// The shard.
    pub shard: usize,
    /// The epoch it now holds.
    pub epoch: Epoch,
    /// Documents added and deleted in the epoch.
    pub applied: Applied,
    /// Milliseconds the commit took.
    pub commit_ms: u64,
}

/// When the segments of a shard are merged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MergeMode {
    /// Not while the job runs; once its input is exhausted, every shard is merged into
    /// one segment. For batch jobs: each segment is written once and merged once, and
    /// queries probe one term dictionary per shard (measured: 4x faster span queries than
    /// the five segments tantivy's log merge policy leaves, for the same CPU time).
    #[default]
    AtEnd,
    /// tantivy's log merge policy, in the background: for jobs that never end.
    Background,
}

/// Where the index goes and whose it is.
#[derive(Clone, Debug)]
pub struct IndexTarget {
    /// The shards.
    pub layout: Arc<IndexLayout>,
    /// The job id every commit payload carries.
    pub job_id: String,
    /// When segments are merged.
    pub merge: MergeMode,
    /// The last epoch each shard has applied, committed or not.
    pub staged: Arc<Staged>,
}

impl IndexTarget {
    /// The target of the shards of `layout` for `job_id`.
    pub fn new(layout: Arc<IndexLayout>, job_id: impl Into<String>, merge: MergeMode) -> Self {
        let staged = Arc::new(Staged::new(layout.shards));
        IndexTarget { layout, job_id: job_id.into(), merge, staged }
    }
}

/// The last epoch each shard has applied to its writer, whether or not the tables have
/// committed it yet (the index commits it only after them): what a test of that order, or a
/// progress report, watches.
#[derive(Debug, Default)]
pub struct Staged(Vec<std::sync::atomic::AtomicU64>);

impl Staged {
    /// No epoch applied to any of `shards` shards.
    pub fn new(shards: usize) -> Self {
        Staged((0..shards).map(|_| std::sync::atomic::AtomicU64::new(0)).collect())
    }

    fn set(&self, shard: usize, epoch: Epoch) {
        if let Some(s) = self.0.get(shard) {
            s.fetch_max(epoch + 1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// Whether every shard has applied `epoch`.
    pub fn all_applied(&self, epoch: Epoch) -> bool {
        self.0.iter().all(|s| s.load(std::sync::atomic::Ordering::SeqCst) > epoch)
    }
}

/// An epoch's updates, waiting for the input frontier to pass it.
struct Batch {
    cap: Capability<Epoch>,
    docs: Vec<(Shared<Document>, isize)>,
    mentions: Vec<(EntityRow, isize)>,
}

/// An epoch applied to the shards, waiting for the tables to commit it.
struct Pending {
    epoch: Epoch,
    cap: Capability<Epoch>,
    applied: Vec<Option<Applied>>,
}

/// Indexes `docs` (with the facets and years of their `mentions`) into the shards of
/// `target`; see the module documentation. `committed` must reach every worker (broadcast
/// the committer's output). The returned stream reports each shard commit;
/// its frontier is the first epoch not yet committed to the index (nor to the tables).
pub fn index_epochs<'s>(
    docs: VecCollection<'s, Epoch, Shared<Document>>,
    mentions: VecCollection<'s, Epoch, EntityRow>,
    epochs: StreamVec<'s, Epoch, Epoch>,
    committed: StreamVec<'s, Epoch, Epoch>,
    target: IndexTarget,
) -> StreamVec<'s, Epoch, ShardCommit> {
    let scope = docs.scope();
    let (worker, peers) = (scope.index(), scope.peers());
    let layout = target.layout.clone();
    let route = move |(item, _, _): &(IndexItem, Epoch, isize)| match item {
        IndexItem::Doc(d) => layout.shard_of(&d.doc_id) as u64,
        IndexItem::Mention(m) => layout.shard_of(&m.doc_id) as u64,
        IndexItem::Epoch => 0,
    };
    let items = docs.map(IndexItem::Doc).concat(mentions.map(IndexItem::Mention)).inner.exchange(route);
    let markers = epochs.map(|e| (IndexItem::Epoch, e, 0isize));
    let input = items.concat(markers);

    input.binary_frontier::<_, CapacityContainerBuilder<Vec<ShardCommit>>, _, _, _, _>(
        committed,
        Pipeline,
        Pipeline,
        "Index",
        move |cap, _info| {
            drop(cap);
            let layout = target.layout.clone();
            let mut writers: Vec<ShardWriter> = layout
                .owned(worker, peers)
                .into_iter()
                .map(|s| ShardWriter::open(&layout, s, &target.job_id))
                .collect::<crate::Result<_>>()
                .unwrap_or_else(|e| {
                    wenflow_engine::fatal::fail(format!("opening the index shards of worker {worker} failed: {e}"))
                });
            if target.merge == MergeMode::AtEnd {
                for w in &writers {
                    w.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
                }
            }
            let merge = target.merge;
            let staged = target.staged.clone();
            let mut stash: BTreeMap<Epoch, Batch> = BTreeMap::new();
            let mut pending: Option<Pending> = None;
            let mut finished = false;
            // The epochs the tables hold; an epoch the frontier passes without being here was
            // quiet (nothing in it), and the index does not commit it either.
            let mut committed_epochs: std::collections::BTreeSet<Epoch> = std::collections::BTreeSet::new();
            move |(input, frontier), (commits, committed), output| {
                input.for_each(|cap, data| {
                    for (item, time, diff) in data.drain(..) {
                        let batch = stash.entry(time).or_insert_with(|| Batch {
                            cap: cap.delayed(&time, 0),
                            docs: Vec::new(),
                            mentions: Vec::new(),
                        });
                        match item {
                            IndexItem::Doc(d) => batch.docs.push((d, diff)),
                            IndexItem::Mention(m) => batch.mentions.push((m, diff)),
                            IndexItem::Epoch => {}
                        }
                    }
                });
                commits.for_each(|_, data| committed_epochs.extend(data.drain(..)));
                loop {
                    if let Some(p) = &pending {
                        if committed.less_equal(&p.epoch) {
                            break;
                        }
                        let Some(p) = pending.take() else { break };
                        if !committed_epochs.remove(&p.epoch) {
                            continue;
                        }
                        let mut session = output.session(&p.cap);
                        for (w, applied) in writers.iter_mut().zip(p.applied) {
                            let Some(applied) = applied else { continue };
                            let started = std::time::Instant::now();
                            if let Err(e) = w.commit(p.epoch) {
                                wenflow_engine::fatal::fail(format!(
                                    "committing index shard {} for epoch {} failed: {e}",
                                    w.shard, p.epoch
                                ));
                            }
                            let commit_ms = started.elapsed().as_millis() as u64;
                            tracing::debug!(
                                shard = w.shard,
                                epoch = p.epoch,
                                added = applied.added,
                                deleted = applied.deleted,
                                commit_ms,
                                "index shard committed"
                            );
                            session.give(ShardCommit { shard: w.shard, epoch: p.epoch, applied, commit_ms });
                        }
                    }
                    let Some((&epoch, _)) = stash.first_key_value() else { break };
                    if frontier.less_equal(&epoch) {
                        break;
                    }
                    let Some((_, mut batch)) = stash.pop_first() else { break };
                    consolidate(&mut batch.docs);
                    consolidate(&mut batch.mentions);
                    let applied = writers
                        .iter_mut()
                        .map(|w| {
                            if w.committed().is_some_and(|c| c >= epoch) {
                                return None;
                            }
                            let mine = |id: &str| layout.shard_of(id) == w.shard;
                            let docs: Vec<(&Document, isize)> =
                                batch.docs.iter().filter(|(d, _)| mine(&d.doc_id)).map(|(d, r)| (&**d, *r)).collect();
                            let mentions: Vec<(&EntityRow, isize)> =
                                batch.mentions.iter().filter(|(m, _)| mine(&m.doc_id)).map(|(m, r)| (m, *r)).collect();
                            match w.apply(&docs, &mentions) {
                                Ok(a) => Some(a),
                                Err(e) => wenflow_engine::fatal::fail(format!(
                                    "indexing epoch {epoch} into shard {} failed: {e}",
                                    w.shard
                                )),
                            }
                        })
                        .collect();
                    for w in &writers {
                        staged.set(w.shard, epoch);
                    }
                    pending = Some(Pending { epoch, cap: batch.cap, applied });
                }
                if !finished && frontier.is_empty() && committed.is_empty() && stash.is_empty() && pending.is_none() {
                    finished = true;
                    for mut w in writers.drain(..) {
                        let shard = w.shard;
                        let started = std::time::Instant::now();
                        if merge == MergeMode::AtEnd
                            && let Err(e) = w.merge_all()
                        {
                            wenflow_engine::fatal::fail(format!("merging index shard {shard} failed: {e}"));
                        }
                        if let Err(e) = w.finish() {
                            wenflow_engine::fatal::fail(format!("closing index shard {shard} failed: {e}"));
                        }
                        tracing::debug!(shard, merge_ms = started.elapsed().as_millis() as u64, "index shard closed");
                    }
                }
            }
        },
    )
}
