//! create-task: tasks created up front run concurrently; awaiting them afterwards collects
//! their results, and the whole takes one sleep.

use conlab_core::{Checks, Fault, LaneCtx, Runtime, ScenarioError};

/// At most this many results are printed one per line; the rest are summarized.
const PRINT_LIMIT: usize = 20;

/// Runs the scenario.
pub async fn run<R: Runtime>(main: LaneCtx<R>) -> Result<(), ScenarioError> {
    let n = main.params().usize("tasks");
    let sleep = main.params().duration("sleep_ms");
    let handles: Vec<_> = (0..n)
        .map(|i| {
            main.spawn(move |me| async move {
                me.sleep(sleep).await;
                i * 10
            })
        })
        .collect();
    main.print(format!(
        "created {}",
        conlab_core::count_of(n, "task", "tasks")
    ));
    let mut results = Vec::with_capacity(n);
    for h in handles {
        results.push(
            main.join(h)
                .await
                .map_err(|e| ScenarioError::failed(e.to_string()))?,
        );
    }
    for (i, r) in results.iter().enumerate().take(PRINT_LIMIT) {
        main.print(format!("task {i} returned {r}"));
    }
    let correct = results
        .iter()
        .enumerate()
        .filter(|(i, r)| **r == i * 10)
        .count();
    main.metric("results_correct", correct as f64, "results");
    main.print(format!("collected {} results", results.len()));
    Ok(())
}

/// Checks: makespan ~ one sleep (not one per task), every task's lane ended before main did,
/// every result returned to main.
pub fn checks(c: &mut Checks) {
    let n = c.params.usize("tasks");
    let sleep = c.params.duration("sleep_ms");
    c.time(
        "makespan-one-sleep",
        "the tasks run concurrently: makespan ~ one sleep",
        c.trace.metrics.makespan,
    )
    .about(sleep)
    .tasks(n)
    .waits(1)
    .unlike(sleep * n as u32, "the tasks one after the other")
    .guards(&[Fault::SerialTasks])
    .judge();
    let main_end = c.trace.main_end().unwrap_or(u64::MAX);
    let done = c.trace.tasks_finished_by(main_end);
    c.check(
        "all-finished",
        "every task finished before main",
        done == n,
        format!("{} tasks finished", conlab_core::of(done as u64, n as u64)),
    );
    let correct = c.trace.metrics.extra("results_correct").unwrap_or(0.0) as usize;
    c.check(
        "results",
        "every task's result came back to main",
        correct == n,
        format!("{} results", conlab_core::of(correct as u64, n as u64)),
    );
}

/// About how long a run takes: one sleep (the tasks sleep side by side).
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_TASK};
    p.duration("sleep_ms") + times(p.usize("tasks"), PER_TASK)
}

/// This file: the code that runs, shown beside its timeline on the playground.
pub const SOURCE: &str = file!();
