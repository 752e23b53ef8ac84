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
