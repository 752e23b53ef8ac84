//! Runs through the API as a program (or the page) makes them: started with non-default
//! parameters, streamed live, stopped, queued, kept across a restart.

mod support;

use conlab_core::{Status, Trace};
use conlab_wire::{apply, Delta};
use support::*;

/// A value drawn in `range` from the clock (each run of the tests draws others).
fn drawn(range: std::ops::RangeInclusive<u64>) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(7);
    range.start() + nanos % (range.end() - range.start() + 1)
}

#[test]
fn a_native_thread_run_streams_its_lanes_before_it_ends_and_passes_its_checks() {
    // Snapshots taken often, so one is likely to fall while the run is finishing.
    let (server, _store) = server(|c| c.stream_every = std::time::Duration::from_millis(2));
    let addr = server.addr();
    let downloads = drawn(2..=12);
    let latency = drawn(300..=700);
    let id = start(
        addr,
        &format!(
            r#"{{"scenario":"io-bound-threads","params":{{"downloads":"{downloads}","latency_ms":"{latency}"}}}}"#
        ),
    );
    let events = events(addr, &id);
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names.first(), Some(&"start"), "{names:?}");
    assert_eq!(names.last(), Some(&"end"), "{names:?}");
    assert!(
        names.iter().filter(|n| **n == "delta").count() >= 2,
        "{names:?}"
    );

    // The page's view, rebuilt from the stream as the page rebuilds it.
    let mut live: Trace = serde_json::from_str(&events[0].data).expect("a trace");
    let mut lanes_seen_at = None;
    for event in &events[1..events.len() - 1] {
        let delta: Delta = serde_json::from_str(&event.data).expect("a delta");
        let now = delta.now;
        apply(&mut live, delta);
        if lanes_seen_at.is_none() && live.lanes.len() > downloads as usize {
            lanes_seen_at = Some(now);
        }
    }
    let end: serde_json::Value = serde_json::from_str(&events.last().unwrap().data).unwrap();
    assert_eq!(end["state"], "ended");
    let trace: Trace = Trace::from_json(&get(addr, &format!("/api/runs/{id}/trace")).body)
        .expect("the kept trace reads");
    assert_eq!(trace.status, Status::Ok, "{:?}", trace.status);
    assert!(trace.passed(), "checks: {:?}", trace.failed_checks());
    assert_eq!(trace.params["downloads"], downloads.to_string());
    let seen = lanes_seen_at.expect("every download's lane streamed in before the end");
    assert!(
        seen < trace.metrics.makespan,
        "the lanes arrived at {seen} ns, the run ended at {} ns",
        trace.metrics.makespan
    );
    // What streamed is what the run recorded: every lane, and every span that had closed.
    assert_eq!(live.lanes.len(), trace.lanes.len());
    let closed_live = live.spans.iter().filter(|s| !s.open).count();
    assert!(closed_live <= trace.spans.len());
    for lane in live.lanes.iter().filter(|l| l.name.starts_with("Thread")) {
        assert!(
            live.spans.iter().any(|s| s.lane == lane.id),
            "{} streamed without what it was doing; live {:#?}\nfinal {:#?}",
            lane.name,
            live.spans,
            trace.spans
        );
    }
    assert_eq!(end["checks_passed"], end["checks_total"]);
}

#[test]
fn a_stopped_run_ends_stopped_without_checks_and_is_kept() {
    let (server, _store) = server(|_| {});
    let addr = server.addr();
    let id = start(
        addr,
        r#"{"scenario":"io-bound-threads","params":{"downloads":"4","latency_ms":"20000"}}"#,
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    let asked = post_json(addr, &format!("/api/runs/{id}/stop"), "");
    assert_eq!(asked.status, 200, "{}", asked.body);
    let started = std::time::Instant::now();
    let summary = wait_ended(addr, &id);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "a stop takes effect at once, not after the 20 s latency"
    );
    assert_eq!(summary["status"]["kind"], "stopped", "{summary}");
    assert_eq!(summary["checks_total"], 0);
    let trace = Trace::from_json(&get(addr, &format!("/api/runs/{id}/trace")).body).unwrap();
    assert!(matches!(trace.status, Status::Stopped { .. }));
    assert!(trace.lanes.len() > 1, "the partial trace keeps what ran");
}

#[test]
fn a_stopped_load_test_keeps_what_it_measured() {
    let (server, _store) = server(|_| {});
    let addr = server.addr();
    let clients = drawn(1..=16);
    let id = start(
        addr,
        &format!(
            r#"{{"scenario":"load-test","params":{{"clients":{clients},"payload_kb":1,"duration_ms":60000}}}}"#
        ),
    );
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let asked = post_json(addr, &format!("/api/runs/{id}/stop"), "");
    assert_eq!(asked.status, 200, "{}", asked.body);
    let summary = wait_ended(addr, &id);
    assert_eq!(summary["status"]["kind"], "stopped", "{summary}");
    let trace = Trace::from_json(&get(addr, &format!("/api/runs/{id}/trace")).body).unwrap();
    let said = trace.output_texts().join("\n");
    assert!(said.contains("stopped before its end"), "{said}");
    assert!(
        !trace.charts.is_empty(),
        "the histogram and series are kept"
    );
    let figure = |key: &str| trace.metrics.extra(key).unwrap_or_else(|| panic!("{key}"));
    assert!(figure("sent") > 0.0);
    assert_eq!(figure("sent"), figure("succeeded") + figure("failed"));
    assert!(trace.metrics.latency.is_some_and(|l| l.measured));
}

#[test]
fn a_run_beyond_the_running_cap_waits_its_turn_then_runs() {
    let (server, _store) = server(|c| c.max_running = 1);
    let addr = server.addr();
    let first = start(
        addr,
        r#"{"scenario":"io-bound-threads","params":{"latency_ms":"600"}}"#,
    );
    let second_answer = post_json(
        addr,
        "/api/runs",
        r#"{"scenario":"thread-start","params":{"threads":"5"}}"#,
    );
    assert_eq!(second_answer.status, 202);
    assert_eq!(second_answer.json()["state"], "queued");
    let second = second_answer.json()["id"].as_str().unwrap().to_string();
    let stream = events(addr, &second);
    assert_eq!(stream[0].event, "queued");
    assert_eq!(stream.last().unwrap().event, "end");
    let a = wait_ended(addr, &first);
    let b = wait_ended(addr, &second);
    assert!(a["status"]["kind"] == "ok" && b["status"]["kind"] == "ok");
    assert_eq!(b["checks_passed"], b["checks_total"]);
}

#[test]
fn finished_runs_are_listed_again_after_a_restart_and_broken_files_are_not() {
    let store = tempfile::tempdir().unwrap();
    let config = |dir: &std::path::Path| {
        let mut c = conlab_serve::Config::new(dir.to_path_buf());
        c.bind = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        c
    };
    let id = {
        let server = conlab_serve::Server::start(config(store.path())).unwrap();
        let id = start(
            server.addr(),
            r#"{"scenario":"asyncio-two-tasks","runtime":"virtual"}"#,
        );
        wait_ended(server.addr(), &id);
        id
    };
    // What a crash mid-write leaves: a temporary file, a summary without its trace.
    std::fs::write(store.path().join(".tmp-1-x.run.json"), "{").unwrap();
    std::fs::write(
        store.path().join("20990101-000000-9.run.json"),
        std::fs::read(store.path().join(format!("{id}.run.json"))).unwrap(),
    )
    .unwrap();
    let server = conlab_serve::Server::start(config(store.path())).unwrap();
    let list = get(server.addr(), "/api/runs").json();
    let ids: Vec<&str> = list["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id.as_str()]);
    assert!(!store.path().join(".tmp-1-x.run.json").exists());
    let trace = get(server.addr(), &format!("/api/runs/{id}/trace"));
    assert_eq!(trace.status, 200);
    assert!(Trace::from_json(&trace.body).unwrap().passed());
    // New runs get new ids.
    let next = start(
        server.addr(),
        r#"{"scenario":"asyncio-two-tasks","runtime":"virtual"}"#,
    );
    assert_ne!(next, id);
}
