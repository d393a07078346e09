//! The record model: documents, failures and duplicate-cluster memberships.
//!
//! Identity and content are separate: `doc_id` says *which* document (chosen by the
//! source), `content_hash` says *what* it contains (a hash of the cleaned text). Every
//! record type here is `Ord + Serialize`, so it can live in differential collections and
//! cross process boundaries.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::table::Named;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Where a record came from, in the deterministic order of the input plan.
///
/// `unit` is the ordinal of the input split (file, byte range or row group) and `index`
/// the record's position inside it. The order decides which record wins when two records
/// claim the same `doc_id` in one batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SourcePos {
    /// Ordinal of the split in the input plan.
    pub unit: u64,
    /// Position of the record inside the split.
    pub index: u64,
}

/// What the line breaks of a document's text mean.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum LineBreaks {
    /// Breaks come from page layout (plain text, OCR): a break between two Han characters
    /// is not part of the text and cleaning joins the lines.
    #[default]
    Layout,
    /// Breaks separate paragraphs or verses (a JSON array of lines): cleaning keeps them.
    Paragraph,
}

/// A document flowing through the pipeline.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Document {
    /// Stable identity chosen by the source (a JSON id field, a relative path, a Kafka key).
    pub doc_id: String,
    /// URI of the input the document was read from (file path, with `#record` when needed).
    pub source: String,
    /// Title, when known.
    pub title: Option<String>,
    /// Author, when known.
    pub author: Option<String>,
    /// Collection the document belongs to, when known.
    pub collection: Option<String>,
    /// Dynasty, when known or implied by the collection.
    pub dynasty: Option<String>,
    /// Any other metadata fields of the input, as strings.
    pub extra: BTreeMap<String, String>,
    /// The text. Raw as read by the source; cleaned after the clean stage.
    pub text: String,
    /// What the line breaks in `text` mean.
    pub line_breaks: LineBreaks,
    /// Hash of the cleaned text (hex); empty before the clean stage.
    pub content_hash: String,
    /// A simplified-character copy of the cleaned text, for search and dedup; the text
    /// itself keeps its script. `None` before the clean stage or when disabled.
    pub text_simplified: Option<String>,
    /// The script of the cleaned text.
    pub script: Script,
    /// Quality score of the cleaned text in millionths (see the clean stage).
    pub quality_ppm: u32,
    /// Pages the text was assembled from, for page images and PDFs.
    pub pages: Option<u32>,
    /// Mean OCR confidence over the document's OCRed pages, in millionths.
    pub ocr_confidence_ppm: Option<u32>,
    /// Position in the input plan.
    pub pos: SourcePos,
}

impl Document {
    /// Number of Unicode scalar values in the text.
    pub fn chars(&self) -> usize {
        self.text.chars().count()
    }
}

/// The script of a text, told apart by characters that exist in one script only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Script {
    /// Not determined (before the clean stage).
    #[default]
    Unknown,
    /// Traditional Han characters.
    Hant,
    /// Simplified Han characters.
    Hans,
    /// Han characters that exist in both scripts, or an even mix.
    Hani,
    /// No Han characters.
    Other,
}

impl Script {
    /// The name stored in the `documents` table (ISO 15924 codes, lowercase).
    pub fn as_str(self) -> &'static str {
        match self {
            Script::Unknown => "unknown",
            Script::Hant => "hant",
            Script::Hans => "hans",
            Script::Hani => "hani",
            Script::Other => "other",
        }
    }
}

/// What a cleaning rule changed or found: the `rule` column of the `clean_changes` table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CleanRule {
    /// A compatibility form (Kangxi radical, fullwidth letter or digit) mapped to its unified form.
    #[default]
    Compat,
    /// A punctuation mark unified to the configured style.
    Punctuation,
    /// Stray Latin letters, digits or symbols amid Han text removed (characters).
    Debris,
    /// A run of repeated punctuation collapsed (characters removed).
    RepeatedPunctuation,
    /// A page-number line removed.
    PageNumber,
    /// A running header or footer line removed.
    RunningHeader,
    /// A missing-character placeholder (□, 〓, U+FFFD) found.
    Placeholder,
    /// A placeholder dropped by policy.
    PlaceholderDropped,
    /// A variant character (異體字) mapped to its standard form.
    Variant,
    /// A phone number found.
    PiiPhone,
    /// An e-mail address found.
    PiiEmail,
    /// A Chinese ID card number (valid check digit) found.
    PiiIdCard,
    /// A bank card number (valid Luhn digit) found.
    PiiBankCard,
}

impl CleanRule {
    /// Every rule, in table order.
    pub const ALL: [CleanRule; 13] = [
        CleanRule::Compat,
        CleanRule::Punctuation,
        CleanRule::Debris,
        CleanRule::RepeatedPunctuation,
        CleanRule::PageNumber,
        CleanRule::RunningHeader,
        CleanRule::Placeholder,
        CleanRule::PlaceholderDropped,
        CleanRule::Variant,
        CleanRule::PiiPhone,
        CleanRule::PiiEmail,
        CleanRule::PiiIdCard,
        CleanRule::PiiBankCard,
    ];

    /// The name stored in the `clean_changes` table.
    pub fn as_str(self) -> &'static str {
        match self {
            CleanRule::Compat => "compat",
            CleanRule::Punctuation => "punctuation",
            CleanRule::Debris => "debris",
            CleanRule::RepeatedPunctuation => "repeated_punctuation",
            CleanRule::PageNumber => "page_number",
            CleanRule::RunningHeader => "running_header",
            CleanRule::Placeholder => "placeholder",
            CleanRule::PlaceholderDropped => "placeholder_dropped",
            CleanRule::Variant => "variant",
            CleanRule::PiiPhone => "pii_phone",
            CleanRule::PiiEmail => "pii_email",
            CleanRule::PiiIdCard => "pii_id_card",
            CleanRule::PiiBankCard => "pii_bank_card",
        }
    }
}

/// How often one cleaning rule fired in one document: a row of the `clean_changes` table.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CleanChange {
    /// The document.
    pub doc_id: String,
    /// The rule.
    pub rule: CleanRule,
    /// Matches or characters changed (see [`CleanRule`]).
    pub count: u32,
}

/// The pipeline stage a failure happened in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Stage {
    /// Opening, reading or decoding an input file.
    #[default]
    Read,
    /// Parsing a record (malformed JSON, a missing text field).
    Parse,
    /// Cleaning the text.
    Clean,
    /// The document was filtered by a rule (empty text); not an error, but accounted for.
    Filter,
    /// Resolving the document's identity (another record claimed the same `doc_id`).
    Identity,
    /// Decoding a page image or PDF (corrupt, truncated, unsupported, over a limit).
    Decode,
    /// Reading one page (OCR past its deadline, a page over the pixel limit, an engine
    /// failure); the document keeps its other pages.
    Ocr,
}

impl Stage {
    /// The lowercase name stored in the `failures` table.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Read => "read",
            Stage::Parse => "parse",
            Stage::Clean => "clean",
            Stage::Filter => "filter",
            Stage::Identity => "identity",
            Stage::Decode => "decode",
            Stage::Ocr => "ocr",
        }
    }
}

/// One failed (or filtered) input record or file: a row of the `failures` table.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Failure {
    /// URI of the input (file path, with `#record` when the failure concerns one record).
    pub source: String,
    /// The document id, when it was known before the failure.
    pub doc_id: Option<String>,
    /// Where it failed.
    pub stage: Stage,
    /// What went wrong, for a person to read.
    pub error: String,
    /// How many attempts were made.
    pub attempts: u32,
    /// Position in the input plan, so failures sort with their documents.
    pub pos: SourcePos,
}

impl Failure {
    /// A failure after one attempt.
    pub fn new(
        source: impl Into<String>,
        doc_id: Option<String>,
        stage: Stage,
        error: impl Into<String>,
        pos: SourcePos,
    ) -> Self {
        Failure { source: source.into(), doc_id, stage, error: error.into(), attempts: 1, pos }
    }
}

/// How a page file is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PageFormat {
    /// A PNG, JPEG or TIFF image (a TIFF may hold several pages).
    #[default]
    Image,
    /// A PDF: each page's text layer, or the page rendered and OCRed.
    Pdf,
}

/// One page of a page file, to be read by whichever worker it is routed to: the pages of
/// a long PDF spread over every worker.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PageTask {
    /// The document the page belongs to.
    pub doc_id: String,
    /// URI of the file.
    pub source: String,
    /// The file to read the page from.
    pub path: String,
    /// How to read it.
    pub format: PageFormat,
    /// The page, from 1.
    pub page: u32,
    /// Pages of the document.
    pub pages: u32,
    /// Title of the document (the file name), when known.
    pub title: Option<String>,
    /// Collection of the document (its folder), when known.
    pub collection: Option<String>,
    /// Position of the document in the input plan.
    pub pos: SourcePos,
    /// The version of the file the task was made for (a hash of its content in a stream;
    /// 0 in a batch plan), so that a rewritten file is a new task.
    pub version: u64,
}

/// How a page's text was obtained.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PageMethod {
    /// The PDF's own text layer.
    TextLayer,
    /// OCR of the page image.
    #[default]
    Ocr,
}

impl PageMethod {
    /// The name stored in the `pages` table.
    pub fn as_str(self) -> &'static str {
        match self {
            PageMethod::TextLayer => "text_layer",
            PageMethod::Ocr => "ocr",
        }
    }
}

/// The text of one page: a row of the `pages` table, and what the document is assembled
/// from.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PageRow {
    /// The document.
    pub doc_id: String,
    /// The page, from 1.
    pub page: u32,
    /// Its text (as OCR or the text layer gave it; the clean stage cleans the document).
    pub text: String,
    /// OCR mean confidence in millionths (`None` for a text layer).
    pub confidence_ppm: Option<u32>,
    /// How the text was obtained.
    pub method: PageMethod,
    /// The engine and its version (`tesseract 5.3.0`, `pdftotext`).
    pub engine: String,
    /// The OCR models (languages) used.
    pub model: Option<String>,
    /// The page's text direction (`horizontal`, `vertical`), when OCRed.
    pub orientation: Option<String>,
    /// What decided the direction (`option`, `geometry`, `readings`), when OCRed.
    pub layout_by: Option<String>,
    /// The skew the page was straightened by before OCR, in thousandths of a degree
    /// counter-clockwise, when OCRed.
    pub skew_millidegrees: Option<i32>,
    /// Milliseconds spent on the page.
    pub ms: u64,
    /// The document's task, for assembling it (not a column).
    pub task: PageTask,
}

/// Why two documents are in one cluster.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DuplicateKind {
    /// Identical cleaned text (same content hash).
    #[default]
    Exact,
    /// Similar text (MinHash / LSH, verified).
    Near,
}

impl DuplicateKind {
    /// The lowercase name stored in the `duplicates` table.
    pub fn as_str(self) -> &'static str {
        match self {
            DuplicateKind::Exact => "exact",
            DuplicateKind::Near => "near",
        }
    }
}

/// Membership of one document in a duplicate cluster: a row of the `duplicates` table.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DuplicateRow {
    /// The member.
    pub doc_id: String,
    /// The cluster: the smallest `doc_id` among its members.
    pub cluster_id: String,
    /// Exact or near.
    pub kind: DuplicateKind,
    /// Similarity to the representative, in millionths (1_000_000 = identical).
    pub similarity_ppm: u32,
}

/// The kinds of entity mentions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EntityKind {
    /// A dynasty or regime name.
    #[default]
    Dynasty,
    /// A reign-era date, normalised to a year.
    EraDate,
    /// A ruler.
    Ruler,
    /// A person.
    Person,
    /// A place.
    Place,
    /// An office or title.
    Office,
}

impl EntityKind {
    /// The name stored in the `entities` table.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Dynasty => "DYNASTY",
            EntityKind::EraDate => "ERA_DATE",
            EntityKind::Ruler => "RULER",
            EntityKind::Person => "PERSON",
            EntityKind::Place => "PLACE",
            EntityKind::Office => "OFFICE",
        }
    }

    /// The kind named `s` in the `entities` table.
    pub fn parse(s: &str) -> Option<EntityKind> {
        <EntityKind as Named>::parse(s)
    }
}

/// One entity mention in a document: a row of the `entities` table. An ambiguous mention
/// has one row per candidate reading (e.g. per candidate year), all marked `ambiguous`.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EntityRow {
    /// The document.
    pub doc_id: String,
    /// What kind of entity.
    pub kind: EntityKind,
    /// The mention as written.
    pub text: String,
    /// Normal form (e.g. `唐貞觀3年`).
    pub norm: String,
    /// The year, for dates (astronomical: 0 = 1 BC).
    pub year: Option<i32>,
    /// First character, as an offset in characters of the clean text.
    pub start: u32,
    /// One past the last character.
    pub end: u32,
    /// Confidence in millionths.
    pub confidence_ppm: u32,
    /// More than one reading remains.
    pub ambiguous: bool,
}

/// How many documents mention an entity: a row of the `entity_counts` table.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EntityCount {
    /// What kind of entity.
    pub kind: EntityKind,
    /// Its normal form.
    pub norm: String,
    /// Documents that mention it.
    pub documents: i64,
}

/// A record behind an `Arc`: a stream with several consumers hands each a pointer instead
/// of a copy of the text. Serialises as the record itself. `Shared<str>` is a string in
/// one allocation with its counts.
pub struct Shared<T: ?Sized>(pub Arc<T>);

impl<T> Shared<T> {
    /// A shared record.
    pub fn new(value: T) -> Self {
        Shared(Arc::new(value))
    }
}

impl From<&str> for Shared<str> {
    fn from(s: &str) -> Self {
        Shared(Arc::from(s))
    }
}

impl<T: ?Sized> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Arc::clone(&self.0))
    }
}

impl<T: ?Sized + std::fmt::Debug> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Shared").field(&&*self.0).finish()
    }
}

impl<T: ?Sized + PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        *self.0 == *other.0
    }
}

impl<T: ?Sized + Eq> Eq for Shared<T> {}

impl<T: ?Sized + PartialOrd> PartialOrd for Shared<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        (*self.0).partial_cmp(&*other.0)
    }
}

impl<T: ?Sized + Ord> Ord for Shared<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (*self.0).cmp(&*other.0)
    }
}

impl<T: ?Sized + std::hash::Hash> std::hash::Hash for Shared<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (*self.0).hash(state);
    }
}

impl<T: ?Sized> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized> std::borrow::Borrow<T> for Shared<T> {
    fn borrow(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized + Serialize> Serialize for Shared<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (*self.0).serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Shared<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(|t| Shared(Arc::new(t)))
    }
}

impl<'de> Deserialize<'de> for Shared<str> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|s| Shared(Arc::from(s)))
    }
}

impl Named for Script {
    const ALL: &'static [Script] = &[Script::Unknown, Script::Hant, Script::Hans, Script::Hani, Script::Other];
    fn as_str(self) -> &'static str {
        Script::as_str(self)
    }
}

impl Named for CleanRule {
    const ALL: &'static [CleanRule] = &CleanRule::ALL;
    fn as_str(self) -> &'static str {
        CleanRule::as_str(self)
    }
}

impl Named for Stage {
    const ALL: &'static [Stage] =
        &[Stage::Read, Stage::Parse, Stage::Clean, Stage::Filter, Stage::Identity, Stage::Decode, Stage::Ocr];
    fn as_str(self) -> &'static str {
        Stage::as_str(self)
    }
}

impl Named for PageMethod {
    const ALL: &'static [PageMethod] = &[PageMethod::TextLayer, PageMethod::Ocr];
    fn as_str(self) -> &'static str {
        PageMethod::as_str(self)
    }
}

impl Named for DuplicateKind {
    const ALL: &'static [DuplicateKind] = &[DuplicateKind::Exact, DuplicateKind::Near];
    fn as_str(self) -> &'static str {
        DuplicateKind::as_str(self)
    }
}

impl Named for EntityKind {
    const ALL: &'static [EntityKind] = &[
        EntityKind::Dynasty,
        EntityKind::EraDate,
        EntityKind::Ruler,
        EntityKind::Person,
        EntityKind::Place,
        EntityKind::Office,
    ];
    fn as_str(self) -> &'static str {
        EntityKind::as_str(self)
    }
}
