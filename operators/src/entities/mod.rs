//! Entity extraction for classical Chinese: reign-era dates ([`era_date`]) over the era
//! tables in `operators/data/eras/`; dynasties, rulers, persons, places and offices from
//! gazetteers ([`gazetteer`]) matched with Aho-Corasick; overlaps resolved longest first
//! with context rules, and ambiguous dates narrowed by persons' lifetimes ([`Extractor`]);
//! the `entities` rows of each document, and `entity_counts` maintained incrementally.
//!
//! What an era name is read against is an option ([`EntityOptions::era_regimes`]: Chinese
//! regimes by default); what is known of a document besides its text is a [`DocContext`].

mod dataflow;
pub mod era_date;
mod eras;
mod extract;
pub mod gazetteer;
pub mod lifetime;
mod options;

pub use dataflow::{entities, entity_counts};
pub use era_date::{EraDate, find_era_dates};
pub use eras::{EraTable, ganzhi};
pub use extract::{Extractor, Mention, render_mentions};
pub use gazetteer::Gazetteer;
pub use lifetime::Lifetime;
pub use options::{DocContext, EntityOptions, Realm, Realms};
