//! The character tables, compiled in from `text/data/` (built by
//! `scripts/data/build_lexicons.py` from Unihan and `yitizi`; see the README there).

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::tsv;

const VARIANTS: &str = include_str!("../data/variants.tsv");
const T2S: &str = include_str!("../data/t2s.tsv");
const SCRIPT: &str = include_str!("../data/script.tsv");
const SEARCH_FOLD: &str = include_str!("../data/search_fold.tsv");

/// A map from characters to values, dense over the Basic Multilingual Plane.
pub struct CharMap<V: Copy + Default + PartialEq> {
    bmp: Vec<V>,
    astral: HashMap<char, V>,
}

impl<V: Copy + Default + PartialEq> CharMap<V> {
    fn new() -> Self {
        CharMap { bmp: vec![V::default(); 0x10000], astral: HashMap::new() }
    }

    fn insert(&mut self, c: char, v: V) {
        match self.bmp.get_mut(c as usize) {
            Some(slot) => *slot = v,
            None => {
                self.astral.insert(c, v);
            }
        }
    }

    /// The value of `c`, or `None` when it has none.
    #[inline]
    pub fn get(&self, c: char) -> Option<V> {
        let v = match self.bmp.get(c as usize) {
            Some(v) => *v,
            None => self.astral.get(&c).copied().unwrap_or_default(),
        };
        (v != V::default()).then_some(v)
    }
}

fn one_char(s: &str) -> Option<char> {
    let mut it = s.chars();
    let c = it.next()?;
    it.next().is_none().then_some(c)
}

/// Variant character → its standard form.
pub static VARIANT_MAP: LazyLock<CharMap<char>> = LazyLock::new(|| {
    let mut m = CharMap::new();
    for r in tsv(VARIANTS) {
        if let (Some(v), Some(s)) = (r.first().and_then(|s| one_char(s)), r.get(1).and_then(|s| one_char(s))) {
            m.insert(v, s);
        }
    }
    m
});

/// Traditional → (simplified, whether names may keep the character itself: 乾 is 干 in
/// 乾燥 but stays 乾 in 乾隆), one character at a time.
pub static T2S_MAP: LazyLock<CharMap<(char, bool)>> = LazyLock::new(|| {
    let mut m = CharMap::new();
    for r in tsv(T2S) {
        if let (Some(t), Some(s)) = (r.first().and_then(|s| one_char(s)), r.get(1).and_then(|s| one_char(s))) {
            m.insert(t, (s, r.get(2) == Some(&"true")));
        }
    }
    m
});

/// The script a character belongs to only: 1 traditional, 2 simplified.
pub static SCRIPT_MAP: LazyLock<CharMap<u8>> = LazyLock::new(|| {
    let mut m = CharMap::new();
    for r in tsv(SCRIPT) {
        if let Some(c) = r.first().and_then(|s| one_char(s)) {
            match r.get(1) {
                Some(&"hant") => m.insert(c, 1),
                Some(&"hans") => m.insert(c, 2),
                _ => {}
            }
        }
    }
    m
});

/// Character → the form search folds it to, where variant-then-simplified folding would
/// leave it outside the 通用规范汉字表 although a variant of it is inside (遊 → 游, 喫 → 吃,
/// 箇 → 个, 絃 → 弦, 巖 → 岩, 歎 → 叹).
pub static SEARCH_FOLD_MAP: LazyLock<CharMap<char>> = LazyLock::new(|| {
    let mut m = CharMap::new();
    for r in tsv(SEARCH_FOLD) {
        if let (Some(c), Some(f)) = (r.first().and_then(|s| one_char(s)), r.get(1).and_then(|s| one_char(s))) {
            m.insert(c, f);
        }
    }
    m
});

/// Simplified form of `c` outside names.
#[inline]
pub fn simplify_char(c: char) -> char {
    T2S_MAP.get(c).map_or(c, |(s, _)| s)
}

/// The form search compares: the standard form of a variant, then its simplified form, so
/// 爲, 為 and 为 are one character to an index and its queries; a character that folding
/// leaves outside the 通用规范汉字表 goes to the simplified form of a variant inside it
/// ([`SEARCH_FOLD_MAP`]: 遊 and 游, 喫 and 吃 are one character too).
#[inline]
pub fn fold_char(c: char) -> char {
    SEARCH_FOLD_MAP.get(c).unwrap_or_else(|| simplify_char(VARIANT_MAP.get(c).unwrap_or(c)))
}

/// Simplified form of `c` inside a name: a character that is its own simplified form in
/// some uses keeps itself.
#[inline]
pub fn simplify_name_char(c: char) -> char {
    match T2S_MAP.get(c) {
        Some((_, true)) | None => c,
        Some((s, false)) => s,
    }
}
