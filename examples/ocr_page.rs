//! Reads page images with wenflow's OCR core, without a dataflow: for each file, the
//! layout evidence (skew, blank rows and columns, whether it is clear) and, with `--ocr`,
//! what the engine reads; with `--both`, how the straightened page reads each way.
//!
//! ```text
//! cargo run --release --example ocr_page -- [--ocr] [--both] PAGE.png [PAGE.jpg ...]
//! ```
//!
//! Prints one tab-separated line per page: file, layout, clear, skew (degrees), blank
//! rows, blank columns; with `--ocr` the layout read, what decided it, confidence,
//! plausibility, milliseconds and the text on one line; with `--both` the confidence and
//! plausibility of the horizontal and of the vertical reading.

use wenflow_operators::ocr::{Layout, OcrConfig, OcrEngine, PageLimits, decode_pages, layout};

fn main() -> anyhow::Result<()> {
    let (mut ocr, mut both) = (false, false);
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--ocr" => ocr = true,
            "--both" => both = true,
            _ => files.push(arg),
        }
    }
    let mut engine = (ocr || both).then(|| OcrEngine::new(OcrConfig::default()));
    for file in files {
        let bytes = std::fs::read(&file)?;
        for page in decode_pages(&bytes, &PageLimits::default())? {
            let e = layout::analyse(&page);
            let mut line = format!(
                "{file}\t{}\t{}\t{:.2}\t{:.3}\t{:.3}",
                e.layout.as_str(),
                e.is_clear(),
                e.skew_degrees,
                e.blank_rows,
                e.blank_cols
            );
            let Some(engine) = engine.as_mut() else {
                println!("{line}");
                continue;
            };
            if both {
                let prepared = layout::prepare(&page);
                for l in [Layout::Horizontal, Layout::Vertical] {
                    let t = engine.read(&prepared.page, l)?;
                    line += &format!("\t{}:{:.3}/{:.3}", l.as_str(), t.confidence, t.plausibility);
                }
            }
            if ocr {
                let t = engine.recognize(&page)?;
                line += &format!(
                    "\t{}\t{}\t{:.3}\t{:.3}\t{}\t{}",
                    t.layout.as_str(),
                    t.layout_by.as_str(),
                    t.confidence,
                    t.plausibility,
                    t.ms,
                    t.text.replace('\n', "/")
                );
            }
            println!("{line}");
        }
    }
    Ok(())
}
