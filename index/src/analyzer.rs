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
///
/// In index mode the tokens are made one at a time in one reused [`Token`] (a text of a
/// million characters gives two million tokens: none is allocated or kept); in query mode
/// they are computed up front, since a lone character's unigram depends on what follows.
#[derive(Clone, Debug, Default)]
pub struct CjkTokenizer {
    mode: Mode,
    tokens: Vec<Token>,
    token: Token,
}

impl CjkTokenizer {
    /// The tokenizer the index is built with.
    pub fn index() -> Self {
        CjkTokenizer { mode: Mode::Index, ..CjkTokenizer::default() }
    }

    /// The tokenizer queries are analysed with.
    pub fn query() -> Self {
        CjkTokenizer { mode: Mode::Query, ..CjkTokenizer::default() }
    }
}

/// The tokens of one text.
#[derive(Debug)]
pub enum CjkTokenStream<'a> {
    /// Made as they are asked for (index mode).
    Streamed(IndexTokens<'a>),
    /// Computed up front (query mode).
    Listed {
        /// The tokens.
        tokens: &'a mut Vec<Token>,
        /// One past the current token.
        next: usize,
    },
}

impl Tokenizer for CjkTokenizer {
    type TokenStream<'a> = CjkTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> CjkTokenStream<'a> {
        match self.mode {
            Mode::Index => CjkTokenStream::Streamed(IndexTokens::new(text, &mut self.token)),
            Mode::Query => {
                self.tokens.clear();
                tokenize(text, self.mode, &mut self.tokens);
                CjkTokenStream::Listed { tokens: &mut self.tokens, next: 0 }
            }
        }
    }
}

impl TokenStream for CjkTokenStream<'_> {
    fn advance(&mut self) -> bool {
        match self {
            CjkTokenStream::Streamed(s) => s.advance(),
            CjkTokenStream::Listed { tokens, next } => {
                *next += 1;
                *next <= tokens.len()
            }
        }
    }

    fn token(&self) -> &Token {
        match self {
            CjkTokenStream::Streamed(s) => s.token,
            CjkTokenStream::Listed { tokens, next } => &tokens[*next - 1],
        }
    }

    fn token_mut(&mut self) -> &mut Token {
        match self {
            CjkTokenStream::Streamed(s) => s.token,
            CjkTokenStream::Listed { tokens, next } => &mut tokens[*next - 1],
        }
    }
}

/// The index-mode tokens of a text, made one at a time into one [`Token`]: the same
/// tokens, in the same order, as [`tokenize`] in [`Mode::Index`].
#[derive(Debug)]
pub struct IndexTokens<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    token: &'a mut Token,
    position: usize,
    prev: Prev,
    /// The unigram of the current character, given after its bigram: offsets, the folded
    /// character, position.
    unigram: Option<(usize, usize, char, usize)>,
}

impl<'a> IndexTokens<'a> {
    fn new(text: &'a str, token: &'a mut Token) -> Self {
        IndexTokens { chars: text.char_indices().peekable(), token, position: 0, prev: None, unigram: None }
    }

    fn set(&mut self, from: usize, to: usize, position: usize, length: usize) {
        self.token.offset_from = from;
        self.token.offset_to = to;
        self.token.position = position;
        self.token.position_length = length;
        self.token.text.clear();
    }

    fn advance(&mut self) -> bool {
        if let Some((from, to, c, position)) = self.unigram.take() {
            self.set(from, to, position, 1);
            self.token.text.push(c);
            return true;
        }
        while let Some((at, c)) = self.chars.next() {
            if is_han(c) {
                let end = at + c.len_utf8();
                let folded = fold_char(c);
                let position = self.position;
                self.position += 1;
                match self.prev.replace((at, folded, position)) {
                    Some((from, f, pos)) => {
                        self.set(from, end, pos, 2);
                        self.token.text.push(f);
                        self.token.text.push(folded);
                        self.unigram = Some((at, end, folded, position));
                    }
                    None => {
                        self.set(at, end, position, 1);
                        self.token.text.push(folded);
                    }
                }
                return true;
            } else if c.is_alphanumeric() {
                self.prev = None;
                let position = self.position;
                self.position += 1;
                self.set(at, at + c.len_utf8(), position, 1);
                self.token.text.extend(c.to_lowercase());
                while let Some(&(next_at, next)) = self.chars.peek() {
                    if !next.is_alphanumeric() || is_han(next) {
                        break;
                    }
                    self.token.text.extend(next.to_lowercase());
                    self.token.offset_to = next_at + next.len_utf8();
                    self.chars.next();
                }
                return true;
            }
        }
        false
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

    /// Every token of the index-mode stream, as tantivy reads them.
    fn streamed(text: &str) -> Vec<Token> {
        let mut tokenizer = CjkTokenizer::index();
        let mut stream = tokenizer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().clone());
        }
        out
    }

    #[test]
    fn the_streamed_index_tokens_are_the_listed_ones_on_random_and_real_text() {
        // A small generator (xorshift) over Han (traditional, simplified, variants, an
        // extension-B character), Latin, digits, punctuation, spaces and line breaks.
        let alphabet: Vec<char> =
            "床前明月光疑是地上霜舉頭望低思故鄉举头乡爲為为𠀋aZé9０ ，。\n「」-·".chars().collect();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..3000 {
            let len = (next() % 40) as usize;
            let text: String = (0..len).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]).collect();
            let mut listed = Vec::new();
            tokenize(&text, Mode::Index, &mut listed);
            assert_eq!(streamed(&text), listed, "{text:?}");
        }
        let poem = "《靜夜思》李白\n床前明月光，疑是地上霜。\n舉頭望明月，低頭思故鄉。 Li Bai, 701–762";
        let mut listed = Vec::new();
        tokenize(poem, Mode::Index, &mut listed);
        assert_eq!(streamed(poem), listed);
        assert!(streamed("").is_empty());
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
