//! End-to-end tests of the `wenflow` binary against real components: Delta tables written
//! by the binary and read back by DataFusion (`wenflow sql`), by the `deltalake` Python
//! package and by DuckDB (both from the venv `make setup` creates; `WENFLOW_PYTHON`), and
//! the real chinese-poetry corpus (`WENFLOW_CORPUS`, fetched by `make setup`).

mod e2e {
    pub mod clean;
    pub mod cluster;
    pub mod entities;
    pub mod ingest;
    pub mod kafka;
    pub mod ocr;
    pub mod poetry;
    pub mod readers;
    pub mod reports;
    pub mod resume;
    pub mod s3;
    pub mod s3_faults;
    pub mod search;
    pub mod serve;
    pub mod stream;
    pub mod support;
}
