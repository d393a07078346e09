//! The `wenflow` binary: argument parsing and wiring only.

mod ingest;
mod pipeline;
mod report;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use wenflow_connectors::files::{FieldMap, SourceOptions};
use wenflow_engine::cluster::ClusterConfig;
use wenflow_queries::OutputFormat;

/// mimalloc: the dataflow allocates and frees many small strings; glibc's allocator spent
/// over a third of the ingest time in malloc/free (measured with perf).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// wenflow: a dataflow engine for historical document corpora.
#[derive(Parser, Debug)]
#[command(name = "wenflow", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Ingest files or directories into Delta tables under --out.
    Ingest(Box<IngestCli>),
    /// Run SQL over the tables under --data (`<name>` current state, `<name>_log` change log).
    Sql(SqlCli),
    /// Print the entities found in a passage (so far: reign-era dates).
    Entities(EntitiesCli),
}

#[derive(Args, Debug)]
struct EntitiesCli {
    /// The passage.
    text: String,
    /// The dynasty of the document the passage comes from, used to resolve reused eras.
    #[arg(long)]
    dynasty: Option<String>,
    /// table or json.
    #[arg(long, default_value = "table")]
    format: String,
}

#[derive(Args, Debug)]
struct IngestCli {
    /// JSONL, JSON, Parquet or text files, or directories of them (a chinese-poetry package folder is recognised).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Output root for the tables.
    #[arg(long)]
    out: PathBuf,
    /// Job id: the Delta transaction id of every commit. Re-running with the same id resumes after the last committed epoch. Default: derived from the inputs and options.
    #[arg(long)]
    job_id: Option<String>,
    /// Worker threads per process.
    #[arg(short = 'w', long, default_value_t = 1)]
    workers: usize,
    /// Number of processes.
    #[arg(short = 'n', long, default_value_t = 1)]
    processes: usize,
    /// Index of this process.
    #[arg(short = 'p', long, default_value_t = 0)]
    process: usize,
    /// File with one host:port per process (default 127.0.0.1:2101, 2102, …).
    #[arg(long)]
    hostfile: Option<PathBuf>,
    #[command(flatten)]
    fields: FieldArgs,
    /// Also read the folders the chinese-poetry layout skips (error/, strains/, rank/).
    #[arg(long)]
    include_skipped: bool,
    /// Input megabytes per epoch (epochs commit atomically; memory is bounded by about one or two epochs of input).
    #[arg(long, default_value_t = 16)]
    epoch_mb: u64,
    /// Largest JSONL byte range read as one split, in megabytes.
    #[arg(long, default_value_t = 8)]
    split_mb: u64,
    /// JSON and text files larger than this many megabytes become failures.
    #[arg(long, default_value_t = 1024)]
    max_file_mb: u64,
    /// Exit with status 1 when any input failed (filtered records do not count).
    #[arg(long)]
    fail_on_error: bool,
}

#[derive(Args, Debug)]
struct FieldArgs {
    /// Field holding the document id (default `id`).
    #[arg(long)]
    id_field: Option<String>,
    /// Field holding the text (default: text, paragraphs, content, para).
    #[arg(long)]
    text_field: Option<String>,
    /// Field holding the title (default: title, chapter, rhythmic).
    #[arg(long)]
    title_field: Option<String>,
    /// Field holding the author (default `author`).
    #[arg(long)]
    author_field: Option<String>,
    /// Field holding the collection (default `collection`).
    #[arg(long)]
    collection_field: Option<String>,
    /// Field holding the dynasty (default `dynasty`).
    #[arg(long)]
    dynasty_field: Option<String>,
}

#[derive(Args, Debug)]
struct SqlCli {
    /// The SQL statement.
    sql: String,
    /// Output root written by `wenflow ingest`.
    #[arg(long)]
    data: PathBuf,
    /// table, csv or json.
    #[arg(long, default_value = "table")]
    format: OutputFormat,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("WENFLOW_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,wenflow=info,wenflow_engine=info,wenflow_connectors=info,wenflow_operators=info,wenflow_queries=info")))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Ingest(a) => ingest::run(ingest_args(*a)?)?,
        Command::Sql(a) => sql(a)?,
        Command::Entities(a) => entities(a)?,
    };
    std::process::exit(code);
}

fn ingest_args(a: IngestCli) -> anyhow::Result<ingest::IngestArgs> {
    let addresses = match &a.hostfile {
        Some(p) => ClusterConfig::read_hostfile(p)?,
        None => Vec::new(),
    };
    let mb = |n: u64| n.max(1) << 20;
    let f = a.fields;
    Ok(ingest::IngestArgs {
        inputs: a.inputs,
        out: a.out,
        job_id: a.job_id,
        source: SourceOptions {
            fields: FieldMap {
                id: f.id_field,
                text: f.text_field,
                title: f.title_field,
                author: f.author_field,
                collection: f.collection_field,
                dynasty: f.dynasty_field,
            },
            include_skipped: a.include_skipped,
            split_bytes: mb(a.split_mb),
            epoch_bytes: mb(a.epoch_mb),
            max_file_bytes: mb(a.max_file_mb),
        },
        cluster: ClusterConfig { workers: a.workers, processes: a.processes, process: a.process, addresses },
        fail_on_error: a.fail_on_error,
    })
}

fn sql(a: SqlCli) -> anyhow::Result<i32> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let out = runtime.block_on(async {
        let ctx = wenflow_queries::session();
        wenflow_queries::register_tables(&ctx, &a.data).await?;
        let batches = wenflow_queries::run_sql(&ctx, &a.sql).await?;
        wenflow_queries::format_batches(&batches, a.format)
    });
    let text = out.with_context(|| format!("running {:?}", a.sql))?;
    print!("{text}");
    if !text.ends_with('\n') {
        println!();
    }
    Ok(0)
}

fn entities(a: EntitiesCli) -> anyhow::Result<i32> {
    let found = wenflow_operators::entities::find_era_dates(&a.text, a.dynasty.as_deref());
    let rows: Vec<serde_json::Value> = found
        .iter()
        .map(|d| {
            serde_json::json!({
                "kind": "ERA_DATE", "text": d.text, "norm": d.norm, "years": d.years, "dynasties": d.dynasties,
                "start": d.start, "end": d.end, "ambiguous": d.ambiguous,
            })
        })
        .collect();
    match a.format.as_str() {
        "json" => println!("{}", serde_json::to_string_pretty(&rows)?),
        "table" => {
            println!(
                "{:<9} {:<16} {:<14} {:>5}..{:<5} {:<10} years",
                "kind", "text", "norm", "start", "end", "ambiguous"
            );
            for d in &found {
                let years = d.years.iter().map(i32::to_string).collect::<Vec<_>>().join(", ");
                println!(
                    "{:<9} {:<16} {:<14} {:>5}..{:<5} {:<10} {years} ({})",
                    "ERA_DATE",
                    d.text,
                    d.norm,
                    d.start,
                    d.end,
                    d.ambiguous,
                    d.dynasties.join(", ")
                );
            }
        }
        other => anyhow::bail!("unknown format {other:?} (table or json)"),
    }
    Ok(0)
}
