//! Running one scenario on tokio under a watchdog.

use crate::clock::NativeClock;
use crate::host::{host_description, rfc3339_now};
use crate::panics::{self, panic_text, TaskPanicked};
use crate::runtime::TokioRuntime;
use conlab_core::catalog::ScenarioInfo;
use conlab_core::sync::{select, Either};
use conlab_core::{
    finish_trace, ChecksFn, LaneCtx, Nanos, Params, RunSetup, RuntimeKind, ScenarioError, Status,
    Trace, TraceMeta, TraceRecorder,
};
use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;

/// What an async scenario's entry point returns.
pub type ScenarioFuture = Pin<Box<dyn Future<Output = Result<(), ScenarioError>>>>;
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
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name(format!("conlab-run-{name}"))
        .spawn(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
            let _ = tx.send(outcome.map_err(|panic| panic_text(&panic)));
        })
        .map_err(|e| WatchEnd::NoThread(e.to_string()))?;
    match rx.recv_timeout(limit + GRACE) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(panic)) => Err(WatchEnd::Panicked(panic)),
        Err(_) => Err(WatchEnd::TimedOut),
    }
}

/// Runs an async scenario on a current-thread tokio runtime with a `LocalSet`, on a thread of
/// its own, for at most `limit`.
///
/// The trace is built on the run's thread, where the memory the run just freed can be reused;
/// only a run that does not return in time gets its partial trace built here.
pub fn run_scenario(
    info: &'static ScenarioInfo,
    run: impl FnOnce(LaneCtx<TokioRuntime>) -> ScenarioFuture + Send + 'static,
    checks: ChecksFn,
    params: &Params,
    limit: Duration,
) -> Trace {
    let native_clock = NativeClock::start();
    let started_at = rfc3339_now();
    let thread_clock = native_clock.clone();
    let clock = move || native_clock.now();
    let recorder = TraceRecorder::new();
    let (thread_recorder, thread_params) = (recorder.clone(), params.clone());
    let thread_started_at = started_at.clone();
    let watched = watch(info.id, limit, move || {
        let (status, end) = drive(
            run,
            &thread_params,
            thread_recorder.clone(),
            thread_clock,
            limit,
        );
        let meta = meta(info, &thread_params, thread_started_at);
        finish_trace(meta, checks, &thread_recorder, end, status)
    });
    match watched {
        Ok(trace) => trace,
        Err(why) => {
            let meta = meta(info, params, started_at);
            finish_trace(meta, checks, &recorder, clock(), why.status(limit))
        }
    }
}

fn meta<'a>(info: &'a ScenarioInfo, params: &'a Params, started_at: String) -> TraceMeta<'a> {
    TraceMeta {
        info,
        runtime: RuntimeKind::Tokio,
        params,
        recorded_at: Some(started_at),
        host: Some(host_description()),
    }
}

/// Runs the scenario to its end or its limit; returns how it ended and when.
fn drive(
    run: impl FnOnce(LaneCtx<TokioRuntime>) -> ScenarioFuture,
    params: &Params,
    recorder: TraceRecorder,
    native_clock: NativeClock,
    limit: Duration,
) -> (Status, Nanos) {
    let clock = || native_clock.now();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .enable_io()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let reason = format!("could not start tokio: {e}");
            return (Status::Failed { reason }, clock());
        }
    };
    let local = tokio::task::LocalSet::new();
    let setup = RunSetup::with_recorder(
        TokioRuntime::with_clock(native_clock.clone()),
        params.clone(),
        recorder,
    );
    let main = setup.main.clone();
    panics::install_hook();
    panics::reset();
    let status = local.block_on(&runtime, async move {
        let scenario = tokio::time::timeout(limit, run(main.clone()));
        match select(scenario, TaskPanicked).await {
            Either::Left(Ok(Ok(()))) => {
                main.end();
                Status::Ok
            }
            Either::Left(Ok(Err(e))) => Status::Failed { reason: e.0 },
            Either::Left(Err(_)) => Status::TimedOut {
                limit_ms: limit.as_millis() as u64,
            },
            Either::Right(message) => Status::Failed {
                reason: format!("a task panicked: {message}"),
            },
        }
    });
    // The makespan ends with the main task, before the tasks left pending are dropped.
    let end = clock();
    drop(local);
    drop(runtime);
    drop(setup);
    (status, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_task_fails_the_run_at_once_with_its_message() {
        let info = conlab_core::catalog::find("create-task").unwrap();
        let started = std::time::Instant::now();
        let trace = run_scenario(
            info,
            |main: LaneCtx<TokioRuntime>| -> ScenarioFuture {
                Box::pin(async move {
                    let doomed = main.spawn(|_me| async move {
                        if std::hint::black_box(true) {
                            panic!("boom at step 3");
                        }
                    });
                    let _ = doomed.await;
                    Ok(())
                })
            },
            |_| {},
            &Params::defaults(info.params),
            Duration::from_secs(30),
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "not at the limit"
        );
        match &trace.status {
            Status::Failed { reason } => {
                assert!(
                    reason.contains("a task panicked: boom at step 3"),
                    "{reason}"
                )
            }
            other => panic!("{other:?}"),
        }
    }
}
