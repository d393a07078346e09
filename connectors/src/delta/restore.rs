//! Reading committed state back, so a resumed job's operators do not start empty. The rows
//! come back through each table's declaration ([`wenflow_engine::table::Table::decode`]):
//! every query names its columns as the table does.

use deltalake::datafusion::prelude::SessionContext;
use wenflow_engine::schema::TableRow;
use wenflow_engine::{Document, EntityRow, Epoch};

use super::output::Output;
use crate::{ConnectorError, Result};

fn query_err(e: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::Query(e.to_string())
}

/// A DataFusion session with table `name`'s change log registered as `<name>_log`.
async fn log_session(output: &Output, name: &str) -> Result<Option<SessionContext>> {
    let Some(table) = output.tables.get(name) else {
        return Ok(None);
    };
    let ctx = SessionContext::new();
    table.update_datafusion_session(&ctx.state()).map_err(query_err)?;
    let provider = table.table_provider().await.map_err(query_err)?;
    ctx.register_table(format!("{name}_log").as_str(), provider).map_err(query_err)?;
    Ok(Some(ctx))
}

/// The rows of `R`'s table that `sql` selects (its columns named as the table's, and
/// `diff`), each with its diff; none if the table does not exist.
async fn rows<R: TableRow<Row = R> + Default>(output: &Output, sql: &str) -> Result<Vec<(R, i64)>> {
    let Some(ctx) = log_session(output, R::TABLE).await? else {
        return Ok(Vec::new());
    };
    let batches = ctx.sql(sql).await.map_err(query_err)?.collect().await.map_err(query_err)?;
    let mut rows = Vec::new();
    for batch in batches {
        rows.extend(R::DECLARATION.decode(&batch)?);
    }
    Ok(rows)
}

/// The identities of the job's documents as of epoch `upto`: `doc_id` and `content_hash`
/// of every document the `documents` change log holds up to `upto` (diffs folded), with
/// its multiplicity, and the text near-duplicate detection compares (the simplified copy,
/// else the text) in `text_simplified`. `text` stays empty, so the entity stage finds
/// nothing in restored documents (their entities are restored on their own), and the
/// restored records are never written again (their epoch is committed).
pub async fn restore_documents(output: &Output, upto: Epoch) -> Result<Vec<(Document, i64)>> {
    let sql = format!(
        "SELECT doc_id, content_hash, COALESCE(MAX(text_simplified), MAX(text)) AS text_simplified, \
         CAST(SUM(diff) AS BIGINT) AS diff FROM documents_log WHERE time <= {upto} \
         GROUP BY doc_id, content_hash HAVING SUM(diff) <> 0 ORDER BY doc_id, content_hash"
    );
    let mut docs: Vec<(Document, i64)> = rows(output, &sql).await?;
    for (doc, _) in &mut docs {
        doc.source = format!("restored from {}", Document::TABLE);
    }
    Ok(docs)
}

/// The entity rows of the job's output as of epoch `upto` (diffs folded), with their
/// multiplicity, so that `entity_counts` continues from the committed counts.
pub async fn restore_entities(output: &Output, upto: Epoch) -> Result<Vec<(EntityRow, i64)>> {
    let sql = format!(
        "SELECT {ENTITY_COLS}, CAST(SUM(diff) AS BIGINT) AS diff FROM entities_log WHERE time <= {upto} \
         GROUP BY {ENTITY_COLS} HAVING SUM(diff) <> 0"
    );
    let mut rows: Vec<(EntityRow, i64)> = rows(output, &sql).await?;
    rows.sort();
    Ok(rows)
}

const ENTITY_COLS: &str = "doc_id, kind, text, norm, year, start, \"end\", confidence, ambiguous";

/// What one committed epoch changed in `documents` and `entities`: every document
/// version (with its text and metadata) and every entity row of that epoch, with their
/// diffs, as the change logs hold them. The index replays it for a shard that lacks the
/// epoch.
#[allow(clippy::type_complexity)]
pub async fn epoch_changes(output: &Output, epoch: Epoch) -> Result<(Vec<(Document, i64)>, Vec<(EntityRow, i64)>)> {
    let docs = rows(
        output,
        &format!(
            "SELECT doc_id, source, title, author, collection, dynasty, text, content_hash, diff \
             FROM documents_log WHERE time = {epoch}"
        ),
    )
    .await?;
    let mentions = rows(output, &format!("SELECT {ENTITY_COLS}, diff FROM entities_log WHERE time = {epoch}")).await?;
    Ok((docs, mentions))
}
