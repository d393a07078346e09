//! Outputs on S3. The store is a real S3-compatible server, `moto_server` (PyPI
//! `moto[server]` 5.2 or later, installed by `make setup`), started by the test on a free
//! port of 127.0.0.1 and killed at its end. wenflow reaches it with object_store's S3
//! client through `--s3-endpoint`, and commits its Delta tables there with conditional
//! PUTs.
//!
//! The material is unseen by the other tests: Cao Cao's poems, Nalan Xingde's ci and the
//! Analects (prose), with an exact copy and broken lines added.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use super::support::{corpus, python, sql_csv, wenflow};

/// The tables compared, as change logs (every version with its epoch).
const LOGS: [&str; 7] = [
    "documents_log",
    "duplicates_log",
    "entities_log",
    "entity_counts_log",
    "failures_log",
    "clean_changes_log",
    "pages_log",
];

/// A moto S3 server on 127.0.0.1, killed when dropped.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl Moto {
    /// Starts `moto_server` from the venv of `make setup` and waits until it answers.
    pub fn start() -> Moto {
        let server = python().with_file_name("moto_server");
        assert!(server.exists(), "{} is missing: run `make setup` (it installs moto[server])", server.display());
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
        let child = Command::new(server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let moto = Moto { child, endpoint: format!("http://127.0.0.1:{port}") };
        for _ in 0..300 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return moto;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("moto_server did not listen on port {port}");
    }

    /// Creates `bucket` (boto3, which moto brings).
    pub fn create_bucket(&self, bucket: &str) {
        let script = "import sys, boto3\nboto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', \
                      aws_access_key_id='testing', aws_secret_access_key='testing').create_bucket(Bucket=sys.argv[2])";
        let out = Command::new(python()).args(["-c", script, &self.endpoint, bucket]).output().expect("python");
        assert!(out.status.success(), "create bucket: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// `wenflow ARGS --s3-endpoint ENDPOINT` with test credentials.
    pub fn wenflow(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run wenflow")
    }

    /// The same, with one more environment variable (a failpoint).
    pub fn wenflow_env(&self, args: &[&str], (key, value): (&str, &str)) -> Output {
        self.command(args).env(key, value).output().expect("run wenflow")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = wenflow();
        c.args(args).args(["--s3-endpoint", &self.endpoint]);
        for (k, v) in
            [("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"), ("AWS_REGION", "us-east-1")]
        {
            c.env(k, v);
        }
        c
    }

    /// The one number `query` gives.
    pub fn number(&self, data: &str, query: &str) -> i64 {
        let out = self.wenflow(&["sql", query, "--format", "csv", "--data", data]);
        assert!(out.status.success(), "sql over {data}: {query}: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines().nth(1).and_then(|l| l.trim().parse().ok()).unwrap_or_else(|| panic!("{query}: {text}"))
    }

    /// Sorted CSV rows of `query` over the tables under `data` (`s3://…`).
    pub fn rows(&self, data: &str, query: &str) -> Vec<String> {
        let out = self.wenflow(&["sql", query, "--format", "csv", "--data", data]);
        assert!(out.status.success(), "sql over {data}: {query}: {}", String::from_utf8_lossy(&out.stderr));
        sorted(&String::from_utf8_lossy(&out.stdout))
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sorted(csv: &str) -> Vec<String> {
    let mut rows: Vec<String> = csv.lines().map(str::to_owned).collect();
    rows.sort();
    rows
}

/// Poems, ci and prose in the chinese-poetry layout, plus a JSONL file with an exact
/// copy of a poem, a broken line and an empty record.
fn material(dir: &Path) -> PathBuf {
    let input = dir.join("input");
    for collection in ["caocaoshiji", "nalanxingde", "lunyu"] {
        let from = corpus().join("dist").join(collection);
        let to = input.join("dist").join(collection);
        std::fs::create_dir_all(&to).expect("mkdir");
        for file in std::fs::read_dir(&from).expect("read corpus").flatten() {
            std::fs::copy(file.path(), to.join(file.file_name())).expect("copy");
        }
    }
    let mut extra = std::fs::File::create(input.join("extra.jsonl")).expect("create");
    // An exact copy of Cao Cao's first poem (paragraphs join with newlines).
    let poems: serde_json::Value =
        serde_json::from_slice(&std::fs::read(input.join("dist/caocaoshiji/caocao.json")).expect("read"))
            .expect("json");
    let lines: Vec<&str> =
        poems[0]["paragraphs"].as_array().expect("paragraphs").iter().filter_map(|l| l.as_str()).collect();
    writeln!(extra, "{}", serde_json::json!({"id": "copy-1", "text": lines.join("\n")})).expect("write");
    writeln!(extra, "{{\"id\": \"broken").expect("write");
    writeln!(extra, "{{\"id\": \"empty\", \"text\": \"\"}}").expect("write");
    input
}

/// An ingest to S3 commits the same tables as the same ingest to local disk: every change
/// log row for row, read back by `wenflow sql` from the store and by the `deltalake`
/// Python reader; a re-run finds every epoch committed; a missing bucket, an index asked
/// for on S3 and a bad location are clear errors.
#[test]
fn an_ingest_to_s3_equals_the_same_ingest_to_local_disk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = material(dir.path());
    let moto = Moto::start();
    moto.create_bucket("corpus");
    let local = dir.path().join("local");
    let input_arg = input.to_str().expect("utf-8 path");
    let job = ["-w", "2", "--epoch-mb", "0.05", "--no-index"];

    let run = wenflow().args(["ingest", input_arg, "--out"]).arg(&local).args(job).output().expect("run");
    assert!(run.status.success(), "local ingest: {}", String::from_utf8_lossy(&run.stderr));
    let s3 = "s3://corpus/runs/first";
    let run = moto.wenflow(&[&["ingest", input_arg, "--out", s3][..], &job[..]].concat());
    assert!(run.status.success(), "s3 ingest: {}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("documents"), "{stdout}");

    let epochs = moto.number(s3, "SELECT count(DISTINCT time) FROM documents_log");
    assert!(epochs > 3, "several epochs, each a commit: {epochs}");
    for log in LOGS {
        let query = format!("SELECT * FROM {log}");
        assert_eq!(moto.rows(s3, &query), sorted(&sql_csv(&local, &query)), "{log}: S3 against local disk");
    }
    let failures = moto.rows(s3, "SELECT stage FROM failures");
    assert!(failures.iter().any(|s| s == "parse"), "the broken line is a failure: {failures:?}");
    let duplicates = moto.rows(s3, "SELECT doc_id, cluster_id FROM duplicates WHERE kind = 'exact'");
    assert!(duplicates.iter().any(|d| d.contains("copy-1")), "the copy is in an exact cluster: {duplicates:?}");

    // The deltalake Python reader reads the tables in the store. (deltalake 1.6's S3 client
    // aborts at interpreter exit, after the read; the script leaves with os._exit.)
    let script = "import sys, deltalake\nopts = {'AWS_ENDPOINT_URL': sys.argv[1], 'AWS_ALLOW_HTTP': 'true', \
                  'AWS_ACCESS_KEY_ID': 'testing', 'AWS_SECRET_ACCESS_KEY': 'testing', 'AWS_REGION': 'us-east-1'}\n\
                  t = deltalake.DeltaTable(sys.argv[2], storage_options=opts)\nprint(t.to_pyarrow_table().num_rows, flush=True)\nimport os\nos._exit(0)";
    let read = Command::new(python())
        .args(["-c", script, &moto.endpoint, &format!("{s3}/documents")])
        .output()
        .expect("python");
    assert!(read.status.success(), "deltalake (python): {}", String::from_utf8_lossy(&read.stderr));
    let rows = moto.number(s3, "SELECT count(*) FROM documents_log");
    assert_eq!(
        String::from_utf8_lossy(&read.stdout).trim(),
        rows.to_string(),
        "documents_log rows, python against wenflow"
    );

    // The same job again: every epoch is committed, nothing changes.
    let again = moto.wenflow(&[&["ingest", input_arg, "--out", s3][..], &job[..]].concat());
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert!(String::from_utf8_lossy(&again.stdout).contains("every epoch is already committed"));
    assert_eq!(moto.rows(s3, "SELECT * FROM documents_log"), sorted(&sql_csv(&local, "SELECT * FROM documents_log")));

    // Clear errors, one line each.
    let one_line = |out: &Output, code: i32, needle: &str| {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{stderr}");
        assert!(stderr.contains(needle) && stderr.trim().lines().count() == 1, "{needle}: {stderr}");
    };
    let missing = moto.wenflow(&[&["ingest", input_arg, "--out", "s3://no-such-bucket/x"][..], &job[..]].concat());
    one_line(&missing, 1, "bucket does not exist");
    let indexed = moto.wenflow(&["ingest", input_arg, "--out", "s3://corpus/runs/indexed"]);
    one_line(&indexed, 2, "--no-index");
    let scheme = moto.wenflow(&["ingest", input_arg, "--out", "gs://corpus/x", "--no-index"]);
    one_line(&scheme, 2, "unknown scheme");
}

/// A stream to S3 (`--watch … --once`) aborted by the failpoint right after the input log
/// and `documents` committed its second epoch, rerun, then run again after a file was
/// removed and one rewritten: every table's current state equals a batch ingest of the
/// final folder to local disk.
#[test]
fn a_stream_to_s3_killed_between_commits_resumes_like_a_batch_ingest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = material(dir.path());
    let moto = Moto::start();
    moto.create_bucket("streams");
    let out = "s3://streams/folder";
    let watch = input.to_str().expect("utf-8 path");
    let job = ["stream", "--watch", watch, "--once", "--out", out, "-w", "2", "--epoch-mb", "0.05", "--no-index"];
    let killed = moto.wenflow_env(&job, ("WENFLOW_CRASH_AFTER", "documents:2"));
    assert!(!killed.status.success(), "the failpoint should abort the run");
    let rerun = moto.wenflow(&job);
    assert!(rerun.status.success(), "rerun: {}", String::from_utf8_lossy(&rerun.stderr));
    let summary = String::from_utf8_lossy(&rerun.stdout);
    assert!(summary.contains("epochs     2..="), "the rerun resumes at the epoch the kill cut short: {summary}");
    std::fs::remove_file(input.join("dist/lunyu/lunyu.json")).expect("remove");
    std::fs::write(input.join("extra.jsonl"), "{\"id\": \"copy-1\", \"text\": \"學而時習之，不亦說乎？\"}\n")
        .expect("write");
    let changed = moto.wenflow(&job);
    assert!(changed.status.success(), "after the change: {}", String::from_utf8_lossy(&changed.stderr));

    let batch = dir.path().join("batch");
    let run = wenflow().args(["ingest", watch, "--no-index", "--out"]).arg(&batch).output().expect("run");
    assert!(run.status.success(), "batch: {}", String::from_utf8_lossy(&run.stderr));
    for table in ["documents", "duplicates", "entities", "entity_counts", "failures", "clean_changes"] {
        let query = format!("SELECT * FROM {table}");
        assert_eq!(moto.rows(out, &query), sorted(&sql_csv(&batch, &query)), "{table}: stream on S3 against batch");
    }
    // Every version exactly once: the Analects went in once and out once.
    let lunyu =
        moto.rows(out, "SELECT diff, count(*) FROM documents_log WHERE doc_id LIKE 'dist/lunyu/%' GROUP BY diff");
    assert_eq!(lunyu.len(), 3, "{lunyu:?}");
    let (out_rows, in_rows) = (&lunyu[0], &lunyu[1]);
    assert!(out_rows.starts_with("-1,") && in_rows.starts_with("1,") && out_rows[3..] == in_rows[2..], "{lunyu:?}");
}
