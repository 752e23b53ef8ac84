//! What a `conlab worker` runs its jobs with: a job is checked exactly as a start request to
//! this server is (`start::prepare`: the catalog's ranges, the registry's refusals, the allowed
//! targets, the events and run-length caps) and run by the server's own native path
//! (`runs::run_prepared`), so a run through the queue is the run `conlab serve` would make;
//! its live events go to the queue's Redis as it goes (`relay.rs`).

use crate::config::{Config, ConfigError};
use crate::relay::publish_until;
use crate::runs::{run_prepared, Live};
use crate::start::{self, Prepared};
use conlab_core::Status;
use conlab_queue::{EventSink, Job, Outcome, RunStatus};
use conlab_wire::{RunState, StartRun, WireRuntime};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// The worker's executor: the server's checks and caps, run natively.
pub struct NativeExecutor {
    config: Config,
}

impl NativeExecutor {
    /// An executor under `config`'s caps (`max_run`, `max_events`, `allow_targets`,
    /// `allow_databases`; the other settings are the server's own).
    pub fn new(mut config: Config) -> Result<NativeExecutor, ConfigError> {
        config.check()?;
        // The same checks as a server's; the settings they name are this worker's.
        config.refuser = "this worker";
        if config.allows_remote_targets() {
            conlab_scenarios::allow_remote_targets(true);
        }
        Ok(NativeExecutor { config })
    }

    fn prepare(&self, job: &Job) -> Result<Prepared, String> {
        let asked = StartRun {
            scenario: job.scenario.clone(),
            params: job.params.clone(),
            runtime: WireRuntime::Native,
        };
        start::prepare(&self.config, asked).map_err(|(_, why)| why)
    }
}

impl conlab_queue::Executor for NativeExecutor {
    fn check(&self, job: &Job) -> Result<(), String> {
        self.prepare(job).map(|_| ())
    }

    fn run(&self, job: &Job, stop: Arc<AtomicBool>, events: EventSink) -> Outcome {
        let prepared = match self.prepare(job) {
            Ok(prepared) => prepared,
            Err(why) => {
                return Outcome {
                    status: RunStatus::Failed,
                    reason: Some(why.clone()),
                    trace_json: "{}".into(),
                    summary: why,
                    summary_json: None,
                }
            }
        };
        let asked = prepared.summary(&job.run, RunState::Running);
        let live = Live::new(stop);
        // Its live events, offered every `stream_every` on a thread beside it, as a page's
        // stream reads a run of `conlab serve`'s own.
        let trace = std::thread::scope(|scope| {
            let (done, ended) = std::sync::mpsc::channel::<()>();
            let live = &live;
            scope.spawn(move || publish_until(live, events, self.config.stream_every, ended));
            let trace = run_prepared(&self.config, prepared, live);
            drop(done);
            trace
        });
        let listed = crate::runs::ended(&asked, &trace);
        let tally = trace.tally();
        let summary = format!(
            "{} in {}, {} of {} checks passed",
            trace.status.label(),
            conlab_core::ms(trace.end),
            tally.passed,
            trace.checks.len()
        );
        let reason = match &trace.status {
            Status::Ok => None,
            Status::Failed { reason } | Status::Skipped { reason } | Status::Refused { reason } => {
                Some(format!("{}: {reason}", trace.status.label()))
            }
            Status::TimedOut { limit_ms } => Some(format!("timed out after {limit_ms} ms")),
            Status::Stopped { after_ms } => Some(format!("stopped after {after_ms} ms")),
        };
        Outcome {
            status: match (&trace.status, &reason) {
                (Status::Stopped { .. }, _) => RunStatus::Stopped,
                (_, None) => RunStatus::Done,
                _ => RunStatus::Failed,
            },
            reason,
            trace_json: trace.to_json(),
            summary,
            summary_json: serde_json::to_string(&listed).ok(),
        }
    }
}
