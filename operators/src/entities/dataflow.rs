//! The entities stage as dataflow operators: mentions per document, and documents per
//! entity maintained incrementally. The logic is in [`super::extract`].

use std::borrow::Borrow;
use std::sync::Arc;

use differential_dataflow::VecCollection;
use wenflow_engine::{Document, EntityCount, EntityRow, Epoch};

use super::extract::Extractor;

/// Entity mentions of every document (or `Shared` document); follows retractions.
pub fn entities<'s, D>(
    docs: VecCollection<'s, Epoch, D>,
    extractor: Arc<Extractor>,
) -> VecCollection<'s, Epoch, EntityRow>
where
    D: Borrow<Document> + Clone + 'static,
{
    docs.flat_map(move |d| extractor.document(d.borrow()))
}

/// Documents per entity `(kind, norm)`, maintained incrementally: a count changes by a
/// retraction of the old row and an insertion of the new one.
pub fn entity_counts<'s>(entities: VecCollection<'s, Epoch, EntityRow>) -> VecCollection<'s, Epoch, EntityCount> {
    entities
        .map(|e| (e.kind, e.norm, e.doc_id))
        .distinct()
        .map(|(kind, norm, _doc)| (kind, norm))
        .count()
        .map(|((kind, norm), documents)| EntityCount { kind, norm, documents: documents as i64 })
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use wenflow_engine::EntityKind;

    use super::*;
    use crate::testing::{Ops, oracle};

    fn counts<'s>(docs: VecCollection<'s, Epoch, Document>) -> VecCollection<'s, Epoch, EntityCount> {
        entity_counts(entities(docs, Arc::new(Extractor::builtin())))
    }

    /// Oracle test: random inserts, updates and deletes of documents; after every epoch
    /// the accumulated counts equal a count from scratch over the live documents.
    #[test]
    fn entity_counts_follow_inserts_and_deletes() {
        const TEXTS: [&str; 6] =
            ["貞觀三年，", "開元元年。洪武元年", "洪武元年春", "天下太平", "康熙六十一年", "開元元年、開元元年"];
        let ops = Ops { epochs: 20, ids: 12, max_ops: 5, insert_odds: 3, seed: 0x2545_F491_4F6C_DD1D };
        oracle(
            ops,
            counts,
            |doc_id, rng| Document {
                doc_id,
                text: TEXTS[rng.below(TEXTS.len() as u64) as usize].into(),
                dynasty: Some("唐".into()),
                ..Document::default()
            },
            |live| {
                let extractor = Extractor::builtin();
                let mut docs: BTreeMap<(EntityKind, String), BTreeSet<&str>> = BTreeMap::new();
                for d in live.values() {
                    for e in extractor.document(d) {
                        docs.entry((e.kind, e.norm)).or_default().insert(&d.doc_id);
                    }
                }
                docs.into_iter()
                    .map(|((kind, norm), ids)| EntityCount { kind, norm, documents: ids.len() as i64 })
                    .collect()
            },
        );
    }
}
