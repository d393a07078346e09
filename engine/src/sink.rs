//! Frontier-driven, two-phase epoch commits.
//!
//! # Contract
//!
//! 1. **Write.** Each worker stashes the updates of every table by epoch. When the
//!    frontier of its input passes an epoch (no more updates for it can arrive), the worker
//!    consolidates them and writes them durably with its [`PartWriter`] — Parquet files
//!    that are *not yet visible* — and sends a [`Part`] describing what it wrote.
//! 2. **Commit.** Every part goes to worker 0. When the frontier of the parts passes an
//!    epoch, every worker has written everything for it, and the [`EpochCommitter`] makes
//!    all parts of the epoch visible at once (one Delta transaction per table, carrying the
//!    job id and epoch so that a repeated commit is refused). Only then does the commit
//!    operator release its capability for the epoch, so a probe after it reports *committed*
//!    epochs, which the driver uses to bound how far reading runs ahead.
//!
//! A crash between the two phases leaves unreferenced files and no visible change; the
//! restarted job re-runs the epoch. Writers and committers skip epochs that the output
//! already holds, which makes the whole protocol idempotent.

use std::collections::BTreeMap;

use differential_dataflow::VecCollection;
use differential_dataflow::consolidation::consolidate_updates;
use serde::{Deserialize, Serialize};
use timely::container::CapacityContainerBuilder;
use timely::dataflow::StreamVec;
use timely::dataflow::channels::pact::{Exchange, Pipeline};
use timely::dataflow::operators::Capability;
use timely::dataflow::operators::generic::Operator;

use crate::schema::TableRow;
use crate::{Epoch, Result};

/// What one worker wrote for one table and epoch: durable, not yet visible.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Part {
    /// The table the part belongs to.
    pub table: String,
    /// The epoch it holds updates of.
    pub epoch: Epoch,
    /// The worker that wrote it.
    pub worker: usize,
    /// Location of the data file, relative to the table root.
    pub path: String,
    /// Size of the data file in bytes.
    pub bytes: u64,
    /// Rows with `diff > 0` (counted with multiplicity).
    pub inserts: u64,
    /// Rows with `diff < 0` (counted with multiplicity).
    pub retracts: u64,
    /// Column statistics in the Delta `stats` JSON form, when the writer computed them.
    pub stats: Option<String>,
}

/// A message for the committer.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CommitMsg {
    /// A data file written for an epoch.
    Part(Part),
    /// Input records read for an epoch by one worker.
    Inputs {
        /// The epoch.
        epoch: Epoch,
        /// Records read.
        count: u64,
    },
}

/// Writes one worker's consolidated updates of one table and epoch durably.
pub trait PartWriter<R>: 'static {
    /// Writes `rows` (consolidated, non-empty, all of epoch `epoch`). Returns `None` when
    /// the epoch is already committed for this table and nothing was written.
    fn write(&mut self, epoch: Epoch, rows: &[(R, Epoch, i64)]) -> Result<Option<Part>>;
}

/// Makes every part of an epoch visible atomically. Runs on worker 0 only.
pub trait EpochCommitter: 'static {
    /// Commits `epoch` with `parts` (possibly none) and `inputs` records read. Returns
    /// whether the epoch is in the output: `false` for an epoch with nothing in it (no
    /// parts, no inputs: a stream's quiet epoch), which is not committed at all.
    /// Must be idempotent: committing an epoch the output already holds changes nothing.
    fn commit(&mut self, epoch: Epoch, parts: Vec<Part>, inputs: u64) -> Result<bool>;
    /// Called once, after the last epoch, when the input is exhausted.
    fn finish(&mut self) -> Result<()>;
}

/// One epoch's updates of a table, and the capability to send its part.
type Stashed<R> = (Capability<Epoch>, Vec<(R, Epoch, i64)>);

/// Stashes each epoch's updates of a table and writes them once the frontier passes it.
///
/// A write error is fatal for the job: the worker panics with the message, which the
/// runtime reports; no part of the epoch becomes visible.
pub fn write_epochs<'s, R, W>(
    rows: VecCollection<'s, Epoch, R, isize>,
    mut writer: W,
) -> StreamVec<'s, Epoch, CommitMsg>
where
    R: TableRow + Ord + Clone,
    W: PartWriter<R>,
{
    let name = format!("Write: {}", R::TABLE);
    rows.inner.unary_frontier(Pipeline, &name, move |_cap, _info| {
        let mut stash: BTreeMap<Epoch, Stashed<R>> = BTreeMap::new();
        move |(input, frontier), output| {
            input.for_each(|cap, data| {
                for (row, time, diff) in data.drain(..) {
                    let entry = stash.entry(time).or_insert_with(|| (cap.delayed(&time, 0), Vec::new()));
                    entry.1.push((row, time, diff as i64));
                }
            });
            while let Some((&epoch, _)) = stash.first_key_value() {
                if frontier.less_equal(&epoch) {
                    break;
                }
                let Some((_, (cap, mut rows))) = stash.pop_first() else {
                    break;
                };
                consolidate_updates(&mut rows);
                if rows.is_empty() {
                    continue;
                }
                match writer.write(epoch, &rows) {
                    Ok(Some(part)) => output.session(&cap).give(CommitMsg::Part(part)),
                    Ok(None) => {}
                    Err(e) => crate::fatal::fail(format!("writing {} for epoch {epoch} failed: {e}", R::TABLE)),
                }
            }
        }
    })
}

/// Sends every commit message to worker 0 and commits each epoch once the frontier passes
/// it. The returned stream carries the epochs the output holds (not the quiet ones), from
/// worker 0; its frontier is the first uncommitted epoch.
///
/// `committer` must be `Some` on worker 0 and is ignored elsewhere.
pub fn commit_epochs<'s, C: EpochCommitter>(
    msgs: StreamVec<'s, Epoch, CommitMsg>,
    mut committer: Option<C>,
) -> StreamVec<'s, Epoch, Epoch> {
    msgs.unary_frontier::<CapacityContainerBuilder<Vec<Epoch>>, _, _, _>(
        Exchange::new(|_: &CommitMsg| 0),
        "Commit",
        move |cap, _info| {
            let mut hold = Some(cap);
            let mut stash: BTreeMap<Epoch, (Vec<Part>, u64)> = BTreeMap::new();
            let mut finished = false;
            move |(input, frontier), output| {
                input.for_each(|_cap, data| {
                    for msg in data.drain(..) {
                        match msg {
                            CommitMsg::Part(p) => stash.entry(p.epoch).or_default().0.push(p),
                            CommitMsg::Inputs { epoch, count } => stash.entry(epoch).or_default().1 += count,
                        }
                    }
                });
                while let Some((&epoch, _)) = stash.first_key_value() {
                    if frontier.less_equal(&epoch) {
                        break;
                    }
                    let Some((_, (mut parts, inputs))) = stash.pop_first() else {
                        break;
                    };
                    parts.sort();
                    if let Some(c) = committer.as_mut() {
                        match c.commit(epoch, parts, inputs) {
                            Ok(true) => {
                                if let Some(h) = hold.as_ref() {
                                    output.session(h).give(epoch);
                                }
                            }
                            Ok(false) => {}
                            Err(e) => crate::fatal::fail(format!("committing epoch {epoch} failed: {e}")),
                        }
                    }
                }
                let done = frontier.frontier().is_empty();
                if done && !finished {
                    finished = true;
                    if let Some(c) = committer.as_mut()
                        && let Err(e) = c.finish()
                    {
                        crate::fatal::fail(format!("finishing the run failed: {e}"));
                    }
                }
                // Hold the capability at the first epoch not yet committed.
                match frontier.frontier().first() {
                    Some(t) => {
                        let next = stash.keys().next().map_or(*t, |s| (*s).min(*t));
                        if let Some(h) = hold.as_mut()
                            && h.time() < &next
                        {
                            h.downgrade(&next);
                        }
                    }
                    None if stash.is_empty() => hold = None,
                    None => {}
                }
            }
        },
    )
}
