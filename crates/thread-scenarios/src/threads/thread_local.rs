//! thread-local: each thread sees its own value of a thread-local variable; the same built by
//! hand is a map keyed by thread id.

use conlab_core::{Checks, Text};
use conlab_traced_threads::{Aborted, ThreadCtx, TracedMutex};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::thread::ThreadId;

thread_local! {
    static VALUE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs the scenario.
pub fn run(main: &ThreadCtx) -> Result<(), Aborted> {
    let n = main.params().usize("threads");
    let hold = main.params().duration("hold_ms");
    let by_hand = Arc::new(TracedMutex::new(
        "by-hand map",
        HashMap::<ThreadId, String>::new(),
    ));
    let mut handles = Vec::new();
    for _ in 0..n {
        let by_hand = by_hand.clone();
        handles.push(main.spawn(main.next_thread_name(), move |me| {
            let mine = me.name().to_string();
            VALUE.with(|v| *v.borrow_mut() = Some(mine.clone()));
            by_hand
                .lock(me)?
                .insert(std::thread::current().id(), mine.clone());
            me.sleep(hold)?;
            let local = VALUE.with(|v| v.borrow().clone()).unwrap_or_default();
            let manual = by_hand
                .lock(me)?
                .get(&std::thread::current().id())
                .cloned()
                .unwrap_or_default();
            me.mark("read_back", Text::from(format!("{mine} {local} {manual}")));
            me.print(format!("{mine}: thread-local {local}, by hand {manual}"));
            Ok(())
        })?);
    }
    handles.iter().try_for_each(|h| h.join(main))
}

/// Checks: each thread reads back its own value, both from the thread-local and from the map.
pub fn checks(c: &mut Checks) {
    let n = c.params.usize("threads");
    let reads: Vec<bool> = c
        .trace
        .marks_named("read_back")
        .map(|m| {
            let v: Vec<&str> = m.detail.split(' ').collect();
            v.len() == 3 && v[0] == v[1] && v[0] == v[2]
        })
        .collect();
    c.check(
        "own-value",
        "each thread reads back its own value (thread-local and by hand)",
        reads.len() == n && reads.iter().all(|r| *r),
        format!(
            "{} of {} its own",
            reads.iter().filter(|r| **r).count(),
            conlab_core::count_of(reads.len(), "read was", "reads were")
        ),
    );
}

/// About how long a run takes: one hold (the threads hold side by side).
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_THREAD};
    p.duration("hold_ms") + times(p.usize("threads"), PER_THREAD)
}
