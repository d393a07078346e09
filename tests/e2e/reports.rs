//! `wenflow report`: every named report against its golden file, the same with one worker
//! and with two, and `--as-of` on a stream against batch ingests of the folder as it was
//! after each epoch. The material (`tests/fixtures/reports/`) is unseen by other tests.

use std::path::{Path, PathBuf};
use std::process::Output;

use wenflow_queries::reports::REPORTS;

use super::support::{count, wenflow};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Inputs named relative to the repository, so that `source` columns are the same in
/// every checkout.
const INPUTS: [&str; 2] = ["tests/fixtures/reports/corpus.jsonl", "tests/fixtures/ocr/page-h-grid.png"];

/// The reports that take no value.
fn plain() -> impl Iterator<Item = &'static wenflow_queries::reports::Report> {
    REPORTS.iter().filter(|r| r.params().is_empty())
}

fn report(data: &Path, args: &[&str]) -> Output {
    wenflow().current_dir(root()).arg("report").args(args).arg("--data").arg(data).output().expect("run report")
}

fn report_ok(data: &Path, args: &[&str]) -> String {
    let o = report(data, args);
    assert!(o.status.success(), "report {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn ingest_fixture(out: &Path, workers: &str) {
    let o = wenflow()
        .current_dir(root())
        .env("OMP_THREAD_LIMIT", "1")
        .arg("ingest")
        .args(INPUTS)
        .arg("--out")
        .arg(out)
        .args(["-w", workers])
        .output()
        .expect("run ingest");
    assert!(o.status.success(), "ingest: {}", String::from_utf8_lossy(&o.stderr));
}

/// Compares `text` with `tests/golden/reports/<name>`, or writes it there when
/// `WENFLOW_BLESS=1`.
fn golden(name: &str, text: &str) {
    let path = root().join("tests/golden/reports").join(name);
    if std::env::var_os("WENFLOW_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
        std::fs::write(&path, text).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (WENFLOW_BLESS=1 writes it)", path.display()));
    assert_eq!(text, expected, "{name} differs from its golden file (WENFLOW_BLESS=1 rewrites it after review)");
}

/// The documents `why` is asked about: a kept duplicate, a removed one, a filtered record,
/// an OCRed page and a biography with entities.
const WHY: [&str; 5] = ["cx-near", "nt-1", "latin", "page-h-grid.png", "bio-李煜"];

#[test]
fn every_report_matches_its_golden_file_with_one_and_two_workers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (one, two) = (dir.path().join("w1"), dir.path().join("w2"));
    ingest_fixture(&one, "1");
    ingest_fixture(&two, "2");
    for r in plain() {
        let csv = report_ok(&two, &[r.name, "--format", "csv"]);
        assert_eq!(csv, report_ok(&one, &[r.name, "--format", "csv"]), "{}: -w 2 against -w 1", r.name);
        assert!(csv.lines().count() > 1, "{}: the fixture gives it rows", r.name);
        golden(&format!("{}.csv", r.name), &csv);
        // JSON: the same rows.
        let json: serde_json::Value =
            serde_json::from_str(&report_ok(&two, &[r.name, "--format", "json"])).expect("json");
        assert_eq!(json.as_array().map(Vec::len), Some(csv.lines().count() - 1), "{}", r.name);
    }
    let mut why = String::new();
    for id in WHY {
        let csv = report_ok(&two, &["why", id, "--format", "csv"]);
        assert_eq!(csv, report_ok(&one, &["why", id, "--format", "csv"]), "why {id}: -w 2 against -w 1");
        why.push_str(&format!("# why {id}\n{csv}"));
    }
    golden("why.csv", &why);

    // Every report at once: titled tables; JSON keyed by report.
    let all = report_ok(&two, &[]);
    for r in plain() {
        assert!(all.contains(&format!("== {}\n", r.title())), "{all}");
    }
    let all: serde_json::Value =
        serde_json::from_str(&report_ok(&two, &["summary", "why", "hj-0", "--format", "json"])).expect("json");
    assert!(all["summary"].is_array() && all["why"].is_array(), "{all}");
    let list = wenflow().args(["report", "--list"]).output().expect("list");
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(list.contains("why DOC_ID") && list.lines().count() == REPORTS.len(), "{list}");

    // What a user gets wrong: one line each, exit code 2.
    let refused = |args: &[&str], data: &Path, says: &str| {
        let o = report(data, args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    };
    refused(&["no_such_report"], &two, "no report named \"no_such_report\"");
    refused(&["why"], &two, "wenflow report why DOC_ID");
    refused(&["why", "no-such-doc"], &two, "no table has a row for \"no-such-doc\"");
    refused(&["summary", "--as-of", "0"], &two, "epoch 0 is not committed: the tables hold epochs 1 to 1");
    refused(&["summary", "--as-of", "2"], &two, "the tables hold epochs 1 to 1");
    refused(&["summary"], &dir.path().join("nowhere"), "nowhere");
    let o = report(&two, &["summary", "--format", "xml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown format \"xml\" (table, csv or json)"));
}

/// Writes the fixture's records `range` (and a record of `changed` text for `nt-0` when
/// given) to `dir/name`.
fn write_records(dir: &Path, name: &str, lines: &[String]) {
    let path = dir.join(name);
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, lines.concat()).expect("write");
    std::fs::rename(&tmp, &path).expect("rename");
}

/// A stream over a watched folder changed three times (records added, rewritten, removed,
/// a file deleted): each report `--as-of` the epoch after each change equals the report
/// over a batch ingest of the folder as it was then, and the latest equals the last.
#[test]
fn a_report_as_of_an_epoch_equals_a_batch_ingest_of_the_folder_then() {
    let dir = tempfile::tempdir().expect("tempdir");
    let watch = dir.path().join("in");
    std::fs::create_dir(&watch).expect("mkdir");
    let out = dir.path().join("stream");
    let records: Vec<String> =
        std::fs::read_to_string(root().join(INPUTS[0])).expect("fixture").lines().map(|l| format!("{l}\n")).collect();
    let (first, second) = records.split_at(16);
    let step = |k: usize| {
        let o = wenflow()
            .arg("stream")
            .arg("--watch")
            .arg(&watch)
            .arg("--once")
            .arg("--out")
            .arg(&out)
            .args(["-w", "2"])
            .output()
            .expect("stream");
        assert!(o.status.success(), "step {k}: {}", String::from_utf8_lossy(&o.stderr));
        let batch = dir.path().join(format!("batch{k}"));
        let o = wenflow().arg("ingest").arg(&watch).arg("--out").arg(&batch).output().expect("ingest");
        assert!(o.status.success(), "batch {k}: {}", String::from_utf8_lossy(&o.stderr));
        let epoch = count(&out, "SELECT max(time) FROM documents_log");
        (epoch, batch)
    };
    // 1: half the records.
    write_records(&watch, "a.jsonl", first);
    let mut states = vec![step(1)];
    // 2: the rest in a second file; in the first, one record rewritten and one removed.
    write_records(&watch, "b.jsonl", second);
    let mut changed: Vec<String> = first.to_vec();
    changed[0] = changed[0].replace("上陽春晚", "上陽秋晚");
    changed.remove(3);
    write_records(&watch, "a.jsonl", &changed);
    states.push(step(2));
    // 3: the first file deleted.
    std::fs::remove_file(watch.join("a.jsonl")).expect("rm");
    states.push(step(3));

    let epochs: Vec<i64> = states.iter().map(|(e, _)| *e).collect();
    assert!(epochs.windows(2).all(|w| w[0] < w[1]), "each step commits: {epochs:?}");
    for (epoch, batch) in &states {
        let as_of = epoch.to_string();
        for r in plain() {
            let expected = report_ok(batch, &[r.name, "--format", "csv"]);
            let got = report_ok(&out, &[r.name, "--format", "csv", "--as-of", &as_of]);
            assert_eq!(got, expected, "{} as of epoch {epoch} against a batch ingest of the folder then", r.name);
        }
    }
    // The latest state is the last step's.
    let (_, last) = states.last().expect("steps");
    for r in plain() {
        assert_eq!(report_ok(&out, &[r.name, "--format", "csv"]), report_ok(last, &[r.name, "--format", "csv"]));
    }
    // `why` tells the rewritten record's story: inserted, then retracted and inserted again,
    // then retracted with its file.
    let why = report_ok(&out, &["why", "hj-0", "--format", "csv"]);
    let documents: Vec<&str> = why.lines().filter(|l| l.contains(",documents,")).collect();
    let story: Vec<String> = documents.iter().map(|l| l.split(',').take(3).collect::<Vec<_>>().join(",")).collect();
    let [e1, e2, e3] = [epochs[0], epochs[1], epochs[2]];
    assert_eq!(
        story,
        [
            format!("{e1},documents,inserted"),
            format!("{e2},documents,retracted"),
            format!("{e2},documents,inserted"),
            format!("{e3},documents,retracted"),
        ],
        "{why}"
    );
}
