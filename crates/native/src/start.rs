//! The start of a native run: what every thread of it shares.

use crate::clock::NativeClock;
use crate::host::{cores, host_description, rfc3339_now};
use crate::{SlowLink, StopSignal};
use conlab_core::catalog::ScenarioInfo;
use conlab_core::{Params, RuntimeKind, Status, Trace, TraceMeta, TraceRecorder};
use std::sync::Arc;
use std::time::Duration;

/// What a native run starts with: its metadata (built here, once per run), the recorder every
/// thread of the run writes into, the clock they all read, and the time limit. A front end
/// that shows the run live keeps a clone and takes [`NativeStart::snapshot`]s while it goes on.
#[derive(Clone)]
pub struct NativeStart {
    /// Scenario, parameters, start time and machine.
    pub meta: Arc<TraceMeta>,
    /// The recording, readable while the run goes on.
    pub recorder: TraceRecorder,
    /// The run's clock: 0 when the run started.
    pub clock: NativeClock,
    /// How long the run may take.
    pub limit: Duration,
    /// The server its slow requests go to, when it has one (real IO).
    pub slow_server: Option<SlowLink>,
    /// Set to stop the run before its end.
    pub stop: StopSignal,
}

impl NativeStart {
    /// Starts the clock and the recording of a native run of `info` with `params`.
    pub fn new(info: &'static ScenarioInfo, params: Params, limit: Duration) -> NativeStart {
        NativeStart {
            meta: Arc::new(TraceMeta {
                info,
                runtime: RuntimeKind::Tokio,
                params,
                recorded_at: Some(rfc3339_now()),
                host: Some(host_description()),
                cores: Some(cores()),
            }),
            recorder: TraceRecorder::new(),
            clock: NativeClock::start(),
            limit,
            slow_server: None,
            stop: StopSignal::default(),
        }
    }

    /// What the run has recorded so far, open spans drawn up to now; `None` once it is
    /// finishing (see [`conlab_core::TraceMeta::snapshot`]).
    pub fn snapshot(&self) -> Option<Trace> {
        self.meta.snapshot(&self.recorder, self.clock.now())
    }

    /// Asks the run to stop now; it ends *stopped*.
    pub fn request_stop(&self) {
        self.stop.request(self.clock.now());
    }

    /// The status of a run that was stopped, if it was: stopped now, when its last part
    /// gave up (a thread waits out at most a slice after the stop was asked).
    pub fn stopped_status(&self) -> Option<Status> {
        self.stop.requested().map(|_| Status::Stopped {
            after_ms: self.clock.now() / 1_000_000,
        })
    }

    /// The trace of a run that ended before its scenario started (skipped, or failed while
    /// being set up).
    pub fn without_recording(&self, status: Status) -> Trace {
        self.meta.without_recording(status)
    }
}
