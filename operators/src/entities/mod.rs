//! Entity extraction for classical Chinese (issue 3, in progress): so far the reign-era
//! date recogniser ([`era_date`]) over the era tables in `operators/data/eras/`.

pub mod era_date;
mod eras;

pub use era_date::{EraDate, find_era_dates};
pub use eras::{EraTable, ganzhi};
