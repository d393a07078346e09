//! The entities stage as dataflow operators: mentions per document, and documents per
//! entity maintained incrementally.

use std::borrow::Borrow;

use differential_dataflow::VecCollection;
use wenflow_engine::{Document, EntityCount, EntityKind, EntityRow, Epoch};

use super::era_date::find_era_dates;

/// Pure core: the entity rows of one document (so far: reign-era dates, one row per
/// candidate year).
pub fn document_entities(doc: &Document) -> Vec<EntityRow> {
    let mut rows = Vec::new();
    for d in find_era_dates(&doc.text, doc.dynasty.as_deref()) {
        // Resolved by the text or metadata: high confidence; ambiguous: split evenly.
        let confidence_ppm = if d.ambiguous { 1_000_000 / d.years.len().max(1) as u32 } else { 950_000 };
        for &year in &d.years {
            rows.push(EntityRow {
                doc_id: doc.doc_id.clone(),
                kind: EntityKind::EraDate,
                text: d.text.clone(),
                norm: d.norm.clone(),
                year: Some(year),
                start: d.start as u32,
                end: d.end as u32,
                confidence_ppm,
                ambiguous: d.ambiguous,
            });
        }
    }
    rows
}

/// Entity mentions of every document (or `Shared` document); follows retractions.
pub fn entities<'s, D>(docs: VecCollection<'s, Epoch, D>) -> VecCollection<'s, Epoch, EntityRow>
where
    D: Borrow<Document> + Clone + 'static,
{
    docs.flat_map(|d| document_entities(d.borrow()))
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

    use super::*;
    use crate::testing::{Ops, oracle};

    fn counts<'s>(docs: VecCollection<'s, Epoch, Document>) -> VecCollection<'s, Epoch, EntityCount> {
        entity_counts(entities(docs))
    }

    /// Oracle test: random inserts, updates and deletes of documents; after every epoch
    /// the accumulated counts equal a count from scratch over the live documents.
    #[test]
    fn entity_counts_follow_inserts_and_deletes() {
        const TEXTS: [&str; 6] =
            ["貞觀三年，", "開元元年。洪武元年", "洪武元年春", "天下太平", "康熙六十一年", "開元元年、開元元年"];
        let ops = Ops { epochs: 50, ids: 12, max_ops: 5, insert_odds: 3, seed: 0x2545_F491_4F6C_DD1D };
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
                let mut docs: BTreeMap<(EntityKind, String), BTreeSet<&str>> = BTreeMap::new();
                for d in live.values() {
                    for e in document_entities(d) {
                        docs.entry((e.kind, e.norm)).or_default().insert(&d.doc_id);
                    }
                }
                docs.into_iter()
                    .map(|((kind, norm), ids)| EntityCount { kind, norm, documents: ids.len() as i64 })
                    .collect()
            },
        );
    }

    #[test]
    fn ambiguous_dates_have_a_row_per_year() {
        let doc = Document { doc_id: "d".into(), text: "乾祐三年".into(), ..Document::default() };
        let rows = document_entities(&doc);
        assert_eq!(rows.iter().map(|r| r.year).collect::<Vec<_>>(), vec![Some(950), Some(1172)]);
        assert!(rows.iter().all(|r| r.ambiguous && r.kind == EntityKind::EraDate));
    }
}
