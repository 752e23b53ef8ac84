//! A run's events as Server-Sent Events. Event names:
//!
//! - `queued`: the run waits for a slot (its summary);
//! - `start`: the whole snapshot so far, a trace (once, when the stream first sees it run);
//! - `delta`: what it recorded since ([`conlab_wire::Delta`]), every `stream_every`;
//! - `end`: its summary once it has ended; the stream then closes and the page fetches the
//!   trace with its checks.
//!
//! The stream is bounded: while the page has not read one message, the next is not made,
//! and the delta after it carries everything in between. Nothing is dropped or sampled.
//!
//! A run of the queue that this server does not hold (another server of the queue enqueued
//! it, or this one before a restart) streams too: its state from the record, its live view
//! rebuilt from its worker's events, as a run this server enqueued.
//!
//! Streams are capped (`max_streams` in all, `max_streams_per_run` on one run): beyond a
//! cap the answer is a stream of one `refused` event ([`StreamRefused`]) saying which, so a
//! page can say why. A stream's slot is freed the moment its connection closes.

use crate::api::AppState;
use crate::runs::{Live, Runs};
use axum::response::sse::{Event, KeepAlive, Sse};
use conlab_wire::{DeltaTracker, RunState, RunSummary, StreamRefused};
use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// How soon the stream looks again while a run is starting (no lane of it sent yet).
const FIRST_LOOK: Duration = Duration::from_millis(5);

/// The events of run `id`, or `None` when there is no such run: one of this server's, or,
/// with a queue, one the record holds (enqueued by another server of the queue, or by this
/// one before it restarted).
pub async fn events(state: &AppState, id: &str) -> Option<axum::response::Response> {
    let watched = match state.runs.summary(id) {
        Some(_) => Watched::Here,
        None => Watched::Record {
            summary: state.runs.summary_everywhere(id).await?,
            read: Instant::now(),
            live: None,
        },
    };
    let (tx, rx) = mpsc::channel(1);
    match state.streams.take(id) {
        Ok(slot) => {
            tokio::spawn(produce(
                state.runs.clone(),
                id.to_string(),
                watched,
                tx,
                state.config.stream_every,
                state.shutdown.clone(),
                slot,
            ));
        }
        Err(refused) => {
            let _ = tx.try_send(json_event("refused", &refused));
        }
    }
    Some(axum::response::IntoResponse::into_response(
        Sse::new(EventStream(rx)).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)),
    ))
}

/// How often an idle stream sends a comment, so a connection gone without a word is noticed.
const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// How often a stream of a run only the record holds reads the record.
const RECORD_EVERY: Duration = Duration::from_millis(250);

/// Where a stream reads its run.
enum Watched {
    /// In this server's book.
    Here,
    /// In the record only: its state read every [`RECORD_EVERY`]; while it runs, a live view
    /// of the stream's own, rebuilt from its worker's events (dropped with the stream, which
    /// ends its follower).
    Record {
        summary: RunSummary,
        read: Instant,
        live: Option<Arc<Live>>,
    },
}

impl Watched {
    /// The run's summary and, while it runs natively, its live view.
    async fn look(
        &mut self,
        runs: &Arc<Runs>,
        id: &str,
    ) -> Option<(RunSummary, Option<Arc<Live>>)> {
        let Watched::Record {
            summary,
            read,
            live,
        } = self
        else {
            return runs.watch(id);
        };
        if read.elapsed() >= RECORD_EVERY {
            *read = Instant::now();
            // A record that does not answer leaves the run as it was.
            if let Some(now) = runs.summary_everywhere(id).await {
                *summary = now;
            }
        }
        if summary.state == RunState::Running && live.is_none() {
            *live = runs.relayed_view(id);
        }
        Some((summary.clone(), live.clone()))
    }
}

/// The streams open now, in all and per run, under the server's caps.
pub struct StreamSlots {
    max: usize,
    max_per_run: usize,
    open: Mutex<HashMap<String, usize>>,
}

impl StreamSlots {
    pub fn new(max: usize, max_per_run: usize) -> StreamSlots {
        StreamSlots {
            max,
            max_per_run,
            open: Mutex::new(HashMap::new()),
        }
    }

    /// A slot for one more stream of run `id`, or why not.
    fn take(self: &Arc<Self>, id: &str) -> Result<Slot, StreamRefused> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let all: usize = open.values().sum();
        let on_run = open.get(id).copied().unwrap_or(0);
        if on_run >= self.max_per_run {
            return Err(StreamRefused {
                error: format!(
                    "run `{id}` already has {on_run} live event streams open, as many as this \
                     server sends for one run (--max-streams-per-run {}); close one, or read \
                     the run at /api/runs/{id} and its trace once it has ended",
                    self.max_per_run
                ),
                per_run: true,
                limit: self.max_per_run,
            });
        }
        if all >= self.max {
            return Err(StreamRefused {
                error: format!(
                    "this server already sends {all} live event streams, as many as it allows \
                     (--max-streams {}); try again once a run has ended",
                    self.max
                ),
                per_run: false,
                limit: self.max,
            });
        }
        *open.entry(id.to_string()).or_default() += 1;
        Ok(Slot {
            slots: self.clone(),
            id: id.to_string(),
        })
    }
}

/// One open stream's place under the caps, given back when dropped (its producer ends: the
/// run ended, the server stops, or the connection closed).
pub struct Slot {
    slots: Arc<StreamSlots>,
    id: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.id) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.id);
            }
        }
    }
}

/// The receiving end, as the stream axum sends.
pub struct EventStream(mpsc::Receiver<Event>);

impl futures_core::Stream for EventStream {
    type Item = Result<Event, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx).map(|e| e.map(Ok))
    }
}

fn json_event(name: &str, value: &impl serde::Serialize) -> Event {
    Event::default()
        .event(name)
        .data(serde_json::to_string(value).unwrap_or_else(|_| "null".into()))
}

async fn produce(
    runs: Arc<Runs>,
    id: String,
    mut watched: Watched,
    tx: mpsc::Sender<Event>,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
    _slot: Slot,
) {
    // What was sent, and how far in the run's time it reached.
    let mut tracker: Option<(DeltaTracker, conlab_core::Nanos)> = None;
    let mut said_queued = false;
    // Whether a lane has been sent: until then the page shows nothing of the run.
    let mut lanes_sent = false;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let Some((summary, live)) = watched.look(&runs, &id).await else {
            return;
        };
        let event = match (summary.state, live) {
            (RunState::Queued, _) if !said_queued => {
                said_queued = true;
                Some(json_event("queued", &summary))
            }
            (RunState::Running, Some(live)) => {
                let previous = tracker.take();
                let made = tokio::task::spawn_blocking(move || {
                    let (trace, progress) = live.snapshot()?;
                    let lanes = !trace.lanes.is_empty();
                    // A run whose time went back started again (its worker was lost and
                    // another took it over): the page gets it whole again, not a delta
                    // against the lost attempt.
                    let previous = previous.filter(|(_, end)| trace.end >= *end);
                    Some(match previous {
                        None => (
                            json_event("start", &trace),
                            (DeltaTracker::start(&trace), trace.end),
                            lanes,
                        ),
                        Some((mut tracker, _)) => {
                            let delta = tracker.next(&trace, progress);
                            (json_event("delta", &delta), (tracker, trace.end), lanes)
                        }
                    })
                })
                .await
                .ok()
                .flatten();
                made.map(|(event, next, lanes)| {
                    tracker = Some(next);
                    lanes_sent |= lanes;
                    event
                })
            }
            (RunState::Ended, _) => {
                let _ = tx.send(json_event("end", &summary)).await;
                return;
            }
            _ => None,
        };
        // Until the run's first lanes are out, look again soon: the page waits for them.
        let pause = if !lanes_sent && summary.state == RunState::Running {
            FIRST_LOOK
        } else {
            every
        };
        if let Some(event) = event {
            if tx.send(event).await.is_err() {
                return; // The page went away.
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = shutdown.changed() => {}
            // The page went away while there was nothing to send: its slot is free at once.
            _ = tx.closed() => return,
        }
    }
}
