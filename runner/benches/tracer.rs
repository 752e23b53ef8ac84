//! Benchmark of conlab's Python tracer (`python/conlab_trace`), whole processes as a user runs
//! them, each figure beside the target and, measured in the same run, its floor and
//! its peer, VizTracer (pinned in `python/requirements-bench.txt`, installed into
//! `target/conlab-bench-python` by `scripts/setup-bench-python.sh`, whose interpreter runs
//! every Python process here, untraced or not):
//! - 100,000 asyncio tasks each sleeping 100 ms, gathered (`benches/python/sleeping_tasks.py`):
//!   untraced, under conlab's tracer (`python3 -m conlab_trace`, the trace written), through
//!   the `conlab` binary (`conlab run create-task --runtime cpython`, the lesson's program
//!   with as many tasks, judged), and under `viztracer --log_async` with a buffer large
//!   enough that nothing is dropped (checked, and said). Target: conlab's tracer at most 2x
//!   untraced, and at most VizTracer's overhead. The same at 10,000 tasks, where VizTracer
//!   takes seconds rather than a minute and is run as often as the others;
//! - 4 threads contending one `threading.Lock` 100,000 times in all
//!   (`benches/python/contended_lock.py`): the microseconds each tracer adds per event it
//!   records, and what those events are.

use conlab_core::{LaneKind, SpanState, Trace};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const RUNS: usize = 3;
const LOCK_RUNS: usize = 5;
/// VizTracer's circular buffer: far more entries than any workload here makes (100,000
/// tasks make about 11.4 million), so none is dropped. Entries are allocated as they come.
const VIZ_ENTRIES: u64 = 20_000_000;
/// What VizTracer needs for 100,000 tasks: about 11 GB resident while it writes its JSON.
const VIZ_100K_MB: u64 = 13_000;

/// One process run to its end.
struct Run {
    secs: f64,
    peak_mb: f64,
    stdout: String,
}

/// Runs `cmd` to its end (it must succeed); its wall time, peak resident set and output.
#[allow(clippy::zombie_processes)] // reaped by wait4, which std's Child::wait does not offer
fn run(cmd: &mut Command) -> Run {
    let what = format!("{cmd:?}");
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what} does not start: {e}"));
    let mut stdout = String::new();
    let mut stderr = String::new();
    let mut err_pipe = child.stderr.take().expect("piped");
    let err_reader = std::thread::spawn(move || {
        let _ = err_pipe.read_to_string(&mut stderr);
        stderr
    });
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_string(&mut stdout);
    }
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in; the pid is our own child's.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: as above; the child has not been reaped yet.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4 failed");
    let secs = start.elapsed().as_secs_f64();
    let stderr = err_reader.join().unwrap_or_default();
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{what} failed ({status}): {stderr}"
    );
    Run {
        secs,
        peak_mb: usage.ru_maxrss as f64 / 1024.0,
        stdout: stdout.replace('\r', "\n"),
    }
}

/// Median, least and most of a series.
#[derive(Clone, Copy)]
struct Spread {
    median: f64,
    min: f64,
    max: f64,
    n: usize,
}

fn spread(mut xs: Vec<f64>) -> Spread {
    xs.sort_by(f64::total_cmp);
    Spread {
        median: xs[xs.len() / 2],
        min: xs[0],
        max: xs[xs.len() - 1],
        n: xs.len(),
    }
}

impl std::fmt::Display for Spread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.n == 1 {
            write!(f, "{:7.2} s (1 run)        ", self.median)
        } else {
            write!(
                f,
                "{:7.2} s ({:.2}-{:.2}) ",
                self.median, self.min, self.max
            )
        }
    }
}

/// Where things are: the bench venv's Python and VizTracer, the repository's `python/`.
struct Env {
    python: PathBuf,
    viztracer: PathBuf,
    root: PathBuf,
    scratch: PathBuf,
}

impl Env {
    fn find() -> Option<Env> {
        let venv = std::env::current_exe()
            .ok()?
            .ancestors()
            .skip(1)
            .take(4)
            .map(|dir| dir.join("conlab-bench-python/bin"))
            .find(|bin| bin.join("python3").is_file() && bin.join("viztracer").is_file())?;
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the repository")
            .to_path_buf();
        let scratch =
            std::env::temp_dir().join(format!("conlab-tracer-bench-{}", std::process::id()));
        std::fs::create_dir_all(&scratch).expect("a scratch folder");
        Some(Env {
            python: venv.join("python3"),
            viztracer: venv.join("viztracer"),
            root,
            scratch,
        })
    }

    fn program(&self, name: &str) -> PathBuf {
        self.root.join("runner/benches/python").join(name)
    }

    fn out(&self, name: &str) -> PathBuf {
        self.scratch.join(name)
    }

    /// `python3 prog.py`.
    fn untraced(&self, program: &str, vars: &[(&str, String)]) -> Run {
        run(Command::new(&self.python)
            .arg(self.program(program))
            .envs(vars.iter().cloned()))
    }

    /// `python3 -m conlab_trace prog.py --out trace.json`; the run and its trace.
    fn conlab(&self, program: &str, vars: &[(&str, String)]) -> (Run, Trace, u64) {
        let out = self.out("conlab.json");
        let r = run(Command::new(&self.python)
            .args(["-m", "conlab_trace"])
            .arg(self.program(program))
            .arg("--out")
            .arg(&out)
            .env("PYTHONPATH", self.root.join("python"))
            .envs(vars.iter().cloned()));
        let (trace, bytes) = read_trace(&out);
        (r, trace, bytes)
    }

    /// The lesson `conlab run create-task --runtime cpython` runs, under the tracer alone:
    /// `python3 -m conlab_trace python/asyncio/create_task.py -p tasks=N -p sleep_ms=100`.
    fn conlab_lesson(&self, tasks: usize) -> Run {
        let out = self.out("conlab-lesson.json");
        let r = run(Command::new(&self.python)
            .args(["-m", "conlab_trace"])
            .arg(self.root.join("python/asyncio/create_task.py"))
            .args([
                "-p",
                &format!("tasks={tasks}"),
                "-p",
                "sleep_ms=100",
                "--out",
            ])
            .arg(&out)
            .env("PYTHONPATH", self.root.join("python")));
        let (trace, _) = read_trace(&out);
        assert!(trace.passed(), "create_task.py: {:?}", trace.status);
        r
    }

    /// `conlab run create-task --runtime cpython -p tasks=N -p sleep_ms=100`, judged.
    fn conlab_binary(&self, tasks: usize) -> Run {
        let out = self.out("conlab-run.json");
        let r = run(Command::new(env!("CARGO_BIN_EXE_conlab"))
            .args([
                "run",
                "create-task",
                "--runtime",
                "cpython",
                "--format",
                "json",
            ])
            .args([
                "-p",
                &format!("tasks={tasks}"),
                "-p",
                "sleep_ms=100",
                "--out",
            ])
            .arg(&out)
            .env("CONLAB_PYTHON", &self.python));
        let (trace, _) = read_trace(&out);
        assert!(
            trace.passed(),
            "create-task under CPython: {:?}",
            trace.status
        );
        r
    }

    /// `viztracer [flags] -o out.json prog.py`; the run and the entries it says it kept,
    /// checked to be all it recorded (no overflow of its buffer reported).
    fn viztracer(&self, program: &str, flags: &[&str], vars: &[(&str, String)]) -> (Run, u64) {
        let out = self.out("viztracer.json");
        let r = run(Command::new(&self.viztracer)
            .args(flags)
            .args(["--tracer_entries", &VIZ_ENTRIES.to_string(), "-o"])
            .arg(&out)
            .arg(self.program(program))
            .envs(vars.iter().cloned()));
        let entries = r
            .stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix("Total Entries:")?.trim().parse().ok())
            .expect("VizTracer reports its entries");
        assert!(
            !r.stdout.contains("Circular buffer is full") && entries < VIZ_ENTRIES,
            "VizTracer dropped entries: {entries} of a buffer of {VIZ_ENTRIES}"
        );
        (r, entries)
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// The trace at `path` (removed once read) and its size.
fn read_trace(path: &Path) -> (Trace, u64) {
    let json = std::fs::read_to_string(path).expect("the trace was written");
    let _ = std::fs::remove_file(path);
    let trace = Trace::from_json(&json).expect("a valid trace");
    (trace, json.len() as u64)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

fn mem_available_mb() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kb / 1024)
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "MISSED"
    }
}

/// Thousands with commas: 100000 -> 100,000.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// (a): N tasks each sleeping 100 ms, untraced, under conlab's tracer (and through the
/// binary), and under VizTracer (`viz_runs` times, or not at all).
fn sleeping_tasks(env: &Env, tasks: usize, viz_runs: usize, binary: bool) {
    let vars = [("BENCH_TASKS", tasks.to_string())];
    println!(
        "{} asyncio tasks, each sleeping 100 ms, gathered (benches/python/sleeping_tasks.py)",
        thousands(tasks as u64)
    );
    let (mut untraced, mut conlab, mut through_binary) = (vec![], vec![], vec![]);
    let mut lesson = vec![];
    let (mut untraced_mb, mut conlab_mb, mut binary_mb) = (vec![], vec![], vec![]);
    let mut ran_for = vec![];
    let mut shape = (0, 0, 0);
    // Round robin, so that the machine's load falls on every column alike.
    for _ in 0..RUNS {
        let u = env.untraced("sleeping_tasks.py", &vars);
        untraced.push(u.secs);
        untraced_mb.push(u.peak_mb);
        let (c, trace, bytes) = env.conlab("sleeping_tasks.py", &vars);
        assert!(trace.passed(), "{:?}", trace.status);
        conlab.push(c.secs);
        conlab_mb.push(c.peak_mb);
        ran_for.push(trace.end as f64 / 1e9);
        shape = (trace.lanes.len(), trace.spans.len(), bytes);
        if binary {
            let b = env.conlab_binary(tasks);
            through_binary.push(b.secs);
            binary_mb.push(b.peak_mb);
            lesson.push(env.conlab_lesson(tasks).secs);
        }
    }
    let mut viz = vec![];
    let mut viz_mb = vec![];
    let mut viz_entries = 0;
    for _ in 0..viz_runs {
        let (v, entries) = env.viztracer("sleeping_tasks.py", &["--log_async"], &vars);
        viz.push(v.secs);
        viz_mb.push(v.peak_mb);
        viz_entries = entries;
    }
    let base = spread(untraced);
    let ours = spread(conlab);
    let ratio = ours.median / base.median;
    let viz = (!viz.is_empty()).then(|| spread(viz));
    let viz_ratio = viz.map(|v| v.median / base.median);
    println!(
        "  untraced   python3 sleeping_tasks.py             {base}  peak {:>6.0} MB   1.00x",
        spread(untraced_mb).median
    );
    let beside_viz = match viz_ratio {
        Some(v) => format!("VizTracer {v:.1}x: {}", verdict(ratio <= v)),
        None => "VizTracer not run".into(),
    };
    println!(
        "  conlab     python3 -m conlab_trace ... --out     {ours}  peak {:>6.0} MB   {ratio:.2}x   (target <= 2x: {}; <= {beside_viz})",
        spread(conlab_mb).median,
        verdict(ratio <= 2.0)
    );
    let program = spread(ran_for).median;
    println!(
        "             {:.1} µs more per task than untraced; the program ran {program:.2} s under it (the trace's end), the rest is Python starting, the tracer's imports and writing the trace",
        (ours.median - base.median) * 1e6 / tasks as f64
    );
    println!(
        "             trace: {} lanes, {} spans, {:.0} MB of JSON",
        thousands(shape.0 as u64),
        thousands(shape.1 as u64),
        shape.2 as f64 / 1e6
    );
    if binary {
        let b = spread(through_binary);
        println!(
            "  conlab     conlab run create-task --runtime cpython -p tasks={tasks} -p sleep_ms=100"
        );
        println!(
            "                                                   {b}  peak {:>6.0} MB   {:.2}x   (what a user runs: the lesson's program, its tasks awaited one by one, the trace judged)",
            spread(binary_mb).median,
            b.median / base.median
        );
        let alone = spread(lesson);
        println!(
            "             the same program under python3 -m conlab_trace alone: {:.2} s ({:.2}-{:.2}), so conlab's own part (starting Python, reading, judging and writing the trace) is {:.2} s",
            alone.median,
            alone.min,
            alone.max,
            b.median - alone.median
        );
    }
    match (viz, viz_ratio) {
        (Some(v), Some(r)) => {
            println!(
                "  VizTracer  viztracer --log_async                 {v}  peak {:>6.0} MB  {r:5.2}x",
                spread(viz_mb).median
            );
            println!(
                "             {:.1} µs more per task than untraced; {} entries kept, none dropped (buffer of {} entries, no overflow reported)",
                (v.median - base.median) * 1e6 / tasks as f64,
                thousands(viz_entries),
                thousands(VIZ_ENTRIES)
            );
        }
        _ => println!(
            "  VizTracer  not run at this size: it needs about {} GB free, and this machine has {} GB",
            VIZ_100K_MB / 1000,
            mem_available_mb().unwrap_or(0) / 1000
        ),
    }
    let floor = env.untraced("nothing.py", &[]).secs;
    println!(
        "  floor: the untraced run itself, {:.2} s: the tasks' 100 ms sleep, Python starting and ending ({floor:.2} s, an empty program), the rest asyncio's own work; target 2x = {:.2} s",
        base.median,
        2.0 * base.median
    );
}

/// (b): 4 threads contending one lock, 100,000 acquisitions in all.
fn contended_lock(env: &Env) {
    println!(
        "4 threads contending one threading.Lock, 100,000 `with lock:` in all (benches/python/contended_lock.py), median of {LOCK_RUNS}"
    );
    let (mut untraced, mut conlab, mut viz) = (vec![], vec![], vec![]);
    let mut per_thread: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut viz_counts = (0u64, 0u64);
    for _ in 0..LOCK_RUNS {
        untraced.push(env.untraced("contended_lock.py", &[]).secs);
        let (c, trace, _) = env.conlab("contended_lock.py", &[]);
        assert!(trace.passed(), "{:?}", trace.status);
        conlab.push(c.secs);
        per_thread.clear();
        for span in &trace.spans {
            let lane = &trace.lanes[span.lane as usize];
            if lane.kind != LaneKind::Thread {
                continue;
            }
            let counts = per_thread.entry(lane.name.clone()).or_default();
            match span.state {
                SpanState::HoldingLock => counts.0 += 1,
                SpanState::WaitingLock => counts.1 += 1,
                _ => {}
            }
        }
        let (v, entries) = env.viztracer("contended_lock.py", &[], &[]);
        viz.push(v.secs);
        viz_counts = (entries, viz_exits(&env.out("viztracer.json")));
    }
    let base = spread(untraced);
    let ours = spread(conlab);
    let theirs = spread(viz);
    let holds: u64 = per_thread.values().map(|c| c.0).sum();
    let waits: u64 = per_thread.values().map(|c| c.1).sum();
    let events = holds + waits;
    let (entries, exits) = viz_counts;
    let per_event = |secs: f64, n: u64| (secs - base.median) * 1e6 / n as f64;
    println!(
        "  untraced   {base}  (the floor: {:.2} µs per `with lock:` untraced)",
        base.median * 1e6 / 100_000.0
    );
    println!(
        "  conlab     {ours}  {:5.1}x   {:.2} µs per event: {} events, {} holds (holding_lock) and {} waits (waiting_lock, each naming the holder)",
        ours.median / base.median,
        per_event(ours.median, events),
        thousands(events),
        thousands(holds),
        thousands(waits)
    );
    let lanes: Vec<String> = per_thread
        .iter()
        .map(|(name, (h, w))| format!("{name}: {} holds, {} waits", thousands(*h), thousands(*w)))
        .collect();
    println!("             per thread: {}", lanes.join("; "));
    println!(
        "  VizTracer  {theirs}  {:5.1}x   {:.2} µs per entry: {} entries, {} of them `_thread.lock.__exit__` (the release, a C call it sees);",
        theirs.median / base.median,
        per_event(theirs.median, entries),
        thousands(entries),
        thousands(exits)
    );
    println!(
        "             the acquire (`with` enters without a call it sees), the wait for the lock and the hold are not recorded, nor who held it"
    );
}

/// How many `_thread.lock.__exit__` calls VizTracer's JSON at `path` holds.
fn viz_exits(path: &Path) -> u64 {
    let text = std::fs::read_to_string(path).expect("VizTracer wrote its JSON");
    let json: serde_json::Value = serde_json::from_str(&text).expect("VizTracer's JSON");
    assert_eq!(
        json["viztracer_metadata"]["overflow"],
        serde_json::Value::Bool(false),
        "VizTracer overflowed"
    );
    json["traceEvents"]
        .as_array()
        .map(|events| {
            events
                .iter()
                .filter(|e| e["name"] == "_thread.lock.__exit__")
                .count() as u64
        })
        .unwrap_or(0)
}

fn main() {
    let Some(env) = Env::find() else {
        println!(
            "tracer benchmark skipped: no target/conlab-bench-python with VizTracer; run scripts/setup-bench-python.sh (just bench does)"
        );
        return;
    };
    let version = run(Command::new(&env.python).arg("--version")).stdout;
    println!(
        "conlab's Python tracer beside VizTracer, whole processes ({}, from {}); median (least-most) of {RUNS} unless said",
        version.trim(),
        env.python.display()
    );
    println!(
        "load average at the start: {} on {} cores (other work on the machine makes figures noisy)",
        load_average(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    sleeping_tasks(&env, 10_000, RUNS, false);
    println!();
    let viz_runs = match mem_available_mb() {
        Some(mb) if mb >= VIZ_100K_MB => 1,
        _ => 0,
    };
    sleeping_tasks(&env, 100_000, viz_runs, true);
    println!();
    contended_lock(&env);
    println!();
    println!("load average at the end: {}", load_average());
}
