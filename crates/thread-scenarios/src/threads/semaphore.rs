//! semaphore: a BoundedSemaphore with n permits lets n threads into a section at once; the rest
//! wait, so the work runs in waves.

use conlab_core::{peak_overlap, Checks, Fault, LaneKind, SpanState, Text};
use conlab_threads::{Aborted, Semaphore, Thread};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Runs the scenario (on OS threads, or on the deterministic scheduler).
pub fn run(main: Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let n = main.params().usize("threads");
        let permits = main.params().usize("permits");
        let hold = main.params().duration("hold_ms");
        let sem = Semaphore::new(&main, "semaphore", permits);
        // How many are inside, counted as each enters and leaves: what a search reads.
        let inside = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::new();
        for _ in 0..n {
            let (sem, inside) = (sem.clone(), inside.clone());
            let body = move |me: Thread| async move {
                let permit = sem.acquire(&me).await?; // with sem:
                let now_inside = inside.fetch_add(1, Ordering::SeqCst) + 1;
                me.mark("inside", Text::from(now_inside.to_string()));
                me.print(format!("{} is inside", me.name())).await;
                me.sleep(hold).await?;
                inside.fetch_sub(1, Ordering::SeqCst);
                permit.release().await;
                Ok(())
            };
            handles.push(main.spawn(main.next_thread_name(), body).await?);
        }
        for h in &handles {
            h.join(&main).await?;
        }
        Ok(())
    })
}

/// Checks: never more than `permits` threads inside; with holds long enough to overlap, exactly
/// min(threads, permits) at the peak; the waves take ~ ceil(threads/permits) x hold, neither
/// one hold (a semaphore that lets everyone in) nor one hold per thread (threads one after the
/// other).
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
    let asked: Vec<(u64, u64)> = c
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
                .map(|s| (l.start, s.start))
                .min_by_key(|x| x.1)
        })
        .collect();
    let started_in_time = asked.iter().filter(|a| a.1 < first_exit).count();
    let expected = n.min(permits).min(started_in_time.max(1));
    let long_enough = hold >= Duration::from_millis(50) || c.is_virtual();
    let detail = format!(
        "peak {peak}, permits {permits}, threads {n} ({started_in_time} asked before the first left)"
    );
    // More than `permits` inside can be seen only where more threads asked than there are
    // permits; fewer, only where holds are long enough to overlap and two could be inside.
    let can_exceed = started_in_time > permits;
    let can_fall_short = long_enough && expected >= 2;
    if can_exceed || can_fall_short || peak > permits {
        // It tells a semaphore that lets too many in only where more asked than it admits.
        let guards: &[Fault] = if can_exceed {
            &[Fault::LockNotExclusive]
        } else {
            &[]
        };
        c.check(
            "peak-is-permits",
            "peak concurrency inside == permits (never more)",
            peak <= permits && (!long_enough || peak >= expected),
            detail,
        )
        .guards(guards);
    } else {
        c.not_judged(
            "peak-is-permits",
            "peak concurrency inside == permits (never more)",
            format!("{detail}: too few threads were waiting at once for the peak to say anything"),
        );
    }
    c.check(
        "everyone-entered",
        "every thread got in once",
        inside.len() == n,
        conlab_core::count_of(inside.len(), "entry", "entries"),
    );
    let waves = n.div_ceil(permits) as u32;
    let last_exit = inside.iter().map(|i| i.1).max().unwrap_or(0);
    // Starting the threads, and how long the machine took to run each started thread as far
    // as the semaphore.
    let starting = c.trace.start_cost(LaneKind::Thread)
        + asked
            .iter()
            .map(|a| a.1.saturating_sub(a.0))
            .max()
            .unwrap_or(0);
    c.time(
        "waves",
        "makespan ~ ceil(threads / permits) x hold",
        last_exit,
    )
    .about(hold * waves)
    .plus(
        starting,
        format!("{} to start the threads", conlab_core::ms(starting)),
    )
    .unlike(hold, "a semaphore that let every thread in at once")
    .unlike(hold * n as u32, "the threads one after the other")
    .guards(&[Fault::LockNotExclusive, Fault::SerialThreads])
    .judge();
}

/// About how long a run takes: the holds in waves of `permits` threads.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, waves, PER_THREAD};
    let n = p.usize("threads");
    waves(n, p.usize("permits"), p.duration("hold_ms")) + times(n, PER_THREAD)
}

/// What a search tries to break: never more threads inside than permits.
pub fn properties(c: &Checks) -> Vec<(&'static str, Option<String>)> {
    let permits = c.params.usize("permits");
    let peak = c
        .trace
        .marks_named("inside")
        .filter_map(|m| m.detail.parse::<usize>().ok())
        .max()
        .unwrap_or(0);
    let broken =
        (peak > permits).then(|| format!("{peak} threads inside at once, {permits} permits"));
    vec![("never more inside than permits", broken)]
}

/// This file, which the playground shows beside the run.
pub const SOURCE: &str = "crates/thread-scenarios/src/threads/semaphore.rs";

/// A hash of this file, made when conlab is built: a schedule found on other code is refused.
pub const CODE: u64 = conlab_sched::code_hash(include_bytes!("semaphore.rs"));
