//! Table registration: change logs and current-state views.

use std::path::Path;

use arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;

use crate::state::state_view_sql;
use crate::{QueryError, Result};

/// A DataFusion session for wenflow tables.
pub fn session() -> SessionContext {
    SessionContext::new()
}

/// Registers every Delta table under `root` as `<name>_log` and `<name>`. Returns the
/// table names, sorted.
pub async fn register_tables(ctx: &SessionContext, root: &Path) -> Result<Vec<String>> {
    let root = root.canonicalize().map_err(|source| QueryError::Io { path: root.display().to_string(), source })?;
    let mut names = Vec::new();
    let entries =
        std::fs::read_dir(&root).map_err(|source| QueryError::Io { path: root.display().to_string(), source })?;
    for entry in entries.flatten() {
        if entry.path().join("_delta_log").is_dir() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    if names.is_empty() {
        return Err(QueryError::NoTables(root.display().to_string()));
    }
    for name in &names {
        let delta_err = |source| QueryError::Delta { table: name.clone(), source };
        let url = url::Url::from_directory_path(root.join(name))
            .map_err(|()| QueryError::NoTables(root.display().to_string()))?;
        let table = deltalake::open_table(url).await.map_err(delta_err)?;
        table.update_datafusion_session(&ctx.state()).map_err(delta_err)?;
        let provider = table.table_provider().await?;
        let columns: Vec<String> = provider
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .filter(|n| n != "time" && n != "diff")
            .collect();
        let log = format!("{name}_log");
        ctx.register_table(log.as_str(), provider)?;
        let retractions = ctx.sql(&format!("SELECT count(*) FROM \"{log}\" WHERE diff < 0")).await?.collect().await?;
        let has_retractions = retractions
            .first()
            .and_then(|b| b.column(0).as_any().downcast_ref::<arrow::array::Int64Array>())
            .is_none_or(|a| a.value(0) > 0);
        let view = ctx.sql(&state_view_sql(&log, &columns, has_retractions)).await?.into_view();
        ctx.register_table(name.as_str(), view)?;
    }
    Ok(names)
}

/// Runs `sql` over one open Delta table's change log, registered as `<name>_log` (a job
/// reading back what it committed).
pub async fn query_log(table: &deltalake::DeltaTable, name: &str, sql: &str) -> Result<Vec<RecordBatch>> {
    let ctx = session();
    table
        .update_datafusion_session(&ctx.state())
        .map_err(|source| QueryError::Delta { table: name.to_owned(), source })?;
    ctx.register_table(format!("{name}_log").as_str(), table.table_provider().await?)?;
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
    Ok(ctx.sql(sql).await?.collect().await?)
}
