//! Reading input files that may live outside the local filesystem.
//!
//! Inputs are named by a path string: a local path, or a URL whose scheme a connector has
//! registered (`s3://bucket/key`). Stages that read files after planning (the page stage
//! reads page images and PDFs on whichever worker their pages land on) go through
//! [`read`] and [`local_file`], so they need not know where the corpus is kept.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// Reads a whole object named by its URL.
pub type Fetch = dyn Fn(&str) -> io::Result<Vec<u8>> + Send + Sync;

static FETCHERS: RwLock<Vec<(String, Arc<Fetch>)>> = RwLock::new(Vec::new());

/// Makes URLs of `scheme` (`"s3"`) readable with `fetch`; a later call for the same scheme
/// replaces the earlier one.
pub fn register(scheme: &str, fetch: Arc<Fetch>) {
    let mut fetchers = FETCHERS.write().unwrap_or_else(std::sync::PoisonError::into_inner);
    fetchers.retain(|(s, _)| s != scheme);
    fetchers.push((scheme.to_owned(), fetch));
}

/// The scheme of `path` when it is a URL (`s3` of `s3://b/k`), else `None`.
pub fn scheme(path: &str) -> Option<&str> {
    let (scheme, _) = path.split_once("://")?;
    (!scheme.is_empty() && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-'))
        .then_some(scheme)
}

/// The bytes of the file or object `path`.
pub fn read(path: &str) -> io::Result<Vec<u8>> {
    let Some(scheme) = scheme(path) else {
        return std::fs::read(path);
    };
    let fetch = FETCHERS
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .find(|(s, _)| s == scheme)
        .map(|(_, f)| Arc::clone(f));
    match fetch {
        Some(fetch) => fetch(path),
        None => Err(io::Error::new(io::ErrorKind::Unsupported, format!("no reader for {scheme}:// inputs"))),
    }
}

/// A local file with the content of `path`, for programs that take a file name (poppler):
/// the path itself when it is local, else a temporary copy removed on drop.
pub fn local_file(path: &str) -> io::Result<LocalFile> {
    if scheme(path).is_none() {
        return Ok(LocalFile { path: PathBuf::from(path), temporary: false });
    }
    let bytes = read(path)?;
    let ext = Path::new(path).extension().and_then(|e| e.to_str()).unwrap_or("bin");
    let name = format!(
        "wenflow-{}-{:016x}-{:016x}.{ext}",
        std::process::id(),
        xxhash_rust::xxh3::xxh3_64(path.as_bytes()),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let local = std::env::temp_dir().join(name);
    std::fs::write(&local, bytes)?;
    Ok(LocalFile { path: local, temporary: true })
}

static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A file on the local disk standing for an input; see [`local_file`].
#[derive(Debug)]
pub struct LocalFile {
    path: PathBuf,
    temporary: bool,
}

impl LocalFile {
    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for LocalFile {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_go_to_their_scheme_and_paths_to_the_disk() {
        assert_eq!(scheme("s3://b/k.png"), Some("s3"));
        assert_eq!(scheme("/tmp/a.png"), None);
        assert_eq!(scheme("a b://c"), None);
        register("wenflow-test", Arc::new(|url: &str| Ok(url.as_bytes().to_vec())));
        assert_eq!(read("wenflow-test://x/y.pdf").expect("registered"), b"wenflow-test://x/y.pdf");
        let copy = local_file("wenflow-test://x/y.pdf").expect("copy");
        assert_eq!(std::fs::read(copy.path()).expect("read"), b"wenflow-test://x/y.pdf");
        let at = copy.path().to_path_buf();
        drop(copy);
        assert!(!at.exists());
        assert_eq!(read("nope://x").expect_err("unregistered").kind(), io::ErrorKind::Unsupported);
    }
}
