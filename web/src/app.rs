//! The playground page: scenario picker, parameter form, Run, and the result.

use crate::components::params_form::ParamsForm;
use crate::components::trace_file_bar::TraceFileBar;
use crate::components::trace_view::TraceView;
use crate::share;
use crate::trace_file::load_trace_text;
use conlab_browser::BrowserRuntime;
use conlab_core::catalog::{self, ScenarioInfo};
use conlab_core::{Params, Trace};
use std::time::Duration;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// Every run in the page has this time limit.
const LIMIT: Duration = Duration::from_secs(120);

fn browser_scenarios() -> Vec<&'static ScenarioInfo> {
    catalog::CATALOG
        .iter()
        .filter(|s| s.platforms.browser && conlab_async::IDS.contains(&s.id))
        .collect()
}

/// The page's starting state, from its URL.
struct Start {
    scenario: String,
    params: Vec<(String, String)>,
    error: Option<String>,
    trace_url: Option<String>,
}

fn from_url(shared: &share::Shared) -> Start {
    let fallback = "asyncio-two-tasks".to_string();
    let mut start = Start {
        scenario: fallback.clone(),
        params: Vec::new(),
        error: None,
        trace_url: shared.trace_url.clone(),
    };
    let Some(id) = &shared.scenario else {
        return start;
    };
    match browser_scenarios().into_iter().find(|s| s.id == id) {
        Some(info) => {
            start.scenario = info.id.to_string();
            let pairs: Vec<String> = shared
                .params
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            if let Err(e) =
                Params::from_assignments(info.id, info.params, pairs.iter().map(String::as_str))
            {
                start.error = Some(format!("The link's parameters: {e}"));
            }
            start.params = shared.params.clone();
        }
        None => {
            start.error = Some(format!(
                "The link asks for `{id}`, which does not run in the browser; showing {fallback}"
            ))
        }
    }
    start
}

/// The playground.
#[function_component(App)]
pub fn app() -> Html {
    let scenarios = browser_scenarios();
    // What the page's URL asks for: a scenario, its parameters, a trace to open.
    let start = use_memo((), |_| {
        from_url(&share::parse_query(&share::current_query()))
    });
    let selected = use_state(|| start.scenario.clone());
    let params = use_state(|| start.params.clone());
    let error = use_state(|| start.error.clone());
    let running = use_state(|| false);
    let trace = use_state(|| None::<Trace>);
    let copied = use_state(|| None::<String>);
    let info = catalog::find(&selected).unwrap_or(scenarios[0]);

    // The URL follows the form, so it can be shared at any moment.
    use_effect_with(
        ((*selected).clone(), (*params).clone()),
        |(scenario, values)| {
            share::replace_query(&share::to_query(scenario, values));
        },
    );
    {
        let (trace, error, url) = (trace.clone(), error.clone(), start.trace_url.clone());
        use_effect_with((), move |_| {
            if let Some(url) = url {
                wasm_bindgen_futures::spawn_local(async move {
                    match share::fetch_text(&url)
                        .await
                        .and_then(|text| load_trace_text(&url, &text))
                    {
                        Ok(t) => trace.set(Some(t)),
                        Err(e) => error.set(Some(e)),
                    }
                });
            }
        });
    }
    let on_copy = {
        let copied = copied.clone();
        Callback::from(move |_| {
            let copied = copied.clone();
            wasm_bindgen_futures::spawn_local(async move {
                copied.set(Some(match share::copy_link().await {
                    Ok(_) => "Link copied".to_string(),
                    Err(e) => e,
                }));
            });
        })
    };

    let on_pick = {
        let (selected, params, trace, error) = (
            selected.clone(),
            params.clone(),
            trace.clone(),
            error.clone(),
        );
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            selected.set(select.value());
            params.set(Vec::new());
            trace.set(None);
            error.set(None);
        })
    };
    let on_param = {
        let params = params.clone();
        Callback::from(move |(name, value): (String, String)| {
            let mut next: Vec<(String, String)> = (*params).clone();
            next.retain(|(n, _)| *n != name);
            next.push((name, value));
            params.set(next);
        })
    };
    let on_run = {
        let (params, error, running, trace) = (
            params.clone(),
            error.clone(),
            running.clone(),
            trace.clone(),
        );
        Callback::from(move |_| {
            let pairs: Vec<String> = params
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(n, v)| format!("{n}={v}"))
                .collect();
            let parsed = match Params::from_assignments(
                info.id,
                info.params,
                pairs.iter().map(String::as_str),
            ) {
                Ok(p) => p,
                Err(e) => return error.set(Some(e.to_string())),
            };
            let Some(scenario) = conlab_async::find::<BrowserRuntime>(info.id) else {
                return error.set(Some(format!("{} does not run in the browser", info.id)));
            };
            error.set(None);
            running.set(true);
            trace.set(None);
            let (running, trace) = (running.clone(), trace.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let t = conlab_browser::run_scenario(
                    info,
                    scenario.run,
                    scenario.checks,
                    parsed,
                    LIMIT,
                )
                .await;
                trace.set(Some(t));
                running.set(false);
            });
        })
    };

    let on_load = {
        let (trace, error) = (trace.clone(), error.clone());
        Callback::from(move |loaded: Result<Trace, String>| match loaded {
            Ok(t) => {
                error.set(None);
                trace.set(Some(t));
            }
            Err(e) => error.set(Some(e)),
        })
    };

    html! {
        <main class="conlab">
            <header>
                <h1>{ "conlab playground" }</h1>
                <p class="tagline">{ "Run concurrency scenarios live on your browser's event loop and see what every task was doing." }</p>
            </header>
            <section class="picker">
                <label for="scenario">{ "Scenario" }</label>
                <select id="scenario" onchange={on_pick}>
                    { for scenarios.iter().map(|s| html! {
                        <option value={s.id} selected={s.id == info.id}>{ format!("{} — {}", s.id, s.title) }</option>
                    }) }
                </select>
                <p class="explanation">{ info.explanation }</p>
            </section>
            <ParamsForm info={info.id} values={(*params).clone()} on_change={on_param} />
            <button id="run" class="run" onclick={on_run} disabled={*running}>
                { if *running { "Running…" } else { "Run" } }
            </button>
            <button id="copy-link" class="secondary" onclick={on_copy}>{ "Copy link" }</button>
            if let Some(msg) = &*copied { <span class="copied" role="status">{ msg }</span> }
            <TraceFileBar trace={(*trace).clone()} on_load={on_load} />
            if let Some(e) = &*error { <p class="error" role="alert">{ e }</p> }
            if let Some(t) = &*trace { <TraceView trace={t.clone()} /> }
        </main>
    }
}
