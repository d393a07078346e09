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
//! [`prepare`] also gives the page to read: specks clear of the text whitened, and
//! straightened. When the evidence is not clear the OCR engine reads the page both ways
//! and keeps the reading that is more likely text (`super::plausibility`).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::decode::GrayPage;
use super::ink::{Cell, Ink, rotate};

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
    /// Whether the geometry decides the layout on its own. Measured on rendered pages,
    /// clean and degraded (blur, rotation, speckle, JPEG): the winning axis has a blank
    /// share of 0.25 to 0.45 and the other under 0.15, so a margin of 0.08 and a winner of
    /// at least 0.12 leave room for pages unlike them; anything closer is read both ways.
    pub fn is_clear(&self) -> bool {
        let (win, lose) = match self.layout {
            Layout::Horizontal => (self.blank_rows, self.blank_cols),
            Layout::Vertical => (self.blank_cols, self.blank_rows),
        };
        self.by_shape || (win >= 0.12 && win - lose >= 0.08)
    }
}

/// The layout of `page`'s text; horizontal when the page holds no ink.
pub fn detect(page: &GrayPage) -> Layout {
    analyse(page).layout
}

/// The layout and skew of `page` with the evidence for them.
pub fn analyse(page: &GrayPage) -> LayoutEvidence {
    Ink::of(page).map_or(BLANK, |ink| evidence(&ink))
}

/// What a page without text gets: horizontal, straight.
const BLANK: LayoutEvidence =
    LayoutEvidence { layout: Layout::Horizontal, skew_degrees: 0.0, blank_rows: 0.0, blank_cols: 0.0, by_shape: true };

fn evidence(ink: &Ink) -> LayoutEvidence {
    let cells = ink.glyph_cells();
    let skew = find_skew(&cells, ink.block());
    let (rows, cols) = profiles(&cells, skew, ink.block());
    let (Some(rows_span), Some(cols_span)) = (span(&rows), span(&cols)) else { return BLANK };
    let (ink_h, ink_w) = (rows_span.len() as f64, cols_span.len() as f64);
    let skew_degrees = skew.to_degrees();
    let shape = |layout| LayoutEvidence { layout, skew_degrees, blank_rows: 0.0, blank_cols: 0.0, by_shape: true };
    if ink_w > 3.0 * ink_h {
        return shape(Layout::Horizontal);
    }
    if ink_h > 3.0 * ink_w {
        return shape(Layout::Vertical);
    }
    let blank_rows = blank_share(&rows[rows_span]);
    let blank_cols = blank_share(&cols[cols_span]);
    let layout = if blank_cols > blank_rows { Layout::Vertical } else { Layout::Horizontal };
    LayoutEvidence { layout, skew_degrees, blank_rows, blank_cols, by_shape: false }
}

/// Skews smaller than this are left alone: Tesseract's own line finding copes with them,
/// and straightening costs a pass over the page.
pub const MIN_DESKEW_DEGREES: f64 = 0.2;

/// A page made ready for OCR.
#[derive(Debug)]
pub struct Prepared<'a> {
    /// The page to read: specks clear of the text whitened, straightened when its skew is
    /// [`MIN_DESKEW_DEGREES`] or more.
    pub page: Cow<'a, GrayPage>,
    /// What its geometry says (measured before straightening).
    pub evidence: LayoutEvidence,
    /// The rotation undone, degrees counter-clockwise (0 when none was).
    pub straightened_by: f64,
    /// Specks whitened.
    pub specks: usize,
}

/// `page` made ready for OCR: its layout evidence, specks clear of the text whitened
/// ([`Ink::despeckle`]), and straightened ([`rotate`]).
pub fn prepare(page: &GrayPage) -> Prepared<'_> {
    let Some(ink) = Ink::of(page) else {
        return Prepared { page: Cow::Borrowed(page), evidence: BLANK, straightened_by: 0.0, specks: 0 };
    };
    let evidence = evidence(&ink);
    let (mut out, specks) = match ink.despeckle(page) {
        Some((clean, n)) => (Cow::Owned(clean), n),
        None => (Cow::Borrowed(page), 0),
    };
    let mut straightened_by = 0.0;
    if evidence.skew_degrees.abs() >= MIN_DESKEW_DEGREES {
        out = Cow::Owned(rotate(&out, -evidence.skew_degrees));
        straightened_by = evidence.skew_degrees;
    }
    Prepared { page: out, evidence, straightened_by, specks }
}

/// The profiles of `cells` on the row and column axes of a page whose text is rotated by
/// `angle` (radians, counter-clockwise), one bin per pixel. Each cell spreads its ink over
/// `block` pixels about its centroid.
fn profiles(cells: &[Cell], angle: f64, block: u32) -> (Vec<f64>, Vec<f64>) {
    let (sin, cos) = angle.sin_cos();
    let project = |c: &Cell| (c.y * cos + c.x * sin, c.x * cos - c.y * sin);
    let (mut rmin, mut rmax, mut cmin, mut cmax) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for c in cells {
        let (r, k) = project(c);
        rmin = rmin.min(r);
        rmax = rmax.max(r);
        cmin = cmin.min(k);
        cmax = cmax.max(k);
    }
    let b = block as usize;
    let half = f64::from(block) / 2.0;
    let mut rows = vec![0.0; (rmax - rmin) as usize + b + 1];
    let mut cols = vec![0.0; (cmax - cmin) as usize + b + 1];
    for c in cells {
        let (r, k) = project(c);
        let share = c.weight / f64::from(block);
        let (r0, k0) = ((r - rmin + half - half.floor()) as usize, (k - cmin + half - half.floor()) as usize);
        rows[r0..r0 + b].iter_mut().for_each(|v| *v += share);
        cols[k0..k0 + b].iter_mut().for_each(|v| *v += share);
    }
    (rows, cols)
}

/// The angle (radians) within ±[`MAX_SKEW`] degrees at which the profiles are sharpest:
/// a coarse search by 0.25°, refined by 0.05° around the best.
fn find_skew(cells: &[Cell], block: u32) -> f64 {
    let sharpness = |degrees: f64| {
        let (rows, cols) = profiles(cells, degrees.to_radians(), block);
        rows.iter().map(|v| v * v).sum::<f64>() + cols.iter().map(|v| v * v).sum::<f64>()
    };
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

/// The share of bins of `profile` that hold no more than a trace of ink (2 % of a
/// well-inked bin: a speck, the tip of a stroke).
fn blank_share(profile: &[f64]) -> f64 {
    let floor = 0.02 * well_inked(profile);
    profile.iter().filter(|v| **v <= floor).count() as f64 / profile.len().max(1) as f64
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
