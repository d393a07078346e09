//! Accuracy of the era-date recogniser on labelled sets (figures in bench/RESULTS.md).
//!
//! 1. `tests/data/era_dates.tsv`: hand-labelled dates from the standard chronology across
//!    dynasties, ruler and dynasty prefixes, 干支, ambiguous cases and negatives.
//! 2. Every era name that one regime alone used, from the table: 元年 and its last year,
//!    in traditional and simplified spelling — the parser over all ~1,100 names (read with
//!    every realm in scope; the default scope is checked separately).
//! 3. `tests/data/era_bio_sentences.tsv`: dated sentences of the Song poets' biographies,
//!    labelled by their editors' year annotations (`dev` and `heldout` halves).
//! 4. `tests/data/era_corpus_sentences.tsv`: dates in poems, titles, notes and prose of the
//!    corpus, many of eras that other regimes (Japanese, Korean, Chinese) reused, labelled
//!    by hand, and negatives from real text.
//!
//! Sets 1 and 2: a case is correct when exactly one date is found and its candidate years
//! equal the expected ones (more than one expected year means the mention must be marked
//! ambiguous). Sets 3 and 4 go through the whole extractor (dates, names, lifetimes), with
//! no document dynasty and, for set 4, the record's author: a sentence is right when exactly
//! one date covers the labelled place and its candidate years are exactly the label. A
//! negative is correct when no date is found.

use std::collections::BTreeMap;

use wenflow_operators::entities::{DocContext, EntityOptions, EraTable, Extractor, Realm, Realms, find_era_dates};

fn numeral(n: u32) -> String {
    const D: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        1..=9 => D[n as usize].to_string(),
        10 => "十".into(),
        11..=19 => format!("十{}", D[(n % 10) as usize]),
        _ => format!("{}十{}", D[(n / 10) as usize], D[(n % 10) as usize]),
    }
}

/// Correct dates out of all, negatives clean out of all, and what went wrong.
#[derive(Default)]
struct Score {
    pos: usize,
    pos_ok: usize,
    neg: usize,
    neg_ok: usize,
    wrong: Vec<String>,
}

impl Score {
    fn print(&self, name: &str) {
        println!(
            "{name}: {}/{} dates correct ({:.2}%), {}/{} negatives clean",
            self.pos_ok,
            self.pos,
            100.0 * self.pos_ok as f64 / self.pos.max(1) as f64,
            self.neg_ok,
            self.neg
        );
        for w in &self.wrong {
            println!("  {w}");
        }
    }

    fn assert_at_least(&self, share: f64) {
        assert_eq!(self.neg_ok, self.neg, "a date was found in a negative case: {:#?}", self.wrong);
        assert!(self.pos_ok as f64 >= share * self.pos as f64, "{} wrong: {:#?}", self.wrong.len(), self.wrong);
    }
}

struct Case {
    text: String,
    dynasty: Option<String>,
    years: Vec<i32>,
}

fn check(cases: &[Case], options: &EntityOptions) -> Score {
    let mut s = Score::default();
    for c in cases {
        let doc = DocContext { dynasty: c.dynasty.as_deref(), author: None };
        let found = find_era_dates(&c.text, &doc, options);
        if c.years.is_empty() {
            s.neg += 1;
            if found.is_empty() {
                s.neg_ok += 1;
            } else {
                let texts: Vec<_> = found.iter().map(|d| &d.text).collect();
                s.wrong.push(format!("negative {}: found {texts:?}", c.text));
            }
            continue;
        }
        s.pos += 1;
        if found.len() == 1 && found[0].years == c.years && found[0].ambiguous == (c.years.len() > 1) {
            s.pos_ok += 1;
        } else {
            let got: Vec<_> = found.iter().map(|d| (&d.text, &d.years)).collect();
            s.wrong.push(format!("{} ({:?}): expected {:?}, found {got:?}", c.text, c.dynasty, c.years));
        }
    }
    s
}

/// A dated sentence: `at` is the character offset of the labelled date's 年 (`None` for a
/// negative).
struct Sentence {
    text: String,
    author: Option<String>,
    at: Option<usize>,
    years: Vec<i32>,
}

fn check_sentences(sentences: &[Sentence], extractor: &Extractor) -> Score {
    let mut s = Score::default();
    for c in sentences {
        let doc = DocContext { dynasty: None, author: c.author.as_deref() };
        let found = extractor.era_dates(&c.text, &doc);
        let Some(at) = c.at else {
            s.neg += 1;
            if found.is_empty() {
                s.neg_ok += 1;
            } else {
                let texts: Vec<_> = found.iter().map(|d| &d.text).collect();
                s.wrong.push(format!("negative {}: found {texts:?}", c.text));
            }
            continue;
        };
        s.pos += 1;
        let here: Vec<_> = found.iter().filter(|d| d.start <= at && at < d.end).collect();
        if here.len() == 1 && here[0].years == c.years {
            s.pos_ok += 1;
        } else {
            let got: Vec<_> = here.iter().map(|d| (&d.text, &d.years)).collect();
            s.wrong.push(format!("{} [{:?}] at {at}: expected {:?}, found {got:?}", c.text, c.author, c.years));
        }
    }
    s
}

fn rows(tsv: &str) -> impl Iterator<Item = Vec<&str>> {
    tsv.lines().filter(|l| !l.starts_with('#')).skip(1).map(|l| l.split('\t').collect())
}

fn years(s: &str) -> Vec<i32> {
    s.split(',').filter(|s| !s.is_empty()).map(|s| s.parse().expect("year")).collect()
}

fn hand_labelled() -> Vec<Case> {
    rows(include_str!("data/era_dates.tsv"))
        .map(|c| Case {
            text: c[0].to_owned(),
            dynasty: Some(c[1].to_owned()).filter(|d| !d.is_empty()),
            years: years(c[2]),
        })
        .collect()
}

fn bio_sentences(split: &str) -> Vec<Sentence> {
    rows(include_str!("data/era_bio_sentences.tsv"))
        .filter(|c| c[0] == split)
        .map(|c| Sentence {
            text: c[1].to_owned(),
            author: None,
            at: Some(c[2].parse().expect("offset")),
            years: years(c[4]),
        })
        .collect()
}

fn corpus_sentences() -> Vec<Sentence> {
    rows(include_str!("data/era_corpus_sentences.tsv"))
        .map(|c| {
            let (text, date) = (c[0], c[1]);
            let at = (!date.is_empty()).then(|| {
                let byte = text.find(date).unwrap_or_else(|| panic!("{date} not in {text}"));
                text[..byte].chars().count() + date.chars().count() - 1
            });
            Sentence {
                text: text.to_owned(),
                author: Some(c[3].to_owned()).filter(|a| !a.is_empty()),
                at,
                years: years(c[2]),
            }
        })
        .collect()
}

fn from_table() -> Vec<Case> {
    let t = EraTable::get();
    let mut firsts: BTreeMap<&str, (std::collections::BTreeSet<i32>, u32)> = BTreeMap::new();
    for e in &t.eras {
        for name in [e.name.as_str(), e.simplified.as_str()] {
            let entry = firsts.entry(name).or_default();
            entry.0.insert(e.first_year);
            entry.1 = entry.1.max(e.years);
        }
    }
    let mut cases = Vec::new();
    for (name, (starts, years)) in firsts {
        if starts.len() != 1 || name.chars().count() < 2 {
            continue;
        }
        let first = *starts.iter().next().expect("one start");
        cases.push(Case { text: format!("{name}元年"), dynasty: None, years: vec![first] });
        if years > 1 {
            cases.push(Case {
                text: format!("{name}{}年", numeral(years)),
                dynasty: None,
                years: vec![first + years as i32 - 1],
            });
        }
    }
    cases
}

#[test]
fn hand_labelled_era_dates() {
    let score = check(&hand_labelled(), &EntityOptions::default());
    score.print("hand-labelled");
    assert!(score.pos + score.neg >= 200);
    score.assert_at_least(0.99);
}

#[test]
fn every_unique_era_name_from_the_table() {
    let all = EntityOptions { era_regimes: Realms::all() };
    let mut score = check(&from_table(), &all);
    score.wrong.truncate(20);
    score.print("from the table, every realm in scope");
    assert!(score.pos >= 1000);
    score.assert_at_least(0.99);
}

#[test]
fn the_default_scope_needs_context_for_other_realms() {
    let default = EntityOptions::default();
    let t = EraTable::get();
    // Era names only Japanese or Korean regimes used: no date without context, the date
    // with the regime written in front.
    let mut checked = 0;
    for (name, rows) in t.by_name.iter().filter(|(n, _)| n.chars().count() >= 2) {
        let regimes: std::collections::BTreeSet<&str> = rows.iter().map(|&r| t.eras[r].dynasty.as_str()).collect();
        if regimes.len() != 1 || rows.iter().any(|&r| t.eras[r].realm == Realm::China) {
            continue;
        }
        let bare = format!("{name}元年");
        assert!(find_era_dates(&bare, &DocContext::default(), &default).is_empty(), "{bare} gave a date");
        let with_regime = format!("{}{bare}", t.eras[rows[0]].dynasty);
        let found = find_era_dates(&with_regime, &DocContext::default(), &default);
        assert_eq!(found.len(), 1, "{with_regime}: {found:?}");
        assert_eq!(found[0].text, with_regime);
        checked += 1;
    }
    println!("{checked} era names of Japanese or Korean regimes alone: no date bare, a date with the regime in front");
    assert!(checked >= 250);
}

#[test]
fn dated_sentences_of_the_song_biographies() {
    let extractor = Extractor::builtin();
    for split in ["dev", "heldout"] {
        let sentences = bio_sentences(split);
        let score = check_sentences(&sentences, &extractor);
        score.print(&format!("Song biographies, {split}"));
        assert!(score.pos >= 2000);
        score.assert_at_least(0.99);
    }
}

#[test]
fn dated_sentences_of_the_corpus() {
    let score = check_sentences(&corpus_sentences(), &Extractor::builtin());
    score.print("corpus sentences (hand-labelled)");
    assert!(score.pos >= 80 && score.neg >= 40);
    score.assert_at_least(0.99);
}
