//! blocking-in-async: the anti-pattern. A blocking call inside a coroutine freezes the whole
//! event loop: nothing else runs, the calls add up, and the loop monitor warns, as asyncio's
//! debug mode does.

use crate::loop_monitor::{self, SLOW};
use conlab_core::{Checks, LaneCtx, Nanos, Runtime, ScenarioError, SpanState, TaskGroup};

/// Runs the scenario.
pub async fn run<R: Runtime>(main: LaneCtx<R>) -> Result<(), ScenarioError> {
    let calls = main.params().usize("calls");
    let block = main.params().duration("block_ms");
    loop_monitor::start(&main);
    // Let the monitor take its first look before the loop is frozen.
    conlab_core::yield_now().await;
    let group = TaskGroup::new();
    for i in 0..calls {
        main.spawn_into(&group, move |me| async move {
            me.print(format!(
                "call {i}: blocking (time.sleep) inside a coroutine"
            ));
            me.block(block);
            me.print(format!("call {i}: done"));
        });
    }
    main.during(SpanState::WaitingJoin, "gather", group.join_all())
        .await;
    // Give the monitor the chance to notice the last freeze.
    main.sleep(loop_monitor::TICK * 2).await;
    Ok(())
}

/// Checks: the blocking calls never overlap and their time adds up; every call that blocked
/// the loop for at least asyncio's slow-callback threshold (100 ms) plus the monitor's tick
/// draws a warning. The monitor measures how late its timer fired, and that timer may have had
/// up to one tick left when the call began, so a call of 100..110 ms may go unwarned.
pub fn checks(c: &mut Checks) {
    let calls = c.params.count("calls") as u32;
    let block = c.params.duration("block_ms");
    let blocking = c.trace.intervals(SpanState::Blocking);
    let serial = blocking.windows(2).all(|w| w[1].0 >= w[0].1);
    c.check(
        "serialized",
        "blocking calls never overlap: the loop is frozen during each",
        serial && blocking.len() == calls as usize,
        conlab_core::count_of(blocking.len(), "blocking span", "blocking spans"),
    );
    let last_end = blocking.iter().map(|b| b.1).max().unwrap_or(0);
    c.time(
        "makespan-sum",
        "the calls add up: they all end ~ calls x block after the start",
        last_end,
    )
    .about(block * calls)
    .unlike(block, "the calls overlapping (as awaited sleeps would)")
    .judge();
    let slow = SLOW.as_nanos() as Nanos;
    let tick = loop_monitor::TICK.as_nanos() as Nanos;
    let long = blocking
        .iter()
        .filter(|(a, b)| b - a >= slow + tick + c.tolerance.late.min(slow))
        .count();
    let warnings = c.trace.marks_named("loop_blocked").count();
    let description =
        "a 'blocked the event loop' warning is raised when calls block >= 110 ms (100 ms past the monitor's 10 ms tick)";
    if long == 0 {
        c.not_judged(
            "warned",
            description,
            "no call blocked the loop long enough that a warning is due",
        );
        return;
    }
    c.check(
        "warned",
        description,
        warnings > 0,
        format!(
            "{} for {}",
            conlab_core::count_of(warnings, "warning", "warnings"),
            conlab_core::count_of(long, "long blocking call", "long blocking calls")
        ),
    );
}

/// About how long a run takes: every blocking call, one after the other.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use std::time::Duration;
    p.duration("block_ms") * p.usize("calls") as u32 + Duration::from_millis(100)
}

/// This file: the code that runs, shown beside its timeline on the playground.
pub const SOURCE: &str = file!();
