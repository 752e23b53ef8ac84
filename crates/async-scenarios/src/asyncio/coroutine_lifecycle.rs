//! coroutine-lifecycle: calling an async function only creates a coroutine; nothing runs until
//! it is scheduled as a task, which then goes pending, running, done.

use conlab_core::{Checks, LaneCtx, Runtime, ScenarioError};

async fn fetch<R: Runtime>(me: LaneCtx<R>) -> u32 {
    me.mark("task_state", "running");
    me.print("coroutine body: running");
    me.sleep(me.params().duration("sleep_ms")).await;
    42
}

/// Runs the scenario.
pub async fn run<R: Runtime>(main: LaneCtx<R>) -> Result<(), ScenarioError> {
    // Creating the coroutine runs none of its body: a Rust future is inert until polled.
    let task_lane = main.new_lane(conlab_core::LaneKind::Task, "fetch");
    let coroutine = fetch(task_lane.clone());
    main.mark("coroutine_created", "");
    main.print("created the coroutine: nothing has run yet");
    main.sleep(std::time::Duration::ZERO).await;
    main.print("scheduling it as a task");
    main.mark("task_state", "pending");
    let handle = task_lane.schedule(coroutine);
    main.print(format!("task state: {}", state(&handle)));
    let result = main
        .join(handle.clone())
        .await
        .map_err(|e| ScenarioError::failed(e.to_string()))?;
    main.mark("task_state", "done");
    main.print(format!("task state: {}, result {result}", state(&handle)));
    Ok(())
}

fn state<T: 'static>(handle: &conlab_core::JoinHandle<T>) -> &'static str {
    if handle.is_finished() {
        "done"
    } else {
        "pending"
    }
}

/// Checks: the coroutine's body printed nothing before it was scheduled, and the task went
/// through pending, running, done in that order.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let scheduled = t.mark_time("task_state", "pending");
    let created = t.marks_named("coroutine_created").next().map(|m| m.t);
    let body = t
        .output
        .iter()
        .position(|l| l.text.starts_with("coroutine body"));
    let sched_line = c.position("scheduling it as a task");
    let inert = matches!((created, scheduled, body, sched_line), (Some(a), Some(b), Some(x), Some(y)) if a <= b && x > y);
    c.check(
        "inert-until-scheduled",
        "the coroutine's body runs only after it is scheduled",
        inert,
        match (body, sched_line) {
            (Some(b), Some(s)) => format!(
                "body at output line {}, scheduling at line {}",
                b + 1,
                s + 1
            ),
            _ => "the body or the scheduling line was not printed".to_string(),
        },
    );
    let states: Vec<&str> = t
        .marks_named("task_state")
        .map(|m| m.detail.as_str())
        .collect();
    c.check(
        "states-in-order",
        "task states seen in order: pending, running, done",
        states == ["pending", "running", "done"],
        format!("states {}", conlab_core::list(&states)),
    );
}

/// About how long a run takes: one sleep.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    p.duration("sleep_ms")
}

/// This file: the code that runs, shown beside its timeline on the playground.
pub const SOURCE: &str = file!();
