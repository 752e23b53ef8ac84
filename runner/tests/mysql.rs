//! The MySQL scenarios through the `conlab` binary, against real MariaDB servers: the local one
//! `scripts/setup-servers.sh` prepares (configured by URL), private throwaway ones conlab
//! starts itself, none at all, one that does not answer, and one killed in the middle of a run.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{conlab, free_port, text};

/// The dedicated user and database `scripts/setup-servers.sh` creates.
const LOCAL: &str = "mysql://conlab:conlab@127.0.0.1:3306/conlab";

/// Tests that start private servers take turns: one of them kills a private server mid-run
/// and must not hit another test's.
fn private_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// PIDs of private MariaDB servers: `mariadbd` processes listening on a port with their data
/// in a `conlab-mysql-*` folder (not the installer's short-lived `--bootstrap` server).
fn private_servers() -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            std::fs::read(e.path().join("cmdline"))
                .map(|c| {
                    let c = String::from_utf8_lossy(&c);
                    let program = c.split('\0').next().unwrap_or("");
                    (program.ends_with("mariadbd") || program.ends_with("mysqld"))
                        && c.contains("conlab-mysql-")
                        && c.contains("--port=")
                        && !c.contains("--bootstrap")
                })
                .unwrap_or(false)
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

fn private_dirs() -> usize {
    std::fs::read_dir(std::env::temp_dir())
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
    let (before_servers, before_dirs) = (private_servers().len(), private_dirs());
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
        &[("CONLAB_MYSQL_LOCAL", &unused)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = conlab(&["run", "mysql-query"], &[("CONLAB_MYSQL_LOCAL", &unused)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        (private_servers().len(), private_dirs()),
        (before_servers, before_dirs),
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
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
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
fn start_run_with_private_server() -> (std::process::Child, String) {
    let unused = format!("127.0.0.1:{}", free_port());
    let before = private_servers();
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
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(pid) = private_servers().into_iter().find(|p| !before.contains(p)) {
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
    let (child, victim) = start_run_with_private_server();
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
    let before = (private_servers(), private_dirs());
    let (child, _server) = start_run_with_private_server();
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
        (private_servers().len(), private_dirs()),
        (before.0.len(), before.1),
        "private servers or folders were left behind"
    );
}
