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

use super::support::{corpus, count, python, sql_csv, wenflow};

/// The tables compared, as change logs (every version with its epoch).
pub const LOGS: [&str; 7] = [
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
    /// The caches of wenflow's runs (`WENFLOW_CACHE`), out of the user's home.
    cache: tempfile::TempDir,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl Moto {
    /// Starts `moto_server` from the venv of `make setup` and waits until it answers.
    pub fn start() -> Moto {
        Moto::start_with(&[])
    }

    /// The same, with environment variables for moto (`INITIAL_NO_AUTH_ACTION_COUNT`).
    pub fn start_with(env: &[(&str, &str)]) -> Moto {
        let server = python().with_file_name("moto_server");
        assert!(server.exists(), "{} is missing: run `make setup` (it installs moto[server])", server.display());
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
        let child = Command::new(server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let cache = tempfile::tempdir().expect("tempdir");
        let moto = Moto { child, cache, endpoint: format!("http://127.0.0.1:{port}") };
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

    /// Copies every file under `dir` to `s3://bucket/prefix/…` (boto3), keys in the files'
    /// relative paths.
    pub fn upload(&self, dir: &Path, bucket: &str, prefix: &str) {
        let script = "import sys, os, boto3\ns3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', \
                      aws_access_key_id='testing', aws_secret_access_key='testing')\n\
                      for root, _, names in os.walk(sys.argv[2]):\n    for n in names:\n        p = os.path.join(root, n)\n        \
                      s3.upload_file(p, sys.argv[3], sys.argv[4] + '/' + os.path.relpath(p, sys.argv[2]))";
        let out = Command::new(python())
            .args(["-c", script, &self.endpoint])
            .arg(dir)
            .args([bucket, prefix])
            .output()
            .expect("python");
        assert!(out.status.success(), "upload: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Deletes the object `key` of `bucket`.
    pub fn delete(&self, bucket: &str, key: &str) {
        let script = "import sys, boto3\nboto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', \
                      aws_access_key_id='testing', aws_secret_access_key='testing').delete_object(Bucket=sys.argv[2], Key=sys.argv[3])";
        let out = Command::new(python()).args(["-c", script, &self.endpoint, bucket, key]).output().expect("python");
        assert!(out.status.success(), "delete: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// `wenflow ARGS --s3-endpoint ENDPOINT` with test credentials.
    pub fn wenflow(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run wenflow")
    }

    /// The same, with one more environment variable (a failpoint).
    pub fn wenflow_env(&self, args: &[&str], (key, value): (&str, &str)) -> Output {
        self.command(args).env(key, value).output().expect("run wenflow")
    }

    /// `wenflow ARGS` against this server through `endpoint` (a proxy of it), with test
    /// credentials and its own cache.
    pub fn command_via(&self, endpoint: &str, args: &[&str]) -> Command {
        let mut c = wenflow();
        c.args(args).args(["--s3-endpoint", endpoint]).env("WENFLOW_CACHE", self.cache.path());
        for (k, v) in
            [("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"), ("AWS_REGION", "us-east-1")]
        {
            c.env(k, v);
        }
        c
    }

    /// `wenflow ARGS` against this server, with test credentials and its own cache.
    pub fn command(&self, args: &[&str]) -> Command {
        self.command_via(&self.endpoint, args)
    }

    /// `wenflow search QUERY --format json --limit 30 --index INDEX ARGS…`: the number of
    /// matches and the hits, without the timing.
    pub fn search(&self, index: &str, query: &str, args: &[&str]) -> (serde_json::Value, serde_json::Value) {
        let search = ["search", query, "--format", "json", "--limit", "30", "--index", index];
        let out = self.wenflow(&[&search[..], args].concat());
        assert!(out.status.success(), "search {query} in {index}: {}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        (v["total"].clone(), v["hits"].clone())
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

pub fn sorted(csv: &str) -> Vec<String> {
    let mut rows: Vec<String> = csv.lines().map(str::to_owned).collect();
    rows.sort();
    rows
}

/// Poems, ci and prose in the chinese-poetry layout, plus a JSONL file with an exact
/// copy of a poem, a broken line and an empty record.
pub fn material(dir: &Path) -> PathBuf {
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
/// Python reader; its index, published to the store with each commit, answers searches from
/// an empty cache as the local one does; a re-run finds every epoch committed; a missing
/// bucket and a bad location are clear errors.
#[test]
fn an_ingest_to_s3_equals_the_same_ingest_to_local_disk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = material(dir.path());
    let moto = Moto::start();
    moto.create_bucket("corpus");
    let local = dir.path().join("local");
    let input_arg = input.to_str().expect("utf-8 path");
    let job = ["-w", "2", "--epoch-mb", "0.05"];

    let run = wenflow().args(["ingest", input_arg, "--out"]).arg(&local).args(job).output().expect("run");
    assert!(run.status.success(), "local ingest: {}", String::from_utf8_lossy(&run.stderr));
    let s3 = "s3://corpus/runs/first";
    let cache = dir.path().join("cache-of-the-writer");
    let cache_arg = cache.to_str().expect("utf-8 path");
    let run = moto.wenflow(&[&["ingest", input_arg, "--out", s3, "--index-cache", cache_arg][..], &job[..]].concat());
    assert!(run.status.success(), "s3 ingest: {}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("documents"), "{stdout}");

    // The index is in the store: a reader with an empty cache (another machine) finds what
    // the local index finds, and the writer's cache can go without loss.
    std::fs::remove_dir_all(&cache).expect("remove the writer's cache");
    let fresh = dir.path().join("cache-of-a-reader");
    let local_index = local.to_str().expect("utf-8 path");
    for query in ["對酒當歌", "人生若只如初見", "学而时习之", "子曰", "明月"] {
        let cache = ["--index-cache", fresh.to_str().expect("utf-8")];
        let from_store = moto.search(s3, query, &cache);
        assert!(from_store.0.as_u64().is_some_and(|n| n > 0), "{query}: no hits from the store");
        assert_eq!(from_store, moto.search(local_index, query, &cache), "search {query}: in the store against local");
        assert_eq!(moto.search(&format!("{s3}/index"), query, &cache), from_store, "the index folder itself");
    }

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
    let job = ["stream", "--watch", watch, "--once", "--out", out, "-w", "2", "--epoch-mb", "0.05"];
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
    let run = wenflow().args(["ingest", watch, "-w", "2", "--out"]).arg(&batch).output().expect("run");
    assert!(run.status.success(), "batch: {}", String::from_utf8_lossy(&run.stderr));
    // The index in the store follows the stream as the batch's does. (Scores differ: a
    // deleted document counts in BM25's statistics until its segment is merged.)
    let batch_index = batch.to_str().expect("utf-8 path");
    let unscored = |mut hits: serde_json::Value| {
        for hit in hits.as_array_mut().expect("hits") {
            hit.as_object_mut().expect("hit").remove("score");
        }
        hits
    };
    for query in ["學而時習之", "人生若只如初見", "对酒当歌", "子曰"] {
        let (stream, batch) =
            (unscored(moto.search(out, query, &[]).1), unscored(moto.search(batch_index, query, &[]).1));
        assert_eq!(stream, batch, "search {query}: stream on S3 against batch");
    }
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

/// Inputs of every kind for reading from a store, unseen by the other tests: the
/// chinese-poetry layout (Shuimo Tang poems, the Youmengying aphorisms, a primer) under
/// `poetry/`, and under `mixed/`: a JSONL file of prose cut into several byte ranges, a
/// Parquet file of several row groups, a GB18030 letter, a page image without an
/// extension, a PDF with a text layer, a broken JSON file and a file of an unknown kind.
fn mixed_material(dir: &Path) -> PathBuf {
    let root = dir.join("corpus");
    let dist = root.join("poetry/dist");
    for (collection, file) in
        [("shuimotangshi", "shuimotangshi.json"), ("youmengying", "youmengying.json"), ("mengxue", "zhuzijiaxun.json")]
    {
        std::fs::create_dir_all(dist.join(collection)).expect("mkdir");
        std::fs::copy(corpus().join("dist").join(collection).join(file), dist.join(collection).join(file))
            .expect("copy");
    }
    let mixed = root.join("mixed");
    std::fs::create_dir_all(&mixed).expect("mkdir");
    // Prose: the Youmengying aphorisms, one per line, with one line twice and one broken.
    let aphorisms: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dist.join("youmengying/youmengying.json")).expect("read")).expect("json");
    let mut notes = std::fs::File::create(mixed.join("notes.jsonl")).expect("create");
    for (i, a) in aphorisms.as_array().expect("array").iter().enumerate().take(160) {
        let text = a["content"].as_str().unwrap_or_default();
        writeln!(notes, "{}", serde_json::json!({"id": format!("note-{i}"), "text": text})).expect("write");
        if i == 40 {
            writeln!(notes, "{{\"id\": \"note-broken\", \"text\": ").expect("write");
        }
    }
    // The Shuimo Tang poems as Parquet rows, three to a row group (duckdb writes it).
    let script = "import sys, duckdb\nduckdb.sql(f\"COPY (SELECT title, author, array_to_string(paragraphs, '') AS text \
                  FROM read_json_auto('{sys.argv[1]}') LIMIT 40) TO '{sys.argv[2]}' (FORMAT parquet, ROW_GROUP_SIZE 3)\")";
    let out = Command::new(python())
        .args(["-c", script])
        .arg(dist.join("shuimotangshi/shuimotangshi.json"))
        .arg(mixed.join("poems.parquet"))
        .output()
        .expect("python");
    assert!(out.status.success(), "parquet: {}", String::from_utf8_lossy(&out.stderr));
    let script =
        "import sys\nopen(sys.argv[1], 'wb').write('家書：春風又綠江南岸，明月何時照我還。'.encode('gb18030'))";
    let out = Command::new(python()).args(["-c", script]).arg(mixed.join("letter.txt")).output().expect("python");
    assert!(out.status.success(), "gb18030: {}", String::from_utf8_lossy(&out.stderr));
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ocr");
    std::fs::copy(fixtures.join("page-v.png"), mixed.join("scan-0001")).expect("copy");
    std::fs::copy(fixtures.join("text-layer.pdf"), mixed.join("layer.pdf")).expect("copy");
    std::fs::write(mixed.join("broken.json"), "[{\"id\": \"x\", \"text\": \"未完").expect("write");
    std::fs::write(mixed.join("notes.bak"), "not an input").expect("write");
    root
}

/// An ingest that reads its inputs from S3 commits the same tables, and builds the same
/// index, as the same ingest of the same files on disk; a stream watching the prefix
/// follows an object removed and one rewritten, like a batch ingest of the final folder.
#[test]
fn an_ingest_from_s3_equals_the_same_files_on_disk_and_a_watched_prefix_follows_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = mixed_material(dir.path());
    let moto = Moto::start();
    moto.create_bucket("inputs");
    moto.upload(&root, "inputs", "corpus");
    let local_root = root.to_str().expect("utf-8 path");
    let job = ["-w", "2", "--epoch-mb", "0.05", "--split-mb", "0.01"];

    let (on_disk, from_s3) = (dir.path().join("on-disk"), dir.path().join("from-s3"));
    let (poetry, mixed) = (root.join("poetry"), root.join("mixed"));
    let run = moto.wenflow(
        &[
            &["ingest", poetry.to_str().expect("utf-8"), mixed.to_str().expect("utf-8"), "--out"][..],
            &[on_disk.to_str().expect("utf-8")][..],
            &job[..],
        ]
        .concat(),
    );
    assert!(run.status.success(), "ingest from disk: {}", String::from_utf8_lossy(&run.stderr));
    let run = moto.wenflow(
        &[
            &["ingest", "s3://inputs/corpus/poetry", "s3://inputs/corpus/mixed/", "--out"][..],
            &[from_s3.to_str().expect("utf-8")][..],
            &job[..],
        ]
        .concat(),
    );
    assert!(run.status.success(), "ingest from s3: {}", String::from_utf8_lossy(&run.stderr));

    // Sources name the file where it was read; everything else is equal.
    let from_disk = |query: &str| sorted(&sql_csv(&on_disk, query).replace(local_root, "s3://inputs/corpus"));
    for log in LOGS {
        // A page's reading time (`ms`) is the one column that differs between runs.
        let query = format!("SELECT * {} FROM {log}", if log == "pages_log" { "EXCLUDE (ms)" } else { "" });
        assert_eq!(sorted(&sql_csv(&from_s3, &query)), from_disk(&query), "{log}: read from S3 against from disk");
    }
    let parts = count(&from_s3, "SELECT count(DISTINCT time) FROM documents_log");
    assert!(parts > 3, "several epochs: {parts}");
    let sources = sorted(&sql_csv(&from_s3, "SELECT DISTINCT source FROM documents"));
    for file in ["mixed/notes.jsonl", "mixed/poems.parquet", "mixed/letter.txt", "mixed/scan-0001", "mixed/layer.pdf"] {
        let url = format!("s3://inputs/corpus/{file}");
        assert!(sources.iter().any(|s| s.starts_with(&url)), "{file} gives documents: {sources:?}");
    }
    let failed = sorted(&sql_csv(&from_s3, "SELECT source, stage FROM failures"));
    assert!(failed.iter().any(|f| f.contains("s3://inputs/corpus/mixed/broken.json")), "{failed:?}");
    assert!(failed.iter().any(|f| f.contains("notes.jsonl#41")), "the broken line: {failed:?}");
    let letter = sql_csv(&from_s3, "SELECT text FROM documents WHERE doc_id = 'letter.txt'");
    assert!(letter.contains("春風又綠江南岸"), "GB18030 decoded: {letter}");
    for query in ["春風又綠江南岸", "明月", "床前明月光"] {
        let (s3, disk) = (from_s3.to_str().expect("utf-8"), on_disk.to_str().expect("utf-8"));
        assert_eq!(moto.search(s3, query, &[]), moto.search(disk, query, &[]), "search {query}");
    }

    // A stream watching the prefix: once, then after an object removed and one rewritten.
    let out = "s3://inputs/stream";
    let watch = ["stream", "--watch", "s3://inputs/corpus/mixed", "--once", "--out", out, "-w", "2", "--no-index"];
    let first = moto.wenflow(&watch);
    assert!(first.status.success(), "stream: {}", String::from_utf8_lossy(&first.stderr));
    moto.delete("inputs", "corpus/mixed/poems.parquet");
    std::fs::remove_file(mixed.join("poems.parquet")).expect("remove");
    std::fs::write(mixed.join("letter.txt"), "獨在異鄉為異客，每逢佳節倍思親。").expect("write");
    moto.upload(&mixed, "inputs", "corpus/mixed");
    let second = moto.wenflow(&watch);
    assert!(second.status.success(), "stream after changes: {}", String::from_utf8_lossy(&second.stderr));
    let batch = dir.path().join("batch");
    let run = wenflow().args(["ingest", mixed.to_str().expect("utf-8"), "--no-index", "--out"]).arg(&batch).output();
    let run = run.expect("run");
    assert!(run.status.success(), "batch: {}", String::from_utf8_lossy(&run.stderr));
    let local_mixed = mixed.to_str().expect("utf-8");
    for table in ["documents", "duplicates", "entities", "entity_counts", "failures", "clean_changes", "pages"] {
        let query = format!("SELECT * {} FROM {table}", if table == "pages" { "EXCLUDE (ms)" } else { "" });
        let expected = sorted(&sql_csv(&batch, &query).replace(local_mixed, "s3://inputs/corpus/mixed"));
        assert_eq!(moto.rows(out, &query), expected, "{table}: stream on the prefix against batch");
    }
    let letter = moto.rows(out, "SELECT diff, text FROM documents_log WHERE doc_id = 'letter.txt'");
    let versions = [
        "-1,家書：春風又綠江南岸，明月何時照我還。",
        "1,家書：春風又綠江南岸，明月何時照我還。",
        "1,獨在異鄉為異客，每逢佳節倍思親。",
        "diff,text",
    ];
    assert_eq!(letter, versions, "the letter in, out, and its new text in (sorted, with the header)");
}
