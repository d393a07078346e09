//! Compaction of a table's small data files (Delta's `OPTIMIZE`, bin-packing only).
//!
//! A stream commits a few small files per epoch and table; after thousands of epochs a reader
//! would open thousands of files. [`compact`] rewrites runs of small files into files of
//! about the target size and commits the swap as one Delta version with `dataChange = false`:
//! the rows, and so every reader's answer, are the same before and after.
//!
//! The files are taken in name order, which is epoch order for the epochs' files
//! (`part-e<epoch>-…`). Only files smaller than the target are rewritten, and a run of one
//! file is left as it is, so files already compacted are packed again only while two of
//! them fit in the target together: repeated compactions converge and then commit nothing.
//! The rows are copied as Arrow batches, and one output file is held in memory at a time
//! (at most about the target size).

use std::sync::Arc;

use bytes::Bytes;
use deltalake::DeltaTable;
use deltalake::kernel::transaction::{CommitBuilder, TableReference};
use deltalake::kernel::{Action, Remove};
use deltalake::protocol::DeltaOperation;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::writer::{add_file, file_stats, parquet_properties, put_with_retry};
use crate::ConnectorError;

/// What one compaction of one table did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Compacted {
    /// Data files replaced.
    pub files_removed: usize,
    /// Data files written in their place.
    pub files_added: usize,
    /// Rows copied.
    pub rows: u64,
}

/// One small file of the table: its path (relative to the table), size and remove action.
struct Small {
    path: String,
    size: u64,
    remove: Remove,
}

/// The small files of `table` in runs to rewrite: consecutive (in name order) files smaller
/// than `target`, each run holding about `target` bytes, only runs of two files or more.
fn plan(table: &DeltaTable, target: u64) -> Result<Vec<Vec<Small>>, deltalake::DeltaTableError> {
    let snapshot = table.snapshot()?;
    let mut small: Vec<Small> = snapshot
        .log_data()
        .iter()
        .filter_map(|f| {
            let size = u64::try_from(f.size()).ok()?;
            (size < target).then(|| Small { path: f.path().into_owned(), size, remove: f.remove_action(false) })
        })
        .collect();
    small.sort_by(|a, b| a.path.cmp(&b.path));
    let mut runs: Vec<Vec<Small>> = Vec::new();
    let mut run: Vec<Small> = Vec::new();
    let mut bytes = 0;
    for file in small {
        if !run.is_empty() && bytes + file.size > target {
            runs.push(std::mem::take(&mut run));
            bytes = 0;
        }
        bytes += file.size;
        run.push(file);
    }
    runs.push(run);
    runs.retain(|r| r.len() >= 2);
    Ok(runs)
}

/// Copies the rows of `run`'s files, in order, into one new Parquet file of the table's store;
/// returns its name, size and rows.
async fn rewrite(
    store: &Arc<dyn ObjectStore>,
    table: &str,
    run: &[Small],
) -> Result<(String, u64, u64), ConnectorError> {
    let props = parquet_properties();
    let mut writer: Option<(arrow::datatypes::SchemaRef, ArrowWriter<Vec<u8>>)> = None;
    let mut rows = 0u64;
    for file in run {
        let path = object_store::path::Path::from(file.path.as_str());
        let bytes: Bytes = store.get(&path).await?.bytes().await?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)?.with_batch_size(8192).build()?;
        for batch in reader {
            let batch = batch?;
            let (schema, w) = match &mut writer {
                Some(w) => w,
                None => writer
                    .insert((batch.schema(), ArrowWriter::try_new(Vec::new(), batch.schema(), Some(props.clone()))?)),
            };
            if batch.schema().fields() != schema.fields() {
                return Err(ConnectorError::Compact(format!(
                    "table {table}: file {} has columns {:?}, unlike the files before it ({:?}); not compacted",
                    file.path,
                    batch.schema().fields(),
                    schema.fields()
                )));
            }
            rows += batch.num_rows() as u64;
            w.write(&batch)?;
        }
    }
    let Some((_, writer)) = writer else {
        return Err(ConnectorError::Compact(format!("table {table}: the files to compact hold no column")));
    };
    let buf = writer.into_inner()?;
    let size = buf.len() as u64;
    let name = format!("compact-{}.snappy.parquet", uuid::Uuid::new_v4());
    put_with_retry(store.as_ref(), &object_store::path::Path::from(name.as_str()), buf).await?;
    Ok((name, size, rows))
}

/// Rewrites `table`'s small files into files of about `target` bytes, committed as one
/// version (see the module); returns the table at that version, or as it was when there is
/// nothing to compact.
pub async fn compact(
    mut table: DeltaTable,
    name: &str,
    target: u64,
) -> Result<(DeltaTable, Compacted), ConnectorError> {
    let delta = |source| ConnectorError::Delta { table: name.to_owned(), source };
    let runs = plan(&table, target.max(1)).map_err(delta)?;
    if runs.is_empty() {
        return Ok((table, Compacted::default()));
    }
    let store = table.object_store();
    let now = chrono::Utc::now().timestamp_millis();
    let mut actions = Vec::new();
    let mut done = Compacted::default();
    for run in runs {
        let (path, size, rows) = rewrite(&store, name, &run).await?;
        actions.push(add_file(path, size, Some(file_stats(rows)), false, now));
        done.files_added += 1;
        done.files_removed += run.len();
        done.rows += rows;
        actions.extend(run.into_iter().map(|f| Action::Remove(Remove { deletion_timestamp: Some(now), ..f.remove })));
    }
    let op = DeltaOperation::Optimize { predicate: None, target_size: i64::try_from(target).unwrap_or(i64::MAX) };
    {
        let snapshot = table.snapshot().map_err(delta)?;
        CommitBuilder::default()
            .with_actions(actions)
            .build(Some(snapshot as &dyn TableReference), table.log_store(), op)
            .await
            .map_err(delta)?;
    }
    table.update_state().await.map_err(delta)?;
    Ok((table, done))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, RecordBatch, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use deltalake::kernel::engine::arrow_conversion::TryIntoKernel;
    use deltalake::kernel::{StructField, StructType};
    use deltalake::protocol::SaveMode;

    fn schema() -> Arc<Schema> {
        Arc::new(Schema::new(vec![
            Field::new("doc_id", DataType::Utf8, false),
            Field::new("time", DataType::Int64, false),
            Field::new("diff", DataType::Int64, false),
        ]))
    }

    /// Epoch `epoch`: `n` rows, one in seven a retraction.
    fn epoch_rows(epoch: i64, n: usize) -> RecordBatch {
        let ids: Vec<String> = (0..n).map(|i| format!("d{epoch}-{i}")).collect();
        let diffs: Vec<i64> = (0..n).map(|i| if i % 7 == 3 { -1 } else { 1 }).collect();
        RecordBatch::try_new(
            schema(),
            vec![
                Arc::new(StringArray::from(ids)),
                Arc::new(Int64Array::from(vec![epoch; n])),
                Arc::new(Int64Array::from(diffs)),
            ],
        )
        .expect("a batch")
    }

    /// One epoch committed as wenflow's writer and committer do: a part file, then an `add`.
    async fn append(table: &mut DeltaTable, epoch: i64, n: usize) {
        let bytes = super::super::writer::encode_parquet(&epoch_rows(epoch, n)).expect("parquet");
        let name = format!("part-e{epoch:08}-w0000-{}.snappy.parquet", uuid::Uuid::new_v4());
        let size = bytes.len() as u64;
        put_with_retry(table.object_store().as_ref(), &object_store::path::Path::from(name.as_str()), bytes)
            .await
            .expect("put");
        let add = add_file(name, size, Some(file_stats(n as u64)), true, chrono::Utc::now().timestamp_millis());
        let op = DeltaOperation::Write { mode: SaveMode::Append, partition_by: None, predicate: None };
        let snapshot = table.snapshot().expect("a snapshot");
        CommitBuilder::default()
            .with_actions(vec![add])
            .build(Some(snapshot as &dyn TableReference), table.log_store(), op)
            .await
            .expect("commit");
        table.update_state().await.expect("reload");
    }

    async fn rows(table: &DeltaTable) -> String {
        let batches = wenflow_queries::query_log(table, "t", "SELECT doc_id, time, diff FROM t_log ORDER BY doc_id")
            .await
            .expect("read");
        arrow::util::pretty::pretty_format_batches(&batches).expect("text").to_string()
    }

    /// The rows and the count DuckDB reads from the files the `deltalake` Python package
    /// lists for the table: an independent reader of the committed log.
    fn python_reads(dir: &std::path::Path) -> serde_json::Value {
        let python = std::env::var("WENFLOW_PYTHON").map(std::path::PathBuf::from).unwrap_or_else(|_| {
            std::path::PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/wenflow/venv/bin/python")
        });
        let script = r#"
import json, sys, duckdb
from deltalake import DeltaTable
dt = DeltaTable(sys.argv[1])
files = dt.file_uris()
con = duckdb.connect()
listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet([{listed}])")
rows, net = con.execute("SELECT count(*), sum(diff) FROM t").fetchone()
print(json.dumps({"files": len(files), "rows": rows, "net": int(net), "op": dt.history(1)[0]["operation"]}))
"#;
        let out = std::process::Command::new(&python).arg("-c").arg(script).arg(dir).output().expect("run python");
        assert!(out.status.success(), "{}: {}", python.display(), String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("json")
    }

    /// Small files are rewritten in runs of about the target size, a file already larger
    /// is left alone, and every reader sees the same rows before and after; compacting
    /// again converges to a table with nothing to compact, and then commits nothing.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn small_files_are_packed_and_every_reader_sees_the_same_rows() {
        let dir = tempfile::tempdir().expect("a folder");
        let url = url::Url::from_directory_path(dir.path()).expect("a url");
        let columns: StructType = schema().as_ref().try_into_kernel().expect("a delta schema");
        let mut table = deltalake::operations::create::CreateBuilder::new()
            .with_location(url.to_string())
            .with_columns(columns.fields().cloned().collect::<Vec<StructField>>())
            .await
            .expect("create");
        append(&mut table, 1, 20_000).await;
        let big = table.snapshot().expect("snapshot").log_data().iter().next().expect("a file").size() as u64;
        for epoch in 2..=13 {
            append(&mut table, epoch, 50 + epoch as usize).await;
        }
        let small =
            table.snapshot().expect("snapshot").log_data().iter().map(|f| f.size() as u64).min().expect("files");
        let before = rows(&table).await;
        let read_before = python_reads(dir.path());
        assert_eq!(read_before["files"], 13);

        // Room for about five small files a run: the twelve small files make three runs.
        let target = small * 5 + small / 2;
        assert!(big > target, "the first file is larger than the target");
        let (table, done) = compact(table, "t", target).await.expect("compact");
        assert_eq!(done.files_removed, 12, "{done:?}");
        assert_eq!(done.files_added, 3, "{done:?}");
        assert_eq!(done.rows, (2..=13).map(|e| 50 + e).sum::<u64>());
        assert_eq!(rows(&table).await, before, "wenflow's reader");
        let read_after = python_reads(dir.path());
        assert_eq!(read_after["files"], 4);
        assert_eq!(read_after["rows"], read_before["rows"], "deltalake and DuckDB");
        assert_eq!(read_after["net"], read_before["net"]);
        assert_eq!(read_after["op"], "OPTIMIZE");

        // Compacting again packs the compacted files while two fit the target, then
        // commits nothing.
        let mut table = table;
        for pass in 1.. {
            let version = table.version();
            let (t, again) = compact(table, "t", target).await.expect("compact again");
            table = t;
            if again == Compacted::default() {
                assert_eq!(table.version(), version, "nothing to compact, no commit");
                break;
            }
            assert!(pass < 3, "compaction converges: {again:?}");
            assert_eq!(rows(&table).await, before, "after pass {pass}");
        }
        assert_eq!(python_reads(dir.path())["rows"], read_before["rows"]);
    }
}
