//! condition-notify: threads wait on a Condition; each `notify(n)` releases exactly n of them.

use conlab_core::{Checks, Text};
use conlab_threads::{Aborted, Condition, Thread};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// The pause between notifications, so each batch's releases are told apart.
fn gap(main: &Thread) -> Duration {
    main.params().scale_ms(100).max(Duration::from_millis(40))
}

/// Runs the scenario (on OS threads, or on the deterministic scheduler).
pub fn run(main: Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let n = main.params().usize("threads");
        let plan: Vec<usize> = main
            .params()
            .list("notify_plan")
            .iter()
            .map(|v| *v as usize)
            .collect();
        let cond = Condition::new(&main, "cond");
        let mut handles = Vec::new();
        for _ in 0..n {
            let cond = cond.clone();
            let body = move |me: Thread| async move {
                let mut g = cond.lock(&me).await?; // with cond:
                g.wait().await?; //                    cond.wait()
                g.release().await;
                me.mark("released", "");
                me.print(format!("{} released", me.name())).await;
                Ok(())
            };
            handles.push(main.spawn(main.next_thread_name(), body).await?);
        }
        // Wait until every thread waits, so notify(k) has k to release.
        loop {
            let g = cond.lock(&main).await?;
            let waiting = g.waiters();
            g.release().await;
            if waiting == n {
                break;
            }
            main.sleep(Duration::from_millis(2)).await?;
        }
        let mut left = n;
        for k in plan {
            main.sleep(gap(&main)).await?;
            let mut g = cond.lock(&main).await?;
            // Marked while holding the lock: no waiter can return from wait() before it.
            main.mark("notify", Text::from(k.to_string()));
            let released = g.notify(k).await;
            g.release().await;
            left -= released;
            main.print(format!("notify({k}) releases {released}")).await;
        }
        if left > 0 {
            main.sleep(gap(&main)).await?;
            let mut g = cond.lock(&main).await?;
            main.mark("notify", "all");
            let released = g.notify_all().await;
            g.release().await;
            main.print(format!("notify_all() releases the remaining {released}"))
                .await;
        }
        for h in &handles {
            h.join(&main).await?;
        }
        Ok(())
    })
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

/// What a search tries to break: no waiter goes on before a notification counted it out.
pub fn properties(c: &Checks) -> Vec<(&'static str, Option<String>)> {
    let t = c.trace;
    let first = t.marks_named("notify").map(|m| m.order).min();
    let early = t
        .marks_named("released")
        .any(|m| first.is_none_or(|f| m.order < f))
        .then(|| "a waiter went on before the first notify".to_string());
    vec![("waiters go on only when notified", early)]
}

/// This file, which the playground shows beside the run.
pub const SOURCE: &str = "crates/thread-scenarios/src/threads/condition_notify.rs";

/// A hash of this file, made when conlab is built: a schedule found on other code is refused.
pub const CODE: u64 = conlab_sched::code_hash(include_bytes!("condition_notify.rs"));
