//! The one way to start a run outside the browser: on the virtual-time executor (instant), or
//! natively, where [`start_native`] returns at once with a [`NativeRun`] to read live and to
//! wait for. [`run`] is the batch form every front end uses when it does not draw the run live.

use crate::registry::{self, Native, Scenario};
use conlab_core::catalog::{self, ScenarioInfo, UnknownScenario};
use conlab_core::{Params, Status, Trace};
use conlab_tokio::NativeStart;
use std::thread::JoinHandle;
use std::time::Duration;

/// Where to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeChoice {
    /// The deterministic virtual-time executor.
    Virtual,
    /// Natively on tokio (and OS threads).
    Tokio,
}

impl RuntimeChoice {
    /// The runtime's name, as the CLI's `--runtime` spells it.
    pub fn name(self) -> &'static str {
        match self {
            RuntimeChoice::Virtual => "virtual",
            RuntimeChoice::Tokio => "tokio (native)",
        }
    }
}

/// Why a scenario could not be run at all (as opposed to a run that failed).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// No scenario has that id.
    #[error(transparent)]
    Unknown(#[from] UnknownScenario),
    /// The scenario does not run on the runtime asked for.
    #[error("`{id}` does not run on the {runtime} runtime; it runs on: {supported}")]
    Unsupported {
        /// The scenario.
        id: &'static str,
        /// The runtime asked for.
        runtime: &'static str,
        /// Where it does run.
        supported: String,
    },
    /// The scenario runs, but not yet with these parameters (a planned variant).
    #[error("`{id}` cannot run with these parameters: {reason}")]
    Unavailable {
        /// The scenario.
        id: &'static str,
        /// Why, naming the parameter.
        reason: String,
    },
    /// The run would take longer than its time limit.
    #[error("`{id}`: {reason}")]
    TooLong {
        /// The scenario.
        id: &'static str,
        /// Its estimate and the limit.
        reason: conlab_core::estimate::TooLong,
    },
    /// A schedule given to replay does not fit the run.
    #[error(transparent)]
    Schedule(#[from] crate::scheduled::ScheduleError),
    /// The scenario is in the catalog but this build cannot run it yet.
    #[error("`{id}` ({chapter}) is in the catalog but this build of conlab cannot run it yet")]
    Planned {
        /// The scenario.
        id: &'static str,
        /// Its chapter's title.
        chapter: &'static str,
    },
}

/// The time limit for a run of `id` on `runtime` with `params`: `asked`, or (when none is
/// asked for) one with room for the run's estimate. A run whose estimate does not fit the limit
/// is refused here, before anything starts. On virtual time a run's wall time does not follow
/// its durations, so only the asked (or default) limit applies there.
pub fn time_limit(
    id: &str,
    runtime: RuntimeChoice,
    params: &Params,
    asked: Option<Duration>,
) -> Result<Duration, RunError> {
    use conlab_core::estimate;
    let (info, scenario) = runnable(id, runtime)?;
    let kind = match runtime {
        RuntimeChoice::Virtual => return Ok(asked.unwrap_or(estimate::DEFAULT_LIMIT)),
        RuntimeChoice::Tokio => conlab_core::RuntimeKind::Tokio,
    };
    estimate::limit_for(scenario.expected_on(kind, params), asked).map_err(|reason| {
        RunError::TooLong {
            id: info.id,
            reason,
        }
    })
}

/// The most events a run that writes its trace may record: a trace of that many stays within
/// what conlab reads back ([`conlab_core::MAX_TRACE_BYTES`]) in every format it writes (about
/// 160 bytes an event as conlab JSON, 210 as Chrome trace events, which carry the conlab trace
/// too). A run that records more is cut off and ends *refused*, saying why.
pub const MAX_EVENTS_WRITTEN: usize = 1_000_000;

/// Why a run that writes its trace is cut off when it records more than
/// [`MAX_EVENTS_WRITTEN`]: what the trace would exceed, and what to change.
pub const TOO_MANY_EVENTS_TO_WRITE: &str = "its trace would be larger than conlab reads back (256 MB: `conlab show`, the page, reports); choose smaller values, or --format text, which writes no trace";

/// Why a run of `id` with `params` would write a trace larger than conlab reads back, if it
/// would: the events it would record against the most a written trace may hold, in words.
/// The caller says what to change.
pub fn trace_too_large(id: &str, params: &Params) -> Option<String> {
    too_many_events(
        id,
        params,
        MAX_EVENTS_WRITTEN,
        &format!(
            "a trace conlab reads back holds ({} events, {} MB: `conlab show`, the page, reports)",
            conlab_core::thousands(MAX_EVENTS_WRITTEN as u64),
            conlab_core::MAX_TRACE_BYTES >> 20
        ),
    )
}

/// Why a run of `id` with `params` would record more than `max` events, if its estimate says
/// so (only scenarios whose parameters can make the count large estimate it): the estimate
/// against `limit`, which names the most in words.
pub fn too_many_events(id: &str, params: &Params, max: usize, limit: &str) -> Option<String> {
    let scenario = crate::registry::find(id)?;
    let events = (scenario.trace_events?)(params);
    (events > max as u64).then(|| {
        format!(
            "with these parameters {id} would record about {} events, more than {limit}",
            conlab_core::thousands(events),
        )
    })
}

/// Runs scenario `id` on the virtual-time executor within `bounds`.
pub fn run_virtual_bounded(
    id: &str,
    params: &Params,
    bounds: &conlab_virtual::Bounds,
) -> Result<Trace, RunError> {
    let (info, scenario) = runnable(id, RuntimeChoice::Virtual)?;
    if scenario.scheduled.is_some() {
        return Ok(crate::scheduled::run_bounded(scenario, params, None, Some(bounds))?.trace);
    }
    scenario
        .run_virtual_bounded(params, bounds)
        .ok_or_else(|| unsupported(info, RuntimeChoice::Virtual))
}

/// Runs scenario `id` with `params` on `runtime`, for at most `limit`, and returns its trace.
pub fn run(
    id: &str,
    runtime: RuntimeChoice,
    params: &Params,
    limit: Duration,
) -> Result<Trace, RunError> {
    let (info, scenario) = runnable(id, runtime)?;
    match runtime {
        RuntimeChoice::Virtual if scenario.scheduled.is_some() => {
            Ok(crate::scheduled::run(scenario, params, None)?.trace)
        }
        RuntimeChoice::Virtual => scenario
            .run_virtual(params, limit)
            .ok_or_else(|| unsupported(info, runtime)),
        RuntimeChoice::Tokio => Ok(start_native(id, params.clone(), limit)?.wait()),
    }
}

/// A native run in progress.
pub struct NativeRun {
    start: NativeStart,
    outcome: Outcome,
}

enum Outcome {
    Running(JoinHandle<Trace>),
    /// It ended before it started (skipped, or no server could be had).
    Ended(Box<Trace>),
}

impl NativeRun {
    /// What it has recorded so far, open spans drawn up to now; `None` once it is finishing
    /// and only its finished trace tells what it did.
    pub fn snapshot(&self) -> Option<Trace> {
        self.start.snapshot()
    }

    /// The scenario's latest word on how far it has got, if it says (a load test does, every
    /// second).
    pub fn progress(&self) -> Option<String> {
        self.start.recorder.progress()
    }

    /// Asks it to stop: it ends *stopped* (async code at once, OS threads and processes
    /// within a watchdog interval), its partial trace without checks.
    pub fn stop(&self) {
        self.start.request_stop();
    }

    /// What stops it from another thread (a Ctrl-C handler), as [`NativeRun::stop`] does.
    pub fn stopper(&self) -> impl FnOnce() + Send + 'static {
        let start = self.start.clone();
        move || start.request_stop()
    }

    /// How many events it has recorded so far.
    pub fn event_count(&self) -> usize {
        self.start.recorder.event_count()
    }

    /// Whether it has ended.
    pub fn is_finished(&self) -> bool {
        match &self.outcome {
            Outcome::Running(thread) => thread.is_finished(),
            Outcome::Ended(_) => true,
        }
    }

    /// Waits for its end and returns the complete trace.
    pub fn wait(self) -> Trace {
        match self.outcome {
            Outcome::Ended(trace) => *trace,
            Outcome::Running(thread) => thread.join().unwrap_or_else(|panic| {
                let reason = format!(
                    "the run panicked: {}",
                    conlab_tokio::panic_text(panic.as_ref())
                );
                self.start.without_recording(Status::Failed { reason })
            }),
        }
    }
}

/// Starts scenario `id` natively with `params`, for at most `limit`. Scenarios against
/// servers find (or start) their servers first, which can take seconds; everything else
/// returns at once.
pub fn start_native(id: &str, params: Params, limit: Duration) -> Result<NativeRun, RunError> {
    let (info, scenario) = runnable(id, RuntimeChoice::Tokio)?;
    if let Some(reason) = scenario
        .child
        .and_then(|_| too_many_children(info.id, &params))
    {
        return Err(RunError::Unavailable {
            id: info.id,
            reason,
        });
    }
    let checks = scenario.checks_on(conlab_core::RuntimeKind::Tokio);
    let ended = |start: NativeStart, status| NativeRun {
        outcome: Outcome::Ended(Box::new(start.without_recording(status))),
        start,
    };
    let spawn = |start: NativeStart, body: Box<dyn FnOnce(&NativeStart) -> Trace + Send>| {
        let on_thread = start.clone();
        let thread = std::thread::Builder::new()
            .name(format!("conlab-{}", info.id))
            .spawn(move || body(&on_thread));
        match thread {
            Ok(thread) => NativeRun {
                start,
                outcome: Outcome::Running(thread),
            },
            Err(e) => {
                let reason = format!("could not start the run's thread: {e}");
                ended(start, Status::Failed { reason })
            }
        }
    };
    // A scenario whose slow requests are real gets conlab's test server for the run; it lives
    // as long as the run's start (the run, and whoever reads it live).
    let slow_server = match scenario.real_io {
        None => Ok(None),
        Some(in_flight) => {
            if let Some(reason) = too_many_requests(info.id, &params, in_flight) {
                return Err(RunError::Unavailable {
                    id: info.id,
                    reason,
                });
            }
            conlab_http::TestServer::start().map(|server| {
                let server: std::sync::Arc<dyn conlab_tokio::SlowServer> =
                    std::sync::Arc::new(server);
                Some(conlab_tokio::SlowLink::new(server))
            })
        }
    };
    let new_start = |params: Params| -> Result<NativeStart, NativeRun> {
        let mut start = NativeStart::new(info, params, limit);
        match &slow_server {
            Ok(link) => {
                start.slow_server = link.clone();
                Ok(start)
            }
            Err(e) => {
                let reason = format!("conlab's test server could not start: {e}");
                Err(ended(start, Status::Failed { reason }))
            }
        }
    };
    Ok(match scenario.native {
        Native::Generic => {
            let run = scenario
                .generic
                .ok_or_else(|| unsupported(info, RuntimeChoice::Tokio))?
                .on_tokio;
            let start = match new_start(params) {
                Ok(start) => start,
                Err(ended) => return Ok(ended),
            };
            spawn(
                start,
                Box::new(move |s| conlab_tokio::run_scenario(s, run, checks)),
            )
        }
        Native::Tokio {
            run, unavailable, ..
        } => {
            if let Some(reason) = unavailable(&params) {
                return Err(RunError::Unavailable {
                    id: info.id,
                    reason,
                });
            }
            let start = match new_start(params) {
                Ok(start) => start,
                Err(ended) => return Ok(ended),
            };
            let starts_processes = scenario.child.is_some();
            spawn(
                start,
                Box::new(move |s| {
                    let trace = conlab_tokio::run_scenario(s, run, checks);
                    with_process_check(trace, starts_processes, &s.meta.params)
                }),
            )
        }
        Native::Seam(run) => {
            let start = match new_start(params) {
                Ok(start) => start,
                Err(ended) => return Ok(ended),
            };
            let starts_processes = scenario.child.is_some();
            spawn(
                start,
                Box::new(move |s| {
                    let trace = conlab_threads::run_native(s, run, checks);
                    with_process_check(trace, starts_processes, &s.meta.params)
                }),
            )
        }
        Native::Servers {
            needs,
            unavailable,
            run,
        } => {
            if let Some(reason) = unavailable(&params) {
                return Err(RunError::Unavailable {
                    id: info.id,
                    reason,
                });
            }
            let found = conlab_servers::find(needs(&params));
            let start = NativeStart::new(info, params, limit);
            match found {
                Err(e @ conlab_servers::ServerError::Missing { .. }) => ended(
                    start,
                    Status::Skipped {
                        reason: e.to_string(),
                    },
                ),
                Err(e) => ended(
                    start,
                    Status::Failed {
                        reason: e.to_string(),
                    },
                ),
                Ok(servers) => {
                    let urls = servers.urls().to_vec();
                    let run_id = run_id();
                    // Sweeps what killed runs left, and makes sure this one leaves nothing,
                    // however it ends.
                    let claim = conlab_servers::claim(&servers, &run_id);
                    spawn(
                        start,
                        Box::new(move |s| {
                            let trace = conlab_tokio::run_scenario(
                                s,
                                move |ctx| run(ctx, urls, run_id),
                                checks,
                            );
                            claim.release();
                            // Private servers live until the run is over.
                            drop(servers);
                            trace
                        }),
                    )
                }
            }
        }
    })
}

/// Why a native run of `id` with `params` would be refused by [`start_native`], if it would,
/// found without starting anything (a server queues runs and answers before they start).
pub fn native_refusal(id: &str, params: &Params) -> Option<RunError> {
    let (info, scenario) = match runnable(id, RuntimeChoice::Tokio) {
        Ok(found) => found,
        Err(e) => return Some(e),
    };
    let unavailable = match scenario.native {
        Native::Tokio { unavailable, .. } | Native::Servers { unavailable, .. } => {
            unavailable(params)
        }
        Native::Generic | Native::Seam(_) => None,
    };
    let reason = unavailable
        .or_else(|| {
            scenario
                .real_io
                .and_then(|in_flight| too_many_requests(info.id, params, in_flight))
        })
        .or_else(|| {
            scenario
                .child
                .and_then(|_| too_many_children(info.id, params))
        })?;
    Some(RunError::Unavailable {
        id: info.id,
        reason,
    })
}

/// Whether scenario `id` runs against Redis or MySQL servers.
pub fn needs_databases(id: &str) -> bool {
    registry::find(id).is_some_and(|s| matches!(s.native, Native::Servers { .. }))
}

/// Why `in_flight` real requests at once cannot be made by this process, if they cannot:
/// each holds a socket on either side (the test server runs in this process), and the process
/// may open only so many files (its hard RLIMIT_NOFILE, to which the soft limit is raised).
fn too_many_requests(id: &str, params: &Params, in_flight: &str) -> Option<String> {
    conlab_tokio::open_files::FilesNeed {
        param: in_flight,
        value: params.count(in_flight) as u64,
        lowest: catalog::lowest(id, in_flight),
        each: 2,
        besides: 0,
        why: "a real request at once to conlab's test server each, a socket on either side",
        otherwise: Some(
            "run it on virtual time (--runtime virtual), where the requests are timers",
        ),
    }
    .refusal()
}

/// Why the child processes of scenario `id` cannot be started by this process, if they
/// cannot: each keeps a few descriptors here (its channel, what it is handed), and the process
/// may open only so many files (its hard RLIMIT_NOFILE, to which the soft limit is raised).
fn too_many_children(id: &str, params: &Params) -> Option<String> {
    let info = catalog::find(id)?;
    let param = ["processes", "workers"]
        .into_iter()
        .find(|p| info.params.iter().any(|s| s.name == *p))?;
    conlab_tokio::open_files::FilesNeed {
        param,
        value: params.count(param) as u64,
        lowest: catalog::lowest(id, param),
        each: FILES_PER_CHILD,
        besides: 0,
        why: "a few descriptors for each child process",
        otherwise: None,
    }
    .refusal()
}

/// Descriptors this process keeps for each child it starts, with room to spare: its channel
/// (1), a pool worker's queues handed over (1 more), one being handed while it starts.
const FILES_PER_CHILD: u64 = 3;

/// A run id for the names of what a run creates on servers: unique per process and moment.
pub(crate) fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    format!(
        "{:x}",
        u64::from(std::process::id()).rotate_left(40) ^ nanos
    )
}

/// The catalog entry and registry row of `id`, if it can run on `runtime`.
fn runnable(
    id: &str,
    runtime: RuntimeChoice,
) -> Result<(&'static ScenarioInfo, &'static Scenario), RunError> {
    let info = catalog::lookup(id)?;
    let supported = match runtime {
        RuntimeChoice::Virtual => info.platforms.virtual_time,
        RuntimeChoice::Tokio => info.platforms.native,
    };
    if !supported {
        return Err(unsupported(info, runtime));
    }
    let scenario = registry::find(id).ok_or(RunError::Planned {
        id: info.id,
        chapter: info.chapter.title(),
    })?;
    Ok((info, scenario))
}

fn unsupported(info: &'static ScenarioInfo, runtime: RuntimeChoice) -> RunError {
    let mut on = Vec::new();
    if info.platforms.browser {
        on.push("browser");
    }
    if info.platforms.native {
        on.push(RuntimeChoice::Tokio.name());
    }
    if info.platforms.virtual_time {
        on.push(RuntimeChoice::Virtual.name());
    }
    RunError::Unsupported {
        id: info.id,
        runtime: runtime.name(),
        supported: on.join(", "),
    }
}

/// Lets HTTP scenarios send requests beyond this machine (the CLI's `--allow-remote`); they
/// refuse a `url` that is not loopback otherwise.
pub fn allow_remote_targets(allowed: bool) {
    conlab_http::target::allow_remote(allowed);
}

/// Every scenario this build can run natively, in catalog order.
pub fn native_ids() -> Vec<&'static str> {
    registry::all()
        .iter()
        .filter(|s| s.info().platforms.native)
        .map(|s| s.id)
        .collect()
}

/// A run that may start processes ends with `no-process-outlives`, however it ended (as the
/// thread toolkit ends every run with `no-thread-outlives`).
fn with_process_check(mut trace: Trace, starts_processes: bool, params: &Params) -> Trace {
    // A stopped run is shown as it is, unjudged.
    let stopped = matches!(trace.status, Status::Stopped { .. });
    if starts_processes && !stopped {
        let mut c = conlab_core::Checks::new(&trace, params);
        conlab_processes::no_process_outlives(&mut c);
        let extra = c.finish();
        trace.checks.extend(extra);
    }
    trace
}
