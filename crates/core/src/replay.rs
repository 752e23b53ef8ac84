//! Replaying a run event by event, in the order it happened: by time, and within one instant
//! in the order the run recorded its events (a task prints, then begins its sleep; the other
//! task wakes up, then prints). On virtual time many events share an instant, so this order is
//! what a step-through shows. Traces recorded before the order was kept fall back to: ends,
//! then beginnings, then output and marks.

use crate::trace::{Nanos, Trace};

/// What happens at one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// Span `n` ends.
    End(usize),
    /// Span `n` begins.
    Begin(usize),
    /// Output line `n` is printed.
    Print(usize),
    /// Mark `n` is recorded.
    Mark(usize),
}

/// One event of a run, at its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// When.
    pub t: Nanos,
    /// What.
    pub kind: StepKind,
}

impl Step {
    /// Its place: time, then the recorded order, then (for traces without one) ends before
    /// beginnings before output before marks, each in recording order. A span that ends where
    /// it begins ends right after it begins. Spans begun at one place (nothing recorded
    /// between: a lock taken, then a sleep in it) begin outer first: the one that ends last.
    fn key(&self, t: &Trace) -> (Nanos, u64, u8, u64, usize, u8) {
        match self.kind {
            StepKind::End(i) => {
                let s = &t.spans[i];
                if s.end <= s.start {
                    (self.t, s.order.1, 1, 0, i, 1)
                } else {
                    (self.t, s.order.1, 0, 0, i, 0)
                }
            }
            StepKind::Begin(i) => {
                let s = &t.spans[i];
                (self.t, s.order.0, 1, u64::MAX - s.order.1, i, 0)
            }
            StepKind::Print(i) => (self.t, t.output[i].order, 2, 0, i, 0),
            StepKind::Mark(i) => (self.t, t.marks[i].order, 3, 0, i, 0),
        }
    }
}

/// Every event of a run, in the order it happened.
pub fn steps(t: &Trace) -> Vec<Step> {
    let mut all: Vec<Step> = Vec::with_capacity(t.spans.len() * 2 + t.output.len() + t.marks.len());
    for (i, s) in t.spans.iter().enumerate() {
        all.push(Step {
            t: s.start,
            kind: StepKind::Begin(i),
        });
        all.push(Step {
            t: s.end.max(s.start),
            kind: StepKind::End(i),
        });
    }
    all.extend(t.output.iter().enumerate().map(|(i, o)| Step {
        t: o.t,
        kind: StepKind::Print(i),
    }));
    all.extend(t.marks.iter().enumerate().map(|(i, m)| Step {
        t: m.t,
        kind: StepKind::Mark(i),
    }));
    all.sort_by_key(|s| s.key(t));
    all
}

/// How wide one step is on a step axis ([`on_step_axis`]).
pub const STEP_WIDTH: Nanos = 1_000_000;

/// The run laid out step by step, when all of it happened at one instant (on virtual time,
/// nothing slept or computed: starting processes, handing values between coroutines). Drawn
/// on its time axis such a run is a single line; drawn in steps it shows what happened in
/// which order. The copy puts its k-th step (from 1, in [`steps`] order) at k × [`STEP_WIDTH`]
/// and each lane from its first step to its last (or to the end, while it was still alive);
/// `None` when the run took time, or has fewer than two steps.
pub fn on_step_axis(t: &Trace) -> Option<Trace> {
    let all = steps(t);
    let first = all.first()?.t;
    if all.len() < 2 || all.iter().any(|s| s.t != first) || t.end > first {
        return None;
    }
    let at = |k: usize| (k as Nanos + 1) * STEP_WIDTH;
    let mut stepped = t.clone();
    let mut lane_steps: Vec<Option<(Nanos, Nanos)>> = vec![None; t.lanes.len()];
    for (k, step) in all.iter().enumerate() {
        let lane = match step.kind {
            StepKind::Begin(i) => {
                stepped.spans[i].start = at(k);
                t.spans[i].lane
            }
            StepKind::End(i) => {
                stepped.spans[i].end = at(k);
                t.spans[i].lane
            }
            StepKind::Print(i) => {
                stepped.output[i].t = at(k);
                t.output[i].lane
            }
            StepKind::Mark(i) => {
                stepped.marks[i].t = at(k);
                t.marks[i].lane
            }
        };
        if let Some(seen) = lane_steps.get_mut(lane as usize) {
            let (from, _) = seen.unwrap_or((at(k), at(k)));
            *seen = Some((from, at(k)));
        }
    }
    // Half a step past the last, so the axis counts as many steps as the run took.
    let end = at(all.len() - 1) + STEP_WIDTH / 2;
    for (id, (lane, seen)) in stepped.lanes.iter_mut().zip(&lane_steps).enumerate() {
        // A lane with no step of its own spans the whole run, and the first lane (the main
        // thread, the parent process, the loop) was there before any step.
        let (from, to) = seen.unwrap_or((0, end));
        let from = if id == 0 { 0 } else { from };
        lane.start = from.saturating_sub(STEP_WIDTH / 2);
        lane.end = lane.end.map(|_| (to + STEP_WIDTH / 2).min(end));
    }
    stepped.end = end;
    stepped.metrics.makespan = end;
    Some(stepped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Lane, LaneKind, OutputLine, Span, SpanState};

    fn lane(id: u32, name: &str) -> Lane {
        Lane {
            id,
            kind: LaneKind::Thread,
            name: name.to_string(),
            start: 0,
            end: Some(0),
            parent: None,
        }
    }

    fn one_instant() -> Trace {
        Trace {
            schema: crate::SCHEMA.into(),
            scenario: "process-start".into(),
            runtime: crate::RuntimeKind::Virtual,
            params: Default::default(),
            recorded_at: None,
            host: None,
            cores: None,
            interpreter: None,
            status: crate::Status::Ok,
            end: 0,
            lanes: vec![lane(0, "MainThread"), lane(1, "Process-1")],
            spans: vec![Span {
                lane: 0,
                state: SpanState::WaitingJoin,
                start: 0,
                end: 0,
                depth: 0,
                label: String::new(),
                open: false,
                order: (1, 3),
                site: None,
            }],
            marks: Vec::new(),
            output: vec![OutputLine {
                t: 0,
                lane: 1,
                text: "hello".into(),
                order: 2,
                site: None,
            }],
            metrics: Default::default(),
            checks: Vec::new(),
            sites: Vec::new(),
            charts: Vec::new(),
        }
    }

    #[test]
    fn a_run_at_one_instant_is_laid_out_in_the_order_of_its_steps() {
        let stepped = on_step_axis(&one_instant()).expect("one instant");
        // The main thread waits (step 1), the child prints (step 2), the wait ends (step 3).
        assert_eq!(stepped.spans[0].start, STEP_WIDTH);
        assert_eq!(stepped.spans[0].end, 3 * STEP_WIDTH);
        assert_eq!(stepped.output[0].t, 2 * STEP_WIDTH);
        assert!(stepped.lanes[1].start < stepped.output[0].t);
        assert!(stepped.lanes[1].end.unwrap() > stepped.output[0].t);
        assert_eq!(stepped.end, 3 * STEP_WIDTH + STEP_WIDTH / 2);
    }

    #[test]
    fn a_run_that_took_time_keeps_its_time_axis() {
        let mut t = one_instant();
        t.spans[0].end = 5;
        t.end = 5;
        assert!(on_step_axis(&t).is_none());
        let mut lone = one_instant();
        lone.output.clear();
        lone.spans[0].end = 0;
        lone.spans.clear();
        assert!(on_step_axis(&lone).is_none());
    }
}
