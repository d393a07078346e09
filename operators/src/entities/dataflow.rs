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
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};

    use differential_dataflow::input::Input;
    use timely::dataflow::operators::Probe;

    use super::*;

    /// Oracle test: random inserts and deletes of documents; after every epoch the
    /// accumulated counts equal a count from scratch over the live documents.
    #[test]
    fn entity_counts_follow_inserts_and_deletes() {
        let texts =
            ["貞觀三年，", "開元元年。洪武元年", "洪武元年春", "天下太平", "康熙六十一年", "開元元年、開元元年"];
        let output: Arc<Mutex<BTreeMap<EntityCount, isize>>> = Arc::default();
        let out = output.clone();
        timely::execute_directly(move |worker| {
            let out2 = out.clone();
            let (mut input, probe) = worker.dataflow::<u64, _, _>(|scope| {
                let (input, docs) = scope.new_collection::<Document, isize>();
                let (probe, _) = entity_counts(entities(docs))
                    .inspect(move |(c, _, d)| *out2.lock().expect("lock").entry(c.clone()).or_default() += d)
                    .inner
                    .probe();
                (input, probe)
            });
            let mut live: BTreeMap<String, Document> = BTreeMap::new();
            let mut rng = crate::testing::XorShift::new(0x2545_F491_4F6C_DD1Du64);
            let mut next = move |n: u64| rng.below(n);
            for epoch in 1..50u64 {
                for _ in 0..next(5) + 1 {
                    let id = format!("d{}", next(12));
                    if let Some(old) = live.remove(&id) {
                        input.remove(old);
                    }
                    if next(3) != 0 {
                        let text = texts[next(texts.len() as u64) as usize];
                        let doc = Document {
                            doc_id: id.clone(),
                            text: text.into(),
                            dynasty: Some("唐".into()),
                            ..Document::default()
                        };
                        input.insert(doc.clone());
                        live.insert(id, doc);
                    }
                }
                input.advance_to(epoch);
                input.flush();
                worker.step_while(|| probe.less_than(&epoch));

                let mut expected: BTreeMap<(EntityKind, String), std::collections::BTreeSet<String>> = BTreeMap::new();
                for d in live.values() {
                    for e in document_entities(d) {
                        expected.entry((e.kind, e.norm)).or_default().insert(e.doc_id);
                    }
                }
                let expected: BTreeMap<EntityCount, isize> = expected
                    .into_iter()
                    .map(|((kind, norm), docs)| (EntityCount { kind, norm, documents: docs.len() as i64 }, 1))
                    .collect();
                let got: BTreeMap<EntityCount, isize> =
                    out.lock().expect("lock").iter().filter(|(_, n)| **n != 0).map(|(c, n)| (c.clone(), *n)).collect();
                assert_eq!(got, expected, "epoch {epoch}");
            }
        });
    }

    #[test]
    fn ambiguous_dates_have_a_row_per_year() {
        let doc = Document { doc_id: "d".into(), text: "乾祐三年".into(), ..Document::default() };
        let rows = document_entities(&doc);
        assert_eq!(rows.iter().map(|r| r.year).collect::<Vec<_>>(), vec![Some(950), Some(1172)]);
        assert!(rows.iter().all(|r| r.ambiguous && r.kind == EntityKind::EraDate));
    }
}
