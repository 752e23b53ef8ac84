//! Export to the Chrome Trace Event format (the JSON that Perfetto and `chrome://tracing`
//! open): one track per lane, spans as complete events, marks and output lines as instants.
//! The conlab trace itself rides along under `conlabTrace` (trace viewers ignore keys they do
//! not know), so conlab opens its own export again exactly ([`crate::Trace::from_json`]).

use crate::trace::{Nanos, Trace};
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
    fn meta(name: &'static str, tid: u32, args: Args<'a>) -> Event<'a> {
        Event {
            name: Cow::Borrowed(name),
            cat: None,
            ph: "M",
            s: None,
            ts: None,
            dur: None,
            pid: 1,
            tid,
            args,
        }
    }

    fn instant(name: &'a str, cat: &'a str, t: Nanos, tid: u32, args: Args<'a>) -> Event<'a> {
        Event {
            name: Cow::Borrowed(name),
            cat: Some(cat),
            ph: "i",
            s: Some("t"),
            ts: Some(micros(t)),
            dur: None,
            pid: 1,
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
        0,
        Args::Name {
            name: Cow::Owned(title),
        },
    ));
    for lane in &trace.lanes {
        let name = Cow::Borrowed(lane.name.as_str());
        events.push(Event::meta("thread_name", lane.id, Args::Name { name }));
        let sort = Args::SortIndex {
            sort_index: lane.id,
        };
        events.push(Event::meta("thread_sort_index", lane.id, sort));
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
            pid: 1,
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
        events.push(Event::instant(&mark.name, "mark", mark.t, mark.lane, args));
    }
    for line in &trace.output {
        let args = Args::Output { output: &line.text };
        events.push(Event::instant(
            &line.text, "output", line.t, line.lane, args,
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
        },
        trace,
    };
    // Serializing plain data into a string cannot fail.
    serde_json::to_string(&file).unwrap_or_default()
}
