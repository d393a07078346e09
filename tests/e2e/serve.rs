//! `wenflow serve` over a stream's output: Flight SQL through the ADBC driver (every report
//! equals `wenflow report`, prepared statements, metadata without a catalog, errors), the
//! web page in headless Chromium (searches in both scripts, a document with its entities and
//! near duplicate, the report plots, a new epoch shown without a reload), and bad requests
//! answered while the server goes on. The scripts are `tests/serve/*.py`; the material is
//! the report fixture (`tests/fixtures/reports/`).

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use super::support::{python, sql, wenflow};

/// A running `wenflow serve`, stopped when dropped.
struct Server {
    child: Child,
    flight: String,
    http: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `wenflow serve --data OUT` on free ports and waits until it listens.
fn serve(out: &Path) -> Server {
    let mut child = wenflow()
        .arg("serve")
        .arg("--data")
        .arg(out)
        .args(["--flight-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--refresh-ms", "200"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = std::io::BufReader::new(stdout).lines();
    let (mut flight, mut http) = (String::new(), String::new());
    while flight.is_empty() || http.is_empty() {
        let line = lines.next().expect("serve printed its addresses").expect("read");
        if let Some(a) = line.strip_prefix("flight sql  ") {
            flight = a.trim().to_owned();
        } else if let Some(a) = line.strip_prefix("web page    ") {
            http = a.trim().trim_end_matches('/').to_owned();
        }
    }
    // Keep draining its output so that it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, flight, http }
}

/// A GET on the server: status code and body.
fn get(base: &str, path: &str) -> (u16, serde_json::Value) {
    get_as(base, path, base.trim_start_matches("http://"))
}

/// A GET naming `host` in its `Host` header.
fn get_as(base: &str, path: &str, host: &str) -> (u16, serde_json::Value) {
    let addr = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let code = response.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    (code, serde_json::from_str(body).unwrap_or(serde_json::Value::Null))
}

/// Runs a script of `tests/serve`, which must print at least `checks` lines starting "ok ";
/// returns what it printed.
fn run_script(script: &str, args: &[&str], checks: usize) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/serve").join(script);
    let o = std::process::Command::new(python()).arg(path).args(args).output().expect("run python");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{script} failed:\n{stdout}\n{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.lines().filter(|l| l.starts_with("ok ")).count() >= checks, "{stdout}");
    stdout.into_owned()
}

#[test]
fn flight_sql_clients_and_a_browser_read_a_running_stream() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let watch = dir.path().join("in");
    std::fs::create_dir(&watch).expect("mkdir");
    for f in ["tests/fixtures/reports/corpus.jsonl", "tests/fixtures/ocr/page-h-grid.png"] {
        let from = root.join(f);
        std::fs::copy(&from, watch.join(from.file_name().expect("name"))).expect("copy");
    }
    let out = dir.path().join("out");
    let o = wenflow()
        .env("OMP_THREAD_LIMIT", "1")
        .arg("stream")
        .arg("--watch")
        .arg(&watch)
        .args(["--once", "-w", "2", "--out"])
        .arg(&out)
        .output()
        .expect("stream");
    assert!(o.status.success(), "stream: {}", String::from_utf8_lossy(&o.stderr));
    let server = serve(&out);

    // Bad requests: an error each, and the server goes on.
    let (code, body) = get(&server.http, "/api/status");
    assert_eq!((code, body["epoch"].as_u64()), (200, Some(1)), "{body}");
    for (path, want) in [
        ("/api/search?q=%28", 400),
        ("/api/search?q=%E6%98%8E&year=eight", 400),
        ("/api/search", 400),
        ("/api/doc?id=no-such-doc", 404),
        ("/api/doc", 400),
        ("/api/report/no_such_report", 404),
        ("/api/report/why", 400),
        ("/api/report/summary?as_of=9", 400),
        ("/api/report/summary?as_of=x", 400),
        ("/no/such/page", 404),
    ] {
        let (code, body) = get(&server.http, path);
        assert_eq!(code, want, "{path}: {body}");
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "{path}: {body}");
    }
    // A page of another site, reaching the loopback API through a name of its own (DNS
    // rebinding), is refused.
    let (code, _) = get_as(&server.http, "/api/status", "attacker.example:8080");
    assert_eq!(code, 403);
    let (code, _) = get_as(&server.http, "/api/status", "localhost:8080");
    assert_eq!(code, 200);
    let (code, body) = get(&server.http, "/api/report/why?doc_id=nt-1");
    assert_eq!(code, 200, "{body}");
    assert!(body["rows"].as_array().is_some_and(|r| r.len() >= 3), "{body}");

    // Flight SQL: what every report gives through the ADBC driver equals `wenflow report`.
    let mut reports = serde_json::Map::new();
    for r in wenflow_queries::reports::REPORTS {
        let values: Vec<&str> = r.params().iter().map(|_| "nt-1").collect();
        let mut args = vec!["report", r.name];
        args.extend(&values);
        let o = wenflow().args(&args).args(["--format", "json", "--data"]).arg(&out).output().expect("report");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let rows: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        reports.insert(
            r.name.to_owned(),
            serde_json::json!({"sql": r.source, "params": values, "param_names": r.params(), "rows": rows}),
        );
    }
    let collections: serde_json::Map<String, serde_json::Value> =
        sql(&out, "SELECT collection, count(*) AS n FROM documents WHERE collection IS NOT NULL GROUP BY 1")
            .into_iter()
            .map(|r| (r["collection"].as_str().unwrap_or_default().to_owned(), r["n"].clone()))
            .collect();
    let tables: Vec<String> = ["clean_changes", "documents", "duplicates", "entities", "entity_counts"]
        .into_iter()
        .chain(["failures", "inputs", "pages", "positions", "runs"])
        .map(str::to_owned)
        .collect();
    let expected = dir.path().join("expected.json");
    std::fs::write(
        &expected,
        serde_json::json!({
            "reports": reports, "collections": collections, "tables": tables,
            "without_collection": super::support::count(&out, "SELECT count(*) FROM documents WHERE collection IS NULL"),
        })
        .to_string(),
    )
    .expect("write");
    run_script("flight_sql.py", &[&server.flight, expected.to_str().expect("utf-8")], 5);

    // The reports saved as one page.
    let saved = dir.path().join("reports.html");
    let o = wenflow().arg("report").arg("--html").arg(&saved).arg("--data").arg(&out).output().expect("report --html");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(&saved).expect("saved page");
    assert!(html.contains("window.WENFLOW_STATIC = {") && !html.contains("<!--wenflow-static-->"));

    // The page in Chromium; it adds a poem to the folder and runs a stream pass itself.
    let shots = dir.path().join("shots");
    let wenflow_bin = env!("CARGO_BIN_EXE_wenflow");
    let paths: Vec<&str> = [&shots, &watch, &out, &saved].iter().map(|p| p.to_str().expect("utf-8 path")).collect();
    run_script("browser.py", &[&server.http, paths[0], wenflow_bin, paths[1], paths[2], paths[3]], 5);
    let (_, status) = get(&server.http, "/api/status");
    assert_eq!(status["epoch"].as_u64(), Some(2), "{status}");
    // The statement the first script ran, sent again after the new epoch: the server kept its
    // plan for the first reading, and must plan it again on the new one.
    let printed = run_script("flight_sql.py", &[&server.flight, "--count"], 0);
    let now = super::support::count(&out, "SELECT count(*) FROM documents");
    assert_eq!(printed.trim(), format!("count {now}"), "Flight SQL after the new epoch");
    drop(server);

    // What a user gets wrong when starting it: one line, exit code 2.
    let refused = |args: &[&str], says: &str| {
        let o = wenflow().arg("serve").args(args).output().expect("serve");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.lines().count() == 1 && stderr.contains(says), "{args:?}: {stderr}");
    };
    let data = out.to_str().expect("utf-8");
    refused(&["--data", dir.path().join("nowhere").to_str().expect("utf-8")], "nowhere");
    refused(&["--data", data, "--http-addr", "localhost"], "--http-addr \"localhost\"");
    refused(&["--data", data, "--http-addr", "none", "--flight-addr", "none"], "nothing to serve");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").to_string();
    refused(&["--data", data, "--flight-addr", "none", "--http-addr", &port], "cannot listen on");
}
