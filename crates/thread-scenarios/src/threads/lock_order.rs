//! lock-order: two threads take two locks, `a` and `b`.
//! - In opposite orders (Thread-1 `a` then `b`, Thread-2 `b` then `a`), each may hold one and
//!   wait forever for the other: a deadlock, drawn as its wait-for cycle. The two threads are
//!   watched for it (natively by a watchdog of their own, on the scheduler the moment nothing
//!   can step), cut off and reported.
//! - In one order (both `a` then `b`), whoever has `a` gets `b` too: no deadlock can happen.
//!
//! Written once against the thread seam: it runs on OS threads and on the deterministic
//! scheduler, where `conlab explore` finds the interleaving that deadlocks.

use conlab_core::{Checks, Text};
use conlab_threads::{Aborted, Lock, Thread, Watch};
use std::future::Future;
use std::pin::Pin;

/// The phases, as their marks and checks call them.
const OPPOSITE: &str = "opposite";
const SAME: &str = "same";

/// Runs the scenario.
pub fn run(main: Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        main.phase_start(OPPOSITE);
        main.print("two threads take locks a and b in opposite orders…")
            .await;
        let watch = Watch::new(&main, "lock-order");
        let (a, b) = (Lock::new(&main, "a"), Lock::new(&main, "b"));
        let first = watch
            .spawn(
                &main,
                main.next_thread_name(),
                both(OPPOSITE, a.clone(), b.clone()),
            )
            .await?;
        let second = watch
            .spawn(&main, main.next_thread_name(), both(OPPOSITE, b, a))
            .await?;
        first.join(&main).await?;
        second.join(&main).await?;
        watch.stop();
        match watch.deadlock(&main) {
            Some(deadlock) => {
                deadlock.mark(&main); // the wait-for arrows, and the report
                main.print(format!("watchdog: deadlock — {}", deadlock.words))
                    .await;
            }
            None => main.print("no deadlock this time").await,
        }
        main.phase_end(OPPOSITE);

        main.phase_start(SAME);
        main.print("now both take a, then b…").await;
        let (a, b) = (Lock::new(&main, "a"), Lock::new(&main, "b"));
        let mut handles = Vec::new();
        for _ in 0..2 {
            let body = both(SAME, a.clone(), b.clone());
            handles.push(main.spawn(main.next_thread_name(), body).await?);
        }
        for h in &handles {
            h.join(&main).await?;
        }
        main.print("both finished").await;
        main.phase_end(SAME);
        Ok(())
    })
}

/// A thread's code in phase `phase`: takes `first`, holds it `hold_ms`, then takes `second`
/// too.
fn both(
    phase: &'static str,
    first: Lock,
    second: Lock,
) -> impl FnOnce(Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> + Send {
    move |me: Thread| {
        Box::pin(async move {
            let hold = me.params().duration("hold_ms");
            let mut outer = first.acquire(&me).await?; // with first:
            if !hold.is_zero() {
                outer.sleep(hold).await?; // time.sleep(hold)
            }
            let inner = second.acquire(&me).await?; // with second:
            me.mark("took_both", Text::from(format!("{phase} {}", me.name())));
            me.print(format!("{} holds both locks", me.name())).await;
            inner.release().await;
            outer.release().await;
            Ok(())
        })
    }
}

/// How many threads of phase `phase` took both locks (its marks name their phase: on the
/// scheduler a phase may take no time at all).
fn took_both(c: &Checks, phase: &str) -> usize {
    c.trace
        .marks_named("took_both")
        .filter(|m| m.detail.split(' ').next() == Some(phase))
        .count()
}

/// Checks: in opposite orders the threads deadlock where they met (each holding one lock and
/// asking for the other), reported as a cycle of two waits; in one order they never deadlock
/// and both finish. Where the threads never met (one had both locks before the other took its
/// first), neither lesson could show, and neither is judged.
pub fn checks(c: &mut Checks) {
    let (Some(_), Some(_)) = (c.phase(OPPOSITE), c.phase(SAME)) else {
        c.check("phases", "both phases ran", false, "missing phase marks");
        return;
    };
    // Only the phase of opposite orders is watched for a deadlock, and reports one.
    let deadlocks: Vec<_> = c.trace.marks_named("deadlock").collect();
    let arrows = c.trace.marks_named("waits_for").count();
    let met = !deadlocks.is_empty();
    let what = "in opposite orders each thread holds one lock and waits for the other: a deadlock";
    match deadlocks.first() {
        Some(report) => {
            let cycle = report
                .detail
                .contains("waits for lock `b` held by Thread-2")
                && report
                    .detail
                    .contains("waits for lock `a` held by Thread-1");
            c.check(
                "opposite-deadlock",
                what,
                cycle && arrows == 2,
                format!("a cycle of {arrows} waits: {}", report.detail),
            );
        }
        None => {
            let finished = took_both(c, OPPOSITE);
            c.not_judged(
                "opposite-deadlock",
                what,
                format!(
                    "no deadlock this run: {finished} of 2 threads took both locks, one before \
                     the other took its first, so they never each held one"
                ),
            );
        }
    }
    let finished = took_both(c, SAME);
    let what = "in one order both threads finish: no deadlock";
    if met || finished < 2 {
        c.check(
            "same-order-no-deadlock",
            what,
            finished == 2,
            format!("{finished} of 2 threads took both locks"),
        );
    } else {
        c.not_judged(
            "same-order-no-deadlock",
            what,
            format!(
                "{finished} of 2 threads took both locks; in opposite orders the threads never \
                 met either, so one order had nothing to prevent"
            ),
        );
    }
}

/// About how long a run takes: each phase's holds, and natively the watchdog noticing the
/// deadlock.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_THREAD};
    use std::time::Duration;
    p.duration("hold_ms") * 3 + times(4, PER_THREAD) + Duration::from_millis(400)
}

/// What a search tries to break: in opposite orders, a deadlock (the lesson); in one order
/// none (the fix), where a deadlock would end the run.
pub fn properties(c: &Checks) -> Vec<(&'static str, Option<String>)> {
    let opposite = c
        .trace
        .marks_named("deadlock")
        .next()
        .map(|m| m.detail.clone());
    let same = match &c.trace.status {
        conlab_core::Status::Failed { reason } if reason.starts_with("deadlock") => {
            Some(reason.clone())
        }
        _ => None,
    };
    vec![("in opposite orders", opposite), ("in one order", same)]
}

/// This file, which the playground shows beside the run.
pub const SOURCE: &str = "crates/thread-scenarios/src/threads/lock_order.rs";

/// A hash of this file, made when conlab is built: a schedule found on other code is refused.
pub const CODE: u64 = conlab_sched::code_hash(include_bytes!("lock_order.rs"));
