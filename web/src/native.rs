//! Native runs from a page that `conlab serve` serves (it marks the page with
//! `<meta name="conlab-serve">`): **Run natively** posts the form's parameters to the server's
//! API, the run's events stream in (Server-Sent Events: the snapshot so far, then deltas,
//! `conlab-wire`) and are drawn at most every 50 ms (`stream.rs`), open spans up to now, as for
//! runs on the page; at the end the kept trace, with its checks, replaces the live view.

use crate::i18n::Lang;
use crate::live::next_run;
use crate::state::{Action, Origin, Playground};
use crate::stream::Streamed;
use conlab_core::catalog::ScenarioInfo;
use conlab_core::{Params, Trace};
use conlab_wire::{
    ApiError, Delta, RunList, RunState, RunSummary, StartRun, StreamRefused, WireRuntime,
};
use gloo_events::EventListener;
use gloo_storage::{SessionStorage, Storage};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{EventSource, MessageEvent};
use yew::prelude::*;

/// Whether `conlab serve` serves this page (and can run scenarios natively).
pub fn served() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("meta[name=conlab-serve]").ok().flatten())
        .is_some()
}

/// The page's native run: its id on the server and what listens to its events.
#[derive(Default)]
pub struct NativeRunSlot {
    id: Option<String>,
    source: Option<EventSource>,
    listeners: Vec<EventListener>,
}

/// Where the page keeps its native run.
pub type NativeSlot = Rc<RefCell<NativeRunSlot>>;

/// Stops listening to the native run (its events are no longer drawn).
pub fn abandon(slot: &NativeSlot) {
    let mut current = slot.borrow_mut();
    if let Some(source) = current.source.take() {
        source.close();
    }
    *current = NativeRunSlot::default();
}

/// Leaves the page's native run (another scenario was picked): it is stopped, as a run on
/// the page would be, and no longer drawn.
pub fn leave(slot: &NativeSlot) {
    stop(slot);
    abandon(slot);
}

/// The tagline of a page `conlab serve` serves.
pub fn tagline(lang: Lang) -> Option<&'static str> {
    served().then(|| lang.served_tagline())
}

/// Asks the server to stop the page's native run; its end streams in as usual.
fn stop(slot: &NativeSlot) {
    if let Some(id) = slot.borrow().id.clone() {
        wasm_bindgen_futures::spawn_local(async move {
            let _ = post(&format!("api/runs/{id}/stop"), "{}").await;
        });
    }
}

/// Starts `info` natively with `params` on the server that serves the page.
pub fn start(
    info: &'static ScenarioInfo,
    params: &Params,
    lang: Lang,
    dispatch: UseReducerDispatcher<Playground>,
    slot: NativeSlot,
) {
    start_on(info, params, WireRuntime::Native, lang, dispatch, slot);
}

/// Starts `info` with `params` on `runtime` (natively, or its Python program under CPython)
/// on the server that serves the page.
fn start_on(
    info: &'static ScenarioInfo,
    params: &Params,
    runtime: WireRuntime,
    lang: Lang,
    dispatch: UseReducerDispatcher<Playground>,
    slot: NativeSlot,
) {
    abandon(&slot);
    let asked = StartRun {
        scenario: info.id.to_string(),
        params: params.to_map(),
        runtime,
    };
    let body = serde_json::to_string(&asked).unwrap_or_default();
    wasm_bindgen_futures::spawn_local(async move {
        let summary = match post("api/runs", &body).await {
            Ok((202, text)) => serde_json::from_str::<RunSummary>(&text).map_err(|e| e.to_string()),
            // The two refusals a learner meets, in their language; the rest as the server says.
            Ok((429, _)) => Err(lang.native_busy().to_string()),
            Ok((403, text)) if text.contains("--allow-databases") => {
                Err(lang.native_databases().to_string())
            }
            Ok((_, text)) => Err(serde_json::from_str::<ApiError>(&text)
                .map(|e| e.error)
                .unwrap_or(text)),
            Err(e) => Err(e),
        };
        match summary {
            Ok(summary) => listen(summary, lang, dispatch, slot),
            Err(e) => {
                let refused = lang.native_refused();
                let gap = lang.gap_after(refused);
                dispatch.dispatch(Action::Fail(format!("{refused}{gap}{e}")))
            }
        }
    });
}

/// Follows the run's events until its end.
fn listen(
    summary: RunSummary,
    lang: Lang,
    dispatch: UseReducerDispatcher<Playground>,
    slot: NativeSlot,
) {
    let run = next_run();
    let id = summary.id.clone();
    let source = match EventSource::new(&format!("api/runs/{id}/events")) {
        Ok(source) => source,
        Err(_) => {
            dispatch.dispatch(Action::Fail(lang.native_lost().to_string()));
            return;
        }
    };
    dispatch.dispatch(Action::Started(
        run,
        std::time::Duration::from_millis(summary.limit_ms),
    ));
    let live = Streamed::new(run, dispatch.clone());
    let data = |e: &web_sys::Event| {
        e.dyn_ref::<MessageEvent>()
            .and_then(|m| m.data().as_string())
            .unwrap_or_default()
    };
    let mut listeners = Vec::new();
    {
        let (live, dispatch) = (live.clone(), dispatch.clone());
        listeners.push(EventListener::new(&source, "start", move |e| {
            if let Ok(trace) = serde_json::from_str::<Trace>(&data(e)) {
                // It runs now: "queued" no longer holds.
                dispatch.dispatch(Action::ClearNotice(lang.native_queued().to_string()));
                live.start(trace);
            }
        }));
    }
    {
        let live = live.clone();
        listeners.push(EventListener::new(&source, "delta", move |e| {
            if let Ok(delta) = serde_json::from_str::<Delta>(&data(e)) {
                live.apply(delta);
            }
        }));
    }
    {
        let dispatch = dispatch.clone();
        listeners.push(EventListener::new(&source, "queued", move |_| {
            dispatch.dispatch(Action::Notice(lang.native_queued().to_string()));
        }));
    }
    {
        let (slot, dispatch, id) = (slot.clone(), dispatch.clone(), id.clone());
        listeners.push(EventListener::new(&source, "end", move |_| {
            abandon(&slot);
            let (dispatch, id) = (dispatch.clone(), id.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let url = format!("api/runs/{id}/trace");
                match crate::share::fetch_trace(&url, lang).await {
                    Ok(trace) => dispatch.dispatch(Action::Finished(trace, run)),
                    Err(e) => dispatch.dispatch(Action::Fail(e)),
                }
            });
        }));
    }
    {
        // Beyond the server's stream caps: the one event says which. A run nobody else can
        // follow is stopped, as one whose stream broke is.
        let (slot, dispatch) = (slot.clone(), dispatch.clone());
        let stop_url = format!("api/runs/{id}/stop");
        listeners.push(EventListener::new(&source, "refused", move |e| {
            let per_run = serde_json::from_str::<StreamRefused>(&data(e)).is_ok_and(|r| r.per_run);
            if !per_run {
                if let Some(w) = web_sys::window() {
                    let _ = w.navigator().send_beacon(&stop_url);
                }
            }
            abandon(&slot);
            let why = if per_run {
                lang.native_streams_full_run()
            } else {
                lang.native_streams_full()
            };
            dispatch.dispatch(Action::Fail(why.to_string()));
        }));
    }
    // A page reloaded mid-run finds its run again (see `reattach`): the run goes on, within
    // the server's limit on a run's length, whether a page shows it or not.
    remember(&id, &summary.scenario);
    {
        let (slot, dispatch) = (slot.clone(), dispatch.clone());
        listeners.push(EventListener::new(&source, "error", move |_| {
            // The stream broke before its end: the server went away, or the page is being
            // reloaded (then the page that comes back reattaches). No reconnecting here.
            if slot.borrow().source.is_some() {
                abandon(&slot);
                dispatch.dispatch(Action::Lost(lang.native_lost().to_string()));
            }
        }));
    }
    let mut current = slot.borrow_mut();
    current.id = Some(id);
    current.source = Some(source);
    current.listeners = listeners;
}

/// Where a page keeps the id of the native run it follows, for as long as the tab lives.
const FOLLOWED: &str = "conlab-native-run";

/// And of its scenario.
const FOLLOWED_SCENARIO: &str = "conlab-native-scenario";

fn remember(id: &str, scenario: &str) {
    let _ = SessionStorage::set(FOLLOWED, id);
    let _ = SessionStorage::set(FOLLOWED_SCENARIO, scenario);
}

/// Whether this tab follows a native run (one it started, kept by the server): a reloaded page
/// then shows that run, not a new one of its own.
pub fn follows_a_run(scenario: &str) -> bool {
    reloaded()
        && SessionStorage::get::<String>(FOLLOWED).is_ok()
        && SessionStorage::get::<String>(FOLLOWED_SCENARIO).is_ok_and(|s| s == scenario)
}

/// Whether this page is the tab's page reloaded (not one opened from a link or the address
/// bar, which asks for what it says).
fn reloaded() -> bool {
    let Some(performance) = web_sys::window().and_then(|w| w.performance()) else {
        return false;
    };
    let entries = performance.get_entries_by_type("navigation");
    let kind = js_sys::Reflect::get(&entries.get(0), &"type".into())
        .ok()
        .and_then(|t| t.as_string());
    kind.as_deref() == Some("reload")
}

/// The tab no longer follows its native run (the learner ran the lesson in the page).
pub fn forget() {
    SessionStorage::delete(FOLLOWED);
    SessionStorage::delete(FOLLOWED_SCENARIO);
}

/// A page that comes back (reloaded) while its native run goes on follows it again; if the
/// run ended meanwhile, the page shows its kept trace and says so.
pub fn reattach(
    info: &'static ScenarioInfo,
    lang: Lang,
    dispatch: UseReducerDispatcher<Playground>,
    slot: NativeSlot,
) {
    let Ok(id) = SessionStorage::get::<String>(FOLLOWED) else {
        return;
    };
    // A page opened anew (a link, other parameters) shows what it asks for.
    if !reloaded() {
        return forget();
    }
    wasm_bindgen_futures::spawn_local(async move {
        let summary = match get(&format!("api/runs/{id}")).await {
            Ok((200, text)) => serde_json::from_str::<RunSummary>(&text).ok(),
            _ => None,
        };
        let Some(summary) = summary.filter(|s| s.scenario == info.id) else {
            SessionStorage::delete(FOLLOWED);
            return;
        };
        if summary.state != RunState::Ended {
            listen(summary, lang, dispatch.clone(), slot);
            dispatch.dispatch(Action::Notice(lang.native_reattached().to_string()));
            return;
        }
        SessionStorage::delete(FOLLOWED);
        match crate::share::fetch_trace(&format!("api/runs/{id}/trace"), lang).await {
            Ok(trace) => {
                let stopped = matches!(trace.status, conlab_core::Status::Stopped { .. });
                dispatch.dispatch(Action::Opened(trace, Origin::Browser));
                dispatch.dispatch(Action::Notice(
                    if stopped {
                        lang.native_ended_stopped()
                    } else {
                        lang.native_ended_away()
                    }
                    .to_string(),
                ));
            }
            Err(e) => dispatch.dispatch(Action::Fail(e)),
        }
    });
}

/// Compare with a native run, on a served page: the run on show is kept, and the scenario runs
/// natively with the form's parameters beside it. Returns `true` (it is handled here).
pub fn compare(state: &UseReducerHandle<Playground>, slot: &NativeSlot, lang: Lang) -> bool {
    match state.form_params() {
        Ok(p) => {
            if state.trace.is_some() && !state.running {
                state.dispatch(Action::Keep);
            }
            start(state.scenario, &p, lang, state.dispatcher(), slot.clone());
        }
        Err(e) => state.dispatch(Action::Fail(lang.param_error(&e))),
    }
    true
}

/// The runs the server keeps, listed when opened (newest first), each openable.
#[function_component(ServerRuns)]
pub fn server_runs(props: &ServerRunsProps) -> Html {
    let lang = crate::i18n::use_lang();
    let runs = use_state(|| None::<Result<Vec<RunSummary>, String>>);
    let on_toggle = {
        let runs = runs.clone();
        Callback::from(move |e: Event| {
            let details: web_sys::HtmlDetailsElement = e.target_unchecked_into();
            if !details.open() {
                return;
            }
            let runs = runs.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let listed = match get("api/runs").await {
                    Ok((200, text)) => serde_json::from_str::<RunList>(&text)
                        .map(|l| l.runs)
                        .map_err(|e| e.to_string()),
                    Ok((_, text)) => Err(text),
                    Err(e) => Err(e),
                };
                runs.set(Some(listed));
            });
        })
    };
    let open = |id: String| {
        let dispatch = props.dispatch.clone();
        Callback::from(move |_: MouseEvent| {
            let (id, dispatch) = (id.clone(), dispatch.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match crate::share::fetch_trace(&format!("api/runs/{id}/trace"), lang).await {
                    Ok(trace) => dispatch.dispatch(Action::Opened(trace, Origin::Opened)),
                    Err(e) => dispatch.dispatch(Action::Fail(e)),
                }
            });
        })
    };
    html! {
        <details class="server-runs" id="server-runs" ontoggle={on_toggle}>
            <summary>{ lang.server_runs() }</summary>
            { match &*runs {
                None => html! {},
                Some(Err(e)) => html! { <p class="error">{ e }</p> },
                Some(Ok(list)) if list.is_empty() => html! { <p>{ lang.server_runs_none() }</p> },
                Some(Ok(list)) => html! {
                    <ol class="run-list">
                        { for list.iter().map(|r| html! {
                            <li>
                                <code>{ &r.scenario }</code>{ " · " }{ lang.wire_runtime(r.runtime) }
                                if !r.params.is_empty() {
                                    { " · " }<code class="run-params">{ r.params.iter().filter(|(k, v)| !(k.as_str() == "time-scale" && v.as_str() == "1")).map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ") }</code>
                                }
                                { " · " }{ lang.run_state(r) }{ " · " }<span class="when">{ conlab_core::moment(&r.created) }</span>
                                if r.state == RunState::Ended {
                                    { " " }<button class="secondary open-run" onclick={open(r.id.clone())}>{ lang.open() }</button>
                                }
                            </li>
                        }) }
                    </ol>
                },
            } }
        </details>
    }
}

/// The runs the server keeps (see [`ServerRuns`]).
pub fn runs_list(dispatch: UseReducerDispatcher<Playground>) -> Html {
    html! { <ServerRuns {dispatch} /> }
}

/// Properties of [`ServerRuns`].
#[derive(Properties, PartialEq)]
pub struct ServerRunsProps {
    /// Where an opened run goes.
    pub dispatch: UseReducerDispatcher<Playground>,
}

/// Gets a URL; the answer's status and text.
async fn get(url: &str) -> Result<(u16, String), String> {
    let window = web_sys::window().ok_or("no window")?;
    answer(url, window.fetch_with_str(url)).await
}

/// Posts JSON; the answer's status and text.
async fn post(url: &str, body: &str) -> Result<(u16, String), String> {
    let window = web_sys::window().ok_or("no window")?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&wasm_bindgen::JsValue::from_str(body));
    let headers = web_sys::Headers::new().map_err(|e| format!("{e:?}"))?;
    let _ = headers.set("Content-Type", "application/json");
    init.set_headers(&headers);
    answer(url, window.fetch_with_str_and_init(url, &init)).await
}

/// The status and text of the answer to a request to `url` sent as `fetch`.
async fn answer(url: &str, fetch: js_sys::Promise) -> Result<(u16, String), String> {
    let response: web_sys::Response = JsFuture::from(fetch)
        .await
        .map_err(|_| format!("could not reach conlab serve at {url}"))?
        .into();
    let status = response.status();
    let text = match response.text() {
        Ok(text) => JsFuture::from(text)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    Ok((status, text))
}

/// What Run natively, Run in CPython and Stop do: start the form's scenario with its
/// parameters (checked as the CLI checks `-p`) natively or as its Python program, and stop it.
pub fn callbacks(state: &UseReducerHandle<Playground>, slot: &NativeSlot, lang: Lang) -> Callbacks {
    let run_on = |runtime: WireRuntime| {
        let (state, slot) = (state.clone(), slot.clone());
        Callback::from(move |_: MouseEvent| match state.form_params() {
            Ok(p) => start_on(
                state.scenario,
                &p,
                runtime,
                lang,
                state.dispatcher(),
                slot.clone(),
            ),
            Err(e) => state.dispatch(Action::Fail(lang.param_error(&e))),
        })
    };
    let slot = slot.clone();
    Callbacks {
        native: run_on(WireRuntime::Native),
        cpython: run_on(WireRuntime::Cpython),
        stop: Callback::from(move |_: MouseEvent| stop(&slot)),
    }
}

/// What the served page's buttons do.
#[derive(Clone)]
pub struct Callbacks {
    /// Run natively.
    pub native: Callback<MouseEvent>,
    /// Run in CPython.
    pub cpython: Callback<MouseEvent>,
    /// Stop.
    pub stop: Callback<MouseEvent>,
}

thread_local! {
    /// The lessons the server runs under CPython, once it said (`GET api/scenarios`).
    static PYTHON_LESSONS: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// Whether the server runs `id`'s Python program; asks it the first time, and has `redraw`
/// called once it answered.
pub fn has_python(id: &str, redraw: Callback<()>) -> bool {
    let known = PYTHON_LESSONS.with(|l| l.borrow().as_ref().map(|ids| ids.iter().any(|i| i == id)));
    if let Some(known) = known {
        return known;
    }
    thread_local! {
        static ASKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    if served() && !ASKED.with(|a| a.replace(true)) {
        wasm_bindgen_futures::spawn_local(async move {
            let ids = match get("api/scenarios").await {
                Ok((200, text)) => serde_json::from_str::<conlab_wire::ScenarioList>(&text)
                    .map(|list| {
                        list.scenarios
                            .into_iter()
                            .filter(|s| s.python)
                            .map(|s| s.id)
                            .collect()
                    })
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            PYTHON_LESSONS.with(|l| *l.borrow_mut() = Some(ids));
            redraw.emit(());
        });
    }
    false
}

/// Run in CPython, beside Run natively, for a lesson with a Python program.
pub fn cpython_button(lang: Lang, running: bool, on_run: Callback<MouseEvent>) -> Html {
    html! {
        <button id="run-cpython" class="secondary" onclick={on_run} disabled={running} title={lang.run_in_cpython_title()}>{ lang.run_in_cpython() }</button>
    }
}

/// Run natively and Stop, with what the server said.
pub fn actions(
    lang: Lang,
    state: &Playground,
    finished: bool,
    on_run: Callback<MouseEvent>,
    on_stop: Callback<MouseEvent>,
    on_keep: Callback<MouseEvent>,
) -> Html {
    html! {
        <>
            <div class="actions native-actions">
                <button id="run-native" class="run" onclick={on_run} disabled={state.running}>
                    { if state.running { lang.running() } else { lang.run_natively() } }
                </button>
                if state.running {
                    <button id="stop" class="stop" onclick={on_stop}>{ lang.stop() }</button>
                }
                if finished {
                    <button id="keep" class="secondary" onclick={on_keep}>{ lang.pin() }</button>
                }
                if let Some(msg) = &state.notice { <span class="copied" role="status">{ msg }</span> }
            </div>
            <p class="native-note" id="served-note">{ lang.served_note() }</p>
        </>
    }
}

/// Run natively beside Run, for a scenario that runs on the page too.
pub fn run_button(lang: Lang, running: bool, on_run: Callback<MouseEvent>) -> Html {
    html! {
        <button id="run-native" class="secondary" onclick={on_run} disabled={running}>{ lang.run_natively() }</button>
    }
}
