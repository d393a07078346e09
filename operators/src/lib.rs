//! wenflow's document operators. Each has a pure core (functions on records, unit-tested
//! without timely) and a thin dataflow wrapper.
//!
//! - [`clean`]: Unicode normalisation, whitespace, layout line joins, the content hash.
//! - [`dedup`]: exact duplicates by content hash.
//! - [`entities`]: reign-era dates (persons, places and offices follow).
//! - [`ocr`]: page formats, image decoding with limits, layout detection, Tesseract.

pub mod clean;
pub mod dedup;
pub mod entities;
pub mod error;
pub mod ocr;
mod tsv;

pub use error::{OperatorError, Result};

#[cfg(test)]
mod testing;
