//! The runtime that blocking callers run object-store requests on.
//!
//! Dataflow workers and planning are plain threads: they read input objects and publish
//! index files by blocking on [`block_on`], which drives the request on one small runtime
//! shared by the process (its own threads do the I/O, so many workers may wait at once).

use std::future::Future;
use std::sync::OnceLock;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("wenflow-io")
            .enable_all()
            .build()
            .expect("an I/O runtime")
    })
}

/// Runs `f` to completion from any thread, inside another runtime too (on a scoped
/// thread then, since a runtime's thread may not block on another).
pub fn block_on<F: Future + Send>(f: F) -> F::Output
where
    F::Output: Send,
{
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| s.spawn(|| runtime().block_on(f)).join().expect("an I/O thread"))
    } else {
        runtime().block_on(f)
    }
}
