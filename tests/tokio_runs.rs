//! Every natively runnable scenario on tokio: checks are invariants with tolerances that hold
//! on a busy 2-core machine. Runs are sequential so timing checks do not fight each other.

use conlab_scenarios::RuntimeChoice::Tokio;
use conlab_tests::{assert_passed, run};

#[test]
fn every_native_scenario_passes_with_defaults_and_variants() {
    for id in conlab_scenarios::native_ids() {
        assert_passed(&run(id, Tokio, &[]));
    }
    let variants: &[(&str, &[&str])] = &[
        ("asyncio-two-tasks", &["sleep_ms=50"]),
        ("create-task", &["tasks=2000", "sleep_ms=100"]),
        ("gather-vs-wait", &["sleeps_ms=250,50,150"]),
        (
            "wait-timeout",
            &["return_when=first_completed", "timeout_ms=500"],
        ),
        (
            "wait-timeout",
            &[
                "return_when=first_exception",
                "fail_index=2",
                "timeout_ms=1000",
            ],
        ),
        ("as-completed", &["sleeps_ms=400,100,250,175"]),
        ("blocking-in-async", &["calls=2", "block_ms=150"]),
        ("cancel-all", &["tasks=100", "cancel_after_ms=50"]),
        ("sync-vs-async-requests", &["requests=3", "latency_ms=120"]),
        ("run-in-executor", &["calls=6", "block_ms=150"]),
        ("loop-in-thread", &["jobs=12"]),
        ("event-loop-choice", &["tasks=50000"]),
    ];
    for (id, params) in variants {
        assert_passed(&run(id, Tokio, params));
    }
}

#[test]
fn the_process_pool_variant_runs_each_call_in_a_process_of_its_own() {
    let t = conlab_tests::run(
        "run-in-executor",
        Tokio,
        &["pool=process", "calls=5", "block_ms=150"],
    );
    conlab_tests::assert_passed(&t);
    let processes: Vec<&conlab_core::Lane> = t
        .lanes
        .iter()
        .filter(|l| l.kind == conlab_core::LaneKind::Process)
        .collect();
    assert_eq!(processes.len(), 5);
    // Each blocking call is recorded on a process lane, none on the loop's.
    for s in t
        .spans
        .iter()
        .filter(|s| s.state == conlab_core::SpanState::Blocking)
    {
        assert!(processes.iter().any(|l| l.id == s.lane), "{s:?}");
    }
}

#[test]
fn a_run_past_its_limit_ends_as_timed_out_with_its_partial_trace() {
    let info = conlab_core::catalog::find("cancel-all").unwrap();
    let params =
        conlab_core::Params::from_assignments(info.id, info.params, ["cancel_after_ms=60000"])
            .unwrap();
    let started = std::time::Instant::now();
    let t = conlab_scenarios::run(
        info.id,
        Tokio,
        &params,
        std::time::Duration::from_millis(300),
    )
    .unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "the limit was not enforced"
    );
    assert_eq!(t.status, conlab_core::Status::TimedOut { limit_ms: 300 });
    assert_eq!(
        t.output_texts(),
        ["task 0: working", "task 1: working", "task 2: working"]
    );
}

#[test]
fn a_live_snapshot_draws_sleeps_in_progress_up_to_now() {
    let info = conlab_core::catalog::find("asyncio-two-tasks").unwrap();
    let params =
        conlab_core::Params::from_assignments(info.id, info.params, ["sleep_ms=1500"]).unwrap();
    let run = conlab_scenarios::start_native(info.id, params, std::time::Duration::from_secs(30))
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    let live = run.snapshot().expect("the run goes on");
    let sleeping: Vec<_> = live
        .spans
        .iter()
        .filter(|s| s.state == conlab_core::SpanState::Sleeping && s.open)
        .collect();
    assert_eq!(sleeping.len(), 2, "{:?}", live.spans);
    assert!(
        sleeping.iter().all(|s| s.end >= s.start + 300_000_000),
        "not drawn up to now: {sleeping:?}"
    );
    let done = run.wait();
    assert_passed(&done);
    assert!(done.spans.iter().all(|s| !s.open));
}
