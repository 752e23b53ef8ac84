//! An OS thread with an event loop of its own: what a scenario uses for a second party that
//! must not share its loop (a web server, a worker process stand-in).

use std::future::Future;
use std::thread::JoinHandle;

/// Starts a thread named `name` that runs the future `make` returns on a current-thread tokio
/// runtime of its own (timers and IO enabled) and ends with it. The future is made on the new
/// thread, so it need not be `Send`. If the runtime cannot start, the thread ends at once and
/// the future is never made; whoever waits for it (a channel, a join) sees it gone.
pub fn spawn_loop_thread<F>(
    name: impl Into<String>,
    make: impl FnOnce() -> F + Send + 'static,
) -> std::io::Result<JoinHandle<()>>
where
    F: Future<Output = ()>,
{
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(make());
        })
}
