//! Checking a loaded trace again: its scenario's checks, computed from the trace as it is now,
//! beside the verdict the file recorded (a difference means the trace was edited, or recorded
//! by an older conlab).

use crate::registry;
use conlab_core::catalog::{self, UnknownScenario};
use conlab_core::{CheckResult, Metrics, ParamError, Params, Trace, Verdict};

/// Why a trace could not be checked again.
#[derive(Debug, thiserror::Error)]
pub enum RecheckError {
    /// Its scenario is not in the catalog.
    #[error(transparent)]
    Unknown(#[from] UnknownScenario),
    /// Its scenario is planned: this build has no checks for it.
    #[error("`{0}` is in the catalog but this build of conlab has no checks for it yet")]
    Planned(&'static str),
    /// Its parameters are not valid for its scenario.
    #[error("its parameters are not valid: {0}")]
    Params(#[from] ParamError),
}

/// A trace's checks and standard metrics computed again, and how they differ from the ones it
/// recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Recheck {
    /// The checks, computed from the trace.
    pub checks: Vec<CheckResult>,
    /// The standard metrics, computed from the trace's spans (the scenario's own figures,
    /// `extra`, are kept as recorded: nothing in the trace recomputes them).
    pub metrics: Metrics,
    /// Each check whose recorded result differs from the computed one, in words
    /// (empty when they agree).
    pub differences: Vec<String>,
}

/// Computes `trace`'s checks again from its recording and parameters.
pub fn recheck(trace: &Trace) -> Result<Recheck, RecheckError> {
    let info = catalog::lookup(&trace.scenario)?;
    let scenario = registry::find(info.id).ok_or(RecheckError::Planned(info.id))?;
    let assignments: Vec<String> = trace
        .params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let params =
        Params::from_assignments(info.id, info.params, assignments.iter().map(String::as_str))?;
    // A run that did not happen as a whole (stopped, refused, …) gets no checks: it never
    // got to the end they judge (`run_checks` gives it none).
    let mut computed = conlab_core::run_checks(trace, &params, scenario.checks_on(trace.runtime));
    // Checks that apply however the run ended, after the others (as the runtime adds them).
    if let (Some(always), false) = (scenario.always, computed.is_empty()) {
        let mut c = conlab_core::Checks::new(trace, &params);
        always(&mut c);
        computed.extend(c.finish());
    }
    let mut differences = differences(&trace.checks, &computed);
    let mut metrics = conlab_core::compute_metrics(&trace.spans, trace.end, trace.cores);
    metrics.extra = trace.metrics.extra.clone();
    match (&mut metrics.latency, trace.metrics.latency) {
        // What the scenario measured itself cannot be computed from the spans again.
        (computed, Some(file)) if file.measured => *computed = Some(file),
        // Files written before p99.9 was recorded.
        (Some(computed), Some(file)) if file.p999 == 0 => computed.p999 = 0,
        _ => {}
    }
    if metrics != trace.metrics {
        differences.push(format!(
            "metrics: the file says makespan {}, speedup {:.2}x, peak concurrency {}; computed from its spans: makespan {}, speedup {:.2}x, peak concurrency {}",
            conlab_core::ms(trace.metrics.makespan),
            trace.metrics.speedup,
            trace.metrics.peak_concurrency,
            conlab_core::ms(metrics.makespan),
            metrics.speedup,
            metrics.peak_concurrency
        ));
    }
    Ok(Recheck {
        checks: computed,
        metrics,
        differences,
    })
}

fn verdict(c: &CheckResult) -> &'static str {
    match c.verdict() {
        Verdict::Passed => "passed",
        Verdict::Failed => "failed",
        Verdict::NotJudged => "not judged",
    }
}

/// What differs between the recorded and the computed checks.
fn differences(recorded: &[CheckResult], computed: &[CheckResult]) -> Vec<String> {
    let mut out = Vec::new();
    for c in computed {
        match recorded.iter().find(|r| r.id == c.id) {
            None => out.push(format!(
                "{}: not in the file; computed: {}",
                c.id,
                verdict(c)
            )),
            Some(r) if r.verdict() != c.verdict() || r.passed != c.passed => out.push(format!(
                "{}: the file says {}, computed: {}",
                c.id,
                verdict(r),
                verdict(c)
            )),
            Some(_) => {}
        }
    }
    for r in recorded {
        if !computed.iter().any(|c| c.id == r.id) {
            out.push(format!(
                "{}: in the file ({}), but not a check of this scenario",
                r.id,
                verdict(r)
            ));
        }
    }
    out
}
