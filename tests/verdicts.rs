//! What a verdict promises at the catalog's defaults, on every scenario and runtime outside the
//! browser: every check is judged (not judged is for parameters where an effect cannot be
//! measured, never an escape at the defaults), every phase a run marks is read by some check
//! (a phase nobody judges could go wrong unseen), and every wrong behaviour the toolkits can
//! produce is guarded against by some check (`tests/fault_guards.rs` holds them to it).
//!
//! One test, run on its own: the verdicts of parallel speed-up need the machine's cores (a
//! run whose check could not judge for want of cores, another program having taken them, is
//! run again, up to three times; a machine that stays that busy leaves it honestly not judged,
//! and the test says so).

use conlab_core::{Fault, Params, Verdict};
use conlab_tests::{promises, runtimes_of};

#[test]
fn at_the_defaults_every_check_is_judged_and_every_phase_is_read_by_a_check() {
    conlab_tests::use_test_worker();
    let mut problems = Vec::new();
    let mut guarded = Vec::new();
    let mut unmeasured = Vec::new();
    for row in conlab_scenarios::registry::all() {
        let info = row.info();
        for runtime in runtimes_of(row) {
            let params = Params::defaults(info.params);
            let limit = conlab_scenarios::time_limit(info.id, runtime, &params, None)
                .unwrap_or_else(|e| panic!("{}: its defaults are refused: {e}", info.id));
            let busy = |t: &conlab_core::Trace| {
                t.checks
                    .iter()
                    .any(|c| conlab_tests::not_judged_for_want_of_cores(t, &c.id))
            };
            let mut trace = conlab_scenarios::run(info.id, runtime, &params, limit)
                .unwrap_or_else(|e| panic!("{}: {e}", info.id));
            for _ in 0..2 {
                if !busy(&trace) {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_secs(1));
                trace = conlab_scenarios::run(info.id, runtime, &params, limit)
                    .unwrap_or_else(|e| panic!("{}: {e}", info.id));
            }
            if matches!(trace.status, conlab_core::Status::Skipped { .. }) {
                // A server it needs is missing here: the server tests say so.
                continue;
            }
            let place = format!("{} on {}", info.id, trace.runtime.as_str());
            if !trace.passed() {
                problems.push(format!(
                    "{place}: did not pass at its defaults: {} {:?}",
                    trace.status.label(),
                    trace.failed_checks()
                ));
            }
            for c in trace
                .checks
                .iter()
                .filter(|c| c.verdict() == Verdict::NotJudged)
            {
                // Three runs in a row without the cores its effect needs, measured by the
                // run: a machine that busy leaves it honestly not judged.
                if conlab_tests::not_judged_for_want_of_cores(&trace, &c.id) {
                    unmeasured.push(format!("{place}: {}", c.id));
                    continue;
                }
                problems.push(format!(
                    "{place}: {} is not judged at the defaults: {}",
                    c.id, c.detail
                ));
            }
            let promised = promises(&trace);
            guarded.extend(promised.guards.iter().map(|(_, f)| *f));
            let read = promised.phases_read;
            for phase in trace.phase_names() {
                if !read.iter().any(|p| p == phase) {
                    problems.push(format!(
                        "{place}: the run marks phase `{phase}`, which no check reads"
                    ));
                }
            }
        }
    }
    if !unmeasured.is_empty() {
        println!(
            "not judged three times for want of cores (a busy machine): {}",
            unmeasured.join("; ")
        );
    }
    for fault in Fault::ALL {
        // A check that could not judge names no fault it guards against.
        if !guarded.contains(&fault) && unmeasured.is_empty() {
            problems.push(format!("no check guards against {}", fault.describe()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// In the page, at the defaults, every check of a scenario the page runs is judged too: the
/// page's wider tolerance (a Worker's timers, a busy tab) must still tell the lesson's effect
/// from the wrong behaviour it guards against. Judged on the exact virtual-time run, as if the
/// page had recorded it: whether a check can judge depends on the times it predicts, not on
/// the ones measured.
#[test]
fn at_the_defaults_the_page_s_tolerance_still_judges_every_check() {
    let mut problems = Vec::new();
    for row in conlab_scenarios::registry::all()
        .iter()
        .filter(|r| r.info().platforms.browser && r.generic.is_some())
    {
        let info = row.info();
        let params = Params::defaults(info.params);
        let mut trace = conlab_scenarios::run(
            info.id,
            conlab_scenarios::RuntimeChoice::Virtual,
            &params,
            std::time::Duration::from_secs(60),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", info.id));
        trace.runtime = conlab_core::RuntimeKind::Browser;
        let checks = conlab_core::run_checks(
            &trace,
            &params,
            row.checks_on(conlab_core::RuntimeKind::Browser),
        );
        assert!(!checks.is_empty(), "{}: no checks", info.id);
        for c in checks.iter().filter(|c| c.verdict() != Verdict::Passed) {
            problems.push(format!(
                "{}: {} is {} with the page's tolerance: {}",
                info.id,
                c.id,
                c.verdict().as_str(),
                c.detail
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
