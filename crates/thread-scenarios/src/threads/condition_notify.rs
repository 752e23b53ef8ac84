//! condition-notify: threads wait on a Condition; each `notify(n)` releases exactly n of them.

use conlab_core::{Checks, Text};
use conlab_traced_threads::{Aborted, Condition, ThreadCtx};
use std::sync::Arc;
use std::time::Duration;

/// The pause between notifications, so each batch's releases are told apart.
fn gap(main: &ThreadCtx) -> Duration {
    main.params().scale_ms(100).max(Duration::from_millis(40))
}

/// Runs the scenario.
pub fn run(main: &ThreadCtx) -> Result<(), Aborted> {
    let n = main.params().usize("threads");
    let plan: Vec<usize> = main
        .params()
        .list("notify_plan")
        .iter()
        .map(|v| *v as usize)
        .collect();
    let cond = Arc::new(Condition::new("cond", ()));
    let mut handles = Vec::new();
    for _ in 0..n {
        let cond = cond.clone();
        handles.push(main.spawn(main.next_thread_name(), move |me| {
            let mut g = cond.lock(me)?;
            g.wait()?;
            drop(g);
            me.mark("released", "");
            me.print(format!("{} released", me.name()));
            Ok(())
        })?);
    }
    // Wait until every thread waits, so notify(k) has k to release.
    loop {
        if cond.lock(main)?.waiters() == n {
            break;
        }
        main.sleep(Duration::from_millis(2))?;
    }
    let mut left = n;
    for k in plan {
        main.sleep(gap(main))?;
        let mut g = cond.lock(main)?;
        // Marked while holding the lock: no waiter can return from wait() before it.
        main.mark("notify", Text::from(k.to_string()));
        let released = g.notify(k);
        drop(g);
        left -= released;
        main.print(format!("notify({k}) releases {released}"));
    }
    if left > 0 {
        main.sleep(gap(main))?;
        let mut g = cond.lock(main)?;
        main.mark("notify", "all");
        let released = g.notify_all();
        drop(g);
        main.print(format!("notify_all() releases the remaining {released}"));
    }
    handles.iter().try_for_each(|h| h.join(main))
}

/// Checks: after each notification, exactly the planned number of waiters (bounded by those
/// still waiting) is released before the next one.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let n = c.params.usize("threads");
    let plan: Vec<usize> = c
        .params
        .list("notify_plan")
        .iter()
        .map(|v| *v as usize)
        .collect();
    let notifies: Vec<u64> = t.marks_named("notify").map(|m| m.t).collect();
    let released: Vec<u64> = t.marks_named("released").map(|m| m.t).collect();
    let mut expected = Vec::new();
    let mut left = n;
    for k in &plan {
        let r = (*k).min(left);
        expected.push(r);
        left -= r;
    }
    if left > 0 {
        expected.push(left);
    }
    let got: Vec<usize> = notifies
        .iter()
        .enumerate()
        .map(|(i, t0)| {
            let t1 = notifies.get(i + 1).copied().unwrap_or(u64::MAX);
            released.iter().filter(|r| **r >= *t0 && **r < t1).count()
        })
        .collect();
    c.check(
        "batches",
        "releases happen in the planned batch sizes",
        got == expected,
        format!(
            "released {}, planned {}",
            conlab_core::list(&got),
            conlab_core::list(&expected)
        ),
    );
    c.check(
        "none-early",
        "no waiter is released before the first notify",
        released
            .iter()
            .all(|r| notifies.first().is_some_and(|f| r >= f)),
        "",
    );
}

/// About how long a run takes: a gap before each notify.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_THREAD};
    let notifies = p.list("notify_plan").len() as u32 + 1;
    p.scale_ms(100).max(Duration::from_millis(40)) * notifies
        + times(p.usize("threads"), PER_THREAD)
}
