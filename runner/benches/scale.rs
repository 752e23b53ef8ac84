//! Benchmark: what a user runs. `conlab run event-loop-choice -p tasks=N` as a whole process
//! (the workload untraced on both loops, then traced: every task on its own lane, the trace
//! built, checked and printed as text), beside bare tokio running the same two loops in one
//! process of its own: N tasks each sleeping 100 ms gathered on a current-thread loop, then on
//! a multi-threaded runtime. Each figure is the median of fresh processes; peak memory is the
//! process's maximum resident set.
//!
//! Columns compare like with like: conlab's traced loop against bare tokio's current-thread
//! loop is the cost of tracing (the target); conlab's untraced loops against bare tokio's are
//! the same work in two processes (about 1x: the lesson's comparison of the two loops is
//! fair).
//!
//! The same workload means each sleep starts when its task first runs (`spawn(async move {
//! sleep(d).await })`), as in asyncio and in conlab. tokio's shorter form `spawn(sleep(d))`
//! fixes every deadline when the task is *spawned*: with a million tasks, spawning outlasts the
//! sleep, so about half the tasks find their sleep already over at their first poll and never
//! reach the timer wheel. That lighter workload is printed too, for reference.
//!
//! Targets: each loop's makespan <= 2x bare tokio's for that loop; peak memory <= 600 MB.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

// Bare tokio gets the allocator the conlab binary uses, so the comparison is of the work alone.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SLEEP: Duration = Duration::from_millis(100);
const RUNS: usize = 3;

/// What one process reported: the loops' makespans, its wall time and peak memory.
#[derive(Clone, Copy, Default)]
struct Figures {
    /// The traced current-thread loop (conlab only).
    traced_ms: f64,
    current_thread_ms: f64,
    multi_thread_ms: f64,
    wall_ms: f64,
    peak_mb: f64,
    passed: bool,
}

/// Runs `cmd` to its end; returns its standard output, wall time and peak resident set.
#[allow(clippy::zombie_processes)] // reaped by wait4, which std's Child::wait does not offer
fn measure(cmd: &mut Command) -> (String, f64, f64) {
    let start = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the benchmarked command starts");
    let mut out = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        let _ = stdout.read_to_string(&mut out);
    }
    // wait4 instead of Child::wait: it also reports the child's peak resident set.
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in; the pid is our own child's.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: as above; the child has not been reaped yet.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4 failed");
    let wall = start.elapsed().as_secs_f64() * 1e3;
    (out, wall, usage.ru_maxrss as f64 / 1024.0)
}

/// A metric line of the text output, e.g. `  gather_ms = 1303.982 ms`.
fn metric(text: &str, key: &str) -> f64 {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(key)?.trim().strip_prefix('='))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

fn conlab(n: usize) -> Figures {
    let (out, wall_ms, peak_mb) = measure(Command::new(env!("CARGO_BIN_EXE_conlab")).args([
        "run",
        "event-loop-choice",
        "-p",
        &format!("tasks={n}"),
        "-p",
        &format!("sleep_ms={}", SLEEP.as_millis()),
    ]));
    Figures {
        traced_ms: metric(&out, "gather_ms"),
        current_thread_ms: metric(&out, "makespan_single_thread_ms"),
        multi_thread_ms: metric(&out, "makespan_multi_thread_ms"),
        wall_ms,
        peak_mb,
        passed: out.contains("PASSED"),
    }
}

/// When a bare task's sleep starts.
#[derive(Clone, Copy)]
enum SleepStart {
    /// When the task first runs: `spawn(async move { sleep(d).await })`, the same as conlab.
    InTask,
    /// When the task is spawned: `spawn(sleep(d))`, a lighter workload (see the top).
    AtSpawn,
}

impl SleepStart {
    fn flag(self) -> &'static str {
        match self {
            SleepStart::InTask => "in-task",
            SleepStart::AtSpawn => "at-spawn",
        }
    }
}

fn bare(n: usize, start: SleepStart) -> Figures {
    let exe = std::env::current_exe().expect("own path");
    let (out, wall_ms, peak_mb) =
        measure(Command::new(exe).args(["--bare", &n.to_string(), start.flag()]));
    let mut f = out
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(f64::NAN));
    Figures {
        traced_ms: f64::NAN,
        current_thread_ms: f.next().unwrap_or(f64::NAN),
        multi_thread_ms: f.next().unwrap_or(f64::NAN),
        wall_ms,
        peak_mb,
        passed: true,
    }
}

/// In a child process: the same two loops on bare tokio, no conlab; prints both makespans.
fn bare_child(n: usize, start: SleepStart) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("tokio starts");
    let local = tokio::task::LocalSet::new();
    let t0 = Instant::now();
    local.block_on(&rt, async move {
        let handles: Vec<_> = match start {
            SleepStart::InTask => (0..n)
                .map(|_| tokio::task::spawn_local(async { tokio::time::sleep(SLEEP).await }))
                .collect(),
            SleepStart::AtSpawn => (0..n)
                .map(|_| tokio::task::spawn_local(tokio::time::sleep(SLEEP)))
                .collect(),
        };
        for h in handles {
            let _ = h.await;
        }
    });
    let current_thread = t0.elapsed();
    drop(local);
    drop(rt);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_time()
        .build()
        .expect("tokio starts");
    let t0 = Instant::now();
    rt.block_on(async move {
        let handles: Vec<_> = match start {
            SleepStart::InTask => (0..n)
                .map(|_| tokio::spawn(async { tokio::time::sleep(SLEEP).await }))
                .collect(),
            SleepStart::AtSpawn => (0..n)
                .map(|_| tokio::spawn(tokio::time::sleep(SLEEP)))
                .collect(),
        };
        for h in handles {
            let _ = h.await;
        }
    });
    let multi_thread = t0.elapsed();
    println!(
        "{:.1} {:.1}",
        current_thread.as_secs_f64() * 1e3,
        multi_thread.as_secs_f64() * 1e3
    );
}

/// The median of `RUNS` fresh processes, figure by figure.
fn median(run: impl Fn() -> Figures) -> Figures {
    let runs: Vec<Figures> = (0..RUNS).map(|_| run()).collect();
    let mid = |f: fn(&Figures) -> f64| {
        let mut v: Vec<f64> = runs.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    Figures {
        traced_ms: mid(|f| f.traced_ms),
        current_thread_ms: mid(|f| f.current_thread_ms),
        multi_thread_ms: mid(|f| f.multi_thread_ms),
        wall_ms: mid(|f| f.wall_ms),
        peak_mb: mid(|f| f.peak_mb),
        passed: runs.iter().all(|f| f.passed),
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "MISSED"
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--bare") {
        let start = match args.get(i + 2).map(String::as_str) {
            Some("at-spawn") => SleepStart::AtSpawn,
            _ => SleepStart::InTask,
        };
        bare_child(args[i + 1].parse().expect("a task count"), start);
        return;
    }
    println!(
        "event-loop-choice as a user runs it: `conlab run event-loop-choice -p tasks=N` (whole process, text output)"
    );
    println!(
        "beside bare tokio running the same two loops ({} ms sleeps); median of {RUNS} fresh processes",
        SLEEP.as_millis()
    );
    // The first process of a series runs cold on this kind of VM; warm up once.
    conlab(10_000);
    println!(
        "  {:<36} {:>14} {:>16} {:>16} {:>14} {:>8} {:>7}",
        "run",
        "traced loop",
        "current-thread",
        "multi-thread",
        "whole process",
        "peak MB",
        "checks"
    );
    println!(
        "  {:<36} {:>14} {:>16} {:>16}",
        "", "", "(untraced)", "(untraced)"
    );
    for n in [100_000usize, 1_000_000] {
        let c = median(|| conlab(n));
        let b = median(|| bare(n, SleepStart::InTask));
        let lighter = median(|| bare(n, SleepStart::AtSpawn));
        let rows = [
            (
                format!("conlab run, {n} tasks"),
                c,
                if c.passed { "pass" } else { "FAIL" },
            ),
            (format!("bare tokio, {n} tasks"), b, "-"),
            (
                "  (sleep fixed at spawn: lighter)".to_string(),
                lighter,
                "-",
            ),
        ];
        for (label, f, checks) in rows {
            let traced = if f.traced_ms.is_nan() {
                "-".to_string()
            } else {
                format!("{:.0} ms", f.traced_ms)
            };
            println!(
                "  {:<36} {:>14} {:>13.0} ms {:>13.0} ms {:>11.0} ms {:>8.0} {:>7}",
                label, traced, f.current_thread_ms, f.multi_thread_ms, f.wall_ms, f.peak_mb, checks
            );
        }
        let tracing = c.traced_ms / b.current_thread_ms;
        let ct = c.current_thread_ms / b.current_thread_ms;
        let mt = c.multi_thread_ms / b.multi_thread_ms;
        println!(
            "  {:<36} {tracing:>13.2}x {ct:>15.2}x {mt:>15.2}x {:>13.2}x",
            "ratio conlab / bare tokio",
            c.wall_ms / b.wall_ms,
        );
        println!(
            "  targets: traced loop <= 2x bare tokio's current-thread loop ({}); untraced loops like bare (~1x, within 1.3x: {}, {}); peak <= 600 MB ({})",
            verdict(tracing <= 2.0),
            verdict(ct <= 1.3),
            verdict(mt <= 1.3),
            verdict(c.peak_mb <= 600.0),
        );
    }
    println!(
        "  'traced loop': conlab's current-thread loop with every task traced (the timeline the learner sees)"
    );
    println!(
        "  'current-thread' and 'multi-thread': each loop untraced, spawning the first task to the last one done"
    );
    println!(
        "  'whole process': start to exit, including conlab's trace merge, metrics, checks and text output"
    );
    println!(
        "  both conlab and 'bare tokio' start each sleep when its task first runs; tokio's `spawn(sleep(d))`"
    );
    println!(
        "  fixes the deadline at spawn, so early tasks find it passed and skip the timer wheel (the last row)"
    );
}
