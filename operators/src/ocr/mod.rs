//! Page images and OCR: the pure core of the decode and OCR stages.
//!
//! - [`decode`]: the format of a file by its magic bytes; PNG, JPEG and (multi-page) TIFF
//!   decoded to grey pages with [`PageLimits`](decode::PageLimits) checked first.
//! - [`ink`]: the ink of a page in blobs (glyphs, specks, rules); specks whitened, pages
//!   rotated.
//! - [`layout`]: the skew of a page and whether its text is horizontal or vertical, from
//!   its blank rows and columns once straightened; the page made ready for OCR.
//! - [`plausibility`]: how much a reading looks like Chinese text (a bigram model).
//! - [`engine`]: one worker's Tesseract instances, reused for every page, and the tidying
//!   of what Tesseract returns.
//! - [`pdf`]: PDF pages through poppler: page count, text layer, rendering.
//! - [`worker`]: Tesseract in a child process, for the per-page deadline and isolation.
//! - [`dataflow`]: page tasks read on every worker, pages assembled into documents.

pub mod dataflow;
pub mod decode;
pub mod engine;
pub mod ink;
pub mod layout;
pub mod pdf;
pub mod plausibility;
mod proc;
pub mod worker;

pub use dataflow::{OcrSettings, RestoredFile, RestoredPages, documents_of_pages, expand_pages, read_pages};
pub use decode::{Format, GrayPage, PageLimits, count_pages, decode_page, decode_pages, sniff};
pub use engine::{LayoutBy, LayoutChoice, OcrConfig, OcrEngine, PageText, tesseract_version};
pub use layout::{Layout, LayoutEvidence};
pub use worker::{OcrProcess, serve};

/// Test helpers: the fixtures of `tests/fixtures/ocr/`.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::{GrayPage, PageLimits, decode_pages};

    /// The bytes of fixture `name`.
    pub(crate) fn bytes(name: &str) -> Vec<u8> {
        let path = format!("{}/../tests/fixtures/ocr/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// The first page of image fixture `name`.
    pub(crate) fn page(name: &str) -> GrayPage {
        decode_pages(&bytes(name), &PageLimits::default()).expect("decode").remove(0)
    }
}
