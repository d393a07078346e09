//! Progress of a run: counters shared by the workers of one process, a progress bar on a
//! terminal and periodic log lines elsewhere.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Counters updated by the workers of this process.
#[derive(Debug, Default)]
pub struct Progress {
    /// Input bytes this process has read.
    pub bytes_read: AtomicU64,
    /// Input bytes assigned to this process.
    pub bytes_total: AtomicU64,
    /// Input records this process has read.
    pub records: AtomicU64,
    /// Epochs committed (known on the committing process).
    pub epochs_committed: AtomicU64,
    done: AtomicBool,
}

impl Progress {
    /// Adds `n` to a counter.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// Shows progress until dropped: an indicatif bar on a terminal, a log line every
/// `interval` otherwise.
pub struct Reporter {
    progress: Arc<Progress>,
    thread: Option<JoinHandle<()>>,
}

impl Reporter {
    /// Starts reporting `progress`.
    pub fn start(progress: Arc<Progress>, interval: Duration) -> Reporter {
        let p = progress.clone();
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let bar = std::io::stderr().is_terminal().then(|| {
                let bar = indicatif::ProgressBar::new(p.bytes_total.load(Ordering::Relaxed));
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{spinner} [{elapsed_precise}] {bar:40} {bytes}/{total_bytes} {msg}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                bar
            });
            let mut last_log = Instant::now();
            while !p.done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let read = p.bytes_read.load(Ordering::Relaxed);
                let records = p.records.load(Ordering::Relaxed);
                let epochs = p.epochs_committed.load(Ordering::Relaxed);
                let rate = records as f64 / started.elapsed().as_secs_f64().max(1e-3);
                if let Some(bar) = &bar {
                    bar.set_length(p.bytes_total.load(Ordering::Relaxed));
                    bar.set_position(read);
                    bar.set_message(format!("{records} records, {rate:.0}/s, {epochs} epochs committed"));
                } else if last_log.elapsed() >= interval {
                    last_log = Instant::now();
                    tracing::info!(
                        bytes_read = read,
                        bytes_total = p.bytes_total.load(Ordering::Relaxed),
                        records,
                        epochs_committed = epochs,
                        records_per_s = rate as u64,
                        "progress"
                    );
                }
            }
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
        });
        Reporter { progress, thread: Some(thread) }
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        self.progress.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
