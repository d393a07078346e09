//! The clean stage: a minimal, typographically careful normalisation, and the content hash.
//!
//! Guarantees: the output is NFC; control and zero-width characters are gone; spaces are
//! collapsed and never stand between two Han characters; lines broken by layout (between
//! two Han characters) are joined when the document says its line breaks are layout;
//! cleaning is idempotent. Fullwidth punctuation is kept as it is (no NFKC).
//!
//! The content hash is computed over the cleaned text with all whitespace removed, so two
//! editions that differ only in how they break lines have the same hash.

mod dataflow;
mod text;

pub use dataflow::clean;
pub use text::{clean_text, content_hash, is_han};
