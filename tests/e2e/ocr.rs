//! Page images and PDFs through the whole ingest: the real Tesseract (Debian's
//! libtesseract 5 and traineddata, in per-worker child processes) and poppler, on the
//! rendered fixtures of `tests/fixtures/ocr/` and on hostile files.

use std::path::{Path, PathBuf};

use super::support::{count, ingest, sql};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ocr")
}

/// The Han characters of `s`.
fn han(s: &str) -> Vec<char> {
    s.chars().filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c)).collect()
}

/// 1 − the character error rate of `got` against `truth` (Han characters only).
fn agreement(got: &str, truth: &str) -> f64 {
    let (g, t) = (han(got), han(truth));
    let mut prev: Vec<usize> = (0..=g.len()).collect();
    for (i, a) in t.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, b) in g.iter().enumerate() {
            cur.push((prev[j + 1] + 1).min(cur[j] + 1).min(prev[j] + usize::from(a != b)));
        }
        prev = cur;
    }
    1.0 - prev[g.len()] as f64 / t.len().max(1) as f64
}

#[test]
fn images_and_pdfs_become_documents_and_pages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("scans");
    std::fs::create_dir_all(&input).expect("mkdir");
    for f in ["page-h.png", "page-h.jpg", "page-v.png", "pages-2.tif", "image-only.pdf", "text-layer.pdf"] {
        std::fs::copy(fixtures().join(f), input.join(f)).expect("copy");
    }
    // A PNG whose name says nothing: told by its content.
    std::fs::copy(fixtures().join("page-h.png"), input.join("scan-0001.dat")).expect("copy");
    let out = dir.path().join("out");
    let summary = ingest(&[&input], &out, &["-w", "2"]);
    assert!(summary.contains("pages      9"), "{summary}");
    assert_eq!(count(&out, "SELECT count(*) FROM failures"), 0, "{summary}");

    let docs = sql(&out, "SELECT doc_id, pages, ocr_confidence, text FROM documents ORDER BY doc_id");
    let ids: Vec<&str> = docs.iter().map(|d| d["doc_id"].as_str().unwrap_or_default()).collect();
    assert_eq!(
        ids,
        ["image-only.pdf", "page-h.jpg", "page-h.png", "page-v.png", "pages-2.tif", "scan-0001.dat", "text-layer.pdf"]
    );
    let truth = |name: &str| std::fs::read_to_string(fixtures().join(name)).expect("truth");
    let text_of = |id: &str| {
        docs.iter()
            .find(|d| d["doc_id"] == id)
            .map(|d| d["text"].as_str().unwrap_or_default().to_owned())
            .unwrap_or_default()
    };
    // The text layer is taken as it is: exact.
    assert_eq!(han(&text_of("text-layer.pdf")), han(&truth("text-layer.txt")));
    // OCR: close to the truth, in reading order (vertical columns right to left).
    for (id, t) in [
        ("page-h.png", "page-h.txt"),
        ("page-h.jpg", "page-h.txt"),
        ("page-v.png", "page-v.txt"),
        ("image-only.pdf", "image-only.txt"),
    ] {
        let a = agreement(&text_of(id), &truth(t));
        assert!(a >= 0.85, "{id}: {a:.2} of the characters right: {:?}", text_of(id));
    }
    let pages = sql(
        &out,
        "SELECT doc_id, page, method, engine, model, orientation, confidence FROM pages ORDER BY doc_id, page",
    );
    let row = |id: &str, page: i64| {
        pages.iter().find(|p| p["doc_id"] == id && p["page"] == page).cloned().unwrap_or_default()
    };
    assert_eq!(row("text-layer.pdf", 2)["method"], "text_layer");
    assert_eq!(row("image-only.pdf", 1)["method"], "ocr", "a page without text is rendered and OCRed");
    assert_eq!(row("page-v.png", 1)["orientation"], "vertical");
    assert_eq!(row("page-v.png", 1)["model"], "chi_tra_vert");
    assert_eq!(row("pages-2.tif", 2)["orientation"], "horizontal");
    assert!(row("page-h.png", 1)["engine"].as_str().is_some_and(|e| e.starts_with("tesseract 5")));
    assert!(row("page-h.png", 1)["confidence"].as_f64().is_some_and(|c| c > 0.5));
    let tif = docs.iter().find(|d| d["doc_id"] == "pages-2.tif").expect("tif");
    assert_eq!(tif["pages"], 2);
    assert!(tif["ocr_confidence"].as_f64().is_some_and(|c| c > 0.5 && c <= 1.0));
    // Searchable like any document.
    let hits = super::support::wenflow()
        .args(["search", "举头", "--format", "json", "--index"])
        .arg(&out)
        .output()
        .expect("search");
    let hits: serde_json::Value = serde_json::from_slice(&hits.stdout).expect("json");
    assert!(hits["total"].as_i64().is_some_and(|n| n >= 2), "{hits}");
}

/// Scans as scanners leave them (tilted 2.5°, blurred, speckled, JPEG) and pages set on a
/// square grid: the pages table says how each page's layout was decided and by how much it
/// was straightened, and the text comes out in reading order.
#[test]
fn skewed_and_gridded_scans_are_read_in_their_layout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("scans");
    std::fs::create_dir_all(&input).expect("mkdir");
    let files = ["page-v-skew.jpg", "page-h-skew.jpg", "page-v-grid.png", "page-h-grid.png"];
    for f in files {
        std::fs::copy(fixtures().join(f), input.join(f)).expect("copy");
    }
    let out = dir.path().join("out");
    ingest(&[&input], &out, &["-w", "2"]);
    let pages = sql(&out, "SELECT doc_id, text, orientation, layout_by, skew FROM pages ORDER BY doc_id");
    let expected = [
        ("page-h-grid.png", "horizontal", "readings", 0.0),
        ("page-h-skew.jpg", "horizontal", "geometry", -2.5),
        ("page-v-grid.png", "vertical", "readings", 0.0),
        ("page-v-skew.jpg", "vertical", "geometry", 2.5),
    ];
    assert_eq!(pages.len(), expected.len(), "{pages:?}");
    for (p, (id, orientation, by, skew)) in pages.iter().zip(expected) {
        assert_eq!(
            (p["doc_id"].as_str(), p["orientation"].as_str(), p["layout_by"].as_str()),
            (Some(id), Some(orientation), Some(by))
        );
        let straightened = p["skew"].as_f64().unwrap_or(f64::NAN);
        assert!((straightened - skew).abs() <= 0.2, "{id}: straightened by {straightened}");
        let truth = std::fs::read_to_string(fixtures().join(id.replace(".jpg", ".txt").replace(".png", ".txt")))
            .expect("truth");
        let a = agreement(p["text"].as_str().unwrap_or_default(), &truth);
        assert!(a >= 0.8, "{id}: {a:.2} of the characters right: {}", p["text"]);
    }
    // Told the layout, the engine reads every page that way and says so.
    let told = dir.path().join("told");
    ingest(&[&input], &told, &["--ocr-layout", "vertical"]);
    let by = sql(&told, "SELECT DISTINCT orientation, layout_by FROM pages");
    assert_eq!(by.len(), 1, "{by:?}");
    assert_eq!((by[0]["orientation"].as_str(), by[0]["layout_by"].as_str()), (Some("vertical"), Some("option")));
}

#[test]
fn hostile_and_broken_files_become_failures() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("bad");
    std::fs::create_dir_all(&input).expect("mkdir");
    let png = std::fs::read(fixtures().join("page-h.png")).expect("png");
    // Truncated: the header is fine, the pixels are not.
    std::fs::write(input.join("truncated.png"), &png[..png.len() / 2]).expect("write");
    // A decompression bomb: a valid JPEG header claiming 60,000 x 60,000 pixels (the PNG
    // kind is in the decoder's own tests).
    let mut bomb = std::fs::read(fixtures().join("page-h.jpg")).expect("jpg");
    let sof = bomb.windows(2).position(|w| w[0] == 0xFF && matches!(w[1], 0xC0 | 0xC2)).expect("a frame header");
    bomb[sof + 5..sof + 7].copy_from_slice(&60_000u16.to_be_bytes());
    bomb[sof + 7..sof + 9].copy_from_slice(&60_000u16.to_be_bytes());
    std::fs::write(input.join("bomb.jpg"), bomb).expect("write");
    std::fs::write(input.join("empty.png"), b"").expect("write");
    std::fs::write(input.join("broken.pdf"), b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage").expect("write");
    std::fs::write(input.join("text.tif"), "床前明月光".as_bytes()).expect("write");
    // A PDF named .jpg: read as the PDF it is.
    std::fs::copy(fixtures().join("text-layer.pdf"), input.join("really-a-pdf.jpg")).expect("copy");
    std::fs::copy(fixtures().join("pages-2.tif"), input.join("two-pages.tif")).expect("copy");
    // Over the file size limit: refused before it is opened.
    let mut big = png.clone();
    big.resize(1_500_000, 0);
    std::fs::write(input.join("big.png"), big).expect("write");
    let out = dir.path().join("out");
    // One page per file at most: the two-page files fail on the page limit.
    ingest(&[&input], &out, &["--max-pages", "1", "--max-file-mb", "1"]);
    let failures = sql(&out, "SELECT source, doc_id, stage, error FROM failures ORDER BY doc_id");
    let error = |id: &str| {
        failures
            .iter()
            .find(|f| f["doc_id"] == id)
            .map(|f| format!("{} {}", f["stage"], f["error"]))
            .unwrap_or_default()
    };
    assert!(
        error("bomb.jpg").contains("decode")
            && error("bomb.jpg").contains("pixels per page 3600000000 is over the limit"),
        "{}",
        error("bomb.jpg")
    );
    assert!(error("empty.png").contains("neither an image"), "{}", error("empty.png"));
    assert!(error("broken.pdf").contains("pdfinfo failed"), "{}", error("broken.pdf"));
    assert!(error("text.tif").contains("neither an image"), "{}", error("text.tif"));
    assert!(error("truncated.png").contains("ocr"), "decoded fully only when read: {}", error("truncated.png"));
    assert!(error("two-pages.tif").contains("pages 2 is over the limit of 1"), "{}", error("two-pages.tif"));
    assert!(
        error("really-a-pdf.jpg").contains("pages 2 is over the limit of 1"),
        "read as a PDF: {}",
        error("really-a-pdf.jpg")
    );
    let big = failures.iter().find(|f| f["source"] == "big.png").map(|f| format!("{} {}", f["stage"], f["error"]));
    assert!(
        big.as_deref().is_some_and(|e| e.contains("read") && e.contains("over the limit of 1048576 (--max-file-mb)")),
        "{big:?}"
    );
    let inputs = 8;
    assert_eq!(
        count(&out, "SELECT count(*) FROM documents")
            + count(&out, "SELECT count(DISTINCT coalesce(doc_id, source)) FROM failures"),
        inputs,
        "every input is accounted for"
    );

    // Past the OCR deadline: each page fails, the job goes on.
    let slow = dir.path().join("slow");
    std::fs::create_dir_all(&slow).expect("mkdir");
    std::fs::copy(fixtures().join("page-h.png"), slow.join("page-h.png")).expect("copy");
    std::fs::copy(fixtures().join("text-layer.pdf"), slow.join("text-layer.pdf")).expect("copy");
    let out = dir.path().join("out-slow");
    ingest(&[&slow], &out, &["--ocr-timeout-ms", "1"]);
    let f = sql(&out, "SELECT source, stage, error FROM failures");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["stage"], "ocr");
    assert!(f[0]["source"].as_str().is_some_and(|s| s.ends_with("page-h.png#page=1")), "{f:?}");
    assert!(f[0]["error"].as_str().is_some_and(|e| e.contains("ran past its deadline of 1 ms")), "{f:?}");
    assert_eq!(count(&out, "SELECT count(*) FROM documents"), 1, "the text layer needs no OCR");
}
