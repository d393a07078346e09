//! File sources: what a batch job reads, planned into splits.
//!
//! # Contract
//!
//! [`plan`] walks the inputs in a deterministic order (sorted paths) and cuts them into
//! [`Split`]s: a JSON file, a text file, a byte range of a JSONL file that starts and ends
//! on line boundaries, or a group of Parquet row groups. Splits are numbered (`unit`) and
//! grouped into epochs of about `epoch_bytes` of input. The plan depends only on the input
//! and the options — never on the number of workers — so every worker of every process
//! computes the same plan, reads only the splits assigned to it (`unit % peers`), and
//! the output (including each row's epoch) is identical for any cluster shape.
//!
//! Each file format is declared once ([`FileFormat`]: its name, extensions, how a file's
//! first bytes tell it, how a file is cut into [`Part`]s and how a part is read) and
//! registered in [`FORMATS`]; adding a format is a module implementing the trait and one
//! line there.
//!
//! Every input record becomes a [`Document`](wenflow_engine::Document) or a
//! [`Failure`](wenflow_engine::Failure): nothing is dropped silently. A page file (image
//! or PDF, told by its name or its content) is one document whose pages the page stage
//! reads ([`Split::page_file`]).

pub mod format;
mod input;
mod json;
mod options;
mod pages;
mod parquet;
mod plan;
mod poetry;
mod source;
mod text;

pub use format::{FORMATS, FileFormat, Part};
pub(crate) use input::{forget_stores, is_remote, list_objects, read_all, read_object};
pub use json::message_records;
pub use options::{FieldMap, SourceOptions};
pub use plan::{Plan, Split, plan};
pub use poetry::{PoetryFile, poetry_file};
pub use source::FileSource;

use wenflow_engine::{Document, Failure, PageFormat, PageTask};

/// What reading a split yields, record by record.
pub type SourceRecord = Result<Document, Failure>;

impl Split {
    /// Reads the split, handing every record (document or failure) to `emit`. Returns
    /// the number of input records, which equals the number of calls to `emit`. Records
    /// are numbered in emission order (`pos.index`), which follows the input order, nested
    /// sections included.
    pub fn read(&self, opts: &SourceOptions, emit: &mut dyn FnMut(SourceRecord)) -> u64 {
        let mut n = 0u64;
        let mut counted = |mut r: SourceRecord| {
            match &mut r {
                Ok(d) => d.pos.index = n,
                Err(f) => f.pos.index = n,
            }
            n += 1;
            emit(r);
        };
        match (&self.error, self.file_format()) {
            (None, Some(format)) => format.read(self, opts, &mut counted),
            (error, _) => counted(Err(Failure::new(
                self.rel.clone(),
                None,
                wenflow_engine::Stage::Read,
                error.clone().unwrap_or_else(|| format!("internal: no file format {:?}", self.format)),
                self.pos(0),
            ))),
        }
        n
    }

    /// The document of a page file (a split of the `pages` format), for the page stage:
    /// `doc_id` is the path relative to the input root, the title the file name without
    /// its extension, the collection its folder. Its pages are counted and read there
    /// (`page` and `pages` are 0 here; the format is decided from the content).
    pub fn page_file(&self) -> PageTask {
        PageTask {
            doc_id: self.rel.clone(),
            source: self.path.display().to_string(),
            path: self.path.display().to_string(),
            format: PageFormat::Image,
            page: 0,
            pages: 0,
            title: self.path.file_stem().map(|s| s.to_string_lossy().into_owned()),
            collection: self.layout.as_ref().map(|l| l.collection.clone()).or_else(|| self.folder.clone()),
            pos: self.pos(0),
            version: 0,
        }
    }

    /// The position of record `index` of this split.
    pub fn pos(&self, index: u64) -> wenflow_engine::SourcePos {
        wenflow_engine::SourcePos { unit: self.unit, index }
    }
}
