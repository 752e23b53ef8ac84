//! await-sequential: awaiting one coroutine after the other in a single task runs them one
//! after the other; the whole takes two sleeps.

use conlab_core::{Checks, LaneCtx, Runtime, ScenarioError};
use std::time::Duration;

async fn say_after<R: Runtime>(me: &LaneCtx<R>, delay: Duration, what: &'static str) {
    me.sleep(delay).await;
    me.print(what);
}

/// Runs the scenario.
pub async fn run<R: Runtime>(main: LaneCtx<R>) -> Result<(), ScenarioError> {
    let sleep = main.params().duration("sleep_ms");
    main.print("started");
    say_after(&main, sleep, "hello").await;
    say_after(&main, sleep, "world").await;
    main.print("finished");
    Ok(())
}

/// Checks: the lines in order, and the awaits one after the other (makespan ~ two sleeps, not
/// one).
pub fn checks(c: &mut Checks) {
    c.output_is(
        "order",
        "output is started, hello, world, finished",
        &["started", "hello", "world", "finished"].map(String::from),
    );
    let sleep = c.params.duration("sleep_ms");
    c.time(
        "makespan-two-sleeps",
        "awaits run one after the other: makespan ~ 2 x sleep",
        c.trace.metrics.makespan,
    )
    .about(sleep * 2)
    .waits(2)
    .unlike(sleep, "the two awaits at once")
    .judge();
}

/// About how long a run takes: two sleeps, one after the other.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    conlab_core::estimate::sleeps(2, p.duration("sleep_ms"))
}

/// This file: the code that runs, shown beside its timeline on the playground.
pub const SOURCE: &str = file!();
