//! `wenflow ingest`: runs the job ([`wenflow_jobs::ingest`]) and prints its summary.

use std::path::PathBuf;

use wenflow_connectors::store::Location;
use wenflow_jobs::ingest::{self, IngestArgs};

/// Runs an ingest job and prints what it committed. Returns the process exit code.
pub fn run(args: IngestArgs) -> anyhow::Result<i32> {
    let (fail_on_error, out) = (args.fail_on_error, data_path(&args.out));
    print_summary(ingest::run(args)?, &out, fail_on_error)
}

/// Runs a stream job and prints what it committed when it ends (`--once`).
pub fn stream(args: IngestArgs, input: wenflow_jobs::stream::StreamInput) -> anyhow::Result<i32> {
    let (fail_on_error, out) = (args.fail_on_error, data_path(&args.out));
    print_summary(wenflow_jobs::stream::run(args, input)?, &out, fail_on_error)
}

/// The output root as the queries take a data root (`s3://bucket/prefix` or a folder).
fn data_path(out: &Location) -> PathBuf {
    match out {
        Location::Local(path) => path.clone(),
        s3 => PathBuf::from(s3.to_string()),
    }
}

fn print_summary(s: ingest::IngestSummary, out: &std::path::Path, fail_on_error: bool) -> anyhow::Result<i32> {
    if !s.leader {
        return Ok(0);
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let t = &s.totals;
    let rows = |name: &str| t.rows.get(name).copied().unwrap_or(0);
    let secs = s.elapsed.as_secs_f64().max(1e-9);
    let failures_by_stage = runtime.block_on(crate::report::failures_by_stage(out, t.epochs)).unwrap_or_default();
    println!("job {}", s.job_id);
    match t.epochs {
        Some((first, last)) => println!("  epochs     {first}..={last} committed by this run"),
        None if s.mode == "stream" => println!("  epochs     nothing to do: the output is current"),
        None if s.planned_epochs == 0 => println!("  epochs     nothing to do: no input files found"),
        None => println!("  epochs     nothing to do: every epoch is already committed"),
    }
    println!("  inputs     {}", t.inputs);
    println!("  documents  {}", rows("documents"));
    if rows("pages") != 0 {
        println!("  pages      {}", rows("pages"));
    }
    println!("  duplicates {}", rows("duplicates"));
    println!("  entities   {}", rows("entities"));
    if let Some(remote) = s.index.as_ref().and_then(|i| i.remote.as_ref()) {
        // Each process has only its own shards in its cache; the store has them all.
        println!("  index      published to {}", remote.url());
    } else if let Some(index) = &s.index {
        match wenflow_index::ShardedSearcher::open(&index.dir) {
            Ok(searcher) => println!("  index      {} documents in {} shards", searcher.num_docs(), searcher.shards()),
            Err(e) => println!("  index      unreadable: {e}"),
        }
    }
    println!(
        "  failures   {}{}",
        rows("failures"),
        if failures_by_stage.is_empty() { String::new() } else { format!(" ({failures_by_stage})") }
    );
    println!("  wall time  {secs:.1} s");
    println!("  throughput {:.0} docs/s, {:.1} MB/s", t.inputs as f64 / secs, s.bytes_read as f64 / 1e6 / secs);
    let errors = failures_by_stage.split(", ").filter(|s| !s.is_empty() && !s.starts_with("filter")).count();
    if fail_on_error && errors > 0 {
        eprintln!("error: some inputs failed (--fail-on-error)");
        return Ok(1);
    }
    Ok(0)
}
