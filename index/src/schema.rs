//! The index schema, and the index document of a wenflow document.
//!
//! | field | indexed as | stored | use |
//! |---|---|---|---|
//! | `doc_id` | raw term, fast | yes | deletes and updates, display |
//! | `doc_key` | u64 fast: `xxh3(doc_id)` | no | the order of equal scores |
//! | `title`, `author` | [`CJK_ANALYZER`] with positions | yes | queries, display |
//! | `text` | [`CJK_ANALYZER`] with positions | yes | queries, snippets |
//! | `collection`, `dynasty` | — | yes | display |
//! | `author_key` | raw term of the folded author | no | `--author` filter |
//! | `facets` | `/dynasty/…`, `/collection/…`, `/entity/KIND/norm` (folded) | no | filters, facet counts |
//! | `year` | i64, indexed and fast, one value per year an unambiguous era date names | no | `--year` ranges |
//! | `content_hash` | raw term | yes | display, joins with the tables |
//!
//! Folded means every Han character mapped to its standard, simplified form
//! ([`fold`]), so a filter matches whichever script the user types.

use std::collections::BTreeSet;

use tantivy::TantivyDocument;
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions,
};
use wenflow_engine::{Document, EntityKind, EntityRow};
use wenflow_text::fold_char;

use crate::analyzer::CJK_ANALYZER;

/// The fields of the index.
#[derive(Clone, Debug)]
pub struct IndexSchema {
    /// The tantivy schema.
    pub schema: Schema,
    /// The document id.
    pub doc_id: Field,
    /// A hash of the document id: equal scores are ordered by it, on every shard layout.
    pub doc_key: Field,
    /// The title.
    pub title: Field,
    /// The author.
    pub author: Field,
    /// The collection (stored only).
    pub collection: Field,
    /// The dynasty (stored only).
    pub dynasty: Field,
    /// The clean text.
    pub text: Field,
    /// The folded author, as one term.
    pub author_key: Field,
    /// Dynasty, collection and entity facets.
    pub facets: Field,
    /// Years named by unambiguous era dates.
    pub year: Field,
    /// The content hash.
    pub content_hash: Field,
}

impl Default for IndexSchema {
    fn default() -> Self {
        IndexSchema::new()
    }
}

/// A string folded for filters and facets: every Han character to its standard,
/// simplified form, Latin letters lower-cased, surrounding whitespace trimmed.
pub fn fold(s: &str) -> String {
    s.trim().chars().map(fold_char).flat_map(char::to_lowercase).collect()
}

/// The tie-break key of a document: equal scores rank by it.
pub fn doc_key(doc_id: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(doc_id.as_bytes(), 0x0077_656e_666c_6f77)
}

impl IndexSchema {
    /// The schema (the same on every shard).
    pub fn new() -> IndexSchema {
        let mut b = Schema::builder();
        let analyzed = TextFieldIndexing::default()
            .set_tokenizer(CJK_ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let analyzed = TextOptions::default().set_indexing_options(analyzed) | STORED;
        let doc_id = b.add_text_field("doc_id", STRING | STORED | FAST);
        let doc_key = b.add_u64_field("doc_key", FAST);
        let title = b.add_text_field("title", analyzed.clone());
        let author = b.add_text_field("author", analyzed.clone());
        let collection = b.add_text_field("collection", STORED);
        let dynasty = b.add_text_field("dynasty", STORED);
        let text = b.add_text_field("text", analyzed);
        let author_key = b.add_text_field("author_key", STRING);
        let facets = b.add_facet_field("facets", FacetOptions::default());
        let year = b.add_i64_field("year", INDEXED | FAST);
        let content_hash = b.add_text_field("content_hash", STRING | STORED);
        IndexSchema {
            schema: b.build(),
            doc_id,
            doc_key,
            title,
            author,
            collection,
            dynasty,
            text,
            author_key,
            facets,
            year,
            content_hash,
        }
    }

    /// The index document of `doc`, with the facets and years of its entity `mentions`.
    pub fn document<'a>(&self, doc: &Document, mentions: impl IntoIterator<Item = &'a EntityRow>) -> TantivyDocument {
        let mut d = TantivyDocument::default();
        d.add_text(self.doc_id, &doc.doc_id);
        d.add_u64(self.doc_key, doc_key(&doc.doc_id));
        d.add_text(self.text, &doc.text);
        d.add_text(self.content_hash, &doc.content_hash);
        if let Some(t) = &doc.title {
            d.add_text(self.title, t);
        }
        if let Some(a) = &doc.author {
            d.add_text(self.author, a);
            d.add_text(self.author_key, fold(a));
        }
        if let Some(c) = &doc.collection {
            d.add_text(self.collection, c);
            d.add_facet(self.facets, Facet::from_path(["collection", fold(c).as_str()]));
        }
        if let Some(y) = &doc.dynasty {
            d.add_text(self.dynasty, y);
            d.add_facet(self.facets, Facet::from_path(["dynasty", fold(y).as_str()]));
        }
        let mut entities = BTreeSet::new();
        let mut years = BTreeSet::new();
        for m in mentions {
            if m.kind == EntityKind::EraDate {
                if m.ambiguous {
                    continue;
                }
                if let Some(y) = m.year {
                    years.insert(y);
                }
            }
            entities.insert((m.kind.as_str(), fold(&m.norm)));
        }
        for (kind, norm) in &entities {
            d.add_facet(self.facets, Facet::from_path(["entity", kind, norm.as_str()]));
        }
        for y in years {
            d.add_i64(self.year, i64::from(y));
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use tantivy::schema::Value;

    use super::*;

    #[test]
    fn documents_carry_folded_facets_and_unambiguous_years() {
        let s = IndexSchema::new();
        let doc = Document {
            doc_id: "全唐诗/1".into(),
            title: Some("靜夜思".into()),
            author: Some("李白".into()),
            collection: Some("御定全唐詩".into()),
            dynasty: Some("唐".into()),
            text: "貞觀三年".into(),
            ..Document::default()
        };
        let row = |kind, norm: &str, year, ambiguous| EntityRow {
            doc_id: doc.doc_id.clone(),
            kind,
            text: String::new(),
            norm: norm.into(),
            year,
            start: 0,
            end: 4,
            confidence_ppm: 1_000_000,
            ambiguous,
        };
        let mentions = [
            row(EntityKind::EraDate, "唐貞觀3年", Some(629), false),
            row(EntityKind::EraDate, "後漢乾祐3年", Some(950), true),
            row(EntityKind::Person, "李白", None, false),
        ];
        let d = s.document(&doc, &mentions);
        let mut facets: Vec<String> = d
            .get_all(s.facets)
            .filter_map(|v| v.as_facet())
            .filter_map(|f| Facet::from_encoded(f.as_bytes().to_vec()).ok())
            .map(|f| f.to_path_string())
            .collect();
        facets.sort();
        assert_eq!(
            facets,
            ["/collection/御定全唐诗", "/dynasty/唐", "/entity/ERA_DATE/唐贞观3年", "/entity/PERSON/李白"]
        );
        let years: Vec<i64> = d.get_all(s.year).filter_map(|v| v.as_i64()).collect();
        assert_eq!(years, [629], "the ambiguous date gives no year");
        assert_eq!(d.get_first(s.collection).and_then(|v| v.as_str()), Some("御定全唐詩"), "stored as written");
    }

    #[test]
    fn fold_maps_scripts_and_case() {
        assert_eq!(fold(" 蘇軾 "), "苏轼");
        assert_eq!(fold("Li Bai"), "li bai");
    }
}
