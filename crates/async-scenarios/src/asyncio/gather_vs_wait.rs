//! gather-vs-wait: gather returns results in the order the awaitables were given, whatever
//! order they finish in; wait returns sets of done and pending tasks.

use conlab_core::{
    wait, Checks, LaneCtx, ReturnWhen, Runtime, ScenarioError, SpanState, TaskGroup,
};

/// Runs the scenario.
pub async fn run<R: Runtime>(main: LaneCtx<R>) -> Result<(), ScenarioError> {
    let sleeps = main.params().durations("sleeps_ms");
    let ms: Vec<i64> = main.params().list("sleeps_ms").to_vec();

    main.mark("phase", "gather");
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
    main.mark("gather_done", "");
    for (pos, i) in results.iter().enumerate() {
        main.print(format!("gather[{pos}] = task {i} ({} ms)", ms[*i]));
    }

    main.mark("phase", "wait");
    let handles: Vec<_> = sleeps
        .iter()
        .copied()
        .map(|d| main.spawn(move |me| async move { me.sleep(d).await }))
        .collect();
    let rt = main.runtime().clone();
    let waiting = wait(&rt, &handles, None, ReturnWhen::AllCompleted, |_| false);
    let (done, pending) = main.during(SpanState::WaitingJoin, "wait", waiting).await;
    main.mark("wait_done", "");
    main.print(format!(
        "wait: {} done, {} pending",
        done.len(),
        pending.len()
    ));
    Ok(())
}

/// Checks: gather's results are in input order; the gather phase takes about the longest
/// sleep; wait reports every task done.
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
    c.check(
        "gather-order",
        "gather returns results in input order",
        gathered == expected,
        format!("got {}", conlab_core::quoted(&gathered)),
    );
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
    let longest = c
        .params
        .durations("sleeps_ms")
        .into_iter()
        .max()
        .unwrap_or_default();
    let gather_done = c
        .trace
        .marks_named("gather_done")
        .next()
        .map(|m| m.t)
        .unwrap_or(0);
    c.about(
        "gather-longest",
        "gather takes about the longest sleep",
        gather_done,
        longest,
    );
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
