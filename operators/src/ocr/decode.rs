//! Recognising a file by its content and decoding page images.
//!
//! The format is told by magic bytes, never by the file name. Images are decoded in safe
//! Rust (the `image` and `tiff` crates) to 8-bit grey, with the page's dimensions checked
//! against [`PageLimits`] *before* any pixel is decoded, so a decompression bomb (a small
//! file that claims a huge canvas) is refused without allocating it.

use std::io::Cursor;

use image::ImageDecoder;

use crate::error::{OperatorError, Result};

/// What a file contains, by its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// PNG image.
    Png,
    /// JPEG image.
    Jpeg,
    /// TIFF image, possibly of several pages.
    Tiff,
    /// PDF document.
    Pdf,
    /// Anything else (text, JSON, unknown binary): not a page format.
    Other,
}

impl Format {
    /// The lowercase name used in messages and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Jpeg => "jpeg",
            Format::Tiff => "tiff",
            Format::Pdf => "pdf",
            Format::Other => "other",
        }
    }

    /// An image format (decoded here, then OCRed).
    pub fn is_image(self) -> bool {
        matches!(self, Format::Png | Format::Jpeg | Format::Tiff)
    }
}

/// The format of `bytes`, from their magic numbers. A PDF header may follow up to 1 KiB
/// of leading garbage, as PDF readers accept.
pub fn sniff(bytes: &[u8]) -> Format {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Format::Png
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Format::Jpeg
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        Format::Tiff
    } else if memchr::memmem::find(&bytes[..bytes.len().min(1024)], b"%PDF-").is_some() {
        Format::Pdf
    } else {
        Format::Other
    }
}

/// Limits on what one input may cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PageLimits {
    /// Pages per document (images of a TIFF, pages of a PDF).
    pub max_pages: u32,
    /// Pixels per page (width × height).
    pub max_pixels: u64,
    /// Milliseconds of OCR per page.
    pub ocr_timeout_ms: u64,
}

impl Default for PageLimits {
    /// 2,000 pages, 80 megapixels (A3 at 600 dpi is 70), 120 s of OCR per page.
    fn default() -> Self {
        PageLimits { max_pages: 2_000, max_pixels: 80_000_000, ocr_timeout_ms: 120_000 }
    }
}

impl PageLimits {
    /// Fails when a page of `width` x `height` pixels is over the pixel limit (or empty).
    pub fn check_pixels(&self, width: u32, height: u32) -> Result<()> {
        let pixels = u64::from(width) * u64::from(height);
        if pixels > self.max_pixels {
            return Err(OperatorError::Limit {
                what: "pixels per page",
                value: pixels,
                limit: self.max_pixels,
                option: "--max-pixels",
            });
        }
        if width == 0 || height == 0 {
            return Err(OperatorError::decode(format!("empty image ({width} x {height})")));
        }
        Ok(())
    }

    /// Fails when a document of `pages` pages is over the page limit.
    pub fn check_pages(&self, pages: u32) -> Result<()> {
        if pages > self.max_pages {
            return Err(OperatorError::Limit {
                what: "pages",
                value: u64::from(pages),
                limit: u64::from(self.max_pages),
                option: "--max-pages",
            });
        }
        Ok(())
    }
}

/// An 8-bit grey page image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrayPage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Row-major pixels, one byte each, `width * height` of them.
    pub pixels: Vec<u8>,
}

impl GrayPage {
    /// The pixel at `(x, y)`.
    #[inline]
    pub fn at(&self, x: u32, y: u32) -> u8 {
        self.pixels[y as usize * self.width as usize + x as usize]
    }
}

fn decode_err(format: Format) -> impl Fn(image::ImageError) -> OperatorError {
    move |e| match e {
        image::ImageError::Limits(l) => {
            OperatorError::decode(format!("{} image over the decoding limits: {l}", format.as_str()))
        }
        e => OperatorError::decode(format!("{} image: {e}", format.as_str())),
    }
}

/// Decodes the pages of an image file (PNG, JPEG: one page; TIFF: every page) to grey,
/// checking every page against `limits` before decoding it.
pub fn decode_pages(bytes: &[u8], limits: &PageLimits) -> Result<Vec<GrayPage>> {
    match sniff(bytes) {
        f @ (Format::Png | Format::Jpeg) => {
            let fmt = if f == Format::Png { image::ImageFormat::Png } else { image::ImageFormat::Jpeg };
            let mut reader =
                image::ImageReader::with_format(Cursor::new(bytes), fmt).into_decoder().map_err(decode_err(f))?;
            let (width, height) = reader.dimensions();
            limits.check_pixels(width, height)?;
            let mut image_limits = image::Limits::default();
            image_limits.max_image_width = Some(width);
            image_limits.max_image_height = Some(height);
            image_limits.max_alloc = Some(limits.max_pixels.saturating_mul(8));
            reader.set_limits(image_limits).map_err(decode_err(f))?;
            let image = image::DynamicImage::from_decoder(reader).map_err(decode_err(f))?;
            let gray = image.into_luma8();
            Ok(vec![GrayPage { width, height, pixels: gray.into_raw() }])
        }
        Format::Tiff => decode_tiff(bytes, limits),
        f => Err(OperatorError::decode(format!("not an image ({})", f.as_str()))),
    }
}

/// The number of pages of an image file (the images of a TIFF; one for PNG and JPEG),
/// every page's dimensions checked against `limits` from its header, without decoding.
pub fn count_pages(bytes: &[u8], limits: &PageLimits) -> Result<u32> {
    match sniff(bytes) {
        f @ (Format::Png | Format::Jpeg) => {
            let fmt = if f == Format::Png { image::ImageFormat::Png } else { image::ImageFormat::Jpeg };
            let reader =
                image::ImageReader::with_format(Cursor::new(bytes), fmt).into_decoder().map_err(decode_err(f))?;
            let (width, height) = reader.dimensions();
            limits.check_pixels(width, height)?;
            Ok(1)
        }
        Format::Tiff => {
            let mut decoder = tiff::decoder::Decoder::new(Cursor::new(bytes)).map_err(tiff_err)?;
            let mut pages = 0u32;
            loop {
                pages += 1;
                limits.check_pages(pages)?;
                let (width, height) = decoder.dimensions().map_err(tiff_err)?;
                limits.check_pixels(width, height)?;
                if !decoder.more_images() {
                    return Ok(pages);
                }
                decoder.next_image().map_err(tiff_err)?;
            }
        }
        f => Err(OperatorError::decode(format!("not an image ({})", f.as_str()))),
    }
}

/// Page `index` (from 0) of an image file, decoded to grey; the pages before it are
/// skipped without decoding.
pub fn decode_page(bytes: &[u8], index: u32, limits: &PageLimits) -> Result<GrayPage> {
    if sniff(bytes) != Format::Tiff {
        return match index {
            0 => decode_pages(bytes, limits)?.pop().ok_or_else(|| OperatorError::decode("no page")),
            _ => Err(OperatorError::decode(format!("no page {}: the image has one", index + 1))),
        };
    }
    let mut tiff_limits = tiff::decoder::Limits::default();
    tiff_limits.decoding_buffer_size = usize::try_from(limits.max_pixels.saturating_mul(8)).unwrap_or(usize::MAX);
    let mut decoder = tiff::decoder::Decoder::new(Cursor::new(bytes)).map_err(tiff_err)?.with_limits(tiff_limits);
    for _ in 0..index {
        if !decoder.more_images() {
            return Err(OperatorError::decode(format!("no page {}", index + 1)));
        }
        decoder.next_image().map_err(tiff_err)?;
    }
    tiff_page(&mut decoder, limits)
}

fn tiff_page(decoder: &mut tiff::decoder::Decoder<Cursor<&[u8]>>, limits: &PageLimits) -> Result<GrayPage> {
    let (width, height) = decoder.dimensions().map_err(tiff_err)?;
    limits.check_pixels(width, height)?;
    let color = decoder.colortype().map_err(tiff_err)?;
    let data = match decoder.read_image().map_err(tiff_err)? {
        tiff::decoder::DecodingResult::U8(d) => d,
        tiff::decoder::DecodingResult::U16(d) => d.into_iter().map(|v| (v >> 8) as u8).collect(),
        _ => return Err(OperatorError::decode(format!("tiff image: unsupported sample format ({color:?})"))),
    };
    to_gray(&data, width, height, color)
}

fn tiff_err(e: tiff::TiffError) -> OperatorError {
    OperatorError::decode(format!("tiff image: {e}"))
}

fn decode_tiff(bytes: &[u8], limits: &PageLimits) -> Result<Vec<GrayPage>> {
    let mut tiff_limits = tiff::decoder::Limits::default();
    tiff_limits.decoding_buffer_size = usize::try_from(limits.max_pixels.saturating_mul(8)).unwrap_or(usize::MAX);
    let mut decoder = tiff::decoder::Decoder::new(Cursor::new(bytes)).map_err(tiff_err)?.with_limits(tiff_limits);
    let mut pages = Vec::new();
    loop {
        limits.check_pages(pages.len() as u32 + 1)?;
        pages.push(tiff_page(&mut decoder, limits)?);
        if !decoder.more_images() {
            break;
        }
        decoder.next_image().map_err(tiff_err)?;
    }
    Ok(pages)
}

/// Grey pixels of a decoded TIFF page.
fn to_gray(data: &[u8], width: u32, height: u32, color: tiff::ColorType) -> Result<GrayPage> {
    let n = width as usize * height as usize;
    let channels = |k: usize| -> Result<&[u8]> {
        data.get(..n * k).ok_or_else(|| OperatorError::decode("tiff image: fewer samples than pixels"))
    };
    let pixels = match color {
        tiff::ColorType::Gray(8) | tiff::ColorType::Gray(16) => channels(1)?.to_vec(),
        tiff::ColorType::GrayA(8) | tiff::ColorType::GrayA(16) => channels(2)?.chunks_exact(2).map(|p| p[0]).collect(),
        tiff::ColorType::RGB(8) | tiff::ColorType::RGB(16) => channels(3)?.chunks_exact(3).map(luma).collect(),
        tiff::ColorType::RGBA(8) | tiff::ColorType::RGBA(16) => channels(4)?.chunks_exact(4).map(luma).collect(),
        tiff::ColorType::Gray(1) => {
            // Bilevel (fax scans): rows padded to whole bytes; 0 is black unless stated.
            let row = (width as usize).div_ceil(8);
            let bits = data
                .get(..row * height as usize)
                .ok_or_else(|| OperatorError::decode("tiff image: truncated bilevel data"))?;
            let mut out = Vec::with_capacity(n);
            for y in 0..height as usize {
                for x in 0..width as usize {
                    let bit = bits[y * row + x / 8] >> (7 - x % 8) & 1;
                    out.push(if bit == 1 { 255 } else { 0 });
                }
            }
            out
        }
        other => return Err(OperatorError::decode(format!("tiff image: unsupported colour type {other:?}"))),
    };
    Ok(GrayPage { width, height, pixels })
}

/// ITU-R BT.601 luma of an RGB(A) pixel.
fn luma(p: &[u8]) -> u8 {
    ((u32::from(p[0]) * 299 + u32::from(p[1]) * 587 + u32::from(p[2]) * 114) / 1000) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ocr::fixtures::bytes as fixture;

    #[test]
    fn formats_are_told_by_content() {
        assert_eq!(sniff(&fixture("page-h.png")), Format::Png);
        assert_eq!(sniff(&fixture("page-h.jpg")), Format::Jpeg);
        assert_eq!(sniff(&fixture("pages-2.tif")), Format::Tiff);
        assert_eq!(sniff(&fixture("text-layer.pdf")), Format::Pdf);
        assert_eq!(sniff(b"\n\n%PDF-1.4 after a blank line"), Format::Pdf);
        assert_eq!(sniff("床前明月光".as_bytes()), Format::Other);
        assert_eq!(sniff(b""), Format::Other);
    }

    #[test]
    fn images_decode_to_grey_pages() {
        let limits = PageLimits::default();
        let png = decode_pages(&fixture("page-h.png"), &limits).expect("png");
        assert_eq!((png.len(), png[0].width, png[0].height), (1, 560, 220));
        assert_eq!(png[0].pixels.len(), 560 * 220);
        assert!(png[0].pixels.iter().any(|p| *p < 64) && png[0].pixels.iter().any(|p| *p > 192), "ink on paper");
        let jpg = decode_pages(&fixture("page-h.jpg"), &limits).expect("jpeg");
        assert_eq!((jpg[0].width, jpg[0].height), (560, 220));
        let tif = decode_pages(&fixture("pages-2.tif"), &limits).expect("tiff");
        assert_eq!(tif.len(), 2, "both pages of the TIFF");
        assert_eq!(count_pages(&fixture("pages-2.tif"), &limits).expect("count"), 2);
        assert_eq!(count_pages(&fixture("page-h.jpg"), &limits).expect("count"), 1);
        assert_eq!(decode_page(&fixture("pages-2.tif"), 1, &limits).expect("page 2"), tif[1]);
        assert!(decode_page(&fixture("pages-2.tif"), 2, &limits).is_err(), "no third page");
    }

    #[test]
    fn limits_and_bad_bytes_are_errors() {
        let small = PageLimits { max_pixels: 100_000, ..PageLimits::default() };
        let err = decode_pages(&fixture("page-h.png"), &small).expect_err("over the pixel limit");
        assert!(matches!(err, OperatorError::Limit { what: "pixels per page", .. }), "{err}");
        let one = PageLimits { max_pages: 1, ..PageLimits::default() };
        let err = decode_pages(&fixture("pages-2.tif"), &one).expect_err("over the page limit");
        assert!(err.to_string().contains("pages 2 is over the limit of 1"), "{err}");
        let mut truncated = fixture("page-h.png");
        truncated.truncate(truncated.len() / 2);
        assert!(matches!(decode_pages(&truncated, &PageLimits::default()), Err(OperatorError::Decode(_))));
        assert!(matches!(decode_pages(b"not an image", &PageLimits::default()), Err(OperatorError::Decode(_))));
    }

    /// CRC-32 (IEEE), as PNG chunks carry it.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for b in bytes {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    /// A valid PNG whose header claims 100,000 x 100,000 pixels (10 gigapixels, a few
    /// kilobytes of file) is refused from its header, before any pixel is decoded.
    #[test]
    fn a_decompression_bomb_is_refused_from_its_header() {
        let mut png = fixture("page-h.png");
        // IHDR: length at 8..12, type at 12..16, width and height at 16..24, CRC at 29..33.
        png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        let err = decode_pages(&png, &PageLimits::default()).expect_err("bomb");
        assert!(matches!(err, OperatorError::Limit { what: "pixels per page", value: 10_000_000_000, .. }), "{err}");
    }
}
