//! A start request checked on the server, with the catalog's ranges and the server's own
//! limits, before anything runs: the same words as the CLI for the same mistake.

use crate::config::Config;
use axum::http::StatusCode;
use conlab_core::catalog::{self, ScenarioInfo};
use conlab_core::ParamKind;
use conlab_core::Params;
use conlab_scenarios::{RunError, RuntimeChoice};
use conlab_wire::{RunState, RunSummary, StartRun, WireRuntime};
use std::time::Duration;

/// A start that may go ahead.
#[derive(Clone)]
pub struct Prepared {
    pub info: &'static ScenarioInfo,
    pub params: Params,
    pub runtime: WireRuntime,
    pub limit: Duration,
}

impl Prepared {
    /// Run `id` of it as lists show it, `state` now, asked for now, not ended.
    pub fn summary(&self, id: &str, state: RunState) -> RunSummary {
        RunSummary {
            id: id.to_string(),
            scenario: self.info.id.to_string(),
            runtime: self.runtime,
            params: self.params.to_map(),
            state,
            created: conlab_tokio::rfc3339_now(),
            status: None,
            makespan: None,
            checks_passed: 0,
            checks_not_judged: 0,
            checks_total: 0,
            limit_ms: self.limit.as_millis() as u64,
        }
    }
}

/// A refusal: its status and the sentence the answer carries.
pub type Refusal = (StatusCode, String);

pub fn prepare(config: &Config, asked: StartRun) -> Result<Prepared, Refusal> {
    let bad = |message: String| (StatusCode::BAD_REQUEST, message);
    let info = catalog::lookup(&asked.scenario).map_err(|e| {
        let near = match e.near.as_slice() {
            [] => String::new(),
            near => format!(" (did you mean {}?)", near.join(", ")),
        };
        let id: String = e.id.chars().filter(|c| !c.is_control()).take(40).collect();
        (
            StatusCode::NOT_FOUND,
            format!("no scenario is called `{id}`{near}; GET /api/scenarios lists them"),
        )
    })?;
    let pairs: Vec<String> = asked
        .params
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    let params = Params::from_assignments(info.id, info.params, pairs.iter().map(String::as_str))
        .map_err(|e| bad(e.to_string()))?;
    // A `url` reaches whatever the server's machine reaches: only servers its operator allowed.
    for spec in info.params.iter().filter(|p| p.kind == ParamKind::Url) {
        if let Some(url) = params.url(spec.name) {
            if let Err(why) = config.target_allowed(&url) {
                return Err((
                    StatusCode::FORBIDDEN,
                    format!("{}={url} is refused: {why}", spec.name),
                ));
            }
        }
    }
    let runtime = match asked.runtime {
        WireRuntime::Native => RuntimeChoice::Tokio,
        WireRuntime::Virtual => RuntimeChoice::Virtual,
        // Its own limit and checks; the server's other caps as for a native run.
        WireRuntime::Cpython => return prepare_cpython(config, info, params),
    };
    if runtime == RuntimeChoice::Tokio {
        databases_allowed(config, info)?;
        if let Some(refusal) = conlab_scenarios::native_refusal(info.id, &params) {
            return Err(bad(refusal.to_string()));
        }
    }
    let limit =
        conlab_scenarios::time_limit(info.id, runtime, &params, None).map_err(|e| match e {
            RunError::Unknown(_) | RunError::Planned { .. } => {
                (StatusCode::NOT_FOUND, e.to_string())
            }
            _ => bad(e.to_string()),
        })?;
    // The server keeps every run's trace, of at most --max-events events, and reads it back:
    // a run whose estimate is larger is refused up front.
    let too_many = if config.max_events < conlab_scenarios::MAX_EVENTS_WRITTEN {
        let limit = format!(
            "{} keeps of one run ({} events, --max-events)",
            config.refuser,
            conlab_core::thousands(config.max_events as u64)
        );
        conlab_scenarios::too_many_events(info.id, &params, config.max_events, &limit)
    } else {
        conlab_scenarios::trace_too_large(info.id, &params)
    };
    if let Some(why) = too_many {
        return Err(bad(format!("{why}; choose smaller values")));
    }
    if limit > config.max_run {
        return Err(bad(format!(
            "`{}` with these parameters may take up to {} s, but runs on {} may take \
             at most {} s (--max-run-seconds); choose smaller values",
            info.id,
            limit.as_secs(),
            config.refuser,
            config.max_run.as_secs()
        )));
    }
    Ok(Prepared {
        info,
        params,
        runtime: asked.runtime,
        limit,
    })
}

/// A start of a lesson's Python program: it has one, and a Python runs it here; its time limit
/// within `--max-run-seconds` (the tracer caps its events at `--max-events` as it records).
fn prepare_cpython(
    config: &Config,
    info: &'static ScenarioInfo,
    params: Params,
) -> Result<Prepared, Refusal> {
    let bad = |message: String| (StatusCode::BAD_REQUEST, message);
    // A Python program reaches the servers its native run would: the same permission.
    databases_allowed(config, info)?;
    let limit = conlab_scenarios::cpython::time_limit(info.id, &params, None)
        .map_err(|e| bad(e.to_string()))?;
    if let Some(refusal) = conlab_scenarios::cpython::refusal(info.id, &params) {
        return Err(bad(refusal.to_string()));
    }
    conlab_scenarios::cpython::find_python()
        .map_err(|e| (StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
    if limit > config.max_run {
        return Err(bad(format!(
            "`{}` under CPython with these parameters may take up to {} s, but runs on this \
             server may take at most {} s (--max-run-seconds); choose smaller values",
            info.id,
            limit.as_secs(),
            config.max_run.as_secs()
        )));
    }
    Ok(Prepared {
        info,
        params,
        runtime: WireRuntime::Cpython,
        limit,
    })
}

/// Refuses a lesson against Redis or MySQL on a server not started with `--allow-databases`,
/// whichever runs it (conlab's code or its Python program).
fn databases_allowed(config: &Config, info: &ScenarioInfo) -> Result<(), Refusal> {
    if conlab_scenarios::needs_databases(info.id) && !config.allow_databases {
        return Err((
            StatusCode::FORBIDDEN,
            format!(
                "`{}` runs against database servers (Redis or MySQL), which {} \
                 was not allowed to use; start it with --allow-databases",
                info.id, config.refuser
            ),
        ));
    }
    Ok(())
}
