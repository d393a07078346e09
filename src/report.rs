//! `wenflow report`: the named reports of `wenflow_queries::reports`, and the small report
//! of the end-of-run summary.

use std::path::{Path, PathBuf};

use anyhow::Context;
use arrow::array::AsArray;
use arrow::datatypes::Int64Type;
use clap::Args;
use wenflow_queries::OutputFormat;
use wenflow_queries::reports::{REPORTS, Report, failures_by_stage_sql, report};

use crate::Usage;

#[derive(Args, Debug)]
pub struct ReportCli {
    /// Reports to run, in order, each followed by its values (`why DOC_ID`). Default: every
    /// report that takes no value.
    names: Vec<String>,
    /// Output root written by `wenflow ingest` or `wenflow stream` (a folder or s3://bucket/prefix).
    #[arg(long, required_unless_present = "list")]
    data: Option<PathBuf>,
    /// Read the tables as they were after this committed epoch.
    #[arg(long, value_name = "EPOCH")]
    as_of: Option<u64>,
    /// table, csv or json.
    #[arg(long, default_value = "table")]
    format: OutputFormat,
    /// List the reports and what each shows.
    #[arg(long)]
    list: bool,
    /// Write every report that takes no value, with its plots, to FILE: one self-contained HTML page for sharing.
    #[arg(long, value_name = "FILE", conflicts_with = "names")]
    html: Option<PathBuf>,
}

/// The reports and the values of each, from `why DOC_ID summary …`.
fn chosen(names: &[String]) -> Result<Vec<(&'static Report, Vec<String>)>, Usage> {
    if names.is_empty() {
        return Ok(REPORTS.iter().filter(|r| r.params().is_empty()).map(|r| (r, Vec::new())).collect());
    }
    let mut chosen = Vec::new();
    let mut words = names.iter();
    while let Some(name) = words.next() {
        let r = report(name)
            .ok_or_else(|| Usage(format!("no report named {name:?} (wenflow report --list names them)")))?;
        let values: Vec<String> = words.by_ref().take(r.params().len()).cloned().collect();
        if values.len() < r.params().len() {
            return Err(Usage(format!("report {name} needs a value: wenflow report {}", r.usage())));
        }
        chosen.push((r, values));
    }
    Ok(chosen)
}

pub fn run(a: ReportCli) -> anyhow::Result<i32> {
    if a.list {
        let width = REPORTS.iter().map(|r| r.usage().chars().count()).max().unwrap_or(0);
        for r in REPORTS {
            println!("{:<width$}  {}", r.usage(), r.title());
        }
        return Ok(0);
    }
    let chosen = chosen(&a.names)?;
    let data = a.data.unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    if let Some(file) = &a.html {
        let page = runtime.block_on(wenflow_serve::saved_reports(&data.to_string_lossy(), a.as_of))?;
        std::fs::write(file, page).with_context(|| format!("writing {}", file.display()))?;
        println!("wrote {} ({} reports)", file.display(), REPORTS.iter().filter(|r| r.params().is_empty()).count());
        return Ok(0);
    }
    runtime.block_on(async {
        let ctx = wenflow_queries::session();
        wenflow_queries::register_tables_as_of(&ctx, &data, a.as_of).await?;
        // JSON of several reports is one object keyed by report name, so that it parses.
        let several_json = a.format == OutputFormat::Json && chosen.len() > 1;
        if several_json {
            print!("{{");
        }
        for (i, (r, values)) in chosen.iter().enumerate() {
            let batches = r.run(&ctx, values).await?;
            if !values.is_empty() && batches.iter().all(|b| b.num_rows() == 0) {
                let shown: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
                return Err(Usage(format!("report {}: no table has a row for {}", r.name, shown.join(", "))).into());
            }
            let text = wenflow_queries::format_batches(&batches, a.format)?;
            match a.format {
                OutputFormat::Table => println!("{}== {}", if i > 0 { "\n" } else { "" }, r.title()),
                OutputFormat::Csv if chosen.len() > 1 => println!("{}# {}", if i > 0 { "\n" } else { "" }, r.name),
                _ => {}
            }
            if several_json {
                print!("{}{}:", if i > 0 { "," } else { "" }, serde_json::to_string(r.name)?);
                print!("{}", text.trim_end());
            } else {
                print!("{text}");
                if !text.ends_with('\n') {
                    println!();
                }
            }
        }
        if several_json {
            println!("}}");
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
