//! Running one scenario on the virtual runtime and turning it into a trace.

use crate::executor::{Outcome, VirtualRuntime};
use conlab_core::catalog::ScenarioInfo;
use conlab_core::{ChecksFn, Params, RunSetup, Runtime, ScenarioFn, Status, Trace, TraceMeta};
use std::time::Duration;

/// A budget of task polls far above any scenario's needs (a million tasks poll about twice
/// each) that still stops a task yielding forever in well under a second.
const MAX_POLLS: u64 = 20_000_000;

/// Runs a scenario to completion in virtual time. `limit` bounds the real time the run may
/// take (natively; a browser page stops a run with its poll budget and the virtual bound).
pub fn run_scenario(
    info: &'static ScenarioInfo,
    run: ScenarioFn<VirtualRuntime>,
    checks: ChecksFn,
    params: &Params,
    limit: Duration,
) -> Trace {
    run_scenario_on(info, |rt| rt, run, checks, params, limit)
}

/// [`run_scenario`] for scenario code instantiated for another runtime type that can stand
/// for this executor (`as_runtime` wraps it): a page ships one copy of every scenario for
/// both its live runs and its virtual-time step-through.
pub fn run_scenario_on<R: Runtime>(
    info: &'static ScenarioInfo,
    as_runtime: impl FnOnce(VirtualRuntime) -> R,
    run: ScenarioFn<R>,
    checks: ChecksFn,
    params: &Params,
    limit: Duration,
) -> Trace {
    run_scenario_bounded_on(
        info,
        as_runtime,
        run,
        checks,
        params,
        &Bounds {
            time: limit,
            ..Bounds::default()
        },
    )
}

/// What may end a virtual run early besides its own end: its real-time limit, a stop asked
/// from elsewhere (a server's Stop), and a cap on what it records (a server's `--max-events`,
/// or what a trace conlab reads back can hold).
#[derive(Debug, Clone, Default)]
pub struct Bounds {
    /// The real time the run may take.
    pub time: Duration,
    /// Set from elsewhere to stop the run (it ends *stopped*, not judged).
    pub stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// The most events it may record: beyond, it is cut off and ends *refused*, saying so.
    pub max_events: Option<usize>,
    /// Why that is the most, said in the refusal (`the most this server keeps of one run`).
    pub max_events_why: &'static str,
}

/// [`run_scenario`] within `bounds`.
pub fn run_scenario_bounded(
    info: &'static ScenarioInfo,
    run: ScenarioFn<VirtualRuntime>,
    checks: ChecksFn,
    params: &Params,
    bounds: &Bounds,
) -> Trace {
    run_scenario_bounded_on(info, |rt| rt, run, checks, params, bounds)
}

/// Why a virtual run was cut off from outside.
#[derive(Clone, Copy, PartialEq)]
enum Cut {
    Time,
    #[cfg(not(target_arch = "wasm32"))]
    Stop,
    #[cfg(not(target_arch = "wasm32"))]
    Events(usize),
}

/// A stop asked from elsewhere, or more events than the bounds allow. A page's runs have
/// neither (its own Stop ends its live runs; its virtual runs are bounded by their poll
/// budget), so its build leaves this out.
fn cut_from_outside(bounds: &Bounds, recorder: &conlab_core::TraceRecorder) -> Option<Cut> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let stop = bounds.stop.as_ref();
        if stop.is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed)) {
            return Some(Cut::Stop);
        }
        let events = bounds.max_events.map(|_| recorder.event_count());
        if let (Some(max), Some(events)) = (bounds.max_events, events) {
            if events > max {
                return Some(Cut::Events(events));
            }
        }
        None
    }
    #[cfg(target_arch = "wasm32")]
    {
        let _ = (bounds, recorder);
        None
    }
}

/// [`run_scenario_on`] within `bounds`.
pub fn run_scenario_bounded_on<R: Runtime>(
    info: &'static ScenarioInfo,
    as_runtime: impl FnOnce(VirtualRuntime) -> R,
    run: ScenarioFn<R>,
    checks: ChecksFn,
    params: &Params,
    bounds: &Bounds,
) -> Trace {
    let limit = bounds.time;
    let rt = VirtualRuntime::new();
    let setup = RunSetup::new(as_runtime(rt.clone()), params.clone());
    let main = setup.main.clone();
    let out_of_real_time = real_time_limit(limit);
    let cut: std::cell::Cell<Option<Cut>> = std::cell::Cell::new(None);
    let recorder = setup.recorder.clone();
    let out_of_time = || {
        if cut.get().is_none() {
            let why = if out_of_real_time() {
                Some(Cut::Time)
            } else {
                cut_from_outside(bounds, &recorder)
            };
            cut.set(why);
        }
        cut.get().is_some()
    };
    let outcome = rt.run(
        async move {
            let result = run(main.clone()).await;
            main.end();
            result
        },
        &out_of_time,
        MAX_POLLS,
    );
    let status = match outcome {
        Outcome::Completed(Ok(())) => Status::Ok,
        Outcome::Completed(Err(e)) => Status::Failed { reason: e.message },
        Outcome::Deadlock => Status::Failed {
            reason: "deadlock: every task is waiting and no timer is pending".into(),
        },
        Outcome::TimedOut => match cut.get() {
            #[cfg(not(target_arch = "wasm32"))]
            Some(Cut::Stop) => Status::Stopped {
                after_ms: rt_now(&rt) / 1_000_000,
            },
            #[cfg(not(target_arch = "wasm32"))]
            Some(Cut::Events(events)) => Status::Refused {
                reason: format!(
                    "the run recorded more than {} events ({events} when it was cut off): {}",
                    bounds.max_events.unwrap_or(0),
                    bounds.max_events_why
                ),
            },
            _ => Status::TimedOut {
                limit_ms: limit.as_millis() as u64,
            },
        },
        Outcome::PastVirtualBound => Status::Failed {
            reason: format!(
                "the virtual clock would pass {} days: a timer that never ends",
                crate::VIRTUAL_BOUND.as_secs() / 86_400
            ),
        },
        Outcome::StepLimit => Status::Failed {
            reason: format!("a task kept the loop busy for more than {MAX_POLLS} polls"),
        },
    };
    let meta = TraceMeta {
        info,
        runtime: conlab_core::RuntimeKind::Virtual,
        params: params.clone(),
        recorded_at: None,
        host: None,
        cores: None,
    };
    meta.finish(checks, &setup.recorder, rt_now(&rt), status)
}

/// Whether `limit` of real time has passed since now. std's clock does not exist in a
/// browser's wasm, where runs are bounded by their poll budget and the virtual bound instead.
fn real_time_limit(limit: Duration) -> impl Fn() -> bool {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let started = std::time::Instant::now();
        move || started.elapsed() > limit
    }
    #[cfg(target_arch = "wasm32")]
    {
        let _ = limit;
        || false
    }
}

fn rt_now(rt: &VirtualRuntime) -> u64 {
    conlab_core::Runtime::now(rt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use conlab_core::{LaneCtx, ScenarioError};
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    /// A run that spawns tasks that sleep, forever: only its bounds end it.
    fn endless(
        main: LaneCtx<VirtualRuntime>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), ScenarioError>>>> {
        Box::pin(async move {
            loop {
                let handle = main.spawn(|me| async move {
                    me.sleep(Duration::from_millis(1)).await;
                });
                let _ = main.join(handle).await;
            }
        })
    }

    fn info() -> &'static ScenarioInfo {
        conlab_core::catalog::find("create-task").unwrap()
    }

    #[test]
    fn a_run_recording_more_than_its_bounds_allow_is_refused_saying_why() {
        let bounds = Bounds {
            time: Duration::from_secs(30),
            stop: None,
            max_events: Some(5_000),
            max_events_why: "the most this test keeps",
        };
        let params = Params::defaults(info().params);
        let t = run_scenario_bounded(info(), endless, |_| {}, &params, &bounds);
        match &t.status {
            Status::Refused { reason } => assert!(
                reason.contains("more than 5000 events")
                    && reason.ends_with("the most this test keeps"),
                "{reason}"
            ),
            other => panic!("{other:?}"),
        }
        assert!(t.checks.is_empty(), "a refused run is not judged");
    }

    #[test]
    fn a_stop_asked_from_elsewhere_ends_a_virtual_run_stopped() {
        let stop = Arc::new(AtomicBool::new(true));
        let bounds = Bounds {
            time: Duration::from_secs(30),
            stop: Some(stop),
            ..Bounds::default()
        };
        let params = Params::defaults(info().params);
        let t = run_scenario_bounded(info(), endless, |_| {}, &params, &bounds);
        assert!(matches!(t.status, Status::Stopped { .. }), "{:?}", t.status);
    }
}
