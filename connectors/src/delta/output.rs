//! Opening (or creating) the output tables and reading what a job has committed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use deltalake::kernel::StructType;
use deltalake::kernel::engine::arrow_conversion::{TryIntoArrow, TryIntoKernel};
use deltalake::protocol::SaveMode;
use deltalake::{DeltaTable, ObjectStore};
use url::Url;
use wenflow_engine::schema::{self, TableInfo, data_tables};
use wenflow_engine::table::Commit;

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

fn delta_err(table: &str) -> impl Fn(deltalake::DeltaTableError) -> ConnectorError + '_ {
    move |source| ConnectorError::Delta { table: table.to_owned(), source }
}

impl Output {
    /// Opens the tables under `root` for `job_id`. The leader (process 0) creates missing
    /// tables; other processes wait for them. Refuses a root that holds another job's output.
    /// A stream job (`log`) also has the input log; a batch job has none.
    pub async fn open(root: &Path, job_id: &str, leader: bool, log: bool) -> Result<Output> {
        std::fs::create_dir_all(root)
            .map_err(|source| ConnectorError::Io { path: root.display().to_string(), source })?;
        let root =
            root.canonicalize().map_err(|source| ConnectorError::Io { path: root.display().to_string(), source })?;
        claim(&root, job_id)?;
        let mut tables = BTreeMap::new();
        let mut committed = BTreeMap::new();
        for info in schema::tables() {
            if info.commit == Commit::InputLog && !log {
                continue;
            }
            let name = info.name;
            let table = if leader {
                open_or_create(&root, name, &(info.schema)()).await?
            } else {
                wait_and_open(&root, name).await?
            };
            check(&table, &info)?;
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
        data_tables()
            .map(|t| self.committed.get(t.name).copied().flatten().map_or(first_epoch, |e| e + 1))
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

/// Checks the schema of a table found on disk against its declaration: a table written by
/// another version of wenflow, or by someone else, is refused with the column that differs.
fn check(table: &DeltaTable, info: &TableInfo) -> Result<()> {
    let schema = table.snapshot().map_err(delta_err(info.name))?.schema();
    let found: arrow::datatypes::Schema = schema
        .as_ref()
        .try_into_arrow()
        .map_err(|e| ConnectorError::Delta { table: info.name.to_owned(), source: e.into() })?;
    Ok((info.check)(&found)?)
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::{DataType, Field, Schema};
    use wenflow_engine::EntityRow;
    use wenflow_engine::schema::TableRow;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
    }

    #[test]
    fn a_table_on_disk_with_another_schema_is_refused_naming_the_column() {
        let dir = tempfile::tempdir().expect("tempdir");
        let rt = runtime();
        // An `entities` table whose `year` is text, as another program might have left it.
        let mut fields: Vec<Field> = EntityRow::schema().fields().iter().map(|f| f.as_ref().clone()).collect();
        fields[4] = Field::new("year", DataType::Utf8, true);
        rt.block_on(open_or_create(dir.path(), "entities", &Arc::new(Schema::new(fields)))).expect("create");
        let err = rt.block_on(Output::open(dir.path(), "job", true, false)).err().expect("refused");
        assert_eq!(err.to_string(), "table entities, column year: Utf8 on disk where Int32 is declared");
        // The tables as declared open, and open again.
        let fresh = tempfile::tempdir().expect("tempdir");
        rt.block_on(Output::open(fresh.path(), "job", true, false)).expect("created");
        let output = rt.block_on(Output::open(fresh.path(), "job", true, false)).expect("reopened");
        let batch_tables = schema::tables().iter().filter(|t| t.commit != Commit::InputLog).count();
        assert_eq!(output.tables.len(), batch_tables, "a batch job has no input log");
        // A stream's output also has the input log and positions.
        let output = rt.block_on(Output::open(fresh.path(), "job", true, true)).expect("reopened as a stream");
        assert_eq!(output.tables.len(), schema::tables().len());
    }
}
