//! The same tables from one worker, two workers and two processes.

use std::path::Path;

use super::support::{SMALL, SMALL_EPOCH, generated_jsonl, ingest, sql_csv, wenflow};

const LOG_QUERIES: [&str; 5] = [
    "SELECT * FROM documents_log ORDER BY doc_id, time, diff",
    "SELECT * FROM duplicates_log ORDER BY doc_id, time, diff",
    "SELECT * FROM failures_log ORDER BY source, time, diff",
    "SELECT * FROM entities_log ORDER BY doc_id, start, year, time, diff",
    "SELECT * FROM entity_counts_log ORDER BY kind, norm, time, diff, documents",
];

fn tables(out: &Path) -> Vec<String> {
    LOG_QUERIES.iter().map(|q| sql_csv(out, q)).collect()
}

/// Hits of a few searches (doc_id and score to 4 decimals) and the index's shape.
fn searches(out: &Path) -> Vec<String> {
    ["天地", "床前明月光", "貞觀 OR 開元", "*"]
        .iter()
        .map(|q| {
            let o = wenflow().args(["search", q, "--limit", "30", "--format", "json", "--index"]).arg(out).output();
            let v: serde_json::Value = serde_json::from_slice(&o.expect("search").stdout).expect("json");
            let hits: Vec<String> = v["hits"]
                .as_array()
                .expect("hits")
                .iter()
                .map(|h| {
                    format!("{} {:.4}", h["doc_id"].as_str().unwrap_or_default(), h["score"].as_f64().unwrap_or(0.0))
                })
                .collect();
            format!("{q}: {} matches, {} documents: {}", v["total"], v["documents"], hits.join(", "))
        })
        .collect()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

#[test]
fn one_worker_two_workers_and_two_processes_agree() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("corpus.jsonl");
    generated_jsonl(&input, SMALL / 4);
    std::fs::OpenOptions::new()
        .append(true)
        .open(&input)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"{not json}\n"))
        .expect("append");
    // Small splits and epochs: many epochs, splits on every worker.
    let opts = ["--epoch-mb", SMALL_EPOCH, "--split-mb", SMALL_EPOCH, "--job-id", "j"];
    let big = dir.path().join("big.jsonl");
    generated_jsonl(&big, SMALL);

    let one = dir.path().join("w1");
    ingest(&[&input, &big], &one, &[&["-w", "1"], &opts[..]].concat());
    let two = dir.path().join("w2");
    ingest(&[&input, &big], &two, &[&["-w", "2"], &opts[..]].concat());

    let hosts = dir.path().join("hosts.txt");
    std::fs::write(&hosts, format!("127.0.0.1:{}\n127.0.0.1:{}\n", free_port(), free_port())).expect("hostfile");
    let procs = dir.path().join("n2");
    let spawn = |p: &str| {
        wenflow()
            .arg("ingest")
            .args([&input, &big])
            .arg("--out")
            .arg(&procs)
            .args(["-w", "1", "-n", "2", "-p", p, "--hostfile"])
            .arg(&hosts)
            .args(opts)
            .spawn()
            .expect("spawn")
    };
    let mut p1 = spawn("1");
    let mut p0 = spawn("0");
    assert!(p0.wait().expect("wait p0").success());
    assert!(p1.wait().expect("wait p1").success());

    let epochs = super::support::count(&one, "SELECT count(DISTINCT time) FROM documents_log");
    assert!(epochs >= 3, "the job should span several epochs, got {epochs}");
    let expected = tables(&one);
    assert!(expected[1].lines().count() > 100, "the corpus has exact duplicates");
    assert!(expected[3].lines().count() > 100, "the corpus has era dates");
    assert!(expected[4].lines().count() > 3, "entity counts change over the epochs");
    assert_eq!(tables(&two), expected, "-w 2 differs from -w 1");
    assert_eq!(tables(&procs), expected, "-n 2 differs from -w 1");

    // One shard or two, written by one process or two: the same hits and scores.
    let hits = searches(&one);
    assert!(hits.iter().all(|h| !h.contains(": 0 matches")), "{hits:?}");
    assert_eq!(searches(&two), hits, "-w 2 searches differ from -w 1");
    assert_eq!(searches(&procs), hits, "-n 2 searches differ from -w 1");
}

/// A process whose peer never starts gives up after `--connect-timeout` with one line and
/// status 1, instead of waiting forever in timely's networking: process 0 waits for a
/// connection that never comes, then process 1 (which finds the tables process 0 created)
/// for a listener that is not there.
#[test]
fn a_process_whose_peer_never_starts_gives_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("corpus.jsonl");
    generated_jsonl(&input, 20);
    let hosts = dir.path().join("hosts.txt");
    std::fs::write(&hosts, format!("127.0.0.1:{}\n127.0.0.1:{}\n", free_port(), free_port())).expect("hostfile");
    for p in ["0", "1"] {
        let mut child = wenflow()
            .arg("ingest")
            .arg(&input)
            .arg("--out")
            .arg(dir.path().join("out"))
            .args(["-n", "2", "-p", p, "--connect-timeout", "1.5", "--hostfile"])
            .arg(&hosts)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if started.elapsed() > std::time::Duration::from_secs(120) {
                let _ = child.kill();
                panic!("process {p} still waits for its peer after 120 s");
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        };
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr).expect("stderr");
        assert_eq!(status.code(), Some(1), "process {p}: {stderr}");
        assert!(
            stderr.contains(&format!("error: process {p} of 2: the cluster did not form within 1.5 s")),
            "process {p}: {stderr}"
        );
    }
    // The single-process run and the two-process runs above are the cases where it must not
    // fire: every other test of this file forms its cluster well within the default 300 s.
}
