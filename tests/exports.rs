//! The trace's JSON round-trips and refuses what it cannot read; the Chrome export is valid
//! trace-event JSON with one track per lane.

use conlab_core::{Trace, TraceLoadError};
use conlab_scenarios::RuntimeChoice::{Tokio, Virtual};
use conlab_tests::run;
use serde_json::Value;

#[test]
fn conlab_json_round_trips() {
    for id in ["gather-vs-wait", "cancel-all", "sync-vs-async-requests"] {
        let t = run(id, Virtual, &[]);
        let text = t.to_json();
        assert!(text.contains("\"schema\": \"conlab.trace/1\""));
        assert_eq!(Trace::from_json(&text).unwrap(), t);
    }
    let native = run("asyncio-two-tasks", Tokio, &["sleep_ms=20"]);
    assert!(native.recorded_at.is_some() && native.host.is_some());
    assert_eq!(Trace::from_json(&native.to_json()).unwrap(), native);
}

#[test]
fn bad_trace_files_get_clear_errors() {
    let good = run("asyncio-two-tasks", Virtual, &[]).to_json();
    let cut = &good[..good.len() / 2];
    assert!(matches!(
        Trace::from_json(cut),
        Err(TraceLoadError::NotJson(_))
    ));
    let wrong = good.replace("conlab.trace/1", "conlab.trace/9");
    let err = Trace::from_json(&wrong).unwrap_err();
    assert!(err.to_string().contains("conlab.trace/9"), "{err}");
    assert!(matches!(
        Trace::from_json("{}"),
        Err(TraceLoadError::WrongSchema { found: None })
    ));
    let bad_lane = good.replacen("\"lane\": 1", "\"lane\": 99", 1);
    assert!(matches!(
        Trace::from_json(&bad_lane),
        Err(TraceLoadError::Invalid(_))
    ));
}

#[test]
fn chrome_export_is_valid_trace_event_json() {
    let t = run("sync-vs-async-requests", Virtual, &["requests=3"]);
    let v: Value = serde_json::from_str(&conlab_core::chrome::to_chrome_json(&t)).unwrap();
    let events = v["traceEvents"].as_array().expect("traceEvents array");
    let mut named_tracks = std::collections::BTreeSet::new();
    let mut complete = 0;
    for e in events {
        let ph = e["ph"].as_str().expect("every event has a phase");
        assert!(e["pid"].is_u64() && e["tid"].is_u64(), "{e}");
        assert!(e["name"].is_string(), "{e}");
        match ph {
            "M" => {
                if e["name"] == "thread_name" {
                    named_tracks.insert(e["tid"].as_u64().unwrap());
                }
            }
            "X" => {
                complete += 1;
                assert!(
                    e["ts"].as_f64().unwrap() >= 0.0 && e["dur"].as_f64().unwrap() >= 0.0,
                    "{e}"
                );
            }
            "i" => assert!(e["ts"].is_number() && e["s"] == "t", "{e}"),
            other => panic!("unexpected phase {other}"),
        }
    }
    assert_eq!(
        named_tracks.len(),
        t.lanes.len(),
        "one named track per lane"
    );
    assert_eq!(complete, t.spans.len());
    assert_eq!(v["displayTimeUnit"], "ms");
}

#[test]
fn conlab_opens_its_own_chrome_export_to_the_same_trace() {
    for (id, runtime, params) in [
        ("sync-vs-async-requests", Virtual, &["requests=3"][..]),
        ("asyncio-two-tasks", Virtual, &["sleep_ms=40"][..]),
    ] {
        let t = run(id, runtime, params);
        let chrome = conlab_core::chrome::to_chrome_json(&t);
        let back = Trace::from_json(&chrome).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(back, t, "{id} round-trips through its Chrome export");
    }
    // A Chrome trace from elsewhere (no conlab trace inside) is refused as another kind.
    assert!(matches!(
        Trace::from_json(r#"{"traceEvents": [], "displayTimeUnit": "ms"}"#),
        Err(TraceLoadError::WrongSchema { found: None })
    ));
}
