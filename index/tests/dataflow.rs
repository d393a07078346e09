//! The index sink inside a timely dataflow: random inserts, updates and deletes over many
//! epochs, two workers, three shards; after every epoch the index holds exactly the live
//! documents, and an epoch becomes visible only once the tables' commit frontier passes it.

use std::collections::BTreeMap;
use std::sync::Arc;

use differential_dataflow::input::{Input, InputSession};
use timely::dataflow::operators::{Input as TimelyInput, Probe};
use timely::dataflow::{InputHandleVec, ProbeHandle};
use wenflow_engine::{Document, EntityKind, EntityRow, Shared};
use wenflow_index::{IndexLayout, IndexTarget, MergeMode, SearchRequest, ShardedSearcher, index_epochs};

const EPOCHS: u64 = 30;
const IDS: u64 = 10;
const LINES: [&str; 4] = ["床前明月光", "春眠不覺曉", "白日依山盡", "千山鳥飛絕"];

struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// A version of document `id`: a line, a version word `v<n>` and, for some, an era year.
fn version(id: u64, n: u64) -> (Document, Option<EntityRow>) {
    let doc = Document {
        doc_id: format!("d{id}"),
        text: format!("{}。v{n}", LINES[(n % 4) as usize]),
        dynasty: Some("唐".into()),
        ..Document::default()
    };
    let era = n.is_multiple_of(3).then(|| EntityRow {
        doc_id: doc.doc_id.clone(),
        kind: EntityKind::EraDate,
        text: String::new(),
        norm: String::new(),
        year: Some(600 + n as i32),
        start: 0,
        end: 0,
        confidence_ppm: 1_000_000,
        ambiguous: false,
    });
    (doc, era)
}

/// What the index must hold: doc_id → version.
type Live = BTreeMap<String, u64>;

fn check(dir: &std::path::Path, live: &Live, epoch: u64, committed: Option<u64>, retired: &[u64]) {
    let s = ShardedSearcher::open(dir).expect("open index");
    assert_eq!(s.epoch(), committed, "epoch {epoch}: the last epoch that changed something, on every shard");
    let (total, all) = s.top_ids(&SearchRequest::new("*", 100)).expect("all");
    let mut got: Vec<String> = all.into_iter().map(|(_, id)| id).collect();
    got.sort();
    let want: Vec<String> = live.keys().cloned().collect();
    assert_eq!(got, want, "epoch {epoch}: the live documents");
    assert_eq!(total as usize, live.len());
    for (id, n) in live {
        let (_, hits) = s.top_ids(&SearchRequest::new(format!("v{n}"), 10)).expect("version");
        let found: Vec<String> = hits.into_iter().map(|(_, i)| i).collect();
        assert_eq!(found, std::slice::from_ref(id), "epoch {epoch}: v{n}");
        if n.is_multiple_of(3) {
            let mut req = SearchRequest::new(format!("v{n}"), 10);
            let y = 600 + *n as i64;
            req.filters.years = Some((std::ops::Bound::Included(y), std::ops::Bound::Included(y)));
            assert_eq!(s.top_ids(&req).expect("year").0, 1, "epoch {epoch}: year of v{n}");
        }
    }
    for n in retired {
        let (total, _) = s.top_ids(&SearchRequest::new(format!("v{n}"), 10)).expect("retired");
        assert_eq!(total, 0, "epoch {epoch}: retired version v{n} is gone");
    }
}

/// The index sink's inputs in a dataflow of `worker`: documents, mentions, the epoch
/// markers and the tables' commits, and a probe of the sink's commits.
type Sink = (
    InputSession<u64, Shared<Document>, isize>,
    InputSession<u64, EntityRow, isize>,
    InputHandleVec<u64, u64>,
    InputHandleVec<u64, u64>,
    ProbeHandle<u64>,
);

fn sink(worker: &mut timely::worker::Worker, target: IndexTarget) -> Sink {
    worker.dataflow::<u64, _, _>(|scope| {
        let (docs_in, docs) = scope.new_collection::<Shared<Document>, isize>();
        let (mentions_in, mentions) = scope.new_collection::<EntityRow, isize>();
        let (epochs_in, epochs) = scope.new_input::<Vec<u64>>();
        let (commits_in, commits) = scope.new_input::<Vec<u64>>();
        let (probe, _) = index_epochs(docs, mentions, epochs, commits, target).probe();
        (docs_in, mentions_in, epochs_in, commits_in, probe)
    })
}

#[test]
fn the_index_follows_inserts_updates_and_deletes() {
    run(MergeMode::AtEnd);
}

/// The same with tantivy's background merges (for jobs that never end).
#[test]
fn the_index_follows_inserts_updates_and_deletes_with_background_merges() {
    run(MergeMode::Background);
}

fn run(merge: MergeMode) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().to_path_buf();
    let layout = Arc::new(IndexLayout::open_or_create(&root, 3, true).expect("layout"));
    let target = IndexTarget::new(layout, "job", merge);
    let dir_after = root.clone();
    // A worker that fails an assertion sets `failed` as it unwinds, and the other stops
    // waiting for it instead of hanging.
    let failed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    struct Abort(Arc<std::sync::atomic::AtomicBool>);
    impl Drop for Abort {
        fn drop(&mut self) {
            if std::thread::panicking() {
                self.0.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
    }
    timely::execute(timely::Config::process(2), move |worker| {
        let index = worker.index();
        let _abort = Abort(failed.clone());
        let failed = failed.clone();
        let ok = move || {
            let failed = failed.load(std::sync::atomic::Ordering::SeqCst);
            assert!(!failed, "the other worker failed");
            true
        };
        let target = target.clone();
        let staged = target.staged.clone();
        let (mut docs, mut mentions, mut epochs, mut commits, probe) = sink(worker, target);
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut live: BTreeMap<String, (u64, Document, Option<EntityRow>)> = BTreeMap::new();
        let mut next = 1u64;
        // Epoch `e`'s updates are at time `e`.
        docs.advance_to(1);
        mentions.advance_to(1);
        epochs.advance_to(1);
        commits.advance_to(1);
        // The last epoch that changed something: a quiet epoch commits nothing to the index,
        // as the tables commit nothing for it.
        let mut last_changed: Option<u64> = None;
        for epoch in 1..EPOCHS {
            let mut retired = Vec::new();
            let previous = last_changed;
            // Every worker draws the same changes (so each knows which epochs are quiet);
            // worker 0 feeds them.
            let feed = index == 0;
            for _ in 0..=rng.below(4) {
                let id = rng.below(IDS);
                if let Some((n, old, era)) = live.remove(&format!("d{id}")) {
                    if feed {
                        docs.remove(Shared::new(old));
                        if let Some(e) = era {
                            mentions.remove(e);
                        }
                    }
                    retired.push(n);
                    last_changed = Some(epoch);
                }
                if rng.below(4) != 0 {
                    let (doc, era) = version(id, next);
                    if feed {
                        docs.insert(Shared::new(doc.clone()));
                        if let Some(e) = era.clone() {
                            mentions.insert(e);
                        }
                    }
                    live.insert(doc.doc_id.clone(), (next, doc, era));
                    next += 1;
                    last_changed = Some(epoch);
                }
            }
            epochs.send(epoch);
            docs.advance_to(epoch + 1);
            mentions.advance_to(epoch + 1);
            epochs.advance_to(epoch + 1);
            docs.flush();
            mentions.flush();
            // The data of the epoch is complete and applied to every shard; the tables have
            // not committed it yet.
            worker.step_while(|| ok() && !staged.all_applied(epoch));
            // Every worker checks, so that a failure stops both rather than leaving one
            // waiting for the other.
            let s = ShardedSearcher::open(&root).expect("open index");
            assert_eq!(s.epoch(), previous, "epoch {epoch} is not visible before the tables commit it");
            // The tables commit the epoch, unless nothing was in it (every worker hears it,
            // as the pipeline broadcasts the committer's output).
            if last_changed == Some(epoch) {
                commits.send(epoch);
            }
            commits.advance_to(epoch + 1);
            worker.step_while(|| ok() && probe.less_than(&(epoch + 1)));
            if index == 0 {
                let state: Live = live.iter().map(|(id, (n, _, _))| (id.clone(), *n)).collect();
                check(&root, &state, epoch, last_changed, &retired);
            }
        }
        assert!(last_changed.is_some_and(|e| e > EPOCHS / 2), "the draws change most epochs");
        drop((docs, mentions, epochs, commits));
        worker.step_while(|| ok() && !probe.done());
    })
    .expect("timely")
    .join()
    .into_iter()
    .for_each(|r| r.expect("a worker failed"));
    let s = ShardedSearcher::open(&dir_after).expect("open index");
    if merge == MergeMode::AtEnd {
        assert_eq!(s.segments(), 3, "once the input is exhausted every shard is merged into one segment");
    } else {
        assert!(s.segments() >= 3, "at least one segment per shard");
    }
    assert!(s.epoch().is_some_and(|e| e > EPOCHS / 2), "the last epoch that changed something");
}

/// The tests that read the failures of the process (`fatal::take_failures`), one at a time.
static FAILING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `body` on one timely worker, on a thread of its own, with the target of a new
/// one-shard index and that shard's directory; returns whether the worker succeeded and
/// the failures the process reported. The worker must end within 120 s, not hang.
fn run_failing<F>(body: F) -> (Vec<bool>, Vec<String>)
where
    F: Fn(&mut timely::worker::Worker, IndexTarget, &std::path::Path) + Send + Sync + 'static,
{
    let _one_at_a_time = FAILING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = Arc::new(IndexLayout::open_or_create(dir.path(), 1, true).expect("layout"));
    let shard_dir = layout.shard_dir(0);
    let target = IndexTarget::new(layout, "job", MergeMode::AtEnd);
    let (done_tx, done) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let outcome = timely::execute(timely::Config::thread(), move |worker| body(worker, target.clone(), &shard_dir))
            .map(|guards| guards.join().into_iter().map(|r| r.is_ok()).collect::<Vec<_>>());
        let _ = done_tx.send(outcome.map_err(|e| e.to_string()));
    });
    let joined = done.recv_timeout(std::time::Duration::from_secs(120)).expect("the worker ended, not hung");
    (joined.expect("timely started"), wenflow_engine::fatal::take_failures())
}

/// The shards are written on a thread of the operator's own; a commit that fails there
/// (here: the shard's directory is gone) ends the worker with the error, rather than
/// leaving the dataflow waiting for a commit that never comes.
#[test]
fn a_failed_index_commit_ends_the_worker_with_its_error() {
    let (joined, failures) = run_failing(|worker, target, shard_dir| {
        let staged = target.staged.clone();
        let (mut docs, mut mentions, mut epochs, mut commits, probe) = sink(worker, target);
        for input in [&mut epochs, &mut commits] {
            input.advance_to(1);
        }
        docs.advance_to(1);
        mentions.advance_to(1);
        docs.insert(Shared::new(version(1, 1).0));
        epochs.send(1);
        docs.advance_to(2);
        mentions.advance_to(2);
        epochs.advance_to(2);
        docs.flush();
        mentions.flush();
        worker.step_while(|| !staged.all_applied(1));
        // Moved away whole, while tantivy may still be writing into it.
        std::fs::rename(shard_dir, shard_dir.with_extension("gone")).expect("move the shard away");
        commits.send(1);
        commits.advance_to(2);
        worker.step_while(|| probe.less_than(&2));
    });
    assert_eq!(joined, vec![false], "the worker failed");
    assert!(
        failures.iter().any(|m| m.contains("committing index shard 0 for epoch 1 failed")),
        "the commit's error is the worker's: {failures:?}"
    );
}

/// When the merge at the end of a batch job fails, the worker ends with the merge's own
/// error (the thread's result), not a vaguer one.
#[test]
fn a_failed_final_merge_ends_the_worker_with_its_error() {
    let (joined, failures) = run_failing(|worker, target, shard_dir| {
        let (mut docs, mut mentions, mut epochs, mut commits, probe) = sink(worker, target);
        // Two committed epochs: two segments, which the end of the job merges.
        for epoch in 1..=2u64 {
            for input in [&mut epochs, &mut commits] {
                input.advance_to(epoch);
            }
            docs.advance_to(epoch);
            mentions.advance_to(epoch);
            docs.insert(Shared::new(version(epoch, epoch).0));
            epochs.send(epoch);
            commits.send(epoch);
            docs.advance_to(epoch + 1);
            mentions.advance_to(epoch + 1);
            for input in [&mut epochs, &mut commits] {
                input.advance_to(epoch + 1);
            }
            docs.flush();
            mentions.flush();
            worker.step_while(|| probe.less_than(&(epoch + 1)));
        }
        std::fs::rename(shard_dir, shard_dir.with_extension("gone")).expect("move the shard away");
        docs.close();
        mentions.close();
        epochs.close();
        commits.close();
        worker.step_while(|| !probe.done());
    });
    assert!(joined.iter().all(|ok| !ok), "the worker failed");
    assert!(
        failures
            .iter()
            .any(|m| m.contains("merging index shard 0 failed") || m.contains("closing index shard 0 failed")),
        "the merge's own error ends the worker: {failures:?}"
    );
}
