//! asyncio-two-tasks: two tasks each print, sleep and print again. While one sleeps the loop
//! runs the other: output 1 3 2 4, and the whole takes one sleep.

use conlab_core::{Checks, LaneCtx, Runtime, ScenarioError};

/// Runs the scenario.
pub async fn run<R: Runtime>(main: LaneCtx<R>) -> Result<(), ScenarioError> {
    let sleep = main.params().duration("sleep_ms");
    let first = main.spawn(move |me| async move {
        me.print("1");
        me.sleep(sleep).await;
        me.print("2");
    });
    let second = main.spawn(move |me| async move {
        me.print("3");
        me.sleep(sleep).await;
        me.print("4");
    });
    main.join(first)
        .await
        .map_err(|e| ScenarioError::failed(e.to_string()))?;
    main.join(second)
        .await
        .map_err(|e| ScenarioError::failed(e.to_string()))?;
    Ok(())
}

/// Checks: on the virtual runtime the output is exactly 1 3 2 4; on every runtime both first
/// lines come before either second line, and the makespan is about one sleep.
pub fn checks(c: &mut Checks) {
    if c.is_virtual() {
        c.output_is(
            "order",
            "output order is 1 3 2 4",
            &["1", "3", "2", "4"].map(String::from),
        );
    }
    let pos = |t: &str| c.position(t).unwrap_or(usize::MAX);
    let interleaved = pos("1").max(pos("3")) < pos("2").min(pos("4"))
        && pos("2") != usize::MAX
        && pos("4") != usize::MAX;
    c.check(
        "interleaved",
        "both tasks print their first line before either prints its second",
        interleaved,
        format!("output {}", conlab_core::quoted(&c.trace.output_texts())),
    );
    let sleep = c.params.duration("sleep_ms");
    c.about_waits(
        "makespan-one-sleep",
        "the sleeps overlap: makespan ~ one sleep",
        c.trace.metrics.makespan,
        sleep,
        1,
    );
}

/// About how long a run takes: one sleep (the tasks sleep side by side).
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    p.duration("sleep_ms")
}

/// This file: the code that runs, shown beside its timeline on the playground.
pub const SOURCE: &str = file!();
