//! Page files: PNG, JPEG and TIFF images and PDFs, one document each, told by their name
//! or their first bytes. Their pages are counted and read by the page stage
//! ([`Split::page_file`](super::Split::page_file)), not here.

use wenflow_engine::{Failure, Stage};

use super::SourceRecord;
use super::format::FileFormat;
use super::options::SourceOptions;
use super::plan::Split;

/// Images and PDFs.
pub(super) struct Pages;

impl FileFormat for Pages {
    fn name(&self) -> &'static str {
        "pages"
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["png", "jpg", "jpeg", "tif", "tiff", "pdf"]
    }

    fn sniff(&self, head: &[u8]) -> bool {
        head.starts_with(b"\x89PNG\r\n\x1a\n")
            || head.starts_with(&[0xFF, 0xD8, 0xFF])
            || head.starts_with(b"II*\0")
            || head.starts_with(b"MM\0*")
            || memchr::memmem::find(head, b"%PDF-").is_some()
    }

    fn read(&self, split: &Split, _opts: &SourceOptions, emit: &mut dyn FnMut(SourceRecord)) {
        emit(Err(Failure::new(
            split.rel.clone(),
            Some(split.rel.clone()),
            Stage::Read,
            "internal: a page file was read as records; the page stage reads it",
            split.pos(0),
        )));
    }

    fn pages(&self) -> bool {
        true
    }
}
