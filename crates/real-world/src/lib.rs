//! Real-world async scenarios (chapter 5) against real servers. A run first finds its servers
//! (configured by URL, already running on the default local port, or started privately for
//! the run) and skips with one line saying what was tried and how to fix it when there is none.
//!
//! Scenarios touch only keys under `conlab:<run-id>:` and remove them; passwords never appear
//! in output or traces (URLs are redacted).
#![deny(missing_docs)]

mod calls;
mod checks;
mod multi_server;
mod mysql;
mod redact;
mod redis;
mod servers;
mod web;

pub use redact::redact_url;
pub use servers::{stop_private_servers, MysqlServers, RedisServers, ServerError};

use conlab_core::catalog::ScenarioInfo;
use conlab_core::{ChecksFn, LaneCtx, Params, Status, Trace};
use conlab_tokio::{ScenarioFuture, TokioRuntime};
use std::time::Duration;

/// The ids of the scenarios in this crate.
pub const IDS: &[&str] = &[
    "redis-hash",
    "redis-multi-server",
    "redis-pool",
    "job-queue",
    "mysql-query",
    "mysql-multi-server",
    "mysql-pool",
    "web-api",
];

/// A scenario against servers: the main lane, the servers' URLs, and a run id for the names
/// of everything it creates.
type ServerScenarioFn = fn(LaneCtx<TokioRuntime>, Vec<String>, String) -> ScenarioFuture;

/// Which kind of server a scenario needs.
enum Needs {
    Redis(usize),
    Mysql(usize),
    /// One Redis and one MySQL server, in that order.
    Both,
}

/// Runs a real-world scenario: finds its servers, runs it on tokio, and stops any private
/// server afterwards. `None` if the id is not one of this crate's.
pub fn run(info: &'static ScenarioInfo, params: &Params, limit: Duration) -> Option<Trace> {
    let (needs, run, checks): (Needs, ServerScenarioFn, ChecksFn) = match info.id {
        "redis-hash" => (
            Needs::Redis(1),
            redis::redis_hash::run,
            redis::redis_hash::checks,
        ),
        "redis-multi-server" => (
            Needs::Redis(params.usize("servers")),
            redis::redis_multi_server::run,
            redis::redis_multi_server::checks,
        ),
        "redis-pool" => (
            Needs::Redis(1),
            redis::redis_pool::run,
            redis::redis_pool::checks,
        ),
        "job-queue" => (
            Needs::Redis(1),
            redis::job_queue::run,
            redis::job_queue::checks,
        ),
        "mysql-query" => (
            Needs::Mysql(1),
            mysql::mysql_query::run,
            mysql::mysql_query::checks,
        ),
        "mysql-multi-server" => (
            Needs::Mysql(params.usize("servers")),
            mysql::mysql_multi_server::run,
            mysql::mysql_multi_server::checks,
        ),
        "mysql-pool" => (
            Needs::Mysql(1),
            mysql::mysql_pool::run,
            mysql::mysql_pool::checks,
        ),
        "web-api" => (Needs::Both, web::web_api::run, web::web_api::checks),
        _ => return None,
    };
    // The servers (private ones included) live until the run is over.
    let boxed = |urls: Vec<String>, s: Box<dyn std::any::Any>| (urls, s);
    let found = match needs {
        Needs::Redis(n) => RedisServers::find(n).map(|s| boxed(s.urls(), Box::new(s))),
        Needs::Mysql(n) => MysqlServers::find(n).map(|s| boxed(s.urls(), Box::new(s))),
        Needs::Both => RedisServers::find(1).and_then(|r| {
            let m = MysqlServers::find(1)?;
            Ok(boxed([r.urls(), m.urls()].concat(), Box::new((r, m))))
        }),
    };
    let (urls, servers) = match found {
        Ok(found) => found,
        Err(ServerError::Missing(reason)) => return Some(skipped(info, params, reason)),
        Err(e) => return Some(failed(info, params, e.to_string())),
    };
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
