//! Table registration: change logs and current-state views.

use std::path::Path;
use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;
use futures::StreamExt;

use crate::state::state_view_sql;
use crate::{QueryError, Result};

/// A DataFusion session for wenflow tables.
pub fn session() -> SessionContext {
    SessionContext::new()
}

/// The URL of a data root: `s3://bucket/prefix` (read through the S3 client registered
/// with deltalake), else a local folder, which must exist.
pub fn data_url(root: &Path) -> Result<url::Url> {
    let text = root.to_string_lossy();
    if text.starts_with("s3://") {
        return url::Url::parse(&format!("{}/", text.trim_end_matches('/')))
            .map_err(|_| QueryError::NoTables(text.into_owned()));
    }
    let root = root.canonicalize().map_err(|source| QueryError::Io { path: root.display().to_string(), source })?;
    url::Url::from_directory_path(&root).map_err(|()| QueryError::NoTables(root.display().to_string()))
}

/// Whether `dir` in `store` is a Delta table: it has a log. Its first entry is enough: a
/// long stream's log holds thousands of files, and its first commits expire with the log
/// retention once checkpoints cover them.
pub async fn is_table(
    store: &dyn object_store::ObjectStore,
    dir: &object_store::path::Path,
) -> std::result::Result<bool, object_store::Error> {
    let log = dir.clone().join("_delta_log");
    Ok(store.list(Some(&log)).next().await.transpose()?.is_some())
}

/// Registers every Delta table under `root` (a local folder or `s3://bucket/prefix`) as
/// `<name>_log` and `<name>`. Returns the table names, sorted.
pub async fn register_tables(ctx: &SessionContext, root: &Path) -> Result<Vec<String>> {
    Ok(register_tables_as_of(ctx, root, None).await?.names)
}

/// What [`Tables::register`] registered.
#[derive(Clone, Debug)]
pub struct Registered {
    /// The table names, sorted.
    pub names: Vec<String>,
    /// The last epoch every table of the job has committed (for output without a job
    /// marker, the last epoch of any row; 0 for tables without rows).
    pub last_epoch: u64,
    /// The epoch the views show: `as_of`, or the last.
    pub epoch: u64,
}

/// Registers every Delta table under `root` as it was after epoch `as_of` (the latest
/// committed epoch if `None`); see [`Tables::register`].
pub async fn register_tables_as_of(ctx: &SessionContext, root: &Path, as_of: Option<u64>) -> Result<Registered> {
    Tables::open(root).await?.register(ctx, as_of).await
}

/// The marker naming the job that writes an output root.
const JOB_MARKER: &str = "_wenflow_job";

/// The Delta tables under an output root, open, for reading and re-reading as a job
/// commits more epochs.
pub struct Tables {
    shown: String,
    /// The job writing the root, from its marker.
    job: Option<String>,
    /// The tables by name, sorted.
    tables: Vec<(String, deltalake::DeltaTable)>,
}

impl std::fmt::Debug for Tables {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tables").field("root", &self.shown).field("job", &self.job).finish_non_exhaustive()
    }
}

impl Tables {
    /// Opens every Delta table under `root` (a local folder or `s3://bucket/prefix`).
    pub async fn open(root: &Path) -> Result<Tables> {
        let root = data_url(root)?;
        let shown = if root.scheme() == "file" { root.path().to_owned() } else { root.to_string() };
        let store = deltalake::logstore::store_for(&root, std::collections::HashMap::<String, String>::new())
            .map_err(|source| QueryError::Delta { table: shown.clone(), source })?;
        let store_err = |e| QueryError::Store { root: shown.clone(), source: e };
        let listing = store.list_with_delimiter(None).await.map_err(store_err)?;
        let mut names = Vec::new();
        for dir in listing.common_prefixes {
            let found = is_table(store.as_ref(), &dir).await.map_err(store_err)?;
            if let Some(name) = dir.filename()
                && found
            {
                names.push(name.to_owned());
            }
        }
        names.sort();
        if names.is_empty() {
            return Err(QueryError::NoTables(shown));
        }
        let job = match object_store::ObjectStoreExt::get(store.as_ref(), &object_store::path::Path::from(JOB_MARKER))
            .await
        {
            Ok(found) => Some(String::from_utf8_lossy(&found.bytes().await.map_err(store_err)?).trim().to_owned()),
            Err(object_store::Error::NotFound { .. }) => None,
            Err(e) => return Err(store_err(e)),
        };
        let mut tables = Vec::new();
        for name in names {
            let url = root.join(&format!("{name}/")).map_err(|_| QueryError::NoTables(shown.clone()))?;
            let table =
                deltalake::open_table(url).await.map_err(|source| QueryError::Delta { table: name.clone(), source })?;
            tables.push((name, table));
        }
        Ok(Tables { shown, job, tables })
    }

    /// Reads the commits made since the tables were opened or last updated. Returns whether
    /// any table moved.
    pub async fn update(&mut self) -> Result<bool> {
        let mut moved = false;
        for (name, table) in &mut self.tables {
            let before = table.version();
            table.update_incremental(None).await.map_err(|source| QueryError::Delta { table: name.clone(), source })?;
            moved |= table.version() != before;
        }
        Ok(moved)
    }

    /// The last epoch every data table has committed for the job that writes the root (the
    /// Delta `txn` version of its job id), or `None` without a job marker. The tables of an
    /// epoch commit one after another; until the last has, the epoch is not whole.
    pub async fn committed_epoch(&self) -> Result<Option<u64>> {
        let Some(job) = &self.job else {
            return Ok(None);
        };
        let data: Vec<&str> = wenflow_engine::schema::data_tables().map(|t| t.name).collect();
        let mut committed: Option<u64> = None;
        for (name, table) in self.tables.iter().filter(|(n, _)| data.contains(&n.as_str())) {
            let delta_err = |source| QueryError::Delta { table: name.clone(), source };
            let version = table
                .snapshot()
                .map_err(delta_err)?
                .transaction_version(table.log_store().as_ref(), job)
                .await
                .map_err(delta_err)?;
            let epoch = version.and_then(|v| u64::try_from(v).ok()).unwrap_or(0);
            committed = Some(committed.map_or(epoch, |c| c.min(epoch)));
        }
        Ok(committed)
    }

    /// Registers every table in `ctx` as it was after epoch `as_of` (the last committed
    /// epoch if `None`): `<name>_log` holds the rows of epochs up to it, `<name>` their state.
    ///
    /// Without `as_of`, rows of an epoch that some table has not committed yet (a job
    /// committing as this reads) are left out, so that a reader sees whole epochs.
    ///
    /// Reading a past epoch filters the change log on `time`, rather than loading an older
    /// Delta version: the rows of every epoch stay in the log through compaction and vacuum,
    /// while an old version's files are gone once vacuumed. An epoch after the last committed
    /// one is refused.
    pub async fn register(&self, ctx: &SessionContext, as_of: Option<u64>) -> Result<Registered> {
        let mut max_time = 0;
        let mut logs = Vec::new();
        // One state for registering stores: they live in the runtime every clone shares.
        let state = ctx.state();
        for (name, table) in &self.tables {
            let provider: Arc<dyn datafusion::catalog::TableProvider> =
                Arc::new(crate::files::SnapshotFiles::new(table, name, &state)?);
            let columns: Vec<String> = provider
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .filter(|n| n != "time" && n != "diff")
                .collect();
            // The raw table is registered only for this query: readers see the log views, which
            // leave out an epoch not every table has committed.
            let raw = format!("{name}_delta");
            ctx.register_table(raw.as_str(), Arc::clone(&provider))?;
            let stats = ctx
                .sql(&format!("SELECT count(CASE WHEN diff < 0 THEN 1 END), max(time) FROM \"{raw}\""))
                .await?
                .collect()
                .await;
            ctx.deregister_table(raw.as_str())?;
            let stats = stats?;
            let value = |column: usize| {
                stats
                    .first()
                    .and_then(|b| b.column(column).as_any().downcast_ref::<arrow::array::Int64Array>())
                    .filter(|a| arrow::array::Array::is_valid(*a, 0))
                    .map(|a| a.value(0))
            };
            max_time = max_time.max(value(1).unwrap_or(0).max(0) as u64);
            logs.push((name.clone(), provider, columns, value(0).is_none_or(|n| n > 0)));
        }
        let last_epoch = self.committed_epoch().await?.unwrap_or(max_time);
        if let Some(epoch) = as_of
            && (epoch == 0 || epoch > last_epoch)
        {
            return Err(QueryError::Invalid(if last_epoch == 0 {
                format!("epoch {epoch} is not committed: the tables hold no committed epoch yet")
            } else {
                format!("epoch {epoch} is not committed: the tables hold epochs 1 to {last_epoch}")
            }));
        }
        let upto = as_of.or((max_time > last_epoch).then_some(last_epoch));
        for (name, provider, columns, has_retractions) in logs {
            let log = format!("{name}_log");
            let mut frame = ctx.read_table(provider)?;
            if let Some(e) = upto {
                use datafusion::prelude::{col, lit};
                frame = frame.filter(col("time").lt_eq(lit(i64::try_from(e).unwrap_or(i64::MAX))))?;
            }
            ctx.register_table(log.as_str(), frame.into_view())?;
            let view = ctx.sql(&state_view_sql(&log, &columns, has_retractions)).await?.into_view();
            ctx.register_table(name.as_str(), view)?;
        }
        let names = self.tables.iter().map(|(n, _)| n.clone()).collect();
        Ok(Registered { names, last_epoch, epoch: upto.unwrap_or(last_epoch) })
    }
}

/// Runs `sql` over one open Delta table's change log, registered as `<name>_log` (a job
/// reading back what it committed).
pub async fn query_log(table: &deltalake::DeltaTable, name: &str, sql: &str) -> Result<Vec<RecordBatch>> {
    let ctx = session();
    let files = crate::files::SnapshotFiles::new(table, name, &ctx.state())?;
    ctx.register_table(format!("{name}_log").as_str(), Arc::new(files))?;
    run_sql(&ctx, sql).await
}

/// Runs one SQL statement over the tables under `data` and renders its result: what
/// `wenflow sql` prints.
pub async fn query_output(data: &Path, sql: &str, format: crate::OutputFormat) -> Result<String> {
    let ctx = session();
    register_tables(&ctx, data).await?;
    let batches = run_sql(&ctx, sql).await?;
    crate::format_batches(&batches, format)
}

/// Runs one SQL statement and collects its result.
pub async fn run_sql(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>> {
    collect(ctx.sql(sql).await?).await
}

/// Collects a result; one without rows is one empty batch of its schema, so that it prints
/// its column names.
pub(crate) async fn collect(frame: datafusion::dataframe::DataFrame) -> Result<Vec<RecordBatch>> {
    let schema = frame.schema().inner().clone();
    let batches = frame.collect().await?;
    if batches.iter().all(|b| b.num_rows() == 0) {
        return Ok(vec![RecordBatch::new_empty(schema)]);
    }
    Ok(batches)
}
