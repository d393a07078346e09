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
//! - The shards of a worker are written on a thread of their own, which carries out the
//!   operator's commands in order: stage an epoch, commit it, merge and close. Indexing an
//!   epoch and waiting for its commit thus overlap the worker's work on the next epoch
//!   (the source reads at most one epoch ahead of the index's commits). The thread stages
//!   the next epoch right after it committed the last one.
//!
//! - Segments are merged once the input is exhausted ([`MergeMode::AtEnd`], for batch
//!   jobs) or in the background by tantivy's log merge policy ([`MergeMode::Background`]).
//!
//! An index error is fatal for the job, as a table write error is: the worker panics with
//! the message and no later epoch is committed.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::sync::mpsc::TryRecvError;

use differential_dataflow::VecCollection;
use differential_dataflow::consolidation::consolidate;
use serde::{Deserialize, Serialize};
use timely::container::CapacityContainerBuilder;
use timely::dataflow::StreamVec;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::vec::Map;
use timely::dataflow::operators::{Capability, Concat, Exchange};
use timely::scheduling::SyncActivator;
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

/// What the index operator asks of the thread that owns its worker's shards. The thread
/// carries the commands out in order, so an epoch's `Commit` covers exactly what the
/// `Apply` before it staged.
enum Command {
    /// Stage one epoch's updates (not yet consolidated) in every shard that lacks it.
    Apply { epoch: Epoch, docs: Vec<(Shared<Document>, isize)>, mentions: Vec<(EntityRow, isize)> },
    /// Commit, as `epoch`, every shard the last `Apply` staged.
    Commit { epoch: Epoch },
    /// Merge every shard (for [`MergeMode::AtEnd`]) and close it.
    Finish,
}

/// An epoch's commit, as the thread reports it: the only reply. The thread's error, if it
/// has one, is its result, which the operator gets by joining it.
type Committed = (Epoch, Vec<ShardCommit>);

/// The replies' sender, which wakes the operator after every reply and when the thread
/// ends, for whatever reason (an error, or a panic inside tantivy: the operator then finds
/// the channel closed and joins the thread instead of waiting for ever).
struct Replies {
    tx: Option<std::sync::mpsc::Sender<Committed>>,
    wake: SyncActivator,
}

impl Replies {
    fn send(&self, reply: Committed) -> bool {
        let sent = self.tx.as_ref().is_some_and(|tx| tx.send(reply).is_ok());
        let _ = self.wake.activate();
        sent
    }
}

impl Drop for Replies {
    fn drop(&mut self) {
        self.tx.take();
        let _ = self.wake.activate();
    }
}

/// The shards of one worker, written on a thread of their own: staging an epoch hands its
/// documents to tantivy's indexing thread, and a commit waits for that thread to write
/// its segment. Off the timely worker, neither wait stops the worker from cleaning,
/// deduplicating and writing the tables' parts of the next epoch.
struct ShardThread {
    writers: Vec<ShardWriter>,
    layout: Arc<IndexLayout>,
    staged: Arc<Staged>,
    merge: MergeMode,
    /// What the last `Apply` did to each writer (`None`: the shard already held the epoch).
    applied: Vec<Option<Applied>>,
}

impl ShardThread {
    fn run(mut self, commands: std::sync::mpsc::Receiver<Command>, replies: Replies) -> Result<(), String> {
        for command in commands {
            match command {
                Command::Apply { epoch, docs, mentions } => self.apply(epoch, docs, mentions)?,
                Command::Commit { epoch } => {
                    let commits = self.commit(epoch)?;
                    if !replies.send((epoch, commits)) {
                        break;
                    }
                }
                Command::Finish => return self.finish(),
            }
        }
        Ok(())
    }

    fn apply(
        &mut self,
        epoch: Epoch,
        mut docs: Vec<(Shared<Document>, isize)>,
        mut mentions: Vec<(EntityRow, isize)>,
    ) -> Result<(), String> {
        consolidate(&mut docs);
        consolidate(&mut mentions);
        let layout = &self.layout;
        let mut applied = Vec::with_capacity(self.writers.len());
        for w in &mut self.writers {
            if w.committed().is_some_and(|c| c >= epoch) {
                applied.push(None);
                continue;
            }
            let mine = |id: &str| layout.shard_of(id) == w.shard;
            let docs: Vec<(&Document, isize)> =
                docs.iter().filter(|(d, _)| mine(&d.doc_id)).map(|(d, r)| (&**d, *r)).collect();
            let mentions: Vec<(&EntityRow, isize)> =
                mentions.iter().filter(|(m, _)| mine(&m.doc_id)).map(|(m, r)| (m, *r)).collect();
            let a = w
                .apply(&docs, &mentions)
                .map_err(|e| format!("indexing epoch {epoch} into shard {} failed: {e}", w.shard))?;
            applied.push(Some(a));
        }
        for w in &self.writers {
            self.staged.set(w.shard, epoch);
        }
        self.applied = applied;
        Ok(())
    }

    fn commit(&mut self, epoch: Epoch) -> Result<Vec<ShardCommit>, String> {
        let mut commits = Vec::new();
        for (w, applied) in self.writers.iter_mut().zip(std::mem::take(&mut self.applied)) {
            let Some(applied) = applied else { continue };
            let started = std::time::Instant::now();
            w.commit(epoch).map_err(|e| format!("committing index shard {} for epoch {epoch} failed: {e}", w.shard))?;
            let commit_ms = started.elapsed().as_millis() as u64;
            tracing::debug!(
                shard = w.shard,
                epoch,
                added = applied.added,
                deleted = applied.deleted,
                commit_ms,
                "index shard committed"
            );
            commits.push(ShardCommit { shard: w.shard, epoch, applied, commit_ms });
        }
        Ok(commits)
    }

    fn finish(&mut self) -> Result<(), String> {
        let started = std::time::Instant::now();
        let merge_err = |shard: usize| move |e| format!("merging index shard {shard} failed: {e}");
        // Every shard's merge starts before any is waited for: a worker with several shards
        // (an index resumed with fewer workers) merges them side by side.
        let at_end = self.merge == MergeMode::AtEnd;
        let merges = self
            .writers
            .iter_mut()
            .map(|w| if at_end { w.start_merge_all().map_err(merge_err(w.shard)) } else { Ok(None) })
            .collect::<Result<Vec<_>, _>>()?;
        for (mut w, merge) in self.writers.drain(..).zip(merges) {
            let shard = w.shard;
            if let Some(merge) = merge {
                w.finish_merge(merge).map_err(merge_err(shard))?;
            }
            w.finish().map_err(|e| format!("closing index shard {shard} failed: {e}"))?;
            tracing::debug!(shard, merge_ms = started.elapsed().as_millis() as u64, "index shard closed");
        }
        Ok(())
    }
}

/// The operator's side of its [`ShardThread`].
struct ShardThreadHandle {
    worker: usize,
    commands: std::sync::mpsc::Sender<Command>,
    replies: std::sync::mpsc::Receiver<Committed>,
    thread: Option<std::thread::JoinHandle<Result<(), String>>>,
}

impl ShardThreadHandle {
    fn send(&mut self, command: Command) {
        if self.commands.send(command).is_err() {
            self.join_failed();
        }
    }

    /// The next commit the thread reports, if there is one yet.
    fn try_recv(&mut self) -> Option<Committed> {
        match self.replies.try_recv() {
            Ok(c) => Some(c),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => self.join_failed(),
        }
    }

    /// Merges and closes the shards, and waits for it; ends the worker if that failed.
    fn finish(&mut self) {
        self.send(Command::Finish);
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(Ok(()))) => {}
            ended => self.fail(ended),
        }
    }

    /// Ends the worker with the error of a thread that stopped before it was asked to.
    fn join_failed(&mut self) -> ! {
        let ended = self.thread.take().map(std::thread::JoinHandle::join);
        self.fail(ended)
    }

    /// Ends the worker with how its thread ended: its error, or its panic.
    fn fail(&self, ended: Option<std::thread::Result<Result<(), String>>>) -> ! {
        let worker = self.worker;
        match ended {
            Some(Ok(Err(message))) => wenflow_engine::fatal::fail(message),
            Some(Err(_)) => wenflow_engine::fatal::fail(format!("the index thread of worker {worker} panicked")),
            _ => wenflow_engine::fatal::fail(format!("the index thread of worker {worker} stopped unexpectedly")),
        }
    }
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
        move |cap, info| {
            drop(cap);
            let layout = target.layout.clone();
            let writers: Vec<ShardWriter> = layout
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
            let owned = ShardThread {
                writers,
                layout,
                staged: target.staged.clone(),
                merge: target.merge,
                applied: Vec::new(),
            };
            let (commands, commands_rx) = std::sync::mpsc::channel::<Command>();
            let (replies_tx, replies) = std::sync::mpsc::channel::<Committed>();
            let wake = scope.worker().sync_activator_for(info.address.to_vec());
            let replies_tx = Replies { tx: Some(replies_tx), wake };
            let thread = std::thread::Builder::new()
                .name(format!("wenflow-index-{worker}"))
                .spawn(move || owned.run(commands_rx, replies_tx))
                .unwrap_or_else(|e| {
                    wenflow_engine::fatal::fail(format!("starting the index thread of worker {worker} failed: {e}"))
                });
            let mut shards = ShardThreadHandle { worker, commands, replies, thread: Some(thread) };
            let mut stash: BTreeMap<Epoch, Batch> = BTreeMap::new();
            // The epoch the thread has staged, waiting for the tables to commit it.
            let mut waiting: Option<(Epoch, Capability<Epoch>)> = None;
            // Epochs whose commit the thread is carrying out, oldest first.
            let mut committing: VecDeque<(Epoch, Capability<Epoch>)> = VecDeque::new();
            let mut finished = false;
            // The epochs the tables hold; an epoch the frontier passes without being here was
            // quiet (nothing in it), and the index does not commit it either.
            let mut committed_epochs: BTreeSet<Epoch> = BTreeSet::new();
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
                if finished {
                    return;
                }
                while let Some((epoch, commits)) = shards.try_recv() {
                    let Some((_, cap)) = committing.pop_front().filter(|(e, _)| *e == epoch) else {
                        wenflow_engine::fatal::fail(format!(
                            "the index thread of worker {worker} committed epoch {epoch}, which it was not asked to"
                        ));
                    };
                    output.session(&cap).give_iterator(commits.into_iter());
                }
                loop {
                    if let Some((epoch, _)) = &waiting {
                        if committed.less_equal(epoch) {
                            break;
                        }
                        let Some((epoch, cap)) = waiting.take() else { break };
                        if committed_epochs.remove(&epoch) {
                            shards.send(Command::Commit { epoch });
                            committing.push_back((epoch, cap));
                        }
                    }
                    let Some((&epoch, _)) = stash.first_key_value() else { break };
                    if frontier.less_equal(&epoch) {
                        break;
                    }
                    let Some((_, batch)) = stash.pop_first() else { break };
                    shards.send(Command::Apply { epoch, docs: batch.docs, mentions: batch.mentions });
                    waiting = Some((epoch, batch.cap));
                }
                if frontier.is_empty()
                    && committed.is_empty()
                    && stash.is_empty()
                    && waiting.is_none()
                    && committing.is_empty()
                {
                    // The job's input is exhausted: the merges run now, and the job ends
                    // when they do.
                    finished = true;
                    shards.finish();
                }
            }
        },
    )
}
