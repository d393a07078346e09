//! The clean stage as a dataflow operator.

use std::sync::Arc;

use differential_dataflow::VecCollection;
use wenflow_engine::split::split_results;
use wenflow_engine::{CleanChange, Document, Epoch, Failure, LineBreaks, Stage};

use super::config::CleanConfig;
use super::text::{clean_document, content_hash};

/// Pure core: cleans one document. Returns the clean document and its change counts, or
/// the `filter` failure that accounts for a document the quality filter rejects. An OCRed
/// document's quality is its text quality times its mean OCR confidence: low confidence
/// shows in `quality`; it never drops the document (the filter judges the text).
pub fn clean_one(mut d: Document, config: &CleanConfig) -> Result<(Document, Vec<CleanChange>), Failure> {
    let c = clean_document(&d.text, d.line_breaks == LineBreaks::Layout, config);
    if let Some(reason) = c.filtered {
        return Err(Failure::new(d.source, Some(d.doc_id), Stage::Filter, reason, d.pos));
    }
    let changes = c.changes.iter().map(|(rule, count)| CleanChange { doc_id: d.doc_id.clone(), rule, count }).collect();
    d.content_hash = content_hash(&c.text);
    d.text = c.text;
    d.text_simplified = c.simplified;
    d.script = c.script;
    let confidence = d.ocr_confidence_ppm.map_or(1.0, |c| f64::from(c) / 1_000_000.0);
    d.quality_ppm = (c.quality.score.clamp(0.0, 1.0) * confidence * 1_000_000.0).round() as u32;
    Ok((d, changes))
}

/// Cleans every document: the clean documents, their change counts (`clean_changes`), and
/// the documents the quality filter rejects, as `failures` rows with stage `filter`, so
/// that they stay counted.
#[allow(clippy::type_complexity)]
pub fn clean<'s>(
    docs: VecCollection<'s, Epoch, Document>,
    config: Arc<CleanConfig>,
) -> (VecCollection<'s, Epoch, Document>, VecCollection<'s, Epoch, CleanChange>, VecCollection<'s, Epoch, Failure>) {
    let out = docs.flat_map(move |d| {
        let mut out: Vec<Result<Result<Document, CleanChange>, Failure>> = Vec::new();
        match clean_one(d, &config) {
            Ok((doc, changes)) => {
                out.push(Ok(Ok(doc)));
                out.extend(changes.into_iter().map(|c| Ok(Err(c))));
            }
            Err(f) => out.push(Err(f)),
        }
        out
    });
    let (ok, filtered) = split_results(out);
    let (docs, changes) = split_results(ok);
    (docs, changes, filtered)
}
