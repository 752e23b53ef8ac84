//! A run drawn as it streams in: its first snapshot, then deltas (`conlab-wire`) applied to the
//! trace the page draws, at most once per [`DRAW_EVERY_MS`] however many arrive. Live runs in
//! the async Worker and native runs from `conlab serve` both reach the page this way.
//!
//! Drawn from a timer, not an animation frame: the animation frames of every widget on a
//! tutorial page (same-origin frames share the host page's loop) run in one task, so three
//! live widgets would stall the host page for the sum of their redraws. A timer's task is the
//! widget's own, and the host page's loop gets its turn between them.

use crate::state::{Action, Playground};
use conlab_core::{Status, Trace};
use conlab_wire::Delta;
use gloo_timers::callback::Timeout;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use yew::UseReducerDispatcher;

/// One streamed run: the trace so far and the frame that will draw it next.
pub struct Streamed {
    run: u64,
    dispatch: UseReducerDispatcher<Playground>,
    trace: RefCell<Option<Trace>>,
    frame: RefCell<Option<Timeout>>,
    /// When the runner last said something (the page's clock, ms).
    heard_at: Cell<f64>,
    /// Whether the page says the run's loop is blocked.
    frozen: Cell<bool>,
    ended: Cell<bool>,
}

/// How long a live run's loop may say nothing before the page says it is blocked, in ms: its
/// Worker sends at least every few frames while its loop is free.
const FROZEN_AFTER_MS: f64 = 300.0;

/// How often a streamed run is drawn at most, in ms: 20 times a second is smooth to watch,
/// and leaves a tutorial page with three live widgets room on its loop.
const DRAW_EVERY_MS: u32 = 50;

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

impl Streamed {
    /// A run of the page numbered `run` (see [`crate::live::next_run`]), drawn through
    /// `dispatch`.
    pub fn new(run: u64, dispatch: UseReducerDispatcher<Playground>) -> Rc<Streamed> {
        Rc::new(Streamed {
            run,
            dispatch,
            trace: RefCell::new(None),
            frame: RefCell::new(None),
            heard_at: Cell::new(now_ms()),
            frozen: Cell::new(false),
            ended: Cell::new(false),
        })
    }

    /// Watches the run's loop: while it says nothing for longer than [`FROZEN_AFTER_MS`] (a
    /// blocking call holds it), the page says for how long.
    pub fn watch_loop(self: &Rc<Streamed>) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let me: Weak<Streamed> = Rc::downgrade(self);
        let handle = Rc::new(Cell::new(0));
        let own = handle.clone();
        let check = Closure::<dyn FnMut()>::new(move || {
            let Some(me) = me.upgrade().filter(|m| !m.ended.get()) else {
                if let Some(w) = web_sys::window() {
                    w.clear_interval_with_handle(own.get());
                }
                return;
            };
            let silent = now_ms() - me.heard_at.get();
            if silent > FROZEN_AFTER_MS && me.trace.borrow().is_some() {
                me.frozen.set(true);
                me.dispatch
                    .dispatch(Action::Frozen(me.run, Some(silent as u64)));
            }
        });
        if let Ok(id) = window.set_interval_with_callback_and_timeout_and_arguments_0(
            check.as_ref().unchecked_ref(),
            100,
        ) {
            handle.set(id);
        }
        // It lives until it clears itself (the run ended, or nothing holds it any more).
        check.forget();
    }

    /// The runner said something: its loop is free.
    fn heard(&self) {
        self.heard_at.set(now_ms());
        if self.frozen.replace(false) {
            self.dispatch.dispatch(Action::Frozen(self.run, None));
        }
    }

    /// The run's number on the page.
    pub fn run(&self) -> u64 {
        self.run
    }

    /// The first snapshot, whole.
    pub fn start(self: &Rc<Streamed>, trace: Trace) {
        self.heard();
        *self.trace.borrow_mut() = Some(trace);
        self.draw_soon();
    }

    /// What the run recorded since the last message.
    pub fn apply(self: &Rc<Streamed>, mut delta: Delta) {
        self.heard();
        // The scenario's live figures (a load test's), shown under the live heading.
        if let Some(progress) = delta.progress.take() {
            self.dispatch.dispatch(Action::Progress(self.run, progress));
        }
        if let Some(trace) = self.trace.borrow_mut().as_mut() {
            conlab_wire::apply(trace, delta);
        }
        self.draw_soon();
    }

    /// The run as far as it reached the page, ended *stopped* there (its open spans closed,
    /// no checks): what the page shows of a run whose runner could not say its own end.
    pub fn stopped_here(&self) -> Option<Trace> {
        let mut trace = self.trace.borrow().clone()?;
        for span in trace.spans.iter_mut().filter(|s| s.open) {
            span.open = false;
        }
        trace.status = Status::Stopped {
            after_ms: trace.end / 1_000_000,
        };
        Some(trace)
    }

    /// The run ended with `trace` (judged, or stopped): the page shows it instead of the
    /// trace so far.
    pub fn finish(&self, trace: Trace) {
        self.ended.set(true);
        self.frame.borrow_mut().take();
        self.dispatch.dispatch(Action::Finished(trace, self.run));
    }

    /// Draws the trace so far in [`DRAW_EVERY_MS`] (once, however many messages arrive before
    /// it).
    fn draw_soon(self: &Rc<Streamed>) {
        if self.frame.borrow().is_some() {
            return;
        }
        let me = self.clone();
        let frame = Timeout::new(DRAW_EVERY_MS, move || {
            if let Some(trace) = me.trace.borrow().clone() {
                me.dispatch.dispatch(Action::Snapshot(trace, me.run));
            }
            // Cleared after this callback returns: the timer must not be dropped while it runs.
            wasm_bindgen_futures::spawn_local(async move {
                me.frame.borrow_mut().take();
            });
        });
        *self.frame.borrow_mut() = Some(frame);
    }
}
