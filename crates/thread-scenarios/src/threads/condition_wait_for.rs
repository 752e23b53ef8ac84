//! condition-wait-for: `wait_for(predicate)` blocks until a predicate over shared state holds,
//! re-checking it at every notification.

use conlab_core::{Checks, Text};
use conlab_traced_threads::{Aborted, Condition, ThreadCtx};
use std::sync::Arc;
use std::time::Duration;

/// Runs the scenario.
pub fn run(main: &ThreadCtx) -> Result<(), Aborted> {
    let n = main.params().usize("threads");
    let gap = main.params().scale_ms(50).max(Duration::from_millis(20));
    let cond = Arc::new(Condition::new("counter", 0usize));
    let mut handles = Vec::new();
    for i in 1..=n {
        let cond = cond.clone();
        handles.push(main.spawn(main.next_thread_name(), move |me| {
            let mut g = cond.lock(me)?;
            g.wait_for(|counter| *counter >= i)?;
            drop(g);
            me.mark("proceeds", Text::from(i.to_string()));
            me.print(format!("{} proceeds: counter reached {i}", me.name()));
            Ok(())
        })?);
    }
    for k in 1..=n {
        main.sleep(gap)?;
        let mut g = cond.lock(main)?;
        *g.value() = k;
        main.mark("counter", Text::from(k.to_string()));
        g.notify_all();
    }
    handles.iter().try_for_each(|h| h.join(main))
}

/// Checks: no waiter proceeds before its predicate became true (the counter reached its
/// number), and every waiter proceeds.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let n = c.params.usize("threads");
    let counter_at = |k: &str| t.mark_time("counter", k);
    let early: Vec<&str> = t
        .marks_named("proceeds")
        .filter(|m| counter_at(&m.detail).is_none_or(|at| m.t < at))
        .map(|m| m.detail.as_str())
        .collect();
    c.check(
        "never-early",
        "no waiter proceeds before its predicate is true",
        early.is_empty(),
        format!("early: {}", conlab_core::list(&early)),
    );
    let proceeded = t.marks_named("proceeds").count();
    c.check(
        "all-proceed",
        "every waiter proceeds",
        proceeded == n,
        format!("{proceeded} of {n} waiters proceeded"),
    );
}

/// About how long a run takes: a gap before each update of the counter.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_THREAD};
    let n = p.usize("threads");
    p.scale_ms(50).max(Duration::from_millis(20)) * n as u32 + times(n, PER_THREAD)
}
