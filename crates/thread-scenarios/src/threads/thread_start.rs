//! thread-start: starting a thread only schedules it; the main thread carries on without
//! waiting, and the OS decides when each worker runs.

use conlab_core::{Checks, Fault, LaneKind};
use conlab_threads::{Aborted, Thread};
use std::future::Future;
use std::pin::Pin;

/// Runs the scenario (on OS threads, or on the deterministic scheduler).
pub fn run(main: Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        let n = main.params().usize("threads");
        let work = main.params().scale_ms(50);
        let mut handles = Vec::with_capacity(n);
        for _ in 0..n {
            let body = move |me: Thread| async move {
                me.print(format!("{}: started", me.name())).await;
                me.sleep(work).await?;
                me.print(format!("{}: done", me.name())).await;
                Ok(())
            };
            handles.push(main.spawn(main.next_thread_name(), body).await?);
        }
        main.mark("all_started", "");
        main.print(format!(
            "MainThread: started {} and carries on",
            conlab_core::count_of(n, "thread", "threads")
        ))
        .await;
        for h in &handles {
            h.join(&main).await?;
        }
        Ok(())
    })
}

/// Checks: every worker printed each of its lines once; main printed before joining and
/// before the last worker finished (it was not blocked by them).
pub fn checks(c: &mut Checks) {
    let n = c.params.usize("threads");
    let t = c.trace;
    let started = t
        .output
        .iter()
        .filter(|l| l.text.ends_with(": started"))
        .count();
    let done = t
        .output
        .iter()
        .filter(|l| l.text.ends_with(": done"))
        .count();
    let mut names: Vec<&str> = t
        .output
        .iter()
        .filter_map(|l| l.text.strip_suffix(": started"))
        .collect();
    conlab_core::sort::sort_unstable(&mut names);
    names.dedup();
    c.check(
        "each-once",
        "every worker line is printed once",
        started == n && done == n && names.len() == n,
        format!(
            "{started} started, {done} done lines from {} distinct threads",
            names.len()
        ),
    );
    let main_line = t
        .output
        .iter()
        .find(|l| l.text.starts_with("MainThread"))
        .map(|l| l.t);
    let last_end = t
        .lanes
        .iter()
        .filter(|l| l.kind == LaneKind::Thread)
        .filter_map(|l| l.end)
        .max();
    let first_join = t
        .spans
        .iter()
        .filter(|s| s.lane == 0 && s.state == conlab_core::SpanState::WaitingJoin)
        .map(|s| s.start)
        .min();
    let carried_on = matches!((main_line, last_end), (Some(m), Some(e)) if m < e)
        && first_join.is_none_or(|j| main_line.is_some_and(|m| m <= j));
    // Main prints right after starting its threads. Held up longer than a worker's work
    // between the two (a busy machine took its core), its workers may all end first without
    // main having waited for them: that cannot be told apart from waiting.
    let description = "main's line is printed before it joins, while workers still run";
    let work = c.params.scale_ms(50).as_nanos() as conlab_core::Nanos;
    let all_started = t.marks_named("all_started").next().map(|m| m.t);
    if let (false, Some(started), Some(m)) = (carried_on, all_started, main_line) {
        let held_up = m.saturating_sub(started);
        if held_up > work && first_join.is_none_or(|j| m <= j) {
            c.not_judged(
                "main-not-blocked",
                description,
                format!(
                    "main was held up {} between starting its threads and printing, longer than a worker's {} of work: the machine was busy, and whether main waited cannot be told",
                    conlab_core::ms(held_up),
                    conlab_core::ms(work)
                ),
            );
            return;
        }
    }
    c.check(
        "main-not-blocked",
        description,
        carried_on,
        match (main_line, last_end) {
            (Some(m), Some(e)) => format!(
                "main printed at {}, last worker ended at {}",
                conlab_core::ms(m),
                conlab_core::ms(e)
            ),
            _ => "main's line or a worker's end is missing".to_string(),
        },
    )
    .guards(&[Fault::SerialThreads]);
}

/// About how long a run takes: its threads' work, side by side.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_THREAD};
    p.scale_ms(50) + times(p.usize("threads"), PER_THREAD)
}

/// Nothing an interleaving could break: every order of the threads teaches the same.
pub fn properties(_: &Checks) -> Vec<(&'static str, Option<String>)> {
    Vec::new()
}

/// This file, which the playground shows beside the run.
pub const SOURCE: &str = "crates/thread-scenarios/src/threads/thread_start.rs";

/// A hash of this file, made when conlab is built: a schedule found on other code is refused.
pub const CODE: u64 = conlab_sched::code_hash(include_bytes!("thread_start.rs"));
