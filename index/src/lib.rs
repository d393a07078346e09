//! wenflow's full-text index (issue 5, first step: the analyzer).
//!
//! - [`analyzer`]: the CJK-aware tokenizer registered as [`analyzer::CJK_ANALYZER`].

pub mod analyzer;
