//! The page's Workers, so that no run ever stalls the page: thread scenarios on the
//! deterministic scheduler in one (`thread-worker.js` and its wasm, fetched when a thread
//! scenario first runs), where a run or a search of thousands of schedules goes on; async
//! scenarios in another (`async-worker.js`), live on its own event loop, or on the
//! virtual-time executor to step through. The page posts a request and hears what comes of it:
//! a search's progress and findings, a live run's snapshots, the trace of a run with its
//! schedule.
//!
//! One request at a time: a new one (or Stop) ends the Worker still busy with the last, and the
//! next request starts a fresh one. A live run is stopped by asking: it ends *stopped* with its
//! trace, unless its loop is blocked for longer than [`STOP_GRACE_MS`], when the Worker is ended
//! and the page shows the run as far as it got.

use crate::i18n::Lang;
use crate::state::{Action, Playground};
use crate::stream::Streamed;
use conlab_core::catalog::ScenarioInfo;
use conlab_wire::{SchedMessage, SchedRequest, SearchStrategy};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use yew::UseReducerDispatcher;

/// The schedules a search of the page tries for each property.
pub const SEARCH_BUDGET: u64 = 10_000;

/// How long a live run asked to stop may take to say its end (its loop may be blocked by the
/// demo) before the page ends its Worker and shows the run as far as it got.
pub const STOP_GRACE_MS: i32 = 1_500;

/// Whether `info` runs on the page's scheduler (a thread scenario written on the thread seam).
pub fn runs_on_scheduler(info: &ScenarioInfo) -> bool {
    !info.platforms.browser && info.platforms.virtual_time
}

struct Busy {
    worker: web_sys::Worker,
    _listen: Closure<dyn FnMut(web_sys::MessageEvent)>,
    /// The live run it goes on with, until its end was heard.
    live: Option<Rc<Streamed>>,
}

thread_local! {
    static BUSY: RefCell<Option<Busy>> = const { RefCell::new(None) };
}

/// Ends the request going on, if one is.
pub fn stop() {
    if let Some(busy) = BUSY.with(|b| b.borrow_mut().take()) {
        busy.worker.terminate();
    }
}

/// Asks the live run going on, if one is, to stop; see [`STOP_GRACE_MS`].
pub fn stop_live() {
    let run = BUSY.with(|b| {
        let busy = b.borrow();
        let busy = busy.as_ref()?;
        let live = busy.live.as_ref()?;
        let stop = serde_json::to_string(&SchedRequest::Stop).unwrap_or_default();
        let _ = busy.worker.post_message(&stop.into());
        Some(live.run())
    });
    let (Some(run), Some(window)) = (run, web_sys::window()) else {
        return;
    };
    let give_up = Closure::once_into_js(move || {
        let late = BUSY.with(|b| {
            let busy = b.borrow();
            let live = busy.as_ref()?.live.as_ref()?;
            (live.run() == run).then(|| live.clone())
        });
        if let Some(live) = late {
            stop();
            if let Some(trace) = live.stopped_here() {
                live.finish(trace);
            }
        }
    });
    let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
        give_up.unchecked_ref(),
        STOP_GRACE_MS,
    );
}

/// Runs the async scenario `info` with the typed `values` live on the async Worker's loop,
/// for at most `limit`: the page draws it as it goes, then shows its judged trace.
pub fn live(
    info: &'static ScenarioInfo,
    values: &[(String, String)],
    limit: std::time::Duration,
    lang: Lang,
    dispatch: UseReducerDispatcher<Playground>,
) {
    let request = SchedRequest::Live {
        scenario: info.id.into(),
        params: typed(values),
    };
    let run = crate::live::next_run();
    dispatch.dispatch(Action::Started(run, limit));
    let streamed = Streamed::new(run, dispatch.clone());
    streamed.watch_loop();
    post(&request, lang, dispatch, Mode::Live(streamed), run);
}

/// The values the learner typed (checked already), by name: the Worker gives the others
/// their defaults.
fn typed(values: &[(String, String)]) -> Vec<(String, String)> {
    values
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .cloned()
        .collect()
}

/// A run of `info` with the typed `values` (replaying `schedule`, if given).
fn run_request(
    info: &ScenarioInfo,
    values: &[(String, String)],
    schedule: Option<String>,
) -> SchedRequest {
    SchedRequest::Run {
        scenario: info.id.into(),
        params: typed(values),
        schedule,
    }
}

/// Stops the request going on and says so where the page shows a search's words.
pub fn halt(state: &yew::UseReducerHandle<Playground>, lang: Lang) {
    stop();
    let stopped = lang.search_stopped().to_string();
    state.dispatch(Action::Halted(stopped, state.live()));
}

/// Runs `info` with the typed `values` on the scheduler (replaying `schedule`, if given); the
/// page shows its trace when it comes.
pub fn run(
    info: &'static ScenarioInfo,
    values: &[(String, String)],
    schedule: Option<String>,
    lang: Lang,
    dispatch: UseReducerDispatcher<Playground>,
) {
    post(
        &run_request(info, values, schedule),
        lang,
        dispatch,
        Mode::Show,
        crate::live::next_run(),
    );
}

/// Runs `info` with the typed `values` and the learner's `choices`, stopping at their next
/// choice; the page shows the run so far and who can step next.
pub fn steer(
    info: &'static ScenarioInfo,
    values: &[(String, String)],
    choices: Vec<u32>,
    lang: Lang,
    dispatch: UseReducerDispatcher<Playground>,
) {
    let request = SchedRequest::Steer {
        scenario: info.id.into(),
        params: typed(values),
        choices: choices.clone(),
    };
    let run = crate::live::next_run();
    post(&request, lang, dispatch, Mode::Steer(choices), run);
}

/// Runs the async scenario `info` with the typed `values` on the virtual-time executor, to
/// step through: the page opens the step-through with its trace when it comes.
pub fn step(
    info: &'static ScenarioInfo,
    values: &[(String, String)],
    lang: Lang,
    dispatch: UseReducerDispatcher<Playground>,
) {
    let run = crate::live::next_run();
    post(
        &run_request(info, values, None),
        lang,
        dispatch,
        Mode::Step,
        run,
    );
}

/// Searches schedules of `info` with the typed `values` for one that breaks each of its
/// properties; the page shows the progress, then what was found, then the failing run.
pub fn find(
    info: &'static ScenarioInfo,
    values: &[(String, String)],
    lang: Lang,
    dispatch: UseReducerDispatcher<Playground>,
) {
    let request = SchedRequest::Find {
        scenario: info.id.into(),
        params: typed(values),
        strategy: SearchStrategy::Random,
        seed: 1,
        budget: SEARCH_BUDGET,
    };
    post(
        &request,
        lang,
        dispatch,
        Mode::Show,
        crate::live::next_run(),
    );
}

/// What the page does with a request's run.
#[derive(Clone)]
enum Mode {
    /// Shows it, as a run of the page (Run, Find).
    Show,
    /// Opens the step-through with it (an async scenario's); the run on show stays.
    Step,
    /// Shows it as the learner's run so far, made with these choices.
    Steer(Vec<u32>),
    /// Draws a live run as it streams in, then shows its judged trace.
    Live(Rc<Streamed>),
}

impl Mode {
    /// The script of the Worker that makes the run: the async Worker steps through an async
    /// scenario, the thread Worker does the rest.
    fn script(&self) -> &'static str {
        match self {
            Mode::Step | Mode::Live(_) => "async-worker.js",
            _ => "thread-worker.js",
        }
    }
}

/// Posts `request` to a fresh Worker, and does with its run (the page's run `run`) what `mode`
/// says.
fn post(
    request: &SchedRequest,
    lang: Lang,
    dispatch: UseReducerDispatcher<Playground>,
    mode: Mode,
    run: u64,
) {
    stop();
    let script = mode.script();
    let live = match &mode {
        Mode::Live(streamed) => Some(streamed.clone()),
        _ => None,
    };
    if let Mode::Show = mode {
        dispatch.dispatch(Action::Started(run, crate::live::VIRTUAL_LIMIT));
    }
    let heard = dispatch.clone();
    let listen =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            let text = e.data().as_string().unwrap_or_default();
            let message = serde_json::from_str::<SchedMessage>(&text)
                .unwrap_or_else(|e| SchedMessage::Error(failed(lang, e)));
            hear(message, run, &mode, lang, &heard);
        });
    let options = web_sys::WorkerOptions::new();
    options.set_type(web_sys::WorkerType::Module);
    let text = serde_json::to_string(request).unwrap_or_default();
    let started = web_sys::Worker::new_with_options(script, &options).and_then(|worker| {
        worker.set_onmessage(Some(listen.as_ref().unchecked_ref()));
        worker.post_message(&text.into()).map(|()| worker)
    });
    match started {
        Ok(worker) => BUSY.with(|b| {
            *b.borrow_mut() = Some(Busy {
                worker,
                _listen: listen,
                live,
            })
        }),
        Err(e) => dispatch.dispatch(Action::Fail(failed(lang, format!("{e:?}")))),
    }
}

/// Why the scheduler could not run, in words, before the technical reason.
fn failed(lang: Lang, reason: impl std::fmt::Display) -> String {
    format!(
        "{}{}{reason}",
        lang.scheduler_failed(),
        lang.gap_after(lang.scheduler_failed())
    )
}

fn hear(
    message: SchedMessage,
    run: u64,
    mode: &Mode,
    lang: Lang,
    dispatch: &UseReducerDispatcher<Playground>,
) {
    let read =
        |trace: &str| crate::trace_file::load_trace_text_in(lang, "the scheduler's run", trace);
    match message {
        SchedMessage::Progress(property, tried) => dispatch.dispatch(Action::Searched(
            lang.searching(&property, tried),
            run,
            false,
        )),
        SchedMessage::Searched(_, words, broke) => {
            let said: Vec<String> = words.lines().map(|l| lang.check_detail(l)).collect();
            dispatch.dispatch(Action::Searched(said.join(" "), run, !broke));
        }
        SchedMessage::Live(trace) => match (read(&trace), mode) {
            (Ok(t), Mode::Live(streamed)) => streamed.start(t),
            (Ok(_), _) => {}
            (Err(e), _) => dispatch.dispatch(Action::Fail(e)),
        },
        SchedMessage::Delta(delta) => {
            if let Mode::Live(streamed) = mode {
                streamed.apply(delta);
            }
        }
        SchedMessage::Ran(trace, schedule) => match (read(&trace), mode) {
            (Ok(t), Mode::Live(streamed)) => {
                // Its end is heard: no need to end the Worker to stop it any more.
                BUSY.with(|b| b.borrow_mut().as_mut().map(|busy| busy.live.take()));
                streamed.finish(t)
            }
            (Ok(t), Mode::Step) => dispatch.dispatch(Action::Step(Some(t))),
            (Ok(t), _) => dispatch.dispatch(Action::Scheduled(t, schedule, run)),
            (Err(e), _) => dispatch.dispatch(Action::Fail(e)),
        },
        SchedMessage::Steered(trace, schedule, options, waiting) => match (read(&trace), mode) {
            (Ok(t), Mode::Steer(choices)) => {
                let steering = crate::state::Steering {
                    choices: choices.clone(),
                    options: conlab_wire::read_pairs(&options),
                    waiting: conlab_wire::read_pairs(&waiting),
                };
                dispatch.dispatch(Action::Steered(t, schedule, steering))
            }
            (Ok(_), _) => {}
            (Err(e), _) => dispatch.dispatch(Action::Fail(e)),
        },
        SchedMessage::Error(message) => {
            dispatch.dispatch(Action::Fail(lang.check_detail(&message)))
        }
    }
}
