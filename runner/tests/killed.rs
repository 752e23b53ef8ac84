//! Nothing outlives a killed conlab. A run that starts private servers (Redis and MariaDB set
//! up for it alone) is killed with SIGKILL — nothing of conlab runs after that — at seeded
//! random moments, from before its servers are installed to its last command: its keeper
//! stops every server and installer it started and removes their folders. Where the keeper is
//! killed too, the next run that starts a private server sweeps what was left.
//!
//! Each test works in a temporary folder of its own (`TMPDIR`) and counts only what names it:
//! other runs on the machine are not its business. `CONLAB_KILL_SEED` replays the moments.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::free_port;

/// The scenarios that start private servers when no server is configured or local, with
/// parameters that keep them short.
const SCENARIOS: &[(&str, &[&str])] = &[
    ("redis-hash", &[]),
    ("redis-multi-server", &["servers=2"]),
    ("redis-pool", &["ops=2000"]),
    ("mysql-query", &[]),
    ("mysql-multi-server", &["servers=2"]),
    ("mysql-pool", &["queries=4", "pool=2", "sleep_ms=500"]),
    ("web-api", &["users=5", "handler_ms=200"]),
    ("job-queue", &["jobs=20", "job_ms=100"]),
];

/// Starts `conlab run <id>` with its private servers in `tmp`: the configured and local servers
/// are pointed at ports nothing listens on.
fn start(id: &str, params: &[&str], tmp: &Path) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_conlab"));
    cmd.args(["run", id]);
    for p in params {
        cmd.args(["-p", p]);
    }
    for var in [
        "CONLAB_REDIS_URL",
        "CONLAB_REDIS_URL_2",
        "CONLAB_MYSQL_URL",
        "CONLAB_MYSQL_URL_2",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("TMPDIR", tmp)
        .env("CONLAB_REDIS_LOCAL", format!("127.0.0.1:{}", free_port()))
        .env("CONLAB_MYSQL_LOCAL", format!("127.0.0.1:{}", free_port()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("conlab starts")
}

/// The processes working in `tmp` (a private server's folder is in it): their current folder
/// is in it (redis-server rewrites its command line) or their command line names it; with their
/// command lines.
fn processes_in(tmp: &Path) -> Vec<(u32, String)> {
    let needle = tmp.to_string_lossy().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            let cwd = std::fs::read_link(e.path().join("cwd")).unwrap_or_default();
            // A zombie has no folder and no command line left: it holds nothing.
            let working = cmdline.contains(&needle) || cwd.to_string_lossy().starts_with(&needle);
            working.then_some((pid, cmdline))
        })
        .collect()
}

/// What is left in `tmp`.
fn folders_in(tmp: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(tmp)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect()
}

/// Waits at most `limit` until nothing of a private server is left in `tmp`; what is left
/// otherwise.
fn left_after(tmp: &Path, limit: Duration) -> Option<String> {
    let deadline = Instant::now() + limit;
    loop {
        let (procs, folders) = (processes_in(tmp), folders_in(tmp));
        if procs.is_empty() && folders.is_empty() {
            return None;
        }
        if Instant::now() > deadline {
            return Some(format!("processes {procs:?}, folders {folders:?}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// SIGKILLs `pid`.
fn kill9(pid: u32) {
    // SAFETY: kill has no preconditions.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
}

/// A small seedable generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n
    }
}

#[test]
fn a_conlab_killed_at_any_moment_leaves_no_server_process_and_no_folder() {
    let seed: u64 = std::env::var("CONLAB_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    println!("kill moments: CONLAB_KILL_SEED={seed} replays them");
    let mut rng = Rng(seed);
    let mut problems = Vec::new();
    let mut servers_seen = 0;
    for (id, params) in SCENARIOS {
        for _ in 0..3 {
            let tmp = tempfile::tempdir().unwrap();
            let mut child = start(id, params, tmp.path());
            // From before anything is installed to the run's last commands (a private
            // MariaDB takes a few seconds to set up).
            let at =
                Duration::from_millis(rng.below(if id.starts_with("mysql") || *id == "web-api" {
                    6000
                } else {
                    2500
                }));
            let started = Instant::now();
            while started.elapsed() < at && child.try_wait().unwrap().is_none() {
                std::thread::sleep(Duration::from_millis(10));
            }
            servers_seen += processes_in(tmp.path()).len();
            kill9(child.id());
            let _ = child.wait();
            if let Some(left) = left_after(tmp.path(), Duration::from_secs(15)) {
                problems.push(format!("{id} killed after {at:?}: {left}"));
            }
        }
    }
    assert!(
        servers_seen > 0,
        "no private server was ever caught running: the kills came too early to test anything"
    );
    assert!(problems.is_empty(), "seed {seed}:\n{}", problems.join("\n"));
}

#[test]
fn what_a_killed_keeper_could_not_stop_the_next_run_sweeps() {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = start("job-queue", &["jobs=40", "job_ms=200"], tmp.path());
    // Once its private redis-server runs, the keeper and conlab are killed together.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !processes_in(tmp.path())
        .iter()
        .any(|(_, c)| c.contains("redis-server"))
    {
        assert!(Instant::now() < deadline, "no private redis-server started");
        assert!(child.try_wait().unwrap().is_none(), "the run ended first");
        std::thread::sleep(Duration::from_millis(20));
    }
    let keeper = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .find_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            let ppid: u32 = stat
                .rsplit(')')
                .next()?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            (ppid == child.id() && String::from_utf8_lossy(&cmdline).contains("__conlab-keeper"))
                .then_some(pid)
        })
        .expect("conlab started a keeper");
    kill9(keeper);
    kill9(child.id());
    let _ = child.wait();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !processes_in(tmp.path()).is_empty(),
        "with its keeper killed too, the server outlives conlab (until the next run's sweep)"
    );
    // The next run that starts a private server sweeps it.
    let mut next = start("redis-hash", &[], tmp.path());
    let _ = next.wait();
    if let Some(left) = left_after(tmp.path(), Duration::from_secs(15)) {
        panic!("the next run did not sweep: {left}");
    }
}
