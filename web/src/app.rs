//! The playground page: the catalog by chapter, a scenario's explanation and parameter form,
//! Run (live on this page's loop), step-through, comparison, embedding, trace files, and the
//! result. Thread scenarios written on the thread seam run on the deterministic scheduler, in a
//! Worker (run, find a failing schedule, step through, share the schedule); other native-only
//! scenarios show a recorded native run instead of a dead end.

use crate::components::compare::Compare;
use crate::components::embed_dialog::EmbedDialog;
use crate::components::lesson_code::LessonCode;
use crate::components::params_form::ParamsForm;
use crate::components::settings::{Settings, Theme};
use crate::components::steer::steer_panel;
use crate::components::step_through::StepThrough;
use crate::components::trace_file_bar::TraceFileBar;
use crate::components::trace_view::TraceView;
use crate::i18n::{use_lang, use_lang_context, Lang, LangContext};
use crate::live;
use crate::native::{self, NativeSlot};
use crate::scheduler::{self, runs_on_scheduler};
use crate::share;
use crate::state::{Action, Origin, Playground};
use conlab_core::catalog::{self, Chapter, ScenarioInfo};
use conlab_core::{Params, Trace};
use gloo_storage::{LocalStorage, Storage};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

const LANG_KEY: &str = "conlab-lang";
const THEME_KEY: &str = "conlab-theme";

/// Whether `id` runs on this page (the rest show recorded native runs).
pub fn runs_in_browser(info: &ScenarioInfo) -> bool {
    info.platforms.browser && conlab_scenarios::find(info.id).is_some_and(|s| s.generic.is_some())
}

/// The file of the scenario's code that runs in the browser, if it has such code.
pub fn source_of(info: &ScenarioInfo) -> Option<&'static str> {
    conlab_scenarios::find(info.id)
        .and_then(|s| s.generic)
        .map(|g| g.source)
}

/// conlab's file for `info`: the scenario's, or the one a run on show recorded its events at
/// (a thread scenario's, whose code runs in the Worker).
fn rust_code(info: &ScenarioInfo, t: Option<&conlab_core::Trace>) -> Option<&'static str> {
    source_of(info).or_else(|| {
        t.filter(|t| t.runtime != conlab_core::RuntimeKind::Cpython)
            .and_then(source_in)
    })
}

/// The Python program a run on show ran, for a CPython run.
fn python_code(t: Option<&conlab_core::Trace>) -> Option<&'static str> {
    t.filter(|t| t.runtime == conlab_core::RuntimeKind::Cpython)
        .and_then(source_in)
}

/// The code a run on show ran: a CPython run's Python program, else the scenario's file.
pub fn code_of(info: &ScenarioInfo, t: Option<&conlab_core::Trace>) -> Option<&'static str> {
    match t {
        Some(t) if t.runtime == conlab_core::RuntimeKind::Cpython => source_in(t),
        _ => source_of(info).or_else(|| t.and_then(source_in)),
    }
}

/// The scenario file a run recorded its events at: a thread scenario's on the scheduler
/// (whose code runs in the Worker, so the page holds no row naming its file), or the lesson's
/// Python program for a CPython run.
pub fn source_in(t: &conlab_core::Trace) -> Option<&'static str> {
    let file = t
        .sites
        .iter()
        .map(|s| s.file.as_str())
        .find(|f| f.starts_with("crates/thread-scenarios/") || f.starts_with("python/"))?;
    Some(crate::components::code_view::kept(file))
}

/// Whether `info` is only planned: in the catalog, but no build of conlab runs it yet.
pub fn is_planned(info: &ScenarioInfo) -> bool {
    conlab_scenarios::find(info.id).is_none()
}

/// The page's starting state, from its URL.
pub struct Start {
    /// The scenario asked for (or the default one).
    pub scenario: &'static ScenarioInfo,
    /// Parameter values from the URL.
    pub params: Vec<(String, String)>,
    /// What is wrong with the URL, if anything.
    pub error: Option<String>,
    /// A trace to open.
    pub trace_url: Option<String>,
    /// A schedule to replay.
    pub schedule: Option<String>,
}

/// Reads the scenario and parameters a link asks for; anything wrong becomes a message.
pub fn from_url(shared: &share::Shared, lang: Lang) -> Start {
    let fallback = catalog::find("asyncio-two-tasks").unwrap_or(&catalog::CATALOG[0]);
    let mut start = Start {
        scenario: fallback,
        params: Vec::new(),
        error: None,
        trace_url: shared.trace_url.clone(),
        schedule: shared.schedule.clone(),
    };
    let Some(id) = &shared.scenario else {
        return start;
    };
    match catalog::find(id) {
        Some(info) => {
            start.scenario = info;
            // Only the scenario's own parameters count: links pick up parameters of their own
            // on the way (messaging apps add `from=singlemessage`, embeds get `data-v-…`
            // attributes from their framework), and those are dropped, not refused.
            let known: Vec<(String, String)> = shared
                .params
                .iter()
                .filter(|(k, _)| {
                    k == conlab_core::TIME_SCALE || info.params.iter().any(|p| p.name == k)
                })
                .cloned()
                .collect();
            let pairs: Vec<String> = known.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let parsed =
                Params::from_assignments(info.id, info.params, pairs.iter().map(String::as_str))
                    .and_then(|p| match runs_in_browser(info) {
                        true => p.check_page_blocking(info.params),
                        false => Ok(()),
                    });
            if let Err(e) = parsed {
                start.error = Some(format!(
                    "{}{}{}",
                    lang.link_params(),
                    lang.gap_after(lang.link_params()),
                    lang.param_error(&e)
                ));
            }
            start.params = known;
        }
        None => start.error = Some(lang.unknown_scenario(id, fallback.id)),
    }
    start
}

/// The language to start in: `?lang=`, then (if `remembered`) what was chosen before on this
/// site, then the browser's.
pub fn initial_lang(query: &share::Shared, remembered: bool) -> Lang {
    let stored: Option<String> = remembered
        .then(|| LocalStorage::get(LANG_KEY).ok())
        .flatten();
    let browser = web_sys::window().and_then(|w| w.navigator().language());
    query
        .lang
        .iter()
        .chain(stored.iter())
        .chain(browser.iter())
        .find_map(|tag| Lang::parse(tag))
        .unwrap_or_default()
}

/// The playground with its language and theme.
#[function_component(App)]
pub fn app() -> Html {
    let query = use_memo((), |_| share::parse_query(&share::current_query()));
    let lang = use_state(|| initial_lang(&query, true));
    let theme =
        use_state(|| Theme::parse(&LocalStorage::get::<String>(THEME_KEY).unwrap_or_default()));
    use_effect_with(*theme, |t| t.apply());
    use_effect_with((), |_| {
        let listener = crate::components::settings::follow_system_colours();
        move || drop(listener)
    });
    // Benchmarks read this mark: when the playground first appeared.
    use_effect_with((), |_| {
        if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
            let _ = p.mark("conlab-first-render");
        }
    });
    use_effect_with(*lang, |l| {
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("lang", l.tag());
        }
    });
    let texts = use_lang_context(*lang);
    // The tab's title in the page's language too, once its texts are there.
    use_effect_with((*lang, texts.chinese_loaded), |(l, _)| {
        if let Some(d) = web_sys::window().and_then(|w| w.document()) {
            d.set_title(l.page_title());
        }
    });
    let on_lang = {
        let lang = lang.clone();
        Callback::from(move |l: Lang| {
            let _ = LocalStorage::set(LANG_KEY, l.tag());
            lang.set(l);
        })
    };
    let on_theme = {
        let theme = theme.clone();
        Callback::from(move |t: Theme| {
            let _ = LocalStorage::set(THEME_KEY, t.as_str());
            theme.set(t);
        })
    };
    html! {
        <ContextProvider<LangContext> context={texts}>
            <main class="conlab">
                <header>
                    <div>
                        <h1>{ lang.page_title() }</h1>
                        <p class="tagline">{ native::tagline(*lang).unwrap_or(lang.tagline()) }</p>
                    </div>
                    <Settings theme={*theme} {on_lang} {on_theme} />
                </header>
                <PlaygroundPage />
            </main>
        </ContextProvider<LangContext>>
    }
}

/// Fetches the recorded native run of `info` shipped with the site.
fn fetch_recorded(
    info: &'static ScenarioInfo,
    dispatch: UseReducerDispatcher<Playground>,
    missing: UseStateHandle<bool>,
) {
    wasm_bindgen_futures::spawn_local(async move {
        match share::fetch_trace(&share::recorded_url(info.id), Lang::En).await {
            Ok(t) => {
                missing.set(false);
                dispatch.dispatch(Action::Opened(t, Origin::Recorded));
            }
            Err(_) => missing.set(true),
        }
    });
}

/// Fetches the recorded native run of `info` and keeps it for comparison.
/// With no run on show (`shown` false) the page says the comparison comes with the next run.
fn compare_with_native(
    info: &'static ScenarioInfo,
    lang: Lang,
    shown: bool,
    dispatch: UseReducerDispatcher<Playground>,
) {
    wasm_bindgen_futures::spawn_local(async move {
        match share::fetch_trace(&share::recorded_url(info.id), lang).await {
            Ok(t) => {
                dispatch.dispatch(Action::KeepTrace(t));
                if !shown {
                    dispatch.dispatch(Action::Notice(lang.native_kept().to_string()));
                }
            }
            Err(_) => dispatch.dispatch(Action::Fail(lang.no_native_run().to_string())),
        }
    });
}

/// The scenario picker: every scenario, grouped by chapter.
fn picker(lang: Lang, current: &'static ScenarioInfo, on_pick: Callback<Event>) -> Html {
    let chapters = [
        Chapter::Threads,
        Chapter::Processes,
        Chapter::Coroutines,
        Chapter::Asyncio,
        Chapter::RealWorld,
    ];
    html! {
        <select id="scenario" onchange={on_pick}>
            { for chapters.iter().map(|c| html! {
                <optgroup label={lang.chapter(*c)}>
                    { for catalog::CATALOG.iter().filter(|s| s.chapter == *c).map(|s| {
                        let badge = if is_planned(s) {
                            lang.badge(lang.planned_badge())
                        } else if runs_in_browser(s) || runs_on_scheduler(s) {
                            String::new()
                        } else {
                            lang.badge(lang.native_badge())
                        };
                        html! { <option value={s.id} selected={s.id == current.id}>{ format!("{} — {}{badge}", s.id, lang.title(s)) }</option> }
                    }) }
                </optgroup>
            }) }
        </select>
    }
}

/// The command that runs `info` natively with the typed parameters.
pub fn native_command(info: &ScenarioInfo, params: &[(String, String)]) -> String {
    let mut cmd = format!("conlab run {}", info.id);
    for (k, v) in params {
        cmd.push_str(&format!(" -p {k}={v}"));
    }
    cmd
}

/// What the parameter form of a native-only scenario shows: the values of the recorded run on
/// show (nothing else ran), every one of them, defaults included.
pub fn recorded_params(state: &Playground) -> Vec<(String, String)> {
    match &state.trace {
        Some(t) if t.scenario == state.scenario.id => t
            .params
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => Vec::new(),
    }
}

/// Parameter values as a person reads them: `threads=20, permits=3`.
pub fn assignments(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The parameter that makes a thread scenario hold between its steps.
const HOLD: &str = "hold_ms";

/// Asks the scheduler for a run (or, `find`, a search) of the form's scenario and values, or
/// says what is wrong with them.
fn scheduler_request(state: &UseReducerHandle<Playground>, lang: Lang, find: bool) {
    if let Err(e) = state.form_params() {
        return state.dispatch(Action::Fail(lang.param_error(&e)));
    }
    let (info, mut values, d) = (state.scenario, state.params.clone(), state.dispatcher());
    if !find {
        return scheduler::run(info, &values, None, lang, d);
    }
    // A search holds for no time unless a hold was typed (as `conlab explore`): the form says
    // so, and so the link of a schedule it finds replays it.
    let holds = info.params.iter().any(|p| p.name == HOLD);
    if holds && !values.iter().any(|(k, v)| k == HOLD && !v.is_empty()) {
        d.dispatch(Action::SetParam(HOLD.into(), "0".into()));
        values.retain(|(k, _)| k != HOLD);
        values.push((HOLD.into(), "0".into()));
    }
    scheduler::find(info, &values, lang, d)
}

/// The playground's body.
#[function_component(PlaygroundPage)]
fn playground_page() -> Html {
    let lang = use_lang();
    let start = use_memo(lang, |lang| {
        from_url(&share::parse_query(&share::current_query()), *lang)
    });
    let state = use_reducer(|| {
        let mut p = Playground::new(start.scenario, start.params.clone());
        p.error = start.error.clone();
        p.trace_url = start.trace_url.clone();
        p
    });
    let native_slot: NativeSlot = use_mut_ref(Default::default);
    let served = native::served();
    let embed_open = use_state(|| false);
    let recording_missing = use_state(|| false);
    let info = state.scenario;
    let in_browser = runs_in_browser(info);
    let on_scheduler = runs_on_scheduler(info);

    // The URL follows the form, so it can be shared at any moment.
    use_effect_with(
        (
            info.id,
            state.params.clone(),
            lang,
            state.trace_url.clone(),
            state.schedule.clone(),
        ),
        |(id, values, lang, trace, schedule)| {
            share::replace_query(&share::to_query_with_trace(
                id,
                values,
                Some(lang.tag()),
                trace.as_deref(),
                schedule.as_deref(),
            ));
        },
    );
    {
        let (dispatch, url) = (state.dispatcher(), start.trace_url.clone());
        use_effect_with((), move |_| {
            if let Some(url) = url {
                wasm_bindgen_futures::spawn_local(async move {
                    match share::fetch_trace(&url, lang).await {
                        Ok(t) => dispatch.dispatch(Action::OpenedLink(t, url)),
                        Err(e) => dispatch.dispatch(Action::Fail(e)),
                    }
                });
            }
        });
    }
    {
        let (dispatch, missing) = (state.dispatcher(), recording_missing.clone());
        // A trace of this scenario already on show (a file just opened) is not replaced.
        let showing = state.trace.as_ref().is_some_and(|t| t.scenario == info.id);
        // A served page runs them for real instead.
        // Nor does a page opened to show a trace (a report's link): that trace is the one.
        let linked = start.trace_url.is_some();
        // Nor does a served page whose tab follows a native run: that run comes back.
        let following = native::follows_a_run(info.id);
        // A thread scenario runs on the scheduler at once, with the link's parameters and
        // schedule the first time.
        let first = use_mut_ref(|| Some((start.params.clone(), start.schedule.clone())));
        use_effect_with(info.id, move |_| {
            let (values, schedule) = first.borrow_mut().take().unwrap_or_default();
            if runs_on_scheduler(info) && !showing && !linked && !following {
                scheduler::run(info, &values, schedule, lang, dispatch);
            } else if !runs_in_browser(info) && !is_planned(info) && !showing && !served && !linked
            {
                fetch_recorded(info, dispatch, missing);
            }
        });
    }

    // A served page reloaded while its native run goes on follows it again.
    {
        let (d, native_slot) = (state.dispatcher(), native_slot.clone());
        use_effect_with((), move |_| native::reattach(info, lang, d, native_slot));
    }
    let d = state.dispatcher();
    let on_pick = {
        let (d, native_slot) = (d.clone(), native_slot.clone());
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Some(info) = catalog::find(&select.value()) {
                // The old scenario's live run stops and is no longer drawn.
                live::abandon();
                native::leave(&native_slot);
                d.dispatch(Action::Pick(info));
            }
        })
    };
    let on_param = {
        let d = d.clone();
        Callback::from(move |(name, value): (String, String)| {
            d.dispatch(Action::SetParam(name, value))
        })
    };
    let on_run = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| {
            if !state.running {
                // The run on show is now the page's own: a reload shows the page's again.
                native::forget();
            }
            match (state.running, on_scheduler) {
                (true, _) => {}
                (false, true) => scheduler_request(&state, lang, false),
                (false, false) => live::run_now(&state, lang, state.dispatcher()),
            }
        })
    };
    let on_find = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| scheduler_request(&state, lang, true))
    };
    // Be the scheduler: from no choice, then one more (or one fewer) at a time.
    let on_steer = {
        let state = state.clone();
        Callback::from(move |choice: Option<Option<u32>>| {
            if let Err(e) = state.form_params() {
                return state.dispatch(Action::Fail(lang.param_error(&e)));
            }
            let mut choices = match (&state.steering, choice) {
                (Some(s), Some(_)) => s.choices.clone(),
                _ => Vec::new(),
            };
            match choice.flatten() {
                Some(i) => choices.push(i),
                None => {
                    choices.pop();
                }
            }
            let d = state.dispatcher();
            scheduler::steer(state.scenario, &state.params, choices, lang, d);
        })
    };
    let on_be_scheduler = {
        let on_steer = on_steer.clone();
        Callback::from(move |_: MouseEvent| on_steer.emit(None))
    };
    let on_choose = {
        let on_steer = on_steer.clone();
        Callback::from(move |choice: Option<u32>| on_steer.emit(Some(choice)))
    };
    let on_stop_steering = {
        let d = d.clone();
        Callback::from(move |_| d.dispatch(Action::StopSteering))
    };
    // The learner's run so far, finished as the seed draws: its schedule says so already.
    let on_finish_steering = {
        let state = state.clone();
        Callback::from(move |_| {
            let schedule = state.schedule.clone();
            state.dispatch(Action::StopSteering);
            scheduler::run(info, &state.params, schedule, lang, state.dispatcher());
        })
    };
    let native::Callbacks {
        native: on_run_native,
        cpython: on_run_cpython,
        stop: on_stop_native,
    } = native::callbacks(&state, &native_slot, lang);
    // Drawn again once the server said which lessons it runs under CPython.
    let redraw = {
        let update = use_force_update();
        Callback::from(move |()| update.force_update())
    };
    let on_stop = {
        let on_stop_native = on_stop_native.clone();
        // Whichever run goes on: the page's own, or a native one of a served page.
        let state = state.clone();
        Callback::from(move |e: MouseEvent| {
            live::stop();
            if on_scheduler {
                scheduler::halt(&state, lang);
            }
            on_stop_native.emit(e);
        })
    };
    let on_step = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| {
            // A scheduler run steps through the run on show: the trace is the run. So does a
            // native or CPython run on show (its lines are the program's that ran); a run in
            // the page is stepped through on virtual time, where every step is exact.
            let shown_elsewhere = state.trace.as_ref().is_some_and(|t| {
                matches!(
                    t.runtime,
                    conlab_core::RuntimeKind::Cpython | conlab_core::RuntimeKind::Tokio
                )
            });
            if on_scheduler || (shown_elsewhere && !state.running) {
                return state.dispatch(Action::StepShown);
            }
            match live::parsed_params(&state, lang) {
                Ok(_) => scheduler::step(state.scenario, &state.params, lang, state.dispatcher()),
                Err(e) => state.dispatch(Action::Fail(e)),
            }
        })
    };
    let on_keep = {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::Keep))
    };
    let on_compare_native = {
        let (state, native_slot) = (state.clone(), native_slot.clone());
        // Served, the learner's parameters run natively; otherwise the shipped recording.
        Callback::from(move |_: MouseEvent| {
            if !native::compare(&state, &native_slot, lang) {
                compare_with_native(info, lang, state.trace.is_some(), state.dispatcher())
            }
        })
    };
    let on_copy = {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| {
            let d = d.clone();
            wasm_bindgen_futures::spawn_local(async move {
                d.dispatch(Action::Notice(match share::copy_link().await {
                    Ok(_) => lang.link_copied().to_string(),
                    Err(e) => e,
                }));
            });
        })
    };
    let on_embed = {
        let embed_open = embed_open.clone();
        Callback::from(move |_: MouseEvent| embed_open.set(!*embed_open))
    };
    let on_load = {
        let d = d.clone();
        Callback::from(move |loaded: Result<Trace, String>| match loaded {
            Ok(t) => d.dispatch(Action::Opened(t, Origin::Opened)),
            Err(e) => d.dispatch(Action::Fail(e)),
        })
    };
    let on_cursor = {
        let d = d.clone();
        Callback::from(move |t| d.dispatch(Action::Cursor(t)))
    };
    let on_close_step = {
        let d = d.clone();
        Callback::from(move |_| d.dispatch(Action::Step(None)))
    };
    let on_stop_comparing = {
        let d = d.clone();
        Callback::from(move |_| d.dispatch(Action::StopComparing))
    };

    let finished = state.trace.is_some() && !state.running;
    html! {
        <>
            <section class="picker">
                <label for="scenario">{ lang.scenario() }</label>
                { picker(lang, info, on_pick) }
                <h2 class="scenario-title">{ lang.title(info) }</h2>
                <p class="explanation">{ lang.explanation(info) }</p>
                <LessonCode scenario={info.id} rust={rust_code(info, state.trace.as_deref())} python={python_code(state.trace.as_deref())} />
            </section>
            if in_browser || on_scheduler || (served && !is_planned(info)) {
                <ParamsForm info={info.id} values={state.params.clone()} on_change={on_param} />
            } else if !is_planned(info) {
                <ParamsForm info={info.id} values={recorded_params(&state)} on_change={on_param} disabled=true />
            }
            if in_browser || on_scheduler {
                <div class="actions">
                    // Not `disabled` while running: a disabled button loses the keyboard's focus.
                    <button id="run" class="run" onclick={on_run} aria-disabled={state.running.to_string()}>
                        { if state.running { lang.running() } else { lang.run() } }
                    </button>
                    if on_scheduler {
                        <button id="find" class="run" onclick={on_find} disabled={state.running}>{ lang.find_failing() }</button>
                        <button id="be-scheduler" class="run" onclick={on_be_scheduler} disabled={state.running}>{ lang.be_scheduler() }</button>
                    }
                    if state.running {
                        <button id="stop" class="stop" onclick={on_stop}>{ lang.stop() }</button>
                    }
                    if served && info.platforms.native {
                        { native::run_button(lang, state.running, on_run_native.clone()) }
                    }
                    if served && native::has_python(info.id, redraw.clone()) {
                        { native::cpython_button(lang, state.running, on_run_cpython.clone()) }
                    }
                    // On the scheduler, stepping goes through the run on show.
                    if in_browser || finished {
                        <button id="step" class="secondary" onclick={on_step}>{ lang.step_through() }</button>
                    }
                    if finished {
                        <button id="keep" class="secondary" onclick={on_keep}>{ lang.pin() }</button>
                    }
                    if served || catalog::recorded(info.id) {
                        <button id="compare-native" class="secondary" onclick={on_compare_native}>{ lang.compare_native() }</button>
                    }
                    <button id="copy-link" class="secondary" onclick={on_copy}>{ lang.copy_link() }</button>
                    <button id="embed-button" class="secondary" onclick={on_embed} aria-expanded={embed_open.to_string()}>{ lang.embed() }</button>
                    if let Some(msg) = &state.notice { <span class="copied" role="status">{ msg }</span> }
                </div>
                if on_scheduler {
                    <p class="scheduler-note" id="scheduler-note">{ lang.scheduler_note() }</p>
                }
                if let Some(f) = &state.finding { <p class="finding" id="finding" role="status">{ f }</p> }
                if let Some(s) = &state.steering {
                    { steer_panel(lang, s, &on_choose, &on_finish_steering, &on_stop_steering) }
                }
            } else if served && !is_planned(info) {
                { native::actions(lang, &state, finished, on_run_native, on_stop_native, on_keep.clone()) }
            } else if is_planned(info) {
                <div class="native-note planned" id="planned-note">
                    <p>{ lang.planned_note() }</p>
                </div>
            } else {
                <div class="native-note" id="native-note">
                    <p>{ lang.native_only() }</p>
                    <p id="recorded-params">{ lang.recorded_params() }</p>
                    <p>{ lang.run_it_live() }{ lang.gap_after(lang.run_it_live()) }<code>{ native_command(info, &state.params) }</code></p>
                    if let (Some(t), Origin::Recorded) = (&state.trace, state.origin) {
                        <p class="recorded" id="recorded-label">{ lang.recorded_on(t.host.as_deref().unwrap_or("?"), t.recorded_at.as_deref().unwrap_or("?")) }</p>
                    }
                    if *recording_missing { <p class="recorded">{ lang.no_recording() }</p> }
                    if finished {
                        <button id="keep" class="secondary" onclick={on_keep}>{ lang.pin() }</button>
                    }
                </div>
            }
            <TraceFileBar trace={state.trace.clone()} on_load={on_load} />
            { native::runs_list(d.clone()) }
            if let Some(e) = &state.error { <p class="error" role="alert">{ e }</p> }
            if *embed_open { <EmbedDialog scenario={info.id} params={state.params.clone()} /> }
            if let Some(t) = &state.stepping { <StepThrough trace={t.clone()} on_close={on_close_step} source={code_of(info, Some(&**t))} /> }
            if let Some((kept, current)) = state.comparing() {
                <Compare kept={kept.clone()} current={current.clone()} on_stop={on_stop_comparing} />
            }
            if let Some(t) = &state.trace {
                // Compared, its timeline is the lower of the pair above.
                <TraceView trace={t.clone()} live={state.running.then_some(state.limit)} frozen_ms={state.frozen_ms} progress={state.progress.clone()} cursor={state.cursor} {on_cursor} steering={state.steering.is_some()} no_timeline={state.comparing().is_some()} />
            }
        </>
    }
}
