//! Live runs of async scenarios: on the event loop of the page's async Worker, in real time,
//! drawn as they go. A blocking demo freezes the Worker's loop, never the page's: the host page
//! keeps scrolling, and the lesson shows the run's loop frozen (its messages stop coming).

use crate::i18n::Lang;
use crate::state::{Action, Playground};
use conlab_core::catalog::ScenarioInfo;
use conlab_core::Params;
use std::cell::Cell;
use std::time::Duration;
use yew::UseReducerDispatcher;

/// What the page shows as the time limit of a run in its scheduler Worker (virtual time: its
/// clock only jumps).
pub const VIRTUAL_LIMIT: Duration = Duration::from_secs(3600);

/// Stops the live run, if one goes on: it ends with the trace so far, marked *stopped*.
pub fn stop() {
    crate::scheduler::stop_live();
}

/// Stops the live run and stops drawing it (another scenario was picked).
pub fn abandon() {
    crate::scheduler::stop();
}

/// Starts `info` with the typed `values` (checked already as `params`) on the async Worker's
/// loop; the page draws it as it goes, then shows its judged trace.
fn start(
    info: &'static ScenarioInfo,
    values: &[(String, String)],
    params: &Params,
    lang: Lang,
    dispatch: UseReducerDispatcher<Playground>,
) -> Result<(), String> {
    let generic = conlab_scenarios::find(info.id)
        .and_then(|s| s.generic)
        .ok_or_else(|| format!("{} does not run in the browser", info.id))?;
    let limit = conlab_core::estimate::limit_for((generic.expected)(params), None)
        .map_err(|e| lang.too_long(&e))?;
    crate::scheduler::live(info, values, limit, lang, dispatch);
    Ok(())
}

/// A number for each run of the page, so results of a run left behind are told apart.
pub fn next_run() -> u64 {
    thread_local! {
        static RUNS: Cell<u64> = const { Cell::new(0) };
    }
    RUNS.with(|r| {
        r.set(r.get() + 1);
        r.get()
    })
}

/// The scenario and parameters of `state`, checked like the CLI's `-p`, and against what the
/// page allows (how long a run may block its loop).
pub fn parsed_params(state: &Playground, lang: Lang) -> Result<Params, String> {
    state
        .form_params()
        .and_then(|p| p.check_page_blocking(state.scenario.params).map(|()| p))
        .map_err(|e| lang.param_error(&e))
}

/// Runs the state's scenario live, or says what is wrong with its parameters.
pub fn run_now(state: &Playground, lang: Lang, dispatch: UseReducerDispatcher<Playground>) {
    let started = parsed_params(state, lang)
        .and_then(|p| start(state.scenario, &state.params, &p, lang, dispatch.clone()));
    if let Err(e) = started {
        dispatch.dispatch(Action::Fail(e));
    }
}
