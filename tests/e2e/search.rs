//! The full-text index built by `wenflow ingest` and queried by `wenflow search`: real
//! tantivy shards under `<out>/index`, one per worker.

use std::path::Path;

use super::support::{SMALL, SMALL_EPOCH, count, generated_jsonl, ingest, wenflow};

/// Six known poems (one simplified, two with era dates) after `filler` generated records.
fn corpus(path: &Path, filler: usize) {
    generated_jsonl(path, filler);
    let poems = [
        ("p-jys", "靜夜思", "李白", "唐", "唐詩", "床前明月光，疑是地上霜。\n舉頭望明月，低頭思故鄉。"),
        ("p-cx", "春曉", "孟浩然", "唐", "唐詩", "春眠不覺曉，處處聞啼鳥。\n夜來風雨聲，花落知多少。"),
        ("p-jx", "江雪", "柳宗元", "唐", "唐詩", "千山鳥飛絕，萬徑人蹤滅。\n孤舟蓑笠翁，獨釣寒江雪。"),
        ("p-sd", "水调歌头", "苏轼", "宋", "宋词", "明月几时有，把酒问青天。\n不知天上宫阙，今夕是何年。"),
        ("p-zg", "貞觀記", "佚名", "唐", "唐詩", "貞觀三年，天下大稔，明月照關山。"),
        ("p-tb", "天寶記", "佚名", "唐", "唐詩", "天寶十四載，春風入長安，明月滿樓。"),
    ];
    let mut s = std::fs::read_to_string(path).expect("read");
    for (id, title, author, dynasty, collection, text) in poems {
        let lines: Vec<&str> = text.lines().collect();
        let rec = serde_json::json!({"id": id, "title": title, "author": author, "dynasty": dynasty, "collection": collection, "paragraphs": lines});
        s.push_str(&rec.to_string());
        s.push('\n');
    }
    std::fs::write(path, s).expect("write");
}

/// `wenflow search <args> --format json`, asserting success.
fn search(out: &Path, args: &[&str]) -> serde_json::Value {
    let o =
        wenflow().arg("search").args(args).arg("--index").arg(out).args(["--format", "json"]).output().expect("run");
    assert!(o.status.success(), "search {args:?} failed: {}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("json")
}

fn ids(v: &serde_json::Value) -> Vec<String> {
    v["hits"].as_array().expect("hits").iter().map(|h| h["doc_id"].as_str().unwrap_or_default().to_owned()).collect()
}

fn first(out: &Path, args: &[&str]) -> String {
    ids(&search(out, args)).into_iter().next().unwrap_or_default()
}

#[test]
fn search_finds_a_poem_by_a_line_with_filters_and_snippets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("c.jsonl");
    corpus(&input, SMALL / 2);
    let out = dir.path().join("out");
    let summary = ingest(&[&input], &out, &["-w", "2", "--epoch-mb", SMALL_EPOCH, "--split-mb", SMALL_EPOCH]);
    let documents = count(&out, "SELECT count(*) FROM documents");
    assert!(summary.contains(&format!("index      {documents} documents in 2 shards")), "{summary}");

    let all = search(&out, &["*", "--limit", "1"]);
    assert_eq!(all["total"].as_i64(), Some(documents), "every document is indexed");
    assert_eq!(all["shards"].as_i64(), Some(2));

    // Mistakes in what a user asks: one line each, exit code 2.
    let refused = |args: &[&str]| {
        let o = wenflow().args(args).output().expect("run");
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: one line: {stderr}");
        stderr
    };
    let data = out.to_str().expect("utf-8 path");
    let e = refused(&["sql", "SELEC doc_id FROM documents", "--data", data]);
    assert!(
        e.starts_with("error: sql parser error: Expected: an SQL statement, found: SELEC at Line: 1, Column: 1"),
        "{e}"
    );
    let e = refused(&["sql", "SELECT * FROM documentz", "--data", data]);
    assert!(e.contains("documentz") && e.contains("not found"), "{e}");
    let e = refused(&["sql", "SELECT titel FROM documents", "--data", data]);
    assert!(e.contains("titel"), "{e}");
    refused(&["sql", "SELECT 1", "--data", dir.path().join("nowhere").to_str().expect("utf-8")]);
    let e = refused(&["search", "", "--index", data]);
    assert!(e.contains("nothing to search for"), "{e}");
    refused(&["search", "天地", "--year", "eight..nine", "--index", data]);

    let e = refused(&["report", "no_such_report", "--data", data]);
    assert!(e.contains("no report named"), "{e}");
    let report = wenflow().args(["report", "--data", data]).output().expect("report");
    assert!(report.status.success(), "{}", String::from_utf8_lossy(&report.stderr));
    let report = String::from_utf8_lossy(&report.stdout);
    for r in wenflow_queries::reports::REPORTS.iter().filter(|r| r.params().is_empty()) {
        assert!(report.contains(&format!("== {}", r.title())), "{report}");
    }

    assert_eq!(first(&out, &["舉頭望明月"]), "p-jys");
    assert_eq!(first(&out, &["举头望明月"]), "p-jys", "simplified query, traditional text");
    assert_eq!(first(&out, &["明月幾時有"]), "p-sd", "traditional query, simplified text");
    assert_eq!(first(&out, &["疑是地上霜舉頭"]), "p-jys", "across punctuation and a line break");
    assert_eq!(first(&out, &["孟浩然"]), "p-cx", "an author");
    assert_eq!(ids(&search(&out, &["明月", "--dynasty", "宋"])), ["p-sd"]);
    assert_eq!(ids(&search(&out, &["明月", "--author", "李白"])), ["p-jys"]);
    assert_eq!(ids(&search(&out, &["明月", "--collection", "宋詞"])), ["p-sd"], "collection in the other script");
    assert_eq!(ids(&search(&out, &["明月", "--year", "620..640"])), ["p-zg"], "貞觀三年 is 629");
    assert_eq!(ids(&search(&out, &["*", "--year", "755"])), ["p-tb"], "天寶十四載 is 755");
    let mut dated = ids(&search(&out, &["明月", "--entity", "ERA_DATE"]));
    dated.sort();
    assert_eq!(dated, ["p-tb", "p-zg"]);
    let v = search(&out, &["明月 NOT 長安"]);
    assert!(ids(&v).contains(&"p-jys".to_owned()) && !ids(&v).contains(&"p-tb".to_owned()));
    assert_eq!(search(&out, &["\"明月\" AND 關山"])["total"].as_i64(), Some(1));
    assert_eq!(search(&out, &["月照", "--limit", "3"])["hits"].as_array().map(Vec::len), Some(1));

    let hit = &search(&out, &["举头望明月"])["hits"][0];
    assert_eq!((hit["title"].as_str(), hit["author"].as_str()), (Some("靜夜思"), Some("李白")));
    let table = wenflow().args(["search", "举头望明月", "--index"]).arg(&out).output().expect("run");
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("【舉頭望明月】") && table.contains("靜夜思 · 李白"), "{table}");

    let bad = wenflow().args(["search", "title:(", "--index"]).arg(&out).output().expect("run");
    assert!(!bad.status.success(), "a malformed query fails");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("query"), "{}", String::from_utf8_lossy(&bad.stderr));
    let none = wenflow().args(["search", "x", "--index"]).arg(dir.path()).output().expect("run");
    assert!(!none.status.success());
    assert!(
        String::from_utf8_lossy(&none.stderr).contains("no index here"),
        "{}",
        String::from_utf8_lossy(&none.stderr)
    );
}

/// One shard (`-w 1`) or two (`-w 2`): the same hits with the same scores, because
/// every shard is scored with statistics summed over all shards.
#[test]
fn results_do_not_depend_on_the_number_of_shards() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("c.jsonl");
    corpus(&input, SMALL / 2);
    let (one, two) = (dir.path().join("w1"), dir.path().join("w2"));
    ingest(&[&input], &one, &["-w", "1", "--epoch-mb", SMALL_EPOCH]);
    ingest(&[&input], &two, &["-w", "2", "--epoch-mb", SMALL_EPOCH]);
    for q in ["明月", "天地", "床前明月光", "春 OR 雪", "貞觀"] {
        let (a, b) = (search(&one, &[q, "--limit", "20"]), search(&two, &[q, "--limit", "20"]));
        assert_eq!(a["total"], b["total"], "{q}");
        let hits = |v: &serde_json::Value| -> Vec<(String, f64)> {
            v["hits"]
                .as_array()
                .expect("hits")
                .iter()
                .map(|h| (h["doc_id"].as_str().unwrap_or_default().to_owned(), h["score"].as_f64().unwrap_or(0.0)))
                .collect()
        };
        let (ha, hb) = (hits(&a), hits(&b));
        assert!(!ha.is_empty(), "{q}");
        assert_eq!(ha.len(), hb.len(), "{q}");
        for ((ia, sa), (ib, sb)) in ha.iter().zip(&hb) {
            assert_eq!(ia, ib, "{q}: same order");
            assert!((sa - sb).abs() <= 1e-4 * sa.abs().max(1.0), "{q}: {ia} scores {sa} vs {sb}");
        }
    }
}

/// A crash after the tables commit an epoch and before the index does leaves the index one
/// epoch behind; the re-run replays it from the tables. A deleted index, or one skipped
/// with `--no-index`, is rebuilt from the tables by the next run.
#[test]
fn the_index_catches_up_with_the_tables() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("c.jsonl");
    corpus(&input, SMALL);
    let out = dir.path().join("out");
    // Near duplicates are beside the point here, and slow on this repetitive corpus.
    let opts = ["-w", "2", "--epoch-mb", SMALL_EPOCH, "--split-mb", SMALL_EPOCH, "--no-near-duplicates"];
    ingest(&[&input], &out, &opts);
    assert!(count(&out, "SELECT max(time) FROM documents_log") >= 3, "several epochs");
    let documents = count(&out, "SELECT count(*) FROM documents");
    let reference = search(&out, &["明月", "--limit", "50"]);
    std::fs::remove_dir_all(&out).expect("clean");

    let mut c = wenflow();
    c.arg("ingest").arg(&input).arg("--out").arg(&out).args(opts).env("WENFLOW_CRASH_AFTER", "clean_changes:2");
    let o = c.output().expect("run");
    assert!(!o.status.success(), "the failpoint aborts the run");
    let behind = search(&out, &["*", "--limit", "1"]);
    assert!(behind["epoch"].as_i64().is_none_or(|e| e < 2), "the index did not commit epoch 2: {}", behind["epoch"]);
    ingest(&[&input], &out, &opts);
    let caught = search(&out, &["*", "--limit", "1"]);
    assert_eq!(caught["total"].as_i64(), Some(documents), "every document is indexed after the re-run");
    assert_eq!(ids(&search(&out, &["明月", "--limit", "50"])), ids(&reference));

    std::fs::remove_dir_all(out.join("index")).expect("delete the index");
    let summary = ingest(&[&input], &out, &opts);
    assert!(summary.contains("nothing to do"), "{summary}");
    assert_eq!(search(&out, &["*", "--limit", "1"])["total"].as_i64(), Some(documents), "rebuilt from the tables");
    assert_eq!(ids(&search(&out, &["明月", "--limit", "50"])), ids(&reference));

    let skipped = dir.path().join("skipped");
    ingest(&[&input], &skipped, &["--no-index", "--epoch-mb", SMALL_EPOCH, "--no-near-duplicates"]);
    assert!(!skipped.join("index").exists(), "--no-index writes no index");
    ingest(&[&input], &skipped, &["--epoch-mb", SMALL_EPOCH, "--no-near-duplicates"]);
    assert_eq!(first(&skipped, &["舉頭望明月"]), "p-jys", "built from the tables by the next run");
}
