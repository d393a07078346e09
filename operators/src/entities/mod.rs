//! Entity extraction for classical Chinese (issue 3, in progress): so far the reign-era
//! date recogniser ([`era_date`]) over the era tables in `operators/data/eras/`, the
//! `entities` rows of each document, and `entity_counts` maintained incrementally.

mod dataflow;
pub mod era_date;
mod eras;

pub use dataflow::{document_entities, entities, entity_counts};
pub use era_date::{EraDate, find_era_dates};
pub use eras::{EraTable, ganzhi};
