//! The clean stage as a dataflow operator.

use differential_dataflow::VecCollection;
use wenflow_engine::{Document, Epoch, Failure, LineBreaks, Stage};

use super::text::{clean_text, content_hash};

/// Cleans every document and sets its content hash. Documents whose cleaned text is empty
/// are filtered: they leave as `failures` rows with stage `filter`, so they stay counted.
pub fn clean<'s>(
    docs: VecCollection<'s, Epoch, Document>,
) -> (VecCollection<'s, Epoch, Document>, VecCollection<'s, Epoch, Failure>) {
    let cleaned = docs.map(|mut d| {
        d.text = clean_text(&d.text, d.line_breaks == LineBreaks::Layout);
        if d.text.is_empty() {
            return Err(Failure::new(d.source, Some(d.doc_id), Stage::Filter, "filtered: empty text", d.pos));
        }
        d.content_hash = content_hash(&d.text);
        Ok(d)
    });
    wenflow_engine::split::split_results(cleaned)
}
