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
//!
//! A pure core on one text, and a dataflow wrapper fed updates (here: two editions of a
//! poem that differ only in variant characters and punctuation are one exact cluster once
//! cleaned):
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use differential_dataflow::input::Input;
//! use wenflow_engine::{Document, DuplicateRow};
//! use wenflow_operators::clean::{CleanConfig, clean_document, content_hash};
//! use wenflow_operators::dedup::{DedupConfig, duplicates};
//!
//! let config = CleanConfig::default();
//! let docs: Vec<Document> = [("a", "牀前明月光,疑是地上霜。"), ("b", "床前明月光，疑是地上霜。")]
//!     .into_iter()
//!     .map(|(id, raw)| {
//!         let text = clean_document(raw, false, &config).text;
//!         Document { doc_id: id.into(), content_hash: content_hash(&text), text, ..Document::default() }
//!     })
//!     .collect();
//! assert_eq!(docs[0].text, docs[1].text);
//!
//! let rows: Arc<Mutex<Vec<DuplicateRow>>> = Arc::default();
//! let sink = rows.clone();
//! timely::execute_directly(move |worker| {
//!     let mut input = worker.dataflow::<u64, _, _>(|scope| {
//!         let (input, docs) = scope.new_collection::<Document, isize>();
//!         let sink = sink.clone();
//!         duplicates(docs, Arc::new(DedupConfig::default()))
//!             .inspect(move |(row, _, diff)| if *diff > 0 { sink.lock().unwrap().push(row.clone()) });
//!         input
//!     });
//!     for doc in docs.clone() {
//!         input.insert(doc);
//!     }
//! });
//! let rows = rows.lock().unwrap();
//! assert_eq!(rows.len(), 2);
//! assert!(rows.iter().all(|r| r.cluster_id == "a"));
//! ```

pub mod clean;
pub mod dedup;
pub mod entities;
pub mod error;
pub mod ocr;
mod tsv;

pub use error::{OperatorError, Result};

#[cfg(test)]
mod testing;
