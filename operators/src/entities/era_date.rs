//! Reign-era dates: 貞觀三年, 唐上元二年, 太宗貞觀三年, 洪武元年, 康熙六十一年, 貞觀三年己丑.
//!
//! A date is an era name followed by a year number and 年, optionally preceded by a
//! dynasty or ruler name and followed by a month and a sexagenary (干支) year. The year
//! number must not exceed the era's length. An era name stands for every era segment of
//! that name; the readings are narrowed, in order, by
//!
//! 1. the ruler and/or dynasty written in front of the era (元順帝至元三年, 唐上元二年);
//! 2. the reading scope ([`EntityOptions::era_regimes`], China by default): an era is read
//!    against the regimes of those realms, and against a regime of another realm only when
//!    the text names that regime or realm (日本, 倭, 朝鮮, 高麗 …) or one of its rulers in
//!    front of the era, or names the regime within [`NEARBY`] characters, or the document's
//!    dynasty is that regime. An era name only out-of-scope regimes used (明治) is no date;
//! 3. a sexagenary year written after it;
//! 4. the document's dynasty;
//! 5. dynasty names, then 6. ruler names, within [`NEARBY`] characters (a regime outside the
//!    scope named nearby adds its readings but does not rule out the scope's).
//!
//! What stays unresolved is reported with every candidate year and marked ambiguous — never
//! guessed. The entities extractor then narrows such dates by the lifetimes of persons named
//! near them and of the document's author ([`EraDate::narrow_years`]).

use std::cell::OnceCell;
use std::collections::BTreeSet;

use super::eras::{EraTable, ganzhi, is_ganzhi};
use super::options::{DocContext, EntityOptions};

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
    /// The era segments still possible (indices into the era table).
    rows: Vec<usize>,
}

impl EraDate {
    fn new(start: usize, end: usize, text: String, era: String, year_number: u32, rows: Vec<usize>) -> EraDate {
        let mut date = EraDate {
            start,
            end,
            text,
            era,
            year_number,
            years: Vec::new(),
            dynasties: Vec::new(),
            ambiguous: false,
            norm: String::new(),
            rows,
        };
        date.derive();
        date
    }

    /// The year of era segment `row` for this date's year number.
    fn year_of(&self, row: usize) -> i32 {
        EraTable::get().eras[row].first_year + self.year_number as i32 - 1
    }

    /// Years, regimes, ambiguity and normal form from the remaining segments.
    fn derive(&mut self) {
        let table = EraTable::get();
        self.years = self.rows.iter().map(|&r| self.year_of(r)).collect::<BTreeSet<_>>().into_iter().collect();
        self.dynasties =
            self.rows.iter().map(|&r| table.eras[r].dynasty.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        self.ambiguous = self.years.len() > 1;
        let canonical = self.rows.first().map_or(self.era.as_str(), |&r| table.eras[r].name.as_str());
        let n = self.year_number;
        self.norm = if self.ambiguous || self.dynasties.len() != 1 {
            format!("{canonical}{n}年")
        } else {
            format!("{}{canonical}{n}年", self.dynasties[0])
        };
    }

    /// Keeps the readings whose year `keep` accepts, when that keeps at least one and drops
    /// at least one (evidence that would leave no reading is not evidence about this date).
    /// Returns whether the date was narrowed.
    pub fn narrow_years(&mut self, keep: impl Fn(i32) -> bool) -> bool {
        let kept: Vec<usize> = self.rows.iter().copied().filter(|&r| keep(self.year_of(r))).collect();
        if kept.is_empty() || kept.len() == self.rows.len() {
            return false;
        }
        self.rows = kept;
        self.derive();
        true
    }
}

const LONGEST_PREFIX: usize = 8;
/// How far (in characters) a dynasty or realm name may stand from a date and still bear on
/// it; a person's name too (see the entities extractor).
pub const NEARBY: usize = 40;

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

/// The regimes and rulers named within [`NEARBY`] characters of a mention (not inside it).
#[derive(Default)]
struct Near {
    dynasties: BTreeSet<u32>,
    rulers: BTreeSet<u32>,
}

fn nearby(chars: &[char], start: usize, end: usize) -> Near {
    let table = EraTable::get();
    let lo = start.saturating_sub(NEARBY);
    let hi = (end + NEARBY).min(chars.len());
    let mut near = Near::default();
    for a in lo..hi {
        for len in 1..=table.longest_dynasty.max(LONGEST_PREFIX) {
            if a + len > hi || (a < end && a + len > start) {
                continue;
            }
            let name: String = chars[a..a + len].iter().collect();
            if let Some(ids) = table.dynasty_ids.get(&name) {
                near.dynasties.extend(ids);
            }
            if let Some(ids) = table.ruler_ids.get(&name).filter(|_| len >= 2) {
                near.rulers.extend(ids);
            }
        }
    }
    near
}

/// Finds the era dates in `text`, read with the document's context (its dynasty; the
/// author is used by the extractor) and the era options (which realms' regimes are read).
///
/// ```
/// use wenflow_operators::entities::{DocContext, EntityOptions, Realms, find_era_dates};
///
/// let china = EntityOptions::default();
/// assert!(find_era_dates("明治元年", &DocContext::default(), &china).is_empty());
/// assert_eq!(find_era_dates("日本明治元年", &DocContext::default(), &china)[0].years, vec![1868]);
/// let all = EntityOptions { era_regimes: Realms::all() };
/// assert_eq!(find_era_dates("永樂元年", &DocContext::default(), &all)[0].years, vec![391, 1403]);
/// ```
pub fn find_era_dates(text: &str, doc: &DocContext<'_>, options: &EntityOptions) -> Vec<EraDate> {
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
    let doc_dynasty = doc.dynasty.and_then(|d| table.dynasty_ids.get(d));
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
        let year = |r: usize| table.eras[r].first_year + n as i32 - 1;
        let narrow = |c: &mut Vec<usize>, keep: &dyn Fn(usize) -> bool| {
            let kept: Vec<usize> = c.iter().copied().filter(|&r| keep(r)).collect();
            if !kept.is_empty() {
                *c = kept;
            }
        };

        // 1. A ruler and/or dynasty written right in front of the era. Either names the
        // regime: explicit context that admits it even outside the reading scope.
        let mut start = i;
        let mut named = false;
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
                named = true;
            }
        }
        if let Some((len, ids)) = (1..=table.longest_dynasty.min(start))
            .rev()
            .find_map(|len| table.dynasty_ids.get(&slice(start - len, start)).map(|ids| (len, ids)))
            && candidates.iter().any(|&r| ids.contains(&table.eras[r].dyn_id))
        {
            narrow(&mut candidates, &|r| ids.contains(&table.eras[r].dyn_id));
            start -= len;
            named = true;
        }

        // Month, and the place of a sexagenary year after 年 (歲次己丑, or 己丑 directly).
        let month = month_end(&chars, nian + 1);
        let gz_at = if matches!(chars.get(month..month + 2), Some(['歲' | '岁', '次'])) { month + 2 } else { month };
        let gz: Option<String> = chars.get(gz_at..gz_at + 2).filter(|p| is_ganzhi(p)).map(|p| p.iter().collect());
        // Names near the mention, looked up only when a reading needs them.
        let far = if gz.is_some() { gz_at + 2 } else { month };
        let near = OnceCell::new();
        let near = || near.get_or_init(|| nearby(&chars, start, far));

        // 2. The reading scope, widened by the regimes the text or the document names.
        let mut admitted = options.era_regimes;
        if candidates.iter().any(|&r| !admitted.contains(table.eras[r].realm)) {
            admitted = admitted.union(table.realms_of(near().dynasties.iter().copied()));
        }
        if let Some(ids) = doc_dynasty {
            admitted = admitted.union(table.realms_of(ids.iter().copied()));
        }
        if named {
            admitted = admitted.union(candidates.iter().map(|&r| table.eras[r].realm).collect());
        }
        candidates.retain(|&r| admitted.contains(table.eras[r].realm));
        if candidates.is_empty() {
            // An era of out-of-scope regimes only, and nothing in the text names them: no
            // date, and no shorter era inside its name either (神護景雲元年 is not 景雲元年).
            i = nian + 1;
            continue;
        }

        // 3. A sexagenary year after the date; it belongs to the mention when it fits.
        let mut end = month;
        if let Some(gz) = gz {
            let before = candidates.clone();
            narrow(&mut candidates, &|r| ganzhi(year(r)) == gz);
            if candidates != before || candidates.iter().all(|&r| ganzhi(year(r)) == gz) {
                end = gz_at + 2;
            }
        }

        // 4. The document's dynasty, then 5. dynasty names and 6. ruler names near the
        // mention (仁宗時 … 天禧四年: the ruler named earlier in the sentence).
        let years = |c: &[usize]| c.iter().map(|&r| year(r)).collect::<BTreeSet<i32>>();
        if years(&candidates).len() > 1
            && let Some(ids) = doc_dynasty
        {
            narrow(&mut candidates, &|r| ids.contains(&table.eras[r].dyn_id));
        }
        if years(&candidates).len() > 1 {
            // A regime named nearby keeps its own readings. A regime of a realm outside the
            // scope, named nearby only, adds its readings without ruling out the scope's: a
            // Chinese chronicle dates a Japanese embassy by its own eras (元和元年，日本國使來
            // is as likely 唐's 806 as 日本's 1615), so the date stays ambiguous.
            let scope = options.era_regimes;
            let named = |r: usize| near().dynasties.contains(&table.eras[r].dyn_id);
            let scope_named = candidates.iter().any(|&r| scope.contains(table.eras[r].realm) && named(r));
            narrow(&mut candidates, &|r| named(r) || (!scope_named && scope.contains(table.eras[r].realm)));
        }
        if years(&candidates).len() > 1 {
            narrow(&mut candidates, &|r| near().rulers.contains(&table.eras[r].ruler_id));
        }

        out.push(EraDate::new(start, end, slice(start, end), era, n, candidates));
        i = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::options::Realms;

    fn dates(text: &str, dynasty: Option<&str>, regimes: &str) -> Vec<EraDate> {
        let doc = DocContext { dynasty, author: None };
        find_era_dates(text, &doc, &EntityOptions { era_regimes: Realms::parse(regimes).expect("realms") })
    }

    fn one(text: &str, dynasty: Option<&str>) -> EraDate {
        let found = dates(text, dynasty, "china");
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
        // 永樂 is also an era of 高句麗 (391-413), outside the default scope.
        assert_eq!(one("永乐十九年", None).years, vec![1421], "simplified spelling");
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
    fn other_names_of_rulers() {
        // sanmiao knows 元's last emperor by his personal name only; 順帝 is derived from his
        // canonical name, 惠宗 is wenflow's alias.
        for (text, year) in
            [("元順帝至元三年", 1337), ("元惠宗至元三年", 1337), ("元世祖至元三年", 1266), ("順帝至元二年", 1336)]
        {
            let d = one(text, None);
            assert_eq!((d.years.clone(), d.start), (vec![year], 0), "{text}");
        }
        assert_eq!(one("至元三年", None).years, vec![1266, 1337]);
        assert_eq!(one("建文帝建文二年", None).years, vec![1400]);
        assert_eq!(one("唐明皇天寶元年", None).text, "唐明皇天寶元年");
        assert_eq!(one("武后長壽二年", None).years, vec![693]);
    }

    #[test]
    fn the_default_scope_reads_chinese_regimes() {
        // 嘉慶 (清 1796, 日本 1387), 元和 (唐 806-820, 日本 1615-1624), 天授 (武周 690, 日本
        // 1375, 高麗 918): Chinese by default.
        assert_eq!(one("嘉慶元年", None).years, vec![1796]);
        assert_eq!(one("元和十年", None).years, vec![815]);
        assert_eq!(one("天授元年", None).years, vec![690]);
        // An era only Japan used gives no date without context.
        assert!(dates("明治元年", None, "china").is_empty());
        assert!(dates("慶長五年", None, "china").is_empty());
        assert!(dates("神護景雲元年", None, "china").is_empty(), "not 景雲元年 of 唐");
        // All realms: every reading.
        assert_eq!(dates("嘉慶元年", None, "all")[0].years, vec![1387, 1796]);
        assert_eq!(dates("明治元年", None, "japan")[0].years, vec![1868]);
        assert_eq!(dates("嘉慶元年", None, "japan")[0].years, vec![1387], "scope japan: Chinese readings need context");
    }

    #[test]
    fn explicit_context_admits_other_realms() {
        // A regime written in front of the era.
        assert_eq!(one("日本明治元年", None).years, vec![1868]);
        assert_eq!(one("日本嘉慶元年", None).years, vec![1387]);
        assert_eq!(one("高句麗永樂元年", None).years, vec![391]);
        assert_eq!(one("高麗永樂元年", None).years, vec![391], "Chinese texts call 高句麗 高麗");
        assert_eq!(one("新羅太和二年", None).years, vec![648]);
        // A ruler of the regime in front of the era: 高麗太祖 王建 (天授 918).
        assert_eq!(one("高麗太祖天授元年", None).years, vec![918]);
        // A regime or realm named nearby.
        let d = one("其書流傳日本，據慶安五年刻本", None);
        assert_eq!((d.years.clone(), d.text.as_str()), (vec![1652], "慶安五年"));
        // Named nearby, another realm's regime adds its reading to the scope's: ambiguous.
        let d = one("倭國使來，元和元年", None);
        assert_eq!((d.years.clone(), d.ambiguous), (vec![84, 806, 1615], true));
        assert_eq!(one("嘉慶元年，日本使來", None).years, vec![1387, 1796]);
        assert_eq!(dates("嘉慶元年，日本使來", None, "all")[0].years, vec![1387], "in scope, a name nearby decides");
        // The document's dynasty.
        assert_eq!(one("元和元年", Some("日本")).years, vec![1615]);
        assert_eq!(one("明治元年", Some("日本")).years, vec![1868]);
        // Context in another sentence far away does not count.
        let far = format!("日本{}明治元年", "。".repeat(NEARBY + 1));
        assert!(dates(&far, None, "china").is_empty());
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
        // A ruler named nearby: 天禧 is 宋真宗's (1017) and 西遼's (1178).
        assert_eq!(one("天禧四年", None).years, vec![1020, 1181]);
        assert_eq!(one("真宗時官知雜事，天禧四年改衛尉少卿", None).years, vec![1020]);
    }

    #[test]
    fn narrowing_by_years_keeps_one_reading_at_least() {
        let mut d = one("上元二年", None);
        assert!(!d.narrow_years(|y| y > 2000), "no reading would remain");
        assert!(!d.narrow_years(|_| true), "nothing dropped");
        assert!(d.narrow_years(|y| (712..=770).contains(&y)));
        assert_eq!((d.years.clone(), d.ambiguous, d.norm.as_str()), (vec![761], false, "唐上元2年"));
    }

    #[test]
    fn negatives() {
        for text in ["天下太平，四海昇平。", "貞觀", "建文九年", "三年不窺園"] {
            assert!(dates(text, None, "all").is_empty(), "{text}");
        }
    }

    #[test]
    fn offsets_are_characters_and_months_are_included() {
        let d = one("余以開元二十三年正月至長安", None);
        assert_eq!((d.start, d.end, d.text.as_str()), (2, 10, "開元二十三年正月"));
        assert_eq!(d.years, vec![735]);
    }
}
