//! A native run's live events across machines. On a `conlab worker` a thread beside the run
//! offers its snapshots to the queue's event sink ([`publish_until`]): whole when the sink
//! asks for a snapshot, else as a [`Delta`] against what it sent (a [`DeltaTracker`], as a
//! page's stream keeps one). On `conlab serve --queue` one follower per running remote run
//! ([`follow`]) reads them back from the last snapshot on and rebuilds the run ([`Rebuilt`])
//! into its [`Live`], which the page's stream reads as it reads a run of this machine: a page
//! that connects late or again gets the run so far, then deltas.
//!
//! A snapshot is `{"trace": …, "progress": …}`, a delta a `conlab_wire::Delta`, both JSON.

use crate::runs::Live;
use conlab_core::Trace;
use conlab_queue::{EventKind, EventReader, EventSink, RunEvent, Stream};
use conlab_wire::{apply, Delta, DeltaTracker};
use serde::{Deserialize, Serialize};
use std::sync::Weak;
use std::time::Duration;

/// How soon the publisher looks again while the run has no lane yet (as a page's stream does).
const FIRST_LOOK: Duration = Duration::from_millis(5);

/// How long the follower's read waits for new events before it looks whether its run is
/// still followed.
const READ_BLOCK: Duration = Duration::from_secs(1);

/// How long the follower waits before trying Redis again.
const RETRY: Duration = Duration::from_secs(1);

#[derive(Serialize)]
struct SnapshotOut<'a> {
    trace: &'a Trace,
    progress: Option<&'a str>,
}

#[derive(Deserialize)]
struct SnapshotIn {
    trace: Trace,
    progress: Option<String>,
}

/// The worker's side: what it sent of one run.
pub(crate) struct Publisher {
    sink: EventSink,
    /// What the events since the last snapshot carried.
    tracker: Option<DeltaTracker>,
}

impl Publisher {
    pub(crate) fn new(sink: EventSink) -> Publisher {
        Publisher {
            sink,
            tracker: None,
        }
    }

    /// Offers the run as it is now: `take` makes its snapshot, only when the sink takes an
    /// event. Whether one was sent, and whether it had lanes.
    pub(crate) fn offer(
        &mut self,
        take: impl FnOnce() -> Option<(Trace, Option<String>)>,
    ) -> Option<bool> {
        let kind = self.sink.wants()?;
        let (trace, progress) = take()?;
        let lanes = !trace.lanes.is_empty();
        match (kind, &mut self.tracker) {
            (EventKind::Delta, Some(tracker)) => {
                let delta = tracker.next(&trace, progress);
                let data = serde_json::to_string(&delta).ok()?;
                self.sink.send(EventKind::Delta, data);
            }
            _ => {
                let data = serde_json::to_string(&SnapshotOut {
                    trace: &trace,
                    progress: progress.as_deref(),
                })
                .ok()?;
                self.tracker = Some(DeltaTracker::start(&trace));
                self.sink.send(EventKind::Snapshot, data);
            }
        }
        Some(lanes)
    }
}

/// Offers `live`'s snapshots to `sink` every `every` until `done` says the run ended (its
/// sender sends or is dropped). Runs on a thread of its own beside the run: it never holds
/// up the run, and a sink that is busy writing is simply offered nothing this time.
pub(crate) fn publish_until(
    live: &Live,
    sink: EventSink,
    every: Duration,
    done: std::sync::mpsc::Receiver<()>,
) {
    let mut publisher = Publisher::new(sink);
    let mut lanes_sent = false;
    loop {
        if let Some(lanes) = publisher.offer(|| live.snapshot()) {
            lanes_sent |= lanes;
        }
        let pause = if lanes_sent { every } else { FIRST_LOOK };
        match done.recv_timeout(pause) {
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            _ => return,
        }
    }
}

/// A run rebuilt from its events: the last snapshot, and the deltas after it applied.
#[derive(Debug, Default)]
pub(crate) struct Rebuilt {
    trace: Option<Trace>,
    progress: Option<String>,
}

impl Rebuilt {
    /// Takes one event (in the order an [`EventReader`] gives them): a snapshot replaces the
    /// run so far, a delta is applied to it. `false` once the run's end came.
    pub(crate) fn take(&mut self, event: RunEvent) -> Result<bool, serde_json::Error> {
        match event.kind {
            EventKind::Snapshot => {
                let snapshot: SnapshotIn = serde_json::from_str(&event.data)?;
                self.trace = Some(snapshot.trace);
                self.progress = snapshot.progress;
            }
            EventKind::Delta => {
                let delta: Delta = serde_json::from_str(&event.data)?;
                if let Some(trace) = &mut self.trace {
                    self.progress = delta.progress.clone();
                    apply(trace, delta);
                }
            }
            EventKind::End => return Ok(false),
        }
        Ok(true)
    }

    /// The run so far and its progress line; `None` before the first snapshot.
    pub(crate) fn snapshot(&self) -> Option<(Trace, Option<String>)> {
        Some((self.trace.clone()?, self.progress.clone()))
    }
}

/// Follows run `id`'s events on the queue's Redis into `live` until the run's end comes or
/// `live` is dropped (the run ended in the record). It starts from the last snapshot, and
/// so again after any trouble: Redis gone, an event it cannot read.
pub(crate) async fn follow(stream: Stream, id: String, live: Weak<Live>) {
    let mut said = false;
    let mut trouble = |why: String| {
        if !std::mem::replace(&mut said, true) {
            eprintln!(
                "conlab serve: run {id}'s live events cannot be read ({why}); trying again \
                 every second, the run itself goes on"
            );
        }
    };
    let mut reader = None;
    loop {
        if live.strong_count() == 0 {
            return;
        }
        let open = match reader.as_mut() {
            Some(open) => open,
            None => match EventReader::open(&stream, &id).await {
                Ok(open) => reader.insert(open),
                Err(e) => {
                    trouble(e.to_string());
                    tokio::time::sleep(RETRY).await;
                    continue;
                }
            },
        };
        let events = match open.next(READ_BLOCK).await {
            Ok(events) => events,
            Err(e) => {
                trouble(e.to_string());
                open.restart();
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        let Some(live) = live.upgrade() else { return };
        for event in events {
            match live.take(event) {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => {
                    trouble(format!("an event that does not read: {e}"));
                    open.restart();
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runs::Live;
    use conlab_core::catalog;
    use conlab_core::{LaneKind, Params, RuntimeKind, SpanState, TraceMeta, TraceRecorder};
    use conlab_queue::{EventSettings, EventWriter};
    use std::sync::Arc;
    use std::time::Instant;

    fn meta() -> TraceMeta {
        let info = catalog::find("thread-pool").expect("in the catalog");
        TraceMeta {
            info,
            runtime: RuntimeKind::Tokio,
            params: Params::defaults(info.params),
            recorded_at: None,
            host: None,
            cores: None,
        }
    }

    /// A trace as a page draws it: its code sites resolved, so two numberings of the same
    /// sites compare equal (a snapshot numbers them in the order its merge meets them, a
    /// stream of deltas in the order it first sent them).
    fn drawn(trace: &Trace) -> (Trace, Vec<Option<conlab_core::CodeSite>>) {
        let at = |i: Option<u16>| i.and_then(|i| trace.sites.get(usize::from(i)).cloned());
        let mut sites: Vec<_> = trace.spans.iter().map(|s| at(s.site)).collect();
        sites.extend(trace.marks.iter().map(|m| at(m.site)));
        sites.extend(trace.output.iter().map(|l| at(l.site)));
        let mut bare = trace.clone();
        bare.sites.clear();
        bare.spans.iter_mut().for_each(|s| s.site = None);
        bare.marks.iter_mut().for_each(|m| m.site = None);
        bare.output.iter_mut().for_each(|l| l.site = None);
        (bare, sites)
    }

    /// Starts private Redis, or says why the test is skipped.
    fn private_redis() -> Option<(conlab_servers::Servers, String)> {
        match conlab_servers::start_private(conlab_servers::Needs::Redis(1)) {
            Ok(servers) => {
                let url = servers.urls()[0].clone();
                Some((servers, url))
            }
            Err(e @ conlab_servers::ServerError::Missing { .. }) => {
                eprintln!("skipped: {e}");
                None
            }
            Err(e) => panic!("{e}"),
        }
    }

    /// Redis restarted while a run publishes: no offer waits on it, and once it is back a
    /// reader rebuilds exactly the latest snapshot the worker took (the writer lost events
    /// meanwhile, so it asked for a snapshot and wrote no delta until one was written).
    #[test]
    fn a_redis_restart_mid_run_costs_the_run_nothing_and_the_view_resumes() {
        let Some((mut servers, url)) = private_redis() else {
            return;
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let stream = rt
            .block_on(Stream::connect_with_prefix(&url, "conlab:test:"))
            .unwrap();
        let settings = EventSettings {
            snapshot_every: 8,
            cap: 24,
            linger: Duration::from_secs(60),
        };
        let writer = {
            let _inside = rt.enter();
            EventWriter::start(stream.clone(), "r2", settings, "test")
        };
        let sink = writer.sink();
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        // As the executor's thread does: offer every 5 ms whatever the sink takes.
        let publishing = std::thread::spawn(move || {
            let meta = meta();
            let recorder = TraceRecorder::new();
            let writer = recorder.writer();
            let main = writer.new_lane(0, LaneKind::Main, "main");
            let mut publisher = Publisher::new(sink);
            let (mut latest, mut slowest, mut taken) = (None, Duration::ZERO, 0);
            for step in 1u64.. {
                let t = step * 100;
                writer.begin(t, main, SpanState::Running, "step");
                writer.end(t + 50, main);
                let snapshot = meta.snapshot(&recorder, t + 70).expect("the run goes on");
                let offered = Instant::now();
                if publisher.offer(|| Some((snapshot.clone(), None))).is_some() {
                    latest = Some(snapshot);
                    taken += 1;
                }
                slowest = slowest.max(offered.elapsed());
                if stopped.recv_timeout(Duration::from_millis(5)).is_ok() {
                    return (latest.unwrap(), slowest, step, taken);
                }
            }
            unreachable!()
        });
        std::thread::sleep(Duration::from_millis(300));
        servers.restart_after(&url, Duration::from_secs(1)).unwrap();
        // Long enough for the writer to find Redis again and write a snapshot.
        std::thread::sleep(Duration::from_secs(2));
        stop.send(()).unwrap();
        let (latest, slowest, steps, taken) = publishing.join().unwrap();
        rt.block_on(writer.end("done"));
        eprintln!("{steps} steps, {taken} taken, the slowest offer {slowest:?}");
        // A write takes up to 7 s to give up; an offer never waits for one.
        assert!(
            slowest < Duration::from_millis(500),
            "an offer took {slowest:?}"
        );
        assert!(steps > 100, "{steps} steps in 3.3 s");

        rt.block_on(async {
            let mut reader = EventReader::open(&stream, "r2").await.unwrap();
            let events = reader.next(Duration::from_millis(100)).await.unwrap();
            assert_eq!(events[0].kind, EventKind::Snapshot);
            assert_eq!(events.last().unwrap().kind, EventKind::End);
            let mut rebuilt = Rebuilt::default();
            for event in events {
                rebuilt.take(event).unwrap();
            }
            let (rebuilt, _) = rebuilt.snapshot().unwrap();
            assert_eq!(drawn(&rebuilt), drawn(&latest));
        });
    }

    /// A worker publishes 300 snapshots of a run through a stream capped far below that; a
    /// follower that started with it, a reader that fell behind the trimming, and a reader
    /// that starts once the run has ended all rebuild exactly the latest snapshot the worker
    /// took.
    #[test]
    fn a_late_reader_rebuilds_the_latest_snapshot_from_the_capped_stream() {
        let Some((_servers, url)) = private_redis() else {
            return;
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let stream = Stream::connect_with_prefix(&url, "conlab:test:")
                .await
                .unwrap();
            let settings = EventSettings {
                snapshot_every: 8,
                cap: 24,
                linger: Duration::from_secs(60),
            };
            let writer = EventWriter::start(stream.clone(), "r1", settings, "test");
            let mut publisher = Publisher::new(writer.sink());
            let live = Arc::new(Live::relayed());
            let following =
                tokio::spawn(follow(stream.clone(), "r1".into(), Arc::downgrade(&live)));
            // A reader that reads at step 20 and then not again until the end: what it had
            // read next is trimmed away by then.
            let mut laggard = EventReader::open(&stream, "r1").await.unwrap();
            let mut lagged = Rebuilt::default();

            let meta = meta();
            let recorder = TraceRecorder::new();
            let early = recorder.writer();
            let late = recorder.writer();
            let main = early.new_lane(0, LaneKind::Main, "main");
            early.begin(0, main, SpanState::Running, "submitting");
            let mut latest = None;
            let (mut snapshots, mut deltas, mut longest) = (0, 0, 0);
            for step in 1..=300u64 {
                let t = step * 100;
                let task = late.new_lane(t, LaneKind::Thread, format!("worker-{}", step % 7));
                late.begin(t, task, SpanState::Running, "task");
                late.end(t + 50, task);
                late.output(t + 50, task, format!("task {step} done"));
                if step % 5 == 0 {
                    early.mark(t + 60, main, "phase", format!("phase {step}"));
                }
                late.end_lane(t + 60, task);
                let snapshot = meta.snapshot(&recorder, t + 70).expect("the run goes on");
                // Every snapshot offered: wait while the one before is written.
                let kind = loop {
                    if let Some(kind) = publisher.sink.wants() {
                        break kind;
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                };
                match kind {
                    EventKind::Snapshot => snapshots += 1,
                    _ => deltas += 1,
                }
                let progress = Some(format!("step {step}"));
                publisher
                    .offer(|| Some((snapshot.clone(), progress.clone())))
                    .expect("taken");
                latest = Some((snapshot, progress));
                if step == 20 {
                    for event in laggard.next(Duration::from_millis(100)).await.unwrap() {
                        lagged.take(event).unwrap();
                    }
                }
                longest = longest.max(stream.event_count("r1").await.unwrap());
            }
            writer.end("done").await;
            let (latest, progress) = latest.unwrap();

            // Capped: far fewer entries than deltas ever, snapshots every 8 deltas or so.
            assert!(deltas >= 250, "{deltas} deltas, {snapshots} snapshots");
            assert!((30..=60).contains(&snapshots), "{snapshots} snapshots");
            assert!(longest <= 2 * 8 + 6, "the stream held {longest} entries");

            // The follower, which read along, ends with the end and holds the latest snapshot.
            tokio::time::timeout(Duration::from_secs(5), following)
                .await
                .expect("the follower ends at the run's end")
                .unwrap();
            let (followed, followed_progress) = live.snapshot().expect("rebuilt");
            assert_eq!(drawn(&followed), drawn(&latest));
            assert_eq!(followed_progress, progress);

            // The reader that fell behind goes on from a snapshot, to the same trace.
            let caught_up = laggard.next(Duration::from_millis(100)).await.unwrap();
            assert_eq!(caught_up[0].kind, EventKind::Snapshot);
            assert_eq!(caught_up.last().unwrap().kind, EventKind::End);
            for event in caught_up {
                lagged.take(event).unwrap();
            }
            assert_eq!(drawn(&lagged.snapshot().unwrap().0), drawn(&latest));

            // A reader that comes after the end: from the last snapshot, to the same trace.
            let mut reader = EventReader::open(&stream, "r1").await.unwrap();
            let events = reader.next(Duration::from_millis(100)).await.unwrap();
            assert_eq!(events[0].kind, EventKind::Snapshot);
            assert_eq!(events.last().unwrap().kind, EventKind::End);
            assert!(
                events.len() <= 8 + 4,
                "{} events after the snapshot",
                events.len()
            );
            let mut rebuilt = Rebuilt::default();
            for event in events {
                rebuilt.take(event).unwrap();
            }
            let (rebuilt, rebuilt_progress) = rebuilt.snapshot().unwrap();
            assert_eq!(drawn(&rebuilt), drawn(&latest));
            assert_eq!(rebuilt_progress, progress);
        });
    }
}
