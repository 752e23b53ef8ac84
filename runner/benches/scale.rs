//! Benchmark: event-loop-choice at scale on tokio with tracing on: N tasks each sleeping
//! 100 ms, gathered, every task on its own recorded lane. Each size runs in a fresh child
//! process so its peak memory (VmHWM) is its own. Also runs the same workload on bare tokio
//! without conlab for comparison.
//!
//! Targets: 1,000,000 tasks in at most 1.0 s with at most 600 MB peak; 100,000 in 0.25 s.

use conlab_core::{catalog, Params};
use std::process::Command;
use std::time::{Duration, Instant};

const SLEEP_MS: u64 = 100;

// The same allocator as the conlab binary, so the figures are the ones users get.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// conlab's event-loop-choice on a current-thread runtime with every task traced.
fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn traced(n: usize) -> String {
    if std::env::var_os("SCALE_SAMPLE").is_some() {
        std::thread::spawn(|| {
            let t0 = Instant::now();
            loop {
                eprintln!("{:>6} ms {:>6.0} MB", t0.elapsed().as_millis(), rss_mb());
                std::thread::sleep(Duration::from_millis(50));
            }
        });
    }
    let info = catalog::find("event-loop-choice").unwrap();
    let scenario = conlab_scenarios::find(info.id).unwrap();
    let params = Params::from_assignments(
        info.id,
        info.params,
        [format!("tasks={n}").as_str(), "sleep_ms=100"],
    )
    .unwrap();
    let start = Instant::now();
    let native = conlab_tokio::NativeStart::new(info, params, Duration::from_secs(120));
    let trace =
        conlab_tokio::run_scenario(&native, scenario.generic.unwrap().on_tokio, scenario.checks);
    let total = start.elapsed().as_secs_f64();
    let run_ms = trace.metrics.extra("makespan_ms").unwrap_or(f64::NAN);
    let passed = trace.passed();
    let (lanes, spans) = (trace.lanes.len(), trace.spans.len());
    drop(trace);
    format!(
        "{run_ms:.0} {:.0} {:.0} {passed} {lanes} {spans}",
        total * 1e3,
        peak_rss_mb()
    )
}

/// The same workload on bare tokio (current-thread, LocalSet), no conlab, no tracing.
fn bare(n: usize) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    let start = Instant::now();
    local.block_on(&rt, async move {
        let handles: Vec<_> = (0..n)
            .map(|_| tokio::task::spawn_local(tokio::time::sleep(Duration::from_millis(SLEEP_MS))))
            .collect();
        for h in handles {
            let _ = h.await;
        }
    });
    let ms = start.elapsed().as_secs_f64() * 1e3;
    format!("{ms:.0} {ms:.0} {:.0} true 0 0", peak_rss_mb())
}

fn child(mode: &str, n: usize) -> Vec<String> {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args(["--child", mode, &n.to_string()])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(String::from)
        .collect()
}

const RUNS: usize = 3;

/// The run with the median "tasks done" time of `RUNS` fresh processes.
fn median_child(mode: &str, n: usize) -> Vec<String> {
    let mut runs: Vec<Vec<String>> = (0..RUNS)
        .map(|_| child(mode, n))
        .filter(|f| f.len() >= 4)
        .collect();
    runs.sort_by_key(|f| f[0].parse::<u64>().unwrap_or(u64::MAX));
    runs.get(runs.len() / 2).cloned().unwrap_or_default()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let n: usize = args[i + 2].parse().unwrap();
        let line = if args[i + 1] == "traced" {
            traced(n)
        } else {
            bare(n)
        };
        println!("{line}");
        return;
    }
    println!("event-loop-choice scale: N tasks x {SLEEP_MS} ms sleep, current-thread tokio (median of {RUNS} fresh processes)");
    // The first process of a series runs cold on this kind of VM; warm up once.
    child("traced", 100_000);
    println!(
        "  {:<28} {:>10} {:>12} {:>9} {:>8}",
        "run", "tasks done", "with trace", "peak MB", "checks"
    );
    for n in [100_000usize, 1_000_000] {
        for mode in ["bare", "traced"] {
            let f = median_child(mode, n);
            if f.len() < 4 {
                println!("  {mode} {n}: the child failed");
                continue;
            }
            let label = if mode == "bare" {
                format!("bare tokio, {n} tasks")
            } else {
                format!("conlab traced, {n} tasks")
            };
            let checks = if mode == "bare" {
                "-"
            } else if f[3] == "true" {
                "pass"
            } else {
                "FAIL"
            };
            println!(
                "  {label:<28} {:>8} ms {:>9} ms {:>9} {:>8}",
                f[0], f[1], f[2], checks
            );
        }
    }
    println!("  targets (traced): 100,000 tasks <= 250 ms; 1,000,000 tasks <= 1000 ms and <= 600 MB peak");
    println!("  'tasks done' = spawn to last task finished; 'with trace' adds merging the events into a trace, metrics and checks");
}
