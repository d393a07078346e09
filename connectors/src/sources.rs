//! The stream sources, behind one contract ([`StreamSource`]) and one registry
//! ([`STREAM_SOURCES`]).
//!
//! A stream source is its options: it checks that its input can be read before the workers
//! start, names itself in the job id and the `runs` row, and opens each worker's share of
//! the input ([`wenflow_engine::source::Source`]) from what the output has logged. Adding
//! one (a network ingest endpoint, say) is a module implementing the two traits, one line
//! in [`STREAM_SOURCES`] and the command-line options that build it.

use std::collections::BTreeMap;
use std::sync::Arc;

use wenflow_engine::Epoch;
use wenflow_engine::source::{InputRow, PositionRow, Source};

use crate::Result;
use crate::files::SourceOptions;

/// What the output has logged for a stream, as a restarted job reads it back.
#[derive(Debug, Default)]
pub struct Logged {
    /// The input log's state as of the last epoch every table holds.
    pub state: Vec<(InputRow, i64)>,
    /// The logged changes of each later epoch (one entry for every such epoch).
    pub replay: BTreeMap<Epoch, Vec<(InputRow, isize)>>,
    /// The `positions` table as of the last logged epoch.
    pub positions: Vec<PositionRow>,
}

/// Which worker of how many is opening its share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Share {
    /// The worker's index among all workers of all processes.
    pub worker: usize,
    /// All workers of all processes.
    pub peers: usize,
}

/// A kind of stream input, as its options.
pub trait StreamSource: std::fmt::Debug + Send + Sync {
    /// Its registry name.
    fn kind(&self) -> &'static str;

    /// What names the input (the folder; the brokers, topics and payload kind), for the job
    /// id and the `runs` row: not how it is run (`--once`, epoch length), so that every run
    /// of a stream is one job.
    fn describe(&self) -> serde_json::Value;

    /// Fails with a clear message when the input cannot be read (a folder that is not
    /// there, brokers that cannot be reached, a topic that does not exist).
    fn check(&self) -> Result<()>;

    /// Worker `share`'s source, resuming from what the output `logged`.
    fn open(&self, share: Share, fields: Arc<SourceOptions>, logged: &Logged) -> Result<Box<dyn Source>>;
}

/// A registered kind of stream source.
#[derive(Clone, Copy, Debug)]
pub struct Registered {
    /// Its name ([`StreamSource::kind`]).
    pub kind: &'static str,
    /// What it reads, for `--help` and the README.
    pub about: &'static str,
}

/// Every stream source.
pub const STREAM_SOURCES: &[Registered] = &[
    Registered { kind: "watch", about: "a watched folder of every format ingest reads (--watch DIR)" },
    Registered { kind: "kafka", about: "Kafka topics of JSON or text values (--kafka BROKERS --topic T)" },
];
