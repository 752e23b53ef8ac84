//! The CPython lane: every lesson with a Python program, run under CPython by conlab's tracer
//! (the Python that `scripts/setup-python.sh` sets up), at its defaults and at drawn values,
//! judged by the scenario's own checks; and the tracer's own tests.

use conlab_core::{catalog, LaneKind, Params, RuntimeKind, Trace};
use conlab_scenarios::cpython;
use conlab_tests::draw::{draw, Budget, Rng};
use std::path::Path;

/// What a run says when it did not pass: its status and each check that failed.
fn failures_of(trace: &Trace) -> String {
    let failed: Vec<String> = trace
        .checks
        .iter()
        .filter(|c| c.verdict() == conlab_core::Verdict::Failed)
        .map(|c| format!("{}: {}", c.id, c.detail))
        .collect();
    format!(
        "status {}; failed: {}",
        trace.status.label(),
        failed.join("; ")
    )
}

/// Runs each of `ids` at its defaults and at two drawn values (within the CI budget); returns
/// how many runs were made and what each that did not pass said.
fn run_lessons<'a>(ids: impl Iterator<Item = &'a str>, rng: &mut Rng) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let mut ran = 0;
    for id in ids {
        let info = catalog::lookup(id).unwrap();
        for n in 0..3 {
            let assignments = if n == 0 {
                Vec::new()
            } else {
                draw(info, rng, Budget::CI)
            };
            // A draw beyond another value's bound (job-queue's crash_after below jobs) is
            // refused up front, as the other drawn runs find: not made.
            let Ok(params) = Params::from_assignments(
                info.id,
                info.params,
                assignments.iter().map(String::as_str),
            ) else {
                continue;
            };
            // As the other drawn runs: a draw longer than the budget's run is not made.
            let expected = conlab_scenarios::find(id)
                .unwrap()
                .expected_on(RuntimeKind::Tokio, &params);
            if expected > Budget::CI.run {
                continue;
            }
            let command = format!(
                "conlab run {id} --runtime cpython{}",
                assignments
                    .iter()
                    .map(|a| format!(" -p {a}"))
                    .collect::<String>()
            );
            let limit = cpython::time_limit(id, &params, None).unwrap();
            let started = std::time::Instant::now();
            let trace = cpython::run(id, &params, limit).unwrap_or_else(|e| panic!("{id}: {e}"));
            println!(
                "{command}: {} in {:.1} s",
                trace.status.label(),
                started.elapsed().as_secs_f64()
            );
            ran += 1;
            // What any CPython trace holds, whatever its checks say.
            assert_eq!(trace.runtime, RuntimeKind::Cpython, "{command}");
            let python = trace
                .interpreter
                .as_ref()
                .unwrap_or_else(|| panic!("{command}: which Python ran it ({:?})", trace.status));
            assert!(python.version.starts_with("3."), "{command}: {python:?}");
            assert!(
                trace.lanes.iter().any(|l| l.kind == LaneKind::Main),
                "{command}: no main lane"
            );
            assert!(
                trace.sites.iter().all(|s| s.file.starts_with("python/")),
                "{command}: lines of code outside python/: {:?}",
                trace.sites
            );
            trace
                .validate()
                .unwrap_or_else(|e| panic!("{command}: the trace is not valid: {e}"));
            if !trace.passed() {
                failures.push(format!("{command}: {}", failures_of(&trace)));
            }
        }
    }
    (ran, failures)
}

#[test]
fn every_python_lesson_passes_its_checks_at_its_defaults_and_at_drawn_values() {
    // One at a time: their checks time what they run, on a 2-core machine.
    let _alone = conlab_tests::exclusive();
    cpython::find_python().expect("a Python for the lessons (scripts/setup-python.sh)");
    let seed = conlab_tests::drawn::seed();
    println!("drawn with seed {seed} (CONLAB_FUZZ_SEED={seed} draws them again)");
    let mut rng = Rng::new(seed);
    // Those against Redis and MySQL have a test of their own, with the servers.
    let ids = cpython::programs().filter(|id| !conlab_scenarios::needs_databases(id));
    let (ran, failures) = run_lessons(ids, &mut rng);
    assert!(ran >= 80, "only {ran} runs");
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn a_python_load_test_is_counted_by_conlabs_server_as_a_native_one_is() {
    // One at a time: their checks time what they run, on a 2-core machine.
    let _alone = conlab_tests::exclusive();
    cpython::find_python().expect("a Python for the lessons (scripts/setup-python.sh)");
    let info = catalog::lookup("load-test").unwrap();
    let run = |assignments: &[&str]| {
        let params =
            Params::from_assignments(info.id, info.params, assignments.iter().copied()).unwrap();
        let limit = cpython::time_limit(info.id, &params, None).unwrap();
        cpython::run(info.id, &params, limit).unwrap()
    };
    // conlab's server, set up as for a native run, fails a tenth of the requests on purpose
    // and checks every upload; what it counted is in the Python run's trace.
    let trace = run(&[
        "clients=8",
        "requests=200",
        "payload_kb=4",
        "fail_percent=10",
    ]);
    assert!(trace.passed(), "{}", failures_of(&trace));
    let metric = |key: &str| trace.metrics.extra(key);
    assert_eq!(metric("server_requests"), Some(200.0));
    assert_eq!(metric("server_failed_on_purpose"), Some(20.0));
    assert_eq!(metric("server_uploads_intact"), Some(180.0));
    assert_eq!(metric("server_uploads_damaged"), Some(0.0));
    let errors: Vec<&str> = trace
        .marks_named("errors")
        .map(|m| m.detail.as_str())
        .collect();
    assert_eq!(errors, ["20\tHTTP 500"]);
    assert!(
        trace
            .metrics
            .latency
            .is_some_and(|l| l.measured && l.count == 200),
        "{:?}",
        trace.metrics.latency
    );
    let charts: Vec<&str> = trace.charts.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(
        charts,
        ["latency_histogram", "requests_per_second", "p99_per_second"]
    );
    // A `url` on this machine: the program loads it, and conlab's own server counts nothing
    // of the run (its checks do not ask), as natively.
    let theirs = conlab_http::TestServer::start().unwrap();
    let url = format!("url=http://localhost:{}/hello", theirs.addr().port());
    let trace = run(&["clients=4", "requests=50", "payload_kb=0", &url]);
    assert!(trace.passed(), "{}", failures_of(&trace));
    let seen = theirs
        .stats()
        .requests
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(seen, 50);
    assert_eq!(trace.metrics.extra("server_requests"), None);
    // One beyond this machine is refused before anything runs, in the native run's words.
    let params = Params::from_assignments(info.id, info.params, ["url=http://192.0.2.1/"]).unwrap();
    let refused = cpython::refusal(info.id, &params)
        .expect("refused")
        .to_string();
    assert!(refused.contains("--allow-remote"), "{refused}");
}

/// A redis-server of the test's own on a free loopback port (no password, nothing saved),
/// killed when dropped.
struct TestRedis {
    child: std::process::Child,
    port: u16,
}

impl TestRedis {
    fn start() -> TestRedis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = std::process::Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is installed (scripts/setup-servers.sh)");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        TestRedis { child, port }
    }

    /// How many keys its database 0 holds.
    fn keys(&self) -> String {
        let out = std::process::Command::new("redis-cli")
            .args(["-p", &self.port.to_string(), "dbsize"])
            .output()
            .expect("redis-cli is installed");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn every_python_lesson_against_redis_and_mysql_passes_its_checks_and_leaves_nothing() {
    // One at a time: their checks time what they run, on a 2-core machine.
    let _alone = conlab_tests::exclusive();
    cpython::find_python().expect("a Python for the lessons (scripts/setup-python.sh)");
    // Servers found as a native run finds them: Redis configured by URL (a server of the
    // test's own, whose keys are counted after), further ones and MySQL private throwaway
    // servers conlab starts (MariaDB as its own user, never root).
    let redis = TestRedis::start();
    std::env::set_var(
        "CONLAB_REDIS_URL",
        format!("redis://127.0.0.1:{}/0", redis.port),
    );
    let seed = conlab_tests::drawn::seed();
    println!("drawn with seed {seed} (CONLAB_FUZZ_SEED={seed} draws them again)");
    let mut rng = Rng::new(seed);
    let ids: Vec<&str> = cpython::programs()
        .filter(|id| conlab_scenarios::needs_databases(id))
        .collect();
    assert!(ids.len() >= 6, "{ids:?}");
    let (ran, failures) = run_lessons(ids.iter().copied(), &mut rng);
    std::env::remove_var("CONLAB_REDIS_URL");
    assert!(ran >= 12, "only {ran} runs");
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(redis.keys(), "0", "the runs left keys behind");
}

#[test]
fn a_lesson_without_a_python_program_is_refused_naming_those_with_one() {
    let info = catalog::lookup("sync-vs-async-requests").unwrap();
    let params = Params::from_assignments(info.id, info.params, std::iter::empty()).unwrap();
    let refusal = cpython::time_limit(info.id, &params, None)
        .expect_err("sync-vs-async-requests has no Python program yet")
        .to_string();
    assert!(
        refusal.contains("no Python program") && refusal.contains("gather-vs-wait"),
        "{refusal}"
    );
}

#[test]
fn the_tracers_own_tests_pass() {
    // One at a time: their checks time what they run, on a 2-core machine.
    let _alone = conlab_tests::exclusive();
    let python = cpython::find_python().expect("a Python (scripts/setup-python.sh)");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = std::process::Command::new(&python.program)
        .args(["-m", "unittest", "discover", "-s", "python/tests"])
        .current_dir(&root)
        .env("PYTHONPATH", root.join("python"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        // Not the servers another test of this binary set up for its own runs (and stops
        // when it is done): the suite runs the database lessons only against servers of
        // this machine's own.
        .env_remove("CONLAB_REDIS_URL")
        .env_remove("CONLAB_REDIS_URLS")
        .env_remove("CONLAB_MYSQL_URL")
        .env_remove("CONLAB_MYSQL_URLS")
        .output()
        .expect("Python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
