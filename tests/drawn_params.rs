//! The catalog's promise, kept true by a property test: every runnable scenario, on every
//! runtime outside the browser that it supports, with random valid parameters drawn from its
//! catalog entry, passes every check — or is refused up front with a message.
//!
//! CI runs one draw per scenario and runtime with small values; `just fuzz` runs many more
//! with larger ones. Environment: `CONLAB_FUZZ_RUNS` (draws per scenario and runtime),
//! `CONLAB_FUZZ_SEED` (replays a run of draws), `CONLAB_FUZZ_BUDGET=fuzz` (larger values),
//! `CONLAB_FUZZ_ONLY=id,id` (only these scenarios). Every failure is printed with the
//! `conlab run` command that replays it.

use conlab_scenarios::RuntimeChoice;
use conlab_tests::draw::{draw, Budget, Rng};
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

#[test]
fn drawn_parameters_pass_every_check_or_are_refused_up_front() {
    conlab_tests::use_test_worker();
    let runs: usize = env("CONLAB_FUZZ_RUNS").unwrap_or(1);
    let seed: u64 = env("CONLAB_FUZZ_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    let budget = match std::env::var("CONLAB_FUZZ_BUDGET").as_deref() {
        Ok("fuzz") => Budget::FUZZ,
        _ => Budget::CI,
    };
    let only: Vec<String> = std::env::var("CONLAB_FUZZ_ONLY")
        .map(|s| s.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    println!("drawn parameters: seed {seed} (CONLAB_FUZZ_SEED={seed} replays), {runs} draw(s) per scenario and runtime, {budget:?}");
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
                                    .filter(|c| !c.passed)
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
        "drawn parameters: {ran} runs checked, {refused} refused up front, {skipped} skipped, {beyond_budget} estimated beyond the budget, {} failed, in {:.0} s",
        failures.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} of {} drawn runs failed (seed {seed}):\n{}",
        failures.len(),
        ran,
        failures.join("\n")
    );
}
