//! `wenflow search`: the full-text index from the command line.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use wenflow_index::{Filters, SearchRequest, parse_years};

#[derive(Args, Debug)]
pub struct SearchCli {
    /// The query: Han text is matched as a span in either script (`舉頭望明月`, `举头望明月`); words are ANDed; `OR`, `NOT`/`-`, `"phrases"`, `(groups)` and `field:` prefixes (text, title, author) work. `*`: every document (with filters, every document they admit).
    query: String,
    /// Output root written by `wenflow ingest` (or its `index` directory): a local folder or s3://bucket/prefix.
    #[arg(long)]
    index: String,
    /// Local cache of an index in an object store. Default: ~/.cache/wenflow/index/<hash of the URL>.
    #[arg(long, value_name = "DIR")]
    index_cache: Option<PathBuf>,
    /// Hits to show.
    #[arg(long, default_value_t = 10)]
    limit: usize,
    /// Only documents of this dynasty (either script).
    #[arg(long)]
    dynasty: Option<String>,
    /// Only documents of this author, exactly (either script).
    #[arg(long)]
    author: Option<String>,
    /// Only documents of this collection (either script).
    #[arg(long)]
    collection: Option<String>,
    /// Only documents whose text names a year in this range through an era date: `700..800` (inclusive), `700..`, `..800`, `755`.
    #[arg(long, allow_hyphen_values = true)]
    year: Option<String>,
    /// Only documents that mention an entity: `KIND` or `KIND:name` (DYNASTY, ERA_DATE, RULER, PERSON, PLACE, OFFICE); repeatable, all must match.
    #[arg(long)]
    entity: Vec<String>,
    /// table or json.
    #[arg(long, default_value = "table")]
    format: String,
}

pub fn run(a: SearchCli) -> anyhow::Result<i32> {
    if !matches!(a.format.as_str(), "table" | "json") {
        return Err(crate::Usage(format!("unknown format {:?} (table or json)", a.format)).into());
    }
    let searcher = wenflow_serve::open_index(&a.index, a.index_cache.clone())
        .with_context(|| format!("opening the index {}", a.index))?;
    let years = a.year.as_deref().map(parse_years).transpose()?;
    let request = SearchRequest {
        filters: Filters {
            dynasty: a.dynasty.clone(),
            collection: a.collection.clone(),
            author: a.author.clone(),
            years,
            entities: a.entity.clone(),
        },
        ..SearchRequest::new(a.query.clone(), a.limit)
    };
    if a.format == "json" {
        println!("{}", serde_json::to_string_pretty(&wenflow_serve::search_json(&searcher, &request)?)?);
        return Ok(0);
    }
    let started = Instant::now();
    let results = searcher.search(&request)?;
    let took_ms = started.elapsed().as_secs_f64() * 1e3;
    println!(
        "{} matches in {took_ms:.1} ms ({} documents in {} shards)",
        results.total,
        searcher.num_docs(),
        searcher.shards()
    );
    for (i, h) in results.hits.iter().enumerate() {
        let meta: Vec<&str> = [&h.title, &h.author, &h.dynasty, &h.collection]
            .into_iter()
            .filter_map(|f| f.as_deref())
            .filter(|f| !f.is_empty())
            .collect();
        println!();
        println!("{:>3}. {}  (score {:.2})", i + 1, meta.join(" · "), h.score);
        println!("     {}", h.doc_id);
        let snippet = h.snippet.marked("【", "】").replace('\n', " ");
        if !snippet.is_empty() {
            println!("     {snippet}");
        }
    }
    Ok(0)
}
