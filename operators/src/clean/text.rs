//! Pure text functions of the clean stage.

use std::borrow::Cow;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};
use wenflow_engine::{CleanRule, Script};

use super::config::{CleanConfig, PunctuationStyle};
use super::quality::{Quality, measure};
use super::{Changes, pages, pii, simplify};
use wenflow_text::chars::{
    collapses, compat, fullwidth_punct, is_cjk_punct, is_han, is_han_or_cjk_punct, is_hspace, is_placeholder,
    is_zero_width, punct_form,
};
use wenflow_text::tables::{SCRIPT_MAP, VARIANT_MAP};

/// A cleaned document text and what cleaning did to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Cleaned {
    /// The clean text.
    pub text: String,
    /// The simplified copy, when configured.
    pub simplified: Option<String>,
    /// The script of the text.
    pub script: Script,
    /// Quality measures and score.
    pub quality: Quality,
    /// Changes per rule.
    pub changes: Changes,
    /// Why the quality filter rejects the document, if it does.
    pub filtered: Option<String>,
}

/// Cleans one document's raw text. `layout` says its line breaks come from page layout
/// (then page furniture is removed and lines broken between Han characters are joined).
pub fn clean_document(raw: &str, layout: bool, config: &CleanConfig) -> Cleaned {
    let mut changes = Changes::default();
    let original_chars = raw.chars().filter(|c| !c.is_whitespace()).count();
    let paged =
        if layout && config.debris { Cow::Owned(pages::strip_pages(raw, &mut changes)) } else { Cow::Borrowed(raw) };
    let mut text = normalize_space(&normalize_chars(&paged, &mut changes), layout);
    // The rules can enable each other (removing debris puts a comma next to a Han
    // character); repeat until nothing changes, so that cleaning is idempotent.
    for round in 0..4 {
        let (next, changed) = apply_rules(text, layout, config, round == 0, &mut changes);
        text = next;
        if !changed {
            break;
        }
    }
    let placeholders = text.chars().filter(|&c| is_placeholder(c)).count();
    changes.add(CleanRule::Placeholder, placeholders as u32);
    let quality = measure(&text, original_chars, &changes);
    let filtered = quality.reject(&config.quality);
    let script = script_of(&text);
    let simplified = config.simplified.then(|| simplify::simplify(&text));
    Cleaned { text, simplified, script, quality, changes, filtered }
}

/// One round of the rules after the character and whitespace normalisation. Returns the
/// text and whether any rule changed it (an unchanged text is not copied).
fn apply_rules(text: String, layout: bool, config: &CleanConfig, first: bool, changes: &mut Changes) -> (String, bool) {
    let mut s = text;
    let mut changed = false;
    if let Some(masked) = pii::apply(&s, &config.pii, first, changes) {
        s = masked;
        changed = true;
    }
    // One pass tells which rules can change anything.
    let (mut punct, mut debris, mut variants) = (false, false, false);
    for c in s.chars() {
        punct |= needs_punctuation(c);
        debris |= is_debris(c) || collapses(c) || c == '…' || c == '—';
        variants |= VARIANT_MAP.get(c).is_some();
    }
    if config.punctuation != PunctuationStyle::Keep && punct {
        let before = changes.get(CleanRule::Punctuation);
        let next = unify_punctuation(&s, config.punctuation, changes);
        if changes.get(CleanRule::Punctuation) != before {
            s = next;
            changed = true;
        }
    }
    if config.debris && debris {
        let before = changes.get(CleanRule::Debris) + changes.get(CleanRule::RepeatedPunctuation);
        let next = remove_debris(&s, changes);
        if changes.get(CleanRule::Debris) + changes.get(CleanRule::RepeatedPunctuation) != before {
            s = next;
            changed = true;
        }
    }
    if config.variants && variants {
        s = map_variants(&s, changes);
        changed = true;
    }
    if config.drop_placeholders && s.chars().any(is_placeholder) {
        let before = s.chars().count();
        s.retain(|c| !is_placeholder(c));
        changes.add(CleanRule::PlaceholderDropped, (before - s.chars().count()) as u32);
        changed = true;
    }
    // The input went through `normalize_space`; only a changed text needs it again.
    if changed { (normalize_space(&s, layout), true) } else { (s, false) }
}

/// Whether the punctuation rule may change `c`.
fn needs_punctuation(c: char) -> bool {
    is_ascii_cjk_punct(c)
        || punct_form(c).is_some()
        || matches!(c, '“' | '”' | '‘' | '’' | '〝' | '〞' | '〟' | '「' | '」' | '『' | '』')
}

/// Cleans `raw` with the default options and returns the text: NFC, compatibility forms,
/// punctuation, debris, variants, whitespace and layout joins.
pub fn clean_text(raw: &str, join_layout_lines: bool) -> String {
    clean_document(raw, join_layout_lines, &CleanConfig { simplified: false, ..CleanConfig::default() }).text
}

/// NFC, line endings, control and zero-width characters, compatibility forms.
fn normalize_chars(raw: &str, changes: &mut Changes) -> String {
    // Most input is already NFC: the quick check skips the normalising iterator.
    let mut compat_count = 0u32;
    let nfc: Cow<str> = if is_nfc_quick(raw.chars()) == IsNormalized::Yes {
        Cow::Borrowed(raw)
    } else {
        // CJK compatibility ideographs are canonical singletons: NFC maps them; count them.
        compat_count += raw.chars().filter(|&c| is_compat_ideograph(c)).count() as u32;
        Cow::Owned(raw.nfc().collect())
    };
    let mut s = String::with_capacity(raw.len());
    let mut chars = nfc.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    s.push('\n');
                }
            }
            '\u{2028}' | '\u{2029}' => s.push('\n'),
            '\n' | '\t' => s.push(c),
            c if c.is_control() || is_zero_width(c) => {}
            c => match compat(c) {
                Some(u) => {
                    compat_count += 1;
                    s.push(u);
                }
                None => s.push(c),
            },
        }
    }
    changes.add(CleanRule::Compat, compat_count);
    s
}

/// A CJK compatibility ideograph that NFC maps to a unified one (the twelve unified
/// ideographs in the block excepted).
fn is_compat_ideograph(c: char) -> bool {
    matches!(c as u32, 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
        && !matches!(
            c as u32,
            0xFA0E | 0xFA0F | 0xFA11 | 0xFA13 | 0xFA14 | 0xFA1F | 0xFA21 | 0xFA23 | 0xFA24 | 0xFA27 | 0xFA28 | 0xFA29
        )
        && !matches!(c as u32, 0xFA6E..=0xFA6F | 0xFADA..=0xFAFF)
}

/// Per line: trim, collapse spaces, no space between Han characters or CJK punctuation;
/// at most one blank line between paragraphs; with `join_layout_lines`, a single line
/// break between two Han characters is removed.
fn normalize_space(s: &str, join_layout_lines: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank_run = 0usize;
    let mut line = String::new();
    for raw_line in s.split('\n') {
        line.clear();
        let mut pending_space = false;
        for c in raw_line.trim_matches(is_hspace).chars() {
            if is_hspace(c) {
                pending_space = true;
                continue;
            }
            if pending_space {
                let prev = line.chars().next_back().is_some_and(is_han_or_cjk_punct);
                if !(prev && is_han_or_cjk_punct(c)) {
                    line.push(' ');
                }
                pending_space = false;
            }
            line.push(c);
        }
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            if blank_run > 0 {
                out.push_str("\n\n");
            } else {
                let prev = out.chars().next_back();
                let next = line.chars().next();
                let join = join_layout_lines && prev.is_some_and(is_han) && next.is_some_and(is_han);
                if !join {
                    out.push('\n');
                }
            }
        }
        blank_run = 0;
        out.push_str(&line);
    }
    out
}

/// Punctuation to one style: presentation forms to standard marks; ASCII punctuation next
/// to Han characters to fullwidth (`...` to `……`); quotes to corner or curly quotes.
fn unify_punctuation(s: &str, style: PunctuationStyle, changes: &mut Changes) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut count = 0u32;
    let mut open_double = false;
    let mut open_single = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // A run of ASCII punctuation is converted as a whole when a Han character or a CJK
        // mark touches it.
        if is_ascii_cjk_punct(c) {
            let mut j = i;
            while j < chars.len() && is_ascii_cjk_punct(chars[j]) {
                j += 1;
            }
            let before = out.chars().next_back();
            let after = chars.get(j).copied();
            let han_before = before.is_some_and(is_han_or_cjk_punct);
            let han_after = after.is_some_and(is_han_or_cjk_punct);
            if han_before || han_after {
                let run = &chars[i..j];
                let mut k = 0;
                while k < run.len() {
                    let r = run[k];
                    if r == '.' {
                        let dots = run[k..].iter().take_while(|&&d| d == '.').count();
                        if dots >= 2 {
                            out.push_str("……");
                            count += dots as u32;
                        } else if han_before || k > 0 {
                            out.push('。');
                            count += 1;
                        } else {
                            out.push('.');
                        }
                        k += dots;
                        continue;
                    }
                    match r {
                        '"' => {
                            out.push(quote(style, true, !open_double));
                            open_double = !open_double;
                        }
                        '\'' => {
                            out.push(quote(style, false, !open_single));
                            open_single = !open_single;
                        }
                        _ => out.push(fullwidth_punct(r).unwrap_or(r)),
                    }
                    count += 1;
                    k += 1;
                }
                i = j;
                continue;
            }
            out.extend(&chars[i..j]);
            i = j;
            continue;
        }
        let mapped = punct_form(c).or_else(|| {
            let cjk_context = out.chars().next_back().is_some_and(is_han_or_cjk_punct)
                || chars.get(i + 1).copied().is_some_and(is_han_or_cjk_punct);
            if !cjk_context {
                return None;
            }
            match (style, c) {
                (PunctuationStyle::Corner, '“' | '〝') => Some('「'),
                (PunctuationStyle::Corner, '”' | '〞' | '〟') => Some('」'),
                (PunctuationStyle::Corner, '‘') => Some('『'),
                (PunctuationStyle::Corner, '’') => Some('』'),
                (PunctuationStyle::Curly, '「' | '〝') => Some('“'),
                (PunctuationStyle::Curly, '」' | '〞' | '〟') => Some('”'),
                (PunctuationStyle::Curly, '『') => Some('‘'),
                (PunctuationStyle::Curly, '』') => Some('’'),
                _ => None,
            }
        });
        match mapped {
            Some(m) => {
                out.push(m);
                count += 1;
            }
            None => out.push(c),
        }
        i += 1;
    }
    changes.add(CleanRule::Punctuation, count);
    out
}

fn is_ascii_cjk_punct(c: char) -> bool {
    matches!(c, ',' | '.' | ';' | ':' | '?' | '!' | '(' | ')' | '[' | ']' | '{' | '}' | '"' | '\'')
}

fn quote(style: PunctuationStyle, double: bool, open: bool) -> char {
    match (style, double, open) {
        (PunctuationStyle::Curly, true, true) => '“',
        (PunctuationStyle::Curly, true, false) => '”',
        (PunctuationStyle::Curly, false, true) => '‘',
        (PunctuationStyle::Curly, false, false) => '’',
        (_, true, true) => '「',
        (_, true, false) => '」',
        (_, false, true) => '『',
        (_, false, false) => '』',
    }
}

/// A character OCR leaves as debris amid Han text: ASCII letters, digits and symbols
/// (not the punctuation the punctuation rule handles, not a mask's `*`).
fn is_debris(c: char) -> bool {
    c.is_ascii_graphic() && c != '*' && !is_ascii_cjk_punct(c)
}

/// Removes stray runs of at most three Latin letters, digits or symbols between Han
/// characters (a digit run before 年, 月, 日, 卷 and the like is a number, and stays), and
/// collapses runs of repeated punctuation (`。。` → `。`, `……….` → `……`).
fn remove_debris(s: &str, changes: &mut Changes) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let (mut debris, mut repeated) = (0u32, 0u32);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_debris(c) {
            // The run: debris characters and the spaces between them.
            let mut j = i;
            let mut n = 0;
            while j < chars.len() && (is_debris(chars[j]) || chars[j] == ' ') {
                n += usize::from(chars[j] != ' ');
                j += 1;
            }
            let before = out.trim_end_matches(' ').chars().next_back();
            let after = chars.get(j).copied();
            let han_side = before.is_some_and(is_han) || after.is_some_and(is_han);
            let both_cjk = before.is_some_and(is_han_or_cjk_punct) && after.is_some_and(is_han_or_cjk_punct);
            let number = chars[i..j].iter().all(|c| c.is_ascii_digit() || *c == ' ')
                && after.is_some_and(|a| "年月日號号歲岁卷章頁页回期".contains(a));
            if n <= 3 && han_side && both_cjk && !number {
                debris += n as u32;
                while out.ends_with(' ') {
                    out.pop();
                }
                i = j;
                continue;
            }
            out.extend(&chars[i..j]);
            i = j;
            continue;
        }
        if collapses(c) && chars.get(i + 1) == Some(&c) {
            let n = chars[i..].iter().take_while(|&&d| d == c).count();
            out.push(c);
            repeated += n as u32 - 1;
            i += n;
            continue;
        }
        if c == '…' || c == '—' {
            let n = chars[i..].iter().take_while(|&&d| d == c).count();
            if n > 2 {
                out.push(c);
                out.push(c);
                repeated += n as u32 - 2;
                i += n;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    changes.add(CleanRule::Debris, debris);
    changes.add(CleanRule::RepeatedPunctuation, repeated);
    out
}

/// Variant characters to their standard form.
fn map_variants(s: &str, changes: &mut Changes) -> String {
    let mut count = 0u32;
    let out = s
        .chars()
        .map(|c| match VARIANT_MAP.get(c) {
            Some(v) => {
                count += 1;
                v
            }
            None => c,
        })
        .collect();
    changes.add(CleanRule::Variant, count);
    out
}

/// The script of `text`: traditional if it has more traditional-only than
/// simplified-only characters, simplified if fewer, Han if as many (or none of either).
pub fn script_of(text: &str) -> Script {
    let (mut han, mut hant, mut hans) = (0usize, 0usize, 0usize);
    for c in text.chars() {
        if is_han(c) {
            han += 1;
            match SCRIPT_MAP.get(c) {
                Some(1) => hant += 1,
                Some(2) => hans += 1,
                _ => {}
            }
        }
    }
    match (han, hant.cmp(&hans)) {
        (0, _) => Script::Other,
        (_, std::cmp::Ordering::Greater) => Script::Hant,
        (_, std::cmp::Ordering::Less) => Script::Hans,
        _ => Script::Hani,
    }
}

/// The content hash of a cleaned text: 128-bit xxh3 of the text without whitespace, hex.
pub fn content_hash(clean: &str) -> String {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut buf = [0u8; 4];
    for c in clean.chars().filter(|c| !c.is_whitespace()) {
        hasher.update(c.encode_utf8(&mut buf).as_bytes());
    }
    format!("{:032x}", hasher.digest128())
}

/// Whether `c` is punctuation (ASCII or CJK), for the quality measures.
pub fn is_punct(c: char) -> bool {
    c.is_ascii_punctuation() || is_cjk_punct(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn joins_layout_breaks_between_han_only() {
        assert_eq!(clean_text("天地玄\n黃宇宙", true), "天地玄黃宇宙");
        assert_eq!(clean_text("天地玄\n黃宇宙", false), "天地玄\n黃宇宙");
        assert_eq!(clean_text("天地。\n玄黃", true), "天地。\n玄黃");
        assert_eq!(clean_text("abc\ndef", true), "abc\ndef");
    }

    #[test]
    fn keeps_fullwidth_punctuation_and_paragraphs() {
        assert_eq!(clean_text("  床前明月光，\r\n\r\n\r\n疑是地上霜？ ", true), "床前明月光，\n\n疑是地上霜？");
    }

    #[test]
    fn removes_spaces_between_han_and_controls() {
        assert_eq!(clean_text("天 地\u{200B}玄　黃 hello  world\u{7}", true), "天地玄黃 hello world");
    }

    #[test]
    fn nfc_composes() {
        assert_eq!(clean_text("e\u{301}", true), "\u{e9}");
    }

    #[test]
    fn hash_ignores_line_breaks() {
        assert_eq!(content_hash("秦川雄帝宅，\n函谷壯皇居。"), content_hash("秦川雄帝宅，函谷壯皇居。"));
        assert_ne!(content_hash("秦川"), content_hash("秦州"));
    }

    #[test]
    fn script_detection() {
        assert_eq!(script_of("國破山河在"), Script::Hant);
        assert_eq!(script_of("国破山河在"), Script::Hans);
        assert_eq!(script_of("山河"), Script::Hani);
        assert_eq!(script_of("hello"), Script::Other);
    }

    proptest! {
        #[test]
        fn clean_is_idempotent(s in "\\PC*", layout in any::<bool>()) {
            let once = clean_text(&s, layout);
            prop_assert_eq!(clean_text(&once, layout), once);
        }

        #[test]
        fn clean_is_idempotent_on_cjk_mixtures(
            s in proptest::collection::vec(prop_oneof![
                Just("天"), Just("地"), Just("，"), Just(","), Just("."), Just("。"), Just(" "), Just("\n"), Just("a"),
                Just("7"), Just("□"), Just("\""), Just("“"), Just("…"), Just("——"), Just("13812345678"), Just("@"),
                Just("x.com"), Just("年"), Just("\u{c}"), Just("12"), Just("爲"), Just("⼈"), Just("︐"),
            ], 0..40).prop_map(|v| v.concat()),
            layout in any::<bool>(),
        ) {
            let once = clean_text(&s, layout);
            prop_assert_eq!(clean_text(&once, layout), once);
        }

        #[test]
        fn clean_never_panics_on_arbitrary_strings(s in any::<String>()) {
            let _ = clean_document(&s, true, &CleanConfig::default());
        }
    }
}
