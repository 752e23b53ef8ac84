//! Searching for a schedule that breaks an invariant: run a scenario under many schedules,
//! judge each run, and shrink a failure to the fewest preemptions before showing it.

use crate::rng::SplitMix64;
use crate::run::{End, RunLimits, RunReport, Scheduler};
use crate::strategy::{Dfs, Pct, Random, Replay, Strategy};

/// How to search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Uniformly random choices, each schedule drawn from the search's seed.
    Random,
    /// PCT of this depth.
    Pct(u32),
    /// Every execution, depth-first, with at most this many preemptions (`None`: all).
    Dfs(Option<u32>),
}

/// A search's settings.
#[derive(Clone, Copy, Debug)]
pub struct Search {
    /// The strategy.
    pub method: Method,
    /// The seed random and PCT searches draw from.
    pub seed: u64,
    /// At most this many schedules.
    pub budget: u64,
    /// Each run's limits (searches need not record steps).
    pub limits: RunLimits,
}

/// A run set up for the search: the threads are created on the scheduler, and the judge says
/// after the run why it broke the invariant, if it did.
pub type Judge = Box<dyn FnOnce(&RunReport) -> Option<String>>;

/// A failing schedule.
#[derive(Clone, Debug)]
pub struct Found {
    /// The seed its run was drawn from (0 for depth-first).
    pub seed: u64,
    /// Its choices.
    pub choices: Vec<u32>,
    /// Its preemptions.
    pub preemptions: u32,
    /// Why it fails.
    pub reason: String,
    /// Schedules run before it was found (this one included).
    pub tried: u64,
}

/// What a search found.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// A schedule that breaks the invariant.
    Found(Found),
    /// None in `tried` schedules; `exhaustive` when that was every one the method allows.
    NoneFound {
        /// Schedules run.
        tried: u64,
        /// Whether those were all there are (depth-first only).
        exhaustive: bool,
    },
}

/// Why a run fails, counting a deadlock, a step limit and a foreign await as failures.
fn judged(report: &RunReport, judge: Judge) -> Option<String> {
    match &report.end {
        End::Completed => judge(report),
        End::Deadlock(waits) => Some(format!(
            "deadlock: {}",
            waits
                .iter()
                .map(|(who, why)| format!("{who} {why}"))
                .collect::<Vec<_>>()
                .join("; ")
        )),
        End::StepLimit => Some("the run went on past its step limit".to_string()),
        End::Misfit(_) => None,
        End::Foreign(why) => Some(why.clone()),
    }
}

fn run_one(
    setup: &mut dyn FnMut(&Scheduler) -> Judge,
    limits: RunLimits,
    strategy: &mut dyn Strategy,
) -> (RunReport, Option<String>) {
    let s = Scheduler::new(limits);
    let judge = setup(&s);
    let report = s.run(strategy);
    let failed = judged(&report, judge);
    (report, failed)
}

/// Runs schedules until one breaks the invariant or the budget is spent; `progress` hears the
/// number of schedules run so far, every 256 and at the end.
pub fn explore(
    setup: &mut dyn FnMut(&Scheduler) -> Judge,
    search: Search,
    progress: &mut dyn FnMut(u64),
) -> Outcome {
    let mut seeds = SplitMix64::new(search.seed);
    let mut tried = 0;
    let mut dfs = match search.method {
        Method::Dfs(bound) => Some(Dfs::new(bound)),
        _ => None,
    };
    // PCT needs the length of a run: that of a first, non-preemptive one.
    let steps = match search.method {
        Method::Pct(_) => run_one(setup, search.limits, &mut Dfs::new(Some(0)))
            .0
            .steps
            .max(1),
        _ => 1,
    };
    while tried < search.budget {
        let seed = seeds.next_u64();
        let (report, failed) = match (&mut dfs, search.method) {
            (Some(dfs), _) => run_one(setup, search.limits, dfs),
            (None, Method::Pct(depth)) => {
                run_one(setup, search.limits, &mut Pct::new(seed, depth, steps))
            }
            (None, _) => run_one(setup, search.limits, &mut Random::new(seed)),
        };
        tried += 1;
        if tried % 256 == 0 {
            progress(tried);
        }
        if let Some(reason) = failed {
            progress(tried);
            return Outcome::Found(Found {
                seed: if dfs.is_some() { 0 } else { seed },
                choices: report.choices,
                preemptions: report.preemptions,
                reason,
                tried,
            });
        }
        if let Some(dfs) = &mut dfs {
            if !dfs.next_execution() {
                progress(tried);
                return Outcome::NoneFound {
                    tried,
                    exhaustive: true,
                };
            }
        }
    }
    progress(tried);
    Outcome::NoneFound {
        tried,
        exhaustive: false,
    }
}

/// The failure with the fewest preemptions, searched depth-first with bounds 0, 1, … below the
/// found one's, each within `budget` schedules; the found one if none with fewer turns up.
pub fn shrink(
    setup: &mut dyn FnMut(&Scheduler) -> Judge,
    found: Found,
    limits: RunLimits,
    budget: u64,
) -> Found {
    for bound in 0..found.preemptions {
        let search = Search {
            method: Method::Dfs(Some(bound)),
            seed: 0,
            budget,
            limits,
        };
        if let Outcome::Found(smaller) = explore(setup, search, &mut |_| {}) {
            return Found {
                tried: found.tried + smaller.tried,
                ..smaller
            };
        }
    }
    found
}

/// Runs one schedule again, recording every step.
pub fn replay(
    setup: &mut dyn FnMut(&Scheduler) -> Judge,
    choices: &[u32],
    limits: RunLimits,
) -> (RunReport, Option<String>) {
    let limits = RunLimits {
        record_steps: true,
        ..limits
    };
    let mut strategy = Replay::new(choices.to_vec());
    let (mut report, failed) = run_one(setup, limits, &mut strategy);
    if report.end == End::Completed && !strategy.used_all() {
        report.end = End::Misfit(report.steps);
    }
    (report, failed)
}
