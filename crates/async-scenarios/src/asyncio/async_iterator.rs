//! async-iterator: an async iterator awaits between items; `async for` consumes them in order
//! until it is exhausted. (Rust has no stable async-iterator trait yet, so the reader has an
//! `async fn next`, which is what `async for` calls.)

use conlab_core::{Checks, LaneCtx, Runtime, ScenarioError, SpanState};
use std::time::Duration;

/// A reader that yields 1..=items, one every `delay`.
struct Reader<R: Runtime> {
    lane: LaneCtx<R>,
    next: u64,
    last: u64,
    delay: Duration,
}

impl<R: Runtime> Reader<R> {
    async fn next(&mut self) -> Option<u64> {
        if self.next > self.last {
            return None;
        }
        self.lane.sleep_as(SpanState::BlockedIo, self.delay).await;
        self.next += 1;
        Some(self.next - 1)
    }
}

/// Runs the scenario.
pub async fn run<R: Runtime>(main: LaneCtx<R>) -> Result<(), ScenarioError> {
    let mut reader = Reader {
        lane: main.clone(),
        next: 1,
        last: main.params().count("items") as u64,
        delay: main.params().duration("item_ms"),
    };
    while let Some(item) = reader.next().await {
        main.print(item.to_string());
    }
    main.mark("exhausted", "");
    Ok(())
}

/// Checks: the items come out as 1..=items, in order, then the iterator is exhausted.
pub fn checks(c: &mut Checks) {
    let items = c.params.count("items");
    let expected: Vec<String> = (1..=items).map(|i| i.to_string()).collect();
    c.output_is("in-order", "yields 1..items in order", &expected);
    c.check(
        "exhausted",
        "iteration stops when the reader is exhausted",
        c.trace.marks_named("exhausted").count() == 1,
        "",
    );
}

/// About how long a run takes: every item's wait, one after the other.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    conlab_core::estimate::sleeps(p.usize("items"), p.duration("item_ms"))
}

/// This file: the code that runs, shown beside its timeline on the playground.
pub const SOURCE: &str = file!();
