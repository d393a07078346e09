//! Planning: from input paths to numbered splits grouped into epochs.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::format::{self, FileFormat, Part};
use super::input;
use super::json::JsonLines;
use super::options::SourceOptions;
use super::poetry::{self, PoetryFile};
use super::text::Text;
use crate::{ConnectorError, Result};

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
    /// Its format ([`FileFormat::name`]).
    pub format: String,
    /// The part of the file it covers.
    pub part: Part,
    /// Why the file cannot be read (it cannot be opened, or is over the size limit): the
    /// split then reads as one failure.
    pub error: Option<String>,
    /// Bytes of input it covers.
    pub bytes: u64,
    /// Collection and dynasty implied by a known layout (chinese-poetry).
    pub layout: Option<PoetryFile>,
    /// Collection implied by the file's folder, for directory inputs.
    pub folder: Option<String>,
    /// What changes when the file does: its size and modification time (nanoseconds), or
    /// its size and ETag for an object; `None` when it cannot be read.
    #[serde(default)]
    pub stamp: Option<String>,
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

impl Split {
    /// The split's format.
    pub fn file_format(&self) -> Option<&'static dyn FileFormat> {
        format::by_name(&self.format)
    }

    /// Whether it is a page file, read by the page stage.
    pub fn is_pages(&self) -> bool {
        self.error.is_none() && self.file_format().is_some_and(|f| f.pages())
    }
}

/// A file found in the inputs, before it is cut into splits.
struct Found {
    path: PathBuf,
    rel: String,
    format: &'static dyn FileFormat,
    layout: Option<PoetryFile>,
    folder: Option<String>,
    /// Size and stamp, when listing gave them (objects).
    listed: Option<(u64, String)>,
}

/// A local file's size and stamp.
fn local_stamp(path: &Path) -> std::io::Result<(u64, String)> {
    let meta = std::fs::metadata(path)?;
    let since = meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
    Ok((meta.len(), format!("{}:{}", meta.len(), since.map_or(0, |d| d.as_nanos()))))
}

/// Plans reading `inputs` (files or directories).
pub fn plan(inputs: &[PathBuf], opts: &SourceOptions) -> Result<Plan> {
    let mut found = Vec::new();
    let mut skipped = 0u64;
    for input in inputs {
        if input::is_remote(input) {
            walk_objects(input, opts, &mut found, &mut skipped)?;
            continue;
        }
        let meta = std::fs::metadata(input)
            .map_err(|e| ConnectorError::Input { path: input.display().to_string(), message: e.to_string() })?;
        if meta.is_dir() {
            walk_dir(input, opts, &mut found, &mut skipped)?;
        } else {
            let rel =
                input.file_name().map_or_else(|| input.display().to_string(), |n| n.to_string_lossy().into_owned());
            // A single file is read in the format its name says; unknown names as a page
            // file when their content says so, else as JSONL.
            let format = format::by_extension(input).or_else(|| format::by_content(input)).unwrap_or(&JsonLines);
            found.push(Found { path: input.clone(), rel, format, layout: None, folder: None, listed: None });
        }
    }

    let mut plan = Plan { first_epoch: 1, ..Plan::default() };
    let mut epoch = 1u64;
    let mut epoch_fill = 0u64;
    let mut unit = 0u64;
    let mut push = |plan: &mut Plan, f: &Found, part: Part, bytes: u64, error: Option<String>, stamp: Option<&str>| {
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
            format: f.format.name().to_owned(),
            part,
            error,
            bytes,
            layout: f.layout.clone(),
            folder: f.folder.clone(),
            stamp: stamp.map(str::to_owned),
        });
        unit += 1;
    };
    for f in &found {
        let listed = match &f.listed {
            Some(listed) => Ok(listed.clone()),
            None => local_stamp(&f.path),
        };
        let (size, stamp) = match listed {
            Ok(listed) => listed,
            Err(e) => {
                push(&mut plan, f, Part::default(), 0, Some(format!("cannot read file: {e}")), None);
                continue;
            }
        };
        let stamp = Some(stamp.as_str());
        if size > opts.max_file_bytes && f.format.size_limited() {
            let error = format!("file is {size} bytes, over the limit of {} (--max-file-mb)", opts.max_file_bytes);
            push(&mut plan, f, Part::default(), 0, Some(error), stamp);
            continue;
        }
        match f.format.parts(&f.path, size, opts) {
            Ok(parts) => {
                for (part, bytes) in parts {
                    push(&mut plan, f, part, bytes, None, stamp);
                }
            }
            Err(error) => push(&mut plan, f, Part::default(), 0, Some(error), stamp),
        }
    }
    plan.last_epoch = if plan.splits.is_empty() { 0 } else { epoch };
    plan.skipped_files = skipped;
    Ok(plan)
}

/// Walks a directory in sorted order; applies the chinese-poetry layout when detected.
fn walk_dir(root: &Path, opts: &SourceOptions, found: &mut Vec<Found>, skipped: &mut u64) -> Result<()> {
    let poetry_root =
        poetry::detect(root).map(|base| base.strip_prefix(root).map(Path::to_path_buf).unwrap_or_default());
    for entry in walkdir::WalkDir::new(root).follow_links(true).sort_by_file_name() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().map(Path::to_path_buf).unwrap_or_else(|| root.to_path_buf());
                let rel = path.strip_prefix(root).unwrap_or(&path).display().to_string();
                found.push(Found { path, rel, format: &Text, layout: None, folder: None, listed: None });
                tracing::warn!(error = %e, "cannot list directory entry");
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path().to_path_buf();
        let rel = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().replace('\\', "/");
        match classify(path, rel, poetry_root.as_deref(), opts, None) {
            Some(f) => found.push(f),
            None => *skipped += 1,
        }
    }
    Ok(())
}

/// Lists the objects under an `s3://bucket/prefix` input, in key order, as a directory
/// input of the same files would be walked.
fn walk_objects(input: &Path, opts: &SourceOptions, found: &mut Vec<Found>, skipped: &mut u64) -> Result<()> {
    let objects = input::list_objects(input)?;
    let poetry_root = poetry::detect_in(objects.iter().map(|o| o.rel.as_str()));
    for o in objects {
        // Zero-byte keys ending in `/` are folder markers some tools write.
        if o.rel.is_empty() || o.rel.ends_with('/') {
            continue;
        }
        let stamp = format!("{}:{}", o.size, o.stamp);
        match classify(o.path, o.rel, poetry_root.as_deref().map(Path::new), opts, Some((o.size, stamp))) {
            Some(f) => found.push(f),
            None => *skipped += 1,
        }
    }
    Ok(())
}

/// A file of a directory input, by its path relative to the input (`rel`); `None` when it
/// is not read (an unknown format, or beside the chinese-poetry layout's texts). A layout
/// found at `poetry_root` (relative to the input) classifies the files under it.
fn classify(
    path: PathBuf,
    rel: String,
    poetry_root: Option<&Path>,
    opts: &SourceOptions,
    listed: Option<(u64, String)>,
) -> Option<Found> {
    let format = format::by_extension(&path).or_else(|| format::by_content(&path).filter(|f| f.pages()))?;
    let layout = match poetry_root {
        Some(base) => {
            // Files beside the layout (package.json, README.md) are not part of the corpus.
            let in_layout = if base.as_os_str().is_empty() {
                rel.as_str()
            } else {
                rel.strip_prefix(base.to_str()?)?.strip_prefix('/')?
            };
            Some(poetry::poetry_file(in_layout, opts.include_skipped)?)
        }
        None => None,
    };
    let folder = Path::new(&rel).parent().and_then(|p| p.to_str()).filter(|p| !p.is_empty()).map(str::to_owned);
    Some(Found { path, rel, format, layout, folder, listed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_ranges_start_on_lines() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.jsonl");
        std::fs::write(&p, "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n{\"a\":4}").expect("write");
        let r = super::super::json::jsonl_ranges(&p, 10).expect("ranges");
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
