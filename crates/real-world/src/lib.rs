//! Real-world async scenarios (chapter 5) against real servers. A run first finds its servers
//! (configured by URL, already running on the default local port, or started privately for
//! the run) and skips with one line saying what was tried and how to fix it when there is none.
//!
//! Scenarios touch only keys under `conlab:<run-id>:` and remove them; passwords never appear
//! in output or traces (URLs are redacted).
#![deny(missing_docs)]

mod redact;
mod redis;
mod servers;

pub use redact::redact_url;
pub use servers::{RedisServers, ServerError};

use conlab_core::catalog::ScenarioInfo;
use conlab_core::{ChecksFn, Params, Status, Trace};
use std::time::Duration;

/// The ids of the scenarios in this crate.
pub const IDS: &[&str] = &["redis-hash", "redis-multi-server", "redis-pool"];

/// Runs a real-world scenario: finds its servers, runs it on tokio, and stops any private
/// server afterwards. `None` if the id is not one of this crate's.
pub fn run(info: &'static ScenarioInfo, params: &Params, limit: Duration) -> Option<Trace> {
    let (needed, run, checks): (usize, redis::RunFn, ChecksFn) = match info.id {
        "redis-hash" => (1, redis::redis_hash::run, redis::redis_hash::checks),
        "redis-multi-server" => (
            params.usize("servers"),
            redis::redis_multi_server::run,
            redis::redis_multi_server::checks,
        ),
        "redis-pool" => (1, redis::redis_pool::run, redis::redis_pool::checks),
        _ => return None,
    };
    let servers = match RedisServers::find(needed) {
        Ok(s) => s,
        Err(ServerError::Missing(reason)) => return Some(skipped(info, params, reason)),
        Err(e) => return Some(failed(info, params, e.to_string())),
    };
    let urls = servers.urls();
    let run_id = format!(
        "{:x}",
        std::process::id() as u64 ^ conlab_tokio::NativeClock::start().now()
    );
    let trace = conlab_tokio::run_scenario(
        info,
        move |ctx| Box::pin(run(ctx, urls, run_id)),
        checks,
        params,
        limit,
    );
    drop(servers);
    Some(trace)
}

fn skipped(info: &'static ScenarioInfo, params: &Params, reason: String) -> Trace {
    empty(info, params, Status::Skipped { reason })
}

fn failed(info: &'static ScenarioInfo, params: &Params, reason: String) -> Trace {
    empty(info, params, Status::Failed { reason })
}

fn empty(info: &'static ScenarioInfo, params: &Params, status: Status) -> Trace {
    let meta = conlab_core::TraceMeta {
        info,
        runtime: conlab_core::RuntimeKind::Tokio,
        params,
        recorded_at: Some(conlab_tokio::rfc3339_now()),
        host: Some(conlab_tokio::host_description()),
    };
    conlab_core::finish_trace(meta, |_| {}, &conlab_core::TraceRecorder::new(), 0, status)
}
