//! rlock: a re-entrant lock can be taken again by the thread that holds it. The same with a
//! plain mutex deadlocks; conlab's watchdog notices, reports who waits for what, and stops it.

use conlab_core::{Checks, Text};
use conlab_traced_threads::{Aborted, ReentrantLock, ThreadCtx, TracedMutex, Watchdog};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Runs the scenario.
pub fn run(main: &ThreadCtx) -> Result<(), Aborted> {
    let n = main.params().usize("threads");
    let rlock = Arc::new(ReentrantLock::new("rlock"));
    let count = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for _ in 0..n {
        let (rlock, count) = (rlock.clone(), count.clone());
        handles.push(main.spawn(main.next_thread_name(), move |me| {
            let _outer = rlock.lock(me)?;
            let _inner = rlock.lock(me)?;
            let c = count.fetch_add(1, Ordering::SeqCst) + 1;
            me.print(format!("{} took the RLock twice (count {c})", me.name()));
            Ok(())
        })?);
    }
    handles.iter().try_for_each(|h| h.join(main))?;

    // The plain mutex, under a watchdog of its own: its deadlock is the lesson, not a failure
    // of the run.
    main.mark("plain_start", "");
    main.print("now the same with a plain Lock…");
    let dog = Watchdog::start("rlock-plain");
    let plain = Arc::new(TracedMutex::new("plain", ()));
    let h = main.spawn_watched("Thread-plain", dog.clone(), move |me| {
        let _first = plain.lock(me)?;
        me.print("Thread-plain took the Lock once and takes it again…");
        let _second = plain.lock(me)?;
        me.print("Thread-plain took it twice (impossible)");
        Ok(())
    })?;
    h.join(main)?;
    dog.stop();
    match dog.deadlock() {
        Some(report) => {
            // One mark per wait, "waiter holder" (lane ids): drawn as an arrow.
            for (waiter, holder) in dog.deadlock_waits() {
                main.mark("waits_for", Text::from(format!("{waiter} {holder}")));
            }
            main.mark("deadlock", Text::from(report.clone()));
            main.print(format!("watchdog: deadlock — {report}"));
        }
        None => main.print("watchdog: no deadlock reported"),
    }
    Ok(())
}

/// Checks: every thread took the RLock twice; the plain-lock variant was reported as a
/// deadlock (the thread waits for a lock it holds itself), promptly, and never got further.
pub fn checks(c: &mut Checks) {
    let n = c.params.usize("threads");
    let t = c.trace;
    let twice = t
        .output
        .iter()
        .filter(|l| l.text.contains("took the RLock twice"))
        .count();
    c.check(
        "reentrant-completes",
        "the re-entrant run completes",
        twice == n,
        format!("{twice} of {n} threads"),
    );
    let report = t.marks_named("deadlock").next();
    let names_itself = report.is_some_and(|m| {
        m.detail
            .contains("Thread-plain waits for lock `plain` held by itself")
    });
    c.check(
        "deadlock-reported",
        "the plain-mutex variant is reported as a deadlock, with who waits for what",
        names_itself,
        report
            .map(|m| m.detail.clone())
            .unwrap_or_else(|| "no report".into()),
    );
    let start = t
        .marks_named("plain_start")
        .next()
        .map(|m| m.t)
        .unwrap_or(0);
    let at = report.map(|m| m.t).unwrap_or(u64::MAX);
    c.check(
        "reported-promptly",
        "the deadlock is reported within 2 s, not a hang",
        at.saturating_sub(start) <= 2_000_000_000,
        format!("after {}", conlab_core::ms(at.saturating_sub(start))),
    );
    let impossible = t.output.iter().any(|l| l.text.contains("impossible"));
    c.check(
        "stuck",
        "the plain lock is never taken twice",
        !impossible,
        "",
    );
}

/// About how long a run takes: starting the threads, then the watchdog noticing the plain lock's deadlock.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_THREAD};
    use std::time::Duration;
    times(p.usize("threads"), PER_THREAD) + Duration::from_millis(400)
}
