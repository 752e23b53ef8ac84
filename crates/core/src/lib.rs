//! The conlab scenario core: the catalog, typed parameters, the trace model and its recording,
//! metrics, checks, exports and the runtime abstraction that async scenarios are written
//! against.
//!
//! This crate knows nothing about tokio, web-sys, Redis or MySQL: the runtimes and the front
//! ends depend on it, never the other way round.
#![deny(missing_docs)]

pub mod catalog;
mod check;
pub mod chrome;
pub mod estimate;
pub mod faults;
#[cfg(not(target_arch = "wasm32"))]
pub mod files;
mod metrics;
pub mod order;
mod params;
mod recorder;
pub mod replay;
mod run;
mod runtime;
mod sites;
pub mod sort;
pub mod sync;
mod task;
pub mod template;
mod trace;
pub mod url;

pub use check::{
    count_of, durations_alike, figure, figure_in, host_cores, list, moment, ms, of, quoted,
    thousands, Checks, PhaseCores, Promises, Recorded, TimeCheck, Tolerance, MACHINE_IDLE_MARK,
    REAL_REQUEST, TIMER_LATENESS_METRIC,
};
pub use faults::Fault;
pub use metrics::{compute as compute_metrics, peak_overlap, summarize as summarize_latency};
pub use params::{
    grouped, percent_decode, BadReason, ParamBound, ParamError, ParamKind, ParamSpec, ParamValue,
    Params, MAX_LIST_LEN, PAGE_BLOCKING_LIMIT, TIME_SCALE, TIME_SCALE_RANGE,
};
pub use recorder::{EventWriter, LaneName, Recording, Text, TraceRecorder, WholeSpan};
pub use run::{
    run_checks, run_checks_with_promises, ChecksFn, FailureKind, LaneCtx, LaneSleep, RunSetup,
    ScenarioError, ScenarioFn, TraceMeta,
};
pub use runtime::{yield_now, Runtime, Sleep, SIMULATED_IO};
pub use sites::Site;
pub use task::{wait, JoinError, JoinHandle, ReturnWhen, TaskGroup};
pub use trace::{
    Chart, ChartKind, CheckResult, CodeSite, Interpreter, Lane, LaneBusy, LaneId, LaneKind,
    LatencySummary, Mark, Metric, Metrics, Nanos, Outcome, OutputLine, RuntimeKind, Span,
    SpanState, Status, Tally, Trace, TraceLoadError, Verdict, MAX_TRACE_BYTES, PHASE_END,
    PHASE_START, SCHEMA,
};
