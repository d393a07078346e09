//! Document identity: one live version per `doc_id`, like a primary key.
//!
//! Records are exchanged by `doc_id` hash. Each epoch is resolved once its updates are
//! complete, in input-plan order ([`SourcePos`](crate::SourcePos)): the first record that
//! claims a free `doc_id` owns it; a later record that claims an owned id is rejected and
//! becomes a `failures` row (stage `identity`), so each input stays accounted for.
//! Retracting the owner frees the id (an update is a retraction and an insertion of the
//! same id in one epoch); retracting a rejected record retracts its failure row. Rejected
//! records are not promoted later: they were refused, not queued.
//!
//! The operator keeps only `doc_id → position` per owned id — never the text — so its
//! memory is a few dozen bytes per document, whatever the documents' size.

use std::collections::HashMap;

use differential_dataflow::{Hashable, VecCollection};

use crate::Epoch;
use crate::ordered::in_epoch_order;
use crate::record::{Document, Failure, Shared, SourcePos, Stage};
use crate::split::split_results;

fn rejected(doc: &Document) -> Failure {
    let error = format!("doc_id {:?} is already taken by an earlier input record", doc.doc_id);
    Failure::new(doc.source.clone(), Some(doc.doc_id.clone()), Stage::Identity, error, doc.pos)
}

/// Splits `docs` into the owning version of each `doc_id` and failures for the others.
/// Owners come out [`Shared`]: the stages after this one read them without copying.
pub fn resolve_ids<'s>(
    docs: VecCollection<'s, Epoch, Document>,
) -> (VecCollection<'s, Epoch, Shared<Document>>, VecCollection<'s, Epoch, Failure>) {
    let mut owners: HashMap<String, SourcePos> = HashMap::new();
    let resolved = in_epoch_order(
        docs,
        "ResolveIds",
        |d: &Document| d.doc_id.hashed(),
        move |_epoch,
              updates: &mut Vec<(Document, isize)>,
              output: &mut Vec<(Result<Shared<Document>, Failure>, isize)>| {
            differential_dataflow::consolidation::consolidate(updates);
            // Retractions first (they free ids), then claims in input order.
            updates.sort_by_key(|(doc, diff)| (diff.signum(), doc.pos));
            for (doc, diff) in updates.drain(..) {
                if diff < 0 {
                    if owners.get(&doc.doc_id) == Some(&doc.pos) {
                        owners.remove(&doc.doc_id);
                        output.push((Ok(Shared::new(doc)), diff));
                    } else {
                        output.push((Err(rejected(&doc)), diff));
                    }
                } else if owners.contains_key(&doc.doc_id) {
                    output.push((Err(rejected(&doc)), diff));
                } else {
                    owners.insert(doc.doc_id.clone(), doc.pos);
                    if diff > 1 {
                        output.push((Err(rejected(&doc)), diff - 1));
                    }
                    output.push((Ok(Shared::new(doc)), 1));
                }
            }
        },
    );
    split_results(resolved)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};

    use differential_dataflow::input::Input;
    use timely::dataflow::operators::probe::Probe;

    use super::*;

    fn doc(id: &str, unit: u64, text: &str) -> Document {
        Document {
            doc_id: id.into(),
            source: format!("f{unit}"),
            text: text.into(),
            pos: SourcePos { unit, index: 0 },
            ..Default::default()
        }
    }

    #[test]
    fn first_claimant_wins_and_retraction_frees_the_id() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen2 = seen.clone();
        timely::execute(timely::Config::process(2), move |worker| {
            let seen = seen2.clone();
            let (mut input, probe) = worker.dataflow::<u64, _, _>(|scope| {
                let (input, docs) = scope.new_collection::<Document, isize>();
                let (ok, err) = resolve_ids(docs);
                let ok = ok.map(|d| format!("ok {} {}", d.doc_id, d.source));
                let err = err.map(|f| format!("err {} {}", f.doc_id.unwrap_or_default(), f.source));
                let (probe, _) = ok
                    .concat(err)
                    .inspect(move |(s, t, d)| seen.lock().expect("lock").push((s.clone(), *t, *d)))
                    .inner
                    .probe();
                (input, probe)
            });
            if worker.index() == 0 {
                input.insert(doc("a", 2, "x"));
                input.insert(doc("a", 1, "y"));
                input.insert(doc("b", 3, "z"));
            }
            input.advance_to(1);
            input.flush();
            worker.step_while(|| probe.less_than(&1));
            if worker.index() == 1 {
                // An update of `a`: its owner leaves, a new version arrives in the same epoch.
                input.remove(doc("a", 1, "y"));
                input.insert(doc("a", 4, "w"));
                // A rejected record withdrawn: its failure row goes.
                input.remove(doc("a", 2, "x"));
            }
            input.advance_to(2);
            input.flush();
            worker.step_while(|| probe.less_than(&2));
        })
        .expect("timely");
        let mut seen = seen.lock().expect("lock").clone();
        seen.sort();
        assert_eq!(
            seen,
            vec![
                ("err a f2".to_string(), 0, 1),
                ("err a f2".to_string(), 1, -1),
                ("ok a f1".to_string(), 0, 1),
                ("ok a f1".to_string(), 1, -1),
                ("ok a f4".to_string(), 1, 1),
                ("ok b f3".to_string(), 0, 1),
            ]
        );
    }

    /// An output record: owner (or failure), `doc_id`, input unit.
    type Row = (bool, String, u64);

    /// The resolution a sequential reading gives: each epoch's updates consolidated,
    /// retractions first (an owner leaving frees its id, a rejected record leaving takes its
    /// failure with it), then claims in input-plan order.
    #[derive(Default)]
    struct Model {
        owners: BTreeMap<String, u64>,
        rejected: std::collections::BTreeSet<(String, u64)>,
    }

    impl Model {
        fn apply(&mut self, epoch: &BTreeMap<(String, u64), isize>) {
            for ((id, unit), _) in epoch.iter().filter(|(_, d)| **d < 0) {
                if self.owners.get(id) == Some(unit) {
                    self.owners.remove(id);
                } else {
                    self.rejected.remove(&(id.clone(), *unit));
                }
            }
            let mut claims: Vec<&(String, u64)> = epoch.iter().filter(|(_, d)| **d > 0).map(|(k, _)| k).collect();
            claims.sort_by_key(|(_, unit)| *unit);
            for (id, unit) in claims {
                if self.owners.contains_key(id) {
                    self.rejected.insert((id.clone(), *unit));
                } else {
                    self.owners.insert(id.clone(), *unit);
                }
            }
        }

        /// `(owner?, doc_id, unit)` of every record in the output.
        fn rows(&self) -> Vec<Row> {
            let mut rows: Vec<_> = self.owners.iter().map(|(id, u)| (true, id.clone(), *u)).collect();
            rows.extend(self.rejected.iter().map(|(id, u)| (false, id.clone(), *u)));
            rows.sort();
            rows
        }
    }

    /// Oracle: random claims and withdrawals of a few ids, fed by whichever worker a record
    /// hashes to, over 16 seeds with one worker and with two; after every epoch the owners
    /// and the failures equal the sequential model's.
    #[test]
    fn resolution_matches_a_sequential_model_over_random_updates() {
        for seed in 1..=16u64 {
            for workers in [1, 2] {
                let out: Arc<Mutex<BTreeMap<Row, isize>>> = Arc::default();
                let sink = out.clone();
                timely::execute(timely::Config::process(workers), move |worker| {
                    let (index, peers) = (worker.index() as u64, worker.peers() as u64);
                    let sink = sink.clone();
                    let (mut input, probe) = worker.dataflow::<u64, _, _>(|scope| {
                        let (input, docs) = scope.new_collection::<Document, isize>();
                        let (ok, err) = resolve_ids(docs);
                        let ok = ok.map(|d| (true, d.doc_id.clone(), d.pos.unit));
                        let err = err.map(|f| (false, f.doc_id.unwrap_or_default(), f.pos.unit));
                        let sink = sink.clone();
                        let (probe, _) = ok
                            .concat(err)
                            .inspect(move |(r, _, d)| *sink.lock().expect("lock").entry(r.clone()).or_default() += d)
                            .inner
                            .probe();
                        (input, probe)
                    });
                    // Every worker draws the same sequence and feeds its share of it.
                    let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
                    let mut draw = |n: u64| {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        rng % n
                    };
                    let mut live: Vec<(String, u64)> = Vec::new();
                    let mut model = Model::default();
                    for epoch in 1..30u64 {
                        let mut updates: BTreeMap<(String, u64), isize> = BTreeMap::new();
                        for _ in 0..=draw(6) {
                            if !live.is_empty() && draw(3) == 0 {
                                let (id, unit) = live.swap_remove(draw(live.len() as u64) as usize);
                                *updates.entry((id, unit)).or_default() -= 1;
                            } else {
                                // Units are unique and their order is not the order of arrival.
                                let record = (format!("d{}", draw(5)), draw(1000) * 1000 + epoch * 10 + draw(10));
                                if !live.contains(&record) && !updates.contains_key(&record) {
                                    live.push(record.clone());
                                    *updates.entry(record).or_default() += 1;
                                }
                            }
                        }
                        updates.retain(|_, d| *d != 0);
                        for ((id, unit), diff) in &updates {
                            if (unit + id.len() as u64) % peers == index {
                                input.update(doc(id, *unit, "t"), *diff);
                            }
                        }
                        model.apply(&updates);
                        input.advance_to(epoch);
                        input.flush();
                        worker.step_while(|| probe.less_than(&epoch));
                        if index == 0 {
                            let o = sink.lock().expect("lock");
                            assert!(o.values().all(|d| *d == 0 || *d == 1), "seed {seed}: multiplicities stay 0 or 1");
                            let got: Vec<_> = o.iter().filter(|(_, d)| **d == 1).map(|(r, _)| r.clone()).collect();
                            assert_eq!(got, model.rows(), "seed {seed}, {peers} worker(s), epoch {epoch}");
                        }
                    }
                })
                .expect("timely");
                assert!(
                    out.lock().expect("lock").keys().any(|(owner, _, _)| !owner),
                    "seed {seed}: no id was contested"
                );
            }
        }
    }
}
