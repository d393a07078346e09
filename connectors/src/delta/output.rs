//! Opening (or creating) the output tables and reading what a job has committed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use deltalake::kernel::StructType;
use deltalake::kernel::engine::arrow_conversion::TryIntoKernel;
use deltalake::protocol::SaveMode;
use deltalake::{DeltaTable, ObjectStore};
use url::Url;
use wenflow_engine::schema::DATA_TABLES;
use wenflow_engine::schema::{RunRow, TableRow};
use wenflow_engine::{CleanChange, Document, DuplicateRow, EntityCount, EntityRow, Failure, PageRow};

use crate::{ConnectorError, Result};

const MARKER: &str = "_wenflow_job";

/// The URL of table `name` under the output root.
pub fn table_url(root: &Path, name: &str) -> Result<Url> {
    let path = root.join(name);
    Url::from_directory_path(&path).map_err(|()| ConnectorError::Input {
        path: path.display().to_string(),
        message: "not an absolute path".into(),
    })
}

/// The output root of one job: its tables, and what each already holds of the job.
pub struct Output {
    /// Absolute output root.
    pub root: PathBuf,
    /// The job id (the Delta `txn` application id).
    pub job_id: String,
    /// The tables, by name.
    pub tables: BTreeMap<&'static str, DeltaTable>,
    /// Per table, the last epoch of this job it holds.
    pub committed: BTreeMap<&'static str, Option<u64>>,
}

fn schemas() -> [(&'static str, SchemaRef); 8] {
    [
        (Document::TABLE, Document::schema()),
        (DuplicateRow::TABLE, DuplicateRow::schema()),
        (Failure::TABLE, Failure::schema()),
        (EntityRow::TABLE, EntityRow::schema()),
        (EntityCount::TABLE, EntityCount::schema()),
        (CleanChange::TABLE, CleanChange::schema()),
        (PageRow::TABLE, PageRow::schema()),
        (RunRow::TABLE, RunRow::schema()),
    ]
}

fn delta_err(table: &str) -> impl Fn(deltalake::DeltaTableError) -> ConnectorError + '_ {
    move |source| ConnectorError::Delta { table: table.to_owned(), source }
}

impl Output {
    /// Opens the tables under `root` for `job_id`. The leader (process 0) creates missing
    /// tables; other processes wait for them. Refuses a root that holds another job's output.
    pub async fn open(root: &Path, job_id: &str, leader: bool) -> Result<Output> {
        std::fs::create_dir_all(root)
            .map_err(|source| ConnectorError::Io { path: root.display().to_string(), source })?;
        let root =
            root.canonicalize().map_err(|source| ConnectorError::Io { path: root.display().to_string(), source })?;
        claim(&root, job_id)?;
        let mut tables = BTreeMap::new();
        let mut committed = BTreeMap::new();
        for (name, schema) in schemas() {
            let table =
                if leader { open_or_create(&root, name, &schema).await? } else { wait_and_open(&root, name).await? };
            let version = table
                .snapshot()
                .map_err(delta_err(name))?
                .transaction_version(table.log_store().as_ref(), job_id)
                .await
                .map_err(delta_err(name))?;
            committed.insert(name, version.and_then(|v| u64::try_from(v).ok()));
            tables.insert(name, table);
        }
        Ok(Output { root, job_id: job_id.to_owned(), tables, committed })
    }

    /// The first epoch that some data table does not hold yet (`first_epoch` if none
    /// holds anything). Epochs before it are not read again.
    pub fn resume_epoch(&self, first_epoch: u64) -> u64 {
        DATA_TABLES
            .iter()
            .map(|t| self.committed.get(t).copied().flatten().map_or(first_epoch, |e| e + 1))
            .min()
            .unwrap_or(first_epoch)
            .max(first_epoch)
    }

    /// Deletes the data files that runs of this job wrote for epochs a table never
    /// committed (a crash between writing a part and committing it leaves one behind).
    /// Delta readers never see them, but readers that glob the Parquet files would. Call it
    /// before the workers start: only this job writes here, and no part of an uncommitted
    /// epoch is in flight then. Returns how many files were deleted.
    pub async fn remove_orphans(&self) -> Result<usize> {
        use futures::TryStreamExt;
        use object_store::ObjectStoreExt;
        let mut removed = 0;
        for (name, table) in &self.tables {
            let committed = self.committed.get(name).copied().flatten();
            let store = table.object_store();
            let files: Vec<object_store::ObjectMeta> = store.list(None).try_collect().await?;
            for meta in files {
                let Some(file) = meta.location.filename() else { continue };
                let epoch = file.strip_prefix("part-e").and_then(|r| r.get(..8)).and_then(|e| e.parse::<u64>().ok());
                if let Some(epoch) = epoch
                    && committed.is_none_or(|c| epoch > c)
                {
                    store.delete(&meta.location).await?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }

    /// The object store holding table `name`'s files.
    pub fn store(&self, name: &str) -> Option<Arc<dyn ObjectStore>> {
        self.tables.get(name).map(DeltaTable::object_store)
    }
}

/// Records `job_id` as the owner of `root`, or fails if another job owns it.
fn claim(root: &Path, job_id: &str) -> Result<()> {
    let marker = root.join(MARKER);
    match std::fs::read_to_string(&marker) {
        Ok(found) if found.trim() == job_id => Ok(()),
        Ok(found) => {
            Err(ConnectorError::ForeignJob { path: root.display().to_string(), found: found.trim().to_owned() })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // Write to a temporary name and link it into place: only one process wins.
            let tmp = root.join(format!("{MARKER}.{}", uuid::Uuid::new_v4()));
            std::fs::write(&tmp, job_id)
                .map_err(|source| ConnectorError::Io { path: tmp.display().to_string(), source })?;
            let linked = std::fs::hard_link(&tmp, &marker);
            let _ = std::fs::remove_file(&tmp);
            match linked {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => claim(root, job_id),
                Err(source) => Err(ConnectorError::Io { path: marker.display().to_string(), source }),
            }
        }
        Err(source) => Err(ConnectorError::Io { path: marker.display().to_string(), source }),
    }
}

/// Waits (up to two minutes) for the leader to create table `name`, then opens it.
async fn wait_and_open(root: &Path, name: &'static str) -> Result<DeltaTable> {
    let first_commit = root.join(name).join("_delta_log").join(format!("{:020}.json", 0));
    for _ in 0..1200 {
        if first_commit.is_file() {
            return deltalake::open_table(table_url(root, name)?).await.map_err(delta_err(name));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(ConnectorError::Input {
        path: root.join(name).display().to_string(),
        message: "process 0 did not create the table".into(),
    })
}

async fn open_or_create(root: &Path, name: &'static str, schema: &SchemaRef) -> Result<DeltaTable> {
    let url = table_url(root, name)?;
    let first_commit = root.join(name).join("_delta_log").join(format!("{:020}.json", 0));
    if first_commit.is_file() {
        return deltalake::open_table(url).await.map_err(delta_err(name));
    }
    std::fs::create_dir_all(root.join(name))
        .map_err(|source| ConnectorError::Io { path: root.join(name).display().to_string(), source })?;
    let columns: StructType = schema
        .as_ref()
        .try_into_kernel()
        .map_err(|e| ConnectorError::Delta { table: name.to_owned(), source: e.into() })?;
    let created = deltalake::operations::create::CreateBuilder::new()
        .with_location(url.to_string())
        .with_table_name(name)
        .with_columns(columns.fields().cloned())
        .with_save_mode(SaveMode::Ignore)
        .await;
    match created {
        Ok(t) => Ok(t),
        // Another process created it first.
        Err(_) if root.join(name).join("_delta_log").is_dir() => {
            deltalake::open_table(url).await.map_err(delta_err(name))
        }
        Err(e) => Err(delta_err(name)(e)),
    }
}
