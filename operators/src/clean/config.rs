//! Options of the clean stage.

use serde::{Deserialize, Serialize};

use crate::{OperatorError, Result};

/// The punctuation style text is unified to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PunctuationStyle {
    /// Leave punctuation as it is.
    Keep,
    /// Fullwidth CJK punctuation, corner quotes 「」『』 (the usual style of traditional texts).
    #[default]
    Corner,
    /// Fullwidth CJK punctuation, curly quotes “”‘’ (the mainland style).
    Curly,
}

/// What to do with a kind of match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Policy {
    /// Leave it in the text (it is still counted).
    Keep,
    /// Replace every character of it with `*` (offsets of the text after it are kept).
    Mask,
    /// Remove it.
    Drop,
}

/// Policy per kind of personal data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PiiPolicies {
    /// Mobile and landline phone numbers.
    pub phone: Policy,
    /// E-mail addresses.
    pub email: Policy,
    /// Chinese resident ID card numbers with a valid check digit.
    pub id_card: Policy,
    /// Bank card numbers with a valid Luhn digit.
    pub bank_card: Policy,
}

impl Default for PiiPolicies {
    fn default() -> Self {
        PiiPolicies { phone: Policy::Mask, email: Policy::Mask, id_card: Policy::Mask, bank_card: Policy::Mask }
    }
}

/// Thresholds of the quality filter; a document failing any of them is filtered.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct QualityThresholds {
    /// Fewest non-space characters.
    pub min_chars: usize,
    /// Lowest share of Han characters among the non-space, non-punctuation characters.
    pub min_han_share: f64,
    /// Highest share of characters removed as OCR debris.
    pub max_debris_ratio: f64,
    /// Highest share of placeholders (□) among the non-space characters.
    pub max_placeholder_share: f64,
    /// Lowest quality score (see [`super::quality`]).
    pub min_score: f64,
}

impl Default for QualityThresholds {
    fn default() -> Self {
        QualityThresholds {
            min_chars: 1,
            min_han_share: 0.2,
            max_debris_ratio: 0.3,
            max_placeholder_share: 0.5,
            min_score: 0.0,
        }
    }
}

/// Options of the clean stage. The default is what `wenflow ingest` does without flags.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CleanConfig {
    /// Punctuation style.
    pub punctuation: PunctuationStyle,
    /// Remove OCR debris (stray Latin letters, digits and symbols amid Han text, page
    /// numbers, running headers and footers, repeated punctuation).
    pub debris: bool,
    /// Drop missing-character placeholders (□, 〓, U+FFFD) instead of keeping them.
    pub drop_placeholders: bool,
    /// Map variant characters (異體字) to their standard form.
    pub variants: bool,
    /// Add a simplified-character copy of the text.
    pub simplified: bool,
    /// Personal data policies.
    pub pii: PiiPolicies,
    /// The quality filter.
    pub quality: QualityThresholds,
}

impl Default for CleanConfig {
    fn default() -> Self {
        CleanConfig {
            punctuation: PunctuationStyle::Corner,
            debris: true,
            drop_placeholders: false,
            variants: true,
            simplified: true,
            pii: PiiPolicies::default(),
            quality: QualityThresholds::default(),
        }
    }
}

impl PunctuationStyle {
    /// Parses `keep`, `corner` or `curly`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "keep" => Ok(PunctuationStyle::Keep),
            "corner" => Ok(PunctuationStyle::Corner),
            "curly" => Ok(PunctuationStyle::Curly),
            _ => Err(OperatorError::InvalidOption {
                name: "punctuation",
                message: format!("{s:?} is not one of keep, corner, curly"),
            }),
        }
    }
}

impl Policy {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "keep" => Some(Policy::Keep),
            "mask" => Some(Policy::Mask),
            "drop" => Some(Policy::Drop),
            _ => None,
        }
    }
}

impl PiiPolicies {
    /// Applies a list such as `phone=drop,email=keep` (or `all=keep`) to the defaults.
    pub fn parse(spec: &str) -> Result<Self> {
        let mut p = PiiPolicies::default();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let invalid = |message: String| OperatorError::InvalidOption { name: "pii", message };
            let (kind, policy) =
                item.split_once('=').ok_or_else(|| invalid(format!("{item:?} is not <kind>=<keep|mask|drop>")))?;
            let policy = Policy::parse(policy.trim())
                .ok_or_else(|| invalid(format!("{policy:?} is not one of keep, mask, drop")))?;
            match kind.trim() {
                "phone" => p.phone = policy,
                "email" => p.email = policy,
                "id_card" | "id-card" | "id" => p.id_card = policy,
                "bank_card" | "bank-card" | "bank" => p.bank_card = policy,
                "all" => p = PiiPolicies { phone: policy, email: policy, id_card: policy, bank_card: policy },
                other => {
                    return Err(invalid(format!("{other:?} is not one of phone, email, id_card, bank_card, all")));
                }
            }
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pii_policies_parse() {
        let p = PiiPolicies::parse("phone=drop, email=keep").expect("valid");
        assert_eq!((p.phone, p.email, p.id_card), (Policy::Drop, Policy::Keep, Policy::Mask));
        assert_eq!(PiiPolicies::parse("all=keep").expect("valid").bank_card, Policy::Keep);
        assert!(PiiPolicies::parse("phone=erase").is_err());
        assert!(PiiPolicies::parse("fax=drop").is_err());
        assert!(PunctuationStyle::parse("fancy").is_err());
    }
}
