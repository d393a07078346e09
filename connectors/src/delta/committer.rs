//! The per-epoch commit of all tables (worker 0 only).

use std::collections::BTreeMap;
use std::future::IntoFuture;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use deltalake::DeltaTable;
use deltalake::kernel::transaction::{CommitBuilder, CommitProperties, TableReference};
use deltalake::kernel::{Action, Transaction};
use deltalake::operations::vacuum::VacuumMode;
use deltalake::protocol::{DeltaOperation, SaveMode};
use wenflow_engine::progress::Progress;
use wenflow_engine::schema::{RunRow, TableRow};
use wenflow_engine::sink::{EpochCommitter, Part};
use wenflow_engine::table::Commit;
use wenflow_engine::{EngineError, Epoch};

use super::output::Output;
use super::writer::{add_file, encode_parquet, file_stats, put_with_retry};
use crate::ConnectorError;

/// Totals of what one run committed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunTotals {
    /// Input records read.
    pub inputs: u64,
    /// Net rows added per table.
    pub rows: BTreeMap<String, i64>,
    /// First and last epoch this run committed.
    pub epochs: Option<(Epoch, Epoch)>,
}

/// Receives the run's totals once the last epoch is committed.
pub type OnFinish = Box<dyn FnOnce(&RunTotals) + Send>;

/// Upkeep of tables that commit for a long time (a stream commits thousands of epochs).
///
/// - **Log checkpoints** are deltalake's own post-commit hook: a checkpoint every
///   `delta.checkpointInterval` versions (100), and expired log files removed after
///   `delta.logRetentionDuration` (30 days), so opening a table reads one checkpoint and
///   fewer than 100 commits whatever its age.
/// - **Compaction**: every `compact_every` committed epochs, each table with at least
///   `min_files` data files has its small files rewritten into files of about
///   `target_bytes` ([`compact`](super::compact), Delta's bin-packing `OPTIMIZE`: a commit
///   with `dataChange = false`, readers see the same rows).
/// - **Vacuum**: right after, files that compaction removed from the table and that are
///   older than `retention` are deleted. The change log's `time` column keeps every
///   epoch's history in the live files, so old table versions are not needed for history;
///   the retention only has to outlast the longest read that started before a compaction
///   (a DuckDB report, a Python reader): an hour by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Maintenance {
    /// Compact (then vacuum) every this many committed epochs; 0: never.
    pub compact_every: u64,
    /// Tables with fewer data files are left as they are.
    pub min_files: usize,
    /// Target size of compacted files.
    pub target_bytes: u64,
    /// Files removed by compaction are deleted once older than this.
    pub retention: std::time::Duration,
}

impl Maintenance {
    /// No compaction: a batch job writes a few large files per epoch.
    pub const NONE: Maintenance =
        Maintenance { compact_every: 0, min_files: 0, target_bytes: 0, retention: std::time::Duration::ZERO };

    /// The stream default: compaction every 100 epochs of tables with 50 files or more,
    /// into files of 128 MiB, vacuum after an hour.
    pub const STREAM: Maintenance = Maintenance {
        compact_every: 100,
        min_files: 50,
        target_bytes: 128 << 20,
        retention: std::time::Duration::from_secs(3600),
    };
}

/// Commits epochs into the Delta tables of an [`Output`]; writes the `runs` row at the end.
pub struct DeltaCommitter {
    output: Output,
    runtime: tokio::runtime::Handle,
    run: RunRow,
    totals: RunTotals,
    progress: Arc<Progress>,
    on_finish: Option<OnFinish>,
    maintenance: Maintenance,
    /// Epochs committed since the last compaction.
    since_compaction: u64,
}

/// A Delta error of table `name` as the sink's error. The message names where the table
/// is: the store's own message may not (a failed listing names the bucket and a URL-encoded
/// prefix).
fn sink_err<'a>(name: &'a str, table: &DeltaTable) -> impl Fn(deltalake::DeltaTableError) -> EngineError + 'a {
    let at = table.table_url().to_string();
    move |e| {
        let e = ConnectorError::Delta { table: format!("{name} ({at})"), source: e };
        EngineError::Sink { table: name.to_owned(), retryable: e.is_retryable(), message: e.to_string() }
    }
}

impl DeltaCommitter {
    /// A committer for `output`. `run` is the `runs` row to complete and write at the end;
    /// `on_finish` receives the run's totals after the last commit.
    pub fn new(
        output: Output,
        runtime: tokio::runtime::Handle,
        run: RunRow,
        progress: Arc<Progress>,
        on_finish: OnFinish,
    ) -> Self {
        DeltaCommitter {
            output,
            runtime,
            run,
            totals: RunTotals::default(),
            progress,
            on_finish: Some(on_finish),
            maintenance: Maintenance::NONE,
            since_compaction: 0,
        }
    }

    /// The same committer with `maintenance`.
    pub fn with_maintenance(mut self, maintenance: Maintenance) -> Self {
        self.maintenance = maintenance;
        self
    }

    /// Deletes the files an earlier compaction replaced once they are older than the
    /// retention (a run stopped between compacting and vacuuming leaves them). The leader
    /// calls it before the workers start. With `unreferenced`, also the data files no
    /// commit names (a run killed after writing an epoch's or a compaction's files and
    /// before committing them leaves them); only safe when no other process can be
    /// writing files it has not yet committed, i.e. in a single-process job.
    pub fn vacuum(&mut self, unreferenced: bool) -> wenflow_engine::Result<usize> {
        if self.maintenance.compact_every == 0 {
            return Ok(0);
        }
        let retention = chrono::Duration::from_std(self.maintenance.retention).unwrap_or(chrono::Duration::hours(1));
        let mut deleted = 0;
        let names: Vec<&'static str> = self.output.tables.keys().copied().collect();
        for name in names {
            let Some(table) = self.output.tables.get(name).cloned() else { continue };
            let err = sink_err(name, &table);
            let (table, metrics) = self
                .runtime
                .block_on(
                    table
                        .vacuum()
                        .with_retention_period(retention)
                        .with_enforce_retention_duration(false)
                        .with_mode(if unreferenced { VacuumMode::Full } else { VacuumMode::Lite })
                        .into_future(),
                )
                .map_err(err)?;
            deleted += metrics.files_deleted.len();
            self.output.tables.insert(name, table);
        }
        Ok(deleted)
    }

    /// Compacts and vacuums the tables with many files (see [`Maintenance`]).
    fn maintain(&mut self, epoch: Epoch) -> wenflow_engine::Result<()> {
        let m = self.maintenance;
        let names: Vec<&'static str> = self.output.tables.keys().copied().collect();
        for name in names {
            let Some(table) = self.output.tables.get(name) else { continue };
            let files = table.snapshot().map_err(sink_err(name, table))?.log_data().num_files();
            if files < m.min_files.max(2) {
                continue;
            }
            let started = std::time::Instant::now();
            let table = table.clone();
            let retention = chrono::Duration::from_std(m.retention).unwrap_or(chrono::Duration::hours(1));
            let (table, compacted, deleted) = self
                .runtime
                .block_on(async move {
                    let (table, compacted) = super::compact::compact(table, name, m.target_bytes).await?;
                    crash_point(Site::Compact, name, epoch);
                    let (table, vacuumed) = table
                        .vacuum()
                        .with_retention_period(retention)
                        .with_enforce_retention_duration(false)
                        .await
                        .map_err(|source| ConnectorError::Delta { table: name.to_owned(), source })?;
                    Ok::<_, ConnectorError>((table, compacted, vacuumed.files_deleted.len()))
                })
                .map_err(|e| EngineError::Sink {
                    table: name.to_owned(),
                    retryable: e.is_retryable(),
                    message: e.to_string(),
                })?;
            tracing::info!(
                table = name,
                epoch,
                files_before = files,
                files_removed = compacted.files_removed,
                files_added = compacted.files_added,
                rows = compacted.rows,
                files_deleted = deleted,
                ms = started.elapsed().as_millis() as u64,
                "compacted"
            );
            self.output.tables.insert(name, table);
        }
        Ok(())
    }

    fn commit_table(&mut self, name: &'static str, epoch: Epoch, parts: Vec<&Part>) -> wenflow_engine::Result<()> {
        let job_id = self.output.job_id.clone();
        let Some(table) = self.output.tables.get_mut(name) else {
            return Err(EngineError::Sink {
                table: name.to_owned(),
                message: "table is not open".into(),
                retryable: false,
            });
        };
        let now = chrono::Utc::now().timestamp_millis();
        let actions: Vec<Action> =
            parts.iter().map(|p| add_file(p.path.clone(), p.bytes, p.stats.clone(), true, now)).collect();
        let txn = Transaction::new_with_last_update(&job_id, epoch as i64, Some(now));
        let props = CommitProperties::default().with_application_transaction(txn).with_metadata([
            ("wenflow_epoch".to_owned(), serde_json::json!(epoch)),
            ("wenflow_job".to_owned(), serde_json::json!(job_id)),
        ]);
        let runtime = self.runtime.clone();
        runtime.block_on(commit_with_retry(table, name, &job_id, epoch as i64, actions, props))?;
        self.output.committed.insert(name, Some(epoch));
        crash_point(Site::Commit, name, epoch);
        Ok(())
    }
}

/// Failpoint for crash tests: `WENFLOW_CRASH_AFTER=<table>:<epoch>` aborts the process
/// right after that table's commit of that epoch, leaving the other tables behind;
/// `WENFLOW_CRASH_AFTER=part:<table>:<epoch>` aborts it right after a worker has written its
/// part of that epoch of that table, before any commit of the epoch: the part is left on
/// the store, written and never committed, as by a `kill -9` at that moment;
/// `WENFLOW_CRASH_AFTER=compact:<table>:<epoch>` aborts it right after the compaction that
/// followed that epoch committed that table's new files, before the files they replace are
/// vacuumed and before the tables after it are compacted. The abort runs no destructors and
/// flushes nothing.
pub(super) fn crash_point(site: Site, table: &str, epoch: Epoch) {
    static TARGET: std::sync::OnceLock<Option<(Site, String, Epoch)>> = std::sync::OnceLock::new();
    let target = TARGET.get_or_init(|| {
        let spec = std::env::var("WENFLOW_CRASH_AFTER").ok()?;
        let (site, rest) = if let Some(rest) = spec.strip_prefix("part:") {
            (Site::Part, rest)
        } else if let Some(rest) = spec.strip_prefix("compact:") {
            (Site::Compact, rest)
        } else {
            (Site::Commit, spec.as_str())
        };
        let (t, e) = rest.split_once(':')?;
        Some((site, t.to_owned(), e.parse().ok()?))
    });
    if target.as_ref().is_some_and(|(s, t, e)| *s == site && t == table && *e == epoch) {
        tracing::error!(table, epoch, ?site, "WENFLOW_CRASH_AFTER: aborting");
        std::process::abort();
    }
}

/// Where [`crash_point`] may abort.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Site {
    /// After a table's commit of an epoch.
    Commit,
    /// After a worker wrote its part of an epoch of a table.
    Part,
    /// After a table's compaction commit, before its vacuum.
    Compact,
}

async fn commit_with_retry(
    table: &mut DeltaTable,
    name: &str,
    job_id: &str,
    epoch: i64,
    actions: Vec<Action>,
    props: CommitProperties,
) -> wenflow_engine::Result<()> {
    let err = sink_err(name, table);
    let mut delay = std::time::Duration::from_millis(100);
    let started = std::time::Instant::now();
    for attempt in 1.. {
        let result = {
            let snapshot = table.snapshot().map_err(&err)?;
            let op = DeltaOperation::Write { mode: SaveMode::Append, partition_by: None, predicate: None };
            CommitBuilder::from(props.clone())
                .with_actions(actions.clone())
                .build(Some(snapshot as &dyn TableReference), table.log_store(), op)
                .await
        };
        match result {
            Ok(_) => return table.update_state().await.map_err(&err),
            Err(e) => {
                let e = err(e);
                let retryable = matches!(e, EngineError::Sink { retryable: true, .. });
                if !retryable || attempt >= 5 || started.elapsed() > super::writer::QUICK_RETRIES {
                    return Err(e);
                }
                tracing::warn!(table = name, attempt, error = %e, "commit failed, retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
                table.update_state().await.map_err(&err)?;
                // The failed attempt may have landed after all (a timeout after the write).
                let landed =
                    table.snapshot().map_err(&err)?.transaction_version(table.log_store().as_ref(), job_id).await;
                if landed.map_err(&err)?.is_some_and(|v| v >= epoch) {
                    return Ok(());
                }
            }
        }
    }
    unreachable!("the retry loop returns")
}

impl EpochCommitter for DeltaCommitter {
    fn commit(&mut self, epoch: Epoch, parts: Vec<Part>, inputs: u64) -> wenflow_engine::Result<bool> {
        let started = std::time::Instant::now();
        if parts.is_empty() && inputs == 0 {
            // Nothing happened (a stream's quiet epoch): no commit, no version in any log.
            return Ok(false);
        }
        let mut any = false;
        // The input log first: an epoch some table holds is in the log, to be replayed.
        let tables = wenflow_engine::schema::tables().into_iter().filter(|t| t.commit != Commit::EndOfRun);
        let open: Vec<&'static str> =
            tables.map(|t| t.name).filter(|name| self.output.tables.contains_key(name)).collect();
        for name in open {
            if self.output.committed.get(name).copied().flatten().is_some_and(|c| epoch <= c) {
                continue;
            }
            let mine: Vec<&Part> = parts.iter().filter(|p| p.table == name).collect();
            let net: i64 = mine.iter().map(|p| p.inserts as i64 - p.retracts as i64).sum();
            self.commit_table(name, epoch, mine)?;
            *self.totals.rows.entry(name.to_owned()).or_default() += net;
            any = true;
        }
        if any {
            self.totals.inputs += inputs;
            self.totals.epochs = Some(self.totals.epochs.map_or((epoch, epoch), |(first, _)| (first, epoch)));
            self.progress.epochs_committed.fetch_add(1, Ordering::Relaxed);
            self.since_compaction += 1;
            if self.maintenance.compact_every > 0 && self.since_compaction >= self.maintenance.compact_every {
                self.since_compaction = 0;
                self.maintain(epoch)?;
            }
            tracing::debug!(
                epoch,
                parts = parts.len(),
                inputs,
                commit_ms = started.elapsed().as_millis() as u64,
                "epoch committed"
            );
        }
        Ok(true)
    }

    fn finish(&mut self) -> wenflow_engine::Result<()> {
        if let Some((first, last)) = self.totals.epochs {
            let rows = &self.totals.rows;
            let mut run = self.run.clone();
            run.finished_us = chrono::Utc::now().timestamp_micros();
            run.first_epoch = first;
            run.last_epoch = last;
            run.inputs = self.totals.inputs;
            run.documents = rows.get("documents").copied().unwrap_or(0);
            run.duplicates = rows.get("duplicates").copied().unwrap_or(0);
            run.failures = rows.get("failures").copied().unwrap_or(0);
            let batch = RunRow::to_batch(&[(run, last, 1)])?;
            let bytes = encode_parquet(&batch).map_err(|e| EngineError::Sink {
                table: "runs".into(),
                retryable: false,
                message: e.to_string(),
            })?;
            let name = format!("part-e{last:08}-run-{}.snappy.parquet", uuid::Uuid::new_v4());
            let size = bytes.len() as u64;
            let store = self.output.store(RunRow::TABLE).ok_or_else(|| EngineError::Sink {
                table: "runs".into(),
                retryable: false,
                message: "table is not open".into(),
            })?;
            let path = object_store::path::Path::from(name.as_str());
            self.runtime.block_on(put_with_retry(store.as_ref(), &path, bytes)).map_err(|e| EngineError::Sink {
                table: "runs".into(),
                retryable: e.is_retryable(),
                message: e.to_string(),
            })?;
            let part = Part {
                table: RunRow::TABLE.into(),
                epoch: last,
                worker: 0,
                path: name,
                bytes: size,
                inserts: 1,
                retracts: 0,
                stats: Some(file_stats(1)),
            };
            self.commit_table(RunRow::TABLE, last, vec![&part])?;
        }
        if let Some(f) = self.on_finish.take() {
            f(&self.totals);
        }
        Ok(())
    }
}
