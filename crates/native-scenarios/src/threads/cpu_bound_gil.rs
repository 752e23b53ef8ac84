//! cpu-bound-gil: the same CPU-bound work done sequentially, by threads under a simulated GIL,
//! and by threads without one. Under the GIL threads gain nothing; without it they spread over
//! the cores. (Processes arrive with the processes chapter; the output says so.)

use crate::traced_threads::{Aborted, Gil, ThreadCtx, Work};
use conlab_core::{Checks, Nanos, Text};
use std::sync::Arc;
use std::time::Duration;

/// One unit of work is this much single-core CPU time (times time-scale).
const UNIT_MS: i64 = 100;

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

    let sequential = phase(main, "sequential", || {
        (0..units).try_for_each(|_| work.compute(main, unit))
    })?;
    main.metric("makespan_sequential_ms", sequential as f64 / 1e6, "ms");
    main.print(format!(
        "sequential: {units} units in {}",
        conlab_core::ms(sequential)
    ));

    if main.params().flag("gil") {
        let gil = Arc::new(Gil::new(switch));
        let g = gil.clone();
        let took = phase(main, "gil_threads", || {
            threads(main, units, move |me| g.compute(me, &work, unit))
        })?;
        let speedup = sequential as f64 / took.max(1) as f64;
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
    let speedup = sequential as f64 / took.max(1) as f64;
    main.metric("makespan_free_threads_ms", took as f64 / 1e6, "ms");
    main.metric("speedup_free_threads", speedup, "x");
    main.print(format!(
        "threads without a GIL: {} ({speedup:.2}x on {cores} cores)",
        conlab_core::ms(took)
    ));

    main.mark(
        "processes_not_run",
        Text::Static("OS processes arrive with the processes chapter"),
    );
    main.print("processes: not run yet (OS processes arrive with the processes chapter)");
    Ok(())
}

/// Checks, from the phase marks: GIL threads gain at most 1.2x over sequential; free threads
/// gain close to min(cores, units); the GIL changed hands when several threads competed.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let phase = |name: &str| -> Option<Nanos> {
        let start = t
            .marks
            .iter()
            .find(|m| m.name == "phase_start" && m.detail == name)?
            .t;
        let end = t
            .marks
            .iter()
            .find(|m| m.name == "phase_end" && m.detail == name)?
            .t;
        Some(end - start)
    };
    let units = c.params.usize("units");
    let cores = t.metrics.extra("cores").unwrap_or(1.0) as usize;
    let Some(seq) = phase("sequential") else {
        c.check("phases", "every phase ran", false, "no sequential phase");
        return;
    };
    if c.params.flag("gil") {
        let gil = phase("gil_threads").unwrap_or(u64::MAX);
        let speedup = seq as f64 / gil as f64;
        c.check(
            "gil-no-gain",
            "threads under the GIL gain nothing: speedup <= 1.2",
            speedup <= 1.2,
            format!("speedup {speedup:.2}x"),
        );
        let handovers = t.marks_named("gil_handover").count();
        c.check(
            "gil-handovers",
            "the GIL is handed over between competing threads",
            units < 2 || handovers > 0,
            format!("{handovers} hand-overs"),
        );
    }
    let free = phase("free_threads").unwrap_or(u64::MAX);
    let speedup = seq as f64 / free as f64;
    let ideal = cores.min(units) as f64;
    c.check(
        "free-threads-scale",
        "threads without a GIL gain ~ min(cores, units)",
        speedup >= 0.65 * ideal && speedup <= ideal * 1.25,
        format!("speedup {speedup:.2}x, ideal {ideal:.0}x"),
    );
    c.check(
        "processes-said",
        "the output says processes are not run yet, not silently",
        t.marks_named("processes_not_run").count() == 1,
        "",
    );
}
