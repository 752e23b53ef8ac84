//! Helpers shared by the workspace tests.

pub mod draw;
pub mod drawn;
pub mod faults;
pub mod hog;

use conlab_core::{catalog, Params, Trace};
use conlab_scenarios::RuntimeChoice;
use std::time::Duration;

/// The scenarios with async code for every runtime, from the registry.
pub fn generic_ids() -> Vec<&'static str> {
    conlab_scenarios::registry::all()
        .iter()
        .filter(|s| s.generic.is_some())
        .map(|s| s.id)
        .collect()
}

/// The thread and process scenarios (written on the thread seam), from the registry.
pub fn thread_ids() -> Vec<&'static str> {
    conlab_scenarios::registry::all()
        .iter()
        .filter(|s| matches!(s.native, conlab_scenarios::registry::Native::Seam(_)))
        .map(|s| s.id)
        .collect()
}

/// Makes process scenarios start `conlab-test-worker` (built beside the test binaries) as
/// their children: a test harness cannot be a worker itself. Every helper that runs a
/// scenario calls it; a test that calls the registry directly calls it first.
pub fn use_test_worker() {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    // target/<profile>/deps/<test> → target/<profile>/conlab-test-worker
    let worker = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|dir| dir.join("conlab-test-worker"))
        .expect("the test binary sits in target/<profile>/deps");
    assert!(
        worker.exists(),
        "{} is missing: cargo builds it for this package's tests",
        worker.display()
    );
    conlab_processes::set_worker_exe(worker.clone());
    conlab_servers::keeper::set_keeper_exe(worker);
}

/// Generous limit for one run in tests.
pub const LIMIT: Duration = Duration::from_secs(60);

/// Runs `id` with `params` (name=value) on `runtime`, panicking with the reason if it cannot run.
#[track_caller]
pub fn run(id: &str, runtime: RuntimeChoice, params: &[&str]) -> Trace {
    let info = catalog::find(id).unwrap_or_else(|| panic!("{id} is not in the catalog"));
    let params = Params::from_assignments(id, info.params, params.iter().copied())
        .unwrap_or_else(|e| panic!("{id}: {e}"));
    use_test_worker();
    conlab_scenarios::run(id, runtime, &params, LIMIT).unwrap_or_else(|e| panic!("{id}: {e}"))
}

/// Asserts that a run completed and every check passed, showing the failures otherwise.
#[track_caller]
/// Whether `text` holds what only a Rust programmer reads: `Some(…)`, a bare `None`, `Ok(…)`.
pub fn shows_rust_debug_text(text: &str) -> bool {
    ["Some(", "Ok(", "Err("].iter().any(|t| text.contains(t))
        || text
            .split(|c: char| !c.is_alphanumeric())
            .any(|word| word == "None")
}

/// Asserts that a run completed and every check passed, showing the failures otherwise.
pub fn assert_passed(trace: &Trace) {
    let failed: Vec<String> = trace
        .checks
        .iter()
        .filter(|c| c.verdict() == conlab_core::Verdict::Failed)
        .map(|c| format!("{}: {} ({})", c.id, c.description, c.detail))
        .collect();
    assert!(
        trace.passed(),
        "{} on {} with {:?}: status {:?}, failed checks: {failed:#?}\noutput: {:?}",
        trace.scenario,
        trace.runtime.as_str(),
        trace.params,
        trace.status,
        trace.output_texts()
    );
    assert!(
        trace.checks.len() >= 2,
        "{} has no checks of its own",
        trace.scenario
    );
    trace.validate().unwrap_or_else(|e| {
        panic!(
            "{}: the trace it recorded is not valid: {e}",
            trace.scenario
        )
    });
    for c in &trace.checks {
        assert!(
            !shows_rust_debug_text(&c.detail),
            "{}: check {} shows Rust debug text to a person: {}",
            trace.scenario,
            c.id,
            c.detail
        );
    }
    let recheck = conlab_scenarios::recheck(trace).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        recheck.differences.is_empty(),
        "{}: checking the trace again gives another verdict: {:?}",
        trace.scenario,
        recheck.differences
    );
}

/// Re-runs a scenario's checks against a (possibly modified) trace.
pub fn recheck(trace: &Trace) -> Vec<conlab_core::CheckResult> {
    conlab_scenarios::recheck(trace)
        .unwrap_or_else(|e| panic!("{}: {e}", trace.scenario))
        .checks
}

/// The ids of the failed checks.
pub fn failed_ids(results: &[conlab_core::CheckResult]) -> Vec<String> {
    results
        .iter()
        .filter(|c| c.verdict() == conlab_core::Verdict::Failed)
        .map(|c| c.id.clone())
        .collect()
}

/// What a trace's checks promise beyond their results: the wrong behaviours each guards
/// against and the phases they read (computed again with its scenario's checks).
/// Whether `check` was not judged because other programs had the cores its effect needs (a
/// busy machine, measured by the run), rather than for anything in the parameters.
pub fn not_judged_for_want_of_cores(trace: &Trace, check: &str) -> bool {
    trace.checks.iter().any(|c| {
        c.id == check
            && c.verdict() == conlab_core::Verdict::NotJudged
            && c.detail.contains("other programs used the rest")
    })
}

pub fn promises(trace: &Trace) -> conlab_core::Promises {
    let info = catalog::find(&trace.scenario).expect("a scenario of the catalog");
    let assignments: Vec<String> = trace
        .params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let params =
        Params::from_assignments(info.id, info.params, assignments.iter().map(String::as_str))
            .expect("a trace's own parameters are valid");
    let row = conlab_scenarios::find(info.id).expect("a runnable scenario");
    conlab_core::run_checks_with_promises(trace, &params, row.checks_on(trace.runtime)).1
}

/// Every runtime outside the browser `row` runs on, as the CLI names them.
pub fn runtimes_of(row: &conlab_scenarios::Scenario) -> Vec<RuntimeChoice> {
    let mut runtimes = vec![RuntimeChoice::Tokio];
    if (row.generic.is_some() || row.scheduled.is_some()) && row.info().platforms.virtual_time {
        runtimes.push(RuntimeChoice::Virtual);
    }
    runtimes
}

/// Held by tests that must not share the CPU with each other (runs whose checks measure
/// parallel speed-up): tests in one binary otherwise run in parallel.
pub fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
