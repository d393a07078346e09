//! The simplified copy of a document's text: `wenflow_text`'s [`Simplifier`], given as
//! data the names of the entity stage's lists (reign eras, dynasties, rulers, persons,
//! places), so that a character that is its own simplified form in some uses keeps itself
//! inside them (乾隆, not 干隆).

use std::sync::LazyLock;

use wenflow_text::Simplifier;

use crate::entities::{EraTable, gazetteer};

static SIMPLIFIER: LazyLock<Simplifier> = LazyLock::new(|| {
    let eras = EraTable::get().by_name.keys().map(String::as_str);
    Simplifier::new(eras.chain(gazetteer::BUILTIN_NAMES.spellings()))
});

/// The simplified copy of `text`, keeping the built-in names.
pub fn simplify(text: &str) -> String {
    SIMPLIFIER.simplify(text)
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
    }
}
