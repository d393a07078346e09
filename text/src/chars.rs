//! Character classes (Han, CJK punctuation, placeholders, spaces) and the per-character
//! maps of punctuation and compatibility forms.

/// Whether `c` is a Han ideograph (CJK Unified Ideographs, extensions A–I, compatibility, 〇).
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2A6DF | 0x2A700..=0x2EE5F | 0x2F800..=0x2FA1F | 0x30000..=0x323AF | 0x3007)
}

/// CJK punctuation and fullwidth forms (the ideographic space excluded), and the general
/// punctuation Chinese text uses (… — “ ” ‘ ’ ·).
pub fn is_cjk_punct(c: char) -> bool {
    matches!(c as u32, 0x3001..=0x303F | 0xFF01..=0xFF0F | 0xFF1A..=0xFF20 | 0xFF3B..=0xFF40 | 0xFF5B..=0xFF65 | 0xFE10..=0xFE19 | 0xFE30..=0xFE6B)
        || matches!(c, '…' | '—' | '“' | '”' | '‘' | '’' | '·' | '⋯')
}

/// Han characters and CJK punctuation: no space belongs between two of them.
pub fn is_han_or_cjk_punct(c: char) -> bool {
    is_han(c) || is_cjk_punct(c) || c == '\u{3000}'
}

/// Zero-width characters and the soft hyphen: removed.
pub fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}')
}

/// Horizontal whitespace, the ideographic space included.
pub fn is_hspace(c: char) -> bool {
    c != '\n' && c.is_whitespace()
}

/// Placeholders for characters the source could not render or read.
pub fn is_placeholder(c: char) -> bool {
    matches!(c, '□' | '〓' | '\u{FFFD}')
}

/// The unified form of a compatibility character: Kangxi radicals and the two CJK radical
/// supplement characters with a compatibility decomposition (OCR engines emit ⼈ for 人),
/// and fullwidth Latin letters and digits. CJK compatibility ideographs (U+F900…) are
/// canonical singletons and NFC already maps them.
pub fn compat(c: char) -> Option<char> {
    match c as u32 {
        0x2F00..=0x2FD5 | 0x2E9F | 0x2EF3 => {
            let mut out = None;
            unicode_normalization::char::decompose_compatible(c, |d| {
                if out.is_none() {
                    out = Some(d);
                }
            });
            out.filter(|&d| d != c)
        }
        0xFF10..=0xFF19 | 0xFF21..=0xFF3A | 0xFF41..=0xFF5A => char::from_u32(c as u32 - 0xFEE0),
        _ => None,
    }
}

/// Presentation forms (vertical, small, halfwidth) of CJK punctuation: the standard
/// fullwidth mark. Applied whenever the punctuation style is not `keep`.
pub fn punct_form(c: char) -> Option<char> {
    Some(match c {
        '︐' | '﹐' => '，',
        '︑' | '﹑' | '､' => '、',
        '︒' | '﹒' | '｡' => '。',
        '︓' | '﹕' => '：',
        '︔' | '﹔' => '；',
        '︕' | '﹗' => '！',
        '︖' | '﹖' => '？',
        '︗' => '〖',
        '︘' => '〗',
        '︙' | '⋯' => '…',
        '︵' | '﹙' => '（',
        '︶' | '﹚' => '）',
        '︷' | '﹛' => '｛',
        '︸' | '﹜' => '｝',
        '︹' | '﹝' => '〔',
        '︺' | '﹞' => '〕',
        '︻' => '【',
        '︼' => '】',
        '︽' => '《',
        '︾' => '》',
        '︿' => '〈',
        '﹀' => '〉',
        '﹁' | '｢' => '「',
        '﹂' | '｣' => '」',
        '﹃' => '『',
        '﹄' => '』',
        '﹇' => '［',
        '﹈' => '］',
        _ => return None,
    })
}

/// The fullwidth form of ASCII punctuation used in Chinese context.
pub fn fullwidth_punct(c: char) -> Option<char> {
    Some(match c {
        ',' => '，',
        ';' => '；',
        ':' => '：',
        '?' => '？',
        '!' => '！',
        '(' => '（',
        ')' => '）',
        '[' => '［',
        ']' => '］',
        '{' => '｛',
        '}' => '｝',
        _ => return None,
    })
}

/// Punctuation that a run of repeats collapses to one of.
pub fn collapses(c: char) -> bool {
    matches!(c, '，' | '。' | '、' | '；' | '：' | '？' | '！')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compat_maps_kangxi_radicals_and_fullwidth_alphanumerics() {
        assert_eq!(compat('⼈'), Some('人'));
        assert_eq!(compat('⾔'), Some('言'));
        assert_eq!(compat('１'), Some('1'));
        assert_eq!(compat('Ａ'), Some('A'));
        assert_eq!(compat('，'), None);
        assert_eq!(compat('人'), None);
    }
}
