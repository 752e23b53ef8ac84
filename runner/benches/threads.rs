//! Benchmarks for the threads chapter, figures printed:
//! - thread-start with 2,000 threads: time to start them all and to join them, peak memory,
//!   against bare std threads doing the same;
//! - lock hand-over rate: acquire/release pairs per second across 2 threads on conlab's traced
//!   lock against a plain std::sync::Mutex without tracing;
//! - an uncontended traced lock/unlock pair against its floor, what any traced pair must pay:
//!   an untraced std::sync::Mutex pair, the holding span's two clock reads and one event write,
//!   each measured in the same run (target: <= 1.5x the floor).

use conlab_core::{catalog, Checks, LaneKind, Params, SpanState, Text, TraceRecorder};
use conlab_scenarios::RuntimeChoice;
use conlab_tokio::NativeStart;
use conlab_traced_threads::{run_thread_scenario, Aborted, ThreadCtx, TracedMutex};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const THREADS: usize = 2_000;
const PAIRS: u64 = 1_000_000;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn params(id: &str, assignments: &[&str]) -> Params {
    let info = catalog::find(id).unwrap();
    Params::from_assignments(id, info.params, assignments.iter().copied()).unwrap()
}

/// Child process: thread-start with 2,000 threads. Prints: started_ms joined_ms peak_mb passed.
fn child_thread_start() {
    let p = params("thread-start", &["threads=2000"]);
    let t = conlab_scenarios::run(
        "thread-start",
        RuntimeChoice::Tokio,
        &p,
        Duration::from_secs(60),
    )
    .unwrap();
    let started = t
        .marks_named("all_started")
        .next()
        .map(|m| m.t)
        .unwrap_or(0);
    println!(
        "{:.1} {:.1} {:.0} {}",
        started as f64 / 1e6,
        t.metrics.makespan as f64 / 1e6,
        peak_rss_mb(),
        t.passed()
    );
}

/// Child process: the same with bare std threads (each sleeping 50 ms, as the scenario's).
fn child_bare_threads() {
    let start = Instant::now();
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            std::thread::Builder::new()
                .name(format!("Thread-{i}"))
                .spawn(|| std::thread::sleep(Duration::from_millis(50)))
                .unwrap()
        })
        .collect();
    let started = start.elapsed().as_secs_f64() * 1e3;
    for h in handles {
        h.join().unwrap();
    }
    println!(
        "{started:.1} {:.1} {:.0} true",
        start.elapsed().as_secs_f64() * 1e3,
        peak_rss_mb()
    );
}

fn child(mode: &str) -> Vec<String> {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--child", mode])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(String::from)
        .collect()
}

fn traced_pairs(main: &ThreadCtx) -> Result<(), Aborted> {
    let lock = Arc::new(TracedMutex::new("counter", 0u64));
    let start = Instant::now();
    let handles: Vec<_> = (0..2)
        .map(|i| {
            let lock = lock.clone();
            main.spawn(format!("Thread-{i}"), move |me| {
                for _ in 0..PAIRS {
                    *lock.lock(me)? += 1;
                }
                Ok(())
            })
        })
        .collect::<Result<_, _>>()?;
    handles.iter().try_for_each(|h| h.join(main))?;
    let rate = (2 * PAIRS) as f64 / start.elapsed().as_secs_f64();
    main.metric("pairs_per_s", rate, "pairs/s");
    Ok(())
}

fn traced_rate() -> f64 {
    let info = catalog::find("lock").unwrap();
    let t = run_thread_scenario(
        &NativeStart::new(
            info,
            Params::defaults(info.params),
            Duration::from_secs(120),
        ),
        traced_pairs,
        |_: &mut Checks| {},
    );
    assert!(t.status == conlab_core::Status::Ok, "{:?}", t.status);
    t.metrics.extra("pairs_per_s").unwrap_or(f64::NAN)
}

fn plain_rate() -> f64 {
    let lock = Arc::new(Mutex::new(0u64));
    let start = Instant::now();
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let lock = lock.clone();
            std::thread::spawn(move || {
                for _ in 0..PAIRS {
                    *lock.lock().unwrap() += 1;
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    (2 * PAIRS) as f64 / start.elapsed().as_secs_f64()
}

/// Nanoseconds per iteration of `body`, run `PAIRS` times.
fn ns_per_pair(mut body: impl FnMut(u64)) -> f64 {
    let start = Instant::now();
    for i in 0..PAIRS {
        body(i);
    }
    start.elapsed().as_nanos() as f64 / PAIRS as f64
}

/// An uncontended traced lock/unlock pair, on a run's main thread.
fn traced_pair_ns() -> f64 {
    let info = catalog::find("lock").unwrap();
    let solo = |main: &ThreadCtx| -> Result<(), Aborted> {
        let lock = TracedMutex::new("solo", 0u64);
        let start = Instant::now();
        for _ in 0..PAIRS {
            *lock.lock(main)? += 1;
        }
        main.metric("ns", start.elapsed().as_nanos() as f64 / PAIRS as f64, "ns");
        Ok(())
    };
    let t = run_thread_scenario(
        &NativeStart::new(info, Params::defaults(info.params), Duration::from_secs(60)),
        solo,
        |_: &mut Checks| {},
    );
    assert!(t.status == conlab_core::Status::Ok, "{:?}", t.status);
    t.metrics.extra("ns").unwrap_or(f64::NAN)
}

/// An untraced, uncontended std::sync::Mutex pair.
fn plain_pair_ns() -> f64 {
    let lock = Mutex::new(0u64);
    ns_per_pair(|_| *lock.lock().unwrap() += 1)
}

/// One read of a run's clock.
fn clock_read_ns() -> f64 {
    let clock = conlab_tokio::NativeClock::start();
    let mut sum = 0u64;
    let ns = ns_per_pair(|_| sum = sum.wrapping_add(clock.now()));
    std::hint::black_box(sum);
    ns
}

/// One holding span written as `ThreadCtx::end_hold` writes it (one event, a static label),
/// into a fresh writer on a fresh thread, as in the traced run: the buffer grows from empty
/// in memory new to the thread.
fn event_write_ns() -> f64 {
    std::thread::spawn(|| {
        let recorder = TraceRecorder::new();
        let writer = recorder.writer();
        let lane = writer.new_lane(0, LaneKind::Thread, "solo");
        ns_per_pair(|i| writer.span(lane, SpanState::HoldingLock, i, i + 1, Text::Static("solo")))
    })
    .join()
    .unwrap()
}

/// One thread, no contention: what recording a held lock costs, against its floor (what any
/// traced pair must pay). Each figure is the best of 7 rounds, the rounds interleaved: on a
/// machine shared with other work, noise only ever adds time.
fn single_thread_costs() {
    let mut best = [f64::INFINITY; 4];
    for _ in 0..7 {
        let round = [
            traced_pair_ns(),
            plain_pair_ns(),
            clock_read_ns(),
            event_write_ns(),
        ];
        for (b, r) in best.iter_mut().zip(round) {
            *b = b.min(r);
        }
    }
    let [traced, plain, read, write] = best;
    let floor = plain + 2.0 * read + write;
    println!(
        "  one thread, no contention, best of 7: traced pair {traced:.1} ns, floor {floor:.1} ns (std::sync::Mutex pair {plain:.1} + 2 clock reads of {read:.1} + one event write {write:.1}): {:.2}x the floor (target <= 1.5x floor)",
        traced / floor
    );
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        match args[i + 1].as_str() {
            "thread-start" => child_thread_start(),
            "pairs" => println!("{:.0}", traced_rate()),
            "single" => single_thread_costs(),
            _ => child_bare_threads(),
        }
        return;
    }

    println!(
        "thread-start with {THREADS} threads (each sleeps 50 ms), fresh process each, median of 3"
    );
    for (label, mode) in [
        ("bare std threads", "bare"),
        ("conlab thread-start", "thread-start"),
    ] {
        let mut runs: Vec<Vec<String>> = (0..3)
            .map(|_| child(mode))
            .filter(|f| f.len() == 4)
            .collect();
        runs.sort_by(|a, b| {
            a[1].parse::<f64>()
                .unwrap_or(0.0)
                .total_cmp(&b[1].parse::<f64>().unwrap_or(0.0))
        });
        if let Some(f) = runs.get(runs.len() / 2) {
            println!(
                "  {label:<22} all started {:>7} ms, all joined {:>7} ms, peak {:>4} MB, checks {}",
                f[0],
                f[1],
                f[2],
                if f[3] == "true" { "pass" } else { "FAIL" }
            );
        }
    }

    println!(
        "lock hand-over rate: {PAIRS} acquire/release pairs on each of 2 threads, median of 5"
    );
    let plain = median((0..5).map(|_| plain_rate()).collect());
    let traced = median((0..5).map(|_| traced_rate()).collect());
    println!(
        "  std::sync::Mutex, no tracing  {:>6.1} M pairs/s ({:.0} ns/pair)",
        plain / 1e6,
        1e9 / plain
    );
    println!(
        "  conlab TracedMutex, traced    {:>6.1} M pairs/s ({:.0} ns/pair)",
        traced / 1e6,
        1e9 / traced
    );
    println!(
        "  the traced hand-over costs {:.2}x the untraced one",
        plain / traced
    );
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--child", "single"])
        .output()
        .unwrap();
    print!("{}", String::from_utf8_lossy(&out.stdout));
}
