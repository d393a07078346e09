//! What the entities stage is told besides the text: the job's entity options
//! ([`EntityOptions`]) and each document's context ([`DocContext`]).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use wenflow_engine::Document;

use crate::{OperatorError, Result};

/// A family of regimes whose reign eras a corpus may use: the realm of each regime is a
/// column of `operators/data/eras/dynasties.tsv`, from sanmiao's calendar streams. The era
/// table has no Vietnamese eras; a Vietnamese table would add a realm here and its rows there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Realm {
    /// The Chinese dynasties and regimes, 西夏, 遼, 金 and the Ten Kingdoms included.
    China,
    /// Japan (日本).
    Japan,
    /// The Korean states: 高句麗, 百濟, 新羅, 金官伽倻, 渤海, 後百濟, 後高句麗, 高麗, 朝鮮.
    Korea,
}

impl Realm {
    /// Every realm.
    pub const ALL: [Realm; 3] = [Realm::China, Realm::Japan, Realm::Korea];

    /// The name used in options and in `dynasties.tsv`.
    pub fn as_str(self) -> &'static str {
        match self {
            Realm::China => "china",
            Realm::Japan => "japan",
            Realm::Korea => "korea",
        }
    }

    /// The realm named `s` (`china`, `japan`, `korea`).
    pub fn parse(s: &str) -> Option<Realm> {
        Realm::ALL.into_iter().find(|r| r.as_str() == s)
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of realms. Written as a comma-separated list (`china,japan`) or `all`; serialised as
/// a list of names. The default is China alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Realms(u8);

impl Realms {
    /// No realm.
    pub const NONE: Realms = Realms(0);

    /// Every realm.
    pub fn all() -> Realms {
        Realm::ALL.into_iter().collect()
    }

    /// Whether `realm` is in the set.
    pub fn contains(self, realm: Realm) -> bool {
        self.0 & realm.bit() != 0
    }

    /// Adds `realm`.
    pub fn insert(&mut self, realm: Realm) {
        self.0 |= realm.bit();
    }

    /// The realms of both sets.
    pub fn union(self, other: Realms) -> Realms {
        Realms(self.0 | other.0)
    }

    /// The realms in the set, in [`Realm::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Realm> {
        Realm::ALL.into_iter().filter(move |r| self.contains(*r))
    }

    /// Parses `china`, `china,japan`, `all` …; an empty list is refused.
    pub fn parse(spec: &str) -> Result<Realms> {
        let invalid = |message: String| OperatorError::InvalidOption { name: "era-regimes", message };
        let mut set = Realms::NONE;
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if item == "all" {
                set = set.union(Realms::all());
                continue;
            }
            let realm = Realm::parse(item)
                .ok_or_else(|| invalid(format!("{item:?} is not one of china, japan, korea, all")))?;
            set.insert(realm);
        }
        if set == Realms::NONE {
            return Err(invalid("name at least one of china, japan, korea, all".to_owned()));
        }
        Ok(set)
    }
}

impl Default for Realms {
    fn default() -> Self {
        Realms(Realm::China.bit())
    }
}

impl FromIterator<Realm> for Realms {
    fn from_iter<I: IntoIterator<Item = Realm>>(iter: I) -> Self {
        let mut set = Realms::NONE;
        iter.into_iter().for_each(|r| set.insert(r));
        set
    }
}

impl std::fmt::Display for Realms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.iter().map(Realm::as_str).collect();
        f.write_str(&names.join(","))
    }
}

impl Serialize for Realms {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(Realm::as_str))
    }
}

impl<'de> Deserialize<'de> for Realms {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Spec {
            List(Vec<String>),
            One(String),
        }
        let spec = match Spec::deserialize(d)? {
            Spec::List(items) => items.join(","),
            Spec::One(s) => s,
        };
        Realms::parse(&spec).map_err(serde::de::Error::custom)
    }
}

/// Options of the entities stage; part of the job id and of the run's recorded config.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EntityOptions {
    /// The realms whose regimes an era name is read against when the text names no regime.
    /// Default: China alone, so that 永樂元年 in a Chinese text is 1403 (明), not also 391
    /// (高句麗), and 明治 or 慶長 (Japanese only) give no date. A regime outside these realms
    /// is still read when the text names it, or a ruler of it, in front of the era, or when the
    /// document's dynasty is that regime (日本, 倭, 朝鮮, 高麗 …); named within a few sentences,
    /// it is read beside the regimes of these realms.
    pub era_regimes: Realms,
}

/// What is known of a document besides its text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DocContext<'a> {
    /// The document's dynasty (`唐`, `明`, `日本` …): the regime its undated eras belong to.
    pub dynasty: Option<&'a str>,
    /// The document's author: a date the text leaves ambiguous is read within the author's
    /// lifetime when the person lists know it.
    pub author: Option<&'a str>,
}

impl<'a> DocContext<'a> {
    /// The context of `doc`.
    pub fn of(doc: &'a Document) -> Self {
        DocContext { dynasty: doc.dynasty.as_deref(), author: doc.author.as_deref() }
    }

    /// A context with only a dynasty.
    pub fn dynasty(dynasty: &'a str) -> Self {
        DocContext { dynasty: Some(dynasty), author: None }
    }

    /// A context with only an author.
    pub fn author(author: &'a str) -> Self {
        DocContext { dynasty: None, author: Some(author) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realms_parse_print_and_serialise() {
        assert_eq!(Realms::default().iter().collect::<Vec<_>>(), vec![Realm::China]);
        let r = Realms::parse("japan, china").expect("valid");
        assert_eq!(r.to_string(), "china,japan");
        assert_eq!(Realms::parse("all").expect("valid"), Realms::all());
        assert!(Realms::parse("vietnam").is_err());
        assert!(Realms::parse(" , ").is_err());
        assert_eq!(serde_json::to_string(&r).expect("json"), r#"["china","japan"]"#);
        assert_eq!(serde_json::from_str::<Realms>(r#""korea,china""#).expect("json").to_string(), "china,korea");
        let options: EntityOptions = serde_json::from_str("{}").expect("defaults");
        assert_eq!(options, EntityOptions::default());
        assert!(serde_json::from_str::<EntityOptions>(r#"{"era_scope": "all"}"#).is_err(), "unknown fields");
    }
}
