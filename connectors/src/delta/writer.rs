//! Per-worker Parquet parts of one table.

use std::marker::PhantomData;
use std::sync::Arc;

use deltalake::ObjectStore;
use object_store::{ObjectStoreExt, PutPayload};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use wenflow_engine::schema::TableRow;
use wenflow_engine::sink::{Part, PartWriter};
use wenflow_engine::{EngineError, Epoch};

use crate::ConnectorError;

/// Writes one worker's rows of table `R` as one Parquet file per epoch.
pub struct DeltaPartWriter<R> {
    store: Arc<dyn ObjectStore>,
    runtime: tokio::runtime::Handle,
    worker: usize,
    /// The last epoch of this job the table already holds: nothing at or before it is written.
    committed: Option<Epoch>,
    _rows: PhantomData<R>,
}

impl<R: TableRow> DeltaPartWriter<R> {
    /// A writer into `store` (rooted at the table), for `worker`.
    pub fn new(
        store: Arc<dyn ObjectStore>,
        runtime: tokio::runtime::Handle,
        worker: usize,
        committed: Option<Epoch>,
    ) -> Self {
        DeltaPartWriter { store, runtime, worker, committed, _rows: PhantomData }
    }
}

fn sink_err(table: &str, e: ConnectorError) -> EngineError {
    EngineError::Sink { table: table.to_owned(), retryable: e.is_retryable(), message: e.to_string() }
}

/// How long a write or a commit is attempted again after a failure. The store's client
/// already retries transient failures for `--s3-retry-s`; these attempts only cover
/// failures that come back quickly, so a store that stays down fails the job after about
/// that long, not five times that.
pub(crate) const QUICK_RETRIES: std::time::Duration = std::time::Duration::from_secs(10);

/// How every data file of a table is written: Snappy-compressed Parquet.
pub(crate) fn parquet_properties() -> WriterProperties {
    WriterProperties::builder().set_compression(Compression::SNAPPY).build()
}

/// Delta's statistics of a data file: its row count, the only statistic wenflow's readers
/// use.
pub(crate) fn file_stats(rows: u64) -> String {
    serde_json::json!({ "numRecords": rows }).to_string()
}

/// The `add` action of data file `path` (relative to the table), unpartitioned, as every
/// file wenflow commits is: an epoch's part (`data_change`) or a compacted file (not).
pub(crate) fn add_file(
    path: String,
    size: u64,
    stats: Option<String>,
    data_change: bool,
    modification_time: i64,
) -> deltalake::kernel::Action {
    deltalake::kernel::Action::Add(deltalake::kernel::Add {
        path,
        partition_values: std::collections::HashMap::new(),
        size: i64::try_from(size).unwrap_or(i64::MAX),
        modification_time,
        data_change,
        stats,
        tags: None,
        deletion_vector: None,
        base_row_id: None,
        default_row_commit_version: None,
        clustering_provider: None,
    })
}

/// Encodes a batch as Snappy-compressed Parquet.
pub(crate) fn encode_parquet(batch: &arrow::record_batch::RecordBatch) -> Result<Vec<u8>, ConnectorError> {
    let mut buf = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut buf, batch.schema(), Some(parquet_properties()))?;
    writer.write(batch)?;
    writer.close()?;
    Ok(buf)
}

/// Puts `bytes` at `path`, retrying transient failures with backoff.
pub(crate) async fn put_with_retry(
    store: &dyn ObjectStore,
    path: &object_store::path::Path,
    bytes: Vec<u8>,
) -> Result<(), ConnectorError> {
    let payload = PutPayload::from(bytes);
    let mut delay = std::time::Duration::from_millis(100);
    let started = std::time::Instant::now();
    for attempt in 1.. {
        match store.put(path, payload.clone()).await {
            Ok(_) => return Ok(()),
            Err(e) => {
                let e = ConnectorError::from(e);
                if !e.is_retryable() || attempt >= 5 || started.elapsed() > QUICK_RETRIES {
                    return Err(e);
                }
                tracing::warn!(path = %path, attempt, error = %e, "put failed, retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
    }
    unreachable!("the retry loop returns")
}

impl<R: TableRow> PartWriter<R> for DeltaPartWriter<R> {
    fn write(&mut self, epoch: Epoch, rows: &[(R, Epoch, i64)]) -> wenflow_engine::Result<Option<Part>> {
        if self.committed.is_some_and(|c| epoch <= c) {
            return Ok(None);
        }
        let started = std::time::Instant::now();
        let batch = R::to_batch(rows)?;
        let bytes = encode_parquet(&batch).map_err(|e| sink_err(R::TABLE, e))?;
        let size = bytes.len() as u64;
        let name = format!("part-e{epoch:08}-w{:04}-{}.snappy.parquet", self.worker, uuid::Uuid::new_v4());
        let path = object_store::path::Path::from(name.as_str());
        self.runtime.block_on(put_with_retry(self.store.as_ref(), &path, bytes)).map_err(|e| sink_err(R::TABLE, e))?;
        super::committer::crash_point(super::committer::Site::Part, R::TABLE, epoch);
        let inserts = rows.iter().filter(|r| r.2 > 0).map(|r| r.2 as u64).sum();
        let retracts = rows.iter().filter(|r| r.2 < 0).map(|r| r.2.unsigned_abs()).sum();
        let stats = file_stats(rows.len() as u64);
        tracing::debug!(
            table = R::TABLE,
            epoch,
            worker = self.worker,
            rows = rows.len(),
            bytes = size,
            write_ms = started.elapsed().as_millis() as u64,
            "part written"
        );
        Ok(Some(Part {
            table: R::TABLE.to_owned(),
            epoch,
            worker: self.worker,
            path: name,
            bytes: size,
            inserts,
            retracts,
            stats: Some(stats),
        }))
    }
}
