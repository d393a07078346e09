//! The clean stage.
//!
//! In order, for each document:
//! 1. page furniture of laid-out text (form-feed separated pages): page-number lines and
//!    running headers and footers ([`pages`]);
//! 2. NFC, line endings, control and zero-width characters; compatibility forms (Kangxi
//!    radicals, fullwidth letters and digits) to unified forms. Never NFKC: it would turn
//!    fullwidth `，？` into ASCII;
//! 3. whitespace: spaces collapsed and never between two Han characters or CJK marks; with
//!    layout line breaks, a break between two Han characters is joined;
//! 4. rules, repeated until nothing changes (so cleaning is idempotent): personal data
//!    ([`pii`]), punctuation to one style, OCR debris (stray Latin letters, digits and
//!    symbols amid Han text, repeated punctuation), variant characters (異體字) to their
//!    standard form, placeholders dropped if configured, whitespace again;
//! 5. measures: placeholders counted, the quality score and filter ([`quality`]), the
//!    script, and the simplified copy that protects names ([`simplify`]).
//!
//! Every rule counts what it changes ([`Changes`], the `clean_changes` table). The content
//! hash is computed over the cleaned text with all whitespace removed, so two editions that
//! differ only in how they break lines have the same hash.

pub mod config;
mod dataflow;
pub mod pages;
pub mod pii;
pub mod quality;
pub mod simplify;
mod text;

use wenflow_engine::CleanRule;

pub use config::{CleanConfig, PiiPolicies, Policy, PunctuationStyle, QualityThresholds};
pub use dataflow::{clean, clean_one};
pub use text::{Cleaned, clean_document, clean_text, content_hash, script_of};
pub use wenflow_text::{fold_char, is_cjk_punct, is_han, is_han_or_cjk_punct};

/// How often each rule fired on one document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Changes([u32; CleanRule::ALL.len()]);

impl Changes {
    /// Adds `n` to `rule`.
    pub fn add(&mut self, rule: CleanRule, n: u32) {
        self.0[rule as usize] = self.0[rule as usize].saturating_add(n);
    }

    /// The count of `rule`.
    pub fn get(&self, rule: CleanRule) -> u32 {
        self.0[rule as usize]
    }

    /// The sum over all rules.
    pub fn total(&self) -> u64 {
        self.0.iter().map(|&n| u64::from(n)).sum()
    }

    /// The rules that fired, with their counts.
    pub fn iter(&self) -> impl Iterator<Item = (CleanRule, u32)> + '_ {
        CleanRule::ALL.into_iter().map(|r| (r, self.get(r))).filter(|&(_, n)| n > 0)
    }
}
