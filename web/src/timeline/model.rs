//! A trace's spans indexed per lane, so drawing and hovering touch only what is visible.

use conlab_core::{LaneId, Nanos, Span, SpanState, Trace};

/// One span as the timeline needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    /// Start, in nanoseconds since the run's start.
    pub start: Nanos,
    /// End.
    pub end: Nanos,
    /// What the lane was doing.
    pub state: SpanState,
    /// Nesting depth (0 for the lane's own state).
    pub depth: u16,
    /// Index of the span in the trace, for its label.
    pub index: u32,
}

/// The bars of one lane, by start, with the furthest end reached so far at each position
/// (`reach`), which makes "the first bar that may still be visible at t" a binary search even
/// when bars nest.
#[derive(Debug, Default, Clone)]
struct LaneBars {
    bars: Vec<Bar>,
    reach: Vec<Nanos>,
}

/// What the pointer is over.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The lane's row.
    pub row: usize,
    /// The span's index in the trace.
    pub span: usize,
}

/// A trace prepared for drawing.
#[derive(Debug, Default)]
pub struct TimelineModel {
    lanes: Vec<LaneBars>,
    /// The time axis ends here (the trace's end, or a shared end when comparing runs).
    pub end: Nanos,
    /// The states that occur, in display order, for the legend.
    pub states: Vec<SpanState>,
}

impl TimelineModel {
    /// Indexes `trace`; rows are the trace's lanes in order.
    pub fn new(trace: &Trace) -> TimelineModel {
        let mut lanes: Vec<LaneBars> = vec![LaneBars::default(); trace.lanes.len()];
        let mut seen = [false; SpanState::ALL.len()];
        for (i, s) in trace.spans.iter().enumerate() {
            let Some(lane) = row_of(trace, s.lane).and_then(|r| lanes.get_mut(r)) else {
                continue;
            };
            lane.bars.push(bar(i, s));
            // The legend names what is drawn: a span that took no time draws nothing.
            if let Some(k) = SpanState::ALL.iter().position(|x| *x == s.state) {
                seen[k] |= s.end > s.start;
            }
        }
        for lane in &mut lanes {
            // Spans arrive ordered by start already; sorting keeps files from elsewhere right.
            if !lane.bars.windows(2).all(|w| w[0].start <= w[1].start) {
                conlab_core::order::sort_by_packed_key(&mut lane.bars, |b| {
                    (b.start as u128) << 16 | b.depth as u128
                });
            }
            let mut far = 0;
            lane.reach = lane
                .bars
                .iter()
                .map(|b| {
                    far = far.max(b.end);
                    far
                })
                .collect();
        }
        TimelineModel {
            lanes,
            end: trace.end.max(1),
            states: SpanState::ALL
                .iter()
                .zip(seen)
                .filter(|(_, s)| *s)
                .map(|(x, _)| *x)
                .collect(),
        }
    }

    /// Number of rows (lanes).
    pub fn rows(&self) -> usize {
        self.lanes.len()
    }

    /// What lane `lane` did, as a number: lanes that went through the same states in the same
    /// nesting (whenever and however long) get the same one.
    pub fn shape(&self, lane: usize) -> u64 {
        // FNV-1a over (state, depth) of every bar.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.lanes.get(lane).map_or(&[][..], |l| &l.bars) {
            for byte in [b.state as u8, b.depth as u8] {
                h = (h ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        h
    }

    /// The bars of `row` that overlap `[t0, t1]`, by start.
    pub fn visible(&self, row: usize, t0: Nanos, t1: Nanos) -> impl Iterator<Item = &Bar> + '_ {
        let lane = self.lanes.get(row);
        let (bars, from) = match lane {
            Some(l) => (l.bars.as_slice(), l.reach.partition_point(|&r| r < t0)),
            None => (&[][..], 0),
        };
        bars[from..]
            .iter()
            .take_while(move |b| b.start <= t1)
            .filter(move |b| b.end >= t0)
    }

    /// The innermost span of `row` under `[t - slack, t + slack]`, preferring one that
    /// contains `t` itself.
    pub fn hit(&self, row: usize, t: Nanos, slack: Nanos) -> Option<Hit> {
        let mut best: Option<(&Bar, Nanos)> = None;
        for b in self.visible(row, t.saturating_sub(slack), t.saturating_add(slack)) {
            let distance = if t < b.start {
                b.start - t
            } else {
                t.saturating_sub(b.end)
            };
            let better = match best {
                None => true,
                Some((x, d)) => distance < d || (distance == d && b.depth >= x.depth),
            };
            if better {
                best = Some((b, distance));
            }
        }
        best.map(|(b, _)| Hit {
            row,
            span: b.index as usize,
        })
    }
}

fn bar(index: usize, s: &Span) -> Bar {
    Bar {
        start: s.start,
        end: s.end.max(s.start),
        state: s.state,
        depth: s.depth,
        index: index as u32,
    }
}

/// Lanes are stored by id; ids are normally their position.
fn row_of(trace: &Trace, lane: LaneId) -> Option<usize> {
    match trace.lanes.get(lane as usize) {
        Some(l) if l.id == lane => Some(lane as usize),
        _ => trace.lanes.iter().position(|l| l.id == lane),
    }
}
