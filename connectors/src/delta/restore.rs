//! Reading committed state back, so a resumed job's operators do not start empty.

use std::collections::HashMap;

use arrow::array::{Array, AsArray};
use arrow::datatypes::Int64Type;
use deltalake::datafusion::prelude::SessionContext;
use wenflow_engine::schema::TableRow;
use wenflow_engine::{Document, Epoch};

use super::output::Output;
use crate::{ConnectorError, Result};

fn query_err(e: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::Query(e.to_string())
}

/// The documents of the job's output as of epoch `upto`: the `documents` change log up to
/// `upto` with the diffs folded, each with its multiplicity.
pub async fn restore_documents(output: &Output, upto: Epoch) -> Result<Vec<(Document, i64)>> {
    let Some(table) = output.tables.get(Document::TABLE) else {
        return Ok(Vec::new());
    };
    let ctx = SessionContext::new();
    table.update_datafusion_session(&ctx.state()).map_err(query_err)?;
    let provider = table.table_provider().await.map_err(query_err)?;
    ctx.register_table("documents_log", provider).map_err(query_err)?;
    let sql = format!(
        "SELECT doc_id, source, title, author, collection, dynasty, extra, text, content_hash, diff FROM documents_log WHERE time <= {upto}"
    );
    let batches = ctx.sql(&sql).await.map_err(query_err)?.collect().await.map_err(query_err)?;
    let mut folded: HashMap<Document, i64> = HashMap::new();
    for batch in batches {
        let s = |i: usize| -> Result<arrow::array::StringArray> {
            let utf8 = arrow::compute::cast(batch.column(i), &arrow::datatypes::DataType::Utf8)?;
            Ok(utf8.as_string::<i32>().clone())
        };
        let (doc_id, source, title, author, collection, dynasty, extra, text, hash) =
            (s(0)?, s(1)?, s(2)?, s(3)?, s(4)?, s(5)?, s(6)?, s(7)?, s(8)?);
        let diff = batch.column(9).as_primitive::<Int64Type>().clone();
        let opt = |a: &arrow::array::StringArray, row: usize| (!a.is_null(row)).then(|| a.value(row).to_owned());
        for row in 0..batch.num_rows() {
            let extra = opt(&extra, row).and_then(|j| serde_json::from_str(&j).ok()).unwrap_or_default();
            let doc = Document {
                doc_id: doc_id.value(row).to_owned(),
                source: source.value(row).to_owned(),
                title: opt(&title, row),
                author: opt(&author, row),
                collection: opt(&collection, row),
                dynasty: opt(&dynasty, row),
                extra,
                text: text.value(row).to_owned(),
                content_hash: hash.value(row).to_owned(),
                ..Document::default()
            };
            *folded.entry(doc).or_default() += diff.value(row);
        }
    }
    let mut docs: Vec<(Document, i64)> = folded.into_iter().filter(|(_, n)| *n != 0).collect();
    docs.sort();
    Ok(docs)
}
