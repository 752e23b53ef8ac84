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
