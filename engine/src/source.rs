//! Sources, and the epoch driver that feeds them into a job's dataflow.
//!
//! # Contract
//!
//! A source is read by every worker of every process, each reading its own share: the
//! splits of a batch plan whose number falls to it, the Kafka partitions assigned to it, the
//! files of a watched folder that hash to it, the connections an ingest endpoint accepted
//! on it. Each worker reads its share epoch by epoch ([`Source::read_epoch`]): every input
//! becomes an [`Input`] (a record or a failure, or a page file for the page stage), and the
//! number of inputs read is sent to the committer with the epoch, so every input is
//! accounted for.
//!
//! A source's **position** is what a restart needs to resume right after the last
//! committed epoch and read nothing twice, stored atomically with the epoch's commit: for a
//! plan of files, the epoch itself (the plan is a pure function of the input, so its epoch
//! numbers are positions, and the tables' Delta `txn` versions record them); for Kafka,
//! the next offset of each partition (rows of the `positions` table,
//! [`Source::take_positions`]); for a watched folder, each file's version (the input log).
//!
//! # Updates, deletions and the input log
//!
//! Every input goes in with a diff: `+1` inserts it, `-1` retracts it. A source whose inputs
//! change (a file rewritten, a Kafka key with a new value or a tombstone) keeps the live
//! version of each of its keys and retracts exactly what it inserted before, so every
//! operator downstream retracts what that version produced. Such a source logs each change
//! as an [`InputRow`] (key, version, input) in the `inputs` table, which commits first in
//! every epoch. The log is the stream's write-ahead log: on restart, its state as of the
//! last epoch every table holds is replayed into the dataflow (the operators rebuild their
//! state by recomputing it, nothing is written again), and an epoch that the log holds
//! but some table lacks is replayed from the log exactly as it was first read.
//!
//! [`drive`] runs the epochs on one worker: it advances the inputs, pushes what the source
//! reads, hands the epoch's count to the committer, and waits (parking, woken by messages)
//! until the epoch has passed the dataflow before reading the next, so memory holds about
//! one epoch of input.

use std::time::Duration;

use differential_dataflow::input::InputSession;
use serde::{Deserialize, Serialize};
use timely::dataflow::{InputHandleVec, ProbeHandle};
use timely::worker::Worker;

use crate::Epoch;
use crate::progress::Progress;
use crate::record::{Document, EntityRow, Failure, PageTask};
use crate::sink::CommitMsg;

/// One input of a source.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Input {
    /// A record: a document, or the failure that took its place.
    Record(Result<Document, Failure>),
    /// A page file (an image or a PDF) whose pages the page stage reads.
    PageFile(PageTask),
}

impl Default for Input {
    fn default() -> Self {
        Input::Record(Err(Failure::default()))
    }
}

/// A row of the input log (the `inputs` table): one input of one version of a source key.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct InputRow {
    /// The source's key: a file's path relative to the watched folder, a Kafka message's
    /// topic, partition and key.
    pub key: String,
    /// The version of the key the input belongs to (a file's size, time and content hash;
    /// a Kafka offset).
    pub version: String,
    /// The input.
    pub input: Input,
}

/// A row of the `positions` table: where one partition of a source stands after an epoch
/// (the next Kafka offset), committed with the epoch before the input log.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PositionRow {
    /// The source (`kafka`).
    pub source: String,
    /// The partition (`topic/3`).
    pub partition: String,
    /// The position after the epoch (the next offset to read).
    pub position: i64,
}

/// A change a source reads: an input inserted (`diff` +1) or retracted (-1), with the
/// log row that records it, for sources that keep an input log.
#[derive(Clone, Debug)]
pub struct Change {
    /// The input.
    pub input: Input,
    /// +1 or -1.
    pub diff: isize,
    /// Key and version for the input log, if the source keeps one.
    pub logged: Option<(std::sync::Arc<str>, std::sync::Arc<str>)>,
}

impl Change {
    /// An insertion that no log records (a batch plan).
    pub fn insert(input: Input) -> Self {
        Change { input, diff: 1, logged: None }
    }
}

/// What reading one epoch of a source yielded on one worker.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EpochRead {
    /// Inputs read: records, failures and page files inserted (a retraction reads
    /// nothing new).
    pub inputs: u64,
    /// Input bytes they cover.
    pub bytes: u64,
}

/// A source, as one worker reads it.
pub trait Source {
    /// The last epoch the source has input for, if it ends (a batch plan); `None` while
    /// more may come (a stream).
    fn last_epoch(&self) -> Option<Epoch>;

    /// Reads this worker's share of `epoch`, handing every change to `emit`.
    fn read_epoch(&mut self, epoch: Epoch, emit: &mut dyn FnMut(Change)) -> EpochRead;

    /// The live inputs restored from the input log, which the dataflow recomputes its state
    /// from before the first epoch is read (taken once).
    fn take_restored(&mut self) -> Vec<Input> {
        Vec::new()
    }

    /// The changes of the `positions` table for the epoch just read (taken once per epoch).
    fn take_positions(&mut self) -> Vec<(PositionRow, isize)> {
        Vec::new()
    }
}

/// The inputs of a job's dataflow, as one worker holds them.
pub struct Inputs {
    /// Records read by this worker's share of the source.
    pub records: InputSession<Epoch, Result<Document, Failure>, isize>,
    /// Page files found by this worker's share of the source.
    pub page_files: InputSession<Epoch, PageTask, isize>,
    /// Committed documents restored on resume (ids and content hashes).
    pub restored: InputSession<Epoch, Document, isize>,
    /// Committed entity rows restored on resume.
    pub restored_entities: InputSession<Epoch, EntityRow, isize>,
    /// The input log of sources that keep one.
    pub log: InputSession<Epoch, InputRow, isize>,
    /// The positions of sources with partitions.
    pub positions: InputSession<Epoch, PositionRow, isize>,
    /// Input counts per epoch, for the committer's accounting.
    pub counts: InputHandleVec<Epoch, CommitMsg>,
    /// Frontier of committed epochs (tables and index).
    pub probe: ProbeHandle<Epoch>,
}

impl Inputs {
    fn advance_to(&mut self, epoch: Epoch) {
        self.records.advance_to(epoch);
        self.page_files.advance_to(epoch);
        self.restored.advance_to(epoch);
        self.restored_entities.advance_to(epoch);
        self.log.advance_to(epoch);
        self.positions.advance_to(epoch);
        self.counts.advance_to(epoch);
    }

    fn flush(&mut self) {
        self.records.flush();
        self.page_files.flush();
        self.restored.flush();
        self.restored_entities.flush();
        self.log.flush();
        self.positions.flush();
    }

    fn push(&mut self, input: Input, diff: isize) {
        match input {
            Input::Record(r) => self.records.update(r, diff),
            Input::PageFile(p) => self.page_files.update(p, diff),
        }
    }
}

/// State committed before `resume`, which the operators start from: documents and entity
/// rows with their multiplicities (fed by one worker).
#[derive(Debug, Default)]
pub struct Restored {
    /// Document versions (identity, content hash, comparison text).
    pub documents: Vec<(Document, i64)>,
    /// Entity rows.
    pub entities: Vec<(EntityRow, i64)>,
}

/// How long a waiting worker parks before it looks again (it wakes early on messages).
const PARK: Duration = Duration::from_millis(5);

/// Records pushed between two steps of the worker while an epoch is read, so that the
/// dataflow works on an epoch while it is being read.
const STEP_EVERY: usize = 1024;

/// Runs `source` from epoch `resume` to its last on this worker: restored state goes in
/// just before `resume`, each epoch's inputs at that epoch, and the worker returns once the
/// dataflow has completed. A source without a last epoch runs until the process stops.
pub fn drive(
    worker: &mut Worker,
    mut inputs: Inputs,
    source: &mut dyn Source,
    resume: Epoch,
    restored: Option<Restored>,
    progress: &Progress,
) {
    inputs.advance_to(resume.saturating_sub(1));
    if let Some(restored) = restored {
        for (doc, n) in restored.documents {
            inputs.restored.update(doc, n as isize);
        }
        for (row, n) in restored.entities {
            inputs.restored_entities.update(row, n as isize);
        }
    }
    // The live inputs of a restarted stream, stepped through in slices like an epoch's.
    for (i, input) in source.take_restored().into_iter().enumerate() {
        inputs.push(input, 1);
        if (i + 1) % STEP_EVERY == 0 {
            inputs.flush();
            worker.step();
        }
    }
    let mut epoch = resume;
    while source.last_epoch().is_none_or(|last| epoch <= last) {
        inputs.advance_to(epoch);
        let mut pending = 0usize;
        let read = source.read_epoch(epoch, &mut |change| {
            if let Some((key, version)) = change.logged {
                let row = InputRow { key: key.to_string(), version: version.to_string(), input: change.input.clone() };
                inputs.log.update(row, change.diff);
            }
            inputs.push(change.input, change.diff);
            pending += 1;
            if pending >= STEP_EVERY {
                pending = 0;
                inputs.records.flush();
                worker.step();
            }
        });
        for (row, diff) in source.take_positions() {
            inputs.positions.update(row, diff);
        }
        Progress::add(&progress.records, read.inputs);
        Progress::add(&progress.bytes_read, read.bytes);
        inputs.counts.send(CommitMsg::Inputs { epoch, count: read.inputs });
        inputs.advance_to(epoch + 1);
        inputs.flush();
        let probe = inputs.probe.clone();
        worker.step_or_park_while(Some(PARK), || probe.less_than(&epoch));
        epoch += 1;
    }
    let probe = inputs.probe.clone();
    drop(inputs);
    worker.step_or_park_while(Some(PARK), || !probe.done());
}
