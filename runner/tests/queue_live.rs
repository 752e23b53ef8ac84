//! Live events across machines, on real servers: a run that `conlab serve --queue` enqueued
//! and a `conlab worker` runs is shown live by the server, whose page stream rebuilds it from
//! the events the worker publishes in Redis (the last snapshot, then the deltas after it), so
//! a page that connects late, or again, or to another server of the queue, gets the run so
//! far and then what it records.

mod support;

use conlab_core::{SpanState, Trace};
use conlab_wire::{apply, Delta};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use support::cluster::{http, sse, Cluster, Sse};

/// A thread pool of 2 workers on 20 tasks of 250 ms: about 2.5 s, a task ending every 125 ms.
const LONG_RUN: &str =
    r#"{"scenario": "thread-pool", "params": {"workers": "2", "tasks": "20", "task_ms": "250"}}"#;

/// Lanes, spans, marks and lines: what a page has to draw.
fn items(trace: &Trace) -> usize {
    trace.lanes.len() + trace.spans.len() + trace.marks.len() + trace.output.len()
}

/// What one page saw: its first trace, and the trace it ends with (every delta applied).
#[track_caller]
fn page(events: &[Sse], logs: &str) -> (Trace, Trace, usize) {
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    let start = events
        .iter()
        .position(|e| e.event == "start")
        .unwrap_or_else(|| panic!("no start: {names:?}\n{logs}"));
    assert!(names[..start].iter().all(|n| *n == "queued"), "{names:?}");
    assert_eq!(names.last(), Some(&"end"), "{names:?}\n{logs}");
    let first = Trace::from_json(&events[start].data).expect("start is a trace");
    let mut drawn = first.clone();
    let mut deltas = 0;
    for event in &events[start + 1..events.len() - 1] {
        assert_eq!(event.event, "delta", "{names:?}");
        let delta: Delta = serde_json::from_str(&event.data).expect("a delta");
        deltas += 1;
        apply(&mut drawn, delta);
    }
    (first, drawn, deltas)
}

/// A run through the queue, watched by three pages: one that connects a little after the run
/// started and one that connects later, both on the server that enqueued it, and one on
/// another server of the queue, which knows the run only from the record. Each gets `start`
/// with the run so far (lanes already), then deltas while it runs, then `end`; the later
/// page's `start` holds at least as much as the earlier one's; what each page drew is what
/// the worker stored.
#[test]
fn a_page_sees_a_queued_run_live_from_the_last_snapshot() {
    let started = Instant::now();
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    let serve_a = cluster.serve("serve-a", &[]);
    let addr = serve_a.addr.clone();
    // Another server of the same queue, which did not enqueue the run.
    let serve_b = cluster.serve("serve-b", &[]);
    let other = serve_b.addr.clone();
    cluster.worker("live-1");
    eprintln!("servers and processes up in {:?}", started.elapsed());

    let id = serve_a.submit(LONG_RUN);
    serve_a.wait_running(&cluster, &id);
    let running = Instant::now();
    let path = format!("/api/runs/{id}/events");
    let quiet = Duration::from_secs(10);
    std::thread::sleep(Duration::from_millis(500));
    let early = {
        let (addr, path) = (addr.clone(), path.clone());
        std::thread::spawn(move || sse(&addr, &path, quiet))
    };
    std::thread::sleep(Duration::from_millis(400));
    let elsewhere = {
        let (other, path) = (other.clone(), path.clone());
        std::thread::spawn(move || sse(&other, &path, quiet))
    };
    std::thread::sleep(Duration::from_millis(500));
    let late = {
        let (addr, path) = (addr.clone(), path.clone());
        std::thread::spawn(move || sse(&addr, &path, quiet))
    };
    let (early, late) = (early.join().unwrap(), late.join().unwrap());
    let elsewhere = elsewhere.join().unwrap();
    eprintln!(
        "the run ended {:?} after the server saw it start",
        running.elapsed()
    );
    let logs = cluster.logs();

    let (early_start, early_drawn, early_deltas) = page(&early, &logs);
    let (late_start, late_drawn, late_deltas) = page(&late, &logs);
    let (elsewhere_start, elsewhere_drawn, elsewhere_deltas) = page(&elsewhere, &logs);
    eprintln!(
        "a page on the other server: start with {} items, {elsewhere_deltas} deltas",
        items(&elsewhere_start)
    );
    assert!(!elsewhere_start.lanes.is_empty());
    eprintln!(
        "early page: start with {} items, {early_deltas} deltas; late page: start with {} items, \
         {late_deltas} deltas",
        items(&early_start),
        items(&late_start)
    );
    // Both came while the run went on: its lanes are there from the first message.
    assert!(!early_start.lanes.is_empty(), "{:?}", early_start.lanes);
    assert!(
        items(&late_start) >= items(&early_start),
        "the later page's start holds less: {} < {}",
        items(&late_start),
        items(&early_start)
    );
    // Deltas with something in them came while it ran, not all at the end.
    for (events, name) in [
        (&early, "early"),
        (&late, "late"),
        (&elsewhere, "elsewhere"),
    ] {
        let lively = events
            .iter()
            .filter(|e| e.event == "delta")
            .filter(|e| serde_json::from_str::<Delta>(&e.data).is_ok_and(|d| !d.spans.is_empty()))
            .count();
        assert!(lively >= 2, "{name} page: {lively} deltas closed spans");
    }
    assert!(
        early_deltas >= 5,
        "the early page got {early_deltas} deltas over about 2 s"
    );

    // What each page drew is what the worker stored: every span that closed on the page is
    // in the trace, and most of the run's spans reached the page before its end.
    let (status, _, trace) = http(&addr, "GET", &format!("/api/runs/{id}/trace"), None);
    assert_eq!(status, 200, "{trace}");
    let stored = Trace::from_json(&trace).unwrap();
    assert_eq!(
        stored.status,
        conlab_core::Status::Ok,
        "{:?}",
        stored.status
    );
    let key = |s: &conlab_core::Span| (s.lane, s.start, s.end, s.depth, s.state);
    let kept: HashSet<_> = stored.spans.iter().map(key).collect();
    for drawn in [&early_drawn, &late_drawn, &elsewhere_drawn] {
        let closed: Vec<_> = drawn.spans.iter().filter(|s| !s.open).collect();
        for span in &closed {
            assert!(kept.contains(&key(span)), "drawn but not stored: {span:?}");
        }
        assert_eq!(drawn.lanes.len(), stored.lanes.len());
        let running = |t: &Trace| {
            t.spans
                .iter()
                .filter(|s| !s.open && s.state == SpanState::Running)
                .count()
        };
        assert!(
            running(drawn) * 2 >= running(&stored),
            "the page drew {} of {} running spans",
            running(drawn),
            running(&stored)
        );
    }
    // Publishing went without a hitch.
    assert!(!logs.contains("not published"), "{logs}");
    eprintln!("done in {:?}", started.elapsed());
}

/// A page watching a run whose worker is SIGKILLed: another worker takes the run over and
/// runs it again from its start, and the page gets it whole again (a second `start`, whose
/// time is behind what the first attempt had reached), never a delta of the second attempt
/// against the first; the run then ends with the second attempt's trace.
#[test]
fn a_page_gets_a_taken_over_run_whole_again() {
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    let front = cluster.serve("serve-a", &[]);
    let addr = front.addr.clone();
    cluster.worker("first");
    let id = front.submit(LONG_RUN);
    front.wait_running(&cluster, &id);
    let page = {
        let (addr, path) = (addr.clone(), format!("/api/runs/{id}/events"));
        std::thread::spawn(move || sse(&addr, &path, Duration::from_secs(15)))
    };
    std::thread::sleep(Duration::from_millis(1200));
    cluster.signal("first", libc::SIGKILL);
    cluster.worker("second");
    let events = page.join().unwrap();
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    let starts: Vec<usize> = (0..events.len())
        .filter(|&i| events[i].event == "start")
        .collect();
    assert_eq!(starts.len(), 2, "{names:?}\n{}", cluster.logs());
    assert_eq!(names.last(), Some(&"end"), "{names:?}");
    // How far the first attempt reached on the page, and where the second began.
    let mut first = Trace::from_json(&events[starts[0]].data).unwrap();
    for event in &events[starts[0] + 1..starts[1]] {
        apply(
            &mut first,
            serde_json::from_str::<Delta>(&event.data).unwrap(),
        );
    }
    let again = Trace::from_json(&events[starts[1]].data).unwrap();
    assert!(
        again.end < first.end,
        "the second start is not behind the first attempt: {} >= {}",
        again.end,
        first.end
    );
    let row = cluster.row(&id);
    assert_eq!(
        (row.attempts, row.worker.as_deref()),
        (2, Some("second")),
        "{row:?}"
    );
}
