//! The async Worker's live runs: an async scenario on the Worker's own event loop, in real
//! time, sent to the page as it goes (its first snapshot, then what changed) and judged at the
//! end. A blocking demo freezes this loop, never the page's: the page keeps scrolling, and
//! sees the run's messages stop while its loop is blocked.
//!
//! Sending costs the run's loop time, so it is paced as the page once paced its drawing: a
//! message that cost c ms to make waits c more frames before the next, so sending takes at
//! most about a seventeenth of the loop, and a huge run is sent a few times a second.

use conlab_core::{Params, Runtime, TraceMeta, TraceRecorder};
use conlab_scenarios::Scenario;
use conlab_wire::{DeltaTracker, SchedMessage};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The Worker's `setTimeout`: the sending's own timer, apart from the run's timer queue
    /// (whose lateness the run measures).
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &JsValue, ms: i32) -> i32;
}

/// About one animation frame, in ms: the pace of a cheap run's messages.
const FRAME_MS: f64 = 16.0;

thread_local! {
    /// What stops the Worker's live run, while one goes on.
    static RUNNING: RefCell<Option<conlab_browser::StopHandle>> = const { RefCell::new(None) };
}

/// Posts a message to the page.
pub(crate) type Say = Rc<dyn Fn(SchedMessage)>;

/// Starts `row` with `params` on this Worker's loop, for the time limit its estimate gives;
/// what it records reaches the page through `say`, and its judged trace at the end.
pub(crate) fn start(row: &'static Scenario, params: Params, say: Say) -> Result<(), String> {
    let generic = row.generic.ok_or_else(|| crate::not_here(row.id))?;
    let limit = conlab_core::estimate::limit_for((generic.expected)(&params), None)
        .map_err(|e| e.to_string())?;
    stop();
    let live =
        conlab_browser::start_scenario(row.info(), generic.on_browser, row.checks, params, limit);
    RUNNING.with(|r| *r.borrow_mut() = Some(live.stop.clone()));
    let sender = Rc::new(Sender {
        recorder: live.recorder.clone(),
        runtime: live.runtime,
        meta: live.meta.clone(),
        tracker: RefCell::new(None),
        done: Cell::new(false),
        sent_at: Cell::new(0),
        say: say.clone(),
    });
    // The first snapshot at once, before the scenario's first step, and another just before
    // each blocking call: a demo that blocks its loop is on show, frozen, as far as it got.
    sender.clone().send();
    let before = sender.clone();
    conlab_browser::before_blocking(Some(Box::new(move |blocks| before.post_if_due(blocks))));
    let finished = live.finished;
    wasm_bindgen_futures::spawn_local(async move {
        let trace = finished.await;
        sender.done.set(true);
        conlab_browser::before_blocking(None);
        RUNNING.with(|r| r.borrow_mut().take());
        say(SchedMessage::Ran(trace.to_json(), String::new()));
    });
    Ok(())
}

/// Stops the live run, if one goes on: it ends *stopped*, and its trace so far reaches the
/// page as a run's does.
pub(crate) fn stop() {
    if let Some(handle) = RUNNING.with(|r| r.borrow_mut().take()) {
        handle.stop();
    }
}

/// Sends a live run's snapshots to the page.
struct Sender {
    recorder: TraceRecorder,
    runtime: conlab_browser::BrowserRuntime,
    meta: Rc<TraceMeta>,
    /// What the page has: none until the first snapshot was sent whole.
    tracker: RefCell<Option<DeltaTracker>>,
    done: Cell<bool>,
    /// When the last message was made, on the run's clock.
    sent_at: Cell<conlab_core::Nanos>,
    say: Say,
}

impl Sender {
    fn send_after(sender: Rc<Sender>, ms: i32) {
        let next = Closure::once_into_js(move || sender.send());
        set_timeout(&next, ms);
    }

    /// Sends what the run recorded since the last message, then waits for the next.
    fn send(self: Rc<Sender>) {
        if self.done.get() {
            return;
        }
        let started = self.runtime.now();
        self.post(started);
        let cost_ms = self.runtime.now().saturating_sub(started) as f64 / 1e6;
        let wait = FRAME_MS * (1.0 + cost_ms.floor().min(240.0));
        Sender::send_after(self, wait as i32);
    }

    /// Before the loop is frozen for `blocks`: sends what the run recorded so far, if the
    /// freeze is long enough to be seen or a message is due (a run that computes in many short
    /// bursts is not sent at every one).
    fn post_if_due(&self, blocks: std::time::Duration) {
        let now = self.runtime.now();
        let frame = (FRAME_MS * 1e6) as conlab_core::Nanos;
        let due = now.saturating_sub(self.sent_at.get()) >= frame;
        if !self.done.get() && (due || blocks.as_nanos() >= u128::from(frame)) {
            self.post(now);
        }
    }

    /// Sends the run's snapshot at `now`: whole the first time, then what changed.
    fn post(&self, now: conlab_core::Nanos) {
        self.sent_at.set(now);
        let Some(snapshot) = self.meta.snapshot(&self.recorder, now) else {
            return;
        };
        let mut tracker = self.tracker.borrow_mut();
        let message = match tracker.as_mut() {
            Some(tracker) => SchedMessage::Delta(tracker.next(&snapshot, None)),
            None => {
                *tracker = Some(DeltaTracker::start(&snapshot));
                SchedMessage::Live(snapshot.to_json())
            }
        };
        drop(tracker);
        (self.say)(message);
    }
}
