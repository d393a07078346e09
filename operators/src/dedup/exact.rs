//! Exact duplicates: a differential reduce keyed by content hash.

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
pub fn exact_duplicates<'s>(docs: VecCollection<'s, Epoch, Document>) -> VecCollection<'s, Epoch, DuplicateRow> {
    docs.map(|d| (d.content_hash, d.doc_id))
        .reduce_named(
            "ExactDuplicates",
            |_hash, input: &[(&String, isize)], output: &mut Vec<(DuplicateRow, isize)>| {
                let members: Vec<&str> = input.iter().filter(|(_, n)| *n > 0).map(|(id, _)| id.as_str()).collect();
                output.extend(exact_clusters(&members).into_iter().map(|r| (r, 1)));
            },
        )
        .map(|(_hash, row)| row)
}

#[cfg(test)]
mod tests {
    use super::*;

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
