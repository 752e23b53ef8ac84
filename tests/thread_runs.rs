//! Every thread scenario on real OS threads, with default and non-default parameters, and the
//! watchdog turning a deadlock into a report within its limit.

use conlab_core::{catalog, Checks, Params, Status};
use conlab_scenarios::RuntimeChoice::Tokio;
use conlab_tests::{assert_passed, exclusive, run, thread_ids};
use conlab_tokio::NativeStart;
use conlab_traced_threads::{run_thread_scenario, Aborted, ThreadCtx, TracedMutex};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn every_thread_scenario_passes_with_defaults() {
    let _cpu = exclusive();
    for id in thread_ids() {
        let t = run(id, Tokio, &[]);
        assert_passed(&t);
        assert!(
            t.checks.iter().any(|c| c.id == "no-thread-outlives"),
            "{id}"
        );
    }
}

#[test]
fn thread_scenarios_pass_with_other_parameters() {
    let _cpu = exclusive();
    let variants: &[(&str, &[&str])] = &[
        ("semaphore", &["permits=1", "threads=4", "hold_ms=60"]),
        ("semaphore", &["permits=4", "threads=10", "hold_ms=80"]),
        ("semaphore", &["permits=7", "threads=20", "hold_ms=60"]),
        ("semaphore", &["permits=30", "threads=5", "hold_ms=60"]),
        ("thread-start", &["threads=300"]),
        ("thread-main-waits", &["sleeps_ms=400,100,250"]),
        ("thread-daemon", &["sleep_ms=0"]),
        ("thread-daemon", &["sleep_ms=30"]),
        ("thread-join-timeout", &["work_ms=500", "timeout_ms=100"]),
        ("thread-names", &["threads=7"]),
        ("cpu-bound-gil", &["units=2", "switch_interval_ms=1"]),
        ("cpu-bound-gil", &["units=3", "gil=false"]),
        ("io-bound-threads", &["downloads=12", "latency_ms=150"]),
        ("race-condition", &["threads=4", "hold_ms=30"]),
        ("race-condition", &["threads=1"]),
        (
            "race-condition",
            &["op=increment", "threads=4", "increments=3", "hold_ms=20"],
        ),
        (
            "race-condition",
            &["op=increment", "threads=8", "increments=50", "hold_ms=0"],
        ),
        ("lock", &["threads=25", "hold_ms=2"]),
        ("rlock", &["threads=3"]),
        ("lock-order", &["hold_ms=30"]),
        ("condition-notify", &["threads=6", "notify_plan=1,1,1"]),
        ("condition-notify", &["threads=3", "notify_plan=5"]),
        (
            "condition-notify",
            &["threads=12", "notify_plan=1,4", "wait=if"],
        ),
        ("condition-wait-for", &["threads=8"]),
        ("event", &["threads=25", "rounds=3"]),
        ("thread-local", &["threads=30", "hold_ms=20"]),
        ("thread-pool", &["workers=3", "tasks=7", "task_ms=60"]),
        ("thread-pool", &["workers=10", "tasks=4", "task_ms=60"]),
        (
            "producer-consumer",
            &[
                "capacity=2",
                "produce_ms=20",
                "consume_ms=60",
                "duration_ms=500",
            ],
        ),
        (
            "producer-consumer",
            &[
                "producers=1",
                "consumers=4",
                "produce_ms=30",
                "consume_ms=10",
                "duration_ms=300",
            ],
        ),
    ];
    for (id, params) in variants {
        assert_passed(&run(id, Tokio, params));
    }
}

#[test]
fn the_semaphore_peak_follows_the_permits() {
    let _cpu = exclusive();
    for permits in [1usize, 4, 7] {
        let t = run(
            "semaphore",
            Tokio,
            &[&format!("permits={permits}"), "threads=14", "hold_ms=60"],
        );
        assert_passed(&t);
        assert_eq!(t.metrics.peak_concurrency as usize, permits);
    }
}

/// Two threads take two locks in opposite orders: the textbook deadlock.
fn abba(main: &ThreadCtx) -> Result<(), Aborted> {
    let a = Arc::new(TracedMutex::new("A", ()));
    let b = Arc::new(TracedMutex::new("B", ()));
    let (a1, b1, a2, b2) = (a.clone(), b.clone(), a, b);
    let t1 = main.spawn("Thread-1", move |me| {
        let _a = a1.lock(me)?;
        me.sleep(Duration::from_millis(50))?;
        let _b = b1.lock(me)?;
        Ok(())
    })?;
    let t2 = main.spawn("Thread-2", move |me| {
        let _b = b2.lock(me)?;
        me.sleep(Duration::from_millis(50))?;
        let _a = a2.lock(me)?;
        Ok(())
    })?;
    t1.join(main)?;
    t2.join(main)
}

#[test]
fn the_watchdog_reports_a_deadlock_with_who_waits_for_what() {
    let _cpu = exclusive();
    let info = catalog::find("lock").unwrap();
    let params = Params::defaults(info.params);
    let started = Instant::now();
    let t = run_thread_scenario(
        &NativeStart::new(info, params.clone(), Duration::from_secs(20)),
        abba,
        |_: &mut Checks| {},
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    let Status::Failed { reason } = &t.status else {
        panic!("expected a failure, got {:?}", t.status)
    };
    assert!(reason.starts_with("deadlock: "), "{reason}");
    assert!(
        reason.contains("Thread-1 waits for lock `B` held by Thread-2"),
        "{reason}"
    );
    assert!(
        reason.contains("Thread-2 waits for lock `A` held by Thread-1"),
        "{reason}"
    );
    assert!(
        reason.contains("MainThread waits for Thread-1 to finish"),
        "{reason}"
    );
    // The waits for a held lock are marked for the timeline's arrows: each thread waits for
    // the other.
    let lane = |name: &str| t.lanes.iter().find(|l| l.name == name).unwrap().id;
    let mut waits: Vec<(u32, u32)> = t
        .marks_named("waits_for")
        .map(|m| {
            let (a, b) = m.detail.split_once(' ').unwrap();
            (a.parse().unwrap(), b.parse().unwrap())
        })
        .collect();
    waits.sort();
    let (t1, t2) = (lane("Thread-1"), lane("Thread-2"));
    let mut expected = vec![(t1, t2), (t2, t1)];
    expected.sort();
    assert_eq!(waits, expected);
    let outlives = t
        .checks
        .iter()
        .find(|c| c.id == "no-thread-outlives")
        .unwrap();
    assert!(outlives.passed, "{}", outlives.detail);
}

#[test]
fn a_thread_run_ending_just_past_its_limit_has_timed_out_and_is_cut_at_it() {
    // Before, the half second of grace let such a run end and pass: its limit did not hold.
    let _cpu = exclusive();
    let info = catalog::find("thread-main-waits").unwrap();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let over = conlab_tests::draw::Rng::new(seed).between(100, 400);
    let sleeps = format!("sleeps_ms={},10", 300 + over);
    let params = Params::from_assignments(info.id, info.params, [sleeps.as_str()]).unwrap();
    let t = conlab_scenarios::run(info.id, Tokio, &params, Duration::from_millis(300)).unwrap();
    assert_eq!(
        t.status,
        Status::TimedOut { limit_ms: 300 },
        "{sleeps} (seed {seed})"
    );
    // Its threads gave up at the limit rather than sleeping on to their end.
    assert!(
        t.end < Duration::from_millis(300 + over as u64).as_nanos() as u64,
        "{sleeps}: the run lasted {} ms (seed {seed})",
        t.end / 1_000_000
    );
}

#[test]
fn a_thread_run_past_its_limit_times_out_and_stops_its_threads() {
    let _cpu = exclusive();
    let info = catalog::find("thread-main-waits").unwrap();
    let params = Params::from_assignments(info.id, info.params, ["sleeps_ms=60000,100"]).unwrap();
    let started = Instant::now();
    let t = conlab_scenarios::run(info.id, Tokio, &params, Duration::from_millis(500)).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(t.status, Status::TimedOut { limit_ms: 500 });
    assert!(
        t.output_texts()
            .iter()
            .any(|l| l.starts_with("Thread-2 finished")),
        "{:?}",
        t.output_texts()
    );
    let outlives = t
        .checks
        .iter()
        .find(|c| c.id == "no-thread-outlives")
        .unwrap();
    assert!(outlives.passed, "{}", outlives.detail);
}
