//! Shards on disk: the layout under `<out>/index/`, routing, and the per-shard writer.
//!
//! ```text
//! <out>/index/index.json        {"format": 1, "analyzer": "wenflow_cjk", "analyzer_version": 1, "shards": N}
//! <out>/index/shard-0000/       a tantivy index
//! <out>/index/shard-0001/       …
//! ```
//!
//! The number of shards is fixed when the index is created (by default one per worker of
//! the job that creates it) and a document's shard is `xxh3(doc_id) % shards`, a function of
//! the id alone, so a job resumed with another number of workers still finds each
//! document where it was indexed. Worker `w` of `p` writes the shards `s` with
//! `s % p == w`.
//!
//! Every tantivy commit carries a payload `{"job_id": …, "epoch": e}`: the shard holds
//! exactly the committed documents of epochs up to `e`.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tantivy::directory::MmapDirectory;
use tantivy::indexer::UserOperation;
use tantivy::tokenizer::TokenizerManager;
use tantivy::{Index, IndexWriter, Term};
use wenflow_engine::{Document, EntityRow, Epoch};

use crate::analyzer::{ANALYZER_VERSION, CJK_ANALYZER, CjkTokenizer};
use crate::error::{IndexError, Result};
use crate::remote::{META, Published, RemoteIndex};
use crate::schema::IndexSchema;

/// The index directory under an output root.
pub const INDEX_DIR: &str = "index";
pub(crate) const MANIFEST: &str = "index.json";
const FORMAT: u32 = 1;

/// Heap of each shard's writer (tantivy flushes a segment when it is full).
pub const WRITER_HEAP_BYTES: usize = 64 << 20;

/// Documents, and bytes of text, per batch handed to the writer's indexing thread.
const ADD_BATCH_DOCS: usize = 256;
const ADD_BATCH_BYTES: usize = 64 << 10;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Manifest {
    format: u32,
    analyzer: String,
    analyzer_version: u32,
    shards: usize,
}

/// What a shard's last commit says it holds.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CommitPayload {
    /// The job that committed it.
    pub job_id: String,
    /// The last epoch it holds.
    pub epoch: Epoch,
}

/// The index of one output root: where its shards are and how documents are routed.
#[derive(Clone, Debug)]
pub struct IndexLayout {
    /// `<out>/index`, or the local cache of an index in an object store.
    pub dir: PathBuf,
    /// Number of shards.
    pub shards: usize,
    /// The object store the index is published to, when it lives in one.
    pub remote: Option<RemoteIndex>,
}

/// Where a job's index lives.
#[derive(Clone, Debug)]
pub enum IndexHome {
    /// Under a local output root (`<out>/index`).
    Local(PathBuf),
    /// In an object store, written and read through a local cache folder.
    Remote {
        /// The index in the store.
        remote: RemoteIndex,
        /// The cache folder (the writer's shards are under `write/`, a reader's under `read/`).
        cache: PathBuf,
    },
}

fn manifest_json(shards: usize) -> Vec<u8> {
    let m = Manifest {
        format: FORMAT,
        analyzer: CJK_ANALYZER.into(),
        analyzer_version: ANALYZER_VERSION,
        shards: shards.max(1),
    };
    serde_json::to_vec_pretty(&m).unwrap_or_default()
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> IndexError + '_ {
    move |source| IndexError::Io { path: path.display().to_string(), source }
}

impl IndexLayout {
    /// The index under output root `out`, created with `shards` shards if it does not
    /// exist. Only the leader (process 0) creates it; other processes wait for it.
    pub fn open_or_create(out: &Path, shards: usize, leader: bool) -> Result<IndexLayout> {
        let dir = out.join(INDEX_DIR);
        let manifest = dir.join(MANIFEST);
        if !manifest.is_file() {
            if leader {
                std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
                let tmp = dir.join(format!("{MANIFEST}.tmp"));
                std::fs::write(&tmp, manifest_json(shards)).map_err(io_err(&tmp))?;
                std::fs::rename(&tmp, &manifest).map_err(io_err(&manifest))?;
            } else {
                for _ in 0..1200 {
                    if manifest.is_file() {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
            }
        }
        IndexLayout::open(out)
    }

    /// The index of `home` for a job, created with `shards` shards if it does not exist
    /// (by the leader; other processes wait for it). An index in a store gets its
    /// manifest copied into the cache's `write/` folder, where its shards are written.
    pub fn open_for_writing(home: &IndexHome, shards: usize, leader: bool) -> Result<IndexLayout> {
        let (remote, cache) = match home {
            IndexHome::Local(out) => return IndexLayout::open_or_create(out, shards, leader),
            IndexHome::Remote { remote, cache } => (remote, cache.join("write")),
        };
        let mut manifest = remote.read_manifest(MANIFEST)?;
        if manifest.is_none() && leader {
            remote.create_manifest(MANIFEST, manifest_json(shards))?;
            manifest = remote.read_manifest(MANIFEST)?;
        }
        for _ in 0..1200 {
            if manifest.is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
            manifest = remote.read_manifest(MANIFEST)?;
        }
        let manifest = manifest.ok_or_else(|| IndexError::Layout {
            path: remote.url().to_owned(),
            message: "process 0 did not create the index within two minutes".into(),
        })?;
        IndexLayout::from_manifest(remote, &cache, &manifest)
    }

    /// An index in a store for reading: its manifest and every shard pulled into the
    /// cache's `read/` folder (only what changed since the last pull is downloaded).
    ///
    /// Shards publish independently, and a shard's first publish comes with its writer's
    /// first commit: a shard the store does not hold yet reads as an empty shard at no
    /// epoch, so a reader between the manifest and that commit sees the shards that are
    /// there rather than an error.
    pub fn pull_for_reading(remote: &RemoteIndex, cache: &Path) -> Result<IndexLayout> {
        let manifest = remote.read_manifest(MANIFEST)?.ok_or_else(|| IndexError::Layout {
            path: remote.url().to_owned(),
            message: format!("no index here ({MANIFEST} is missing): run `wenflow ingest` with this --out first"),
        })?;
        let layout = IndexLayout::from_manifest(remote, &cache.join("read"), &manifest)?;
        for shard in 0..layout.shards {
            let dir = layout.shard_dir(shard);
            remote.pull(&shard_name(shard), &dir)?;
            if !dir.join(META).is_file() {
                open_shard(&layout, shard, true)?;
            }
        }
        Ok(layout)
    }

    fn from_manifest(remote: &RemoteIndex, dir: &Path, manifest: &[u8]) -> Result<IndexLayout> {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let path = dir.join(MANIFEST);
        let tmp = dir.join(format!("{MANIFEST}.tmp"));
        std::fs::write(&tmp, manifest).map_err(io_err(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io_err(&path))?;
        let layout = IndexLayout::open(dir)?;
        Ok(IndexLayout { remote: Some(remote.clone()), ..layout })
    }

    /// The existing index of output root `out` (or of `out` itself when it is the index
    /// directory).
    pub fn open(out: &Path) -> Result<IndexLayout> {
        let dir = if out.join(MANIFEST).is_file() { out.to_path_buf() } else { out.join(INDEX_DIR) };
        let manifest = dir.join(MANIFEST);
        let layout_err = |message: String| IndexError::Layout { path: dir.display().to_string(), message };
        let text = match std::fs::read_to_string(&manifest) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(layout_err(format!(
                    "no index here ({MANIFEST} is missing): run `wenflow ingest --out {}` first",
                    out.display()
                )));
            }
            Err(e) => return Err(io_err(&manifest)(e)),
        };
        let m: Manifest = serde_json::from_str(&text).map_err(|e| layout_err(format!("{MANIFEST}: {e}")))?;
        if m.format != FORMAT || m.analyzer != CJK_ANALYZER || m.analyzer_version != ANALYZER_VERSION || m.shards == 0 {
            return Err(layout_err(format!(
                "unsupported index (format {}, analyzer {:?} version {}, {} shards; this wenflow writes format {FORMAT}, {CJK_ANALYZER:?} version {ANALYZER_VERSION}): delete the directory and re-run the ingest to rebuild it from the tables",
                m.format, m.analyzer, m.analyzer_version, m.shards
            )));
        }
        Ok(IndexLayout { dir, shards: m.shards, remote: None })
    }

    /// The directory of shard `shard`.
    pub fn shard_dir(&self, shard: usize) -> PathBuf {
        self.dir.join(shard_name(shard))
    }

    /// The shard a document belongs to.
    pub fn shard_of(&self, doc_id: &str) -> usize {
        (xxhash_rust::xxh3::xxh3_64(doc_id.as_bytes()) % self.shards as u64) as usize
    }

    /// The shards worker `worker` of `peers` writes.
    pub fn owned(&self, worker: usize, peers: usize) -> Vec<usize> {
        (0..self.shards).filter(|s| s % peers.max(1) == worker).collect()
    }
}

/// The folder name of shard `shard`.
pub fn shard_name(shard: usize) -> String {
    format!("shard-{shard:04}")
}

/// The tokenizers of an index: the CJK analyzer in index mode.
pub fn index_tokenizers() -> TokenizerManager {
    let m = TokenizerManager::default();
    m.register(CJK_ANALYZER, CjkTokenizer::index());
    m
}

/// Opens shard `shard` of `layout`, creating it when missing.
pub fn open_shard(layout: &IndexLayout, shard: usize, create: bool) -> Result<Index> {
    let dir = layout.shard_dir(shard);
    if create {
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    } else if !dir.is_dir() {
        return Err(IndexError::Layout {
            path: layout.dir.display().to_string(),
            message: format!("shard {shard} is missing ({})", dir.display()),
        });
    }
    let directory = MmapDirectory::open(&dir)
        .map_err(|e| IndexError::Layout { path: dir.display().to_string(), message: e.to_string() })?;
    let schema = IndexSchema::new();
    let index = Index::builder().schema(schema.schema).tokenizers(index_tokenizers());
    let index = if create { index.open_or_create(directory) } else { Index::open(directory) };
    let mut index = index.map_err(|e| match e {
        tantivy::TantivyError::SchemaError(m) => IndexError::Layout {
            path: dir.display().to_string(),
            message: format!("{m}; delete the index directory and re-run the ingest to rebuild it from the tables"),
        },
        e => IndexError::Tantivy(e),
    })?;
    index.set_tokenizers(index_tokenizers());
    Ok(index)
}

/// The payload of a shard's last commit (`None` before the first).
pub fn committed_payload(index: &Index, dir: &Path) -> Result<Option<CommitPayload>> {
    let Some(text) = index.load_metas()?.payload else { return Ok(None) };
    serde_json::from_str(&text).map(Some).map_err(|e| IndexError::Layout {
        path: dir.display().to_string(),
        message: format!("unreadable commit payload {text:?}: {e}"),
    })
}

/// What applying one epoch to a shard did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Documents added.
    pub added: u64,
    /// Documents deleted (retractions).
    pub deleted: u64,
}

/// A merge of a shard's segments under way ([`ShardWriter::start_merge_all`]).
#[must_use = "a merge is waited for with `ShardWriter::finish_merge`"]
pub struct MergeAll(tantivy::FutureResult<Option<tantivy::SegmentMeta>>);

/// The writer of one shard.
pub struct ShardWriter {
    /// The shard number.
    pub shard: usize,
    dir: PathBuf,
    job_id: String,
    schema: IndexSchema,
    writer: IndexWriter,
    committed: Option<Epoch>,
    published: Option<Published>,
}

impl std::fmt::Debug for ShardWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShardWriter").field("shard", &self.shard).field("committed", &self.committed).finish()
    }
}

impl ShardWriter {
    /// Opens (creating if needed) shard `shard` for job `job_id`. Refuses a shard another
    /// job committed.
    pub fn open(layout: &IndexLayout, shard: usize, job_id: &str) -> Result<ShardWriter> {
        // A shard in a store: the cache first becomes what the store holds.
        let published = match &layout.remote {
            Some(remote) => {
                let in_store = remote.pull(&shard_name(shard), &layout.shard_dir(shard))?;
                Some(Published::new(remote.clone(), shard_name(shard), in_store))
            }
            None => None,
        };
        let index = open_shard(layout, shard, true)?;
        let dir = layout.shard_dir(shard);
        let committed = match committed_payload(&index, &dir)? {
            Some(p) if p.job_id != job_id => {
                return Err(IndexError::ForeignJob {
                    path: dir.display().to_string(),
                    found: p.job_id,
                    expected: job_id.to_owned(),
                });
            }
            Some(p) => Some(p.epoch),
            None => None,
        };
        let writer = index.writer_with_num_threads(1, WRITER_HEAP_BYTES)?;
        // A writer killed mid-commit leaves files no `meta.json` names. Delete files are
        // named by segment and opstamp, and replaying the epoch writes the same names
        // (tantivy refuses to overwrite), so what no commit names goes before any write.
        writer.garbage_collect_files().wait()?;
        Ok(ShardWriter {
            shard,
            dir,
            job_id: job_id.to_owned(),
            schema: IndexSchema::new(),
            writer,
            committed,
            published,
        })
    }

    /// Replaces tantivy's merge policy (by default its log merge policy).
    pub fn set_merge_policy(&self, policy: Box<dyn tantivy::indexer::MergePolicy>) {
        self.writer.set_merge_policy(policy);
    }

    /// The last epoch the shard holds.
    pub fn committed(&self) -> Option<Epoch> {
        self.committed
    }

    /// Applies one epoch's consolidated updates: every retracted document is deleted (by
    /// `doc_id`) and then every inserted one added with the facets and years of its
    /// inserted `mentions`. An update (a retraction and an insertion of one id) thus
    /// replaces the document. Nothing is visible before [`commit`](Self::commit).
    pub fn apply<D: Borrow<Document>>(
        &mut self,
        docs: &[(D, isize)],
        mentions: &[(&EntityRow, isize)],
    ) -> Result<Applied> {
        let mut by_doc: HashMap<&str, Vec<&EntityRow>> = HashMap::new();
        for (m, diff) in mentions {
            if *diff > 0 {
                by_doc.entry(m.doc_id.as_str()).or_default().push(*m);
            }
        }
        let mut applied = Applied::default();
        for (doc, diff) in docs {
            if *diff < 0 {
                self.writer.delete_term(Term::from_field_text(self.schema.doc_id, &doc.borrow().doc_id));
                applied.deleted += 1;
            }
        }
        // Added in batches: one message to tantivy's indexing thread per batch rather than
        // per document (the thread checks its memory budget between batches, so a batch
        // stays small).
        let mut batch = Vec::with_capacity(ADD_BATCH_DOCS);
        let mut batch_bytes = 0;
        for (doc, diff) in docs {
            if *diff > 0 {
                let doc = doc.borrow();
                let m = by_doc.get(doc.doc_id.as_str()).map(Vec::as_slice).unwrap_or_default();
                batch.push(UserOperation::Add(self.schema.document(doc, m.iter().copied())));
                batch_bytes += doc.text.len();
                applied.added += 1;
                if batch.len() == ADD_BATCH_DOCS || batch_bytes >= ADD_BATCH_BYTES {
                    self.writer.run(batch.drain(..))?;
                    batch_bytes = 0;
                }
            }
        }
        if !batch.is_empty() {
            self.writer.run(batch)?;
        }
        Ok(applied)
    }

    /// Makes everything applied so far visible, as the shard's state at `epoch`.
    pub fn commit(&mut self, epoch: Epoch) -> Result<()> {
        let payload = serde_json::to_string(&CommitPayload { job_id: self.job_id.clone(), epoch })
            .map_err(|e| IndexError::Layout { path: self.dir.display().to_string(), message: e.to_string() })?;
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.committed = Some(epoch);
        self.publish()
    }

    /// Publishes the committed state to the store, for a shard that lives in one.
    fn publish(&mut self) -> Result<()> {
        match &mut self.published {
            Some(p) => p.publish(self.writer.index(), &self.dir),
            None => Ok(()),
        }
    }

    /// Merges every committed segment of the shard into one, and waits for it. The
    /// commit payload stays what it was.
    pub fn merge_all(&mut self) -> Result<()> {
        match self.start_merge_all()? {
            Some(merge) => self.finish_merge(merge),
            None => Ok(()),
        }
    }

    /// Starts merging every committed segment of the shard into one, on tantivy's merge
    /// thread (`None`: one segment or none, nothing to merge). Merges of several shards
    /// started before any is waited for run side by side.
    pub fn start_merge_all(&mut self) -> Result<Option<MergeAll>> {
        let ids = self.writer.index().searchable_segment_ids()?;
        Ok((ids.len() > 1).then(|| MergeAll(self.writer.merge(&ids))))
    }

    /// Waits for a merge [`start_merge_all`](Self::start_merge_all) started and publishes
    /// its result, for a shard in a store.
    pub fn finish_merge(&mut self, merge: MergeAll) -> Result<()> {
        merge.0.wait()?;
        self.publish()
    }

    /// Waits for background merges to finish and closes the writer (publishing what the
    /// merges changed, for a shard in a store).
    pub fn finish(self) -> Result<()> {
        let index = self.writer.index().clone();
        self.writer.wait_merging_threads()?;
        match self.published {
            Some(mut p) => p.publish(&index, &self.dir),
            None => Ok(()),
        }
    }
}
