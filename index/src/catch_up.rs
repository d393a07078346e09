//! Bringing shards up to the tables before the dataflow starts.
//!
//! The tables are the source of truth and the index a view of them that commits after
//! them. A shard that lags the tables — a crash between the tables' commit of an epoch and
//! the index's, an index deleted by hand, an output first written with `--no-index` — is
//! brought up to date by replaying the committed change log of the epochs it lacks, one
//! epoch and one commit at a time (so an interrupted catch-up continues where it stopped).

use wenflow_engine::{Document, EntityRow, Epoch};

use crate::error::{IndexError, Result};
use crate::shards::{IndexLayout, ShardWriter};

/// The committed changes of one epoch, as the tables' change logs hold them.
#[derive(Clone, Debug, Default)]
pub struct EpochChanges {
    /// Document versions with their diffs.
    pub docs: Vec<(Document, isize)>,
    /// Entity mentions with their diffs.
    pub mentions: Vec<(EntityRow, isize)>,
}

/// What a catch-up did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CaughtUp {
    /// Epochs replayed.
    pub epochs: u64,
    /// Documents added.
    pub added: u64,
    /// Documents deleted.
    pub deleted: u64,
}

/// Brings the `owned` shards of `layout` to epoch `upto` (the last epoch every table
/// holds; `None` when they hold nothing), replaying the epochs from `first` on that a
/// shard lacks with `read`. Fails when a shard holds an epoch the tables do not.
pub fn catch_up<F>(
    layout: &IndexLayout,
    owned: &[usize],
    job_id: &str,
    first: Epoch,
    upto: Option<Epoch>,
    mut read: F,
) -> Result<CaughtUp>
where
    F: FnMut(Epoch) -> std::result::Result<EpochChanges, String>,
{
    let mut writers: Vec<ShardWriter> =
        owned.iter().map(|s| ShardWriter::open(layout, *s, job_id)).collect::<Result<_>>()?;
    // The writer that follows (the dataflow's) decides when segments merge.
    for w in &writers {
        w.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
    }
    let mut done = CaughtUp::default();
    for w in &writers {
        if let Some(c) = w.committed()
            && upto.is_none_or(|u| c > u)
        {
            return Err(IndexError::Layout {
                path: layout.shard_dir(w.shard).display().to_string(),
                message: format!(
                    "the shard holds epoch {c} but the tables hold {}; delete the index directory to rebuild it from the tables",
                    upto.map_or_else(|| "none".to_owned(), |u| u.to_string())
                ),
            });
        }
    }
    let Some(upto) = upto else {
        return finish(writers, done);
    };
    let from = writers.iter().map(|w| w.committed().map_or(first, |c| c + 1)).min().unwrap_or(upto + 1);
    for epoch in from..=upto {
        let changes = read(epoch).map_err(|message| IndexError::Replay { epoch, message })?;
        done.epochs += 1;
        for w in writers.iter_mut().filter(|w| w.committed().is_none_or(|c| c < epoch)) {
            let mine = |id: &str| layout.shard_of(id) == w.shard;
            let docs: Vec<(&Document, isize)> =
                changes.docs.iter().filter(|(d, _)| mine(&d.doc_id)).map(|(d, r)| (d, *r)).collect();
            let mentions: Vec<(&EntityRow, isize)> =
                changes.mentions.iter().filter(|(m, _)| mine(&m.doc_id)).map(|(m, r)| (m, *r)).collect();
            let applied = w.apply(&docs, &mentions)?;
            w.commit(epoch)?;
            done.added += applied.added;
            done.deleted += applied.deleted;
        }
    }
    finish(writers, done)
}

fn finish(writers: Vec<ShardWriter>, done: CaughtUp) -> Result<CaughtUp> {
    for w in writers {
        w.finish()?;
    }
    Ok(done)
}

/// Opens (creating when missing) the index at `home` for a job run by
/// `processes` processes of `workers` workers, and brings the shards process `process`
/// writes up to the last epoch every table holds (`resume - 1`), replaying what they lack
/// with `read`. Only process 0 creates the index. Returns the dataflow's target.
pub fn open_for_job<F>(
    home: &crate::shards::IndexHome,
    (process, workers, processes): (usize, usize, usize),
    job_id: &str,
    first: Epoch,
    resume: Epoch,
    merge: crate::MergeMode,
    read: F,
) -> Result<crate::IndexTarget>
where
    F: FnMut(Epoch) -> std::result::Result<EpochChanges, String>,
{
    let peers = workers * processes;
    let layout = IndexLayout::open_for_writing(home, peers, process == 0)?;
    let local = process * workers..(process + 1) * workers;
    let owned: Vec<usize> = local.flat_map(|w| layout.owned(w, peers)).collect();
    let upto = (resume > first).then(|| resume - 1);
    let started = std::time::Instant::now();
    let caught = catch_up(&layout, &owned, job_id, first, upto, read)?;
    if caught.epochs > 0 {
        tracing::info!(
            epochs = caught.epochs,
            added = caught.added,
            deleted = caught.deleted,
            elapsed_s = started.elapsed().as_secs_f64(),
            "index caught up with the committed tables"
        );
    }
    Ok(crate::IndexTarget::new(std::sync::Arc::new(layout), job_id, merge))
}
