//! The quality score of a cleaned text and the quality filter.
//!
//! Measures, over the non-space characters of the clean text:
//! - `han_share`: Han characters among the characters that are neither punctuation nor
//!   placeholders;
//! - `debris_ratio`: characters removed as debris or repeated punctuation, among the
//!   non-space characters of the raw text;
//! - `placeholder_share`: placeholders (□, 〓, U+FFFD) found, kept or dropped;
//! - `chars`: the length.
//!
//! The score is `han_share × (1 − debris_ratio) × (1 − placeholder_share) × length`, where
//! `length = min(1, √(chars / 20))`: a four-line poem of five-character verses scores its
//! full share, a two-character fragment about a third of it.

use wenflow_engine::CleanRule;

use super::Changes;
use super::config::QualityThresholds;
use super::text::is_punct;
use wenflow_text::chars::{is_han, is_placeholder};

/// Quality measures of one text.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Quality {
    /// Non-space characters.
    pub chars: usize,
    /// Han characters among the non-punctuation characters.
    pub han_share: f64,
    /// Characters removed as debris among the raw non-space characters.
    pub debris_ratio: f64,
    /// Placeholders among the non-space characters (dropped ones included).
    pub placeholder_share: f64,
    /// The score in [0, 1].
    pub score: f64,
}

/// Measures `text`, the clean form of a raw text of `original_chars` non-space characters.
pub fn measure(text: &str, original_chars: usize, changes: &Changes) -> Quality {
    let (mut chars, mut han, mut other) = (0usize, 0usize, 0usize);
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        chars += 1;
        if is_han(c) {
            han += 1;
        } else if is_punct(c) || is_placeholder(c) {
            other += 1;
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let han_share = ratio(han, chars - other);
    let removed = (changes.get(CleanRule::Debris) + changes.get(CleanRule::RepeatedPunctuation)) as usize;
    let debris_ratio = ratio(removed, original_chars).min(1.0);
    let dropped = changes.get(CleanRule::PlaceholderDropped) as usize;
    let placeholders = changes.get(CleanRule::Placeholder) as usize + dropped;
    let placeholder_share = ratio(placeholders, chars + dropped).min(1.0);
    let length = (chars as f64 / 20.0).sqrt().min(1.0);
    let score = han_share * (1.0 - debris_ratio) * (1.0 - placeholder_share) * length;
    Quality { chars, han_share, debris_ratio, placeholder_share, score }
}

impl Quality {
    /// Why the thresholds reject this text, or `None`.
    pub fn reject(&self, t: &QualityThresholds) -> Option<String> {
        if self.chars == 0 {
            return Some("filtered: empty text".to_owned());
        }
        if self.chars < t.min_chars {
            return Some(format!("filtered: {} characters < {}", self.chars, t.min_chars));
        }
        if self.han_share < t.min_han_share {
            return Some(format!("filtered: han share {:.2} < {:.2}", self.han_share, t.min_han_share));
        }
        if self.debris_ratio > t.max_debris_ratio {
            return Some(format!("filtered: debris ratio {:.2} > {:.2}", self.debris_ratio, t.max_debris_ratio));
        }
        if self.placeholder_share > t.max_placeholder_share {
            return Some(format!(
                "filtered: placeholder share {:.2} > {:.2}",
                self.placeholder_share, t.max_placeholder_share
            ));
        }
        if self.score < t.min_score {
            return Some(format!("filtered: quality {:.2} < {:.2}", self.score, t.min_score));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_and_rejects() {
        let q = measure("床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。", 24, &Changes::default());
        assert_eq!(q.chars, 24);
        assert!((q.han_share - 1.0).abs() < 1e-9);
        assert!((q.score - 1.0).abs() < 1e-9);
        assert_eq!(q.reject(&QualityThresholds::default()), None);

        let q = measure("The quick brown fox 天", 19, &Changes::default());
        assert_eq!(q.reject(&QualityThresholds::default()).as_deref(), Some("filtered: han share 0.06 < 0.20"));

        let mut c = Changes::default();
        c.add(CleanRule::Placeholder, 6);
        let q = measure("□□□□□□天地", 8, &c);
        assert!((q.han_share - 1.0).abs() < 1e-9);
        assert_eq!(q.reject(&QualityThresholds::default()).as_deref(), Some("filtered: placeholder share 0.75 > 0.50"));
        assert_eq!(measure("", 3, &c).reject(&QualityThresholds::default()).as_deref(), Some("filtered: empty text"));
    }
}
