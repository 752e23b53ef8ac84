//! Runs on the page: a live run on the browser's own loop, drawn while it runs (the same
//! scenario on the virtual-time runtime, for stepping through, runs in the scheduler Worker).
//!
//! A live run is shown through snapshots of its recording, at most one per animation frame and
//! fewer when one gets expensive (a snapshot that cost c ms to take, render and draw skips the
//! next c frames), so drawing a run never starves the run it draws.

use crate::i18n::Lang;
use crate::state::{Action, Playground};
use conlab_browser::{BrowserRuntime, StopHandle};
use conlab_core::catalog::ScenarioInfo;
use conlab_core::{Params, Runtime, TraceMeta, TraceRecorder};
use gloo_render::{request_animation_frame, AnimationFrame};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;
use yew::UseReducerDispatcher;

/// What the page shows as the time limit of a run in its scheduler Worker (virtual time: its
/// clock only jumps).
pub const VIRTUAL_LIMIT: Duration = Duration::from_secs(3600);

/// The page's live run: the animation frame that draws it (dropping it stops the snapshots)
/// and what stops the run itself.
#[derive(Default)]
pub struct Current {
    frame: Option<AnimationFrame>,
    stop: Option<StopHandle>,
}

/// Where the page keeps its live run.
pub type RunSlot = Rc<RefCell<Current>>;

/// Stops the page's live run, if one is going: it ends with the trace so far, marked
/// *stopped*, and its tasks end.
pub fn stop(slot: &RunSlot) {
    if let Some(handle) = slot.borrow_mut().stop.take() {
        handle.stop();
    }
}

/// Stops the page's live run and stops drawing it (another scenario was picked).
pub fn abandon(slot: &RunSlot) {
    stop(slot);
    *slot.borrow_mut() = Current::default();
}

/// Starts `info` with `params` on the page's loop, dispatching snapshots and the finished trace.
pub fn start(
    info: &'static ScenarioInfo,
    params: Params,
    lang: Lang,
    dispatch: UseReducerDispatcher<Playground>,
    slot: RunSlot,
) -> Result<(), String> {
    let (generic, checks) = conlab_scenarios::find(info.id)
        .and_then(|s| Some((s.generic?, s.checks)))
        .ok_or_else(|| format!("{} does not run in the browser", info.id))?;
    let limit = conlab_core::estimate::limit_for((generic.expected)(&params), None)
        .map_err(|e| lang.too_long(&e))?;
    // One live run at a time: a new one stops the last.
    stop(&slot);
    let live = conlab_browser::start_scenario(info, generic.on_browser, checks, params, limit);
    slot.borrow_mut().stop = Some(live.stop.clone());
    let run = next_run();
    dispatch.dispatch(Action::Started(run, limit));
    let done = Rc::new(Cell::new(false));
    let snapshots = Snapshots {
        recorder: live.recorder.clone(),
        runtime: live.runtime,
        meta: live.meta.clone(),
        dispatch: dispatch.clone(),
        skip: Cell::new(0),
        done: done.clone(),
        run,
    };
    arm(slot.clone(), Rc::new(snapshots));
    let handle = live.stop;
    wasm_bindgen_futures::spawn_local(async move {
        let trace = live.finished.await;
        done.set(true);
        let mut current = slot.borrow_mut();
        // A newer run may have taken the slot already.
        if current.stop.as_ref().is_none_or(|s| s.same_run(&handle)) {
            *current = Current::default();
        }
        drop(current);
        dispatch.dispatch(Action::Finished(trace, run));
    });
    Ok(())
}

struct Snapshots {
    recorder: TraceRecorder,
    runtime: BrowserRuntime,
    meta: Rc<TraceMeta>,
    dispatch: UseReducerDispatcher<Playground>,
    skip: Cell<u32>,
    done: Rc<Cell<bool>>,
    run: u64,
}

/// A number for each live run of the page, so results of a run left behind are told apart.
pub fn next_run() -> u64 {
    thread_local! {
        static RUNS: Cell<u64> = const { Cell::new(0) };
    }
    RUNS.with(|r| {
        r.set(r.get() + 1);
        r.get()
    })
}

impl Snapshots {
    /// Takes a snapshot, unless this frame is skipped. Returns when it started.
    fn frame(&self) -> Option<u64> {
        if self.skip.get() > 0 {
            self.skip.set(self.skip.get() - 1);
            return None;
        }
        let started = self.runtime.now();
        let trace = self.meta.snapshot(&self.recorder, started)?;
        self.dispatch.dispatch(Action::Snapshot(trace, self.run));
        Some(started)
    }

    /// After the page drew a snapshot taken at `started`: a snapshot that cost c ms in all
    /// (taking it, rendering and drawing it) skips the next c frames, so drawing takes at most
    /// about a seventeenth of the loop's time, and a big run is drawn a few times a second.
    fn drawn(&self, started: u64) {
        let cost_ms = (self.runtime.now().saturating_sub(started)) as f64 / 1e6;
        self.skip.set(cost_ms.floor().min(240.0) as u32);
    }
}

/// Asks for the next frame. Re-arming happens outside the frame's own callback, whose closure
/// must not be dropped while it runs.
fn arm(slot: RunSlot, snapshots: Rc<Snapshots>) {
    if snapshots.done.get() {
        return;
    }
    let next = slot.clone();
    let frame = request_animation_frame(move |_| {
        let started = snapshots.frame();
        // This runs after the snapshot was rendered (Yew renders before later tasks run).
        wasm_bindgen_futures::spawn_local(async move {
            if let Some(started) = started {
                snapshots.drawn(started);
            }
            arm(next, snapshots)
        });
    });
    slot.borrow_mut().frame = Some(frame);
}

/// The scenario and parameters of `state`, checked like the CLI's `-p`, and against what the
/// page allows (how long a run may block it).
pub fn parsed_params(state: &Playground, lang: Lang) -> Result<Params, String> {
    state
        .form_params()
        .and_then(|p| p.check_page_blocking(state.scenario.params).map(|()| p))
        .map_err(|e| lang.param_error(&e))
}

/// Runs the state's scenario live, or says what is wrong with its parameters.
pub fn run_now(
    state: &Playground,
    lang: Lang,
    dispatch: UseReducerDispatcher<Playground>,
    slot: RunSlot,
) {
    let started = parsed_params(state, lang)
        .and_then(|p| start(state.scenario, p, lang, dispatch.clone(), slot));
    if let Err(e) = started {
        dispatch.dispatch(Action::Fail(e));
    }
}
