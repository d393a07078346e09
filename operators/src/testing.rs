//! Helpers shared by the operators' oracle tests.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use differential_dataflow::VecCollection;
use differential_dataflow::input::Input;
use timely::dataflow::operators::Probe;
use wenflow_engine::Document;

/// A small deterministic generator (xorshift64) for random operation sequences.
pub(crate) struct XorShift(u64);

impl XorShift {
    /// A generator with a non-zero seed.
    pub(crate) fn new(seed: u64) -> Self {
        XorShift(seed.max(1))
    }

    /// A number in `0..n`.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The shape of a random operation sequence.
#[derive(Clone, Copy)]
pub(crate) struct Ops {
    /// Epochs to run.
    pub epochs: u64,
    /// Distinct document ids (`d0`, `d1`, …).
    pub ids: u64,
    /// At most this many operations per epoch.
    pub max_ops: u64,
    /// An operation (re)inserts its document unless a draw below this number is 0.
    pub insert_odds: u64,
    /// Seed of the generator of the first run; the others take the next [`SEEDS`] − 1.
    pub seed: u64,
}

/// Random sequences each oracle test runs, each with 1 and with 2 workers: many short runs
/// rather than one long one, as differential's own reference tests do.
pub(crate) const SEEDS: u64 = 16;

/// Oracle test driver: runs `build` on random inserts, updates and deletes of documents
/// made by `make`, and after every epoch checks that the accumulated output is a set (every
/// multiplicity 0 or 1) equal to `expected`, computed from scratch over the live documents.
/// Each of [`SEEDS`] sequences runs with one worker and with two (`Config::process(2)`, the
/// documents inserted by worker 0 and exchanged by the operators), so an operator that
/// forgets to exchange by its key, or depends on which worker sees a record, fails.
pub(crate) fn oracle<O, M, E>(
    ops: Ops,
    build: for<'s> fn(VecCollection<'s, u64, Document>) -> VecCollection<'s, u64, O>,
    make: M,
    expected: E,
) where
    O: Ord + Clone + Debug + Send + 'static,
    M: Fn(String, &mut XorShift) -> Document + Send + Sync + 'static,
    E: Fn(&BTreeMap<String, Document>) -> BTreeSet<O> + Send + Sync + 'static,
{
    let (make, expected) = (Arc::new(make), Arc::new(expected));
    for seed in ops.seed..ops.seed + SEEDS {
        for workers in [1, 2] {
            let ops = Ops { seed, ..ops };
            let output: Arc<Mutex<BTreeMap<O, isize>>> = Arc::default();
            let (out, make, expected) = (output.clone(), make.clone(), expected.clone());
            timely::execute(timely::Config::process(workers), move |worker| {
                let index = worker.index();
                let sink = out.clone();
                let (mut input, probe) = worker.dataflow::<u64, _, _>(|scope| {
                    let (input, docs) = scope.new_collection::<Document, isize>();
                    let (probe, _) = build(docs)
                        .inspect(move |(row, _, diff)| {
                            *sink.lock().expect("lock").entry(row.clone()).or_default() += diff
                        })
                        .inner
                        .probe();
                    (input, probe)
                });
                // Every worker draws the same sequence; worker 0 feeds it.
                let mut live: BTreeMap<String, Document> = BTreeMap::new();
                let mut rng = XorShift::new(ops.seed);
                for epoch in 1..ops.epochs {
                    for _ in 0..rng.below(ops.max_ops) + 1 {
                        let id = format!("d{}", rng.below(ops.ids));
                        if let Some(old) = live.remove(&id)
                            && index == 0
                        {
                            input.remove(old);
                        }
                        if rng.below(ops.insert_odds) != 0 {
                            let doc = make(id.clone(), &mut rng);
                            if index == 0 {
                                input.insert(doc.clone());
                            }
                            live.insert(id, doc);
                        }
                    }
                    input.advance_to(epoch);
                    input.flush();
                    worker.step_while(|| probe.less_than(&epoch));
                    if index == 0 {
                        let got: BTreeSet<O> = {
                            let o = out.lock().expect("lock");
                            assert!(o.values().all(|d| *d == 0 || *d == 1), "multiplicities stay 0 or 1");
                            o.iter().filter(|(_, d)| **d == 1).map(|(r, _)| r.clone()).collect()
                        };
                        assert_eq!(got, expected(&live), "seed {seed}, {workers} worker(s), epoch {epoch}");
                    }
                }
            })
            .expect("timely")
            .join()
            .into_iter()
            .for_each(|r| r.expect("a worker failed"));
            assert!(!output.lock().expect("lock").is_empty(), "seed {seed}: the sequence produced no output at all");
        }
    }
}
