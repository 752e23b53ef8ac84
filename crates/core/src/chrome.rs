//! Export to the Chrome Trace Event format (the JSON that Perfetto and `chrome://tracing`
//! open): one track per lane, spans as complete events, marks and output lines as instants.

use crate::trace::{Nanos, Trace};
use serde_json::{json, Value};

fn micros(ns: Nanos) -> f64 {
    ns as f64 / 1000.0
}

/// Converts a trace to Chrome trace-event JSON.
pub fn to_chrome_json(trace: &Trace) -> Value {
    let mut events = Vec::with_capacity(trace.spans.len() + trace.lanes.len() * 2 + 8);
    events.push(json!({
        "name": "process_name", "ph": "M", "pid": 1, "tid": 0,
        "args": { "name": format!("conlab {} ({})", trace.scenario, trace.runtime.as_str()) }
    }));
    for lane in &trace.lanes {
        events.push(json!({
            "name": "thread_name", "ph": "M", "pid": 1, "tid": lane.id,
            "args": { "name": lane.name }
        }));
        events.push(json!({
            "name": "thread_sort_index", "ph": "M", "pid": 1, "tid": lane.id,
            "args": { "sort_index": lane.id }
        }));
    }
    for span in &trace.spans {
        let name = if span.label.is_empty() {
            span.state.as_str().to_string()
        } else {
            format!("{}: {}", span.state.as_str(), span.label)
        };
        events.push(json!({
            "name": name, "cat": span.state.as_str(), "ph": "X",
            "ts": micros(span.start), "dur": micros(span.duration()),
            "pid": 1, "tid": span.lane,
            "args": { "state": span.state.as_str(), "open": span.open }
        }));
    }
    for mark in &trace.marks {
        events.push(json!({
            "name": mark.name, "cat": "mark", "ph": "i", "s": "t",
            "ts": micros(mark.t), "pid": 1, "tid": mark.lane,
            "args": { "detail": mark.detail }
        }));
    }
    for line in &trace.output {
        events.push(json!({
            "name": line.text, "cat": "output", "ph": "i", "s": "t",
            "ts": micros(line.t), "pid": 1, "tid": line.lane,
            "args": { "output": line.text }
        }));
    }
    json!({
        "traceEvents": events,
        "displayTimeUnit": "ms",
        "otherData": {
            "schema": trace.schema,
            "scenario": trace.scenario,
            "runtime": trace.runtime.as_str(),
            "status": trace.status.label(),
        }
    })
}
