//! The wenflow engine: the record model, the Arrow schemas of the output tables and the
//! dataflow runtime (cluster configuration, epochs, frontier-driven commits, progress).
//!
//! The engine knows no concrete operator or connector. Operators (`wenflow-operators`)
//! and connectors (`wenflow-connectors`) build on the types here; `wenflow-jobs` wires
//! them into one dataflow per job.
//!
//! # Why some records of single operators live here
//!
//! The engine owns the contract of the output tables: each table's record type sits with
//! its declaration ([`schema`]), so that the writers, the committer, restore and the SQL
//! layer need nothing from the operators. That is why [`CleanRule`] (the closed vocabulary
//! of the `rule` column of `clean_changes`, PII kinds included), [`PageRow`] (a row of
//! `pages`) and [`EntityRow`] are here, although one operator each makes them. [`PageTask`]
//! is the record a source hands to the page stage (the contract between the files
//! connector and the OCR operator, which do not depend on each other). And
//! [`identity::resolve_ids`] is not a transformation of documents but the primary-key
//! guarantee of the `documents` table (one live version per `doc_id`, every other claimant a
//! `failures` row), which every job gets whatever operators it runs, as it gets exactly-once
//! commits.
//!
//! # Time and diffs
//!
//! Every collection is a differential collection of `(record, epoch, diff)`: the epoch is
//! a [`Epoch`] (`u64`), the diff an [`isize`] (`+1` insert, `-1` retract). An update is a
//! retraction of the old record and an insertion of the new one at the same epoch.

pub mod blob;
pub mod cluster;
pub mod error;
pub mod fatal;
pub mod identity;
pub mod io;
pub mod memo;
pub mod ordered;
pub mod progress;
pub mod record;
pub mod schema;
pub mod sink;
pub mod source;
pub mod split;
pub mod table;

pub use error::{EngineError, Result};
pub use record::{
    CleanChange, CleanRule, Document, DuplicateKind, DuplicateRow, EntityCount, EntityKind, EntityRow, Failure,
    LineBreaks, PageFormat, PageMethod, PageRow, PageTask, Script, Shared, SourcePos, Stage,
};

/// A batch or stream epoch: the unit of atomic, idempotent commits.
pub type Epoch = u64;

/// The difference type of every collection.
pub type Diff = isize;
