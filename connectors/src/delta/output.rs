//! Opening (or creating) the output tables and reading what a job has committed.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use deltalake::kernel::StructType;
use deltalake::kernel::engine::arrow_conversion::{TryIntoArrow, TryIntoKernel};
use deltalake::protocol::SaveMode;
use deltalake::{DeltaTable, ObjectStore};
use wenflow_engine::schema::{self, TableInfo, data_tables};
use wenflow_engine::table::Commit;

use crate::store::Location;
use crate::{ConnectorError, Result};

const MARKER: &str = "_wenflow_job";

/// The output root of one job: its tables, and what each already holds of the job.
pub struct Output {
    /// The output root (a local one is absolute).
    pub root: Location,
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
    /// Opens the tables under `root` (a local folder or an S3 prefix) for `job_id`. The
    /// leader (process 0) creates missing tables; other processes wait for them. Refuses a
    /// root that holds another job's output. A stream job (`log`) also has the input log; a
    /// batch job has none.
    pub async fn open(root: &Location, job_id: &str, leader: bool, log: bool) -> Result<Output> {
        let root = match root {
            Location::Local(path) => {
                std::fs::create_dir_all(path)
                    .map_err(|source| ConnectorError::Io { path: path.display().to_string(), source })?;
                Location::Local(
                    path.canonicalize()
                        .map_err(|source| ConnectorError::Io { path: path.display().to_string(), source })?,
                )
            }
            s3 => s3.clone(),
        };
        let store = root.store()?;
        claim(store.as_ref(), &root, job_id).await?;
        let mut tables = BTreeMap::new();
        let mut committed = BTreeMap::new();
        for info in schema::tables() {
            if info.commit == Commit::InputLog && !log {
                continue;
            }
            let name = info.name;
            let table = if leader {
                open_or_create(store.as_ref(), &root, name, &(info.schema)()).await?
            } else {
                wait_and_open(store.as_ref(), &root, name).await?
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

/// Records `job_id` as the owner of `root`, or fails if another job owns it. The marker is
/// written with a conditional PUT (create only if absent): only one process wins.
async fn claim(store: &dyn ObjectStore, root: &Location, job_id: &str) -> Result<()> {
    use object_store::{ObjectStoreExt, PutMode, PutOptions};
    let marker = object_store::path::Path::from(MARKER);
    let found = match store.get(&marker).await {
        Ok(found) => found.bytes().await?,
        Err(object_store::Error::NotFound { .. }) => {
            let put = PutOptions { mode: PutMode::Create, ..PutOptions::default() };
            match store.put_opts(&marker, job_id.as_bytes().to_vec().into(), put).await {
                Ok(_) => return Ok(()),
                Err(object_store::Error::AlreadyExists { .. }) => store.get(&marker).await?.bytes().await?,
                Err(e) => return Err(store_error(root, e)),
            }
        }
        Err(e) => return Err(store_error(root, e)),
    };
    let found = String::from_utf8_lossy(&found).trim().to_owned();
    if found == job_id { Ok(()) } else { Err(ConnectorError::ForeignJob { path: root.to_string(), found }) }
}

/// The first thing done with an output root is reading its marker: a store that refuses
/// it says what is wrong with the location (no such bucket, credentials refused).
fn store_error(root: &Location, e: object_store::Error) -> ConnectorError {
    ConnectorError::Input { path: root.to_string(), message: crate::store::describe(&e) }
}

async fn exists(store: &dyn ObjectStore, name: &str) -> Result<bool> {
    Ok(wenflow_queries::is_table(store, &object_store::path::Path::from(name)).await?)
}

/// Waits (up to two minutes) for the leader to create table `name`, then opens it.
async fn wait_and_open(store: &dyn ObjectStore, root: &Location, name: &'static str) -> Result<DeltaTable> {
    for _ in 0..1200 {
        if exists(store, name).await? {
            return deltalake::open_table(root.child_url(name)?).await.map_err(delta_err(name));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(ConnectorError::Input { path: format!("{root}/{name}"), message: "process 0 did not create the table".into() })
}

async fn open_or_create(
    store: &dyn ObjectStore,
    root: &Location,
    name: &'static str,
    schema: &SchemaRef,
) -> Result<DeltaTable> {
    let url = root.child_url(name)?;
    if exists(store, name).await? {
        return deltalake::open_table(url).await.map_err(delta_err(name));
    }
    if let Some(path) = root.local() {
        std::fs::create_dir_all(path.join(name))
            .map_err(|source| ConnectorError::Io { path: path.join(name).display().to_string(), source })?;
    }
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
        Err(_) if exists(store, name).await? => deltalake::open_table(url).await.map_err(delta_err(name)),
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
        let root = Location::Local(dir.path().to_path_buf());
        let store = root.store().expect("store");
        rt.block_on(open_or_create(store.as_ref(), &root, "entities", &Arc::new(Schema::new(fields)))).expect("create");
        let err = rt.block_on(Output::open(&root, "job", true, false)).err().expect("refused");
        assert_eq!(err.to_string(), "table entities, column year: Utf8 on disk where Int32 is declared");
        // The tables as declared open, and open again.
        let fresh_dir = tempfile::tempdir().expect("tempdir");
        let fresh = Location::Local(fresh_dir.path().to_path_buf());
        rt.block_on(Output::open(&fresh, "job", true, false)).expect("created");
        let output = rt.block_on(Output::open(&fresh, "job", true, false)).expect("reopened");
        let batch_tables = schema::tables().iter().filter(|t| t.commit != Commit::InputLog).count();
        assert_eq!(output.tables.len(), batch_tables, "a batch job has no input log");
        // A stream's output also has the input log and positions.
        let output = rt.block_on(Output::open(&fresh, "job", true, true)).expect("reopened as a stream");
        assert_eq!(output.tables.len(), schema::tables().len());
    }
}
