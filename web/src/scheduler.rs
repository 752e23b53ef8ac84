//! Thread scenarios on the deterministic scheduler, in a Worker of their own (`sched-worker.js`
//! and its wasm, fetched when a thread scenario first runs), so that a run or a search of
//! thousands of schedules never stalls the page. The page posts a request and hears what
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

/// Runs `info` with the typed `values` on the scheduler (replaying `schedule`, if given); the
/// page shows its trace when it comes.
pub fn run(
    info: &'static ScenarioInfo,
    values: &[(String, String)],
    schedule: Option<String>,
    lang: Lang,
    dispatch: UseReducerDispatcher<Playground>,
) {
    let request = SchedRequest::Run {
        scenario: info.id.into(),
        params: typed(values),
        schedule,
    };
    post(&request, lang, dispatch, false);
}

/// Runs the async scenario `info` with the typed `values` on the virtual-time executor, to
/// step through: the page opens the step-through with its trace when it comes.
pub fn step(
    info: &'static ScenarioInfo,
    values: &[(String, String)],
    lang: Lang,
    dispatch: UseReducerDispatcher<Playground>,
) {
    let request = SchedRequest::Run {
        scenario: info.id.into(),
        params: typed(values),
        schedule: None,
    };
    post(&request, lang, dispatch, true);
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
    post(&request, lang, dispatch, false);
}

/// Posts `request` to a fresh Worker; `step`: its run opens the step-through, and the run on
/// show stays.
fn post(
    request: &SchedRequest,
    lang: Lang,
    dispatch: UseReducerDispatcher<Playground>,
    step: bool,
) {
    stop();
    let run = crate::live::next_run();
    if !step {
        dispatch.dispatch(Action::Started(run, crate::live::VIRTUAL_LIMIT));
    }
    let heard = dispatch.clone();
    let listen =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            let text = e.data().as_string().unwrap_or_default();
            let message = serde_json::from_str::<SchedMessage>(&text)
                .unwrap_or_else(|e| SchedMessage::Error(failed(lang, e)));
            hear(message, run, step, lang, &heard);
        });
    let options = web_sys::WorkerOptions::new();
    options.set_type(web_sys::WorkerType::Module);
    let text = serde_json::to_string(request).unwrap_or_default();
    let started =
        web_sys::Worker::new_with_options("sched-worker.js", &options).and_then(|worker| {
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
    step: bool,
    lang: Lang,
    dispatch: &UseReducerDispatcher<Playground>,
) {
    match message {
        SchedMessage::Progress(property, tried) => dispatch.dispatch(Action::Searched(
            lang.searching(&property, tried),
            run,
            false,
        )),
        SchedMessage::Searched(findings) => {
            let broke = findings.iter().any(|f| f.schedule.is_some());
            dispatch.dispatch(Action::Searched(lang.findings(&findings), run, !broke));
        }
        SchedMessage::Ran(trace, schedule) => {
            match crate::trace_file::load_trace_text_in(lang, "the scheduler's run", &trace) {
                Ok(t) if step => dispatch.dispatch(Action::Step(Some(t))),
                Ok(t) => dispatch.dispatch(Action::Scheduled(t, schedule, run)),
                Err(e) => dispatch.dispatch(Action::Fail(e)),
            }
        }
        SchedMessage::Error(message) => dispatch.dispatch(Action::Fail(message)),
    }
}
