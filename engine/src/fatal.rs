//! Errors that end a worker, and with it the job.
//!
//! An operator that cannot go on (a table or the index that cannot be written after the
//! store's retries, a source that cannot be opened) calls [`fail`]. A dataflow cannot
//! continue without one of its workers: the others would wait forever for the progress it
//! holds. So the program installs a handler ([`set_handler`]) that reports the error and
//! ends the process (the `wenflow` binary prints one line and exits 1; committed epochs are
//! kept and a re-run resumes after them). Without a handler (a library, a test), the worker
//! unwinds with the message, which [`take_failures`] returns to whoever joins the workers.

use std::sync::{Mutex, OnceLock};

type Handler = Box<dyn Fn(&str) + Send + Sync>;

static HANDLER: OnceLock<Handler> = OnceLock::new();
static FAILURES: Mutex<Vec<String>> = Mutex::new(Vec::new());
static REPORTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Makes [`fail`] call `handler` first (once per process; later calls are ignored).
pub fn set_handler(handler: impl Fn(&str) + Send + Sync + 'static) {
    let _ = HANDLER.set(Box::new(handler));
}

/// Ends this worker because of `message`: the handler is told, then the worker unwinds
/// (without the panic hook's report).
pub fn fail(message: impl Into<String>) -> ! {
    let message = message.into();
    tracing::debug!(%message, "worker failed");
    FAILURES.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(message.clone());
    if let Some(handler) = HANDLER.get() {
        // The first failure is the one reported; a worker failing at the same moment
        // waits for the handler to end the process.
        if REPORTED.swap(true, std::sync::atomic::Ordering::SeqCst) {
            loop {
                std::thread::park();
            }
        }
        handler(&message);
    }
    std::panic::resume_unwind(Box::new(message))
}

/// The messages of the workers that failed so far, oldest first (and forgets them).
pub fn take_failures() -> Vec<String> {
    std::mem::take(&mut *FAILURES.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_failed_worker_leaves_its_message() {
        let joined = std::thread::spawn(|| super::fail("the store stayed down")).join();
        assert!(joined.is_err());
        assert!(super::take_failures().contains(&"the store stayed down".to_owned()));
    }
}
