//! Stock readers outside Rust read the tables: the `deltalake` Python package (PyPI) and
//! DuckDB reading the Parquet files.

use std::process::Command;

use super::support::{SMALL, SMALL_EPOCH, count, generated_jsonl, ingest, python};

#[test]
fn deltalake_python_and_duckdb_read_the_tables() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("c.jsonl");
    generated_jsonl(&input, SMALL);
    let out = dir.path().join("out");
    ingest(&[&input], &out, &["-w", "2", "--epoch-mb", SMALL_EPOCH]);
    let docs = count(&out, "SELECT count(*) FROM documents_log");
    let dups = count(&out, "SELECT count(*) FROM duplicates_log");
    let chars = count(&out, "SELECT CAST(sum(chars * diff) AS BIGINT) FROM documents_log");

    let script = r#"
import sys, json, deltalake, duckdb
out = sys.argv[1]
res = {}
for t in ["documents", "duplicates", "failures", "runs"]:
    dt = deltalake.DeltaTable(f"{out}/{t}")
    res[t] = dt.to_pyarrow_table().num_rows
    res[t + "_files"] = [f"{out}/{t}/{p}" for p in dt.file_uris()] if hasattr(dt, "file_uris") else None
con = duckdb.connect()
res["duckdb_documents"] = con.execute(f"SELECT count(*) FROM read_parquet('{out}/documents/*.parquet')").fetchone()[0]
res["duckdb_chars"] = con.execute(f"SELECT sum(chars * diff) FROM read_parquet('{out}/documents/*.parquet')").fetchone()[0]
res["duckdb_dups"] = con.execute(f"SELECT count(*) FROM read_parquet('{out}/duplicates/*.parquet')").fetchone()[0]
print(json.dumps({k: v for k, v in res.items() if not k.endswith("_files")}))
"#;
    let output = Command::new(python()).arg("-c").arg(script).arg(&out).output().expect("run python");
    assert!(output.status.success(), "python readers failed: {}", String::from_utf8_lossy(&output.stderr));
    let res: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(res["documents"].as_i64(), Some(docs), "deltalake (python) row count");
    assert_eq!(res["duplicates"].as_i64(), Some(dups));
    assert_eq!(res["runs"].as_i64(), Some(1));
    assert_eq!(res["duckdb_documents"].as_i64(), Some(docs), "duckdb row count");
    assert_eq!(res["duckdb_dups"].as_i64(), Some(dups));
    assert_eq!(res["duckdb_chars"].as_i64(), Some(chars), "duckdb reads the same text lengths");
}
