//! The entities stage as dataflow operators: mentions per document, and documents per
//! entity maintained incrementally.

use std::borrow::Borrow;
use std::sync::Arc;

use differential_dataflow::VecCollection;
use wenflow_engine::{Document, EntityCount, EntityKind, EntityRow, Epoch};

use super::era_date::find_era_dates;
use super::gazetteer::{Context, Gazetteer};

/// One reading of a mention (an ambiguous mention has several, all marked `ambiguous`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mention {
    /// What kind of entity.
    pub kind: EntityKind,
    /// The mention as written.
    pub text: String,
    /// Normal form.
    pub norm: String,
    /// The year, for dates.
    pub year: Option<i32>,
    /// First character (offset in characters).
    pub start: usize,
    /// One past the last character.
    pub end: usize,
    /// Confidence in millionths.
    pub confidence_ppm: u32,
    /// More than one reading remains.
    pub ambiguous: bool,
}

/// Verbs and words that mark the next name as a person's (送孟浩然, 寄李白, 懷舊 …).
const BEFORE_PERSON: &str = "送寄贈赠懷怀憶忆別别哭弔吊訪访逢問问謝谢酬呈示招答和與与同別";
/// Words that mark the previous name as a person's (李白曰, 謝公, 陶君 …).
const AFTER_PERSON: &str = "曰云公君兄弟侯生翁叟卿詩诗";
/// Words that make a one-character dynasty name a dynasty (唐朝, 宋人, 大唐, 皇宋 …; not
/// 有, which precedes every noun: 有新詩, 有金丹).
const AFTER_DYNASTY: &str = "朝代室世初末季時时人主帝宗祖";
const BEFORE_DYNASTY: &str = "大皇聖圣我";
/// Words that mark the next name as a place (至長安, 過洞庭, 歸故鄉 …).
const BEFORE_PLACE: &str = "至到過过入出歸归在於于向赴遊游登辭辞抵還还居守臨临";
/// Words that mark the previous name as a place (太平縣, 南山下 …).
const AFTER_PLACE: &str = "城縣县郡州山水江河關关府道鎮镇";

fn context_allows(context: Context, before: Option<char>, after: Option<char>) -> bool {
    let is_in = |c: Option<char>, set: &str| c.is_some_and(|c| set.contains(c));
    match context {
        Context::Any => true,
        Context::DynastyMark => is_in(after, AFTER_DYNASTY) || is_in(before, BEFORE_DYNASTY),
        Context::StrictDynastyMark => is_in(after, "代室季") || is_in(before, "皇"),
        Context::PersonMark => is_in(before, BEFORE_PERSON) || is_in(after, AFTER_PERSON),
        Context::PlaceMark => is_in(before, BEFORE_PLACE) || is_in(after, AFTER_PLACE),
    }
}

/// Pure core: the entity mentions of `text`. Reign-era dates come from the era
/// recogniser (resolved with `dynasty`, the document's dynasty, when the text does not say);
/// names from the gazetteer. Overlapping candidates resolve longest first (then leftmost,
/// then dates before names); a reading whose context rule fails is vetoed. A span with
/// several readings left gives a row per reading, each marked ambiguous.
pub fn find_entities(text: &str, dynasty: Option<&str>, gazetteer: &Gazetteer) -> Vec<Mention> {
    struct Candidate {
        start: usize,
        end: usize,
        date: Option<usize>,
        pattern: usize,
    }
    let dates = find_era_dates(text, dynasty);
    let names = gazetteer.find(text);
    if dates.is_empty() && names.is_empty() {
        return Vec::new();
    }
    let chars: Vec<char> = text.chars().collect();
    // Byte offset → character offset, for the automaton's matches.
    let mut char_at = vec![0u32; text.len() + 1];
    for (i, (b, _)) in text.char_indices().enumerate() {
        char_at[b] = i as u32;
    }
    char_at[text.len()] = chars.len() as u32;

    let mut candidates: Vec<Candidate> = dates
        .iter()
        .enumerate()
        .map(|(i, d)| Candidate { start: d.start, end: d.end, date: Some(i), pattern: 0 })
        .collect();
    for m in names {
        let (start, end) = (char_at[m.start] as usize, char_at[m.end] as usize);
        let before = start.checked_sub(1).map(|i| chars[i]);
        let after = chars.get(end).copied();
        if gazetteer.readings(m.pattern).iter().any(|r| context_allows(r.context, before, after)) {
            candidates.push(Candidate { start, end, date: None, pattern: m.pattern });
        }
    }
    candidates.sort_by_key(|c| (std::cmp::Reverse(c.end - c.start), c.start, c.date.is_none()));
    let mut taken = vec![false; chars.len()];
    let mut mentions = Vec::new();
    for c in candidates {
        if taken[c.start..c.end].iter().any(|&t| t) {
            continue;
        }
        taken[c.start..c.end].iter_mut().for_each(|t| *t = true);
        let surface: String = chars[c.start..c.end].iter().collect();
        if let Some(i) = c.date {
            let d = &dates[i];
            // Resolved by the text or metadata: high confidence; ambiguous: split evenly.
            let confidence_ppm = if d.ambiguous { 1_000_000 / d.years.len().max(1) as u32 } else { 950_000 };
            for &year in &d.years {
                mentions.push(Mention {
                    kind: EntityKind::EraDate,
                    text: surface.clone(),
                    norm: d.norm.clone(),
                    year: Some(year),
                    start: c.start,
                    end: c.end,
                    confidence_ppm,
                    ambiguous: d.ambiguous,
                });
            }
            continue;
        }
        let before = c.start.checked_sub(1).map(|i| chars[i]);
        let after = chars.get(c.end).copied();
        let readings: Vec<_> =
            gazetteer.readings(c.pattern).iter().filter(|r| context_allows(r.context, before, after)).collect();
        let n = readings.len() as u32;
        for r in readings {
            mentions.push(Mention {
                kind: r.kind,
                text: surface.clone(),
                norm: r.norm.clone(),
                year: None,
                start: c.start,
                end: c.end,
                confidence_ppm: r.confidence_ppm / n,
                ambiguous: n > 1,
            });
        }
    }
    mentions.sort_by_key(|m| (m.start, m.kind));
    mentions
}

/// Pure core: the entity rows of one document.
pub fn document_entities(doc: &Document, gazetteer: &Gazetteer) -> Vec<EntityRow> {
    find_entities(&doc.text, doc.dynasty.as_deref(), gazetteer)
        .into_iter()
        .map(|m| EntityRow {
            doc_id: doc.doc_id.clone(),
            kind: m.kind,
            text: m.text,
            norm: m.norm,
            year: m.year,
            start: m.start as u32,
            end: m.end as u32,
            confidence_ppm: m.confidence_ppm,
            ambiguous: m.ambiguous,
        })
        .collect()
}

/// Entity mentions of every document (or `Shared` document); follows retractions.
pub fn entities<'s, D>(
    docs: VecCollection<'s, Epoch, D>,
    gazetteer: Arc<Gazetteer>,
) -> VecCollection<'s, Epoch, EntityRow>
where
    D: Borrow<Document> + Clone + 'static,
{
    docs.flat_map(move |d| document_entities(d.borrow(), &gazetteer))
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
        entity_counts(entities(docs, Gazetteer::builtin()))
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
                    for e in document_entities(d, &Gazetteer::builtin()) {
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
        let rows = document_entities(&doc, &Gazetteer::builtin());
        assert_eq!(rows.iter().map(|r| r.year).collect::<Vec<_>>(), vec![Some(950), Some(1172)]);
        assert!(rows.iter().all(|r| r.ambiguous && r.kind == EntityKind::EraDate));
    }
}

#[cfg(test)]
mod context_tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(EntityKind, String)> {
        find_entities(text, None, &Gazetteer::builtin()).into_iter().map(|m| (m.kind, m.text)).collect()
    }

    #[test]
    fn word_like_names_need_context() {
        assert_eq!(kinds("天下太平"), vec![]);
        assert_eq!(kinds("南山有舊"), vec![]);
        assert_eq!(kinds("舟至太平"), vec![(EntityKind::Place, "太平".to_owned())]);
        assert_eq!(kinds("唐人"), vec![(EntityKind::Dynasty, "唐".to_owned())]);
        assert_eq!(kinds("唐突"), vec![]);
        assert_eq!(kinds("明朝散髮弄扁舟"), vec![]);
        assert_eq!(kinds("清時有味"), vec![]);
        assert_eq!(kinds("明代"), vec![(EntityKind::Dynasty, "明".to_owned())]);
        assert_eq!(kinds("知君望國有新詩"), vec![]);
        assert_eq!(kinds("幾春秋"), vec![]);
        assert_eq!(kinds("春秋時"), vec![(EntityKind::Dynasty, "春秋".to_owned())]);
    }
}
