//! Page images and OCR: the pure core of the decode and OCR stages.
//!
//! - [`decode`]: the format of a file by its magic bytes; PNG, JPEG and (multi-page) TIFF
//!   decoded to grey pages with [`PageLimits`](decode::PageLimits) checked first.
//! - [`layout`]: horizontal or vertical text, from the page's blank rows and columns.
//! - [`engine`]: one worker's Tesseract instances, reused for every page, and the tidying
//!   of what Tesseract returns.

pub mod decode;
pub mod engine;
pub mod layout;

pub use decode::{Format, GrayPage, PageLimits, decode_pages, sniff};
pub use engine::{LayoutChoice, OcrConfig, OcrEngine, PageText, tesseract_version};
pub use layout::Layout;
