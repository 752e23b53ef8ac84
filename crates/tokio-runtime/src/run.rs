//! Running one scenario on tokio under a watchdog.

use crate::host::{host_description, rfc3339_now};
use crate::runtime::TokioRuntime;
use conlab_core::catalog::ScenarioInfo;
use conlab_core::{
    finish_trace, ChecksFn, Nanos, Params, RunSetup, RuntimeKind, ScenarioFn, Status, Trace,
    TraceMeta, TraceRecorder,
};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Extra time the watchdog grants a run after its limit, for the run to notice the limit
/// itself and end cleanly.
const GRACE: Duration = Duration::from_millis(500);

/// Runs `body` on a thread of its own and waits at most `limit` (plus a short grace) for the
/// status and end time it returns. A body still running after that is left behind (a thread
/// cannot be killed) and the run is reported as timed out at `clock()`; whatever the body
/// recorded so far stays in its recorder, so the partial trace can still be shown.
pub fn watch(
    name: &str,
    limit: Duration,
    clock: impl Fn() -> Nanos,
    body: impl FnOnce() -> (Status, Nanos) + Send + 'static,
) -> (Status, Nanos) {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name(format!("conlab-run-{name}"))
        .spawn(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
            let _ = tx.send(outcome.map_err(|panic| panic_text(&panic)));
        });
    if let Err(e) = spawned {
        let reason = format!("could not start the scenario thread: {e}");
        return (Status::Failed { reason }, clock());
    }
    match rx.recv_timeout(limit + GRACE) {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(panic)) => {
            let reason = format!("the scenario panicked: {panic}");
            (Status::Failed { reason }, clock())
        }
        Err(_) => {
            let limit_ms = limit.as_millis() as u64;
            (Status::TimedOut { limit_ms }, clock())
        }
    }
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// Runs an async scenario on a current-thread tokio runtime with a `LocalSet`, on a thread of
/// its own, for at most `limit`.
pub fn run_scenario(
    info: &'static ScenarioInfo,
    run: ScenarioFn<TokioRuntime>,
    checks: ChecksFn,
    params: &Params,
    limit: Duration,
) -> Trace {
    let recorded_at = rfc3339_now();
    let start = Instant::now();
    let recorder = TraceRecorder::new();
    let (thread_recorder, thread_params) = (recorder.clone(), params.clone());
    let clock = move || start.elapsed().as_nanos() as Nanos;
    let (status, end) = watch(info.id, limit, clock, move || {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                let reason = format!("could not start tokio: {e}");
                return (Status::Failed { reason }, clock());
            }
        };
        let local = tokio::task::LocalSet::new();
        let rt = TokioRuntime::starting_at(start);
        let setup = RunSetup::with_recorder(rt, thread_params, thread_recorder);
        let main = setup.main.clone();
        let status = local.block_on(&runtime, async move {
            match tokio::time::timeout(limit, run(main.clone())).await {
                Ok(Ok(())) => {
                    main.end();
                    Status::Ok
                }
                Ok(Err(e)) => Status::Failed { reason: e.0 },
                Err(_) => Status::TimedOut {
                    limit_ms: limit.as_millis() as u64,
                },
            }
        });
        // The makespan ends with the main task, before tasks left pending are dropped.
        (status, clock())
    });
    let meta = TraceMeta {
        info,
        runtime: RuntimeKind::Tokio,
        params,
        recorded_at: Some(recorded_at),
        host: Some(host_description()),
    };
    finish_trace(meta, checks, &recorder, end, status)
}
