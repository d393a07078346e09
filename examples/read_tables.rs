//! Reads the tables of a wenflow output with DataFusion: the current state of each table
//! as `<table>`, its change log as `<table>_log`.
//!
//! ```text
//! cargo run --example read_tables -- OUT ["SELECT dynasty, count(*) FROM documents GROUP BY 1"]
//! ```

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args.next().ok_or("usage: read_tables OUT [SQL]")?;
    let sql = args.next().unwrap_or_else(|| {
        "SELECT collection, count(*) AS documents FROM documents GROUP BY 1 ORDER BY 2 DESC LIMIT 10".into()
    });
    tokio::runtime::Runtime::new()?.block_on(async {
        let ctx = wenflow_queries::session();
        let tables = wenflow_queries::register_tables(&ctx, std::path::Path::new(&out)).await?;
        println!("tables: {}", tables.join(", "));
        // The state of a log as of an epoch, by the rule every view uses.
        let state = wenflow_queries::state::state_sql("runs_log", &["run_id", "inputs"], None);
        let runs = wenflow_queries::run_sql(&ctx, &state).await?;
        print!("{}", wenflow_queries::format_batches(&runs, wenflow_queries::OutputFormat::Table)?);
        let batches = wenflow_queries::run_sql(&ctx, &sql).await?;
        println!("{}", wenflow_queries::format_batches(&batches, wenflow_queries::OutputFormat::Table)?);
        Ok(())
    })
}
