//! A watcher task that notices when the event loop was blocked, as asyncio's debug mode does:
//! it wakes on a short timer, and when it wakes much later than asked, something held the
//! loop. It then records a `loop_blocked` warning. Its lane shows each of its timers as a
//! wait for the timer's event (not as a sleep: the monitor is the loop's, not the lesson's, and
//! its waits count in no busy time): one that fired late is as long as the loop kept it
//! waiting, and says so.

use conlab_core::{LaneCtx, LaneKind, Nanos, Runtime, SpanState, Text};
use std::time::Duration;

/// How often the monitor asks to be woken.
pub const TICK: Duration = Duration::from_millis(10);
/// asyncio's `slow_callback_duration`: a delay at least this long is reported.
pub const SLOW: Duration = Duration::from_millis(100);

/// Starts the monitor on a lane of its own. It runs until the scenario ends.
pub fn start<R: Runtime>(ctx: &LaneCtx<R>) {
    let lane = ctx.new_lane(LaneKind::Server, "loop-monitor");
    ctx.runtime().clone().spawn(async move {
        loop {
            let asked = lane.now();
            lane.runtime().sleep(TICK).await;
            let woke = lane.now();
            let late: Nanos = woke.saturating_sub(asked + TICK.as_nanos() as Nanos);
            let blocked = late >= SLOW.as_nanos() as Nanos;
            let label = match blocked {
                true => Text::from(format!(
                    "a {} timer that fired {} late: the loop was blocked",
                    conlab_core::ms(TICK.as_nanos() as Nanos),
                    conlab_core::ms(late)
                )),
                false => Text::from("timer"),
            };
            lane.writer()
                .span(lane.lane(), SpanState::WaitingEvent, asked, woke, label);
            if blocked {
                let text = format!(
                    "WARNING: the event loop was blocked for {} (a blocking call inside a coroutine)",
                    conlab_core::ms(late)
                );
                lane.mark("loop_blocked", Text::from(conlab_core::ms(late)));
                lane.print(text);
            }
        }
    });
}
