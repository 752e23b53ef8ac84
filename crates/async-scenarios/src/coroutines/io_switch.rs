//! io-switch: coroutines that switch whenever they wait for IO (gevent style). Slow fetches
//! overlap their waits on one OS thread, so the whole takes about one latency.

use conlab_core::{Checks, Fault, LaneCtx, LaneKind, Runtime, ScenarioError, SpanState, TaskGroup};

/// Runs the scenario.
pub async fn run<R: Runtime>(main: LaneCtx<R>) -> Result<(), ScenarioError> {
    let fetches = main.params().usize("fetches");
    let latency = main.params().duration("latency_ms");
    main.mark("thread", main.runtime().os_thread());
    main.mark_io_kind();
    let group = TaskGroup::new();
    for i in 0..fetches {
        main.spawn_into(&group, move |me| async move {
            me.mark("thread", me.runtime().os_thread());
            me.print(format!("fetch {i}: request sent"));
            me.request_as(SpanState::BlockedIo, latency).await;
            me.print(format!("fetch {i}: response received"));
        });
    }
    main.during(SpanState::WaitingJoin, "joinall", group.join_all())
        .await;
    Ok(())
}

/// Checks: the fetches overlap (makespan ~ one latency, not their sum), everything ran on one
/// OS thread, and every fetch waited for its response once.
pub fn checks(c: &mut Checks) {
    let fetches = c.params.usize("fetches");
    let latency = c.params.duration("latency_ms");
    // Each fetch is a task of its own; where they are real requests, each may also cost a
    // connection on loopback.
    c.time(
        "makespan-one-latency",
        "the fetches overlap: makespan ~ one latency",
        c.trace.metrics.makespan,
    )
    .about(latency)
    .tasks(fetches)
    .real_requests(fetches)
    .unlike(latency * fetches as u32, "the fetches one after the other")
    .guards(&[Fault::SerialTasks])
    .judge();
    let threads: std::collections::BTreeSet<&str> = c
        .trace
        .marks_named("thread")
        .map(|m| m.detail.as_str())
        .collect();
    c.check(
        "one-thread",
        "everything ran on one OS thread",
        threads.len() == 1,
        format!("threads seen: {}", conlab_core::list(&threads)),
    );
    let tasks = c.trace.count_lanes(LaneKind::Task);
    let waits = c
        .trace
        .spans
        .iter()
        .filter(|s| s.state == SpanState::BlockedIo)
        .count();
    c.check(
        "all-fetched",
        "every fetch waited for its response once",
        tasks == fetches && waits == fetches,
        format!("{tasks} fetch lanes, {waits} IO waits, {fetches} fetches asked"),
    );
}

/// About how long a run takes: one fetch (they wait side by side).
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_TASK};
    let n = p.usize("fetches");
    p.duration("latency_ms") + times(n, PER_TASK)
}

/// This file: the code that runs, shown beside its timeline on the playground.
pub const SOURCE: &str = file!();
