//! Horizontal or vertical text, told from the page image.
//!
//! CJK text sits on a grid both ways, but the gaps differ: lines (or columns) are set
//! further apart than the characters inside them. Horizontal text therefore leaves more
//! fully blank pixel rows than blank pixel columns inside its ink's bounding box, and
//! vertical text the reverse. A row or column counts as blank when under 0.5 % of its
//! pixels are ink, which tolerates scanner noise. A single line or column has no such
//! gaps; its ink's bounding box, three times wider than tall or the reverse, tells it.

use serde::{Deserialize, Serialize};

use super::decode::GrayPage;

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
}

/// Ink: darker than mid-grey.
const INK: u8 = 128;

/// The layout of `page`'s text; horizontal when the page holds no ink.
pub fn detect(page: &GrayPage) -> Layout {
    let (w, h) = (page.width as usize, page.height as usize);
    if w == 0 || h == 0 {
        return Layout::Horizontal;
    }
    let mut rows = vec![0u32; h];
    let mut cols = vec![0u32; w];
    for (y, row) in page.pixels.chunks_exact(w).enumerate() {
        for (x, p) in row.iter().enumerate() {
            if *p < INK {
                rows[y] += 1;
                cols[x] += 1;
            }
        }
    }
    let row_noise = (w as u32 / 200).max(1);
    let col_noise = (h as u32 / 200).max(1);
    let inked = |v: &[u32], noise: u32| -> Option<(usize, usize)> {
        let first = v.iter().position(|n| *n > noise)?;
        let last = v.iter().rposition(|n| *n > noise)?;
        Some((first, last))
    };
    let (Some((top, bottom)), Some((left, right))) = (inked(&rows, row_noise), inked(&cols, col_noise)) else {
        return Layout::Horizontal;
    };
    let (ink_w, ink_h) = ((right - left + 1) as f64, (bottom - top + 1) as f64);
    if ink_w > 3.0 * ink_h {
        return Layout::Horizontal;
    }
    if ink_h > 3.0 * ink_w {
        return Layout::Vertical;
    }
    let blank = |v: &[u32], noise: u32| v.iter().filter(|n| **n <= noise).count() as f64 / v.len().max(1) as f64;
    let blank_rows = blank(&rows[top..=bottom], row_noise);
    let blank_cols = blank(&cols[left..=right], col_noise);
    if blank_cols > blank_rows { Layout::Vertical } else { Layout::Horizontal }
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
        assert_eq!(detect(&blank), Layout::Horizontal);
    }
}
