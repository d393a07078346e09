//! The Tesseract engine of one worker: created once, reused for every page.
//!
//! Two Tesseract instances at most, each initialised on first use (loading a Chinese
//! model takes a fraction of a second, recognising a page several tenths): one for
//! horizontal pages (`languages`, page segmentation "single block") and one for vertical
//! pages (`vertical_languages`, "single block of vertical text"). Each page is
//! straightened first when it is skewed, and its layout is taken from its geometry
//! ([`layout::analyse`]) unless configured; a page whose geometry is not clear is read
//! both ways, and the reading more likely to be text is kept.
//!
//! Tesseract links OpenMP; run it with `OMP_THREAD_LIMIT=1` (measured: 0.37 s per A4 page
//! instead of 2.6 s, because the workers already use every core).

use std::ffi::CString;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tesseract::PageSegMode;
use tesseract::plumbing::TessBaseApi;

use super::decode::GrayPage;
use super::layout::{self, Layout};
use super::plausibility::plausibility;
use crate::error::{OperatorError, Result};

/// Which layout pages are read in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LayoutChoice {
    /// Detected per page.
    #[default]
    Auto,
    /// Every page horizontal.
    Horizontal,
    /// Every page vertical.
    Vertical,
}

impl LayoutChoice {
    /// `auto`, `horizontal` or `vertical`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(LayoutChoice::Auto),
            "horizontal" => Ok(LayoutChoice::Horizontal),
            "vertical" => Ok(LayoutChoice::Vertical),
            other => Err(OperatorError::InvalidOption {
                name: "ocr-layout",
                message: format!("{other:?}: use auto, horizontal or vertical"),
            }),
        }
    }
}

/// OCR options.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OcrConfig {
    /// Tesseract languages for horizontal pages: `chi_tra`; `chi_tra+eng` for pages that mix
    /// in Latin script, at twice the time per page and more errors on Han text (bench/RESULTS.md).
    pub languages: String,
    /// Tesseract languages for vertical pages.
    pub vertical_languages: String,
    /// Layout of the pages.
    pub layout: LayoutChoice,
    /// Resolution assumed for images that do not say (pixels per inch).
    pub dpi: u32,
    /// Folder of the traineddata files (default: Tesseract's own).
    pub tessdata: Option<String>,
}

impl Default for OcrConfig {
    fn default() -> Self {
        OcrConfig {
            languages: "chi_tra".into(),
            vertical_languages: "chi_tra_vert".into(),
            layout: LayoutChoice::Auto,
            dpi: 300,
            tessdata: None,
        }
    }
}

/// What decided a page's layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LayoutBy {
    /// `--ocr-layout horizontal` or `vertical`.
    Option,
    /// The page's geometry was clear ([`layout::LayoutEvidence::is_clear`]).
    Geometry,
    /// The page was read both ways and the more likely text kept ([`more_likely`]).
    Readings,
}

impl LayoutBy {
    /// The name stored in the `pages` table.
    pub fn as_str(self) -> &'static str {
        match self {
            LayoutBy::Option => "option",
            LayoutBy::Geometry => "geometry",
            LayoutBy::Readings => "readings",
        }
    }
}

/// What OCR read from one page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PageText {
    /// The text, lines in reading order, spaces between CJK characters removed.
    pub text: String,
    /// Tesseract's mean word confidence, 0 to 1.
    pub confidence: f64,
    /// The layout the page was read in.
    pub layout: Layout,
    /// What decided the layout.
    pub layout_by: LayoutBy,
    /// The skew the page was straightened by before reading, degrees counter-clockwise
    /// (0 when it was straight enough).
    pub skew_degrees: f64,
    /// The share of the text's adjacent Han pairs that classical Chinese uses
    /// ([`plausibility`]).
    pub plausibility: f64,
    /// The engine and its version, e.g. `tesseract 5.3.0`.
    pub engine: String,
    /// The languages (models) used.
    pub model: String,
    /// Milliseconds of recognition.
    pub ms: u64,
}

/// One worker's Tesseract instances.
pub struct OcrEngine {
    config: OcrConfig,
    horizontal: Option<TessBaseApi>,
    vertical: Option<TessBaseApi>,
    /// The horizontal languages without the Latin-script ones, for the second reading.
    han_only: Option<TessBaseApi>,
}

impl std::fmt::Debug for OcrEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OcrEngine").field("config", &self.config).finish()
    }
}

/// The version of the linked Tesseract.
pub fn tesseract_version() -> String {
    format!("tesseract {}", tesseract::plumbing::version().to_string_lossy())
}

fn c_string(s: &str, what: &'static str) -> Result<CString> {
    CString::new(s).map_err(|_| OperatorError::InvalidOption { name: what, message: format!("{s:?} holds a NUL") })
}

impl OcrEngine {
    /// An engine; Tesseract is initialised on the first page of each layout.
    pub fn new(config: OcrConfig) -> Self {
        OcrEngine { config, horizontal: None, vertical: None, han_only: None }
    }

    /// Initialises both instances now, so a missing model is reported before any page.
    pub fn check(&mut self) -> Result<()> {
        self.api(Layout::Horizontal)?;
        if self.config.layout != LayoutChoice::Horizontal {
            self.api(Layout::Vertical)?;
        }
        Ok(())
    }

    fn api(&mut self, layout: Layout) -> Result<&mut TessBaseApi> {
        self.instance(Instance::of(layout))
    }

    fn instance(&mut self, which: Instance) -> Result<&mut TessBaseApi> {
        let han_only = han_languages(&self.config.languages);
        let (slot, languages, mode) = match which {
            Instance::Horizontal => (&mut self.horizontal, &self.config.languages, PageSegMode::PsmSingleBlock),
            Instance::Vertical => {
                (&mut self.vertical, &self.config.vertical_languages, PageSegMode::PsmSingleBlockVertText)
            }
            Instance::HanOnly => (&mut self.han_only, &han_only, PageSegMode::PsmSingleBlock),
        };
        if slot.is_none() {
            let mut api = TessBaseApi::create();
            let data = self.config.tessdata.as_deref().map(|d| c_string(d, "tessdata")).transpose()?;
            let langs = c_string(languages, "ocr-languages")?;
            api.init_2(data.as_deref(), Some(&langs)).map_err(|_| {
                OperatorError::Ocr(format!(
                    "Tesseract could not load the models {languages:?} (install tesseract-ocr-{} or set the tessdata folder)",
                    languages.split('+').next().unwrap_or_default().replace('_', "-")
                ))
            })?;
            api.set_page_seg_mode(mode.as_tess_page_seg_mode());
            *slot = Some(api);
        }
        slot.as_mut().ok_or_else(|| OperatorError::Ocr("engine not initialised".into()))
    }

    /// Recognises one page, made ready first ([`layout::prepare`]: specks clear of the text
    /// whitened, straightened when it is skewed), in the configured layout or,
    /// with [`LayoutChoice::Auto`], in the layout its geometry shows
    /// ([`layout::analyse`]); when the geometry is not clear, the page is read both ways and
    /// the reading that is more likely text wins ([`more_likely`]).
    pub fn recognize(&mut self, page: &GrayPage) -> Result<PageText> {
        let started = Instant::now();
        let prepared = layout::prepare(page);
        let (page, evidence) = (prepared.page.as_ref(), prepared.evidence);
        let (mut text, decided_by) = match self.config.layout {
            LayoutChoice::Horizontal => (self.read(page, Layout::Horizontal)?, LayoutBy::Option),
            LayoutChoice::Vertical => (self.read(page, Layout::Vertical)?, LayoutBy::Option),
            LayoutChoice::Auto if evidence.is_clear() => (self.read(page, evidence.layout)?, LayoutBy::Geometry),
            LayoutChoice::Auto => {
                let lean = self.read(page, evidence.layout)?;
                let other = self.read(page, evidence.layout.other())?;
                (more_likely(lean, other), LayoutBy::Readings)
            }
        };
        text.skew_degrees = prepared.straightened_by;
        text.layout_by = decided_by;
        text.ms = started.elapsed().as_millis() as u64;
        Ok(text)
    }

    /// Reads `page` in `layout`, as it is. A horizontal page read with Latin-script
    /// models among Chinese ones (`chi_tra+eng`) whose text is mostly Han but holds a line
    /// of Latin words and no Han is read again with the Chinese models alone: Tesseract's
    /// multi-language choice flips a whole line of Chinese to English letters on some
    /// images (measured on the fixtures: one grey level of JPEG noise does it); the
    /// reading with the higher confidence is kept.
    pub fn read(&mut self, page: &GrayPage, layout: Layout) -> Result<PageText> {
        let first = self.recognize_with(page, Instance::of(layout))?;
        let han = han_languages(&self.config.languages);
        if layout == Layout::Horizontal && han != self.config.languages && has_latin_line_in_han(&first.text) {
            let second = self.recognize_with(page, Instance::HanOnly)?;
            let ms = first.ms + second.ms;
            let kept = if second.confidence >= first.confidence { second } else { first };
            return Ok(PageText { ms, ..kept });
        }
        Ok(first)
    }

    fn recognize_with(&mut self, page: &GrayPage, which: Instance) -> Result<PageText> {
        let dpi = self.config.dpi as i32;
        let model = match which {
            Instance::Horizontal => self.config.languages.clone(),
            Instance::Vertical => self.config.vertical_languages.clone(),
            Instance::HanOnly => han_languages(&self.config.languages),
        };
        let (width, height) = (i32::try_from(page.width), i32::try_from(page.height));
        let (Ok(width), Ok(height)) = (width, height) else {
            return Err(OperatorError::decode(format!("page of {} x {} pixels", page.width, page.height)));
        };
        let started = Instant::now();
        let api = self.instance(which)?;
        api.set_image(&page.pixels, width, height, 1, width).map_err(|e| OperatorError::Ocr(format!("{e:?}")))?;
        api.set_source_resolution(dpi);
        api.recognize().map_err(|_| OperatorError::Ocr("Tesseract failed to recognise the page".into()))?;
        let text = api.get_utf8_text().map_err(|_| OperatorError::Ocr("Tesseract returned no text".into()))?;
        let text = tidy(&text.as_ref().to_string_lossy());
        let confidence = f64::from(api.mean_text_conf().clamp(0, 100)) / 100.0;
        Ok(PageText {
            plausibility: plausibility(&text),
            text,
            confidence,
            layout: which.layout(),
            layout_by: LayoutBy::Option,
            skew_degrees: 0.0,
            engine: tesseract_version(),
            model,
            ms: started.elapsed().as_millis() as u64,
        })
    }
}

/// Of two readings of one page in different layouts, `lean` (the layout the geometry
/// leaned to) and `other`, the one more likely to be text: `other` only when its share of
/// collocations ([`plausibility`]) is higher by [`PLAUSIBILITY_MARGIN`]. A page read
/// across its lines still gives each character right (CJK glyphs stand upright both
/// ways) but in transposed order, whose pairs are no collocations. Tesseract's confidence
/// does not tell them apart: measured on rendered pages, the transposed reading is as
/// confident as the right one, or more.
pub fn more_likely(lean: PageText, other: PageText) -> PageText {
    let ms = lean.ms + other.ms;
    let kept = if other.plausibility > lean.plausibility + PLAUSIBILITY_MARGIN { other } else { lean };
    PageText { ms, ..kept }
}

/// How much more plausible the reading against the geometry's lean must be to win.
const PLAUSIBILITY_MARGIN: f64 = 0.02;

/// A Tesseract instance of the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Instance {
    Horizontal,
    Vertical,
    HanOnly,
}

impl Instance {
    fn of(layout: Layout) -> Instance {
        match layout {
            Layout::Horizontal => Instance::Horizontal,
            Layout::Vertical => Instance::Vertical,
        }
    }

    fn layout(self) -> Layout {
        match self {
            Instance::Horizontal | Instance::HanOnly => Layout::Horizontal,
            Instance::Vertical => Layout::Vertical,
        }
    }
}

/// `languages` without the Latin-script models (`chi_tra+eng` → `chi_tra`); unchanged
/// when only Latin-script models are listed.
fn han_languages(languages: &str) -> String {
    let han: Vec<&str> = languages
        .split('+')
        .filter(|l| l.starts_with("chi_") || l.starts_with("jpn") || l.starts_with("kor"))
        .collect();
    if han.is_empty() { languages.to_owned() } else { han.join("+") }
}

/// Text with a line of Han characters and another of two or more Latin words and no Han
/// character: a page that may have had a line flipped. The second reading decides, by
/// confidence, so a real mixed page keeps its first reading.
fn has_latin_line_in_han(text: &str) -> bool {
    let is_han = crate::clean::is_han;
    let han_line = text.lines().any(|l| l.chars().filter(|c| is_han(*c)).count() >= 2);
    han_line
        && text.lines().any(|l| {
            !l.chars().any(is_han)
                && l.split_whitespace().filter(|w| w.chars().any(|c| c.is_ascii_alphabetic())).count() >= 2
        })
}

fn cjk(c: char) -> bool {
    crate::clean::is_han_or_cjk_punct(c)
}

/// Tesseract's text, tidied: the spaces it puts between CJK characters removed (never a
/// space between two of them, as the clean stage holds), trailing spaces and blank lines
/// dropped. Line breaks stay: they are layout, which the clean stage joins.
pub fn tidy(text: &str) -> String {
    let mut lines = Vec::new();
    for line in text.lines() {
        let chars: Vec<char> = line.trim().chars().collect();
        let mut out = String::with_capacity(line.len());
        for (i, c) in chars.iter().enumerate() {
            if c.is_whitespace() {
                let prev = out.chars().last();
                let next = chars[i + 1..].iter().find(|n| !n.is_whitespace());
                if prev.is_some_and(cjk) && next.is_some_and(|n| cjk(*n)) || prev.is_some_and(char::is_whitespace) {
                    continue;
                }
                out.push(' ');
            } else {
                out.push(*c);
            }
        }
        if !out.is_empty() {
            lines.push(out);
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ocr::fixtures::page;

    #[test]
    fn a_latin_line_amid_han_is_told() {
        assert!(has_latin_line_in_han("床前明月光疑是地上霜\nBS BEL SSH AER"));
        assert!(!has_latin_line_in_han("床前明月光疑是地上霜\n舉頭望明月"));
        assert!(!has_latin_line_in_han("Li Bai wrote\nmany poems"), "no Han line");
        assert_eq!(han_languages("chi_tra+eng"), "chi_tra");
        assert_eq!(han_languages("eng"), "eng");
    }

    /// The JPEG fixture, read with `chi_tra+eng`, flips its second line to Latin letters
    /// unless the page is read again with `chi_tra` alone.
    #[test]
    fn a_flipped_line_is_read_again_with_the_chinese_model() {
        let config = OcrConfig { languages: "chi_tra+eng".into(), ..OcrConfig::default() };
        let mut engine = OcrEngine::new(config);
        let first = engine.recognize_with(&page("page-h.jpg"), Instance::Horizontal).expect("jpeg");
        assert!(has_latin_line_in_han(&first.text), "the fixture still flips a line: {:?}", first.text);
        let t = engine.recognize(&page("page-h.jpg")).expect("jpeg");
        assert!(!has_latin_line_in_han(&t.text), "{:?}", t.text);
        assert!(t.text.contains("低頭"), "{:?}", t.text);
    }

    #[test]
    fn tidy_removes_spaces_between_cjk_only() {
        assert_eq!(tidy("春 眠 不 覺 曉 \n\n 處 處，聞 啼 鳥"), "春眠不覺曉\n處處，聞啼鳥");
        assert_eq!(tidy("Li  Bai 李 白 701"), "Li Bai 李白 701");
        assert_eq!(tidy("  \n "), "");
    }

    /// The real Tesseract (Debian's libtesseract 5 and traineddata) reads the rendered
    /// fixtures, horizontal and vertical, with one engine reused across pages.
    #[test]
    fn tesseract_reads_rendered_pages_in_both_layouts() {
        let mut engine = OcrEngine::new(OcrConfig::default());
        engine.check().expect("models installed by make setup");
        let h = engine.recognize(&page("page-h.png")).expect("horizontal");
        assert_eq!(h.layout, Layout::Horizontal);
        let want = "床前明月光疑是地上霜舉頭望明月低頭思故鄉";
        let got: String = h.text.chars().filter(|c| !c.is_whitespace()).collect();
        let same = got.chars().zip(want.chars()).filter(|(a, b)| a == b).count();
        assert!(same >= 17, "at least 17 of 20 characters right: {got:?}");
        assert!(h.confidence > 0.5, "{}", h.confidence);
        assert!(h.engine.starts_with("tesseract 5"), "{}", h.engine);
        let v = engine.recognize(&page("page-v.png")).expect("vertical");
        assert_eq!((v.layout, v.model.as_str()), (Layout::Vertical, "chi_tra_vert"));
        let got: String = v.text.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(got.starts_with("春眠不覺曉"), "the first column first: {got:?}");
        // The same engine again: reused, same answer.
        assert_eq!(engine.recognize(&page("page-h.png")).expect("again").text, h.text);
    }

    /// The share of `want`'s characters that `got` has in the same order (1 − CER, roughly):
    /// the longest common subsequence over the length of `want`.
    fn recall(got: &str, want: &str) -> f64 {
        let (a, b): (Vec<char>, Vec<char>) =
            (got.chars().filter(|c| crate::clean::is_han(*c)).collect(), want.chars().collect());
        let mut row = vec![0usize; b.len() + 1];
        for ca in &a {
            let mut prev = 0;
            for (j, cb) in b.iter().enumerate() {
                let cur = row[j + 1];
                row[j + 1] = if ca == cb { prev + 1 } else { row[j + 1].max(row[j]) };
                prev = cur;
            }
        }
        row[b.len()] as f64 / b.len().max(1) as f64
    }

    fn truth(name: &str) -> String {
        String::from_utf8_lossy(&crate::ocr::fixtures::bytes(name)).replace('\n', "")
    }

    /// Scans tilted by 2.5°, blurred, speckled and JPEG-compressed are straightened,
    /// despeckled and read in the layout their geometry shows.
    #[test]
    fn skewed_speckled_scans_are_read_in_their_layout() {
        let mut engine = OcrEngine::new(OcrConfig::default());
        for (name, layout, skew) in [("page-v-skew", Layout::Vertical, 2.5), ("page-h-skew", Layout::Horizontal, -2.5)]
        {
            let t = engine.recognize(&page(&format!("{name}.jpg"))).expect("scan");
            assert_eq!((t.layout, t.layout_by), (layout, LayoutBy::Geometry), "{name}");
            assert!((t.skew_degrees - skew).abs() <= 0.15, "{name}: straightened by {}", t.skew_degrees);
            let r = recall(&t.text, &truth(&format!("{name}.txt")));
            assert!(r >= 0.85, "{name}: {r:.3} of the characters in order: {:?}", t.text);
        }
    }

    /// Text on a square grid gives the geometry nothing to go by: the page is read both
    /// ways and the reading whose character pairs are collocations wins, either way round.
    #[test]
    fn square_grids_are_decided_by_reading_both_ways() {
        let mut engine = OcrEngine::new(OcrConfig::default());
        for (name, layout) in [("page-v-grid", Layout::Vertical), ("page-h-grid", Layout::Horizontal)] {
            let t = engine.recognize(&page(&format!("{name}.png"))).expect("grid");
            assert_eq!((t.layout, t.layout_by), (layout, LayoutBy::Readings), "{name}: {:?}", t.text);
            let r = recall(&t.text, &truth(&format!("{name}.txt")));
            assert!(r >= 0.85, "{name}: {r:.3} of the characters in order: {:?}", t.text);
        }
    }

    #[test]
    fn a_missing_model_is_a_clear_error() {
        let mut engine = OcrEngine::new(OcrConfig { languages: "xx_nope".into(), ..OcrConfig::default() });
        let err = engine.check().expect_err("no such model");
        assert!(err.to_string().contains("could not load the models \"xx_nope\""), "{err}");
    }
}
