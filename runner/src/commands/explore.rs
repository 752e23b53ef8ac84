//! `conlab explore`: search a thread scenario's interleavings for one that breaks a property.

use crate::cli::{ExploreArgs, StrategyArg};
use crate::Failure;
use anyhow::anyhow;
use conlab_core::{catalog, thousands, Params};
use conlab_sched::search::Method;
use std::io::IsTerminal;

pub fn run(mut args: ExploreArgs) -> Result<(), Failure> {
    let info = catalog::lookup(&args.id).map_err(|e| Failure::Usage(anyhow!(e)))?;
    conlab_scenarios::scheduled::search_assignments(info, &mut args.params);
    let params =
        Params::from_assignments(info.id, info.params, args.params.iter().map(String::as_str))
            .map_err(|e| Failure::Usage(anyhow!(e)))?;
    let Some(scenario) = conlab_scenarios::find(info.id).filter(|s| s.scheduled.is_some()) else {
        return Err(Failure::Usage(anyhow!(
            "`{}` does not run on the deterministic scheduler yet; these do: {}",
            info.id,
            conlab_scenarios::registry::all()
                .iter()
                .filter(|s| s.scheduled.is_some())
                .map(|s| s.id)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let method = match args.strategy {
        StrategyArg::Random => Method::Random,
        StrategyArg::Pct => Method::Pct(args.depth),
        StrategyArg::Dfs => Method::Dfs(args.preemptions),
    };
    let strategy = match method {
        Method::Random => format!("random schedules from seed {}", args.seed),
        Method::Pct(d) => format!("PCT of depth {d} from seed {}", args.seed),
        Method::Dfs(None) => "every interleaving, depth first".to_string(),
        Method::Dfs(Some(k)) => format!(
            "every interleaving with at most {}",
            conlab_core::count_of(k as usize, "preemption", "preemptions")
        ),
    };
    let assignments: Vec<String> = args.params.iter().map(|a| format!("-p {a}")).collect();
    println!(
        "{}{}: searching {strategy}, at most {} per property",
        info.id,
        if assignments.is_empty() {
            String::new()
        } else {
            format!(" {}", args.params.join(" "))
        },
        thousands(args.budget)
    );
    let terminal = std::io::stderr().is_terminal();
    let mut progress = |property: &str, n: u64| {
        if terminal {
            eprint!("\r\x1b[2K  {property}: {} schedules…", thousands(n));
        }
    };
    let results = conlab_scenarios::scheduled::explore(
        scenario,
        &params,
        method,
        args.seed,
        args.budget,
        &mut progress,
    )
    .map_err(|e| Failure::Usage(anyhow!(e)))?;
    if terminal {
        eprint!("\r\x1b[2K");
    }
    if results.is_empty() {
        println!(
            "  `{}` has nothing an interleaving could break: every order of its threads teaches \
             the same (its checks judge each run: conlab run {} --runtime virtual)",
            info.id, info.id
        );
    }
    for r in results {
        match r.broken {
            Some((schedule, reason, preemptions)) => {
                println!(
                    "  {}: BROKEN after {} — {reason}",
                    r.name,
                    many(r.tried, "schedule", "schedules")
                );
                println!(
                    "    shortest found: {}; replay it step by step:",
                    conlab_core::count_of(preemptions as usize, "preemption", "preemptions")
                );
                println!(
                    "    conlab run {} --runtime virtual {} --schedule '{schedule}'",
                    info.id,
                    assignments.join(" ")
                );
            }
            None if r.exhaustive && r.tried == 1 => println!(
                "  {}: holds — the run has a single interleaving, and it does not break it",
                r.name
            ),
            None if r.exhaustive => println!(
                "  {}: holds — all {} explored, none breaks it",
                r.name,
                many(r.tried, "interleaving", "interleavings")
            ),
            None => println!(
                "  {}: holds — none of {} broke it (not every interleaving was tried)",
                r.name,
                many(r.tried, "schedule", "schedules")
            ),
        }
    }
    Ok(())
}

/// `1 schedule`, `12,000 schedules`.
fn many(n: u64, one: &str, more: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { more })
}
