//! Idempotent re-runs and crash recovery.

use std::path::Path;

use super::support::{SMALL, SMALL_EPOCH, count, generated_jsonl, ingest, ingest_raw, sql_csv};

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
    generated_jsonl(&input, SMALL);
    let out = dir.path().join("out");
    let opts = ["--epoch-mb", SMALL_EPOCH, "--split-mb", SMALL_EPOCH];
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
    generated_jsonl(&input, SMALL);
    let opts = ["--epoch-mb", SMALL_EPOCH, "--split-mb", SMALL_EPOCH, "--job-id", "job", "-w", "2"];

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
    // The last epoch each Delta table committed: the highest `txn` version in its log.
    let last_epoch = |table: &str| -> i64 {
        let log = crashed.join(table).join("_delta_log");
        std::fs::read_dir(&log)
            .expect("delta log")
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .flat_map(|e| {
                std::fs::read_to_string(e.path()).expect("commit").lines().map(str::to_owned).collect::<Vec<_>>()
            })
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(&line).ok()?["txn"]["version"].as_i64())
            .max()
            .unwrap_or(0)
    };
    assert_eq!(last_epoch("documents"), 2, "the Delta table holds epoch 2");
    assert_eq!(last_epoch("duplicates"), 1, "and the next table does not");
    // Readers see whole epochs: epoch 2 is not committed until every table holds it.
    assert_eq!(count(&crashed, "SELECT max(time) FROM documents_log"), 1);

    let summary = ingest(&[&input], &crashed, &opts);
    assert!(summary.contains("epochs     2..="), "resumes at epoch 2: {summary}");
    assert_eq!(logs(&crashed), logs(&clean), "recovered tables differ from a clean run");
    for table in ["duplicates", "failures", "entities", "entity_counts"] {
        let (on_disk, in_log) = parquet_files(&crashed.join(table));
        assert_eq!(on_disk, in_log, "{table}: files of the crashed epoch are left behind");
    }
}

#[test]
fn a_job_killed_between_writing_and_committing_an_epoch_and_rerun_equals_a_clean_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("c.jsonl");
    generated_jsonl(&input, SMALL);
    let opts = ["--epoch-mb", SMALL_EPOCH, "--split-mb", SMALL_EPOCH, "--job-id", "job", "-w", "2"];

    let clean = dir.path().join("clean");
    ingest(&[&input], &clean, &opts);
    assert!(count(&clean, "SELECT max(time) FROM documents_log") >= 3, "need several epochs");

    // The process aborts (no destructors, nothing flushed, as kill -9) the moment a worker
    // has written its part of epoch 2 of `entities`: that part is on disk and committed by
    // no table, and the other writers are wherever they are.
    let killed = dir.path().join("killed");
    let status = super::support::wenflow()
        .arg("ingest")
        .arg(&input)
        .arg("--out")
        .arg(&killed)
        .args(opts)
        .env("WENFLOW_CRASH_AFTER", "part:entities:2")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run");
    assert!(!status.success(), "the failpoint should abort the run");
    let (on_disk, in_log) = parquet_files(&killed.join("entities"));
    assert!(on_disk.iter().any(|f| f.starts_with("part-e00000002-") && !in_log.contains(f)), "{on_disk:?}");
    assert!(count(&killed, "SELECT count(*) FROM entities_log WHERE time >= 2") == 0);

    ingest(&[&input], &killed, &opts);
    assert_eq!(logs(&killed), logs(&clean), "tables after the crash and a re-run differ from a clean run");
    for table in ["documents", "duplicates", "failures", "entities", "entity_counts", "runs"] {
        let (on_disk, in_log) = parquet_files(&killed.join(table));
        assert_eq!(on_disk, in_log, "{table}: files of uncommitted epochs are left behind");
    }
}
