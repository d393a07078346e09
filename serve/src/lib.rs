//! `wenflow serve`: one process that serves an output root while jobs write it.
//!
//! - **Arrow Flight SQL** ([`flight`]): stock clients (ADBC, JDBC, `arrow-flight`'s own)
//!   run SQL over the current-state views and the change logs, with prepared statements
//!   and the metadata calls (catalogs, schemas, tables with their schemas), which answer
//!   without a catalog argument as the ADBC driver sends none.
//! - **HTTP** ([`http`]): the web page for searching and reading the corpus (one
//!   self-contained file, nothing fetched from elsewhere) and the JSON API it reads.
//!
//! Both read one [`Corpus`]: the tables as of the last whole epoch and the index, re-read
//! when a job commits more epochs, so a running stream shows up without a restart.

mod corpus;
pub mod error;
pub mod flight;
pub mod http;
mod rows;
mod saved;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use corpus::{Corpus, View, open_index, search_json};
pub use error::{Result, ServeError};
pub use saved::saved_reports;

/// What `wenflow serve` serves, and where.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The output root: a local folder or `s3://bucket/prefix`.
    pub data: String,
    /// Local cache of an index in an object store (default under `~/.cache/wenflow/index`).
    pub index_cache: Option<PathBuf>,
    /// The Flight SQL address, if served.
    pub flight_addr: Option<SocketAddr>,
    /// The HTTP address, if served.
    pub http_addr: Option<SocketAddr>,
    /// How often the output root is checked for new epochs.
    pub refresh: Duration,
    /// Memory the running queries together may hold, in bytes; a query that needs more
    /// fails with an error instead of the server running out.
    pub memory: usize,
}

/// Serves until the process is interrupted (Ctrl-C or SIGTERM). Binding either address
/// fails before anything is served.
pub async fn serve(options: ServeOptions) -> Result<()> {
    let corpus = Arc::new(Corpus::open(options.data.clone(), options.index_cache.clone(), options.memory).await?);
    let flight = match options.flight_addr {
        Some(addr) => {
            Some((tokio::net::TcpListener::bind(addr).await.map_err(|source| ServeError::Bind { addr, source })?, addr))
        }
        None => None,
    };
    let web = match options.http_addr {
        Some(addr) => {
            Some((tokio::net::TcpListener::bind(addr).await.map_err(|source| ServeError::Bind { addr, source })?, addr))
        }
        None => None,
    };
    let refresher = tokio::spawn(corpus::refresh_forever(Arc::clone(&corpus), options.refresh));
    let mut tasks = tokio::task::JoinSet::new();
    if let Some((listener, addr)) = flight {
        let local = listener.local_addr().unwrap_or(addr);
        tracing::info!(addr = %local, "flight sql listening");
        println!("flight sql  grpc://{local}");
        tasks.spawn(flight::serve(Arc::clone(&corpus), listener));
    }
    if let Some((listener, addr)) = web {
        let local = listener.local_addr().unwrap_or(addr);
        tracing::info!(addr = %local, "http listening");
        println!("web page    http://{local}/");
        tasks.spawn(http::serve(Arc::clone(&corpus), listener));
    }
    let view = corpus.view();
    println!(
        "serving     {} (epoch {}, {} tables, index {})",
        options.data,
        view.epoch,
        view.tables.len(),
        view.searcher.as_ref().map_or("none".to_owned(), |s| format!("{} documents", s.num_docs()))
    );
    let result = tokio::select! {
        _ = shutdown() => Ok(()),
        Some(done) = tasks.join_next() => done.map_err(|e| ServeError::Server(e.to_string())).and_then(|r| r),
    };
    refresher.abort();
    result
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}
