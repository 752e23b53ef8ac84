//! A live run as a stream: the first message is the whole snapshot so far (a trace), every
//! later one a [`Delta`] with only what changed. The server keeps a [`DeltaTracker`] per
//! stream; the page [`apply`]s each delta to the trace it draws. Nothing is sampled away:
//! every span, mark and output line of the run reaches the page once.

use conlab_core::{CodeSite, Lane, LaneId, Mark, Nanos, OutputLine, Span, SpanState, Trace};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// What a run recorded since the previous message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    /// When this snapshot was taken, on the run's clock (the trace's new `end`).
    pub now: Nanos,
    /// Lanes that are new or changed (a lane that ended), whole.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lanes: Vec<Lane>,
    /// Spans that closed since the previous message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spans: Vec<Span>,
    /// Spans opened since the previous message; open spans are drawn up to `now`, and
    /// close when a span with the same lane, start, depth and state arrives in `spans`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub open: Vec<Span>,
    /// Open spans sent before that are gone without closing (lane, start, depth, state).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gone: Vec<OpenKey>,
    /// New marks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<Mark>,
    /// New output lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output: Vec<OutputLine>,
    /// Code sites first seen now, appended to the trace's list (spans, marks and lines
    /// above already point into the list as it is after appending).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sites: Vec<CodeSite>,
    /// The scenario's latest word on its progress (a load test's requests per second).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<String>,
}

impl Delta {
    /// How many recorded items it carries (open spans not counted).
    pub fn len(&self) -> usize {
        self.lanes.len() + self.spans.len() + self.marks.len() + self.output.len()
    }

    /// Whether it carries nothing but the time.
    pub fn is_empty(&self) -> bool {
        self.len() == 0 && self.open.is_empty() && self.gone.is_empty() && self.sites.is_empty()
    }
}

/// What one stream has sent so far.
#[derive(Debug, Default)]
pub struct DeltaTracker {
    lanes: Vec<Lane>,
    spans: HashSet<SpanKey>,
    open: HashSet<OpenKey>,
    marks: HashSet<(LaneId, Nanos, u64)>,
    output: HashSet<(LaneId, Nanos, u64)>,
    /// The stream's own numbering of code sites: a snapshot numbers them in the order its
    /// merge meets them, which can change from one snapshot to the next.
    sites: HashMap<CodeSite, u16>,
    next_site: u16,
}

type SpanKey = (LaneId, Nanos, Nanos, u16, SpanState);

/// What names an open span until it closes: its lane, start, depth and state.
pub type OpenKey = (LaneId, Nanos, u16, SpanState);

fn span_key(s: &Span) -> SpanKey {
    (s.lane, s.start, s.end, s.depth, s.state)
}

fn open_key(s: &Span) -> OpenKey {
    (s.lane, s.start, s.depth, s.state)
}

impl DeltaTracker {
    /// Starts a stream with `first`, the snapshot sent whole. Returns it with its code sites
    /// in the stream's numbering (unchanged: the first snapshot's numbering is the stream's).
    pub fn start(first: &Trace) -> DeltaTracker {
        let mut tracker = DeltaTracker::default();
        for site in &first.sites {
            tracker.site_index(site, &mut Vec::new());
        }
        tracker.lanes = first.lanes.clone();
        tracker.spans = first
            .spans
            .iter()
            .filter(|s| !s.open)
            .map(span_key)
            .collect();
        tracker.open = first
            .spans
            .iter()
            .filter(|s| s.open)
            .map(open_key)
            .collect();
        tracker.marks = first.marks.iter().map(|m| (m.lane, m.t, m.order)).collect();
        tracker.output = first
            .output
            .iter()
            .map(|l| (l.lane, l.t, l.order))
            .collect();
        tracker
    }

    /// What `snapshot` (a later snapshot of the same run) adds to what was sent.
    pub fn next(&mut self, snapshot: &Trace, progress: Option<String>) -> Delta {
        let mut delta = Delta {
            now: snapshot.end,
            progress,
            ..Delta::default()
        };
        for lane in &snapshot.lanes {
            let index = lane.id as usize;
            match self.lanes.get(index) {
                Some(sent) if sent == lane => {}
                _ => {
                    if index < self.lanes.len() {
                        self.lanes[index] = lane.clone();
                    } else {
                        self.lanes.push(lane.clone());
                    }
                    delta.lanes.push(lane.clone());
                }
            }
        }
        let mut new_sites = Vec::new();
        let mut still_open = HashSet::new();
        for span in &snapshot.spans {
            let new = if span.open {
                still_open.insert(open_key(span));
                !self.open.contains(&open_key(span))
            } else {
                self.spans.insert(span_key(span))
            };
            if !new {
                continue;
            }
            let mut span = span.clone();
            span.site = self.remap(&snapshot.sites, span.site, &mut new_sites);
            if span.open {
                delta.open.push(span);
            } else {
                delta.spans.push(span);
            }
        }
        let closed: HashSet<OpenKey> = delta.spans.iter().map(open_key).collect();
        delta.gone = self
            .open
            .iter()
            .filter(|k| !still_open.contains(*k) && !closed.contains(*k))
            .copied()
            .collect();
        conlab_core::sort::sort_unstable(&mut delta.gone);
        self.open = still_open;
        for mark in &snapshot.marks {
            if self.marks.insert((mark.lane, mark.t, mark.order)) {
                let mut mark = mark.clone();
                mark.site = self.remap(&snapshot.sites, mark.site, &mut new_sites);
                delta.marks.push(mark);
            }
        }
        for line in &snapshot.output {
            if self.output.insert((line.lane, line.t, line.order)) {
                let mut line = line.clone();
                line.site = self.remap(&snapshot.sites, line.site, &mut new_sites);
                delta.output.push(line);
            }
        }
        delta.sites = new_sites;
        delta
    }

    fn remap(
        &mut self,
        sites: &[CodeSite],
        site: Option<u16>,
        new_sites: &mut Vec<CodeSite>,
    ) -> Option<u16> {
        let site = sites.get(usize::from(site?))?;
        Some(self.site_index(site, new_sites))
    }

    fn site_index(&mut self, site: &CodeSite, new_sites: &mut Vec<CodeSite>) -> u16 {
        if let Some(&i) = self.sites.get(site) {
            return i;
        }
        let i = self.next_site;
        self.next_site = self.next_site.saturating_add(1);
        self.sites.insert(site.clone(), i);
        new_sites.push(site.clone());
        i
    }
}

/// Applies a delta to the trace a page draws: new and changed lanes, closed spans added and
/// the open ones replaced, new marks, lines and sites, the end moved to `now`. Spans stay
/// ordered by start then lane, marks by time, lines in the order they were recorded.
pub fn apply(trace: &mut Trace, delta: Delta) {
    for lane in delta.lanes {
        let index = lane.id as usize;
        if index < trace.lanes.len() {
            trace.lanes[index] = lane;
        } else {
            trace.lanes.push(lane);
        }
    }
    if !delta.spans.is_empty() || !delta.gone.is_empty() {
        let mut closing: Vec<OpenKey> = delta.spans.iter().map(open_key).collect();
        closing.extend(delta.gone);
        conlab_core::sort::sort_unstable(&mut closing);
        trace
            .spans
            .retain(|s| !s.open || closing.binary_search(&open_key(s)).is_err());
    }
    let added = !delta.spans.is_empty() || !delta.open.is_empty();
    trace.spans.extend(delta.spans);
    trace.spans.extend(delta.open);
    for span in trace.spans.iter_mut().filter(|s| s.open) {
        span.end = span.end.max(delta.now);
    }
    if added {
        trace.spans.sort_by_key(|s| (s.start, s.lane));
    }
    if !delta.marks.is_empty() {
        trace.marks.extend(delta.marks);
        trace.marks.sort_by_key(|m| (m.t, m.order));
    }
    if !delta.output.is_empty() {
        trace.output.extend(delta.output);
        trace.output.sort_by_key(|l| (l.t, l.order));
    }
    trace.sites.extend(delta.sites);
    trace.end = trace.end.max(delta.now);
}
