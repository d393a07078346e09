//! Page furniture of laid-out text: page numbers and running headers and footers.
//!
//! Pages are separated by form feeds (`\f`), as `pdftotext` and OCR page joins write them.
//! A page-number line is removed where it is the first or last line of a page; a running
//! header (footer) is a first (last) line that, with its digits removed, recurs on at least
//! half of the pages of a document of three pages or more.

use std::collections::HashMap;

use wenflow_engine::CleanRule;

use super::Changes;

/// Removes page numbers and running headers and footers; joins the pages with line breaks.
pub fn strip_pages(raw: &str, changes: &mut Changes) -> String {
    let mut pages: Vec<Vec<&str>> = raw.split('\u{c}').map(|p| p.lines().collect()).collect();
    for page in &mut pages {
        trim_page_numbers(page, changes);
    }
    if pages.len() >= 3 {
        strip_running(&mut pages, true, changes);
        strip_running(&mut pages, false, changes);
        for page in &mut pages {
            trim_page_numbers(page, changes);
        }
    }
    let mut out = String::with_capacity(raw.len());
    for line in pages.iter().flatten() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line);
    }
    out
}

fn first_content(page: &[&str]) -> Option<usize> {
    page.iter().position(|l| !l.trim().is_empty())
}

fn last_content(page: &[&str]) -> Option<usize> {
    page.iter().rposition(|l| !l.trim().is_empty())
}

fn trim_page_numbers(page: &mut Vec<&str>, changes: &mut Changes) {
    while let Some(i) = first_content(page).filter(|&i| is_page_number(page[i])) {
        page.remove(i);
        changes.add(CleanRule::PageNumber, 1);
    }
    while let Some(i) = last_content(page).filter(|&i| is_page_number(page[i])) {
        page.remove(i);
        changes.add(CleanRule::PageNumber, 1);
    }
}

/// The key a running header is recognised by: the line without digits and spaces.
fn running_key(line: &str) -> String {
    line.chars().filter(|c| !c.is_whitespace() && !c.is_ascii_digit() && !is_cjk_numeral(*c)).collect()
}

fn strip_running(pages: &mut [Vec<&str>], head: bool, changes: &mut Changes) {
    let edge = |page: &[&str]| if head { first_content(page) } else { last_content(page) };
    let mut counts: HashMap<String, usize> = HashMap::new();
    for page in pages.iter() {
        if let Some(i) = edge(page) {
            *counts.entry(running_key(page[i])).or_default() += 1;
        }
    }
    let needed = pages.len().div_ceil(2).max(2);
    for page in pages.iter_mut() {
        if let Some(i) = edge(page) {
            let key = running_key(page[i]);
            let chars = key.chars().count();
            if (1..=40).contains(&chars) && counts.get(&key).copied().unwrap_or(0) >= needed {
                page.remove(i);
                changes.add(CleanRule::RunningHeader, 1);
            }
        }
    }
}

fn is_cjk_numeral(c: char) -> bool {
    matches!(c, '〇' | '零' | '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十' | '百' | '千')
}

/// A line that is only a page number: `12`, `- 12 -`, `·12·`, `(12)`, `12/300`, `第十二頁`,
/// `第12页`, `Page 12`, `p. 12`.
pub fn is_page_number(line: &str) -> bool {
    let decoration = |c: char| c.is_whitespace() || "-–—·•.()（）[]［］【】<>〈〉|".contains(c);
    let t = line.trim_matches(decoration);
    if t.is_empty() {
        return false;
    }
    let digits = |s: &str| !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit());
    if digits(t) {
        return true;
    }
    if let Some((a, b)) = t.split_once('/') {
        return digits(a.trim()) && digits(b.trim());
    }
    let lower = t.to_ascii_lowercase();
    for prefix in ["page", "p."] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            return digits(rest.trim());
        }
    }
    if let Some(rest) = t.strip_prefix('第') {
        let rest = rest.strip_suffix('頁').or_else(|| rest.strip_suffix('页'));
        return rest
            .is_some_and(|n| digits(n) || (!n.is_empty() && n.chars().count() <= 6 && n.chars().all(is_cjk_numeral)));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_number_lines() {
        for yes in ["12", " - 12 - ", "·3·", "(4)", "12/300", "第十二頁", "第12页", "Page 7", "p. 7", "【5】"]
        {
            assert!(is_page_number(yes), "{yes}");
        }
        for no in ["1949年", "十二", "一", "第三回", "abc", "12345", "", "——"] {
            assert!(!is_page_number(no), "{no}");
        }
    }

    #[test]
    fn strips_numbers_and_running_headers_across_pages() {
        let raw =
            "史記卷一 1\n五帝本紀第一\n黃帝者\n- 1 -\u{c}史記卷一 2\n少典之子\n- 2 -\u{c}史記卷一 3\n姓公孫\n- 3 -";
        let mut changes = Changes::default();
        let out = strip_pages(raw, &mut changes);
        assert_eq!(out, "五帝本紀第一\n黃帝者\n少典之子\n姓公孫");
        assert_eq!(changes.get(CleanRule::PageNumber), 3);
        assert_eq!(changes.get(CleanRule::RunningHeader), 3);
    }

    #[test]
    fn a_header_on_few_pages_stays() {
        let raw = "序\n天\u{c}地\n玄\u{c}黃\n宇\u{c}宙\n洪";
        let mut changes = Changes::default();
        assert_eq!(strip_pages(raw, &mut changes), "序\n天\n地\n玄\n黃\n宇\n宙\n洪");
        assert_eq!(changes.total(), 0);
    }
}
