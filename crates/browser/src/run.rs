//! Running one scenario live in the page, with a recorder the UI can read while it runs.

use crate::page::PageRuntime;
use crate::runtime::BrowserRuntime;
use conlab_core::catalog::ScenarioInfo;
use conlab_core::sync::{select, Either};
use conlab_core::{
    ChecksFn, Params, RunSetup, Runtime, RuntimeKind, ScenarioFn, Status, Trace, TraceMeta,
    TraceRecorder,
};
use std::future::Future;
use std::time::Duration;

/// A run in progress: read `recorder` (for example once per animation frame) to draw it live;
/// await `finished` for the complete trace.
pub struct LiveRun<F: Future<Output = Trace>> {
    /// The recording, readable while the run goes on.
    pub recorder: TraceRecorder,
    /// The runtime, for its clock.
    pub runtime: BrowserRuntime,
    /// Scenario, parameters and start time, for live snapshots and the final trace.
    pub meta: std::rc::Rc<TraceMeta>,
    /// Completes with the trace when the scenario ends, its limit passes or it is stopped.
    pub finished: F,
    /// Stops the run: `finished` then completes with the trace so far, marked *stopped*.
    pub stop: crate::StopHandle,
}

/// Where a run goes on: the page's own loop, or a Worker's (which the page's runs use, so a
/// blocking demo freezes the Worker, never the page).
fn host() -> &'static str {
    if js_sys::Reflect::has(&js_sys::global(), &"document".into()).unwrap_or(false) {
        "browser event loop"
    } else {
        "browser Worker's event loop"
    }
}

/// Starts a scenario on the page's event loop (or a Worker's), for at most `limit`.
pub fn start_scenario(
    info: &'static ScenarioInfo,
    run: ScenarioFn<PageRuntime>,
    checks: ChecksFn,
    params: Params,
    limit: Duration,
) -> LiveRun<impl Future<Output = Trace>> {
    let rt = BrowserRuntime::starting_now();
    let meta = std::rc::Rc::new(TraceMeta {
        info,
        runtime: RuntimeKind::Browser,
        params: params.clone(),
        recorded_at: Some(String::from(js_sys::Date::new_0().to_iso_string())),
        host: Some(host().to_string()),
        // Its computation runs on the page's one thread, never side by side.
        cores: None,
    });
    let setup = RunSetup::new(PageRuntime::Live(rt), params);
    let recorder = setup.recorder.clone();
    let main = setup.main;
    let run_meta = meta.clone();
    crate::timers::take_lateness();
    let stop = rt.stop_handle();
    let stopped = stop.clone();
    let finished = async move {
        let ends = select(rt.sleep(limit), stopped.requested());
        let status = match select(run(main.clone()), ends).await {
            Either::Left(Ok(())) => {
                main.end();
                Status::Ok
            }
            Either::Left(Err(e)) => Status::Failed { reason: e.message },
            Either::Right(Either::Left(())) => Status::TimedOut {
                limit_ms: limit.as_millis() as u64,
            },
            Either::Right(Either::Right(())) => Status::Stopped {
                after_ms: rt.now() / 1_000_000,
            },
        };
        // How late the page woke this run's sleeps: checks of sleeps allow it.
        let late = crate::timers::take_lateness();
        setup.recorder.writer().metric(conlab_core::Metric {
            key: conlab_core::TIMER_LATENESS_METRIC.to_string(),
            value: late.as_secs_f64() * 1e3,
            unit: "ms".to_string(),
        });
        run_meta.finish(checks, &setup.recorder, rt.now(), status)
    };
    LiveRun {
        recorder,
        runtime: rt,
        meta,
        finished,
        stop,
    }
}

/// Runs a scenario on the page's event loop and returns its trace.
pub async fn run_scenario(
    info: &'static ScenarioInfo,
    run: ScenarioFn<PageRuntime>,
    checks: ChecksFn,
    params: Params,
    limit: Duration,
) -> Trace {
    start_scenario(info, run, checks, params, limit)
        .finished
        .await
}
