//! Entity extraction for classical Chinese: reign-era dates ([`era_date`]) over the era
//! tables in `operators/data/eras/`; dynasties, rulers, persons, places and offices from
//! gazetteers ([`gazetteer`]) matched with Aho-Corasick; overlaps resolved longest first
//! with context rules ([`find_entities`]); the `entities` rows of each document, and
//! `entity_counts` maintained incrementally.

mod dataflow;
pub mod era_date;
mod eras;
pub mod gazetteer;

pub use dataflow::{Mention, document_entities, entities, entity_counts, find_entities};
pub use era_date::{EraDate, find_era_dates};
pub use eras::{EraTable, ganzhi};
pub use gazetteer::Gazetteer;
