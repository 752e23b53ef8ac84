//! The CPython lane's tolerances on a busy machine: every lesson with a Python program (those
//! against Redis and MySQL aside) at its defaults, beside CPU hogs that come and go (two
//! threads computing in bursts of 20–400 ms, as a browser and an editor beside conlab would).
//! Each run passes, or says of each check it cannot judge why; none fails.
//!
//! Its own test binary, so the hogs load only these runs.

use conlab_core::{catalog, Params, Verdict};
use conlab_scenarios::cpython;
use conlab_tests::hog::CpuHogs;

#[test]
fn python_lessons_beside_cpu_hogs_pass_or_are_not_judged_never_fail() {
    cpython::find_python().expect("a Python for the lessons (scripts/setup-python.sh)");
    let seed = conlab_tests::drawn::seed();
    let _hogs = CpuHogs::start(2, seed);
    let mut failures = Vec::new();
    let mut ran = 0;
    for id in cpython::programs().filter(|id| !conlab_scenarios::needs_databases(id)) {
        let info = catalog::lookup(id).unwrap();
        let params = Params::defaults(info.params);
        let limit = cpython::time_limit(id, &params, None).unwrap();
        let trace = cpython::run(id, &params, limit).unwrap_or_else(|e| panic!("{id}: {e}"));
        ran += 1;
        let failed: Vec<String> = trace
            .checks
            .iter()
            .filter(|c| c.verdict() == Verdict::Failed)
            .map(|c| format!("{}: {}", c.id, c.detail))
            .collect();
        let unjudged = trace
            .checks
            .iter()
            .filter(|c| c.verdict() == Verdict::NotJudged)
            .count();
        println!(
            "conlab run {id} --runtime cpython beside hogs: {}, {unjudged} not judged",
            trace.status.label()
        );
        if trace.outcome() != conlab_core::Outcome::Passed {
            failures.push(format!(
                "{id} (seed {seed}): {} {}",
                trace.status.label(),
                failed.join("; ")
            ));
        }
    }
    assert!(ran >= 40, "only {ran} lessons");
    assert!(
        failures.is_empty(),
        "{} failed beside CPU hogs:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
