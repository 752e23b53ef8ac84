//! race-condition: threads write a shared variable, work a while, and read it back. Without a
//! lock they see each other's writes; with a lock around write-then-read, each reads its own.

use conlab_core::{Checks, Fault, Nanos, SpanState, Text};
use conlab_traced_threads::{Aborted, ThreadCtx, TracedMutex};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Runs the scenario.
pub fn run(main: &ThreadCtx) -> Result<(), Aborted> {
    let n = main.params().usize("threads");
    let hold = main.params().duration("hold_ms");

    main.phase_start("unlocked");
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
    main.phase_end("unlocked");

    main.phase_start("locked");
    let lock = Arc::new(TracedMutex::new("value", usize::MAX));
    let mut handles = Vec::new();
    for i in 0..n {
        let lock = lock.clone();
        handles.push(main.spawn(main.next_thread_name(), move |me| {
            let mut value = lock.lock(me)?;
            *value = i;
            value.sleep(hold)?; // time.sleep inside `with lock:`: the lock stays held

            let seen = *value;
            drop(value);
            me.mark("locked_read", Text::from(format!("{i} {seen}")));
            me.print(format!("with lock: thread {i} wrote {i}, read back {seen}"));
            Ok(())
        })?);
    }
    handles.iter().try_for_each(|h| h.join(main))?;
    main.phase_end("locked");
    Ok(())
}

/// Checks, from the recorded windows: without the lock, whenever two threads' write-to-read
/// windows overlapped (by more than a millisecond), some thread read a value not its own; with
/// the lock every thread reads its own and the critical sections never overlap. Each is
/// judged only where its phase had windows that overlapped: otherwise there was no race to
/// see, and a lock that excluded nobody would look the same.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let (unlocked, locked) = (c.phase("unlocked"), c.phase("locked"));
    let (Some(unlocked), Some(locked)) = (unlocked, locked) else {
        c.check("phases", "both phases ran", false, "missing phase marks");
        return;
    };
    let reads: Vec<(usize, usize, Nanos, Nanos)> = t
        .marks_named("unlocked_read")
        .filter(|m| m.t >= unlocked.0 && m.t <= unlocked.1)
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
    let detail = format!(
        "{foreign} of {} another thread's value",
        conlab_core::count_of(reads.len(), "read was", "reads were")
    );
    if overlapped || reads.len() != n {
        c.check(
            "race-visible",
            "without a lock, overlapping threads read values not their own",
            reads.len() == n && foreign > 0,
            format!("{detail}; windows overlapped"),
        );
    } else {
        c.not_judged(
            "race-visible",
            "without a lock, overlapping threads read values not their own",
            format!("{detail}: no two threads' windows overlapped by more than 1 ms, so there was no race to see"),
        );
    }
    let locked_reads: Vec<(u64, u64)> = t
        .marks_named("locked_read")
        .filter(|m| m.t >= locked.0 && m.t <= locked.1)
        .filter_map(|m| {
            let (a, b) = m.detail.split_once(' ')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        })
        .collect();
    let own = locked_reads.len() == n && locked_reads.iter().all(|(a, b)| a == b);
    let mut held = t.intervals(SpanState::HoldingLock);
    held.sort_unstable();
    let exclusive = held.windows(2).all(|w| w[1].0 >= w[0].1);
    // The lock's effect shows only where, without it, the threads raced.
    let why =
        "without the lock no two threads' windows overlapped, so the lock had nothing to prevent";
    let own_detail = conlab_core::count_of(locked_reads.len(), "read", "reads");
    if overlapped || !own {
        c.check(
            "lock-own-value",
            "with the lock every thread reads back its own value",
            own,
            own_detail,
        )
        .guards(&[Fault::LockNotExclusive]);
    } else {
        c.not_judged(
            "lock-own-value",
            "with the lock every thread reads back its own value",
            format!("{own_detail}; {why}"),
        );
    }
    let held_detail = conlab_core::count_of(held.len(), "critical section", "critical sections");
    if overlapped || !exclusive {
        c.check(
            "sections-exclusive",
            "critical sections never overlap",
            exclusive,
            held_detail,
        )
        .guards(&[Fault::LockNotExclusive]);
    } else {
        c.not_judged(
            "sections-exclusive",
            "critical sections never overlap",
            format!("{held_detail}; {why}"),
        );
    }
}

/// About how long a run takes: one hold without the lock (side by side), then every hold under it.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_THREAD};
    let n = p.usize("threads");
    p.duration("hold_ms") * (n as u32 + 1) + times(2 * n, PER_THREAD)
}
