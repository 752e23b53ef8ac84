//! Which code runs a scenario where: async scenarios run on the virtual executor or on tokio;
//! native-only ones run on tokio with OS threads.

use crate::asyncio;
use crate::threads;
use crate::traced_threads::{run_thread_scenario, ThreadScenarioFn};
use conlab_core::catalog::{self, ScenarioInfo};
use conlab_core::{ChecksFn, Params, ScenarioFn, Status, Trace};
use conlab_tokio::TokioRuntime;
use std::time::Duration;

/// Where to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeChoice {
    /// The deterministic virtual-time executor.
    Virtual,
    /// Natively on tokio (and OS threads).
    Tokio,
}

/// Why a scenario could not be run at all (as opposed to a run that failed).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// No scenario has that id.
    #[error("no scenario is called `{id}`{hint}; `conlab list` shows them all")]
    Unknown {
        /// The id given.
        id: String,
        /// A "did you mean" hint, or empty.
        hint: String,
    },
    /// The scenario does not run on the runtime asked for.
    #[error("`{id}` does not run on the {runtime} runtime; it runs on: {supported}")]
    Unsupported {
        /// The scenario.
        id: String,
        /// The runtime asked for.
        runtime: &'static str,
        /// Where it does run.
        supported: String,
    },
    /// The scenario is in the catalog but this build cannot run it yet.
    #[error("`{id}` ({chapter}) is in the catalog but this build of conlab cannot run it yet")]
    NotAvailable {
        /// The scenario.
        id: String,
        /// Its chapter's title.
        chapter: &'static str,
    },
}

/// How a native scenario runs.
#[derive(Clone, Copy)]
enum Code {
    /// Async code on tokio.
    Async(ScenarioFn<TokioRuntime>),
    /// Code on OS threads.
    Threads(ThreadScenarioFn),
}

struct Native {
    code: Code,
    checks: ChecksFn,
    /// A reason not to run with these parameters (a variant that needs what this build lacks).
    skip: fn(&Params) -> Option<String>,
}

fn never_skip(_: &Params) -> Option<String> {
    None
}

/// Native implementations that replace or extend the generic async code.
fn native(id: &str) -> Option<Native> {
    macro_rules! native {
        ($m:path, $skip:expr) => {{
            use $m as m;
            Some(Native {
                code: Code::Async(|ctx| Box::pin(m::run(ctx))),
                checks: m::checks,
                skip: $skip,
            })
        }};
    }
    if let Some((run, checks)) = threads::find(id) {
        return Some(Native {
            code: Code::Threads(run),
            checks,
            skip: never_skip,
        });
    }
    match id {
        "run-in-executor" => native!(asyncio::run_in_executor, asyncio::run_in_executor::skip),
        "loop-in-thread" => native!(asyncio::loop_in_thread, never_skip),
        "event-loop-choice" => native!(asyncio::event_loop_choice, never_skip),
        _ => None,
    }
}

/// Every scenario this build can run natively, in catalog order.
pub fn native_ids() -> Vec<&'static str> {
    catalog::CATALOG
        .iter()
        .filter(|s| s.platforms.native)
        .filter(|s| {
            native(s.id).is_some()
                || conlab_async::IDS.contains(&s.id)
                || conlab_realworld::IDS.contains(&s.id)
        })
        .map(|s| s.id)
        .collect()
}

fn info(id: &str) -> Result<&'static ScenarioInfo, RunError> {
    catalog::find(id).ok_or_else(|| {
        let near = catalog::suggest(id);
        let hint = if near.is_empty() {
            String::new()
        } else {
            format!(" (did you mean {}?)", near.join(", "))
        };
        RunError::Unknown {
            id: id.to_string(),
            hint,
        }
    })
}

/// Runs scenario `id` with `params` on `runtime`, for at most `limit`.
pub fn run(
    id: &str,
    runtime: RuntimeChoice,
    params: &Params,
    limit: Duration,
) -> Result<Trace, RunError> {
    let info = info(id)?;
    let unsupported = || RunError::Unsupported {
        id: id.to_string(),
        runtime: match runtime {
            RuntimeChoice::Virtual => "virtual",
            RuntimeChoice::Tokio => "tokio (native)",
        },
        supported: platforms_text(info),
    };
    match runtime {
        RuntimeChoice::Virtual => {
            if !info.platforms.virtual_time {
                return Err(unsupported());
            }
            let s = conlab_async::find::<conlab_virtual::VirtualRuntime>(id).ok_or_else(|| {
                RunError::NotAvailable {
                    id: id.to_string(),
                    chapter: info.chapter.title(),
                }
            })?;
            Ok(conlab_virtual::run_scenario(
                info, s.run, s.checks, params, limit,
            ))
        }
        RuntimeChoice::Tokio => {
            if !info.platforms.native {
                return Err(unsupported());
            }
            if let Some(trace) = conlab_realworld::run(info, params, limit) {
                return Ok(trace);
            }
            let (code, checks, skip) = match native(id) {
                Some(n) => (n.code, n.checks, n.skip),
                None => {
                    let s = conlab_async::find::<TokioRuntime>(id).ok_or_else(|| {
                        RunError::NotAvailable {
                            id: id.to_string(),
                            chapter: info.chapter.title(),
                        }
                    })?;
                    (
                        Code::Async(s.run),
                        s.checks,
                        never_skip as fn(&Params) -> Option<String>,
                    )
                }
            };
            if let Some(reason) = skip(params) {
                return Ok(skipped(info, params, reason));
            }
            Ok(match code {
                Code::Async(run) => conlab_tokio::run_scenario(info, run, checks, params, limit),
                Code::Threads(run) => run_thread_scenario(info, run, checks, params, limit),
            })
        }
    }
}

fn skipped(info: &'static ScenarioInfo, params: &Params, reason: String) -> Trace {
    let meta = conlab_core::TraceMeta {
        info,
        runtime: conlab_core::RuntimeKind::Tokio,
        params,
        recorded_at: Some(conlab_tokio::rfc3339_now()),
        host: Some(conlab_tokio::host_description()),
    };
    let recorder = conlab_core::TraceRecorder::new();
    conlab_core::finish_trace(meta, |_| {}, &recorder, 0, Status::Skipped { reason })
}

fn platforms_text(info: &ScenarioInfo) -> String {
    let mut v = Vec::new();
    if info.platforms.browser {
        v.push("browser");
    }
    if info.platforms.native {
        v.push("tokio (native)");
    }
    if info.platforms.virtual_time {
        v.push("virtual");
    }
    v.join(", ")
}
