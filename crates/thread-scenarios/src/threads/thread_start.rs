//! thread-start: starting a thread only schedules it; the main thread carries on without
//! waiting, and the OS decides when each worker runs.

use conlab_core::{Checks, Fault, LaneKind};
use conlab_traced_threads::{Aborted, ThreadCtx};

/// Runs the scenario.
pub fn run(main: &ThreadCtx) -> Result<(), Aborted> {
    let n = main.params().usize("threads");
    let work = main.params().scale_ms(50);
    let mut handles = Vec::with_capacity(n);
    for _ in 0..n {
        let name = main.next_thread_name();
        handles.push(main.spawn(name, move |me| {
            me.print(format!("{}: started", me.name()));
            me.sleep(work)?;
            me.print(format!("{}: done", me.name()));
            Ok(())
        })?);
    }
    main.mark("all_started", "");
    main.print(format!(
        "MainThread: started {} and carries on",
        conlab_core::count_of(n, "thread", "threads")
    ));
    for h in &handles {
        h.join(main)?;
    }
    Ok(())
}

/// Checks: every worker printed each of its lines once; main printed before joining and
/// before the last worker finished (it was not blocked by them).
pub fn checks(c: &mut Checks) {
    let n = c.params.usize("threads");
    let t = c.trace;
    let started = t
        .output
        .iter()
        .filter(|l| l.text.ends_with(": started"))
        .count();
    let done = t
        .output
        .iter()
        .filter(|l| l.text.ends_with(": done"))
        .count();
    let mut names: Vec<&str> = t
        .output
        .iter()
        .filter_map(|l| l.text.strip_suffix(": started"))
        .collect();
    names.sort_unstable();
    names.dedup();
    c.check(
        "each-once",
        "every worker line is printed once",
        started == n && done == n && names.len() == n,
        format!(
            "{started} started, {done} done lines from {} distinct threads",
            names.len()
        ),
    );
    let main_line = t
        .output
        .iter()
        .find(|l| l.text.starts_with("MainThread"))
        .map(|l| l.t);
    let last_end = t
        .lanes
        .iter()
        .filter(|l| l.kind == LaneKind::Thread)
        .filter_map(|l| l.end)
        .max();
    let first_join = t
        .spans
        .iter()
        .filter(|s| s.lane == 0 && s.state == conlab_core::SpanState::WaitingJoin)
        .map(|s| s.start)
        .min();
    let carried_on = matches!((main_line, last_end), (Some(m), Some(e)) if m < e)
        && first_join.is_none_or(|j| main_line.is_some_and(|m| m <= j));
    c.check(
        "main-not-blocked",
        "main's line is printed before it joins, while workers still run",
        carried_on,
        match (main_line, last_end) {
            (Some(m), Some(e)) => format!(
                "main printed at {}, last worker ended at {}",
                conlab_core::ms(m),
                conlab_core::ms(e)
            ),
            _ => "main's line or a worker's end is missing".to_string(),
        },
    )
    .guards(&[Fault::SerialThreads]);
}

/// About how long a run takes: its threads' work, side by side.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_THREAD};
    p.scale_ms(50) + times(p.usize("threads"), PER_THREAD)
}
