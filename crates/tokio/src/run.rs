//! Running one scenario on tokio under a watchdog.

use crate::clock::NativeClock;
use crate::host::{host_description, rfc3339_now};
use crate::panics::{self, panic_text, TaskPanicked};
use crate::runtime::TokioRuntime;
use conlab_core::catalog::ScenarioInfo;
use conlab_core::sync::{select, Either};
use conlab_core::{
    ChecksFn, LaneCtx, Metric, Nanos, Params, RunSetup, RuntimeKind, ScenarioError, Status, Trace,
    TraceMeta, TraceRecorder, TIMER_LATENESS_METRIC,
};
use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;
use std::sync::Arc;

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

/// What a native run starts with: its metadata (built here, once per run), the recorder every
/// thread of the run writes into, the clock they all read, and the time limit. A front end
/// that shows the run live keeps a clone and takes [`NativeStart::snapshot`]s while it goes on.
#[derive(Clone)]
pub struct NativeStart {
    /// Scenario, parameters, start time and machine.
    pub meta: Arc<TraceMeta>,
    /// The recording, readable while the run goes on.
    pub recorder: TraceRecorder,
    /// The run's clock: 0 when the run started.
    pub clock: NativeClock,
    /// How long the run may take.
    pub limit: Duration,
    /// The server its slow requests go to, when it has one (real IO).
    pub slow_server: Option<crate::SlowLink>,
    /// Set to stop the run before its end.
    pub stop: crate::StopSignal,
}

impl NativeStart {
    /// Starts the clock and the recording of a native run of `info` with `params`.
    pub fn new(info: &'static ScenarioInfo, params: Params, limit: Duration) -> NativeStart {
        NativeStart {
            meta: Arc::new(TraceMeta {
                info,
                runtime: RuntimeKind::Tokio,
                params,
                recorded_at: Some(rfc3339_now()),
                host: Some(host_description()),
                cores: Some(crate::host::cores()),
            }),
            recorder: TraceRecorder::new(),
            clock: NativeClock::start(),
            limit,
            slow_server: None,
            stop: crate::StopSignal::default(),
        }
    }

    /// What the run has recorded so far, open spans drawn up to now; `None` once it is
    /// finishing (see [`conlab_core::TraceMeta::snapshot`]).
    pub fn snapshot(&self) -> Option<Trace> {
        self.meta.snapshot(&self.recorder, self.clock.now())
    }

    /// Asks the run to stop now; it ends *stopped*.
    pub fn request_stop(&self) {
        self.stop.request(self.clock.now());
    }

    /// The status of a run that was stopped, if it was: stopped now, when its last part
    /// gave up (a thread waits out at most a slice after the stop was asked).
    pub fn stopped_status(&self) -> Option<Status> {
        self.stop.requested().map(|_| Status::Stopped {
            after_ms: self.clock.now() / 1_000_000,
        })
    }

    /// The trace of a run that ended before its scenario started (skipped, or failed while
    /// being set up).
    pub fn without_recording(&self, status: Status) -> Trace {
        self.meta.without_recording(status)
    }
}

/// Runs an async scenario on a current-thread tokio runtime with a `LocalSet`, on a thread of
/// its own, for at most `start.limit`.
///
/// The trace is built on the run's thread, where the memory the run just freed can be reused;
/// only a run that does not return in time gets its partial trace built here.
pub fn run_scenario(
    start: &NativeStart,
    run: impl FnOnce(LaneCtx<TokioRuntime>) -> ScenarioFuture + Send + 'static,
    checks: ChecksFn,
) -> Trace {
    let limit = start.limit;
    let on_thread = start.clone();
    let watched = watch(start.meta.info.id, limit, move || {
        let (status, end) = drive(run, &on_thread);
        on_thread
            .meta
            .finish(checks, &on_thread.recorder, end, status)
    });
    match watched {
        Ok(trace) => trace,
        Err(why) => start.meta.finish(
            checks,
            &start.recorder,
            start.clock.now(),
            why.status(limit),
        ),
    }
}

/// Runs the scenario to its end or its limit; returns how it ended and when.
fn drive(
    run: impl FnOnce(LaneCtx<TokioRuntime>) -> ScenarioFuture,
    start: &NativeStart,
) -> (Status, Nanos) {
    let limit = start.limit;
    let clock = || start.clock.now();
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
        TokioRuntime::with_slow_server(start.clock, start.slow_server.clone())
            .stopped_by(start.stop.clone()),
        start.meta.params.clone(),
        start.recorder.clone(),
    );
    let main = setup.main.clone();
    panics::install_hook();
    panics::reset();
    let stop = start.stop.clone();
    let status = local.block_on(&runtime, async move {
        let mut scenario = std::pin::pin!(tokio::time::timeout(limit, run(main.clone())));
        match select(select(scenario.as_mut(), TaskPanicked), stop.asked()).await {
            // A scenario that held the loop until its end never saw the stop asked meanwhile:
            // it was still stopped, not a run to judge.
            Either::Left(Either::Left(Ok(Ok(())))) if start.stop.requested().is_some() => {
                start.stopped_status().unwrap_or(Status::Ok)
            }
            Either::Left(Either::Left(Ok(Ok(())))) => {
                main.end();
                Status::Ok
            }
            Either::Left(Either::Left(Ok(Err(e)))) => Status::Failed { reason: e.message },
            Either::Left(Either::Left(Err(_))) => Status::TimedOut {
                limit_ms: limit.as_millis() as u64,
            },
            Either::Left(Either::Right(message)) => Status::Failed {
                reason: format!("a task panicked: {message}"),
            },
            Either::Right(()) => {
                if main.runtime().winds_down() {
                    let wound_down = select(scenario, TaskPanicked);
                    let _ = tokio::time::timeout(crate::runtime::STOP_GRACE, wound_down).await;
                }
                start.stopped_status().unwrap_or(Status::Ok)
            }
        }
    });
    // The makespan ends with the main task, before the tasks left pending are dropped.
    let end = clock();
    let status = match (status, start.slow_server.as_ref().and_then(|s| s.failure())) {
        (Status::Ok, Some(reason)) => Status::Failed { reason },
        (status, _) => status,
    };
    drop(local);
    // Measured after the run, so it never shifts the run's own times.
    let lateness = timer_lateness(&runtime);
    start.recorder.writer().metric(Metric {
        key: TIMER_LATENESS_METRIC.to_string(),
        value: lateness.as_secs_f64() * 1e3,
        unit: "ms".to_string(),
    });
    drop(runtime);
    drop(setup);
    (status, end)
}

/// How much longer than asked a sleep on tokio's timer can take: its wheel ticks once a
/// millisecond, so a sleep ends at the first tick after its deadline. Measured once per process
/// (the longest of a few tiny sleeps, at most 5 ms so one descheduled moment does not count).
fn timer_lateness(runtime: &tokio::runtime::Runtime) -> Duration {
    static MEASURED: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();
    *MEASURED.get_or_init(|| {
        runtime.block_on(async {
            let mut longest = Duration::ZERO;
            for _ in 0..5 {
                let t0 = std::time::Instant::now();
                tokio::time::sleep(Duration::from_micros(1)).await;
                longest = longest.max(t0.elapsed());
            }
            longest.min(Duration::from_millis(5))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_task_fails_the_run_at_once_with_its_message() {
        let info = conlab_core::catalog::find("create-task").unwrap();
        let started = std::time::Instant::now();
        let start = NativeStart::new(info, Params::defaults(info.params), Duration::from_secs(30));
        let trace = run_scenario(
            &start,
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
