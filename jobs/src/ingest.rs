//! A batch ingest: plan the input, open the output, restore what earlier runs of the job
//! committed, run the dataflow on every worker of this process, and say what was
//! committed.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wenflow_connectors::delta::{self, DeltaCommitter, Maintenance, Output, RunTotals};
use wenflow_connectors::files::{self, FileSource, SourceOptions};
use wenflow_connectors::kafka::DeadLetters;
use wenflow_connectors::sources::{Logged, Share, StreamSource};
use wenflow_connectors::store::Location;
use wenflow_engine::cluster::ClusterConfig;
use wenflow_engine::fatal;
use wenflow_engine::progress::{Progress, Reporter};
use wenflow_engine::schema::RunRow;
use wenflow_engine::source::{self, Restored};

use wenflow_engine::PageTask;
use wenflow_engine::schema::TableRow;
use wenflow_engine::source::{Input, InputRow};
use wenflow_index::{EpochChanges, INDEX_DIR, IndexError, IndexHome, MergeMode, RemoteIndex};
use wenflow_operators::clean::CleanConfig;
use wenflow_operators::dedup::DedupConfig;
use wenflow_operators::entities::{EntityOptions, Extractor, Gazetteer};
use wenflow_operators::ocr::{OcrSettings, RestoredPages};

use crate::error::{JobError, Result};
use crate::pipeline::{self, Operators, SinkTargets};

/// Everything `wenflow ingest` needs.
#[derive(Debug, Clone)]
pub struct IngestArgs {
    /// Files and directories to read.
    pub inputs: Vec<PathBuf>,
    /// Output root: a local folder or an S3 prefix.
    pub out: Location,
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
    /// The local cache of an index kept in an object store (default: under
    /// `~/.cache/wenflow/index/`, see [`wenflow_index::remote::default_cache`]).
    pub index_cache: Option<PathBuf>,
    /// Page decoding and OCR options.
    pub ocr: OcrSettings,
    /// Compaction and vacuum of the tables (streams).
    pub maintenance: Maintenance,
    /// Where failed records are also produced, after their epoch commits.
    pub dead_letters: Option<DeadLetters>,
}

impl IngestArgs {
    /// An ingest of `inputs` into `out` with every default: one worker, the index built,
    /// and page files OCRed by `wenflow ocr-worker` found on the `PATH`.
    pub fn new(inputs: Vec<PathBuf>, out: impl Into<Location>) -> Self {
        IngestArgs {
            inputs,
            out: out.into(),
            job_id: None,
            source: SourceOptions::default(),
            cluster: ClusterConfig::default(),
            fail_on_error: false,
            clean: CleanConfig::default(),
            dedup: DedupConfig::default(),
            gazetteers: Vec::new(),
            entities: EntityOptions::default(),
            index: true,
            index_cache: None,
            ocr: OcrSettings {
                config: Default::default(),
                limits: Default::default(),
                worker: vec!["wenflow".into(), "ocr-worker".into()],
            },
            maintenance: Maintenance::NONE,
            dead_letters: None,
        }
    }
}

/// A job id derived from what determines the job's output: the options and the planned
/// input (every file's path, size and modification time or ETag), so a changed input is a new job.
fn derived_job_id(args: &IngestArgs, plan: &files::Plan) -> Result<String> {
    // The OCR options change the output; the worker program does not.
    let ocr = (&args.ocr.config, &args.ocr.limits);
    let options = (&args.source, &args.clean, &args.dedup, ocr, &args.entities);
    let mut key = serde_json::to_string(&options).unwrap_or_default();
    for g in &args.gazetteers {
        let bytes = std::fs::read(g).map_err(|source| JobError::Read { path: g.display().to_string(), source })?;
        key.push_str(&format!("\ngazetteer|{}|{:016x}", g.display(), xxhash_rust::xxh3::xxh3_64(&bytes)));
    }
    for split in &plan.splits {
        // The stamp's last part: a local file's modification time in nanoseconds (as job ids
        // have always had it), an object's ETag.
        let since = split.stamp.as_deref().map_or("0", |s| s.rsplit_once(':').map_or(s, |(_, t)| t));
        let (format, part, error) = (&split.format, &split.part, &split.error);
        key.push_str(&format!("\n{}|{}|{format}|{part:?}|{error:?}|{since}", split.path.display(), split.bytes));
    }
    Ok(format!("ingest-{:016x}", xxhash_rust::xxh3::xxh3_64(key.as_bytes())))
}

/// What an ingest run did, as this process saw it.
#[derive(Debug, Clone)]
pub struct IngestSummary {
    /// The job's id.
    pub job_id: String,
    /// `ingest` or `stream`.
    pub mode: &'static str,
    /// Whether this is process 0, which commits and knows the totals.
    pub leader: bool,
    /// What this run committed (process 0 only).
    pub totals: RunTotals,
    /// The last epoch of the plan (0: no input files).
    pub planned_epochs: u64,
    /// The index, if the job builds one.
    pub index: Option<wenflow_index::IndexLayout>,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Input bytes this process read.
    pub bytes_read: u64,
}

/// Runs an ingest job on this process's workers and returns what it committed.
pub fn run(args: IngestArgs) -> Result<IngestSummary> {
    run_job(args, None)
}

/// What a stream reads: any registered stream source
/// ([`wenflow_connectors::sources::STREAM_SOURCES`]).
pub type StreamInput = Arc<dyn StreamSource>;

/// A stream job's id: its options and its input (the folder; the brokers and topics), not
/// its content (which changes).
fn stream_job_id(args: &IngestArgs, input: &StreamInput) -> String {
    let ocr = (&args.ocr.config, &args.ocr.limits);
    let options = (&args.source, &args.clean, &args.dedup, ocr, &args.entities);
    let mut key = serde_json::to_string(&options).unwrap_or_default();
    key.push_str(&format!("\n{}|{}", input.kind(), input.describe()));
    for g in &args.gazetteers {
        key.push_str(&format!("\ngazetteer|{}", g.display()));
    }
    format!("stream-{:016x}", xxhash_rust::xxh3::xxh3_64(key.as_bytes()))
}

/// Runs a batch ingest (`stream` is `None`) or a stream.
pub(crate) fn run_job(args: IngestArgs, stream: Option<StreamInput>) -> Result<IngestSummary> {
    let started = Instant::now();
    let mode = if stream.is_some() { "stream" } else { "ingest" };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(JobError::Runtime)?;
    let plan = match &stream {
        None => files::plan(&args.inputs, &args.source).map_err(|e| JobError::Plan(Box::new(e)))?,
        // A stream plans its folder at every scan; its epochs are open-ended.
        Some(_) => files::Plan { first_epoch: 1, ..Default::default() },
    };
    let mut operators = Operators {
        clean: Arc::new(args.clean.clone()),
        dedup: Arc::new(args.dedup.clone()),
        entities: Arc::new(Extractor::new(
            Gazetteer::with_user_files(&args.gazetteers).map_err(JobError::Gazetteer)?,
            args.entities.clone(),
        )),
        ocr: Arc::new(args.ocr.clone()),
        restored_pages: Default::default(),
        dead_letters: args.dead_letters.clone(),
    };
    let job_id = match (&args.job_id, &stream) {
        (Some(id), _) => id.clone(),
        (None, None) => derived_job_id(&args, &plan)?,
        (None, Some(w)) => stream_job_id(&args, w),
    };
    let is_leader = args.cluster.process == 0;
    let output = runtime
        .block_on(Output::open(&args.out, &job_id, is_leader, stream.is_some()))
        .map_err(|source| JobError::Output { what: "opening the output tables", source: Box::new(source) })?;
    let resume = output.resume_epoch(plan.first_epoch);
    if is_leader {
        let removed = runtime.block_on(output.remove_orphans()).map_err(|source| JobError::Output {
            what: "removing files of uncommitted epochs",
            source: Box::new(source),
        })?;
        if removed > 0 {
            tracing::info!(files = removed, "removed data files of uncommitted epochs");
        }
    }
    tracing::info!(job_id = %job_id, splits = plan.splits.len(), epochs = plan.last_epoch, resume_epoch = resume, bytes = plan.bytes(), skipped_files = plan.skipped_files, "planned");
    if resume > plan.first_epoch {
        tracing::info!(resume_epoch = resume, "resuming: earlier epochs are already committed");
    }

    // A stream rebuilds its state from the input log; a batch job from the tables.
    let mut logged = Logged::default();
    if let Some(input) = &stream {
        input.check().map_err(|source| JobError::Output { what: "checking the input", source: Box::new(source) })?;
        (logged.state, logged.replay) = runtime
            .block_on(delta::restore_log(&output, resume - 1))
            .map_err(|source| JobError::Output { what: "restoring the input log", source: Box::new(source) })?;
        // Sources with partitions resume after the last logged epoch, at the positions
        // committed with it.
        let last_logged = output.committed.get(InputRow::TABLE).copied().flatten().unwrap_or(0);
        logged.positions = runtime
            .block_on(delta::restore_positions(&output, last_logged))
            .map_err(|source| JobError::Output { what: "restoring positions", source: Box::new(source) })?;
    }
    // Page files are not read again on restart: the page stages answer them with what the
    // tables hold.
    let page_files: Vec<&PageTask> = logged
        .state
        .iter()
        .filter_map(|(row, n)| match &row.input {
            Input::PageFile(task) if *n > 0 => Some(task),
            _ => None,
        })
        .collect();
    if !page_files.is_empty() {
        let (rows, failures, documents) = runtime
            .block_on(delta::restore_page_outputs(&output, resume - 1))
            .map_err(|source| JobError::Output { what: "restoring the pages", source: Box::new(source) })?;
        operators.restored_pages = Arc::new(RestoredPages::from_committed(page_files, rows, failures, documents));
    }
    if let Some(target) = &args.dead_letters
        && is_leader
        && resume > 1
    {
        let last = resume - 1;
        let failures = runtime.block_on(delta::epoch_failures(&output, last)).map_err(|source| JobError::Output {
            what: "reading the last epoch's failures",
            source: Box::new(source),
        })?;
        target
            .redeliver(last, &failures)
            .map_err(|source| JobError::Output { what: "producing dead letters again", source: Box::new(source) })?;
    }
    let logged = Arc::new(logged);
    let restored = if stream.is_none() && is_leader && resume > plan.first_epoch && resume <= plan.last_epoch {
        runtime
            .block_on(delta::restore(&output, resume))
            .map_err(|source| JobError::Output { what: "restoring the committed state", source: Box::new(source) })?
    } else {
        Restored::default()
    };

    let peers = args.cluster.peers();
    let index = if args.index {
        let home = match &output.root {
            Location::Local(root) => IndexHome::Local(root.clone()),
            Location::S3 { .. } => {
                let url = format!("{}/{INDEX_DIR}", output.root);
                let store = output
                    .root
                    .store()
                    .map_err(|e| JobError::Index(IndexError::Layout { path: url.clone(), message: e.to_string() }))?;
                let cache = args.index_cache.clone().unwrap_or_else(|| wenflow_index::remote::default_cache(&url));
                IndexHome::Remote { remote: RemoteIndex::new(store, url), cache }
            }
        };
        let shape = (args.cluster.process, args.cluster.workers, args.cluster.processes);
        // A batch job merges its segments once at the end; a stream, which has no end, in
        // the background as it goes.
        let merge = if stream.is_some() { MergeMode::Background } else { MergeMode::AtEnd };
        let target = wenflow_index::open_for_job(&home, shape, &job_id, plan.first_epoch, resume, merge, |epoch| {
            let (docs, mentions) = runtime.block_on(delta::epoch_changes(&output, epoch)).map_err(|e| e.to_string())?;
            Ok(EpochChanges { docs, mentions })
        })
        .map_err(JobError::Index)?;
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
        mode: mode.into(),
        started_us: chrono::Utc::now().timestamp_micros(),
        config: serde_json::json!({
            "inputs": args.inputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "stream": stream.as_ref().map(|w| serde_json::json!({ "kind": w.kind(), "input": w.describe() })),
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
    let outcome: Arc<Mutex<Option<RunTotals>>> = Arc::new(Mutex::new(None));
    let committer = {
        let outcome = outcome.clone();
        let on_finish = Box::new(move |t: &RunTotals| {
            if let Ok(mut o) = outcome.lock() {
                *o = Some(t.clone());
            }
        });
        let mut committer = DeltaCommitter::new(output, runtime.handle().clone(), run_row, progress.clone(), on_finish)
            .with_maintenance(args.maintenance);
        if is_leader {
            // One process: nothing else writes, so files no commit names are a killed run's.
            let deleted = committer.vacuum(args.cluster.processes == 1).map_err(JobError::Engine)?;
            if deleted > 0 {
                tracing::info!(files = deleted, "vacuumed files an earlier compaction replaced or a killed run left");
            }
        }
        Mutex::new(Some(committer))
    };
    let committer = Arc::new(committer);
    let restored = Arc::new(Mutex::new(Some(restored)));
    let plan_epochs = plan.last_epoch;
    let plan = Arc::new(plan);
    let source_opts = Arc::new(args.source.clone());

    let reporter = Reporter::start(progress.clone(), Duration::from_secs(10));
    let timely_config = args.cluster.to_timely()?;
    let progress_w = progress.clone();
    let formed = args.cluster.watch_formation();
    let guards = timely::execute(timely_config, move |worker| {
        formed.done();
        let (index, peers) = (worker.index(), worker.peers());
        let committer = if index == 0 { committer.lock().ok().and_then(|mut c| c.take()) } else { None };
        let inputs = worker.dataflow::<u64, _, _>(|scope| pipeline::build(scope, &targets, &operators, committer));
        let restored = if index == 0 { restored.lock().ok().and_then(|mut r| r.take()) } else { None };
        match &stream {
            None => {
                let mut source = FileSource::new(plan.clone(), source_opts.clone(), index, peers, resume);
                source::drive(worker, inputs, &mut source, resume, restored, &progress_w);
            }
            Some(input) => {
                let share = Share { worker: index, peers };
                let mut source = input.open(share, source_opts.clone(), &logged).unwrap_or_else(|e| {
                    fatal::fail(format!("worker {index}: opening the {} source: {e}", input.kind()))
                });
                source::drive(worker, inputs, source.as_mut(), resume, None, &progress_w);
            }
        }
    })
    .map_err(|e| JobError::Dataflow(format!("starting the workers: {e}")))?;
    let mut failed = Vec::new();
    for result in guards.join() {
        if let Err(e) = result {
            failed.push(e);
        }
    }
    drop(reporter);
    if !failed.is_empty() {
        // The workers' own words when they failed on purpose; timely's otherwise.
        let reasons = fatal::take_failures();
        return Err(JobError::Dataflow(if reasons.is_empty() { failed.join("; ") } else { reasons.join("; ") }));
    }
    let elapsed = started.elapsed();
    if !is_leader {
        tracing::info!(process = args.cluster.process, elapsed_s = elapsed.as_secs_f64(), "process finished");
    }
    let totals = outcome.lock().ok().and_then(|o| o.clone()).unwrap_or_default();
    Ok(IngestSummary {
        job_id,
        mode,
        leader: is_leader,
        totals,
        planned_epochs: plan_epochs,
        index: index.map(|t| (*t.layout).clone()),
        elapsed,
        bytes_read: progress.bytes_read.load(Ordering::Relaxed),
    })
}
