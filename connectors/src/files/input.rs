//! Input files on the local disk or in an object store, read the same way.
//!
//! A split names its file by a path: a local path, or `s3://bucket/key` for an object.
//! [`InputFile`] opens either and gives `Read + Seek` (an object is fetched in ranges of
//! [`CHUNK`] bytes as the reader moves) and parquet's `ChunkReader` (a column chunk is
//! one ranged GET), so every format reads both through the same code, and a corpus copied
//! to a bucket plans into the same splits and gives the same records.
//!
//! Object reads go through the client [`register_s3`](crate::store::register_s3) set up
//! (the one the Delta tables use, with its retries) and block the calling worker on the
//! process's I/O runtime ([`wenflow_engine::io`]).

use std::collections::HashMap;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use wenflow_engine::io::block_on;

use crate::store::Location;
use crate::{ConnectorError, Result};

/// Bytes fetched per request when an object is read sequentially.
pub const CHUNK: u64 = 8 << 20;

type Stores = Mutex<HashMap<String, Arc<dyn ObjectStore>>>;

fn stores() -> std::sync::MutexGuard<'static, HashMap<String, Arc<dyn ObjectStore>>> {
    static STORES: OnceLock<Stores> = OnceLock::new();
    STORES.get_or_init(Mutex::default).lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Drops the clients made so far (the S3 settings changed).
pub(crate) fn forget_stores() {
    stores().clear();
}

/// The client of a bucket, made once per process (per [`register_s3`](crate::store::register_s3)).
fn bucket_store(bucket: &str) -> Result<Arc<dyn ObjectStore>> {
    let mut stores = stores();
    if let Some(store) = stores.get(bucket) {
        return Ok(Arc::clone(store));
    }
    let store = Location::S3 { bucket: bucket.to_owned(), prefix: String::new() }.store()?;
    stores.insert(bucket.to_owned(), Arc::clone(&store));
    Ok(store)
}

/// The object path of a key as S3 names it. Keys are taken as they are (non-ASCII
/// included: `ObjectPath::from` would percent-encode them into another key).
fn object_path(key: &str) -> ObjectPath {
    ObjectPath::parse(key).unwrap_or_else(|_| ObjectPath::from(key))
}

/// Where an input path points: a local file, or a bucket and key.
fn object_of(path: &Path) -> Option<(&str, &str)> {
    path.to_str()?.strip_prefix("s3://")?.split_once('/')
}

fn io_err(e: impl std::error::Error + Send + Sync + 'static) -> io::Error {
    let kind = match e.to_string() {
        s if s.contains("not found") || s.contains("NoSuchKey") => io::ErrorKind::NotFound,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, e)
}

/// A file found under an input, with what planning needs.
#[derive(Clone, Debug)]
pub(crate) struct Listed {
    /// Its path (`s3://bucket/key` for an object).
    pub path: PathBuf,
    /// Relative to the input root, with `/` separators.
    pub rel: String,
    /// Size in bytes.
    pub size: u64,
    /// Its ETag, else its modification time: changes when the object does.
    pub stamp: String,
}

/// Whether `input` names objects in a store rather than local files.
pub(crate) fn is_remote(input: &Path) -> bool {
    input.to_str().is_some_and(|s| s.starts_with("s3://"))
}

/// Every object under the prefix `input` (`s3://bucket/prefix`), sorted by key. One object
/// named exactly by the prefix is returned alone, relative name its file name.
pub(crate) fn list_objects(input: &Path) -> Result<Vec<Listed>> {
    let text = input.to_string_lossy();
    let fail = |message: String| ConnectorError::Input { path: text.to_string(), message };
    let Location::S3 { bucket, prefix } = Location::parse(&text)? else {
        return Err(fail("not an s3:// location".into()));
    };
    let store = bucket_store(&bucket)?;
    let listing_root = (!prefix.is_empty()).then(|| object_path(&prefix));
    let mut objects: Vec<object_store::ObjectMeta> = block_on(async {
        let mut exact = Vec::new();
        if let Some(key) = &listing_root
            && let Ok(meta) = store.head(key).await
        {
            exact.push(meta);
        }
        if !exact.is_empty() {
            return Ok(exact);
        }
        store.list(listing_root.as_ref()).try_collect::<Vec<_>>().await
    })
    .map_err(|e| fail(crate::store::describe(&e)))?;
    objects.sort_by(|a, b| a.location.as_ref().cmp(b.location.as_ref()));
    let single = objects.len() == 1 && objects[0].location.as_ref() == prefix;
    Ok(objects
        .into_iter()
        .map(|meta| {
            let key = meta.location.as_ref();
            let rel = if single {
                key.rsplit('/').next().unwrap_or(key).to_owned()
            } else {
                key.strip_prefix(prefix.as_str()).unwrap_or(key).trim_start_matches('/').to_owned()
            };
            Listed {
                path: PathBuf::from(format!("s3://{bucket}/{key}")),
                rel,
                size: meta.size,
                stamp: meta.e_tag.clone().unwrap_or_else(|| meta.last_modified.to_rfc3339()),
            }
        })
        .collect())
}

/// Reads a whole object named `s3://bucket/key`.
pub(crate) fn read_object(url: &str) -> io::Result<Vec<u8>> {
    let (bucket, key) = object_of(Path::new(url))
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, format!("not an object URL: {url}")))?;
    let store = bucket_store(bucket).map_err(io::Error::other)?;
    let key = object_path(key);
    let bytes = block_on(async { store.get(&key).await?.bytes().await }).map_err(io_err)?;
    Ok(bytes.to_vec())
}

/// The whole of an input file.
pub(crate) fn read_all(path: &Path) -> io::Result<Vec<u8>> {
    match path.to_str().filter(|_| is_remote(path)) {
        Some(url) => read_object(url),
        None => std::fs::read(path),
    }
}

enum Inner {
    Local(std::fs::File),
    Object { store: Arc<dyn ObjectStore>, key: ObjectPath, size: u64, chunk: Bytes, chunk_at: u64 },
}

/// An open input file: `Read + Seek`, and parquet's `ChunkReader`.
pub(crate) struct InputFile {
    inner: Inner,
    pos: u64,
    len: u64,
}

impl InputFile {
    /// Opens the file or object at `path`.
    pub(crate) fn open(path: &Path) -> io::Result<InputFile> {
        match object_of(path).filter(|_| is_remote(path)) {
            None => {
                let file = std::fs::File::open(path)?;
                let len = file.metadata()?.len();
                Ok(InputFile { inner: Inner::Local(file), pos: 0, len })
            }
            Some((bucket, key)) => {
                let store = bucket_store(bucket).map_err(io::Error::other)?;
                let key = object_path(key);
                let size = block_on(store.head(&key)).map_err(io_err)?.size;
                let inner = Inner::Object { store, key, size, chunk: Bytes::new(), chunk_at: 0 };
                Ok(InputFile { inner, pos: 0, len: size })
            }
        }
    }

    /// Bytes `start..end` (clipped to the file).
    pub(crate) fn range(&self, start: u64, end: u64) -> io::Result<Bytes> {
        let end = end.min(self.len);
        if start >= end {
            return Ok(Bytes::new());
        }
        match &self.inner {
            Inner::Local(file) => {
                let mut buf = vec![0u8; (end - start) as usize];
                std::os::unix::fs::FileExt::read_exact_at(file, &mut buf, start)?;
                Ok(Bytes::from(buf))
            }
            Inner::Object { store, key, .. } => block_on(store.get_range(key, start..end)).map_err(io_err),
        }
    }

    /// Another reader of the same file, at `pos`.
    fn reopen_at(&self, pos: u64) -> io::Result<InputFile> {
        let inner = match &self.inner {
            Inner::Local(file) => Inner::Local(file.try_clone()?),
            Inner::Object { store, key, size, .. } => Inner::Object {
                store: Arc::clone(store),
                key: key.clone(),
                size: *size,
                chunk: Bytes::new(),
                chunk_at: 0,
            },
        };
        let mut file = InputFile { inner, pos: 0, len: self.len };
        file.seek(SeekFrom::Start(pos))?;
        Ok(file)
    }
}

impl Read for InputFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let pos = self.pos;
        let n = match &mut self.inner {
            Inner::Local(file) => {
                file.seek(SeekFrom::Start(pos))?;
                file.read(buf)?
            }
            Inner::Object { store, key, size, chunk, chunk_at } => {
                if pos >= *size {
                    return Ok(0);
                }
                if pos < *chunk_at || pos >= *chunk_at + chunk.len() as u64 {
                    let end = (pos + CHUNK).min(*size);
                    *chunk = block_on(store.get_range(key, pos..end)).map_err(io_err)?;
                    *chunk_at = pos;
                    if chunk.is_empty() {
                        return Ok(0);
                    }
                }
                let from = (pos - *chunk_at) as usize;
                let n = buf.len().min(chunk.len() - from);
                buf[..n].copy_from_slice(&chunk[from..from + n]);
                n
            }
        };
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for InputFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.pos)
    }
}

impl parquet::file::reader::Length for InputFile {
    fn len(&self) -> u64 {
        self.len
    }
}

impl parquet::file::reader::ChunkReader for InputFile {
    type T = InputFile;

    fn get_read(&self, start: u64) -> parquet::errors::Result<InputFile> {
        Ok(self.reopen_at(start)?)
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        let bytes = self.range(start, start + length as u64)?;
        if bytes.len() < length {
            return Err(parquet::errors::ParquetError::EOF(format!(
                "expected {length} bytes at {start}, the file has {}",
                bytes.len()
            )));
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_file_reads_seeks_and_ranges() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.txt");
        std::fs::write(&p, b"0123456789").expect("write");
        let mut f = InputFile::open(&p).expect("open");
        assert_eq!(parquet::file::reader::Length::len(&f), 10);
        f.seek(SeekFrom::Start(3)).expect("seek");
        let mut s = String::new();
        f.read_to_string(&mut s).expect("read");
        assert_eq!(s, "3456789");
        assert_eq!(&f.range(8, 20).expect("range")[..], b"89");
        let mut again = f.reopen_at(5).expect("reopen");
        let mut two = [0u8; 2];
        again.read_exact(&mut two).expect("read");
        assert_eq!(&two, b"56");
        assert!(!is_remote(&p) && is_remote(Path::new("s3://b/k")));
    }
}
