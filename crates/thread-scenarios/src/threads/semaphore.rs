//! semaphore: a BoundedSemaphore with n permits lets n threads into a section at once; the rest
//! wait, so the work runs in waves.

use conlab_core::{peak_overlap, Checks, LaneKind, SpanState};
use conlab_traced_threads::{Aborted, Semaphore, ThreadCtx};
use std::sync::Arc;
use std::time::Duration;

/// Runs the scenario.
pub fn run(main: &ThreadCtx) -> Result<(), Aborted> {
    let n = main.params().usize("threads");
    let permits = main.params().usize("permits");
    let hold = main.params().duration("hold_ms");
    let sem = Arc::new(Semaphore::new("semaphore", permits));
    let mut handles = Vec::new();
    for _ in 0..n {
        let sem = sem.clone();
        handles.push(main.spawn(main.next_thread_name(), move |me| {
            let _permit = sem.acquire(me)?;
            me.print(format!("{} is inside", me.name()));
            me.sleep(hold)
        })?);
    }
    handles.iter().try_for_each(|h| h.join(main))
}

/// Checks: never more than `permits` threads inside; with holds long enough to overlap, exactly
/// min(threads, permits) at the peak; the waves take ~ ceil(threads/permits) x hold.
pub fn checks(c: &mut Checks) {
    let n = c.params.usize("threads");
    let permits = c.params.usize("permits");
    let hold = c.params.duration("hold_ms");
    let inside = c.trace.intervals(SpanState::HoldingLock);
    let peak = peak_overlap(&inside);
    // Only threads that asked for the semaphore before the first one left can be inside
    // together: starting hundreds of threads takes longer than a short hold, and on a busy
    // machine a started thread may not run (and ask) for a while. A thread asks when it
    // starts waiting, or when it enters without waiting.
    let first_exit = inside.iter().map(|i| i.1).min().unwrap_or(0);
    let asked: Vec<u64> = c
        .trace
        .lanes
        .iter()
        .filter(|l| l.kind == LaneKind::Thread)
        .filter_map(|l| {
            c.trace
                .spans
                .iter()
                .filter(|s| {
                    s.lane == l.id
                        && matches!(
                            s.state,
                            SpanState::WaitingSemaphore | SpanState::HoldingLock
                        )
                })
                .map(|s| s.start)
                .min()
        })
        .collect();
    let started_in_time = asked.iter().filter(|&&t| t < first_exit).count();
    let last_asked = asked.iter().copied().max().unwrap_or(0);
    let expected = n.min(permits).min(started_in_time.max(1));
    let long_enough = hold >= Duration::from_millis(50) || c.is_virtual();
    c.check(
        "peak-is-permits",
        "peak concurrency inside == permits (never more)",
        peak <= permits && (!long_enough || peak >= expected),
        format!(
            "peak {peak}, permits {permits}, threads {n} ({started_in_time} asked before the first left)"
        ),
    );
    c.check(
        "everyone-entered",
        "every thread got in once",
        inside.len() == n,
        conlab_core::count_of(inside.len(), "entry", "entries"),
    );
    let waves = n.div_ceil(permits) as u32;
    let last_exit = inside.iter().map(|i| i.1).max().unwrap_or(0);
    // Until the last thread asked: starting them, and the machine running them.
    let starting = last_asked.max(c.trace.last_start(LaneKind::Thread));
    c.about_plus(
        "waves",
        "makespan ~ ceil(threads / permits) x hold",
        last_exit,
        hold * waves,
        starting,
        &format!("{} to start the threads", conlab_core::ms(starting)),
    );
}

/// About how long a run takes: the holds in waves of `permits` threads.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, waves, PER_THREAD};
    let n = p.usize("threads");
    waves(n, p.usize("permits"), p.duration("hold_ms")) + times(n, PER_THREAD)
}
