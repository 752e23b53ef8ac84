//! cpu-bound-gil: the same CPU-bound work done sequentially, by threads under a simulated GIL,
//! by threads without one, and by processes (each with its own interpreter, so its own GIL).
//! Under the GIL threads gain nothing; without it, or in processes, they spread over the
//! cores.

use conlab_core::{Checks, Fault, Nanos, PhaseCores, SpanState};
use conlab_processes::{ProcessCtx, Processes, Spawn};
use conlab_traced_threads::{Aborted, Gil, ThreadCtx, Work};
use std::sync::Arc;
use std::time::Duration;

/// One unit of work is this much single-core CPU time (times time-scale).
const UNIT_MS: i64 = 100;

/// The shortest unit of work whose threads' overlap is judged: shorter units are over before
/// the next thread has started, so whether they overlap says more about thread start-up than
/// about the GIL. At 10 ms, a drawn run (2 units, time-scale 0.1, on an idle machine) used
/// 1.23 cores of the 1.80 it could have had: a pause of a few milliseconds in one thread's
/// start is a large part of a unit that short.
const MIN_UNIT_FOR_PARALLELISM: Nanos = 20_000_000;

/// The shortest unit whose processes' overlap is judged: starting a process (an exec of
/// conlab, ~2 ms here, several times that on a busy machine) staggers them by more than a
/// short unit lasts.
const MIN_UNIT_FOR_PROCESS_PARALLELISM: Nanos = 50_000_000;

/// The fewest cores a phase must have been able to get for its parallelism to be judged:
/// with less, computing in turn and computing at once look alike.
const MIN_CORES_LENT: f64 = 1.5;

fn phase(
    main: &ThreadCtx,
    name: &'static str,
    body: impl FnOnce() -> Result<(), Aborted>,
) -> Result<Nanos, Aborted> {
    main.phase_start(name);
    let start = main.now();
    body()?;
    let took = main.now() - start;
    main.phase_end(name);
    Ok(took)
}

fn threads(
    main: &ThreadCtx,
    units: usize,
    work: impl Fn(&ThreadCtx) -> Result<(), Aborted> + Send + Sync + 'static,
) -> Result<(), Aborted> {
    let work = Arc::new(work);
    let mut handles = Vec::new();
    for _ in 0..units {
        let work = work.clone();
        handles.push(main.spawn(main.next_thread_name(), move |me| work(me))?);
    }
    handles.iter().try_for_each(|h| h.join(main))
}

/// Runs the scenario.
pub fn run(main: &ThreadCtx) -> Result<(), Aborted> {
    let units = main.params().usize("units");
    let unit = main.params().scale_ms(UNIT_MS);
    let switch = main
        .params()
        .duration("switch_interval_ms")
        .max(Duration::from_micros(100));
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let work = Work::calibrate();
    main.metric("cores", cores as f64, "cores");

    let cpu = cpu_time::ThreadTime::now();
    let sequential = phase(main, "sequential", || {
        (0..units).try_for_each(|_| work.compute(main, unit))
    })?;
    // Speed-ups are measured against the CPU time the work takes on one core: on a busy
    // machine the sequential wall time also includes time the thread was not running.
    let work_ns = cpu.elapsed().as_nanos().max(1) as Nanos;
    main.metric("makespan_sequential_ms", sequential as f64 / 1e6, "ms");
    main.metric("sequential_cpu_ms", work_ns as f64 / 1e6, "ms");
    main.print(format!(
        "sequential: {} in {} ({} of CPU)",
        conlab_core::count_of(units, "unit", "units"),
        conlab_core::ms(sequential),
        conlab_core::ms(work_ns)
    ));

    if main.params().flag("gil") {
        let gil = Arc::new(Gil::new(switch));
        let g = gil.clone();
        let took = phase(main, "gil_threads", || {
            threads(main, units, move |me| g.compute(me, &work, unit))
        })?;
        let speedup = work_ns as f64 / took.max(1) as f64;
        main.metric("makespan_gil_threads_ms", took as f64 / 1e6, "ms");
        main.metric("speedup_gil_threads", speedup, "x");
        main.metric("gil_handovers", gil.handovers() as f64, "handovers");
        main.print(format!(
            "threads with the GIL: {} ({speedup:.2}x), the GIL changed hands {} times",
            conlab_core::ms(took),
            gil.handovers()
        ));
    } else {
        main.print("threads with the GIL: skipped (gil=false)");
    }

    let took = phase(main, "free_threads", || {
        threads(main, units, move |me| work.compute(me, unit))
    })?;
    let speedup = work_ns as f64 / took.max(1) as f64;
    main.metric("makespan_free_threads_ms", took as f64 / 1e6, "ms");
    main.metric("speedup_free_threads", speedup, "x");
    main.print(format!(
        "threads without a GIL: {} ({speedup:.2}x on {cores} cores)",
        conlab_core::ms(took)
    ));

    // Each process calibrated alike: the parent hands its calibration over.
    let took = phase(main, "processes", || {
        let processes = Processes::new(main);
        let arg = format!("{} {}", work.per_ms(), unit.as_nanos());
        let children = (0..units)
            .map(|_| processes.spawn(main, Spawn::new("worker").arg(arg.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        children.iter().try_for_each(|c| c.join(main).map(|_| ()))
    })?;
    let speedup = work_ns as f64 / took.max(1) as f64;
    main.metric("makespan_processes_ms", took as f64 / 1e6, "ms");
    main.metric("speedup_processes", speedup, "x");
    main.print(format!(
        "processes: {} ({speedup:.2}x on {cores} cores, starting them included)",
        conlab_core::ms(took)
    ));
    Ok(())
}

/// A child process: one unit of work, calibrated by the parent (`<per ms> <ns>`).
pub fn child(ctx: &ProcessCtx) -> Result<(), Aborted> {
    let mut words = ctx.arg().split(' ');
    let per_ms: f64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(1.0);
    let ns: u64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
    ctx.compute(&Work::from_per_ms(per_ms), Duration::from_nanos(ns))
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
    if per_unit < min_unit {
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
/// at least one, plus half of the rest it could have had (up to one per unit).
fn parallel_enough(lent: &PhaseCores, units: usize) -> f64 {
    1.0 + 0.5 * (lent.could_have.min(units as f64) - 1.0).max(0.0)
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
                    .trace
                    .marks_named("cpu_time")
                    .filter(|m| m.t >= start && m.t <= end)
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
            format!(
                "{handovers} hand-overs; the longest wait for the GIL was {}",
                conlab_core::ms(longest_wait)
            ),
        )
        .guards(&[Fault::GilNeverHandedOver]);
    } else {
        c.not_judged(
            "gil-handovers",
            "the GIL is handed over between competing threads",
            format!(
                "no hand-over was due: a unit of work ({}) ends before the switch interval ({}) has passed twice, or no thread waited that long (longest wait {})",
                conlab_core::ms(per_unit),
                conlab_core::ms(interval),
                conlab_core::ms(longest_wait)
            ),
        );
    }
}

/// About how long a run takes: the units of work once in sequence, once in GIL threads, once
/// in free threads and once in processes (and starting them), after calibrating.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    let units = p.usize("units") as u32;
    p.scale_ms(100) * 4 * units + Duration::from_millis(300) + Duration::from_millis(25) * units
}
