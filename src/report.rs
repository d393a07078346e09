//! `wenflow report`: the named reports of `wenflow_queries::reports`, and the small report
//! of the end-of-run summary.

use std::path::{Path, PathBuf};

use arrow::array::AsArray;
use arrow::datatypes::Int64Type;
use clap::Args;
use wenflow_queries::OutputFormat;
use wenflow_queries::reports::{REPORTS, Report, failures_by_stage_sql, report};

use crate::Usage;

#[derive(Args, Debug)]
pub struct ReportCli {
    /// Reports to run, in order (default: all).
    names: Vec<String>,
    /// Output root written by `wenflow ingest`.
    #[arg(long, required_unless_present = "list")]
    data: Option<PathBuf>,
    /// table, csv or json.
    #[arg(long, default_value = "table")]
    format: OutputFormat,
    /// List the reports and what each shows.
    #[arg(long)]
    list: bool,
}

pub fn run(a: ReportCli) -> anyhow::Result<i32> {
    if a.list {
        for r in REPORTS {
            println!("{:<20} {}", r.name, r.title);
        }
        return Ok(0);
    }
    let chosen: Vec<&Report> = if a.names.is_empty() {
        REPORTS.iter().collect()
    } else {
        a.names
            .iter()
            .map(|n| {
                report(n).ok_or_else(|| Usage(format!("no report named {n:?} (wenflow report --list names them)")))
            })
            .collect::<Result<_, _>>()?
    };
    let data = a.data.unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async {
        let ctx = wenflow_queries::session();
        wenflow_queries::register_tables(&ctx, &data).await?;
        for (i, r) in chosen.iter().enumerate() {
            let batches = wenflow_queries::run_sql(&ctx, r.sql).await?;
            let text = wenflow_queries::format_batches(&batches, a.format)?;
            if a.format == OutputFormat::Table {
                println!("{}== {}", if i > 0 { "\n" } else { "" }, r.title);
            }
            print!("{text}");
            if !text.ends_with('\n') {
                println!();
            }
        }
        anyhow::Ok(0)
    })
}

/// Failures committed in `epochs`, by stage: `"parse 2, filter 143"`.
pub async fn failures_by_stage(out: &Path, epochs: Option<(u64, u64)>) -> anyhow::Result<String> {
    let Some((first, last)) = epochs else {
        return Ok(String::new());
    };
    let ctx = wenflow_queries::session();
    wenflow_queries::register_tables(&ctx, out).await?;
    let batches = wenflow_queries::run_sql(&ctx, &failures_by_stage_sql(first, last)).await?;
    let mut parts = Vec::new();
    for b in &batches {
        let stage = arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Utf8)?;
        let stage = stage.as_string::<i32>();
        let n = b.column(1).as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            parts.push(format!("{} {}", stage.value(i), n.value(i)));
        }
    }
    Ok(parts.join(", "))
}
