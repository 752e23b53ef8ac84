//! The compact widget for tutorial pages (`embed.html`, also what `conlab-embed.js` puts in
//! each `data-conlab-scenario` element): one scenario, its parameters, Run and the result, in
//! the language the embedding page asks for. A thread scenario on the thread seam runs on the
//! scheduler, in the page's Worker, with the embed's parameters (and its schedule, if given).

use crate::app::{
    assignments, from_url, initial_lang, is_planned, native_command, recorded_params,
    runs_in_browser,
};
use crate::components::embed_dialog::base_url;
use crate::components::params_form::ParamsForm;
use crate::components::settings::Theme;
use crate::components::trace_view::TraceView;
use crate::i18n::{use_lang, use_lang_context, LangContext};
use crate::live;
use crate::native::{self, NativeSlot};
use crate::scheduler::{self, runs_on_scheduler};
use crate::share;
use crate::state::{Action, Origin, Playground};
use yew::prelude::*;

/// The widget with its language (`?lang=`, else the browser's).
#[function_component(EmbedApp)]
pub fn embed_app() -> Html {
    // Not the playground's remembered choice: the embedding page says which language it wants.
    let query = use_memo((), |_| share::parse_query(&share::current_query()));
    let lang = initial_lang(&query, false);
    let texts = use_lang_context(lang);
    // The embedding page's theme, if it says one; otherwise the reader's system's.
    use_effect_with(query.theme.clone(), |theme| {
        if let Some(t) = theme {
            Theme::parse(t).apply();
        }
    });
    html! {
        <ContextProvider<LangContext> context={texts}>
            <main class={classes!("conlab", "embedded", query.compact.then_some("compact"), query.fixed.then_some("fixed"))}>
                <EmbedWidget />
            </main>
        </ContextProvider<LangContext>>
    }
}

#[function_component(EmbedWidget)]
fn embed_widget() -> Html {
    let lang = use_lang();
    let query = use_memo((), |_| share::parse_query(&share::current_query()));
    let state = use_reducer(|| {
        let start = from_url(&query, lang);
        let mut p = Playground::new(start.scenario, start.params);
        p.error = start.error;
        p
    });
    let info = state.scenario;
    let on_scheduler = runs_on_scheduler(info);
    {
        let dispatch = state.dispatcher();
        let (values, schedule) = (state.params.clone(), query.schedule.clone());
        let valid = state.error.is_none();
        use_effect_with(info.id, move |_| {
            if on_scheduler && valid {
                scheduler::run(info, &values, schedule, lang, dispatch);
            } else if !runs_in_browser(info) && !is_planned(info) && !on_scheduler {
                wasm_bindgen_futures::spawn_local(async move {
                    let url = share::recorded_url(info.id);
                    if let Ok(t) = share::fetch_trace(&url, lang).await {
                        dispatch.dispatch(Action::Opened(t, Origin::Recorded));
                    }
                });
            }
        });
    }
    // `data-autorun`: the run starts as the widget shows.
    {
        let (state, autorun) = (state.clone(), query.autorun);
        use_effect_with((), move |_| {
            if autorun && runs_in_browser(state.scenario) && state.error.is_none() {
                live::run_now(&state, lang, state.dispatcher());
            }
        });
    }
    let compact = query.compact;
    let on_param = {
        let d = state.dispatcher();
        Callback::from(move |(n, v): (String, String)| d.dispatch(Action::SetParam(n, v)))
    };
    let on_run = {
        let state = state.clone();
        Callback::from(
            move |_: MouseEvent| match (on_scheduler, state.form_params()) {
                _ if state.running => {}
                (true, Ok(_)) => {
                    scheduler::run(info, &state.params, None, lang, state.dispatcher())
                }
                (true, Err(e)) => state.dispatch(Action::Fail(lang.param_error(&e))),
                (false, _) => live::run_now(&state, lang, state.dispatcher()),
            },
        )
    };
    let on_stop = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| {
            live::stop();
            if on_scheduler {
                scheduler::halt(&state, lang);
            }
        })
    };
    let on_cursor = {
        let d = state.dispatcher();
        Callback::from(move |t| d.dispatch(Action::Cursor(t)))
    };
    // Served by `conlab serve`, a scenario the page cannot run runs natively, with the
    // embedding page's parameters.
    let native_slot: NativeSlot = use_mut_ref(Default::default);
    let native::Callbacks {
        native: on_run_native,
        stop: on_stop_native,
        ..
    } = native::callbacks(&state, &native_slot, lang);
    let served = native::served();
    let full = format!(
        "{}index.html{}",
        base_url(),
        share::to_query(info.id, &state.params, Some(lang.tag()))
    );
    html! {
        <>
            <header class="embed-head">
                <h2 class="scenario-title">{ lang.title(info) }</h2>
                <a href={full} target="_blank" rel="noopener">{ lang.open_playground() }</a>
            </header>
            if !compact { <p class="explanation">{ lang.explanation(info) }</p> }
            if runs_in_browser(info) || on_scheduler {
                if !compact {
                <details class="embed-params">
                    <summary>{ lang.parameters() }</summary>
                    <ParamsForm info={info.id} values={state.params.clone()} on_change={on_param} />
                </details>
                }
                <div class="actions">
                    // Not `disabled` while running: a disabled button loses the keyboard's focus.
                    <button id="run" class="run" onclick={on_run} aria-disabled={state.running.to_string()}>
                        { if state.running { lang.running() } else { lang.run() } }
                    </button>
                    if state.running {
                        <button id="stop" class="stop" onclick={on_stop}>{ lang.stop() }</button>
                    }
                </div>
            } else if is_planned(info) {
                <p class="native-note planned">{ lang.planned_note() }</p>
            } else if query.fixed && !served {
                // A fixed height leaves the room to the result: the note in one line, opened
                // on demand.
                <details class="native-note" id="native-note">
                    <summary>{ lang.native_only_short() }</summary>
                    <p>{ lang.native_only() }</p>
                    if state.origin == Origin::Recorded && !state.running {
                        <p id="recorded-with">{ lang.recorded_with(&assignments(&recorded_params(&state))) }</p>
                    }
                    if !state.params.is_empty() {
                        <p id="yours">{ lang.yours_not_used(&assignments(&state.params)) }{ " " }<code>{ native_command(info, &state.params) }</code></p>
                    } else {
                        <p>{ lang.run_it_live() }{ lang.gap_after(lang.run_it_live()) }<code>{ native_command(info, &[]) }</code></p>
                    }
                </details>
            } else {
                <div class="native-note" id="native-note">
                    <p>{ lang.native_only() }</p>
                    if state.origin == Origin::Recorded && !state.running {
                        <p id="recorded-with">{ lang.recorded_with(&assignments(&recorded_params(&state))) }</p>
                    }
                    if served {
                        <div class="actions">
                            { native::run_button(lang, state.running, on_run_native) }
                            if state.running {
                                <button id="stop" class="stop" onclick={on_stop_native}>{ lang.stop() }</button>
                            }
                        </div>
                    } else if !state.params.is_empty() {
                        <p id="yours">{ lang.yours_not_used(&assignments(&state.params)) }{ " " }<code>{ native_command(info, &state.params) }</code></p>
                    } else {
                        <p>{ lang.run_it_live() }{ lang.gap_after(lang.run_it_live()) }<code>{ native_command(info, &[]) }</code></p>
                    }
                </div>
            }
            if let Some(e) = &state.error { <p class="error" role="alert">{ e }</p> }
            if let Some(t) = &state.trace {
                // A long result scrolls in its own panel: the widget stays within a screen.
                <div class="embed-result">
                    <TraceView trace={t.clone()} live={state.running.then_some(state.limit)} frozen_ms={state.frozen_ms} progress={state.progress.clone()} cursor={state.cursor} {on_cursor} {compact} />
                </div>
            }
        </>
    }
}
