//! event-loop-choice, natively: the workload timed untraced on both loops, a fresh
//! single-threaded one and tokio's multi-threaded runtime, so the two loops are compared like
//! with like; then traced on the single-threaded loop (every task on its own lane: the
//! timeline the learner sees), shown beside. Tracing 10,000 tasks costs more than either
//! loop's own work, so a traced single-threaded figure beside an untraced multi-threaded one
//! would mostly measure tracing. (The untraced runs go first: their tasks are gone before the
//! traced run's recording grows, which keeps a million tasks within the memory target.)

use conlab_core::{
    Checks, LaneCtx, LaneKind, Runtime, RuntimeKind, ScenarioError, SpanState, Text,
};
use std::time::Duration;

/// Runs the scenario.
pub async fn run<R: Runtime>(main: LaneCtx<R>) -> Result<(), ScenarioError> {
    let n = main.params().usize("tasks");
    let sleep = main.params().duration("sleep_ms");
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let single = untraced(&main, "single-thread loop, untraced", move || {
        single_thread_run(n, sleep)
    })?;
    let multi = untraced(&main, "multi-thread runtime, untraced", move || {
        multi_thread_run(workers, n, sleep)
    })?;
    let per_task = |elapsed: u64| elapsed.saturating_sub(sleep.as_nanos() as u64) as f64 / n as f64;
    main.metric("makespan_single_thread_ms", single as f64 / 1e6, "ms");
    main.metric(
        "overhead_per_task_single_thread_ns",
        per_task(single),
        "ns/task",
    );
    main.metric("makespan_multi_thread_ms", multi as f64 / 1e6, "ms");
    main.metric(
        "overhead_per_task_multi_thread_ns",
        per_task(multi),
        "ns/task",
    );
    main.print(format!(
        "untraced, {n} tasks: single-thread loop {} ({:.0} ns per task), multi-thread runtime with {workers} workers {} ({:.0} ns per task)",
        conlab_core::ms(single),
        per_task(single),
        conlab_core::ms(multi),
        per_task(multi)
    ));
    let t0 = main.now();
    super::run(main.clone()).await?;
    let traced = main.now() - t0;
    main.print(format!(
        "traced (its tasks are the timeline's lanes), the single-thread loop took {}: recording every task costs the difference",
        conlab_core::ms(traced)
    ));
    Ok(())
}

/// Runs `work` on a thread of its own while a lane named `what` shows it running; returns
/// what it measured.
fn untraced<R: Runtime>(
    main: &LaneCtx<R>,
    what: &'static str,
    work: impl FnOnce() -> Result<u64, String> + Send,
) -> Result<u64, ScenarioError> {
    let lane = main.new_lane(LaneKind::Server, what);
    lane.writer().begin(
        lane.now(),
        lane.lane(),
        SpanState::Running,
        Text::Static(what),
    );
    // Each loop runs on a thread of its own (tokio refuses to start a runtime inside this
    // loop's thread); this loop has nothing else to do meanwhile, so waiting blocks nobody.
    let elapsed = std::thread::scope(|scope| {
        scope
            .spawn(work)
            .join()
            .unwrap_or_else(|_| Err(format!("the {what} panicked")))
    })
    .map_err(ScenarioError::failed)?;
    lane.writer().end(lane.now(), lane.lane());
    lane.end();
    Ok(elapsed)
}

/// Runs `n` sleeping tasks, untraced, on a fresh single-threaded loop of the kind the traced
/// run uses (a current-thread runtime with a `LocalSet`); returns how long they took, from
/// spawning the first to the last one done.
fn single_thread_run(n: usize, sleep: Duration) -> Result<u64, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(|e| format!("could not start a single-thread loop: {e}"))?;
    let local = tokio::task::LocalSet::new();
    let t0 = std::time::Instant::now();
    local.block_on(&runtime, async move {
        let handles: Vec<_> = (0..n)
            .map(|_| tokio::task::spawn_local(async move { tokio::time::sleep(sleep).await }))
            .collect();
        for h in handles {
            let _ = h.await;
        }
    });
    Ok(t0.elapsed().as_nanos() as u64)
}

/// Runs `n` sleeping tasks, untraced, on a fresh multi-threaded runtime; returns how long they
/// took.
fn multi_thread_run(workers: usize, n: usize, sleep: Duration) -> Result<u64, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_time()
        .build()
        .map_err(|e| format!("could not start tokio's multi-thread runtime: {e}"))?;
    let t0 = std::time::Instant::now();
    runtime.block_on(async move {
        // Each sleep starts when its task first runs, as on the single-threaded loop.
        // (`tokio::spawn(tokio::time::sleep(d))` would fix every deadline at spawn time, so
        // tasks spawned early would find their sleep already over: a lighter workload.)
        let handles: Vec<_> = (0..n)
            .map(|_| tokio::spawn(async move { tokio::time::sleep(sleep).await }))
            .collect();
        for h in handles {
            let _ = h.await;
        }
    });
    Ok(t0.elapsed().as_nanos() as u64)
}

/// The two loops a native run times untraced: (its figure, the check's id, what it checks).
const NATIVE_LOOPS: [(&str, &str, &str); 2] = [
    (
        "makespan_single_thread_ms",
        "single-thread-untraced",
        "untraced, the single-threaded loop overlaps the sleeps: ~ one sleep",
    ),
    (
        "makespan_multi_thread_ms",
        "multi-thread-untraced",
        "untraced, the multi-threaded runtime overlaps the sleeps: ~ one sleep",
    ),
];

/// The two loops the lesson's Python program times untraced (`python/asyncio/
/// event_loop_choice.py`): asyncio's own and uvloop's. Python has no multi-threaded loop.
const PYTHON_LOOPS: [(&str, &str, &str); 2] = [
    (
        "makespan_asyncio_ms",
        "asyncio-untraced",
        "untraced, asyncio's own loop overlaps the sleeps: ~ one sleep",
    ),
    (
        "makespan_uvloop_ms",
        "uvloop-untraced",
        "untraced, uvloop's loop overlaps the sleeps: ~ one sleep",
    ),
];

/// Checks: the generic checks, plus both untraced loops ran the same workload with its sleeps
/// overlapping (about one sleep plus each task's cost, not one sleep per task): tokio's two
/// runtimes natively, asyncio's and uvloop's loops under CPython.
pub fn checks(c: &mut Checks) {
    super::checks(c);
    let n = c.params.usize("tasks");
    let sleep = c.params.duration("sleep_ms");
    let loops = match c.trace.runtime {
        RuntimeKind::Cpython => PYTHON_LOOPS,
        _ => NATIVE_LOOPS,
    };
    for (key, id, description) in loops {
        match c.trace.metrics.extra(key) {
            Some(ms) => c
                .time(id, description, (ms * 1e6) as u64)
                .about(sleep)
                .tasks(n)
                .waits(1)
                .unlike(sleep * n as u32, "the tasks one after the other")
                .judge(),
            None => {
                c.check(id, description, false, "no figure recorded");
            }
        }
    }
}

/// About how long a run takes: the workload three times: untraced on each loop, then traced.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    super::expected(p) * 3
}
