//! gather-vs-wait: gather returns results in the order the awaitables were given, whatever
//! order they finish in; wait returns sets of done and pending tasks.

use conlab_core::{
    wait, Checks, Fault, LaneCtx, Nanos, ReturnWhen, Runtime, ScenarioError, SpanState, TaskGroup,
};
use std::time::Duration;

/// Runs the scenario.
pub async fn run<R: Runtime>(main: LaneCtx<R>) -> Result<(), ScenarioError> {
    let sleeps = main.params().durations("sleeps_ms");
    let ms: Vec<i64> = main.params().list("sleeps_ms").to_vec();

    main.phase_start("gather");
    let group = TaskGroup::new();
    for (i, d) in sleeps.iter().copied().enumerate() {
        let label = ms[i];
        main.spawn_into(&group, move |me| async move {
            me.sleep(d).await;
            me.print(format!("task {i} finished ({label} ms)"));
            i
        });
    }
    let results = main
        .during(SpanState::WaitingJoin, "gather", group.join_all())
        .await;
    main.phase_end("gather");
    for (pos, i) in results.iter().enumerate() {
        main.print(format!("gather[{pos}] = task {i} ({} ms)", ms[*i]));
    }

    main.phase_start("wait");
    let handles: Vec<_> = sleeps
        .iter()
        .copied()
        .map(|d| main.spawn(move |me| async move { me.sleep(d).await }))
        .collect();
    let rt = main.runtime().clone();
    let waiting = wait(&rt, &handles, None, ReturnWhen::AllCompleted, |_| false);
    let (done, pending) = main.during(SpanState::WaitingJoin, "wait", waiting).await;
    main.phase_end("wait");
    main.print(format!(
        "wait: {} done, {} pending",
        done.len(),
        pending.len()
    ));
    Ok(())
}

/// Checks: gather's results are in input order (judged where the tasks finish in another
/// order); each phase, gather and wait, takes about the longest sleep, not the sum; wait
/// reports every task done.
pub fn checks(c: &mut Checks) {
    let n = c.params.list("sleeps_ms").len();
    let gathered: Vec<String> = c
        .trace
        .output
        .iter()
        .filter(|l| l.text.starts_with("gather["))
        .map(|l| l.text.clone())
        .collect();
    let ms = c.params.list("sleeps_ms");
    let expected: Vec<String> = (0..n)
        .map(|i| format!("gather[{i}] = task {i} ({} ms)", ms[i]))
        .collect();
    // Only where some task finishes before one given earlier does input order differ from
    // the order they finish in (which a gather that collected results as they came would give).
    let sleeps_ns = c.params.durations_ns("sleeps_ms");
    let slack = if c.is_virtual() { 0 } else { c.tolerance.late };
    let reordered = sleeps_ns
        .iter()
        .enumerate()
        .any(|(i, a)| sleeps_ns[i + 1..].iter().any(|b| b + slack < *a));
    if reordered || gathered != expected {
        c.check(
            "gather-order",
            "gather returns results in input order",
            gathered == expected,
            format!("got {}", conlab_core::quoted(&gathered)),
        );
    } else {
        c.not_judged(
            "gather-order",
            "gather returns results in input order",
            format!(
                "got {}: the tasks finish in about the order they were given, so input order cannot be told from completion order",
                conlab_core::quoted(&gathered)
            ),
        );
    }
    let finished: Vec<&str> = c
        .trace
        .output
        .iter()
        .filter(|l| l.text.starts_with("task "))
        .map(|l| l.text.as_str())
        .collect();
    c.check(
        "all-finished",
        "every gathered task finished once",
        finished.len() == n,
        conlab_core::count_of(finished.len(), "finish line", "finish lines"),
    );
    let sleeps = c.params.durations("sleeps_ms");
    let longest = sleeps.iter().copied().max().unwrap_or_default();
    let sum: Duration = sleeps.iter().sum();
    for (phase, description) in [
        ("gather", "gather takes about the longest sleep"),
        ("wait", "wait takes about the longest sleep"),
    ] {
        let took = c.phase_length(phase).unwrap_or(Nanos::MAX);
        c.time(&format!("{phase}-longest"), description, took)
            .about(longest)
            .tasks(n)
            .waits(1)
            .unlike(sum, "the tasks one after the other")
            .guards(&[Fault::SerialTasks])
            .judge();
    }
    let wait_line = c
        .trace
        .output
        .iter()
        .find(|l| l.text.starts_with("wait:"))
        .map(|l| l.text.clone())
        .unwrap_or_default();
    c.check(
        "wait-all-done",
        "wait reports every task done, none pending",
        wait_line == format!("wait: {n} done, 0 pending"),
        wait_line,
    );
}

/// About how long a run takes: the longest sleep twice (gather, then wait).
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    p.durations("sleeps_ms")
        .into_iter()
        .max()
        .unwrap_or_default()
        * 2
}

/// This file: the code that runs, shown beside its timeline on the playground.
pub const SOURCE: &str = file!();
