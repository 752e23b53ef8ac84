//! rlock: a re-entrant lock can be taken again by the thread that holds it. The same with a
//! plain lock deadlocks: the thread waits for a lock it holds itself. Its threads are watched
//! for that deadlock (natively by a watchdog of their own, on the scheduler the moment nothing
//! can step), which is cut off and reported: who waits for what.
//!
//! Written once against the thread seam: it runs on OS threads and on the deterministic
//! scheduler.

use conlab_core::{Checks, Text};
use conlab_threads::{Aborted, Lock, Shared, Thread, Watch};
use std::future::Future;
use std::pin::Pin;

/// Runs the scenario.
pub fn run(main: Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let n = main.params().usize("threads");
        let rlock = Lock::reentrant(&main, "rlock");
        let count = Shared::new(&main, "count", 0usize);
        let mut handles = Vec::new();
        for _ in 0..n {
            let (rlock, count) = (rlock.clone(), count.clone());
            let body = move |me: Thread| async move {
                let outer = rlock.acquire(&me).await?; // with rlock:
                let inner = rlock.acquire(&me).await?; // with rlock: (again)
                let c = count.get(&me).await + 1; // count += 1
                count.set(&me, c).await;
                me.mark("rlock_twice", Text::from(c.to_string()));
                me.print(format!("{} took the RLock twice (count {c})", me.name()))
                    .await;
                inner.release().await;
                outer.release().await;
                Ok(())
            };
            handles.push(main.spawn(main.next_thread_name(), body).await?);
        }
        for h in &handles {
            h.join(&main).await?;
        }

        // The plain lock, its thread watched: its deadlock is the lesson, not a failure of
        // the run.
        main.mark("plain_start", "");
        main.print("now the same with a plain Lock…").await;
        let watch = Watch::new(&main, "rlock-plain");
        let plain = Lock::new(&main, "plain");
        let body = move |me: Thread| async move {
            let _first = plain.acquire(&me).await?; // with lock:
            me.print("Thread-plain took the Lock once and takes it again…")
                .await;
            let _second = plain.acquire(&me).await?; // with lock: (again)
            me.print("Thread-plain took it twice (impossible)").await;
            Ok(())
        };
        let h = watch.spawn(&main, "Thread-plain".into(), body).await?;
        h.join(&main).await?;
        watch.stop();
        match watch.deadlock(&main) {
            Some(deadlock) => {
                deadlock.mark(&main); // the wait-for arrows, and the report
                main.print(format!("watchdog: deadlock — {}", deadlock.words))
                    .await;
            }
            None => main.print("watchdog: no deadlock reported").await,
        }
        Ok(())
    })
}

/// Checks: every thread took the RLock twice; the plain-lock variant was reported as a
/// deadlock (the thread waits for a lock it holds itself), promptly, and never got further.
pub fn checks(c: &mut Checks) {
    let n = c.params.usize("threads");
    let t = c.trace;
    let twice = t.marks_named("rlock_twice").count();
    c.check(
        "reentrant-completes",
        "the re-entrant run completes",
        twice == n,
        format!("{} threads", conlab_core::of(twice as u64, n as u64)),
    );
    let report = t.marks_named("deadlock").next();
    let names_itself = report.is_some_and(|m| {
        m.detail
            .contains("Thread-plain waits for lock `plain` held by itself")
    });
    c.check(
        "deadlock-reported",
        "the plain-mutex variant is reported as a deadlock, with who waits for what",
        names_itself,
        report
            .map(|m| m.detail.clone())
            .unwrap_or_else(|| "no report".into()),
    );
    let start = t
        .marks_named("plain_start")
        .next()
        .map(|m| m.t)
        .unwrap_or(0);
    let at = report.map(|m| m.t).unwrap_or(u64::MAX);
    c.check(
        "reported-promptly",
        "the deadlock is reported within 2 s, not a hang",
        at.saturating_sub(start) <= 2_000_000_000,
        format!("after {}", conlab_core::ms(at.saturating_sub(start))),
    );
    let impossible = t.output.iter().any(|l| l.text.contains("impossible"));
    c.check(
        "stuck",
        "the plain lock is never taken twice",
        !impossible,
        "",
    );
}

/// About how long a run takes: starting the threads, then the watchdog noticing the plain lock's deadlock.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_THREAD};
    use std::time::Duration;
    times(p.usize("threads"), PER_THREAD) + Duration::from_millis(400)
}

/// What a search tries to break: each thread takes the RLock twice, and the plain lock taken
/// twice never gets further (a deadlock, the lesson).
pub fn properties(c: &Checks) -> Vec<(&'static str, Option<String>)> {
    let t = c.trace;
    let n = c.params.usize("threads");
    let twice = t.marks_named("rlock_twice").count();
    let reentrant = (twice != n).then(|| {
        format!(
            "{} threads took the RLock twice",
            conlab_core::of(twice as u64, n as u64)
        )
    });
    let plain = t.marks_named("deadlock").next().map(|m| m.detail.clone());
    vec![
        ("the RLock taken twice", reentrant),
        ("a plain Lock taken twice", plain),
    ]
}

/// This file, which the playground shows beside the run.
pub const SOURCE: &str = "crates/thread-scenarios/src/threads/rlock.rs";

/// A hash of this file, made when conlab is built: a schedule found on other code is refused.
pub const CODE: u64 = conlab_sched::code_hash(include_bytes!("rlock.rs"));
