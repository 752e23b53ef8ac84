//! lock: a Lock makes "append, then read the last element" atomic: every thread reads back
//! what it appended, and the critical sections never overlap.

use conlab_core::{Checks, SpanState, Text};
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
            me.sleep(hold)?;
            let last = *l.last().unwrap_or(&usize::MAX);
            drop(l);
            me.mark("pair", Text::from(format!("{i} {last}")));
            me.print(format!("appended {i}, last is {last}"));
            Ok(())
        })?);
    }
    handles.iter().try_for_each(|h| h.join(main))
}

/// Checks: every printed pair matches, and no two threads held the lock at the same time.
pub fn checks(c: &mut Checks) {
    let n = c.params.usize("threads");
    let pairs: Vec<bool> = c
        .trace
        .marks_named("pair")
        .map(|m| m.detail.split_once(' ').is_some_and(|(a, b)| a == b))
        .collect();
    c.check(
        "pairs-match",
        "every pair of printed values matches",
        pairs.len() == n && pairs.iter().all(|p| *p),
        format!(
            "{} of {} pairs match",
            pairs.iter().filter(|p| **p).count(),
            pairs.len()
        ),
    );
    let mut held = c.trace.intervals(SpanState::HoldingLock);
    held.sort_unstable();
    c.check(
        "sections-exclusive",
        "critical sections never overlap",
        held.len() == n && held.windows(2).all(|w| w[1].0 >= w[0].1),
        conlab_core::count_of(held.len(), "critical section", "critical sections"),
    );
}

/// About how long a run takes: every hold, one thread at a time.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_THREAD};
    let n = p.usize("threads");
    p.duration("hold_ms") * n as u32 + times(n, PER_THREAD)
}
