//! Benchmarks for the processes chapter. Each figure is printed beside the target and,
//! measured in the same run, the floor or peer it is compared with:
//! - spawn + run + reap of one worker process (median and p99) against `std::process::Command`
//!   running `/bin/true` (target <= 2x), and against the floor of this design: executing the
//!   conlab binary itself, which exits at once;
//! - `conlab run process-shared-dict` updates per second against Python's
//!   `multiprocessing.Manager().dict()` with the same processes and updates (target >= 10x);
//! - `conlab run process-pool -p task_ms=0` tasks per second against `multiprocessing.Pool.map`
//!   (target >= 5x), both pools warm and both sending each chunk's inputs;
//! - `conlab run cpu-bound-gil`: the speed-ups of its four columns on this machine.
//!
//! The conlab figures come from the `conlab` command run as a user runs it (whole process),
//! read from the trace it writes; the spawn figure uses the process toolkit directly, with
//! `conlab` as the worker executable.

use conlab_core::{catalog, LaneKind, Params, Trace};
use conlab_processes::{Processes, Spawn};
use conlab_tokio::NativeStart;
use conlab_traced_threads::{run_thread_scenario, Aborted, ThreadCtx};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const CONLAB: &str = env!("CARGO_BIN_EXE_conlab");
const SPAWNS: usize = 300;

/// Spawn-to-reap times of the toolkit run, in ms.
static SPAWN_TIMES: Mutex<Vec<f64>> = Mutex::new(Vec::new());

fn percentile(mut xs: Vec<f64>, p: f64) -> f64 {
    xs.sort_by(f64::total_cmp);
    let i = ((xs.len() as f64 - 1.0) * p).round() as usize;
    xs.get(i).copied().unwrap_or(f64::NAN)
}

fn median(xs: Vec<f64>) -> f64 {
    percentile(xs, 0.5)
}

/// The parent of the spawn benchmark: one worker at a time, started, run and reaped.
fn spawn_one_at_a_time(main: &ThreadCtx) -> Result<(), Aborted> {
    let processes = Processes::new(main);
    for i in 0..SPAWNS {
        let start = Instant::now();
        let child = processes.spawn(main, Spawn::new("worker").arg(i.to_string()))?;
        child.join(main)?;
        SPAWN_TIMES
            .lock()
            .unwrap()
            .push(start.elapsed().as_secs_f64() * 1e3);
    }
    Ok(())
}

/// Times `command` run to completion `SPAWNS` times, in ms.
fn command_times(mut command: impl FnMut() -> Command) -> Vec<f64> {
    (0..SPAWNS)
        .map(|_| {
            let start = Instant::now();
            let _ = command()
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("the command runs");
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect()
}

fn spawn_figures() {
    conlab_processes::set_worker_exe(CONLAB.into());
    println!("spawn + run + reap of one worker process, {SPAWNS} times one after the other");
    let info = catalog::find("process-start").unwrap();
    let start = NativeStart::new(
        info,
        Params::defaults(info.params),
        Duration::from_secs(120),
    );
    let trace = run_thread_scenario(&start, spawn_one_at_a_time, |_| {});
    assert!(trace.passed(), "{:?}", trace.status);
    let ours = std::mem::take(&mut *SPAWN_TIMES.lock().unwrap());
    let floor = command_times(|| Command::new("/bin/true"));
    let exec_conlab = command_times(|| {
        let mut c = Command::new(CONLAB);
        // A worker whose parent it cannot find exits at once: just the cost of executing
        // conlab's binary.
        c.arg(conlab_processes::WORKER_ARG);
        c
    });
    let (om, op) = (median(ours.clone()), percentile(ours, 0.99));
    let (fm, fp) = (median(floor.clone()), percentile(floor, 0.99));
    let (em, ep) = (median(exec_conlab.clone()), percentile(exec_conlab, 0.99));
    println!("  conlab worker (toolkit)        median {om:5.2} ms, p99 {op:5.2} ms   ({:.2}x the /bin/true floor; target <= 2x)", om / fm);
    println!("  floor: Command /bin/true       median {fm:5.2} ms, p99 {fp:5.2} ms");
    println!("  floor: exec conlab, exit       median {em:5.2} ms, p99 {ep:5.2} ms   (conlab's binary re-executed, doing nothing: the worker is {:.2}x this)", om / em);
}

/// Runs `conlab run <id> <params>` and returns its trace and wall time.
fn conlab_run(id: &str, params: &[&str]) -> (Trace, Duration) {
    let out = std::env::temp_dir().join(format!("conlab-bench-{}-{id}.json", std::process::id()));
    let mut command = Command::new(CONLAB);
    command
        .args(["run", id, "--format", "json", "--out"])
        .arg(&out);
    for p in params {
        command.args(["-p", p]);
    }
    let start = Instant::now();
    let status = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("conlab runs");
    let took = start.elapsed();
    let json = std::fs::read_to_string(&out).expect("conlab wrote its trace");
    let _ = std::fs::remove_file(&out);
    let trace = Trace::from_json(&json).expect("a valid trace");
    assert!(
        status.success() && trace.passed(),
        "{id} {params:?}: {:?}",
        trace.status
    );
    (trace, took)
}

/// Runs a Python peer script; its figure (one number on stdout), if Python can run it.
fn python(script: &str, args: &[&str]) -> Option<f64> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches/python")
        .join(script);
    let out = Command::new("python3").arg(path).args(args).output().ok()?;
    if !out.status.success() {
        eprintln!("{script}: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// The floor of one update: a bare request and reply over a Unix socket, `pairs` client
/// threads each talking to a server thread of its own, nothing parsed, nothing recorded.
/// Round trips per second. (Threads of one process: a switch between processes costs at
/// least as much, so the floor between processes is lower still.)
fn socket_round_trips(pairs: usize, each: usize) -> f64 {
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..pairs {
            let (mut client, mut server) = UnixStream::pair().unwrap();
            s.spawn(move || {
                let mut buf = [0u8; 16];
                while server.read_exact(&mut buf).is_ok() {
                    if server.write_all(b"ok\n").is_err() {
                        break;
                    }
                }
            });
            s.spawn(move || {
                let mut reply = [0u8; 3];
                for _ in 0..each {
                    client.write_all(b"set 1 12345678\n\n").unwrap();
                    client.read_exact(&mut reply).unwrap();
                }
            });
        }
    });
    (pairs * each) as f64 / start.elapsed().as_secs_f64()
}

fn shared_dict_figures() {
    const PROCESSES: usize = 10;
    const UPDATES: usize = 10_000;
    println!("process-shared-dict: {PROCESSES} processes x {UPDATES} updates each, best of 3");
    let ours = (0..3)
        .map(|_| {
            let (t, _) = conlab_run(
                "process-shared-dict",
                &[
                    &format!("processes={PROCESSES}"),
                    &format!("updates={UPDATES}"),
                ],
            );
            // From starting the first worker to reaping the last (the manager excluded), as
            // the Python peer times it.
            let workers: Vec<_> = t
                .lanes
                .iter()
                .filter(|l| l.kind == LaneKind::Process && !l.name.starts_with("SyncManager"))
                .collect();
            let from = workers.iter().map(|l| l.start).min().unwrap_or(0);
            let to = workers
                .iter()
                .filter_map(|l| l.end)
                .max()
                .unwrap_or(from + 1);
            (PROCESSES * UPDATES) as f64 / ((to - from) as f64 / 1e9)
        })
        .fold(0.0, f64::max);
    let peer = (0..3)
        .filter_map(|_| {
            python(
                "shared_dict.py",
                &[&PROCESSES.to_string(), &UPDATES.to_string()],
            )
        })
        .fold(0.0, f64::max);
    let floor = (0..3)
        .map(|_| socket_round_trips(PROCESSES, UPDATES))
        .fold(0.0, f64::max);
    println!(
        "  conlab                          {:>9.0} updates/s   ({:.0}% of the floor)",
        ours,
        100.0 * ours / floor
    );
    println!(
        "  Python Manager().dict()         {:>9.0} updates/s   (conlab is {:.1}x; target >= 10x)",
        peer,
        ours / peer
    );
    println!(
        "  floor: bare socket round trips  {:>9.0} /s          ({PROCESSES} thread pairs, nothing parsed or recorded: {:.1}x Python at most)",
        floor,
        floor / peer
    );
}

fn pool_figures() {
    const WORKERS: usize = 4;
    const TASKS: usize = 100_000;
    println!("process-pool: {WORKERS} workers, {TASKS} tasks of 0 ms, best of 3");
    println!(
        "  the same window and work on both sides: warm pools (timed from the first task handed out, every worker already up),"
    );
    println!("  each chunk sent with its inputs and its results sent back (f(x) = x)");
    let ours = (0..3)
        .map(|_| {
            let (t, _) = conlab_run(
                "process-pool",
                &[
                    &format!("workers={WORKERS}"),
                    &format!("tasks={TASKS}"),
                    "task_ms=0",
                ],
            );
            let from = t.mark_time("phase_start", "tasks").unwrap_or(0);
            let to = t.mark_time("phase_end", "tasks").unwrap_or(from + 1);
            TASKS as f64 / ((to - from) as f64 / 1e9)
        })
        .fold(0.0, f64::max);
    let peer = (0..3)
        .filter_map(|_| python("pool_map.py", &[&WORKERS.to_string(), &TASKS.to_string()]))
        .fold(0.0, f64::max);
    println!("  conlab (Pool.map's chunking)    {:>10.0} tasks/s", ours);
    println!(
        "  Python Pool.map                 {:>10.0} tasks/s   (conlab is {:.1}x; target >= 5x)",
        peer,
        ours / peer
    );
}

fn cpu_bound_figures() {
    println!("cpu-bound-gil, units=4 (speed-up over the sequential run), median of 3");
    let runs: Vec<Trace> = (0..3)
        .map(|_| conlab_run("cpu-bound-gil", &["units=4"]).0)
        .collect();
    let metric = |k: &str| {
        median(
            runs.iter()
                .map(|t| t.metrics.extra(k).unwrap_or(f64::NAN))
                .collect(),
        )
    };
    let cores = metric("cores");
    println!(
        "  sequential {:.0} ms (1.00x) · GIL threads {:.0} ms ({:.2}x) · free threads {:.0} ms ({:.2}x) · processes {:.0} ms ({:.2}x)",
        metric("makespan_sequential_ms"),
        metric("makespan_gil_threads_ms"),
        metric("speedup_gil_threads"),
        metric("makespan_free_threads_ms"),
        metric("speedup_free_threads"),
        metric("makespan_processes_ms"),
        metric("speedup_processes"),
    );
    println!(
        "  ideal on this machine: GIL threads 1x, free threads and processes min(cores, units) = {:.0}x ({cores:.0} cores)",
        cores.min(4.0)
    );
}

fn main() {
    spawn_figures();
    shared_dict_figures();
    pool_figures();
    cpu_bound_figures();
}
