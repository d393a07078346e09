//! Idempotent re-runs and crash recovery.

use std::path::Path;

use super::support::{count, generated_jsonl, ingest, ingest_raw, sql_csv};

fn logs(out: &Path) -> Vec<String> {
    [
        "documents_log ORDER BY doc_id, time",
        "duplicates_log ORDER BY doc_id, time, diff",
        "failures_log ORDER BY source, time",
        "entities_log ORDER BY doc_id, start, year, time, diff",
        "entity_counts_log ORDER BY kind, norm, time, diff, documents",
    ]
    .iter()
    .map(|q| sql_csv(out, &format!("SELECT * FROM {q}")))
    .collect()
}

/// Parquet files in a table's folder, and the files its Delta log adds.
fn parquet_files(table: &Path) -> (std::collections::BTreeSet<String>, std::collections::BTreeSet<String>) {
    let on_disk = std::fs::read_dir(table)
        .expect("table folder")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".parquet"))
        .collect();
    let mut in_log = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(table.join("_delta_log")).expect("log").flatten() {
        if entry.path().extension().is_some_and(|e| e == "json") {
            for line in std::fs::read_to_string(entry.path()).expect("read log").lines() {
                let action: serde_json::Value = serde_json::from_str(line).expect("json action");
                if let Some(path) = action["add"]["path"].as_str() {
                    in_log.insert(path.to_owned());
                }
            }
        }
    }
    (on_disk, in_log)
}

fn delta_versions(out: &Path) -> Vec<usize> {
    ["documents", "duplicates", "failures", "entities", "entity_counts", "runs"]
        .iter()
        .map(|t| std::fs::read_dir(out.join(t).join("_delta_log")).map(|d| d.count()).unwrap_or(0))
        .collect()
}

#[test]
fn rerun_with_the_same_job_id_adds_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("c.jsonl");
    generated_jsonl(&input, 12000);
    let out = dir.path().join("out");
    let opts = ["--epoch-mb", "1", "--split-mb", "1"];
    ingest(&[&input], &out, &opts);
    let before = logs(&out);
    let versions = delta_versions(&out);
    let runs = count(&out, "SELECT count(*) FROM runs");
    assert_eq!(runs, 1);

    // The default job id is derived from the inputs and options: the same command resumes.
    let summary = ingest(&[&input], &out, &opts);
    assert!(summary.contains("nothing to do"), "{summary}");
    assert_eq!(logs(&out), before, "a re-run added rows");
    assert_eq!(delta_versions(&out), versions, "a re-run committed something");
    assert_eq!(count(&out, "SELECT count(*) FROM runs"), 1);

    // Another job into the same output is refused with a clear message.
    let other = ingest_raw(&[&input], &out, &["--job-id", "someone-else"]);
    assert!(!other.status.success());
    assert!(
        String::from_utf8_lossy(&other.stderr).contains("holds the output of job"),
        "{}",
        String::from_utf8_lossy(&other.stderr)
    );
}

#[test]
fn a_job_killed_half_way_and_rerun_equals_a_clean_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("c.jsonl");
    generated_jsonl(&input, 30000);
    let opts = ["--epoch-mb", "1", "--split-mb", "1", "--job-id", "job", "-w", "2"];

    let clean = dir.path().join("clean");
    ingest(&[&input], &clean, &opts);
    let epochs = count(&clean, "SELECT max(time) FROM documents_log");
    assert!(epochs >= 3, "need several epochs, got {epochs}");

    // Crash after `documents` committed epoch 2 but before `duplicates` and `failures` did.
    let crashed = dir.path().join("crashed");
    let mut cmd = super::support::wenflow();
    cmd.arg("ingest").arg(&input).arg("--out").arg(&crashed).args(opts).env("WENFLOW_CRASH_AFTER", "documents:2");
    let status = cmd.status().expect("run");
    assert!(!status.success(), "the failpoint should abort the run");
    assert_eq!(count(&crashed, "SELECT max(time) FROM documents_log"), 2);
    assert!(count(&crashed, "SELECT count(*) FROM duplicates_log WHERE time = 2") == 0);

    let summary = ingest(&[&input], &crashed, &opts);
    assert!(summary.contains("epochs     2..="), "resumes at epoch 2: {summary}");
    assert_eq!(logs(&crashed), logs(&clean), "recovered tables differ from a clean run");
    for table in ["duplicates", "failures", "entities", "entity_counts"] {
        let (on_disk, in_log) = parquet_files(&crashed.join(table));
        assert_eq!(on_disk, in_log, "{table}: files of the crashed epoch are left behind");
    }
}

#[test]
fn a_job_killed_with_sigkill_mid_run_and_rerun_equals_a_clean_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("c.jsonl");
    generated_jsonl(&input, 60000);
    let opts = ["--epoch-mb", "1", "--split-mb", "1", "--job-id", "job", "-w", "2"];

    let clean = dir.path().join("clean");
    ingest(&[&input], &clean, &opts);

    // SIGKILL as soon as the second epoch of `documents` is visible, wherever the other
    // tables and the writers are at that moment.
    let killed = dir.path().join("killed");
    let mut child = super::support::wenflow()
        .arg("ingest")
        .arg(&input)
        .arg("--out")
        .arg(&killed)
        .args(opts)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let second = killed.join("documents/_delta_log/00000000000000000002.json");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !second.exists() && std::time::Instant::now() < deadline {
        if child.try_wait().expect("try_wait").is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let _ = child.kill();
    let status = child.wait().expect("wait");
    assert!(!status.success(), "the run should have been killed before it finished");

    ingest(&[&input], &killed, &opts);
    assert_eq!(logs(&killed), logs(&clean), "tables after kill -9 and re-run differ from a clean run");
    for table in ["documents", "duplicates", "failures", "entities", "entity_counts", "runs"] {
        let (on_disk, in_log) = parquet_files(&killed.join(table));
        assert_eq!(on_disk, in_log, "{table}: files of uncommitted epochs are left behind");
    }
}
