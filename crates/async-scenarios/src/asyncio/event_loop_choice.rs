//! event-loop-choice: many tasks that each sleep, gathered, on whatever loop runs this code.
//! Reports the makespan and the overhead per task. (Natively, conlab also runs the same
//! workload on a multi-threaded runtime for comparison.)

#[cfg(feature = "multi-thread")]
pub mod multi_thread;

use conlab_core::{Checks, Fault, LaneCtx, LaneKind, Runtime, ScenarioError, SpanState, TaskGroup};

/// Runs the scenario.
pub async fn run<R: Runtime>(main: LaneCtx<R>) -> Result<(), ScenarioError> {
    let n = main.params().usize("tasks");
    let sleep = main.params().duration("sleep_ms");
    let start = main.now();
    let group = TaskGroup::new();
    group.reserve(n);
    for _ in 0..n {
        main.spawn_into(&group, move |me| async move { me.sleep(sleep).await });
    }
    let spawned = main.now();
    main.during(SpanState::WaitingJoin, "gather", group.join_all())
        .await;
    let makespan = main.now() - start;
    let kind = main.runtime().kind().as_str();
    let overhead = makespan.saturating_sub(sleep.as_nanos() as u64) as f64 / n as f64;
    main.metric("gather_ms", makespan as f64 / 1e6, "ms");
    main.metric("spawn_ms", (spawned - start) as f64 / 1e6, "ms");
    main.metric("overhead_per_task_ns", overhead, "ns/task");
    main.print(format!(
        "{kind} loop: {n} tasks sleeping {} took {} ({overhead:.0} ns overhead per task)",
        conlab_core::ms(sleep.as_nanos() as u64),
        conlab_core::ms(makespan)
    ));
    Ok(())
}

/// Checks: every task slept at least its sleep and finished, and the sleeps overlapped: the
/// makespan is about one sleep plus what each task costs the loop, not one sleep per task.
pub fn checks(c: &mut Checks) {
    let n = c.params.usize("tasks");
    let sleep = c.params.duration("sleep_ms");
    let tasks = c
        .trace
        .lanes
        .iter()
        .filter(|l| l.kind == LaneKind::Task && l.end.is_some())
        .count();
    c.check(
        "all-finished",
        "every task finished",
        tasks == n,
        format!("{} tasks finished", conlab_core::of(tasks as u64, n as u64)),
    );
    let short = c
        .trace
        .spans
        .iter()
        .filter(|s| {
            s.state == SpanState::Sleeping
                && s.duration() + c.tolerance.early < sleep.as_nanos() as u64
        })
        .count();
    c.check(
        "slept",
        "every task slept at least sleep_ms",
        short == 0,
        conlab_core::count_of(short, "short sleep", "short sleeps"),
    );
    // From the first task's start to the end of main's gather of them (natively the untraced
    // loops run before).
    let first = c
        .trace
        .lanes
        .iter()
        .filter(|l| l.kind == LaneKind::Task)
        .map(|l| l.start)
        .min()
        .unwrap_or(0);
    let gathered = c
        .trace
        .spans
        .iter()
        .find(|s| s.lane == 0 && s.state == SpanState::WaitingJoin && s.label == "gather")
        .map_or(c.trace.metrics.makespan, |s| s.end)
        .saturating_sub(first);
    // Natively the same tasks ran untraced just before on the same kind of loop (as they do
    // on asyncio's loop in the Python program): what they cost beyond the sleep there is what
    // this machine, as loaded as it is now, takes to run them (recording comes on top).
    let untraced = c
        .trace
        .metrics
        .extra("makespan_single_thread_ms")
        .or_else(|| c.trace.metrics.extra("makespan_asyncio_ms"))
        .map_or(0, |ms| {
            ((ms * 1e6) as u64).saturating_sub(sleep.as_nanos() as u64)
        });
    c.time(
        "makespan-one-sleep",
        "the sleeps overlap: makespan ~ one sleep plus each task's cost",
        gathered,
    )
    .about(sleep)
    .tasks(n)
    .plus(
        untraced,
        format!("{} the tasks took untraced", conlab_core::ms(untraced)),
    )
    .waits(1)
    .unlike(sleep * n as u32, "the tasks one after the other")
    .guards(&[Fault::SerialTasks])
    .judge();
}

/// About how long a run takes: one sleep (the tasks sleep side by side).
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_TASK};
    p.duration("sleep_ms") + times(p.usize("tasks"), PER_TASK)
}

/// About how many events it records: a lane's start and end and a sleep per task (2.5 a task
/// measured at 400,000 tasks).
pub fn trace_events(p: &conlab_core::Params) -> u64 {
    p.usize("tasks") as u64 * 5 / 2 + 16
}

/// This file: the code that runs, shown beside its timeline on the playground.
pub const SOURCE: &str = file!();
