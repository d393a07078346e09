//! The `wenflow` binary: argument parsing and wiring only.

mod ingest;
mod report;
mod search;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use wenflow_connectors::delta::Maintenance;
use wenflow_connectors::files::{FieldMap, SourceOptions};
use wenflow_connectors::store::{Location, S3Settings, register_s3};
use wenflow_engine::cluster::ClusterConfig;
use wenflow_jobs::stream::{DeadLetters, KafkaOptions, Payload, StreamInput, StreamSource, WatchOptions};
use wenflow_operators::clean::{CleanConfig, PiiPolicies, PunctuationStyle, QualityThresholds};
use wenflow_operators::dedup::DedupConfig;
use wenflow_operators::dedup::minhash::MinHashConfig;
use wenflow_operators::dedup::near::Verify;
use wenflow_operators::entities::{EntityOptions, Realms};
use wenflow_operators::ocr::{LayoutChoice, OcrConfig, OcrSettings, PageLimits};
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
    #[command(flatten)]
    s3: S3Cli,
}

/// How `s3://` outputs and data roots are reached (credentials: the usual AWS environment
/// variables, or the profile of ~/.aws/credentials and ~/.aws/config).
#[derive(Args, Debug)]
struct S3Cli {
    /// Endpoint of an S3-compatible store (http://127.0.0.1:9000); requests are then path-style. Default: AWS, or AWS_ENDPOINT_URL.
    #[arg(long, global = true)]
    s3_endpoint: Option<String>,
    /// Allow plain HTTP to an endpoint that is not on this machine (loopback endpoints may always use it).
    #[arg(long, global = true)]
    s3_allow_http: bool,
    /// Seconds a failing store request is retried (with backoff) before the job fails; a re-run resumes after the committed epochs.
    #[arg(long, global = true, default_value_t = 120)]
    s3_retry_s: u64,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Ingest files or directories into Delta tables under --out.
    Ingest(Box<IngestCli>),
    /// Keep the tables under --out current with a watched folder (--watch DIR; --once for one incremental pass).
    Stream(Box<StreamCli>),
    /// Run SQL over the tables under --data (`<name>` current state, `<name>_log` change log).
    Sql(SqlCli),
    /// Run the named reports over the tables under --data (all of them if none is named; --list names them).
    Report(report::ReportCli),
    /// Clean a passage and print the entities found in it (dates, dynasties, rulers, persons, places, offices).
    Entities(EntitiesCli),
    /// Search the full-text index under --index (BM25 over all shards, filters, highlighted snippets).
    Search(search::SearchCli),
    /// Serve the output under --data: Arrow Flight SQL for SQL clients and BI tools, and a web page for searching and reading the corpus; follows a running job's new epochs.
    Serve(ServeCli),
    /// Internal: the OCR child process a worker starts (one Tesseract engine, pages on stdin).
    #[command(hide = true)]
    OcrWorker,
}

#[derive(Args, Debug)]
struct EntitiesCli {
    /// The passage.
    text: String,
    /// The dynasty of the document the passage comes from, used to resolve reused eras.
    #[arg(long)]
    dynasty: Option<String>,
    /// The author of the document: a date the passage leaves ambiguous is read within the author's lifetime when known.
    #[arg(long)]
    author: Option<String>,
    /// table or json.
    #[arg(long, default_value = "table")]
    format: String,
    /// A user gazetteer: tab-separated `KIND name [norm [lifetime]]` lines, the lifetime (712-770, ?-989) for PERSON lines (repeatable).
    #[arg(long)]
    gazetteer: Vec<PathBuf>,
    #[command(flatten)]
    era: EraArgs,
    /// Match the passage as given, without cleaning it first.
    #[arg(long)]
    raw: bool,
}

#[derive(Args, Debug)]
struct IngestCli {
    /// JSONL, JSON, Parquet or text files, or directories of them (a chinese-poetry package folder is recognised).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    #[command(flatten)]
    job: JobCli,
}

#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("input").required(true).args(["watch", "kafka"]))]
struct StreamCli {
    /// Watch this folder: new, changed and removed files (every format ingest reads) become inserts, updates and deletions.
    #[arg(long)]
    watch: Option<PathBuf>,
    /// Read Kafka topics from these brokers (bootstrap.servers): a value for a known key updates its document, a null value (tombstone) deletes it.
    #[arg(long, value_name = "BROKERS", requires = "topic")]
    kafka: Option<String>,
    /// A topic to read (repeatable).
    #[arg(long)]
    topic: Vec<String>,
    /// What a Kafka value is: json (the field mapping of ingest; the message key names a record without an id) or text (the message key is the doc_id).
    #[arg(long, default_value = "json")]
    kafka_format: String,
    /// A librdkafka setting passed through, key=value (security.protocol, sasl.mechanism, sasl.username, ssl.ca.location, …; repeatable).
    #[arg(long, value_name = "KEY=VALUE")]
    kafka_option: Vec<String>,
    /// The consumer group offsets are committed to after each epoch commits (for lag monitoring only; positions live in the output).
    #[arg(long, default_value = "wenflow")]
    group: String,
    /// Also produce every failed record to this Kafka topic after its epoch commits (at least once, keyed by the failed input).
    #[arg(long, requires = "kafka")]
    dead_letter_topic: Option<String>,
    /// An epoch also closes after this many Kafka messages on one worker.
    #[arg(long, default_value_t = 100_000)]
    max_messages: usize,
    /// Read what the input holds now (one scan; the topics up to their current end), commit it, and exit: an incremental re-run of a batch job over a changed corpus.
    #[arg(long)]
    once: bool,
    /// Milliseconds per epoch: between scans of a folder, or of reading Kafka.
    #[arg(long, default_value_t = 1000)]
    epoch_ms: u64,
    /// Compact tables of 50 files or more every this many committed epochs (0: never).
    #[arg(long, default_value_t = 100)]
    compact_every: u64,
    /// Seconds a file that compaction replaced is kept for readers that started before it.
    #[arg(long, default_value_t = 3600)]
    vacuum_after_s: u64,
    /// Compact tables with at least this many data files.
    #[arg(long, default_value_t = 50, hide = true)]
    compact_min_files: usize,
    #[command(flatten)]
    job: JobCli,
}

/// The options every job has: output, cluster, field mapping and operators.
#[derive(Args, Debug)]
struct JobCli {
    /// Output root for the tables: a folder, or s3://bucket/prefix.
    #[arg(long)]
    out: String,
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
    /// Seconds a process of several waits at start for its peers to connect before it
    /// gives up with an error (process 0 connects once it has opened the tables and, when
    /// resuming, restored its state from them).
    #[arg(long, default_value_t = 300.0)]
    connect_timeout: f64,
    #[command(flatten)]
    fields: FieldArgs,
    /// Also read the folders the chinese-poetry layout skips (error/, strains/, rank/).
    #[arg(long)]
    include_skipped: bool,
    /// Input megabytes per epoch (epochs commit atomically; memory is bounded by about one or two epochs of input). Fractions work (0.05 is about 50 KB, for tests).
    #[arg(long, default_value_t = 16.0)]
    epoch_mb: f64,
    /// Largest JSONL byte range read as one split, in megabytes (fractions work).
    #[arg(long, default_value_t = 8.0)]
    split_mb: f64,
    /// JSON and text files larger than this many megabytes become failures.
    #[arg(long, default_value_t = 1024)]
    max_file_mb: u64,
    /// Exit with status 1 when any input failed (filtered records do not count).
    #[arg(long)]
    fail_on_error: bool,
    #[command(flatten)]
    clean: CleanArgs,
    #[command(flatten)]
    dedup: DedupArgs,
    /// A user gazetteer for entity extraction: tab-separated `KIND name [norm [lifetime]]` lines, KIND one of PERSON, PLACE, OFFICE, DYNASTY, RULER; the lifetime (712-770, ?-989) for PERSON lines (repeatable).
    #[arg(long)]
    gazetteer: Vec<PathBuf>,
    #[command(flatten)]
    era: EraArgs,
    /// Do not build the full-text index under <out>/index (a later run without this flag builds it from the tables).
    #[arg(long)]
    no_index: bool,
    /// Local cache of an index in an object store (--out s3://…); only a cache: the store holds every commit. Default: ~/.cache/wenflow/index/<hash of the URL>.
    #[arg(long, value_name = "DIR")]
    index_cache: Option<PathBuf>,
    #[command(flatten)]
    ocr: OcrArgs,
}

#[derive(Args, Debug)]
struct EraArgs {
    /// Realms whose regimes an era name is read against: china, japan, korea, a comma-separated list, or all. Another realm's regime is still read when the text names it (日本, 倭, 朝鮮, 高麗 …, or one of its rulers) in front of the era, or the document's dynasty is that regime; named within 40 characters, it is read beside the Chinese one.
    #[arg(long, default_value = "china")]
    era_regimes: String,
}

impl EraArgs {
    fn options(&self) -> anyhow::Result<EntityOptions> {
        Ok(EntityOptions { era_regimes: Realms::parse(&self.era_regimes)? })
    }
}

#[derive(Args, Debug)]
struct OcrArgs {
    /// Tesseract languages for horizontal pages (traineddata names joined by +; add eng, as in chi_tra+eng, for pages that mix in Latin script).
    #[arg(long, default_value = "chi_tra")]
    ocr_languages: String,
    /// Tesseract languages for vertical pages (columns right to left).
    #[arg(long, default_value = "chi_tra_vert")]
    ocr_vertical_languages: String,
    /// Page layout: auto (detected per page), horizontal or vertical.
    #[arg(long, default_value = "auto")]
    ocr_layout: String,
    /// Resolution PDF pages are rendered at, and assumed for images (pixels per inch).
    #[arg(long, default_value_t = 300)]
    ocr_dpi: u32,
    /// Page files with more pages than this fail.
    #[arg(long, default_value_t = PageLimits::default().max_pages)]
    max_pages: u32,
    /// Pages with more pixels than this fail, checked from the header before decoding (decompression bombs).
    #[arg(long, default_value_t = PageLimits::default().max_pixels)]
    max_pixels: u64,
    /// Milliseconds of OCR (or PDF rendering) a page may take before it is stopped and fails.
    #[arg(long, default_value_t = PageLimits::default().ocr_timeout_ms)]
    ocr_timeout_ms: u64,
}

impl OcrArgs {
    fn settings(&self) -> anyhow::Result<OcrSettings> {
        let exe = std::env::current_exe().context("locating the wenflow binary for its OCR workers")?;
        Ok(OcrSettings {
            config: OcrConfig {
                languages: self.ocr_languages.clone(),
                vertical_languages: self.ocr_vertical_languages.clone(),
                layout: LayoutChoice::parse(&self.ocr_layout)?,
                dpi: self.ocr_dpi.clamp(50, 1200),
                tessdata: None,
            },
            limits: PageLimits {
                max_pages: self.max_pages,
                max_pixels: self.max_pixels,
                ocr_timeout_ms: self.ocr_timeout_ms.max(1),
            },
            worker: vec![exe.display().to_string(), "ocr-worker".into()],
        })
    }
}

#[derive(Args, Debug)]
struct CleanArgs {
    /// Punctuation style: corner (fullwidth, 「」 quotes), curly (fullwidth, “” quotes) or keep.
    #[arg(long, default_value = "corner")]
    punctuation: String,
    /// Keep OCR debris (stray Latin letters, digits and symbols amid Han text, page numbers, running headers, repeated punctuation).
    #[arg(long)]
    keep_debris: bool,
    /// Drop missing-character placeholders (□ 〓 U+FFFD) instead of keeping them.
    #[arg(long)]
    drop_placeholders: bool,
    /// Keep variant characters (異體字) instead of mapping them to their standard form.
    #[arg(long)]
    keep_variants: bool,
    /// Do not add the simplified copy (`text_simplified`).
    #[arg(long)]
    no_simplified: bool,
    /// Personal data policies, e.g. `phone=drop,email=keep` or `all=keep` (kinds: phone, email, id_card, bank_card; policies: mask, drop, keep; default mask).
    #[arg(long, default_value = "")]
    pii: String,
    /// Quality filter: fewest non-space characters.
    #[arg(long, default_value_t = 1)]
    min_chars: usize,
    /// Quality filter: lowest share of Han characters among non-punctuation characters (0 turns it off).
    #[arg(long, default_value_t = 0.2)]
    min_han_share: f64,
    /// Quality filter: highest share of characters removed as debris.
    #[arg(long, default_value_t = 0.3)]
    max_debris_ratio: f64,
    /// Quality filter: highest share of placeholders.
    #[arg(long, default_value_t = 0.5)]
    max_placeholder_share: f64,
    /// Quality filter: lowest quality score.
    #[arg(long, default_value_t = 0.0)]
    min_quality: f64,
}

impl CleanArgs {
    fn config(&self) -> anyhow::Result<CleanConfig> {
        Ok(CleanConfig {
            punctuation: PunctuationStyle::parse(&self.punctuation)?,
            debris: !self.keep_debris,
            drop_placeholders: self.drop_placeholders,
            variants: !self.keep_variants,
            simplified: !self.no_simplified,
            pii: PiiPolicies::parse(&self.pii)?,
            quality: QualityThresholds {
                min_chars: self.min_chars,
                min_han_share: self.min_han_share,
                max_debris_ratio: self.max_debris_ratio,
                max_placeholder_share: self.max_placeholder_share,
                min_score: self.min_quality,
            },
        })
    }
}

#[derive(Args, Debug)]
struct DedupArgs {
    /// Exact duplicates only: no MinHash/LSH near-duplicate detection.
    #[arg(long)]
    no_near_duplicates: bool,
    /// Near duplicates: the Jaccard similarity of character n-gram sets a pair needs.
    #[arg(long, default_value_t = 0.8)]
    near_threshold: f64,
    /// Near duplicates: characters per n-gram (Han characters of the simplified text).
    #[arg(long, default_value_t = MinHashConfig::default().ngram)]
    near_ngram: usize,
    /// Near duplicates: LSH bands.
    #[arg(long, default_value_t = MinHashConfig::default().bands)]
    near_bands: usize,
    /// Near duplicates: rows (permutations) per band.
    #[arg(long, default_value_t = MinHashConfig::default().rows)]
    near_rows: usize,
    /// Near duplicates: verify candidates by the exact n-gram Jaccard (keeps the text) or by the MinHash estimate (keeps the signature).
    #[arg(long, default_value = "exact")]
    near_verify: String,
    /// Near duplicates: LSH bucket members linked at most; bigger buckets are capped and reported.
    #[arg(long, default_value_t = 1_000)]
    near_max_bucket: usize,
}

impl DedupArgs {
    fn config(&self) -> anyhow::Result<DedupConfig> {
        let config = DedupConfig {
            near: !self.no_near_duplicates,
            minhash: MinHashConfig {
                ngram: self.near_ngram,
                bands: self.near_bands,
                rows: self.near_rows,
                ..MinHashConfig::default()
            },
            threshold: self.near_threshold,
            verify: Verify::parse(&self.near_verify)?,
            max_bucket: self.near_max_bucket,
        };
        config.validate()?;
        Ok(config)
    }
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
struct ServeCli {
    /// Output root written by `wenflow ingest` or `wenflow stream` (a folder or s3://bucket/prefix).
    #[arg(long)]
    data: String,
    /// Address of the Arrow Flight SQL service ("none" to leave it out).
    #[arg(long, default_value = "127.0.0.1:32010")]
    flight_addr: String,
    /// Address of the web page and its JSON API ("none" to leave it out).
    #[arg(long, default_value = "127.0.0.1:8080")]
    http_addr: String,
    /// How often the output is checked for new epochs, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    refresh_ms: u64,
    /// Memory the running queries together may hold, in MB; a query that needs more fails with an error.
    #[arg(long, default_value_t = 2048)]
    memory_mb: u64,
    /// Local cache of an index in an object store. Default: ~/.cache/wenflow/index/<hash of the URL>.
    #[arg(long, value_name = "DIR")]
    index_cache: Option<PathBuf>,
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

/// A process of a cluster whose peer dies (killed, its machine gone) sees its connection
/// closed inside timely's network threads, which panic. Say that once, clearly, and exit:
/// the committed epochs are safe, and restarting every process resumes after them.
fn exit_when_a_peer_is_lost() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if let Some(cause) = message.strip_prefix("timely communication error: ") {
            eprintln!(
                "error: lost the connection to another process of the cluster ({cause}): it stopped or cannot be reached; \
                 committed epochs are kept, restart every process to resume"
            );
            std::process::exit(1);
        }
        default(info);
    }));
}

fn main() {
    exit_when_a_peer_is_lost();
    // A worker that cannot go on (a store down past its retries) ends the job with one line:
    // the dataflow cannot finish without it, and committed epochs are kept for a re-run.
    wenflow_engine::fatal::set_handler(|message| {
        eprintln!("error: {message}");
        std::process::exit(1);
    });
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("WENFLOW_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,wenflow=info,wenflow_engine=info,wenflow_connectors=info,wenflow_operators=info,wenflow_queries=info")))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    register_s3(S3Settings {
        endpoint: cli.s3.s3_endpoint.clone(),
        allow_http: cli.s3.s3_allow_http,
        retry_timeout: std::time::Duration::from_secs(cli.s3.s3_retry_s.max(1)),
    });
    let result = match cli.command {
        Command::Ingest(a) => {
            let a = *a;
            job_args(a.inputs, a.job).map_err(|e| Usage(one_line(&e)).into()).and_then(ingest::run)
        }
        Command::Stream(a) => stream_input(&a).map_err(|e| Usage(one_line(&e)).into()).and_then(|input| {
            let a = *a;
            let maintenance = Maintenance {
                compact_every: a.compact_every,
                min_files: a.compact_min_files,
                retention: std::time::Duration::from_secs(a.vacuum_after_s),
                ..Maintenance::STREAM
            };
            let dead_letters = match (&a.kafka, &a.dead_letter_topic) {
                (Some(brokers), Some(topic)) => Some(DeadLetters {
                    brokers: brokers.clone(),
                    topic: topic.clone(),
                    settings: kafka_settings(&a.kafka_option)?,
                }),
                _ => None,
            };
            let inputs = a.watch.into_iter().collect();
            let args = job_args(inputs, a.job).map_err(|e| anyhow::Error::from(Usage(one_line(&e))))?;
            ingest::stream(wenflow_jobs::ingest::IngestArgs { maintenance, dead_letters, ..args }, input)
        }),
        Command::Sql(a) => sql(a),
        Command::Report(a) => report::run(a),
        Command::Entities(a) => entities(a),
        Command::Search(a) => search::run(a),
        Command::Serve(a) => serve(a),
        Command::OcrWorker => ocr_worker(),
    };
    let code = match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            if is_usage(&e) { 2 } else { 1 }
        }
    };
    std::process::exit(code);
}

/// An error and its causes on one line, each cause said once: a cause whose message its
/// error already includes is not repeated.
fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let message = cause.to_string().replace('\n', " ");
        if !line.contains(message.as_str()) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&message);
        }
    }
    line
}

/// Whether the user's input is at fault: bad SQL, an unknown table, a data directory
/// that is not there, a query that does not parse, a bad option value. Exit code 2, as
/// for a command line clap refuses.
fn is_usage(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.is::<Usage>()
            || c.downcast_ref::<wenflow_queries::QueryError>().is_some_and(wenflow_queries::QueryError::is_usage)
            || c.downcast_ref::<wenflow_index::IndexError>().is_some_and(wenflow_index::IndexError::is_usage)
            || c.downcast_ref::<wenflow_serve::ServeError>().is_some_and(wenflow_serve::ServeError::is_usage)
    })
}

/// An error in what the user asked for, found after parsing the command line.
#[derive(Debug)]
struct Usage(String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

fn kafka_settings(options: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    let settings = options
        .iter()
        .map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .ok_or_else(|| Usage(format!("--kafka-option {kv:?}: use key=value")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(settings)
}

/// The stream source the options name: one line per registered kind.
fn stream_input(a: &StreamCli) -> anyhow::Result<StreamInput> {
    let interval = std::time::Duration::from_millis(a.epoch_ms.max(1));
    if let Some(root) = &a.watch {
        let watch = WatchOptions { root: root.clone(), once: a.once, interval };
        // A folder that is not there is the user's input at fault (exit code 2).
        watch.check().map_err(|e| Usage(e.to_string()))?;
        return Ok(std::sync::Arc::new(watch));
    }
    let payload = match a.kafka_format.as_str() {
        "json" => Payload::Json,
        "text" => Payload::Text,
        other => return Err(Usage(format!("--kafka-format {other:?}: json or text")).into()),
    };
    let settings = kafka_settings(&a.kafka_option)?;
    Ok(std::sync::Arc::new(KafkaOptions {
        brokers: a.kafka.clone().unwrap_or_default(),
        topics: a.topic.clone(),
        group: a.group.clone(),
        payload,
        settings,
        interval,
        max_messages: a.max_messages.max(1),
        once: a.once,
    }))
}

fn job_args(inputs: Vec<PathBuf>, a: JobCli) -> anyhow::Result<wenflow_jobs::ingest::IngestArgs> {
    let connect_timeout = match std::time::Duration::try_from_secs_f64(a.connect_timeout) {
        Ok(t) if !t.is_zero() => t,
        _ => {
            return Err(Usage(format!(
                "--connect-timeout {}: use a positive number of seconds, at most 1e19",
                a.connect_timeout
            ))
            .into());
        }
    };
    let addresses = match &a.hostfile {
        Some(p) => ClusterConfig::read_hostfile(p)?,
        None => Vec::new(),
    };
    let mb = |n: u64| n.max(1) << 20;
    let size = |option: &str, mb: f64| -> anyhow::Result<u64> {
        if !(mb.is_finite() && mb * 1_048_576.0 >= 1024.0) {
            return Err(Usage(format!("--{option} {mb}: use at least 0.001 (about 1 KB)")).into());
        }
        Ok((mb * 1_048_576.0).round() as u64)
    };
    let f = a.fields;
    let out = Location::parse(&a.out).map_err(|e| Usage(e.to_string()))?;
    Ok(wenflow_jobs::ingest::IngestArgs {
        inputs,
        out,
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
            split_bytes: size("split-mb", a.split_mb)?,
            epoch_bytes: size("epoch-mb", a.epoch_mb)?,
            max_file_bytes: mb(a.max_file_mb),
        },
        cluster: ClusterConfig {
            workers: a.workers,
            processes: a.processes,
            process: a.process,
            addresses,
            connect_timeout,
        },
        fail_on_error: a.fail_on_error,
        clean: a.clean.config()?,
        dedup: a.dedup.config()?,
        gazetteers: a.gazetteer,
        entities: a.era.options()?,
        index: !a.no_index,
        index_cache: a.index_cache,
        ocr: a.ocr.settings()?,
        maintenance: Maintenance::NONE,
        dead_letters: None,
    })
}

/// The OCR child of a worker: its options from the environment, pages on stdin, texts on
/// stdout, until stdin closes.
fn ocr_worker() -> anyhow::Result<i32> {
    let config = std::env::var(wenflow_operators::ocr::worker::CONFIG_ENV)
        .context("ocr-worker is started by wenflow ingest, not by hand")?;
    let config: OcrConfig = serde_json::from_str(&config).context("reading the OCR options")?;
    wenflow_operators::ocr::serve(config, std::io::stdin().lock(), std::io::stdout().lock())?;
    Ok(0)
}

fn sql(a: SqlCli) -> anyhow::Result<i32> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let text = runtime.block_on(wenflow_queries::query_output(&a.data, &a.sql, a.format))?;
    print!("{text}");
    if !text.ends_with('\n') {
        println!();
    }
    Ok(0)
}

fn serve(a: ServeCli) -> anyhow::Result<i32> {
    let address = |option: &str, value: &str| -> anyhow::Result<Option<std::net::SocketAddr>> {
        if value == "none" {
            return Ok(None);
        }
        value
            .parse()
            .map(Some)
            .map_err(|_| Usage(format!("--{option} {value:?}: an address like 127.0.0.1:8080, or none")).into())
    };
    let options = wenflow_serve::ServeOptions {
        flight_addr: address("flight-addr", &a.flight_addr)?,
        http_addr: address("http-addr", &a.http_addr)?,
        data: a.data,
        index_cache: a.index_cache,
        refresh: std::time::Duration::from_millis(a.refresh_ms.max(50)),
        memory: usize::try_from(a.memory_mb.max(64) << 20).unwrap_or(usize::MAX),
    };
    if options.flight_addr.is_none() && options.http_addr.is_none() {
        return Err(Usage("nothing to serve: --flight-addr and --http-addr are both none".into()).into());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(wenflow_serve::serve(options))?;
    Ok(0)
}

fn entities(a: EntitiesCli) -> anyhow::Result<i32> {
    use wenflow_operators::{clean, entities};
    let usage = |e: &dyn std::fmt::Display| anyhow::Error::from(Usage(e.to_string()));
    let json = match a.format.as_str() {
        "json" => true,
        "table" => false,
        other => return Err(Usage(format!("unknown format {other:?} (table or json)")).into()),
    };
    let gazetteer = entities::Gazetteer::with_user_files(&a.gazetteer).map_err(|e| usage(&e))?;
    let extractor = entities::Extractor::new(gazetteer, a.era.options().map_err(|e| usage(&e))?);
    let text = if a.raw { a.text.clone() } else { clean::clean_text(&a.text, true) };
    let doc = entities::DocContext { dynasty: a.dynasty.as_deref(), author: a.author.as_deref() };
    let found = extractor.mentions(&text, &doc);
    print!("{}", entities::render_mentions(&a.text, &text, &found, json));
    Ok(0)
}
