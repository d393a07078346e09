//! Arrow Flight SQL over the output tables, stateless: a statement's handle is its SQL and
//! its bound parameters, so a client may reach any server process and nothing is kept
//! between calls.
//!
//! Implemented: queries (`CommandStatementQuery`), prepared statements with `?` or `$n`
//! parameters (create, bind, execute, close), and the metadata calls: catalogs, schemas,
//! tables (with their Arrow schemas), table types and SQL info. Metadata calls treat a
//! missing catalog or schema as "any", as the ADBC driver sends none. Updates and
//! transactions are refused: the tables belong to the job that writes them.

use std::pin::Pin;
use std::sync::{Arc, LazyLock};

use arrow::array::{Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::ipc::writer::IpcWriteOptions;
use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_server::FlightServiceServer;
use arrow_flight::sql::metadata::{SqlInfoData, SqlInfoDataBuilder};
use arrow_flight::sql::server::{FlightSqlService, PeekableFlightDataStream};
use arrow_flight::sql::{
    ActionClosePreparedStatementRequest, ActionCreatePreparedStatementRequest, ActionCreatePreparedStatementResult,
    Any, CommandGetCatalogs, CommandGetDbSchemas, CommandGetSqlInfo, CommandGetTableTypes, CommandGetTables,
    CommandPreparedStatementQuery, CommandStatementQuery, DoPutPreparedStatementResult, ProstMessageExt, SqlInfo,
    TicketStatementQuery,
};
use arrow_flight::{FlightDescriptor, FlightEndpoint, FlightInfo, IpcMessage, SchemaAsIpc, Ticket};
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::scalar::ScalarValue;
use futures::{Stream, StreamExt, TryStreamExt as _};
use prost::Message;
use tonic::{Request, Response, Status};

use crate::corpus::{Corpus, View};
use crate::{Result, ServeError};

/// The catalog and schema every table is in (DataFusion's defaults).
const CATALOG: &str = "datafusion";
const SCHEMA: &str = "public";

/// Serves Flight SQL on `listener` until the task is dropped.
pub async fn serve(corpus: Arc<Corpus>, listener: tokio::net::TcpListener) -> Result<()> {
    let service = FlightServiceServer::new(WenflowFlightSql { corpus, planned: Planned::default() });
    tonic::transport::Server::builder()
        .add_service(service)
        // No Nagle: a small response would otherwise wait out the client's delayed ACK
        // (about 40 ms a query on Linux).
        .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)))
        .await
        .map_err(|e| ServeError::Server(e.to_string()))
}

/// The Flight SQL service.
pub struct WenflowFlightSql {
    corpus: Arc<Corpus>,
    planned: Planned,
}

/// Physical plans made to answer a statement's schema (preparing it, GetFlightInfo) and not
/// run yet, by handle, so that the DoGet that follows runs the plan instead of planning the
/// statement a second and third time (the ADBC driver prepares, asks for the FlightInfo and
/// then fetches: three calls). A plan runs at most once: DoGet takes it. A DoGet that finds
/// none (another server process, an evicted or expired plan) plans the statement again.
/// A plan keeps the reading it was made on, so its schema and rows agree.
///
/// It also keeps the optimized logical plans of recent statements on the current reading:
/// a client running the same statement again (a prepared statement, a dashboard's report)
/// then skips parsing and the logical optimizer.
#[derive(Default)]
struct Planned {
    entries: std::sync::Mutex<std::collections::VecDeque<PlannedEntry>>,
    optimized: std::sync::Mutex<std::collections::VecDeque<Optimized>>,
}

/// A statement's handle, the reading it was planned on and its optimized logical plan.
type Optimized = (Vec<u8>, Arc<View>, LogicalPlan);

struct PlannedEntry {
    handle: Vec<u8>,
    made: std::time::Instant,
    view: Arc<View>,
    plan: Arc<dyn ExecutionPlan>,
}

/// Whether every function `plan` calls gives the same value for the same arguments, so
/// that its optimized form (where such calls are folded to constants) may be used again.
fn immutable(plan: &LogicalPlan) -> bool {
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    use datafusion::logical_expr::{Expr, Volatility};
    let mut immutable = true;
    let visited = plan.apply_with_subqueries(|node| {
        node.apply_expressions(|expr| {
            expr.apply(|e| {
                let fixed = match e {
                    Expr::ScalarFunction(f) => f.func.signature().volatility == Volatility::Immutable,
                    Expr::AggregateFunction(f) => f.func.signature().volatility == Volatility::Immutable,
                    Expr::WindowFunction(f) => f.fun.signature().volatility == Volatility::Immutable,
                    _ => true,
                };
                immutable &= fixed;
                Ok(if fixed { TreeNodeRecursion::Continue } else { TreeNodeRecursion::Stop })
            })
        })
    });
    immutable && visited.is_ok()
}

/// Plans kept, and for how long, waiting for their DoGet.
const PLANNED_KEPT: usize = 64;
const PLANNED_FOR: std::time::Duration = std::time::Duration::from_secs(60);

impl Planned {
    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::VecDeque<PlannedEntry>> {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.retain(|e| e.made.elapsed() < PLANNED_FOR);
        entries
    }

    /// The schema of the plan waiting for `handle`, if any.
    fn schema(&self, handle: &[u8]) -> Option<SchemaRef> {
        self.lock().iter().find(|e| e.handle == handle).map(|e| e.plan.schema())
    }

    fn put(&self, handle: Vec<u8>, view: Arc<View>, plan: Arc<dyn ExecutionPlan>) {
        let mut entries = self.lock();
        if entries.len() >= PLANNED_KEPT {
            entries.pop_front();
        }
        entries.push_back(PlannedEntry { handle, made: std::time::Instant::now(), view, plan });
    }

    /// The optimized plan of `handle` on `view`. Plans of earlier readings are dropped.
    fn optimized(&self, handle: &[u8], view: &Arc<View>) -> Option<LogicalPlan> {
        let mut kept = self.optimized.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.retain(|(_, v, _)| Arc::ptr_eq(v, view));
        kept.iter().find(|(h, _, _)| h == handle).map(|(_, _, plan)| plan.clone())
    }

    fn keep_optimized(&self, handle: Vec<u8>, view: &Arc<View>, plan: LogicalPlan) {
        let mut kept = self.optimized.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.retain(|(h, v, _)| Arc::ptr_eq(v, view) && *h != handle);
        if kept.len() >= PLANNED_KEPT {
            kept.pop_front();
        }
        kept.push_back((handle, Arc::clone(view), plan));
    }

    fn take(&self, handle: &[u8]) -> Option<(Arc<View>, Arc<dyn ExecutionPlan>)> {
        let mut entries = self.lock();
        let at = entries.iter().position(|e| e.handle == handle)?;
        entries.remove(at).map(|e| (e.view, e.plan))
    }
}

static SQL_INFO: LazyLock<SqlInfoData> = LazyLock::new(|| {
    let mut b = SqlInfoDataBuilder::new();
    b.append(SqlInfo::FlightSqlServerName, "wenflow");
    b.append(SqlInfo::FlightSqlServerVersion, env!("CARGO_PKG_VERSION"));
    b.append(SqlInfo::FlightSqlServerArrowVersion, "59");
    b.append(SqlInfo::FlightSqlServerReadOnly, true);
    b.append(SqlInfo::FlightSqlServerSql, true);
    b.append(SqlInfo::FlightSqlServerSubstrait, false);
    b.append(SqlInfo::FlightSqlServerTransaction, 0i32);
    b.build().unwrap_or_else(|e| panic!("static SQL info: {e}"))
});

/// A statement: its SQL (with `$n` placeholders) and the parameters bound to it, as an
/// Arrow IPC stream of one row. Encoded as the handle a client passes back.
#[derive(Debug, PartialEq)]
struct Statement {
    sql: String,
    params: Vec<u8>,
}

impl Statement {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.sql.len() + self.params.len());
        out.extend_from_slice(&(self.sql.len() as u32).to_le_bytes());
        out.extend_from_slice(self.sql.as_bytes());
        out.extend_from_slice(&self.params);
        out
    }

    fn decode(handle: &[u8]) -> Result<Statement, Status> {
        let bad = || Status::invalid_argument("not a statement handle of this server");
        let len = u32::from_le_bytes(handle.get(..4).ok_or_else(bad)?.try_into().map_err(|_| bad())?) as usize;
        let sql = handle.get(4..4 + len).ok_or_else(bad)?;
        let sql = std::str::from_utf8(sql).map_err(|_| bad())?.to_owned();
        Ok(Statement { sql, params: handle[4 + len..].to_vec() })
    }

    /// The bound values, in order (`$1`, `$2` …).
    fn values(&self) -> Result<Vec<ScalarValue>, Status> {
        if self.params.is_empty() {
            return Ok(Vec::new());
        }
        let reader = arrow::ipc::reader::StreamReader::try_new(std::io::Cursor::new(&self.params), None)
            .map_err(|e| Status::invalid_argument(format!("parameters: {e}")))?;
        let mut values = Vec::new();
        for batch in reader {
            let batch = batch.map_err(|e| Status::invalid_argument(format!("parameters: {e}")))?;
            if batch.num_rows() == 0 {
                continue;
            }
            for column in batch.columns() {
                values.push(
                    ScalarValue::try_from_array(column, 0)
                        .map_err(|e| Status::invalid_argument(format!("parameters: {e}")))?,
                );
            }
            break;
        }
        Ok(values)
    }
}

/// `?` placeholders (JDBC, ODBC and ADBC style) as DataFusion's `$1`, `$2` …, outside
/// quoted strings, identifiers and comments.
fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '-' && chars.peek() == Some(&'-') => {
                out.push(c);
                for c in chars.by_ref() {
                    out.push(c);
                    if c == '\n' {
                        break;
                    }
                }
            }
            None if c == '/' && chars.peek() == Some(&'*') => {
                out.push(c);
                let mut last = ' ';
                for c in chars.by_ref() {
                    out.push(c);
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
            }
            None if c == '?' => {
                n += 1;
                out.push_str(&format!("${n}"));
            }
            None => out.push(c),
        }
    }
    out
}

/// Queries only: no `CREATE`, `DROP`, `COPY`, `INSERT` or `SET`. The session is shared by
/// every client and the tables belong to the job that writes them.
pub(crate) fn read_only() -> datafusion::execution::context::SQLOptions {
    datafusion::execution::context::SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
}

/// A DataFusion or query error as a status: the client's mistake (bad SQL, an unknown
/// table or column) is `InvalidArgument` with DataFusion's one-line message.
fn status(e: datafusion::error::DataFusionError) -> Status {
    let e = wenflow_queries::QueryError::from(e);
    if e.is_usage() { Status::invalid_argument(e.to_string()) } else { Status::internal(e.to_string()) }
}

/// `Utf8View` and `BinaryView` (what DataFusion reads Parquet strings as) as `Utf8` and
/// `Binary`, which every Flight SQL client reads. Every field is nullable: the plan's
/// nullability is a promise the executed batches need not keep column by column.
fn plain_type(t: &DataType) -> DataType {
    match t {
        DataType::Utf8View => DataType::Utf8,
        DataType::BinaryView => DataType::Binary,
        other => other.clone(),
    }
}

fn plain_schema(schema: &Schema) -> SchemaRef {
    Arc::new(Schema::new_with_metadata(
        schema.fields().iter().map(|f| Field::new(f.name(), plain_type(f.data_type()), true)).collect::<Vec<_>>(),
        schema.metadata().clone(),
    ))
}

fn plain_batch(batch: RecordBatch, schema: &SchemaRef) -> Result<RecordBatch, FlightError> {
    let columns =
        batch
            .columns()
            .iter()
            .zip(schema.fields())
            .map(|(c, f)| {
                if c.data_type() == f.data_type() { Ok(Arc::clone(c)) } else { arrow::compute::cast(c, f.data_type()) }
            })
            .collect::<Result<Vec<_>, _>>()?;
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}

type DataStream = Pin<Box<dyn Stream<Item = Result<arrow_flight::FlightData, Status>> + Send + 'static>>;

/// One batch as a Flight data stream.
fn batch_stream(batch: Result<RecordBatch, FlightError>) -> Result<Response<DataStream>, Status> {
    let batch = batch.map_err(|e| Status::internal(e.to_string()))?;
    let stream = FlightDataEncoderBuilder::new()
        .with_schema(batch.schema())
        .build(futures::stream::once(async { Ok(batch) }))
        .map_err(Status::from);
    Ok(Response::new(Box::pin(stream)))
}

fn ipc_schema(schema: &Schema) -> Result<prost::bytes::Bytes, Status> {
    let IpcMessage(bytes) = SchemaAsIpc::new(schema, &IpcWriteOptions::default())
        .try_into()
        .map_err(|e: arrow::error::ArrowError| Status::internal(e.to_string()))?;
    Ok(bytes)
}

/// FlightInfo for a command answered by one endpoint whose ticket is `ticket`.
fn info(schema: &Schema, ticket: Any, descriptor: FlightDescriptor) -> Result<Response<FlightInfo>, Status> {
    let endpoint = FlightEndpoint::new().with_ticket(Ticket { ticket: ticket.encode_to_vec().into() });
    let info = FlightInfo::new()
        .try_with_schema(schema)
        .map_err(|e| Status::internal(e.to_string()))?
        .with_endpoint(endpoint)
        .with_descriptor(descriptor);
    Ok(Response::new(info))
}

impl WenflowFlightSql {
    /// Plans `statement` over `view`, its parameters bound.
    async fn plan_on(view: &View, statement: &Statement) -> Result<DataFrame, Status> {
        let frame = view.ctx.sql_with_options(&statement.sql, read_only()).await.map_err(status)?;
        let values = statement.values()?;
        if values.is_empty() { Ok(frame) } else { frame.with_param_values(values).map_err(status) }
    }

    /// Plans `statement` to run on `view` (from `frame`, its logical plan, when the caller
    /// has made it). A statement run before on the same reading starts from its optimized
    /// logical plan, kept unless it calls a function whose value may change between runs
    /// (`now()`, `random()`).
    async fn physical(
        &self,
        view: &Arc<View>,
        statement: &Statement,
        frame: Option<DataFrame>,
    ) -> Result<Arc<dyn ExecutionPlan>, Status> {
        let started = std::time::Instant::now();
        let handle = statement.encode();
        let state = view.ctx.state();
        let optimized = match self.planned.optimized(&handle, view) {
            Some(plan) => plan,
            None => {
                let frame = match frame {
                    Some(frame) => frame,
                    None => Self::plan_on(view, statement).await?,
                };
                let optimized = state.optimize(frame.logical_plan()).map_err(status)?;
                if immutable(frame.logical_plan()) {
                    self.planned.keep_optimized(handle, view, optimized.clone());
                }
                optimized
            }
        };
        let plan = state.query_planner().create_physical_plan(&optimized, &state).await.map_err(status)?;
        tracing::debug!(ms = started.elapsed().as_secs_f64() * 1e3, "statement planned");
        Ok(plan)
    }

    /// Plans `statement` on `view` for the DoGet that will run it; returns its schema.
    async fn plan_for_fetch(
        &self,
        view: Arc<View>,
        statement: &Statement,
        frame: Option<DataFrame>,
    ) -> Result<SchemaRef, Status> {
        let plan = self.physical(&view, statement, frame).await?;
        let schema = plain_schema(&plan.schema());
        self.planned.put(statement.encode(), view, plan);
        Ok(schema)
    }

    /// The schema of `statement`'s result. Its plan waits for the DoGet that runs it.
    async fn schema(&self, statement: &Statement) -> Result<SchemaRef, Status> {
        match self.planned.schema(&statement.encode()) {
            Some(schema) => Ok(plain_schema(&schema)),
            None => self.plan_for_fetch(self.corpus.view(), statement, None).await,
        }
    }

    /// Runs `statement`, streaming its batches: the plan made for its schema, or a new one.
    async fn run(&self, statement: &Statement) -> Result<Response<DataStream>, Status> {
        let (view, plan) = match self.planned.take(&statement.encode()) {
            Some(found) => found,
            None => {
                let view = self.corpus.view();
                let plan = self.physical(&view, statement, None).await?;
                (view, plan)
            }
        };
        let schema = plain_schema(&plan.schema());
        let stream = datafusion::physical_plan::execute_stream(plan, view.ctx.task_ctx()).map_err(status)?;
        let typed = Arc::clone(&schema);
        let batches = stream
            .map(move |b| b.map_err(|e| FlightError::ExternalError(Box::new(e))).and_then(|b| plain_batch(b, &typed)));
        let data = FlightDataEncoderBuilder::new().with_schema(schema).build(batches).map_err(Status::from);
        Ok(Response::new(Box::pin(data)))
    }

    /// Names of the tables in the current view: each table's state and its change log.
    async fn tables(&self) -> Vec<(String, SchemaRef)> {
        let view = self.corpus.view();
        let mut out = Vec::new();
        for name in view.tables.iter().flat_map(|t| [t.clone(), format!("{t}_log")]) {
            if let Ok(provider) = view.ctx.table_provider(name.as_str()).await {
                out.push((name, plain_schema(&provider.schema())));
            }
        }
        out
    }
}

#[tonic::async_trait]
impl FlightSqlService for WenflowFlightSql {
    type FlightService = WenflowFlightSql;

    async fn get_flight_info_statement(
        &self,
        query: CommandStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let statement = Statement { sql: numbered_placeholders(&query.query), params: Vec::new() };
        let schema = self.schema(&statement).await?;
        let ticket = TicketStatementQuery { statement_handle: statement.encode().into() };
        info(&schema, ticket.as_any(), request.into_inner())
    }

    async fn do_get_statement(
        &self,
        ticket: TicketStatementQuery,
        _request: Request<Ticket>,
    ) -> Result<Response<DataStream>, Status> {
        self.run(&Statement::decode(&ticket.statement_handle)?).await
    }

    async fn do_action_create_prepared_statement(
        &self,
        query: ActionCreatePreparedStatementRequest,
        _request: Request<arrow_flight::Action>,
    ) -> Result<ActionCreatePreparedStatementResult, Status> {
        let statement = Statement { sql: numbered_placeholders(&query.query), params: Vec::new() };
        let view = self.corpus.view();
        let frame = Self::plan_on(&view, &statement).await?;
        let mut params: Vec<(String, Option<DataType>)> =
            frame.logical_plan().get_parameter_types().map_err(status)?.into_iter().collect();
        // A statement without parameters is planned to run now, for the DoGet that follows.
        let dataset_schema = if params.is_empty() {
            self.plan_for_fetch(view, &statement, Some(frame)).await?
        } else {
            plain_schema(frame.schema().as_arrow())
        };
        params.sort_by_key(|(name, _)| name.trim_start_matches('$').parse::<usize>().unwrap_or(usize::MAX));
        let parameter_schema = Schema::new(
            params
                .iter()
                .map(|(name, t)| Field::new(name, t.as_ref().map_or(DataType::Utf8, plain_type), true))
                .collect::<Vec<_>>(),
        );
        Ok(ActionCreatePreparedStatementResult {
            prepared_statement_handle: statement.encode().into(),
            dataset_schema: ipc_schema(&dataset_schema)?,
            parameter_schema: ipc_schema(&parameter_schema)?,
        })
    }

    async fn do_put_prepared_statement_query(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<PeekableFlightDataStream>,
    ) -> Result<DoPutPreparedStatementResult, Status> {
        let statement = Statement::decode(&query.prepared_statement_handle)?;
        // One row of parameters: the first batch that has rows; the rest is not read.
        let mut batches = arrow_flight::decode::FlightRecordBatchStream::new_from_flight_data(
            request.into_inner().map_err(FlightError::from),
        );
        let mut found = None;
        while let Some(batch) = batches.next().await {
            let batch = batch.map_err(|e| Status::invalid_argument(format!("parameters: {e}")))?;
            if batch.num_rows() > 0 {
                found = Some(batch);
                break;
            }
        }
        let mut params = Vec::new();
        if let Some(first) = &found {
            if first.num_rows() > 1 {
                return Err(Status::invalid_argument("one row of parameters per execution"));
            }
            let mut writer = arrow::ipc::writer::StreamWriter::try_new(&mut params, &first.schema())
                .map_err(|e| Status::internal(e.to_string()))?;
            writer.write(first).map_err(|e| Status::internal(e.to_string()))?;
            writer.finish().map_err(|e| Status::internal(e.to_string()))?;
        }
        let bound = Statement { sql: statement.sql, params };
        // Planning with the values says now, not at execution, when they do not fit.
        self.schema(&bound).await?;
        Ok(DoPutPreparedStatementResult { prepared_statement_handle: Some(bound.encode().into()) })
    }

    async fn get_flight_info_prepared_statement(
        &self,
        query: CommandPreparedStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let statement = Statement::decode(&query.prepared_statement_handle)?;
        let schema = self.schema(&statement).await?;
        info(&schema, query.as_any(), request.into_inner())
    }

    async fn do_get_prepared_statement(
        &self,
        query: CommandPreparedStatementQuery,
        _request: Request<Ticket>,
    ) -> Result<Response<DataStream>, Status> {
        self.run(&Statement::decode(&query.prepared_statement_handle)?).await
    }

    async fn do_action_close_prepared_statement(
        &self,
        _query: ActionClosePreparedStatementRequest,
        _request: Request<arrow_flight::Action>,
    ) -> Result<(), Status> {
        // Stateless: nothing is held for a statement.
        Ok(())
    }

    async fn get_flight_info_catalogs(
        &self,
        query: CommandGetCatalogs,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.into_builder().schema();
        info(&schema, query.as_any(), request.into_inner())
    }

    async fn do_get_catalogs(
        &self,
        query: CommandGetCatalogs,
        _request: Request<Ticket>,
    ) -> Result<Response<DataStream>, Status> {
        let mut builder = query.into_builder();
        builder.append(CATALOG);
        batch_stream(builder.build())
    }

    async fn get_flight_info_schemas(
        &self,
        query: CommandGetDbSchemas,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.clone().into_builder().schema();
        info(&schema, query.as_any(), request.into_inner())
    }

    async fn do_get_schemas(
        &self,
        query: CommandGetDbSchemas,
        _request: Request<Ticket>,
    ) -> Result<Response<DataStream>, Status> {
        let mut builder = query.into_builder();
        builder.append(CATALOG, SCHEMA);
        batch_stream(builder.build())
    }

    async fn get_flight_info_tables(
        &self,
        query: CommandGetTables,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.clone().into_builder().schema();
        info(&schema, query.as_any(), request.into_inner())
    }

    async fn do_get_tables(
        &self,
        query: CommandGetTables,
        _request: Request<Ticket>,
    ) -> Result<Response<DataStream>, Status> {
        let tables = self.tables().await;
        let mut builder = query.into_builder();
        for (name, schema) in &tables {
            let kind = if name.ends_with("_log") { "TABLE" } else { "VIEW" };
            builder.append(CATALOG, SCHEMA, name, kind, schema).map_err(|e| Status::internal(e.to_string()))?;
        }
        batch_stream(builder.build())
    }

    async fn get_flight_info_table_types(
        &self,
        query: CommandGetTableTypes,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.into_builder().schema();
        info(&schema, query.as_any(), request.into_inner())
    }

    async fn do_get_table_types(
        &self,
        query: CommandGetTableTypes,
        _request: Request<Ticket>,
    ) -> Result<Response<DataStream>, Status> {
        let mut builder = query.into_builder();
        builder.append("TABLE");
        builder.append("VIEW");
        batch_stream(builder.build())
    }

    async fn get_flight_info_sql_info(
        &self,
        query: CommandGetSqlInfo,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let schema = query.clone().into_builder(&SQL_INFO).schema();
        info(&schema, query.as_any(), request.into_inner())
    }

    async fn do_get_sql_info(
        &self,
        query: CommandGetSqlInfo,
        _request: Request<Ticket>,
    ) -> Result<Response<DataStream>, Status> {
        batch_stream(query.into_builder(&SQL_INFO).build())
    }

    async fn register_sql_info(&self, _id: i32, _result: &SqlInfo) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn plans_calling_changing_functions_are_not_kept() {
        let ctx = datafusion::prelude::SessionContext::new();
        for (sql, kept) in [
            ("SELECT 1 + 1, upper('a'), sum(x) FROM (VALUES (1)) t(x)", true),
            ("SELECT now()", false),
            ("SELECT x FROM (VALUES (1)) t(x) WHERE x < random()", false),
            ("SELECT (SELECT max(x) + random() FROM (VALUES (1)) t(x))", false),
        ] {
            let plan = ctx.sql(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
            assert_eq!(immutable(plan.logical_plan()), kept, "{sql}");
        }
    }

    #[test]
    fn question_marks_become_numbered_outside_quotes_and_comments() {
        assert_eq!(
            numbered_placeholders("SELECT '?', \"a?\" FROM t WHERE a = ? AND b = ? -- ?\nAND c = ?"),
            "SELECT '?', \"a?\" FROM t WHERE a = $1 AND b = $2 -- ?\nAND c = $3"
        );
        assert_eq!(
            numbered_placeholders("SELECT /* ? */ a FROM t WHERE a = ?"),
            "SELECT /* ? */ a FROM t WHERE a = $1"
        );
        assert_eq!(numbered_placeholders("SELECT $1"), "SELECT $1");
    }

    #[test]
    fn a_handle_carries_its_sql_and_parameters() {
        let s = Statement { sql: "SELECT $1 -- 詩".into(), params: vec![1, 2, 3] };
        assert_eq!(Statement::decode(&s.encode()).expect("decodes"), s);
        assert!(Statement::decode(b"xy").is_err());
        assert!(Statement::decode(&[200, 0, 0, 0, b'a']).is_err());
    }
}
