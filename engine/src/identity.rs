//! Document identity: one live version per `doc_id`.
//!
//! Two input records that claim the same `doc_id` in a batch are a conflict in the input.
//! The record that comes first in the input plan ([`SourcePos`](crate::SourcePos)) wins;
//! every other becomes a `failures` row (stage `identity`), so each input is accounted
//! for. The operator is a differential reduce keyed by `doc_id` (records are exchanged by
//! `doc_id` hash here), so it stays correct under retractions: retracting the winner
//! promotes the next claimant.
//!
//! Documents sit in the reduce's input and output arrangements behind an `Arc`, so the
//! text is held once, not twice.

use differential_dataflow::VecCollection;

use crate::Epoch;
use crate::record::{Document, Failure, Shared, Stage};

/// Splits `docs` into the winning version of each `doc_id` and failures for the others.
pub fn resolve_ids<'s>(
    docs: VecCollection<'s, Epoch, Document>,
) -> (VecCollection<'s, Epoch, Document>, VecCollection<'s, Epoch, Failure>) {
    type Resolved = Result<Shared<Document>, Failure>;
    let resolved = docs.map(|d| (d.doc_id.clone(), Shared::new(d))).reduce_named(
        "ResolveIds",
        |_id, input: &[(&Shared<Document>, isize)], output: &mut Vec<(Resolved, isize)>| {
            let Some(winner) = input.iter().filter(|(_, n)| *n > 0).map(|(d, _)| *d).min_by_key(|d| d.pos) else {
                return;
            };
            output.push((Ok(winner.clone()), 1));
            for (doc, count) in input {
                let losers = if std::ptr::eq(*doc, winner) { *count - 1 } else { *count };
                if losers > 0 {
                    let error = format!("doc_id {:?} already taken by {}", doc.doc_id, winner.source);
                    let failure =
                        Failure::new(doc.source.clone(), Some(doc.doc_id.clone()), Stage::Identity, error, doc.pos);
                    output.push((Err(failure), losers));
                }
            }
        },
    );
    let (docs, failures) = crate::split::split_results(resolved.map(|(_, r)| r));
    (docs.map(Shared::into_inner), failures)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SourcePos;
    use differential_dataflow::input::Input;
    use std::sync::{Arc, Mutex};
    use timely::dataflow::operators::probe::Probe;

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
    fn first_claimant_wins_and_retraction_promotes_the_next() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen2 = seen.clone();
        timely::execute_directly(move |worker| {
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
            input.insert(doc("a", 2, "x"));
            input.insert(doc("a", 1, "y"));
            input.insert(doc("b", 3, "z"));
            input.advance_to(1);
            input.flush();
            worker.step_while(|| probe.less_than(&1));
            input.remove(doc("a", 1, "y"));
            input.advance_to(2);
            input.flush();
            worker.step_while(|| probe.less_than(&2));
        });
        let mut seen = seen.lock().expect("lock").clone();
        seen.sort();
        assert_eq!(
            seen,
            vec![
                ("err a f2".to_string(), 0, 1),
                ("err a f2".to_string(), 1, -1),
                ("ok a f1".to_string(), 0, 1),
                ("ok a f1".to_string(), 1, -1),
                ("ok a f2".to_string(), 1, 1),
                ("ok b f3".to_string(), 0, 1),
            ]
        );
    }
}
