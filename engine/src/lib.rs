//! The wenflow engine: the record model, the Arrow schemas of the output tables and the
//! dataflow runtime (cluster configuration, epochs, frontier-driven commits, progress).
//!
//! The engine knows no concrete operator or connector. Operators (`wenflow-operators`)
//! and connectors (`wenflow-connectors`) build on the types here; the `wenflow` binary
//! wires them into one dataflow.
//!
//! # Time and diffs
//!
//! Every collection is a differential collection of `(record, epoch, diff)`: the epoch is
//! a [`Epoch`] (`u64`), the diff an [`isize`] (`+1` insert, `-1` retract). An update is a
//! retraction of the old record and an insertion of the new one at the same epoch.

pub mod cluster;
pub mod error;
pub mod identity;
pub mod progress;
pub mod record;
pub mod schema;
pub mod sink;
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
