//! The page's Workers. The page posts a [`SchedRequest`] as JSON; [`answer`] carries it out and
//! says [`SchedMessage`]s as it goes: a search's progress, its findings, and the trace of a run
//! (the one asked for, or the shortest failing schedule a search found, replayed with full
//! recording).
//!
//! It is built twice for the page, each build fetched when first needed: with feature
//! `threads`, the thread scenarios on the deterministic scheduler (`conlab_thread_worker`);
//! with feature `asyncio`, the page's async scenarios on the virtual-time executor, for
//! stepping through them (`conlab_async_worker`), so the page's own download does without it.
//! Each stays within the Worker budget; natively (its tests) it has both.
//!
//! In wasm, `handle` is what the Worker's script calls for each message, posting each answer
//! back to the page. [`answer`] itself is plain Rust, tested natively.
#![deny(missing_docs)]

#[cfg(feature = "asyncio")]
mod asyncio;
#[cfg(all(feature = "asyncio", target_arch = "wasm32"))]
mod live;
#[cfg(feature = "threads")]
mod threads;

use conlab_core::{catalog, Params};
use conlab_scenarios::Scenario;
use conlab_wire::{SchedMessage, SchedRequest};

/// The Worker's allocator: talc, smaller and faster than the default dlmalloc.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// Carries out `request` (JSON), saying what comes of it through `say`. A live run needs the
/// Worker's event loop: only the wasm entry starts one.
pub fn answer(request: &str, say: &mut dyn FnMut(SchedMessage)) {
    if let Err(message) = read(request).and_then(|request| answer_request(request, say)) {
        say(SchedMessage::Error(message));
    }
}

fn read(request: &str) -> Result<SchedRequest, String> {
    serde_json::from_str(request).map_err(|e| format!("a request the Worker cannot read: {e}"))
}

fn answer_request(request: SchedRequest, say: &mut dyn FnMut(SchedMessage)) -> Result<(), String> {
    match request {
        SchedRequest::Run {
            scenario,
            params,
            schedule,
        } => {
            let row = row(&scenario)?;
            #[cfg(feature = "threads")]
            if row.scheduled.is_some() {
                let params = params_of(&scenario, &params, false)?;
                return threads::ran(row, &params, schedule.as_deref(), say);
            }
            #[cfg(feature = "asyncio")]
            if row.generic.is_some() {
                let params = params_of(&scenario, &params, false)?;
                return asyncio::ran(row, &params, schedule.as_deref(), say);
            }
            let _ = (params, schedule);
            Err(not_here(&scenario))
        }
        #[cfg(feature = "threads")]
        SchedRequest::Steer {
            scenario,
            params,
            choices,
        } => threads::steer(
            row(&scenario)?,
            &params_of(&scenario, &params, false)?,
            &choices,
            say,
        ),
        #[cfg(feature = "threads")]
        SchedRequest::Find {
            scenario,
            params,
            strategy,
            seed,
            budget,
        } => {
            let row = row(&scenario)?;
            let params = params_of(&scenario, &params, true)?;
            threads::find(row, &params, strategy, seed, budget, say)
        }
        #[cfg(not(feature = "threads"))]
        SchedRequest::Steer { scenario, .. } | SchedRequest::Find { scenario, .. } => {
            Err(not_here(&scenario))
        }
        SchedRequest::Live { .. } | SchedRequest::Stop => {
            Err("a live run goes on only in the page's async Worker".to_string())
        }
    }
}

/// The refusal of a scenario this Worker does not run.
fn not_here(id: &str) -> String {
    format!("`{id}` does not run on the scheduler")
}

/// The row of scenario `id`, if this Worker runs it.
fn row(id: &str) -> Result<&'static Scenario, String> {
    conlab_scenarios::find(id)
        .filter(|s| runs_here(s))
        .ok_or_else(|| not_here(id))
}

/// Whether this Worker runs `row`: the thread Worker, scenarios on the scheduler; the async
/// one, scenarios on the virtual-time executor.
fn runs_here(row: &Scenario) -> bool {
    #[cfg(feature = "threads")]
    if row.scheduled.is_some() {
        return true;
    }
    #[cfg(feature = "asyncio")]
    if row.generic.is_some() {
        return true;
    }
    let _ = row;
    false
}

/// `values` checked against the parameters of scenario `id` (for a `search`: holding for no
/// time unless a hold is given, as `conlab explore` does).
fn params_of(id: &str, values: &[(String, String)], search: bool) -> Result<Params, String> {
    let info = catalog::find(id).ok_or_else(|| format!("`{id}` is not in the catalog"))?;
    #[cfg_attr(not(feature = "threads"), allow(unused_mut))]
    let mut pairs: Vec<String> = values.iter().map(|(k, v)| format!("{k}={v}")).collect();
    #[cfg(feature = "threads")]
    if search {
        conlab_scenarios::scheduled::search_assignments(info, &mut pairs);
    }
    let _ = search;
    Params::from_assignments(id, info.params, pairs.iter().map(String::as_str))
        .map_err(|e| e.to_string())
}

/// The Worker's entry: carries out `request` (JSON) and posts each answer (JSON) through
/// `post`.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn handle(request: &str, post: &js_sys::Function) {
    let post = post.clone();
    let say = move |message: SchedMessage| {
        let text = serde_json::to_string(&message)
            .unwrap_or_else(|e| format!(r#"{{"error":"an answer the Worker cannot write: {e}"}}"#));
        let _ = post.call1(&wasm_bindgen::JsValue::NULL, &text.into());
    };
    let answered = read(request).and_then(|request| match request {
        #[cfg(feature = "asyncio")]
        SchedRequest::Live { scenario, params } => {
            let params = params_of(&scenario, &params, false)?;
            live::start(row(&scenario)?, params, std::rc::Rc::new(say.clone()))
        }
        #[cfg(feature = "asyncio")]
        SchedRequest::Stop => {
            live::stop();
            Ok(())
        }
        request => answer_request(request, &mut say.clone()),
    });
    if let Err(message) = answered {
        say(SchedMessage::Error(message));
    }
}
