//! The pure core of the entities stage: the mentions of one text, read with the job's
//! options and the document's context.
//!
//! Reign-era dates come from the era recogniser ([`find_era_dates`]); names from the
//! gazetteer. Overlapping candidates resolve longest first (then leftmost, then dates before
//! names); a reading whose context rule fails is vetoed. A date the text leaves ambiguous is
//! then narrowed by lifetimes: those of the persons named within [`NEARBY`] characters of
//! it, nearest first, then the document author's, each only when it keeps a reading. A span
//! with several readings left gives a row per reading, each marked ambiguous.

use std::sync::Arc;

use wenflow_engine::{Document, EntityKind, EntityRow};

use super::era_date::{EraDate, NEARBY, find_era_dates};
use super::gazetteer::{Context, Gazetteer, Reading};
use super::lifetime::Lifetime;
use super::options::{DocContext, EntityOptions};

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

/// A name kept after overlaps and context rules, with the readings its context allows.
struct Name<'g> {
    start: usize,
    end: usize,
    readings: Vec<&'g Reading>,
}

/// What one text yields: dates and names, in text order, without overlaps.
struct Found<'g> {
    chars: Vec<char>,
    dates: Vec<EraDate>,
    names: Vec<Name<'g>>,
}

/// Finds entities: the gazetteer and the options of a job, applied to one text at a time.
///
/// ```
/// use wenflow_operators::entities::{DocContext, Extractor};
///
/// let extractor = Extractor::builtin();
/// // 上元 was an era of 唐高宗 (674) and of 唐肅宗 (760): 杜甫 (712-770) decides.
/// let dates = extractor.era_dates("上元二年", &DocContext::author("杜甫"));
/// assert_eq!(dates[0].years, vec![761]);
/// // Chinese regimes by default: 嘉慶 is 清's, not also 日本's (1387).
/// let dates = extractor.era_dates("嘉慶元年", &DocContext::default());
/// assert_eq!(dates[0].years, vec![1796]);
/// ```
#[derive(Debug, Clone)]
pub struct Extractor {
    gazetteer: Arc<Gazetteer>,
    options: EntityOptions,
}

impl Extractor {
    /// An extractor with `gazetteer` and `options`.
    pub fn new(gazetteer: Arc<Gazetteer>, options: EntityOptions) -> Extractor {
        Extractor { gazetteer, options }
    }

    /// The built-in gazetteer and the default options.
    pub fn builtin() -> Extractor {
        Extractor::new(Gazetteer::builtin(), EntityOptions::default())
    }

    /// The options.
    pub fn options(&self) -> &EntityOptions {
        &self.options
    }

    /// The entity mentions of `text`, a row per reading, ordered by position.
    pub fn mentions(&self, text: &str, doc: &DocContext<'_>) -> Vec<Mention> {
        let found = self.find(text, doc);
        let surface = |a: usize, b: usize| found.chars[a..b].iter().collect::<String>();
        let mut mentions = Vec::new();
        for d in &found.dates {
            // Resolved by the text or metadata: high confidence; ambiguous: split evenly.
            let confidence_ppm = if d.ambiguous { 1_000_000 / d.years.len().max(1) as u32 } else { 950_000 };
            for &year in &d.years {
                mentions.push(Mention {
                    kind: EntityKind::EraDate,
                    text: surface(d.start, d.end),
                    norm: d.norm.clone(),
                    year: Some(year),
                    start: d.start,
                    end: d.end,
                    confidence_ppm,
                    ambiguous: d.ambiguous,
                });
            }
        }
        for name in &found.names {
            let n = name.readings.len() as u32;
            for r in &name.readings {
                mentions.push(Mention {
                    kind: r.kind,
                    text: surface(name.start, name.end),
                    norm: r.norm.clone(),
                    year: None,
                    start: name.start,
                    end: name.end,
                    confidence_ppm: r.confidence_ppm / n,
                    ambiguous: n > 1,
                });
            }
        }
        mentions.sort_by_key(|m| (m.start, m.kind));
        mentions
    }

    /// The era dates of `text` as [`Extractor::mentions`] reports them: after overlaps with
    /// names and after narrowing by lifetimes.
    pub fn era_dates(&self, text: &str, doc: &DocContext<'_>) -> Vec<EraDate> {
        self.find(text, doc).dates
    }

    /// The entity rows of one document.
    pub fn document(&self, doc: &Document) -> Vec<EntityRow> {
        self.mentions(&doc.text, &DocContext::of(doc))
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

    fn find(&self, text: &str, doc: &DocContext<'_>) -> Found<'_> {
        struct Candidate {
            start: usize,
            end: usize,
            date: Option<usize>,
            pattern: usize,
        }
        let dates = find_era_dates(text, doc, &self.options);
        let matches = self.gazetteer.find(text);
        let chars: Vec<char> = text.chars().collect();
        if dates.is_empty() && matches.is_empty() {
            return Found { chars, dates, names: Vec::new() };
        }
        // Byte offset → character offset, for the automaton's matches.
        let mut char_at = vec![0u32; text.len() + 1];
        for (i, (b, _)) in text.char_indices().enumerate() {
            char_at[b] = i as u32;
        }
        char_at[text.len()] = chars.len() as u32;
        let around = |start: usize, end: usize| (start.checked_sub(1).map(|i| chars[i]), chars.get(end).copied());

        let mut candidates: Vec<Candidate> = dates
            .iter()
            .enumerate()
            .map(|(i, d)| Candidate { start: d.start, end: d.end, date: Some(i), pattern: 0 })
            .collect();
        for m in matches {
            let (start, end) = (char_at[m.start] as usize, char_at[m.end] as usize);
            let (before, after) = around(start, end);
            if self.gazetteer.readings(m.pattern).iter().any(|r| context_allows(r.context, before, after)) {
                candidates.push(Candidate { start, end, date: None, pattern: m.pattern });
            }
        }
        candidates.sort_by_key(|c| (std::cmp::Reverse(c.end - c.start), c.start, c.date.is_none()));
        let mut taken = vec![false; chars.len()];
        let mut kept_dates = vec![false; dates.len()];
        let mut names = Vec::new();
        for c in candidates {
            if taken[c.start..c.end].iter().any(|&t| t) {
                continue;
            }
            taken[c.start..c.end].iter_mut().for_each(|t| *t = true);
            if let Some(i) = c.date {
                kept_dates[i] = true;
                continue;
            }
            let (before, after) = around(c.start, c.end);
            let readings = self
                .gazetteer
                .readings(c.pattern)
                .iter()
                .filter(|r| context_allows(r.context, before, after))
                .collect();
            names.push(Name { start: c.start, end: c.end, readings });
        }
        names.sort_by_key(|n| n.start);
        let mut dates: Vec<EraDate> = dates.into_iter().zip(kept_dates).filter_map(|(d, k)| k.then_some(d)).collect();

        let author: Vec<Lifetime> = doc.author.map(|a| self.gazetteer.lifetimes(a)).unwrap_or_default();
        for date in dates.iter_mut().filter(|d| d.ambiguous) {
            // Persons named near the date, nearest first: a date written next to a name is
            // mostly of that person's life. Each lifetime narrows in turn (a vague one, known
            // only by its end, may keep every reading; the next may decide), and one that
            // fits no reading is passed over.
            let mut near: Vec<(usize, Lifetime)> = names
                .iter()
                .filter(|n| n.end + NEARBY >= date.start && n.start <= date.end + NEARBY)
                .flat_map(|n| {
                    let distance =
                        if n.end <= date.start { date.start - n.end } else { n.start.saturating_sub(date.end) };
                    let persons = n.readings.iter().filter(|r| r.kind == EntityKind::Person);
                    persons.filter_map(move |r| r.lifetime.map(|l| (distance, l)))
                })
                .collect();
            near.sort();
            for (_, lifetime) in near {
                if !date.ambiguous {
                    break;
                }
                if date.narrow_years(|y| lifetime.admits(y)) {
                    tracing::debug!(date = %date.text, years = ?date.years, %lifetime, "era date narrowed by a person's lifetime");
                }
            }
            // Then the author's: a document mostly dates events of its author's time.
            if date.ambiguous && !author.is_empty() {
                date.narrow_years(|y| author.iter().any(|l| l.admits(y)));
            }
        }
        Found { chars, dates, names }
    }
}

/// The mentions found in `clean` (the cleaned form of `original`) as `wenflow entities`
/// prints them: a JSON object of the text and its mentions, or a table (preceded by the
/// clean text when cleaning changed it).
pub fn render_mentions(original: &str, clean: &str, found: &[Mention], json: bool) -> String {
    use std::fmt::Write;
    let confidence = |m: &Mention| f64::from(m.confidence_ppm) / 1e6;
    if json {
        let rows: Vec<serde_json::Value> = found
            .iter()
            .map(|m| {
                serde_json::json!({
                    "kind": m.kind.as_str(), "text": m.text, "norm": m.norm, "year": m.year, "start": m.start,
                    "end": m.end, "confidence": confidence(m), "ambiguous": m.ambiguous,
                })
            })
            .collect();
        let value = serde_json::json!({ "text": clean, "entities": rows });
        return format!("{}\n", serde_json::to_string_pretty(&value).unwrap_or_default());
    }
    let mut out = String::new();
    if clean != original {
        let _ = writeln!(out, "clean text: {clean}");
    }
    let _ = writeln!(
        out,
        "{:<9} {:<12} {:<24} {:>6} {:>5}..{:<5} {:>5} ambiguous",
        "kind", "text", "norm", "year", "start", "end", "conf"
    );
    for m in found {
        let year = m.year.map(|y| y.to_string()).unwrap_or_default();
        let _ = writeln!(
            out,
            "{:<9} {:<12} {:<24} {:>6} {:>5}..{:<5} {:>5.2} {}",
            m.kind.as_str(),
            m.text,
            m.norm,
            year,
            m.start,
            m.end,
            confidence(m),
            if m.ambiguous { "yes" } else { "" }
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::gazetteer::BUILTIN_NAMES;
    use crate::entities::options::Realms;

    fn kinds(text: &str) -> Vec<(EntityKind, String)> {
        Extractor::builtin().mentions(text, &DocContext::default()).into_iter().map(|m| (m.kind, m.text)).collect()
    }

    fn years(extractor: &Extractor, text: &str, doc: &DocContext<'_>) -> Vec<Vec<i32>> {
        extractor.era_dates(text, doc).into_iter().map(|d| d.years).collect()
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

    #[test]
    fn ambiguous_dates_have_a_row_per_year() {
        let doc = Document { doc_id: "d".into(), text: "乾祐三年".into(), ..Document::default() };
        let rows = Extractor::builtin().document(&doc);
        assert_eq!(rows.iter().map(|r| r.year).collect::<Vec<_>>(), vec![Some(950), Some(1172)]);
        assert!(rows.iter().all(|r| r.ambiguous && r.kind == EntityKind::EraDate));
    }

    #[test]
    fn lifetimes_of_persons_nearby_and_of_the_author_narrow_dates() {
        let e = Extractor::builtin();
        let none = DocContext::default();
        assert_eq!(years(&e, "上元二年", &none), vec![vec![675, 761]]);
        assert_eq!(years(&e, "杜甫上元二年客成都", &none), vec![vec![761]], "杜甫 712-770");
        assert_eq!(years(&e, "上元二年", &DocContext::author("杜甫")), vec![vec![761]]);
        // A person far away does not count; a lifetime that fits no reading changes nothing.
        let far = format!("杜甫{}上元二年", "。".repeat(NEARBY + 1));
        assert_eq!(years(&e, &far, &none), vec![vec![675, 761]]);
        assert_eq!(years(&e, "上元二年", &DocContext::author("蘇軾")), vec![vec![675, 761]]);
        assert_eq!(years(&e, "韋應物永泰元年", &none), vec![vec![765]], "永泰: 南齊 498, 唐 765");
        let row = e.mentions("上元二年", &DocContext::author("杜甫"));
        assert_eq!((row.len(), row[0].norm.as_str(), row[0].ambiguous), (1, "唐上元2年", false));
    }

    #[test]
    fn user_lifetimes_and_options() {
        let mut b = BUILTIN_NAMES.clone();
        b.add_user_list("PERSON\t王守仁\t\t1472-1529\nPERSON\t謝朓\t\t464-499\n", "test").expect("valid list");
        let e = Extractor::new(Arc::new(b.build()), EntityOptions::default());
        // 正德: 西夏 1127-1134 and 明 1506-1521.
        assert_eq!(years(&e, "維正德四年秋月三日", &DocContext::author("王守仁")), vec![vec![1509]]);
        // A person named next to the date comes before the author.
        assert_eq!(years(&e, "永泰元年", &DocContext::author("謝朓")), vec![vec![498]]);
        assert_eq!(years(&e, "韋應物永泰元年", &DocContext::author("謝朓")), vec![vec![765]]);
        let all = Extractor::new(Gazetteer::builtin(), EntityOptions { era_regimes: Realms::all() });
        assert_eq!(years(&all, "嘉慶元年", &DocContext::default()), vec![vec![1387, 1796]]);
        assert_eq!(years(&Extractor::builtin(), "嘉慶元年", &DocContext::default()), vec![vec![1796]]);
    }
}
