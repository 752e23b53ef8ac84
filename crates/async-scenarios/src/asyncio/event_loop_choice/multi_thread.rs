//! event-loop-choice, natively: the workload on the single-threaded loop (every task on its
//! own lane), then the same workload on tokio's multi-threaded runtime for comparison.

use conlab_core::{Checks, LaneCtx, LaneKind, Runtime, ScenarioError, SpanState, Text};

/// Runs the scenario.
pub async fn run<R: Runtime>(main: LaneCtx<R>) -> Result<(), ScenarioError> {
    super::run(main.clone()).await?;

    let n = main.params().usize("tasks");
    let sleep = main.params().duration("sleep_ms");
    let lane = main.new_lane(LaneKind::Server, "multi-thread runtime");
    let start = lane.now();
    lane.writer().begin(
        start,
        lane.lane(),
        SpanState::Running,
        Text::Static("tokio multi-thread"),
    );
    // The comparison runs on a runtime of its own, on other threads; this loop has nothing else
    // to do meanwhile, so waiting for it here blocks nobody.
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let elapsed = std::thread::scope(|scope| {
        // tokio refuses to block_on inside the loop's own thread, so the comparison gets one.
        scope
            .spawn(|| multi_thread_run(workers, n, sleep))
            .join()
            .unwrap_or_else(|_| Err("the multi-thread comparison panicked".into()))
    })
    .map_err(ScenarioError::failed)?;
    lane.writer().end(lane.now(), lane.lane());
    lane.end();
    let overhead = elapsed.saturating_sub(sleep.as_nanos() as u64) as f64 / n as f64;
    main.metric("makespan_multi_thread_ms", elapsed as f64 / 1e6, "ms");
    main.metric("overhead_per_task_multi_thread_ns", overhead, "ns/task");
    main.print(format!(
        "multi-thread runtime ({workers} workers): {n} tasks took {} ({overhead:.0} ns overhead per task)",
        conlab_core::ms(elapsed)
    ));
    Ok(())
}

/// Runs `n` sleeping tasks on a fresh multi-threaded runtime; returns how long it took.
fn multi_thread_run(workers: usize, n: usize, sleep: std::time::Duration) -> Result<u64, String> {
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

/// Checks: the generic checks, plus the multi-threaded comparison ran and took at least one sleep.
pub fn checks(c: &mut Checks) {
    super::checks(c);
    let sleep = c.params.duration("sleep_ms");
    let multi = c
        .trace
        .metrics
        .extra("makespan_multi_thread_ms")
        .map(|ms| (ms * 1e6) as u64);
    match multi {
        Some(ns) => c.at_least(
            "multi-thread",
            "the multi-threaded runtime ran the same workload",
            ns,
            sleep,
        ),
        None => c.check(
            "multi-thread",
            "the multi-threaded runtime ran the same workload",
            false,
            "no figure recorded",
        ),
    }
}

/// About how long a run takes: the workload twice: on this loop, then on the multi-threaded runtime.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    super::expected(p) * 2
}
