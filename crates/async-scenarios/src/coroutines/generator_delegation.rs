//! generator-delegation: a generator yields, delegates to a sub-generator until it is
//! exhausted (Python's `yield from`), then yields again. In Rust the delegation is an
//! iterator that drains an inner iterator before going on; the consumer prints 1 3 4 2.

use conlab_core::{Checks, LaneCtx, LaneKind, Runtime, ScenarioError, Text};

/// The sub-generator: yields 3 then 4.
struct Sub<R: Runtime> {
    lane: LaneCtx<R>,
    next: u32,
}

impl<R: Runtime> Iterator for Sub<R> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        if self.next > 4 {
            self.lane.end();
            return None;
        }
        let v = self.next;
        self.next += 1;
        self.lane.mark("yield", Text::from(v.to_string()));
        Some(v)
    }
}

/// Where the outer generator is.
enum Stage<R: Runtime> {
    Start,
    Delegating(Sub<R>),
    Last,
    Done,
}

/// The outer generator: yields 1, then everything `Sub` yields, then 2.
struct Outer<R: Runtime> {
    lane: LaneCtx<R>,
    stage: Stage<R>,
}

impl<R: Runtime> Iterator for Outer<R> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        loop {
            match &mut self.stage {
                Stage::Start => {
                    let sub = Sub {
                        lane: self.lane.new_lane(LaneKind::Task, "sub-generator"),
                        next: 3,
                    };
                    self.stage = Stage::Delegating(sub);
                    self.lane.mark("yield", "1");
                    return Some(1);
                }
                Stage::Delegating(sub) => match sub.next() {
                    Some(v) => return Some(v),
                    None => self.stage = Stage::Last,
                },
                Stage::Last => {
                    self.stage = Stage::Done;
                    self.lane.mark("yield", "2");
                    return Some(2);
                }
                Stage::Done => {
                    self.lane.end();
                    return None;
                }
            }
        }
    }
}

/// Runs the scenario.
pub async fn run<R: Runtime>(main: LaneCtx<R>) -> Result<(), ScenarioError> {
    let outer = Outer {
        lane: main.new_lane(LaneKind::Task, "generator"),
        stage: Stage::Start,
    };
    for value in outer {
        main.print(value.to_string());
    }
    Ok(())
}

/// Checks: the consumer sees 1 3 4 2, and the values in the middle came from the
/// sub-generator's lane.
pub fn checks(c: &mut Checks) {
    c.output_is(
        "order",
        "output order is 1 3 4 2",
        &["1", "3", "4", "2"].map(String::from),
    );
    let by: Vec<String> = c
        .trace
        .marks_named("yield")
        .map(|m| format!("{}:{}", c.trace.lanes[m.lane as usize].name, m.detail))
        .collect();
    c.check(
        "delegated",
        "3 and 4 are yielded by the sub-generator, 1 and 2 by the outer one",
        by == [
            "generator:1",
            "sub-generator:3",
            "sub-generator:4",
            "generator:2",
        ],
        format!("yields {}", conlab_core::list(&by)),
    );
}

/// About how long a run takes: moments.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    use std::time::Duration;
    let _ = p;
    Duration::from_millis(10)
}

/// This file: the code that runs, shown beside its timeline on the playground.
pub const SOURCE: &str = file!();
