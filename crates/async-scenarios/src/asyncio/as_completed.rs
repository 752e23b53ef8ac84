//! as-completed: results arrive in the order the tasks finish (shortest sleep first), not in
//! the order they were created.

use conlab_core::sync::channel;
use conlab_core::{Checks, Fault, LaneCtx, Nanos, Runtime, ScenarioError, SpanState};

/// Runs the scenario.
pub async fn run<R: Runtime>(main: LaneCtx<R>) -> Result<(), ScenarioError> {
    let sleeps = main.params().durations("sleeps_ms");
    let ms: Vec<i64> = main.params().list("sleeps_ms").to_vec();
    let (tx, mut rx) = channel();
    for (i, d) in sleeps.into_iter().enumerate() {
        let tx = tx.clone();
        main.spawn(move |me| async move {
            me.sleep(d).await;
            tx.send(i);
        });
    }
    drop(tx);
    while let Some(i) = main
        .during(SpanState::WaitingQueue, "as_completed", rx.recv())
        .await
    {
        main.print(format!("task {i} done ({} ms)", ms[i]));
    }
    Ok(())
}

/// Checks: every task reported once, in order of their sleeps (ties, and on real runtimes
/// sleeps closer than the timing tolerance, may come either way), and the whole takes about
/// the longest sleep, not their sum. The order is judged only where completion order differs
/// from the order the tasks were created in.
pub fn checks(c: &mut Checks) {
    let sleeps = c.params.durations_ns("sleeps_ms");
    let order: Vec<usize> = c
        .trace
        .output
        .iter()
        .filter_map(|l| {
            l.text
                .strip_prefix("task ")?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .collect();
    let mut seen = order.clone();
    seen.sort_unstable();
    c.check(
        "each-once",
        "every task is reported exactly once",
        seen == (0..sleeps.len()).collect::<Vec<_>>(),
        format!("reported {}", conlab_core::list(&order)),
    );
    let slack = if c.is_virtual() { 0 } else { c.tolerance.late };
    let in_completion_order = |order: &[usize]| {
        order
            .windows(2)
            .all(|w| sleeps[w[0]] <= sleeps[w[1]] + slack)
    };
    let detail = format!(
        "reported {} for sleeps {} ms",
        conlab_core::list(&order),
        conlab_core::list(c.params.list("sleeps_ms"))
    );
    let creation: Vec<usize> = (0..sleeps.len()).collect();
    if in_completion_order(&creation) && in_completion_order(&order) {
        c.not_judged(
            "completion-order",
            "results come in completion order (sorted by sleep)",
            format!("{detail}: the tasks were created in about the order they finish, so completion order cannot be told from creation order"),
        );
    } else {
        c.check(
            "completion-order",
            "results come in completion order (sorted by sleep)",
            in_completion_order(&order),
            detail,
        )
        .guards(&[Fault::SerialTasks]);
    }
    let longest = sleeps.iter().copied().max().unwrap_or(0);
    let sum: Nanos = sleeps.iter().sum();
    c.time(
        "makespan-longest",
        "the whole takes about the longest sleep",
        c.trace.metrics.makespan,
    )
    .about(std::time::Duration::from_nanos(longest))
    .tasks(sleeps.len())
    .waits(1)
    .unlike(
        std::time::Duration::from_nanos(sum),
        "the tasks one after the other",
    )
    .guards(&[Fault::SerialTasks])
    .judge();
}

/// About how long a run takes: the longest sleep.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    p.durations("sleeps_ms")
        .into_iter()
        .max()
        .unwrap_or_default()
}

/// This file: the code that runs, shown beside its timeline on the playground.
pub const SOURCE: &str = file!();
