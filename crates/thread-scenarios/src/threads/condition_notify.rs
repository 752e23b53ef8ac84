//! condition-notify: threads wait on a Condition for items; each `notify(n)` adds n items and
//! wakes n waiters.
//! - `wait=while`: a woken thread checks again (`while items == 0: cond.wait()`); if another
//!   thread took the item meanwhile, it waits again.
//! - `wait=if`: it checks once (`if items == 0: cond.wait()`). A thread that comes in between a
//!   notify and the waiter it woke takes that waiter's item, and the waiter goes on with none.
//!
//! The first notify comes as soon as the threads are started, so some may not wait yet: they
//! take an item at once. Written once against the thread seam: on the deterministic scheduler,
//! `conlab explore` finds the interleaving where `if` lets a thread go on with no item.

use conlab_core::{Checks, Text, Trace};
use conlab_threads::{Aborted, Condition, Shared, Thread};
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
        let recheck = main.params().choice("wait") != "if";
        let cond = Condition::new(&main, "cond");
        let items = Shared::new(&main, "items", 0usize);
        let mut handles = Vec::new();
        for _ in 0..n {
            let (cond, items) = (cond.clone(), items.clone());
            let body = move |me: Thread| async move {
                let mut g = cond.lock(&me).await?; // with cond:
                if recheck {
                    while items.get(&me).await == 0 {
                        //                            while items == 0:
                        me.mark("wait", "");
                        g.wait().await?; //               cond.wait()
                    }
                } else if items.get(&me).await == 0 {
                    //                                if items == 0:
                    me.mark("wait", "");
                    g.wait().await?; //                   cond.wait()
                }
                let there = items.get(&me).await;
                if there == 0 {
                    // Python's items.pop() would raise IndexError here.
                    me.mark("empty", me.name());
                    me.print(format!("{} woke, found no item, and went on", me.name()))
                        .await;
                } else {
                    items.set(&me, there - 1).await; // items -= 1
                    me.mark("released", "");
                    me.print(format!("{} takes an item", me.name())).await;
                }
                g.release().await;
                Ok(())
            };
            handles.push(main.spawn(main.next_thread_name(), body).await?);
        }
        let mut left = n;
        let plan = main.params().list("notify_plan").to_vec();
        for (i, k) in plan.into_iter().map(|k| k as usize).enumerate() {
            if i > 0 {
                main.sleep(gap(&main)).await?;
            }
            let k = k.min(left);
            let mut g = cond.lock(&main).await?; // with cond:
            let had = items.get(&main).await;
            items.set(&main, had + k).await; //      items += k
                                             // Marked while holding the lock: no waiter can return from wait() before it.
            main.mark("notify", Text::from(k.to_string()));
            let woken = g.notify(k).await; //        cond.notify(k)
            g.release().await;
            left -= k;
            main.print(format!("notify({k}) wakes {woken}")).await;
        }
        if left > 0 {
            main.sleep(gap(&main)).await?;
            let mut g = cond.lock(&main).await?;
            let had = items.get(&main).await;
            items.set(&main, had + left).await;
            main.mark("notify", "all");
            let woken = g.notify_all().await;
            g.release().await;
            main.print(format!("notify_all() wakes the remaining {woken}"))
                .await;
        }
        for h in &handles {
            h.join(&main).await?;
        }
        Ok(())
    })
}

/// When the marks named `name` happened: their time, then their order (a scheduled run does
/// a batch at one instant, in order; an OS-thread run numbers marks per thread).
fn orders(t: &Trace, name: &str) -> Vec<(u64, u64)> {
    t.marks_named(name).map(|m| (m.t, m.order)).collect()
}

/// Threads that woke, found no item, and went on (`wait=if`), by name.
fn empty_handed(t: &Trace) -> Vec<String> {
    t.marks_named("empty").map(|m| m.detail.clone()).collect()
}

/// Checks: each batch lets through as many threads as it added items (fewer if fewer threads
/// are left), none before the first notify; and what `while` or `if` did with a thread that
/// woke to find its item taken.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let notifies = orders(t, "notify");
    let released = orders(t, "released");
    let empties = orders(t, "empty");
    let in_batch = |of: &[(u64, u64)], i: usize| {
        let end = (u64::MAX, u64::MAX);
        let (from, to) = (notifies[i], notifies.get(i + 1).copied().unwrap_or(end));
        of.iter().filter(|o| **o >= from && **o < to).count()
    };
    // What each batch should let through: the items there, if threads are left to take them.
    // A thread that went on with none (wait=if) takes nothing and is gone.
    let (mut expected, mut got) = (Vec::new(), Vec::new());
    let (mut have, mut threads) = (0usize, c.params.usize("threads"));
    for (i, m) in t.marks_named("notify").enumerate() {
        have += m.detail.parse::<usize>().unwrap_or(threads);
        threads = threads.saturating_sub(in_batch(&empties, i));
        let take = have.min(threads);
        expected.push(take);
        got.push(in_batch(&released, i));
        have -= take;
        threads -= take;
    }
    c.check(
        "batches",
        "each notify lets through as many threads as it added items",
        got == expected && !notifies.is_empty(),
        format!(
            "took {}, items there {}",
            conlab_core::list(&got),
            conlab_core::list(&expected)
        ),
    );
    c.check(
        "none-early",
        "no thread takes an item before the first notify",
        released
            .iter()
            .all(|r| notifies.first().is_some_and(|f| r >= f)),
        "",
    );
    // A thread woke to find its item taken: it waited twice (while), or went on empty (if).
    let waits_again = t
        .lanes
        .iter()
        .any(|l| t.marks_named("wait").filter(|m| m.lane == l.id).count() > 1);
    let gone = empty_handed(t);
    if c.params.choice("wait") == "if" {
        let what = "waiting with `if`, a woken thread goes on although another took its item";
        // Each one that went on with none must have lost its item to a take after a notify.
        let taken_from = empties.iter().all(|e| {
            let since = notifies.iter().filter(|n| *n < e).max().copied();
            let since = since.unwrap_or_default();
            released.iter().any(|r| *r > since && r < e)
        });
        if gone.is_empty() {
            c.not_judged(
                "if-goes-on",
                what,
                "every woken thread found an item: no thread took one between a notify and \
                 the thread it woke",
            );
        } else {
            c.check(
                "if-goes-on",
                what,
                taken_from,
                format!(
                    "{} found no item and went on: {}",
                    conlab_core::count_of(gone.len(), "thread", "threads"),
                    gone.join(", ")
                ),
            );
        }
    } else if waits_again || !gone.is_empty() {
        c.check(
            "while-waits-again",
            "waiting with `while`, a woken thread that finds its item taken waits again",
            gone.is_empty(),
            if gone.is_empty() {
                "a thread woke to an item taken, checked again and waited".to_string()
            } else {
                format!("went on with no item: {}", gone.join(", "))
            },
        );
    }
}

/// About how long a run takes: a gap before each notify after the first.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_THREAD};
    let notifies = p.list("notify_plan").len() as u32;
    p.scale_ms(100).max(Duration::from_millis(40)) * notifies
        + times(p.usize("threads"), PER_THREAD)
}

/// What a search tries to break: every thread goes on with an item.
pub fn properties(c: &Checks) -> Vec<(&'static str, Option<String>)> {
    let t = c.trace;
    let broken = empty_handed(t)
        .first()
        .map(|who| format!("{who} woke, found no item, and went on: another thread took it first"));
    let name = if c.params.choice("wait") == "if" {
        "waiting with if"
    } else {
        "waiting with while"
    };
    vec![(name, broken)]
}

/// This file, which the playground shows beside the run.
pub const SOURCE: &str = "crates/thread-scenarios/src/threads/condition_notify.rs";

/// A hash of this file, made when conlab is built: a schedule found on other code is refused.
pub const CODE: u64 = conlab_sched::code_hash(include_bytes!("condition_notify.rs"));
