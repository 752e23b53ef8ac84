//! cancel-all: on an interrupt, every pending task is cancelled and the loop closes cleanly,
//! with no task left running.

use conlab_core::{Checks, JoinError, LaneCtx, LaneKind, Runtime, ScenarioError};
use std::time::Duration;

/// Long enough that a task never finishes on its own within any time limit.
const FOREVER: Duration = Duration::from_secs(24 * 3600);

/// Runs the scenario.
pub async fn run<R: Runtime>(main: LaneCtx<R>) -> Result<(), ScenarioError> {
    let n = main.params().usize("tasks");
    let after = main.params().duration("cancel_after_ms");
    let handles: Vec<_> = (0..n)
        .map(|i| {
            main.spawn(move |me| async move {
                me.print(format!("task {i}: working"));
                me.sleep(FOREVER).await;
                me.print(format!("task {i}: finished (should never happen)"));
            })
        })
        .collect();
    main.sleep(after).await;
    main.mark("interrupt", "");
    main.print("KeyboardInterrupt: cancelling every pending task");
    let mut cancelled = 0;
    for h in &handles {
        h.abort();
    }
    for h in handles {
        if main.join(h).await == Err(JoinError::Cancelled) {
            cancelled += 1;
        }
    }
    main.print(format!(
        "{} cancelled; loop closed cleanly",
        conlab_core::count_of(cancelled, "task", "tasks")
    ));
    Ok(())
}

/// Checks: every task was cancelled, right after the interrupt, and none was left running.
pub fn checks(c: &mut Checks) {
    let n = c.params.usize("tasks");
    let cancelled = c.trace.marks_named("cancelled").count();
    c.check(
        "all-cancelled",
        "every pending task is reported cancelled",
        cancelled == n,
        format!("{} cancelled", conlab_core::of(cancelled as u64, n as u64)),
    );
    let main_end = c.trace.main_end().unwrap_or(u64::MAX);
    let tasks = c.trace.count_lanes(LaneKind::Task);
    let running = tasks - c.trace.tasks_finished_by(main_end);
    c.check(
        "none-left",
        "no task is left running when the loop closes",
        running == 0,
        format!(
            "{} still running",
            conlab_core::count_of(running, "task", "tasks")
        ),
    );
    let interrupt = c
        .trace
        .marks_named("interrupt")
        .next()
        .map(|m| m.t)
        .unwrap_or(0);
    let cancel_after = c.params.duration("cancel_after_ms");
    let tasks = c.params.usize("tasks");
    c.time(
        "interrupt-time",
        "the interrupt arrives after cancel_after_ms",
        interrupt,
    )
    .about(cancel_after)
    // Main sleeps once it has created every task: creating them comes first.
    .tasks(tasks)
    .waits(1)
    .judge();
    let finished = c
        .trace
        .output
        .iter()
        .any(|l| l.text.contains("should never happen"));
    c.check(
        "never-finished",
        "no cancelled task ran past its cancellation",
        !finished,
        "",
    );
}

/// About how long a run takes: the wait before the interrupt.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_TASK};
    p.duration("cancel_after_ms") + times(p.usize("tasks"), PER_TASK)
}

/// This file: the code that runs, shown beside its timeline on the playground.
pub const SOURCE: &str = file!();
