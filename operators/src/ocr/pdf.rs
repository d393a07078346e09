//! PDF pages through poppler (Debian `poppler-utils`): page count and sizes with
//! `pdfinfo`, the text layer of a page with `pdftotext`, and a page without one rendered
//! to grey with `pdftoppm` for OCR.
//!
//! Each runs as a child process with a deadline: a hostile PDF that hangs or crashes the
//! parser costs one process, never a worker, and becomes a clear error.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::decode::{GrayPage, PageLimits, decode_pages};
use super::proc::run;
use crate::error::{OperatorError, Result};

/// Deadline of `pdfinfo` and `pdftotext` on one page.
const PARSE_TIMEOUT: Duration = Duration::from_secs(30);

/// What `pdfinfo` says of a PDF.
#[derive(Clone, Debug, PartialEq)]
pub struct PdfInfo {
    /// Number of pages.
    pub pages: u32,
}

/// The page count of the PDF at `path`, checked against `limits`.
pub fn info(path: &Path, limits: &PageLimits) -> Result<PdfInfo> {
    let mut cmd = Command::new("pdfinfo");
    cmd.arg(path);
    let out = run(cmd, PARSE_TIMEOUT, 1 << 20)?;
    let text = String::from_utf8_lossy(&out.stdout);
    let pages = text
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse::<u32>().ok())
        .ok_or_else(|| OperatorError::decode("pdf: pdfinfo gave no page count"))?;
    limits.check_pages(pages)?;
    Ok(PdfInfo { pages })
}

/// The size of page `page` (1-based) in points.
fn page_size(path: &Path, page: u32) -> Result<(f64, f64)> {
    let mut cmd = Command::new("pdfinfo");
    cmd.args(["-f", &page.to_string(), "-l", &page.to_string()]).arg(path);
    let out = run(cmd, PARSE_TIMEOUT, 1 << 20)?;
    let text = String::from_utf8_lossy(&out.stdout);
    let size = text
        .lines()
        .find_map(|l| l.split_once("size:").map(|(_, s)| s.to_owned()))
        .ok_or_else(|| OperatorError::decode(format!("pdf: no size for page {page}")))?;
    let mut nums = size.split_whitespace().filter_map(|t| t.parse::<f64>().ok());
    match (nums.next(), nums.next()) {
        (Some(w), Some(h)) if w > 0.0 && h > 0.0 => Ok((w, h)),
        _ => Err(OperatorError::decode(format!("pdf: bad size {:?} for page {page}", size.trim()))),
    }
}

/// The text layer of page `page` (1-based), empty when the page has none.
pub fn page_text(path: &Path, page: u32) -> Result<String> {
    let mut cmd = Command::new("pdftotext");
    cmd.args(["-f", &page.to_string(), "-l", &page.to_string(), "-enc", "UTF-8"]).arg(path).arg("-");
    let out = run(cmd, PARSE_TIMEOUT, 64 << 20)?;
    Ok(String::from_utf8_lossy(&out.stdout).replace('\u{c}', "").trim().to_owned())
}

/// Whether a text layer holds text worth keeping (a letter or a Han character).
pub fn has_text(text: &str) -> bool {
    text.chars().any(char::is_alphanumeric)
}

/// Page `page` (1-based) rendered to grey at `dpi`, refused when it would exceed the
/// pixel limit. Rendering has the OCR deadline of a page.
pub fn render_page(path: &Path, page: u32, dpi: u32, limits: &PageLimits) -> Result<GrayPage> {
    let (w, h) = page_size(path, page)?;
    let px = |points: f64| (points / 72.0 * f64::from(dpi)).ceil().min(f64::from(u32::MAX)) as u32;
    limits.check_pixels(px(w), px(h))?;
    let mut cmd = Command::new("pdftoppm");
    cmd.args(["-f", &page.to_string(), "-l", &page.to_string(), "-r", &dpi.to_string(), "-gray", "-png"]).arg(path);
    let out = run(cmd, Duration::from_millis(limits.ocr_timeout_ms), (limits.max_pixels as usize).saturating_mul(2))?;
    let mut pages = decode_pages(&out.stdout, limits)?;
    pages.pop().ok_or_else(|| OperatorError::decode(format!("pdf: page {page} rendered to nothing")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/ocr").join(name)
    }

    #[test]
    fn the_text_layer_is_read_per_page() {
        let limits = PageLimits::default();
        let pdf = fixture("text-layer.pdf");
        assert_eq!(info(&pdf, &limits).expect("info").pages, 2);
        assert_eq!(page_text(&pdf, 1).expect("page 1"), "床前明月光疑是地上霜\n舉頭望明月低頭思故鄉");
        assert!(page_text(&pdf, 2).expect("page 2").starts_with("春眠不覺曉"));
    }

    #[test]
    fn an_image_only_page_has_no_text_and_renders() {
        let limits = PageLimits::default();
        let pdf = fixture("image-only.pdf");
        assert_eq!(info(&pdf, &limits).expect("info").pages, 1);
        assert!(!has_text(&page_text(&pdf, 1).expect("text")));
        let page = render_page(&pdf, 1, 300, &limits).expect("render");
        assert_eq!((page.width, page.height), (560, 220), "the image's own size at its 300 dpi");
        let small = PageLimits { max_pixels: 10_000, ..limits };
        assert!(matches!(render_page(&pdf, 1, 300, &small), Err(OperatorError::Limit { .. })));
        let few = PageLimits { max_pages: 0, ..limits };
        assert!(matches!(info(&pdf, &few), Err(OperatorError::Limit { what: "pages", .. })));
    }

    #[test]
    fn a_broken_pdf_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bad = dir.path().join("bad.pdf");
        std::fs::write(&bad, b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage").expect("write");
        let err = info(&bad, &PageLimits::default()).expect_err("broken");
        assert!(matches!(err, OperatorError::Decode(_)), "{err}");
    }
}
