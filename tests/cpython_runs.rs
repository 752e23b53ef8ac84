//! The CPython lane: every lesson with a Python program, run under CPython by conlab's tracer
//! (the Python that `scripts/setup-python.sh` sets up), at its defaults and at drawn values,
//! judged by the scenario's own checks; and the tracer's own tests.

use conlab_core::{catalog, LaneKind, Params, RuntimeKind, Trace};
use conlab_scenarios::cpython;
use conlab_tests::draw::{draw, Budget, Rng};
use std::path::Path;

/// What a run says when it did not pass: its status and each check that failed.
fn failures_of(trace: &Trace) -> String {
    let failed: Vec<String> = trace
        .checks
        .iter()
        .filter(|c| c.verdict() == conlab_core::Verdict::Failed)
        .map(|c| format!("{}: {}", c.id, c.detail))
        .collect();
    format!(
        "status {}; failed: {}",
        trace.status.label(),
        failed.join("; ")
    )
}

#[test]
fn every_python_lesson_passes_its_checks_at_its_defaults_and_at_drawn_values() {
    cpython::find_python().expect("a Python for the lessons (scripts/setup-python.sh)");
    let seed = conlab_tests::drawn::seed();
    println!("drawn with seed {seed} (CONLAB_FUZZ_SEED={seed} draws them again)");
    let mut rng = Rng::new(seed);
    let mut failures = Vec::new();
    let mut ran = 0;
    for id in cpython::programs() {
        let info = catalog::lookup(id).unwrap();
        for n in 0..3 {
            let assignments = if n == 0 {
                Vec::new()
            } else {
                draw(info, &mut rng, Budget::CI)
            };
            let params = Params::from_assignments(
                info.id,
                info.params,
                assignments.iter().map(String::as_str),
            )
            .unwrap();
            // As the other drawn runs: a draw longer than the budget's run is not made.
            let expected = conlab_scenarios::find(id)
                .unwrap()
                .expected_on(RuntimeKind::Tokio, &params);
            if expected > Budget::CI.run {
                continue;
            }
            let limit = cpython::time_limit(id, &params, None).unwrap();
            let trace = cpython::run(id, &params, limit).unwrap_or_else(|e| panic!("{id}: {e}"));
            ran += 1;
            let command = format!(
                "conlab run {id} --runtime cpython{}",
                assignments
                    .iter()
                    .map(|a| format!(" -p {a}"))
                    .collect::<String>()
            );
            // What any CPython trace holds, whatever its checks say.
            assert_eq!(trace.runtime, RuntimeKind::Cpython, "{command}");
            let python = trace.interpreter.as_ref().expect("which Python ran it");
            assert!(python.version.starts_with("3."), "{command}: {python:?}");
            assert!(
                trace.lanes.iter().any(|l| l.kind == LaneKind::Main),
                "{command}: no main lane"
            );
            assert!(
                trace.sites.iter().all(|s| s.file.starts_with("python/")),
                "{command}: lines of code outside python/: {:?}",
                trace.sites
            );
            trace
                .validate()
                .unwrap_or_else(|e| panic!("{command}: the trace is not valid: {e}"));
            if !trace.passed() {
                failures.push(format!("{command}: {}", failures_of(&trace)));
            }
        }
    }
    assert!(ran >= 80, "only {ran} runs");
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn a_lesson_without_a_python_program_is_refused_naming_those_with_one() {
    let info = catalog::lookup("redis-pool").unwrap();
    let params = Params::from_assignments(info.id, info.params, std::iter::empty()).unwrap();
    let refusal = cpython::time_limit(info.id, &params, None)
        .expect_err("redis-pool has no Python program yet")
        .to_string();
    assert!(
        refusal.contains("no Python program") && refusal.contains("gather-vs-wait"),
        "{refusal}"
    );
}

#[test]
fn the_tracers_own_tests_pass() {
    let python = cpython::find_python().expect("a Python (scripts/setup-python.sh)");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = std::process::Command::new(&python.program)
        .args(["-m", "unittest", "discover", "-s", "python/tests"])
        .current_dir(&root)
        .env("PYTHONPATH", root.join("python"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("Python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
