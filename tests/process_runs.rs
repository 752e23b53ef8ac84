//! Process scenarios with non-default parameters, the shared clock over 1,000 spawns, and the
//! toolkit's faults: a child that crashes, exits with a code, exits without reporting,
//! panics, writes garbage, ignores the end of the run, or deadlocks with another across
//! processes ends the run with a reason naming it, and no child is left (counted by the OS).

use conlab_core::{LaneKind, Nanos, SpanState, Status, Trace};
use conlab_processes::{Inbox, ProcessLock, Processes, Spawn};
use conlab_scenarios::RuntimeChoice::Tokio;
use conlab_tests::faults::{parent_of, run_parent};
use conlab_tests::{assert_passed, exclusive, run};
use conlab_traced_threads::{Aborted, ThreadCtx};
use std::time::{Duration, Instant};

/// The PIDs of a trace's process lanes.
fn pids(t: &Trace) -> Vec<i32> {
    t.lanes
        .iter()
        .filter(|l| l.kind == LaneKind::Process)
        .filter_map(|l| {
            l.name
                .rsplit("(pid ")
                .next()?
                .trim_end_matches(')')
                .parse()
                .ok()
        })
        .collect()
}

/// Asserts none of `pids` is still our child, as the OS sees it.
#[track_caller]
fn assert_gone(pids: &[i32]) {
    let me = std::process::id() as i32;
    let left: Vec<i32> = pids
        .iter()
        .copied()
        .filter(|p| parent_of(*p) == Some(me))
        .collect();
    assert!(left.is_empty(), "children still alive: {left:?}");
}

#[track_caller]
fn failure(t: &Trace) -> String {
    match &t.status {
        Status::Failed { reason } => reason.clone(),
        other => panic!("expected a failed run, got {other:?}"),
    }
}

#[test]
fn process_scenarios_pass_with_other_parameters() {
    let _cpu = exclusive();
    let variants: &[(&str, &[&str])] = &[
        ("process-pool", &["workers=1", "tasks=4", "task_ms=30"]),
        ("process-pool", &["workers=3", "tasks=7", "task_ms=40"]),
        ("process-pool", &["workers=8", "tasks=20", "task_ms=25"]),
        ("process-pool", &["workers=4", "tasks=500", "task_ms=0"]),
        ("process-shared-dict", &["processes=50"]),
        ("process-shared-dict", &["processes=3", "updates=2000"]),
        ("process-lock", &["processes=5", "hold_ms=40"]),
        ("process-lock", &["processes=3", "hold_ms=0"]),
        ("process-start", &["processes=1"]),
        ("process-start", &["processes=33"]),
        ("process-isolation", &["processes=7"]),
        ("process-info", &["processes=5"]),
        ("process-queue", &["processes=40"]),
    ];
    for (id, params) in variants {
        let t = run(id, Tokio, params);
        assert_passed(&t);
        assert_gone(&pids(&t));
    }
}

#[test]
fn a_process_pool_runs_in_waves_of_k_pids() {
    let _cpu = exclusive();
    let t = run(
        "process-pool",
        Tokio,
        &["workers=4", "tasks=12", "task_ms=60"],
    );
    assert_passed(&t);
    // Three waves: every task of wave w starts after every task of wave w-1 began.
    let mut starts: Vec<Nanos> = t
        .spans
        .iter()
        .filter(|s| s.state == SpanState::Running && s.label.starts_with("task"))
        .map(|s| s.start)
        .collect();
    starts.sort_unstable();
    assert_eq!(starts.len(), 12);
    for wave in starts.chunks(4).collect::<Vec<_>>().windows(2) {
        let gap = wave[1][0] - wave[0][3];
        assert!(gap >= 40_000_000, "waves {wave:?} are not a task apart");
    }
    assert_eq!(pids(&t).len(), 4);
}

#[test]
fn a_childs_threads_are_lanes_nested_under_it() {
    let t = run("process-shared-dict", Tokio, &["processes=4"]);
    assert_passed(&t);
    let manager = t
        .lanes
        .iter()
        .find(|l| l.name.starts_with("SyncManager (pid "))
        .expect("the manager has a lane");
    let threads: Vec<&str> = t
        .lanes
        .iter()
        .filter(|l| l.parent == Some(manager.id))
        .map(|l| l.name.as_str())
        .collect();
    assert!(threads.contains(&"accept"), "{threads:?}");
    assert_eq!(
        threads.iter().filter(|n| n.starts_with("conn-")).count(),
        4,
        "{threads:?}"
    );
    let json = t.to_json();
    let back = conlab_core::Trace::from_json(&json).unwrap();
    assert_eq!(back.lanes, t.lanes, "the nesting survives JSON");
    // In Perfetto each child process is a process, its threads under it.
    let chrome: serde_json::Value =
        serde_json::from_str(&conlab_core::chrome::to_chrome_json(&t)).unwrap();
    let events = chrome["traceEvents"].as_array().unwrap();
    let pid_of = |kind: &str, name: &str| {
        events
            .iter()
            .find(|e| e["name"] == kind && e["args"]["name"] == name)
            .map(|e| e["pid"].as_u64().unwrap())
    };
    let manager_pid = pid_of("process_name", &manager.name).expect("the manager is a process");
    assert_ne!(manager_pid, 1);
    assert_eq!(pid_of("thread_name", "conn-1"), Some(manager_pid));
    assert_eq!(pid_of("thread_name", "MainThread"), Some(1));
}

/// 50 children per run, 20 runs: the first event of each child never precedes the parent's
/// `spawned` mark on its lane, nor does any later one.
#[test]
fn a_childs_events_never_precede_its_spawn_over_1000_spawns() {
    let mut spawns = 0;
    let mut earliest_margin = Nanos::MAX;
    while spawns < 1000 {
        let t = run("process-start", Tokio, &["processes=50"]);
        assert_passed(&t);
        for lane in t.lanes.iter().filter(|l| l.kind == LaneKind::Process) {
            let spawned = t
                .marks
                .iter()
                .find(|m| m.lane == lane.id && m.name == "spawned")
                .expect("every child has a spawned mark")
                .t;
            let first = t
                .marks
                .iter()
                .filter(|m| m.lane == lane.id && m.name != "spawned")
                .map(|m| m.t)
                .chain(t.output.iter().filter(|o| o.lane == lane.id).map(|o| o.t))
                .min()
                .expect("every child records");
            assert!(
                first >= spawned,
                "{}: first event at {first} ns, spawned at {spawned} ns",
                lane.name
            );
            earliest_margin = earliest_margin.min(first - spawned);
            spawns += 1;
        }
    }
    // A child needs a fork and an exec before it can record: a margin of 0 would mean the
    // clocks were not one.
    assert!(earliest_margin > 10_000, "{earliest_margin} ns");
}

/// Starts one child in `role` and joins it.
fn one_child(role: &'static str) -> fn(&ThreadCtx) -> Result<(), Aborted> {
    macro_rules! parent {
        ($role:literal) => {
            |main: &ThreadCtx| {
                let processes = Processes::new(main);
                let child = processes.spawn(main, Spawn::new($role))?;
                child.join(main)?;
                Ok(())
            }
        };
    }
    match role {
        "fault-abort" => parent!("fault-abort"),
        "fault-exit-3" => parent!("fault-exit-3"),
        "fault-exit-silently" => parent!("fault-exit-silently"),
        "fault-panic" => parent!("fault-panic"),
        "fault-garbage" => parent!("fault-garbage"),
        "report-strays" => parent!("report-strays"),
        _ => parent!("fault-ok"),
    }
}

#[test]
fn a_child_that_ends_badly_fails_the_run_naming_it_and_how() {
    let cases: &[(&str, &str)] = &[
        ("fault-abort", "was killed by signal 6 (SIGABRT)"),
        ("fault-exit-3", "exited with code 3"),
        (
            "fault-exit-silently",
            "exited without reporting the end of its work",
        ),
        (
            "fault-panic",
            "panicked: a child gave up at tests/support/faults.rs:",
        ),
        ("fault-garbage", "wrote garbage to its event channel"),
    ];
    for (role, says) in cases {
        let started = Instant::now();
        let t = run_parent(one_child(role), Duration::from_secs(20));
        let reason = match &t.status {
            Status::Failed { reason } => reason.clone(),
            other => panic!(
                "{role}: expected a failed run, got {other:?} after {:?}; marks: {:?}",
                started.elapsed(),
                t.marks
                    .iter()
                    .map(|m| format!("{} {} {}", m.t, m.name, m.detail))
                    .collect::<Vec<_>>()
            ),
        };
        let pid = pids(&t)[0];
        assert!(
            reason.starts_with(&format!("Process-1 (pid {pid})")) && reason.contains(says),
            "{role}: {reason}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{role} took {:?}",
            started.elapsed()
        );
        assert!(
            !reason.contains("Some(") && !reason.contains("Err("),
            "{reason}"
        );
        assert_gone(&[pid]);
    }
    let t = run_parent(one_child("fault-ok"), Duration::from_secs(20));
    assert_eq!(t.status, Status::Ok, "a child that ends well passes");
}

#[test]
fn a_child_that_ignores_the_end_of_the_run_is_killed() {
    fn parent(main: &ThreadCtx) -> Result<(), Aborted> {
        let processes = Processes::new(main);
        let stubborn = processes.spawn(main, Spawn::new("fault-ignore-abort"))?;
        let polite = processes.spawn(main, Spawn::new("fault-sleep"))?;
        stubborn.join(main)?;
        polite.join(main)?;
        Ok(())
    }
    let started = Instant::now();
    let t = run_parent(parent, Duration::from_millis(600));
    assert!(
        matches!(t.status, Status::TimedOut { .. }),
        "{:?}",
        t.status
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let pids = pids(&t);
    assert_eq!(pids.len(), 2);
    assert_gone(&pids);
    let exits: Vec<&str> = t
        .marks
        .iter()
        .filter(|m| m.name == "exit")
        .map(|m| m.detail.as_str())
        .collect();
    assert!(
        exits.contains(&"was killed by signal 9 (SIGKILL)"),
        "{exits:?}"
    );
    assert!(
        exits.contains(&"exited with code 0"),
        "the polite one gave up: {exits:?}"
    );
}

#[test]
fn two_processes_each_holding_a_lock_the_other_wants_are_a_reported_deadlock() {
    fn parent(main: &ThreadCtx) -> Result<(), Aborted> {
        let a = ProcessLock::new("lock a").expect("a lock");
        let b = ProcessLock::new("lock b").expect("a lock");
        let holding = Inbox::new();
        let processes = Processes::new(main);
        let spawn = |first: &str| {
            Spawn::new("fault-two-locks")
                .arg(first)
                .inbox(&holding)
                .share("a", &a)
                .share("b", &b)
        };
        let one = processes.spawn(main, spawn("a"))?;
        let two = processes.spawn(main, spawn("b"))?;
        for _ in 0..2 {
            holding.recv(main, SpanState::WaitingEvent, "both to hold a lock")?;
        }
        one.send(b"go");
        two.send(b"go");
        one.join(main)?;
        two.join(main)?;
        Ok(())
    }
    let started = Instant::now();
    let t = run_parent(parent, Duration::from_secs(20));
    let reason = failure(&t);
    let p = pids(&t);
    assert!(reason.starts_with("deadlock: "), "{reason}");
    assert!(
        reason.contains(&format!(
            "Process-1 (pid {}) waits for lock b held by Process-2 (pid {})",
            p[0], p[1]
        )),
        "{reason}"
    );
    assert!(
        reason.contains(&format!(
            "Process-2 (pid {}) waits for lock a held by Process-1 (pid {})",
            p[1], p[0]
        )),
        "{reason}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        t.marks.iter().any(|m| m.name == "waits_for"),
        "arrows for the page"
    );
    assert_gone(&p);
}

#[test]
fn killing_a_pool_worker_mid_run_fails_the_run_naming_it() {
    conlab_tests::use_test_worker();
    let info = conlab_core::catalog::find("process-pool").unwrap();
    let params = conlab_core::Params::from_assignments(
        info.id,
        info.params,
        ["workers=3", "tasks=30", "task_ms=300"],
    )
    .unwrap();
    let run = conlab_scenarios::start_native(info.id, params, Duration::from_secs(30)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let victim = loop {
        let snapshot = run
            .snapshot()
            .expect("the run goes on until the test ends it");
        let p = pids(&snapshot);
        if p.len() == 3 && snapshot.spans.iter().any(|s| s.label.starts_with("task")) {
            break p[1];
        }
        assert!(Instant::now() < deadline, "the pool never got going");
        std::thread::sleep(Duration::from_millis(20));
    };
    // SAFETY: plain system call on our own child.
    unsafe { libc::kill(victim, libc::SIGKILL) };
    let started = Instant::now();
    let t = run.wait();
    let reason = failure(&t);
    assert_eq!(
        reason,
        format!("PoolWorker-2 (pid {victim}) was killed by signal 9 (SIGKILL)")
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_gone(&pids(&t));
    assert!(
        t.checks
            .iter()
            .any(|c| c.id == "no-process-outlives" && c.passed),
        "{:?}",
        t.checks
    );
}

/// Starts `id` natively and waits until a process lane named `who` exists; its PID.
fn start_and_find(
    id: &str,
    params: &[&str],
    who: &str,
    limit: Duration,
) -> (conlab_scenarios::NativeRun, i32) {
    conlab_tests::use_test_worker();
    let info = conlab_core::catalog::find(id).unwrap();
    let params =
        conlab_core::Params::from_assignments(id, info.params, params.iter().copied()).unwrap();
    let run = conlab_scenarios::start_native(id, params, limit).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let snapshot = run
            .snapshot()
            .expect("the run goes on until the test ends it");
        let found = snapshot
            .lanes
            .iter()
            .find(|l| l.name.starts_with(who) && l.kind == LaneKind::Process)
            .and_then(|l| {
                l.name
                    .rsplit("(pid ")
                    .next()?
                    .trim_end_matches(')')
                    .parse()
                    .ok()
            });
        // Once some update is in flight (or a wait has begun), the run is under way.
        let going = snapshot
            .spans
            .iter()
            .any(|s| matches!(s.state, SpanState::InFlight | SpanState::WaitingLock));
        if let (Some(pid), true) = (found, going) {
            return (run, pid);
        }
        assert!(Instant::now() < deadline, "{id} never got going");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn killing_the_manager_names_the_manager_not_the_children_that_lost_it() {
    let (run, manager) = start_and_find(
        "process-shared-dict",
        &["processes=4", "updates=100000"],
        "SyncManager",
        Duration::from_secs(60),
    );
    // SAFETY: plain system call on our own child.
    unsafe { libc::kill(manager, libc::SIGKILL) };
    let t = run.wait();
    assert_eq!(
        failure(&t),
        format!("SyncManager (pid {manager}) was killed by signal 9 (SIGKILL)")
    );
    assert_gone(&pids(&t));
}

#[test]
fn a_stopped_process_waiting_for_the_lock_is_not_called_a_deadlock() {
    let (run, _) = start_and_find(
        "process-lock",
        &["processes=3", "hold_ms=300"],
        "Process-3",
        Duration::from_secs(3),
    );
    // Stop a process that waits for the lock (not the holder).
    let t = run
        .snapshot()
        .expect("the run goes on until the test ends it");
    let holding: Vec<u32> = t
        .spans
        .iter()
        .filter(|s| s.state == SpanState::HoldingLock && s.open)
        .map(|s| s.lane)
        .collect();
    let waiter = t
        .lanes
        .iter()
        .filter(|l| l.kind == LaneKind::Process && !holding.contains(&l.id))
        .filter_map(|l| {
            l.name
                .rsplit("(pid ")
                .next()?
                .trim_end_matches(')')
                .parse::<i32>()
                .ok()
        })
        .next()
        .unwrap();
    // SAFETY: plain system call on our own child.
    unsafe { libc::kill(waiter, libc::SIGSTOP) };
    let t = run.wait();
    assert!(
        matches!(t.status, Status::TimedOut { .. }),
        "a stopped process makes the run wait until its limit, it is no deadlock: {:?}",
        t.status
    );
    assert_gone(&pids(&t));
}

#[test]
fn a_worker_inherits_no_descriptor_its_parent_was_careless_with() {
    // A descriptor without close-on-exec, as a build tool's jobserver pipe or a shell's
    // extra descriptors are, open while a child starts.
    let path = std::env::temp_dir().join(format!("conlab-stray-{}", std::process::id()));
    std::fs::write(&path, b"x").unwrap();
    let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: open with a valid C string; the descriptor is closed below.
    let fd = unsafe { libc::open(c_path.as_ptr(), libc::O_RDONLY) };
    assert!(fd >= 0);
    let t = run_parent(one_child("report-strays"), Duration::from_secs(20));
    // SAFETY: the descriptor opened above, closed once.
    unsafe { libc::close(fd) };
    let _ = std::fs::remove_file(&path);
    assert_eq!(t.status, Status::Ok, "{:?}", t.status);
    let lines = t.output_texts();
    assert!(lines.contains(&"looked"), "{lines:?}");
    assert!(
        !lines.iter().any(|l| l.starts_with("inherited")),
        "{lines:?}"
    );
}
