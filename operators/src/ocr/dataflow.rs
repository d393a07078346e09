//! The decode and OCR stages in the dataflow.
//!
//! ```text
//! page tasks ─ exchange by (doc_id, page) ─► read page ─┬─► page rows ─► pages table
//!                                                      │      └─ by doc_id ─► assemble ─► documents (to the clean stage)
//!                                                      └─► failures (stage ocr)
//! ```
//!
//! - Page tasks are exchanged by `(doc_id, page)`, so the pages of one long PDF are read by
//!   every worker at once. Each worker reads with its own OCR child process
//!   ([`OcrProcess`]), started on its first page and reused.
//! - A PDF page with a text layer gives that text; one without is rendered (poppler) and
//!   OCRed. An image page is decoded (with the pixel limit) and OCRed.
//! - A page that fails (past its deadline, over the pixel limit, undecodable, the engine
//!   dying) becomes a `failures` row (stage `ocr`, source `<file>#page=<n>`); the document
//!   keeps its other pages.
//! - The document is its pages' texts in page order, separated by form feeds (the clean
//!   stage's page boundaries, for running headers and page numbers), line breaks as
//!   layout; `pages` and the mean OCR confidence go with it. Assembly is a reduce by
//!   `doc_id`, so it follows retractions.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use differential_dataflow::{AsCollection, Hashable, VecCollection};
use serde::{Deserialize, Serialize};
use timely::dataflow::operators::Exchange;
use wenflow_engine::blob;
use wenflow_engine::memo::memo_flat_map;
use wenflow_engine::split::split_results;
use wenflow_engine::{Document, Epoch, Failure, LineBreaks, PageFormat, PageMethod, PageRow, PageTask, Stage};

use super::decode::{Format, PageLimits, count_pages, decode_page, sniff};
use super::engine::OcrConfig;
use super::pdf;
use super::worker::OcrProcess;
use crate::error::{OperatorError, Result};

/// Everything the page stages need, shared by a process's workers.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct OcrSettings {
    /// Tesseract options.
    pub config: OcrConfig,
    /// Resource limits.
    pub limits: PageLimits,
    /// The OCR child: a program that serves pages (`wenflow ocr-worker`) and its arguments.
    pub worker: Vec<String>,
}

impl OcrSettings {
    fn process(&self) -> OcrProcess {
        let program = PathBuf::from(self.worker.first().cloned().unwrap_or_else(|| "wenflow".into()));
        let args = self.worker.iter().skip(1).cloned().collect();
        OcrProcess::new(program, args, self.config.clone(), Duration::from_millis(self.limits.ocr_timeout_ms))
    }
}

/// The page tasks of a page file: its content decides how it is read (magic bytes, not
/// its name), its pages are counted, and the limits on pages and on each page's pixels
/// are checked from the headers.
pub fn expand_file(file: &PageTask, settings: &OcrSettings) -> Result<Vec<PageTask>> {
    let bytes = blob::read(&file.path).map_err(|e| OperatorError::decode(format!("cannot read file: {e}")))?;
    let (format, pages) = match sniff(&bytes) {
        Format::Pdf => (PageFormat::Pdf, pdf::info(local_pdf(&file.path)?.path(), &settings.limits)?.pages),
        f if f.is_image() => (PageFormat::Image, count_pages(&bytes, &settings.limits)?),
        _ => {
            let head: String = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
            return Err(OperatorError::decode(format!(
                "neither an image (PNG, JPEG, TIFF) nor a PDF: starts with {head:?}"
            )));
        }
    };
    if pages == 0 {
        return Err(OperatorError::decode("the document has no pages"));
    }
    Ok((1..=pages).map(|page| PageTask { format, page, pages, ..file.clone() }).collect())
}

/// What a stream committed for the page files it restarts with: per document, the file
/// version it was read from, its pages' rows and failures as the tables hold them. A
/// restarted stream feeds its live page files in again to rebuild operator state; the page
/// stages answer them from here instead of reading the files (which may have changed since,
/// and whose OCR is slow), so that retracting them later retracts exactly what was
/// committed.
#[derive(Clone, Debug, Default)]
pub struct RestoredPages {
    /// By `doc_id`.
    pub files: HashMap<String, RestoredFile>,
}

/// The committed outputs of one page file.
#[derive(Clone, Debug, Default)]
pub struct RestoredFile {
    /// The file version (`PageTask::version`) they were read from.
    pub version: u64,
    /// How its pages were read, when known (some page was read).
    pub format: Option<PageFormat>,
    /// Its number of pages (0: the file itself failed).
    pub pages: u32,
    /// Rows of the pages that were read, by page.
    pub rows: BTreeMap<u32, PageRow>,
    /// Failures: of the file (page 0) or of single pages.
    pub failures: BTreeMap<u32, Failure>,
}

impl RestoredPages {
    /// The committed outputs of `files` (the live page files of a restarted stream): the
    /// `pages` rows, the page stages' `failures` rows and the `documents` rows (for each
    /// document's page count and format) of the state the stream restarts from.
    pub fn from_committed<'a>(
        files: impl IntoIterator<Item = &'a PageTask>,
        rows: Vec<PageRow>,
        failures: Vec<Failure>,
        documents: Vec<Document>,
    ) -> Self {
        let mut restored = RestoredPages::default();
        for file in files {
            let entry = RestoredFile { version: file.version, ..Default::default() };
            restored.files.insert(file.doc_id.clone(), entry);
        }
        for row in rows {
            if let Some(f) = restored.files.get_mut(&row.doc_id) {
                f.rows.insert(row.page, row);
            }
        }
        for failure in failures {
            let page = match failure.stage {
                Stage::Decode => Some(0),
                Stage::Ocr => failure.source.rsplit_once("#page=").and_then(|(_, p)| p.parse().ok()),
                _ => None,
            };
            if let (Some(page), Some(f)) = (page, failure.doc_id.as_ref().and_then(|id| restored.files.get_mut(id))) {
                f.failures.insert(page, failure);
            }
        }
        for doc in documents {
            if let Some(f) = restored.files.get_mut(&doc.doc_id) {
                f.pages = doc.pages.unwrap_or(0);
                f.format = match doc.extra.get("format").map(String::as_str) {
                    Some("pdf") => Some(PageFormat::Pdf),
                    Some("image") => Some(PageFormat::Image),
                    _ => None,
                };
            }
        }
        for f in restored.files.values_mut() {
            if f.pages == 0 && !f.failures.contains_key(&0) {
                f.pages = f.rows.len().max(f.failures.keys().copied().max().unwrap_or(0) as usize) as u32;
            }
        }
        restored
    }

    fn file(&self, task: &PageTask) -> Option<&RestoredFile> {
        self.files.get(&task.doc_id).filter(|f| f.version == task.version)
    }

    /// What expanding `file` gave, if it is restored.
    fn expanded(&self, file: &PageTask) -> Option<Vec<std::result::Result<PageTask, Failure>>> {
        let restored = self.file(file)?;
        if let Some(f) = restored.failures.get(&0) {
            return Some(vec![Err(Failure { pos: file.pos, ..f.clone() })]);
        }
        let format = restored.format.unwrap_or(PageFormat::Image);
        let pages = restored.pages;
        Some((1..=pages).map(|page| Ok(PageTask { format, page, pages, ..file.clone() })).collect())
    }

    /// What reading `task` gave, if it is restored.
    fn read(&self, task: &PageTask) -> Option<std::result::Result<PageRow, Failure>> {
        let restored = self.file(task)?;
        if let Some(row) = restored.rows.get(&task.page) {
            return Some(Ok(PageRow { task: task.clone(), ..row.clone() }));
        }
        restored.failures.get(&task.page).map(|f| Err(Failure { pos: task.pos, ..f.clone() }))
    }
}

/// A PDF as a local file for poppler: the file itself, or a copy of an object in a store.
fn local_pdf(path: &str) -> Result<blob::LocalFile> {
    blob::local_file(path).map_err(|e| OperatorError::decode(format!("cannot read file: {e}")))
}

/// One task per page of every page file; the files that cannot be read fail (stage
/// `decode`, counted as their input's failure). Runs where the file was read: the tasks
/// are spread by [`read_pages`].
pub fn expand_pages<'s>(
    files: VecCollection<'s, Epoch, PageTask>,
    settings: Arc<OcrSettings>,
    restored: Arc<RestoredPages>,
) -> (VecCollection<'s, Epoch, PageTask>, VecCollection<'s, Epoch, Failure>) {
    // The file may have changed or gone by the time its retraction arrives: what it expanded
    // to is kept, not read again.
    let results = memo_flat_map(files, "ExpandPages", move |file: &PageTask| {
        if let Some(expanded) = restored.expanded(file) {
            return expanded;
        }
        match expand_file(file, &settings) {
            Ok(tasks) => tasks.into_iter().map(Ok).collect::<Vec<_>>(),
            Err(e) => vec![Err(Failure::new(
                file.source.clone(),
                Some(file.doc_id.clone()),
                Stage::Decode,
                e.to_string(),
                file.pos,
            ))],
        }
    });
    split_results(results)
}

/// Reads one page: its text layer, or OCR of its image.
fn read_page(task: &PageTask, settings: &OcrSettings, ocr: &mut Option<OcrProcess>) -> Result<PageRow> {
    let started = Instant::now();
    let image = match task.format {
        PageFormat::Pdf => {
            let local = local_pdf(&task.path)?;
            let path = local.path();
            let text = pdf::page_text(path, task.page)?;
            if pdf::has_text(&text) {
                return Ok(PageRow {
                    doc_id: task.doc_id.clone(),
                    page: task.page,
                    text,
                    confidence_ppm: None,
                    method: PageMethod::TextLayer,
                    engine: "pdftotext".into(),
                    model: None,
                    orientation: None,
                    layout_by: None,
                    skew_millidegrees: None,
                    ms: started.elapsed().as_millis() as u64,
                    task: task.clone(),
                });
            }
            pdf::render_page(path, task.page, settings.config.dpi, &settings.limits)?
        }
        PageFormat::Image => {
            let bytes =
                blob::read(&task.path).map_err(|e| OperatorError::decode(format!("cannot read {}: {e}", task.path)))?;
            decode_page(&bytes, task.page.saturating_sub(1), &settings.limits)?
        }
    };
    let text = ocr.get_or_insert_with(|| settings.process()).recognize(&image)?;
    Ok(PageRow {
        doc_id: task.doc_id.clone(),
        page: task.page,
        text: text.text,
        confidence_ppm: Some((text.confidence * 1_000_000.0).round() as u32),
        method: PageMethod::Ocr,
        engine: text.engine,
        model: Some(text.model),
        orientation: Some(text.layout.as_str().to_owned()),
        layout_by: Some(text.layout_by.as_str().to_owned()),
        skew_millidegrees: Some((text.skew_degrees * 1000.0).round() as i32),
        ms: started.elapsed().as_millis() as u64,
        task: task.clone(),
    })
}

/// Reads every page task: page rows, and failures for the pages that could not be read.
pub fn read_pages<'s>(
    tasks: VecCollection<'s, Epoch, PageTask>,
    settings: Arc<OcrSettings>,
    restored: Arc<RestoredPages>,
) -> (VecCollection<'s, Epoch, PageRow>, VecCollection<'s, Epoch, Failure>) {
    let routed =
        tasks.inner.exchange(|(t, _, _): &(PageTask, Epoch, isize)| (&t.doc_id, t.page).hashed()).as_collection();
    let mut ocr: Option<OcrProcess> = None;
    // A page is read once while it is live; its retraction retracts the row it gave.
    let results = memo_flat_map(routed, "ReadPages", move |task: &PageTask| {
        if let Some(r) = restored.read(task) {
            return vec![r];
        }
        let r = read_page(task, &settings, &mut ocr).map_err(|e| {
            tracing::warn!(doc_id = %task.doc_id, page = task.page, error = %e, "page failed");
            Failure::new(
                format!("{}#page={}", task.source, task.page),
                Some(task.doc_id.clone()),
                Stage::Ocr,
                e.to_string(),
                task.pos,
            )
        });
        vec![r]
    });
    split_results(results)
}

/// The document of a set of pages (any order, at least one).
pub fn assemble(pages: &[&PageRow]) -> Option<Document> {
    let first = pages.first()?;
    let mut sorted: Vec<&PageRow> = pages.to_vec();
    sorted.sort_by_key(|p| p.page);
    let text = sorted.iter().map(|p| p.text.as_str()).collect::<Vec<_>>().join("\u{c}");
    let confidences: Vec<u64> = sorted.iter().filter_map(|p| p.confidence_ppm).map(u64::from).collect();
    let mean = (!confidences.is_empty()).then(|| (confidences.iter().sum::<u64>() / confidences.len() as u64) as u32);
    let task = &first.task;
    let mut extra = BTreeMap::new();
    extra.insert(
        "format".to_owned(),
        match task.format {
            PageFormat::Pdf => "pdf",
            PageFormat::Image => "image",
        }
        .to_owned(),
    );
    if sorted.len() < task.pages as usize {
        extra.insert("pages_failed".to_owned(), (task.pages as usize - sorted.len()).to_string());
    }
    Some(Document {
        doc_id: task.doc_id.clone(),
        source: task.source.clone(),
        title: task.title.clone(),
        collection: task.collection.clone(),
        extra,
        text,
        line_breaks: LineBreaks::Layout,
        pages: Some(task.pages),
        ocr_confidence_ppm: mean,
        pos: task.pos,
        ..Document::default()
    })
}

/// Documents assembled from their pages (a reduce by `doc_id`: it follows retractions).
pub fn documents_of_pages<'s>(pages: VecCollection<'s, Epoch, PageRow>) -> VecCollection<'s, Epoch, Document> {
    pages
        .map(|p| (p.doc_id.clone(), p))
        .reduce(|_id, input, output| {
            let live: Vec<&PageRow> = input.iter().filter(|(_, n)| *n > 0).map(|(p, _)| *p).collect();
            if let Some(doc) = assemble(&live) {
                output.push((doc, 1));
            }
        })
        .map(|(_, doc)| doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(page: u32, text: &str, confidence: Option<u32>) -> PageRow {
        PageRow {
            doc_id: "scan.pdf".into(),
            page,
            text: text.into(),
            confidence_ppm: confidence,
            method: if confidence.is_some() { PageMethod::Ocr } else { PageMethod::TextLayer },
            engine: "tesseract 5.3.0".into(),
            model: None,
            orientation: None,
            layout_by: None,
            skew_millidegrees: None,
            ms: 1,
            task: PageTask {
                doc_id: "scan.pdf".into(),
                source: "in/scan.pdf".into(),
                path: "in/scan.pdf".into(),
                format: PageFormat::Pdf,
                page,
                pages: 3,
                title: Some("scan".into()),
                collection: None,
                pos: Default::default(),
                version: 0,
            },
        }
    }

    #[test]
    fn pages_assemble_in_order_with_the_mean_confidence() {
        let (a, b, c) = (row(2, "二", Some(800_000)), row(1, "一", None), row(3, "三", Some(600_000)));
        let doc = assemble(&[&a, &b, &c]).expect("doc");
        assert_eq!(doc.text, "一\u{c}二\u{c}三");
        assert_eq!((doc.pages, doc.ocr_confidence_ppm), (Some(3), Some(700_000)));
        assert_eq!(doc.line_breaks, LineBreaks::Layout);
        let partial = assemble(&[&a]).expect("doc");
        assert_eq!(partial.extra.get("pages_failed").map(String::as_str), Some("2"));
        assert!(assemble(&[]).is_none());
    }
}
