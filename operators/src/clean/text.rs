//! Pure text functions of the clean stage.

use std::borrow::Cow;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// Whether `c` is a Han ideograph (CJK Unified Ideographs, extensions A–I, compatibility).
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2A6DF | 0x2A700..=0x2EE5F | 0x2F800..=0x2FA1F | 0x30000..=0x323AF | 0x3007)
}

fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}')
}

/// Horizontal whitespace, the ideographic space included.
fn is_hspace(c: char) -> bool {
    c != '\n' && c.is_whitespace()
}

/// Cleans `raw`. With `join_layout_lines`, a single line break between two Han characters
/// is removed (the line was broken by layout); blank lines always separate paragraphs.
pub fn clean_text(raw: &str, join_layout_lines: bool) -> String {
    // NFC, line endings, control and zero-width characters.
    // Most input is already NFC: the quick check skips the normalising iterator.
    let nfc: Cow<str> = if is_nfc_quick(raw.chars()) == IsNormalized::Yes {
        Cow::Borrowed(raw)
    } else {
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
            c => s.push(c),
        }
    }

    // Per line: trim, collapse spaces, drop spaces between Han characters.
    let mut lines: Vec<String> = Vec::new();
    for line in s.split('\n') {
        let mut out = String::with_capacity(line.len());
        let mut pending_space = false;
        for c in line.trim_matches(is_hspace).chars() {
            if is_hspace(c) {
                pending_space = true;
                continue;
            }
            if pending_space {
                let prev_han = out.chars().next_back().is_some_and(is_han_or_fullwidth);
                if !(prev_han && is_han_or_fullwidth(c)) {
                    out.push(' ');
                }
                pending_space = false;
            }
            out.push(c);
        }
        lines.push(out);
    }

    // Reassemble: at most one blank line between paragraphs; join layout breaks.
    let mut out = String::with_capacity(s.len());
    let mut blank_run = 0usize;
    for line in lines {
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

/// Han characters and fullwidth CJK punctuation: no space belongs between two of them.
fn is_han_or_fullwidth(c: char) -> bool {
    is_han(c) || matches!(c as u32, 0x3000..=0x303F | 0xFF00..=0xFFEF)
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

    proptest! {
        #[test]
        fn clean_is_idempotent(s in "\\PC*", join in any::<bool>()) {
            let once = clean_text(&s, join);
            prop_assert_eq!(clean_text(&once, join), once);
        }

        #[test]
        fn clean_never_panics_on_arbitrary_strings(s in any::<String>()) {
            let _ = clean_text(&s, true);
        }
    }
}
