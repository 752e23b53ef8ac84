//! The watchdog of a native run: its code runs on a thread of its own, waited for at most the
//! run's limit (a thread cannot be killed; one that does not return is left behind, and the
//! partial trace is built from what it recorded).

use conlab_core::Status;
use std::any::Any;
use std::sync::mpsc;
use std::time::Duration;

/// Extra time the watchdog grants a run after its limit, for the run to notice the limit
/// itself and end cleanly.
const GRACE: Duration = Duration::from_millis(500);

/// How a watched body failed to return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEnd {
    /// It ran past its limit (plus a short grace); it was left behind, as a thread cannot be
    /// killed.
    TimedOut,
    /// It panicked, with this message.
    Panicked(String),
    /// Its thread could not be started.
    NoThread(String),
}

impl WatchEnd {
    /// The status a run ending this way gets.
    pub fn status(&self, limit: Duration) -> Status {
        match self {
            WatchEnd::TimedOut => Status::TimedOut {
                limit_ms: limit.as_millis() as u64,
            },
            WatchEnd::Panicked(p) => Status::Failed {
                reason: format!("the scenario panicked: {p}"),
            },
            WatchEnd::NoThread(e) => Status::Failed {
                reason: format!("could not start the scenario thread: {e}"),
            },
        }
    }
}

/// Runs `body` on a thread of its own and waits at most `limit` (plus a short grace) for its
/// result. Whatever a body that did not return had recorded stays in its recorder, so the
/// caller can still build the partial trace.
pub fn watch<T: Send + 'static>(
    name: &str,
    limit: Duration,
    body: impl FnOnce() -> T + Send + 'static,
) -> Result<T, WatchEnd> {
    let rx = spawn_watched(name, body)?;
    match rx.recv_timeout(limit + GRACE) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(panic)) => Err(WatchEnd::Panicked(panic)),
        Err(_) => Err(WatchEnd::TimedOut),
    }
}

/// [`watch`] for a body that does not see its limit itself (threads that block): at the
/// limit `at_limit` is called (it asks the body to give up), and the run has timed out however
/// soon the body then returns; it is waited for a short grace more.
pub fn watch_until<T: Send + 'static>(
    name: &str,
    limit: Duration,
    at_limit: impl FnOnce(),
    body: impl FnOnce() -> T + Send + 'static,
) -> Result<T, WatchEnd> {
    let rx = spawn_watched(name, body)?;
    match rx.recv_timeout(limit) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(panic)) => Err(WatchEnd::Panicked(panic)),
        Err(_) => {
            at_limit();
            // Waited for, so what it recorded while giving up is in the trace.
            match rx.recv_timeout(GRACE) {
                Ok(Err(panic)) => Err(WatchEnd::Panicked(panic)),
                _ => Err(WatchEnd::TimedOut),
            }
        }
    }
}

/// Runs `body` on a thread of its own; its result (or its panic's text) arrives on the
/// channel.
fn spawn_watched<T: Send + 'static>(
    name: &str,
    body: impl FnOnce() -> T + Send + 'static,
) -> Result<mpsc::Receiver<Result<T, String>>, WatchEnd> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name(format!("conlab-run-{name}"))
        .spawn(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
            let _ = tx.send(outcome.map_err(|panic| panic_text(panic.as_ref())));
        })
        .map_err(|e| WatchEnd::NoThread(e.to_string()))?;
    Ok(rx)
}

/// A panic's message, as far as it has one.
pub fn panic_text(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}
