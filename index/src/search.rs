//! Search across all shards with one global ranking.
//!
//! - **Scores comparable across shards.** Each shard is searched with BM25 statistics
//!   summed over all shards (document count, tokens per field, document frequency per
//!   term), so a document scores what it would in a single index holding every shard, and
//!   the global top-k is the top-k of the merged candidates. Equal scores are ordered by a
//!   hash of `doc_id` (the `doc_key` fast field), inside each shard's collector as in the
//!   merge, so the hits and their order do not depend on the number of shards or on how
//!   tantivy laid out its segments.
//! - **Queries** use tantivy's grammar over `text`, `title` and `author`: words are
//!   required (AND) unless joined by `OR`; `NOT` or `-` excludes; `"…"` quotes a phrase;
//!   parentheses group. A run of Han characters is looked up as a phrase of bigrams
//!   ([`Mode::Query`](crate::analyzer::Mode::Query)), so `舉頭望明月` finds exactly the texts
//!   holding that span, in either script, punctuated or not.
//! - **Filters** (dynasty, collection, author, year range, entity) restrict the matches
//!   without changing scores.
//! - **Snippets**: the best fragment of the text with the matched spans marked.

use std::cmp::Reverse;
use std::ops::Bound;
use std::path::Path;

use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::columnar::StrColumn;
use tantivy::query::{
    AllQuery, Bm25StatisticsProvider, BooleanQuery, ConstScoreQuery, Occur, Query, QueryParser, RangeQuery, TermQuery,
};
use tantivy::schema::{Facet, Field, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TokenizerManager;
use tantivy::{DocAddress, DocId, IndexReader, ReloadPolicy, Score, Searcher, SegmentReader, TantivyDocument, Term};
use wenflow_engine::{EntityKind, Epoch};

use crate::analyzer::{CJK_ANALYZER, CjkTokenizer};
use crate::error::{IndexError, Result};
use crate::schema::{IndexSchema, fold};
use crate::shards::{IndexLayout, committed_payload, open_shard};

/// Filters of a search; each restricts the matches, none changes a score.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    /// Dynasty (either script).
    pub dynasty: Option<String>,
    /// Collection (either script).
    pub collection: Option<String>,
    /// Author, exactly (either script).
    pub author: Option<String>,
    /// Years an unambiguous era date in the text names, as a range.
    pub years: Option<(Bound<i64>, Bound<i64>)>,
    /// Entities the text mentions: `KIND` or `KIND:norm` (all must match).
    pub entities: Vec<String>,
}

/// A search.
#[derive(Clone, Debug)]
pub struct SearchRequest {
    /// The query; empty matches every document (then filters decide).
    pub query: String,
    /// Hits to return.
    pub limit: usize,
    /// Filters.
    pub filters: Filters,
    /// Longest snippet, in bytes of text (0: no snippets).
    pub snippet_bytes: usize,
}

impl SearchRequest {
    /// A request for the top `limit` hits of `query`, with snippets.
    pub fn new(query: impl Into<String>, limit: usize) -> Self {
        SearchRequest { query: query.into(), limit, filters: Filters::default(), snippet_bytes: 180 }
    }
}

/// A passage of a hit's text with the matched spans marked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Snippet {
    /// The passage.
    pub text: String,
    /// Matched spans, as `[start, end)` character offsets in `text`.
    pub highlights: Vec<(usize, usize)>,
}

impl Snippet {
    /// The passage with every matched span wrapped in `open` and `close`.
    pub fn marked(&self, open: &str, close: &str) -> String {
        let mut out = String::with_capacity(self.text.len() + 8 * self.highlights.len());
        let mut spans = self.highlights.iter().peekable();
        for (i, c) in self.text.chars().enumerate() {
            if spans.peek().is_some_and(|(s, _)| *s == i) {
                out.push_str(open);
            }
            out.push(c);
            if spans.peek().is_some_and(|(_, e)| *e == i + 1) {
                out.push_str(close);
                spans.next();
            }
        }
        out
    }
}

/// One hit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Hit {
    /// The document.
    pub doc_id: String,
    /// BM25 score (comparable across shards).
    pub score: f32,
    /// Title, when known.
    pub title: Option<String>,
    /// Author, when known.
    pub author: Option<String>,
    /// Collection, when known.
    pub collection: Option<String>,
    /// Dynasty, when known.
    pub dynasty: Option<String>,
    /// The best passage (empty when snippets are off).
    pub snippet: Snippet,
    /// The shard that holds it.
    pub shard: usize,
}

/// The answer to a search.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchResults {
    /// Documents matching the query and filters, over all shards.
    pub total: u64,
    /// The top hits, best first.
    pub hits: Vec<Hit>,
}

struct Shard {
    number: usize,
    reader: IndexReader,
}

/// BM25 statistics summed over every shard, each computed once per query: every shard's
/// weight asks for the same terms, and a lookup costs one term-dictionary probe per
/// segment of every shard.
struct GlobalStats<'a> {
    searchers: &'a [Searcher],
    docs: std::cell::OnceCell<u64>,
    tokens: std::cell::RefCell<std::collections::HashMap<Field, u64>>,
    doc_freqs: std::cell::RefCell<std::collections::HashMap<Term, u64>>,
}

impl<'a> GlobalStats<'a> {
    fn new(searchers: &'a [Searcher]) -> Self {
        GlobalStats { searchers, docs: Default::default(), tokens: Default::default(), doc_freqs: Default::default() }
    }
}

impl Bm25StatisticsProvider for GlobalStats<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        if let Some(n) = self.tokens.borrow().get(&field) {
            return Ok(*n);
        }
        let n = self
            .searchers
            .iter()
            .map(|s| Bm25StatisticsProvider::total_num_tokens(s, field))
            .sum::<tantivy::Result<u64>>()?;
        self.tokens.borrow_mut().insert(field, n);
        Ok(n)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        if let Some(n) = self.docs.get() {
            return Ok(*n);
        }
        let n = self.searchers.iter().map(Bm25StatisticsProvider::total_num_docs).sum::<tantivy::Result<u64>>()?;
        Ok(*self.docs.get_or_init(|| n))
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        if let Some(n) = self.doc_freqs.borrow().get(term) {
            return Ok(*n);
        }
        let n =
            self.searchers.iter().map(|s| Bm25StatisticsProvider::doc_freq(s, term)).sum::<tantivy::Result<u64>>()?;
        self.doc_freqs.borrow_mut().insert(term.clone(), n);
        Ok(n)
    }
}

/// A candidate hit: score, tie-break key, shard position, address.
type Candidate = (f32, u64, usize, DocAddress);

/// A searcher over every shard of an index.
pub struct ShardedSearcher {
    schema: IndexSchema,
    shards: Vec<Shard>,
    parser: QueryParser,
    epoch: Option<Epoch>,
}

impl std::fmt::Debug for ShardedSearcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShardedSearcher").field("shards", &self.shards.len()).field("epoch", &self.epoch).finish()
    }
}

/// Parses a year range: `700..800` (both ends included), `700..=800`, `700..`, `..800`,
/// or one year `755`. Years are astronomical (0 = 1 BC, -99 = 100 BC).
pub fn parse_years(s: &str) -> Result<(Bound<i64>, Bound<i64>)> {
    let bad = || IndexError::Query(format!("bad year range {s:?}: use FROM..TO, FROM.., ..TO or YEAR"));
    let num = |t: &str| -> Result<Option<i64>> {
        let t = t.trim();
        if t.is_empty() { Ok(None) } else { t.parse().map(Some).map_err(|_| bad()) }
    };
    let bound = |v: Option<i64>| v.map_or(Bound::Unbounded, Bound::Included);
    match s.split_once("..") {
        None => {
            let y = num(s)?.ok_or_else(bad)?;
            Ok((Bound::Included(y), Bound::Included(y)))
        }
        Some((from, to)) => {
            let to = to.strip_prefix('=').unwrap_or(to);
            let (from, to) = (num(from)?, num(to)?);
            if let (Some(f), Some(t)) = (from, to)
                && f > t
            {
                return Err(bad());
            }
            Ok((bound(from), bound(to)))
        }
    }
}

impl ShardedSearcher {
    /// Opens every shard of the index under output root `out` (or of the index directory
    /// `out`) at its last commit.
    pub fn open(out: &Path) -> Result<ShardedSearcher> {
        let layout = IndexLayout::open(out)?;
        let schema = IndexSchema::new();
        let mut shards = Vec::with_capacity(layout.shards);
        let mut epoch: Option<Option<Epoch>> = None;
        for number in 0..layout.shards {
            let index = open_shard(&layout, number, false)?;
            let committed = committed_payload(&index, &layout.shard_dir(number))?.map(|p| p.epoch);
            epoch = Some(match epoch {
                None => committed,
                Some(e) => e.min(committed),
            });
            let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
            shards.push(Shard { number, reader });
        }
        let queries = TokenizerManager::default();
        queries.register(CJK_ANALYZER, CjkTokenizer::query());
        let mut parser =
            QueryParser::new(schema.schema.clone(), vec![schema.text, schema.title, schema.author], queries);
        parser.set_conjunction_by_default();
        Ok(ShardedSearcher { schema, shards, parser, epoch: epoch.flatten() })
    }

    /// Number of shards.
    pub fn shards(&self) -> usize {
        self.shards.len()
    }

    /// The last epoch every shard holds.
    pub fn epoch(&self) -> Option<Epoch> {
        self.epoch
    }

    /// Segments over all shards.
    pub fn segments(&self) -> usize {
        self.shards.iter().map(|s| s.reader.searcher().segment_readers().len()).sum()
    }

    /// Live documents over all shards.
    pub fn num_docs(&self) -> u64 {
        self.shards.iter().map(|s| s.reader.searcher().num_docs()).sum()
    }

    /// The query of `request`: the parsed query string and the filters.
    pub fn query(&self, request: &SearchRequest) -> Result<Box<dyn Query>> {
        let text = request.query.trim();
        let main: Box<dyn Query> = if text.is_empty() {
            return Err(IndexError::Query("nothing to search for: give words, or * for every document".into()));
        } else if text == "*" {
            Box::new(AllQuery)
        } else {
            self.parser.parse_query(text).map_err(|e| IndexError::Query(format!("{text:?}: {e}")))?
        };
        let filters = self.filters(&request.filters)?;
        if filters.is_empty() {
            return Ok(main);
        }
        let mut clauses = vec![(Occur::Must, main)];
        for f in filters {
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(f, 0.0)) as Box<dyn Query>));
        }
        Ok(Box::new(BooleanQuery::new(clauses)))
    }

    fn facet(&self, path: &[&str]) -> Box<dyn Query> {
        let term = Term::from_facet(self.schema.facets, &Facet::from_path(path.iter().copied()));
        Box::new(TermQuery::new(term, IndexRecordOption::Basic))
    }

    fn filters(&self, f: &Filters) -> Result<Vec<Box<dyn Query>>> {
        let mut out: Vec<Box<dyn Query>> = Vec::new();
        if let Some(d) = &f.dynasty {
            out.push(self.facet(&["dynasty", &fold(d)]));
        }
        if let Some(c) = &f.collection {
            out.push(self.facet(&["collection", &fold(c)]));
        }
        if let Some(a) = &f.author {
            let term = Term::from_field_text(self.schema.author_key, &fold(a));
            out.push(Box::new(TermQuery::new(term, IndexRecordOption::Basic)));
        }
        if let Some((from, to)) = &f.years {
            let term = |b: &Bound<i64>| match b {
                Bound::Included(y) => Bound::Included(Term::from_field_i64(self.schema.year, *y)),
                Bound::Excluded(y) => Bound::Excluded(Term::from_field_i64(self.schema.year, *y)),
                Bound::Unbounded => Bound::Unbounded,
            };
            out.push(Box::new(RangeQuery::new(term(from), term(to))));
        }
        for e in &f.entities {
            let (kind, norm) = match e.split_once(':') {
                Some((k, n)) => (k, Some(n)),
                None => (e.as_str(), None),
            };
            let upper = kind.trim().to_uppercase();
            let Some(kind) = EntityKind::parse(&upper) else {
                return Err(IndexError::Query(format!(
                    "unknown entity kind {kind:?} (DYNASTY, ERA_DATE, RULER, PERSON, PLACE, OFFICE)"
                )));
            };
            match norm {
                Some(n) => out.push(self.facet(&["entity", kind.as_str(), &fold(n)])),
                None => out.push(self.facet(&["entity", kind.as_str()])),
            }
        }
        Ok(out)
    }

    /// Runs `request` over every shard and returns the global top hits.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults> {
        let query = self.query(request)?;
        let searchers: Vec<Searcher> = self.shards.iter().map(|s| s.reader.searcher()).collect();
        let (total, top) = self.top(&*query, &searchers, request.limit)?;
        let mut hits = Vec::with_capacity(top.len());
        let mut generators: Vec<Option<SnippetGenerator>> = (0..self.shards.len()).map(|_| None).collect();
        for (score, at, addr, doc_id) in top {
            let doc: TantivyDocument = searchers[at].doc(addr)?;
            let field = |f: Field| doc.get_first(f).and_then(|v| v.as_str()).map(str::to_owned);
            let snippet = if request.snippet_bytes == 0 {
                Snippet::default()
            } else {
                if generators[at].is_none() {
                    let mut g = SnippetGenerator::create(&searchers[at], &*query, self.schema.text)?;
                    g.set_max_num_chars(request.snippet_bytes);
                    generators[at] = Some(g);
                }
                let text = field(self.schema.text).unwrap_or_default();
                generators[at].as_ref().map_or_else(Snippet::default, |g| snippet(g, &text, request.snippet_bytes))
            };
            hits.push(Hit {
                doc_id,
                score,
                title: field(self.schema.title),
                author: field(self.schema.author),
                collection: field(self.schema.collection),
                dynasty: field(self.schema.dynasty),
                snippet,
                shard: self.shards[at].number,
            });
        }
        Ok(SearchResults { total, hits })
    }

    /// The global top `limit` of `query` as `(score, doc_id)`, best first, and the number
    /// of matches: the ranking of [`search`](Self::search) without loading documents.
    pub fn top_ids(&self, request: &SearchRequest) -> Result<(u64, Vec<(f32, String)>)> {
        let query = self.query(request)?;
        let searchers: Vec<Searcher> = self.shards.iter().map(|s| s.reader.searcher()).collect();
        let (total, top) = self.top(&*query, &searchers, request.limit)?;
        Ok((total, top.into_iter().map(|(score, _, _, id)| (score, id)).collect()))
    }

    #[allow(clippy::type_complexity)]
    fn top(
        &self,
        query: &dyn Query,
        searchers: &[Searcher],
        limit: usize,
    ) -> Result<(u64, Vec<(f32, usize, DocAddress, String)>)> {
        let stats = GlobalStats::new(searchers);
        // Best score first; among equal scores, the smaller key first. (tantivy needs a
        // limit of at least one; a limit of 0 counts the matches only.)
        let ranked = TopDocs::with_limit(limit.max(1)).tweak_score(|segment: &SegmentReader| {
            let keys = segment.fast_fields().u64("doc_key").ok().map(|c| c.first_or_default_col(0));
            move |doc: DocId, score: Score| (score, Reverse(keys.as_ref().map_or(0, |k| k.get_val(doc))))
        });
        let collector = (ranked, Count);
        let mut total = 0u64;
        let mut candidates: Vec<Candidate> = Vec::new();
        for (at, searcher) in searchers.iter().enumerate() {
            let (top, count) = searcher.search_with_statistics_provider(query, &collector, &stats)?;
            total += count as u64;
            candidates.extend(top.into_iter().map(|((score, Reverse(key)), addr)| (score, key, at, addr)));
        }
        candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        candidates.truncate(limit);
        let mut columns: std::collections::HashMap<(usize, u32), Option<StrColumn>> = Default::default();
        let mut named = Vec::with_capacity(candidates.len());
        for (score, _, at, addr) in candidates {
            let column = match columns.entry((at, addr.segment_ord)) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(searchers[at].segment_reader(addr.segment_ord).fast_fields().str("doc_id")?)
                }
            };
            named.push((score, at, addr, doc_id(column.as_ref(), addr.doc_id)?));
        }
        Ok((total, named))
    }
}

/// The `doc_id` of a hit, from the fast field.
fn doc_id(column: Option<&StrColumn>, doc: DocId) -> Result<String> {
    let mut out = String::new();
    if let Some(col) = column
        && let Some(ord) = col.term_ords(doc).next()
    {
        col.ord_to_str(ord, &mut out).map_err(|e| IndexError::Tantivy(e.into()))?;
    }
    Ok(out)
}

/// The best fragment of `text`, or its beginning when no term of the query is in it.
fn snippet(generator: &SnippetGenerator, text: &str, max_bytes: usize) -> Snippet {
    let s = generator.snippet(text);
    if s.is_empty() || s.highlighted().is_empty() {
        let mut end = max_bytes.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        return Snippet { text: text[..end].trim().to_owned(), highlights: Vec::new() };
    }
    let fragment = s.fragment();
    let chars = |byte: usize| fragment[..byte].chars().count();
    let mut highlights: Vec<(usize, usize)> = Vec::new();
    for r in s.highlighted() {
        let (start, end) = (chars(r.start), chars(r.end));
        match highlights.last_mut() {
            Some(last) if last.1 >= start => last.1 = last.1.max(end),
            _ => highlights.push((start, end)),
        }
    }
    Snippet { text: fragment.to_owned(), highlights }
}
