//! async-context-manager: `async with` awaits on entry and on exit, and the exit runs even when
//! the body fails. (Rust has no async `Drop`, so the exit is awaited explicitly on every path.)

use conlab_core::{Checks, LaneCtx, Runtime, ScenarioError, SpanState};

/// A resource with an async enter and exit, like a connection.
struct Connection<R: Runtime> {
    lane: LaneCtx<R>,
}

impl<R: Runtime> Connection<R> {
    async fn enter(lane: LaneCtx<R>) -> Connection<R> {
        let d = lane.params().duration("enter_ms");
        lane.during(
            SpanState::Connecting,
            "__aenter__",
            lane.sleep_as(SpanState::BlockedIo, d),
        )
        .await;
        lane.print("enter: connected");
        Connection { lane }
    }

    async fn exit(self) {
        let d = self.lane.params().duration("exit_ms");
        self.lane.sleep_as(SpanState::BlockedIo, d).await;
        self.lane.print("exit: closed");
    }
}

async fn body<R: Runtime>(conn: &Connection<R>) -> Result<(), String> {
    if conn.lane.params().flag("body_fails") {
        conn.lane.print("use: the body raises an exception");
        return Err("the body failed".into());
    }
    conn.lane.print("use: working with the connection");
    Ok(())
}

/// Runs the scenario.
pub async fn run<R: Runtime>(main: LaneCtx<R>) -> Result<(), ScenarioError> {
    let conn = Connection::enter(main.clone()).await;
    let outcome = body(&conn).await;
    conn.exit().await;
    match outcome {
        Ok(()) => main.print("after async with: ok"),
        Err(e) => main.print(format!("after async with: exception propagated: {e}")),
    }
    Ok(())
}

/// Checks: enter before use before exit; exit runs whether or not the body fails; entering and
/// exiting take about their durations.
pub fn checks(c: &mut Checks) {
    let fails = c.params.flag("body_fails");
    let pos = |p: &str| c.trace.output.iter().position(|l| l.text.starts_with(p));
    let (enter, use_, exit) = (pos("enter:"), pos("use:"), pos("exit:"));
    let ordered = matches!((enter, use_, exit), (Some(a), Some(b), Some(x)) if a < b && b < x);
    c.check(
        "enter-use-exit",
        "enter before use before exit",
        ordered,
        format!("output {}", conlab_core::quoted(&c.trace.output_texts())),
    );
    let propagated = c
        .trace
        .output
        .iter()
        .any(|l| l.text.starts_with("after async with: exception propagated"));
    c.check(
        "exit-on-failure",
        "exit runs even when the body fails, and the failure still propagates",
        exit.is_some() && propagated == fails,
        format!(
            "body fails: {fails}, exit ran: {}, propagated: {propagated}",
            exit.is_some()
        ),
    );
    let d = c.params.duration("enter_ms") + c.params.duration("exit_ms");
    c.time(
        "makespan",
        "the whole takes about enter + exit",
        c.trace.metrics.makespan,
    )
    .about(d)
    .waits(2)
    .judge();
}

/// About how long a run takes: entering and exiting.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    p.duration("enter_ms") + p.duration("exit_ms")
}

/// This file: the code that runs, shown beside its timeline on the playground.
pub const SOURCE: &str = file!();
