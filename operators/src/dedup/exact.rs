//! Exact duplicates: a differential reduce keyed by content hash.

use std::borrow::Borrow;

use differential_dataflow::VecCollection;
use wenflow_engine::{Document, DuplicateKind, DuplicateRow, Epoch};

/// Pure core: given the `doc_id`s that share one content hash (sorted, distinct), the
/// cluster rows — none for a single document, else one per member, cluster id the minimum.
pub fn exact_clusters(members: &[&str]) -> Vec<DuplicateRow> {
    if members.len() < 2 {
        return Vec::new();
    }
    let cluster = members.iter().min().map(|s| s.to_string()).unwrap_or_default();
    members
        .iter()
        .map(|m| DuplicateRow {
            doc_id: m.to_string(),
            cluster_id: cluster.clone(),
            kind: DuplicateKind::Exact,
            similarity_ppm: 1_000_000,
        })
        .collect()
}

/// Rows of the `duplicates` table for documents with identical content (kind `exact`).
/// Takes documents or anything that borrows as one (a `Shared` document).
pub fn exact_duplicates<'s, D>(docs: VecCollection<'s, Epoch, D>) -> VecCollection<'s, Epoch, DuplicateRow>
where
    D: Borrow<Document> + Clone + 'static,
{
    docs.map(|d| {
        let d: &Document = d.borrow();
        (d.content_hash.clone(), d.doc_id.clone())
    })
    .reduce_named("ExactDuplicates", |_hash, input: &[(&String, isize)], output: &mut Vec<(DuplicateRow, isize)>| {
        let members: Vec<&str> = input.iter().filter(|(_, n)| *n > 0).map(|(id, _)| id.as_str()).collect();
        output.extend(exact_clusters(&members).into_iter().map(|r| (r, 1)));
    })
    .map(|(_hash, row)| row)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::{Arc, Mutex};

    use differential_dataflow::input::Input;
    use timely::dataflow::operators::Probe;

    use super::*;

    /// Oracle test: random inserts, updates and deletes; after every epoch the accumulated
    /// output equals the clusters computed from scratch over the live documents.
    #[test]
    fn incremental_clusters_match_a_recomputation() {
        let output: Arc<Mutex<BTreeMap<DuplicateRow, isize>>> = Arc::default();
        let out = output.clone();
        timely::execute_directly(move |worker| {
            let out2 = out.clone();
            let (mut input, probe) = worker.dataflow::<u64, _, _>(|scope| {
                let (input, docs) = scope.new_collection::<Document, isize>();
                let (probe, _) = exact_duplicates(docs)
                    .inspect(move |(row, _, diff)| *out2.lock().expect("lock").entry(row.clone()).or_default() += diff)
                    .inner
                    .probe();
                (input, probe)
            });
            let mut live: BTreeMap<String, Document> = BTreeMap::new();
            let mut rng = crate::testing::XorShift::new(0x9E37_79B9_7F4A_7C15u64);
            let mut next = move |n: u64| rng.below(n);
            for epoch in 1..60u64 {
                for _ in 0..next(8) + 1 {
                    let id = format!("d{}", next(30));
                    if let Some(old) = live.remove(&id) {
                        input.remove(old);
                    }
                    if next(4) != 0 {
                        let doc = Document {
                            doc_id: id.clone(),
                            content_hash: format!("h{}", next(6)),
                            ..Document::default()
                        };
                        input.insert(doc.clone());
                        live.insert(id, doc);
                    }
                }
                input.advance_to(epoch);
                input.flush();
                worker.step_while(|| probe.less_than(&epoch));

                let mut by_hash: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
                for d in live.values() {
                    by_hash.entry(&d.content_hash).or_default().insert(&d.doc_id);
                }
                let expected: BTreeSet<DuplicateRow> =
                    by_hash.values().flat_map(|ids| exact_clusters(&ids.iter().copied().collect::<Vec<_>>())).collect();
                let got: BTreeSet<DuplicateRow> = {
                    let o = out.lock().expect("lock");
                    assert!(o.values().all(|d| *d == 0 || *d == 1), "multiplicities stay 0 or 1");
                    o.iter().filter(|(_, d)| **d == 1).map(|(r, _)| r.clone()).collect()
                };
                assert_eq!(got, expected, "epoch {epoch}");
            }
        });
        assert!(!output.lock().expect("lock").is_empty());
    }

    #[test]
    fn singletons_are_not_clusters() {
        assert!(exact_clusters(&["a"]).is_empty());
    }

    #[test]
    fn cluster_id_is_the_smallest_member() {
        let rows = exact_clusters(&["b", "a", "c"]);
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|r| r.cluster_id == "a" && r.kind == DuplicateKind::Exact));
    }
}
