//! The simplified copy of a text, for search and dedup across scripts.
//!
//! Character by character through Unihan's simplified variants, except inside names: a
//! character that is its own simplified form in some uses (乾 is 干 in 乾燥 but 乾 in
//! 乾隆) keeps itself inside a reign-era, dynasty, ruler, person or place name, and in a
//! few words (乾坤). Only names that contain such a character need protecting, so the
//! automaton holds only those.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use super::tables::{T2S_MAP, simplify_char, simplify_name_char};
use crate::entities::{EraTable, gazetteer};

/// Words outside the name lists whose characters keep themselves.
const PROTECTED_WORDS: [&str; 8] = ["乾坤", "乾象", "乾綱", "乾元", "乾清", "乾卦", "乾道", "乾陵"];

static PROTECTED: LazyLock<AhoCorasick> = LazyLock::new(|| {
    let needs = |name: &&str| name.chars().any(|c| matches!(T2S_MAP.get(c), Some((_, true))));
    let mut names: Vec<String> = PROTECTED_WORDS.iter().map(|s| (*s).to_owned()).collect();
    names.extend(EraTable::get().by_name.keys().filter(|n| needs(&n.as_str())).cloned());
    names.extend(gazetteer::BUILTIN_NAMES.spellings().filter(needs).map(str::to_owned));
    names.sort();
    names.dedup();
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .kind(Some(AhoCorasickKind::DFA))
        .build(&names)
        .unwrap_or_else(|e| panic!("the protected-name automaton cannot be built: {e}"))
});

/// The simplified copy of `text`.
pub fn simplify(text: &str) -> String {
    // Names need protecting only where a character may keep itself; most texts have none.
    if !text.chars().any(|c| matches!(T2S_MAP.get(c), Some((_, true)))) {
        return text.chars().map(simplify_char).collect();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for m in PROTECTED.find_iter(text) {
        out.extend(text[at..m.start()].chars().map(simplify_char));
        out.extend(text[m.start()..m.end()].chars().map(simplify_name_char));
        at = m.end();
    }
    out.extend(text[at..].chars().map(simplify_char));
    out
}

/// The simplified spelling of a name.
pub fn simplify_name(name: &str) -> String {
    name.chars().map(simplify_name_char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_survive_the_copy() {
        assert_eq!(simplify("乾祐三年，後漢隱帝。"), "乾祐三年，后汉隐帝。");
        assert_eq!(simplify("乾隆皇帝"), "乾隆皇帝");
        assert_eq!(simplify("乾燥"), "干燥");
        assert_eq!(simplify("國破山河在"), "国破山河在");
        assert_eq!(simplify("乾坤日夜浮"), "乾坤日夜浮");
        assert_eq!(simplify_name("貞觀"), "贞观");
    }
}
