//! A Delta table read as the Parquet files of one snapshot.
//!
//! delta-rs's table provider replays the table's log on every scan to find its files: about
//! 7 ms a table for a wenflow output, which is most of a small query's time in a server
//! that answers many. The snapshot a reader opened already holds the files and their sizes,
//! so [`SnapshotFiles`] scans exactly those, with DataFusion's own Parquet source. Their
//! footers stay in the session's file metadata cache from one query to the next.
//!
//! This applies to the tables wenflow writes: reader version 1 (no column mapping, no
//! deletion vectors) and no partition columns. [`SnapshotFiles::new`] declines any other
//! table, which is then read through delta-rs.

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
    /// The files of `table`'s loaded snapshot, read as `schema`, with the table's store
    /// registered in `session`; `None` for a table this reader does not handle (see the module).
    pub(crate) fn new(table: &DeltaTable, schema: SchemaRef, session: &dyn Session) -> Option<SnapshotFiles> {
        let snapshot = table.snapshot().ok()?;
        if snapshot.protocol().min_reader_version() > 1 || !snapshot.metadata().partition_columns().is_empty() {
            return None;
        }
        let mut files = Vec::new();
        let (mut rows, mut bytes) = (Some(0usize), 0usize);
        for file in snapshot.log_data().iter() {
            rows = rows.zip(file.num_records()).map(|(a, b)| a + b);
            bytes += usize::try_from(file.size()).unwrap_or(0);
            // A path with a scheme is a file of another table (a shallow clone).
            if file.path().contains("://") {
                return None;
            }
            let meta = object_store::ObjectMeta {
                location: file.object_store_path(),
                last_modified: file.modification_datetime().ok()?,
                size: u64::try_from(file.size()).ok()?,
                e_tag: None,
                version: None,
            };
            files.push(PartitionedFile::new_from_meta(meta));
        }
        let log_store = table.log_store();
        let store = log_store.object_store_url();
        let runtime = session.runtime_env();
        if runtime.object_store(&store).is_err() {
            runtime.register_object_store(store.as_ref(), log_store.object_store(None));
        }
        let statistics = Statistics {
            num_rows: rows.map_or(Precision::Absent, Precision::Exact),
            total_byte_size: Precision::Inexact(bytes),
            column_statistics: Statistics::unknown_column(&schema),
        };
        Some(SnapshotFiles { schema, store, files, statistics })
    }
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
    use arrow::array::{Int64Array, RecordBatch, StringArray};
    use datafusion::prelude::SessionContext;
    use deltalake::protocol::SaveMode;

    /// Epoch `epoch` of a change log: 40 documents, some retracted.
    fn epoch_rows(epoch: i64) -> RecordBatch {
        let ids: Vec<String> = (0..40).map(|i| format!("d{:02}", (i * 7 + epoch * 3) % 60)).collect();
        let texts: Vec<String> =
            ids.iter().map(|id| format!("{id} 第{epoch}版 {}", "詩".repeat(epoch as usize))).collect();
        let diffs: Vec<i64> = (0..40).map(|i| if (i + epoch) % 5 == 0 { -1 } else { 1 }).collect();
        RecordBatch::try_from_iter([
            ("doc_id", Arc::new(StringArray::from(ids)) as _),
            ("text", Arc::new(StringArray::from(texts)) as _),
            ("time", Arc::new(Int64Array::from(vec![epoch; 40])) as _),
            ("diff", Arc::new(Int64Array::from(diffs)) as _),
        ])
        .expect("a batch")
    }

    async fn text(ctx: &SessionContext, sql: &str) -> String {
        let batches = match ctx.sql(sql).await {
            Ok(frame) => frame.collect().await,
            Err(e) => Err(e),
        };
        let batches = match batches {
            Ok(b) => b,
            Err(e) => panic!("{sql}: {e}"),
        };
        arrow::util::pretty::pretty_format_batches(&batches).map(|t| t.to_string()).unwrap_or_default()
    }

    /// The oracle is delta-rs's own provider over the same table: after appends, a delete
    /// (files rewritten) and a compaction (files replaced), both read the same rows, with
    /// filters that prune, projections and limits.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_snapshot_scan_reads_what_delta_rs_reads() {
        let dir = tempfile::tempdir().expect("a folder");
        let url = url::Url::from_directory_path(dir.path()).expect("a url");
        let mut table = DeltaTable::try_from_url(url).await.expect("a table");
        for epoch in 1..=4 {
            table = table.write(vec![epoch_rows(epoch)]).with_save_mode(SaveMode::Append).await.expect("append");
        }
        let (table, _) = table.delete().with_predicate("time = 2 AND diff < 0").await.expect("delete");
        let (mut table, _) = table.optimize().await.expect("compact");
        for epoch in 5..=6 {
            table = table.write(vec![epoch_rows(epoch)]).with_save_mode(SaveMode::Append).await.expect("append");
        }
        let (table, _) =
            table.delete().with_predicate("time = 6 AND (doc_id = 'd03' OR doc_id = 'd33')").await.expect("delete");

        let delta = table.table_provider().await.expect("a provider");
        let with_delta = SessionContext::new();
        table.update_datafusion_session(&with_delta.state()).expect("store");
        with_delta.register_table("t", Arc::clone(&delta)).expect("register");
        let with_files = SessionContext::new();
        let files = SnapshotFiles::new(&table, delta.schema(), &with_files.state()).expect("a wenflow-like table");
        assert!(files.files.len() > 1, "the test wants several files");
        let rows: usize = text(&with_delta, "SELECT count(*) AS n FROM t")
            .await
            .lines()
            .nth(3)
            .and_then(|l| l.trim_matches(|c| c == '|' || c == ' ').parse().ok())
            .expect("a count");
        assert_eq!(files.statistics.num_rows, Precision::Exact(rows));
        with_files.register_table("t", Arc::new(files)).expect("register");

        for sql in [
            "SELECT * FROM t ORDER BY doc_id, time, diff, text",
            "SELECT doc_id, sum(diff) AS n FROM t GROUP BY doc_id HAVING sum(diff) > 0 ORDER BY doc_id",
            "SELECT doc_id, text FROM t WHERE time >= 4 AND doc_id < 'd30' ORDER BY doc_id, text",
            "SELECT time, count(*) AS n FROM t WHERE diff < 0 GROUP BY time ORDER BY time",
            "SELECT text FROM t WHERE doc_id = 'd14' ORDER BY text",
            "SELECT count(*) AS n FROM (SELECT doc_id FROM t LIMIT 7)",
            "SELECT count(*) AS n FROM t WHERE doc_id IN ('d03', 'd33', 'd34')",
        ] {
            let want = text(&with_delta, sql).await;
            assert!(want.lines().count() > 3, "{sql} has rows:\n{want}");
            assert_eq!(text(&with_files, sql).await, want, "{sql}");
        }
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
