//! MinHash signatures and LSH band keys over character n-grams, the pure core of
//! near-duplicate detection ([`super::near`] builds the incremental operator on it).
//!
//! A text is reduced to its Han characters (the simplified copy when there is one, so both
//! scripts compare), cut into overlapping character n-grams, and each n-gram hashed once
//! with seeded xxh3. The signature is made by one-permutation hashing with optimal
//! densification ([`MinHasher::signature_of_chars`]): the hash of an n-gram picks one of
//! the `bands × rows` positions and is a candidate for that position's minimum, and an
//! empty position borrows a non-empty one's value. Two signatures agree in a position with
//! probability equal to the Jaccard similarity of the n-gram sets, so the share of equal
//! positions estimates it. LSH cuts the signature into `bands` bands of `rows` rows; two
//! texts share a band key with probability about `1 − (1 − J^rows)^bands`, an S-curve
//! whose midpoint is about `(1/bands)^(1/rows)`.

use crate::clean::is_han;

/// Parameters of the signatures and the banding.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
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
    /// Character bigrams, 20 bands of 6 rows (120 permutations). Both chosen by
    /// measurement (bench/RESULTS.md, issue 4):
    ///
    /// - n-gram size: one changed character removes up to n n-grams, so a 20-character
    ///   quatrain with one variant keeps J ≈ 0.81 on bigrams and 0.52 on 5-grams. Across
    ///   全唐诗 and 御定全唐詩, 62 % of the editions of one poem reach 0.8 on bigrams against
    ///   40 % on 5-grams, while pairs of different poems by one author barely change.
    /// - banding: the S-curve midpoint is (1/20)^(1/6) ≈ 0.61, so a pair at J = 0.8 shares
    ///   no band with probability 0.2 %, against 7.6 % at datatrove's 14 × 8. Candidates
    ///   below the threshold cost one verification each and are then dropped.
    fn default() -> Self {
        MinHashConfig { ngram: 2, bands: 20, rows: 6, seed: 0x005e_ed0f_7ea5_0b1e }
    }
}

impl MinHashConfig {
    /// Number of permutations.
    pub fn permutations(&self) -> usize {
        self.bands * self.rows
    }

    /// The similarity at which two texts share a band key with probability about one half.
    pub fn threshold(&self) -> f64 {
        (1.0 / self.bands as f64).powf(1.0 / self.rows as f64)
    }
}

/// Computes signatures and band keys for one configuration.
#[derive(Clone, Debug)]
pub struct MinHasher {
    config: MinHashConfig,
    /// The first [`PROBES`] positions of every position's probe sequence, row by row: the
    /// sequences are the same for every text, and a short text probes for most of its
    /// positions.
    probes: Vec<u16>,
}

/// Probe positions computed ahead per signature position.
const PROBES: usize = 32;

impl MinHasher {
    /// The hasher of `config`.
    pub fn new(config: MinHashConfig) -> Self {
        let mut h = MinHasher { config, probes: Vec::new() };
        let k = config.permutations();
        if k <= usize::from(u16::MAX) {
            h.probes = (0..k)
                .flat_map(|i| (0..PROBES as u64).map(move |a| (i, a)))
                .map(|(i, a)| h.probe(i, a, k) as u16)
                .collect();
        }
        h
    }

    /// The configuration.
    pub fn config(&self) -> &MinHashConfig {
        &self.config
    }

    /// A MinHash signature of `bands × rows` positions, in one pass over the text. `None`
    /// for a text without Han characters.
    pub fn signature(&self, text: &str) -> Option<Vec<u32>> {
        self.signature_of_chars(&normalized_chars(text))
    }

    /// The signature of characters already reduced by [`normalized_chars`]: one-permutation
    /// hashing with optimal densification (Shrivastava, ICML 2017). Each n-gram is hashed
    /// once; the high half of its hash picks one of the `k` positions, the low half is its
    /// value there, and a position keeps its minimum. A position no n-gram fell into takes
    /// the value of the first non-empty one along a probe sequence of its own, the same for
    /// every text. Two signatures then agree in a position with probability equal to the
    /// Jaccard similarity of the n-gram sets, as with `k` independent permutations, at the
    /// cost of one hash per n-gram instead of `k`.
    pub fn signature_of_chars(&self, chars: &[char]) -> Option<Vec<u32>> {
        if chars.is_empty() {
            return None;
        }
        let k = self.config.permutations();
        let mut sig = vec![u32::MAX; k];
        let mut filled = vec![false; k];
        for_each_ngram_hash(chars, self.config.ngram.max(1), self.config.seed, |h| {
            let bin = (((h >> 32) * k as u64) >> 32) as usize;
            sig[bin] = sig[bin].min(h as u32);
            filled[bin] = true;
        });
        let nonempty = filled.iter().filter(|&&f| f).count();
        if nonempty == k {
            return Some(sig);
        }
        if nonempty == 1 {
            // Every probe sequence ends at the one non-empty position.
            let v = sig[filled.iter().position(|&f| f).unwrap_or(0)];
            return Some(vec![v; k]);
        }
        // Only empty positions are written, so a non-empty one keeps its own value.
        for i in 0..k {
            if filled[i] {
                continue;
            }
            let ahead = self.probes.get(i * PROBES..(i + 1) * PROBES).unwrap_or_default();
            if let Some(&j) = ahead.iter().find(|&&j| filled[usize::from(j)]) {
                sig[i] = sig[usize::from(j)];
                continue;
            }
            let mut attempt = ahead.len() as u64;
            loop {
                let j = self.probe(i, attempt, k);
                if filled[j] {
                    sig[i] = sig[j];
                    break;
                }
                attempt += 1;
            }
        }
        Some(sig)
    }

    /// Position `attempt` of the probe sequence of position `i`.
    fn probe(&self, i: usize, attempt: u64, k: usize) -> usize {
        let mut z = self.config.seed ^ ((i as u64) << 32) ^ attempt.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (((z >> 32) * k as u64) >> 32) as usize
    }

    /// The LSH keys of a signature, one per band: a hash of the band's rows seeded with the
    /// band's index, so equal rows in different bands give different keys.
    pub fn band_keys(&self, sig: &[u32]) -> Vec<u64> {
        let mut bytes = Vec::with_capacity(self.config.rows * 4);
        sig.chunks(self.config.rows)
            .take(self.config.bands)
            .enumerate()
            .map(|(band, rows)| {
                bytes.clear();
                bytes.extend(rows.iter().flat_map(|r| r.to_le_bytes()));
                xxhash_rust::xxh3::xxh3_64_with_seed(&bytes, band as u64)
            })
            .collect()
    }
}

/// The characters signatures are computed over: Han characters only.
pub fn normalized_chars(text: &str) -> Vec<char> {
    text.chars().filter(|&c| is_han(c)).collect()
}

/// The 64-bit hashes of the n-grams of `chars` (a text shorter than `n` is one n-gram).
fn ngram_hashes(chars: &[char], n: usize, seed: u64) -> Vec<u64> {
    let mut hashes = Vec::with_capacity(chars.len());
    for_each_ngram_hash(chars, n, seed, |h| hashes.push(h));
    hashes
}

/// Calls `f` with the hash of each n-gram of `chars` in order: xxh3 of the characters'
/// code points as little-endian `u32`s (a text shorter than `n` is one n-gram).
fn for_each_ngram_hash(chars: &[char], n: usize, seed: u64, mut f: impl FnMut(u64)) {
    if chars.is_empty() {
        return;
    }
    if n == 2 {
        // The common case, without a buffer: the same bytes as below.
        if chars.len() < 2 {
            f(xxhash_rust::xxh3::xxh3_64_with_seed(&(chars[0] as u32).to_le_bytes(), seed));
        }
        for g in chars.windows(2) {
            let bytes = (u64::from(g[0] as u32) | u64::from(g[1] as u32) << 32).to_le_bytes();
            f(xxhash_rust::xxh3::xxh3_64_with_seed(&bytes, seed));
        }
        return;
    }
    let mut buf = Vec::with_capacity(n * 4);
    let mut gram = |g: &[char]| {
        buf.clear();
        buf.extend(g.iter().flat_map(|&c| (c as u32).to_le_bytes()));
        xxhash_rust::xxh3::xxh3_64_with_seed(&buf, seed)
    };
    if chars.len() < n {
        f(gram(chars));
        return;
    }
    for g in chars.windows(n) {
        f(gram(g));
    }
}

/// The distinct n-gram hashes of a text's Han characters, sorted (for exact Jaccard).
pub fn ngram_set(text: &str, n: usize) -> Vec<u64> {
    ngram_set_of_chars(&normalized_chars(text), n)
}

/// [`ngram_set`] of characters already reduced by [`normalized_chars`].
fn ngram_set_of_chars(chars: &[char], n: usize) -> Vec<u64> {
    let mut hashes = ngram_hashes(chars, n.max(1), 0);
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

/// The Jaccard similarity of two sorted, distinct sets.
pub fn sorted_jaccard(a: &[u64], b: &[u64]) -> f64 {
    let (mut i, mut j, mut shared) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - shared;
    if union == 0 { 0.0 } else { shared as f64 / union as f64 }
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
    sorted_jaccard(&ngram_set(a, n), &ngram_set(b, n))
}

/// [`exact_jaccard`] of characters already reduced by [`normalized_chars`].
pub fn exact_jaccard_of_chars(a: &[char], b: &[char], n: usize) -> f64 {
    sorted_jaccard(&ngram_set_of_chars(a, n), &ngram_set_of_chars(b, n))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::testing::XorShift;

    const POEM: &str =
        "秦川雄帝宅，函谷壯皇居。綺殿千尋起，離宮百雉餘。連甍遙接漢，飛觀迥凌虛。雲日隱層闕，風煙出綺疏。";

    #[test]
    fn identical_texts_have_identical_signatures_and_band_keys() {
        let c = MinHashConfig::default();
        let h = MinHasher::new(c);
        let a = h.signature(POEM).expect("han text");
        let b = h.signature(&POEM.replace('，', ",\n")).expect("han text");
        assert_eq!(a.len(), c.permutations());
        assert_eq!(a, b, "punctuation and line breaks do not count");
        assert_eq!(h.band_keys(&a), h.band_keys(&b));
        assert_eq!(h.band_keys(&a).len(), c.bands);
        assert_eq!(estimated_jaccard(&a, &b), 1.0);
        assert!(h.signature("hello, world").is_none());
    }

    #[test]
    fn estimates_follow_the_exact_jaccard() {
        // Random edits of a poem: the estimate from 112 permutations has a standard error
        // of at most √(0.25/112) ≈ 0.047; 0.2 is over four of them (the seeds are fixed,
        // so this is deterministic, not flaky).
        let c = MinHashConfig::default();
        let h = MinHasher::new(c);
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
            let estimate = estimated_jaccard(&h.signature(POEM).expect("han"), &h.signature(&other).expect("han"));
            assert!((exact - estimate).abs() < 0.2, "edits {edits}: exact {exact:.3}, estimate {estimate:.3}");
        }
    }

    #[test]
    fn short_texts_fill_every_position_without_bias() {
        // Texts of 8–60 characters have fewer bigrams than the 120 positions: every empty
        // position is filled, and over 400 random pairs the estimate is unbiased (mean
        // error within 0.02 of the exact Jaccard; the seeds are fixed).
        let c = MinHashConfig::default();
        let h = MinHasher::new(c);
        let mut rng = XorShift::new(11);
        let han = |rng: &mut XorShift| char::from_u32(0x4E00 + rng.below(2_000) as u32).unwrap_or('一');
        let mut error = 0.0;
        for _ in 0..400 {
            let len = 8 + rng.below(53) as usize;
            let a: Vec<char> = (0..len).map(|_| han(&mut rng)).collect();
            let mut b = a.clone();
            for _ in 0..rng.below(len as u64 / 2 + 1) {
                let i = rng.below(b.len() as u64) as usize;
                b[i] = han(&mut rng);
            }
            let (sa, sb) = (h.signature_of_chars(&a).expect("han"), h.signature_of_chars(&b).expect("han"));
            assert!(!sa.contains(&u32::MAX) || a.len() < 2, "an empty position");
            let (a, b): (String, String) = (a.into_iter().collect(), b.into_iter().collect());
            error += estimated_jaccard(&sa, &sb) - exact_jaccard(&a, &b, c.ngram);
        }
        assert!((error / 400.0).abs() < 0.02, "mean error {:.4}", error / 400.0);
        let one = h.signature("天地").expect("han");
        assert!(one.iter().all(|&v| v == one[0]), "one bigram fills every position with its value");
    }

    #[test]
    fn near_duplicates_share_a_band_and_unrelated_texts_do_not() {
        let c = MinHashConfig { ngram: 5, ..MinHashConfig::default() };
        let h = MinHasher::new(c);
        // One character changed removes up to five 5-grams: a 38-character poem falls to
        // J ≈ 0.76, a text twice as long stays above 0.8.
        let base = format!("{POEM}{}", "太宗文皇帝御製詩，唐詩之首，正殿之作，百官同賀，詞臣奉和，千古傳誦。");
        let near = base.replacen('壯', "状", 1);
        let other = "床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。";
        let keys = |t: &str| -> HashSet<u64> { h.band_keys(&h.signature(t).expect("han")).into_iter().collect() };
        assert!(exact_jaccard(&base, &near, 5) > 0.8, "{}", exact_jaccard(&base, &near, 5));
        assert!(!keys(&base).is_disjoint(&keys(&near)));
        assert!(keys(&base).is_disjoint(&keys(other)));
    }

    /// The signature as defined, with nothing computed ahead: every n-gram's bytes hashed
    /// from a buffer, and every empty position probing from its first attempt.
    fn reference_signature(h: &MinHasher, chars: &[char]) -> Option<Vec<u32>> {
        let (n, k) = (h.config.ngram.max(1), h.config.permutations());
        let grams: Vec<&[char]> = if chars.len() < n { vec![chars] } else { chars.windows(n).collect() };
        if chars.is_empty() {
            return None;
        }
        let (mut sig, mut filled) = (vec![u32::MAX; k], vec![false; k]);
        for g in grams {
            let bytes: Vec<u8> = g.iter().flat_map(|&c| (c as u32).to_le_bytes()).collect();
            let v = xxhash_rust::xxh3::xxh3_64_with_seed(&bytes, h.config.seed);
            let bin = (((v >> 32) * k as u64) >> 32) as usize;
            sig[bin] = sig[bin].min(v as u32);
            filled[bin] = true;
        }
        let mut out = sig.clone();
        for i in (0..k).filter(|&i| !filled[i]) {
            let j = (0..).map(|a| h.probe(i, a, k)).find(|&j| filled[j]).expect("a non-empty position");
            out[i] = sig[j];
        }
        Some(out)
    }

    /// Signatures equal their definition for texts of every length (one character to many
    /// times the positions) and every n-gram size, with few or many positions: the probes
    /// computed ahead and the bigram fast path change nothing.
    #[test]
    fn signatures_equal_their_definition() {
        let mut rng = XorShift::new(5);
        for (ngram, bands, rows) in [(2, 20, 6), (1, 4, 2), (3, 20, 6), (5, 14, 8), (2, 1, 1), (2, 64, 8)] {
            let h = MinHasher::new(MinHashConfig { ngram, bands, rows, ..MinHashConfig::default() });
            for _ in 0..300 {
                let len = match rng.below(4) {
                    0 => 1 + rng.below(4) as usize,
                    1 => 5 + rng.below(40) as usize,
                    _ => 1 + rng.below(600) as usize,
                };
                let chars: Vec<char> =
                    (0..len).map(|_| char::from_u32(0x4E00 + rng.below(300) as u32).unwrap_or('一')).collect();
                assert_eq!(
                    h.signature_of_chars(&chars),
                    reference_signature(&h, &chars),
                    "{ngram} {bands}×{rows}, {len}"
                );
            }
            assert_eq!(h.signature_of_chars(&[]), None);
        }
    }
}
