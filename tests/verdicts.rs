//! What a verdict promises at the catalog's defaults, on every scenario and runtime outside the
//! browser: every check is judged (not judged is for parameters where an effect cannot be
//! measured, never an escape at the defaults), and every phase a run marks is read by some
//! check (a phase nobody judges could go wrong unseen).
//!
//! One test, run on its own: the verdicts of parallel speed-up need the machine's cores.

use conlab_core::{Params, Verdict};
use conlab_tests::{promises, runtimes_of};

#[test]
fn at_the_defaults_every_check_is_judged_and_every_phase_is_read_by_a_check() {
    conlab_tests::use_test_worker();
    let mut problems = Vec::new();
    for row in conlab_scenarios::registry::all() {
        let info = row.info();
        for runtime in runtimes_of(row) {
            let params = Params::defaults(info.params);
            let limit = conlab_scenarios::time_limit(info.id, runtime, &params, None)
                .unwrap_or_else(|e| panic!("{}: its defaults are refused: {e}", info.id));
            let trace = conlab_scenarios::run(info.id, runtime, &params, limit)
                .unwrap_or_else(|e| panic!("{}: {e}", info.id));
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
                problems.push(format!(
                    "{place}: {} is not judged at the defaults: {}",
                    c.id, c.detail
                ));
            }
            let read = promises(&trace).phases_read;
            for phase in trace.phase_names() {
                if !read.iter().any(|p| p == phase) {
                    problems.push(format!(
                        "{place}: the run marks phase `{phase}`, which no check reads"
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
