//! Helpers: run the binary, query its tables, make fixtures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `wenflow` binary under test.
pub fn wenflow() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wenflow"));
    c.env("WENFLOW_LOG", "warn");
    c
}

/// Runs `wenflow ingest <inputs> --out <out> <extra>` and asserts success.
pub fn ingest(inputs: &[&Path], out: &Path, extra: &[&str]) -> String {
    let output = ingest_raw(inputs, out, extra);
    assert!(
        output.status.success(),
        "ingest failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs `wenflow ingest` and returns its output, whatever the status.
pub fn ingest_raw(inputs: &[&Path], out: &Path, extra: &[&str]) -> Output {
    let mut c = wenflow();
    c.arg("ingest");
    c.args(inputs);
    c.arg("--out").arg(out).args(extra);
    c.output().expect("run wenflow")
}

/// Runs SQL over `data` and returns the rows as JSON objects.
pub fn sql(data: &Path, query: &str) -> Vec<serde_json::Value> {
    let output =
        wenflow().args(["sql", query, "--format", "json", "--data"]).arg(data).output().expect("run wenflow sql");
    assert!(output.status.success(), "sql failed: {query}\n{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("bad json from {query}: {e}: {}", String::from_utf8_lossy(&output.stdout)))
}

/// Runs SQL and returns CSV text.
pub fn sql_csv(data: &Path, query: &str) -> String {
    let output =
        wenflow().args(["sql", query, "--format", "csv", "--data"]).arg(data).output().expect("run wenflow sql");
    assert!(output.status.success(), "sql failed: {query}\n{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A single integer from a one-row, one-column query.
pub fn count(data: &Path, query: &str) -> i64 {
    let rows = sql(data, query);
    let row = rows.first().unwrap_or_else(|| panic!("no rows from {query}"));
    row.as_object()
        .and_then(|o| o.values().next())
        .and_then(serde_json::Value::as_i64)
        .unwrap_or_else(|| panic!("not a count: {row}"))
}

/// The Python interpreter with `deltalake` and `duckdb` (from `make setup`).
pub fn python() -> PathBuf {
    let p = std::env::var("WENFLOW_PYTHON").map(PathBuf::from).unwrap_or_else(|_| {
        PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/wenflow/venv/bin/python")
    });
    assert!(p.exists(), "{} is missing: run `make setup` (it installs deltalake and duckdb from PyPI)", p.display());
    p
}

/// The chinese-poetry package (from `make setup`).
pub fn corpus() -> PathBuf {
    let p = std::env::var("WENFLOW_CORPUS").map(PathBuf::from).unwrap_or_else(|_| {
        PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/wenflow/corpus/chinese-poetry")
    });
    assert!(
        p.join("dist/quantangshi").is_dir(),
        "{} is missing: run `make setup` (it fetches chinese-poetry@2.0.1 from npm)",
        p.display()
    );
    p
}

/// Records of a test-sized generated corpus, and an epoch size (`--epoch-mb`, also used
/// as `--split-mb`) that cuts it into about seven epochs (0.02 MiB, some 170 records):
/// many epochs and splits on every worker from a corpus that ingests in a second.
pub const SMALL: usize = 1200;
/// See [`SMALL`].
pub const SMALL_EPOCH: &str = "0.02";

/// A generated JSONL corpus of `n` records: ids `d00000…`, texts drawn from a small pool
/// so that exact duplicates occur, some without ids, titles and authors.
pub fn generated_jsonl(path: &Path, n: usize) {
    let pool = [
        "床前明月光，疑是地上霜。",
        "貞觀三年，天下大稔。",
        "春眠不覺曉，處處聞啼鳥。",
        "開元二十三年，乾祐三年，萬徑人蹤滅。",
    ];
    let mut s = String::new();
    for i in 0..n {
        let text = if i % 7 == 0 {
            pool[i % pool.len()].to_string()
        } else {
            format!(
                "{}{}",
                pool[i % pool.len()],
                "天地玄黃宇宙洪荒".chars().cycle().skip(i % 8).take(5 + i % 11).collect::<String>()
            )
        };
        let rec = if i % 7 == 0 {
            serde_json::json!({"id": format!("d{i:05}"), "paragraphs": [pool[i % pool.len()]]})
        } else if i % 13 == 0 {
            serde_json::json!({"text": text, "author": format!("a{}", i % 5)})
        } else {
            serde_json::json!({"id": format!("d{i:05}"), "title": format!("t{i}"), "author": format!("a{}", i % 5), "paragraphs": [text, format!("第{i}句。")]})
        };
        s.push_str(&rec.to_string());
        s.push('\n');
    }
    std::fs::write(path, s).expect("write jsonl");
}

/// How many times the crash tests kill a running stream: 3 in `make test`;
/// `WENFLOW_KILLS=20` for the longer run.
pub fn kills() -> usize {
    std::env::var("WENFLOW_KILLS").ok().and_then(|k| k.parse().ok()).unwrap_or(3)
}
