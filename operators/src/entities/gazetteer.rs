//! Gazetteers of names and an Aho-Corasick automaton over all of them.
//!
//! Built in (see `operators/data/entities/README.md` and `operators/data/eras/README.md`):
//! - DYNASTY: dynasty and regime names of the era table;
//! - RULER: rulers' personal names and other names that identify them (建文帝), and dynasty +
//!   title (唐太宗, 宋太祖, 漢武帝, 元順帝);
//! - PERSON: the authors of the chinese-poetry collections (MIT), with lifetimes where known;
//! - PLACE: the place names of `udkanbun` (MIT) and a short list of famous mountains,
//!   rivers and passes;
//! - OFFICE: official titles compiled for wenflow.
//!
//! `--gazetteer FILE` adds a user list at run time: tab-separated `KIND name [norm
//! [lifetime]]` lines (`#` starts a comment), for example a CBDB export of persons; a
//! PERSON line may give a lifetime (`712-770`, `?-989`), which narrows era dates near the
//! name or in documents by that author (see [`super::lifetime`]).
//!
//! Every name is matched in its traditional and simplified spellings; the normal form is
//! the traditional spelling.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, LazyLock};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use wenflow_engine::EntityKind;

use super::eras::{DYNASTIES, DYNASTY_NAMES, ERAS, RULER_NAMES};
use super::lifetime::Lifetime;
use crate::tsv::tsv;
use crate::{OperatorError, Result};

const PERSONS: &str = include_str!("../../data/entities/persons.tsv");
const PLACES: &str = include_str!("../../data/entities/places.tsv");
const OFFICES: &str = include_str!("../../data/entities/offices.tsv");
const SURNAMES: &str = include_str!("../../data/entities/surnames.tsv");

/// What must surround a match for a reading to count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Context {
    /// Nothing: the name is specific enough.
    Any,
    /// A one-character dynasty name (唐, 宋) counts only as 唐朝, 唐人, 大唐, 有宋 and the like.
    DynastyMark,
    /// Any other one-character regime name is also a common character (明朝 is "tomorrow
    /// morning", 楚人 a man of the land of Chu): it counts only as 明代, 清室, 明季, 皇明,
    /// 有明 and the like.
    StrictDynastyMark,
    /// A person's name that is also an ordinary word (方回, 文同) counts only after a verb of
    /// address (送, 寄, 贈, 懷 …) or before 曰, 云, 公, 君 and the like.
    PersonMark,
    /// A place name that is also an ordinary word (太平, 南山) counts only after a verb of
    /// motion or location (至, 過, 入, 歸 …) or before 城, 縣, 郡, 山, 水 and the like.
    PlaceMark,
}

/// One reading of a name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reading {
    /// The kind of entity.
    pub kind: EntityKind,
    /// Its normal form.
    pub norm: String,
    /// Confidence when the context allows the reading, in millionths.
    pub confidence_ppm: u32,
    /// The context it needs.
    pub context: Context,
    /// A person's lifetime, when known.
    pub lifetime: Option<Lifetime>,
}

/// Names and their readings, with the automaton that finds them.
pub struct Gazetteer {
    automaton: AhoCorasick,
    /// Per pattern: its readings.
    readings: Vec<Vec<Reading>>,
    /// Spelling → pattern.
    patterns: HashMap<String, usize>,
}

/// A match of a name: byte offsets into the text, and the pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NameMatch {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// The pattern.
    pub pattern: usize,
}

/// Collects names before the automaton is built.
#[derive(Clone, Debug, Default)]
pub struct GazetteerBuilder {
    names: BTreeMap<String, Vec<Reading>>,
}

impl GazetteerBuilder {
    /// Adds `reading` for the spelling `surface` (ignored when empty).
    pub fn add(&mut self, surface: &str, reading: Reading) {
        if surface.is_empty() {
            return;
        }
        let readings = self.names.entry(surface.to_owned()).or_default();
        // One reading per kind and norm: a later, user-supplied one replaces a built-in one.
        if let Some(r) = readings.iter_mut().find(|r| r.kind == reading.kind && r.norm == reading.norm) {
            *r = reading;
        } else {
            readings.push(reading);
        }
    }

    /// Adds the lines of a user gazetteer: `KIND<TAB>name[<TAB>norm[<TAB>lifetime]]`, the
    /// lifetime (`712-770`, `?-989`, `1037-?`) for PERSON lines only.
    pub fn add_user_list(&mut self, text: &str, origin: &str) -> Result<usize> {
        let mut added = 0;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let invalid =
                |message: String| OperatorError::Gazetteer { origin: origin.to_owned(), line: n + 1, message };
            let cols: Vec<&str> = line.split('\t').map(str::trim).collect();
            let (kind, name) = match cols.as_slice() {
                [kind, name, ..] if !name.is_empty() => (*kind, *name),
                _ => return Err(invalid("expected KIND<TAB>name[<TAB>norm[<TAB>lifetime]]".to_owned())),
            };
            let kind = EntityKind::parse(&kind.to_ascii_uppercase())
                .filter(|k| *k != EntityKind::EraDate)
                .ok_or_else(|| invalid(format!("{kind:?} is not one of PERSON, PLACE, OFFICE, DYNASTY, RULER")))?;
            let norm = cols.get(2).filter(|s| !s.is_empty()).copied().unwrap_or(name);
            let lifetime = match cols.get(3).filter(|s| !s.is_empty()) {
                None => None,
                Some(_) if kind != EntityKind::Person => {
                    return Err(invalid("a lifetime is given for PERSON lines only".to_owned()));
                }
                Some(l) => Some(
                    Lifetime::parse(l)
                        .ok_or_else(|| invalid(format!("{l:?} is not a lifetime such as 712-770, ?-989 or 1037-?")))?,
                ),
            };
            let simplified = wenflow_text::simplify_name(name);
            let reading =
                Reading { kind, norm: norm.to_owned(), confidence_ppm: 900_000, context: Context::Any, lifetime };
            self.add(name, reading.clone());
            self.add(&simplified, reading);
            added += 1;
        }
        Ok(added)
    }

    /// Every spelling.
    pub fn spellings(&self) -> impl Iterator<Item = &str> {
        self.names.keys().map(String::as_str)
    }

    /// Builds the automaton.
    pub fn build(self) -> Gazetteer {
        let (patterns, readings): (Vec<String>, Vec<Vec<Reading>>) = self.names.into_iter().unzip();
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&patterns)
            .or_else(|_| AhoCorasick::builder().match_kind(MatchKind::Standard).build(&patterns))
            .unwrap_or_else(|e| panic!("the gazetteer automaton cannot be built: {e}"));
        let patterns = patterns.into_iter().enumerate().map(|(i, p)| (p, i)).collect();
        Gazetteer { automaton, readings, patterns }
    }
}

/// One-character names of the dynasties whose name, followed by 朝, 時, 人 …, means the
/// dynasty (唐人, 秦時, 漢家 is not matched but 漢朝 is).
const MAJOR_DYNASTIES: &str = "唐宋漢隋秦晉";

/// Period and regime names that are also words (幾春秋 "how many years").
const WORD_DYNASTIES: [&str; 1] = ["春秋"];

/// Poems in the collections that make a two-character poet's name worth matching without
/// a person context.
const FAMOUS_POEMS: u32 = 10;

/// Common one-character surnames (traditional), for surname + honorific references. Not
/// the whole surname list: many rare surnames are ordinary characters (子, 山, 平), and
/// frequent surnames that make words with the honorifics are left out (王侯, 王公, 雷公,
/// 元君, 龍公, 向君 "to you", 余生 "my life").
const COMMON_SURNAMES: &str = "李張趙劉陳楊黃吳周徐孫馬朱胡郭何林羅鄭梁謝宋唐許韓馮鄧曹彭曾蕭田董袁潘蔣蔡杜葉程蘇魏呂丁任沈姚盧姜崔鍾譚陸汪范廖賈夏韋傅鄒孟熊秦邱尹薛閻段侯陶黎賀顧毛郝龔邵萬錢嚴武戴莫孔湯項晏鮑翟嵇阮屈桓荀韋裴杜柳溫賈竇狄房魯顏樊霍";

/// Surnames (one or two characters, both spellings).
pub static SURNAME_SET: LazyLock<std::collections::HashSet<String>> = LazyLock::new(|| {
    tsv(SURNAMES).flat_map(|c| c.into_iter().take(2)).filter(|s| !s.is_empty()).map(str::to_owned).collect()
});

/// Whether `name` starts with a known surname.
pub fn has_surname(name: &str) -> bool {
    let mut chars = name.char_indices();
    let one = chars.nth(1).map_or(name.len(), |(i, _)| i);
    let two = chars.next().map_or(name.len(), |(i, _)| i);
    SURNAME_SET.contains(&name[..one]) || (two < name.len() && SURNAME_SET.contains(&name[..two]))
}

/// The built-in names, read from the compiled-in tables once per process.
pub static BUILTIN_NAMES: LazyLock<GazetteerBuilder> = LazyLock::new(builtin_builder);

fn builtin_builder() -> GazetteerBuilder {
    let mut b = GazetteerBuilder::default();

    // Dynasties: names and their spellings; the normal form is the table's dynasty name.
    let dynasty_name: HashMap<&str, &str> = tsv(DYNASTIES).filter(|c| c.len() >= 2).map(|c| (c[0], c[1])).collect();
    let mut dynasty_spellings: HashMap<&str, Vec<&str>> = HashMap::new();
    for c in tsv(DYNASTIES).filter(|c| c.len() >= 3) {
        dynasty_spellings.entry(c[0]).or_default().extend([c[1], c[2]]);
    }
    for c in tsv(DYNASTY_NAMES).filter(|c| c.len() >= 3) {
        dynasty_spellings.entry(c[2]).or_default().extend([c[0], c[1]]);
    }
    // Dynasty id → the dynasty it is part of (西漢 → 漢).
    let part_of: HashMap<&str, &str> =
        tsv(DYNASTIES).filter(|c| c.len() >= 6 && !c[5].is_empty() && c[5] != c[0]).map(|c| (c[0], c[5])).collect();
    for (id, spellings) in &dynasty_spellings {
        let Some(norm) = dynasty_name.get(id) else { continue };
        for s in spellings {
            let single = s.chars().count() == 1;
            let context = match single {
                false if WORD_DYNASTIES.contains(s) => Context::DynastyMark,
                false => Context::Any,
                true if MAJOR_DYNASTIES.contains(s) => Context::DynastyMark,
                true => Context::StrictDynastyMark,
            };
            let reading = Reading {
                kind: EntityKind::Dynasty,
                norm: (*norm).to_owned(),
                confidence_ppm: if single { 800_000 } else { 900_000 },
                context,
                lifetime: None,
            };
            b.add(s, reading);
        }
    }

    // Rulers: personal names (and other names that identify the ruler alone: 建文帝), and
    // dynasty + title (唐太宗, 宋徽宗, 漢武帝, 元順帝).
    let mut ruler: HashMap<&str, (&str, &str)> = HashMap::new(); // ruler id → (dynasty id, full name)
    for c in tsv(ERAS).filter(|c| c.len() >= 5) {
        ruler.entry(c[3]).or_insert((c[1], c[4]));
    }
    for c in tsv(RULER_NAMES).filter(|c| c.len() >= 3) {
        let Some(&(dyn_id, full)) = ruler.get(c[0]) else { continue };
        let reading = Reading {
            kind: EntityKind::Ruler,
            norm: full.to_owned(),
            confidence_ppm: 900_000,
            context: Context::Any,
            lifetime: None,
        };
        let personal = c.get(3) == Some(&"false") && c[1].chars().count() >= 2;
        if personal {
            b.add(c[1], reading.clone());
            b.add(c[2], reading.clone());
        }
        let title = c[1].ends_with('宗') || c[1].ends_with('祖') || c[1].ends_with('帝');
        if title {
            // The regime's one-character names and its parents' (西漢's ruler: 漢武帝).
            let mut regime = Some(dyn_id);
            let mut singles: Vec<&str> = Vec::new();
            for _ in 0..4 {
                let Some(id) = regime else { break };
                singles.extend(dynasty_spellings.get(id).into_iter().flatten().filter(|d| d.chars().count() == 1));
                regime = part_of.get(id).copied();
            }
            for d in singles {
                if !c[1].starts_with(d) {
                    b.add(&format!("{d}{}", c[1]), reading.clone());
                    b.add(&format!("{d}{}", c[2]), reading.clone());
                }
            }
        }
    }

    // Persons. A two-character name of a poet with few poems in the collections is more
    // often a word (朱顏, 江梅) than a mention of that poet: it needs a person context.
    let year = |s: Option<&&str>| s.and_then(|s| s.parse::<i32>().ok());
    for c in tsv(PERSONS).filter(|c| c.len() >= 5) {
        let len = c[0].chars().count();
        let poems: u32 = c.get(5).and_then(|p| p.parse().ok()).unwrap_or(0);
        let (name, simplified, common) = (c[0], c[1], c[4] == "true" || (len == 2 && poems < FAMOUS_POEMS));
        let confidence_ppm = match (len, has_surname(name)) {
            _ if common => 500_000,
            (3.., true) => 900_000,
            (3.., false) | (_, true) => 800_000,
            _ => 500_000,
        };
        let context = if common { Context::PersonMark } else { Context::Any };
        let (born, died) = (year(c.get(7)), year(c.get(8)));
        let lifetime = (born.is_some() || died.is_some()).then_some(Lifetime { born, died });
        let reading = Reading { kind: EntityKind::Person, norm: name.to_owned(), confidence_ppm, context, lifetime };
        b.add(name, reading.clone());
        b.add(simplified, reading);
    }

    // Surname + honorific (謝公, 魏生, 穰侯, 陶君): a person, with a common surname only.
    for surname in COMMON_SURNAMES.chars() {
        for honorific in ['公', '生', '侯', '君'] {
            let name = format!("{surname}{honorific}");
            let reading = Reading {
                kind: EntityKind::Person,
                norm: name.clone(),
                confidence_ppm: 600_000,
                context: Context::Any,
                lifetime: None,
            };
            b.add(&wenflow_text::simplify_name(&name), reading.clone());
            b.add(&name, reading);
        }
    }

    // Places and offices.
    for (table, kind, confidence_ppm) in [(PLACES, EntityKind::Place, 800_000), (OFFICES, EntityKind::Office, 900_000)]
    {
        for c in tsv(table).filter(|c| c.len() >= 2 && c[0].chars().count() >= 2) {
            let word = c.get(3) == Some(&"true");
            let (confidence_ppm, context) =
                if word { (500_000, Context::PlaceMark) } else { (confidence_ppm, Context::Any) };
            let reading = Reading { kind, norm: c[0].to_owned(), confidence_ppm, context, lifetime: None };
            b.add(c[0], reading.clone());
            b.add(c[1], reading);
        }
    }
    b
}

static BUILTIN: LazyLock<Arc<Gazetteer>> = LazyLock::new(|| Arc::new(BUILTIN_NAMES.clone().build()));

impl Gazetteer {
    /// The built-in gazetteer (built once per process).
    pub fn builtin() -> Arc<Gazetteer> {
        BUILTIN.clone()
    }

    /// The built-in gazetteer plus the user lists at `paths`.
    pub fn with_user_files(paths: &[impl AsRef<Path>]) -> Result<Arc<Gazetteer>> {
        if paths.is_empty() {
            return Ok(Self::builtin());
        }
        let mut b = BUILTIN_NAMES.clone();
        for path in paths {
            let path = path.as_ref();
            let text = std::fs::read_to_string(path).map_err(|e| OperatorError::Gazetteer {
                origin: path.display().to_string(),
                line: 0,
                message: e.to_string(),
            })?;
            let added = b.add_user_list(&text, &path.display().to_string())?;
            tracing::info!(path = %path.display(), names = added, "loaded gazetteer");
        }
        Ok(Arc::new(b.build()))
    }

    /// Every occurrence of every name, overlapping ones included.
    pub fn find(&self, text: &str) -> Vec<NameMatch> {
        self.automaton
            .find_overlapping_iter(text)
            .map(|m| NameMatch { start: m.start(), end: m.end(), pattern: m.pattern().as_usize() })
            .collect()
    }

    /// The readings of a pattern.
    pub fn readings(&self, pattern: usize) -> &[Reading] {
        &self.readings[pattern]
    }

    /// The readings of a spelling (`杜甫`), if it is a name.
    pub fn lookup(&self, name: &str) -> &[Reading] {
        self.patterns.get(name).map_or(&[], |&p| &self.readings[p])
    }

    /// The known lifetimes of the persons a name (a document's author) may be.
    pub fn lifetimes(&self, name: &str) -> Vec<Lifetime> {
        self.lookup(name.trim()).iter().filter(|r| r.kind == EntityKind::Person).filter_map(|r| r.lifetime).collect()
    }
}

impl std::fmt::Debug for Gazetteer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gazetteer").field("spellings", &self.readings.len()).finish()
    }
}
