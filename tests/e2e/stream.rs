//! `wenflow stream --watch`: after any sequence of new, rewritten, removed and touched
//! files, every table's current state and the search results equal a batch ingest of the
//! folder as it ends; a run killed at any commit and rerun ends the same.
//!
//! The material is real and unseen by the other tests: 宋詞 from the chinese-poetry
//! package (poetry, simplified script) and its authors' biographies (prose full of reused
//! era names, places and offices), with exact and near copies, malformed lines, empty
//! records and text files.

use std::path::{Path, PathBuf};

use super::support::{corpus, sql_csv, wenflow};

/// The tables compared, each as its current state.
const TABLES: [&str; 6] = ["documents", "duplicates", "entities", "entity_counts", "failures", "clean_changes"];

/// Search queries compared (hits as sets of documents).
const QUERIES: [&str; 4] = ["明月", "东坡", "*", "元丰"];

pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Texts to draw records from: ci and biographies.
pub fn pool() -> Vec<(String, String)> {
    let dir = corpus().join("dist/songci");
    let read = |name: &str| -> Vec<serde_json::Value> {
        serde_json::from_slice(&std::fs::read(dir.join(name)).expect("read songci")).expect("songci json")
    };
    let mut pool = Vec::new();
    for ci in read("ci.song.1000.json").into_iter().take(30) {
        let lines: Vec<&str> = ci["paragraphs"].as_array().into_iter().flatten().filter_map(|l| l.as_str()).collect();
        pool.push((ci["author"].as_str().unwrap_or_default().to_owned(), lines.concat()));
    }
    for a in read("author.song.json")
        .into_iter()
        .filter(|a| a["description"].as_str().is_some_and(|d| d.len() > 300))
        .take(12)
    {
        let text: String = a["description"].as_str().unwrap_or_default().chars().take(160).collect();
        pool.push((a["name"].as_str().unwrap_or_default().to_owned(), text));
    }
    pool
}

/// One record line: a pool text (sometimes with one character changed, a near copy), a
/// malformed line, or a record with no text.
fn line(rng: &mut Rng, pool: &[(String, String)], id: &str) -> String {
    match rng.below(12) {
        0 => "{\"id\": \"broken".to_owned(),
        1 => serde_json::json!({"id": id, "text": ""}).to_string(),
        _ => {
            let (author, text) = &pool[rng.below(pool.len())];
            let text = if rng.below(3) == 0 {
                let mut chars: Vec<char> = text.chars().collect();
                let at = rng.below(chars.len().max(1));
                if let Some(c) = chars.get_mut(at) {
                    *c = '风';
                }
                chars.into_iter().collect()
            } else {
                text.clone()
            };
            serde_json::json!({"id": id, "author": author, "text": text}).to_string()
        }
    }
}

/// Changes the folder: new files, rewritten files (records changed, dropped, added),
/// removed files, files rewritten with the same content, text files.
fn mutate(rng: &mut Rng, pool: &[(String, String)], dir: &Path, serial: &mut usize) {
    for _ in 0..1 + rng.below(4) {
        let existing: Vec<PathBuf> = walk(dir);
        let choice = if existing.is_empty() { 0 } else { rng.below(5) };
        match choice {
            0 | 1 => {
                *serial += 1;
                let name = format!("f{serial}");
                if rng.below(4) == 0 {
                    let (_, text) = &pool[rng.below(pool.len())];
                    std::fs::write(dir.join(format!("{name}.txt")), text).expect("write");
                } else {
                    let lines: Vec<String> =
                        (0..1 + rng.below(5)).map(|slot| line(rng, pool, &format!("{name}:{slot}"))).collect();
                    write_atomically(&dir.join(format!("{name}.jsonl")), &(lines.join("\n") + "\n"));
                }
            }
            2 => {
                let path = &existing[rng.below(existing.len())];
                std::fs::remove_file(path).expect("remove");
            }
            3 => {
                let path = &existing[rng.below(existing.len())];
                let content = std::fs::read(path).expect("read");
                std::fs::write(path, content).expect("touch");
            }
            _ => {
                let path = &existing[rng.below(existing.len())];
                let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
                if path.extension().is_some_and(|e| e == "txt") {
                    let (_, text) = &pool[rng.below(pool.len())];
                    std::fs::write(path, text).expect("rewrite");
                    continue;
                }
                let old = std::fs::read_to_string(path).expect("read");
                let mut lines: Vec<String> = old.lines().map(str::to_owned).collect();
                for (slot, l) in lines.iter_mut().enumerate() {
                    if rng.below(2) == 0 {
                        *l = line(rng, pool, &format!("{stem}:{slot}"));
                    }
                }
                if rng.below(2) == 0 && !lines.is_empty() {
                    lines.remove(rng.below(lines.len()));
                }
                if rng.below(2) == 0 {
                    let slot = 10 + rng.below(10);
                    lines.push(line(rng, pool, &format!("{stem}:{slot}")));
                }
                write_atomically(path, &(lines.join("\n") + "\n"));
            }
        }
    }
}

fn write_atomically(path: &Path, content: &str) {
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, content).expect("write");
    std::fs::rename(&tmp, path).expect("rename");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).expect("list").flatten().map(|e| e.path()).collect();
    files.sort();
    files
}

/// The material, a temporary directory, the watched folder in it and the output root.
fn fixture() -> (Vec<(String, String)>, tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let watch = dir.path().join("in");
    std::fs::create_dir(&watch).expect("mkdir");
    let out = dir.path().join("out");
    (pool(), dir, watch, out)
}

/// A continuous `stream --watch` in the background; with `log`, its log goes there at the
/// [`VERBOSE`] level.
fn spawn_stream(watch: &Path, out: &Path, extra: &[&str], log: Option<&Path>) -> std::process::Child {
    let mut c = wenflow();
    c.arg("stream").arg("--watch").arg(watch).arg("--out").arg(out).args(extra).stdout(std::process::Stdio::null());
    match log {
        Some(path) => c.env(VERBOSE.0, VERBOSE.1).stderr(std::fs::File::create(path).expect("log file")),
        None => c.stderr(std::process::Stdio::null()),
    };
    c.spawn().expect("start stream")
}

fn stream_once(watch: &Path, out: &Path, extra: &[&str], env: Option<(&str, &str)>) -> std::process::Output {
    let mut c = wenflow();
    c.arg("stream").arg("--watch").arg(watch).arg("--once").arg("--out").arg(out).args(extra);
    if let Some((k, v)) = env {
        c.env(k, v);
    }
    c.output().expect("run wenflow stream")
}

/// Every table's current state, and the documents each query finds.
fn snapshot(out: &Path) -> Vec<(String, Vec<String>)> {
    let mut snap = Vec::new();
    for table in TABLES {
        let mut rows: Vec<String> =
            sql_csv(out, &format!("SELECT * FROM {table}")).lines().map(str::to_owned).collect();
        rows.sort();
        snap.push((table.to_owned(), rows));
    }
    for query in QUERIES {
        let output = wenflow()
            .args(["search", query, "--limit", "1000", "--format", "json", "--index"])
            .arg(out)
            .output()
            .expect("run wenflow search");
        assert!(output.status.success(), "search {query}: {}", String::from_utf8_lossy(&output.stderr));
        let hits: serde_json::Value = serde_json::from_slice(&output.stdout).expect("search json");
        let mut ids: Vec<String> = hits["hits"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|h| h["doc_id"].as_str().unwrap_or_default().to_owned())
            .collect();
        ids.sort();
        snap.push((format!("search {query}"), ids));
    }
    snap
}

/// The log level of runs whose logs [`explain`] reports: each commit and compaction.
const VERBOSE: (&str, &str) =
    ("WENFLOW_LOG", "warn,wenflow=info,wenflow_jobs=info,wenflow_engine=info,wenflow_connectors=debug");

/// When the stream's documents differ from the batch's, prints what the next reader of a
/// failed run needs: the change-log history of each differing document and of its file's
/// inputs, the operations in the `documents` log, and the ends of the runs' logs (a
/// stream's mismatch depends on timing and rarely happens twice the same way).
fn explain(stream: &Path, batch: &Path, logs: &[&Path], last_run: &str) {
    let ids = |out: &Path| -> std::collections::BTreeSet<String> {
        sql_csv(out, "SELECT doc_id, content_hash FROM documents").lines().skip(1).map(str::to_owned).collect()
    };
    let (s, b) = (ids(stream), ids(batch));
    let differing: Vec<&String> = s.symmetric_difference(&b).collect();
    if differing.is_empty() {
        return;
    }
    let mut report = format!("documents (doc_id, content_hash) only on one side: {differing:?}\n");
    for row in differing {
        let doc_id = row.split(',').next().unwrap_or_default().replace('\'', "''");
        let key = doc_id.split(':').next().unwrap_or_default().to_owned();
        for query in [
            format!(
                "SELECT time, diff, doc_id, content_hash FROM documents_log WHERE doc_id = '{doc_id}' ORDER BY time"
            ),
            format!("SELECT time, diff, key, version FROM inputs_log WHERE key LIKE '{key}%' ORDER BY time"),
        ] {
            report.push_str(&format!("{query}:\n{}", sql_csv(stream, &query)));
        }
    }
    if let Ok(entries) = std::fs::read_dir(stream.join("documents/_delta_log")) {
        let mut ops: Vec<String> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let text = std::fs::read_to_string(e.path()).ok()?;
                let op = text.split("\"operation\":\"").nth(1)?.split('"').next()?.to_owned();
                Some(format!("{name}: {op}"))
            })
            .collect();
        ops.sort();
        report.push_str(&format!("documents log: {ops:?}\n"));
    }
    for log in logs {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        report.push_str(&format!(
            "last lines of {}:\n{}\n",
            log.display(),
            lines[lines.len().saturating_sub(40)..].join("\n")
        ));
    }
    report.push_str(&format!("the last run's log:\n{last_run}"));
    eprintln!("{report}");
}

fn assert_same(stream: &Path, batch: &Path, context: &str) {
    let (s, b) = (snapshot(stream), snapshot(batch));
    for ((name, rows), (_, expected)) in s.iter().zip(&b) {
        assert_eq!(rows, expected, "{context}: {name} differs from a batch ingest of the final folder");
    }
}

/// Like [`assert_same`], for a stream whose documents come from elsewhere than the
/// batch's files (Kafka): `source` columns and failures' messages differ by nature and
/// are left out; the stream's `keyless` documents (named by their offsets, not in the
/// batch) are removed from its side first. Failures are compared by count.
pub fn assert_same_except_sources(stream: &Path, batch: &Path, context: &str, keyless: usize) {
    let keyed = "doc_id NOT LIKE 'docs/%@%'";
    let docs = "SELECT doc_id, title, author, collection, dynasty, extra, text, text_simplified, script, chars, quality, content_hash FROM documents";
    let queries = [
        format!("{docs} WHERE {keyed}"),
        format!("SELECT * FROM duplicates WHERE {keyed}"),
        format!("SELECT * FROM entities WHERE {keyed}"),
        format!("SELECT * FROM clean_changes WHERE {keyed}"),
        "SELECT doc_id, stage FROM failures WHERE stage <> 'identity'".to_owned(),
    ];
    let rows = |out: &Path, q: &str| {
        let mut r: Vec<String> = sql_csv(out, q).lines().map(str::to_owned).collect();
        r.sort();
        r
    };
    for q in &queries[..4] {
        assert_eq!(rows(stream, q), rows(batch, q), "{context}: {q}");
    }
    // Failures: the batch's broken lines have no id; the stream's are named by their key.
    let failures = |out: &Path| super::support::count(out, "SELECT count(*) FROM failures");
    assert_eq!(failures(stream), failures(batch), "{context}: failures");
    let live = super::support::count(stream, "SELECT count(*) FROM documents");
    let batch_live = super::support::count(batch, "SELECT count(*) FROM documents");
    let filtered_keyless = super::support::count(stream, "SELECT count(*) FROM failures WHERE doc_id LIKE 'docs/%@%'");
    assert_eq!(live as usize + filtered_keyless as usize, batch_live as usize + keyless, "{context}: live documents");
}

fn batch_of(watch: &Path, out: &Path) {
    let output = wenflow().arg("ingest").arg(watch).arg("--out").arg(out).output().expect("run ingest");
    assert!(output.status.success(), "ingest: {}", String::from_utf8_lossy(&output.stderr));
}

/// Random sequences of file changes, each applied by `stream --once`, over several seeds
/// with one and two workers (one seed with scans cut into many small epochs): the stream's
/// tables and search equal a batch ingest.
#[test]
fn a_stream_of_file_changes_equals_a_batch_ingest_of_the_final_folder() {
    for seed in 1..=4u64 {
        let (pool, dir, watch, out) = fixture();
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ seed);
        let mut serial = 0;
        let workers = if seed % 2 == 0 { "2" } else { "1" };
        for round in 0..6 {
            mutate(&mut rng, &pool, &watch, &mut serial);
            // Seed 3 cuts its scans into epochs of about 2 KB.
            let small: &[&str] = if seed == 3 { &["--epoch-mb", "0.002"] } else { &[] };
            let run = stream_once(&watch, &out, &[&["-w", workers][..], small].concat(), None);
            assert!(run.status.success(), "seed {seed} round {round}: {}", String::from_utf8_lossy(&run.stderr));
        }
        let batch = dir.path().join("batch");
        batch_of(&watch, &batch);
        assert_same(&out, &batch, &format!("seed {seed}, {workers} workers"));
        // The input log's state is the live inputs: one per document or failure of the batch.
        let count = |out: &Path, q: &str| super::support::count(out, q);
        let live = count(&batch, "SELECT count(*) FROM documents") + count(&batch, "SELECT count(*) FROM failures");
        assert_eq!(count(&out, "SELECT count(*) FROM inputs"), live, "seed {seed}: the input log's state");
        // The change log holds retractions: the sequence did update and delete.
        let retracted: usize = sql_csv(&out, "SELECT count(*) FROM documents_log WHERE diff < 0")
            .lines()
            .nth(1)
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or(0);
        assert!(retracted > 0, "seed {seed}: no document was ever retracted");
    }
}

/// A stream run killed right after the input log and `documents` committed an epoch (the
/// other tables not), then changed again and rerun: the logged epoch is replayed as it was
/// read, the new changes follow, and the tables equal a batch ingest.
#[test]
fn a_stream_killed_between_commits_resumes_from_its_input_log() {
    let (pool, dir, watch, out) = fixture();
    let mut rng = Rng(77);
    let mut serial = 0;
    mutate(&mut rng, &pool, &watch, &mut serial);
    assert!(stream_once(&watch, &out, &["-w", "2"], None).status.success());
    mutate(&mut rng, &pool, &watch, &mut serial);
    let killed = stream_once(&watch, &out, &["-w", "2"], Some(("WENFLOW_CRASH_AFTER", "documents:2")));
    assert!(!killed.status.success(), "the failpoint should abort the run");
    // What the killed run read is gone from the folder before the rerun.
    mutate(&mut rng, &pool, &watch, &mut serial);
    let rerun = stream_once(&watch, &out, &["-w", "2"], None);
    assert!(rerun.status.success(), "{}", String::from_utf8_lossy(&rerun.stderr));
    let summary = String::from_utf8_lossy(&rerun.stdout);
    assert!(summary.contains("epochs     2..=3"), "replays epoch 2, then scans: {summary}");
    let batch = dir.path().join("batch");
    batch_of(&watch, &batch);
    assert_same(&out, &batch, "after the kill");
}

/// A stream run aborted in the middle of its tables' upkeep (compaction after every epoch),
/// right after one table's compaction committed and before its vacuum and the other tables'
/// compactions; then changed again and rerun: the tables equal a batch ingest. The epoch
/// compacted holds retractions (files rewritten and removed), so a compaction that lost or
/// doubled a row would show.
#[test]
fn a_stream_aborted_while_compacting_resumes_like_a_batch_ingest() {
    for (seed, table) in [(3u64, "documents"), (7, "inputs"), (10, "entities")] {
        let (pool, dir, watch, out) = fixture();
        let mut rng = Rng(seed);
        let mut serial = 0;
        for _ in 0..6 {
            mutate(&mut rng, &pool, &watch, &mut serial);
        }
        // Several epochs of about 2 KB, so that every table has a few files.
        let first = stream_once(&watch, &out, &["--epoch-mb", "0.002", "--compact-every", "1000"], None);
        assert!(first.status.success(), "{table}: {}", String::from_utf8_lossy(&first.stderr));
        for _ in 0..3 {
            mutate(&mut rng, &pool, &watch, &mut serial);
        }
        let next = super::support::count(&out, "SELECT max(time) FROM inputs_log") + 1;
        // The same epoch size in every run: it is part of the job's identity.
        let upkeep =
            ["--epoch-mb", "0.002", "--compact-every", "1", "--compact-min-files", "2", "--vacuum-after-s", "0"];
        let crash = format!("compact:{table}:{next}");
        let killed = stream_once(&watch, &out, &upkeep, Some(("WENFLOW_CRASH_AFTER", crash.as_str())));
        assert!(
            String::from_utf8_lossy(&killed.stderr).contains("WENFLOW_CRASH_AFTER: aborting"),
            "{crash}: the failpoint should abort the run: {}",
            String::from_utf8_lossy(&killed.stderr)
        );
        mutate(&mut rng, &pool, &watch, &mut serial);
        let rerun = stream_once(&watch, &out, &upkeep, Some(VERBOSE));
        assert!(rerun.status.success(), "{crash}: {}", String::from_utf8_lossy(&rerun.stderr));
        let retracted = format!("SELECT count(*) FROM documents_log WHERE time = {next} AND diff < 0");
        assert!(super::support::count(&out, &retracted) > 0, "{crash}: the compacted epoch retracts documents");
        let batch = dir.path().join("batch");
        batch_of(&watch, &batch);
        explain(&out, &batch, &[], &String::from_utf8_lossy(&rerun.stderr));
        assert_same(&out, &batch, &format!("after {crash}"));
    }
}

/// A continuous stream (`--watch`, 50 ms epochs, two workers) killed with SIGKILL at
/// arbitrary moments while files change, restarted, killed again ([`super::support::kills`]
/// times); then one `--once` pass:
/// every input exactly once, the tables equal a batch ingest.
#[test]
fn a_continuous_stream_killed_at_random_moments_ends_like_a_batch_ingest() {
    let (pool, dir, watch, out) = fixture();
    let mut rng = Rng(4242);
    let mut serial = 0;
    for life in 0..super::support::kills() {
        let mut child = spawn_stream(&watch, &out, &["--epoch-ms", "50", "-w", "2"], None);
        for _ in 0..3 {
            mutate(&mut rng, &pool, &watch, &mut serial);
            std::thread::sleep(std::time::Duration::from_millis(100 + rng.below(400) as u64));
        }
        assert!(child.try_wait().expect("wait").is_none(), "life {life}: the stream exited on its own");
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
    }
    let last = stream_once(&watch, &out, &["-w", "2"], None);
    assert!(last.status.success(), "{}", String::from_utf8_lossy(&last.stderr));
    let batch = dir.path().join("batch");
    batch_of(&watch, &batch);
    assert_same(&out, &batch, "after the kills");
}

/// Page files in a watched folder: a scan added, replaced under the same name by a
/// two-page TIFF, then by bytes that are no image (a decode failure), then removed. Each
/// step's `pages`, `documents` and `failures` equal a batch ingest of the folder, and each
/// replaced version's rows are retracted, not read again (each run restarts from the
/// tables, so the retraction comes from what they hold).
#[test]
fn page_files_in_a_watched_folder_are_added_replaced_and_removed() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ocr");
    let (_, dir, watch, out) = fixture();
    std::fs::write(watch.join("notes.txt"), "元丰三年，苏轼贬黄州。").expect("write");
    let pages = "SELECT doc_id, page, text, confidence, method, engine, model, orientation FROM pages";
    let garbage = dir.path().join("garbage");
    std::fs::write(&garbage, b"\x89PNG\r\n\x1a\n truncated").expect("write");
    let steps = [Some(fixtures.join("page-v.png")), Some(fixtures.join("pages-2.tif")), Some(garbage), None];
    for (step, scan) in steps.into_iter().enumerate() {
        match scan {
            Some(path) => {
                std::fs::copy(path, watch.join("scan.tmp")).expect("copy");
                std::fs::rename(watch.join("scan.tmp"), watch.join("scan.png")).expect("rename");
            }
            None => std::fs::remove_file(watch.join("scan.png")).expect("remove"),
        }
        let run = stream_once(&watch, &out, &[], None);
        assert!(run.status.success(), "step {step}: {}", String::from_utf8_lossy(&run.stderr));
        let batch = dir.path().join(format!("batch{step}"));
        batch_of(&watch, &batch);
        for query in [pages, "SELECT * FROM documents", "SELECT * FROM failures"] {
            let rows = |out: &Path| {
                let mut r: Vec<String> = sql_csv(out, query).lines().map(str::to_owned).collect();
                r.sort();
                r
            };
            assert_eq!(rows(&out), rows(&batch), "step {step}: {query}");
        }
    }
    // Each page was read once and retracted once: 1 + 2 rows in, as many out; the
    // decode failure in and out.
    let log = sql_csv(&out, "SELECT diff, count(*) FROM pages_log GROUP BY diff ORDER BY diff");
    assert_eq!(log.lines().skip(1).collect::<Vec<_>>(), vec!["-1,3", "1,3"], "{log}");
    let failed =
        sql_csv(&out, "SELECT diff, count(*) FROM failures_log WHERE stage = 'decode' GROUP BY diff ORDER BY diff");
    assert_eq!(failed.lines().skip(1).collect::<Vec<_>>(), vec!["-1,1", "1,1"], "{failed}");
    // A watched folder that is not there is the user's mistake: one line, exit code 2.
    let missing = stream_once(&dir.path().join("no-such-folder"), &out, &[], None);
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(missing.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no-such-folder") && stderr.lines().count() == 1, "{stderr}");
}

/// A long stream compacts its tables and deletes the files compaction replaced (here every
/// 5 epochs, tables of 4 files or more, no retention): the tables keep their rows for
/// wenflow, for the `deltalake` Python reader and for DuckDB, and still equal a batch
/// ingest of the folder.
#[test]
fn a_long_stream_compacts_and_vacuums_its_tables_and_readers_agree() {
    let (pool, dir, watch, out) = fixture();
    let mut rng = Rng(99);
    let mut serial = 0;
    // The killed run's log is kept for the report of a mismatch (see `explain`).
    let stream_log = dir.path().join("stream.log");
    let mut child = spawn_stream(
        &watch,
        &out,
        &["--epoch-ms", "20", "--compact-every", "5", "--compact-min-files", "4", "--vacuum-after-s", "0"],
        Some(&stream_log),
    );
    let log = out.join("documents/_delta_log");
    let compacted = || {
        std::fs::read_dir(&log)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| std::fs::read_to_string(e.path()).is_ok_and(|s| s.contains("\"operation\":\"OPTIMIZE\"")))
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !compacted() {
        assert!(std::time::Instant::now() < deadline, "no compaction of documents after 2 minutes of changes");
        mutate(&mut rng, &pool, &watch, &mut serial);
        std::thread::sleep(std::time::Duration::from_millis(80));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    // The kill may fall between a compaction and its vacuum: the next run vacuums first.
    let last = stream_once(&watch, &out, &["--compact-every", "1000", "--vacuum-after-s", "0"], Some(VERBOSE));
    assert!(last.status.success(), "{}", String::from_utf8_lossy(&last.stderr));
    let batch = dir.path().join("batch");
    batch_of(&watch, &batch);
    explain(&out, &batch, &[stream_log.as_path()], &String::from_utf8_lossy(&last.stderr));
    assert_same(&out, &batch, "after compaction");

    let script = r#"
import sys, json, glob, deltalake, duckdb
out = sys.argv[1]
res = {}
con = duckdb.connect()
for t in ["documents", "entities", "inputs"]:
    dt = deltalake.DeltaTable(f"{out}/{t}")
    res[t] = dt.to_pyarrow_table().num_rows
    files = dt.file_uris()
    res[t + "_duckdb"] = con.execute(f"SELECT count(*) FROM read_parquet({files!r})").fetchone()[0]
    res[t + "_glob"] = con.execute(f"SELECT count(*) FROM read_parquet('{out}/{t}/*.parquet')").fetchone()[0]
print(json.dumps(res))
"#;
    let output =
        std::process::Command::new(super::support::python()).arg("-c").arg(script).arg(&out).output().expect("python");
    assert!(output.status.success(), "python readers failed: {}", String::from_utf8_lossy(&output.stderr));
    let res: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    for t in ["documents", "entities", "inputs"] {
        let rows = super::support::count(&out, &format!("SELECT count(*) FROM {t}_log"));
        assert_eq!(res[t].as_i64(), Some(rows), "{t}: deltalake (python)");
        assert_eq!(res[format!("{t}_duckdb")].as_i64(), Some(rows), "{t}: duckdb over the table's files");
        assert_eq!(res[format!("{t}_glob")].as_i64(), Some(rows), "{t}: duckdb over every parquet file, once vacuumed");
    }
}

/// Two processes stream one folder; process 1 is killed with SIGKILL. Process 0 exits with
/// one clear line instead of hanging; both restarted (`--once`) resume, and the tables
/// equal a batch ingest.
#[test]
fn a_stream_of_two_processes_survives_losing_one() {
    let (pool, dir, watch, out) = fixture();
    let port =
        || std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port");
    let hosts = dir.path().join("hosts");
    let (mut rng, mut serial) = (Rng(555), 0);
    // The processes the test waits for run under `timeout -s KILL 300`: one that hangs is
    // killed and exits with 137, which the assertions report (the test never waits
    // forever). The one the test kills runs bare, so that the kill reaches it.
    let start = |p: &str, hosts: &Path, extra: &[&str]| {
        let mut c = if p == "1" && extra.is_empty() {
            wenflow()
        } else {
            let mut c = std::process::Command::new("timeout");
            c.args(["-s", "KILL", "300"]).arg(env!("CARGO_BIN_EXE_wenflow")).env("WENFLOW_LOG", "warn");
            c
        };
        c.arg("stream")
            .arg("--watch")
            .arg(&watch)
            .arg("--out")
            .arg(&out)
            .args(["-n", "2", "-p", p, "--epoch-ms", "50", "--hostfile"])
            .arg(hosts)
            .args(extra)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start")
    };
    std::fs::write(&hosts, format!("127.0.0.1:{}\n127.0.0.1:{}\n", port(), port())).expect("hostfile");
    let first = start("0", &hosts, &[]);
    let mut second = start("1", &hosts, &[]);
    for _ in 0..4 {
        mutate(&mut rng, &pool, &watch, &mut serial);
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    // Process 1 is killed once the two have formed their cluster and committed an epoch
    // together (on a loaded machine that can take longer than the changes above): this test
    // is about losing a peer mid-stream, not before it ever connected.
    let committed = out.join("documents/_delta_log/00000000000000000001.json");
    let waited = std::time::Instant::now();
    while !committed.exists() && waited.elapsed() < std::time::Duration::from_secs(120) {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(committed.exists(), "the two processes committed no epoch in 120 s");
    mutate(&mut rng, &pool, &watch, &mut serial);
    std::thread::sleep(std::time::Duration::from_millis(300));
    second.kill().expect("SIGKILL process 1");
    second.wait().expect("reap");
    // Process 0 ends on its own with 1 (137 would mean it hung and `timeout` killed it).
    let first = first.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert_eq!(first.status.code(), Some(1), "process 0 after losing process 1 (137: it hung): {stderr}");
    assert!(stderr.contains("lost the connection to another process of the cluster"), "{stderr}");
    assert!(!stderr.contains("panicked"), "one clear line, no panic: {stderr}");

    mutate(&mut rng, &pool, &watch, &mut serial);
    std::fs::write(&hosts, format!("127.0.0.1:{}\n127.0.0.1:{}\n", port(), port())).expect("hostfile");
    let again: Vec<_> = ["0", "1"].iter().map(|p| start(p, &hosts, &["--once"])).collect();
    for child in again {
        let output = child.wait_with_output().expect("rerun");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let batch = dir.path().join("batch");
    batch_of(&watch, &batch);
    assert_same(&out, &batch, "after losing a process");
}
