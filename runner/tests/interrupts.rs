//! A run stopped early leaves nothing on its servers: interrupted (SIGINT, as Ctrl-C sends)
//! or terminated (SIGTERM), conlab has its keys and tables removed as it exits; killed outright
//! (SIGKILL), what it left is swept by the next run against the same server. Counted on real
//! servers: a redis-server each test starts, and the local MariaDB of
//! `scripts/setup-servers.sh`.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{conlab, text, TestRedis};

/// The keys runs created on `redis` (not the registry of runs itself).
fn run_keys(redis: &TestRedis) -> usize {
    redis
        .cli(&["--scan", "--pattern", "conlab:*"])
        .lines()
        .filter(|k| !k.is_empty() && *k != "conlab:runs")
        .count()
}

/// Starts `conlab run <args>` against `redis` and waits until it has created keys.
fn start_run_with_keys(redis: &TestRedis, args: &[&str]) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_conlab"))
        .arg("run")
        .args(args)
        .env("CONLAB_REDIS_URL", redis.url())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while run_keys(redis) < 50 {
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            panic!("the run created no keys to clean up");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits at most 15 s for `child` to exit; its exit code and standard error.
fn finish(mut child: Child) -> (Option<i32>, String) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            return (status.code(), err);
        }
        assert!(
            Instant::now() < deadline,
            "conlab did not exit after the signal"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_interrupted_or_terminated_run_removes_its_keys_before_it_exits() {
    for sig in ["INT", "TERM"] {
        let redis = TestRedis::start(None);
        let child = start_run_with_keys(&redis, &["redis-pool", "-p", "ops=1000000"]);
        signal(&child, sig);
        let (code, err) = finish(child);
        assert_eq!(code, Some(130), "SIG{sig}: {err}");
        assert!(err.contains("interrupted"), "SIG{sig}: {err}");
        assert!(!err.contains("Input/output error"), "SIG{sig}: {err}");
        // The cleaning is done by a short-lived process once conlab has exited (its own
        // threads wrote until then): give it a moment.
        let deadline = Instant::now() + Duration::from_secs(10);
        while run_keys(&redis) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(run_keys(&redis), 0, "SIG{sig}: keys left behind");
        assert_eq!(redis.cli(&["HLEN", "conlab:runs"]), "0", "SIG{sig}");
    }
}

#[test]
fn what_a_killed_run_left_is_swept_by_the_next_run() {
    let redis = TestRedis::start(None);
    let child = start_run_with_keys(&redis, &["redis-pool", "-p", "ops=1000000"]);
    signal(&child, "KILL");
    let _ = finish(child);
    let left = run_keys(&redis);
    assert!(left > 0, "a killed run cannot clean up");
    assert_eq!(redis.cli(&["HLEN", "conlab:runs"]), "1");

    let o = conlab(
        &["run", "redis-hash"],
        &[("CONLAB_REDIS_URL", &redis.url())],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        run_keys(&redis),
        0,
        "{left} keys of the killed run were not swept"
    );
    assert_eq!(redis.cli(&["HLEN", "conlab:runs"]), "0");
}

/// Tests in this file that count tables on the shared MariaDB take turns.
static MYSQL_TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

const LOCAL_MYSQL: &str = "mysql://conlab:conlab@127.0.0.1:3306/conlab";

/// Runs `sql` on the shared MariaDB as conlab; its output, trimmed.
fn mysql(sql: &str) -> String {
    let out = Command::new("mariadb")
        .args([
            "-h",
            "127.0.0.1",
            "-u",
            "conlab",
            "-pconlab",
            "conlab",
            "-N",
            "-e",
            sql,
        ])
        .output()
        .expect("the mariadb client is installed (scripts/setup-servers.sh)");
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The tables runs created on the shared MariaDB (not the registry of runs itself).
fn run_tables() -> usize {
    mysql("SHOW TABLES LIKE 'conlab\\_%'")
        .lines()
        .filter(|t| !t.is_empty() && *t != "conlab_runs")
        .count()
}

/// Parameters that keep each scenario against servers busy for a while, so a signal lands
/// mid-run (wherever it lands, nothing may be left). A scenario missing here fails the test.
const LONG_RUNS: &[(&str, &[&str])] = &[
    ("redis-hash", &["fields=10000"]),
    ("redis-multi-server", &["servers=1", "time-scale=20"]),
    ("redis-pool", &["ops=1000000"]),
    ("mysql-query", &[]),
    ("mysql-multi-server", &["servers=1", "time-scale=20"]),
    ("mysql-pool", &["queries=200", "sleep_ms=50"]),
    ("web-api", &["users=50", "handler_ms=200"]),
    ("job-queue", &["jobs=2000", "job_ms=5", "crash_after=0"]),
];

#[test]
fn every_scenario_against_servers_stopped_midway_leaves_nothing_behind() {
    let _turn = MYSQL_TURN.lock().unwrap_or_else(|e| e.into_inner());
    let servers: Vec<&str> = conlab_scenarios::registry::all()
        .iter()
        .filter(|s| matches!(s.native, conlab_scenarios::registry::Native::Servers { .. }))
        .map(|s| s.id)
        .collect();
    let mut stopped_midway = 0;
    for id in &servers {
        let params = LONG_RUNS
            .iter()
            .find(|(i, _)| i == id)
            .unwrap_or_else(|| panic!("{id}: add it to LONG_RUNS"))
            .1;
        for (sig, after_ms) in [("INT", 300), ("TERM", 700), ("KILL", 500)] {
            let redis = TestRedis::start(None);
            let tables_before = run_tables();
            let mut args = vec!["run", id];
            for p in params {
                args.extend(["-p", p]);
            }
            let mut child = Command::new(env!("CARGO_BIN_EXE_conlab"))
                .args(&args)
                .env("CONLAB_REDIS_URL", redis.url())
                .env("CONLAB_MYSQL_URL", LOCAL_MYSQL)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_millis(after_ms));
            let finished_first = child.try_wait().unwrap().is_some();
            if !finished_first {
                signal(&child, sig);
                stopped_midway += 1;
            }
            let (code, err) = finish(child);
            if sig == "KILL" {
                // A killed run cannot clean up: the next run against the same servers sweeps.
                let o = conlab(
                    &["run", "redis-hash"],
                    &[("CONLAB_REDIS_URL", &redis.url())],
                );
                assert!(o.status.success(), "{id}: {}", text(&o));
                let o = conlab(
                    &["run", "mysql-query"],
                    &[("CONLAB_MYSQL_URL", LOCAL_MYSQL)],
                );
                assert!(o.status.success(), "{id}: {}", text(&o));
            } else {
                // Interrupted, or done just before the signal came.
                assert!(
                    matches!(code, Some(130) | Some(0)),
                    "{id} SIG{sig}: {code:?} {err}"
                );
            }
            let deadline = Instant::now() + Duration::from_secs(10);
            while (run_keys(&redis) > 0 || run_tables() > tables_before)
                && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(50));
            }
            assert_eq!(run_keys(&redis), 0, "{id} SIG{sig}: keys left behind");
            assert_eq!(
                run_tables(),
                tables_before,
                "{id} SIG{sig}: tables left behind"
            );
            assert_eq!(redis.cli(&["HLEN", "conlab:runs"]), "0", "{id} SIG{sig}");
        }
    }
    // Most runs must really have been stopped midway for this to test anything.
    assert!(
        stopped_midway >= servers.len() * 2,
        "only {stopped_midway} runs were stopped midway"
    );
}

#[test]
fn tables_of_a_dead_run_are_dropped_by_the_next_run_against_that_mysql() {
    let _turn = MYSQL_TURN.lock().unwrap_or_else(|e| e.into_inner());
    let url = LOCAL_MYSQL;
    // What a run killed mid-way leaves: a table under its id and its registry entry, owned
    // by a process of this host that no longer exists.
    let dead_pid = {
        let mut child = Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    };
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    mysql(
        "CREATE TABLE IF NOT EXISTS conlab_runs \
         (run_id VARCHAR(64) PRIMARY KEY, owner VARCHAR(255) NOT NULL)",
    );
    mysql("CREATE TABLE IF NOT EXISTS conlab_items_deadbeef01 (id INT)");
    mysql(&format!(
        "REPLACE INTO conlab_runs VALUES ('deadbeef01', '{}:{dead_pid}:{started}')",
        host.trim()
    ));
    let o = conlab(&["run", "mysql-query"], &[("CONLAB_MYSQL_URL", url)]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        mysql("SHOW TABLES LIKE 'conlab\\_%\\_deadbeef01'"),
        "",
        "the dead run's table is still there"
    );
    assert_eq!(
        mysql("SELECT COUNT(*) FROM conlab_runs WHERE run_id = 'deadbeef01'"),
        "0"
    );
}

/// The private MariaDB folders (in the system's temporary folder) that exist now.
/// The private MariaDB folders in `tmp` (the test's own `TMPDIR`).
fn private_mysql_folders(tmp: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(tmp)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("conlab-mysql-"))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn an_interrupt_while_private_mariadb_servers_install_leaves_no_folder_and_no_process() {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_conlab"))
        .args(["run", "mysql-multi-server", "-p", "servers=3"])
        .env_remove("CONLAB_MYSQL_URL")
        .env("TMPDIR", tmp.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt as soon as the installers have their folders.
    let deadline = Instant::now() + Duration::from_secs(20);
    while private_mysql_folders(tmp.path()).is_empty() {
        assert!(
            Instant::now() < deadline,
            "no private MariaDB folder appeared"
        );
        assert!(child.try_wait().unwrap().is_none(), "the run ended first");
        std::thread::sleep(Duration::from_millis(5));
    }
    let created = private_mysql_folders(tmp.path());
    signal(&child, "INT");
    let (code, err) = finish(child);
    assert_eq!(code, Some(130), "{err}");
    std::thread::sleep(Duration::from_millis(500));
    for folder in &created {
        assert!(
            !folder.exists(),
            "{} is left behind: {err}",
            folder.display()
        );
    }
    let left = Command::new("pgrep")
        .args(["-f", "conlab-mysql-"])
        .output()
        .unwrap();
    let pids = String::from_utf8_lossy(&left.stdout);
    for folder in &created {
        let name = folder.file_name().unwrap().to_string_lossy().to_string();
        let running = Command::new("pgrep").args(["-f", &name]).output().unwrap();
        assert!(
            running.stdout.is_empty(),
            "a process still works in {name}: {pids}"
        );
    }
}
