//! Accuracy of the era-date recogniser on labelled sets (figures in bench/RESULTS.md).
//!
//! 1. `tests/data/era_dates.tsv`: hand-labelled dates from the standard chronology across
//!    dynasties, ruler and dynasty prefixes, 干支, ambiguous cases and negatives.
//! 2. Every era name that one regime alone used, from the table: 元年 and its last year,
//!    in traditional and simplified spelling — the parser over all ~1,100 names.
//!
//! A case is correct when exactly one date is found and its candidate years equal the
//! expected ones (more than one expected year means the mention must be marked
//! ambiguous); a negative is correct when no date is found.

use std::collections::BTreeMap;

use wenflow_operators::entities::{EraTable, find_era_dates};

fn numeral(n: u32) -> String {
    const D: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        1..=9 => D[n as usize].to_string(),
        10 => "十".into(),
        11..=19 => format!("十{}", D[(n % 10) as usize]),
        _ => format!("{}十{}", D[(n / 10) as usize], D[(n % 10) as usize]),
    }
}

struct Case {
    text: String,
    dynasty: Option<String>,
    years: Vec<i32>,
}

fn check(cases: &[Case]) -> (usize, usize, usize, usize, Vec<String>) {
    let (mut pos, mut pos_ok, mut neg, mut neg_ok) = (0, 0, 0, 0);
    let mut wrong = Vec::new();
    for c in cases {
        let found = find_era_dates(&c.text, c.dynasty.as_deref());
        if c.years.is_empty() {
            neg += 1;
            if found.is_empty() {
                neg_ok += 1;
            } else {
                wrong.push(format!(
                    "negative {}: found {:?}",
                    c.text,
                    found.iter().map(|d| &d.text).collect::<Vec<_>>()
                ));
            }
            continue;
        }
        pos += 1;
        let ok = found.len() == 1 && found[0].years == c.years && found[0].ambiguous == (c.years.len() > 1);
        if ok {
            pos_ok += 1;
        } else {
            wrong.push(format!(
                "{} ({:?}): expected {:?}, found {:?}",
                c.text,
                c.dynasty,
                c.years,
                found.iter().map(|d| (&d.text, &d.years)).collect::<Vec<_>>()
            ));
        }
    }
    (pos, pos_ok, neg, neg_ok, wrong)
}

fn hand_labelled() -> Vec<Case> {
    include_str!("data/era_dates.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            Case {
                text: c[0].to_owned(),
                dynasty: Some(c[1].to_owned()).filter(|d| !d.is_empty()),
                years: c[2].split(',').filter(|s| !s.is_empty()).map(|s| s.parse().expect("year")).collect(),
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
    let cases = hand_labelled();
    let (pos, pos_ok, neg, neg_ok, wrong) = check(&cases);
    println!(
        "hand-labelled: {pos_ok}/{pos} dates correct ({:.1}%), {neg_ok}/{neg} negatives clean",
        100.0 * pos_ok as f64 / pos as f64
    );
    for w in &wrong {
        println!("  {w}");
    }
    assert!(pos + neg >= 200);
    assert_eq!(neg_ok, neg, "a date was found in a negative case");
    assert!(pos_ok as f64 >= 0.99 * pos as f64, "{} wrong: {wrong:#?}", wrong.len());
}

#[test]
fn every_unique_era_name_from_the_table() {
    let cases = from_table();
    let (pos, pos_ok, _, _, wrong) = check(&cases);
    println!("from the table: {pos_ok}/{pos} correct ({:.2}%)", 100.0 * pos_ok as f64 / pos as f64);
    for w in wrong.iter().take(20) {
        println!("  {w}");
    }
    assert!(pos >= 1000);
    assert!(pos_ok as f64 >= 0.99 * pos as f64, "{} wrong, e.g. {:#?}", wrong.len(), &wrong[..wrong.len().min(20)]);
}
