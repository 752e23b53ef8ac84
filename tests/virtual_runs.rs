//! Every async scenario on the deterministic virtual runtime: default and non-default
//! parameters, exact orders and times, and byte-for-byte determinism.

use conlab_scenarios::RuntimeChoice::Virtual;
use conlab_tests::{assert_passed, generic_ids, run};
use std::time::Duration;

#[test]
fn every_async_scenario_passes_with_defaults() {
    for id in generic_ids() {
        assert_passed(&run(id, Virtual, &[]));
    }
}

#[test]
fn same_inputs_give_the_same_trace_byte_for_byte() {
    for id in generic_ids() {
        let a = run(id, Virtual, &["time-scale=0.5"]).to_json();
        let b = run(id, Virtual, &["time-scale=0.5"]).to_json();
        assert_eq!(a, b, "{id} is not deterministic");
    }
}

/// Scenario, parameters: each must pass its checks, which are computed for those parameters.
const VARIANTS: &[(&str, &[&str])] = &[
    ("io-switch", &["fetches=7", "latency_ms=50"]),
    ("coroutine-cpu", &["units=3", "unit_ms=40"]),
    ("asyncio-two-tasks", &["sleep_ms=0"]),
    ("asyncio-two-tasks", &["sleep_ms=1000", "time-scale=3"]),
    ("coroutine-lifecycle", &["sleep_ms=5"]),
    ("await-sequential", &["sleep_ms=37"]),
    ("create-task", &["tasks=1"]),
    ("create-task", &["tasks=500", "sleep_ms=10"]),
    ("gather-vs-wait", &["sleeps_ms=500,100,300"]),
    ("gather-vs-wait", &["sleeps_ms=5"]),
    ("wait-timeout", &["timeout_ms=150"]),
    ("wait-timeout", &["timeout_ms=1000"]),
    ("wait-timeout", &["timeout_ms=0"]),
    ("wait-timeout", &["return_when=first_completed"]),
    (
        "wait-timeout",
        &["return_when=first_completed", "timeout_ms=50"],
    ),
    (
        "wait-timeout",
        &["return_when=first_exception", "fail_index=2"],
    ),
    (
        "wait-timeout",
        &[
            "return_when=first_exception",
            "fail_index=3",
            "timeout_ms=1000",
        ],
    ),
    (
        "wait-timeout",
        &[
            "return_when=first_exception",
            "fail_index=0",
            "timeout_ms=1000",
        ],
    ),
    ("wait-timeout", &["sleeps_ms=200,200,200", "timeout_ms=200"]),
    ("as-completed", &["sleeps_ms=5,4,3,2,1"]),
    ("as-completed", &["sleeps_ms=100,100,50"]),
    ("future-set-result", &["delay_ms=0"]),
    ("future-set-result", &["delay_ms=750"]),
    ("done-callback", &["sleep_ms=0"]),
    ("blocking-in-async", &["calls=1", "block_ms=50"]),
    ("blocking-in-async", &["calls=5", "block_ms=300"]),
    ("async-iterator", &["items=1"]),
    ("async-iterator", &["items=1000", "item_ms=0"]),
    ("async-context-manager", &["body_fails=true"]),
    ("async-context-manager", &["enter_ms=0", "exit_ms=500"]),
    ("cancel-all", &["tasks=50", "cancel_after_ms=0"]),
    ("event-loop-choice", &["tasks=1", "sleep_ms=0"]),
    ("event-loop-choice", &["tasks=20000"]),
    ("sync-vs-async-requests", &["requests=1"]),
    ("sync-vs-async-requests", &["requests=12", "latency_ms=25"]),
];

#[test]
fn non_default_parameters_pass_their_checks() {
    for (id, params) in VARIANTS {
        assert_passed(&run(id, Virtual, params));
    }
}

#[test]
fn virtual_times_are_exact() {
    // Each figure is predicted from the parameters, not copied from a run.
    let cases: &[(&str, &[&str], u64)] = &[
        ("asyncio-two-tasks", &["sleep_ms=250"], 250),
        ("await-sequential", &["sleep_ms=120"], 240),
        ("io-switch", &["fetches=9", "latency_ms=80"], 80),
        ("coroutine-cpu", &["units=5", "unit_ms=20"], 100),
        (
            "blocking-in-async",
            &["calls=4", "block_ms=30"],
            4 * 30 + 20,
        ),
        (
            "sync-vs-async-requests",
            &["requests=4", "latency_ms=10"],
            4 * 10 + 10,
        ),
        ("gather-vs-wait", &["sleeps_ms=30,90,60"], 2 * 90),
        (
            "wait-timeout",
            &["sleeps_ms=100,200,400", "timeout_ms=250"],
            250,
        ),
        ("async-context-manager", &["enter_ms=70", "exit_ms=30"], 100),
    ];
    for (id, params, ms) in cases {
        let t = run(id, Virtual, params);
        assert_eq!(t.metrics.makespan, ms * 1_000_000, "{id} {params:?}");
    }
}

#[test]
fn time_scale_multiplies_every_duration() {
    let t = run(
        "await-sequential",
        Virtual,
        &["sleep_ms=100", "time-scale=10"],
    );
    assert_eq!(t.metrics.makespan, 2_000_000_000);
    assert_passed(&t);
}

#[test]
fn wait_timeout_splits_done_and_pending_for_each_mode() {
    let split = |params: &[&str]| {
        let t = run("wait-timeout", Virtual, params);
        assert_passed(&t);
        let find = |p: &str| {
            t.output
                .iter()
                .find(|l| l.text.starts_with(p))
                .map(|l| l.text.clone())
                .unwrap()
        };
        (find("done:"), find("pending:"))
    };
    assert_eq!(
        split(&["timeout_ms=250"]),
        ("done: [0, 1]".into(), "pending: [2]".into())
    );
    assert_eq!(
        split(&["return_when=first_completed"]),
        ("done: [0]".into(), "pending: [1, 2]".into())
    );
    assert_eq!(
        split(&[
            "return_when=first_exception",
            "fail_index=2",
            "timeout_ms=1000"
        ]),
        ("done: [0, 1]".into(), "pending: [2]".into())
    );
}

#[test]
fn virtual_time_costs_no_real_time_and_the_limit_is_real_time() {
    // Two minutes of virtual sleep under a 10 s limit: completes at once.
    let info = conlab_core::catalog::find("await-sequential").unwrap();
    let params =
        conlab_core::Params::from_assignments(info.id, info.params, ["sleep_ms=60000"]).unwrap();
    let started = std::time::Instant::now();
    let t = conlab_scenarios::run(info.id, Virtual, &params, Duration::from_secs(10)).unwrap();
    assert_passed(&t);
    assert_eq!(t.end, 120_000_000_000);
    assert!(started.elapsed() < Duration::from_secs(5));

    // A million tasks under a 0.1 s limit of real time: stopped with a partial trace.
    let info = conlab_core::catalog::find("event-loop-choice").unwrap();
    let params =
        conlab_core::Params::from_assignments(info.id, info.params, ["tasks=1000000"]).unwrap();
    let started = std::time::Instant::now();
    let t = conlab_scenarios::run(info.id, Virtual, &params, Duration::from_millis(100)).unwrap();
    assert_eq!(t.status, conlab_core::Status::TimedOut { limit_ms: 100 });
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(t.lanes.len() > 1, "the partial trace keeps what ran");
    assert!(!t.passed());
}

/// Where each output line stands in the replay, and the first suspension it is replayed inside
/// of on its own lane (a lane that sleeps or waits cannot print), if any.
fn printed_while_suspended(trace: &conlab_core::Trace) -> Option<String> {
    use conlab_core::replay::{steps, StepKind};
    let order = steps(trace);
    let mut place = vec![(0usize, 0usize); trace.spans.len()];
    let mut printed = vec![0usize; trace.output.len()];
    for (at, step) in order.iter().enumerate() {
        match step.kind {
            StepKind::Begin(i) => place[i].0 = at,
            StepKind::End(i) => place[i].1 = at,
            StepKind::Print(i) => printed[i] = at,
            StepKind::Mark(_) => {}
        }
    }
    for (o, line) in trace.output.iter().enumerate() {
        for (i, s) in trace.spans.iter().enumerate() {
            if s.lane == line.lane
                && s.state.is_waiting()
                && place[i].0 < printed[o]
                && printed[o] < place[i].1
            {
                return Some(format!(
                    "{:?} (lane {}, at {} ns) is replayed inside its lane's {} span {}..{}",
                    line.text,
                    line.lane,
                    line.t,
                    s.state.as_str(),
                    s.start,
                    s.end
                ));
            }
        }
    }
    None
}

#[test]
fn a_step_through_replays_events_of_one_instant_in_the_order_they_happened() {
    for id in generic_ids() {
        for params in [&[][..], &["time-scale=0.5"][..]] {
            let trace = run(id, Virtual, params);
            if let Some(wrong) = printed_while_suspended(&trace) {
                panic!("{id} {params:?}: {wrong}");
            }
        }
    }
    // Without the recorded order (a trace from an older version), ordering by kind puts both
    // tasks of asyncio-two-tasks to sleep before the first one prints: what the order fixes.
    let mut old = run("asyncio-two-tasks", Virtual, &[]);
    old.spans.iter_mut().for_each(|s| s.order = (0, 0));
    old.output.iter_mut().for_each(|o| o.order = 0);
    old.marks.iter_mut().for_each(|m| m.order = 0);
    assert!(
        printed_while_suspended(&old).is_some(),
        "the test cannot tell the orders apart"
    );
}

/// blocking-in-async's loop monitor shows its timers as waits; a freeze (calls back to back
/// make one) makes one of them fire late, as long as the freeze, and says so.
#[test]
fn the_loop_monitor_s_lane_shows_each_freeze_as_a_late_timer() {
    use conlab_core::SpanState;
    for params in [
        &["calls=3", "block_ms=300"][..],
        &["calls=2", "block_ms=150"][..],
    ] {
        let t = run("blocking-in-async", Virtual, params);
        let monitor = t
            .lanes
            .iter()
            .find(|l| l.name == "loop-monitor")
            .expect("a loop-monitor lane")
            .id;
        let sleeps: Vec<_> = t
            .spans
            .iter()
            .filter(|s| s.lane == monitor && s.state == SpanState::WaitingEvent)
            .collect();
        let late: Vec<_> = sleeps.iter().filter(|s| s.label.contains("late")).collect();
        let blocking = t.intervals(SpanState::Blocking);
        assert!(!late.is_empty(), "{params:?}: no late timer");
        for (start, end) in &blocking {
            assert!(
                late.iter()
                    .any(|timer| timer.start <= *start && timer.end >= *end),
                "{params:?}: no late timer covers the call {start}..{end}: {late:?}"
            );
        }
        assert!(sleeps.len() > late.len(), "{params:?}: on-time timers too");
        // The monitor's waits are no work of the lesson's: one call blocks at a time.
        assert_eq!(t.metrics.peak_concurrency, 1, "{params:?}");
    }
}
