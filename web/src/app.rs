//! The playground page: scenario picker, parameter form, Run, and the result.

use crate::components::params_form::ParamsForm;
use crate::components::trace_file_bar::TraceFileBar;
use crate::components::trace_view::TraceView;
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

/// The playground.
#[function_component(App)]
pub fn app() -> Html {
    let scenarios = browser_scenarios();
    let selected = use_state(|| "asyncio-two-tasks".to_string());
    let params = use_state(Vec::<(String, String)>::new);
    let error = use_state(|| None::<String>);
    let running = use_state(|| false);
    let trace = use_state(|| None::<Trace>);
    let info = catalog::find(&selected).unwrap_or(scenarios[0]);

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
            <ParamsForm info={info.id} on_change={on_param} />
            <button id="run" class="run" onclick={on_run} disabled={*running}>
                { if *running { "Running…" } else { "Run" } }
            </button>
            <TraceFileBar trace={(*trace).clone()} on_load={on_load} />
            if let Some(e) = &*error { <p class="error" role="alert">{ e }</p> }
            if let Some(t) = &*trace { <TraceView trace={t.clone()} /> }
        </main>
    }
}
