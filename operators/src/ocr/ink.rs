//! The ink of a page image, and what a scanner adds to it.
//!
//! [`Ink::of`] binarises a page at Otsu's threshold (blur and grey noise move the levels,
//! not the split between ink and paper) on a grid of cells a few pixels wide, and sorts the
//! 8-connected blobs of inked cells into glyphs, specks (scanner dirt: a blob no larger
//! than [`SPECK_PX`] either way) and rules (blobs at most [`RULE_PX`] thick and four times
//! longer than the typical glyph: the lines between the columns of a woodblock page, a
//! scratch). The layout analysis measures the glyphs alone ([`Ink::glyph_cells`]) and
//! decides which specks lie between the lines of the text or outside it ([`Ink::specks`]);
//! [`whiten`] removes those, because Tesseract's line finding takes them for text
//! (measured on rendered pages with 2,000 specks: the command line reads 40 to 60 % of the
//! characters wrong). [`rotate`] straightens a page.

use super::decode::GrayPage;

/// Blobs whose bounding box fits in a square this wide (pixels) are specks, not glyphs:
/// at 300 dpi the dot of 主 or a comma is larger.
pub const SPECK_PX: u32 = 10;

/// Blobs at most this thick (pixels) and four times longer than the typical glyph are
/// rules or scratches, not text. A line of text whose glyphs blur into one blob is as
/// thick as its characters.
pub const RULE_PX: u32 = 8;

/// Fewer glyph-like blobs than this are not text (one character has several).
const MIN_GLYPH_BLOBS: usize = 4;

/// The ink of a page on a grid of `block × block` pixel cells, in blobs.
pub struct Ink {
    block: u32,
    width: usize,
    height: usize,
    /// Ink pixels per cell.
    ink: Vec<u16>,
    /// Sums of the ink pixels' offsets inside each cell (x, y), for the ink's centroid.
    offsets: Vec<(u32, u32)>,
    /// The blob of each inked cell (`NONE` for the others).
    label: Vec<u32>,
    blobs: Vec<Blob>,
}

const NONE: u32 = u32::MAX;

/// One inked grid cell of a glyph: the centroid of its ink in pixels, and its ink.
#[derive(Clone, Copy, Debug)]
pub struct Cell {
    /// Pixels from the left.
    pub x: f64,
    /// Pixels from the top.
    pub y: f64,
    /// Ink pixels.
    pub weight: f64,
}

/// What a blob is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Glyph,
    Speck,
    Rule,
}

/// A blob: its bounding box in cells (inclusive), what it is, and for a speck its size in
/// pixels (the longer side of its ink's bounding box).
struct Blob {
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
    kind: Kind,
    px: u32,
}

impl Blob {
    fn add(&mut self, x: usize, y: usize) {
        self.x0 = self.x0.min(x);
        self.y0 = self.y0.min(y);
        self.x1 = self.x1.max(x);
        self.y1 = self.y1.max(y);
    }
    fn length(&self) -> usize {
        (self.x1 - self.x0).max(self.y1 - self.y0) + 1
    }
    fn thickness(&self) -> usize {
        (self.x1 - self.x0).min(self.y1 - self.y0) + 1
    }
}

impl Ink {
    /// The ink of `page`; `None` for a page without text (no dark class, or fewer than a
    /// character's worth of glyph blobs). Cells are 4 pixels wide on an A5 page at 300 dpi
    /// (a quarter of the gap between two columns) and one pixel on small images.
    pub fn of(page: &GrayPage) -> Option<Ink> {
        let (w, h) = (page.width as usize, page.height as usize);
        if w == 0 || h == 0 || page.pixels.len() < w * h {
            return None;
        }
        let threshold = otsu(&page.pixels)?;
        let block = (page.width.min(page.height) / 400).clamp(1, 16);
        let b = block as usize;
        let (gw, gh) = (w.div_ceil(b), h.div_ceil(b));
        let mut ink = vec![0u16; gw * gh];
        let mut offsets = vec![(0u32, 0u32); gw * gh];
        for (y, row) in page.pixels.chunks_exact(w).enumerate() {
            let at = (y / b) * gw..(y / b + 1) * gw;
            let (cells, sums) = (&mut ink[at.clone()], &mut offsets[at]);
            for (x, p) in row.iter().enumerate() {
                if *p < threshold {
                    cells[x / b] += 1;
                    sums[x / b].0 += (x % b) as u32;
                    sums[x / b].1 += (y % b) as u32;
                }
            }
        }
        let mut ink = Ink { block, width: gw, height: gh, ink, offsets, label: Vec::new(), blobs: Vec::new() };
        ink.find_blobs();
        ink.measure_specks(page, threshold);
        let glyphs = ink.blobs.iter().filter(|b| b.kind == Kind::Glyph).count();
        (glyphs >= MIN_GLYPH_BLOBS).then_some(ink)
    }

    /// Labels the 8-connected blobs of inked cells (a quarter of the cell ink: a blurred
    /// edge is not a stroke) and tells what each is.
    fn find_blobs(&mut self) {
        let (gw, gh) = (self.width, self.height);
        let min_ink = ((self.block * self.block) / 4).max(1) as u16;
        let mut label = vec![NONE; gw * gh];
        let mut blobs: Vec<Blob> = Vec::new();
        let mut stack = Vec::new();
        for start in 0..gw * gh {
            if self.ink[start] < min_ink || label[start] != NONE {
                continue;
            }
            let id = blobs.len() as u32;
            let mut blob = Blob { x0: usize::MAX, y0: usize::MAX, x1: 0, y1: 0, kind: Kind::Glyph, px: 0 };
            label[start] = id;
            stack.push(start);
            while let Some(i) = stack.pop() {
                let (x, y) = (i % gw, i / gw);
                blob.add(x, y);
                for ny in y.saturating_sub(1)..=(y + 1).min(gh - 1) {
                    for nx in x.saturating_sub(1)..=(x + 1).min(gw - 1) {
                        let j = ny * gw + nx;
                        if self.ink[j] >= min_ink && label[j] == NONE {
                            label[j] = id;
                            stack.push(j);
                        }
                    }
                }
            }
            blobs.push(blob);
        }
        // A blob of SPECK_PX pixels may straddle one cell more than it covers: the exact
        // size of these is measured on the page (`measure_specks`).
        let speck = self.cells(SPECK_PX) + 1;
        for b in &mut blobs {
            if b.length() <= speck {
                b.kind = Kind::Speck;
            }
        }
        let mut lengths: Vec<usize> = blobs.iter().filter(|b| b.kind == Kind::Glyph).map(Blob::length).collect();
        lengths.sort_unstable();
        let median = lengths.get(lengths.len() / 2).copied().unwrap_or(1);
        let rule = self.cells(RULE_PX);
        for b in &mut blobs {
            if b.kind == Kind::Glyph && b.length() >= 4 * median.max(2) && b.thickness() <= rule {
                b.kind = Kind::Rule;
            }
        }
        self.label = label;
        self.blobs = blobs;
    }

    /// The exact size of each small blob, from its pixels: one larger than [`SPECK_PX`] is
    /// a glyph after all.
    fn measure_specks(&mut self, page: &GrayPage, threshold: u8) {
        let (w, h, b) = (page.width as usize, page.height as usize, self.block as usize);
        for (id, blob) in self.blobs.iter_mut().enumerate() {
            if blob.kind != Kind::Speck {
                continue;
            }
            let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
            for cy in blob.y0..=blob.y1 {
                for cx in blob.x0..=blob.x1 {
                    if self.label[cy * self.width + cx] != id as u32 {
                        continue;
                    }
                    for y in cy * b..((cy + 1) * b).min(h) {
                        for x in cx * b..((cx + 1) * b).min(w) {
                            if page.pixels[y * w + x] < threshold {
                                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
                            }
                        }
                    }
                }
            }
            blob.px = (x1.saturating_sub(x0) + 1).max(y1.saturating_sub(y0) + 1) as u32;
            if blob.px > SPECK_PX {
                blob.kind = Kind::Glyph;
            }
        }
    }

    /// Which cells lie within `px` pixels of a glyph cell: a box dilation of the glyph
    /// cells, along the rows then along the columns.
    fn near_glyphs(&self, px: u32) -> Vec<bool> {
        let (gw, gh, r) = (self.width, self.height, self.cells(px));
        let dilate = |mask: &[bool], n: usize, len: usize, at: &dyn Fn(usize, usize) -> usize| {
            let mut out = vec![false; mask.len()];
            for line in 0..n {
                for order in [&mut (0..len) as &mut dyn Iterator<Item = usize>, &mut (0..len).rev()] {
                    let mut since = usize::MAX; // cells since the last marked one in this order
                    for i in order {
                        since = if mask[at(line, i)] { 0 } else { since.saturating_add(1) };
                        out[at(line, i)] |= since <= r;
                    }
                }
            }
            out
        };
        let glyph: Vec<bool> =
            self.label.iter().map(|l| *l != NONE && self.blobs[*l as usize].kind == Kind::Glyph).collect();
        let rows = dilate(&glyph, gh, gw, &|y, x| y * gw + x);
        dilate(&rows, gw, gh, &|x, y| y * gw + x)
    }

    /// Cells spanned by `px` pixels.
    fn cells(&self, px: u32) -> usize {
        px.div_ceil(self.block) as usize
    }

    /// The grid's cell width in pixels.
    pub fn block(&self) -> u32 {
        self.block
    }

    /// The cells of the glyphs, each at the centroid of its ink. (Not at its centre: the
    /// centres sit on a grid that lines up with a profile's bins at angle 0 alone, and
    /// every page would look straight.)
    pub fn glyph_cells(&self) -> Vec<Cell> {
        let (gw, block) = (self.width, self.block as usize);
        self.label
            .iter()
            .enumerate()
            .filter(|(_, l)| **l != NONE && self.blobs[**l as usize].kind == Kind::Glyph)
            .map(|(i, _)| {
                let n = f64::from(self.ink[i]);
                let (sx, sy) = self.offsets[i];
                Cell {
                    x: ((i % gw) * block) as f64 + f64::from(sx) / n + 0.5,
                    y: ((i / gw) * block) as f64 + f64::from(sy) / n + 0.5,
                    weight: n,
                }
            })
            .collect()
    }

    /// The specks, each with the centre of its bounding box in pixels and whether it lies
    /// within `clearance` pixels of a glyph (a dot of a character, or dirt on one).
    pub fn specks(&self, clearance: u32) -> Vec<Speck> {
        let near = self.near_glyphs(clearance);
        let block = self.block as usize;
        self.blobs
            .iter()
            .filter(|b| b.kind == Kind::Speck)
            .map(|b| Speck {
                x: ((b.x0 + b.x1 + 1) * block) as f64 / 2.0,
                y: ((b.y0 + b.y1 + 1) * block) as f64 / 2.0,
                size: b.px,
                near_glyph: (b.y0..=b.y1).any(|y| (b.x0..=b.x1).any(|x| near[y * self.width + x])),
                cells: [b.x0, b.y0, b.x1, b.y1],
                block,
            })
            .collect()
    }
}

/// A speck of ink: where it is.
#[derive(Clone, Copy, Debug)]
pub struct Speck {
    /// The centre of its bounding box, pixels from the left.
    pub x: f64,
    /// The centre of its bounding box, pixels from the top.
    pub y: f64,
    /// The longer side of its ink's bounding box, pixels.
    pub size: u32,
    /// Whether a glyph's ink is within the clearance asked for.
    pub near_glyph: bool,
    /// Its bounding box in cells (inclusive): x0, y0, x1, y1.
    cells: [usize; 4],
    block: usize,
}

/// `page` with `specks` whitened: each speck's cells and a cell around them (the blur and
/// JPEG ringing about a speck are lighter than the ink threshold but still grey).
pub fn whiten(page: &GrayPage, specks: &[Speck]) -> GrayPage {
    let (w, h) = (page.width as usize, page.height as usize);
    let mut out = page.clone();
    for s in specks {
        let [x0, y0, x1, y1] = s.cells;
        let (px0, py0) = (x0.saturating_sub(1) * s.block, y0.saturating_sub(1) * s.block);
        let (px1, py1) = (((x1 + 2) * s.block).min(w), ((y1 + 2) * s.block).min(h));
        for y in py0..py1 {
            out.pixels[y * w + px0..y * w + px1].fill(255);
        }
    }
    out
}

/// Otsu's threshold of the grey levels (pixels darker than it are ink); `None` when the
/// page has a single level or the darker class is not dark (a blank page, maybe noisy).
fn otsu(pixels: &[u8]) -> Option<u8> {
    let mut hist = [0u64; 256];
    for p in pixels {
        hist[*p as usize] += 1;
    }
    let total = pixels.len() as f64;
    let sum: f64 = hist.iter().enumerate().map(|(v, n)| v as f64 * *n as f64).sum();
    let (mut weight_dark, mut sum_dark, mut best, mut threshold) = (0.0, 0.0, 0.0, None);
    for (v, n) in hist.iter().enumerate() {
        weight_dark += *n as f64;
        sum_dark += v as f64 * *n as f64;
        let weight_light = total - weight_dark;
        if weight_dark == 0.0 || weight_light == 0.0 {
            continue;
        }
        let (mean_dark, mean_light) = (sum_dark / weight_dark, (sum - sum_dark) / weight_light);
        let between = weight_dark * weight_light * (mean_dark - mean_light).powi(2);
        if between > best {
            best = between;
            threshold = Some((v + 1) as u8);
        }
    }
    // Ink is dark: a split whose dark class averages above mid-grey separates paper from
    // paper.
    let t = threshold?;
    let dark = &hist[..t as usize];
    let mean_dark = dark.iter().enumerate().map(|(v, n)| v as f64 * *n as f64).sum::<f64>()
        / dark.iter().sum::<u64>().max(1) as f64;
    (mean_dark < 128.0).then_some(t)
}

/// `page` rotated by `degrees` counter-clockwise about its centre (bilinear, paper-white
/// where the rotation uncovers the corners). `rotate(page, -skew)` straightens a page.
pub fn rotate(page: &GrayPage, degrees: f64) -> GrayPage {
    let (w, h) = (page.width as usize, page.height as usize);
    let mut out = vec![255u8; w * h];
    if w == 0 || h == 0 || page.pixels.len() < w * h {
        return GrayPage { width: page.width, height: page.height, pixels: out };
    }
    // The output pixel p shows the input at R·p about the centre, R the rotation by
    // `degrees` counter-clockwise as seen on the image (y down): (x, y) ↦
    // (x cos + y sin, −x sin + y cos) with the angle negated.
    let (sin, cos) = (-degrees.to_radians()).sin_cos();
    let (cx, cy) = ((w as f64 - 1.0) / 2.0, (h as f64 - 1.0) / 2.0);
    let px = |x: usize, y: usize| f64::from(page.pixels[y * w + x]);
    for (y, row) in out.chunks_exact_mut(w).enumerate() {
        let dy = y as f64 - cy;
        for (x, o) in row.iter_mut().enumerate() {
            let dx = x as f64 - cx;
            let (sx, sy) = (dx * cos + dy * sin + cx, -dx * sin + dy * cos + cy);
            if sx < 0.0 || sy < 0.0 || sx > (w - 1) as f64 || sy > (h - 1) as f64 {
                continue;
            }
            let (x0, y0) = (sx as usize, sy as usize);
            let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
            let (fx, fy) = (sx - x0 as f64, sy - y0 as f64);
            let top = px(x0, y0) * (1.0 - fx) + px(x1, y0) * fx;
            let bottom = px(x0, y1) * (1.0 - fx) + px(x1, y1) * fx;
            *o = (top * (1.0 - fy) + bottom * fy).round() as u8;
        }
    }
    GrayPage { width: page.width, height: page.height, pixels: out }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ocr::fixtures::page;

    #[test]
    fn rotation_by_zero_is_the_identity() {
        let p = page("page-h.png");
        assert_eq!(rotate(&p, 0.0), p);
    }

    #[test]
    fn blank_and_grey_pages_have_no_ink() {
        assert!(Ink::of(&GrayPage { width: 50, height: 40, pixels: vec![255; 2000] }).is_none());
        let grey = GrayPage { width: 50, height: 40, pixels: (0..2000).map(|i| 200 + (i % 7) as u8).collect() };
        assert!(Ink::of(&grey).is_none(), "paper noise is not ink");
    }

    /// Dots of a few pixels are specks; whitening them gives the page back.
    #[test]
    fn specks_are_found_and_whitened() {
        let mut p = page("page-h.png");
        let w = p.width as usize;
        let clean = p.clone();
        for (x, y) in [(5, 5), (540, 200)] {
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1), (2, 1), (1, 2)] {
                p.pixels[(y + dy) * w + x + dx] = 0;
            }
        }
        let specks = Ink::of(&p).expect("text").specks(8);
        let at: Vec<(f64, f64)> = specks.iter().map(|s| (s.x, s.y)).collect();
        assert!(at.contains(&(6.5, 6.5)) && at.contains(&(541.5, 201.5)), "{at:?}");
        let margins: Vec<Speck> = specks.into_iter().filter(|s| s.x < 10.0 || s.y > 190.0).collect();
        assert_eq!(whiten(&p, &margins), clean, "exactly the specks are gone");
    }
}
