//! Process scenarios from the command line, and what happens to their children when conlab
//! itself is stopped: interrupted (SIGINT, as Ctrl-C sends), terminated (SIGTERM) or killed
//! outright (SIGKILL, which no handler sees). In every case no child is alive a second later,
//! as the OS counts them.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::conlab;

/// The state letter of `pid` (`R`, `S`, `Z` …), if it exists.
fn state(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 2..].chars().next()
}

/// The parent of `pid`.
fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 2..].split(' ').nth(1)?.parse().ok()
}

/// Children of `parent` that are alive (not zombies).
fn children_of(parent: i32) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| parent_of(*pid) == Some(parent) && state(*pid) != Some('Z'))
        .collect()
}

/// Starts a process pool whose tasks outlast the test, and waits until its workers run.
fn start_pool(workers: usize) -> (Child, Vec<i32>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_conlab"))
        .args(["run", "process-pool", "-p", &format!("workers={workers}")])
        .args(["-p", "tasks=50", "-p", "task_ms=20000"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let kids = children_of(child.id() as i32);
        if kids.len() == workers {
            return (child, kids);
        }
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            panic!("the pool never started its {workers} workers: {kids:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Asserts none of `pids` is alive (a zombie waiting for init to reap it is not).
#[track_caller]
fn assert_none_alive(pids: &[i32], after: Duration) {
    std::thread::sleep(after);
    let alive: Vec<(i32, char)> = pids
        .iter()
        .filter_map(|p| Some((*p, state(*p)?)))
        .filter(|(_, s)| *s != 'Z')
        .collect();
    assert!(
        alive.is_empty(),
        "children still alive {after:?} later: {alive:?}"
    );
}

#[test]
fn sigkill_of_conlab_leaves_no_child_a_second_later() {
    let (mut child, workers) = start_pool(4);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_none_alive(&workers, Duration::from_secs(1));
}

#[test]
fn ctrl_c_and_sigterm_end_the_children_with_conlab() {
    for signal in ["INT", "TERM"] {
        let (mut child, workers) = start_pool(3);
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        let code = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status.code();
            }
            assert!(
                Instant::now() < deadline,
                "conlab did not exit on SIG{signal}"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(code, Some(130), "SIG{signal}");
        // Not even as zombies: conlab reaped them before it exited.
        let left: Vec<i32> = workers
            .iter()
            .copied()
            .filter(|p| state(*p).is_some())
            .collect();
        assert!(
            left.is_empty(),
            "SIG{signal}: children left, even as zombies: {left:?}"
        );
    }
}

#[test]
fn process_scenarios_run_from_the_command_line_with_their_pids_on_the_timeline() {
    let o = conlab(
        &[
            "run",
            "process-pool",
            "-p",
            "workers=3",
            "-p",
            "tasks=6",
            "-p",
            "task_ms=50",
        ],
        &[],
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.matches("PoolWorker-").count() >= 3, "{out}");
    assert!(out.contains("(pid "), "{out}");
    assert!(out.contains("✓ at-most-k-busy"), "{out}");
}
