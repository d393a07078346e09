//! Persons' lifetimes, which narrow era dates the text leaves ambiguous: a date written next
//! to 杜甫 (712–770) is in his lifetime, so 上元二年 there is 761, not 675.

/// The years a person was born and died, as far as known (astronomical years).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lifetime {
    /// Year of birth.
    pub born: Option<i32>,
    /// Year of death.
    pub died: Option<i32>,
}

/// Years before the recorded birth a date may fall and still be read in the lifetime: many
/// births are known only roughly (約, ？ in the sources).
pub const BEFORE_BIRTH: i32 = 10;
/// Years after death a date may fall: burials, posthumous honours and editions of a
/// person's works follow death by a few years and are dated next to the name.
pub const AFTER_DEATH: i32 = 20;
/// How long a life is taken to be when only one end of it is known.
pub const LONGEST_LIFE: i32 = 100;

impl Lifetime {
    /// Whether a date in `year` can concern the person: between birth and death, with the
    /// margins above; when only one end is known, the other is taken [`LONGEST_LIFE`] away.
    pub fn admits(&self, year: i32) -> bool {
        let (from, to) = match (self.born, self.died) {
            (Some(b), Some(d)) => (b, d),
            (Some(b), None) => (b, b + LONGEST_LIFE),
            (None, Some(d)) => (d - LONGEST_LIFE, d),
            (None, None) => return true,
        };
        from - BEFORE_BIRTH <= year && year <= to + AFTER_DEATH
    }

    /// Parses `712-770`, `?-989`, `1037-?` (negative years for BC: `-145--86`; `–`, `～` and
    /// `~` also separate). `None` when the text is not a lifetime, or gives neither year, or
    /// death before birth.
    pub fn parse(s: &str) -> Option<Lifetime> {
        let s = s.trim();
        // The separator is the first dash after the first character (which may be a minus).
        let (cut, sep) = s.char_indices().skip(1).find(|&(_, c)| matches!(c, '-' | '–' | '—' | '~' | '～'))?;
        let year = |t: &str| -> Option<Option<i32>> {
            match t.trim() {
                "?" | "？" | "" => Some(None),
                t => t.parse().ok().map(Some),
            }
        };
        let (born, died) = (year(&s[..cut])?, year(&s[cut + sep.len_utf8()..])?);
        let valid = born.is_some() || died.is_some();
        let ordered = !matches!((born, died), (Some(b), Some(d)) if d < b);
        (valid && ordered).then_some(Lifetime { born, died })
    }
}

impl std::fmt::Display for Lifetime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let year = |y: Option<i32>| y.map_or("?".to_owned(), |y| y.to_string());
        write!(f, "{}-{}", year(self.born), year(self.died))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_admit() {
        let du_fu = Lifetime::parse("712-770").expect("lifetime");
        assert_eq!(du_fu, Lifetime { born: Some(712), died: Some(770) });
        assert!(du_fu.admits(761) && !du_fu.admits(675) && du_fu.admits(780) && !du_fu.admits(800));
        let chen_tuan = Lifetime::parse("?-989").expect("lifetime");
        assert!(chen_tuan.admits(900) && !chen_tuan.admits(870) && !chen_tuan.admits(1010));
        assert_eq!(Lifetime::parse("1037-?").map(|l| l.to_string()), Some("1037-?".into()));
        assert_eq!(Lifetime::parse("-145--86"), Some(Lifetime { born: Some(-145), died: Some(-86) }));
        assert_eq!(Lifetime::parse("712–770"), Some(du_fu));
        for bad in ["", "712", "?-?", "770-712", "a-b", "712/770"] {
            assert_eq!(Lifetime::parse(bad), None, "{bad}");
        }
    }
}
