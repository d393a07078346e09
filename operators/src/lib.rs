//! wenflow's document operators. Each has a pure core (functions on records, unit-tested
//! without timely) and a thin dataflow wrapper.
//!
//! - [`clean`]: Unicode normalisation, compatibility forms, punctuation, OCR debris,
//!   page furniture, variant characters, personal data, the quality filter, the simplified
//!   copy and the content hash.
//! - [`dedup`]: exact duplicates by content hash and near duplicates by MinHash/LSH with
//!   verified links, as one incremental computation of clusters.
//! - [`entities`]: reign-era dates, dynasties, rulers, persons, places and offices.
//! - [`ocr`]: page formats, image decoding with limits, despeckling, deskewing, layout
//!   decided per page, Tesseract.

pub mod clean;
pub mod dedup;
pub mod entities;
pub mod error;
pub mod ocr;
mod tsv;

pub use error::{OperatorError, Result};

#[cfg(test)]
mod testing;
