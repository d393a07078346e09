//! The per-epoch commit of all tables (worker 0 only).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use deltalake::DeltaTable;
use deltalake::kernel::transaction::{CommitBuilder, CommitProperties, TableReference};
use deltalake::kernel::{Action, Add, Transaction};
use deltalake::protocol::{DeltaOperation, SaveMode};
use wenflow_engine::progress::Progress;
use wenflow_engine::schema::{RunRow, TableRow};
use wenflow_engine::sink::{EpochCommitter, Part};
use wenflow_engine::table::Commit;
use wenflow_engine::{EngineError, Epoch};

use super::output::Output;
use super::writer::{encode_parquet, put_with_retry};
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

/// Commits epochs into the Delta tables of an [`Output`]; writes the `runs` row at the end.
pub struct DeltaCommitter {
    output: Output,
    runtime: tokio::runtime::Handle,
    run: RunRow,
    totals: RunTotals,
    progress: Arc<Progress>,
    on_finish: Option<OnFinish>,
}

fn sink_err(table: &str) -> impl Fn(deltalake::DeltaTableError) -> EngineError + '_ {
    move |e| {
        let e = ConnectorError::Delta { table: table.to_owned(), source: e };
        EngineError::Sink { table: table.to_owned(), retryable: e.is_retryable(), message: e.to_string() }
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
        DeltaCommitter { output, runtime, run, totals: RunTotals::default(), progress, on_finish: Some(on_finish) }
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
        let actions: Vec<Action> = parts
            .iter()
            .map(|p| {
                Action::Add(Add {
                    path: p.path.clone(),
                    partition_values: HashMap::new(),
                    size: p.bytes as i64,
                    modification_time: now,
                    data_change: true,
                    stats: p.stats.clone(),
                    tags: None,
                    deletion_vector: None,
                    base_row_id: None,
                    default_row_commit_version: None,
                    clustering_provider: None,
                })
            })
            .collect();
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
/// the store, written and never committed, as by a `kill -9` at that moment. The abort
/// runs no destructors and flushes nothing.
pub(super) fn crash_point(site: Site, table: &str, epoch: Epoch) {
    static TARGET: std::sync::OnceLock<Option<(Site, String, Epoch)>> = std::sync::OnceLock::new();
    let target = TARGET.get_or_init(|| {
        let spec = std::env::var("WENFLOW_CRASH_AFTER").ok()?;
        let (site, rest) = match spec.strip_prefix("part:") {
            Some(rest) => (Site::Part, rest),
            None => (Site::Commit, spec.as_str()),
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
}

async fn commit_with_retry(
    table: &mut DeltaTable,
    name: &str,
    job_id: &str,
    epoch: i64,
    actions: Vec<Action>,
    props: CommitProperties,
) -> wenflow_engine::Result<()> {
    let mut delay = std::time::Duration::from_millis(100);
    for attempt in 1.. {
        let result = {
            let snapshot = table.snapshot().map_err(sink_err(name))?;
            let op = DeltaOperation::Write { mode: SaveMode::Append, partition_by: None, predicate: None };
            CommitBuilder::from(props.clone())
                .with_actions(actions.clone())
                .build(Some(snapshot as &dyn TableReference), table.log_store(), op)
                .await
        };
        match result {
            Ok(_) => return table.update_state().await.map_err(sink_err(name)),
            Err(e) => {
                let err = sink_err(name)(e);
                let retryable = matches!(err, EngineError::Sink { retryable: true, .. });
                if !retryable || attempt >= 5 {
                    return Err(err);
                }
                tracing::warn!(table = name, attempt, error = %err, "commit failed, retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
                table.update_state().await.map_err(sink_err(name))?;
                // The failed attempt may have landed after all (a timeout after the write).
                let landed = table
                    .snapshot()
                    .map_err(sink_err(name))?
                    .transaction_version(table.log_store().as_ref(), job_id)
                    .await;
                if landed.map_err(sink_err(name))?.is_some_and(|v| v >= epoch) {
                    return Ok(());
                }
            }
        }
    }
    unreachable!("the retry loop returns")
}

impl EpochCommitter for DeltaCommitter {
    fn commit(&mut self, epoch: Epoch, parts: Vec<Part>, inputs: u64) -> wenflow_engine::Result<()> {
        let started = std::time::Instant::now();
        if parts.is_empty() && inputs == 0 {
            // Nothing happened (a stream's quiet epoch): no commit, no version in any log.
            return Ok(());
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
            tracing::debug!(
                epoch,
                parts = parts.len(),
                inputs,
                commit_ms = started.elapsed().as_millis() as u64,
                "epoch committed"
            );
        }
        Ok(())
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
                stats: Some(r#"{"numRecords":1}"#.into()),
            };
            self.commit_table(RunRow::TABLE, last, vec![&part])?;
        }
        if let Some(f) = self.on_finish.take() {
            f(&self.totals);
        }
        Ok(())
    }
}
