//! `wenflow stream --kafka` against librdkafka's own mock cluster, hosted by
//! `wenflow-kafka-mock` (started by the test, so the broker outlives a killed wenflow):
//! keyed values, updates, tombstones, keyless messages and broken JSON over three
//! partitions, read by two workers; after any sequence, and after kills between commits and
//! at random moments, the tables and search equal a batch ingest of the live documents.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use super::stream::{Rng, assert_same_except_sources, pool};
use super::support::wenflow;

/// The mock cluster, alive while this lives.
struct Broker {
    child: Child,
    servers: String,
}

impl Broker {
    fn start(topics: &[&str]) -> Broker {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_wenflow-kafka-mock"));
        cmd.arg("serve");
        for t in topics {
            cmd.args(["--topic", t]);
        }
        let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("start the mock cluster");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).expect("read servers");
        Broker { child, servers: line.trim().to_owned() }
    }

    /// The keys of every message in `topic`.
    fn keys(&self, topic: &str) -> std::collections::BTreeSet<String> {
        let out = Command::new(env!("CARGO_BIN_EXE_wenflow-kafka-mock"))
            .args(["consume", "--brokers", &self.servers, "--topic", topic])
            .output()
            .expect("consume");
        assert!(out.status.success(), "consume: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|m| m["key"].as_str().map(str::to_owned))
            .collect()
    }

    fn produce(&self, topic: &str, messages: &[serde_json::Value]) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wenflow-kafka-mock"))
            .args(["produce", "--brokers", &self.servers, "--topic", topic])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start producer");
        let mut stdin = child.stdin.take().expect("stdin");
        for m in messages {
            writeln!(stdin, "{m}").expect("write");
        }
        drop(stdin);
        let out = child.wait_with_output().expect("producer");
        assert!(out.status.success(), "produce: {}", String::from_utf8_lossy(&out.stderr));
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The live documents: key → text (a JSON value), as a consumer that applies every
/// message in order sees them.
type Model = std::collections::BTreeMap<String, serde_json::Value>;

/// A batch of messages: new keys and updates (texts of the pool, some near copies), tombstones,
/// broken values, keyless messages.
fn messages(
    rng: &mut Rng,
    pool: &[(String, String)],
    model: &mut Model,
    keyless: &mut usize,
) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for _ in 0..3 + rng.below(8) {
        let key = format!("k{}", rng.below(14));
        match rng.below(10) {
            0 | 1 => {
                out.push(serde_json::json!({"key": key, "value": null}));
                model.remove(&key);
            }
            2 => {
                out.push(serde_json::json!({"key": key, "value": "{broken"}));
                model.insert(key, serde_json::Value::Null);
            }
            3 => {
                // No key: a document of its own, named by its offset (kept out of the model,
                // counted), with a text of random characters that duplicates nothing.
                let text: String =
                    (0..40).map(|_| char::from_u32(0x4E00 + rng.below(0x5000) as u32).unwrap_or('一')).collect();
                out.push(serde_json::json!({"value": {"text": text}}));
                *keyless += 1;
            }
            _ => {
                let (author, text) = &pool[rng.below(pool.len())];
                let value = serde_json::json!({"author": author, "text": text});
                out.push(serde_json::json!({"key": key, "value": value}));
                model.insert(key, value);
            }
        }
    }
    out
}

fn stream(broker: &Broker, out: &Path, extra: &[&str], env: Option<(&str, &str)>) -> std::process::Output {
    let mut c = wenflow();
    c.args(["stream", "--kafka", &broker.servers, "--topic", "docs", "--once", "-w", "2"]).arg("--out").arg(out);
    c.args(extra);
    if let Some((k, v)) = env {
        c.env(k, v);
    }
    c.output().expect("run wenflow stream")
}

/// The batch ingest the stream must equal: the live keyed documents as JSONL, with the
/// keyless ones left out of both (their ids are offsets) — the stream's are deleted by
/// comparing without them.
fn batch_of(model: &Model, dir: &Path) -> std::path::PathBuf {
    let input = dir.join("live.jsonl");
    let mut s = String::new();
    for (key, value) in model {
        let line = match value {
            serde_json::Value::Object(o) => {
                let mut o = o.clone();
                o.insert("id".into(), key.clone().into());
                serde_json::Value::Object(o).to_string()
            }
            _ => format!("{{\"id\": \"{key}\", broken"),
        };
        s.push_str(&line);
        s.push('\n');
    }
    std::fs::write(&input, s).expect("write");
    let out = dir.join("batch");
    let run = wenflow().arg("ingest").arg(&input).arg("--out").arg(&out).output().expect("ingest");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    out
}

/// Rounds of messages, each read by `stream --once` (200 ms epochs of at most 4 messages
/// per worker, so a round is several epochs), one round killed right after `documents`
/// committed an epoch: the stream's tables equal a batch ingest of the live documents, and
/// every failure row ever committed is in the dead-letter topic (none other is).
#[test]
fn kafka_updates_and_tombstones_equal_a_batch_ingest_of_the_live_documents() {
    let pool = pool();
    let broker = Broker::start(&["docs:3", "dead:1"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let (mut rng, mut model, mut keyless) = (Rng(2024), Model::new(), 0usize);
    let opts = ["--epoch-ms", "200", "--max-messages", "4", "--dead-letter-topic", "dead"];
    for round in 0..4 {
        broker.produce("docs", &messages(&mut rng, &pool, &mut model, &mut keyless));
        if round == 2 {
            // Killed right after `documents` commits the run's first epoch.
            let next = super::support::count(&out, "SELECT max(time) FROM inputs_log") + 1;
            let target = format!("documents:{next}");
            let killed = stream(&broker, &out, &opts, Some(("WENFLOW_CRASH_AFTER", target.as_str())));
            assert!(!killed.status.success(), "the failpoint should abort round {round}");
        }
        let run = stream(&broker, &out, &opts, None);
        assert!(run.status.success(), "round {round}: {}", String::from_utf8_lossy(&run.stderr));
    }
    let batch = batch_of(&model, dir.path());
    assert_same_except_sources(&out, &batch, "kafka", keyless);
    let failed: std::collections::BTreeSet<String> =
        super::support::sql_csv(&out, "SELECT DISTINCT source FROM failures_log WHERE diff > 0")
            .lines()
            .skip(1)
            .map(str::to_owned)
            .collect();
    assert!(!failed.is_empty(), "the rounds should have failed some records");
    assert_eq!(broker.keys("dead"), failed, "dead letters");
}

/// A continuous Kafka stream killed with SIGKILL at random moments while messages arrive,
/// then one `--once` pass: every message exactly once.
#[test]
fn a_continuous_kafka_stream_killed_at_random_moments_ends_like_a_batch_ingest() {
    let pool = pool();
    let broker = Broker::start(&["docs:3"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let (mut rng, mut model, mut keyless) = (Rng(31337), Model::new(), 0usize);
    for life in 0..super::support::kills() {
        let mut child = wenflow()
            .args(["stream", "--kafka", &broker.servers, "--topic", "docs", "--epoch-ms", "50", "-w", "2"])
            .arg("--out")
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start stream");
        for _ in 0..3 {
            broker.produce("docs", &messages(&mut rng, &pool, &mut model, &mut keyless));
            std::thread::sleep(std::time::Duration::from_millis(100 + rng.below(400) as u64));
        }
        assert!(child.try_wait().expect("wait").is_none(), "life {life}: the stream exited on its own");
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
    }
    let last = stream(&broker, &out, &[], None);
    assert!(last.status.success(), "{}", String::from_utf8_lossy(&last.stderr));
    let batch = batch_of(&model, dir.path());
    assert_same_except_sources(&out, &batch, "kafka, killed", keyless);
}
