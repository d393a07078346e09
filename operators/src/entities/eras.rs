//! The reign-era tables, compiled into the binary (see `operators/data/eras/README.md`
//! for their source, license and the corrections applied).

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use super::options::{Realm, Realms};
use crate::tsv::tsv;

pub(crate) const ERAS: &str = include_str!("../../data/eras/eras.tsv");
pub(crate) const DYNASTIES: &str = include_str!("../../data/eras/dynasties.tsv");
pub(crate) const DYNASTY_NAMES: &str = include_str!("../../data/eras/dynasty_names.tsv");
pub(crate) const RULER_NAMES: &str = include_str!("../../data/eras/ruler_names.tsv");

/// One era segment: an era under one ruler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Era {
    /// Row id in `eras.tsv`.
    pub id: u32,
    /// Dynasty or regime id.
    pub dyn_id: u32,
    /// Dynasty or regime name.
    pub dynasty: String,
    /// The realm of the regime.
    pub realm: Realm,
    /// Ruler id.
    pub ruler_id: u32,
    /// Canonical ruler name.
    pub ruler: String,
    /// Era name (traditional).
    pub name: String,
    /// Era name (simplified).
    pub simplified: String,
    /// The year of 元年 (astronomical).
    pub first_year: i32,
    /// The largest valid year number.
    pub years: u32,
}

/// The era, dynasty and ruler tables with the lookups the recogniser needs.
#[derive(Debug)]
pub struct EraTable {
    /// Every era segment.
    pub eras: Vec<Era>,
    /// Era name (traditional or simplified) → indices into `eras`.
    pub by_name: HashMap<String, Vec<usize>>,
    /// Dynasty name (traditional or simplified) → dynasty ids, sub-dynasties included
    /// (唐 covers 武周 when the table says so; 漢 covers 西漢 and 東漢).
    pub dynasty_ids: HashMap<String, BTreeSet<u32>>,
    /// Ruler name (traditional or simplified) → ruler ids.
    pub ruler_ids: HashMap<String, BTreeSet<u32>>,
    /// Dynasty or regime id → its realm.
    pub realms: HashMap<u32, Realm>,
    /// Length in characters of the longest era name (西夏's 天授禮法延祚 has six).
    pub longest_era: usize,
    /// Length in characters of the longest dynasty name (後高句麗, 金官伽倻 have four).
    pub longest_dynasty: usize,
    /// First characters of the era names.
    pub first_chars: std::collections::HashSet<char>,
}

fn num<T: std::str::FromStr + Default>(s: &str) -> T {
    s.parse().unwrap_or_default()
}

impl EraTable {
    /// The table compiled into the binary, parsed once.
    pub fn get() -> &'static EraTable {
        static TABLE: LazyLock<EraTable> = LazyLock::new(EraTable::load);
        &TABLE
    }

    /// The realms of the regimes `ids`.
    pub fn realms_of(&self, ids: impl IntoIterator<Item = u32>) -> Realms {
        ids.into_iter().filter_map(|id| self.realms.get(&id).copied()).collect()
    }

    fn load() -> EraTable {
        let realms: HashMap<u32, Realm> = tsv(DYNASTIES)
            .filter(|c| c.len() >= 7)
            .map(|c| (num(c[0]), Realm::parse(c[6]).unwrap_or(Realm::China)))
            .collect();
        let eras: Vec<Era> = tsv(ERAS)
            .filter(|c| c.len() >= 10)
            .map(|c| Era {
                id: num(c[0]),
                dyn_id: num(c[1]),
                dynasty: c[2].to_owned(),
                realm: realms.get(&num(c[1])).copied().unwrap_or(Realm::China),
                ruler_id: num(c[3]),
                ruler: c[4].to_owned(),
                name: c[5].to_owned(),
                simplified: c[6].to_owned(),
                first_year: num(c[7]),
                years: num(c[9]),
            })
            .collect();
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, e) in eras.iter().enumerate() {
            by_name.entry(e.name.clone()).or_default().push(i);
            if e.simplified != e.name {
                by_name.entry(e.simplified.clone()).or_default().push(i);
            }
        }

        // Dynasty names, then close each name's id set over `part_of` children.
        let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
        let mut names: Vec<(String, u32)> = Vec::new();
        for c in tsv(DYNASTIES).filter(|c| c.len() >= 6) {
            let id: u32 = num(c[0]);
            if !c[5].is_empty() {
                children.entry(num(c[5])).or_default().push(id);
            }
            names.push((c[1].to_owned(), id));
            names.push((c[2].to_owned(), id));
        }
        for c in tsv(DYNASTY_NAMES).filter(|c| c.len() >= 3) {
            names.push((c[0].to_owned(), num(c[2])));
            names.push((c[1].to_owned(), num(c[2])));
        }
        let mut dynasty_ids: HashMap<String, BTreeSet<u32>> = HashMap::new();
        for (name, id) in names {
            let set = dynasty_ids.entry(name).or_default();
            let mut todo = vec![id];
            while let Some(d) = todo.pop() {
                if set.insert(d) {
                    todo.extend(children.get(&d).into_iter().flatten().copied());
                }
            }
        }

        let mut ruler_ids: HashMap<String, BTreeSet<u32>> = HashMap::new();
        for c in tsv(RULER_NAMES).filter(|c| c.len() >= 4) {
            let id: u32 = num(c[0]);
            ruler_ids.entry(c[1].to_owned()).or_default().insert(id);
            ruler_ids.entry(c[2].to_owned()).or_default().insert(id);
        }
        let longest_era = by_name.keys().map(|k| k.chars().count()).max().unwrap_or(2);
        let longest_dynasty = dynasty_ids.keys().map(|k| k.chars().count()).max().unwrap_or(1);
        let first_chars = by_name.keys().filter_map(|k| k.chars().next()).collect();
        EraTable { eras, by_name, dynasty_ids, ruler_ids, realms, longest_era, longest_dynasty, first_chars }
    }
}

const STEMS: [char; 10] = ['甲', '乙', '丙', '丁', '戊', '己', '庚', '辛', '壬', '癸'];
const BRANCHES: [char; 12] = ['子', '丑', '寅', '卯', '辰', '巳', '午', '未', '申', '酉', '戌', '亥'];

/// The sexagenary (干支) name of an astronomical year: 4 CE is 甲子.
pub fn ganzhi(year: i32) -> String {
    let i = (year - 4).rem_euclid(60) as usize;
    [STEMS[i % 10], BRANCHES[i % 12]].iter().collect()
}

/// Whether `s` (two characters) is a valid stem-branch pair.
pub(crate) fn is_ganzhi(s: &[char]) -> bool {
    match s {
        [a, b] => {
            let (Some(i), Some(j)) = (STEMS.iter().position(|c| c == a), BRANCHES.iter().position(|c| c == b)) else {
                return false;
            };
            i % 2 == j % 2
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_loads_with_corrections() {
        let t = EraTable::get();
        assert!(t.eras.len() > 1000);
        let jianwen: Vec<&Era> = t.by_name["建文"].iter().map(|&i| &t.eras[i]).collect();
        assert!(jianwen.iter().any(|e| e.first_year == 1399 && e.years == 4));
        assert!(t.by_name.contains_key("永乐"), "simplified names are indexed");
        assert!(t.by_name.contains_key("乾隆") && !t.by_name.contains_key("干隆"));
        assert!(t.dynasty_ids["漢"].len() >= 2, "漢 covers 西漢 and 東漢");
        let realm = |name: &str| t.realms_of(t.dynasty_ids[name].iter().copied()).to_string();
        assert_eq!(
            (realm("日本"), realm("倭"), realm("朝鮮"), realm("明")),
            ("japan".into(), "japan".into(), "korea".into(), "china".into())
        );
        assert_eq!(t.dynasty_ids["百濟"].iter().copied().collect::<Vec<_>>(), vec![135], "the kingdom, not 後百濟");
        assert!(t.ruler_ids["順帝"].contains(&15353) && t.ruler_ids["惠宗"].contains(&15353), "元順帝's titles");
    }

    #[test]
    fn sexagenary_years() {
        assert_eq!(ganzhi(4), "甲子");
        assert_eq!(ganzhi(629), "己丑"); // 貞觀三年
        assert_eq!(ganzhi(1644), "甲申");
        assert_eq!(ganzhi(0), "庚申"); // 1 BC
        assert_eq!(ganzhi(-1), "己未"); // 2 BC
        assert!(is_ganzhi(&['甲', '子']) && !is_ganzhi(&['甲', '丑']));
    }
}
