//! Planning: from input paths to numbered splits grouped into epochs.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::options::SourceOptions;
use super::poetry::{self, PoetryFile};
use crate::{ConnectorError, Result};

/// How a split is read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SplitKind {
    /// A whole JSON file: an array of records, one record, or nested sections.
    Json,
    /// Lines of a JSONL file whose first byte lies in `start..end`; `first_line` is the
    /// 0-based index of the line at `start`.
    JsonLines {
        /// First byte (the start of a line).
        start: u64,
        /// End byte (exclusive; the start of a line or the end of the file).
        end: u64,
        /// Index of the first line in the file.
        first_line: u64,
    },
    /// A whole text file (`.txt`, `.md`), one document.
    Text,
    /// Row groups of a Parquet file; `first_row` is the index of their first row.
    Parquet {
        /// The row groups.
        row_groups: Vec<usize>,
        /// Index of the first row of the first row group.
        first_row: u64,
    },
    /// A page file (image or PDF), one document: its pages are counted and read by the
    /// page stages, not by [`Split::read`](super::Split::read).
    Pages,
    /// A file that could not be opened or is over the size limit: read yields one failure.
    Unreadable {
        /// Why.
        error: String,
    },
}

/// One unit of reading work.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Split {
    /// Ordinal in the plan.
    pub unit: u64,
    /// Epoch the split's records belong to.
    pub epoch: u64,
    /// The file.
    pub path: PathBuf,
    /// The file relative to the input root (the root's own name for a file input).
    pub rel: String,
    /// How to read it.
    pub kind: SplitKind,
    /// Bytes of input it covers.
    pub bytes: u64,
    /// Collection and dynasty implied by a known layout (chinese-poetry).
    pub layout: Option<PoetryFile>,
    /// Collection implied by the file's folder, for directory inputs.
    pub folder: Option<String>,
}

/// The whole read, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Every split, ordered by `unit`.
    pub splits: Vec<Split>,
    /// Number of the first epoch (1: epoch 0 is reserved for restored state).
    pub first_epoch: u64,
    /// Number of the last epoch (`first_epoch - 1` when there is no input).
    pub last_epoch: u64,
    /// Files seen but not read (unknown extensions, skipped folders).
    pub skipped_files: u64,
}

impl Plan {
    /// Total input bytes.
    pub fn bytes(&self) -> u64 {
        self.splits.iter().map(|s| s.bytes).sum()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    JsonLines,
    Text,
    Parquet,
    Pages,
}

fn format_of(path: &Path) -> Option<Format> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "json" => Some(Format::Json),
        "jsonl" | "ndjson" => Some(Format::JsonLines),
        "txt" | "md" => Some(Format::Text),
        "parquet" => Some(Format::Parquet),
        "png" | "jpg" | "jpeg" | "tif" | "tiff" | "pdf" => Some(Format::Pages),
        _ => None,
    }
}

/// Whether the file starts like a page file (PNG, JPEG, TIFF, PDF), whatever its name:
/// files whose names say nothing are told by their content. The page stage reads the
/// content again and decides how to decode it.
fn starts_like_pages(path: &Path) -> bool {
    let mut head = [0u8; 1024];
    let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)).unwrap_or(0);
    let head = &head[..n];
    head.starts_with(b"\x89PNG\r\n\x1a\n")
        || head.starts_with(&[0xFF, 0xD8, 0xFF])
        || head.starts_with(b"II*\0")
        || head.starts_with(b"MM\0*")
        || memchr::memmem::find(head, b"%PDF-").is_some()
}

/// A file found in the inputs, before it is cut into splits.
struct Found {
    path: PathBuf,
    rel: String,
    format: Format,
    layout: Option<PoetryFile>,
    folder: Option<String>,
}

/// Plans reading `inputs` (files or directories).
pub fn plan(inputs: &[PathBuf], opts: &SourceOptions) -> Result<Plan> {
    let mut found = Vec::new();
    let mut skipped = 0u64;
    for input in inputs {
        let meta = std::fs::metadata(input)
            .map_err(|e| ConnectorError::Input { path: input.display().to_string(), message: e.to_string() })?;
        if meta.is_dir() {
            walk_dir(input, opts, &mut found, &mut skipped)?;
        } else {
            let rel =
                input.file_name().map_or_else(|| input.display().to_string(), |n| n.to_string_lossy().into_owned());
            // A single file is read in the format its name says; unknown names as a page
            // file when their content says so, else as JSONL.
            let format =
                format_of(input).unwrap_or(if starts_like_pages(input) { Format::Pages } else { Format::JsonLines });
            found.push(Found { path: input.clone(), rel, format, layout: None, folder: None });
        }
    }

    let mut plan = Plan { first_epoch: 1, ..Plan::default() };
    let mut epoch = 1u64;
    let mut epoch_fill = 0u64;
    let mut unit = 0u64;
    let mut push = |plan: &mut Plan, f: &Found, kind: SplitKind, bytes: u64| {
        if epoch_fill > 0 && epoch_fill + bytes > opts.epoch_bytes {
            epoch += 1;
            epoch_fill = 0;
        }
        epoch_fill += bytes;
        plan.splits.push(Split {
            unit,
            epoch,
            path: f.path.clone(),
            rel: f.rel.clone(),
            kind,
            bytes,
            layout: f.layout.clone(),
            folder: f.folder.clone(),
        });
        unit += 1;
    };
    for f in &found {
        let size = match std::fs::metadata(&f.path) {
            Ok(m) => m.len(),
            Err(e) => {
                push(&mut plan, f, SplitKind::Unreadable { error: format!("cannot read file: {e}") }, 0);
                continue;
            }
        };
        if size > opts.max_file_bytes && f.format != Format::JsonLines {
            let error = format!("file is {size} bytes, over the limit of {} (--max-file-mb)", opts.max_file_bytes);
            push(&mut plan, f, SplitKind::Unreadable { error }, 0);
            continue;
        }
        match f.format {
            Format::Json => push(&mut plan, f, SplitKind::Json, size),
            Format::Text => push(&mut plan, f, SplitKind::Text, size),
            Format::Pages => push(&mut plan, f, SplitKind::Pages, size),
            Format::JsonLines => match jsonl_ranges(&f.path, opts.split_bytes) {
                Ok(ranges) => {
                    for (start, end, first_line) in ranges {
                        push(&mut plan, f, SplitKind::JsonLines { start, end, first_line }, end - start);
                    }
                }
                Err(e) => push(&mut plan, f, SplitKind::Unreadable { error: format!("cannot read file: {e}") }, 0),
            },
            Format::Parquet => match super::parquet::row_group_ranges(&f.path, opts.split_bytes) {
                Ok(groups) => {
                    for (row_groups, first_row, bytes) in groups {
                        push(&mut plan, f, SplitKind::Parquet { row_groups, first_row }, bytes);
                    }
                }
                Err(e) => {
                    push(&mut plan, f, SplitKind::Unreadable { error: format!("cannot read parquet file: {e}") }, 0)
                }
            },
        }
    }
    plan.last_epoch = if plan.splits.is_empty() { 0 } else { epoch };
    plan.skipped_files = skipped;
    Ok(plan)
}

/// Walks a directory in sorted order; applies the chinese-poetry layout when detected.
fn walk_dir(root: &Path, opts: &SourceOptions, found: &mut Vec<Found>, skipped: &mut u64) -> Result<()> {
    let poetry_root = poetry::detect(root);
    for entry in walkdir::WalkDir::new(root).follow_links(true).sort_by_file_name() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().map(Path::to_path_buf).unwrap_or_else(|| root.to_path_buf());
                let rel = path.strip_prefix(root).unwrap_or(&path).display().to_string();
                found.push(Found { path, rel, format: Format::Text, layout: None, folder: None });
                tracing::warn!(error = %e, "cannot list directory entry");
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path().to_path_buf();
        let rel = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().replace('\\', "/");
        let Some(format) = format_of(&path).or_else(|| starts_like_pages(&path).then_some(Format::Pages)) else {
            *skipped += 1;
            continue;
        };
        let layout = match &poetry_root {
            // Files beside the layout (package.json, README.md) are not part of the corpus.
            Some(base) if !path.starts_with(base) => {
                *skipped += 1;
                continue;
            }
            Some(base) => {
                let in_layout = path.strip_prefix(base).unwrap_or(&path).to_string_lossy().replace('\\', "/");
                match poetry::poetry_file(&in_layout, opts.include_skipped) {
                    Some(p) => Some(p),
                    None => {
                        *skipped += 1;
                        continue;
                    }
                }
            }
            None => None,
        };
        let folder = Path::new(&rel).parent().and_then(|p| p.to_str()).filter(|p| !p.is_empty()).map(str::to_owned);
        found.push(Found { path, rel, format, layout, folder });
    }
    Ok(())
}

/// Cuts a JSONL file into byte ranges of about `split_bytes` that start on line starts.
/// Returns `(start, end, index of the first line)`.
fn jsonl_ranges(path: &Path, split_bytes: u64) -> std::io::Result<Vec<(u64, u64, u64)>> {
    let mut file = std::fs::File::open(path)?;
    let mut ranges = Vec::new();
    let mut buf = vec![0u8; 1 << 20];
    let (mut start, mut start_line) = (0u64, 0u64);
    let (mut offset, mut lines) = (0u64, 0u64);
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        for i in memchr::memchr_iter(b'\n', &buf[..n]) {
            lines += 1;
            let line_end = offset + i as u64 + 1;
            if line_end - start >= split_bytes {
                ranges.push((start, line_end, start_line));
                start = line_end;
                start_line = lines;
            }
        }
        offset += n as u64;
    }
    if offset > start {
        ranges.push((start, offset, start_line));
    }
    Ok(ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_ranges_start_on_lines() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.jsonl");
        std::fs::write(&p, "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n{\"a\":4}").expect("write");
        let r = jsonl_ranges(&p, 10).expect("ranges");
        assert_eq!(r, vec![(0, 16, 0), (16, 31, 2)]);
    }

    #[test]
    fn epochs_do_not_depend_on_anything_but_input() {
        let dir = tempfile::tempdir().expect("tempdir");
        for i in 0..5 {
            std::fs::write(dir.path().join(format!("{i}.txt")), "天地玄黃".repeat(100)).expect("write");
        }
        let opts = SourceOptions { epoch_bytes: 2500, ..SourceOptions::default() };
        let p = plan(&[dir.path().to_path_buf()], &opts).expect("plan");
        assert_eq!(p.splits.len(), 5);
        assert_eq!(p.splits.iter().map(|s| s.epoch).collect::<Vec<_>>(), vec![1, 1, 2, 2, 3]);
        assert_eq!((p.first_epoch, p.last_epoch), (1, 3));
    }
}
