//! The trace model: what one run recorded (lanes, spans, marks, output lines), its metrics, its
//! checks and its status. This is the versioned JSON (`conlab.trace/1`) that the native runner
//! writes and the web app reads.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The schema tag every trace carries.
pub const SCHEMA: &str = "conlab.trace/1";

/// Nanoseconds since the start of the run.
pub type Nanos = u64;

/// Identifies a lane within one trace.
pub type LaneId = u32;

/// What a lane stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LaneKind {
    /// The scenario's main flow (the main thread or the main coroutine).
    Main,
    /// An OS thread.
    Thread,
    /// An OS process.
    Process,
    /// An async task.
    Task,
    /// A worker of a pool (thread or process pool, executor).
    Worker,
    /// A connection to a server (Redis, MySQL, HTTP).
    Connection,
    /// A server-side handler or the event loop itself.
    Server,
    /// A lock lanes take turns at, such as the GIL: who holds it, when, and each hand-over.
    Lock,
}

/// What a lane is doing during a span. Chosen so the timeline can say *why* a lane is idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpanState {
    /// Executing code.
    Running,
    /// Doing CPU-bound work.
    Computing,
    /// Sleeping on a timer.
    Sleeping,
    /// Blocked on IO (a download, a socket).
    BlockedIo,
    /// A blocking call that holds the thread (and, inside async code, the whole event loop).
    Blocking,
    /// Waiting to acquire a lock.
    WaitingLock,
    /// Holding a lock.
    HoldingLock,
    /// Waiting for a semaphore permit.
    WaitingSemaphore,
    /// Waiting on a condition variable.
    WaitingCondition,
    /// Waiting for an event to be set.
    WaitingEvent,
    /// Waiting on a queue or channel.
    WaitingQueue,
    /// Waiting for another thread, process or task to finish.
    WaitingJoin,
    /// Waiting for a future's result.
    WaitingFuture,
    /// Waiting for the (simulated) global interpreter lock.
    WaitingGil,
    /// Connecting to a server.
    Connecting,
    /// A command, query or request in flight.
    InFlight,
    /// Waiting for a free connection in a pool.
    PoolWait,
}

impl SpanState {
    /// Whether the lane waits in this state (sleeps, waits on something, or has a request out),
    /// so it runs none of its own code meanwhile.
    pub fn is_waiting(self) -> bool {
        !matches!(
            self,
            SpanState::Running
                | SpanState::Computing
                | SpanState::Blocking
                | SpanState::HoldingLock
        )
    }

    /// Every state, in display order.
    pub const ALL: [SpanState; 17] = [
        SpanState::Running,
        SpanState::Computing,
        SpanState::Sleeping,
        SpanState::BlockedIo,
        SpanState::Blocking,
        SpanState::WaitingLock,
        SpanState::HoldingLock,
        SpanState::WaitingSemaphore,
        SpanState::WaitingCondition,
        SpanState::WaitingEvent,
        SpanState::WaitingQueue,
        SpanState::WaitingJoin,
        SpanState::WaitingFuture,
        SpanState::WaitingGil,
        SpanState::Connecting,
        SpanState::InFlight,
        SpanState::PoolWait,
    ];

    /// The state's name as written in traces (`waiting_lock`).
    pub fn as_str(self) -> &'static str {
        match self {
            SpanState::Running => "running",
            SpanState::Computing => "computing",
            SpanState::Sleeping => "sleeping",
            SpanState::BlockedIo => "blocked_io",
            SpanState::Blocking => "blocking",
            SpanState::WaitingLock => "waiting_lock",
            SpanState::HoldingLock => "holding_lock",
            SpanState::WaitingSemaphore => "waiting_semaphore",
            SpanState::WaitingCondition => "waiting_condition",
            SpanState::WaitingEvent => "waiting_event",
            SpanState::WaitingQueue => "waiting_queue",
            SpanState::WaitingJoin => "waiting_join",
            SpanState::WaitingFuture => "waiting_future",
            SpanState::WaitingGil => "waiting_gil",
            SpanState::Connecting => "connecting",
            SpanState::InFlight => "in_flight",
            SpanState::PoolWait => "pool_wait",
        }
    }

    /// Whether the lane does work in this state (as opposed to waiting). Busy time and peak
    /// concurrency count only working states.
    pub fn is_busy(self) -> bool {
        matches!(
            self,
            SpanState::Running
                | SpanState::Computing
                | SpanState::Sleeping
                | SpanState::BlockedIo
                | SpanState::Blocking
                | SpanState::HoldingLock
                | SpanState::InFlight
        )
    }
}

/// A line of scenario code that recorded events (where a task printed, began a sleep, waited).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CodeSite {
    /// The source file, relative to the workspace (`crates/async-scenarios/src/asyncio/two_tasks.rs`).
    pub file: String,
    /// The line, from 1.
    pub line: u32,
}

/// One lane: a thread, process, task or connection on the shared time axis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lane {
    /// Index of the lane in `Trace::lanes`.
    pub id: LaneId,
    /// What the lane stands for.
    pub kind: LaneKind,
    /// A short name (`task-1`, `Thread-3`, `pid 4242`).
    pub name: String,
    /// When the lane appeared.
    pub start: Nanos,
    /// When the lane ended; `None` if it was still alive when the trace ended.
    pub end: Option<Nanos>,
    /// The lane this one belongs to: a thread of a child process lists the process's lane.
    /// Absent for lanes of the run itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<LaneId>,
}

/// A stretch of time during which a lane was in one state. Spans of one lane nest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// The lane.
    pub lane: LaneId,
    /// What the lane was doing.
    pub state: SpanState,
    /// Start time.
    pub start: Nanos,
    /// End time.
    pub end: Nanos,
    /// Nesting depth within the lane (0 = outermost).
    pub depth: u16,
    /// Detail, e.g. `sleep 200 ms` or `lock A`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
    /// Set when the span was still open when the run ended (timed out or cut off).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub open: bool,
    /// Where its beginning and its end stand in the order the run recorded events, for a
    /// replay of events that share an instant (see [`crate::replay`]); `(0, 0)` if unknown.
    #[serde(default, skip_serializing_if = "no_order_pair")]
    pub order: (u64, u64),
    /// The line of code that began it: an index into [`Trace::sites`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<u16>,
}

fn no_order_pair(order: &(u64, u64)) -> bool {
    *order == (0, 0)
}

fn no_order(order: &u64) -> bool {
    *order == 0
}

impl Span {
    /// The span's length.
    pub fn duration(&self) -> Nanos {
        self.end.saturating_sub(self.start)
    }
}

/// A point event on a lane (a task created, a result set, a warning).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// The lane.
    pub lane: LaneId,
    /// When.
    pub t: Nanos,
    /// What happened, as a stable machine-readable name (`task_cancelled`).
    pub name: String,
    /// Detail for people.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// Where it stands in the order the run recorded events; 0 if unknown.
    #[serde(default, skip_serializing_if = "no_order")]
    pub order: u64,
    /// The line of code that recorded it: an index into [`Trace::sites`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<u16>,
}

/// One line of program output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputLine {
    /// When it was printed.
    pub t: Nanos,
    /// Who printed it.
    pub lane: LaneId,
    /// The text.
    pub text: String,
    /// Where it stands in the order the run recorded events; 0 if unknown.
    #[serde(default, skip_serializing_if = "no_order")]
    pub order: u64,
    /// The line of code that recorded it: an index into [`Trace::sites`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<u16>,
}

/// How a run ended. Written `{"kind": "failed", "reason": "…"}`; read through [`StatusFields`]
/// (serde's reader of internally tagged enums buffers every value it meets and weighed 13 KB
/// in the page's download).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "StatusFields")]
pub enum Status {
    /// The scenario ran to its end (its checks may still fail).
    Ok,
    /// The scenario could not complete.
    Failed {
        /// Why.
        reason: String,
    },
    /// The scenario ran past its time limit; the trace is partial.
    TimedOut {
        /// The limit, in milliseconds.
        limit_ms: u64,
    },
    /// Someone stopped the run before it ended (the page's Stop button); the trace is partial.
    Stopped {
        /// When, in milliseconds from the start.
        after_ms: u64,
    },
    /// The scenario was not run.
    Skipped {
        /// Why, and how to make it run.
        reason: String,
    },
    /// The host cut the run off for a limit of its own (a server's `--max-events`); the trace
    /// is partial.
    Refused {
        /// Why, naming the limit.
        reason: String,
    },
}

impl Status {
    /// A one-word label.
    pub fn label(&self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed { .. } => "failed",
            Status::TimedOut { .. } => "timed out",
            Status::Stopped { .. } => "stopped",
            Status::Skipped { .. } => "skipped",
            Status::Refused { .. } => "refused",
        }
    }

    /// Whether a run that ended so is judged: it ran to its end, or failed or timed out on its
    /// own. A run that was stopped, skipped or refused did not happen as a whole, so it gets
    /// no verdict (nor does a run whose connection a page lost: the page says so).
    pub fn is_judged(&self) -> bool {
        matches!(
            self,
            Status::Ok | Status::Failed { .. } | Status::TimedOut { .. }
        )
    }
}

/// A status as written: its kind and the fields of every kind, those of other kinds absent.
#[derive(Deserialize)]
struct StatusFields {
    kind: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    limit_ms: Option<u64>,
    #[serde(default)]
    after_ms: Option<u64>,
}

impl TryFrom<StatusFields> for Status {
    type Error = &'static str;

    fn try_from(f: StatusFields) -> Result<Status, &'static str> {
        let missing = "the status lacks a field its kind needs (reason, limit_ms or after_ms)";
        let reason = f.reason.ok_or(missing);
        Ok(match f.kind.as_str() {
            "ok" => Status::Ok,
            "failed" => Status::Failed { reason: reason? },
            "skipped" => Status::Skipped { reason: reason? },
            "refused" => Status::Refused { reason: reason? },
            "timed_out" => Status::TimedOut {
                limit_ms: f.limit_ms.ok_or(missing)?,
            },
            "stopped" => Status::Stopped {
                after_ms: f.after_ms.ok_or(missing)?,
            },
            _ => return Err(
                "the status's kind is not one of ok, failed, timed_out, stopped, skipped, refused",
            ),
        })
    }
}

/// What a check concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The trace shows the effect the check looks for.
    Passed,
    /// The trace contradicts it.
    Failed,
    /// This run could not measure the effect (too small against what the run could measure,
    /// or the machine lent too few cores); the check's detail says why. Never counted as
    /// passed.
    NotJudged,
}

impl Verdict {
    /// The verdict's name as written in traces (`not_judged`).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::NotJudged => "not_judged",
        }
    }
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Stable id, e.g. `makespan-one-sleep`.
    pub id: String,
    /// What is checked, in words.
    pub description: String,
    /// Whether the trace satisfied it (false for a check that was not judged).
    pub passed: bool,
    /// What was measured, so a failure explains itself; for a check not judged, why not.
    pub detail: String,
    /// The verdict, where the file records it (traces written before there was a third
    /// verdict have only `passed`): see [`CheckResult::verdict`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
}

impl CheckResult {
    /// A judged check.
    pub fn judged(id: &str, description: &str, passed: bool, detail: String) -> CheckResult {
        CheckResult {
            id: id.to_string(),
            description: description.to_string(),
            passed,
            detail,
            verdict: Some(if passed {
                Verdict::Passed
            } else {
                Verdict::Failed
            }),
        }
    }

    /// A check this run could not judge, and why.
    pub fn not_judged(id: &str, description: &str, why: String) -> CheckResult {
        CheckResult {
            id: id.to_string(),
            description: description.to_string(),
            passed: false,
            detail: why,
            verdict: Some(Verdict::NotJudged),
        }
    }

    /// What the check concluded: the recorded verdict, or for older files `passed`. A file
    /// whose `passed` contradicts its verdict is read as failed.
    pub fn verdict(&self) -> Verdict {
        match (self.verdict, self.passed) {
            (Some(Verdict::NotJudged), _) => Verdict::NotJudged,
            (Some(Verdict::Passed) | None, true) => Verdict::Passed,
            _ => Verdict::Failed,
        }
    }
}

/// How many checks of a trace ended each way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Not judged.
    pub not_judged: usize,
}

/// What a run amounts to, as every front end says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It ran to its end and no check failed.
    Passed,
    /// It failed, timed out, or a check failed.
    Failed,
    /// It did not happen as a whole (stopped, skipped, refused, lost, or nothing recorded):
    /// no verdict.
    NoVerdict,
}

/// Latency figures for scenarios that make requests.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Number of requests.
    pub count: u64,
    /// Fastest, in nanoseconds.
    pub min: Nanos,
    /// Mean.
    pub mean: Nanos,
    /// Median.
    pub p50: Nanos,
    /// 90th percentile.
    pub p90: Nanos,
    /// 99th percentile.
    pub p99: Nanos,
    /// 99.9th percentile (0 in traces written before it was recorded).
    #[serde(default)]
    pub p999: Nanos,
    /// Slowest.
    pub max: Nanos,
    /// Requests per second over the measured window.
    pub throughput_per_s: f64,
    /// Whether the scenario measured these figures itself (a load test's histogram), rather
    /// than conlab computing them from the `in_flight` spans.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub measured: bool,
}

/// Busy time of one lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaneBusy {
    /// The lane.
    pub lane: LaneId,
    /// Total time spent in busy states (outermost spans only).
    pub busy: Nanos,
}

/// A chart a scenario draws from what it measured: a latency histogram (bars) or a series over
/// the run's seconds (a line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chart {
    /// Stable key, e.g. `latency_histogram`.
    pub key: String,
    /// What it shows, in words.
    pub title: String,
    /// Bars or a line.
    pub kind: ChartKind,
    /// Unit of the x values (`ms`, `s`).
    pub x_unit: String,
    /// Unit of the y values (`requests`, `req/s`).
    pub y_unit: String,
    /// The points, `[x, y]`, in increasing x. For bars, x is the upper edge of a bucket.
    pub points: Vec<[f64; 2]>,
}

/// How a [`Chart`] is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    /// One bar per point (a histogram).
    Bars,
    /// Points joined by a line (a series over time).
    Line,
}

/// A scenario-specific figure (for example the makespan of one mode of a comparison).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// Stable key, e.g. `makespan_sequential`.
    pub key: String,
    /// The value.
    pub value: f64,
    /// Unit: `ms`, `x`, `ops/s`, `ns/task`, ...
    pub unit: String,
}

/// The standard figures of a run, computed from the trace.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Metrics {
    /// From the first to the last recorded moment.
    pub makespan: Nanos,
    /// Busy time per lane.
    pub busy: Vec<LaneBusy>,
    /// The most lanes busy at the same instant.
    pub peak_concurrency: u32,
    /// The sum of all busy time: the makespan if everything ran one after the other
    /// (computation counted at most as many lanes at once as there were cores).
    pub sequential_sum: Nanos,
    /// `sequential_sum / makespan`.
    pub speedup: f64,
    /// Request latency, where the scenario makes requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencySummary>,
    /// Scenario-specific figures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<Metric>,
}

impl Metrics {
    /// The speed-up, where it means something: a run that took time, some of it busy (a run
    /// whose one lane only waited has no overlap to speak of, not a speed-up of 0x).
    pub fn meaningful_speedup(&self) -> Option<f64> {
        (self.makespan > 0 && self.sequential_sum > 0).then_some(self.speedup)
    }

    /// The peak concurrency, where some lane did work (not 0 for a run whose lanes only
    /// waited or printed).
    pub fn meaningful_peak(&self) -> Option<u32> {
        (self.makespan > 0 && self.peak_concurrency > 0).then_some(self.peak_concurrency)
    }

    /// A scenario-specific figure by key (or by the name it had before it was renamed, in
    /// older files).
    pub fn extra(&self, key: &str) -> Option<f64> {
        let old = RENAMED_METRICS
            .iter()
            .find(|(new, _)| *new == key)
            .map(|(_, old)| *old);
        self.extra
            .iter()
            .find(|m| m.key == key || Some(m.key.as_str()) == old)
            .map(|m| m.value)
    }
}

/// Where a trace was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuntimeKind {
    /// The deterministic virtual-time executor.
    Virtual,
    /// Native: tokio, OS threads, OS processes.
    Tokio,
    /// The browser's event loop.
    Browser,
    /// CPython: the lesson's Python program, traced by conlab's tracer written in Python
    /// (`python/conlab_trace`); [`Trace::interpreter`] says which Python ran it.
    Cpython,
}

impl RuntimeKind {
    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            RuntimeKind::Virtual => "virtual",
            RuntimeKind::Tokio => "tokio",
            RuntimeKind::Browser => "browser",
            RuntimeKind::Cpython => "cpython",
        }
    }
}

/// The Python that ran a [`RuntimeKind::Cpython`] trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interpreter {
    /// Its name as people know it (`CPython`).
    pub name: String,
    /// Its version (`3.11.7`).
    pub version: String,
    /// Whether its global interpreter lock was on (a free-threaded build can turn it off).
    pub gil: bool,
    /// The event loop that ran the program's coroutines (`asyncio`, `uvloop`), if one did.
    #[serde(default, rename = "loop", skip_serializing_if = "Option::is_none")]
    pub event_loop: Option<String>,
}

impl Interpreter {
    /// In words: `CPython 3.11.7 (GIL on, asyncio loop)`.
    pub fn describe(&self) -> String {
        let gil = if self.gil { "GIL on" } else { "GIL off" };
        match &self.event_loop {
            Some(l) => format!("{} {} ({gil}, {l} loop)", self.name, self.version),
            None => format!("{} {} ({gil})", self.name, self.version),
        }
    }
}

/// One recorded run of one scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The scenario id.
    pub scenario: String,
    /// Where it ran.
    pub runtime: RuntimeKind,
    /// Every parameter value, including `time-scale`.
    pub params: BTreeMap<String, String>,
    /// Wall-clock start, RFC 3339, where the runtime knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_at: Option<String>,
    /// A short description of the machine, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The cores it computed on, where it ran on real ones (see [`crate::compute_metrics`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cores: Option<u32>,
    /// Which Python ran it, for a [`RuntimeKind::Cpython`] trace (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpreter: Option<Interpreter>,
    /// How the run ended.
    pub status: Status,
    /// When the recording ended.
    pub end: Nanos,
    /// The lanes, indexed by id.
    pub lanes: Vec<Lane>,
    /// Spans, ordered by start then lane.
    pub spans: Vec<Span>,
    /// Point events, ordered by time.
    pub marks: Vec<Mark>,
    /// Output lines in the order they were printed.
    pub output: Vec<OutputLine>,
    /// Figures computed from the trace.
    pub metrics: Metrics,
    /// The scenario's checks.
    pub checks: Vec<CheckResult>,
    /// The lines of code that recorded events, where the runtime records them; spans, marks
    /// and output lines point into this list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sites: Vec<CodeSite>,
    /// Charts the scenario drew from its measurements (a load test's histogram and series).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub charts: Vec<Chart>,
}

impl Trace {
    /// Whether the run completed and no check failed (checks not judged do not fail it).
    pub fn passed(&self) -> bool {
        self.outcome() == Outcome::Passed
    }

    /// What the run amounts to: passed, failed, or no verdict at all for a run that did not
    /// happen as a whole (see [`Status::is_judged`]) or recorded nothing.
    pub fn outcome(&self) -> Outcome {
        if !self.status.is_judged() || (self.status == Status::Ok && self.lanes.is_empty()) {
            Outcome::NoVerdict
        } else if self.status == Status::Ok
            && self.checks.iter().all(|c| c.verdict() != Verdict::Failed)
        {
            Outcome::Passed
        } else {
            Outcome::Failed
        }
    }

    /// How many checks passed, failed and were not judged.
    pub fn tally(&self) -> Tally {
        let mut tally = Tally::default();
        for c in &self.checks {
            match c.verdict() {
                Verdict::Passed => tally.passed += 1,
                Verdict::Failed => tally.failed += 1,
                Verdict::NotJudged => tally.not_judged += 1,
            }
        }
        tally
    }

    /// The output texts, in order.
    pub fn output_texts(&self) -> Vec<&str> {
        self.output.iter().map(|l| l.text.as_str()).collect()
    }

    /// The lane with this name.
    pub fn lane_named(&self, name: &str) -> Option<&Lane> {
        self.lanes.iter().find(|l| l.name == name)
    }

    /// When the last lane of this kind appeared (0 if none): how long starting them took.
    pub fn last_start(&self, kind: LaneKind) -> Nanos {
        self.lanes
            .iter()
            .filter(|l| l.kind == kind)
            .map(|l| l.start)
            .max()
            .unwrap_or(0)
    }

    /// How long starting the lanes of this kind took the main lane: until the last of them
    /// appeared, less what main spent waiting meanwhile (for a lane it had just started to
    /// finish, say). 0 if none appeared.
    pub fn start_cost(&self, kind: LaneKind) -> Nanos {
        let last = self.last_start(kind);
        let main = self.lanes.iter().find(|l| l.kind == LaneKind::Main);
        let waited: Nanos = main.map_or(0, |m| {
            self.spans
                .iter()
                .filter(|s| s.lane == m.id && s.depth == 0 && s.state.is_waiting())
                .map(|s| s.end.min(last).saturating_sub(s.start))
                .sum()
        });
        last.saturating_sub(waited)
    }

    /// The ids of the checks that failed, in order.
    pub fn failed_checks(&self) -> Vec<&str> {
        self.checks
            .iter()
            .filter(|c| c.verdict() == Verdict::Failed)
            .map(|c| c.id.as_str())
            .collect()
    }

    /// The marks with this name.
    pub fn marks_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Mark> + 'a {
        self.marks.iter().filter(move |m| m.name == name)
    }

    /// The order lanes are shown in, each with its nesting depth: lanes of the run in id
    /// order, each followed by the lanes that belong to it (a child process's threads under
    /// the process). A lane whose parent is missing or forms a loop is shown at the top.
    pub fn lane_order(&self) -> Vec<(LaneId, u16)> {
        let n = self.lanes.len();
        let valid_parent = |l: &Lane| l.parent.filter(|p| (*p as usize) < n && *p != l.id);
        if self.lanes.iter().all(|l| valid_parent(l).is_none()) {
            return self.lanes.iter().map(|l| (l.id, 0)).collect();
        }
        let mut children: Vec<Vec<LaneId>> = vec![Vec::new(); n];
        for l in &self.lanes {
            if let Some(p) = valid_parent(l) {
                children[p as usize].push(l.id);
            }
        }
        let mut order = Vec::with_capacity(n);
        let mut shown = vec![false; n];
        let mut stack: Vec<(LaneId, u16)> = Vec::new();
        let roots = self.lanes.iter().filter(|l| valid_parent(l).is_none());
        for root in roots.map(|l| l.id).chain(0..n as LaneId) {
            stack.push((root, 0));
            while let Some((id, depth)) = stack.pop() {
                if std::mem::replace(&mut shown[id as usize], true) {
                    continue;
                }
                order.push((id, depth));
                for child in children[id as usize].iter().rev() {
                    stack.push((*child, depth + 1));
                }
            }
        }
        order
    }

    /// When the first mark with this name and detail was made (a phase's start, an event's
    /// moment), if one was.
    pub fn mark_time(&self, name: &str, detail: &str) -> Option<Nanos> {
        self.marks
            .iter()
            .find(|m| m.name == name && m.detail == detail)
            .map(|m| m.t)
    }

    /// When phase `name` began and ended: from its `phase_start` and `phase_end` marks, or,
    /// in traces written before phases had ends, from a `phase` mark to the next one (or the
    /// main lane's end) or to a `phase_done` mark whose detail begins with the name.
    pub fn phase(&self, name: &str) -> Option<(Nanos, Nanos)> {
        if let Some(start) = self.mark_time(PHASE_START, name) {
            let end = self.mark_time(PHASE_END, name)?;
            return Some((start, end.max(start)));
        }
        let legacy = self
            .marks
            .iter()
            .position(|m| m.name == "phase" && m.detail == name);
        let start = match legacy {
            Some(i) => self.marks[i].t,
            None => return None,
        };
        let done = self.marks.iter().find(|m| {
            m.name == "phase_done"
                && m.t >= start
                && (m.detail == name || m.detail.starts_with(&format!("{name} ")))
        });
        let next = self.marks[legacy.unwrap_or(0) + 1..]
            .iter()
            .find(|m| m.name == "phase")
            .map(|m| m.t);
        let end = done
            .map(|m| m.t)
            .or(next)
            .or(self.main_end())
            .unwrap_or(self.end);
        Some((start, end.max(start)))
    }

    /// The names of the phases the run marked, in order.
    pub fn phase_names(&self) -> Vec<&str> {
        self.marks
            .iter()
            .filter(|m| m.name == PHASE_START || m.name == "phase")
            .map(|m| m.detail.as_str())
            .collect()
    }

    /// When the main lane ended (the scenario's end), if it did.
    pub fn main_end(&self) -> Option<Nanos> {
        self.lanes
            .iter()
            .find(|l| l.kind == LaneKind::Main)
            .and_then(|l| l.end)
    }

    /// Start and end of every span in `state`, in start order.
    pub fn intervals(&self, state: SpanState) -> Vec<(Nanos, Nanos)> {
        self.spans
            .iter()
            .filter(|s| s.state == state)
            .map(|s| (s.start, s.end))
            .collect()
    }

    /// How many lanes of `kind` the trace has.
    pub fn count_lanes(&self, kind: LaneKind) -> usize {
        self.lanes.iter().filter(|l| l.kind == kind).count()
    }

    /// How many task lanes had ended by `t`.
    pub fn tasks_finished_by(&self, t: Nanos) -> usize {
        self.lanes
            .iter()
            .filter(|l| l.kind == LaneKind::Task && l.end.is_some_and(|e| e <= t))
            .count()
    }

    /// Serializes to JSON: indented natively, for people who open the file; on one line in
    /// the playground, whose download would otherwise carry a second JSON writer (the Chrome
    /// export writes compact JSON).
    pub fn to_json(&self) -> String {
        #[cfg(not(target_arch = "wasm32"))]
        let json = serde_json::to_string_pretty(self);
        #[cfg(target_arch = "wasm32")]
        let json = serde_json::to_string(self);
        json.expect("a trace always serializes")
    }
}

/// The names the unit enums of a trace are written as; each is read back through
/// [`by_name`]. (serde's derived reader weighs about 1.5 KB per enum in the page's download;
/// these share one small one.)
const LANE_KINDS: &[(&str, LaneKind)] = &[
    ("main", LaneKind::Main),
    ("thread", LaneKind::Thread),
    ("process", LaneKind::Process),
    ("task", LaneKind::Task),
    ("worker", LaneKind::Worker),
    ("connection", LaneKind::Connection),
    ("server", LaneKind::Server),
    ("lock", LaneKind::Lock),
];
const RUNTIME_KINDS: &[(&str, RuntimeKind)] = &[
    ("virtual", RuntimeKind::Virtual),
    ("tokio", RuntimeKind::Tokio),
    ("browser", RuntimeKind::Browser),
    ("cpython", RuntimeKind::Cpython),
];
const CHART_KINDS: &[(&str, ChartKind)] = &[("bars", ChartKind::Bars), ("line", ChartKind::Line)];
const SPAN_STATES: &[(&str, SpanState)] = &[
    ("running", SpanState::Running),
    ("computing", SpanState::Computing),
    ("sleeping", SpanState::Sleeping),
    ("blocked_io", SpanState::BlockedIo),
    ("blocking", SpanState::Blocking),
    ("waiting_lock", SpanState::WaitingLock),
    ("holding_lock", SpanState::HoldingLock),
    ("waiting_semaphore", SpanState::WaitingSemaphore),
    ("waiting_condition", SpanState::WaitingCondition),
    ("waiting_event", SpanState::WaitingEvent),
    ("waiting_queue", SpanState::WaitingQueue),
    ("waiting_join", SpanState::WaitingJoin),
    ("waiting_future", SpanState::WaitingFuture),
    ("waiting_gil", SpanState::WaitingGil),
    ("connecting", SpanState::Connecting),
    ("in_flight", SpanState::InFlight),
    ("pool_wait", SpanState::PoolWait),
];
const VERDICTS: &[(&str, Verdict)] = &[
    ("passed", Verdict::Passed),
    ("failed", Verdict::Failed),
    ("not_judged", Verdict::NotJudged),
];

impl<'de> Deserialize<'de> for Verdict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        by_name(d, VERDICTS)
    }
}

/// Reads a unit enum written by name, from `names`.
fn by_name<'de, D, T>(d: D, names: &'static [(&'static str, T)]) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Copy + 'static,
{
    struct Named<T: 'static>(&'static [(&'static str, T)]);
    impl<T: Copy + 'static> serde::de::Visitor<'_> for Named<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("one of: ")?;
            for (i, (name, _)) in self.0.iter().enumerate() {
                f.write_str(if i == 0 { "" } else { ", " })?;
                f.write_str(name)?;
            }
            Ok(())
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<T, E> {
            match self.0.iter().find(|(name, _)| *name == s) {
                Some((_, v)) => Ok(*v),
                None => Err(E::invalid_value(serde::de::Unexpected::Str(s), &self)),
            }
        }
    }
    d.deserialize_str(Named(names))
}

impl<'de> Deserialize<'de> for LaneKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        by_name(d, LANE_KINDS)
    }
}

impl<'de> Deserialize<'de> for RuntimeKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        by_name(d, RUNTIME_KINDS)
    }
}

impl<'de> Deserialize<'de> for ChartKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        by_name(d, CHART_KINDS)
    }
}

impl<'de> Deserialize<'de> for SpanState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        by_name(d, SPAN_STATES)
    }
}

/// Figures renamed since traces were first written: (today's key, the key older files use).
const RENAMED_METRICS: &[(&str, &str)] = &[("timer_lateness_ms", "timer_resolution_ms")];

/// The mark that begins a phase of a run (its detail is the phase's name).
pub const PHASE_START: &str = "phase_start";

/// The mark that ends a phase.
pub const PHASE_END: &str = "phase_end";

/// The largest trace file the loaders accept.
pub const MAX_TRACE_BYTES: usize = 256 * 1024 * 1024;

/// Why a trace file could not be loaded. Each message says what is wrong and where.
#[derive(Debug, thiserror::Error)]
pub enum TraceLoadError {
    /// Larger than [`MAX_TRACE_BYTES`].
    #[error("the trace is {size} bytes; the limit is {limit} bytes")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not JSON, or cut off.
    #[error("the trace is not valid JSON: {0}")]
    NotJson(String),
    /// A JSON value without a `schema` field, or with another one.
    #[error("{}; this version of conlab reads \"{SCHEMA}\"", match found {
        Some(found) => format!("the trace has schema \"{found}\""),
        None => "the file has no \"schema\" field, so it is not a conlab trace".to_string(),
    })]
    WrongSchema {
        /// What the file says, if anything.
        found: Option<String>,
    },
    /// Right schema, wrong shape.
    #[error("the trace does not match {SCHEMA}: {0}")]
    Invalid(String),
}

/// What a JSON document that is not a valid trace says at its top: a schema (another kind or
/// version of file), or the trace that conlab's Chrome export carries.
#[derive(Deserialize)]
struct Head {
    #[serde(default)]
    schema: Option<String>,
    #[serde(rename = "conlabTrace", default)]
    trace: Option<Box<Trace>>,
}

impl Trace {
    /// Reads a trace from JSON, checking its size and schema version first.
    pub fn from_json(text: &str) -> Result<Trace, TraceLoadError> {
        if text.len() > MAX_TRACE_BYTES {
            return Err(TraceLoadError::TooLarge {
                size: text.len(),
                limit: MAX_TRACE_BYTES,
            });
        }
        // Read straight into a trace (no intermediate JSON tree: the playground ships this
        // code, and a second reader would weigh on its download); only when that fails is the
        // schema looked up, to say whether the file is another kind of JSON or conlab's own
        // Chrome export.
        let trace = match serde_json::from_str::<Trace>(text) {
            Ok(trace) => trace,
            Err(e) if e.is_syntax() || e.is_eof() => {
                return Err(TraceLoadError::NotJson(e.to_string()))
            }
            Err(e) => {
                let head = serde_json::from_str::<Head>(text).ok();
                match head.map(|h| (h.schema, h.trace)) {
                    Some((Some(found), _)) if found == SCHEMA => {
                        return Err(TraceLoadError::Invalid(e.to_string()))
                    }
                    Some((Some(found), _)) => {
                        return Err(TraceLoadError::WrongSchema { found: Some(found) })
                    }
                    // No schema at the top: conlab's own Chrome export carries the trace.
                    Some((None, Some(t))) => *t,
                    _ => return Err(TraceLoadError::WrongSchema { found: None }),
                }
            }
        };
        if trace.schema != SCHEMA {
            return Err(TraceLoadError::WrongSchema {
                found: Some(trace.schema),
            });
        }
        trace.validate().map_err(TraceLoadError::Invalid)?;
        Ok(trace)
    }

    /// Checks what the schema's types cannot: lane ids in order, times in order and within
    /// the trace, every span, mark and output line on an existing lane. The error names the
    /// first broken item and where it is.
    pub fn validate(&self) -> Result<(), String> {
        let lanes = self.lanes.len();
        for (i, lane) in self.lanes.iter().enumerate() {
            if lane.id as usize != i {
                return Err(format!(
                    "lanes[{i}] has id {}; lane ids must be 0, 1, 2, … in order",
                    lane.id
                ));
            }
            if let Some(parent) = lane
                .parent
                .filter(|p| *p as usize >= lanes || *p == lane.id)
            {
                return Err(format!(
                    "lanes[{i}] belongs to lane {parent}, which is not another lane of the trace"
                ));
            }
            if let Some(end) = lane.end.filter(|e| *e < lane.start) {
                return Err(format!(
                    "lanes[{i}] ends at {end} ns, before it starts at {} ns",
                    lane.start
                ));
            }
        }
        let on_lane = |what: &str, i: usize, lane: LaneId| {
            if lane as usize >= lanes {
                Err(format!(
                    "{what}[{i}] is on lane {lane}, but the trace has {lanes} lanes"
                ))
            } else {
                Ok(())
            }
        };
        let within = |what: &str, i: usize, t: Nanos| {
            if t > self.end {
                Err(format!(
                    "{what}[{i}] is at {t} ns, after the trace ends at {} ns",
                    self.end
                ))
            } else {
                Ok(())
            }
        };
        let sites = self.sites.len();
        let at_site = |what: &str, i: usize, site: Option<u16>| match site {
            Some(n) if n as usize >= sites => Err(format!(
                "{what}[{i}] points at code site {n}, but the trace lists {sites} sites"
            )),
            _ => Ok(()),
        };
        for (i, s) in self.spans.iter().enumerate() {
            on_lane("spans", i, s.lane)?;
            at_site("spans", i, s.site)?;
            if s.end < s.start {
                return Err(format!(
                    "spans[{i}] ends at {} ns, before it starts at {} ns",
                    s.end, s.start
                ));
            }
            within("spans", i, s.end)?;
        }
        for (i, m) in self.marks.iter().enumerate() {
            on_lane("marks", i, m.lane)?;
            at_site("marks", i, m.site)?;
            within("marks", i, m.t)?;
        }
        for (i, o) in self.output.iter().enumerate() {
            on_lane("output", i, o.lane)?;
            at_site("output", i, o.site)?;
            within("output", i, o.t)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn loading_garbage_never_panics(text in ".{0,200}") {
            let _ = Trace::from_json(&text);
        }

        #[test]
        fn loading_json_shaped_garbage_never_panics(
            text in r#"\{"schema": ?"conlab\.trace/1"(, ?"[a-z_]{1,8}": ?(\[\]|\{\}|-?[0-9]{1,20}|"[a-z]{0,5}"|null)){0,12}\}"#
        ) {
            if let Err(e) = Trace::from_json(&text) {
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }

    #[test]
    fn oversized_traces_are_refused_before_parsing() {
        let big = " ".repeat(MAX_TRACE_BYTES + 1);
        assert!(matches!(
            Trace::from_json(&big),
            Err(TraceLoadError::TooLarge { .. })
        ));
    }

    /// A small valid trace: two lanes, a span, a mark and a line of output.
    fn valid() -> Trace {
        Trace {
            schema: SCHEMA.to_string(),
            scenario: "create-task".into(),
            runtime: RuntimeKind::Virtual,
            params: Default::default(),
            recorded_at: None,
            host: None,
            cores: None,
            interpreter: None,
            status: Status::Ok,
            end: 100,
            lanes: vec![
                Lane {
                    id: 0,
                    kind: LaneKind::Main,
                    name: "main".into(),
                    start: 0,
                    end: Some(100),
                    parent: None,
                },
                Lane {
                    id: 1,
                    kind: LaneKind::Task,
                    name: "task-1".into(),
                    start: 10,
                    end: Some(90),
                    parent: None,
                },
            ],
            spans: vec![Span {
                lane: 1,
                state: SpanState::Sleeping,
                start: 10,
                end: 90,
                depth: 0,
                label: String::new(),
                open: false,
                order: (0, 0),
                site: None,
            }],
            marks: vec![Mark {
                lane: 1,
                t: 10,
                name: "created".into(),
                detail: String::new(),
                order: 0,
                site: None,
            }],
            output: vec![OutputLine {
                t: 95,
                lane: 0,
                text: "done".into(),
                order: 0,
                site: None,
            }],
            metrics: Metrics::default(),
            checks: Vec::new(),
            sites: Vec::new(),
            charts: Vec::new(),
        }
    }

    #[test]
    fn broken_traces_are_refused_naming_the_broken_item() {
        type Break = fn(&mut Trace);
        let cases: &[(&str, Break)] = &[
            ("lanes[1] has id 0", |t| t.lanes[1].id = 0),
            ("lanes[1] ends at 5 ns, before it starts", |t| {
                t.lanes[1].end = Some(5)
            }),
            ("spans[0] ends at 5 ns, before it starts at 10 ns", |t| {
                t.spans[0].end = 5
            }),
            (
                "spans[0] is at 500 ns, after the trace ends at 100 ns",
                |t| t.spans[0].end = 500,
            ),
            ("spans[0] is on lane 7, but the trace has 2 lanes", |t| {
                t.spans[0].lane = 7
            }),
            ("marks[0] is on lane 9", |t| t.marks[0].lane = 9),
            ("output[0] is on lane 2, but the trace has 2 lanes", |t| {
                t.output[0].lane = 2
            }),
            ("output[0] is at 101 ns", |t| t.output[0].t = 101),
        ];
        assert!(Trace::from_json(&valid().to_json()).is_ok());
        for (expected, breaks) in cases {
            let mut t = valid();
            breaks(&mut t);
            let e = Trace::from_json(&t.to_json())
                .expect_err(expected)
                .to_string();
            assert!(e.contains(expected), "{e:?} does not say {expected:?}");
        }
    }

    #[test]
    fn a_third_verdict_reads_and_older_files_still_load() {
        // Written today: not judged is `passed: false` with the verdict beside it.
        let mut t = valid();
        t.checks = vec![
            CheckResult::judged("a", "a passes", true, String::new()),
            CheckResult::not_judged("b", "b cannot tell", "too small".into()),
        ];
        let json = t.to_json();
        assert!(json.contains("\"verdict\": \"not_judged\""), "{json}");
        let back = Trace::from_json(&json).unwrap();
        assert_eq!(back.checks[1].verdict(), Verdict::NotJudged);
        assert!(!back.checks[1].passed);
        assert_eq!(back.outcome(), Outcome::Passed);
        let tally = back.tally();
        assert_eq!((tally.passed, tally.failed, tally.not_judged), (1, 0, 1));
        // Written before the third verdict: `passed` alone; and the old name of a figure.
        let old = json
            .replace(",\n      \"verdict\": \"passed\"", "")
            .replace(",\n      \"verdict\": \"not_judged\"", "");
        assert!(!old.contains("verdict"), "{old}");
        let back = Trace::from_json(&old).unwrap();
        assert_eq!(back.checks[0].verdict(), Verdict::Passed);
        assert_eq!(back.checks[1].verdict(), Verdict::Failed);
        let mut m = Metrics::default();
        m.extra.push(Metric {
            key: "timer_resolution_ms".into(),
            value: 1.5,
            unit: "ms".into(),
        });
        assert_eq!(m.extra("timer_lateness_ms"), Some(1.5));
        // A file whose `passed` contradicts its verdict is not believed.
        let mut forged = CheckResult::not_judged("c", "c", String::new());
        forged.passed = true;
        assert_eq!(forged.verdict(), Verdict::NotJudged);
        let mut forged = CheckResult::judged("d", "d", false, String::new());
        forged.passed = true;
        assert_eq!(forged.verdict(), Verdict::Failed);
    }

    #[test]
    fn every_name_written_reads_back() {
        fn back<T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug>(v: T) {
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(serde_json::from_str::<T>(&json).unwrap(), v, "{json}");
        }
        SpanState::ALL.into_iter().for_each(back);
        LANE_KINDS.iter().for_each(|(_, k)| back(*k));
        RUNTIME_KINDS.iter().for_each(|(_, k)| back(*k));
        CHART_KINDS.iter().for_each(|(_, k)| back(*k));
        VERDICTS.iter().for_each(|(_, k)| back(*k));
        let e = serde_json::from_str::<LaneKind>("\"fiber\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("fiber") && e.contains("thread"), "{e}");
    }

    #[test]
    fn runs_that_did_not_happen_get_no_verdict() {
        let check = |status: Status, lanes: bool| {
            let mut t = valid();
            t.status = status;
            if !lanes {
                t.lanes.clear();
                t.spans.clear();
                t.marks.clear();
                t.output.clear();
            }
            t.outcome()
        };
        assert_eq!(check(Status::Ok, true), Outcome::Passed);
        assert_eq!(check(Status::Ok, false), Outcome::NoVerdict);
        assert_eq!(
            check(Status::Stopped { after_ms: 5 }, true),
            Outcome::NoVerdict
        );
        assert_eq!(
            check(
                Status::Refused {
                    reason: "limit".into()
                },
                true
            ),
            Outcome::NoVerdict
        );
        assert_eq!(
            check(
                Status::Skipped {
                    reason: "no server".into()
                },
                true
            ),
            Outcome::NoVerdict
        );
        assert_eq!(
            check(Status::TimedOut { limit_ms: 5 }, true),
            Outcome::Failed
        );
        assert_eq!(
            check(Status::Failed { reason: "x".into() }, false),
            Outcome::Failed
        );
    }

    #[test]
    fn phases_are_read_from_their_marks_and_from_older_files() {
        let mark = |t: Nanos, name: &str, detail: &str| Mark {
            lane: 0,
            t,
            name: name.into(),
            detail: detail.into(),
            order: 0,
            site: None,
        };
        let mut t = valid();
        t.marks = vec![
            mark(10, PHASE_START, "gather"),
            mark(40, PHASE_END, "gather"),
            mark(50, PHASE_START, "wait"),
            mark(90, PHASE_END, "wait"),
        ];
        assert_eq!(t.phase("gather"), Some((10, 40)));
        assert_eq!(t.phase("wait"), Some((50, 90)));
        assert_eq!(t.phase("other"), None);
        assert_eq!(t.phase_names(), ["gather", "wait"]);
        // Older traces: a `phase` mark lasts until the next one, or the main lane's end.
        t.marks = vec![
            mark(10, "phase", "sequential"),
            mark(60, "phase", "concurrent"),
        ];
        assert_eq!(t.phase("sequential"), Some((10, 60)));
        assert_eq!(t.phase("concurrent"), Some((60, 100)));
    }

    #[test]
    fn a_missing_schema_is_said_in_words() {
        let e = Trace::from_json("{}").unwrap_err().to_string();
        assert_eq!(
            e,
            "the file has no \"schema\" field, so it is not a conlab trace; this version of conlab reads \"conlab.trace/1\""
        );
        assert!(!e.contains("None") && !e.contains("Some"));
    }
}
