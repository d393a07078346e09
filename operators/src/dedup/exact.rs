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

    use super::*;
    use crate::testing::{Ops, oracle};

    /// Oracle test: random inserts, updates and deletes; after every epoch the accumulated
    /// output equals the clusters computed from scratch over the live documents.
    #[test]
    fn incremental_clusters_match_a_recomputation() {
        let ops = Ops { epochs: 25, ids: 30, max_ops: 8, insert_odds: 4, seed: 0x9E37_79B9_7F4A_7C15 };
        oracle(
            ops,
            exact_duplicates::<Document>,
            |doc_id, rng| Document { doc_id, content_hash: format!("h{}", rng.below(6)), ..Document::default() },
            |live| {
                let mut by_hash: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
                for d in live.values() {
                    by_hash.entry(&d.content_hash).or_default().insert(&d.doc_id);
                }
                by_hash.values().flat_map(|ids| exact_clusters(&ids.iter().copied().collect::<Vec<_>>())).collect()
            },
        );
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
