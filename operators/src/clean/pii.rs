//! Personal data: phone numbers, e-mail addresses, Chinese ID card numbers (check digit
//! verified) and bank card numbers (Luhn verified), each kept, masked or dropped by policy.
//!
//! Every match is ASCII, so byte and character offsets agree inside a match, and a mask
//! (`*` per character) keeps the offsets of everything after it.

use wenflow_engine::CleanRule;

use super::Changes;
use super::config::{PiiPolicies, Policy};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Phone,
    Email,
    IdCard,
    BankCard,
}

impl Kind {
    fn rule(self) -> CleanRule {
        match self {
            Kind::Phone => CleanRule::PiiPhone,
            Kind::Email => CleanRule::PiiEmail,
            Kind::IdCard => CleanRule::PiiIdCard,
            Kind::BankCard => CleanRule::PiiBankCard,
        }
    }

    fn policy(self, p: &PiiPolicies) -> Policy {
        match self {
            Kind::Phone => p.phone,
            Kind::Email => p.email,
            Kind::IdCard => p.id_card,
            Kind::BankCard => p.bank_card,
        }
    }
}

/// Finds personal data in `text`, counts it, and applies the policies. Returns `None`
/// when nothing is changed.
pub fn apply(text: &str, policies: &PiiPolicies, count: bool, changes: &mut Changes) -> Option<String> {
    let b = text.as_bytes();
    if !b.iter().any(|&c| c.is_ascii_digit() || c == b'@') {
        return None;
    }
    let found = find(b);
    if found.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut changed = false;
    for (start, end, kind) in found {
        if count {
            changes.add(kind.rule(), 1);
        }
        let policy = kind.policy(policies);
        if policy == Policy::Keep {
            continue;
        }
        changed = true;
        out.push_str(&text[at..start]);
        if policy == Policy::Mask {
            out.extend(std::iter::repeat_n('*', end - start));
        }
        at = end;
    }
    if !changed {
        return None;
    }
    out.push_str(&text[at..]);
    Some(out)
}

/// Matches as byte ranges, in order, not overlapping.
fn find(b: &[u8]) -> Vec<(usize, usize, Kind)> {
    let mut found = emails(b);
    let mut i = 0;
    while i < b.len() {
        let starts_number =
            b[i].is_ascii_digit() || (matches!(b[i], b'+' | b'(') && b.get(i + 1).is_some_and(u8::is_ascii_digit));
        if !starts_number || (i > 0 && (b[i - 1].is_ascii_alphanumeric())) {
            i += 1;
            continue;
        }
        let end = number_end(b, i);
        if found.iter().any(|&(s, e, _)| s < end && i < e) {
            i = end;
            continue;
        }
        let followed_by_word = b.get(end).is_some_and(|c| c.is_ascii_alphabetic() || *c == b'@');
        if !followed_by_word && let Some((e, kind)) = classify(b, i, end) {
            found.push((i, e, kind));
        }
        i = end.max(i + 1);
    }
    found.sort_unstable_by_key(|&(s, _, _)| s);
    found
}

/// End of a number token starting at `i`: digits with single separators (space, `-`,
/// parentheses) between them, an optional leading `+` or `(`, an optional final `X`.
fn number_end(b: &[u8], i: usize) -> usize {
    let mut j = i + 1;
    loop {
        match b.get(j) {
            Some(c) if c.is_ascii_digit() => j += 1,
            Some(b' ' | b'-' | b')' | b'(') if b.get(j + 1).is_some_and(u8::is_ascii_digit) => j += 1,
            Some(b')')
                if b.get(j + 1).is_some_and(|c| matches!(c, b' ' | b'-'))
                    && b.get(j + 2).is_some_and(u8::is_ascii_digit) =>
            {
                j += 2
            }
            Some(b'X' | b'x') if b[i..j].iter().filter(|c| c.is_ascii_digit()).count() == 17 => return j + 1,
            _ => return j,
        }
    }
}

fn classify(b: &[u8], start: usize, end: usize) -> Option<(usize, Kind)> {
    let token = &b[start..end];
    let digits: Vec<u8> = token.iter().filter(|c| c.is_ascii_digit()).map(|c| c - b'0').collect();
    let separated = token.iter().any(|c| !c.is_ascii_digit());
    let x_last = token.last().is_some_and(|c| matches!(c, b'X' | b'x'));
    if !separated || (x_last && token[..token.len() - 1].iter().all(u8::is_ascii_digit)) {
        let n = digits.len() + usize::from(x_last);
        if n == 18 && id_card_valid(&digits, x_last) {
            return Some((end, Kind::IdCard));
        }
    }
    if x_last {
        return None;
    }
    if is_mobile(token, &digits) || is_landline(token, &digits) {
        return Some((end, Kind::Phone));
    }
    let grouped = token.iter().all(|c| c.is_ascii_digit() || matches!(c, b' ' | b'-'));
    if grouped && (13..=19).contains(&digits.len()) && card_prefix(&digits) && luhn(&digits) {
        return Some((end, Kind::BankCard));
    }
    None
}

fn is_mobile(token: &[u8], digits: &[u8]) -> bool {
    let d = match digits {
        [8, 6, rest @ ..] if rest.len() == 11 && (token.starts_with(b"+86") || token.starts_with(b"86")) => rest,
        _ => digits,
    };
    d.len() == 11 && d[0] == 1 && (3..=9).contains(&d[1]) && !token.contains(&b'(')
}

fn is_landline(token: &[u8], digits: &[u8]) -> bool {
    if digits.first() != Some(&0) || !(10..=12).contains(&digits.len()) {
        return false;
    }
    // The area code: 010 and 02x have three digits, the others four.
    let area = if digits[1] == 1 || digits[1] == 2 { 3 } else { 4 };
    let local = digits.len() - area;
    (7..=8).contains(&local)
        && digits[1] != 0
        && (token.iter().all(u8::is_ascii_digit) || separator_after_digits(token, area))
}

/// Whether the first separator of `token` follows its `n`-th digit.
fn separator_after_digits(token: &[u8], n: usize) -> bool {
    let body = token.strip_prefix(b"(").unwrap_or(token);
    body.iter().position(|c| !c.is_ascii_digit()) == Some(n)
}

fn id_card_valid(digits: &[u8], x_last: bool) -> bool {
    if digits.len() != if x_last { 17 } else { 18 } {
        return false;
    }
    let num = |r: std::ops::Range<usize>| digits[r].iter().fold(0u32, |a, &d| a * 10 + u32::from(d));
    let (year, month, day) = (num(6..10), num(10..12), num(12..14));
    if !(1900..=2099).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) || digits[0] == 0 {
        return false;
    }
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = digits[..17].iter().zip(WEIGHTS).map(|(&d, w)| u32::from(d) * w).sum();
    let check = (12 - sum % 11) % 11;
    if x_last { check == 10 } else { check == u32::from(digits[17]) }
}

fn card_prefix(d: &[u8]) -> bool {
    matches!(d, [4, ..] | [5, 1..=5, ..] | [6, 2, ..] | [3, 4 | 7, ..] | [3, 5, ..] | [6, 0, 1, 1, ..] | [6, 5, ..])
}

fn luhn(d: &[u8]) -> bool {
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            let x = u32::from(x);
            if i % 2 == 1 { if x * 2 > 9 { x * 2 - 9 } else { x * 2 } } else { x }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn emails(b: &[u8]) -> Vec<(usize, usize, Kind)> {
    let local = |c: u8| c.is_ascii_alphanumeric() || b"._%+-".contains(&c);
    let domain = |c: u8| c.is_ascii_alphanumeric() || c == b'.' || c == b'-';
    let mut found = Vec::new();
    let mut from = 0;
    for at in memchr::memchr_iter(b'@', b) {
        if at < from {
            continue;
        }
        let mut s = at;
        while s > from && local(b[s - 1]) {
            s -= 1;
        }
        let mut e = at + 1;
        while e < b.len() && domain(b[e]) {
            e += 1;
        }
        while e > at + 1 && matches!(b[e - 1], b'.' | b'-') {
            e -= 1;
        }
        let dom = &b[at + 1..e];
        let tld = dom.rsplit(|&c| c == b'.').next().unwrap_or_default();
        let ok = s < at
            && dom.contains(&b'.')
            && !dom.starts_with(b".")
            && !dom.starts_with(b"-")
            && !dom.windows(2).any(|w| w == b"..")
            && tld.len() >= 2
            && tld.iter().all(u8::is_ascii_alphabetic);
        if ok {
            found.push((s, e, Kind::Email));
            from = e;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, p: &PiiPolicies) -> (String, Changes) {
        let mut c = Changes::default();
        let out = apply(text, p, true, &mut c).unwrap_or_else(|| text.to_owned());
        (out, c)
    }

    #[test]
    fn masks_each_kind() {
        let p = PiiPolicies::default();
        let (out, c) = run("電話13812345678，郵箱li.bai@example.com。", &p);
        assert_eq!(out, format!("電話{}，郵箱{}。", "*".repeat(11), "*".repeat("li.bai@example.com".len())));
        assert_eq!((c.get(CleanRule::PiiPhone), c.get(CleanRule::PiiEmail)), (1, 1));
        // 11010519491231002X is the standard's own example number.
        let (out, c) = run("身份證11010519491231002X", &p);
        assert_eq!(out, "身份證******************");
        assert_eq!(c.get(CleanRule::PiiIdCard), 1);
        let (_, c) = run("卡號4111 1111 1111 1111止", &p);
        assert_eq!(c.get(CleanRule::PiiBankCard), 1);
        let (out, c) = run("010-62751234與(0571)87654321及+86 138 1234 5678", &p);
        assert_eq!(c.get(CleanRule::PiiPhone), 3, "{out}");
        assert!(!out.bytes().any(|b| b.is_ascii_digit()), "{out}");
    }

    #[test]
    fn rejects_bad_check_digits_and_plain_numbers() {
        let p = PiiPolicies::default();
        for text in ["110105194912310021", "4111111111111112", "12345678901", "1949年", "卷12", "a@b", "x@y.c"] {
            let (out, c) = run(text, &p);
            assert_eq!(c.total(), 0, "{text}");
            assert_eq!(out, text);
        }
    }

    #[test]
    fn policies_drop_and_keep() {
        let p = PiiPolicies { phone: Policy::Drop, email: Policy::Keep, ..PiiPolicies::default() };
        let (out, c) = run("13812345678 a@b.cn", &p);
        assert_eq!(out, " a@b.cn");
        assert_eq!(c.total(), 2);
    }
}
