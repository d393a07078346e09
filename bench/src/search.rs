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
//! - latency of single-term queries (the first two characters of each span as written in
//!   the corpus: one bigram term), the peers' "term query" figure.
//!
//! Every timing starts from the query string: parsing, the global statistics, the search
//! of every shard and the merge.
//!
//! Prints one JSON object.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use wenflow_index::{SearchRequest, ShardedSearcher};

struct Query {
    target: String,
    span: String,
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
        set.push(Query { target: s("target")?, span: s("span")?, trad: s("trad")?, simp: s("simp")? });
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
    let terms: Vec<String> = set.iter().map(|q| q.span.chars().take(2).collect()).collect();
    let (p50, p99) = latency(&terms, runs, &|q| {
        std::hint::black_box(searcher.top_ids(&SearchRequest::new(q, 10))?);
        Ok(())
    })?;
    report.insert("term".into(), serde_json::json!({"p50_ms": p50, "p99_ms": p99}));
    println!("{}", serde_json::Value::Object(report));
    Ok(())
}

/// Indexing alone: the `{"id", "text"}` lines of `docs` into one fresh shard under
/// `dir`, on this thread and tantivy's one indexing thread, committed every `epoch_mb`
/// megabytes of text as the ingest commits epochs. `merge`: `log` (tantivy's default) or
/// `none`. Prints JSON: wall seconds, CPU seconds of the process, MB of text, segments.
pub fn index_alone(docs: &Path, dir: &Path, epoch_mb: u64, merge: &str) -> anyhow::Result<()> {
    use wenflow_engine::Document;
    use wenflow_index::IndexLayout;
    use wenflow_index::shards::ShardWriter;

    let _ = std::fs::remove_dir_all(dir);
    let text = std::fs::read_to_string(docs).with_context(|| format!("reading {}", docs.display()))?;
    let mut all = Vec::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let (Some(id), Some(t)) = (v["id"].as_str(), v["text"].as_str()) else { continue };
        all.push(Document { doc_id: id.to_owned(), text: t.to_owned(), ..Document::default() });
    }
    drop(text);
    let mb = all.iter().map(|d| d.text.len()).sum::<usize>() as f64 / 1e6;
    let cpu = || -> f64 {
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
        let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
        (ticks(11) + ticks(12)) / 100.0
    };
    let (t0, c0) = (Instant::now(), cpu());
    let layout = IndexLayout::open_or_create(dir, 1, true)?;
    let mut w = ShardWriter::open(&layout, 0, "bench")?;
    if merge == "none" || merge == "all" {
        w.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
    }
    let (mut epoch, mut bytes, mut batch) = (1u64, 0usize, Vec::new());
    for d in &all {
        batch.push((d, 1isize));
        bytes += d.text.len();
        if bytes as u64 >= epoch_mb << 20 {
            w.apply(&batch, &[])?;
            w.commit(epoch)?;
            (epoch, bytes) = (epoch + 1, 0);
            batch.clear();
        }
    }
    w.apply(&batch, &[])?;
    w.commit(epoch)?;
    if merge == "all" {
        w.merge_all()?;
    }
    w.finish()?;
    let (wall, cpu_s) = (t0.elapsed().as_secs_f64(), cpu() - c0);
    let segments = std::fs::read_dir(layout.shard_dir(0))?
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "term"))
        .count();
    println!(
        "{}",
        serde_json::json!({"wall_s": wall, "cpu_s": cpu_s, "text_mb": mb, "mb_per_cpu_s": mb / cpu_s, "epochs": epoch, "segments": segments, "merge": merge})
    );
    Ok(())
}
