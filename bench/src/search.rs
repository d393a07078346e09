//! Search quality and latency over a wenflow index (`--search-eval`).
//!
//! Reads the query set written by `bench/search/queries.py` (one JSON object per line:
//! `target` doc_id, `trad` and `simp` forms of a span that occurs in exactly one document)
//! and, through the library (no process start-up in the figures):
//!
//! - top-1 and top-10 accuracy of each form: the target is the first hit, or among the
//!   first ten;
//! - latency of the ranking (the global top-10 doc_ids and the match count, over all
//!   shards) for every query, one warm-up pass and then `runs` passes, p50 and p99 over
//!   all timed executions;
//! - the same for whole results (documents loaded, snippets made), as `wenflow search`
//!   returns them;
//! - latency of single-term queries (the first two characters of each span: one bigram
//!   term), the peers' "term query" figure.
//!
//! Prints one JSON object.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use wenflow_index::{SearchRequest, ShardedSearcher};

struct Query {
    target: String,
    trad: String,
    simp: String,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Times `f` over every query: a warm-up pass, then `runs` passes. Returns (p50, p99) in ms.
fn latency(queries: &[String], runs: usize, f: &dyn Fn(&str) -> anyhow::Result<()>) -> anyhow::Result<(f64, f64)> {
    for q in queries {
        f(q)?;
    }
    let mut ms = Vec::with_capacity(queries.len() * runs);
    for _ in 0..runs {
        for q in queries {
            let t = Instant::now();
            f(q)?;
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    ms.sort_by(f64::total_cmp);
    Ok((percentile(&ms, 0.5), percentile(&ms, 0.99)))
}

/// Runs the evaluation; see the module documentation.
pub fn search_eval(index: &Path, queries: &Path, runs: usize) -> anyhow::Result<()> {
    let searcher = ShardedSearcher::open(index).with_context(|| format!("opening {}", index.display()))?;
    let text = std::fs::read_to_string(queries).with_context(|| format!("reading {}", queries.display()))?;
    let mut set = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let s = |k: &str| v[k].as_str().map(str::to_owned).with_context(|| format!("no {k} in {line}"));
        set.push(Query { target: s("target")?, trad: s("trad")?, simp: s("simp")? });
    }
    let mut report = serde_json::Map::new();
    report.insert("queries".into(), set.len().into());
    report.insert("documents".into(), searcher.num_docs().into());
    report.insert("shards".into(), searcher.shards().into());
    for (form, pick) in [("trad", (|q: &Query| q.trad.clone()) as fn(&Query) -> String), ("simp", |q| q.simp.clone())] {
        let (mut top1, mut top10) = (0usize, 0usize);
        let mut misses = Vec::new();
        for q in &set {
            let (_, hits) = searcher.top_ids(&SearchRequest::new(pick(q), 10))?;
            let rank = hits.iter().position(|(_, id)| *id == q.target);
            top1 += usize::from(rank == Some(0));
            top10 += usize::from(rank.is_some());
            if rank != Some(0) && misses.len() < 10 {
                let first = hits.first().map(|(_, id)| id.clone());
                misses.push(serde_json::json!({"query": pick(q), "target": q.target, "rank": rank.map(|r| r + 1), "first": first}));
            }
        }
        let n = set.len().max(1) as f64;
        let strings: Vec<String> = set.iter().map(pick).collect();
        let (p50, p99) = latency(&strings, runs, &|q| {
            std::hint::black_box(searcher.top_ids(&SearchRequest::new(q, 10))?);
            Ok(())
        })?;
        let (full50, full99) = latency(&strings, runs, &|q| {
            std::hint::black_box(searcher.search(&SearchRequest::new(q, 10))?);
            Ok(())
        })?;
        report.insert(
            form.into(),
            serde_json::json!({
                "top1": top1 as f64 / n, "top10": top10 as f64 / n,
                "p50_ms": p50, "p99_ms": p99, "full_p50_ms": full50, "full_p99_ms": full99,
                "misses": misses,
            }),
        );
    }
    let terms: Vec<String> = set.iter().map(|q| q.simp.chars().take(2).collect()).collect();
    let (p50, p99) = latency(&terms, runs, &|q| {
        std::hint::black_box(searcher.top_ids(&SearchRequest::new(q, 10))?);
        Ok(())
    })?;
    report.insert("term".into(), serde_json::json!({"p50_ms": p50, "p99_ms": p99}));
    println!("{}", serde_json::Value::Object(report));
    Ok(())
}
