//! A lesson run as its Python program under CPython (`conlab-cpython`), judged by the
//! scenario's own checks with a native runtime's tolerances.

use crate::native::RunError;
use crate::registry;
use conlab_core::catalog;
use conlab_core::{Params, RuntimeKind, Trace};
use std::time::Duration;

pub use conlab_cpython::{find_python, program, programs, NoPython, Python};

/// Whether lesson `id` has a Python program.
pub fn has_program(id: &str) -> bool {
    conlab_cpython::program(id).is_some()
}

/// The time limit for a CPython run of `id`: `asked`, or room for its native estimate twice
/// over (an interpreter is slower than native code at what the lessons do between waits) and
/// the interpreter's start.
pub fn time_limit(
    id: &str,
    params: &Params,
    asked: Option<Duration>,
) -> Result<Duration, RunError> {
    let (info, scenario) = runnable(id)?;
    let expected =
        scenario.expected_on(RuntimeKind::Tokio, params) * 2 + Duration::from_millis(500);
    conlab_core::estimate::limit_for(expected, asked).map_err(|reason| RunError::TooLong {
        id: info.id,
        reason,
    })
}

/// A lesson's Python program running.
pub struct CpythonRun {
    run: conlab_cpython::CpythonRun,
    // Where its slow requests go, for the run's length.
    _server: Option<conlab_http::TestServer>,
}

/// Starts lesson `id`'s Python program with `params`, for at most `limit`, recording at most
/// `max_events`.
pub fn start(
    id: &str,
    params: &Params,
    limit: Duration,
    max_events: Option<usize>,
) -> Result<CpythonRun, RunError> {
    let (info, scenario) = runnable(id)?;
    let server = match scenario.real_io {
        Some(_) => Some(
            conlab_http::TestServer::start().map_err(|e| RunError::Unavailable {
                id: info.id,
                reason: format!("conlab's test server could not start: {e}"),
            })?,
        ),
        None => None,
    };
    let launch = conlab_cpython::Launch {
        scenario: info.id.to_string(),
        params: params.to_map(),
        limit,
        max_events,
        test_server: server.as_ref().map(|s| s.addr().to_string()),
    };
    let run = conlab_cpython::CpythonRun::start(launch).map_err(|e| RunError::Unavailable {
        id: info.id,
        reason: e.to_string(),
    })?;
    Ok(CpythonRun {
        run,
        _server: server,
    })
}

impl CpythonRun {
    /// Asks it to stop: it ends *stopped*, with what it recorded.
    pub fn stop(&self) {
        self.run.stop();
    }

    /// What stops it from another thread (a Ctrl-C handler).
    pub fn stopper(&self) -> impl FnOnce() + Send + 'static {
        self.run.stopper()
    }

    /// Whether it has ended.
    pub fn is_finished(&mut self) -> bool {
        self.run.is_finished()
    }

    /// Waits for its end: its trace, judged.
    pub fn wait(self) -> Trace {
        judge(self.run.wait())
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
