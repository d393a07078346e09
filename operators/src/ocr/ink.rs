//! The ink of a page image, and what a scanner adds to it.
//!
//! [`Ink::of`] binarises a page at Otsu's threshold (blur and grey noise move the levels,
//! not the split between ink and paper) on a grid of cells a few pixels wide, and sorts the
//! 8-connected blobs of inked cells into glyphs, specks (scanner dirt: a blob no larger
//! than [`SPECK_PX`] either way) and rules (blobs at most [`RULE_PX`] thick and four times
//! longer than the typical glyph: the lines between the columns of a woodblock page, a
//! scratch). The layout analysis measures the glyphs alone ([`Ink::glyph_cells`]);
//! [`Ink::despeckle`] whitens the specks that stand clear of every glyph, because
//! Tesseract's line finding takes them for text (measured on rendered pages with 2,000
//! specks: whole pages read as Latin letters by the command line, and by wenflow before it
//! despeckled). [`rotate`] straightens a page.

use super::decode::GrayPage;

/// Blobs whose bounding box fits in a square this wide (pixels) are specks, not glyphs:
/// at 300 dpi the dot of 主 or a comma is larger.
pub const SPECK_PX: u32 = 10;

/// Blobs at most this thick (pixels) and four times longer than the typical glyph are
/// rules or scratches, not text. A line of text whose glyphs blur into one blob is as
/// thick as its characters.
pub const RULE_PX: u32 = 8;

/// A speck nearer than this (pixels) to a glyph is left alone: it may be part of it.
const SPECK_CLEARANCE_PX: u32 = 8;

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

/// A blob: its bounding box in cells (inclusive) and what it is.
struct Blob {
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
    kind: Kind,
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
            let mut blob = Blob { x0: usize::MAX, y0: usize::MAX, x1: 0, y1: 0, kind: Kind::Glyph };
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

    /// `page` with the specks that stand clear of every glyph whitened (their cells and a
    /// cell around them), and how many; `None` when there are none.
    pub fn despeckle(&self, page: &GrayPage) -> Option<(GrayPage, usize)> {
        let (gw, gh) = (self.width, self.height);
        // Cells within the clearance of a glyph: a box dilation of the glyph cells, by rows
        // then by columns.
        let r = self.cells(SPECK_CLEARANCE_PX);
        let glyph: Vec<bool> =
            self.label.iter().map(|l| *l != NONE && self.blobs[*l as usize].kind == Kind::Glyph).collect();
        let mut rows = vec![false; gw * gh];
        for y in 0..gh {
            let (line, out) = (&glyph[y * gw..(y + 1) * gw], &mut rows[y * gw..(y + 1) * gw]);
            for order in [&mut (0..gw) as &mut dyn Iterator<Item = usize>, &mut (0..gw).rev()] {
                let mut since = usize::MAX; // cells since the last glyph cell in this order
                for x in order {
                    since = if line[x] { 0 } else { since.saturating_add(1) };
                    out[x] |= since <= r;
                }
            }
        }
        let near = |x: usize, y: usize| (y.saturating_sub(r)..=(y + r).min(gh - 1)).any(|yy| rows[yy * gw + x]);
        let specks: Vec<&Blob> = self
            .blobs
            .iter()
            .filter(|b| b.kind == Kind::Speck)
            .filter(|b| !(b.y0..=b.y1).any(|y| (b.x0..=b.x1).any(|x| near(x, y))))
            .collect();
        if specks.is_empty() {
            return None;
        }
        let (w, block) = (page.width as usize, self.block as usize);
        let mut out = page.clone();
        for b in &specks {
            let (x0, y0) = (b.x0.saturating_sub(1) * block, b.y0.saturating_sub(1) * block);
            let x1 = ((b.x1 + 2) * block).min(w);
            let y1 = ((b.y1 + 2) * block).min(page.height as usize);
            for y in y0..y1 {
                out.pixels[y * w + x0..y * w + x1].fill(255);
            }
        }
        Some((out, specks.len()))
    }
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

    /// Specks away from the text are whitened; the glyphs and a speck touching one are
    /// not.
    #[test]
    fn specks_clear_of_the_text_are_whitened() {
        let mut p = page("page-h.png");
        let w = p.width as usize;
        let dot = |p: &mut GrayPage, x: usize, y: usize| {
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1), (2, 1), (1, 2)] {
                p.pixels[(y + dy) * w + x + dx] = 0;
            }
        };
        let clean = p.clone();
        dot(&mut p, 5, 5); // in the margin
        dot(&mut p, 540, 200); // in the margin
        let ink = Ink::of(&p).expect("text");
        let (out, n) = ink.despeckle(&p).expect("specks");
        assert_eq!(n, 2);
        assert_eq!(out, clean, "exactly the specks are gone");
        assert!(Ink::of(&clean).expect("text").despeckle(&clean).is_none(), "nothing to whiten");
    }
}
