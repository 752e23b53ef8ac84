//! Thread scenarios on the deterministic scheduler, in a Worker of their own (`thread-worker.js`
//! and its wasm, fetched when a thread scenario first runs), so that a run or a search of
//! thousands of schedules never stalls the page; async scenarios stepped through run on the
//! virtual-time executor in another (`async-worker.js`), fetched when first needed. The page posts a request and hears what
//! comes of it: a search's progress and findings, and the trace of a run with its schedule.
//!
//! One request at a time: a new one (or Stop) ends the Worker still busy with the last, and the
//! next request starts a fresh one.

use crate::i18n::Lang;
use crate::state::{Action, Playground};
use conlab_core::catalog::ScenarioInfo;
use conlab_wire::{SchedMessage, SchedRequest, SearchStrategy};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use yew::UseReducerDispatcher;

/// The schedules a search of the page tries for each property.
pub const SEARCH_BUDGET: u64 = 10_000;

/// Whether `info` runs on the page's scheduler (a thread scenario written on the thread seam).
pub fn runs_on_scheduler(info: &ScenarioInfo) -> bool {
    !info.platforms.browser && info.platforms.virtual_time
}

struct Busy {
    worker: web_sys::Worker,
    _listen: Closure<dyn FnMut(web_sys::MessageEvent)>,
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
    post(&request, lang, dispatch, Mode::Steer(choices));
}

/// Runs the async scenario `info` with the typed `values` on the virtual-time executor, to
/// step through: the page opens the step-through with its trace when it comes.
pub fn step(
    info: &'static ScenarioInfo,
    values: &[(String, String)],
    lang: Lang,
    dispatch: UseReducerDispatcher<Playground>,
) {
    post(&run_request(info, values, None), lang, dispatch, Mode::Step);
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
    post(&request, lang, dispatch, Mode::Show);
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
}

impl Mode {
    /// The script of the Worker that makes the run: the async Worker steps through an async
    /// scenario, the thread Worker does the rest.
    fn script(&self) -> &'static str {
        match self {
            Mode::Step => "async-worker.js",
            _ => "thread-worker.js",
        }
    }
}

/// Posts `request` to a fresh Worker, and does with its run what `mode` says.
fn post(
    request: &SchedRequest,
    lang: Lang,
    dispatch: UseReducerDispatcher<Playground>,
    mode: Mode,
) {
    stop();
    let run = crate::live::next_run();
    let script = mode.script();
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
            })
        }),
        Err(e) => dispatch.dispatch(Action::Fail(failed(lang, format!("{e:?}")))),
    }
}

/// Why the scheduler could not run, in words, before the technical reason.
fn failed(lang: Lang, reason: impl std::fmt::Display) -> String {
    format!("{} {reason}", lang.scheduler_failed())
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
        SchedMessage::Ran(trace, schedule) => match (read(&trace), mode) {
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
