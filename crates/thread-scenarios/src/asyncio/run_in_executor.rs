//! run-in-executor: a blocking call handed to a thread pool from async code runs off the event
//! loop, so the loop stays responsive (a ticker keeps ticking) and the calls overlap.

use conlab_core::{
    Checks, LaneCtx, LaneKind, Nanos, Params, Runtime, ScenarioError, SpanState, Text,
};
use conlab_tokio::TokioRuntime;
use std::time::Duration;

/// How often the ticker ticks while the calls run.
const TICK: Duration = Duration::from_millis(20);

/// Why it cannot run with these parameters: the process-pool variant needs process support,
/// which this build does not have yet.
pub fn unavailable(params: &Params) -> Option<String> {
    (params.choice("pool") == "process").then(|| {
        "pool=process needs OS-process support, which arrives with the processes chapter; run with pool=thread".to_string()
    })
}

/// Runs the scenario.
pub async fn run(main: LaneCtx<TokioRuntime>) -> Result<(), ScenarioError> {
    let calls = main.params().usize("calls");
    let block = main.params().duration("block_ms");
    let ticker = main.spawn_named("ticker", |me| async move {
        loop {
            me.runtime().sleep(TICK).await;
            me.mark("tick", "");
        }
    });
    let rt = main.runtime().clone();
    let mut handles = Vec::with_capacity(calls);
    for i in 0..calls {
        let (writer, rt) = (main.writer().clone(), rt.clone());
        let lane = main.new_lane(LaneKind::Worker, format!("executor-call-{i}"));
        let lane_id = lane.lane();
        handles.push(tokio::task::spawn_blocking(move || {
            let start = rt.now();
            std::thread::sleep(block);
            writer.span(
                lane_id,
                SpanState::Blocking,
                start,
                rt.now(),
                Text::Static("time.sleep"),
            );
            writer.output(
                rt.now(),
                lane_id,
                format!("call {i}: done in a pool thread"),
            );
            writer.end_lane(rt.now(), lane_id);
        }));
    }
    main.print(format!("handed {calls} blocking calls to the thread pool"));
    for h in handles {
        main.during(SpanState::WaitingFuture, "run_in_executor", h)
            .await
            .map_err(|e| ScenarioError::failed(format!("a pool thread failed: {e}")))?;
    }
    ticker.abort();
    main.print("all calls done; the loop kept ticking meanwhile");
    Ok(())
}

/// Checks: the calls overlap (makespan ~ one call), and the loop stayed responsive: the
/// ticker never missed its tick by more than the timing tolerance.
pub fn checks(c: &mut Checks) {
    let block = c.params.duration("block_ms");
    let calls = c.params.usize("calls");
    let blocking = c.trace.intervals(SpanState::Blocking);
    c.check(
        "all-ran",
        "every call ran in the pool",
        blocking.len() == calls,
        format!("{} of {calls} calls", blocking.len()),
    );
    let end = blocking.iter().map(|b| b.1).max().unwrap_or(0);
    c.about(
        "makespan-one-call",
        "the calls overlap: they all end ~ one call after the start",
        end,
        block,
    );
    let mut ticks: Vec<Nanos> = c.trace.marks_named("tick").map(|m| m.t).collect();
    ticks.insert(0, 0);
    ticks.push(end);
    let gap = ticks
        .windows(2)
        .map(|w| w[1].saturating_sub(w[0]))
        .max()
        .unwrap_or(0);
    let allowed = TICK.as_nanos() as Nanos + c.tolerance.late;
    c.check(
        "loop-responsive",
        "the loop stays responsive: the ticker keeps ticking during the calls",
        gap <= allowed,
        format!(
            "longest gap between ticks {} (allowed {})",
            conlab_core::ms(gap),
            conlab_core::ms(allowed)
        ),
    );
}

/// About how long a run takes: one blocking call (the pool runs them side by side).
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use conlab_core::estimate::{times, PER_THREAD};
    p.duration("block_ms") + times(p.usize("calls"), PER_THREAD) + Duration::from_millis(100)
}
