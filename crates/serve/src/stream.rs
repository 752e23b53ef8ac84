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

use crate::api::AppState;
use crate::runs::Runs;
use axum::response::sse::{Event, KeepAlive, Sse};
use conlab_wire::{DeltaTracker, RunState};
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// How soon the stream looks again while a run is starting (no lane of it sent yet).
const FIRST_LOOK: Duration = Duration::from_millis(5);

/// The events of run `id`, or `None` when there is no such run.
pub fn events(state: &AppState, id: &str) -> Option<axum::response::Response> {
    state.runs.summary(id)?;
    let (tx, rx) = mpsc::channel(1);
    tokio::spawn(produce(
        state.runs.clone(),
        id.to_string(),
        tx,
        state.config.stream_every,
        state.shutdown.clone(),
    ));
    Some(axum::response::IntoResponse::into_response(
        Sse::new(EventStream(rx)).keep_alive(KeepAlive::default()),
    ))
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
    tx: mpsc::Sender<Event>,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut tracker: Option<DeltaTracker> = None;
    let mut said_queued = false;
    // Whether a lane has been sent: until then the page shows nothing of the run.
    let mut lanes_sent = false;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let Some((summary, live)) = runs.watch(&id) else {
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
                    Some(match previous {
                        None => (
                            json_event("start", &trace),
                            DeltaTracker::start(&trace),
                            lanes,
                        ),
                        Some(mut tracker) => {
                            let delta = tracker.next(&trace, progress);
                            (json_event("delta", &delta), tracker, lanes)
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
        }
    }
}
