//! A watched folder as a stream source: new, changed and removed files become insertions,
//! updates and deletions of their records.
//!
//! Every scan plans the folder as a batch ingest of it would ([`files::plan`]), so a
//! file's records, ids and failures are the ones `wenflow ingest DIR` gives. Each file
//! belongs to one worker (a hash of its path relative to the folder, so every process
//! agrees). The worker keeps, for each of its files, the version it read (a hash of the
//! content) and the inputs that version gave; a file whose size or modification time
//! moved is hashed again, and if its content changed, the inputs that are gone are
//! retracted and the new ones inserted. A record's position is the file's stable number
//! and the record's place in it, so an unchanged record of a changed file is neither
//! retracted nor inserted. Page files (images, PDFs) are one input whose version is part
//! of the page tasks, so a rewritten scan is read again and its old pages retracted.
//!
//! Every change is logged ([`wenflow_engine::source::InputRow`], key = the file's relative
//! path, version = its content hash): on restart a worker rebuilds its files from the log
//! and the dataflow recomputes its state from their inputs; a file that changed while the
//! job was stopped is then an update like any other. Files should appear atomically
//! (written elsewhere and renamed into the folder); a file caught half-written is read
//! again when it changes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use wenflow_engine::source::{Change, EpochRead, Input, InputRow, Source};
use wenflow_engine::{Epoch, SourcePos};

use crate::files::{self, SourceOptions, Split};

/// What a worker knows of one of its files.
#[derive(Clone, Debug)]
struct Watched {
    /// Size and modification time when it was last read (`None` after a restore, so the
    /// first scan compares contents).
    stamp: Option<(u64, SystemTime)>,
    /// Hash of the content the inputs were read from.
    version: Arc<str>,
    /// The inputs that version gave, sorted.
    inputs: Vec<Input>,
}

/// How a watched folder is read.
#[derive(Clone, Debug)]
pub struct WatchOptions {
    /// The folder.
    pub root: PathBuf,
    /// Scan once, apply the difference, and end (`--once`).
    pub once: bool,
    /// Time between scans.
    pub interval: Duration,
}

/// One worker's share of a watched folder.
pub struct WatchSource {
    watch: WatchOptions,
    opts: Arc<SourceOptions>,
    worker: usize,
    peers: usize,
    files: BTreeMap<String, Watched>,
    /// Epochs the log holds and some table lacks, replayed as logged.
    replay: BTreeMap<Epoch, Vec<(InputRow, isize)>>,
    restored: Vec<Input>,
    last_scan: Option<Instant>,
    last_epoch: Option<Epoch>,
    next: Epoch,
}

/// The stable number of a file: its position's `unit`.
fn file_unit(rel: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(rel.as_bytes()) >> 1
}

impl WatchSource {
    /// Worker `worker` of `peers`'s share of the folder. `state` is the log's state as of
    /// the last epoch every table holds (`resume - 1`), `replay` the logged changes of the
    /// epochs from `resume` on that some table lacks.
    pub fn new(
        watch: WatchOptions,
        opts: Arc<SourceOptions>,
        worker: usize,
        peers: usize,
        resume: Epoch,
        state: &[(InputRow, i64)],
        replay: &BTreeMap<Epoch, Vec<(InputRow, isize)>>,
    ) -> Self {
        let mut source = WatchSource {
            watch,
            opts,
            worker,
            peers,
            files: BTreeMap::new(),
            replay: BTreeMap::new(),
            restored: Vec::new(),
            last_scan: None,
            last_epoch: None,
            next: resume,
        };
        for (row, n) in state {
            if !source.mine(&row.key) {
                continue;
            }
            for _ in 0..(*n).max(0) {
                source.restored.push(row.input.clone());
            }
            source.apply(row.clone(), *n as isize);
        }
        // Every worker replays every logged epoch, with or without changes of its own.
        source.replay = replay
            .iter()
            .map(|(epoch, rows)| (*epoch, rows.iter().filter(|(r, _)| source.mine(&r.key)).cloned().collect()))
            .collect();
        source
    }

    fn mine(&self, rel: &str) -> bool {
        xxhash_rust::xxh3::xxh3_64(rel.as_bytes()) as usize % self.peers == self.worker
    }

    /// Applies a logged change to the files' state.
    fn apply(&mut self, row: InputRow, diff: isize) {
        let watched = self.files.entry(row.key.clone()).or_insert_with(|| Watched {
            stamp: None,
            version: Arc::from(row.version.as_str()),
            inputs: Vec::new(),
        });
        if diff > 0 {
            watched.version = Arc::from(row.version.as_str());
            for _ in 0..diff {
                watched.inputs.push(row.input.clone());
            }
            watched.inputs.sort();
        } else if let Some(i) = watched.inputs.iter().position(|x| *x == row.input) {
            watched.inputs.remove(i);
        }
        if watched.inputs.is_empty() && diff < 0 {
            self.files.remove(&row.key);
        }
    }

    /// Reads one file's inputs (all its splits), numbered by the file.
    fn read_file(&self, rel: &str, splits: &[&Split], version: u64) -> Vec<Input> {
        let unit = file_unit(rel);
        let mut inputs = Vec::new();
        let mut index = 0u64;
        for split in splits {
            if split.is_pages() {
                let mut task = split.page_file();
                task.pos = SourcePos { unit, index };
                task.version = version;
                index += 1;
                inputs.push(Input::PageFile(task));
            } else {
                split.read(&self.opts, &mut |mut r| {
                    let pos = SourcePos { unit, index };
                    match &mut r {
                        Ok(d) => d.pos = pos,
                        Err(f) => f.pos = pos,
                    }
                    index += 1;
                    inputs.push(Input::Record(r));
                });
            }
        }
        inputs.sort();
        inputs
    }

    /// Scans the folder and hands this worker's changes to `emit`.
    fn scan(&mut self, emit: &mut dyn FnMut(Change)) -> EpochRead {
        let mut read = EpochRead::default();
        let plan = match files::plan(std::slice::from_ref(&self.watch.root), &self.opts) {
            Ok(plan) => plan,
            Err(e) => {
                // A folder that cannot be listed now (being moved, a network mount) is
                // scanned again next epoch; its files are not taken as removed.
                tracing::warn!(root = %self.watch.root.display(), error = %e, "cannot scan the watched folder");
                return read;
            }
        };
        let mut by_file: BTreeMap<&str, Vec<&Split>> = BTreeMap::new();
        for split in &plan.splits {
            if self.mine(&split.rel) {
                by_file.entry(split.rel.as_str()).or_default().push(split);
            }
        }
        let gone: Vec<String> = self.files.keys().filter(|rel| !by_file.contains_key(rel.as_str())).cloned().collect();
        for rel in gone {
            if let Some(old) = self.files.remove(&rel) {
                let key: Arc<str> = Arc::from(rel.as_str());
                for input in old.inputs {
                    emit(Change { input, diff: -1, logged: Some((key.clone(), old.version.clone())) });
                }
            }
        }
        for (rel, splits) in by_file {
            let path = &splits[0].path;
            let stamp = std::fs::metadata(path).ok().map(|m| (m.len(), m.modified().unwrap_or(SystemTime::UNIX_EPOCH)));
            let known = self.files.get(rel);
            if stamp.is_some() && known.is_some_and(|w| w.stamp == stamp) {
                continue;
            }
            // Unreadable now: the plan's own split says why, and the file reads as a failure.
            let hash = std::fs::read(path).map(|bytes| xxhash_rust::xxh3::xxh3_64(&bytes)).unwrap_or(0);
            let version: Arc<str> = Arc::from(format!("{hash:016x}").as_str());
            if let Some(w) = self.files.get_mut(rel)
                && w.version == version
            {
                w.stamp = stamp;
                continue;
            }
            let new = self.read_file(rel, &splits, hash);
            let old = self.files.remove(rel).map(|w| (w.version, w.inputs));
            let key: Arc<str> = Arc::from(rel);
            let (gone, added) = difference(old.as_ref().map_or(&[][..], |(_, i)| i.as_slice()), &new);
            if let Some((old_version, _)) = &old {
                for input in gone {
                    emit(Change { input, diff: -1, logged: Some((key.clone(), old_version.clone())) });
                }
            }
            for input in added {
                read.inputs += 1;
                emit(Change { input, diff: 1, logged: Some((key.clone(), version.clone())) });
            }
            read.bytes += stamp.map_or(0, |s| s.0);
            self.files.insert(rel.to_owned(), Watched { stamp, version, inputs: new });
        }
        read
    }
}

/// What is in `old` and not in `new`, and what is in `new` and not in `old` (both sorted,
/// as multisets).
fn difference(old: &[Input], new: &[Input]) -> (Vec<Input>, Vec<Input>) {
    let (mut gone, mut added) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        match (old.get(i), new.get(j)) {
            (Some(a), Some(b)) if a == b => {
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a < b => {
                gone.push(a.clone());
                i += 1;
            }
            (Some(a), None) => {
                gone.push(a.clone());
                i += 1;
            }
            (_, Some(b)) => {
                added.push(b.clone());
                j += 1;
            }
            (None, None) => break,
        }
    }
    (gone, added)
}

impl Source for WatchSource {
    type Position = BTreeSet<(String, String)>;

    /// The version of each of the worker's files.
    fn position(&self) -> Self::Position {
        self.files.iter().map(|(rel, w)| (rel.clone(), w.version.to_string())).collect()
    }

    fn last_epoch(&self) -> Option<Epoch> {
        self.last_epoch
    }

    fn read_epoch(&mut self, epoch: Epoch, emit: &mut dyn FnMut(Change)) -> EpochRead {
        self.next = epoch + 1;
        if let Some(rows) = self.replay.remove(&epoch) {
            let mut read = EpochRead::default();
            for (row, diff) in rows {
                if diff > 0 {
                    read.inputs += diff as u64;
                }
                let logged = Some((Arc::from(row.key.as_str()), Arc::from(row.version.as_str())));
                emit(Change { input: row.input.clone(), diff, logged });
                self.apply(row, diff);
            }
            return read;
        }
        if let Some(last) = self.last_scan
            && let Some(wait) = self.watch.interval.checked_sub(last.elapsed())
        {
            std::thread::sleep(wait);
        }
        self.last_scan = Some(Instant::now());
        let read = self.scan(emit);
        if self.watch.once && self.replay.is_empty() {
            self.last_epoch = Some(epoch);
        }
        read
    }

    fn take_restored(&mut self) -> Vec<Input> {
        std::mem::take(&mut self.restored)
    }
}
