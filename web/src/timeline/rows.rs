//! Which lanes get a row, and in what order: every lane (those that belong to another right
//! after it), or only those whose name contains a filter; and runs of lanes that did the same thing folded into one row ("task-1 … task-10000:
//! 10,000 lanes like this") until that row is opened.

use super::model::TimelineModel;
use conlab_core::Trace;

/// At least this many alike lanes in a row are folded into one.
pub const MIN_FOLD: usize = 3;

/// A row: one lane, or a folded run of alike lanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Row {
    /// Where its lanes start in `Rows::lanes`.
    from: u32,
    /// How many lanes it stands for (1: a lane of its own).
    len: u32,
}

/// The rows of a timeline.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Rows {
    /// The lanes shown, in order (positions in the trace's lane list).
    lanes: Vec<u32>,
    rows: Vec<Row>,
    /// The row each lane is drawn in (`u32::MAX`: filtered out).
    row_of_lane: Vec<u32>,
    /// Some run of alike lanes could be folded (whether or not it is).
    foldable: bool,
}

/// How a timeline's rows are chosen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowChoice {
    /// Only lanes whose name contains this (ignoring ASCII case); empty: every lane.
    pub filter: String,
    /// Fold runs of alike lanes.
    pub fold: bool,
    /// Folded runs opened again, by their first lane.
    pub opened: Vec<u32>,
}

impl Rows {
    /// The rows of `trace` (indexed in `model`) under `choice`.
    pub fn new(trace: &Trace, model: &TimelineModel, choice: &RowChoice) -> Rows {
        let needle = choice.filter.trim().to_ascii_lowercase();
        let mut lanes: Vec<u32> = (0..trace.lanes.len() as u32)
            .filter(|&i| {
                needle.is_empty()
                    || trace.lanes[i as usize]
                        .name
                        .to_ascii_lowercase()
                        .contains(&needle)
            })
            .collect();
        // Lanes that belong to a lane of the run (a child process's threads) follow it, unless
        // a filter picks lanes by name. One level: a lane whose parent belongs to another is
        // shown in its own place.
        let parent = |i: u32| {
            trace.lanes[i as usize]
                .parent
                .filter(|p| trace.lanes[*p as usize].parent.is_none())
        };
        if needle.is_empty() && lanes.iter().any(|&i| parent(i).is_some()) {
            let mut kids: Vec<Vec<u32>> = vec![Vec::new(); trace.lanes.len()];
            for &i in &lanes {
                if let Some(p) = parent(i) {
                    kids[p as usize].push(i);
                }
            }
            let mut order = Vec::with_capacity(lanes.len());
            for i in lanes.into_iter().filter(|&i| parent(i).is_none()) {
                order.push(i);
                order.extend_from_slice(&kids[i as usize]);
            }
            lanes = order;
        }
        // Alike: same name but for digits, same kind, same states (compared without
        // allocating: this runs for every snapshot of a live run).
        let alike = |a: u32, b: u32| {
            let (x, y) = (&trace.lanes[a as usize], &trace.lanes[b as usize]);
            x.kind == y.kind
                && model.shape(a as usize) == model.shape(b as usize)
                && x.name
                    .chars()
                    .filter(|c| !c.is_ascii_digit())
                    .eq(y.name.chars().filter(|c| !c.is_ascii_digit()))
        };
        let mut rows = Vec::new();
        let mut foldable = false;
        let mut at = 0;
        while at < lanes.len() {
            let mut end = at + 1;
            while end < lanes.len() && alike(lanes[at], lanes[end]) {
                end += 1;
            }
            let run = end - at >= MIN_FOLD;
            foldable |= run;
            if run && choice.fold && !choice.opened.contains(&lanes[at]) {
                rows.push(Row {
                    from: at as u32,
                    len: (end - at) as u32,
                });
            } else {
                // A lane of its own, or a run shown open: a row for each of its lanes.
                rows.extend((at..end).map(|i| Row {
                    from: i as u32,
                    len: 1,
                }));
            }
            at = end;
        }
        let mut row_of_lane = vec![u32::MAX; trace.lanes.len()];
        for (r, row) in rows.iter().enumerate() {
            for &lane in &lanes[row.from as usize..(row.from + row.len) as usize] {
                row_of_lane[lane as usize] = r as u32;
            }
        }
        Rows {
            lanes,
            rows,
            row_of_lane,
            foldable,
        }
    }

    /// How many rows there are.
    pub fn count(&self) -> usize {
        self.rows.len()
    }

    /// The lanes row `r` stands for.
    pub fn lanes_of(&self, r: usize) -> &[u32] {
        match self.rows.get(r) {
            Some(row) => &self.lanes[row.from as usize..(row.from + row.len) as usize],
            None => &[],
        }
    }

    /// The row lane `lane` is drawn in, if it is shown.
    pub fn row_of(&self, lane: usize) -> Option<usize> {
        match self.row_of_lane.get(lane) {
            Some(&r) if r != u32::MAX => Some(r as usize),
            _ => None,
        }
    }

    /// Whether some run of alike lanes could be folded (whether or not it is).
    pub fn foldable(&self) -> bool {
        self.foldable
    }

    /// How many lanes are shown.
    pub fn lane_count(&self) -> usize {
        self.lanes.len()
    }
}
