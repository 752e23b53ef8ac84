//! Export to the Chrome Trace Event format (the JSON that Perfetto and `chrome://tracing`
//! open): one track per lane, spans as complete events, marks and output lines as instants.
//! The conlab trace itself rides along under `conlabTrace` (trace viewers ignore keys they do
//! not know), so conlab opens its own export again exactly ([`crate::Trace::from_json`]).

use crate::trace::{LaneKind, Nanos, Trace};
use serde::Serialize;
use std::borrow::Cow;

fn micros(ns: Nanos) -> f64 {
    ns as f64 / 1000.0
}

/// The whole file.
#[derive(Serialize)]
struct ChromeFile<'a> {
    #[serde(rename = "traceEvents")]
    events: Vec<Event<'a>>,
    #[serde(rename = "displayTimeUnit")]
    unit: &'static str,
    #[serde(rename = "otherData")]
    other: OtherData<'a>,
    #[serde(rename = "conlabTrace")]
    trace: &'a Trace,
}

#[derive(Serialize)]
struct OtherData<'a> {
    schema: &'a str,
    scenario: &'a str,
    runtime: &'static str,
    status: &'static str,
    /// The run's verdict in words (`passed — 7 passed, 1 not judged`), as the CLI says it.
    verdict: String,
    /// Each check as a line (`not judged: threads-overlap — with 0 ms latency …`): Perfetto
    /// shows these under the trace's metadata.
    checks: Vec<String>,
}

/// One trace event: metadata (`M`), a complete span (`X`) or an instant (`i`).
#[derive(Serialize)]
struct Event<'a> {
    name: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cat: Option<&'a str>,
    ph: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    s: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ts: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dur: Option<f64>,
    pid: u32,
    tid: u32,
    args: Args<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Args<'a> {
    Name { name: Cow<'a, str> },
    SortIndex { sort_index: u32 },
    Span { state: &'static str, open: bool },
    Mark { detail: &'a str },
    Output { output: &'a str },
}

impl<'a> Event<'a> {
    fn meta(name: &'static str, pid: u32, tid: u32, args: Args<'a>) -> Event<'a> {
        Event {
            name: Cow::Borrowed(name),
            cat: None,
            ph: "M",
            s: None,
            ts: None,
            dur: None,
            pid,
            tid,
            args,
        }
    }

    fn instant(
        name: &'a str,
        cat: &'a str,
        t: Nanos,
        (pid, tid): (u32, u32),
        args: Args<'a>,
    ) -> Event<'a> {
        Event {
            name: Cow::Borrowed(name),
            cat: Some(cat),
            ph: "i",
            s: Some("t"),
            ts: Some(micros(t)),
            dur: None,
            pid,
            tid,
            args,
        }
    }
}

/// Converts a trace to Chrome trace-event JSON.
pub fn to_chrome_json(trace: &Trace) -> String {
    let mut events = Vec::with_capacity(
        trace.spans.len() + trace.lanes.len() * 2 + trace.marks.len() + trace.output.len() + 1,
    );
    let title = format!("conlab {} ({})", trace.scenario, trace.runtime.as_str());
    events.push(Event::meta(
        "process_name",
        1,
        0,
        Args::Name {
            name: Cow::Owned(title),
        },
    ));
    // A child process is a process of its own in the viewer (pid: its lane + 2), and the lanes
    // that belong to it its threads; every other lane is a thread of the run (pid 1).
    // (Natively only: the page's WebAssembly stays within its size budget, and the page's
    // runs have no processes; a page exporting a native recording draws it as one process.)
    #[cfg(not(target_arch = "wasm32"))]
    let place = |lane: u32| -> (u32, u32) {
        let pid = trace
            .lanes
            .get(lane as usize)
            .map_or(1, |l| match l.parent {
                Some(p) => p + 2,
                None if l.kind == LaneKind::Process => l.id + 2,
                None => 1,
            });
        (pid, lane)
    };
    #[cfg(target_arch = "wasm32")]
    let place = |lane: u32| (1, lane);
    for lane in &trace.lanes {
        let (pid, tid) = place(lane.id);
        let name = Cow::Borrowed(lane.name.as_str());
        if pid != 1 && lane.kind == LaneKind::Process && lane.parent.is_none() {
            events.push(Event::meta(
                "process_name",
                pid,
                tid,
                Args::Name { name: name.clone() },
            ));
        }
        events.push(Event::meta("thread_name", pid, tid, Args::Name { name }));
        let sort = Args::SortIndex {
            sort_index: lane.id,
        };
        events.push(Event::meta("thread_sort_index", pid, tid, sort));
    }
    for span in &trace.spans {
        let state = span.state.as_str();
        events.push(Event {
            name: if span.label.is_empty() {
                Cow::Borrowed(state)
            } else {
                Cow::Owned(format!("{state}: {}", span.label))
            },
            cat: Some(state),
            ph: "X",
            s: None,
            ts: Some(micros(span.start)),
            dur: Some(micros(span.duration())),
            pid: place(span.lane).0,
            tid: span.lane,
            args: Args::Span {
                state,
                open: span.open,
            },
        });
    }
    for mark in &trace.marks {
        let args = Args::Mark {
            detail: &mark.detail,
        };
        events.push(Event::instant(
            &mark.name,
            "mark",
            mark.t,
            place(mark.lane),
            args,
        ));
    }
    for line in &trace.output {
        let args = Args::Output { output: &line.text };
        events.push(Event::instant(
            &line.text,
            "output",
            line.t,
            place(line.lane),
            args,
        ));
    }
    let file = ChromeFile {
        events,
        unit: "ms",
        other: OtherData {
            schema: &trace.schema,
            scenario: &trace.scenario,
            runtime: trace.runtime.as_str(),
            status: trace.status.label(),
            verdict: verdict_words(trace),
            checks: trace
                .checks
                .iter()
                .map(|c| {
                    let verdict = match c.verdict() {
                        crate::Verdict::Passed => "passed",
                        crate::Verdict::Failed => "failed",
                        crate::Verdict::NotJudged => "not judged",
                    };
                    format!("{verdict}: {} — {}", c.id, c.detail)
                })
                .collect(),
        },
        trace,
    };
    // Serializing plain data into a string cannot fail.
    serde_json::to_string(&file).unwrap_or_default()
}

/// The run's verdict and its checks' tally in words: `passed — 7 passed, 1 not judged`, or the
/// state of a run that gets no verdict (`stopped`).
pub fn verdict_words(trace: &Trace) -> String {
    let tally = trace.tally();
    let word = match trace.outcome() {
        crate::Outcome::Passed => "passed",
        crate::Outcome::Failed => "failed",
        crate::Outcome::NoVerdict => return format!("no verdict: {}", trace.status.label()),
    };
    format!("{word} — {}", tally_words(&tally))
}

/// A tally in words: `7 passed, 1 failed, 2 not judged` (counts of zero left out, but for
/// passed).
pub fn tally_words(tally: &crate::Tally) -> String {
    let mut words = format!("{} passed", tally.passed);
    if tally.failed > 0 {
        words.push_str(&format!(", {} failed", tally.failed));
    }
    if tally.not_judged > 0 {
        words.push_str(&format!(", {} not judged", tally.not_judged));
    }
    words
}
