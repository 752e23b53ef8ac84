//! wait-timeout: `wait(timeout, return_when)` returns when its condition is met or the
//! timeout expires, splitting the tasks into done and pending. Pending tasks are then
//! cancelled so the run ends cleanly.

use conlab_core::{wait, Checks, LaneCtx, Nanos, ReturnWhen, Runtime, ScenarioError, SpanState};

fn return_when(word: &str) -> ReturnWhen {
    match word {
        "first_completed" => ReturnWhen::FirstCompleted,
        "first_exception" => ReturnWhen::FirstException,
        _ => ReturnWhen::AllCompleted,
    }
}

/// Runs the scenario.
pub async fn run<R: Runtime>(main: LaneCtx<R>) -> Result<(), ScenarioError> {
    let p = main.params();
    let sleeps = p.durations("sleeps_ms");
    let timeout = p.duration("timeout_ms");
    let when = return_when(p.choice("return_when"));
    let fail_index = p.usize("fail_index");
    let handles: Vec<_> = sleeps
        .iter()
        .copied()
        .enumerate()
        .map(|(i, d)| {
            main.spawn(move |me| async move {
                me.sleep(d).await;
                if i + 1 == fail_index {
                    me.print(format!("task {i} raised an exception"));
                    Err(format!("task {i} failed"))
                } else {
                    me.print(format!("task {i} completed"));
                    Ok(i)
                }
            })
        })
        .collect();
    let rt = main.runtime().clone();
    main.mark("wait_start", "");
    let waiting = wait(
        &rt,
        &handles,
        Some(timeout),
        when,
        |r: &Result<usize, String>| r.is_err(),
    );
    let (done, pending) = main.during(SpanState::WaitingJoin, "wait", waiting).await;
    main.mark("wait_returned", "");
    main.print(format!("done: {done:?}"));
    main.print(format!("pending: {pending:?}"));
    for i in &pending {
        handles[*i].abort();
    }
    for i in pending {
        let _ = main.join(handles[i].clone()).await;
    }
    Ok(())
}

fn indexes(line: Option<&str>, prefix: &str) -> Option<Vec<usize>> {
    let list = line?
        .strip_prefix(prefix)?
        .trim()
        .trim_matches(|c| c == '[' || c == ']');
    if list.trim().is_empty() {
        return Some(Vec::new());
    }
    list.split(',').map(|s| s.trim().parse().ok()).collect()
}

/// Checks: wait returns when return_when is met or at the timeout (where the two differ
/// enough to tell), the done/pending split matches the sleeps, and every pending task is
/// cancelled afterwards.
pub fn checks(c: &mut Checks) {
    let sleeps = c.params.durations_ns("sleeps_ms");
    let timeout = c.params.duration("timeout_ms").as_nanos() as Nanos;
    let fail_index = c.params.usize("fail_index");
    let max = sleeps.iter().copied().max().unwrap_or(0);
    let min = sleeps.iter().copied().min().unwrap_or(0);
    let condition_at = match return_when(c.params.choice("return_when")) {
        ReturnWhen::AllCompleted => max,
        ReturnWhen::FirstCompleted => min,
        ReturnWhen::FirstException => match sleeps.get(fail_index.wrapping_sub(1)) {
            Some(s) => *s,
            None => max,
        },
    };
    let predicted = condition_at.min(timeout);
    let start = c.trace.marks_named("wait_start").next().map(|m| m.t);
    let returned = c.trace.marks_named("wait_returned").next().map(|m| m.t);
    let (Some(start), Some(returned)) = (start, returned) else {
        c.check(
            "returned",
            "wait returned",
            false,
            "no wait marks in the trace",
        );
        return;
    };
    // Told apart from a wait that ignores whichever of the two comes later.
    let (wrong, what) = if timeout < condition_at {
        (condition_at, "a wait that ignored its timeout")
    } else {
        (timeout, "a wait that returned only at its timeout")
    };
    c.time(
        "returns-on-time",
        "wait returns when return_when is met or at the timeout",
        returned - start,
    )
    .about(std::time::Duration::from_nanos(predicted))
    .waits(1)
    .unlike(std::time::Duration::from_nanos(wrong), what)
    .judge();
    let text = |p: &str| {
        c.trace
            .output
            .iter()
            .find(|l| l.text.starts_with(p))
            .map(|l| l.text.as_str())
    };
    let done = indexes(text("done:"), "done:");
    let pending = indexes(text("pending:"), "pending:");
    let (Some(done), Some(pending)) = (done, pending) else {
        c.check(
            "split",
            "wait reports done and pending tasks",
            false,
            "no done/pending lines",
        );
        return;
    };
    // Measured from the trace: when each task's lane ended (finished) relative to wait's start.
    let slack = c.tolerance.early.max(c.tolerance.late);
    let waited = returned - start;
    let done_ok = done
        .iter()
        .all(|i| sleeps.get(*i).is_some_and(|s| *s <= waited + slack));
    let pending_ok = pending
        .iter()
        .all(|i| sleeps.get(*i).is_some_and(|s| *s + slack >= waited));
    let complete = done.len() + pending.len() == sleeps.len();
    // Each task by its lane's name (the i-th task the program spawned is the i-th task lane),
    // not by the program's index.
    let lane_of = |i: &usize| {
        c.trace
            .lanes
            .iter()
            .filter(|l| l.kind == conlab_core::LaneKind::Task)
            .nth(*i)
            .map_or_else(|| format!("task {i}"), |l| l.name.clone())
    };
    let detail = format!(
        "done: {}; pending: {} after {}",
        conlab_core::list(done.iter().map(lane_of)),
        conlab_core::list(pending.iter().map(lane_of)),
        conlab_core::ms(waited)
    );
    c.check(
        "split",
        "done/pending split matches the timeout",
        done_ok && pending_ok && complete,
        detail,
    );
    let cancelled = c.trace.marks_named("cancelled").count();
    c.check(
        "pending-cancelled",
        "every pending task is cancelled afterwards",
        cancelled == pending.len(),
        format!(
            "{} pending tasks cancelled",
            conlab_core::of(cancelled as u64, pending.len() as u64)
        ),
    );
}

/// About how long a run takes: the longest sleep (pending tasks are awaited after wait returns).
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    p.durations("sleeps_ms")
        .into_iter()
        .max()
        .unwrap_or_default()
}

/// This file: the code that runs, shown beside its timeline on the playground.
pub const SOURCE: &str = file!();
