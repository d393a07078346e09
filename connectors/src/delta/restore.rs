//! Reading committed state back, so a resumed job's operators do not start empty.

use arrow::array::AsArray;
use arrow::datatypes::Int64Type;
use deltalake::datafusion::prelude::SessionContext;
use wenflow_engine::schema::TableRow;
use wenflow_engine::{Document, Epoch};

use super::output::Output;
use crate::{ConnectorError, Result};

fn query_err(e: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::Query(e.to_string())
}

/// The identities of the job's documents as of epoch `upto`: `doc_id` and `content_hash`
/// of every document the `documents` change log holds up to `upto` (diffs folded), with
/// its multiplicity. The text is not read: stateful operators key on id and hash only, and
/// the restored records are never written again (their epoch is committed).
pub async fn restore_documents(output: &Output, upto: Epoch) -> Result<Vec<(Document, i64)>> {
    let Some(table) = output.tables.get(Document::TABLE) else {
        return Ok(Vec::new());
    };
    let ctx = SessionContext::new();
    table.update_datafusion_session(&ctx.state()).map_err(query_err)?;
    let provider = table.table_provider().await.map_err(query_err)?;
    ctx.register_table("documents_log", provider).map_err(query_err)?;
    let sql = format!(
        "SELECT doc_id, content_hash, CAST(SUM(diff) AS BIGINT) AS n FROM documents_log WHERE time <= {upto} \
         GROUP BY doc_id, content_hash HAVING SUM(diff) <> 0 ORDER BY doc_id, content_hash"
    );
    let batches = ctx.sql(&sql).await.map_err(query_err)?.collect().await.map_err(query_err)?;
    let mut docs = Vec::new();
    for batch in batches {
        let utf8 = |i: usize| -> Result<arrow::array::StringArray> {
            let col = arrow::compute::cast(batch.column(i), &arrow::datatypes::DataType::Utf8)?;
            Ok(col.as_string::<i32>().clone())
        };
        let (doc_id, hash) = (utf8(0)?, utf8(1)?);
        let n = batch.column(2).as_primitive::<Int64Type>();
        for row in 0..batch.num_rows() {
            let doc = Document {
                doc_id: doc_id.value(row).to_owned(),
                source: format!("restored from {}", Document::TABLE),
                content_hash: hash.value(row).to_owned(),
                ..Document::default()
            };
            docs.push((doc, n.value(row)));
        }
    }
    Ok(docs)
}
