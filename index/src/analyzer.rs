//! The CJK analyzer: any span of Han text can be found, as a word or as a phrase, in
//! traditional or simplified characters, punctuated or not.
//!
//! - **Index mode** ([`CjkTokenizer::index`], registered as [`CJK_ANALYZER`]): a Han
//!   character becomes a unigram, and every pair of neighbouring Han characters a bigram at
//!   the position of its first character (as Lucene's CJK bigram filter does with unigrams
//!   kept). The tokens of `床前明月` are 床 床前 @0, 前 前明 @1, 明 明月 @2, 月 @3. Bigrams
//!   make multi-character queries selective; unigrams make single characters findable.
//! - **Query mode** ([`CjkTokenizer::query`]): the same positions, but a run of two or more
//!   Han characters gives its bigrams only, so a phrase query for a span intersects the
//!   postings of rare bigrams instead of those of common characters, and finds exactly
//!   the texts that contain the span. A lone Han character gives its unigram.
//! - Punctuation, spaces, line breaks and symbols take no position, and a bigram bridges
//!   them: `光，疑` and `光疑` give the same tokens, so an unpunctuated edition (白文) and a
//!   punctuated one match the same queries, and a phrase may run across a line break.
//! - Every Han character is folded before it becomes a token: variant to standard form,
//!   then traditional to simplified (`wenflow_text::fold_char`). An index of
//!   traditional text answers simplified queries and the reverse.
//! - Latin letters and digits form words, lower-cased, one token and one position each;
//!   a word breaks the Han run (no bigram spans it).

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use wenflow_text::{fold_char, is_han};

/// The name the analyzer is registered under.
pub const CJK_ANALYZER: &str = "wenflow_cjk";

/// The version of the tokens the analyzer gives: recorded in the index manifest and bumped
/// whenever a text would give other tokens (a new folding table, say), so that an index
/// built with other tokens is rebuilt rather than searched with the wrong ones.
pub const ANALYZER_VERSION: u32 = 1;

/// Which tokens a Han run gives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Unigrams and bigrams: what the index holds.
    #[default]
    Index,
    /// Bigrams only for runs of two or more characters: what a query looks up.
    Query,
}

/// The tokenizer; see the module documentation.
#[derive(Clone, Debug, Default)]
pub struct CjkTokenizer {
    mode: Mode,
    tokens: Vec<Token>,
}

impl CjkTokenizer {
    /// The tokenizer the index is built with.
    pub fn index() -> Self {
        CjkTokenizer { mode: Mode::Index, tokens: Vec::new() }
    }

    /// The tokenizer queries are analysed with.
    pub fn query() -> Self {
        CjkTokenizer { mode: Mode::Query, tokens: Vec::new() }
    }
}

/// The tokens of one text, computed up front.
#[derive(Debug)]
pub struct CjkTokenStream<'a> {
    tokens: &'a mut Vec<Token>,
    next: usize,
}

impl Tokenizer for CjkTokenizer {
    type TokenStream<'a> = CjkTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> CjkTokenStream<'a> {
        self.tokens.clear();
        tokenize(text, self.mode, &mut self.tokens);
        CjkTokenStream { tokens: &mut self.tokens, next: 0 }
    }
}

impl TokenStream for CjkTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

fn token(text: String, from: usize, to: usize, position: usize, length: usize) -> Token {
    Token { offset_from: from, offset_to: to, position, text, position_length: length }
}

/// The previous Han character of the current run: byte offset, folded form, position.
type Prev = Option<(usize, char, usize)>;

/// Appends the tokens of `text` in `mode` to `out`.
pub fn tokenize(text: &str, mode: Mode, out: &mut Vec<Token>) {
    let mut position = 0usize;
    let mut prev: Prev = None;
    // Query mode: a lone character's unigram waits until the run turns out to be one long.
    let mut lone: Option<Token> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if is_han(c) {
            let end = at + c.len_utf8();
            let folded = fold_char(c);
            match (mode, prev) {
                (Mode::Index, p) => {
                    if let Some((from, f, pos)) = p {
                        out.push(token([f, folded].into_iter().collect(), from, end, pos, 2));
                    }
                    out.push(token(folded.to_string(), at, end, position, 1));
                }
                (Mode::Query, None) => lone = Some(token(folded.to_string(), at, end, position, 1)),
                (Mode::Query, Some((from, f, pos))) => {
                    lone = None;
                    out.push(token([f, folded].into_iter().collect(), from, end, pos, 2));
                }
            }
            prev = Some((at, folded, position));
            position += 1;
        } else if c.is_alphanumeric() {
            out.extend(lone.take());
            prev = None;
            let mut end = at + c.len_utf8();
            let mut word: String = c.to_lowercase().collect();
            while let Some(&(next_at, next)) = chars.peek() {
                if !next.is_alphanumeric() || is_han(next) {
                    break;
                }
                word.extend(next.to_lowercase());
                end = next_at + next.len_utf8();
                chars.next();
            }
            out.push(token(word, at, end, position, 1));
            position += 1;
        }
    }
    out.extend(lone);
}

#[cfg(test)]
mod tests {
    use tantivy::collector::TopDocs;
    use tantivy::query::QueryParser;
    use tantivy::schema::{IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value};
    use tantivy::tokenizer::TokenizerManager;
    use tantivy::{Index, TantivyDocument, doc};

    use super::*;

    fn tokens(text: &str, mode: Mode) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        tokenize(text, mode, &mut out);
        out.into_iter().map(|t| (t.text, t.position)).collect()
    }

    fn owned(want: &[(&str, usize)]) -> Vec<(String, usize)> {
        want.iter().map(|(t, p)| (t.to_string(), *p)).collect()
    }

    #[test]
    fn han_runs_give_unigrams_and_bigrams_at_the_first_characters_position() {
        let want = [("床", 0), ("床前", 0), ("前", 1), ("前明", 1), ("明", 2), ("明月", 2), ("月", 3)];
        assert_eq!(tokens("床前明月", Mode::Index), owned(&want));
    }

    #[test]
    fn queries_look_up_bigrams_and_lone_characters() {
        assert_eq!(tokens("床前明月", Mode::Query), owned(&[("床前", 0), ("前明", 1), ("明月", 2)]));
        assert_eq!(tokens("月", Mode::Query), owned(&[("月", 0)]));
        assert_eq!(tokens("李白 月", Mode::Query), owned(&[("李白", 0), ("白月", 1)]), "a space is bridged");
        assert_eq!(tokens("月 Li", Mode::Query), owned(&[("月", 0), ("li", 1)]));
        assert_eq!(tokens("Li 月", Mode::Query), owned(&[("li", 0), ("月", 1)]));
        assert!(tokens("，。", Mode::Query).is_empty());
    }

    #[test]
    fn punctuation_is_bridged_and_latin_words_are_lower_cased() {
        let want = [("光", 0), ("光疑", 0), ("疑", 1), ("li", 2), ("bai", 3), ("701", 4), ("年", 5)];
        assert_eq!(tokens("光，疑 Li Bai 701年", Mode::Index), owned(&want));
        assert_eq!(tokens("光，\n疑", Mode::Index), tokens("光疑", Mode::Index));
        assert_eq!(tokens("光，疑", Mode::Query), tokens("光疑", Mode::Query));
        assert!(tokens("", Mode::Index).is_empty());
        assert!(tokens("，。！ ", Mode::Index).is_empty());
    }

    #[test]
    fn traditional_variant_and_simplified_forms_fold_to_one_token() {
        for mode in [Mode::Index, Mode::Query] {
            assert_eq!(tokens("舉頭", mode), tokens("举头", mode));
            assert_eq!(tokens("爲", mode), tokens("为", mode));
            for (a, b) in [("遊", "游"), ("喫", "吃"), ("箇", "个"), ("管絃", "管弦"), ("巖", "岩"), ("歎", "叹")]
            {
                assert_eq!(tokens(a, mode), tokens(b, mode), "{a} and {b}");
            }
        }
    }

    #[test]
    fn offsets_point_at_the_original_text() {
        let text = "舉頭，望明月";
        for mode in [Mode::Index, Mode::Query] {
            let mut out = Vec::new();
            tokenize(text, mode, &mut out);
            assert!(!out.is_empty());
            for t in &out {
                let original: String =
                    text[t.offset_from..t.offset_to].chars().filter(|c| is_han(*c)).map(fold_char).collect();
                assert_eq!(original, t.text);
            }
        }
    }

    /// Through a real tantivy index, queries analysed in query mode: any span is found, as
    /// a phrase, in either script, with or without punctuation; a span that is not in the
    /// text is not.
    #[test]
    fn spans_are_found_in_either_script_through_tantivy() -> tantivy::Result<()> {
        let mut builder = Schema::builder();
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(CJK_ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let text = builder.add_text_field("text", TextOptions::default().set_indexing_options(indexing) | STORED);
        let schema = builder.build();
        let index = Index::create_in_ram(schema.clone());
        index.tokenizers().register(CJK_ANALYZER, CjkTokenizer::index());
        let mut writer = index.writer_with_num_threads(1, 15_000_000)?;
        writer.add_document(doc!(text => "床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。"))?;
        writer.add_document(doc!(text => "春眠不覺曉，處處聞啼鳥。"))?;
        writer.commit()?;
        let searcher = index.reader()?.searcher();
        let queries = TokenizerManager::default();
        queries.register(CJK_ANALYZER, CjkTokenizer::query());
        let parser = QueryParser::new(schema, vec![text], queries);
        let hits = |q: &str| -> tantivy::Result<Vec<String>> {
            let query = parser.parse_query(q).map_err(|e| tantivy::TantivyError::InvalidArgument(e.to_string()))?;
            let top = searcher.search(&query, &TopDocs::with_limit(10).order_by_score())?;
            top.into_iter()
                .map(|(_, addr)| {
                    let d: TantivyDocument = searcher.doc(addr)?;
                    Ok(d.get_first(text).and_then(|v| v.as_str()).unwrap_or_default().chars().take(2).collect())
                })
                .collect()
        };
        assert_eq!(hits("舉頭望明月")?, ["床前"]);
        assert_eq!(hits("举头望明月")?, ["床前"], "simplified query, traditional text");
        assert_eq!(hits("\"光，疑是\"")?, ["床前"], "a phrase across punctuation");
        assert_eq!(hits("光疑是地上")?, ["床前"], "an unpunctuated query, punctuated text");
        assert_eq!(hits("鄉")?, ["床前"], "a single character");
        assert_eq!(hits("处处闻")?, ["春眠"]);
        assert!(hits("明月春")?.is_empty(), "characters of both texts, a span of neither");
        assert!(hits("望月")?.is_empty(), "not a span: 望 and 月 are apart");
        Ok(())
    }
}
