//! Horizontal or vertical text, and the skew of the page, told from the page image.
//!
//! CJK text sits on a grid both ways, but the gaps differ: lines (or columns) are set
//! further apart than the characters inside them. Once the page is straight, horizontal
//! text leaves more blank pixel rows than blank pixel columns inside its ink, and vertical
//! text the reverse. A scan is rarely straight: a tilt of 1.5° moves a 2,000-pixel column
//! sideways by 50 pixels, more than the gap between two columns, and the gaps vanish from
//! the unrotated profiles. So [`analyse`], on the glyphs of the page ([`Ink`]: specks and
//! rules left out):
//!
//! 1. finds the skew: the angle, within ±[`MAX_SKEW`] degrees, at which the projections of
//!    the ink on both axes are sharpest (the sum of squares of the profile is largest when
//!    the lines or columns fall into the fewest bins);
//! 2. measures, at that angle, the share of blank bins between the first and last bin of
//!    the text on each axis. The larger share wins; how much larger says how sure the page
//!    is ([`LayoutEvidence::is_clear`]). A single line or column has no gaps across it;
//!    its ink, three times longer one way than the other, tells it.
//!
//! [`prepare`] also gives the page to read: specks between the lines and in the margins
//! whitened, and straightened. When the evidence is not clear the OCR engine reads the page both ways
//! and keeps the reading that is more likely text (`super::plausibility`).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::decode::GrayPage;
use super::ink::{Cell, Ink, Speck, rotate, whiten};

/// The direction of a page's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Layout {
    /// Lines left to right, top to bottom.
    Horizontal,
    /// Columns top to bottom, right to left.
    Vertical,
}

impl Layout {
    /// The name stored in the `pages` table.
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Horizontal => "horizontal",
            Layout::Vertical => "vertical",
        }
    }

    /// The other layout.
    pub fn other(self) -> Layout {
        match self {
            Layout::Horizontal => Layout::Vertical,
            Layout::Vertical => Layout::Horizontal,
        }
    }
}

/// The largest skew looked for, in degrees either way.
pub const MAX_SKEW: f64 = 3.0;

/// What the page's geometry says about its text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayoutEvidence {
    /// The more likely layout.
    pub layout: Layout,
    /// The rotation of the text, in degrees counter-clockwise (as seen on the image).
    pub skew_degrees: f64,
    /// Share of blank rows inside the ink, once straightened.
    pub blank_rows: f64,
    /// Share of blank columns inside the ink, once straightened.
    pub blank_cols: f64,
    /// Decided by the shape of the ink alone (one line or column, or no ink).
    pub by_shape: bool,
}

impl LayoutEvidence {
    /// Whether the geometry decides the layout on its own. Measured on rendered pages with
    /// lines 1.5 characters apart, clean and degraded (blur, rotation, speckle, JPEG): the
    /// winning axis has a blank share of 0.30 to 0.45, and a margin of 0.15 or more over
    /// the other. On a square grid (lines as far apart as the characters in them) the gaps
    /// between the characters of a line win as often as the gaps between lines, with a
    /// share of 0.18 at most. So a clear page needs a winning share of 0.2 and a margin of
    /// 0.08; anything closer is read both ways.
    pub fn is_clear(&self) -> bool {
        let (win, lose) = match self.layout {
            Layout::Horizontal => (self.blank_rows, self.blank_cols),
            Layout::Vertical => (self.blank_cols, self.blank_rows),
        };
        self.by_shape || (win >= 0.2 && win - lose >= 0.08)
    }
}

/// The layout of `page`'s text; horizontal when the page holds no ink.
pub fn detect(page: &GrayPage) -> Layout {
    analyse(page).layout
}

/// The layout and skew of `page` with the evidence for them.
pub fn analyse(page: &GrayPage) -> LayoutEvidence {
    Ink::of(page).map_or(BLANK, |ink| evidence(&ink).0)
}

/// What a page without text gets: horizontal, straight.
const BLANK: LayoutEvidence =
    LayoutEvidence { layout: Layout::Horizontal, skew_degrees: 0.0, blank_rows: 0.0, blank_cols: 0.0, by_shape: true };

fn evidence(ink: &Ink) -> (LayoutEvidence, Option<Profiles>) {
    let cells = ink.glyph_cells();
    let skew = find_skew(&cells, ink.block());
    let profiles = Profiles::of(&cells, skew, ink.block());
    let (Some(rows_span), Some(cols_span)) = (span(&profiles.rows), span(&profiles.cols)) else {
        return (BLANK, None);
    };
    let (ink_h, ink_w) = (rows_span.len() as f64, cols_span.len() as f64);
    let skew_degrees = skew.to_degrees();
    let shape = |layout| LayoutEvidence { layout, skew_degrees, blank_rows: 0.0, blank_cols: 0.0, by_shape: true };
    let evidence = if ink_w > 3.0 * ink_h {
        shape(Layout::Horizontal)
    } else if ink_h > 3.0 * ink_w {
        shape(Layout::Vertical)
    } else {
        let blank_rows = blank_share(&profiles.rows[rows_span]);
        let blank_cols = blank_share(&profiles.cols[cols_span]);
        let layout = if blank_cols > blank_rows { Layout::Vertical } else { Layout::Horizontal };
        LayoutEvidence { layout, skew_degrees, blank_rows, blank_cols, by_shape: false }
    };
    (evidence, Some(profiles))
}

/// Inside a line, a speck is dirt when it is smaller than an eighth of a character and
/// stands a quarter of a character or more from every glyph. Measured on rendered pages
/// (characters of 61 pixels): the dots of 言 and of a question mark are 7 pixels but lie
/// within a quarter of a character of the rest of their glyph; a colon's dots stand alone
/// but are 9 pixels; a scanner's specks are 3 to 7 pixels and mostly stand alone.
const SPECK_PER_EM: usize = 8;
/// See [`SPECK_PER_EM`].
const CLEARANCE_PER_EM: usize = 4;

/// Skews smaller than this are left alone: Tesseract's own line finding copes with them,
/// and straightening costs a pass over the page.
pub const MIN_DESKEW_DEGREES: f64 = 0.2;

/// A page made ready for OCR.
#[derive(Debug)]
pub struct Prepared<'a> {
    /// The page to read: specks between the lines and in the margins whitened,
    /// straightened when its skew is [`MIN_DESKEW_DEGREES`] or more.
    pub page: Cow<'a, GrayPage>,
    /// What its geometry says (measured before straightening).
    pub evidence: LayoutEvidence,
    /// The rotation undone, degrees counter-clockwise (0 when none was).
    pub straightened_by: f64,
    /// Specks whitened.
    pub specks: usize,
}

/// `page` made ready for OCR: its layout evidence; the dirt among its specks
/// ([`Ink::specks`]) whitened ([`whiten`]); straightened ([`rotate`]).
///
/// Dirt is a speck between the lines (or columns) of the text or outside it, or, inside a
/// line, one smaller than an eighth of a character that stands clear of every glyph (by a
/// quarter of a character): Tesseract's line finding takes specks for text (on pages with
/// 2,000 of them the command line reads half the characters wrong). Other specks inside a
/// line are left: there a dot may be part of a character or punctuation. Where the
/// geometry cannot tell lines from columns, a speck must be between or outside both to be
/// dirt by its position.
pub fn prepare(page: &GrayPage) -> Prepared<'_> {
    let none = |evidence| Prepared { page: Cow::Borrowed(page), evidence, straightened_by: 0.0, specks: 0 };
    let Some(ink) = Ink::of(page) else { return none(BLANK) };
    let (evidence, Some(profiles)) = evidence(&ink) else { return none(BLANK) };
    let (blank_rows, blank_cols) = (blank_bins(&profiles.rows), blank_bins(&profiles.cols));
    let (rows_span, cols_span) = (span(&profiles.rows), span(&profiles.cols));
    let outside = |bin: Option<usize>, span: &Option<std::ops::Range<usize>>| {
        bin.is_none_or(|b| span.as_ref().is_none_or(|s| !s.contains(&b)))
    };
    // The size of a character: the height of a line, or the width of a column, in pixels.
    let (line_rows, line_cols) = (median_run(&blank_rows), median_run(&blank_cols));
    let em = match (evidence.is_clear(), evidence.layout) {
        (true, Layout::Horizontal) => line_rows,
        (true, Layout::Vertical) => line_cols,
        (false, _) => line_rows.min(line_cols),
    };
    let clearance = (em / CLEARANCE_PER_EM).max(1) as u32;
    let dirt: Vec<Speck> = ink
        .specks(clearance)
        .into_iter()
        .filter(|s| {
            let (r, c) = profiles.bins(s.x, s.y);
            let off_rows = outside(r, &rows_span) || r.is_some_and(|r| blank_rows[r]);
            let off_cols = outside(c, &cols_span) || c.is_some_and(|c| blank_cols[c]);
            let off_text = match (evidence.is_clear(), evidence.layout) {
                (true, Layout::Horizontal) => off_rows || outside(c, &cols_span),
                (true, Layout::Vertical) => off_cols || outside(r, &rows_span),
                (false, _) => off_rows && off_cols,
            };
            off_text || (!s.near_glyph && (s.size as usize) * SPECK_PER_EM < em)
        })
        .collect();
    let mut out = if dirt.is_empty() { Cow::Borrowed(page) } else { Cow::Owned(whiten(page, &dirt)) };
    let mut straightened_by = 0.0;
    if evidence.skew_degrees.abs() >= MIN_DESKEW_DEGREES {
        out = Cow::Owned(rotate(&out, -evidence.skew_degrees));
        straightened_by = evidence.skew_degrees;
    }
    Prepared { page: out, evidence, straightened_by, specks: dirt.len() }
}

/// The glyphs' ink projected on the rows and on the columns of a page whose text is
/// rotated by `angle` (radians, counter-clockwise), one bin per pixel.
struct Profiles {
    angle: f64,
    rows: Vec<f64>,
    cols: Vec<f64>,
    /// The projected coordinates of bin 0 (rows, columns).
    origin: (f64, f64),
}

impl Profiles {
    /// Each cell spreads its ink over `block` pixels about its centroid.
    fn of(cells: &[Cell], angle: f64, block: u32) -> Profiles {
        let (mut rmin, mut rmax, mut cmin, mut cmax) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for c in cells {
            let (r, k) = project(angle, c.x, c.y);
            rmin = rmin.min(r);
            rmax = rmax.max(r);
            cmin = cmin.min(k);
            cmax = cmax.max(k);
        }
        if cells.is_empty() {
            (rmin, rmax, cmin, cmax) = (0.0, 0.0, 0.0, 0.0);
        }
        let b = block as usize;
        let half = f64::from(block) / 2.0;
        let mut rows = vec![0.0; (rmax - rmin) as usize + b + 1];
        let mut cols = vec![0.0; (cmax - cmin) as usize + b + 1];
        for c in cells {
            let (r, k) = project(angle, c.x, c.y);
            let share = c.weight / f64::from(block);
            let (r0, k0) = ((r - rmin + half - half.floor()) as usize, (k - cmin + half - half.floor()) as usize);
            rows[r0..r0 + b].iter_mut().for_each(|v| *v += share);
            cols[k0..k0 + b].iter_mut().for_each(|v| *v += share);
        }
        let origin = (rmin - half.floor(), cmin - half.floor());
        Profiles { angle, rows, cols, origin }
    }

    /// How sharp the profiles are: the sum of squares, largest when the lines or columns
    /// fall into the fewest bins.
    fn sharpness(&self) -> f64 {
        self.rows.iter().chain(&self.cols).map(|v| v * v).sum()
    }

    /// The row and column bins of the point (x, y) of the page; `None` outside a profile.
    fn bins(&self, x: f64, y: f64) -> (Option<usize>, Option<usize>) {
        let (r, k) = project(self.angle, x, y);
        let bin = |v: f64, origin: f64, len: usize| {
            let i = (v - origin).floor();
            (i >= 0.0 && (i as usize) < len).then_some(i as usize)
        };
        (bin(r, self.origin.0, self.rows.len()), bin(k, self.origin.1, self.cols.len()))
    }
}

/// The point (x, y) of a page whose text is rotated by `angle` on the axes of its text:
/// (row, column) coordinates.
fn project(angle: f64, x: f64, y: f64) -> (f64, f64) {
    let (sin, cos) = angle.sin_cos();
    (y * cos + x * sin, x * cos - y * sin)
}

/// The angle (radians) within ±[`MAX_SKEW`] degrees at which the profiles are sharpest:
/// a coarse search by 0.25°, refined by 0.05° around the best.
fn find_skew(cells: &[Cell], block: u32) -> f64 {
    let sharpness = |degrees: f64| Profiles::of(cells, degrees.to_radians(), block).sharpness();
    let best = |from: f64, to: f64, step: f64| {
        let n = ((to - from) / step).round() as i32;
        (0..=n)
            .map(|i| from + f64::from(i) * step)
            .map(|d| (d, sharpness(d)))
            .fold((0.0, f64::MIN), |a, b| if b.1 > a.1 { b } else { a })
    };
    let (coarse, _) = best(-MAX_SKEW, MAX_SKEW, 0.25);
    let (fine, _) = best(coarse - 0.25, coarse + 0.25, 0.05);
    fine.to_radians()
}

/// The first to the last bin of the text: bins holding a tenth of a well-inked bin (the
/// 90th percentile) or more. A lower bar would let a speck that survived the filter, far
/// below the text, stretch the span over blank paper.
fn span(profile: &[f64]) -> Option<std::ops::Range<usize>> {
    let floor = 0.1 * well_inked(profile);
    let first = profile.iter().position(|v| *v >= floor && *v > 0.0)?;
    let last = profile.iter().rposition(|v| *v >= floor && *v > 0.0)?;
    Some(first..last + 1)
}

/// The ink of a well-inked bin: the 90th percentile of the inked bins.
fn well_inked(profile: &[f64]) -> f64 {
    let mut sorted: Vec<f64> = profile.iter().copied().filter(|v| *v > 0.0).collect();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() * 9 / 10).copied().unwrap_or(0.0)
}

/// Which bins of `profile` hold no more than a trace of ink (2 % of a well-inked bin: a
/// speck, the tip of a stroke).
fn blank_bins(profile: &[f64]) -> Vec<bool> {
    let floor = 0.02 * well_inked(profile);
    profile.iter().map(|v| *v <= floor).collect()
}

/// The median length of the runs of bins that are not blank: the height of a line of
/// text, or the width of a column (0 when there is none).
fn median_run(blank: &[bool]) -> usize {
    let mut runs = Vec::new();
    let mut run = 0;
    for b in blank.iter().chain([&true]) {
        if *b {
            if run > 0 {
                runs.push(run);
            }
            run = 0;
        } else {
            run += 1;
        }
    }
    runs.sort_unstable();
    runs.get(runs.len() / 2).copied().unwrap_or(0)
}

/// The share of the bins of `profile` that are blank.
fn blank_share(profile: &[f64]) -> f64 {
    blank_bins(profile).iter().filter(|b| **b).count() as f64 / profile.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ocr::fixtures::page;

    #[test]
    fn rendered_pages_are_told_apart() {
        assert_eq!(detect(&page("page-h.png")), Layout::Horizontal);
        assert_eq!(detect(&page("page-h.jpg")), Layout::Horizontal);
        assert_eq!(detect(&page("page-v.png")), Layout::Vertical);
        let tiff = crate::ocr::fixtures::bytes("pages-2.tif");
        let one_line = crate::ocr::decode_page(&tiff, 1, &crate::ocr::PageLimits::default()).expect("page 2");
        assert_eq!(detect(&one_line), Layout::Horizontal, "a single horizontal line");
    }

    #[test]
    fn a_blank_page_is_horizontal() {
        let blank = GrayPage { width: 50, height: 40, pixels: vec![255; 2000] };
        assert_eq!(analyse(&blank), BLANK);
        let prepared = prepare(&blank);
        assert!(matches!(prepared.page, Cow::Borrowed(_)) && prepared.specks == 0);
    }

    #[test]
    fn skew_is_measured_and_undone() {
        // Two lines or columns of ten characters: the smallest pages, the least precise.
        for name in ["page-h.png", "page-v.png", "page-h-grid.png"] {
            let straight = page(name);
            for degrees in [-2.0, -0.8, 1.2, 2.5] {
                let tilted = rotate(&straight, degrees);
                let e = analyse(&tilted);
                assert!((e.skew_degrees - degrees).abs() <= 0.2, "{name} at {degrees}°: {e:?}");
                assert_eq!(e.layout, detect(&straight), "{name} at {degrees}°: {e:?}");
                let back = analyse(&rotate(&tilted, -e.skew_degrees));
                assert!(back.skew_degrees.abs() <= 0.25, "{name} straightened: {back:?}");
            }
        }
    }

    /// Scans tilted by 2.5° (more than the gap between two columns over a column's
    /// height), blurred, speckled and JPEG-compressed: the layout the blank rows and
    /// columns of the unrotated page got wrong.
    #[test]
    fn skewed_speckled_scans() {
        for (name, layout, degrees) in
            [("page-v-skew.jpg", Layout::Vertical, 2.5), ("page-h-skew.jpg", Layout::Horizontal, -2.5)]
        {
            let scan = page(name);
            let e = analyse(&scan);
            assert!(e.is_clear() && e.layout == layout, "{name}: {e:?}");
            assert!((e.skew_degrees - degrees).abs() <= 0.15, "{name}: {e:?}");
            let prepared = prepare(&scan);
            assert!(prepared.specks > 20, "{name}: {} specks whitened", prepared.specks);
            assert_eq!(prepared.straightened_by, e.skew_degrees);
            let again = analyse(&prepared.page);
            assert!(again.skew_degrees.abs() <= 0.15 && again.layout == layout, "{name} prepared: {again:?}");
        }
    }

    /// Dirt between the lines and in the margins is whitened, and so is a small speck
    /// standing alone inside a line; a dot inside a line next to a glyph (where the dot of
    /// 言 would be) and a larger one standing alone (a colon's) are left.
    #[test]
    fn dirt_is_whitened_and_dots_of_the_text_kept() {
        let mut p = page("page-h.png"); // lines at y 30..≈85 and 110..≈165, x 30..≈530
        let w = p.width as usize;
        let clean = p.clone();
        let dot = |p: &mut GrayPage, x: usize, y: usize, size: usize| {
            for dy in 0..size {
                p.pixels[(y + dy) * w + x..(y + dy) * w + x + size].fill(0);
            }
        };
        let inked = |x: usize, y: usize| clean.pixels[y * w + x] < 128;
        // A white spot in the middle of the first line with ink 3 pixels to its left.
        let (nx, ny) = (100..400)
            .flat_map(|x| (50..65).map(move |y| (x, y)))
            .find(|&(x, y)| inked(x - 3, y) && (x - 2..x + 8).all(|xx| (y..y + 3).all(|yy| !inked(xx, yy))))
            .expect("a spot next to a stroke");
        dot(&mut p, 5, 5, 3); // margin
        dot(&mut p, 300, 96, 3); // between the lines
        dot(&mut p, 546, 60, 3); // right of the text, in the band of the first line: margin
        dot(&mut p, nx, ny, 3); // next to a stroke
        let prepared = prepare(&p);
        assert_eq!(prepared.specks, 3, "the margins and the gap");
        let mut expected = clean.clone();
        dot(&mut expected, nx, ny, 3);
        assert_eq!(prepared.page.as_ref(), &expected, "the dot next to a stroke is kept");
        // Inside a line, alone (in the place of the fourth character, erased): a small
        // speck is dirt, a dot of a colon's size is not. The characters are 48 pixels: an
        // eighth is 6, a quarter 12.
        let mut hole = clean.clone();
        for y in 25..92 {
            hole.pixels[y * w + 180..y * w + 229].fill(255);
        }
        let mut q = hole.clone();
        dot(&mut q, 203, 55, 3);
        assert_eq!(prepare(&q).specks, 1, "a 3-pixel speck alone in a line");
        let mut q = hole;
        dot(&mut q, 200, 52, 8);
        assert_eq!(prepare(&q).specks, 0, "an 8-pixel dot alone in a line");
    }

    /// Text on a square grid (columns as far apart as the characters in them): the
    /// geometry cannot tell, and says so.
    #[test]
    fn square_grids_are_not_clear() {
        for name in ["page-v-grid.png", "page-h-grid.png"] {
            let e = analyse(&page(name));
            assert!(!e.is_clear(), "{name}: {e:?}");
        }
    }
}
