//! The web page and the JSON API it reads.
//!
//! | route | answer |
//! |---|---|
//! | `GET /` | the page (`page.html`: inline CSS and script, nothing fetched from elsewhere) |
//! | `GET /api/status` | `{epoch, documents, tables, index_epoch}`: the page polls it to follow a stream |
//! | `GET /api/search?q=&dynasty=&collection=&author=&year=&entity=…&limit=` | what `wenflow search --format json` prints |
//! | `GET /api/doc?id=DOC_ID` | the document, its entities, its duplicate cluster with each member's text, its pages, its versions and failures |
//! | `GET /api/reports` | the named reports: `[{name, title, params}]` |
//! | `GET /api/report/NAME?as_of=EPOCH&doc_id=…` | `{name, title, epoch, columns, rows}` |
//!
//! Mistakes in a request are `400` (`404` for what does not exist) with `{"error": …}`;
//! the server goes on serving.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use datafusion::scalar::ScalarValue;
use serde_json::{Value, json};
use wenflow_index::{Filters, SearchRequest};
use wenflow_queries::reports::{REPORTS, report};

use crate::corpus::{Corpus, View};
use crate::rows::{objects, rows};
use crate::{Result, ServeError};

/// The page, compiled in.
pub const PAGE: &str = include_str!("page.html");

/// Most hits one search returns.
const MAX_LIMIT: usize = 200;

/// Serves the page and the API on `listener` until the task is dropped.
///
/// On a loopback address, requests must name a loopback host (`Host: localhost:8080`,
/// `127.0.0.1:8080`, `[::1]:8080`): a web site the user visits cannot then reach the API
/// through a DNS name it points at 127.0.0.1 (DNS rebinding).
pub async fn serve(corpus: Arc<Corpus>, listener: tokio::net::TcpListener) -> Result<()> {
    use axum::serve::ListenerExt;
    let loopback = listener.local_addr().is_ok_and(|a| a.ip().is_loopback());
    let app = router(corpus);
    let app = if loopback { app.layer(axum::middleware::from_fn(loopback_host)) } else { app };
    // No Nagle: small answers go out at once instead of waiting for the client's ACK.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "tcp_nodelay");
        }
    });
    axum::serve(listener, app).await.map_err(|e| ServeError::Server(e.to_string()))
}

/// Refuses a request whose `Host` is not a loopback name.
async fn loopback_host(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let host = request.headers().get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    if matches!(name, "localhost" | "127.0.0.1" | "::1") || name.starts_with("127.") {
        next.run(request).await
    } else {
        failure(StatusCode::FORBIDDEN, format!("host {host:?} is not this machine's loopback name"))
    }
}

/// The routes.
pub fn router(corpus: Arc<Corpus>) -> axum::Router {
    axum::Router::new()
        .route("/", get(|| async { Html(PAGE) }))
        .route("/api/status", get(status))
        .route("/api/search", get(search))
        .route("/api/doc", get(document))
        .route("/api/reports", get(reports))
        .route("/api/report/{name}", get(run_report))
        .fallback(|| async { failure(StatusCode::NOT_FOUND, "no such page") })
        .with_state(corpus)
}

fn failure(code: StatusCode, message: impl Into<String>) -> Response {
    (code, Json(json!({ "error": message.into() }))).into_response()
}

/// A query error as a response: the request's fault is 400, the server's 500.
fn query_failure(e: wenflow_queries::QueryError) -> Response {
    if e.is_usage() {
        failure(StatusCode::BAD_REQUEST, e.to_string())
    } else {
        tracing::warn!(error = %e, "query failed");
        failure(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }
}

async fn status(State(corpus): State<Arc<Corpus>>) -> Response {
    let view = corpus.view();
    Json(json!({
        "epoch": view.epoch,
        "documents": view.documents,
        "tables": view.tables,
        "index_epoch": view.searcher.as_ref().and_then(|s| s.epoch()),
    }))
    .into_response()
}

async fn search(State(corpus): State<Arc<Corpus>>, Query(params): Query<Vec<(String, String)>>) -> Response {
    let view = corpus.view();
    let Some(searcher) = view.searcher.clone() else {
        return failure(StatusCode::NOT_FOUND, "this output has no full-text index");
    };
    let one = |key: &str| {
        params.iter().rev().find(|(k, v)| k == key && !v.trim().is_empty()).map(|(_, v)| v.trim().to_owned())
    };
    let query = one("q").unwrap_or_default();
    if query.is_empty() {
        return failure(StatusCode::BAD_REQUEST, "nothing to search for: give q");
    }
    let limit = match one("limit").map(|l| l.parse::<usize>()) {
        None => 20,
        Some(Ok(n)) => n.clamp(1, MAX_LIMIT),
        Some(Err(_)) => return failure(StatusCode::BAD_REQUEST, "limit: a number of hits"),
    };
    let years = match one("year").map(|y| wenflow_index::parse_years(&y)) {
        None => None,
        Some(Ok(y)) => Some(y),
        Some(Err(e)) => return failure(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let entities: Vec<String> = params
        .iter()
        .filter(|(k, _)| k == "entity")
        .flat_map(|(_, v)| v.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    let request = SearchRequest {
        filters: Filters {
            dynasty: one("dynasty"),
            collection: one("collection"),
            author: one("author"),
            years,
            entities,
        },
        ..SearchRequest::new(query, limit)
    };
    match tokio::task::spawn_blocking(move || crate::corpus::search_json(&searcher, &request)).await {
        Ok(Ok(v)) => Json(v).into_response(),
        Ok(Err(ServeError::Index(e))) if e.is_usage() => failure(StatusCode::BAD_REQUEST, e.to_string()),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "search failed");
            failure(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
        }
        Err(e) => failure(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// Runs `sql` with `$id` bound to `id`, as JSON objects.
///
/// These are point lookups by key: Parquet filter pushdown reads the key column first and
/// then only the rows that match, rather than every row's text (20 ms against 80 for a
/// document of the full corpus). Reports, which keep most rows, run without it.
async fn rows_of(view: &View, sql: &str, id: &str) -> Result<Vec<serde_json::Map<String, Value>>, Response> {
    let started = std::time::Instant::now();
    let mut state = view.ctx.state();
    let parquet = &mut state.config_mut().options_mut().execution.parquet;
    parquet.pushdown_filters = true;
    parquet.reorder_filters = true;
    let plan = state.create_logical_plan(sql).await.map_err(|e| query_failure(e.into()))?;
    let frame = datafusion::dataframe::DataFrame::new(state, plan)
        .with_param_values(vec![("id", ScalarValue::Utf8(Some(id.to_owned())))])
        .map_err(|e| query_failure(e.into()))?;
    let batches = frame.collect().await.map_err(|e| query_failure(e.into()))?;
    tracing::debug!(ms = started.elapsed().as_secs_f64() * 1e3, sql, "document query");
    objects(&batches).map_err(|e| failure(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

async fn document(State(corpus): State<Arc<Corpus>>, Query(params): Query<HashMap<String, String>>) -> Response {
    let Some(id) = params.get("id").filter(|i| !i.is_empty()) else {
        return failure(StatusCode::BAD_REQUEST, "which document? give id");
    };
    let view = corpus.view();
    let result = async {
        // The lookups are independent: they run together.
        let (doc, failures, versions, entities, pages, cluster) = futures::try_join!(
            rows_of(
                &view,
                "SELECT doc_id, source, title, author, collection, dynasty, text, text_simplified, script, chars, \
                 quality, content_hash, pages, ocr_confidence FROM documents WHERE doc_id = $id",
                id,
            ),
            rows_of(&view, "SELECT stage, error, source FROM failures WHERE doc_id = $id ORDER BY stage, error", id),
            rows_of(
                &view,
                "SELECT time, diff, content_hash FROM documents_log WHERE doc_id = $id ORDER BY time, diff",
                id
            ),
            rows_of(
                &view,
                "SELECT kind, text, norm, year, start, \"end\", ambiguous FROM entities WHERE doc_id = $id \
                 ORDER BY start, \"end\" DESC, kind, norm",
                id,
            ),
            rows_of(
                &view,
                "SELECT page, text, confidence, method, engine, model, orientation FROM pages WHERE doc_id = $id \
                 ORDER BY page",
                id,
            ),
            rows_of(&view, "SELECT cluster_id, kind FROM duplicates WHERE doc_id = $id", id),
        )?;
        if doc.is_empty() && failures.is_empty() && versions.is_empty() {
            return Err(failure(StatusCode::NOT_FOUND, format!("no document {id:?} in this output")));
        }
        let cluster = match cluster.first() {
            None => Value::Null,
            Some(c) => {
                let cluster_id = c.get("cluster_id").and_then(Value::as_str).unwrap_or_default().to_owned();
                let members = rows_of(
                    &view,
                    "SELECT d.doc_id, d.similarity, d.doc_id = d.cluster_id AS kept, m.title, m.author, m.collection, \
                     m.dynasty, m.text FROM duplicates d JOIN documents m ON m.doc_id = d.doc_id \
                     WHERE d.cluster_id = $id ORDER BY kept DESC, d.doc_id",
                    &cluster_id,
                )
                .await?;
                json!({ "cluster_id": cluster_id, "kind": c.get("kind"), "members": members })
            }
        };
        Ok::<_, Response>(json!({
            "doc": doc.into_iter().next(),
            "entities": entities,
            "cluster": cluster,
            "pages": pages,
            "versions": versions,
            "failures": failures,
            "epoch": view.epoch,
        }))
    }
    .await;
    match result {
        Ok(v) => Json(v).into_response(),
        Err(r) => r,
    }
}

async fn reports() -> Response {
    let list: Vec<Value> =
        REPORTS.iter().map(|r| json!({ "name": r.name, "title": r.title(), "params": r.params() })).collect();
    Json(list).into_response()
}

async fn run_report(
    State(corpus): State<Arc<Corpus>>,
    Path(name): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let Some(r) = report(&name) else {
        return failure(StatusCode::NOT_FOUND, format!("no report named {name:?}"));
    };
    let mut values = Vec::new();
    for p in r.params() {
        match params.get(p).filter(|v| !v.trim().is_empty()) {
            Some(v) => values.push(v.trim().to_owned()),
            None => return failure(StatusCode::BAD_REQUEST, format!("report {} needs {p}", r.name)),
        }
    }
    let as_of = match params.get("as_of").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match s.parse::<u64>() {
            Ok(e) => Some(e),
            Err(_) => return failure(StatusCode::BAD_REQUEST, format!("as_of {s:?}: an epoch number")),
        },
    };
    let view = corpus.view();
    let (ctx, epoch) = match as_of {
        None => (view.ctx.clone(), view.epoch),
        Some(e) => match corpus.view_as_of(e).await {
            Ok(ctx) => (ctx, e),
            Err(ServeError::Query(q)) => return query_failure(*q),
            Err(e) => return failure(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        },
    };
    match r.run(&ctx, &values).await {
        Ok(batches) => match rows(&batches) {
            Ok((columns, rows)) => {
                Json(json!({ "name": r.name, "title": r.title(), "epoch": epoch, "columns": columns, "rows": rows }))
                    .into_response()
            }
            Err(e) => failure(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        },
        Err(e) => query_failure(e),
    }
}
