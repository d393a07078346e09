//! Page images and OCR: the pure core of the decode and OCR stages.
//!
//! - [`decode`]: the format of a file by its magic bytes; PNG, JPEG and (multi-page) TIFF
//!   decoded to grey pages with [`PageLimits`](decode::PageLimits) checked first.
//! - [`layout`]: horizontal or vertical text, from the page's blank rows and columns.
//! - [`engine`]: one worker's Tesseract instances, reused for every page, and the tidying
//!   of what Tesseract returns.
//! - [`pdf`]: PDF pages through poppler: page count, text layer, rendering.
//! - [`worker`]: Tesseract in a child process, for the per-page deadline and isolation.
//! - [`dataflow`]: page tasks read on every worker, pages assembled into documents.

pub mod dataflow;
pub mod decode;
pub mod engine;
pub mod layout;
pub mod pdf;
mod proc;
pub mod worker;

pub use dataflow::{OcrSettings, documents_of_pages, expand_pages, read_pages};
pub use decode::{Format, GrayPage, PageLimits, count_pages, decode_page, decode_pages, sniff};
pub use engine::{LayoutChoice, OcrConfig, OcrEngine, PageText, tesseract_version};
pub use layout::Layout;
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
