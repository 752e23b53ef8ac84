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
    let rt = VirtualRuntime::new();
    let setup = RunSetup::new(as_runtime(rt.clone()), params.clone());
    let main = setup.main.clone();
    let out_of_time = real_time_limit(limit);
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
        Outcome::TimedOut => Status::TimedOut {
            limit_ms: limit.as_millis() as u64,
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
