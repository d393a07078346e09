//! The index in an object store, with a local cache that is only a cache.
//!
//! ```text
//! <out>/index/index.json                 the manifest, as on disk
//! <out>/index/shard-0000/<segment files> immutable, uploaded once each
//! <out>/index/shard-0000/meta.json       uploaded last: the shard's published state
//! ```
//!
//! A shard is written in a local folder (the cache) as usual. Each commit (and each merge)
//! is *published*: the segment files the shard's committed state needs that the store
//! lacks are uploaded, then its `meta.json`, so a reader of the store sees a commit whole
//! or not at all, as Quickwit publishes splits. Files no longer referenced are deleted
//! one publish later, so a reader that has just read the previous `meta.json` still finds
//! its files.
//!
//! Opening a shard (a writer at the start of a job, a reader) *pulls* it: the cache is
//! made to hold exactly what the store's `meta.json` names, downloading what it lacks and
//! removing what the store does not hold (a commit that was never published). Losing the
//! cache loses nothing: the next pull brings it back, and the index catch-up replays any
//! epoch the tables committed that the published shard lacks.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutPayload, WriteMultipart};
use wenflow_engine::io::block_on;

use crate::error::{IndexError, Result};

/// The shard's published state, the one file of a shard that is replaced.
pub const META: &str = "meta.json";
/// Files larger than this are uploaded in parts.
const MULTIPART_BYTES: u64 = 32 << 20;

/// Where an index in an object store is, and the local folder it is cached in.
#[derive(Clone)]
pub struct RemoteIndex {
    store: Arc<dyn ObjectStore>,
    /// The index folder in the store (`<out>/index`), relative to the store's root.
    root: ObjectPath,
    /// `s3://…/index`, for messages.
    url: String,
}

impl std::fmt::Debug for RemoteIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteIndex").field("url", &self.url).finish()
    }
}

fn not_found(e: &object_store::Error) -> bool {
    matches!(e, object_store::Error::NotFound { .. })
}

/// Whether a file name in a shard folder is tantivy's local bookkeeping, never published.
fn local_only(name: &str) -> bool {
    name.starts_with('.') || name.ends_with(".tmp") || name == META
}

impl RemoteIndex {
    /// The index folder `index` of the output whose store is `store` (rooted at the
    /// output); `url` names it in messages.
    pub fn new(store: Arc<dyn ObjectStore>, url: impl Into<String>) -> RemoteIndex {
        RemoteIndex { store, root: ObjectPath::from(crate::shards::INDEX_DIR), url: url.into() }
    }

    /// Whether the store holds an index here (its manifest).
    pub fn exists(&self) -> Result<bool> {
        Ok(self.read_manifest(crate::shards::MANIFEST)?.is_some())
    }

    /// Its URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn err(&self, what: &str, e: impl std::fmt::Display) -> IndexError {
        IndexError::Layout { path: self.url.clone(), message: format!("{what}: {e}") }
    }

    fn path(&self, rel: &str) -> ObjectPath {
        rel.split('/').fold(self.root.clone(), |p, part| p.join(part))
    }

    /// The manifest's bytes, `None` when the index does not exist.
    pub(crate) fn read_manifest(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let path = self.path(name);
        match block_on(async { self.store.get(&path).await?.bytes().await }) {
            Ok(b) => Ok(Some(b.to_vec())),
            Err(e) if not_found(&e) => Ok(None),
            Err(e) => Err(self.err("reading the manifest", e)),
        }
    }

    /// Writes the manifest unless one is there already (the first writer wins).
    pub(crate) fn create_manifest(&self, name: &str, bytes: Vec<u8>) -> Result<()> {
        let path = self.path(name);
        let put = block_on(self.store.put_opts(&path, PutPayload::from(bytes), PutMode::Create.into()));
        match put {
            Ok(_) | Err(object_store::Error::AlreadyExists { .. }) => Ok(()),
            Err(e) => Err(self.err("creating the manifest", e)),
        }
    }

    /// Makes the local folder `dir` of shard `shard` hold what the store's shard holds:
    /// the files its `meta.json` names (downloaded when missing) and that `meta.json`;
    /// nothing when the store has no shard yet. Returns the names the store holds.
    ///
    /// A writer publishing meanwhile may delete a file the `meta.json` just read names
    /// (it went out of use a publish ago): the pull then starts again from the newer
    /// `meta.json`, a few times.
    pub fn pull(&self, shard: &str, dir: &Path) -> Result<HashSet<String>> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.pull_once(shard, dir)? {
                Ok(in_store) => return Ok(in_store),
                Err(e) if attempt < 10 => {
                    tracing::debug!(shard, attempt, error = %e, "a file went while pulling; pulling again");
                }
                Err(e) => return Err(self.err(&format!("pulling {shard}"), e)),
            }
        }
    }

    /// One pull; `Ok(Err(_))` when a file the `meta.json` names was gone.
    fn pull_once(&self, shard: &str, dir: &Path) -> Result<std::result::Result<HashSet<String>, object_store::Error>> {
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| IndexError::Io { path: path.clone(), source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let meta_path = self.path(&format!("{shard}/{META}"));
        let meta = match block_on(async { self.store.get(&meta_path).await?.bytes().await }) {
            Ok(b) => Some(b),
            Err(e) if not_found(&e) => None,
            Err(e) => return Err(self.err(&format!("reading {shard}/{META}"), e)),
        };
        let prefix = self.path(shard);
        let listed: Vec<object_store::ObjectMeta> = block_on(self.store.list(Some(&prefix)).try_collect())
            .map_err(|e| self.err(&format!("listing {shard}"), e))?;
        let in_store: HashSet<String> =
            listed.iter().filter_map(|m| m.location.filename().map(str::to_owned)).collect();
        let needed = match &meta {
            Some(meta) => needed_files(meta, &in_store).map_err(|e| self.err(&format!("{shard}/{META}"), e))?,
            None => HashSet::new(),
        };
        let mut fetched = 0u64;
        for name in &needed {
            let local = dir.join(name);
            let size = listed.iter().find(|m| m.location.filename() == Some(name)).map(|m| m.size);
            if std::fs::metadata(&local).is_ok_and(|m| Some(m.len()) == size) {
                continue;
            }
            let path = self.path(&format!("{shard}/{name}"));
            let bytes = match block_on(async { self.store.get(&path).await?.bytes().await }) {
                Ok(bytes) => bytes,
                Err(e) if not_found(&e) => return Ok(Err(e)),
                Err(e) => return Err(self.err(&format!("downloading {shard}/{name}"), e)),
            };
            write_atomically(&local, &bytes).map_err(io(&local))?;
            fetched += bytes.len() as u64;
        }
        // What the store does not hold goes: segments of a commit never published, files a
        // merge replaced, tantivy's list of the files it manages (rewritten below).
        for entry in std::fs::read_dir(dir).map_err(io(dir))?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let lock = name.ends_with(".lock");
            if !lock && !needed.contains(&name) && (name != META || meta.is_none()) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        if let Some(meta) = &meta {
            let mut managed: Vec<&String> = needed.iter().collect();
            managed.sort();
            let mut list = serde_json::to_vec(&managed).unwrap_or_default();
            list.push(b'\n');
            write_atomically(&dir.join(".managed.json"), &list).map_err(io(dir))?;
            write_atomically(&dir.join(META), meta).map_err(io(dir))?;
        }
        if fetched > 0 {
            tracing::info!(shard, files = needed.len(), bytes = fetched, "index shard pulled from the store");
        }
        Ok(Ok(in_store))
    }
}

/// The files of the store's shard that `meta` (a tantivy `meta.json`) names: every file of
/// each of its segments, and of their delete files only the one of the segment's deletes.
fn needed_files(meta: &[u8], in_store: &HashSet<String>) -> std::result::Result<HashSet<String>, String> {
    let meta: serde_json::Value = serde_json::from_slice(meta).map_err(|e| e.to_string())?;
    let segments = meta["segments"].as_array().ok_or("no segments")?;
    let mut needed = HashSet::new();
    for segment in segments {
        let id = segment["segment_id"].as_str().ok_or("a segment without an id")?.replace('-', "");
        let deletes = segment["deletes"]["opstamp"].as_u64();
        let prefix = format!("{id}.");
        for name in in_store.iter().filter(|n| n.starts_with(&prefix)) {
            let is_del = name.ends_with(".del");
            if !is_del || deletes.is_some_and(|o| *name == format!("{id}.{o}.del")) {
                needed.insert(name.clone());
            }
        }
    }
    Ok(needed)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("{}.tmp", path.extension().and_then(|e| e.to_str()).unwrap_or_default()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// What a shard writer keeps of the store: which files are there, which went out of use
/// at the last publish.
#[derive(Debug)]
pub(crate) struct Published {
    remote: RemoteIndex,
    shard: String,
    in_store: HashSet<String>,
    unused: HashSet<String>,
}

impl Published {
    pub(crate) fn new(remote: RemoteIndex, shard: String, in_store: HashSet<String>) -> Published {
        Published { remote, shard, in_store, unused: HashSet::new() }
    }

    /// Publishes the shard's committed state: the files of `meta` (held while uploading,
    /// so tantivy keeps them) the store lacks, then its `meta.json`; then deletes what went
    /// out of use at the previous publish.
    pub(crate) fn publish(&mut self, index: &tantivy::Index, dir: &Path) -> Result<()> {
        let started = std::time::Instant::now();
        let metas = index.load_metas()?;
        let mut living: HashSet<String> = HashSet::new();
        let (mut files, mut bytes) = (0u64, 0u64);
        for file in metas.list_segment_files() {
            let Some(name) = file.to_str().map(str::to_owned) else { continue };
            let local = dir.join(&file);
            let Ok(m) = std::fs::metadata(&local) else { continue };
            living.insert(name.clone());
            if self.in_store.contains(&name) {
                continue;
            }
            self.upload(&name, &local, m.len())?;
            self.in_store.insert(name);
            files += 1;
            bytes += m.len();
        }
        let meta = serde_json::to_vec_pretty(&metas).map_err(|e| self.remote.err("serializing meta.json", e))?;
        let path = self.remote.path(&format!("{}/{META}", self.shard));
        block_on(self.remote.store.put(&path, PutPayload::from(meta)))
            .map_err(|e| self.remote.err(&format!("publishing {}/{META}", self.shard), e))?;
        drop(metas);
        let unused: HashSet<String> =
            self.in_store.iter().filter(|n| !living.contains(*n) && !local_only(n)).cloned().collect();
        for name in unused.intersection(&self.unused) {
            let path = self.remote.path(&format!("{}/{name}", self.shard));
            match block_on(self.remote.store.delete(&path)) {
                Ok(()) => {}
                Err(e) if not_found(&e) => {}
                Err(e) => {
                    tracing::warn!(shard = %self.shard, file = %name, error = %e, "cannot delete an unused index file")
                }
            }
            self.in_store.remove(name);
        }
        self.unused = unused.difference(&self.unused).cloned().collect();
        tracing::debug!(
            shard = %self.shard, files, bytes, ms = started.elapsed().as_millis() as u64,
            "index shard published"
        );
        Ok(())
    }

    fn upload(&self, name: &str, local: &Path, size: u64) -> Result<()> {
        let path = self.remote.path(&format!("{}/{name}", self.shard));
        let what = format!("uploading {}/{name}", self.shard);
        let io = |source| IndexError::Io { path: local.display().to_string(), source };
        if size <= MULTIPART_BYTES {
            let bytes = std::fs::read(local).map_err(io)?;
            return block_on(self.remote.store.put(&path, PutPayload::from(bytes)))
                .map(drop)
                .map_err(|e| self.remote.err(&what, e));
        }
        let mut file = std::fs::File::open(local).map_err(io)?;
        block_on(async {
            let upload = self.remote.store.put_multipart(&path).await?;
            let mut parts = WriteMultipart::new_with_chunk_size(upload, 16 << 20);
            let mut buf = vec![0u8; 8 << 20];
            loop {
                let n = std::io::Read::read(&mut file, &mut buf)
                    .map_err(|e| object_store::Error::Generic { store: "local", source: Box::new(e) })?;
                if n == 0 {
                    break;
                }
                parts.wait_for_capacity(4).await?;
                parts.write(&buf[..n]);
            }
            parts.finish().await.map(drop)
        })
        .map_err(|e| self.remote.err(&what, e))
    }
}

/// The local cache folder of the index at `url`: `$WENFLOW_CACHE`, else
/// `$XDG_CACHE_HOME/wenflow`, else `~/.cache/wenflow`, then `index/<hash of the URL>`.
pub fn default_cache(url: &str) -> PathBuf {
    let base = std::env::var_os("WENFLOW_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("wenflow")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/wenflow")))
        .unwrap_or_else(|| std::env::temp_dir().join("wenflow-cache"));
    base.join("index").join(format!("{:016x}", xxhash_rust::xxh3::xxh3_64(url.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_meta_names_its_segments_files_and_only_the_current_deletes() {
        let meta = br#"{"segments": [
            {"segment_id": "a5c4dfcb-dfe6-4508-9129-e308e26d5523", "max_doc": 3, "deletes": {"num_deleted_docs": 1, "opstamp": 7}},
            {"segment_id": "00000000-0000-0000-0000-000000000001", "max_doc": 2, "deletes": null}
        ], "opstamp": 9}"#;
        let store: HashSet<String> = [
            "a5c4dfcbdfe645089129e308e26d5523.idx",
            "a5c4dfcbdfe645089129e308e26d5523.store",
            "a5c4dfcbdfe645089129e308e26d5523.5.del",
            "a5c4dfcbdfe645089129e308e26d5523.7.del",
            "00000000000000000000000000000001.term",
            "ffffffffffffffffffffffffffffffff.idx",
            "meta.json",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect();
        let mut needed: Vec<String> = needed_files(meta, &store).expect("meta").into_iter().collect();
        needed.sort();
        assert_eq!(
            needed,
            [
                "00000000000000000000000000000001.term",
                "a5c4dfcbdfe645089129e308e26d5523.7.del",
                "a5c4dfcbdfe645089129e308e26d5523.idx",
                "a5c4dfcbdfe645089129e308e26d5523.store",
            ]
        );
    }
}
