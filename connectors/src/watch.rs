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
//! A scan's changes are one epoch, cut at `--epoch-mb` of input: a large folder (the first
//! scan of a corpus) is read in epochs of that size, one after the other.
//!
//! Every change is logged ([`wenflow_engine::source::InputRow`], key = the file's relative
//! path, version = its content hash): on restart a worker rebuilds its files from the log
//! and the dataflow recomputes its state from their inputs; a file that changed while the
//! job was stopped is then an update like any other. Files should appear atomically
//! (written elsewhere and renamed into the folder); a file caught half-written is read
//! again when it changes.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wenflow_engine::source::{Change, EpochRead, Input, InputRow, Source};
use wenflow_engine::{Epoch, SourcePos};

use crate::ConnectorError;
use crate::files::{self, SourceOptions, Split};
use crate::sources::{Logged, Share, StreamSource};
use crate::upserts::Upserts;

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
    /// Each file's live version and inputs (key: the path relative to the folder).
    files: Upserts,
    /// Size and modification time of each file when it was last read (none after a
    /// restore, so the first scan compares contents).
    stamps: HashMap<String, String>,
    last_scan: Option<Instant>,
    /// The last scan stopped at the epoch's size: the next one starts at once.
    cut: bool,
    last_epoch: Option<Epoch>,
}

/// How long after its modification time a local file's stamp is trusted. A file written
/// twice within one tick of the file system's clock (a jiffy on ext4, 2 s on FAT and some
/// network mounts) keeps its stamp if its size stays the same: a stamp taken that close to
/// the modification may describe content that has changed since, so until the file is
/// older than this it is hashed again at every scan ("racily clean" files, as Git calls
/// them).
const SETTLE: Duration = Duration::from_secs(2);

/// Whether `stamp` (a local file's `size:mtime_ns`, or an object's `size:ETag`), taken by a
/// scan that started at `scan_started`, can stand for the file's content: an ETag always,
/// a modification time once it is [`SETTLE`] older than the scan.
fn settled(stamp: &str, scan_started: std::time::SystemTime) -> bool {
    let Some(nanos) = stamp.rsplit_once(':').and_then(|(_, t)| t.parse::<u128>().ok()) else {
        return true;
    };
    let started = scan_started.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    nanos.saturating_add(SETTLE.as_nanos()) < started
}

/// The stable number of a file: its records' `pos.unit`.
fn file_unit(rel: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(rel.as_bytes()) >> 1
}

fn mine(rel: &str, worker: usize, peers: usize) -> bool {
    xxhash_rust::xxh3::xxh3_64(rel.as_bytes()) as usize % peers == worker
}

impl WatchSource {
    /// Worker `worker` of `peers`'s share of the folder. `state` is the input log's state
    /// as of the last epoch every table holds, `replay` the logged changes of each later
    /// epoch that some table lacks.
    pub fn new(
        watch: WatchOptions,
        opts: Arc<SourceOptions>,
        worker: usize,
        peers: usize,
        state: &[(InputRow, i64)],
        replay: &BTreeMap<Epoch, Vec<(InputRow, isize)>>,
    ) -> Self {
        let files = Upserts::restore(state, replay, |rel| mine(rel, worker, peers));
        WatchSource {
            watch,
            opts,
            worker,
            peers,
            files,
            stamps: HashMap::new(),
            last_scan: None,
            cut: false,
            last_epoch: None,
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
        inputs
    }

    /// Scans the folder and hands this worker's changes to `emit`, until they cover
    /// `epoch_bytes` of input: the files left are changes the next scan finds (`cut`).
    fn scan(&mut self, emit: &mut dyn FnMut(Change)) -> EpochRead {
        let mut read = EpochRead::default();
        self.cut = false;
        let started = std::time::SystemTime::now();
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
            if mine(&split.rel, self.worker, self.peers) {
                by_file.entry(split.rel.as_str()).or_default().push(split);
            }
        }
        let gone: Vec<Arc<str>> = self.files.keys().filter(|rel| !by_file.contains_key(&***rel)).cloned().collect();
        for rel in gone {
            self.files.remove(&rel, emit);
            self.stamps.remove(&*rel);
        }
        for (rel, splits) in by_file {
            if read.bytes >= self.opts.epoch_bytes {
                self.cut = true;
                break;
            }
            let path = &splits[0].path;
            let stamp = splits[0].stamp.clone();
            if stamp.is_some() && self.stamps.get(rel) == stamp.as_ref() {
                continue;
            }
            // Unreadable now: the plan's own split says why, and the file reads as a failure.
            let hash = files::read_all(path).map(|bytes| xxhash_rust::xxh3::xxh3_64(&bytes)).unwrap_or(0);
            let version: Arc<str> = Arc::from(format!("{hash:016x}").as_str());
            match stamp {
                Some(stamp) if settled(&stamp, started) => {
                    self.stamps.insert(rel.to_owned(), stamp);
                }
                _ => {
                    self.stamps.remove(rel);
                }
            }
            if self.files.version(rel) == Some(&version) {
                continue;
            }
            let inputs = self.read_file(rel, &splits, hash);
            read.inputs += self.files.set(rel, version, inputs, emit);
            read.bytes += splits.iter().map(|s| s.bytes).sum::<u64>();
        }
        read
    }
}

impl StreamSource for WatchOptions {
    fn kind(&self) -> &'static str {
        "watch"
    }

    fn describe(&self) -> serde_json::Value {
        serde_json::json!({ "watch": self.root.display().to_string() })
    }

    fn check(&self) -> crate::Result<()> {
        if files::is_remote(&self.root) {
            // A prefix that lists (even to nothing) can be watched.
            return files::list_objects(&self.root).map(drop);
        }
        match std::fs::metadata(&self.root) {
            Ok(m) if m.is_dir() => Ok(()),
            Ok(_) => Err(ConnectorError::Input {
                path: self.root.display().to_string(),
                message: "not a folder (--watch takes a folder)".into(),
            }),
            Err(e) => Err(ConnectorError::Input { path: self.root.display().to_string(), message: e.to_string() }),
        }
    }

    fn open(&self, share: Share, fields: Arc<SourceOptions>, logged: &Logged) -> crate::Result<Box<dyn Source>> {
        let source = WatchSource::new(self.clone(), fields, share.worker, share.peers, &logged.state, &logged.replay);
        Ok(Box::new(source))
    }
}

impl Source for WatchSource {
    fn last_epoch(&self) -> Option<Epoch> {
        self.last_epoch
    }

    fn read_epoch(&mut self, epoch: Epoch, emit: &mut dyn FnMut(Change)) -> EpochRead {
        if let Some(read) = self.files.replay(epoch, emit) {
            return read;
        }
        if let Some(last) = self.last_scan
            && !self.cut
            && let Some(wait) = self.watch.interval.checked_sub(last.elapsed())
        {
            std::thread::sleep(wait);
        }
        self.last_scan = Some(Instant::now());
        let read = self.scan(emit);
        if self.watch.once && !self.cut && !self.files.replaying() {
            self.last_epoch = Some(epoch);
        }
        read
    }

    fn take_restored(&mut self) -> Vec<Input> {
        self.files.take_restored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(changes: &[Change]) -> Vec<(String, isize)> {
        let mut t: Vec<(String, isize)> = changes
            .iter()
            .map(|c| match &c.input {
                Input::Record(Ok(d)) => (d.text.clone(), c.diff),
                other => (format!("{other:?}"), c.diff),
            })
            .collect();
        t.sort();
        t
    }

    fn scan(source: &mut WatchSource, epoch: Epoch) -> Vec<Change> {
        let mut changes = Vec::new();
        source.read_epoch(epoch, &mut |c| changes.push(c));
        changes
    }

    /// A file rewritten with other content of the same size and the same modification time
    /// (two writes within one tick of the file system's clock) is read again: its stamp
    /// was taken too close to the modification to be trusted. Once the file has settled,
    /// an unchanged stamp spares the read.
    #[test]
    fn a_rewrite_within_one_clock_tick_is_not_missed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.txt");
        let watch = WatchOptions { root: dir.path().to_owned(), once: false, interval: Duration::ZERO };
        let mut source = WatchSource::new(watch, Arc::new(SourceOptions::default()), 0, 1, &[], &BTreeMap::new());
        let write = |text: &str, mtime: std::time::SystemTime| {
            std::fs::write(&path, text).expect("write");
            std::fs::File::options().write(true).open(&path).expect("open").set_modified(mtime).expect("mtime");
        };
        let now = std::time::SystemTime::now();
        write("明月几时有", now);
        assert_eq!(texts(&scan(&mut source, 1)), vec![("明月几时有".to_owned(), 1)]);
        write("把酒问青天", now);
        assert_eq!(
            texts(&scan(&mut source, 2)),
            vec![("把酒问青天".to_owned(), 1), ("明月几时有".to_owned(), -1)],
            "the second write, same size and modification time, is seen"
        );
        // Settled: the stamp is trusted, and a file that did not change is not read.
        let old = now - 2 * SETTLE;
        write("把酒问青天", old);
        assert!(scan(&mut source, 3).is_empty());
        assert_eq!(source.stamps.len(), 1, "a settled file keeps its stamp");
        // And the stamp stands for the content: a rewrite that keeps a settled file's size
        // and modification time (as `touch -d` could) is not read.
        write("明月几时有", old);
        assert!(scan(&mut source, 4).is_empty(), "a settled stamp spares the read");
        assert!(!settled(&format!("15:{}", now.duration_since(std::time::UNIX_EPOCH).expect("now").as_nanos()), now));
        assert!(settled("15:\"0x8D9A\"", now), "an ETag is content, never racy");
    }
}
