//! wenflow's character tables, shared by the clean stage, entity extraction and the
//! full-text index: which characters are Han or CJK punctuation ([`chars`]), variant
//! characters and their standard forms, traditional → simplified, the script a character
//! belongs to, and the fold search compares characters by ([`tables`]); and the simplified
//! copy of a text that keeps names ([`Simplifier`]).
//!
//! The tables are compiled in from `text/data/` (Unicode's Unihan and the CC0 `yitizi`
//! data; sources and licenses in `text/data/README.md`).
//!
//! ```
//! use wenflow_text::{Simplifier, fold_char, is_han};
//!
//! assert!(is_han('詩') && !is_han('，'));
//! // 爲, 為 and 为 are one character to the index.
//! assert_eq!(fold_char('爲'), '为');
//! // 乾 is 干 in 乾燥 but stays 乾 in the era name 乾隆, given as a name to protect.
//! let simplifier = Simplifier::new(["乾隆"]);
//! assert_eq!(simplifier.simplify("乾隆年間，天氣乾燥"), "乾隆年间，天气干燥");
//! ```

pub mod chars;
mod simplify;
pub mod tables;

pub use chars::{is_cjk_punct, is_han, is_han_or_cjk_punct};
pub use simplify::{Simplifier, simplify_name};
pub use tables::{fold_char, simplify_char};

/// The rows of a compiled-in table: tab-separated, after its header row, blank lines skipped.
fn tsv(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines().skip(1).filter(|l| !l.is_empty()).map(|l| l.split('\t').collect())
}
