//! Test support: every output table registered empty, with its declared schema.

use std::sync::Arc;

use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

use crate::state::state_view_sql;

/// A session with each table of `wenflow_engine::schema::tables()` as an empty
/// `<name>_log` and its `<name>` view, as [`crate::register_tables`] registers them.
pub(crate) async fn empty_tables() -> SessionContext {
    let ctx = crate::session();
    for t in wenflow_engine::schema::tables() {
        let schema = (t.schema)();
        let log = format!("{}_log", t.name);
        let table = MemTable::try_new(schema.clone(), vec![vec![]]).expect("an empty table");
        ctx.register_table(log.as_str(), Arc::new(table)).expect("register");
        let columns: Vec<String> =
            schema.fields().iter().map(|f| f.name().clone()).filter(|n| n != "time" && n != "diff").collect();
        let view = ctx.sql(&state_view_sql(&log, &columns, true)).await.expect("view").into_view();
        ctx.register_table(t.name, view).expect("register");
    }
    ctx
}
