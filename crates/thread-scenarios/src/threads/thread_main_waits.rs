//! thread-main-waits: a program does not end while non-daemon threads run. Main reaches its
//! end without waiting for its threads; the run (the "process") then waits for every worker.

use conlab_core::{Checks, Fault, LaneKind, Nanos, SpanState};
use conlab_threads::{Aborted, Thread};
use std::future::Future;
use std::pin::Pin;

/// Runs the scenario (on OS threads, or on the deterministic scheduler).
pub fn run(main: Thread) -> Pin<Box<dyn Future<Output = Result<(), Aborted>>>> {
    Box::pin(async move {
        for d in main.params().durations("sleeps_ms") {
            let body = move |me: Thread| async move {
                me.sleep(d).await?;
                me.print(format!(
                    "{} finished after {}",
                    me.name(),
                    conlab_core::ms(d.as_nanos() as Nanos)
                ))
                .await;
                Ok(())
            };
            main.spawn(main.next_thread_name(), body).await?;
        }
        main.print("MainThread: reached the end of the program")
            .await;
        Ok(())
    })
}

/// Checks: main reaches its end without waiting (no wait on its lane before its last line:
/// whether a worker with a short sleep prints before it is up to the scheduler); workers
/// finish in order of their sleeps; the run lasts about the longest sleep (the process waited
/// for its threads).
pub fn checks(c: &mut Checks) {
    let sleeps = c.params.durations_ns("sleeps_ms");
    let t = c.trace;
    let main_lane = t.lanes.iter().find(|l| l.kind == LaneKind::Main);
    let end_line = main_lane.and_then(|m| {
        t.output
            .iter()
            .find(|l| l.lane == m.id && l.text.starts_with("MainThread"))
    });
    let waited = match (main_lane, end_line) {
        (Some(m), Some(line)) => t
            .spans
            .iter()
            .find(|s| s.lane == m.id && s.start < line.t && s.state == SpanState::WaitingJoin),
        _ => None,
    };
    c.check(
        "main-first",
        "main reaches its end without waiting for its threads",
        end_line.is_some() && waited.is_none(),
        match (end_line, waited) {
            (None, _) => "MainThread printed no last line".to_string(),
            (Some(_), Some(w)) => format!(
                "MainThread waited ({}, {}) before its last line",
                w.state.as_str(),
                conlab_core::ms(w.duration())
            ),
            (Some(line), None) => format!(
                "MainThread reached its end at {} without waiting",
                conlab_core::ms(line.t)
            ),
        },
    )
    .guards(&[Fault::SerialThreads]);
    let order: Vec<usize> = t
        .output
        .iter()
        .filter_map(|l| {
            l.text
                .strip_prefix("Thread-")?
                .split(' ')
                .next()?
                .parse::<usize>()
                .ok()
        })
        .map(|i| i - 1)
        .collect();
    let slack = c.tolerance.late;
    let in_order = order.len() == sleeps.len()
        && order
            .windows(2)
            .all(|w| sleeps[w[0]] <= sleeps[w[1]] + slack);
    c.check(
        "sleep-order",
        "workers finish in sleep order",
        in_order,
        format!("finish order {}", conlab_core::list(&order)),
    );
    let longest = sleeps.iter().copied().max().unwrap_or(0);
    let main_end = t
        .lanes
        .iter()
        .find(|l| l.kind == LaneKind::Main)
        .and_then(|l| l.end)
        .unwrap_or(0);
    let starting = c.trace.start_cost(LaneKind::Thread);
    c.time(
        "waits-for-threads",
        "the program ends only when its last thread does: ~ longest sleep",
        main_end,
    )
    .about(std::time::Duration::from_nanos(longest))
    .plus(
        starting,
        format!("{} to start the threads", conlab_core::ms(starting)),
    )
    .unlike(
        std::time::Duration::ZERO,
        "a program that did not wait for its threads",
    )
    .judge();
}

/// About how long a run takes: the longest sleep (the threads sleep side by side).
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_THREAD};
    let sleeps = p.durations("sleeps_ms");
    times(sleeps.len(), PER_THREAD) + sleeps.into_iter().max().unwrap_or_default()
}

/// Nothing an interleaving could break: every order of the threads teaches the same.
pub fn properties(_: &Checks) -> Vec<(&'static str, Option<String>)> {
    Vec::new()
}

/// This file, which the playground shows beside the run.
pub const SOURCE: &str = "crates/thread-scenarios/src/threads/thread_main_waits.rs";

/// A hash of this file, made when conlab is built: a schedule found on other code is refused.
pub const CODE: u64 = conlab_sched::code_hash(include_bytes!("thread_main_waits.rs"));
