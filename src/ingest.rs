//! `wenflow ingest`: plan the input, open the output, run the dataflow on every worker,
//! report.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use wenflow_connectors::delta::{self, DeltaCommitter, Output, RunTotals};
use wenflow_connectors::files::{self, FileSource, SourceOptions};
use wenflow_engine::cluster::ClusterConfig;
use wenflow_engine::progress::{Progress, Reporter};
use wenflow_engine::schema::RunRow;
use wenflow_engine::source::{self, Restored};

use wenflow_index::EpochChanges;
use wenflow_operators::clean::CleanConfig;
use wenflow_operators::dedup::DedupConfig;
use wenflow_operators::entities::{EntityOptions, Extractor, Gazetteer};
use wenflow_operators::ocr::OcrSettings;

use crate::pipeline::{self, Operators, SinkTargets};

/// Everything `wenflow ingest` needs.
#[derive(Debug, Clone)]
pub struct IngestArgs {
    /// Files and directories to read.
    pub inputs: Vec<PathBuf>,
    /// Output root.
    pub out: PathBuf,
    /// Job id; `None` derives one from the inputs and options.
    pub job_id: Option<String>,
    /// Source options.
    pub source: SourceOptions,
    /// Cluster shape.
    pub cluster: ClusterConfig,
    /// Exit non-zero when any record failed.
    pub fail_on_error: bool,
    /// Clean stage options.
    pub clean: CleanConfig,
    /// Duplicate detection options.
    pub dedup: DedupConfig,
    /// User gazetteers for entity extraction.
    pub gazetteers: Vec<PathBuf>,
    /// Entity options (which realms' regimes era names are read against).
    pub entities: EntityOptions,
    /// Build the full-text index under `<out>/index`.
    pub index: bool,
    /// Page decoding and OCR options.
    pub ocr: OcrSettings,
}

/// A job id derived from what determines the job's output: the options and the planned
/// input (every file's path, size and modification time), so a changed input is a new job.
fn derived_job_id(args: &IngestArgs, plan: &files::Plan) -> anyhow::Result<String> {
    // The OCR options change the output; the worker program does not.
    let ocr = (&args.ocr.config, &args.ocr.limits);
    let mut key = serde_json::to_string(&(&args.source, &args.clean, &args.dedup, ocr, &args.entities))?;
    for g in &args.gazetteers {
        let bytes = std::fs::read(g).with_context(|| format!("reading gazetteer {}", g.display()))?;
        key.push_str(&format!("\ngazetteer|{}|{:016x}", g.display(), xxhash_rust::xxh3::xxh3_64(&bytes)));
    }
    for split in &plan.splits {
        let mtime = std::fs::metadata(&split.path).and_then(|m| m.modified()).ok();
        let since = mtime.and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
        let (format, part, error) = (&split.format, &split.part, &split.error);
        key.push_str(&format!("\n{}|{}|{format}|{part:?}|{error:?}|{since}", split.path.display(), split.bytes));
    }
    Ok(format!("ingest-{:016x}", xxhash_rust::xxh3::xxh3_64(key.as_bytes())))
}

/// What process 0 learns at the end of the run.
#[derive(Debug, Default, Clone)]
struct Outcome {
    totals: RunTotals,
}

/// Runs an ingest job. Returns the process exit code.
pub fn run(args: IngestArgs) -> anyhow::Result<i32> {
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the I/O runtime")?;
    let plan = files::plan(&args.inputs, &args.source).context("planning the input")?;
    let operators = Operators {
        clean: Arc::new(args.clean.clone()),
        dedup: Arc::new(args.dedup.clone()),
        entities: Arc::new(Extractor::new(
            Gazetteer::with_user_files(&args.gazetteers).context("loading gazetteers")?,
            args.entities.clone(),
        )),
        ocr: Arc::new(args.ocr.clone()),
    };
    let job_id = match &args.job_id {
        Some(id) => id.clone(),
        None => derived_job_id(&args, &plan)?,
    };
    let is_leader = args.cluster.process == 0;
    let output = runtime.block_on(Output::open(&args.out, &job_id, is_leader)).context("opening the output tables")?;
    let resume = output.resume_epoch(plan.first_epoch);
    if is_leader {
        let removed = runtime.block_on(output.remove_orphans()).context("removing files of uncommitted epochs")?;
        if removed > 0 {
            tracing::info!(files = removed, "removed data files of uncommitted epochs");
        }
    }
    tracing::info!(job_id = %job_id, splits = plan.splits.len(), epochs = plan.last_epoch, resume_epoch = resume, bytes = plan.bytes(), skipped_files = plan.skipped_files, "planned");
    if resume > plan.first_epoch {
        tracing::info!(resume_epoch = resume, "resuming: earlier epochs are already committed");
    }

    let restored = if is_leader && resume > plan.first_epoch && resume <= plan.last_epoch {
        runtime.block_on(delta::restore(&output, resume)).context("restoring the committed state")?
    } else {
        Restored::default()
    };

    let peers = args.cluster.peers();
    let index = if args.index {
        let shape = (args.cluster.process, args.cluster.workers, args.cluster.processes);
        let target = wenflow_index::open_for_job(&output.root, shape, &job_id, plan.first_epoch, resume, |epoch| {
            let (docs, mentions) = runtime.block_on(delta::epoch_changes(&output, epoch)).map_err(|e| e.to_string())?;
            Ok(EpochChanges { docs, mentions })
        })
        .context("opening the index and bringing it up to the committed tables")?;
        Some(target)
    } else {
        None
    };

    let progress = Arc::new(Progress::default());
    let process_bytes: u64 = plan
        .splits
        .iter()
        .filter(|s| s.epoch >= resume && (s.unit as usize % peers) / args.cluster.workers == args.cluster.process)
        .map(|s| s.bytes)
        .sum();
    progress.bytes_total.store(process_bytes, Ordering::Relaxed);

    let targets = SinkTargets {
        stores: output.tables.keys().filter_map(|name| output.store(name).map(|s| (*name, s))).collect(),
        committed: output.committed.clone(),
        runtime: runtime.handle().clone(),
        index: index.clone(),
    };
    let run_row = RunRow {
        run_id: uuid::Uuid::new_v4().to_string(),
        job_id: job_id.clone(),
        mode: "ingest".into(),
        started_us: chrono::Utc::now().timestamp_micros(),
        config: serde_json::json!({
            "inputs": args.inputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "source": args.source,
            "clean": args.clean,
            "dedup": args.dedup,
            "gazetteers": args.gazetteers.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "entities": args.entities,
            "ocr": { "config": args.ocr.config, "limits": args.ocr.limits },
            "index": args.index,
            "workers": args.cluster.workers,
            "processes": args.cluster.processes,
        })
        .to_string(),
        ..RunRow::default()
    };
    let outcome: Arc<Mutex<Option<Outcome>>> = Arc::new(Mutex::new(None));
    let committer = {
        let outcome = outcome.clone();
        let on_finish = Box::new(move |t: &RunTotals| {
            if let Ok(mut o) = outcome.lock() {
                *o = Some(Outcome { totals: t.clone() });
            }
        });
        Mutex::new(Some(DeltaCommitter::new(output, runtime.handle().clone(), run_row, progress.clone(), on_finish)))
    };
    let committer = Arc::new(committer);
    let restored = Arc::new(Mutex::new(Some(restored)));
    let plan_epochs = plan.last_epoch;
    let plan = Arc::new(plan);
    let source_opts = Arc::new(args.source.clone());

    let reporter = Reporter::start(progress.clone(), Duration::from_secs(10));
    let timely_config = args.cluster.to_timely()?;
    let progress_w = progress.clone();
    let guards = timely::execute(timely_config, move |worker| {
        let (index, peers) = (worker.index(), worker.peers());
        let committer = if index == 0 { committer.lock().ok().and_then(|mut c| c.take()) } else { None };
        let inputs = worker.dataflow::<u64, _, _>(|scope| pipeline::build(scope, &targets, &operators, committer));
        let restored = if index == 0 { restored.lock().ok().and_then(|mut r| r.take()) } else { None };
        let mut source = FileSource::new(plan.clone(), source_opts.clone(), index, peers, resume);
        source::drive(worker, inputs, &mut source, resume, restored, &progress_w);
    })
    .map_err(|e| anyhow::anyhow!("starting the workers: {e}"))?;
    let mut failed = Vec::new();
    for result in guards.join() {
        if let Err(e) = result {
            failed.push(e);
        }
    }
    drop(reporter);
    if !failed.is_empty() {
        bail!("the dataflow failed: {}", failed.join("; "));
    }

    let elapsed = started.elapsed();
    if !is_leader {
        tracing::info!(process = args.cluster.process, elapsed_s = elapsed.as_secs_f64(), "process finished");
        return Ok(0);
    }
    let outcome = outcome.lock().ok().and_then(|o| o.clone()).unwrap_or_default();
    let t = &outcome.totals;
    let rows = |name: &str| t.rows.get(name).copied().unwrap_or(0);
    let secs = elapsed.as_secs_f64().max(1e-9);
    let failures_by_stage = runtime.block_on(crate::report::failures_by_stage(&args.out, t.epochs)).unwrap_or_default();
    println!("job {job_id}");
    match t.epochs {
        Some((first, last)) => println!("  epochs     {first}..={last} committed by this run"),
        None if plan_epochs == 0 => println!("  epochs     nothing to do: no input files found"),
        None => println!("  epochs     nothing to do: every epoch is already committed"),
    }
    println!("  inputs     {}", t.inputs);
    println!("  documents  {}", rows("documents"));
    if rows("pages") != 0 {
        println!("  pages      {}", rows("pages"));
    }
    println!("  duplicates {}", rows("duplicates"));
    println!("  entities   {}", rows("entities"));
    if let Some(target) = &index {
        match wenflow_index::ShardedSearcher::open(&target.layout.dir) {
            Ok(s) => println!("  index      {} documents in {} shards", s.num_docs(), s.shards()),
            Err(e) => println!("  index      unreadable: {e}"),
        }
    }
    println!(
        "  failures   {}{}",
        rows("failures"),
        if failures_by_stage.is_empty() { String::new() } else { format!(" ({failures_by_stage})") }
    );
    println!("  wall time  {secs:.1} s");
    println!(
        "  throughput {:.0} docs/s, {:.1} MB/s",
        t.inputs as f64 / secs,
        progress.bytes_read.load(Ordering::Relaxed) as f64 / 1e6 / secs
    );
    let errors = failures_by_stage.split(", ").filter(|s| !s.is_empty() && !s.starts_with("filter")).count();
    if args.fail_on_error && errors > 0 {
        eprintln!("error: some inputs failed (--fail-on-error)");
        return Ok(1);
    }
    Ok(0)
}
