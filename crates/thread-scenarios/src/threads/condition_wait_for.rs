//! condition-wait-for: `wait_for(predicate)` blocks until a predicate over shared state holds,
//! re-checking it at every notification.

use conlab_core::{Checks, Text};
use conlab_threads::{Aborted, Condition, Shared, Thread};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// Runs the scenario (on OS threads, or on the deterministic scheduler).
pub fn run(main: Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let n = main.params().usize("threads");
        let gap = main.params().scale_ms(50).max(Duration::from_millis(20));
        let cond = Condition::new(&main, "counter");
        let counter = Shared::new(&main, "counter", 0usize);
        let mut handles = Vec::new();
        for i in 1..=n {
            let (cond, counter) = (cond.clone(), counter.clone());
            let body = move |me: Thread| async move {
                let mut g = cond.lock(&me).await?; // with cond:
                while counter.get(&me).await < i {
                    g.wait().await?; //                   cond.wait_for(lambda: counter >= i)
                }
                g.release().await;
                me.mark("proceeds", Text::from(i.to_string()));
                me.print(format!("{} proceeds: counter reached {i}", me.name()))
                    .await;
                Ok(())
            };
            handles.push(main.spawn(main.next_thread_name(), body).await?);
        }
        for k in 1..=n {
            main.sleep(gap).await?;
            let mut g = cond.lock(&main).await?;
            counter.set(&main, k).await;
            main.mark("counter", Text::from(k.to_string()));
            g.notify_all().await;
            g.release().await;
        }
        for h in &handles {
            h.join(&main).await?;
        }
        Ok(())
    })
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
        format!(
            "{} waiters proceeded",
            conlab_core::of(proceeded as u64, n as u64)
        ),
    );
}

/// About how long a run takes: a gap before each update of the counter.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_THREAD};
    let n = p.usize("threads");
    p.scale_ms(50).max(Duration::from_millis(20)) * n as u32 + times(n, PER_THREAD)
}

/// What a search tries to break: nobody proceeds before the counter reached its number, in
/// the order things were recorded (on the scheduler they may share one instant).
pub fn properties(c: &Checks) -> Vec<(&'static str, Option<String>)> {
    let t = c.trace;
    let early = t.marks_named("proceeds").find_map(|m| {
        let set = t.marks_named("counter").find(|k| k.detail == m.detail);
        set.is_none_or(|k| m.order < k.order)
            .then(|| format!("a waiter proceeded before the counter reached {}", m.detail))
    });
    vec![("waiters proceed only once their predicate holds", early)]
}

/// This file, which the playground shows beside the run.
pub const SOURCE: &str = "crates/thread-scenarios/src/threads/condition_wait_for.rs";

/// A hash of this file, made when conlab is built: a schedule found on other code is refused.
pub const CODE: u64 = conlab_sched::code_hash(include_bytes!("condition_wait_for.rs"));
