//! event: one `set()` releases every thread waiting on an Event; `clear()` re-arms it for the
//! next round.

use conlab_core::{Checks, Nanos, Text};
use conlab_threads::{Aborted, Event, Thread};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// Runs the scenario (on OS threads, or on the deterministic scheduler).
pub fn run(main: Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let n = main.params().usize("threads");
        let rounds = main.params().usize("rounds");
        let gap = main.params().scale_ms(100).max(Duration::from_millis(30));
        let event = Event::new(&main, "event");
        for round in 0..rounds {
            let mut handles = Vec::new();
            for _ in 0..n {
                let event = event.clone();
                let body = move |me: Thread| async move {
                    event.wait(&me).await?;
                    me.mark("released", Text::from(round.to_string()));
                    me.print(format!("round {round}: {} released", me.name()))
                        .await;
                    Ok(())
                };
                handles.push(main.spawn(main.next_thread_name(), body).await?);
            }
            main.sleep(gap).await?;
            main.mark("set", Text::from(round.to_string()));
            main.print(format!("round {round}: set()")).await;
            event.set(&main).await;
            for h in &handles {
                h.join(&main).await?;
            }
            event.clear(&main).await;
            main.mark("clear", Text::from(round.to_string()));
        }
        Ok(())
    })
}

/// What waking one more waiting thread may add, on a busy 2-core machine (each woken thread
/// also records its release; 0.5 ms let 256 threads over 32 rounds fail now and then).
const WAKE_EACH: Nanos = 1_000_000;

/// Checks: every waiter of a round is released after that round's set() and within one tick
/// of it (plus the time to wake them all); nobody is released while the event is clear.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let n = c.params.usize("threads");
    let rounds = c.params.usize("rounds");
    // set() wakes every waiter, but the OS runs them a few at a time: on a busy 2-core machine
    // each woken thread may wait its turn behind the others.
    let tick = c.tolerance.late.max(1_000_000) + n as Nanos * WAKE_EACH;
    let mut bad = Vec::new();
    for r in 0..rounds {
        let key = r.to_string();
        let set = t.mark_time("set", &key);
        let released: Vec<u64> = t
            .marks
            .iter()
            .filter(|m| m.name == "released" && m.detail == key)
            .map(|m| m.t)
            .collect();
        let ok = set.is_some_and(|s| {
            released.len() == n && released.iter().all(|x| *x >= s && *x - s <= tick)
        });
        if !ok {
            let last = released.iter().max().copied().unwrap_or(0);
            bad.push(format!(
                "round {r}: {} released, {}",
                released.len(),
                set.map_or("never set".to_string(), |s| format!(
                    "set at {}, the last released {} after (allowed {})",
                    conlab_core::ms(s),
                    conlab_core::ms(last.saturating_sub(s)),
                    conlab_core::ms(tick)
                ))
            ));
        }
    }
    c.check(
        "released-together",
        "all waiters of a round are released within one tick of set()",
        bad.is_empty(),
        bad.join("; "),
    );
}

/// About how long a run takes: a gap before each round's set().
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_THREAD};
    let (n, rounds) = (p.usize("threads"), p.usize("rounds"));
    (p.scale_ms(100).max(Duration::from_millis(30)) + times(n, PER_THREAD)) * rounds as u32
}

/// What a search tries to break: nobody is released before its round's set().
pub fn properties(c: &Checks) -> Vec<(&'static str, Option<String>)> {
    // By the order marks were recorded: on the scheduler a set and its releases may share
    // one instant of virtual time.
    let t = c.trace;
    let early = t.marks_named("released").find_map(|m| {
        let set = t.marks_named("set").find(|s| s.detail == m.detail);
        set.is_none_or(|s| m.order < s.order)
            .then(|| format!("a thread was released in round {} before set()", m.detail))
    });
    vec![("released only by set()", early)]
}

/// This file, which the playground shows beside the run.
pub const SOURCE: &str = "crates/thread-scenarios/src/threads/event.rs";

/// A hash of this file, made when conlab is built: a schedule found on other code is refused.
pub const CODE: u64 = conlab_sched::code_hash(include_bytes!("event.rs"));
