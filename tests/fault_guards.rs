//! Every concurrency check lists the wrong behaviours it guards against
//! (`Checks::check(..).guards(..)`, as a run without faults declares them for its parameters);
//! the toolkits and runtimes produce each of them on purpose here (`conlab_core::faults`) and
//! the check must catch it: at the catalog's defaults it fails, and at drawn parameters it
//! fails or says why it cannot judge — never passes. A run that fails or times out as a whole
//! under the fault is never shown as passed either.
//!
//! One test: the fault is switched on for the whole process. Environment as for the
//! drawn-parameters test: `CONLAB_FUZZ_SEED`, `CONLAB_FUZZ_RUNS` (draws per guarded check).

use conlab_core::{faults, Fault, Params, Trace, Verdict};
use conlab_scenarios::RuntimeChoice;
use conlab_tests::draw::{draw, Budget, Rng};
use conlab_tests::{promises, runtimes_of};
use std::time::Duration;

/// Switches a fault on, and off again however the test ends.
struct On;

impl On {
    fn fault(f: Fault) -> On {
        faults::set(Some(f));
        On
    }
}

impl Drop for On {
    fn drop(&mut self) {
        faults::set(None);
    }
}

/// Which runtimes a fault can be produced on: the thread and process toolkits' faults only
/// natively; tasks awaited one by one wherever conlab's own spawn runs.
fn runtimes_for(fault: Fault, row: &conlab_scenarios::Scenario) -> Vec<RuntimeChoice> {
    runtimes_of(row)
        .into_iter()
        .filter(|r| {
            fault == Fault::SerialTasks
                || *r == RuntimeChoice::Tokio
                || (matches!(fault, Fault::LockNotExclusive | Fault::GilNeverHandedOver)
                    && row.scheduled.is_some())
        })
        .collect()
}

/// Runs `id` with `assignments` under the limit a user would get (longer under a fault that
/// serializes work: the run may then time out, which fails it).
fn run(id: &str, runtime: RuntimeChoice, assignments: &[String]) -> Option<Trace> {
    let info = conlab_core::catalog::find(id)?;
    let params =
        Params::from_assignments(id, info.params, assignments.iter().map(String::as_str)).ok()?;
    let limit = conlab_scenarios::time_limit(id, runtime, &params, None).ok()?;
    let limit = limit.min(Duration::from_secs(30));
    let trace = conlab_scenarios::run(id, runtime, &params, limit).ok()?;
    (!matches!(trace.status, conlab_core::Status::Skipped { .. })).then_some(trace)
}

/// What check `id` concluded in `trace`: its verdict, or `None` when the run as a whole
/// failed before the check could judge it.
fn verdict_of(trace: &Trace, id: &str) -> Option<Verdict> {
    trace
        .checks
        .iter()
        .find(|c| c.id == id)
        .map(|c| c.verdict())
}

#[test]
fn every_guarded_check_catches_the_wrong_behaviours_it_names() {
    conlab_tests::use_test_worker();
    let seed = conlab_tests::drawn::seed();
    let draws: usize = std::env::var("CONLAB_FUZZ_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    println!("fault guards: seed {seed} (CONLAB_FUZZ_SEED={seed} replays)");
    let mut rng = Rng::new(seed);
    let mut problems = Vec::new();
    let mut caught = 0;
    let mut unmeasured = Vec::new();
    let mut faults_seen = std::collections::BTreeSet::new();
    for row in conlab_scenarios::registry::all() {
        let info = row.info();
        let mut sets = vec![(Vec::new(), true)];
        for _ in 0..draws {
            sets.push((draw(info, &mut rng, Budget::CI), false));
        }
        for (assignments, at_defaults) in sets {
            // What the checks guard against with these parameters, from a run without faults.
            let Some(plain) = run(info.id, RuntimeChoice::Tokio, &assignments) else {
                continue;
            };
            let mut by_fault: Vec<(Fault, Vec<String>)> = Vec::new();
            for (check, fault) in promises(&plain).guards {
                faults_seen.insert(fault.name());
                match by_fault.iter_mut().find(|(f, _)| *f == fault) {
                    Some((_, checks)) => checks.push(check),
                    None => by_fault.push((fault, vec![check])),
                }
            }
            for (fault, checks) in by_fault {
                let _on = On::fault(fault);
                for runtime in runtimes_for(fault, row) {
                    let command = format!(
                        "{} on {runtime:?} under {} with {}",
                        info.id,
                        fault.name(),
                        if at_defaults {
                            "its defaults".to_string()
                        } else {
                            assignments.join(" ")
                        }
                    );
                    let Some(mut trace) = run(info.id, runtime, &assignments) else {
                        continue;
                    };
                    // A check that could not judge because other programs had the cores is
                    // asked again, up to three times; a machine that stays that busy leaves
                    // it honestly not judged, which is no wrong pass.
                    let busy = |t: &conlab_core::Trace| {
                        checks
                            .iter()
                            .any(|c| conlab_tests::not_judged_for_want_of_cores(t, c))
                    };
                    for _ in 0..2 {
                        if !busy(&trace) {
                            break;
                        }
                        std::thread::sleep(std::time::Duration::from_secs(1));
                        match run(info.id, runtime, &assignments) {
                            Some(again) => trace = again,
                            None => break,
                        }
                    }
                    for check in &checks {
                        if conlab_tests::not_judged_for_want_of_cores(&trace, check) {
                            unmeasured.push(format!("{command}: {check}"));
                            continue;
                        }
                        match (verdict_of(&trace, check), at_defaults) {
                            (Some(Verdict::Failed), _) => caught += 1,
                            (Some(Verdict::NotJudged), false) => {}
                            // The run failed as a whole before judging: shown as failed.
                            (None, _) if trace.outcome() == conlab_core::Outcome::Failed => {
                                caught += 1
                            }
                            (v, _) => problems.push(format!(
                                "{command}: {check} {}",
                                match v {
                                    Some(Verdict::Passed) => "passed".to_string(),
                                    Some(Verdict::NotJudged) => format!(
                                        "was not judged at the defaults: {}",
                                        trace
                                            .checks
                                            .iter()
                                            .find(|c| &c.id == check)
                                            .map_or("", |c| c.detail.as_str())
                                    ),
                                    _ => format!("is missing (status {})", trace.status.label()),
                                }
                            )),
                        }
                    }
                }
            }
        }
    }
    println!(
        "fault guards: {caught} wrong behaviours caught; faults named by checks: {faults_seen:?}"
    );
    if !unmeasured.is_empty() {
        println!(
            "fault guards: not judged three times for want of cores (a busy machine): {}",
            unmeasured.join("; ")
        );
    }
    // (That every fault is guarded against by some check is `tests/verdicts.rs`'s: on a busy
    // machine a check may rightly not judge, and then names no fault.)
    assert!(problems.is_empty(), "seed {seed}:\n{}", problems.join("\n"));
}
