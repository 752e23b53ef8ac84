//! Ctrl-C during `conlab run` of a scenario run natively: the first one stops the run, which
//! is then shown as far as it got (a load test with what it measured), and conlab exits 130.

mod support;

use support::drawn;

use std::io::Read;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Starts `conlab run` with `args`, lets it run `after`, sends SIGINT as Ctrl-C does, and
/// collects what it printed once it exited (within 20 s).
fn interrupted(args: &[&str], after: Duration) -> (Output, Duration) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_conlab"))
        .arg("run")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    assert!(
        child.try_wait().unwrap().is_none(),
        "{args:?} ended before it was interrupted"
    );
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let signalled = Instant::now();
    // Read while waiting: a long report would fill the pipe.
    let out = reader(child.stdout.take().unwrap());
    let err = reader(child.stderr.take().unwrap());
    let status = wait_at_most(&mut child, Duration::from_secs(20));
    let took = signalled.elapsed();
    let output = Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    };
    (output, took)
}

fn reader(mut from: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut all = Vec::new();
        let _ = from.read_to_end(&mut all);
        all
    })
}

fn wait_at_most(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("conlab did not exit within {limit:?} of Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The figure of metric `key` in a text report (`  sent = 136,464 requests`).
fn metric(out: &str, key: &str) -> u64 {
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{key} = ")))
        .unwrap_or_else(|| panic!("no metric {key} in\n{out}"));
    let value = line.split(" = ").nth(1).unwrap().split(' ').next().unwrap();
    value.replace(',', "").parse().unwrap()
}

#[test]
fn ctrl_c_stops_a_load_test_and_shows_what_it_measured() {
    let clients = drawn(1..=32).to_string();
    let payload = drawn(0..=64).to_string();
    let (o, _) = interrupted(
        &[
            "load-test",
            "-p",
            &format!("clients={clients}"),
            "-p",
            &format!("payload_kb={payload}"),
            "-p",
            "duration_ms=600000",
        ],
        Duration::from_secs(2),
    );
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{out}\n{err}");
    assert!(err.contains("stopping the run"), "{err}");
    assert!(out.contains("STOPPED after"), "{out}");
    assert!(out.contains("stopped before its end"), "{out}");
    assert!(
        !out.contains("0/0 checks"),
        "a stopped run is not judged:\n{out}"
    );
    assert!(out.contains("latency (ms): min"), "{out}");
    assert!(
        !out.contains("fell behind"),
        "a stop is not falling behind:\n{out}"
    );
    // Every request sent is accounted for, as in a run that ended.
    let sent = metric(&out, "sent");
    assert!(sent > 0, "{out}");
    assert_eq!(
        sent,
        metric(&out, "succeeded") + metric(&out, "failed"),
        "{out}"
    );
}

#[test]
fn ctrl_c_stops_threads_waiting_on_io_at_once() {
    let downloads = drawn(2..=16).to_string();
    let (o, took) = interrupted(
        &[
            "io-bound-threads",
            "-p",
            &format!("downloads={downloads}"),
            "-p",
            "latency_ms=30000",
        ],
        Duration::from_secs(1),
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(130), "{out}");
    assert!(
        took < Duration::from_secs(10),
        "stopping took {took:?}, the downloads' latency is 30 s"
    );
    assert!(out.contains("STOPPED after"), "{out}");
    assert!(
        out.contains("Thread-1"),
        "the partial timeline is shown:\n{out}"
    );
}

#[test]
fn ctrl_c_stops_work_that_holds_the_loop_and_never_passes_it() {
    // Each unit computes on the loop for 10 s: the stop is seen within the unit.
    let (o, took) = interrupted(
        &["coroutine-cpu", "-p", "unit_ms=10000"],
        Duration::from_secs(1),
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(130), "{out}");
    assert!(took < Duration::from_secs(10), "stopping took {took:?}");
    assert!(
        out.contains("STOPPED after") && !out.contains("PASSED"),
        "{out}"
    );
}

#[test]
fn a_stopped_async_run_is_saved_as_a_trace_that_opens() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("stopped.json");
    let tasks = drawn(2..=200).to_string();
    let (o, _) = interrupted(
        &[
            "create-task",
            "-p",
            &format!("tasks={tasks}"),
            "-p",
            "sleep_ms=5000",
            "--format",
            "json",
            "--out",
            file.to_str().unwrap(),
        ],
        Duration::from_secs(1),
    );
    assert_eq!(o.status.code(), Some(130));
    let shown = support::conlab(&["show", file.to_str().unwrap()], &[]);
    let err = String::from_utf8_lossy(&shown.stderr);
    // Read as a trace (exit 2 would be a damaged file), stopped and so without a verdict.
    assert_eq!(shown.status.code(), Some(1), "{err}");
    assert!(err.contains("no verdict"), "{err}");
}
