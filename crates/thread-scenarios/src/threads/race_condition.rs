//! race-condition: threads write a shared variable, work a while, and read it back. Without a
//! lock they see each other's writes; with a lock around write-then-read, each reads its own.

use conlab_core::{Checks, Nanos, SpanState, Text};
use conlab_traced_threads::{Aborted, ThreadCtx, TracedMutex};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Runs the scenario.
pub fn run(main: &ThreadCtx) -> Result<(), Aborted> {
    let n = main.params().usize("threads");
    let hold = main.params().duration("hold_ms");

    main.mark("phase", "unlocked");
    let shared = Arc::new(AtomicUsize::new(usize::MAX));
    let mut handles = Vec::new();
    for i in 0..n {
        let shared = shared.clone();
        handles.push(main.spawn(main.next_thread_name(), move |me| {
            let start = me.now();
            shared.store(i, Ordering::SeqCst);
            me.sleep(hold)?;
            let seen = shared.load(Ordering::SeqCst);
            me.span(SpanState::Running, start, Text::Static("write, work, read"));
            me.mark("unlocked_read", Text::from(format!("{i} {seen} {start}")));
            me.print(format!(
                "without lock: thread {i} wrote {i}, read back {seen}"
            ));
            Ok(())
        })?);
    }
    handles.iter().try_for_each(|h| h.join(main))?;

    main.mark("phase", "locked");
    let lock = Arc::new(TracedMutex::new("value", usize::MAX));
    let mut handles = Vec::new();
    for i in 0..n {
        let lock = lock.clone();
        handles.push(main.spawn(main.next_thread_name(), move |me| {
            let mut value = lock.lock(me)?;
            *value = i;
            me.sleep(hold)?;
            let seen = *value;
            drop(value);
            me.mark("locked_read", Text::from(format!("{i} {seen}")));
            me.print(format!("with lock: thread {i} wrote {i}, read back {seen}"));
            Ok(())
        })?);
    }
    handles.iter().try_for_each(|h| h.join(main))
}

/// Checks, from the recorded windows: without the lock, whenever two threads' write-to-read
/// windows overlapped (by more than a millisecond), some thread read a value not its own; with
/// the lock every thread reads its own and the critical sections never overlap.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let reads: Vec<(usize, usize, Nanos, Nanos)> = t
        .marks_named("unlocked_read")
        .filter_map(|m| {
            let mut p = m.detail.split(' ').map(|x| x.parse::<u64>().ok());
            Some((p.next()?? as usize, p.next()?? as usize, p.next()??, m.t))
        })
        .collect();
    let n = c.params.usize("threads");
    const MARGIN: Nanos = 1_000_000;
    let overlapped = reads.iter().any(|a| {
        reads
            .iter()
            .any(|b| a.0 != b.0 && a.2 + MARGIN < b.3 && b.2 + MARGIN < a.3)
    });
    let foreign = reads.iter().filter(|r| r.0 != r.1).count();
    c.check(
        "race-visible",
        "without a lock, overlapping threads read values not their own",
        reads.len() == n && (!overlapped || foreign > 0),
        format!(
            "{foreign} of {} another thread's value; windows overlapped: {overlapped}",
            conlab_core::count_of(reads.len(), "read was", "reads were")
        ),
    );
    let locked: Vec<(u64, u64)> = t
        .marks_named("locked_read")
        .filter_map(|m| {
            let (a, b) = m.detail.split_once(' ')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        })
        .collect();
    c.check(
        "lock-own-value",
        "with the lock every thread reads back its own value",
        locked.len() == n && locked.iter().all(|(a, b)| a == b),
        conlab_core::count_of(locked.len(), "read", "reads"),
    );
    let mut held = t.intervals(SpanState::HoldingLock);
    held.sort_unstable();
    c.check(
        "sections-exclusive",
        "critical sections never overlap",
        held.windows(2).all(|w| w[1].0 >= w[0].1),
        conlab_core::count_of(held.len(), "critical section", "critical sections"),
    );
}

/// About how long a run takes: one hold without the lock (side by side), then every hold under it.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_THREAD};
    let n = p.usize("threads");
    p.duration("hold_ms") * (n as u32 + 1) + times(2 * n, PER_THREAD)
}
