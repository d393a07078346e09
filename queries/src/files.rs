//! A Delta table read as the Parquet files of one snapshot.
//!
//! The snapshot a reader opened already holds the files and their sizes, so [`SnapshotFiles`]
//! scans exactly those, with DataFusion's own Parquet source, and replays no log on a scan
//! (delta-rs's table provider took about 7 ms a table for a wenflow output, most of a small
//! query's time in a server that answers many). The files' footers stay in the session's
//! file metadata cache from one query to the next.
//!
//! This reads the tables wenflow writes: Delta reader version 1 (no column mapping, no
//! deletion vectors) and no partition columns. [`SnapshotFiles::new`] refuses any other
//! table with the feature it uses.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::stats::Precision;
use datafusion::common::{Statistics, ToDFSchema};
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::parquet::CachedParquetFileReaderFactory;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use deltalake::DeltaTable;
use deltalake::logstore::LogStore as _;

use crate::{QueryError, Result};

/// The Parquet files of one Delta snapshot, as a DataFusion table.
#[derive(Debug)]
pub(crate) struct SnapshotFiles {
    schema: SchemaRef,
    /// The table's own object store, rooted at the table (delta-rs's per-table URL).
    store: ObjectStoreUrl,
    files: Vec<PartitionedFile>,
    /// Rows (from the files' Delta statistics, when every file has them) and bytes: what
    /// the planner needs to build a join's hash table on its smaller side.
    statistics: Statistics,
}

impl SnapshotFiles {
    /// The files of `table`'s loaded snapshot (named `name` in errors), with the table's store
    /// registered in `session`.
    pub(crate) fn new(table: &DeltaTable, name: &str, session: &dyn Session) -> Result<SnapshotFiles> {
        let delta_err = |source| QueryError::Delta { table: name.to_owned(), source };
        let unsupported = |reason: String| QueryError::Unsupported { table: name.to_owned(), reason };
        let snapshot = table.snapshot().map_err(delta_err)?;
        let reader = snapshot.protocol().min_reader_version();
        if reader > 1 {
            return Err(unsupported(format!("it needs a Delta reader of version {reader}")));
        }
        if !snapshot.metadata().partition_columns().is_empty() {
            return Err(unsupported("it is partitioned".into()));
        }
        let schema = snapshot.snapshot().arrow_schema();
        let mut files = Vec::new();
        let (mut rows, mut bytes) = (Some(0usize), 0usize);
        for file in snapshot.log_data().iter() {
            rows = rows.zip(file.num_records()).map(|(a, b)| a + b);
            bytes += usize::try_from(file.size()).unwrap_or(0);
            // A path with a scheme is a file of another table (a shallow clone).
            if file.path().contains("://") {
                return Err(unsupported(format!("its file {} is outside the table", file.path())));
            }
            let meta = object_store::ObjectMeta {
                location: file.object_store_path(),
                last_modified: file.modification_datetime().map_err(delta_err)?,
                size: u64::try_from(file.size()).unwrap_or(0),
                e_tag: None,
                version: None,
            };
            files.push(PartitionedFile::new_from_meta(meta));
        }
        let log_store = table.log_store();
        let store = store_url(log_store.root_url());
        let runtime = session.runtime_env();
        if runtime.object_store(&store).is_err() {
            runtime.register_object_store(store.as_ref(), log_store.object_store(None));
        }
        let statistics = Statistics {
            num_rows: rows.map_or(Precision::Absent, Precision::Exact),
            total_byte_size: Precision::Inexact(bytes),
            column_statistics: Statistics::unknown_column(&schema),
        };
        Ok(SnapshotFiles { schema, store, files, statistics })
    }
}

/// The name under which a session holds the object store of the table at `root`: one per
/// table, since each table's store is rooted at the table. Only this process reads it.
fn store_url(root: &url::Url) -> ObjectStoreUrl {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    root.as_str().hash(&mut hasher);
    ObjectStoreUrl::parse(format!("wenflow-table://t{:016x}", hasher.finish()))
        .unwrap_or_else(|_| unreachable!("a scheme and a hexadecimal host parse"))
}

/// `files` in at most `groups` groups of about equal bytes, the largest placed first.
fn balanced(mut files: Vec<PartitionedFile>, groups: usize) -> Vec<FileGroup> {
    files.sort_by_key(|f| std::cmp::Reverse(f.object_meta.size));
    let mut out: Vec<(u64, Vec<PartitionedFile>)> = vec![(0, Vec::new()); groups.clamp(1, files.len().max(1))];
    for file in files {
        if let Some(lightest) = out.iter_mut().min_by_key(|(bytes, _)| *bytes) {
            lightest.0 += file.object_meta.size;
            lightest.1.push(file);
        }
    }
    out.into_iter().filter(|(_, g)| !g.is_empty()).map(|(_, g)| FileGroup::new(g)).collect()
}

#[async_trait]
impl TableProvider for SnapshotFiles {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn statistics(&self) -> Option<Statistics> {
        Some(self.statistics.clone())
    }

    /// Filters prune row groups by their statistics; the rows are filtered above the scan.
    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> datafusion::error::Result<Vec<TableProviderFilterPushDown>> {
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        if self.files.is_empty() {
            let schema = match projection {
                Some(p) => Arc::new(self.schema.project(p)?),
                None => Arc::clone(&self.schema),
            };
            return Ok(Arc::new(EmptyExec::new(schema)));
        }
        let store = state.runtime_env().object_store(&self.store)?;
        let cache = state.runtime_env().cache_manager.get_file_metadata_cache();
        let mut source = ParquetSource::new(Arc::clone(&self.schema))
            .with_table_parquet_options(state.table_options().parquet.clone())
            .with_parquet_file_reader_factory(Arc::new(CachedParquetFileReaderFactory::new(store, cache)));
        if let Some(predicate) = datafusion::logical_expr::utils::conjunction(filters.iter().cloned()) {
            let schema = Arc::clone(&self.schema).to_dfschema()?;
            source = source.with_predicate(state.create_physical_expr(predicate, &schema)?);
        }
        let groups = balanced(self.files.clone(), state.config().target_partitions());
        let config = FileScanConfigBuilder::new(self.store.clone(), Arc::new(source))
            .with_file_groups(groups)
            .with_statistics(self.statistics.clone())
            .with_limit(limit)
            .with_projection_indices(projection.cloned())?
            .build();
        Ok(DataSourceExec::from_data_source(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::util::display::{ArrayFormatter, FormatOptions};
    use datafusion::prelude::SessionContext;

    /// The queries both readers answer: full scans, filters that prune, projections, limits.
    const QUERIES: [&str; 7] = [
        "SELECT doc_id, text, time, diff FROM t ORDER BY doc_id, time, diff, text",
        "SELECT doc_id, sum(diff) AS n FROM t GROUP BY doc_id HAVING sum(diff) > 0 ORDER BY doc_id",
        "SELECT doc_id, text FROM t WHERE time >= 4 AND doc_id < 'd30' ORDER BY doc_id, text",
        "SELECT time, count(*) AS n FROM t WHERE diff < 0 GROUP BY time ORDER BY time",
        "SELECT text FROM t WHERE doc_id = 'd14' ORDER BY text",
        "SELECT count(*) AS n FROM (SELECT doc_id FROM t LIMIT 7)",
        "SELECT count(*) AS n FROM t WHERE doc_id IN ('d03', 'd33', 'd34')",
    ];

    /// The test's table, written by the `deltalake` Python package (delta-rs's writer, not
    /// wenflow's): six epochs of a change log of 40 documents, some retracted, appended one
    /// by one, with a delete after epoch 4 (files rewritten), a compaction (files replaced)
    /// and a delete after epoch 6. DuckDB then answers [`QUERIES`] over the files the
    /// `deltalake` package lists for the table, and also reports their count and rows.
    const WRITE_AND_READ: &str = r#"
import json, sys, duckdb, pyarrow as pa
from deltalake import DeltaTable, write_deltalake
path = sys.argv[1]
def epoch(e):
    ids = [f"d{(i * 7 + e * 3) % 60:02d}" for i in range(40)]
    return pa.table({
        "doc_id": pa.array(ids, pa.string()),
        "text": pa.array([f"{d} 第{e}版 " + "詩" * e for d in ids], pa.string()),
        "time": pa.array([e] * 40, pa.int64()),
        "diff": pa.array([-1 if (i + e) % 5 == 0 else 1 for i in range(40)], pa.int64()),
    })
for e in range(1, 5):
    write_deltalake(path, epoch(e), mode="append")
DeltaTable(path).delete("time = 2 AND diff < 0")
DeltaTable(path).optimize.compact()
for e in range(5, 7):
    write_deltalake(path, epoch(e), mode="append")
dt = DeltaTable(path)
dt.delete("time = 6 AND (doc_id = 'd03' OR doc_id = 'd33')")
dt = DeltaTable(path)
files = dt.file_uris()
con = duckdb.connect()
listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet([{listed}])")
out = {"files": len(files), "rows": con.execute("SELECT count(*) FROM t").fetchone()[0], "answers": []}
for sql in json.loads(sys.argv[2]):
    out["answers"].append([[str(v) for v in row] for row in con.execute(sql).fetchall()])
print(json.dumps(out))
"#;

    fn python() -> std::path::PathBuf {
        let p = std::env::var("WENFLOW_PYTHON").map(std::path::PathBuf::from).unwrap_or_else(|_| {
            std::path::PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/wenflow/venv/bin/python")
        });
        assert!(
            p.exists(),
            "{} is missing: run `make setup` (it installs deltalake and duckdb from PyPI)",
            p.display()
        );
        p
    }

    /// A query's rows, each value as text.
    async fn rows(ctx: &SessionContext, sql: &str) -> Vec<Vec<String>> {
        let batches = match ctx.sql(sql).await {
            Ok(frame) => frame.collect().await,
            Err(e) => Err(e),
        };
        let batches = batches.unwrap_or_else(|e| panic!("{sql}: {e}"));
        let options = FormatOptions::default();
        let mut out = Vec::new();
        for batch in &batches {
            let columns: Vec<ArrayFormatter> = batch
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).expect("a formatter"))
                .collect();
            for row in 0..batch.num_rows() {
                out.push(columns.iter().map(|c| c.value(row).to_string()).collect());
            }
        }
        out
    }

    /// The oracle is an independent writer and reader: a table written, rewritten and
    /// compacted by the `deltalake` Python package, and DuckDB over the files that package
    /// lists. The snapshot scan reads the same rows, for filters that prune, projections
    /// and limits, and counts them from the Delta statistics alone.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_snapshot_scan_reads_what_delta_rs_and_duckdb_read() {
        let dir = tempfile::tempdir().expect("a folder");
        let queries = serde_json::to_string(&QUERIES).expect("json");
        let output = std::process::Command::new(python())
            .arg("-c")
            .arg(WRITE_AND_READ)
            .arg(dir.path())
            .arg(&queries)
            .output()
            .expect("run python");
        assert!(output.status.success(), "python: {}", String::from_utf8_lossy(&output.stderr));
        let want: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");

        let url = url::Url::from_directory_path(dir.path()).expect("a url");
        let table = deltalake::open_table(url).await.expect("the table");
        let ctx = SessionContext::new();
        let files = SnapshotFiles::new(&table, "t", &ctx.state()).expect("a readable table");
        assert!(files.files.len() > 1, "the test wants several files");
        assert_eq!(Some(files.files.len() as u64), want["files"].as_u64());
        let count = want["rows"].as_u64().expect("a count") as usize;
        assert_eq!(files.statistics.num_rows, Precision::Exact(count));
        ctx.register_table("t", Arc::new(files)).expect("register");

        for (sql, want) in QUERIES.iter().zip(want["answers"].as_array().expect("answers")) {
            let want: Vec<Vec<String>> = serde_json::from_value(want.clone()).expect("rows");
            assert!(!want.is_empty(), "{sql} has rows");
            assert_eq!(rows(&ctx, sql).await, want, "{sql}");
        }
    }

    /// A table that needs more than this reader reads is refused, naming what it needs.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_partitioned_table_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().expect("a folder");
        let script = r#"
import sys, pyarrow as pa
from deltalake import write_deltalake
write_deltalake(sys.argv[1], pa.table({"a": [1, 2], "p": ["x", "y"]}), partition_by=["p"])
"#;
        let status = std::process::Command::new(python()).arg("-c").arg(script).arg(dir.path()).status();
        assert!(status.is_ok_and(|s| s.success()), "python wrote the table");
        let url = url::Url::from_directory_path(dir.path()).expect("a url");
        let table = deltalake::open_table(url).await.expect("the table");
        let err = SnapshotFiles::new(&table, "p", &SessionContext::new().state()).expect_err("refused");
        assert!(err.to_string().contains("table p: not readable here: it is partitioned"), "{err}");
    }

    fn file(name: &str, size: u64) -> PartitionedFile {
        PartitionedFile::new(name, size)
    }

    #[test]
    fn groups_balance_bytes_and_keep_every_file() {
        let files = vec![file("a", 100), file("b", 60), file("c", 50), file("d", 10), file("e", 5)];
        let groups = balanced(files, 2);
        let bytes: Vec<u64> = groups.iter().map(|g| g.iter().map(|f| f.object_meta.size).sum()).collect();
        assert_eq!(bytes.iter().sum::<u64>(), 225);
        assert_eq!(bytes, vec![115, 110]);
        assert_eq!(balanced(vec![file("a", 1)], 4).len(), 1);
        assert!(balanced(Vec::new(), 2).is_empty());
    }
}
