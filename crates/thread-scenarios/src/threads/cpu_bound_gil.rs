//! cpu-bound-gil: the same CPU-bound work done sequentially, by threads under a simulated GIL,
//! by threads without one, and by processes (each with its own interpreter, so its own GIL).
//! Under the GIL threads gain nothing; without it, or in processes, they spread over the
//! cores.

use conlab_core::{Checks, Fault, Nanos, PhaseCores, SpanState};
use conlab_threads::{Aborted, Child, Cpu, Gil, ProcessSpec, Processes, Thread};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// One unit of work is this much single-core CPU time (times time-scale).
const UNIT_MS: i64 = 100;

/// The shortest unit of work whose threads' overlap is judged natively: shorter units are
/// over before the next thread has started, so whether they overlap says more about thread
/// start-up than about the GIL. At 10 ms, a drawn run (2 units, time-scale 0.1, on an idle
/// machine) used 1.23 cores of the 1.80 it could have had: a pause of a few milliseconds in
/// one thread's start is a large part of a unit that short. (Starting takes no time on the
/// scheduler.)
const MIN_UNIT_FOR_PARALLELISM: Nanos = 20_000_000;

/// The shortest unit whose processes' overlap is judged natively: starting a process (an exec
/// of conlab, ~2 ms here, several times that on a busy machine) staggers them by more than a
/// short unit lasts.
const MIN_UNIT_FOR_PROCESS_PARALLELISM: Nanos = 50_000_000;

/// The fewest cores a phase must have been able to get for its parallelism to be judged:
/// with less, computing in turn and computing at once look alike.
const MIN_CORES_LENT: f64 = 1.5;

/// Runs the scenario (on OS threads and processes, or on the deterministic scheduler).
pub fn run(main: Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let units = main.params().usize("units");
        let unit = main.params().scale_ms(UNIT_MS);
        let switch = main
            .params()
            .duration("switch_interval_ms")
            .max(Duration::from_micros(100));
        let cpu = Cpu::calibrate(&main);
        let cores = cpu.cores(&main);
        main.metric("cores", cores as f64, "cores");

        main.phase_start("sequential");
        let start = main.now();
        // Speed-ups are measured against the CPU time the work takes on one core: on a busy
        // machine the sequential wall time also includes time the thread was not running.
        let mut work_ns: Nanos = 0;
        for _ in 0..units {
            work_ns += cpu.compute(&main, unit).await?; // count(UNIT)
        }
        let sequential = main.now() - start;
        main.phase_end("sequential");
        main.metric("makespan_sequential_ms", sequential as f64 / 1e6, "ms");
        main.metric("sequential_cpu_ms", work_ns as f64 / 1e6, "ms");
        main.print(format!(
            "sequential: {} in {} ({} of CPU)",
            conlab_core::count_of(units, "unit", "units"),
            conlab_core::ms(sequential),
            conlab_core::ms(work_ns)
        ))
        .await;
        let work_ns = work_ns.max(1);

        if main.params().flag("gil") {
            let gil = Gil::drawn(&main, switch); // sys.setswitchinterval(switch)
            main.phase_start("gil_threads");
            let start = main.now();
            let mut threads = Vec::new();
            for _ in 0..units {
                let gil = gil.clone();
                let body = move |me: Thread| async move {
                    gil.compute(&me, &cpu, unit).await?; // count(UNIT), holding the GIL
                    Ok(())
                };
                threads.push(main.spawn(main.next_thread_name(), body).await?);
            }
            for t in &threads {
                t.join(&main).await?;
            }
            let took = main.now() - start;
            main.phase_end("gil_threads");
            let speedup = measured(&main, "gil_threads", took, work_ns);
            main.metric("gil_handovers", gil.handovers() as f64, "handovers");
            main.print(format!(
                "threads with the GIL: {} ({speedup:.2}x), handed over {} times at the switch interval",
                conlab_core::ms(took),
                gil.handovers()
            ))
            .await;
        } else {
            main.print("threads with the GIL: skipped (gil=false)")
                .await;
        }

        main.phase_start("free_threads");
        let start = main.now();
        let mut threads = Vec::new();
        for _ in 0..units {
            let body = move |me: Thread| async move {
                cpu.compute(&me, unit).await?; // count(UNIT), no GIL
                Ok(())
            };
            threads.push(main.spawn(main.next_thread_name(), body).await?);
        }
        for t in &threads {
            t.join(&main).await?;
        }
        let took = main.now() - start;
        main.phase_end("free_threads");
        let speedup = measured(&main, "free_threads", took, work_ns);
        main.print(format!(
            "threads without a GIL: {} ({speedup:.2}x on {cores} cores)",
            conlab_core::ms(took)
        ))
        .await;

        main.phase_start("processes");
        let start = main.now();
        {
            let processes = Processes::new(&main).computing(&cpu);
            let mut children = Vec::new();
            for _ in 0..units {
                let count = ProcessSpec::new(count).arg(unit.as_nanos().to_string());
                children.push(processes.start(&main, count).await?);
            }
            for c in &children {
                c.join(&main).await?;
            }
        }
        let took = main.now() - start;
        main.phase_end("processes");
        let speedup = measured(&main, "processes", took, work_ns);
        main.print(format!(
            "processes: {} ({speedup:.2}x on {cores} cores, starting them included)",
            conlab_core::ms(took)
        ))
        .await;
        Ok(())
    })
}

/// Records a phase's makespan `took` and its speed-up over `work_ns`, the CPU time of the work
/// on one core; returns the speed-up.
fn measured(main: &Thread, phase: &str, took: Nanos, work_ns: Nanos) -> f64 {
    let speedup = work_ns as f64 / took.max(1) as f64;
    main.metric(&format!("makespan_{phase}_ms"), took as f64 / 1e6, "ms");
    main.metric(&format!("speedup_{phase}"), speedup, "x");
    speedup
}

/// A child process: one unit of work, as long as its parent says (in nanoseconds).
fn count(me: Child) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let ns: u64 = me.arg().parse().unwrap_or(0);
        me.compute(Duration::from_nanos(ns)).await?; // count(UNIT), its own GIL
        Ok(())
    })
}

/// The code of the child processes a native run starts.
#[cfg(feature = "native")]
pub fn child(ctx: &conlab_processes::ProcessCtx) -> Result<(), conlab_traced_threads::Aborted> {
    conlab_threads::run_child(ctx, count)
}

/// What the run did in phase `name` with the cores: used and could have had.
fn cores(c: &Checks, name: &str) -> Option<PhaseCores> {
    c.cores_in(name)
}

/// Why the parallelism of phase `name` cannot be judged this time, if it cannot: too few
/// units or cores, units too short against starting them, or a machine that lent too few
/// cores (other programs used the rest).
fn unjudgeable(
    c: &Checks,
    name: &str,
    units: usize,
    cores: usize,
    per_unit: Nanos,
    min_unit: Nanos,
    started: &str,
) -> Option<String> {
    if units < 2 {
        return Some(
            "one unit of work runs on one thread: there is nothing to run beside it".into(),
        );
    }
    if cores < 2 {
        return Some(format!("this machine has {} core", cores));
    }
    if per_unit < min_unit && !c.is_virtual() {
        return Some(format!(
            "one unit takes {}, too short against starting {started} (judged from {}; time-scale makes units shorter)",
            conlab_core::ms(per_unit),
            conlab_core::ms(min_unit)
        ));
    }
    let Some(lent) = self::cores(c, name) else {
        return Some("the run did not note the machine's idle time, so the cores it could have had are unknown".into());
    };
    if lent.uncertainty > 0.25 {
        return Some(format!(
            "the phase lasted {}, too short for the machine's idle time, counted in steps of {}",
            conlab_core::ms(lent.wall),
            conlab_core::ms((lent.uncertainty * lent.wall as f64 / 2.0 / cores as f64) as Nanos)
        ));
    }
    if lent.could_have < MIN_CORES_LENT {
        return Some(format!(
            "this run could have had {:.2} of {cores} cores — other programs used the rest",
            lent.could_have
        ));
    }
    None
}

/// How many cores of those it could have had a phase should use when its work runs at once:
/// at least one, plus half of the rest it could use. Equal units on whole cores go in rounds,
/// so 3 units on 2 cores use 1.5 at best (two, then one alone).
fn parallel_enough(lent: &PhaseCores, units: usize) -> f64 {
    let whole = lent.could_have.round().max(1.0);
    let rounds = (units as f64 / whole).ceil().max(1.0);
    let could_use = (units as f64 / rounds).min(lent.could_have);
    1.0 + 0.5 * (could_use - 1.0).max(0.0)
}

/// Checks, from the phases' CPU-time marks and the machine's idle time at their ends, with
/// speed-ups against the CPU time the work takes on one core: GIL threads compute one at a
/// time and hand the GIL over; free threads and processes never compute on more than
/// min(cores, units) cores, and do compute at once where the machine lent the cores to tell.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let units = c.params.usize("units");
    let cores = t.metrics.extra("cores").unwrap_or(1.0) as usize;
    if c.phase_length("sequential").is_none() {
        c.check("phases", "every phase ran", false, "no sequential phase");
        return;
    }
    // The work's CPU time on one core, from the sequential phase (on the main lane).
    let seq: Nanos = t
        .marks_named("cpu_time")
        .filter(|m| m.lane == 0)
        .filter_map(|m| m.detail.parse::<u64>().ok())
        .sum::<u64>()
        .max(1);
    let per_unit = seq / units as u64;
    if c.params.flag("gil") {
        gil_checks(c, units, cores, seq, per_unit);
    }
    // A real Python with its GIL on (the lesson's program under CPython) has no free threads
    // to run: its "free threads" are GIL threads, and what they show is the GIL phase again.
    if let Some(python) = t.interpreter.as_ref().filter(|p| p.gil) {
        let why = format!(
            "{} has the GIL: its threads cannot compute at the same time; only a free-threaded \
             build (3.13t or later, GIL off) runs this phase as it is meant",
            python.describe()
        );
        c.not_judged(
            "free-speedup-bounded",
            "free threads never compute on more than min(cores, units) cores at once",
            why.clone(),
        );
        c.not_judged(
            "free-threads-parallel",
            "without the GIL the threads compute at the same time",
            why,
        );
    } else {
        free_thread_checks(c, units, cores, seq, per_unit);
    }
    process_checks(c, units, cores, seq, per_unit);
}

/// The free threads' checks: never more than min(cores, units) cores, and at once where the
/// machine lent the cores to tell.
fn free_thread_checks(c: &mut Checks, units: usize, cores: usize, seq: Nanos, per_unit: Nanos) {
    let ideal = cores.min(units) as f64;
    let free = c.phase_length("free_threads").unwrap_or(Nanos::MAX);
    let free_used = cores_used(c, "free_threads");
    c.check(
        "free-speedup-bounded",
        "free threads never compute on more than min(cores, units) cores at once",
        free_used <= ideal * 1.1,
        format!(
            "{free_used:.2} cores at once (ideal {ideal:.0}); speed-up over the sequential run {:.2}x",
            seq as f64 / free as f64
        ),
    );
    // How much faster free threads finish depends on the hardware behind the cores (on a VM
    // the host may run both vCPUs on one physical core), so the speed-up is reported, not
    // asserted. What holds wherever the machine lends the cores: without the GIL the threads
    // compute at the same time. Judged against the cores the phase could have had.
    parallel_check(
        c,
        "free_threads",
        "free-threads-parallel",
        "without the GIL the threads compute at the same time",
        (units, cores, per_unit, MIN_UNIT_FOR_PARALLELISM, "a thread"),
        Fault::SerialThreads,
    );
}

/// The processes' checks, as the free threads'.
fn process_checks(c: &mut Checks, units: usize, cores: usize, seq: Nanos, per_unit: Nanos) {
    let ideal = cores.min(units) as f64;
    let procs = c.phase_length("processes").unwrap_or(Nanos::MAX);
    let procs_used = cores_used(c, "processes");
    c.check(
        "processes-speedup-bounded",
        "processes never compute on more than min(cores, units) cores at once",
        procs_used <= ideal * 1.1,
        format!(
            "{procs_used:.2} cores at once (ideal {ideal:.0}); speed-up over the sequential run {:.2}x",
            seq as f64 / procs as f64
        ),
    );
    parallel_check(
        c,
        "processes",
        "processes-parallel",
        "processes compute at the same time: each has its own interpreter and GIL",
        (
            units,
            cores,
            per_unit,
            MIN_UNIT_FOR_PROCESS_PARALLELISM,
            "a process",
        ),
        Fault::SerialProcesses,
    );
}

/// The cores phase `name` used at once (its CPU time over its wall time), 0 if unknown.
fn cores_used(c: &Checks, name: &str) -> f64 {
    cores(c, name).map_or_else(
        || {
            // Traces without the machine's idle time: from the CPU-time marks alone.
            c.phase(name).map_or(0.0, |(start, end)| {
                let cpu: u64 = c
                    .marks_in_phase(name, "cpu_time")
                    .into_iter()
                    .filter_map(|m| m.detail.parse::<u64>().ok())
                    .sum();
                cpu as f64 / (end - start).max(1) as f64
            })
        },
        |lent| lent.used,
    )
}

/// Judges whether phase `name` computed at once, where the run could tell.
fn parallel_check(
    c: &mut Checks,
    name: &str,
    id: &str,
    description: &str,
    (units, cores, per_unit, min_unit, started): (usize, usize, Nanos, Nanos, &str),
    guards: Fault,
) {
    match unjudgeable(c, name, units, cores, per_unit, min_unit, started) {
        Some(why) => {
            c.not_judged(id, description, why);
        }
        None => {
            let lent = self::cores(c, name).expect("judgeable phases have their cores");
            let need = parallel_enough(&lent, units);
            c.check(
                id,
                description,
                lent.used >= need,
                format!(
                    "used {:.2} cores at once of the {:.2} it could have had (at least {need:.2} expected)",
                    lent.used, lent.could_have
                ),
            )
            .guards(&[guards]);
        }
    }
}

/// The checks of the GIL threads: they compute one at a time (judged where the machine lent
/// the cores to tell), and hand the GIL over when a unit outlasts the switch interval.
fn gil_checks(c: &mut Checks, units: usize, cores: usize, seq: Nanos, per_unit: Nanos) {
    // A real Python (the lesson's program under CPython) is judged as conlab's own GIL is,
    // but where its GIL is off there is none to gain nothing under, and it does not say when
    // its GIL changes hands.
    let python = c.trace.interpreter.clone();
    if let Some(python) = python.as_ref().filter(|p| !p.gil) {
        c.not_judged(
            "gil-no-gain",
            "threads under the GIL gain nothing: speedup <= 1.2",
            format!(
                "{} runs without the GIL: its threads are free threads",
                python.describe()
            ),
        );
    } else {
        no_gain_check(c, units, cores, seq, per_unit);
    }
    if let Some(python) = python {
        c.not_judged(
            "gil-handovers",
            "the GIL is handed over between competing threads",
            format!(
                "{} does not report when its GIL changes hands (conlab's own GIL lane does)",
                python.describe()
            ),
        );
    } else {
        handover_check(c, units, per_unit);
    }
}

/// Threads under the GIL compute one at a time: judged where the machine lent the cores to
/// tell.
fn no_gain_check(c: &mut Checks, units: usize, cores: usize, seq: Nanos, per_unit: Nanos) {
    let gil = c.phase_length("gil_threads").unwrap_or(u64::MAX);
    let speedup = seq as f64 / gil as f64;
    let at_once = cores_used(c, "gil_threads");
    let detail =
        format!("{at_once:.2} cores at once; speed-up over the sequential run {speedup:.2}x");
    // A GIL that let threads compute together would show only where they had the cores to.
    match unjudgeable(
        c,
        "gil_threads",
        units,
        cores,
        per_unit,
        MIN_UNIT_FOR_PARALLELISM,
        "a thread",
    ) {
        Some(why) if at_once <= 1.2 => {
            c.not_judged(
                "gil-no-gain",
                "threads under the GIL gain nothing: speedup <= 1.2",
                format!("{detail}; {why}"),
            );
        }
        _ => {
            c.check(
                "gil-no-gain",
                "threads under the GIL gain nothing: speedup <= 1.2",
                at_once <= 1.2,
                detail,
            );
        }
    }
}

/// The GIL is handed over when a unit of work outlasts the switch interval.
fn handover_check(c: &mut Checks, units: usize, per_unit: Nanos) {
    // The holder hands the GIL over when its switch interval has passed while another
    // thread waits for it (it looks between small pieces of work, at most ~1 ms apart).
    // So a hand-over is due when a unit of work outlasts the interval and a thread waited
    // longer than that. A unit shorter than the interval ends and releases the GIL first
    // (waiters then queue behind finished units, however long), and units shorter than a
    // thread takes to start never compete at all.
    let t = c.trace;
    let handovers = t.marks_named("gil_handover").count();
    let interval = c.params.duration("switch_interval_ms").as_nanos() as u64;
    let longest_wait = t
        .spans
        .iter()
        .filter(|s| s.state == SpanState::WaitingGil)
        .map(|s| s.duration())
        .max()
        .unwrap_or(0);
    let due = 2 * interval + 1_000_000;
    let must_hand_over = per_unit > due && longest_wait > due;
    if units == 1 {
        c.not_judged(
            "gil-handovers",
            "the GIL is handed over between competing threads",
            "one unit runs on one thread: there is nobody to hand the GIL to",
        );
    } else if must_hand_over || handovers > 0 {
        c.check(
            "gil-handovers",
            "the GIL is handed over between competing threads",
            !must_hand_over || handovers > 0,
            if handovers == 1 {
                format!(
                    "1 hand-over; the longest wait for the GIL was {}",
                    conlab_core::ms(longest_wait)
                )
            } else {
                format!(
                    "{handovers} hand-overs; the longest wait for the GIL was {}",
                    conlab_core::ms(longest_wait)
                )
            },
        )
        .guards(&[Fault::GilNeverHandedOver]);
    } else {
        c.not_judged(
            "gil-handovers",
            "the GIL is handed over between competing threads",
            format!(
                "a hand-over is sure to be due only where a unit of work outlasts twice the switch interval and a thread waits that long: a unit takes {}, the switch interval is {}, the longest wait was {}",
                conlab_core::ms(per_unit),
                conlab_core::ms(interval),
                conlab_core::ms(longest_wait)
            ),
        );
    }
}

/// What a search tries to break, whatever the order the threads take: under the GIL the
/// threads compute one at a time (their phase takes all their work), and free threads and
/// processes use the cores (their phase takes no longer than the work spread over them).
pub fn properties(c: &Checks) -> Vec<(&'static str, Option<String>)> {
    let units = c.params.usize("units") as u64;
    let unit = c.params.scale_ms(UNIT_MS).as_nanos() as u64;
    let cores = u64::from(c.trace.cores.unwrap_or(1)).max(1);
    let length = |name: &str| c.trace.phase(name).map(|(a, b)| b - a);
    let mut found = Vec::new();
    if c.params.flag("gil") {
        let serial = units * unit;
        let broke = length("gil_threads")
            .filter(|took| *took < serial)
            .map(|took| {
                format!(
                    "the threads took {} under the GIL, less than their work ({})",
                    conlab_core::ms(took),
                    conlab_core::ms(serial)
                )
            });
        found.push(("under the GIL one thread computes at a time", broke));
    }
    let spread = units.div_ceil(cores) * unit;
    let over = |phase: &str| length(phase).filter(|took| *took > spread);
    let free = over("free_threads").map(|took| {
        format!(
            "the free threads took {}, more than their work spread over {cores} cores ({})",
            conlab_core::ms(took),
            conlab_core::ms(spread)
        )
    });
    found.push(("free threads use the cores", free));
    let procs = over("processes").map(|took| {
        format!(
            "the processes took {}, more than their work spread over {cores} cores ({})",
            conlab_core::ms(took),
            conlab_core::ms(spread)
        )
    });
    found.push(("processes use the cores", procs));
    found
}

/// This file, which the playground shows beside the run.
pub const SOURCE: &str = "crates/thread-scenarios/src/threads/cpu_bound_gil.rs";

/// A hash of this file, made when conlab is built: a schedule found on other code is refused.
pub const CODE: u64 = conlab_sched::code_hash(include_bytes!("cpu_bound_gil.rs"));

/// About how long a run takes: the units of work once in sequence, once in GIL threads, once
/// in free threads and once in processes (and starting them), after calibrating.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    let units = p.usize("units") as u32;
    p.scale_ms(100) * 4 * units + Duration::from_millis(300) + Duration::from_millis(25) * units
}
