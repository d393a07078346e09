//! How much an OCR reading looks like Chinese text: the share of its adjacent Han pairs
//! that a character-bigram model of classical Chinese knows.
//!
//! A page read in the wrong direction comes out as characters Tesseract found in pieces
//! of glyphs (口, 日, 一, 丨 …) in no order a writer would use; read the right way, the same
//! page gives pairs that texts use. The model is a Bloom filter of the bigrams seen at
//! least three times in the chinese-poetry collections other than the Tang ones
//! (`operators/data/ocr/bigrams.bloom`, built by `scripts/data/build_bigrams.py`; the
//! source, its licence and the format are in `operators/data/ocr/README.md`): on 全唐詩
//! text, which it has not seen, it knows 85 % of the pairs; on a page read sideways,
//! measured on rendered pages, a fraction of that.

use std::sync::LazyLock;

const BLOOM: &[u8] = include_bytes!("../../data/ocr/bigrams.bloom");

/// A Bloom filter of character bigrams.
#[derive(Debug)]
pub struct BigramModel {
    hashes: u32,
    bits: u64,
    data: &'static [u8],
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl BigramModel {
    /// The model compiled into the binary.
    pub fn get() -> &'static BigramModel {
        static MODEL: LazyLock<BigramModel> = LazyLock::new(|| BigramModel::parse(BLOOM));
        &MODEL
    }

    /// Reads the format of `scripts/data/build_bigrams.py`; a malformed file (a build
    /// defect, not an input) gives a model that knows nothing.
    fn parse(bytes: &'static [u8]) -> BigramModel {
        let header = |at: usize, len: usize| bytes.get(at..at + len);
        let le32 = |s: &[u8]| s.try_into().map(u32::from_le_bytes).ok();
        let le64 = |s: &[u8]| s.try_into().map(u64::from_le_bytes).ok();
        let hashes = header(8, 4).and_then(le32).unwrap_or(0);
        let bits = header(16, 8).and_then(le64).unwrap_or(0);
        let data = bytes.get(24..).unwrap_or_default();
        if header(0, 8) != Some(b"WFBLOOM1".as_slice()) || (data.len() as u64) * 8 < bits || bits == 0 {
            return BigramModel { hashes: 0, bits: 1, data: &[] };
        }
        BigramModel { hashes, bits, data }
    }

    /// Whether the model has seen `a` followed by `b` (with the filter's few percent of
    /// false positives).
    pub fn knows(&self, a: char, b: char) -> bool {
        if self.hashes == 0 {
            return false;
        }
        let h1 = splitmix64((u64::from(a) << 21) | u64::from(b));
        let h2 = splitmix64(h1) | 1;
        (0..u64::from(self.hashes)).all(|i| {
            let bit = h1.wrapping_add(i.wrapping_mul(h2)) % self.bits;
            self.data[(bit >> 3) as usize] & (1 << (bit & 7)) != 0
        })
    }

    /// The share of the adjacent Han pairs of `text` (within a line) that the model knows,
    /// and how many pairs there were.
    pub fn score(&self, text: &str) -> (f64, usize) {
        let (mut known, mut pairs) = (0usize, 0usize);
        for line in text.lines() {
            let mut prev: Option<char> = None;
            for c in line.chars() {
                if !crate::clean::is_han(c) {
                    prev = None;
                    continue;
                }
                if let Some(p) = prev {
                    pairs += 1;
                    known += usize::from(self.knows(p, c));
                }
                prev = Some(c);
            }
        }
        (if pairs == 0 { 0.0 } else { known as f64 / pairs as f64 }, pairs)
    }
}

/// The share of `text`'s adjacent Han pairs that classical Chinese uses (0 when it has
/// none).
pub fn plausibility(text: &str) -> f64 {
    BigramModel::get().score(text).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_told_from_its_transpose() {
        let m = BigramModel::get();
        assert!(m.hashes > 0, "the model is compiled in");
        // 李白《靜夜思》, a Tang poem (the model has seen no Tang collection), in lines, and
        // read across them as a vertical page read as horizontal comes out. (Over 3,000
        // Tang poems the shares are 42 % and 7 %; a short text scatters more.)
        let (text, pairs) = m.score("床前明月光\n疑是地上霜\n舉頭望明月\n低頭思故鄉");
        let (transposed, _) = m.score("床疑舉低\n前是頭頭\n明地望思\n月上明故\n光霜月鄉");
        println!("text {text:.3}, transposed {transposed:.3}");
        assert_eq!(pairs, 16);
        assert!(text >= 0.5 && transposed <= 0.25, "text {text}, transposed {transposed}");
        assert_eq!(m.score("abc 12"), (0.0, 0));
    }
}
