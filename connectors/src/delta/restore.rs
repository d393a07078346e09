//! Reading committed state back, so a resumed job's operators do not start empty.

use arrow::array::AsArray;
use arrow::datatypes::Int64Type;
use deltalake::datafusion::prelude::SessionContext;
use wenflow_engine::schema::TableRow;
use wenflow_engine::{Document, EntityKind, EntityRow, Epoch};

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

/// The identities of the job's documents as of epoch `upto`: `doc_id` and `content_hash`
/// of every document the `documents` change log holds up to `upto` (diffs folded), with
/// its multiplicity, and the text near-duplicate detection compares (the simplified copy,
/// else the text) in `text_simplified`. `text` stays empty, so the entity stage finds
/// nothing in restored documents (their entities are restored on their own), and the
/// restored records are never written again (their epoch is committed).
pub async fn restore_documents(output: &Output, upto: Epoch) -> Result<Vec<(Document, i64)>> {
    let Some(ctx) = log_session(output, Document::TABLE).await? else {
        return Ok(Vec::new());
    };
    let sql = format!(
        "SELECT doc_id, content_hash, COALESCE(MAX(text_simplified), MAX(text)) AS t, \
         CAST(SUM(diff) AS BIGINT) AS n FROM documents_log WHERE time <= {upto} \
         GROUP BY doc_id, content_hash HAVING SUM(diff) <> 0 ORDER BY doc_id, content_hash"
    );
    let batches = ctx.sql(&sql).await.map_err(query_err)?.collect().await.map_err(query_err)?;
    let mut docs = Vec::new();
    for batch in batches {
        let utf8 = |i: usize| -> Result<arrow::array::StringArray> {
            let col = arrow::compute::cast(batch.column(i), &arrow::datatypes::DataType::Utf8)?;
            Ok(col.as_string::<i32>().clone())
        };
        let (doc_id, hash, text) = (utf8(0)?, utf8(1)?, utf8(2)?);
        let n = batch.column(3).as_primitive::<Int64Type>();
        for row in 0..batch.num_rows() {
            let doc = Document {
                doc_id: doc_id.value(row).to_owned(),
                source: format!("restored from {}", Document::TABLE),
                content_hash: hash.value(row).to_owned(),
                text_simplified: Some(text.value(row).to_owned()),
                ..Document::default()
            };
            docs.push((doc, n.value(row)));
        }
    }
    Ok(docs)
}

/// The entity rows of the job's output as of epoch `upto` (diffs folded), with their
/// multiplicity, so that `entity_counts` continues from the committed counts.
pub async fn restore_entities(output: &Output, upto: Epoch) -> Result<Vec<(EntityRow, i64)>> {
    let Some(ctx) = log_session(output, EntityRow::TABLE).await? else {
        return Ok(Vec::new());
    };
    let sql = format!(
        "SELECT {ENTITY_COLS}, CAST(SUM(diff) AS BIGINT) AS n FROM entities_log WHERE time <= {upto} GROUP BY {ENTITY_COLS} HAVING SUM(diff) <> 0"
    );
    let mut rows = entity_rows(&ctx, &sql).await?;
    rows.sort();
    Ok(rows)
}

const ENTITY_COLS: &str = "doc_id, kind, text, norm, year, start, \"end\", confidence, ambiguous";

/// Entity rows (the columns of [`ENTITY_COLS`] and a diff) of the result of `sql`.
async fn entity_rows(ctx: &SessionContext, sql: &str) -> Result<Vec<(EntityRow, i64)>> {
    let batches = ctx.sql(sql).await.map_err(query_err)?.collect().await.map_err(query_err)?;
    let mut rows = Vec::new();
    for batch in batches {
        let utf8 = |i: usize| -> Result<arrow::array::StringArray> {
            let col = arrow::compute::cast(batch.column(i), &arrow::datatypes::DataType::Utf8)?;
            Ok(col.as_string::<i32>().clone())
        };
        let (doc_id, kind, text, norm) = (utf8(0)?, utf8(1)?, utf8(2)?, utf8(3)?);
        let year = batch.column(4).as_primitive::<arrow::datatypes::Int32Type>();
        let start = batch.column(5).as_primitive::<arrow::datatypes::Int32Type>();
        let end = batch.column(6).as_primitive::<arrow::datatypes::Int32Type>();
        let confidence = batch.column(7).as_primitive::<arrow::datatypes::Float64Type>();
        let ambiguous = batch.column(8).as_boolean();
        let n = batch.column(9).as_primitive::<Int64Type>();
        for r in 0..batch.num_rows() {
            let Some(kind) = EntityKind::parse(kind.value(r)) else { continue };
            let row = EntityRow {
                doc_id: doc_id.value(r).to_owned(),
                kind,
                text: text.value(r).to_owned(),
                norm: norm.value(r).to_owned(),
                year: arrow::array::Array::is_valid(year, r).then(|| year.value(r)),
                start: u32::try_from(start.value(r)).unwrap_or(0),
                end: u32::try_from(end.value(r)).unwrap_or(0),
                confidence_ppm: (confidence.value(r) * 1_000_000.0).round() as u32,
                ambiguous: ambiguous.value(r),
            };
            rows.push((row, n.value(r)));
        }
    }
    Ok(rows)
}

/// What one committed epoch changed in `documents` and `entities`: every document
/// version (with its text and metadata) and every entity row of that epoch, with their
/// diffs, as the change logs hold them. The index replays it for a shard that lacks the
/// epoch.
#[allow(clippy::type_complexity)]
pub async fn epoch_changes(output: &Output, epoch: Epoch) -> Result<(Vec<(Document, i64)>, Vec<(EntityRow, i64)>)> {
    let mut docs = Vec::new();
    if let Some(ctx) = log_session(output, Document::TABLE).await? {
        let sql = format!(
            "SELECT doc_id, source, title, author, collection, dynasty, text, content_hash, diff \
             FROM documents_log WHERE time = {epoch}"
        );
        let batches = ctx.sql(&sql).await.map_err(query_err)?.collect().await.map_err(query_err)?;
        for batch in batches {
            let utf8 = |i: usize| -> Result<arrow::array::StringArray> {
                let col = arrow::compute::cast(batch.column(i), &arrow::datatypes::DataType::Utf8)?;
                Ok(col.as_string::<i32>().clone())
            };
            let cols = [utf8(0)?, utf8(1)?, utf8(2)?, utf8(3)?, utf8(4)?, utf8(5)?, utf8(6)?, utf8(7)?];
            let diff = batch.column(8).as_primitive::<Int64Type>();
            let opt = |c: &arrow::array::StringArray, r: usize| {
                arrow::array::Array::is_valid(c, r).then(|| c.value(r).to_owned())
            };
            for r in 0..batch.num_rows() {
                let doc = Document {
                    doc_id: cols[0].value(r).to_owned(),
                    source: cols[1].value(r).to_owned(),
                    title: opt(&cols[2], r),
                    author: opt(&cols[3], r),
                    collection: opt(&cols[4], r),
                    dynasty: opt(&cols[5], r),
                    text: cols[6].value(r).to_owned(),
                    content_hash: cols[7].value(r).to_owned(),
                    ..Document::default()
                };
                docs.push((doc, diff.value(r)));
            }
        }
    }
    let mentions = match log_session(output, EntityRow::TABLE).await? {
        Some(ctx) => {
            let sql = format!("SELECT {ENTITY_COLS}, diff FROM entities_log WHERE time = {epoch}");
            entity_rows(&ctx, &sql).await?
        }
        None => Vec::new(),
    };
    Ok((docs, mentions))
}
