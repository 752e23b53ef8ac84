//! The drawn-parameters property test, shared by its idle run (`tests/drawn_params.rs`) and its
//! run beside CPU hogs (`tests/drawn_params_busy.rs`): every runnable scenario, on every
//! runtime outside the browser that it supports, with random valid parameters drawn from its
//! catalog entry, passes every check (a check that cannot measure its effect says it is not
//! judged, with why) — or is refused up front with a message.
//!
//! Environment: `CONLAB_FUZZ_RUNS` (draws per scenario and runtime), `CONLAB_FUZZ_SEED`
//! (replays a run of draws), `CONLAB_FUZZ_BUDGET=fuzz` (larger values), `CONLAB_FUZZ_ONLY=id,id`
//! (only these scenarios). Every failure is printed with the `conlab run` command that
//! replays it.

use crate::draw::{draw, Budget, Rng};
use conlab_scenarios::RuntimeChoice;
use std::time::{Duration, Instant};

fn runtime_kind(runtime: RuntimeChoice) -> conlab_core::RuntimeKind {
    match runtime {
        RuntimeChoice::Virtual => conlab_core::RuntimeKind::Virtual,
        RuntimeChoice::Tokio => conlab_core::RuntimeKind::Tokio,
    }
}

fn env<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok()?.parse().ok()
}

/// The seed of this run's draws: `CONLAB_FUZZ_SEED`, or the clock.
pub fn seed() -> u64 {
    env("CONLAB_FUZZ_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    })
}

/// Draws `draws` parameter sets (or `CONLAB_FUZZ_RUNS`) for every scenario and runtime and
/// runs them; panics listing every run that failed (a check failed, or the run did), with the
/// command that replays it. `label` says which pass this is in what it prints.
pub fn check_drawn_parameters(label: &str, seed: u64, draws: usize) {
    crate::use_test_worker();
    let runs: usize = env("CONLAB_FUZZ_RUNS").unwrap_or(draws);
    let budget = match std::env::var("CONLAB_FUZZ_BUDGET").as_deref() {
        Ok("fuzz") => Budget::FUZZ,
        _ => Budget::CI,
    };
    let only: Vec<String> = std::env::var("CONLAB_FUZZ_ONLY")
        .map(|s| s.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    println!("drawn parameters ({label}): seed {seed} (CONLAB_FUZZ_SEED={seed} replays), {runs} draw(s) per scenario and runtime, {budget:?}");
    let mut rng = Rng::new(seed);
    let (mut ran, mut refused, mut skipped, mut beyond_budget) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    let started = Instant::now();
    for _ in 0..runs {
        for row in conlab_scenarios::registry::all() {
            if !only.is_empty() && !only.iter().any(|o| o == row.id) {
                continue;
            }
            let info = row.info();
            let mut runtimes = vec![RuntimeChoice::Tokio];
            if row.generic.is_some() && info.platforms.virtual_time {
                runtimes.push(RuntimeChoice::Virtual);
            }
            for runtime in runtimes {
                let assignments = draw(info, &mut rng, budget);
                let runtime_arg = match runtime {
                    RuntimeChoice::Virtual => "virtual",
                    RuntimeChoice::Tokio => "tokio",
                };
                let command = format!(
                    "conlab run {} --runtime {runtime_arg} -p {}",
                    info.id,
                    assignments.join(" -p ")
                );
                let params = match conlab_core::Params::from_assignments(
                    info.id,
                    info.params,
                    assignments.iter().map(String::as_str),
                ) {
                    Ok(p) => p,
                    Err(e) => {
                        // Refused up front: fine, if it says why.
                        assert!(
                            !e.to_string().is_empty(),
                            "{command}: a refusal without words"
                        );
                        refused += 1;
                        continue;
                    }
                };
                // The limit a user running this command gets; a run whose estimate does not
                // fit in it is refused up front.
                let limit = match conlab_scenarios::time_limit(info.id, runtime, &params, None) {
                    Ok(limit) => limit,
                    Err(e) => {
                        assert!(
                            e.to_string().contains("takes about"),
                            "{command}: refused without its estimate: {e}"
                        );
                        refused += 1;
                        continue;
                    }
                };
                let expected = row.expected_on(runtime_kind(runtime), &params);
                if runtime == RuntimeChoice::Tokio && expected > budget.run {
                    beyond_budget += 1;
                    continue;
                }
                let t0 = Instant::now();
                match conlab_scenarios::run(info.id, runtime, &params, limit) {
                    Err(e) => {
                        assert!(
                            !e.to_string().is_empty(),
                            "{command}: a refusal without words"
                        );
                        refused += 1;
                    }
                    Ok(trace) if matches!(trace.status, conlab_core::Status::Skipped { .. }) => {
                        skipped += 1;
                    }
                    Ok(trace) => {
                        ran += 1;
                        let took = t0.elapsed();
                        if !trace.passed() {
                            failures.push(format!(
                                "{command}\n    status {}: {}; failed checks: {}\n    {}",
                                trace.status.label(),
                                match &trace.status {
                                    conlab_core::Status::Failed { reason } => reason.clone(),
                                    _ => String::new(),
                                },
                                trace.failed_checks().join(", "),
                                trace
                                    .checks
                                    .iter()
                                    .filter(|c| c.verdict() == conlab_core::Verdict::Failed)
                                    .map(|c| format!("{}: {}", c.id, c.detail))
                                    .collect::<Vec<_>>()
                                    .join("; ")
                            ));
                        } else if runtime == RuntimeChoice::Tokio
                            && expected > took * 4 + Duration::from_secs(2)
                        {
                            // An estimate far above the run refuses runs that would fit.
                            failures.push(format!(
                                "{command}\n    took {took:?}, but its estimate is {expected:?}"
                            ));
                        } else if took > Duration::from_secs(20) {
                            println!("slow ({} s): {command}", took.as_secs());
                        }
                    }
                }
            }
        }
    }
    println!(
        "drawn parameters ({label}): {ran} runs checked, {refused} refused up front, {skipped} skipped, {beyond_budget} estimated beyond the budget, {} failed, in {:.0} s",
        failures.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} of {} drawn runs failed ({label}, seed {seed}):\n{}",
        failures.len(),
        ran,
        failures.join("\n")
    );
}
