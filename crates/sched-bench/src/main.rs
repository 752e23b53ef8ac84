//! `just bench`'s figures for the deterministic scheduler (issue 24), each beside shuttle's on
//! an equivalent test, measured in the same run:
//! - the cost of one scheduling point: two threads writing a shared variable, random choices;
//! - schedules searched per second on race-condition `op=increment` (2 and 4 threads × 2
//!   increments, no hold), random strategy, through the registry as `conlab explore` runs them
//!   (each schedule a whole run of both phases, recorded into a trace and judged), against
//!   shuttle's `check_random` on the same two phases (target: at least 1.0x shuttle);
//! - the whole `conlab explore` command, as a user runs it.

use conlab_core::{catalog, Params};
use conlab_sched::search::{Method, Outcome, Search};
use conlab_sched::{Random, RunLimits, Scheduler, SharedCell};
use std::sync::Arc;
use std::time::Instant;

const SCHEDULES: u64 = 10_000;

fn main() {
    println!(
        "Deterministic scheduler (issue 24), beside shuttle {}",
        shuttle_version()
    );
    per_step();
    for threads in [2, 4] {
        schedules_per_second(threads);
    }
    whole_command();
}

fn shuttle_version() -> &'static str {
    "0.8"
}

/// Nanoseconds per scheduling point: 2 threads × 200,000 writes, random choices, against
/// shuttle's two threads doing as many stores of an atomic (each a scheduling point there).
fn per_step() {
    const WRITES: u64 = 200_000;
    let s = Scheduler::new(RunLimits {
        cores: 2,
        max_steps: u64::MAX,
        record_steps: false,
    });
    let cell = Arc::new(SharedCell::new("x", 0u64));
    for t in 0..2 {
        let cell = cell.clone();
        s.spawn(format!("T{t}"), move |ctx| async move {
            for i in 0..WRITES {
                cell.set(&ctx, i).await;
            }
        });
    }
    let started = Instant::now();
    let report = s.run(&mut Random::new(1));
    let ours = started.elapsed().as_nanos() as f64 / report.steps as f64;

    let started = Instant::now();
    shuttle::check_random(
        || {
            use shuttle::sync::atomic::{AtomicU64, Ordering};
            let x = Arc::new(AtomicU64::new(0));
            let hs: Vec<_> = (0..2)
                .map(|_| {
                    let x = x.clone();
                    shuttle::thread::spawn(move || {
                        for i in 0..WRITES {
                            x.store(i, Ordering::SeqCst);
                        }
                    })
                })
                .collect();
            for h in hs {
                h.join().unwrap();
            }
        },
        1,
    );
    let theirs = started.elapsed().as_nanos() as f64 / (2 * WRITES) as f64;
    println!(
        "  cost per scheduling point: conlab {ours:.0} ns · shuttle {theirs:.0} ns ({:.1}x shuttle's speed)",
        theirs / ours
    );
}

fn params(assignments: &[String]) -> Params {
    let info = catalog::find("race-condition").unwrap();
    Params::from_assignments(info.id, info.params, assignments.iter().map(String::as_str)).unwrap()
}

/// Schedules per second searching race-condition's "with the lock" property (which holds, so
/// the whole budget runs), against shuttle's random scheduler on the same two phases.
fn schedules_per_second(threads: usize) {
    let set: Vec<String> = ["op=increment", "increments=2", "hold_ms=0"]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("threads={threads}")])
        .collect();
    let p = params(&set);
    let row = conlab_scenarios::find("race-condition").unwrap();
    // Each side's best of three, taken in turns, so that a moment of other load on the
    // machine does not decide the comparison.
    let (mut ours, mut theirs) = (0f64, 0f64);
    for _ in 0..3 {
        ours = ours.max(ours_per_second(row, &p));
        theirs = theirs.max(shuttle_per_second(threads));
    }
    println!(
        "  race-condition op=increment, {threads} threads × 2, random: conlab {:.0} schedules/s \
         (each a whole run of both phases, judged) · shuttle {:.0} schedules/s · \
         {:.2}x shuttle (target ≥ 1.0x; best of 3 each)",
        ours,
        theirs,
        ours / theirs
    );
}

/// Schedules per second of conlab's search of race-condition's "with the lock" property.
fn ours_per_second(row: &'static conlab_scenarios::Scenario, p: &Params) -> f64 {
    let started = Instant::now();
    let outcome = conlab_scenarios::scheduled::search_property(
        row,
        p,
        1,
        Search {
            method: Method::Random,
            seed: 1,
            budget: SCHEDULES,
        },
    )
    .unwrap();
    let took = started.elapsed().as_secs_f64();
    match outcome {
        Outcome::NoneFound { tried, .. } => tried as f64 / took,
        Outcome::Found(f) => panic!("the lock lost an update: {}", f.reason),
    }
}

/// Schedules per second of shuttle's random scheduler on the same two phases.
fn shuttle_per_second(threads: usize) -> f64 {
    let started = Instant::now();
    shuttle::check_random(
        move || {
            use shuttle::sync::atomic::{AtomicU64, Ordering};
            use shuttle::sync::Mutex;
            // Without the lock: load then store, another thread may come between.
            let counter = Arc::new(AtomicU64::new(0));
            let hs: Vec<_> = (0..threads)
                .map(|_| {
                    let c = counter.clone();
                    shuttle::thread::spawn(move || {
                        for _ in 0..2 {
                            let v = c.load(Ordering::SeqCst);
                            c.store(v + 1, Ordering::SeqCst);
                        }
                    })
                })
                .collect();
            for h in hs {
                h.join().unwrap();
            }
            // With the lock: the same inside it; never loses one.
            let locked = Arc::new(Mutex::new(0u64));
            let hs: Vec<_> = (0..threads)
                .map(|_| {
                    let c = locked.clone();
                    shuttle::thread::spawn(move || {
                        for _ in 0..2 {
                            let mut g = c.lock().unwrap();
                            let v = *g;
                            *g = v + 1;
                        }
                    })
                })
                .collect();
            for h in hs {
                h.join().unwrap();
            }
            assert_eq!(*locked.lock().unwrap(), 2 * threads as u64);
        },
        SCHEDULES as usize,
    );
    SCHEDULES as f64 / started.elapsed().as_secs_f64()
}

/// `conlab explore` as a user runs it: the whole process, both properties, shrinking included.
fn whole_command() {
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("conlab")));
    let Some(exe) = exe.filter(|p| p.exists()) else {
        println!("  conlab explore (whole command): skipped, build the conlab binary first");
        return;
    };
    let started = Instant::now();
    let out = std::process::Command::new(&exe)
        .args([
            "explore",
            "race-condition",
            "-p",
            "op=increment",
            "-p",
            "threads=2",
            "-p",
            "hold_ms=0",
            "--budget",
            "10000",
        ])
        .output()
        .expect("conlab runs");
    let took = started.elapsed().as_secs_f64();
    let ok = out.status.success() && String::from_utf8_lossy(&out.stdout).contains("BROKEN");
    println!(
        "  conlab explore race-condition -p op=increment -p threads=2 -p hold_ms=0 --budget 10000 \
         (whole process, finds and shrinks the lost update, 10,000 schedules with the lock): \
         {took:.2} s{}",
        if ok { "" } else { " — FAILED" }
    );
}
