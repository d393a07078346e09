//! MinHash signatures and LSH band keys over character n-grams (issue 4, first step: the
//! pure core; the incremental clustering operator builds on it).
//!
//! A text is reduced to its Han characters (the simplified copy when there is one, so both
//! scripts compare), cut into overlapping character n-grams, and each n-gram hashed once
//! with seeded xxh3. Permutation `i` is the multiply-shift hash `(a_i · h + b_i) >> 32` of
//! that 64-bit hash, with odd `a_i`; the signature keeps the minimum per permutation. Two
//! signatures agree in a position with probability equal to the Jaccard similarity of the
//! n-gram sets, so the share of equal positions estimates it. LSH cuts the signature into
//! `bands` bands of `rows` rows; two texts share a band key with probability
//! `1 − (1 − J^rows)^bands`, an S-curve whose midpoint is about `(1/bands)^(1/rows)`.

use std::collections::HashSet;

use crate::clean::is_han;

/// Parameters of the signatures and the banding.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MinHashConfig {
    /// Characters per n-gram.
    pub ngram: usize,
    /// Bands of the LSH index.
    pub bands: usize,
    /// Rows (signature positions) per band; `bands × rows` permutations in all.
    pub rows: usize,
    /// Seed of the n-gram hash and the permutations.
    pub seed: u64,
}

impl Default for MinHashConfig {
    /// 5-grams, 14 bands of 8 rows (112 permutations, as datatrove's default): the S-curve
    /// midpoint is about 0.72, below the 0.8 the verification step then asks for.
    fn default() -> Self {
        MinHashConfig { ngram: 5, bands: 14, rows: 8, seed: 0x005e_ed0f_7ea5_0b1e }
    }
}

impl MinHashConfig {
    /// Number of permutations.
    pub fn permutations(&self) -> usize {
        self.bands * self.rows
    }

    /// The similarity at which two texts share a band key with probability one half.
    pub fn threshold(&self) -> f64 {
        (1.0 / self.bands as f64).powf(1.0 / self.rows as f64)
    }

    fn coefficients(&self) -> Vec<(u64, u64)> {
        // splitmix64 from the seed: independent odd multipliers and offsets.
        let mut state = self.seed;
        let mut next = || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        (0..self.permutations()).map(|_| (next() | 1, next())).collect()
    }
}

/// The characters signatures are computed over: Han characters only.
pub fn normalized_chars(text: &str) -> Vec<char> {
    text.chars().filter(|&c| is_han(c)).collect()
}

/// The 64-bit hashes of the n-grams of `chars` (a text shorter than `n` is one n-gram).
fn ngram_hashes(chars: &[char], n: usize, seed: u64) -> Vec<u64> {
    let mut buf = String::new();
    let gram = |g: &[char], buf: &mut String| {
        buf.clear();
        buf.extend(g);
        xxhash_rust::xxh3::xxh3_64_with_seed(buf.as_bytes(), seed)
    };
    if chars.is_empty() {
        return Vec::new();
    }
    if chars.len() < n {
        return vec![gram(chars, &mut buf)];
    }
    chars.windows(n).map(|g| gram(g, &mut buf)).collect()
}

/// A MinHash signature: the minimum of each permutation over the text's n-grams.
/// `None` for a text without Han characters.
pub fn signature(text: &str, config: &MinHashConfig) -> Option<Vec<u32>> {
    let hashes = ngram_hashes(&normalized_chars(text), config.ngram.max(1), config.seed);
    if hashes.is_empty() {
        return None;
    }
    let mut sig = vec![u32::MAX; config.permutations()];
    for (slot, (a, b)) in sig.iter_mut().zip(config.coefficients()) {
        for &h in &hashes {
            let v = (a.wrapping_mul(h).wrapping_add(b) >> 32) as u32;
            if v < *slot {
                *slot = v;
            }
        }
    }
    Some(sig)
}

/// The LSH keys of a signature: per band, its index and a hash of its rows.
pub fn band_keys(sig: &[u32], config: &MinHashConfig) -> Vec<(u16, u64)> {
    sig.chunks(config.rows)
        .take(config.bands)
        .enumerate()
        .map(|(band, rows)| {
            let bytes: Vec<u8> = rows.iter().flat_map(|r| r.to_le_bytes()).collect();
            (band as u16, xxhash_rust::xxh3::xxh3_64_with_seed(&bytes, band as u64))
        })
        .collect()
}

/// The Jaccard similarity estimated from two signatures: the share of equal positions.
pub fn estimated_jaccard(a: &[u32], b: &[u32]) -> f64 {
    let n = a.len().min(b.len());
    if n == 0 {
        return 0.0;
    }
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / n as f64
}

/// The exact Jaccard similarity of two texts' n-gram sets (the same normalisation).
pub fn exact_jaccard(a: &str, b: &str, n: usize) -> f64 {
    let grams = |t: &str| -> HashSet<String> {
        let chars = normalized_chars(t);
        if chars.is_empty() {
            return HashSet::new();
        }
        if chars.len() < n {
            return HashSet::from([chars.iter().collect()]);
        }
        chars.windows(n).map(|g| g.iter().collect()).collect()
    };
    let (x, y) = (grams(a), grams(b));
    let union = x.union(&y).count();
    if union == 0 { 0.0 } else { x.intersection(&y).count() as f64 / union as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::XorShift;

    const POEM: &str =
        "秦川雄帝宅，函谷壯皇居。綺殿千尋起，離宮百雉餘。連甍遙接漢，飛觀迥凌虛。雲日隱層闕，風煙出綺疏。";

    #[test]
    fn identical_texts_have_identical_signatures_and_band_keys() {
        let c = MinHashConfig::default();
        let a = signature(POEM, &c).expect("han text");
        let b = signature(&POEM.replace('，', ",\n"), &c).expect("han text");
        assert_eq!(a.len(), 112);
        assert_eq!(a, b, "punctuation and line breaks do not count");
        assert_eq!(band_keys(&a, &c), band_keys(&b, &c));
        assert_eq!(estimated_jaccard(&a, &b), 1.0);
        assert!(signature("hello, world", &c).is_none());
        assert!((c.threshold() - 0.719).abs() < 0.01);
    }

    #[test]
    fn estimates_follow_the_exact_jaccard() {
        // Random edits of a poem: the estimate from 112 permutations has a standard error
        // of at most √(0.25/112) ≈ 0.047; 0.2 is over four of them (the seeds are fixed,
        // so this is deterministic, not flaky).
        let c = MinHashConfig::default();
        let chars: Vec<char> = POEM.chars().collect();
        let mut rng = XorShift::new(7);
        for edits in 0..12 {
            let mut other = chars.clone();
            for _ in 0..edits {
                let i = rng.below(other.len() as u64) as usize;
                other[i] = char::from_u32(0x4E00 + rng.below(0x5000) as u32).unwrap_or('一');
            }
            let other: String = other.into_iter().collect();
            let exact = exact_jaccard(POEM, &other, c.ngram);
            let estimate = estimated_jaccard(&signature(POEM, &c).expect("han"), &signature(&other, &c).expect("han"));
            assert!((exact - estimate).abs() < 0.2, "edits {edits}: exact {exact:.3}, estimate {estimate:.3}");
        }
    }

    #[test]
    fn near_duplicates_share_a_band_and_unrelated_texts_do_not() {
        let c = MinHashConfig::default();
        // One character changed removes up to five 5-grams: a 38-character poem falls to
        // J ≈ 0.76, a text twice as long stays above 0.8.
        let base = format!("{POEM}{}", "太宗文皇帝御製詩，唐詩之首，正殿之作，百官同賀，詞臣奉和，千古傳誦。");
        let near = base.replacen('壯', "状", 1);
        let other = "床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。";
        let keys =
            |t: &str| -> HashSet<(u16, u64)> { band_keys(&signature(t, &c).expect("han"), &c).into_iter().collect() };
        assert!(exact_jaccard(&base, &near, 5) > 0.8, "{}", exact_jaccard(&base, &near, 5));
        assert!(!keys(&base).is_disjoint(&keys(&near)));
        assert!(keys(&base).is_disjoint(&keys(other)));
    }
}
