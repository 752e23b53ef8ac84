//! lock: a Lock makes "append, then read the last element" atomic: every thread reads back
//! what it appended, and the critical sections never overlap.

use conlab_core::{Checks, Fault, SpanState, Text};
use conlab_threads::{Aborted, Lock, Shared, Thread};
use std::future::Future;
use std::pin::Pin;

/// Runs the scenario (on OS threads, or on the deterministic scheduler).
pub fn run(main: Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let n = main.params().usize("threads");
        let hold = main.params().duration("hold_ms");
        let lock = Lock::new(&main, "list");
        let list = Shared::new(&main, "list", Vec::<usize>::new());
        let mut handles = Vec::new();
        for i in 0..n {
            let (lock, list) = (lock.clone(), list.clone());
            let body = move |me: Thread| async move {
                let mut held = lock.acquire(&me).await?; // with lock:
                let mut l = list.get(&me).await;
                l.push(i);
                list.set(&me, l).await; // lst.append(i)
                held.sleep(hold).await?; // time.sleep inside `with lock:`: still held
                let last = *list.get(&me).await.last().unwrap_or(&usize::MAX);
                held.release().await;
                me.mark("pair", Text::from(format!("{i} {last}")));
                me.print(format!("appended {i}, last is {last}")).await;
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

/// Whether a thread reached the lock while another held it: otherwise nothing competed for
/// it, and a lock that excluded nobody would show the same. A thread reaches it where its wait
/// for it begins, or (if it did not wait) where its hold begins.
pub(crate) fn contended(t: &conlab_core::Trace) -> bool {
    let holds: Vec<_> = t
        .spans
        .iter()
        .filter(|s| s.state == SpanState::HoldingLock)
        .collect();
    let reached = |lane: u32, held_from: u64| {
        t.spans
            .iter()
            .filter(|s| s.lane == lane && s.state == SpanState::WaitingLock && s.end <= held_from)
            .map(|s| s.start)
            .max()
            .unwrap_or(held_from)
            .min(held_from)
    };
    holds.iter().any(|mine| {
        let at = reached(mine.lane, mine.start);
        holds
            .iter()
            .any(|other| other.lane != mine.lane && other.start <= at && at < other.end)
    })
}

/// Checks: every printed pair matches, and no two threads held the lock at the same time —
/// judged where a thread reached the lock while another held it.
pub fn checks(c: &mut Checks) {
    let n = c.params.usize("threads");
    let hold = c.params.duration("hold_ms");
    let pairs: Vec<bool> = c
        .trace
        .marks_named("pair")
        .map(|m| m.detail.split_once(' ').is_some_and(|(a, b)| a == b))
        .collect();
    let mut held = c.trace.intervals(SpanState::HoldingLock);
    conlab_core::sort::sort_unstable(&mut held);
    let pairs_detail = format!(
        "{} of {} pairs match",
        pairs.iter().filter(|p| **p).count(),
        pairs.len()
    );
    let sections_detail =
        conlab_core::count_of(held.len(), "critical section", "critical sections");
    let pairs_ok = pairs.len() == n && pairs.iter().all(|p| *p);
    let sections_ok = held.len() == n && held.windows(2).all(|w| w[1].0 >= w[0].1);
    let measurable = contended(c.trace) && !hold.is_zero();
    let why = if hold.is_zero() {
        "with hold_ms=0 a thread holds the lock too briefly for another to get in even without it"
    } else {
        "no thread reached the lock while another held it, so nothing competed for it"
    };
    if measurable || !pairs_ok {
        c.check(
            "pairs-match",
            "every pair of printed values matches",
            pairs_ok,
            pairs_detail,
        )
        .guards(&[Fault::LockNotExclusive]);
    } else {
        c.not_judged(
            "pairs-match",
            "every pair of printed values matches",
            format!("{pairs_detail}; {why}"),
        );
    }
    if measurable || !sections_ok {
        c.check(
            "sections-exclusive",
            "critical sections never overlap",
            sections_ok,
            sections_detail,
        )
        .guards(&[Fault::LockNotExclusive]);
    } else {
        c.not_judged(
            "sections-exclusive",
            "critical sections never overlap",
            format!("{sections_detail}; {why}"),
        );
    }
}

/// About how long a run takes: every hold, one thread at a time.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_THREAD};
    let n = p.usize("threads");
    p.duration("hold_ms") * n as u32 + times(n, PER_THREAD)
}

/// What a search tries to break: every thread reads back what it appended.
pub fn properties(c: &Checks) -> Vec<(&'static str, Option<String>)> {
    let broken = c.trace.marks_named("pair").find_map(|m| {
        let (appended, last) = m.detail.split_once(' ')?;
        (appended != last).then(|| format!("a thread appended {appended} and read back {last}"))
    });
    vec![("with the lock", broken)]
}

/// This file, which the playground shows beside the run.
pub const SOURCE: &str = "crates/thread-scenarios/src/threads/lock.rs";

/// A hash of this file, made when conlab is built: a schedule found on other code is refused.
pub const CODE: u64 = conlab_sched::code_hash(include_bytes!("lock.rs"));
