//! done-callback: a callback attached with `add_done_callback` runs when the task completes,
//! and sees its result.

use conlab_core::{Checks, LaneCtx, LaneKind, Runtime, ScenarioError};

/// Runs the scenario.
pub async fn run<R: Runtime>(main: LaneCtx<R>) -> Result<(), ScenarioError> {
    let sleep = main.params().duration("sleep_ms");
    let task = main.spawn(move |me| async move {
        me.sleep(sleep).await;
        let result = 7 * 6;
        me.print(format!("task returns {result}"));
        result
    });
    // The callback is not main's code: the loop runs it once the task is done (main is still
    // waiting then), so it gets a lane of its own.
    let loop_ctx = main.clone();
    task.add_done_callback(move |result| {
        let callback = loop_ctx.new_lane(LaneKind::Task, "done callback");
        match result {
            Ok(v) => callback.print(format!("callback: task done, result {v}")),
            Err(e) => callback.print(format!("callback: task ended without a result: {e}")),
        }
        callback.end();
    });
    main.print("callback attached");
    main.join(task)
        .await
        .map_err(|e| ScenarioError::failed(e.to_string()))?;
    Ok(())
}

/// Checks: the callback runs after the task finished and sees the value the task returned.
pub fn checks(c: &mut Checks) {
    let returned = c.trace.output.iter().find_map(|l| {
        l.text
            .strip_prefix("task returns ")
            .map(|v| (v.to_string(), l.lane))
    });
    let callback = c.trace.output.iter().find_map(|l| {
        l.text
            .strip_prefix("callback: task done, result ")
            .map(|v| (v.to_string(), l.t))
    });
    match (returned, callback) {
        (Some((value, lane)), Some((seen, t))) => {
            let ended = c.trace.lanes.get(lane as usize).and_then(|l| l.end);
            c.check(
                "after-completion",
                "the callback runs once the task has completed",
                ended.is_some_and(|e| t >= e),
                match ended {
                    Some(e) => format!(
                        "task ended at {}, callback at {}",
                        conlab_core::ms(e),
                        conlab_core::ms(t)
                    ),
                    None => "the task's lane never ended".to_string(),
                },
            );
            c.check(
                "sees-result",
                "the callback sees the task's result",
                value == seen,
                format!("task returned {value}, callback saw {seen}"),
            );
        }
        _ => {
            c.check(
                "ran",
                "the task returned and the callback ran",
                false,
                format!("output {}", conlab_core::quoted(&c.trace.output_texts())),
            );
        }
    }
}

/// About how long a run takes: one sleep.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    p.duration("sleep_ms")
}

/// This file: the code that runs, shown beside its timeline on the playground.
pub const SOURCE: &str = file!();
