//! future-set-result: a bare future is a placeholder for a result. One task awaits it, another
//! sets it after a delay, and the waiter resumes right after with the value.

use conlab_core::sync::Promise;
use conlab_core::{Checks, LaneCtx, Runtime, ScenarioError, SpanState};

const VALUE: &str = "the answer is 42";

/// Runs the scenario.
pub async fn run<R: Runtime>(main: LaneCtx<R>) -> Result<(), ScenarioError> {
    let delay = main.params().duration("delay_ms");
    let future: Promise<String> = Promise::new();
    let setter = future.clone();
    main.spawn_named("setter", move |me| async move {
        me.sleep(delay).await;
        me.mark("set_result", VALUE);
        me.print(format!("setter: set_result({VALUE:?})"));
        setter.set(VALUE.to_string());
    });
    main.print("main: awaiting the future");
    let value = main
        .during(SpanState::WaitingFuture, "future", future.get())
        .await;
    main.mark("resumed", "");
    main.print(format!("main: got {value:?}"));
    Ok(())
}

/// Checks: the waiter resumes right after set_result, with the value that was set, about one
/// delay after it started waiting.
pub fn checks(c: &mut Checks) {
    let set = c.trace.marks_named("set_result").next().map(|m| m.t);
    let resumed = c.trace.marks_named("resumed").next().map(|m| m.t);
    let (Some(set), Some(resumed)) = (set, resumed) else {
        c.check(
            "resumed",
            "the waiter resumed",
            false,
            "missing set_result or resume",
        );
        return;
    };
    let gap = resumed.saturating_sub(set);
    let allowed = c.tolerance.late;
    c.check(
        "resumes-right-after",
        "the waiter resumes right after set_result",
        resumed >= set && gap <= allowed,
        format!("resumed {} after set_result", conlab_core::ms(gap)),
    );
    let got = c
        .trace
        .output
        .iter()
        .any(|l| l.text == format!("main: got {VALUE:?}"));
    c.check(
        "value",
        "the waiter receives the value that was set",
        got,
        format!("output {}", conlab_core::quoted(&c.trace.output_texts())),
    );
    let delay = c.params.duration("delay_ms");
    c.time(
        "waited-delay",
        "the result arrives after about one delay",
        resumed,
    )
    .about(delay)
    .waits(1)
    .judge();
}

/// About how long a run takes: the delay before the result is set.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    p.duration("delay_ms")
}

/// This file: the code that runs, shown beside its timeline on the playground.
pub const SOURCE: &str = file!();
