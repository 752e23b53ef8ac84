//! thread-join-timeout: `join()` waits for a thread to finish; `join(timeout)` gives up after
//! the timeout and lets the caller carry on while the thread still runs.

use conlab_core::{Checks, Nanos};
use conlab_threads::{Aborted, Thread};
use std::future::Future;
use std::pin::Pin;

/// Runs the scenario (on OS threads, or on the deterministic scheduler).
pub fn run(main: Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let work = main.params().duration("work_ms");
        let timeout = main.params().duration("timeout_ms");
        for with_timeout in [false, true] {
            let name = main.next_thread_name();
            main.print(format!("create {name}")).await;
            let body = move |me: Thread| async move {
                me.sleep(work).await?;
                me.print(format!(
                    "{} worked for {}",
                    me.name(),
                    conlab_core::ms(work.as_nanos() as Nanos)
                ))
                .await;
                Ok(())
            };
            let h = main.spawn(name.clone(), body).await?;
            if with_timeout {
                let start = main.now();
                let finished = h.join_timeout(&main, timeout).await?;
                main.mark(
                    "join_timeout_returned",
                    conlab_core::Text::from(format!("{}", main.now() - start)),
                );
                main.print(format!(
                    "join(timeout) returned; {name} {}",
                    if finished {
                        "finished"
                    } else {
                        "is still running"
                    }
                ))
                .await;
            } else {
                h.join(&main).await?;
                main.print(format!("join() returned; {name} finished"))
                    .await;
            }
        }
        Ok(())
    })
}

/// Checks: each "create" line precedes its worker's line; join(timeout) returns within the
/// timeout (at min(work, timeout)); the thread is reported still running exactly when the
/// work outlasts the timeout.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let ordered = ["Thread-1", "Thread-2"].iter().all(|n| {
        let create = t
            .output
            .iter()
            .position(|l| l.text == format!("create {n}"));
        let worked = t
            .output
            .iter()
            .position(|l| l.text.starts_with(&format!("{n} worked")));
        match (create, worked) {
            (Some(a), Some(b)) => a < b,
            (Some(_), None) => true, // still running when the run ended is not possible, but no line is no disorder
            _ => false,
        }
    });
    c.check(
        "create-first",
        "each create line precedes its worker's line",
        ordered,
        format!("output {}", conlab_core::quoted(&t.output_texts())),
    );
    let work = c.params.duration("work_ms");
    let timeout = c.params.duration("timeout_ms");
    let returned = t.marks_named("join_timeout_returned").next();
    let waited: Nanos = returned
        .and_then(|m| m.detail.parse().ok())
        .unwrap_or(u64::MAX);
    // The worker's work began when it started, which may be before the join began (main
    // held up between starting it and joining, on a busy machine): the join then waits for
    // what is left of the work.
    let head_start = returned
        .zip(t.lanes.iter().find(|l| l.name == "Thread-2"))
        .map_or(0, |(m, worker)| {
            m.t.saturating_sub(waited)
                .saturating_sub(worker.start)
                .min(work.as_nanos() as Nanos)
        });
    let work_left = work.saturating_sub(std::time::Duration::from_nanos(head_start));
    // Told apart from a join that waits for whichever of the two comes later.
    let (wrong, what) = if timeout < work_left {
        (work_left, "a join that ignored its timeout")
    } else {
        (timeout, "a join that returned only at its timeout")
    };
    c.time(
        "join-timeout",
        "join(timeout) returns at min(work, timeout)",
        waited,
    )
    .about(work_left.min(timeout))
    .unlike(wrong, what)
    .judge();
    let still = t.output.iter().any(|l| l.text.contains("is still running"));
    let expect_still = work > timeout + std::time::Duration::from_nanos(c.tolerance.late);
    let expect_done = work + std::time::Duration::from_nanos(c.tolerance.late) < timeout;
    let detail = format!(
        "work {}, timeout {}, still running: {}",
        conlab_core::ms(work.as_nanos() as u64),
        conlab_core::ms(timeout.as_nanos() as u64),
        if still { "yes" } else { "no" }
    );
    if expect_still || expect_done {
        c.check(
            "alive-after-timeout",
            "after join(timeout) the thread is still running iff its work outlasts the timeout",
            (!expect_still || still) && (!expect_done || !still),
            detail,
        );
    } else {
        c.not_judged(
            "alive-after-timeout",
            "after join(timeout) the thread is still running iff its work outlasts the timeout",
            format!("{detail}: the work ends too near the timeout to say which comes first"),
        );
    }
}

/// About how long a run takes: two workers, one after the other.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_THREAD};
    p.duration("work_ms") * 2 + times(2, PER_THREAD)
}

/// What a search tries to break: join(timeout) never waits past its timeout.
pub fn properties(c: &Checks) -> Vec<(&'static str, Option<String>)> {
    let timeout = c.params.duration("timeout_ms").as_nanos() as Nanos;
    let waited = c
        .trace
        .marks_named("join_timeout_returned")
        .find_map(|m| m.detail.parse::<Nanos>().ok());
    let broken = waited
        .filter(|w| *w > timeout)
        .map(|w| format!("join(timeout) waited {}", conlab_core::ms(w)));
    vec![("join(timeout) returns by its timeout", broken)]
}

/// This file, which the playground shows beside the run.
pub const SOURCE: &str = "crates/thread-scenarios/src/threads/thread_join_timeout.rs";

/// A hash of this file, made when conlab is built: a schedule found on other code is refused.
pub const CODE: u64 = conlab_sched::code_hash(include_bytes!("thread_join_timeout.rs"));
