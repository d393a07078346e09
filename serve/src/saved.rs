//! `wenflow report --html`: the reports and their plots as one self-contained file, the
//! web page with the results inside it instead of a server behind it.

use std::path::Path;

use serde_json::json;
use wenflow_queries::reports::REPORTS;

use crate::Result;
use crate::http::PAGE;
use crate::rows::rows;

/// Where the page takes the saved data.
const SLOT: &str = "<!--wenflow-static-->";

/// The page holding every report that takes no value, over the tables under `data` as of
/// epoch `as_of` (the last committed if `None`).
pub async fn saved_reports(data: &str, as_of: Option<u64>) -> Result<String> {
    let tables = wenflow_queries::Tables::open(Path::new(data)).await?;
    let ctx = wenflow_queries::session();
    let registered = tables.register(&ctx, as_of).await?;
    let mut list = Vec::new();
    let mut results = serde_json::Map::new();
    for r in REPORTS.iter().filter(|r| r.params().is_empty()) {
        let (columns, rows) = rows(&r.run(&ctx, &[]).await?)?;
        list.push(json!({ "name": r.name, "title": r.title(), "params": [] }));
        results.insert(
            r.name.to_owned(),
            json!({ "name": r.name, "title": r.title(), "epoch": registered.epoch, "columns": columns, "rows": rows }),
        );
    }
    let documents = wenflow_queries::run_sql(&ctx, "SELECT count(*) FROM documents")
        .await
        .ok()
        .and_then(|b| {
            b.first().and_then(|b| b.column(0).as_any().downcast_ref::<arrow::array::Int64Array>().map(|a| a.value(0)))
        })
        .unwrap_or(0);
    let saved = json!({
        "status": { "epoch": registered.epoch, "documents": documents, "tables": registered.names },
        "reports": list,
        "results": results,
        "data": data,
        "saved": chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
    });
    // No `<` inside the script: text like `</script>` or `<!--<script` in a document
    // cannot end it early or change how the HTML parser reads it.
    let script = format!("<script>window.WENFLOW_STATIC = {};</script>", saved.to_string().replace('<', "\\u003c"));
    Ok(PAGE.replacen(SLOT, &script, 1))
}
