//! lock: a Lock makes "append, then read the last element" atomic: every thread reads back
//! what it appended, and the critical sections never overlap.

use conlab_core::{Checks, Fault, LaneKind, SpanState, Text};
use conlab_traced_threads::{Aborted, ThreadCtx, TracedMutex};
use std::sync::Arc;

/// Runs the scenario.
pub fn run(main: &ThreadCtx) -> Result<(), Aborted> {
    let n = main.params().usize("threads");
    let hold = main.params().duration("hold_ms");
    let list = Arc::new(TracedMutex::new("list", Vec::<usize>::new()));
    let mut handles = Vec::new();
    for i in 0..n {
        let list = list.clone();
        handles.push(main.spawn(main.next_thread_name(), move |me| {
            let mut l = list.lock(me)?;
            l.push(i);
            l.sleep(hold)?; // time.sleep inside `with lock:`: the lock stays held

            let last = *l.last().unwrap_or(&usize::MAX);
            drop(l);
            me.mark("pair", Text::from(format!("{i} {last}")));
            me.print(format!("appended {i}, last is {last}"));
            Ok(())
        })?);
    }
    handles.iter().try_for_each(|h| h.join(main))
}

/// Whether at least two threads were alive at once: otherwise nothing competed for the lock,
/// and a lock that excluded nobody would show the same.
pub(crate) fn threads_overlapped(t: &conlab_core::Trace) -> bool {
    let mut lives: Vec<(u64, u64)> = t
        .lanes
        .iter()
        .filter(|l| l.kind == LaneKind::Thread)
        .map(|l| (l.start, l.end.unwrap_or(t.end)))
        .collect();
    lives.sort_unstable();
    lives.windows(2).any(|w| w[1].0 < w[0].1)
}

/// Checks: every printed pair matches, and no two threads held the lock at the same time —
/// judged where threads competed for it with holds long enough to tell.
pub fn checks(c: &mut Checks) {
    let n = c.params.usize("threads");
    let hold = c.params.duration("hold_ms");
    let pairs: Vec<bool> = c
        .trace
        .marks_named("pair")
        .map(|m| m.detail.split_once(' ').is_some_and(|(a, b)| a == b))
        .collect();
    let mut held = c.trace.intervals(SpanState::HoldingLock);
    held.sort_unstable();
    let pairs_detail = format!(
        "{} of {} pairs match",
        pairs.iter().filter(|p| **p).count(),
        pairs.len()
    );
    let sections_detail =
        conlab_core::count_of(held.len(), "critical section", "critical sections");
    let pairs_ok = pairs.len() == n && pairs.iter().all(|p| *p);
    let sections_ok = held.len() == n && held.windows(2).all(|w| w[1].0 >= w[0].1);
    let measurable = threads_overlapped(c.trace) && !hold.is_zero();
    let why = if hold.is_zero() {
        "with hold_ms=0 a thread holds the lock too briefly for another to get in even without it"
    } else {
        "no two threads were alive at once, so nothing competed for the lock"
    };
    if measurable || !pairs_ok {
        c.check(
            "pairs-match",
            "every pair of printed values matches",
            pairs_ok,
            pairs_detail,
        )
        .guards(&[Fault::LockNotExclusive]);
    } else {
        c.not_judged(
            "pairs-match",
            "every pair of printed values matches",
            format!("{pairs_detail}; {why}"),
        );
    }
    if measurable || !sections_ok {
        c.check(
            "sections-exclusive",
            "critical sections never overlap",
            sections_ok,
            sections_detail,
        )
        .guards(&[Fault::LockNotExclusive]);
    } else {
        c.not_judged(
            "sections-exclusive",
            "critical sections never overlap",
            format!("{sections_detail}; {why}"),
        );
    }
}

/// About how long a run takes: every hold, one thread at a time.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_THREAD};
    let n = p.usize("threads");
    p.duration("hold_ms") * n as u32 + times(n, PER_THREAD)
}
