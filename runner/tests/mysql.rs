//! The MySQL scenarios through the `conlab` binary, against real MariaDB servers: the local one
//! `scripts/setup-servers.sh` prepares (configured by URL), private throwaway ones conlab
//! starts itself, none at all, one that does not answer, and one killed in the middle of a run.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{conlab, failure, free_port, number_after, run_trace, text};

/// The dedicated user and database `scripts/setup-servers.sh` creates.
const LOCAL: &str = "mysql://conlab:conlab@127.0.0.1:3306/conlab";

/// Tests that start private servers take turns: one of them kills a private server mid-run
/// and must not hit another test's. Tests whose checks measure time take turns with them too,
/// so that eight servers being set up do not slow the run being measured.
fn private_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// PIDs of private MariaDB servers: `mariadbd` processes listening on a port with their data
/// in a `conlab-mysql-*` folder (not the installer's short-lived `--bootstrap` server).
/// A temporary folder of a test's own, given to the runs it starts as `TMPDIR`: their private
/// servers' folders go there, so the test counts only its own (another run on the machine at
/// the same time is no business of its).
fn own_tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

/// The private MariaDB servers whose folders are in `tmp`.
fn private_servers(tmp: &tempfile::TempDir) -> Vec<String> {
    let tmp = tmp.path().to_string_lossy().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            std::fs::read(e.path().join("cmdline"))
                .map(|c| {
                    let c = String::from_utf8_lossy(&c);
                    let program = c.split('\0').next().unwrap_or("");
                    (program.ends_with("mariadbd") || program.ends_with("mysqld"))
                        && c.contains(&tmp)
                        && c.contains("conlab-mysql-")
                        && c.contains("--port=")
                        && !c.contains("--bootstrap")
                })
                .unwrap_or(false)
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

/// The private MariaDB folders in `tmp`.
fn private_dirs(tmp: &tempfile::TempDir) -> usize {
    std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("conlab-mysql-"))
        .count()
}

#[test]
fn the_configured_local_server_runs_every_mysql_scenario() {
    for (id, params) in [
        ("mysql-query", vec![]),
        (
            "mysql-pool",
            vec!["-p", "queries=6", "-p", "pool=3", "-p", "sleep_ms=100"],
        ),
    ] {
        let mut args = vec!["run", id, "--format", "json"];
        args.extend(params);
        let o = conlab(&args, &[("CONLAB_MYSQL_URL", LOCAL)]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{id} (is scripts/setup-servers.sh run?): {}",
            text(&o)
        );
        assert!(!text(&o).contains("conlab:conlab@"), "the password leaked");
        let trace = conlab_core::Trace::from_json(&String::from_utf8_lossy(&o.stdout)).unwrap();
        assert!(trace.passed(), "{id}");
    }
    let o = conlab(
        &["run", "mysql-query"],
        &[(
            "CONLAB_MYSQL_URL",
            "mysql://conlab:wrong@127.0.0.1:3306/conlab",
        )],
    );
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o);
    assert!(
        out.contains("access denied") && !out.contains(":wrong@"),
        "{out}"
    );
}

#[test]
fn private_servers_are_started_and_removed() {
    let _turn = private_lock();
    let tmp = own_tmp();
    let tmpdir = tmp.path().to_string_lossy().to_string();
    let unused = format!("127.0.0.1:{}", free_port());
    let o = conlab(
        &[
            "run",
            "mysql-multi-server",
            "-p",
            "servers=2",
            "-p",
            "time-scale=0.5",
        ],
        &[("CONLAB_MYSQL_LOCAL", &unused), ("TMPDIR", &tmpdir)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = conlab(
        &["run", "mysql-query"],
        &[("CONLAB_MYSQL_LOCAL", &unused), ("TMPDIR", &tmpdir)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        (private_servers(&tmp).len(), private_dirs(&tmp)),
        (0, 0),
        "private servers or folders were left behind"
    );
}

#[test]
fn without_mariadb_the_scenario_is_skipped_with_the_fix() {
    let unused = format!("127.0.0.1:{}", free_port());
    let o = conlab(
        &["run", "mysql-query"],
        &[("CONLAB_MYSQL_LOCAL", &unused), ("PATH", "/nonexistent")],
    );
    // A skipped run exits with 3 (`conlab --help`).
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        text(&o).contains("SKIPPED") && text(&o).contains("apt-get install mariadb-server"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_configured_server_that_does_not_answer_fails_fast() {
    let url = format!("mysql://conlab@127.0.0.1:{}/conlab", free_port());
    let started = Instant::now();
    let o = conlab(&["run", "mysql-query"], &[("CONLAB_MYSQL_URL", &url)]);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains(&url), "{}", text(&o));
}

/// Starts a long mysql-pool run that must use a private server; returns the run and the PID
/// of its server once it is up.
// The caller waits for the returned child; clippy cannot follow it out of the function.
#[allow(clippy::zombie_processes)]
fn start_run_with_private_server(tmp: &tempfile::TempDir) -> (std::process::Child, String) {
    let unused = format!("127.0.0.1:{}", free_port());
    let mut child = Command::new(env!("CARGO_BIN_EXE_conlab"))
        .args([
            "run",
            "mysql-pool",
            "-p",
            "queries=40",
            "-p",
            "sleep_ms=500",
            "--timeout",
            "60",
        ])
        .env_remove("CONLAB_MYSQL_URL")
        .env("CONLAB_MYSQL_LOCAL", &unused)
        .env("TMPDIR", tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(pid) = private_servers(tmp).into_iter().next() {
            return (child, pid);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the private server never started");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_server_killed_mid_run_fails_the_run_with_the_reason() {
    let _turn = private_lock();
    let tmp = own_tmp();
    let (child, victim) = start_run_with_private_server(&tmp);
    std::thread::sleep(Duration::from_millis(1500));
    Command::new("kill").args(["-9", &victim]).status().unwrap();
    let started = Instant::now();
    let o = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the run did not notice for {:?}",
        started.elapsed()
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("FAILED") && text(&o).contains("MySQL"),
        "{}",
        text(&o)
    );
}

#[test]
fn ctrl_c_stops_private_servers_and_removes_their_files() {
    let _turn = private_lock();
    let tmp = own_tmp();
    let (child, _server) = start_run_with_private_server(&tmp);
    std::thread::sleep(Duration::from_millis(500));
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        (private_servers(&tmp).len(), private_dirs(&tmp)),
        (0, 0),
        "private servers or folders were left behind"
    );
}

#[test]
fn a_pool_larger_than_the_server_allows_is_refused_up_front_naming_the_limit() {
    // MariaDB's default max_connections is 151: pool=152 (with as many queries) failed in the
    // middle of the run with "Too many connections". A private server with a limit of 100
    // stands for a user's server with too small a limit.
    let _turn = private_lock();
    let unused = format!("127.0.0.1:{}", free_port());
    let small = [
        ("CONLAB_MYSQL_LOCAL", unused.as_str()),
        ("CONLAB_MYSQL_MAX_CONNECTIONS", "100"),
    ];
    let (o, trace) = run_trace(
        &[
            "mysql-pool",
            "-p",
            "pool=256",
            "-p",
            "queries=256",
            "-p",
            "sleep_ms=0",
        ],
        &small,
    );
    let why = failure(&trace);
    assert!(
        why.contains("pool=256") && why.contains("max_connections") && !why.contains(":conlab@"),
        "{why} {}",
        text(&o)
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        trace.phase("sequential").is_none(),
        "refused before any query ran"
    );
    // The value it suggests runs.
    let most = number_after(why, "Run with pool=").expect("a suggested pool size");
    assert!(
        why.contains("accepts 100 (its max_connections)") && (1..=100).contains(&most),
        "{why}"
    );
    let (pool, queries) = (format!("pool={most}"), format!("queries={most}"));
    let (o, trace) = run_trace(
        &[
            "mysql-pool",
            "-p",
            &pool,
            "-p",
            &queries,
            "-p",
            "sleep_ms=0",
        ],
        &small,
    );
    assert!(trace.passed(), "{pool}: {} {}", failure(&trace), text(&o));
}

#[test]
fn a_private_server_has_room_for_the_largest_pool() {
    let _turn = private_lock();
    let unused = format!("127.0.0.1:{}", free_port());
    let (o, trace) = run_trace(
        &[
            "mysql-pool",
            "-p",
            "pool=256",
            "-p",
            "queries=256",
            "-p",
            "sleep_ms=0",
        ],
        &[("CONLAB_MYSQL_LOCAL", &unused)],
    );
    assert!(trace.passed(), "{} {}", failure(&trace), text(&o));
}

#[test]
fn the_pool_is_warmed_before_the_concurrent_phase_is_measured() {
    let _turn = private_lock();
    // 100 connections opened at once overflowed MariaDB's listen backlog (back_log 80): the
    // connections beyond it waited a TCP retry, a second, inside the measured phase.
    let (o, trace) = run_trace(
        &[
            "mysql-pool",
            "-p",
            "queries=100",
            "-p",
            "pool=100",
            "-p",
            "sleep_ms=50",
        ],
        &[("CONLAB_MYSQL_URL", LOCAL)],
    );
    assert!(trace.passed(), "{} {}", failure(&trace), text(&o));
    let (_, sequential_end) = trace.phase("sequential").unwrap();
    let (concurrent_start, _) = trace.phase("concurrent").unwrap();
    let warm = trace
        .spans
        .iter()
        .find(|s| {
            s.state == conlab_core::SpanState::Connecting && s.label.starts_with("open 100 pooled")
        })
        .expect("the pool's warm-up is drawn");
    assert!(sequential_end <= warm.start && warm.end <= concurrent_start);
}

#[test]
fn eight_private_servers_start_together() {
    let _turn = private_lock();
    let tmp = own_tmp();
    let tmpdir = tmp.path().to_string_lossy().to_string();
    // Their installers shared /tmp, and each one's server removed the others' temporary
    // tables when it started: about half of these runs failed.
    for _ in 0..2 {
        let (o, trace) = run_trace(
            &[
                "mysql-multi-server",
                "-p",
                "servers=8",
                "-p",
                "time-scale=0.5",
            ],
            &[("TMPDIR", &tmpdir)],
        );
        assert!(trace.passed(), "{} {}", failure(&trace), text(&o));
    }
    assert_eq!(
        (private_servers(&tmp).len(), private_dirs(&tmp)),
        (0, 0),
        "private servers or folders were left behind"
    );
}

#[test]
fn an_installer_that_fails_is_quoted_in_the_error() {
    let _turn = private_lock();
    let tmp = own_tmp();
    let tmpdir = tmp.path().to_string_lossy().to_string();
    let bin = tempfile::tempdir().unwrap();
    let installer = bin.path().join("mariadb-install-db");
    std::fs::write(
        &installer,
        "#!/bin/sh\n\
         echo \"Installing MariaDB/MySQL system tables ...\"\n\
         echo \"2026-11-21 20:39:49 0 [ERROR] conlab test: this installer always fails\"\n\
         echo \"Installation of system tables failed!  Examine the logs in\"\n\
         for i in 1 2 3 4 5 6 7 8 9 10; do echo \"advice line $i\"; done\n\
         exit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&installer, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.path().display());
    let unused = format!("127.0.0.1:{}", free_port());
    let (o, trace) = run_trace(
        &["mysql-query"],
        &[
            ("CONLAB_MYSQL_LOCAL", &unused),
            ("PATH", &path),
            ("TMPDIR", &tmpdir),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let why = failure(&trace);
    assert!(
        why.contains("mariadb-install-db failed")
            && why.contains("[ERROR] conlab test: this installer always fails"),
        "{why}"
    );
    assert_eq!(
        private_dirs(&tmp),
        0,
        "the failed server's folder was left behind"
    );
}
