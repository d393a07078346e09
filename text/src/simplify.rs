//! The simplified copy of a text, for search and dedup across scripts.
//!
//! Character by character through Unihan's simplified variants, except inside names: a
//! character that is its own simplified form in some uses (乾 is 干 in 乾燥 but 乾 in
//! 乾隆) keeps itself inside a name the [`Simplifier`] was given (reign eras, dynasties,
//! rulers, persons, places: the entity stage's lists, passed in as data) and in a few words
//! (乾坤). Only names that contain such a character need protecting, so the automaton holds
//! only those.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::tables::{T2S_MAP, simplify_char, simplify_name_char};

/// Words outside any name list whose characters keep themselves.
const PROTECTED_WORDS: [&str; 8] = ["乾坤", "乾象", "乾綱", "乾元", "乾清", "乾卦", "乾道", "乾陵"];

/// Whether a name has a character that may keep itself, so that it needs protecting.
fn needs_protection(name: &str) -> bool {
    name.chars().any(|c| matches!(T2S_MAP.get(c), Some((_, true))))
}

/// Makes the simplified copy of texts, keeping the names it was built with.
pub struct Simplifier {
    protected: AhoCorasick,
}

impl Simplifier {
    /// A simplifier that keeps `names` (and a few words such as 乾坤) as they are spelt.
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut names: Vec<&str> = names.into_iter().filter(|n| needs_protection(n)).collect();
        names.extend(PROTECTED_WORDS);
        names.sort_unstable();
        names.dedup();
        let protected = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&names)
            .unwrap_or_else(|e| panic!("the protected-name automaton cannot be built: {e}"));
        Simplifier { protected }
    }

    /// The simplified copy of `text`.
    pub fn simplify(&self, text: &str) -> String {
        // Names need protecting only where a character may keep itself; most texts have none.
        if !needs_protection(text) {
            return text.chars().map(simplify_char).collect();
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for m in self.protected.find_iter(text) {
            out.extend(text[at..m.start()].chars().map(simplify_char));
            out.extend(text[m.start()..m.end()].chars().map(simplify_name_char));
            at = m.end();
        }
        out.extend(text[at..].chars().map(simplify_char));
        out
    }
}

/// The simplified spelling of a name.
pub fn simplify_name(name: &str) -> String {
    name.chars().map(simplify_name_char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_given_survive_the_copy_and_others_do_not() {
        let s = Simplifier::new(["乾祐", "乾隆", "國破"]);
        assert_eq!(s.simplify("乾祐三年，後漢隱帝。"), "乾祐三年，后汉隐帝。");
        assert_eq!(s.simplify("乾隆皇帝"), "乾隆皇帝");
        assert_eq!(s.simplify("乾燥"), "干燥");
        assert_eq!(s.simplify("國破山河在"), "国破山河在", "a name without such a character is not protected");
        assert_eq!(s.simplify("乾坤日夜浮"), "乾坤日夜浮");
        assert_eq!(Simplifier::new([]).simplify("乾隆皇帝"), "干隆皇帝", "not given, not kept");
        assert_eq!(simplify_name("乾隆"), "乾隆");
    }
}
