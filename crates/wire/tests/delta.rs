//! A stream of deltas, applied in order, rebuilds exactly what the run recorded: every lane,
//! span, mark and line once, in order, with the right code sites, whatever the snapshots'
//! own numbering of sites.

use conlab_core::catalog;
use conlab_core::{LaneKind, Params, RuntimeKind, SpanState, Trace, TraceMeta, TraceRecorder};
use conlab_wire::{apply, DeltaTracker};

fn meta() -> TraceMeta {
    let info = catalog::find("event-loop-choice").expect("in the catalog");
    TraceMeta {
        info,
        runtime: RuntimeKind::Tokio,
        params: Params::defaults(info.params),
        recorded_at: None,
        host: None,
        cores: None,
    }
}

/// Where each span, mark and line points, by file and line rather than by index.
fn sites_resolved(trace: &Trace) -> Vec<Option<(String, u32)>> {
    let at = |i: Option<u16>| {
        i.and_then(|i| trace.sites.get(usize::from(i)))
            .map(|s| (s.file.clone(), s.line))
    };
    let mut out: Vec<_> = trace.spans.iter().map(|s| at(s.site)).collect();
    out.extend(trace.marks.iter().map(|m| at(m.site)));
    out.extend(trace.output.iter().map(|l| at(l.site)));
    out
}

fn without_sites(mut trace: Trace) -> Trace {
    trace.sites.clear();
    for s in &mut trace.spans {
        s.site = None;
    }
    for m in &mut trace.marks {
        m.site = None;
    }
    for l in &mut trace.output {
        l.site = None;
    }
    trace
}

#[test]
fn deltas_rebuild_the_recording_exactly() {
    let meta = meta();
    let recorder = TraceRecorder::new();
    let early = recorder.writer();
    let late = recorder.writer();
    let main = early.new_lane(0, LaneKind::Main, "main");
    early.begin(0, main, SpanState::Running, "setting up");
    let long = late.new_lane(5, LaneKind::Task, "long sleeper");
    let mut sleep = Some(late.begin_whole(long, SpanState::Sleeping, 5));
    let first = meta.snapshot(&recorder, 10).expect("the run goes on");
    let mut page = first.clone();
    let mut tracker = DeltaTracker::start(&first);

    // Tasks appear, sleep, print; a long span opened early closes late; a second writer
    // records events earlier than ones already sent (its sites then come first in the merge).
    let mut sent_items = 0;
    for step in 1..=20u64 {
        let t = step * 100;
        let task = late.new_lane(t, LaneKind::Task, format!("task-{step}"));
        late.begin(t, task, SpanState::Sleeping, "sleep");
        late.end(t + 50, task);
        late.output(t + 50, task, format!("task {step} woke"));
        if step % 3 == 0 {
            early.mark(t + 60, main, "phase", format!("phase {step}"));
        }
        late.end_lane(t + 60, task);
        if step == 10 {
            late.end_whole(sleep.take().expect("once"), t + 65, "slept");
        }
        let snapshot = meta.snapshot(&recorder, t + 70).expect("the run goes on");
        let delta = tracker.next(&snapshot, Some(format!("step {step}")));
        // Nothing is sent twice.
        sent_items += delta.spans.len() + delta.marks.len() + delta.output.len();
        let json = serde_json::to_string(&delta).expect("a delta serializes");
        apply(
            &mut page,
            serde_json::from_str(&json).expect("and reads back"),
        );
        assert_eq!(page.lanes, snapshot.lanes, "step {step}: lanes");
        assert_eq!(page.end, snapshot.end);
        assert_eq!(
            sites_resolved(&page),
            sites_resolved(&snapshot),
            "step {step}: code sites"
        );
        assert_eq!(
            without_sites(page.clone()).spans,
            without_sites(snapshot.clone()).spans,
            "step {step}: spans, the open one drawn up to now"
        );
        assert_eq!(
            without_sites(page.clone()).output,
            without_sites(snapshot.clone()).output
        );
        assert_eq!(
            without_sites(page.clone()).marks,
            without_sites(snapshot).marks
        );
    }
    early.end(2_500, main);
    early.end_lane(2_500, main);
    let last = meta.snapshot(&recorder, 2_600).expect("the run goes on");
    apply(&mut page, tracker.next(&last, None));
    assert!(page.spans.iter().all(|s| !s.open), "the long span closed");
    assert_eq!(
        without_sites(page.clone()).spans,
        without_sites(last.clone()).spans
    );
    // 20 sleeps, the long sleep, 20 lines, 6 marks: each sent exactly once while the run
    // went on (the setting-up span closed after); the 21 lanes once each at their start.
    assert_eq!(sent_items, 21 + 20 + 6);
    assert_eq!(page.spans.len(), 22);
    // A snapshot with nothing new gives an empty delta.
    let again = tracker.next(
        &meta.snapshot(&recorder, 2_700).expect("the run goes on"),
        None,
    );
    assert!(again.is_empty(), "{again:?}");
}
