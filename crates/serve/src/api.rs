//! The routes: `/api/...` (see `conlab-wire` for the table), the report at `/report/`, and
//! the web app everywhere else. Every answer of the API is JSON; every refusal an
//! [`ApiError`] sentence.

use crate::config::Config;
use crate::runs::{Refused, Runs, StoredTrace};
use crate::{assets, guard, start, stream};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use conlab_core::catalog::CATALOG;
use conlab_wire::{
    ApiError, ParamEntry, ScenarioEntry, ScenarioList, StartRun, WireRuntime, API_VERSION,
};
use std::sync::Arc;
use tokio::sync::watch;

/// The largest request body the API reads: a start request is a few hundred bytes.
pub const MAX_BODY: usize = 16 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub runs: Arc<Runs>,
    pub shutdown: watch::Receiver<bool>,
    pub streams: Arc<stream::StreamSlots>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/scenarios", get(scenarios))
        .route("/api/runs", get(list).post(start_run))
        .route("/api/runs/{id}", get(one))
        .route("/api/runs/{id}/events", get(events))
        .route("/api/runs/{id}/stop", post(stop))
        .route("/api/runs/{id}/trace", get(trace))
        .fallback(assets::asset)
        .method_not_allowed_fallback(not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::guard,
        ))
        .with_state(state)
}

/// A refusal as JSON.
pub fn refuse(status: StatusCode, error: String) -> Response {
    (status, Json(ApiError { error })).into_response()
}

fn no_run(id: &str) -> Response {
    refuse(
        StatusCode::NOT_FOUND,
        format!(
            "no run is called `{}`; GET /api/runs lists them",
            shorten(id)
        ),
    )
}

/// At most 40 characters of what a request gave, control characters shown escaped.
fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(40).flat_map(char::escape_debug).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// The run id in a call's path. One that is not text once decoded (`%ff`) names no run: it is
/// answered as any unknown id is, in JSON, rather than with axum's plain-text refusal.
struct RunId(String);

impl<S: Send + Sync> FromRequestParts<S> for RunId {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(id)) => Ok(RunId(id)),
            Err(_) => {
                let raw = parts.uri.path().trim_start_matches("/api/runs/");
                Err(no_run(raw.split('/').next().unwrap_or_default()))
            }
        }
    }
}

/// Ids the server makes: digits, letters and `-`, short.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

async fn not_allowed(uri: axum::http::Uri) -> Response {
    refuse(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "{} does not take this method; the API: {API_CALLS}",
            shorten(uri.path())
        ),
    )
}

/// The API in one line, for refusals.
pub const API_CALLS: &str = "GET /api/scenarios, POST /api/runs, GET /api/runs, \
     GET /api/runs/<id>, GET /api/runs/<id>/events, POST /api/runs/<id>/stop, \
     GET /api/runs/<id>/trace";

async fn scenarios(State(state): State<AppState>) -> Json<ScenarioList> {
    // Lessons run under CPython only where a Python is here to run them (asked once: it
    // starts the interpreter).
    static PYTHON: std::sync::LazyLock<bool> =
        std::sync::LazyLock::new(|| conlab_scenarios::cpython::find_python().is_ok());
    let python = *PYTHON;
    let scenarios = CATALOG
        .iter()
        .map(|info| {
            let databases = conlab_scenarios::needs_databases(info.id);
            let refused = if !info.platforms.native || conlab_scenarios::is_planned(info.id) {
                Some("it does not run natively".to_string())
            } else if databases && !state.config.allow_databases {
                Some("it needs Redis and MySQL; start the server with --allow-databases".into())
            } else {
                None
            };
            ScenarioEntry {
                id: info.id.into(),
                title: info.title.into(),
                chapter: info.chapter.title().into(),
                explanation: info.explanation.into(),
                params: info
                    .params
                    .iter()
                    .map(|p| ParamEntry {
                        name: p.name.into(),
                        kind: p.kind_name().into(),
                        default: p.default_value().to_string(),
                        allowed: p.range_text(),
                        help: p.help.into(),
                    })
                    .collect(),
                native: refused.is_none(),
                needs_databases: databases,
                refused,
                // Its Python program reaches the same servers: the same permission.
                python: python
                    && conlab_scenarios::cpython::has_program(info.id)
                    && (!databases || state.config.allow_databases),
            }
        })
        .collect();
    Json(ScenarioList {
        api: API_VERSION.into(),
        scenarios,
    })
}

async fn list(State(state): State<AppState>) -> Response {
    Json(state.runs.list_everywhere().await).into_response()
}

async fn start_run(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "a start request is JSON: send it with `Content-Type: application/json`".into(),
        );
    }
    let body = match body {
        Ok(body) => body,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request body is larger than {} KB", MAX_BODY / 1024),
            )
        }
        Err(e) => {
            return refuse(
                e.status(),
                format!("the request body could not be read: {e}"),
            )
        }
    };
    let asked: StartRun = match serde_json::from_slice(&body) {
        Ok(asked) => asked,
        Err(e) => {
            // serde's words name Rust types for a body of the wrong shape: say it plainly.
            let object =
                serde_json::from_slice::<serde_json::Value>(&body).is_ok_and(|v| v.is_object());
            let why = if object {
                e.to_string()
            } else {
                "it is not a JSON object".to_string()
            };
            return refuse(
                StatusCode::BAD_REQUEST,
                format!(
                    "the body is not a start request ({why}); send {{\"scenario\": \"<id>\", \
                     \"params\": {{\"name\": \"value\"}}, \"runtime\": \"native\", \"virtual\" or \"cpython\"}}"
                ),
            );
        }
    };
    let prepared = match start::prepare(&state.config, asked) {
        Ok(p) => p,
        Err((status, message)) => return refuse(status, message),
    };
    // With a queue, native runs go to the workers; the others still run here.
    let submitted = if state.runs.has_queue() && prepared.runtime == WireRuntime::Native {
        match state.runs.submit_remote(prepared).await {
            Ok(summary) => Ok(summary),
            Err(Refused::Busy(busy)) => Err(busy),
            Err(Refused::Unavailable(why)) => return refuse(StatusCode::SERVICE_UNAVAILABLE, why),
        }
    } else {
        state.runs.submit(prepared)
    };
    match submitted {
        Ok(summary) => (StatusCode::ACCEPTED, Json(summary)).into_response(),
        Err(busy) => {
            let mut answer = refuse(StatusCode::TOO_MANY_REQUESTS, busy.message);
            answer
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(busy.retry_after));
            answer
        }
    }
}

/// The trace of a run this server does not hold: with a queue, the record's.
async fn record_trace(state: &AppState, id: &str) -> Response {
    match state.runs.record_trace(id).await {
        Ok(StoredTrace::Found(json)) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            json,
        )
            .into_response(),
        Ok(StoredTrace::NotEnded) => refuse(
            StatusCode::CONFLICT,
            format!("run `{id}` has not ended yet; GET /api/runs/{id} says where it is"),
        ),
        Ok(StoredTrace::Missing) => refuse(
            StatusCode::GONE,
            format!("run `{id}` ended without a trace (its status says why)"),
        ),
        Ok(StoredTrace::Unknown) => no_run(id),
        Err(why) => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the trace of run `{id}` could not be read from the record: {why}"),
        ),
    }
}

async fn one(State(state): State<AppState>, RunId(id): RunId) -> Response {
    if !valid_id(&id) {
        return no_run(&id);
    }
    match state.runs.summary_everywhere(&id).await {
        Some(summary) => Json(summary).into_response(),
        None => no_run(&id),
    }
}

async fn events(State(state): State<AppState>, RunId(id): RunId) -> Response {
    if !valid_id(&id) {
        return no_run(&id);
    }
    match stream::events(&state, &id).await {
        Some(sse) => sse,
        None => no_run(&id),
    }
}

async fn stop(State(state): State<AppState>, RunId(id): RunId) -> Response {
    if !valid_id(&id) {
        return no_run(&id);
    }
    match state.runs.stop_everywhere(&id).await {
        Some(summary) => Json(summary).into_response(),
        None => no_run(&id),
    }
}

async fn trace(State(state): State<AppState>, RunId(id): RunId) -> Response {
    if !valid_id(&id) {
        return no_run(&id);
    }
    // With a queue, an ended native run this server kept is served only while the record
    // holds it (retention deletes it everywhere).
    if state.runs.summary_everywhere(&id).await.is_none() {
        return no_run(&id);
    }
    if state.runs.summary(&id).is_none() {
        return record_trace(&state, &id).await;
    }
    let Some(path) = state.runs.trace_path(&id) else {
        return refuse(
            StatusCode::CONFLICT,
            format!("run `{id}` has not ended yet; its events stream at /api/runs/{id}/events"),
        );
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            bytes,
        )
            .into_response(),
        // Not kept (the store's disk was full when the run ended: its status says so), or
        // gone since.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => refuse(
            StatusCode::GONE,
            format!("run `{id}` has no kept trace: it could not be stored when the run ended (its status says why)"),
        ),
        Err(e) => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the trace of run `{id}` could not be read: {e}"),
        ),
    }
}
