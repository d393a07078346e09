//! Reign-era dates: 貞觀三年, 唐上元二年, 太宗貞觀三年, 洪武元年, 康熙六十一年, 貞觀三年己丑.
//!
//! A date is an era name followed by a year number and 年, optionally preceded by a
//! dynasty or ruler name and followed by a month and a sexagenary (干支) year. The year
//! number must not exceed the era's length. Eras whose name several regimes used are
//! resolved, in order, by the ruler or dynasty written in front of the era, by a
//! sexagenary year written after it, by the document's dynasty, and by dynasty names
//! elsewhere in the text. What stays unresolved is reported with every candidate year and
//! marked ambiguous — never guessed.

use std::collections::BTreeSet;

use super::eras::{EraTable, ganzhi, is_ganzhi};

/// One era-date mention.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EraDate {
    /// First character (offset in characters).
    pub start: usize,
    /// One past the last character.
    pub end: usize,
    /// The mention as written.
    pub text: String,
    /// The era name as written.
    pub era: String,
    /// The year number (元年 = 1).
    pub year_number: u32,
    /// Candidate years (astronomical: 0 = 1 BC), ascending.
    pub years: Vec<i32>,
    /// Regimes of the remaining candidates.
    pub dynasties: Vec<String>,
    /// More than one candidate year remains.
    pub ambiguous: bool,
    /// Normal form: `唐貞觀3年` when resolved, `貞觀3年` when ambiguous.
    pub norm: String,
}

const LONGEST_PREFIX: usize = 8;
/// How far (in characters) a dynasty name may stand from a date and still resolve it.
const NEARBY: usize = 40;

fn digit(c: char) -> Option<u32> {
    "〇一二三四五六七八九".chars().position(|d| d == c).map(|p| p as u32).or(if c == '两' || c == '兩' {
        Some(2)
    } else {
        None
    })
}

/// 年, or 載 as 天寶 and 至德 counted their years (天寶十四載).
fn is_year_char(c: Option<&char>) -> bool {
    matches!(c, Some('年' | '載' | '载'))
}

/// Parses a year number at `chars[i..]` that ends right before `年` (or `載`). Returns the
/// number and the index of `年`.
fn year_number(chars: &[char], i: usize) -> Option<(u32, usize)> {
    if chars.get(i) == Some(&'元') {
        return is_year_char(chars.get(i + 1)).then_some((1, i + 1));
    }
    let (mut total, mut cur, mut j) = (0u32, 0u32, i);
    while let Some(&c) = chars.get(j) {
        match c {
            '十' => {
                total += cur.max(1) * 10;
                cur = 0;
            }
            '廿' => total += 20,
            '卅' => total += 30,
            c => match digit(c) {
                Some(d) => cur = d,
                None => break,
            },
        }
        j += 1;
    }
    let n = total + cur;
    (j > i && n > 0 && is_year_char(chars.get(j))).then_some((n, j))
}

/// Parses an optional month after `年` at `chars[i..]`: 正月, 三月, 閏三月, 十二月.
fn month_end(chars: &[char], i: usize) -> usize {
    let mut j = i;
    if matches!(chars.get(j), Some('閏' | '闰')) {
        j += 1;
    }
    let start = j;
    if chars.get(j) == Some(&'正') {
        j += 1;
    } else {
        while chars.get(j).is_some_and(|&c| c == '十' || digit(c).is_some()) {
            j += 1;
        }
    }
    if j > start && chars.get(j) == Some(&'月') { j + 1 } else { i }
}

/// Finds the era dates in `text`. `dynasty` is the document's dynasty, when known.
pub fn find_era_dates(text: &str, dynasty: Option<&str>) -> Vec<EraDate> {
    let table = EraTable::get();
    let chars: Vec<char> = text.chars().collect();
    let slice = |a: usize, b: usize| chars[a..b].iter().collect::<String>();
    let mut out = Vec::new();
    // A date needs a year number and 年 (or 載) right after its era name. Only the
    // positions from which an era name could end where such a number starts are tried,
    // which keeps the recogniser fast on long texts with many 年 and few dates.
    let is_numeral = |c: char| digit(c).is_some() || matches!(c, '十' | '廿' | '卅');
    let number_starts: Vec<usize> = chars
        .iter()
        .enumerate()
        .filter(|&(y, c)| y > 0 && is_year_char(Some(c)))
        .filter_map(|(y, _)| {
            if chars[y - 1] == '元' {
                return Some(y - 1);
            }
            let mut q = y;
            while q > 0 && is_numeral(chars[q - 1]) {
                q -= 1;
            }
            (q < y).then_some(q)
        })
        .collect();
    let mut next = 0;
    let mut i = 0;
    while i < chars.len() {
        while next < number_starts.len() && number_starts[next] < i + 2 {
            next += 1;
        }
        match number_starts.get(next) {
            None => break,
            Some(&q) if q > i + table.longest_era => {
                i = q - table.longest_era;
                continue;
            }
            Some(_) if !table.first_chars.contains(&chars[i]) => {
                i += 1;
                continue;
            }
            Some(_) => {}
        }
        let found = (2..=table.longest_era).rev().filter(|len| i + len <= chars.len()).find_map(|len| {
            let name = slice(i, i + len);
            let rows = table.by_name.get(&name)?;
            let (n, nian) = year_number(&chars, i + len)?;
            Some((name, rows, n, nian))
        });
        let Some((era, rows, n, nian)) = found else {
            i += 1;
            continue;
        };
        let mut candidates: Vec<usize> = rows.iter().copied().filter(|&r| n <= table.eras[r].years).collect();
        if candidates.is_empty() {
            i += 1; // a year beyond the era's length is not a date of that era
            continue;
        }
        let narrow = |c: &mut Vec<usize>, keep: &dyn Fn(usize) -> bool| {
            let kept: Vec<usize> = c.iter().copied().filter(|&r| keep(r)).collect();
            if !kept.is_empty() {
                *c = kept;
            }
        };

        // A ruler and/or dynasty written right in front of the era.
        let mut start = i;
        if let Some((len, ids)) = (2..=LONGEST_PREFIX.min(start))
            .rev()
            .find_map(|len| table.ruler_ids.get(&slice(start - len, start)).map(|ids| (len, ids)))
        {
            let before = candidates.len();
            narrow(&mut candidates, &|r| ids.contains(&table.eras[r].ruler_id));
            if candidates.len() < before
                || ids.iter().any(|id| candidates.iter().any(|&r| table.eras[r].ruler_id == *id))
            {
                start -= len;
            }
        }
        if let Some((len, ids)) = (1..=3.min(start))
            .rev()
            .find_map(|len| table.dynasty_ids.get(&slice(start - len, start)).map(|ids| (len, ids)))
            && candidates.iter().any(|&r| ids.contains(&table.eras[r].dyn_id))
        {
            narrow(&mut candidates, &|r| ids.contains(&table.eras[r].dyn_id));
            start -= len;
        }

        // Month and a sexagenary year after 年 (歲次己丑, or 己丑 directly).
        let mut end = month_end(&chars, nian + 1);
        let gz_at = if matches!(chars.get(end..end + 2), Some(['歲' | '岁', '次'])) { end + 2 } else { end };
        if let Some(pair) = chars.get(gz_at..gz_at + 2)
            && is_ganzhi(pair)
        {
            let gz: String = pair.iter().collect();
            let before = candidates.clone();
            narrow(&mut candidates, &|r| ganzhi(table.eras[r].first_year + n as i32 - 1) == gz);
            if candidates != before || candidates.iter().all(|&r| ganzhi(table.eras[r].first_year + n as i32 - 1) == gz)
            {
                end = gz_at + 2;
            }
        }

        let years = |c: &[usize]| c.iter().map(|&r| table.eras[r].first_year + n as i32 - 1).collect::<BTreeSet<i32>>();
        // The document's dynasty, then dynasty names near the mention.
        if years(&candidates).len() > 1
            && let Some(ids) = dynasty.and_then(|d| table.dynasty_ids.get(d))
        {
            narrow(&mut candidates, &|r| ids.contains(&table.eras[r].dyn_id));
        }
        if years(&candidates).len() > 1 {
            let lo = start.saturating_sub(NEARBY);
            let hi = (end + NEARBY).min(chars.len());
            let mut near: BTreeSet<u32> = BTreeSet::new();
            for a in lo..hi {
                for len in 1..=3 {
                    if a + len <= hi
                        && !(a < end && a + len > start)
                        && let Some(ids) = table.dynasty_ids.get(&slice(a, a + len))
                    {
                        near.extend(ids);
                    }
                }
            }
            narrow(&mut candidates, &|r| near.contains(&table.eras[r].dyn_id));
        }

        let ys: Vec<i32> = years(&candidates).into_iter().collect();
        let dynasties: Vec<String> =
            candidates.iter().map(|&r| table.eras[r].dynasty.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        let ambiguous = ys.len() > 1;
        let canonical = &table.eras[candidates[0]].name;
        let norm = if ambiguous || dynasties.len() != 1 {
            format!("{canonical}{n}年")
        } else {
            format!("{}{canonical}{n}年", dynasties[0])
        };
        out.push(EraDate {
            start,
            end,
            text: slice(start, end),
            era,
            year_number: n,
            years: ys,
            dynasties,
            ambiguous,
            norm,
        });
        i = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str, dynasty: Option<&str>) -> EraDate {
        let found = find_era_dates(text, dynasty);
        assert_eq!(found.len(), 1, "{text}: {found:?}");
        found.into_iter().next().expect("one date")
    }

    #[test]
    fn numerals() {
        let chars: Vec<char> = "二十三年".chars().collect();
        assert_eq!(year_number(&chars, 0), Some((23, 3)));
        for (s, n) in [("元年", 1), ("十年", 10), ("十一年", 11), ("廿三年", 23), ("卅年", 30), ("六十一年", 61)]
        {
            let chars: Vec<char> = s.chars().collect();
            assert_eq!(year_number(&chars, 0).map(|r| r.0), Some(n), "{s}");
        }
        assert_eq!(year_number(&"三月".chars().collect::<Vec<_>>(), 0), None);
    }

    #[test]
    fn common_dates() {
        assert_eq!(one("貞觀三年", Some("唐")).years, vec![629]);
        assert_eq!(one("洪武元年", None).years, vec![1368]);
        assert_eq!(one("康熙六十一年", None).years, vec![1722]);
        // 永樂 is also an era of 高句麗 (391-413): without context both years stand.
        let d = one("永乐十九年", None);
        assert!(d.ambiguous && d.years == vec![409, 1421], "simplified spelling: {d:?}");
        assert_eq!(one("永乐十九年", Some("明")).years, vec![1421]);
        assert_eq!(one("建文元年", None).years, vec![1399], "corrected table row");
    }

    #[test]
    fn prefixes_resolve_reused_eras() {
        let d = one("唐上元二年", None);
        assert_eq!(d.years, vec![675, 761], "two 唐 上元 eras: 高宗 and 肅宗");
        assert!(d.ambiguous);
        let d = one("肅宗上元二年", None);
        assert_eq!((d.years.clone(), d.ambiguous, d.start), (vec![761], false, 0));
        let d = one("太宗貞觀三年", None);
        assert_eq!(d.years, vec![629]);
        assert_eq!(d.text, "太宗貞觀三年");
    }

    #[test]
    fn context_and_sexagenary_years() {
        // 乾祐 was used by 後漢 and its successors (948) and by 西夏 (1170).
        let d = one("乾祐三年", None);
        assert!(d.ambiguous && d.years.contains(&950) && d.years.contains(&1172), "{d:?}");
        assert_eq!(one("乾祐三年", Some("西夏")).years, vec![1172]);
        assert_eq!(one("西夏乾祐三年", None).years, vec![1172]);
        let d = one("貞觀三年歲次己丑", None);
        assert_eq!((d.years.clone(), d.text.as_str()), (vec![629], "貞觀三年歲次己丑"));
        assert_eq!(one("貞觀三年", Some("唐")).norm, "唐貞觀3年");
    }

    #[test]
    fn negatives() {
        assert!(find_era_dates("天下太平，四海昇平。", None).is_empty());
        assert!(find_era_dates("貞觀", None).is_empty());
        assert!(find_era_dates("建文九年", None).is_empty(), "建文 had four years");
        assert!(find_era_dates("三年不窺園", None).is_empty());
    }

    #[test]
    fn offsets_are_characters_and_months_are_included() {
        let d = one("余以開元二十三年正月至長安", None);
        assert_eq!((d.start, d.end, d.text.as_str()), (2, 10, "開元二十三年正月"));
        assert_eq!(d.years, vec![735]);
    }
}
