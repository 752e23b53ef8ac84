//! The Redis scenarios through the `conlab` binary, against real servers: one the test starts
//! (configured by URL, with a password), private throwaway ones conlab starts itself, none at
//! all, one that does not answer, and one killed in the middle of a run.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{conlab, failure, free_port, run_trace, text, TestRedis};

/// Tests that start private servers take turns: one of them counts private servers and their
/// folders before and after its run, and must not see another test's.
fn private_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// Orphaned redis-servers (a private server conlab failed to stop is re-parented to PID 1;
/// daemonized ones count too but do not change during a test) and conlab's private folders.
fn private_servers_running() -> (usize, usize) {
    let processes = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| {
            // pid (comm) state ppid ...
            let Some((comm, rest)) = stat.split_once(") ") else {
                return false;
            };
            let ppid = rest.split(' ').nth(1).unwrap_or("");
            comm.ends_with("(redis-server") && ppid == "1"
        })
        .count();
    let dirs = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("conlab-redis-"))
        .count();
    (processes, dirs)
}

#[test]
fn a_configured_server_with_a_password_is_used_and_never_leaked() {
    let server = TestRedis::start(Some("s3cret-pw"));
    let url = format!("redis://:s3cret-pw@127.0.0.1:{}/3", server.port);
    let o = conlab(
        &[
            "run",
            "redis-pool",
            "-p",
            "ops=500",
            "-p",
            "pool=4",
            "--format",
            "json",
        ],
        &[("CONLAB_REDIS_URL", &url)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    assert!(!out.contains("s3cret-pw"), "the password leaked");
    assert!(out.contains(":***@127.0.0.1"), "the redacted URL is shown");
    let trace = conlab_core::Trace::from_json(&String::from_utf8_lossy(&o.stdout)).unwrap();
    for mode in ["sequential", "pipelined", "concurrent"] {
        assert!(
            trace
                .metrics
                .extra(&format!("ops_per_s_{mode}"))
                .is_some_and(|v| v > 0.0),
            "{mode}"
        );
    }
    assert_eq!(server.cli(&["dbsize"]), "0", "the run's keys were removed");
    let o = conlab(
        &["run", "redis-hash"],
        &[(
            "CONLAB_REDIS_URL",
            &format!("redis://:wrong@127.0.0.1:{}/3", server.port),
        )],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("does not answer") && !text(&o).contains(":wrong@"),
        "{}",
        text(&o)
    );
}

#[test]
fn multi_server_uses_private_servers_and_removes_them() {
    let _turn = private_lock();
    let before = private_servers_running();
    let o = conlab(
        &[
            "run",
            "redis-multi-server",
            "-p",
            "servers=3",
            "-p",
            "time-scale=0.5",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("server 3: done"), "{}", text(&o));
    assert_eq!(
        private_servers_running(),
        before,
        "private servers or their folders were left behind"
    );
}

#[test]
fn a_private_server_is_started_when_nothing_answers_locally() {
    let _turn = private_lock();
    let unused = format!("127.0.0.1:{}", free_port());
    let o = conlab(
        &["run", "redis-hash", "-p", "fields=20", "--format", "json"],
        &[("CONLAB_REDIS_LOCAL", &unused)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let trace = conlab_core::Trace::from_json(&String::from_utf8_lossy(&o.stdout)).unwrap();
    assert!(trace.passed());
    let label = trace
        .spans
        .iter()
        .find(|s| s.state == conlab_core::SpanState::Connecting)
        .map(|s| s.label.clone())
        .unwrap();
    assert!(
        label.starts_with("redis://127.0.0.1:") && !label.contains(&unused),
        "{label}"
    );
}

#[test]
fn without_redis_the_scenario_is_skipped_with_the_fix() {
    let unused = format!("127.0.0.1:{}", free_port());
    let o = conlab(
        &["run", "redis-hash"],
        &[("CONLAB_REDIS_LOCAL", &unused), ("PATH", "/nonexistent")],
    );
    // A skipped run exits with 3 (`conlab --help`).
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("SKIPPED")
            && out.contains("apt-get install redis-server")
            && out.contains(&unused),
        "{out}"
    );
}

#[test]
fn a_configured_server_that_does_not_answer_fails_fast() {
    let url = format!("redis://127.0.0.1:{}/0", free_port());
    let started = Instant::now();
    let o = conlab(&["run", "redis-hash"], &[("CONLAB_REDIS_URL", &url)]);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains(&url), "{}", text(&o));
}

#[test]
fn a_server_that_stops_mid_run_fails_the_run_with_the_reason() {
    let mut server = TestRedis::start(None);
    let url = format!("redis://127.0.0.1:{}/0", server.port);
    let child = Command::new(env!("CARGO_BIN_EXE_conlab"))
        .args(["run", "redis-pool", "-p", "ops=1000000"])
        .env("CONLAB_REDIS_URL", &url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let _ = server.child.kill();
    let _ = server.child.wait();
    let started = Instant::now();
    let o = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the run did not notice for {:?}",
        started.elapsed()
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("FAILED") && out.contains("Redis"), "{out}");
}

#[test]
fn the_job_queue_loses_no_job_when_a_worker_stops_mid_run() {
    for params in [
        ["-p", "jobs=30", "-p", "crash_after=3", "-p", "job_ms=20"],
        ["-p", "jobs=12", "-p", "crash_after=0", "-p", "job_ms=10"],
    ] {
        let mut args = vec!["run", "job-queue", "--format", "json"];
        args.extend(params);
        let o = conlab(&args, &[]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let trace = conlab_core::Trace::from_json(&String::from_utf8_lossy(&o.stdout)).unwrap();
        let jobs: usize = trace.params["jobs"].parse().unwrap();
        let mut ran: Vec<usize> = trace
            .marks_named("ran")
            .map(|m| m.detail.parse().unwrap())
            .collect();
        ran.sort_unstable();
        assert_eq!(ran, (0..jobs).collect::<Vec<_>>(), "every job exactly once");
        let stopped = trace.marks_named("worker_stopped").count();
        assert_eq!(stopped, usize::from(trace.params["crash_after"] != "0"));
    }
}

#[test]
fn multi_server_command_limits_follow_the_parameters() {
    let _turn = private_lock();
    // The redis crate's own 500 ms response limit cut off BLPOP's scaled wait: server 5 waits
    // 500 ms, and with time-scale=4.9 server 2 waits 980 ms.
    for params in [["-p", "servers=5"], ["-p", "time-scale=4.9"]] {
        let mut args = vec!["redis-multi-server"];
        args.extend(params);
        let (o, trace) = run_trace(&args, &[]);
        assert!(
            trace.passed(),
            "{params:?}: {} {}",
            failure(&trace),
            text(&o)
        );
        assert_eq!(o.status.code(), Some(0));
    }
}

#[test]
fn the_job_queue_stops_a_worker_whatever_crash_after_is_below_jobs() {
    // Worker-1 gets every other job: when it counted its own, crash_after at half of jobs or
    // more never came, and the run showed no stop.
    for (jobs, crash_after) in [(5, 4), (20, 10), (20, 15), (37, 36)] {
        let (jobs_p, crash_p) = (format!("jobs={jobs}"), format!("crash_after={crash_after}"));
        let (o, trace) = run_trace(&["job-queue", "-p", &jobs_p, "-p", &crash_p], &[]);
        assert!(
            trace.passed(),
            "{jobs_p} {crash_p}: {} {}",
            failure(&trace),
            text(&o)
        );
        // The job handed out after the first `crash_after` (ids go out in order) is the one
        // worker-1 stops holding; it is moved back and run once, by worker-2.
        let stopped: Vec<&str> = trace
            .marks_named("worker_stopped")
            .map(|m| m.detail.as_str())
            .collect();
        assert_eq!(stopped, [crash_after.to_string()], "{jobs_p} {crash_p}");
        assert!(
            trace
                .marks_named("recovered")
                .any(|m| m.detail == stopped[0]),
            "{jobs_p} {crash_p}"
        );
    }
}
