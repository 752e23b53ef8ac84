//! The page's scheduler Worker. The page posts a [`SchedRequest`] as JSON; [`answer`] carries
//! it out and says [`SchedMessage`]s as it goes: a search's progress, its findings, and the
//! trace of a run (the one asked for, or the shortest failing schedule a search found,
//! replayed with full recording). It also runs the page's async scenarios on the virtual-time
//! executor, for stepping through them, so the page's own download does without it.
//!
//! In wasm, `handle` is what the Worker's script calls for each message, posting each answer
//! back to the page. [`answer`] itself is plain Rust, tested natively.
#![deny(missing_docs)]

use conlab_core::{catalog, Params};
use conlab_scenarios::scheduled::{self, PropertyResult};
use conlab_scenarios::Scenario;
use conlab_sched::search::Method;
use conlab_wire::{Finding, SchedMessage, SchedRequest, SearchStrategy};

/// The Worker's allocator: talc, smaller and faster than the default dlmalloc.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// Carries out `request` (JSON), saying what comes of it through `say`.
pub fn answer(request: &str, say: &mut dyn FnMut(SchedMessage)) {
    if let Err(message) = try_answer(request, say) {
        say(SchedMessage::Error(message));
    }
}

fn try_answer(request: &str, say: &mut dyn FnMut(SchedMessage)) -> Result<(), String> {
    let request: SchedRequest = serde_json::from_str(request)
        .map_err(|e| format!("a request the Worker cannot read: {e}"))?;
    match request {
        SchedRequest::Run {
            scenario,
            params,
            schedule,
        } => {
            let (row, params) = scenario_and_params(&scenario, &params, false)?;
            ran(row, &params, schedule.as_deref(), say)
        }
        SchedRequest::Steer {
            scenario,
            params,
            choices,
        } => {
            let (row, params) = scenario_and_params(&scenario, &params, false)?;
            if row.scheduled.is_none() {
                return Err(format!("`{scenario}` does not run on the scheduler"));
            }
            let s = scheduled::steer(row, &params, &choices).map_err(in_words)?;
            say(SchedMessage::Steered(
                s.trace.to_json(),
                s.schedule,
                conlab_wire::pairs(&s.options),
                conlab_wire::pairs(&s.waiting),
            ));
            Ok(())
        }
        SchedRequest::Find {
            scenario,
            params,
            strategy,
            seed,
            budget,
        } => {
            let (row, params) = scenario_and_params(&scenario, &params, true)?;
            let method = match strategy {
                SearchStrategy::Random => Method::Random,
                SearchStrategy::Pct(depth) => Method::Pct(depth),
                SearchStrategy::Dfs(preemptions) => Method::Dfs(preemptions),
            };
            // The search says its progress every 256 schedules, and at the end.
            let mut progress = |property: &str, tried: u64| {
                say(SchedMessage::Progress(property.to_string(), tried))
            };
            let results = scheduled::explore(row, &params, method, seed, budget, &mut progress)
                .map_err(|e| e.to_string())?;
            let first_broken = results
                .iter()
                .find_map(|r| r.broken.as_ref().map(|(schedule, ..)| schedule.clone()));
            let findings: Vec<Finding> = results.into_iter().map(finding).collect();
            let lines: Vec<String> = findings.iter().map(Finding::line).collect();
            let mut words: Vec<String> = findings.iter().map(Finding::words).collect();
            if findings.is_empty() {
                words.push(NOTHING_TO_SEARCH.to_string());
            }
            if params.to_map().get("hold_ms").is_some_and(|h| h == "0") {
                words.push(HELD_FOR_NO_TIME.to_string());
            }
            say(SchedMessage::Searched(
                lines.join("\n"),
                words.join("\n"),
                true,
            ));
            // Then a run to show: the shortest failing one, or (nothing broke) a run of the
            // parameters searched.
            ran(row, &params, first_broken.as_deref(), say)
        }
    }
}

/// What a search of a scenario without properties says.
const NOTHING_TO_SEARCH: &str =
    "This scenario has nothing a schedule could break: every interleaving shows the same lesson.";

/// What a search says when it held for no time.
const HELD_FOR_NO_TIME: &str =
    "Searched with hold_ms=0: with long holds, virtual time alone decides the order.";

/// The time limit of an async scenario's run on the virtual-time executor (its clock only
/// jumps: this bounds a run that would wait for ever).
const VIRTUAL_LIMIT: std::time::Duration = std::time::Duration::from_secs(3600);

/// Runs `row` (replaying `schedule`, if given) and says its trace: a thread scenario on the
/// scheduler, an async one on the virtual-time executor (the page's step-through).
fn ran(
    row: &'static Scenario,
    params: &Params,
    schedule: Option<&str>,
    say: &mut dyn FnMut(SchedMessage),
) -> Result<(), String> {
    if row.scheduled.is_none() {
        if schedule.is_some() {
            return Err(format!(
                "`{}` takes no schedule: it runs on the virtual-time executor",
                row.id
            ));
        }
        let trace = row
            .run_virtual(params, VIRTUAL_LIMIT)
            .ok_or_else(|| format!("`{}` does not run in the page", row.id))?;
        say(SchedMessage::Ran(trace.to_json(), String::new()));
        return Ok(());
    }
    let run = scheduled::run(row, params, schedule).map_err(in_words)?;
    say(SchedMessage::Ran(run.trace.to_json(), run.schedule));
    Ok(())
}

/// The scheduler's scenario `id`, and `values` checked against its parameters (for a
/// `search`: holding for no time unless a hold is given, as `conlab explore` does).
fn scenario_and_params(
    id: &str,
    values: &[(String, String)],
    search: bool,
) -> Result<(&'static Scenario, Params), String> {
    let row = conlab_scenarios::find(id)
        .filter(|s| s.scheduled.is_some() || (!search && s.generic.is_some()))
        .ok_or_else(|| format!("`{id}` does not run on the scheduler"))?;
    let info = catalog::find(id).ok_or_else(|| format!("`{id}` is not in the catalog"))?;
    let mut pairs: Vec<String> = values.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if search {
        scheduled::search_assignments(info, &mut pairs);
    }
    let params = Params::from_assignments(id, info.params, pairs.iter().map(String::as_str))
        .map_err(|e| e.to_string())?;
    Ok((row, params))
}

/// Why the scheduler refused, as the page says it (the command line's `--schedule:` prefix
/// means nothing there).
fn in_words(e: scheduled::ScheduleError) -> String {
    match e {
        scheduled::ScheduleError::BadSchedule { reason } => {
            format!("The schedule does not fit this run: {reason}")
        }
        other => other.to_string(),
    }
}

fn finding(result: PropertyResult) -> Finding {
    let (schedule, reason, preemptions) = match result.broken {
        Some((schedule, reason, preemptions)) => (Some(schedule), reason, preemptions),
        None => (None, String::new(), 0),
    };
    Finding {
        property: result.name.to_string(),
        tried: result.tried,
        exhaustive: result.exhaustive,
        schedule,
        reason,
        preemptions,
    }
}

/// The Worker's entry: carries out `request` (JSON) and posts each answer (JSON) through
/// `post`.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn handle(request: &str, post: &js_sys::Function) {
    answer(request, &mut |message| {
        let text = serde_json::to_string(&message)
            .unwrap_or_else(|e| format!(r#"{{"error":"an answer the Worker cannot write: {e}"}}"#));
        let _ = post.call1(&wasm_bindgen::JsValue::NULL, &text.into());
    });
}
