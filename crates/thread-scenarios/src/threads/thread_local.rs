//! thread-local: each thread sees its own value of a thread-local variable; the same built by
//! hand is a map keyed by thread id, shared under a lock.
//!
//! Written once against the thread seam: on OS threads and on the deterministic scheduler.

use conlab_core::{Checks, Text};
use conlab_threads::{Aborted, Local, Lock, Shared, Thread};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

/// Runs the scenario (on OS threads, or on the deterministic scheduler).
pub fn run(main: Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let n = main.params().usize("threads");
        let hold = main.params().duration("hold_ms");
        let value: Local<String> = Local::new(); // value = threading.local()
        let guard = Lock::new(&main, "by-hand map");
        let by_hand = Shared::new(&main, "by_hand", BTreeMap::<u32, String>::new());
        let mut handles = Vec::new();
        for _ in 0..n {
            let (value, guard, by_hand) = (value.clone(), guard.clone(), by_hand.clone());
            let body = move |me: Thread| async move {
                let mine = me.name();
                let ident = me.lane(); //                 threading.get_ident()
                value.set(&me, mine.clone()); //          value.name = mine
                let g = guard.acquire(&me).await?; //     with guard:
                by_hand
                    .update(&me, |m| {
                        m.insert(ident, mine.clone()); //      by_hand[ident] = mine
                    })
                    .await;
                g.release().await;
                me.sleep(hold).await?;
                let local = value.get(&me).unwrap_or_default();
                let g = guard.acquire(&me).await?;
                let manual = by_hand.get(&me).await.get(&ident).cloned();
                g.release().await;
                let manual = manual.unwrap_or_default();
                me.mark("read_back", Text::from(format!("{mine} {local} {manual}")));
                me.print(format!("{mine}: thread-local {local}, by hand {manual}"))
                    .await;
                Ok(())
            };
            handles.push(main.spawn(main.next_thread_name(), body).await?);
        }
        for h in &handles {
            h.join(&main).await?;
        }
        Ok(())
    })
}

/// Whether each read-back found the thread's own value, by both ways.
fn reads(c: &Checks) -> Vec<(String, bool)> {
    c.trace
        .marks_named("read_back")
        .map(|m| {
            let v: Vec<&str> = m.detail.split(' ').collect();
            let own = v.len() == 3 && v[0] == v[1] && v[0] == v[2];
            (v[0].to_string(), own)
        })
        .collect()
}

/// Checks: each thread reads back its own value, both from the thread-local and from the map.
pub fn checks(c: &mut Checks) {
    let n = c.params.usize("threads");
    let reads = reads(c);
    c.check(
        "own-value",
        "each thread reads back its own value (thread-local and by hand)",
        reads.len() == n && reads.iter().all(|(_, own)| *own),
        format!(
            "{} of {} its own",
            reads.iter().filter(|(_, own)| *own).count(),
            conlab_core::count_of(reads.len(), "read was", "reads were")
        ),
    );
}

/// About how long a run takes: one hold (the threads hold side by side).
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_THREAD};
    p.duration("hold_ms") + times(p.usize("threads"), PER_THREAD)
}

/// What a search tries to break: whatever the interleaving, each thread reads its own value.
pub fn properties(c: &Checks) -> Vec<(&'static str, Option<String>)> {
    let foreign = reads(c)
        .into_iter()
        .find(|(_, own)| !own)
        .map(|(who, _)| format!("{who} read a value not its own"));
    vec![("each thread sees its own value", foreign)]
}

/// This file, which the playground shows beside the run.
pub const SOURCE: &str = "crates/thread-scenarios/src/threads/thread_local.rs";

/// A hash of this file, made when conlab is built: a schedule found on other code is refused.
pub const CODE: u64 = conlab_sched::code_hash(include_bytes!("thread_local.rs"));
