//! Reading committed state back, so a resumed job's operators do not start empty. The rows
//! come back through each table's declaration ([`wenflow_engine::table::Table::decode`]):
//! every query names its columns as the table does.

use wenflow_engine::schema::TableRow;
use wenflow_engine::source::{InputRow, PositionRow};
use wenflow_engine::{Document, EntityRow, Epoch, Failure, PageRow, Stage};
use wenflow_queries::state::{changes_sql, state_sql};

use super::output::Output;
use crate::{ConnectorError, Result};

/// The rows of `R`'s table that `sql` selects from its change log `<table>_log` (its
/// columns named as the table's, and `diff`), each with its diff; none if the table does
/// not exist.
async fn rows<R: TableRow<Row = R> + Default>(output: &Output, sql: &str) -> Result<Vec<(R, i64)>> {
    let Some(table) = output.tables.get(R::TABLE) else {
        return Ok(Vec::new());
    };
    let batches =
        wenflow_queries::query_log(table, R::TABLE, sql).await.map_err(|e| ConnectorError::Query(e.to_string()))?;
    let mut rows = Vec::new();
    for batch in batches {
        rows.extend(R::DECLARATION.decode(&batch)?);
    }
    Ok(rows)
}

/// The identities of the job's documents as of epoch `upto`: `doc_id` and `content_hash`
/// of every document version in the state of `documents` as of `upto`, with
/// its multiplicity, and the text near-duplicate detection compares (the simplified copy,
/// else the text) in `text_simplified`. `text` stays empty, so the entity stage finds
/// nothing in restored documents (their entities are restored on their own), and the
/// restored records are never written again (their epoch is committed).
pub async fn restore_documents(output: &Output, upto: Epoch) -> Result<Vec<(Document, i64)>> {
    let columns = ["doc_id", "content_hash", "COALESCE(text_simplified, text) AS text_simplified"];
    let sql = state_sql("documents_log", &columns, Some(upto));
    let mut docs: Vec<(Document, i64)> = rows(output, &sql).await?;
    for (doc, _) in &mut docs {
        doc.source = format!("restored from {}", Document::TABLE);
    }
    docs.sort_by(|a, b| (&a.0.doc_id, &a.0.content_hash).cmp(&(&b.0.doc_id, &b.0.content_hash)));
    Ok(docs)
}

/// The entity rows of the job's output as of epoch `upto` (its state), with their
/// multiplicity, so that `entity_counts` continues from the committed counts.
pub async fn restore_entities(output: &Output, upto: Epoch) -> Result<Vec<(EntityRow, i64)>> {
    let mut rows: Vec<(EntityRow, i64)> =
        rows(output, &state_sql("entities_log", &entity_columns(), Some(upto))).await?;
    rows.sort();
    Ok(rows)
}

/// Every column of the `entities` table.
fn entity_columns() -> Vec<&'static str> {
    EntityRow::DECLARATION.columns.iter().map(|c| c.name).collect()
}

/// What one committed epoch changed in `documents` and `entities`: every document
/// version (with its text and metadata) and every entity row of that epoch, with their
/// diffs, as the change logs hold them. The index replays it for a shard that lacks the
/// epoch.
#[allow(clippy::type_complexity)]
pub async fn epoch_changes(output: &Output, epoch: Epoch) -> Result<(Vec<(Document, isize)>, Vec<(EntityRow, isize)>)> {
    let columns = ["doc_id", "source", "title", "author", "collection", "dynasty", "text", "content_hash"];
    let docs = rows(output, &changes_sql("documents_log", &columns, epoch)).await?;
    let mentions = rows(output, &changes_sql("entities_log", &entity_columns(), epoch)).await?;
    Ok((as_diffs(docs), as_diffs(mentions)))
}

fn as_diffs<R>(rows: Vec<(R, i64)>) -> Vec<(R, isize)> {
    rows.into_iter().map(|(r, n)| (r, n as isize)).collect()
}

/// The input log of a stream job as of epoch `upto` (its live inputs, with their
/// multiplicity), and the changes it logged in each epoch after `upto` up to the last it
/// holds: one entry for every such epoch, empty or not, so that every worker replays the
/// same epochs.
#[allow(clippy::type_complexity)]
pub async fn restore_log(
    output: &Output,
    upto: Epoch,
) -> Result<(Vec<(InputRow, i64)>, std::collections::BTreeMap<Epoch, Vec<(InputRow, isize)>>)> {
    let columns: Vec<&str> = InputRow::DECLARATION.columns.iter().map(|c| c.name).collect();
    let mut state: Vec<(InputRow, i64)> = rows(output, &state_sql("inputs_log", &columns, Some(upto))).await?;
    state.sort();
    let mut replay = std::collections::BTreeMap::new();
    let logged = output.committed.get(InputRow::TABLE).copied().flatten().unwrap_or(0);
    for epoch in upto + 1..=logged {
        replay.insert(epoch, as_diffs(rows(output, &changes_sql("inputs_log", &columns, epoch)).await?));
    }
    tracing::info!(inputs = state.len(), upto_epoch = upto, replay_epochs = replay.len(), "restored the input log");
    Ok((state, replay))
}

/// The `failures` rows epoch `epoch` inserted.
pub async fn epoch_failures(output: &Output, epoch: Epoch) -> Result<Vec<Failure>> {
    let columns: Vec<&str> = Failure::DECLARATION.columns.iter().map(|c| c.name).collect();
    let rows: Vec<(Failure, i64)> = rows(output, &changes_sql("failures_log", &columns, epoch)).await?;
    Ok(rows.into_iter().filter(|(_, n)| *n > 0).map(|(f, _)| f).collect())
}

/// The state of the `positions` table as of epoch `upto`.
pub async fn restore_positions(output: &Output, upto: Epoch) -> Result<Vec<PositionRow>> {
    let columns: Vec<&str> = PositionRow::DECLARATION.columns.iter().map(|c| c.name).collect();
    let rows: Vec<(PositionRow, i64)> = rows(output, &state_sql("positions_log", &columns, Some(upto))).await?;
    Ok(rows.into_iter().filter(|(_, n)| *n > 0).map(|(r, _)| r).collect())
}

/// What the page stages committed as of `upto`: the state of `pages`, the page stages'
/// rows of `failures` (stages `decode` and `ocr`), and of every document read from pages
/// its `doc_id`, `pages` and `extra`.
pub async fn restore_page_outputs(output: &Output, upto: Epoch) -> Result<(Vec<PageRow>, Vec<Failure>, Vec<Document>)> {
    let columns = |decl: &[&'static str]| decl.to_vec();
    let page_columns: Vec<&str> = PageRow::DECLARATION.columns.iter().map(|c| c.name).collect();
    let pages: Vec<(PageRow, i64)> = rows(output, &state_sql("pages_log", &page_columns, Some(upto))).await?;
    let failure_columns: Vec<&str> = Failure::DECLARATION.columns.iter().map(|c| c.name).collect();
    let failures: Vec<(Failure, i64)> = rows(output, &state_sql("failures_log", &failure_columns, Some(upto))).await?;
    let docs: Vec<(Document, i64)> =
        rows(output, &state_sql("documents_log", &columns(&["doc_id", "pages", "extra"]), Some(upto))).await?;
    let live = |n: &i64| *n > 0;
    Ok((
        pages.into_iter().filter(|(_, n)| live(n)).map(|(r, _)| r).collect(),
        failures
            .into_iter()
            .filter(|(f, n)| live(n) && matches!(f.stage, Stage::Decode | Stage::Ocr))
            .map(|(f, _)| f)
            .collect(),
        docs.into_iter().filter(|(d, n)| live(n) && d.pages.is_some()).map(|(d, _)| d).collect(),
    ))
}

/// The committed state operators start from when a job resumes at epoch `resume`: the
/// state of `documents` and `entities` as of `resume - 1`.
pub async fn restore(output: &Output, resume: Epoch) -> Result<wenflow_engine::source::Restored> {
    let upto = resume.saturating_sub(1);
    let documents = restore_documents(output, upto).await?;
    let entities = restore_entities(output, upto).await?;
    tracing::info!(
        documents = documents.len(),
        entities = entities.len(),
        upto_epoch = upto,
        "restored committed state"
    );
    Ok(wenflow_engine::source::Restored { documents, entities })
}
