//! wenflow-bench: batch ingestion throughput on the full chinese-poetry corpus.
//!
//! **What is measured.** Wall time (median of `--runs` runs, fresh output each run), docs/s,
//! MB/s of document text, and peak RSS of `wenflow ingest` on
//! - the chinese-poetry package folder (about 390k documents, 76 MB of text) at `-w 1`,
//!   `-w 2`, and `-n 2` (two processes on loopback, one worker each);
//! - the same documents flattened into one JSONL file, at `-w 2`;
//!
//! and, side by side in the same run, the peer DuckDB doing exact dedup (normalise, hash,
//! group) over that JSONL file with 2 threads (ARCHITECTURE §12: 1.0 s, 420 MB).
//!
//! Then, per core (one thread, texts already in memory): the clean stage (every rule, the
//! simplified copy, the quality score, the content hash) and entity extraction (era dates
//! and gazetteers, on the clean texts) alone, over every text.
//!
//! **How to run.** `make bench` (builds release, then
//! `wenflow-bench --wenflow target/release/wenflow --corpus ~/.cache/wenflow/corpus/chinese-poetry`).
//! Peak RSS comes from GNU time (`/usr/bin/time -f '%e %M'`).

mod search;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use clap::Parser;

/// The allocator of the `wenflow` binary, so that `--dedup-input` measures what it would.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
struct Args {
    /// The release `wenflow` binary.
    #[arg(long, required_unless_present_any = ["dedup_input", "search_eval", "index_alone"])]
    wenflow: Option<PathBuf>,
    /// The chinese-poetry package folder.
    #[arg(long, required_unless_present_any = ["dedup_input", "search_eval", "index_alone"])]
    corpus: Option<PathBuf>,
    /// Python with duckdb (the venv of `make setup`).
    #[arg(long, default_value_t = default_python())]
    python: String,
    /// Runs per case; the median is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Scratch directory.
    #[arg(long, default_value = "/tmp/wenflow-bench")]
    scratch: PathBuf,
    /// Only the per-core operator measurements (clean, entities).
    #[arg(long)]
    operators_only: bool,
    /// Dedup alone: read `{"id", "text"}` lines from this JSONL file (or the `*.jsonl`
    /// files of this directory, in name order), run wenflow's
    /// duplicate detection (default options) as a dataflow, write `doc_id<TAB>cluster_id`
    /// lines to `--dedup-output`, and exit. The peers' comparison times this under GNU time.
    #[arg(long)]
    dedup_input: Option<PathBuf>,
    /// Where `--dedup-input` writes its clusters.
    #[arg(long, default_value = "/tmp/wenflow-bench/wenflow-clusters.tsv")]
    dedup_output: PathBuf,
    /// Worker threads of `--dedup-input`.
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// `--dedup-input` options: n-gram size, bands, rows (default: wenflow's defaults).
    #[arg(long, num_args = 3, value_names = ["NGRAM", "BANDS", "ROWS"])]
    minhash: Option<Vec<usize>>,
    /// Search quality and latency: evaluate the query set in this JSONL file (from
    /// `bench/search/queries.py`) on the index of `--index`, print JSON, and exit.
    #[arg(long, requires = "index")]
    search_eval: Option<PathBuf>,
    /// The output root (or index directory) `--search-eval` searches.
    #[arg(long)]
    index: Option<PathBuf>,
    /// Indexing alone: index the `{"id", "text"}` lines of this JSONL file into one shard
    /// under `--scratch`/index-alone, committing every `--index-epoch-mb`, print JSON, exit.
    #[arg(long)]
    index_alone: Option<PathBuf>,
    /// Megabytes of text per commit of `--index-alone`.
    #[arg(long, default_value_t = 8)]
    index_epoch_mb: u64,
    /// Merge policy of `--index-alone`: log or none.
    #[arg(long, default_value = "log")]
    index_merge: String,
}

fn default_python() -> String {
    std::env::var("WENFLOW_PYTHON")
        .unwrap_or_else(|_| format!("{}/.cache/wenflow/venv/bin/python", std::env::var("HOME").unwrap_or_default()))
}

/// A benchmark case: its name, the processes it runs at once (program, arguments), and
/// the output directory whose tables count its documents.
type Case<'a> = (&'a str, Vec<(String, Vec<String>)>, Option<String>);

/// `program args` under GNU time, which writes "wall-seconds peak-rss-kb" to `log`.
fn time_cmd(program: &str, args: &[String], log: &Path) -> anyhow::Result<Command> {
    let mut c = Command::new("/usr/bin/time");
    c.arg("-f").arg("%e %M").arg("-o").arg(log).arg(program).args(args).stdout(Stdio::null()).stderr(Stdio::null());
    Ok(c)
}

fn read_time(log: &Path) -> anyhow::Result<(f64, f64)> {
    let text = std::fs::read_to_string(log).with_context(|| format!("reading {}", log.display()))?;
    let last = text.lines().last().unwrap_or("");
    let mut it = last.split_whitespace();
    let wall: f64 = it.next().context("no wall time")?.parse()?;
    let rss_kb: f64 = it.next().context("no rss")?.parse()?;
    Ok((wall, rss_kb / 1024.0))
}

/// Runs `args` of one or more processes at once; returns (max wall, max peak RSS MB).
fn run_case(procs: &[(String, Vec<String>)], scratch: &Path) -> anyhow::Result<(f64, f64)> {
    let mut children = Vec::new();
    for (i, (program, args)) in procs.iter().enumerate() {
        let log = scratch.join(format!("time-{i}.txt"));
        children.push((time_cmd(program, args, &log)?.spawn()?, log));
    }
    let (mut wall, mut rss) = (0f64, 0f64);
    for (mut child, log) in children {
        if !child.wait()?.success() {
            bail!("a benchmarked command failed: {procs:?}");
        }
        let (w, r) = read_time(&log)?;
        wall = wall.max(w);
        rss = rss.max(r);
    }
    Ok((wall, rss))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn sql_number(wenflow: &Path, data: &Path, sql: &str) -> anyhow::Result<f64> {
    let out = Command::new(wenflow).args(["sql", sql, "--format", "csv", "--data"]).arg(data).output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().nth(1).context("no result")?.trim().parse::<f64>().context("not a number")
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    if let Some(docs) = &a.index_alone {
        return search::index_alone(docs, &a.scratch.join("index-alone"), a.index_epoch_mb, &a.index_merge);
    }
    if let (Some(queries), Some(index)) = (&a.search_eval, &a.index) {
        return search::search_eval(index, queries, a.runs);
    }
    if let Some(input) = &a.dedup_input {
        let mut config = wenflow_operators::dedup::DedupConfig::default();
        if let Some(m) = &a.minhash {
            (config.minhash.ngram, config.minhash.bands, config.minhash.rows) = (m[0], m[1], m[2]);
        }
        config.validate()?;
        return dedup_alone(input, &a.dedup_output, a.workers, config);
    }
    let (Some(wenflow), Some(corpus)) = (&a.wenflow, &a.corpus) else { bail!("--wenflow and --corpus are required") };
    std::fs::create_dir_all(&a.scratch)?;
    let wenflow = wenflow.canonicalize().context("the wenflow binary")?;
    let w = wenflow.display().to_string();
    let bench_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let jsonl = a.scratch.join("corpus.jsonl");
    if !jsonl.exists() {
        let status =
            Command::new(&a.python).arg(bench_dir.join("scripts/corpus_jsonl.py")).arg(corpus).arg(&jsonl).status()?;
        if !status.success() {
            bail!("flattening the corpus failed");
        }
    }
    if a.operators_only {
        return operators_per_core(&jsonl, a.runs);
    }
    let corpus = corpus.display().to_string();
    let out = |tag: &str| a.scratch.join(format!("out-{tag}")).display().to_string();
    let ingest = |input: &str, tag: &str, extra: &[&str]| -> (String, Vec<String>) {
        let mut args = vec!["ingest".to_string(), input.to_string(), "--out".into(), out(tag)];
        args.extend(extra.iter().map(|s| s.to_string()));
        (w.clone(), args)
    };
    let hosts = a.scratch.join("hosts.txt");
    std::fs::write(&hosts, "127.0.0.1:2301\n127.0.0.1:2302\n")?;
    let h = hosts.display().to_string();
    let jl = jsonl.display().to_string();
    let cases: Vec<Case> = vec![
        ("wenflow ingest package -w 1", vec![ingest(&corpus, "w1", &["-w", "1"])], Some(out("w1"))),
        ("wenflow ingest package -w 2", vec![ingest(&corpus, "w2", &["-w", "2"])], Some(out("w2"))),
        (
            "wenflow ingest package -n 2 (1 worker each)",
            vec![
                ingest(&corpus, "n2", &["-n", "2", "-p", "0", "--hostfile", &h]),
                ingest(&corpus, "n2", &["-n", "2", "-p", "1", "--hostfile", &h]),
            ],
            Some(out("n2")),
        ),
        ("wenflow ingest corpus.jsonl -w 2", vec![ingest(&jl, "jsonl", &["-w", "2"])], Some(out("jsonl"))),
        (
            "DuckDB exact dedup, corpus.jsonl, 2 threads",
            vec![(
                a.python.clone(),
                vec![bench_dir.join("scripts/duckdb_exact_dedup.py").display().to_string(), jl.clone(), "2".into()],
            )],
            None,
        ),
    ];
    println!("| case | wall (median of {}) | docs/s | text MB/s | peak RSS |", a.runs);
    println!("|---|---|---|---|---|");
    let mut docs = 0f64;
    let mut text_mb = 0f64;
    for (name, procs, out_dir) in cases {
        let (mut walls, mut rsss) = (Vec::new(), Vec::new());
        for _ in 0..a.runs {
            if let Some(o) = &out_dir {
                let _ = std::fs::remove_dir_all(o);
            }
            let (wall, rss) = run_case(&procs, &a.scratch)?;
            walls.push(wall);
            rsss.push(rss);
        }
        if let Some(o) = &out_dir
            && docs == 0.0
        {
            docs = sql_number(&wenflow, Path::new(o), "SELECT count(*) FROM documents")?;
            text_mb = sql_number(&wenflow, Path::new(o), "SELECT sum(octet_length(text)) FROM documents")? / 1e6;
        }
        let wall = median(walls);
        println!(
            "| {name} | {wall:.1} s | {:.0}k | {:.1} | {:.0} MB |",
            docs / wall / 1000.0,
            text_mb / wall,
            median(rsss)
        );
    }
    println!("\n{docs} documents, {text_mb:.1} MB of text");
    operators_per_core(&jsonl, a.runs)
}

/// The clean stage and the era-date recogniser alone, on one core, over every text.
fn operators_per_core(jsonl: &Path, runs: usize) -> anyhow::Result<()> {
    use wenflow_operators::clean::{CleanConfig, clean_document, content_hash};
    use wenflow_operators::entities::{DocContext, Extractor};
    let texts: Vec<String> = std::fs::read_to_string(jsonl)?
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_owned))
        .collect();
    let mb = texts.iter().map(String::len).sum::<usize>() as f64 / 1e6;
    let time = |f: &dyn Fn() -> usize| -> (f64, usize) {
        let mut walls = Vec::new();
        let mut out = 0;
        for _ in 0..runs {
            let t = std::time::Instant::now();
            out = f();
            walls.push(t.elapsed().as_secs_f64());
        }
        (median(walls), out)
    };
    let config = CleanConfig::default();
    // Tables and automata are built once per process; build them before timing.
    let extractor = Extractor::builtin();
    let _ = clean_document("乾祐三年", false, &config);
    let (clean_s, changed) = time(&|| {
        texts
            .iter()
            .filter(|t| {
                let c = clean_document(t, false, &config);
                std::hint::black_box(content_hash(&c.text));
                c.text != **t
            })
            .count()
    });
    let clean: Vec<String> = texts.iter().map(|t| clean_document(t, false, &config).text).collect();
    let (entities_s, mentions) =
        time(&|| clean.iter().map(|t| extractor.mentions(t, &DocContext::default()).len()).sum());
    println!("\n| operator, one core, {mb:.1} MB of text | wall (median of {runs}) | MB/s | output |");
    println!("|---|---|---|---|");
    println!(
        "| clean (all rules, simplified copy, quality, content hash) | {clean_s:.2} s | {:.1} | {changed} texts changed |",
        mb / clean_s
    );
    println!(
        "| entities (era dates and gazetteers) | {entities_s:.2} s | {:.1} | {mentions} mention rows |",
        mb / entities_s
    );
    Ok(())
}

/// wenflow's duplicate detection alone, as a dataflow of `workers` threads over the lines
/// of `input` (`{"id", "text"}`; line `i` goes to worker `i % workers`, in epochs of 32,768
/// lines). Writes the
/// clusters' `doc_id<TAB>cluster_id` lines to `output`, sorted.
///
/// Each worker writes its output updates to a file of its own as they come, as the ingest's
/// table writers write each epoch's parts: rows held in memory until the end would be the
/// harness's memory counted as wenflow's (about 13 MB at the peak). They are consolidated
/// after the workers exit.
fn dedup_alone(
    input: &Path,
    output: &Path,
    workers: usize,
    config: wenflow_operators::dedup::DedupConfig,
) -> anyhow::Result<()> {
    use std::cell::RefCell;
    use std::io::Write;
    use std::rc::Rc;
    use std::sync::Arc;

    use differential_dataflow::input::Input;
    use timely::dataflow::operators::Probe;
    use wenflow_engine::Document;
    use wenflow_operators::dedup::duplicates;

    let files: Vec<PathBuf> = if input.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(input)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        files.sort();
        files
    } else {
        vec![input.to_path_buf()]
    };
    let files = Arc::new(files);
    let spill = |worker: usize| output.with_extension(format!("worker-{worker}.updates"));
    let spills: Arc<Vec<PathBuf>> = Arc::new((0..workers.max(1)).map(spill).collect());
    let config = Arc::new(config);
    let started = std::time::Instant::now();
    let paths = spills.clone();
    timely::execute(timely::Config::process(workers.max(1)), move |worker| {
        let (index, peers) = (worker.index(), worker.peers());
        let path = &spills[index];
        let file = std::fs::File::create(path).unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
        let sink = Rc::new(RefCell::new(std::io::BufWriter::new(file)));
        let writer = sink.clone();
        let config = config.clone();
        let (mut docs, probe) = worker.dataflow::<u64, _, _>(|scope| {
            let (input, docs) = scope.new_collection::<Document, isize>();
            let (probe, _) = duplicates(docs, config)
                .inspect_batch(move |_, batch| {
                    let mut out = writer.borrow_mut();
                    for (r, _, diff) in batch {
                        writeln!(out, "{}\t{}\t{diff}", r.doc_id, r.cluster_id).expect("writing the updates");
                    }
                })
                .inner
                .probe();
            (input, probe)
        });
        // Every worker reads the files and parses its own lines, in epochs of 32k lines, as
        // an ingest of the corpus commits about a dozen epochs.
        #[derive(serde::Deserialize)]
        struct Line<'a> {
            #[serde(borrow)]
            id: std::borrow::Cow<'a, str>,
            #[serde(borrow)]
            text: std::borrow::Cow<'a, str>,
        }
        let mut line = Vec::new();
        let (mut i, mut last) = (0usize, 1);
        for f in files.iter() {
            let file = std::fs::File::open(f).unwrap_or_else(|e| panic!("reading {}: {e}", f.display()));
            let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
            loop {
                line.clear();
                match std::io::BufRead::read_until(&mut reader, b'\n', &mut line) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => panic!("reading {}: {e}", f.display()),
                }
                if i > 0 && i % 32_768 == 0 {
                    let epoch = (i / 32_768) as u64;
                    last = epoch + 1;
                    docs.advance_to(epoch);
                    docs.flush();
                    worker.step_while(|| probe.less_than(&epoch));
                }
                i += 1;
                if (i - 1) % peers != index {
                    continue;
                }
                let Ok(l) = serde_json::from_slice::<Line>(&line) else { continue };
                docs.insert(Document {
                    doc_id: l.id.into_owned(),
                    content_hash: format!("{:016x}", xxhash_rust::xxh3::xxh3_64(l.text.as_bytes())),
                    text: l.text.into_owned(),
                    ..Document::default()
                });
            }
        }
        docs.advance_to(last);
        docs.flush();
        worker.step_while(|| probe.less_than(&last));
        sink.borrow_mut().flush().expect("writing the updates");
    })
    .map_err(|e| anyhow::anyhow!("starting the workers: {e}"))?
    .join()
    .into_iter()
    .collect::<Result<Vec<()>, String>>()
    .map_err(|e| anyhow::anyhow!("a worker failed: {e}"))?;
    let mut sum: std::collections::BTreeMap<(String, String), isize> = Default::default();
    for path in paths.iter() {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        for line in text.lines() {
            let mut f = line.split('\t');
            let (Some(d), Some(c), Some(Ok(diff))) = (f.next(), f.next(), f.next().map(str::parse::<isize>)) else {
                bail!("{}: not an update line: {line}", path.display());
            };
            *sum.entry((d.to_owned(), c.to_owned())).or_default() += diff;
        }
        std::fs::remove_file(path)?;
    }
    // The map's order is the sorted order of (doc_id, cluster_id).
    let rows: Vec<(String, String)> = sum.into_iter().filter(|(_, n)| *n > 0).map(|(k, _)| k).collect();
    let lines: String = rows.iter().map(|(d, c)| format!("{d}\t{c}\n")).collect();
    std::fs::write(output, lines)?;
    eprintln!("{} documents in clusters, {:.1} s", rows.len(), started.elapsed().as_secs_f64());
    Ok(())
}
