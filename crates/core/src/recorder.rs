//! Cheap, thread-safe event recording. Each thread (or each single-threaded event loop) records
//! into its own [`EventWriter`]; [`TraceRecorder::collect`] merges every writer's events by
//! timestamp into lanes, spans, marks and output lines.
//!
//! Why per-writer buffers: a shared buffer behind one mutex makes every thread contend on every
//! event. Each writer's buffer still sits behind its own mutex, which is uncontended on the hot
//! path (one owner) but lets the runner take a snapshot of a run that timed out while its
//! threads are stuck. Events are 32 bytes and stored in fixed-size chunks so that a long run
//! never copies its history when a buffer grows; text lives in a side table.

use crate::sites::{Site, SiteTable, NO_SITE};
use crate::trace::{
    Chart, CodeSite, Lane, LaneId, LaneKind, LatencySummary, Mark, Metric, Nanos, OutputLine, Span,
    SpanState,
};
use std::collections::HashMap;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// The largest chunk; the first chunk of a buffer is small (a run with thousands of threads
/// gives each a buffer) and each next one doubles up to this.
const CHUNK: usize = 4096;
const FIRST_CHUNK: usize = 32;
const NO_TEXT: u32 = u32::MAX;

/// A piece of text attached to an event: free when static, one allocation when owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    /// No text.
    None,
    /// A string known at compile time.
    Static(&'static str),
    /// A string built at run time.
    Owned(Box<str>),
}

impl Text {
    fn as_str(&self) -> &str {
        match self {
            Text::None => "",
            Text::Static(s) => s,
            Text::Owned(s) => s,
        }
    }

    /// The text as a string.
    pub fn into_string(self) -> String {
        match self {
            Text::Owned(s) => s.into_string(),
            other => other.as_str().to_string(),
        }
    }
}

impl From<&'static str> for Text {
    fn from(s: &'static str) -> Text {
        if s.is_empty() {
            Text::None
        } else {
            Text::Static(s)
        }
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        if s.is_empty() {
            Text::None
        } else {
            Text::Owned(s.into_boxed_str())
        }
    }
}

/// How a lane is named: a number after its kind (`task-7`), free to record, or a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LaneName {
    /// `<kind>-<n>`, e.g. `task-7`.
    Numbered(u32),
    /// A name of its own.
    Text(Text),
}

impl From<&'static str> for LaneName {
    fn from(s: &'static str) -> LaneName {
        LaneName::Text(Text::from(s))
    }
}

impl From<String> for LaneName {
    fn from(s: String) -> LaneName {
        LaneName::Text(Text::from(s))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Op {
    LaneStart,
    LaneEnd,
    Begin,
    End,
    /// A complete span recorded at its end; `a` holds the start.
    Span,
    Mark,
    Output,
}

/// One recorded event. Kept at 32 bytes: the meaning of `a` and `text` depends on `op`.
#[derive(Debug, Clone, Copy)]
struct Event {
    t: Nanos,
    a: u64,
    lane: LaneId,
    text: u32,
    /// For a complete span: how many events its writer had recorded when it began
    /// ([`JUST_BEFORE`] if it began right before this event), so a replay can put its
    /// beginning in its place among events of the same instant. For a lane's start: the lane
    /// it belongs to ([`JUST_BEFORE`] for none).
    begun: u32,
    op: Op,
    code: u8,
    /// The line of code that recorded it, numbered in its writer's [`SiteTable`].
    site: u16,
}

/// A span recorded whole whose beginning came right before its end event on its writer.
const JUST_BEFORE: u32 = u32::MAX;

#[derive(Default)]
struct Buffer {
    chunks: Vec<Vec<Event>>,
    texts: Vec<Text>,
    sites: SiteTable,
    /// Events pushed since the buffer was made (taking them does not reset it).
    pushed: u32,
    /// Spans recorded whole that have begun and not ended yet (pending sleeps), so a snapshot
    /// can draw them up to now.
    pending: PendingTable,
    /// The line every event is placed at, whatever called the writer: set by code whose
    /// events are recorded by a toolkit on its behalf (see [`EventWriter::pin_site`]).
    pinned: Option<Site>,
}

/// Slots for pending spans, in fixed-size chunks: a million tasks asleep at once fill it
/// without ever copying it to grow. Free slots are chained through themselves.
#[derive(Default)]
struct PendingTable {
    chunks: Vec<Vec<Slot>>,
    /// The first free slot, if any.
    free: Option<u32>,
}

#[derive(Debug, Clone, Copy)]
enum Slot {
    Taken(Pending),
    /// Free; the next free slot.
    Free(Option<u32>),
}

const PENDING_CHUNK: usize = 4096;

impl PendingTable {
    fn slot(&mut self, slot: u32) -> Option<&mut Slot> {
        self.chunks
            .get_mut(slot as usize / PENDING_CHUNK)?
            .get_mut(slot as usize % PENDING_CHUNK)
    }

    fn insert(&mut self, p: Pending) -> u32 {
        if let Some(slot) = self.free {
            if let Some(entry) = self.slot(slot) {
                let next = match *entry {
                    Slot::Free(next) => next,
                    Slot::Taken(_) => None,
                };
                *entry = Slot::Taken(p);
                self.free = next;
                return slot;
            }
        }
        if self.chunks.last().is_none_or(|c| c.len() == PENDING_CHUNK) {
            self.chunks.push(Vec::with_capacity(PENDING_CHUNK));
        }
        let n = self.chunks.len() - 1;
        let chunk = &mut self.chunks[n];
        chunk.push(Slot::Taken(p));
        (n * PENDING_CHUNK + chunk.len() - 1) as u32
    }

    fn remove(&mut self, slot: u32) -> Option<Pending> {
        let free = self.free;
        let entry = self.slot(slot)?;
        let Slot::Taken(p) = *entry else {
            return None;
        };
        *entry = Slot::Free(free);
        self.free = Some(slot);
        Some(p)
    }

    fn iter(&self) -> impl Iterator<Item = &Pending> {
        self.chunks.iter().flatten().filter_map(|s| match s {
            Slot::Taken(p) => Some(p),
            Slot::Free(_) => None,
        })
    }
}

/// A span recorded whole that has begun: where, in what state, since when, and how many events
/// its writer had recorded then.
#[derive(Debug, Clone, Copy)]
struct Pending {
    lane: LaneId,
    state: SpanState,
    start: Nanos,
    begun: u32,
    site: u16,
}

/// A span begun with [`EventWriter::begin_whole`], to end with [`EventWriter::end_whole`].
#[derive(Debug)]
pub struct WholeSpan {
    slot: u32,
}

impl Buffer {
    #[inline]
    fn push(&mut self, event: Event) {
        self.pushed = self.pushed.wrapping_add(1);
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < chunk.capacity() => chunk.push(event),
            _ => {
                let size = self
                    .chunks
                    .last()
                    .map_or(FIRST_CHUNK, |c| (c.len() * 2).min(CHUNK));
                let mut chunk = Vec::with_capacity(size);
                chunk.push(event);
                self.chunks.push(chunk);
            }
        }
    }

    #[inline]
    fn text(&mut self, text: Text) -> u32 {
        if matches!(text, Text::None) {
            return NO_TEXT;
        }
        self.texts.push(text);
        (self.texts.len() - 1) as u32
    }

    fn len(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum()
    }
}

struct Shared {
    next_lane: AtomicU32,
    buffers: Mutex<Vec<Arc<Mutex<Buffer>>>>,
    metrics: Mutex<Vec<Metric>>,
    measured: Mutex<Measured>,
    /// Set by [`TraceRecorder::take`] before it empties the first buffer: a snapshot that sees
    /// it may have read some buffers already emptied, and is no picture of the run.
    taken: AtomicBool,
}

/// What a scenario measured itself, beside its events: charts, a latency summary that replaces
/// the one computed from its spans (a load test records only a sample of its requests as
/// spans), and a line saying how far a long run has got.
#[derive(Default)]
struct Measured {
    charts: Vec<Chart>,
    latency: Option<LatencySummary>,
    progress: Option<String>,
}

/// The recording of one run. Cheap to clone; every clone records into the same run.
#[derive(Clone)]
pub struct TraceRecorder {
    shared: Arc<Shared>,
}

impl Default for TraceRecorder {
    fn default() -> Self {
        TraceRecorder::new()
    }
}

impl TraceRecorder {
    /// An empty recording.
    pub fn new() -> TraceRecorder {
        TraceRecorder {
            shared: Arc::new(Shared {
                next_lane: AtomicU32::new(0),
                buffers: Mutex::new(Vec::new()),
                metrics: Mutex::new(Vec::new()),
                measured: Mutex::new(Measured::default()),
                taken: AtomicBool::new(false),
            }),
        }
    }

    /// A writer with a buffer of its own. Give each thread its own writer.
    pub fn writer(&self) -> EventWriter {
        let buffer = Arc::new(Mutex::new(Buffer::default()));
        lock(&self.shared.buffers).push(buffer.clone());
        EventWriter {
            buffer,
            shared: self.shared.clone(),
        }
    }

    /// The scenario-specific figures recorded so far.
    pub fn metrics(&self) -> Vec<Metric> {
        lock(&self.shared.metrics).clone()
    }

    /// The charts recorded so far.
    pub fn charts(&self) -> Vec<Chart> {
        lock(&self.shared.measured).charts.clone()
    }

    /// The latency summary the scenario measured itself, if it did.
    pub fn measured_latency(&self) -> Option<LatencySummary> {
        lock(&self.shared.measured).latency
    }

    /// The scenario's latest word on how far it has got (a long run's live progress), if any.
    pub fn progress(&self) -> Option<String> {
        lock(&self.shared.measured).progress.clone()
    }

    /// Number of events recorded so far.
    pub fn event_count(&self) -> usize {
        lock(&self.shared.buffers)
            .iter()
            .map(|b| lock(b).len())
            .sum()
    }

    /// Merges everything recorded so far (the run may still be going) into lanes, spans, marks
    /// and output. Spans still open are closed at `end` and flagged `open`.
    ///
    /// Each buffer is normally already in time order (one writer, a monotonic clock), so the
    /// buffers are merged without copying their events; a buffer that is not is sorted first.
    pub fn collect(&self, end: Nanos) -> Recording {
        // Collected whatever the state: an end that took the events has nothing to wait for.
        self.collect_unless_taken(end, false).unwrap_or_default()
    }

    /// Like [`TraceRecorder::collect`] for a run still going on, from another thread: `None`
    /// once [`TraceRecorder::take`] has begun handing the events over to finish the run (the
    /// buffers are being emptied, so what is left is no picture of it).
    pub fn collect_live(&self, end: Nanos) -> Option<Recording> {
        self.collect_unless_taken(end, true)
    }

    /// Collects with every buffer locked; `None` if `refuse_taken` and, once they all are,
    /// [`TraceRecorder::take`] has begun (one function for both: the page's download carries
    /// one copy of it).
    fn collect_unless_taken(&self, end: Nanos, refuse_taken: bool) -> Option<Recording> {
        let handles: Vec<Arc<Mutex<Buffer>>> = lock(&self.shared.buffers).clone();
        let guards: Vec<MutexGuard<'_, Buffer>> = handles.iter().map(|b| lock(b)).collect();
        if refuse_taken && self.shared.taken.load(Ordering::Acquire) {
            return None;
        }
        let sorted: Vec<std::borrow::Cow<'_, [Event]>> = guards
            .iter()
            .map(|b| {
                let mut flat: Vec<Event> = Vec::new();
                let in_order = b
                    .chunks
                    .iter()
                    .flatten()
                    .zip(b.chunks.iter().flatten().skip(1))
                    .all(|(a, z)| a.t <= z.t);
                if b.chunks.len() == 1 && in_order {
                    return std::borrow::Cow::Borrowed(b.chunks[0].as_slice());
                }
                flat.extend(b.chunks.iter().flatten().copied());
                if !in_order {
                    crate::order::sort_by_packed_key(&mut flat, |e| e.t as u128);
                }
                std::borrow::Cow::Owned(flat)
            })
            .collect();
        let texts: Vec<&[Text]> = guards.iter().map(|b| b.texts.as_slice()).collect();
        let sites: Vec<&SiteTable> = guards.iter().map(|b| &b.sites).collect();
        let pending: Vec<(usize, Pending)> = guards
            .iter()
            .enumerate()
            .flat_map(|(i, b)| b.pending.iter().map(move |p| (i, *p)))
            .collect();
        let sizes = Sizes::count(sorted.iter().flat_map(|list| list.iter()));
        Some(build(merge(&sorted), &texts, &sites, &pending, sizes, end))
    }
}

impl TraceRecorder {
    /// Like [`TraceRecorder::collect`], but hands the events over instead of copying them:
    /// each chunk is freed as soon as it is merged, so building a large trace does not hold
    /// every event and the finished trace in memory at once. The recorder is empty afterwards.
    pub fn take(&self, end: Nanos) -> Recording {
        self.shared.taken.store(true, Ordering::Release);
        let handles: Vec<Arc<Mutex<Buffer>>> = lock(&self.shared.buffers).clone();
        let mut lists = Vec::with_capacity(handles.len());
        let mut texts = Vec::with_capacity(handles.len());
        let mut sites = Vec::with_capacity(handles.len());
        let mut pending = Vec::new();
        let mut sizes = Sizes::default();
        for handle in &handles {
            let mut b = lock(handle);
            let mut chunks = std::mem::take(&mut b.chunks);
            texts.push(std::mem::take(&mut b.texts));
            sites.push(std::mem::take(&mut b.sites));
            let buf = lists.len();
            let table = std::mem::take(&mut b.pending);
            pending.extend(table.iter().map(|p| (buf, *p)));
            let in_order = chunks
                .iter()
                .flatten()
                .zip(chunks.iter().flatten().skip(1))
                .all(|(a, z)| a.t <= z.t);
            if !in_order {
                let mut flat: Vec<Event> = chunks.into_iter().flatten().collect();
                crate::order::sort_by_packed_key(&mut flat, |e| e.t as u128);
                chunks = vec![flat];
            }
            let more = Sizes::count(chunks.iter().flatten());
            sizes.lanes += more.lanes;
            sizes.spans += more.spans;
            sizes.marks += more.marks;
            sizes.output += more.output;
            lists.push(Drain::new(chunks));
        }
        let texts: Vec<&[Text]> = texts.iter().map(Vec::as_slice).collect();
        let sites: Vec<&SiteTable> = sites.iter().collect();
        build(merge_draining(lists), &texts, &sites, &pending, sizes, end)
    }
}

/// Hands out a buffer's events in order, freeing each chunk once it is used up.
struct Drain {
    chunks: std::vec::IntoIter<Vec<Event>>,
    current: std::vec::IntoIter<Event>,
}

impl Drain {
    fn new(chunks: Vec<Vec<Event>>) -> Drain {
        Drain {
            chunks: chunks.into_iter(),
            current: Vec::new().into_iter(),
        }
    }
}

impl Iterator for Drain {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(e) = self.current.next() {
                return Some(e);
            }
            self.current = self.chunks.next()?.into_iter();
        }
    }
}

/// Merges draining, time-ordered event lists by (time, list index, position); yields each
/// event with its list and its position in that list.
fn merge_draining(mut lists: Vec<Drain>) -> impl Iterator<Item = (usize, u32, Event)> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let mut heads: BinaryHeap<Reverse<(Nanos, usize, u32)>> = BinaryHeap::new();
    let mut pending: Vec<Option<Event>> = Vec::with_capacity(lists.len());
    for (i, list) in lists.iter_mut().enumerate() {
        let first = list.next();
        if let Some(e) = &first {
            heads.push(Reverse((e.t, i, 0)));
        }
        pending.push(first);
    }
    std::iter::from_fn(move || {
        let Reverse((_, i, pos)) = heads.pop()?;
        let event = pending[i].take()?;
        if let Some(next) = lists[i].next() {
            heads.push(Reverse((next.t, i, pos + 1)));
            pending[i] = Some(next);
        }
        Some((i, pos, event))
    })
}

/// The merged content of a recording.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recording {
    /// Lanes, indexed by id.
    pub lanes: Vec<Lane>,
    /// Spans, ordered by start.
    pub spans: Vec<Span>,
    /// Point events, ordered by time.
    pub marks: Vec<Mark>,
    /// Output lines in order.
    pub output: Vec<OutputLine>,
    /// The lines of code that recorded them.
    pub sites: Vec<CodeSite>,
}

/// Merges time-ordered event lists by (time, list index, position).
fn merge<'a>(
    lists: &'a [std::borrow::Cow<'a, [Event]>],
) -> impl Iterator<Item = (usize, u32, Event)> + 'a {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let mut heads: BinaryHeap<Reverse<(Nanos, usize, usize)>> = lists
        .iter()
        .enumerate()
        .filter_map(|(i, l)| l.first().map(|e| Reverse((e.t, i, 0))))
        .collect();
    std::iter::from_fn(move || {
        let Reverse((_, list, pos)) = heads.pop()?;
        if let Some(next) = lists[list].get(pos + 1) {
            heads.push(Reverse((next.t, list, pos + 1)));
        }
        Some((list, pos as u32, lists[list][pos]))
    })
}

/// Builds lanes, spans, marks and output from merged events. Each gets its place in the
/// replay order (`order`, which with the time gives the merge's order): odd numbers for events,
/// and for a span recorded whole, an even number for its beginning, just before the event its
/// writer recorded after it began. What is still open ends after everything.
fn build(
    events: impl Iterator<Item = (usize, u32, Event)>,
    texts: &[&[Text]],
    sites: &[&SiteTable],
    pending: &[(usize, Pending)],
    sizes: Sizes,
    end: Nanos,
) -> Recording {
    let text_of = |buf: usize, idx: u32| -> String {
        if idx == NO_TEXT {
            String::new()
        } else {
            texts[buf][idx as usize].as_str().to_string()
        }
    };
    // Sized up front: a million spans grown by doubling would hold half again as much.
    let mut rec = Recording {
        lanes: Vec::with_capacity(sizes.lanes),
        spans: Vec::with_capacity(sizes.spans + pending.len()),
        marks: Vec::with_capacity(sizes.marks),
        output: Vec::with_capacity(sizes.output),
        sites: Vec::new(),
    };
    let mut numbering = SiteNumbering::new(sites);
    // Open spans per lane: (state, start, label, order). Sparse: most lanes never open one.
    let mut stacks: HashMap<LaneId, Vec<OpenSpan>> = HashMap::new();
    // An event's place: its writer, then its position there (the merge's own order at one
    // instant); odd, so a span recorded whole can begin just before the event at a position.
    let place = |buf: usize, pos: u32| ((buf as u64) << 33) | (2 * u64::from(pos) + 1);
    // Per lane, where its latest finished span began, to see a span recorded whole (after the
    // fact, as a lock's hold is) arrive around spans already finished inside it. Only OS
    // threads record so (the page's own runs never do: left out of its download).
    #[cfg(not(target_arch = "wasm32"))]
    let mut latest_start: Vec<Nanos> = Vec::new();
    #[cfg(not(target_arch = "wasm32"))]
    let mut nested_lanes: Vec<LaneId> = Vec::new();
    for (buf, pos, e) in events {
        let lane = e.lane as usize;
        let order = place(buf, pos);
        match e.op {
            Op::LaneStart => {
                let kind = lane_kind_from_code(e.code);
                let name = if e.text == NO_TEXT {
                    format!("{}-{}", lane_kind_prefix(kind), e.a)
                } else {
                    text_of(buf, e.text)
                };
                if rec.lanes.len() <= lane {
                    rec.lanes.resize_with(lane + 1, || Lane {
                        id: 0,
                        kind: LaneKind::Task,
                        name: String::new(),
                        start: 0,
                        end: None,
                        parent: None,
                    });
                }
                rec.lanes[lane] = Lane {
                    id: e.lane,
                    kind,
                    name,
                    start: e.t,
                    end: None,
                    parent: (e.begun != JUST_BEFORE).then_some(e.begun),
                };
            }
            Op::LaneEnd => {
                if let Some(mut stack) = stacks.remove(&e.lane) {
                    close_all(&mut stack, e.lane, (e.t, order), false, &mut rec.spans);
                }
                if let Some(l) = rec.lanes.get_mut(lane) {
                    l.end = Some(e.t);
                }
            }
            Op::Begin => {
                let stack = stacks.entry(e.lane).or_default();
                stack.push(OpenSpan {
                    state: span_state_from_code(e.code),
                    start: e.t,
                    label: text_of(buf, e.text),
                    begun: order,
                    site: numbering.global(buf, e.site, &mut rec.sites),
                });
            }
            Op::End => {
                let stack = stacks.entry(e.lane).or_default();
                if let Some(open) = stack.pop() {
                    #[cfg(not(target_arch = "wasm32"))]
                    note_start(&mut latest_start, lane, open.start);
                    rec.spans.push(Span {
                        lane: e.lane,
                        state: open.state,
                        start: open.start,
                        end: e.t,
                        depth: stack.len() as u16,
                        label: open.label,
                        open: false,
                        order: (open.begun, order),
                        site: open.site,
                    });
                }
            }
            Op::Span => {
                // Just before the event that followed its beginning on its writer.
                let begun = if e.begun != JUST_BEFORE && e.begun < pos {
                    place(buf, e.begun) - 1
                } else {
                    order - 1
                };
                #[cfg(not(target_arch = "wasm32"))]
                {
                    if latest_start
                        .get(lane)
                        .is_some_and(|&inner| inner != Nanos::MAX && inner >= e.a)
                    {
                        nested_lanes.push(e.lane);
                    }
                    note_start(&mut latest_start, lane, e.a);
                }
                rec.spans.push(Span {
                    lane: e.lane,
                    state: span_state_from_code(e.code),
                    start: e.a,
                    end: e.t,
                    depth: stacks.get(&e.lane).map_or(0, Vec::len) as u16,
                    label: text_of(buf, e.text),
                    open: false,
                    order: (begun, order),
                    site: numbering.global(buf, e.site, &mut rec.sites),
                })
            }
            Op::Mark => rec.marks.push(Mark {
                lane: e.lane,
                t: e.t,
                name: text_of(buf, e.a as u32),
                detail: text_of(buf, e.text),
                // A mark told after the fact: just before the event it was placed at.
                order: if e.begun != JUST_BEFORE && e.begun < pos {
                    place(buf, e.begun) - 1
                } else {
                    order
                },
                site: numbering.global(buf, e.site, &mut rec.sites),
            }),
            Op::Output => rec.output.push(OutputLine {
                t: e.t,
                lane: e.lane,
                text: text_of(buf, e.text),
                order,
                site: numbering.global(buf, e.site, &mut rec.sites),
            }),
        }
    }
    // Spans recorded whole that have not ended (a sleep in progress): drawn up to `end`,
    // innermost on their lane.
    for (buf, p) in pending {
        let begun = place(*buf, p.begun) - 1;
        rec.spans.push(Span {
            lane: p.lane,
            state: p.state,
            start: p.start,
            end: end.max(p.start),
            depth: stacks.get(&p.lane).map_or(0, Vec::len) as u16,
            label: String::new(),
            open: true,
            order: (begun, u64::MAX),
            site: numbering.global(*buf, p.site, &mut rec.sites),
        });
    }
    let mut still_open: Vec<(LaneId, Vec<OpenSpan>)> = stacks.into_iter().collect();
    crate::sort::sort_unstable_by_key(&mut still_open, |(lane, _)| *lane);
    for (lane, mut stack) in still_open {
        close_all(&mut stack, lane, (end, u64::MAX), true, &mut rec.spans);
    }
    #[cfg(not(target_arch = "wasm32"))]
    if !nested_lanes.is_empty() {
        nest_by_time(&mut rec.spans, nested_lanes);
    }
    // Start, then lane (32 bits), then depth (16 bits).
    crate::order::sort_by_packed_key(&mut rec.spans, |s| {
        (s.start as u128) << 48 | (s.lane as u128) << 16 | s.depth as u128
    });
    rec
}

/// Records that a span of `lane` that began at `start` has finished.
#[cfg(not(target_arch = "wasm32"))]
#[inline]
fn note_start(latest: &mut Vec<Nanos>, lane: usize, start: Nanos) {
    if latest.len() <= lane {
        latest.resize(lane + 1, Nanos::MAX);
    }
    latest[lane] = start;
}

/// Gives the spans of `lanes` the depth of their nesting in time: a span recorded whole after
/// spans that finished inside it (a lock's hold, recorded at its release, around a sleep) is
/// drawn around them, not under them. Spans that begin together nest in the order they began.
#[cfg(not(target_arch = "wasm32"))]
fn nest_by_time(spans: &mut [Span], mut lanes: Vec<LaneId>) {
    crate::sort::sort_unstable(&mut lanes);
    lanes.dedup();
    let mut mine: Vec<usize> = (0..spans.len())
        .filter(|&i| lanes.binary_search(&spans[i].lane).is_ok())
        .collect();
    crate::sort::sort_unstable_by_key(&mut mine, |&i| {
        let s = &spans[i];
        (s.lane, s.start, std::cmp::Reverse(s.end), s.order.0)
    });
    // The ends of the spans around the current one, on its lane.
    let mut around: Vec<(LaneId, Nanos)> = Vec::new();
    for i in mine {
        let (lane, start, end) = (spans[i].lane, spans[i].start, spans[i].end);
        while around
            .last()
            .is_some_and(|&(l, until)| l != lane || until <= start && until < end)
        {
            around.pop();
        }
        spans[i].depth = around.len() as u16;
        around.push((lane, end));
    }
}

/// How many lanes, spans, marks and lines some events make (spans: at most).
#[derive(Debug, Default, Clone, Copy)]
struct Sizes {
    lanes: usize,
    spans: usize,
    marks: usize,
    output: usize,
}

impl Sizes {
    fn count<'a>(events: impl Iterator<Item = &'a Event>) -> Sizes {
        let mut s = Sizes::default();
        for e in events {
            match e.op {
                Op::LaneStart => s.lanes += 1,
                Op::End | Op::Span => s.spans += 1,
                Op::Mark => s.marks += 1,
                Op::Output => s.output += 1,
                Op::LaneEnd | Op::Begin => {}
            }
        }
        s
    }
}

/// A span that has begun and not yet ended.
struct OpenSpan {
    state: SpanState,
    start: Nanos,
    label: String,
    /// Its place in the replay order.
    begun: u64,
    site: Option<u16>,
}

/// Numbers the writers' sites in one list for the trace, one entry per line of code.
struct SiteNumbering<'a> {
    tables: &'a [&'a SiteTable],
    /// Per writer, its site numbers' places in the trace's list, once looked up.
    known: Vec<Vec<Option<Option<u16>>>>,
}

impl<'a> SiteNumbering<'a> {
    fn new(tables: &'a [&'a SiteTable]) -> SiteNumbering<'a> {
        SiteNumbering {
            tables,
            known: vec![Vec::new(); tables.len()],
        }
    }

    /// The trace's number for site `n` of writer `buf`, adding the line to `list` if new.
    fn global(&mut self, buf: usize, n: u16, list: &mut Vec<CodeSite>) -> Option<u16> {
        if n == NO_SITE {
            return None;
        }
        let known = &mut self.known[buf];
        if let Some(Some(found)) = known.get(n as usize) {
            return *found;
        }
        let site = self.tables[buf].get(n)?;
        let (file, line) = (site.file().replace('\\', "/"), site.line());
        // A scan: a scenario records from a few dozen lines, and each is looked up once per
        // writer (a hash map here would weigh on the playground's download).
        let number = match list.iter().position(|s| s.line == line && s.file == file) {
            Some(i) => Some(i as u16),
            None if list.len() < NO_SITE as usize => {
                list.push(CodeSite { file, line });
                Some((list.len() - 1) as u16)
            }
            None => None,
        };
        if known.len() <= n as usize {
            known.resize(n as usize + 1, None);
        }
        known[n as usize] = Some(number);
        number
    }
}

/// Ends every span of `stack` at `at` (a time and a place in the replay order).
fn close_all(
    stack: &mut Vec<OpenSpan>,
    lane: LaneId,
    at: (Nanos, u64),
    open: bool,
    spans: &mut Vec<Span>,
) {
    while let Some(span) = stack.pop() {
        spans.push(Span {
            lane,
            state: span.state,
            start: span.start,
            end: at.0.max(span.start),
            depth: stack.len() as u16,
            label: span.label,
            open,
            order: (span.begun, at.1),
            site: span.site,
        });
    }
}

fn lane_kind_prefix(kind: LaneKind) -> &'static str {
    match kind {
        LaneKind::Main => "main",
        LaneKind::Thread => "thread",
        LaneKind::Process => "process",
        LaneKind::Task => "task",
        LaneKind::Worker => "worker",
        LaneKind::Connection => "conn",
        LaneKind::Server => "server",
        LaneKind::Lock => "lock",
    }
}

const LANE_KINDS: [LaneKind; 8] = [
    LaneKind::Main,
    LaneKind::Thread,
    LaneKind::Process,
    LaneKind::Task,
    LaneKind::Worker,
    LaneKind::Connection,
    LaneKind::Server,
    LaneKind::Lock,
];

fn lane_kind_code(kind: LaneKind) -> u8 {
    LANE_KINDS.iter().position(|k| *k == kind).unwrap_or(0) as u8
}

fn lane_kind_from_code(code: u8) -> LaneKind {
    LANE_KINDS
        .get(code as usize)
        .copied()
        .unwrap_or(LaneKind::Task)
}

fn span_state_code(state: SpanState) -> u8 {
    SpanState::ALL.iter().position(|s| *s == state).unwrap_or(0) as u8
}

fn span_state_from_code(code: u8) -> SpanState {
    SpanState::ALL
        .get(code as usize)
        .copied()
        .unwrap_or(SpanState::Running)
}

/// Records events into one buffer of a [`TraceRecorder`]. Cloning shares the buffer.
#[derive(Clone)]
pub struct EventWriter {
    buffer: Arc<Mutex<Buffer>>,
    shared: Arc<Shared>,
}

impl EventWriter {
    #[inline]
    #[allow(clippy::too_many_arguments)]
    fn push(
        &self,
        t: Nanos,
        lane: LaneId,
        op: Op,
        code: u8,
        a: u64,
        text: Text,
        site: Option<Site>,
    ) {
        let mut b = lock(&self.buffer);
        let text = b.text(text);
        let site = site.map(|s| b.pinned.unwrap_or(s));
        let site = site.map_or(NO_SITE, |s| b.sites.number(s));
        b.push(Event {
            t,
            a,
            lane,
            text,
            begun: JUST_BEFORE,
            op,
            code,
            site,
        });
    }

    /// A writer with a buffer of its own, recording into the same run (for another thread).
    pub fn sibling(&self) -> EventWriter {
        TraceRecorder {
            shared: self.shared.clone(),
        }
        .writer()
    }

    /// Begins a span that will be recorded as one event when it ends (a sleep: cheaper than
    /// a begin and an end event). Until then snapshots draw it up to their time, as open.
    #[inline]
    #[track_caller]
    pub fn begin_whole(&self, lane: LaneId, state: SpanState, start: Nanos) -> WholeSpan {
        self.begin_whole_at(Location::caller(), lane, state, start)
    }

    /// Like [`EventWriter::begin_whole`], for a span begun by code at `site`.
    #[inline]
    pub fn begin_whole_at(
        &self,
        site: Site,
        lane: LaneId,
        state: SpanState,
        start: Nanos,
    ) -> WholeSpan {
        let mut b = lock(&self.buffer);
        let pending = Pending {
            lane,
            state,
            start,
            begun: b.pushed,
            site: {
                let site = b.pinned.unwrap_or(site);
                b.sites.number(site)
            },
        };
        WholeSpan {
            slot: b.pending.insert(pending),
        }
    }

    /// Forgets a span begun with [`EventWriter::begin_whole`] that turned out not to happen
    /// (a wait that did not have to wait): nothing is recorded.
    pub fn cancel_whole(&self, span: WholeSpan) {
        lock(&self.buffer).pending.remove(span.slot);
    }

    /// Ends a span begun with [`EventWriter::begin_whole`] at `end`, recording it whole.
    #[inline]
    pub fn end_whole(&self, span: WholeSpan, end: Nanos, label: impl Into<Text>) {
        let mut b = lock(&self.buffer);
        let Some(p) = b.pending.remove(span.slot) else {
            return;
        };
        let text = b.text(label.into());
        b.push(Event {
            t: end,
            a: p.start,
            lane: p.lane,
            text,
            begun: p.begun,
            op: Op::Span,
            code: span_state_code(p.state),
            site: p.site,
        });
    }

    /// Creates a lane that appears at `t`.
    pub fn new_lane(&self, t: Nanos, kind: LaneKind, name: impl Into<LaneName>) -> LaneId {
        self.start_lane(t, kind, name.into(), JUST_BEFORE)
    }

    fn start_lane(&self, t: Nanos, kind: LaneKind, name: LaneName, parent: u32) -> LaneId {
        let id = self.shared.next_lane.fetch_add(1, Ordering::Relaxed);
        let (a, text) = match name {
            LaneName::Numbered(n) => (n as u64, Text::None),
            LaneName::Text(text) => (0, text),
        };
        let mut b = lock(&self.buffer);
        let text = b.text(text);
        b.push(Event {
            t,
            a,
            lane: id,
            text,
            begun: parent,
            op: Op::LaneStart,
            code: lane_kind_code(kind),
            site: NO_SITE,
        });
        id
    }

    /// Creates a lane that appears at `t` and belongs to lane `parent` (a thread of a child
    /// process belongs to the process's lane).
    pub fn new_lane_under(
        &self,
        t: Nanos,
        kind: LaneKind,
        name: impl Into<LaneName>,
        parent: LaneId,
    ) -> LaneId {
        self.start_lane(t, kind, name.into(), parent)
    }

    /// Ends a lane at `t`, closing its open spans.
    #[inline]
    pub fn end_lane(&self, t: Nanos, lane: LaneId) {
        self.push(t, lane, Op::LaneEnd, 0, 0, Text::None, None);
    }

    /// Opens a span on `lane`; [`EventWriter::end`] closes the innermost open one.
    #[inline]
    #[track_caller]
    pub fn begin(&self, t: Nanos, lane: LaneId, state: SpanState, label: impl Into<Text>) {
        self.begin_at(Location::caller(), t, lane, state, label);
    }

    /// Like [`EventWriter::begin`], for a span begun by code at `site` (a future that records
    /// its span when first polled, long after it was written).
    #[inline]
    pub fn begin_at(
        &self,
        site: Site,
        t: Nanos,
        lane: LaneId,
        state: SpanState,
        label: impl Into<Text>,
    ) {
        let code = span_state_code(state);
        self.push(t, lane, Op::Begin, code, 0, label.into(), Some(site));
    }

    /// Closes the innermost open span of `lane`.
    #[inline]
    pub fn end(&self, t: Nanos, lane: LaneId) {
        self.push(t, lane, Op::End, 0, 0, Text::None, None);
    }

    /// Records a whole span at once (cheaper than `begin` + `end` when both times are known).
    #[inline]
    #[track_caller]
    pub fn span(
        &self,
        lane: LaneId,
        state: SpanState,
        start: Nanos,
        end: Nanos,
        label: impl Into<Text>,
    ) {
        self.span_at(Location::caller(), lane, state, start, end, label);
    }

    /// Like [`EventWriter::span`], for a span of code at `site` (code whose operations are
    /// futures, which cannot pass their caller on).
    #[inline]
    pub fn span_at(
        &self,
        site: Site,
        lane: LaneId,
        state: SpanState,
        start: Nanos,
        end: Nanos,
        label: impl Into<Text>,
    ) {
        let code = span_state_code(state);
        self.push(end, lane, Op::Span, code, start, label.into(), Some(site));
    }

    /// Records a point event.
    #[track_caller]
    pub fn mark(&self, t: Nanos, lane: LaneId, name: &'static str, detail: impl Into<Text>) {
        self.mark_at(Location::caller(), t, lane, name, detail);
    }

    /// Places every event this writer records from now on at `site` (`None`: where its caller
    /// is, again). The thread seam pins each operation's line in a scenario, so the events the
    /// thread toolkit records for it show that line, not the toolkit's.
    pub fn pin_site(&self, site: Option<Site>) {
        lock(&self.buffer).pinned = site;
    }

    /// Where the next event this writer records goes: a mark recorded later can be placed
    /// there in the replay order ([`EventWriter::mark_placed`]).
    pub fn position(&self) -> u32 {
        lock(&self.buffer).pushed
    }

    /// Records a mark told after the fact (a wake link, known once the woken thread steps),
    /// placed in the replay order just before the event this writer recorded at `position`
    /// ([`EventWriter::position`]): where what it tells happened.
    pub fn mark_placed(
        &self,
        position: u32,
        t: Nanos,
        lane: LaneId,
        name: &'static str,
        detail: impl Into<Text>,
    ) {
        self.push_mark(None, position, t, lane, name, detail.into());
    }

    /// Like [`EventWriter::mark`], for a mark made by code at `site`.
    pub fn mark_at(
        &self,
        site: Site,
        t: Nanos,
        lane: LaneId,
        name: &'static str,
        detail: impl Into<Text>,
    ) {
        self.push_mark(Some(site), JUST_BEFORE, t, lane, name, detail.into());
    }

    /// Records a mark at `site` (none: at no line), placed before the event at `position`
    /// (`JUST_BEFORE`: where it is recorded).
    #[inline]
    fn push_mark(
        &self,
        site: Option<Site>,
        position: u32,
        t: Nanos,
        lane: LaneId,
        name: &'static str,
        detail: Text,
    ) {
        let mut b = lock(&self.buffer);
        let name = b.text(Text::Static(name));
        let text = b.text(detail);
        let site = match site {
            Some(site) => {
                let site = b.pinned.unwrap_or(site);
                b.sites.number(site)
            }
            None => NO_SITE,
        };
        b.push(Event {
            t,
            a: name as u64,
            lane,
            text,
            begun: position,
            op: Op::Mark,
            code: 0,
            site,
        });
    }

    /// Records a scenario-specific figure (replacing one with the same key).
    pub fn metric(&self, metric: Metric) {
        let mut metrics = lock(&self.shared.metrics);
        metrics.retain(|m| m.key != metric.key);
        metrics.push(metric);
    }

    /// Records a chart (replacing one with the same key).
    pub fn chart(&self, chart: Chart) {
        let mut measured = lock(&self.shared.measured);
        measured.charts.retain(|c| c.key != chart.key);
        measured.charts.push(chart);
    }

    /// Records the run's latency as the scenario measured it, in place of the summary computed
    /// from its `in_flight` spans.
    pub fn measured_latency(&self, latency: LatencySummary) {
        lock(&self.shared.measured).latency = Some(latency);
    }

    /// Says how far the run has got, in one short line (shown live by the CLI; not part of the
    /// trace).
    pub fn progress(&self, line: String) {
        lock(&self.shared.measured).progress = Some(line);
    }

    /// Records a line of output.
    #[track_caller]
    pub fn output(&self, t: Nanos, lane: LaneId, text: impl Into<Text>) {
        self.output_at(Location::caller(), t, lane, text);
    }

    /// Like [`EventWriter::output`], for a line printed by code at `site`.
    pub fn output_at(&self, site: Site, t: Nanos, lane: LaneId, text: impl Into<Text>) {
        self.push(t, lane, Op::Output, 0, 0, text.into(), Some(site));
    }
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it: a recording must
/// survive a scenario thread that panicked, so the partial trace can still be shown.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_32_bytes() {
        assert_eq!(std::mem::size_of::<Event>(), 32);
    }

    #[test]
    fn merges_writers_by_time_and_nests_spans() {
        let rec = TraceRecorder::new();
        let a = rec.writer();
        let b = rec.writer();
        let main = a.new_lane(0, LaneKind::Main, "main");
        let t1 = b.new_lane(5, LaneKind::Thread, LaneName::Numbered(1));
        a.begin(10, main, SpanState::HoldingLock, "lock A");
        a.span(main, SpanState::Sleeping, 12, 20, "");
        b.output(15, t1, "hello".to_string());
        a.end(30, main);
        b.mark(31, t1, "done", "");
        b.begin(32, t1, SpanState::WaitingLock, "lock A");
        a.end_lane(40, main);
        let r = rec.collect(50);
        assert_eq!(r.lanes.len(), 2);
        assert_eq!(r.lanes[1].name, "thread-1");
        assert_eq!(r.lanes[0].end, Some(40));
        assert_eq!(r.lanes[1].end, None);
        let spans: Vec<(u32, SpanState, u64, u64, u16, bool)> = r
            .spans
            .iter()
            .map(|s| (s.lane, s.state, s.start, s.end, s.depth, s.open))
            .collect();
        assert_eq!(
            spans,
            vec![
                (0, SpanState::HoldingLock, 10, 30, 0, false),
                (0, SpanState::Sleeping, 12, 20, 1, false),
                (1, SpanState::WaitingLock, 32, 50, 0, true),
            ]
        );
        assert_eq!(r.output[0].text, "hello");
        assert_eq!(r.marks[0].name, "done");
        assert_eq!(rec.event_count(), 9);
    }

    #[test]
    fn a_span_recorded_whole_is_drawn_open_until_it_ends_and_replays_where_it_began() {
        let rec = TraceRecorder::new();
        let w = rec.writer();
        let a = w.new_lane(0, LaneKind::Task, LaneName::Numbered(1));
        let b = w.new_lane(0, LaneKind::Task, LaneName::Numbered(2));
        w.output(0, a, "a prints, then sleeps".to_string());
        let sleep = w.begin_whole(a, SpanState::Sleeping, 0);
        w.output(0, b, "b prints while a sleeps".to_string());
        let live = rec.collect(50);
        let open: Vec<_> = live.spans.iter().filter(|s| s.open).collect();
        assert_eq!(open.len(), 1, "{:?}", live.spans);
        assert_eq!((open[0].lane, open[0].start, open[0].end), (a, 0, 50));
        w.end_whole(sleep, 100, "");
        let done = rec.collect(200);
        let s = &done.spans[0];
        assert!(!s.open && s.end == 100);
        // Begun after a's line and before b's, though recorded last.
        assert!(done.output[0].order < s.order.0 && s.order.0 < done.output[1].order);
    }

    #[test]
    fn a_span_recorded_whole_after_the_spans_inside_it_is_drawn_around_them() {
        // A lock's hold is recorded at its release, after the sleep inside it.
        let rec = TraceRecorder::new();
        let w = rec.writer();
        let a = w.new_lane(0, LaneKind::Thread, LaneName::Numbered(1));
        let b = w.new_lane(0, LaneKind::Thread, LaneName::Numbered(2));
        w.span(a, SpanState::WaitingLock, 0, 10, "");
        w.span(a, SpanState::Sleeping, 11, 19, "");
        w.span(a, SpanState::HoldingLock, 10, 20, "");
        // One after the other on another lane: no nesting.
        w.span(b, SpanState::Sleeping, 0, 10, "");
        w.span(b, SpanState::Sleeping, 10, 20, "");
        let r = rec.collect(30);
        let depth = |lane, state| {
            r.spans
                .iter()
                .find(|s| s.lane == lane && s.state == state)
                .map(|s| s.depth)
        };
        assert_eq!(depth(a, SpanState::WaitingLock), Some(0));
        assert_eq!(depth(a, SpanState::HoldingLock), Some(0));
        assert_eq!(depth(a, SpanState::Sleeping), Some(1));
        assert!(r.spans.iter().filter(|s| s.lane == b).all(|s| s.depth == 0));
    }

    #[test]
    fn a_live_snapshot_is_refused_once_the_recording_is_handed_over_not_drawn_empty() {
        let rec = TraceRecorder::new();
        let w = rec.writer();
        let a = w.new_lane(0, LaneKind::Thread, LaneName::Numbered(1));
        let _sleep = w.begin_whole(a, SpanState::BlockedIo, 0);
        let live = rec.collect_live(10).expect("a run going on is drawn");
        assert_eq!((live.lanes.len(), live.spans.len()), (1, 1));
        let whole = rec.take(20);
        assert_eq!(whole.spans.len(), 1);
        // A stream taking its next snapshot now would have sent "every span is gone".
        assert!(rec.collect_live(30).is_none());
    }

    #[test]
    fn writers_on_many_threads_lose_nothing() {
        let rec = TraceRecorder::new();
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let w = rec.writer();
                std::thread::spawn(move || {
                    let lane = w.new_lane(0, LaneKind::Thread, LaneName::Numbered(i));
                    for t in 0..10_000u64 {
                        w.span(lane, SpanState::Running, t, t + 1, "");
                    }
                    w.end_lane(10_001, lane);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let r = rec.collect(20_000);
        assert_eq!(r.spans.len(), 40_000);
        assert!(r.lanes.iter().all(|l| l.end == Some(10_001)));
    }
}
