//! asyncio-two-tasks: two tasks each print, sleep and print again. While one sleeps the loop
//! runs the other: output 1 3 2 4, and the whole takes one sleep.

use conlab_core::{Checks, Fault, LaneCtx, Runtime, ScenarioError};

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

/// Checks: on the virtual runtime the exact order 1 3 2 4; everywhere, both tasks print their
/// first line before either prints its second, and the sleeps overlap (makespan ~ one sleep,
/// not two).
pub fn checks(c: &mut Checks) {
    if c.is_virtual() {
        c.output_is(
            "order",
            "output order is 1 3 2 4",
            &["1", "3", "2", "4"].map(String::from),
        )
        .guards(&[Fault::SerialTasks]);
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
    )
    .guards(&[Fault::SerialTasks]);
    let sleep = c.params.duration("sleep_ms");
    c.time(
        "makespan-one-sleep",
        "the sleeps overlap: makespan ~ one sleep",
        c.trace.metrics.makespan,
    )
    .about(sleep)
    .waits(1)
    .unlike(sleep * 2, "the two tasks one after the other")
    .guards(&[Fault::SerialTasks])
    .judge();
}

/// About how long a run takes: one sleep (the tasks sleep side by side).
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    p.duration("sleep_ms")
}

/// This file: the code that runs, shown beside its timeline on the playground.
pub const SOURCE: &str = file!();
