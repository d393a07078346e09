//! Searches the full-text index of a wenflow output: one BM25 ranking over every shard,
//! a filter, and the matched spans marked in each snippet.
//!
//! ```text
//! cargo run --example search_index -- OUT 春眠不觉晓 [唐]
//! ```

use wenflow_index::{SearchRequest, ShardedSearcher};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (out, query) = match (args.next(), args.next()) {
        (Some(out), Some(query)) => (out, query),
        _ => return Err("usage: search_index OUT QUERY [DYNASTY]".into()),
    };
    let searcher = ShardedSearcher::open(std::path::Path::new(&out))?;
    let mut request = SearchRequest::new(query, 10);
    request.filters.dynasty = args.next();
    let results = searcher.search(&request)?;
    println!("{} of {} documents in {} shards match", results.total, searcher.num_docs(), searcher.shards());
    for hit in &results.hits {
        println!("{:.3}  {}  {}", hit.score, hit.doc_id, hit.snippet.marked("【", "】"));
    }
    Ok(())
}
