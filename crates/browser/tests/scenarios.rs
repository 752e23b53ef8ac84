//! Every async scenario, live on the browser's own event loop in headless Chromium: the checks
//! (invariants with the browser's timing tolerance) must pass there too.
#![cfg(target_arch = "wasm32")]

use conlab_browser::run_scenario;
use conlab_core::{catalog, Params, Trace};
use std::time::Duration;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn run(id: &str, params: &[&str]) -> Trace {
    let info = catalog::find(id).expect("in the catalog");
    let scenario = conlab_scenarios::find(id).expect("a runnable scenario");
    let generic = scenario.generic.expect("an async scenario");
    let params =
        Params::from_assignments(id, info.params, params.iter().copied()).expect("valid params");
    run_scenario(
        info,
        generic.on_browser,
        scenario.checks,
        params,
        Duration::from_secs(60),
    )
    .await
}

fn assert_passed(t: &Trace) {
    let failed: Vec<String> = t
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| format!("{}: {}", c.id, c.detail))
        .collect();
    assert!(
        t.passed(),
        "{} in the browser: {:?}, failed: {failed:?}",
        t.scenario,
        t.status
    );
    assert_eq!(t.runtime, conlab_core::RuntimeKind::Browser);
}

#[wasm_bindgen_test]
async fn every_async_scenario_passes_on_the_browser_loop() {
    let ids = conlab_scenarios::registry::all()
        .iter()
        .filter(|s| s.generic.is_some())
        .map(|s| s.id);
    for id in ids {
        assert_passed(&run(id, &[]).await);
    }
}

#[wasm_bindgen_test]
async fn non_default_parameters_pass_in_the_browser() {
    let variants: &[(&str, &[&str])] = &[
        ("asyncio-two-tasks", &["sleep_ms=60"]),
        ("gather-vs-wait", &["sleeps_ms=250,50,150"]),
        (
            "wait-timeout",
            &["return_when=first_completed", "timeout_ms=400"],
        ),
        ("as-completed", &["sleeps_ms=400,100,250"]),
        ("cancel-all", &["tasks=200", "cancel_after_ms=30"]),
        ("blocking-in-async", &["calls=2", "block_ms=150"]),
        ("sync-vs-async-requests", &["requests=8", "latency_ms=100"]),
    ];
    for (id, params) in variants {
        assert_passed(&run(id, params).await);
    }
}

#[wasm_bindgen_test]
async fn ten_thousand_tasks_overlap_on_the_page_loop() {
    let t = run("event-loop-choice", &["tasks=10000", "sleep_ms=100"]).await;
    assert_passed(&t);
    // How fast is a benchmark's business; here: all 10,000 lanes exist and ended.
    let ended = t
        .lanes
        .iter()
        .filter(|l| l.kind == conlab_core::LaneKind::Task && l.end.is_some())
        .count();
    assert_eq!(ended, 10_000);
}

#[wasm_bindgen_test]
async fn a_live_run_draws_sleeps_in_progress_up_to_now() {
    use conlab_core::Runtime;
    let id = "asyncio-two-tasks";
    let info = catalog::find(id).unwrap();
    let scenario = conlab_scenarios::find(id).unwrap();
    let params = Params::from_assignments(id, info.params, ["sleep_ms=1500"]).unwrap();
    let live = conlab_browser::start_scenario(
        info,
        scenario.generic.unwrap().on_browser,
        scenario.checks,
        params,
        Duration::from_secs(30),
    );
    let (recorder, meta, rt) = (live.recorder.clone(), live.meta.clone(), live.runtime);
    let done = conlab_core::sync::Promise::new();
    let set = done.clone();
    wasm_bindgen_futures::spawn_local(async move {
        set.set(live.finished.await);
    });
    rt.sleep(Duration::from_millis(400)).await;
    let snapshot = meta.snapshot(&recorder, rt.now()).expect("the run goes on");
    let sleeping = snapshot
        .spans
        .iter()
        .filter(|s| s.state == conlab_core::SpanState::Sleeping && s.open)
        .count();
    assert_eq!(sleeping, 2, "{:?}", snapshot.spans);
    assert_passed(&done.get().await);
}

#[wasm_bindgen_test]
async fn stop_ends_a_live_run_at_once_with_a_partial_trace() {
    use conlab_core::{Runtime, SpanState, Status};
    let id = "event-loop-choice";
    let info = catalog::find(id).unwrap();
    let scenario = conlab_scenarios::find(id).unwrap();
    let params =
        Params::from_assignments(id, info.params, ["tasks=200", "sleep_ms=20000"]).unwrap();
    let live = conlab_browser::start_scenario(
        info,
        scenario.generic.unwrap().on_browser,
        scenario.checks,
        params,
        Duration::from_secs(60),
    );
    let (recorder, meta, rt, stop) = (
        live.recorder.clone(),
        live.meta.clone(),
        live.runtime,
        live.stop.clone(),
    );
    let done = conlab_core::sync::Promise::new();
    let set = done.clone();
    wasm_bindgen_futures::spawn_local(async move {
        set.set(live.finished.await);
    });
    rt.sleep(Duration::from_millis(300)).await;
    let asked = rt.now();
    stop.stop();
    let t: Trace = done.get().await;
    let Status::Stopped { after_ms } = t.status else {
        panic!("not stopped: {:?}", t.status)
    };
    // It ended when asked (in whole milliseconds), not when its 20 s sleeps would have.
    assert!(
        (after_ms + 1) * 1_000_000 >= asked && after_ms < 2_000,
        "stopped after {after_ms} ms, asked at {asked} ns"
    );
    assert!(t.checks.is_empty(), "a stopped run is not judged");
    assert!(!t.passed());
    let open_sleeps = t
        .spans
        .iter()
        .filter(|s| s.state == SpanState::Sleeping && s.open)
        .count();
    assert_eq!(open_sleeps, 200, "every task was asleep when it stopped");
    assert!(stop.stopped());
    let _ = (recorder, meta);
}

#[wasm_bindgen_test]
async fn a_stopped_runs_tasks_never_block_the_page_again() {
    use conlab_core::{Runtime, Status};
    let id = "blocking-in-async";
    let info = catalog::find(id).unwrap();
    let scenario = conlab_scenarios::find(id).unwrap();
    let params = Params::from_assignments(id, info.params, ["calls=5", "block_ms=400"]).unwrap();
    let live = conlab_browser::start_scenario(
        info,
        scenario.generic.unwrap().on_browser,
        scenario.checks,
        params,
        Duration::from_secs(60),
    );
    let (recorder, meta, rt) = (live.recorder.clone(), live.meta.clone(), live.runtime);
    // Stopped before its calls got to run: they must not run (and freeze the page) later.
    live.stop.stop();
    let started = rt.now();
    let t = live.finished.await;
    assert!(matches!(t.status, Status::Stopped { .. }), "{:?}", t.status);
    rt.sleep(Duration::from_millis(200)).await;
    // What was recorded after the end took the recording over.
    let later = recorder.collect(rt.now());
    let calls = t.output.len() + later.output.len();
    assert_eq!(calls, 0, "{:?} then {:?}", t.output, later.output);
    assert!(
        rt.now() - started < 1_500_000_000,
        "the page was blocked: {} ns",
        rt.now() - started
    );
}
