//! File formats: one declaration per format ([`FileFormat`]) and one registry
//! ([`FORMATS`]). A new format is a module implementing [`FileFormat`] and one line in
//! [`FORMATS`]; planning, reading, the job id and the page routing all go through them.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::SourceRecord;
use super::options::SourceOptions;
use super::plan::Split;

/// The part of a file one split covers, in the format's own unit: bytes of a JSONL file,
/// row groups of a Parquet file, the whole of anything read at once; `first` is the index
/// of its first record in the file (a line, a row).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Part {
    /// Where it starts.
    pub start: u64,
    /// Where it ends (exclusive).
    pub end: u64,
    /// Index of its first record in the file.
    pub first: u64,
}

impl Part {
    /// A whole file of `size` bytes.
    pub fn whole(size: u64) -> Part {
        Part { start: 0, end: size, first: 0 }
    }
}

/// A file format: how its files are recognised, cut into parts and read.
pub trait FileFormat: Sync {
    /// Its name, recorded in each split.
    fn name(&self) -> &'static str;

    /// File name extensions, lowercase, without the dot.
    fn extensions(&self) -> &'static [&'static str];

    /// Whether a file whose name says nothing is of this format, from its first bytes.
    fn sniff(&self, _head: &[u8]) -> bool {
        false
    }

    /// Whether a file over `--max-file-mb` is refused (formats read piece by piece are not).
    fn size_limited(&self) -> bool {
        true
    }

    /// The parts of a file of `size` bytes, each with the input bytes it covers. The
    /// default is the whole file in one part.
    fn parts(&self, _path: &Path, size: u64, _opts: &SourceOptions) -> Result<Vec<(Part, u64)>, String> {
        Ok(vec![(Part::whole(size), size)])
    }

    /// Reads one split, handing every record (document or failure) to `emit`.
    fn read(&self, split: &Split, opts: &SourceOptions, emit: &mut dyn FnMut(SourceRecord));

    /// Whether its files are page files (images, PDFs): one document each, whose pages the
    /// page stage reads instead of [`FileFormat::read`].
    fn pages(&self) -> bool {
        false
    }
}

/// Every file format, in the order a file's first bytes are tried against them.
pub static FORMATS: &[&dyn FileFormat] =
    &[&super::json::Json, &super::json::JsonLines, &super::text::Text, &super::parquet::Parquet, &super::pages::Pages];

/// The format named `name`.
pub fn by_name(name: &str) -> Option<&'static dyn FileFormat> {
    FORMATS.iter().copied().find(|f| f.name() == name)
}

/// The format a file's name says.
pub fn by_extension(path: &Path) -> Option<&'static dyn FileFormat> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    FORMATS.iter().copied().find(|f| f.extensions().contains(&ext.as_str()))
}

/// The format a file's first bytes say, for files whose names say nothing.
pub fn by_content(path: &Path) -> Option<&'static dyn FileFormat> {
    let head = super::input::InputFile::open(path).and_then(|f| f.range(0, 1024)).unwrap_or_default();
    FORMATS.iter().copied().find(|f| f.sniff(&head))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_has_its_own_name_and_extensions() {
        let mut names: Vec<&str> = FORMATS.iter().map(|f| f.name()).collect();
        let mut exts: Vec<&str> = FORMATS.iter().flat_map(|f| f.extensions().iter().copied()).collect();
        let (n, e) = (names.len(), exts.len());
        names.sort_unstable();
        names.dedup();
        exts.sort_unstable();
        exts.dedup();
        assert_eq!((names.len(), exts.len()), (n, e));
        assert!(FORMATS.iter().all(|f| by_name(f.name()).is_some_and(|g| g.name() == f.name())));
        assert_eq!(by_extension(Path::new("a/b.NDJSON")).map(|f| f.name()), Some("jsonl"));
    }
}
