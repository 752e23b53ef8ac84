//! cpu-bound-gil: the same CPU-bound work done sequentially, by threads under a simulated GIL,
//! by threads without one, and by processes (each with its own interpreter, so its own GIL).
//! Under the GIL threads gain nothing; without it, or in processes, they spread over the
//! cores.

use conlab_core::{Checks, Nanos, SpanState};
use conlab_processes::{ProcessCtx, Processes, Spawn};
use conlab_traced_threads::{Aborted, Gil, ThreadCtx, Work};
use std::sync::Arc;
use std::time::Duration;

/// One unit of work is this much single-core CPU time (times time-scale).
const UNIT_MS: i64 = 100;

/// The shortest unit of work whose threads' overlap is checked (see the checks).
const MIN_UNIT_FOR_PARALLELISM: Nanos = 10_000_000;

/// The shortest unit whose processes' overlap is checked: starting a process (an exec of
/// conlab, ~2 ms here, several times that on a busy machine) staggers them by more than a
/// short unit lasts.
const MIN_UNIT_FOR_PROCESS_PARALLELISM: Nanos = 50_000_000;

fn phase(
    main: &ThreadCtx,
    name: &'static str,
    body: impl FnOnce() -> Result<(), Aborted>,
) -> Result<Nanos, Aborted> {
    main.mark("phase_start", name);
    let start = main.now();
    body()?;
    let took = main.now() - start;
    main.mark("phase_end", name);
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
    // Measured apart from the scenario, so a busy machine is not mistaken for serial threads.
    let available = Work::cores_available(Duration::from_millis(50));
    main.metric("cores_available", available, "cores");

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

/// When a phase started and ended, from its marks.
fn phase_window(t: &conlab_core::Trace, name: &str) -> Option<(Nanos, Nanos)> {
    Some((
        t.mark_time("phase_start", name)?,
        t.mark_time("phase_end", name)?,
    ))
}

/// Says why the parallel checks were not made: the machine lent fewer than 1.5 cores.
fn main_note(c: &mut Checks, available: f64) {
    c.check(
        "cores-lent",
        "the machine lent fewer than 1.5 cores, so parallel speed-up is not checked this time",
        true,
        format!("{available:.2} cores available when the run started"),
    );
}

/// CPU parallelism of a phase: the CPU time its threads (not the main lane) used, divided by
/// the phase's wall time. About 1 when threads take turns, up to the cores when they overlap.
fn parallelism(t: &conlab_core::Trace, name: &str) -> Option<f64> {
    let (start, end) = phase_window(t, name)?;
    let cpu: u64 = t
        .marks_named("cpu_time")
        .filter(|m| m.lane != 0 && m.t >= start && m.t <= end)
        .filter_map(|m| m.detail.parse::<u64>().ok())
        .sum();
    Some(cpu as f64 / (end - start).max(1) as f64)
}

/// Checks, from the phase and CPU-time marks, with speed-ups against the CPU time the work
/// takes on one core: GIL threads gain at most 1.2x and hand the GIL over; free threads never
/// gain more than min(cores, units), and compute at the same time where GIL threads take turns
/// (when the machine has the cores free).
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let phase = |name: &str| phase_window(t, name).map(|(a, b)| b - a);
    let units = c.params.usize("units");
    let cores = t.metrics.extra("cores").unwrap_or(1.0) as usize;
    if phase("sequential").is_none() {
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
    if c.params.flag("gil") {
        // As for free threads below: what the threads did at once, not a speed-up against a
        // sequential phase that the host may have slowed.
        let gil = phase("gil_threads").unwrap_or(u64::MAX);
        let speedup = seq as f64 / gil as f64;
        let at_once = parallelism(t, "gil_threads").unwrap_or(0.0);
        c.check(
            "gil-no-gain",
            "threads under the GIL gain nothing: speedup <= 1.2",
            at_once <= 1.2,
            format!("{at_once:.2} cores at once; speed-up over the sequential run {speedup:.2}x"),
        );
        // The holder hands the GIL over when its switch interval has passed while another
        // thread waits for it (it looks between small pieces of work, at most ~1 ms apart).
        // So a hand-over is due when a unit of work outlasts the interval and a thread waited
        // longer than that. A unit shorter than the interval ends and releases the GIL first
        // (waiters then queue behind finished units, however long), and units shorter than a
        // thread takes to start never compete at all.
        let handovers = t.marks_named("gil_handover").count();
        let interval = c.params.duration("switch_interval_ms").as_nanos() as u64;
        let longest_wait = t
            .spans
            .iter()
            .filter(|s| s.state == SpanState::WaitingGil)
            .map(|s| s.duration())
            .max()
            .unwrap_or(0);
        let per_unit = seq / units as u64;
        let due = 2 * interval + 1_000_000;
        let must_hand_over = per_unit > due && longest_wait > due;
        c.check(
            "gil-handovers",
            "the GIL is handed over between competing threads",
            !must_hand_over || handovers > 0,
            if units == 1 {
                "one unit runs on one thread: there is nobody to hand the GIL to".to_string()
            } else if must_hand_over || handovers > 0 {
                format!(
                    "{handovers} hand-overs; the longest wait for the GIL was {}",
                    conlab_core::ms(longest_wait)
                )
            } else {
                format!(
                    "{handovers} hand-overs: a unit of work ({}) ends before the switch interval ({}) is due, or no thread waited that long (longest wait {})",
                    conlab_core::ms(per_unit),
                    conlab_core::ms(interval),
                    conlab_core::ms(longest_wait)
                )
            },
        );
    }
    // The bound is on what the threads did at once (their CPU time over the phase's wall
    // time), which no machine can exceed. A speed-up against the sequential phase cannot be
    // bounded so: on a VM, time the host takes away during that phase counts as its CPU time.
    let free = phase("free_threads").unwrap_or(u64::MAX);
    let speedup = seq as f64 / free as f64;
    let ideal = cores.min(units) as f64;
    let at_once = parallelism(t, "free_threads").unwrap_or(0.0);
    c.check(
        "free-speedup-bounded",
        "free threads never compute on more than min(cores, units) cores at once",
        at_once <= ideal * 1.1,
        format!(
            "{at_once:.2} cores at once (ideal {ideal:.0}); speed-up over the sequential run {speedup:.2}x"
        ),
    );
    // How much faster free threads finish depends on the hardware behind the cores: on this
    // project's 2-vCPU VMs it ranged from 1.0x to 2.0x on an idle machine (the host may run
    // both vCPUs on one physical core, and its steal time counts as guest CPU time), so the
    // speed-up is reported, not asserted. What holds wherever the OS has two cores free:
    // without the GIL the threads are scheduled to compute at the same time; with it they
    // take turns. That is checked, and it fails if free threads are serialized.
    let free_par = parallelism(t, "free_threads").unwrap_or(0.0);
    let available = t.metrics.extra("cores_available").unwrap_or(0.0);
    // Units much shorter than this are over before the next thread has started, so whether
    // they overlap says more about thread start-up than about the GIL.
    let unit_long_enough = seq / units as u64 >= MIN_UNIT_FOR_PARALLELISM;
    if units >= 2 && cores >= 2 && !unit_long_enough {
        c.check(
            "unit-too-short",
            "a unit of work is too short against starting a thread, so parallelism is not checked this time",
            true,
            format!(
                "one unit takes {}; parallelism is checked from {} (time-scale makes units shorter)",
                conlab_core::ms(seq / units as u64),
                conlab_core::ms(MIN_UNIT_FOR_PARALLELISM)
            ),
        );
    } else if units >= 2 && cores >= 2 && available >= 1.5 {
        let baseline = if c.params.flag("gil") {
            parallelism(t, "gil_threads").unwrap_or(1.0)
        } else {
            1.0
        };
        c.check(
            "free-threads-parallel",
            "without the GIL the threads compute at the same time; with it they take turns",
            free_par >= baseline + 0.25,
            format!("CPU parallelism: free threads {free_par:.2}, GIL threads {baseline:.2}; {available:.2} cores available"),
        );
    } else if units >= 2 && cores >= 2 {
        main_note(c, available);
    }
    let procs_par = parallelism(t, "processes").unwrap_or(0.0);
    let procs = phase("processes").unwrap_or(u64::MAX);
    c.check(
        "processes-speedup-bounded",
        "processes never compute on more than min(cores, units) cores at once",
        procs_par <= ideal * 1.1,
        format!(
            "{procs_par:.2} cores at once (ideal {ideal:.0}); speed-up over the sequential run {:.2}x",
            seq as f64 / procs as f64
        ),
    );
    let unit_outlasts_start = seq / units as u64 >= MIN_UNIT_FOR_PROCESS_PARALLELISM;
    if units >= 2 && cores >= 2 && !unit_outlasts_start {
        c.check(
            "unit-too-short-for-processes",
            "a unit of work is too short against starting a process, so the processes' parallelism is not checked this time",
            true,
            format!(
                "one unit takes {}; the processes' parallelism is checked from {}",
                conlab_core::ms(seq / units as u64),
                conlab_core::ms(MIN_UNIT_FOR_PROCESS_PARALLELISM)
            ),
        );
    } else if units >= 2 && cores >= 2 && available >= 1.5 {
        c.check(
            "processes-parallel",
            "processes compute at the same time: each has its own interpreter and GIL",
            procs_par >= 1.25,
            format!(
                "CPU parallelism of the processes: {procs_par:.2}; {available:.2} cores available"
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
