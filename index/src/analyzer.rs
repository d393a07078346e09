//! The CJK analyzer: any span of Han text can be found, as a word or as a phrase, in
//! traditional or simplified characters.
//!
//! - A run of Han characters becomes one unigram per character and one bigram per pair of
//!   neighbours. A bigram takes the position of its first character (as Lucene's CJK
//!   bigram filter does with unigrams kept), so the tokens of `床前明月` are 床 床前 @0,
//!   前 前明 @1, 明 明月 @2, 月 @3, and a phrase query for any span finds exactly the texts
//!   that contain it. Bigrams make multi-character queries selective; unigrams make single
//!   characters findable.
//! - Every Han character is folded before it becomes a token: variant to standard form,
//!   then traditional to simplified (`wenflow_operators::clean::fold_char`). An index of
//!   traditional text answers simplified queries and the reverse.
//! - Latin letters and digits form words, lower-cased; each is one token.
//! - Everything else (punctuation, spaces, symbols) separates tokens and takes no position,
//!   so a phrase may cross punctuation (`光，疑` matches `光疑`) but no bigram does.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use wenflow_operators::clean::{fold_char, is_han};

/// The name the analyzer is registered under.
pub const CJK_ANALYZER: &str = "wenflow_cjk";

/// The tokenizer; see the module documentation.
#[derive(Clone, Debug, Default)]
pub struct CjkTokenizer {
    tokens: Vec<Token>,
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
        tokenize(text, &mut self.tokens);
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

/// Appends the tokens of `text` to `out`.
pub fn tokenize(text: &str, out: &mut Vec<Token>) {
    let mut position = 0usize;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if is_han(c) {
            let end = at + c.len_utf8();
            let folded = fold_char(c);
            out.push(token(folded.to_string(), at, end, position, 1));
            if let Some(&(next_at, next)) = chars.peek()
                && is_han(next)
            {
                let bigram: String = [folded, fold_char(next)].into_iter().collect();
                out.push(token(bigram, at, next_at + next.len_utf8(), position, 2));
            }
            position += 1;
        } else if c.is_alphanumeric() {
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
}

#[cfg(test)]
mod tests {
    use tantivy::collector::TopDocs;
    use tantivy::query::QueryParser;
    use tantivy::schema::{IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value};
    use tantivy::{Index, TantivyDocument, doc};

    use super::*;

    fn tokens(text: &str) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        tokenize(text, &mut out);
        out.into_iter().map(|t| (t.text, t.position)).collect()
    }

    #[test]
    fn han_runs_give_unigrams_and_bigrams_at_the_first_characters_position() {
        let got = tokens("床前明月");
        let want: Vec<(String, usize)> =
            [("床", 0), ("床前", 0), ("前", 1), ("前明", 1), ("明", 2), ("明月", 2), ("月", 3)]
                .into_iter()
                .map(|(t, p)| (t.to_string(), p))
                .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn punctuation_separates_without_a_position_and_latin_words_are_lower_cased() {
        let got = tokens("光，疑 Li Bai 701年");
        let texts: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(texts, ["光", "疑", "li", "bai", "701", "年"]);
        assert_eq!(got[1].1, 1, "no position for the comma");
        assert_eq!(got.last().map(|t| t.1), Some(5));
        assert!(tokens("").is_empty());
        assert!(tokens("，。！ ").is_empty());
    }

    #[test]
    fn traditional_variant_and_simplified_forms_fold_to_one_token() {
        assert_eq!(tokens("舉頭"), tokens("举头"));
        assert_eq!(tokens("爲"), tokens("为"));
    }

    #[test]
    fn offsets_point_at_the_original_text() {
        let text = "舉頭望明月";
        let mut out = Vec::new();
        tokenize(text, &mut out);
        for t in &out {
            let original: String = text[t.offset_from..t.offset_to].chars().map(fold_char).collect();
            assert_eq!(original, t.text);
        }
    }

    /// Through a real tantivy index: any span is found, as a phrase, in either script; a
    /// span that is not in the text is not.
    #[test]
    fn spans_are_found_in_either_script_through_tantivy() -> tantivy::Result<()> {
        let mut builder = Schema::builder();
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(CJK_ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let text = builder.add_text_field("text", TextOptions::default().set_indexing_options(indexing) | STORED);
        let index = Index::create_in_ram(builder.build());
        index.tokenizers().register(CJK_ANALYZER, CjkTokenizer::default());
        let mut writer = index.writer_with_num_threads(1, 15_000_000)?;
        writer.add_document(doc!(text => "床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。"))?;
        writer.add_document(doc!(text => "春眠不覺曉，處處聞啼鳥。"))?;
        writer.commit()?;
        let searcher = index.reader()?.searcher();
        let parser = QueryParser::for_index(&index, vec![text]);
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
        assert_eq!(hits("鄉")?, ["床前"], "a single character");
        assert_eq!(hits("处处闻")?, ["春眠"]);
        assert!(hits("明月春")?.is_empty(), "characters of both texts, a span of neither");
        assert!(hits("望月")?.is_empty(), "not a span: 望 and 月 are apart");
        Ok(())
    }
}
