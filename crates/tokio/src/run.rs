//! Running one scenario on tokio under a watchdog.

use crate::panics::{self, TaskPanicked};
use crate::runtime::TokioRuntime;
use conlab_core::sync::{select, Either};
use conlab_core::{
    ChecksFn, LaneCtx, Metric, Nanos, RunSetup, ScenarioError, Status, Trace, TIMER_LATENESS_METRIC,
};
use conlab_native::{watch, NativeStart};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// What an async scenario's entry point returns.
pub type ScenarioFuture = Pin<Box<dyn Future<Output = Result<(), ScenarioError>>>>;

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
        let start = NativeStart::new(
            info,
            conlab_core::Params::defaults(info.params),
            Duration::from_secs(30),
        );
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
