//! A lesson run as its Python program under CPython (`conlab-cpython`), judged by the
//! scenario's own checks with a native runtime's tolerances.
//!
//! A program gets what conlab's own run of the lesson gets: conlab's test server for lessons
//! that send HTTP requests (`CONLAB_TEST_SERVER`), set up as the native run sets it up, with
//! what it counted of the program's requests added to the trace as the native run adds it
//! (load-test's `server_requests` …), and for lessons against Redis or MySQL the
//! servers found exactly as a native run finds them (`conlab_servers::find`: configured URLs,
//! a local server, private throwaway ones), named in `CONLAB_REDIS_URLS` / `CONLAB_MYSQL_URLS`,
//! with a run id (`CONLAB_RUN_ID`) that everything it creates there is named by. The run is
//! claimed on those servers as a native one is, so whatever a program stopped early leaves
//! under its run id is removed when the run ends.

use crate::native::RunError;
use crate::registry::{self, Native};
use conlab_core::catalog;
use conlab_core::{Metric, Params, RuntimeKind, Status, Trace};
use conlab_server_scenarios::http::load_test;
use std::time::Duration;

pub use conlab_cpython::{find_python, program, programs, NoPython, Python};

/// Whether lesson `id` has a Python program.
pub fn has_program(id: &str) -> bool {
    conlab_cpython::program(id).is_some()
}

/// The time limit for a CPython run of `id`: `asked`, or room for its native estimate twice
/// over (an interpreter is slower than native code at what the lessons do between waits), the
/// interpreter's start, and an interpreter's cost for each of many tasks or requests where a
/// lesson makes them ([`MANY_TASKS`], [`MANY_REQUESTS`]).
pub fn time_limit(
    id: &str,
    params: &Params,
    asked: Option<Duration>,
) -> Result<Duration, RunError> {
    let (info, scenario) = runnable(id)?;
    let per_task =
        Duration::from_nanos(conlab_core::Tolerance::for_runtime(RuntimeKind::Cpython).per_task);
    let tasks: u32 = MANY_TASKS
        .iter()
        .filter(|(lesson, ..)| *lesson == info.id)
        .map(|(_, param, times)| params.count(param) as u32 * times)
        .sum();
    let requests: u64 = MANY_REQUESTS
        .iter()
        .filter(|(lesson, _)| *lesson == info.id)
        .map(|(_, count)| count(params))
        .sum();
    let expected = scenario.expected_on(RuntimeKind::Tokio, params) * 2
        + Duration::from_millis(500)
        + per_task * tasks
        + PER_REQUEST.saturating_mul(requests.min(u32::MAX as u64) as u32);
    conlab_core::estimate::limit_for(expected, asked).map_err(|reason| RunError::TooLong {
        id: info.id,
        reason,
    })
}

/// The HTTP lessons whose programs talk to conlab's test server (started for the run, as
/// their native runs start it), besides those with slow requests (`real_io`).
const HTTP_LESSONS: [&str; 3] = ["crawler", "raw-http", "load-test"];

/// Lessons whose checks read what conlab's own test server counted, when the run talks to it
/// (no `url`): how their native run sets the server up before the run, and the metrics it
/// adds from the server's counts after it. A CPython run does both with the server it owns.
struct OwnServer {
    prepare: fn(&conlab_http::TestServer, &Params),
    counts: fn(&conlab_http::TestServer) -> Vec<Metric>,
}

const OWN_SERVER: [(&str, OwnServer); 1] = [(
    "load-test",
    OwnServer {
        prepare: load_test::prepare_own_server,
        counts: load_test::server_counts,
    },
)];

/// Lessons whose programs start `param` tasks `times` over (event-loop-choice: untraced on
/// asyncio's loop and on uvloop's, then traced). conlab's estimate allows a native task's cost;
/// an interpreter's is up to [`conlab_core::Tolerance`]'s `per_task` for CPython, which their
/// time limit adds for every task.
const MANY_TASKS: [(&str, &str, u32); 1] = [("event-loop-choice", "tasks", 3)];

/// Lessons whose programs send many HTTP requests through httpx, and how many requests a run
/// sends and clients it opens (load-test: `requests`, unless it runs for `duration_ms`, and
/// `clients`). conlab's estimate allows a native client's cost for each; a traced interpreter
/// spends [`PER_REQUEST`] at most, which their time limit adds for every one. Where that makes
/// more than conlab's longest limit (an hour: above about a million requests), a CPython run
/// is refused as too long, where a native one runs.
const MANY_REQUESTS: [(&str, CountOf); 1] = [("load-test", load_test_requests)];

/// How many of something a run makes, from its parameters.
type CountOf = fn(&Params) -> u64;

/// What a request or a client's connection costs a traced CPython at most: httpx's request,
/// the tracer's steps of its task, the interpreter's share of two cores with the test server
/// (load-test measured here 1.0 to 3.1 ms each, on a busy 2-core machine).
const PER_REQUEST: Duration = Duration::from_millis(3);

fn load_test_requests(p: &Params) -> u64 {
    let requests = match p.count("duration_ms") {
        0 => p.count("requests"),
        _ => 0,
    };
    (requests + p.count("clients")).max(0) as u64
}

/// A lesson's Python program running, or a run that ended before its program started (no
/// servers to run against).
pub struct CpythonRun {
    run: Running,
    // Dropped in this order after the program has ended: the run's claim on its servers
    // (what it left under its run id removed), then the servers (private ones stopped).
    claim: Option<conlab_servers::RunClaim>,
    servers: Option<conlab_servers::Servers>,
    // Where its requests go, for the run's length.
    server: Option<conlab_http::TestServer>,
    // What the server counted that the lesson's checks read, added to the trace at the end.
    server_counts: Option<fn(&conlab_http::TestServer) -> Vec<Metric>>,
}

enum Running {
    Program(Box<conlab_cpython::CpythonRun>),
    Ended(Box<Trace>),
}

/// Why lesson `id`'s Python program will not run with `params`, found before anything starts:
/// what its native run would refuse for them (a `url` that is not this machine without
/// `--allow-remote`, more than the machine allows).
pub fn refusal(id: &str, params: &Params) -> Option<RunError> {
    let (info, scenario) = match runnable(id) {
        Ok(found) => found,
        Err(e) => return Some(e),
    };
    let reason = match scenario.native {
        Native::Tokio { unavailable, .. } | Native::Servers { unavailable, .. } => {
            unavailable(params)
        }
        Native::Generic | Native::Seam(_) => None,
    }?;
    Some(RunError::Unavailable {
        id: info.id,
        reason,
    })
}

/// Starts lesson `id`'s Python program with `params`, for at most `limit`, recording at most
/// `max_events`. A lesson against servers finds them first (which can take seconds); where
/// there are none, the run ends at once *skipped*, as a native run does.
pub fn start(
    id: &str,
    params: &Params,
    limit: Duration,
    max_events: Option<usize>,
) -> Result<CpythonRun, RunError> {
    let (info, scenario) = runnable(id)?;
    if let Some(refused) = refusal(id, params) {
        return Err(refused);
    }
    let server = if scenario.real_io.is_some() || HTTP_LESSONS.contains(&info.id) {
        // Its connections are the program's, one each: as many as a native run holds.
        conlab_tokio::open_files::raise_to_hard_limit();
        Some(
            conlab_http::TestServer::start().map_err(|e| RunError::Unavailable {
                id: info.id,
                reason: format!("conlab's test server could not start: {e}"),
            })?,
        )
    } else {
        None
    };
    let own_server = OWN_SERVER
        .iter()
        .find(|(lesson, _)| *lesson == info.id && params.url("url").is_none())
        .map(|(_, own)| own);
    if let (Some(own), Some(server)) = (own_server, &server) {
        (own.prepare)(server, params);
    }
    let mut env = Vec::new();
    // A `url` goes where conlab resolved and allowed it (see `refusal`), not wherever its
    // name resolves by the time the program looks it up.
    let has_url = info
        .params
        .iter()
        .any(|p| p.name == "url" && p.kind == conlab_core::ParamKind::Url);
    if let Some(url) = has_url.then(|| params.url("url")).flatten() {
        let addr =
            conlab_http::target::resolve("url", &url).map_err(|reason| RunError::Unavailable {
                id: info.id,
                reason,
            })?;
        env.push(("CONLAB_TARGET_ADDR".to_string(), addr.to_string()));
    }
    let (mut claim, mut servers) = (None, None);
    if let Native::Servers { needs, .. } = scenario.native {
        let ended = |status: Status| CpythonRun {
            run: Running::Ended(Box::new(ended_before_start(info.id, params, status))),
            claim: None,
            servers: None,
            server: None,
            server_counts: None,
        };
        let found = match conlab_servers::find(needs(params)) {
            Ok(found) => found,
            Err(e @ conlab_servers::ServerError::Missing { .. }) => {
                return Ok(ended(Status::Skipped {
                    reason: e.to_string(),
                }))
            }
            Err(e) => {
                return Ok(ended(Status::Failed {
                    reason: e.to_string(),
                }))
            }
        };
        let run_id = crate::native::run_id();
        let urls = |scheme: &str| -> String {
            found
                .urls()
                .iter()
                .filter(|u| u.starts_with(scheme))
                .cloned()
                .collect::<Vec<_>>()
                .join(" ")
        };
        env.push(("CONLAB_REDIS_URLS".to_string(), urls("redis")));
        env.push(("CONLAB_MYSQL_URLS".to_string(), urls("mysql")));
        env.push(("CONLAB_RUN_ID".to_string(), run_id.clone()));
        // Sweeps what killed runs left, and makes sure this one leaves nothing, however its
        // program ends.
        claim = Some(conlab_servers::claim(&found, &run_id));
        servers = Some(found);
    }
    let launch = conlab_cpython::Launch {
        scenario: info.id.to_string(),
        params: params.to_map(),
        limit,
        max_events,
        test_server: server.as_ref().map(|s| s.addr().to_string()),
        env,
    };
    let run = conlab_cpython::CpythonRun::start(launch).map_err(|e| RunError::Unavailable {
        id: info.id,
        reason: e.to_string(),
    })?;
    Ok(CpythonRun {
        run: Running::Program(Box::new(run)),
        claim,
        servers,
        server,
        server_counts: own_server.map(|own| own.counts),
    })
}

/// The trace of a run that ended before its program started.
fn ended_before_start(id: &'static str, params: &Params, status: Status) -> Trace {
    let info = catalog::lookup(id).expect("a lesson of the catalog");
    let mut trace = conlab_tokio::NativeStart::new(info, params.clone(), Duration::ZERO)
        .without_recording(status);
    trace.runtime = RuntimeKind::Cpython;
    trace
}

impl CpythonRun {
    /// Asks it to stop: it ends *stopped*, with what it recorded.
    pub fn stop(&self) {
        if let Running::Program(run) = &self.run {
            run.stop();
        }
    }

    /// What stops it from another thread (a Ctrl-C handler).
    pub fn stopper(&self) -> Box<dyn FnOnce() + Send + 'static> {
        match &self.run {
            Running::Program(run) => Box::new(run.stopper()),
            Running::Ended(_) => Box::new(|| {}),
        }
    }

    /// Whether it has ended.
    pub fn is_finished(&mut self) -> bool {
        match &mut self.run {
            Running::Program(run) => run.is_finished(),
            Running::Ended(_) => true,
        }
    }

    /// Waits for its end: its trace, judged. What it left on its servers is removed first.
    pub fn wait(self) -> Trace {
        let CpythonRun {
            run,
            claim,
            servers,
            server,
            server_counts,
        } = self;
        let trace = match run {
            Running::Program(run) => {
                let mut trace = run.wait();
                // What the server saw of the program's requests, as the native run records it.
                if let (Some(counts), Some(server)) = (server_counts, &server) {
                    trace.metrics.extra.extend(counts(server));
                }
                judge(trace)
            }
            Running::Ended(trace) => *trace,
        };
        drop(claim);
        drop(servers);
        trace
    }
}

/// Runs lesson `id`'s Python program to its end: its trace, judged.
pub fn run(id: &str, params: &Params, limit: Duration) -> Result<Trace, RunError> {
    Ok(start(id, params, limit, None)?.wait())
}

/// A CPython trace with the scenario's checks and the standard figures computed from it (the
/// tracer records; conlab judges, as it judges a trace loaded from a file).
pub fn judge(mut trace: Trace) -> Trace {
    trace.runtime = RuntimeKind::Cpython;
    if let Ok(judged) = crate::recheck(&trace) {
        trace.checks = judged.checks;
        trace.metrics = judged.metrics;
    }
    trace
}

fn runnable(
    id: &str,
) -> Result<(&'static catalog::ScenarioInfo, &'static registry::Scenario), RunError> {
    let info = catalog::lookup(id)?;
    let scenario = registry::find(info.id).ok_or(RunError::Planned {
        id: info.id,
        chapter: info.chapter.title(),
    })?;
    if !has_program(info.id) {
        let with: Vec<&str> = programs().collect();
        return Err(RunError::Unavailable {
            id: info.id,
            reason: format!(
                "it has no Python program yet (--runtime cpython runs {} of them: {})",
                with.len(),
                with.join(", ")
            ),
        });
    }
    Ok((info, scenario))
}
