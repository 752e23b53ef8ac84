//! Searching for a schedule that breaks an invariant: run a scenario under many schedules,
//! judge each run, and shrink a failure to the fewest preemptions before showing it.

use crate::rng::SplitMix64;
use crate::run::{End, RunLimits, RunReport, Scheduler};
use crate::strategy::{Dfs, Guided, Pct, Random, Replay, Strategy};

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
        End::Deadlock(waits) => Some(End::deadlock_words(waits)),
        End::StepLimit => Some("the run went on past its step limit".to_string()),
        End::Misfit(_) => None,
        End::Foreign(why) => Some(why.clone()),
        End::Stopped => None,
    }
}

/// One run under a strategy, and why it broke the invariant, if it did.
pub type Run<'a> = dyn FnMut(&mut dyn Strategy) -> (RunReport, Option<String>) + 'a;

/// The runs of threads `setup` creates on a scheduler with `limits`, judged by the judge it
/// returns (a deadlock, a step limit and a foreign await count as failures).
pub fn runs<'a>(
    mut setup: impl FnMut(&Scheduler) -> Judge + 'a,
    limits: RunLimits,
) -> impl FnMut(&mut dyn Strategy) -> (RunReport, Option<String>) + 'a {
    move |strategy| {
        let s = Scheduler::new(limits);
        let judge = setup(&s);
        let report = s.run(strategy);
        let failed = judged(&report, judge);
        (report, failed)
    }
}

/// Runs schedules until one breaks the invariant or the budget is spent; `progress` hears the
/// number of schedules run so far: at 1, 2, 4 … 128, then every 256, and at the end.
pub fn explore(run: &mut Run<'_>, search: Search, progress: &mut dyn FnMut(u64)) -> Outcome {
    let mut seeds = SplitMix64::new(search.seed);
    let mut tried = 0;
    let mut dfs = match search.method {
        Method::Dfs(bound) => Some(Dfs::new(bound)),
        _ => None,
    };
    // PCT needs the length of a run: that of a first, non-preemptive one.
    let steps = match search.method {
        Method::Pct(_) => run(&mut Dfs::new(Some(0))).0.steps.max(1),
        _ => 1,
    };
    while tried < search.budget {
        let seed = seeds.next_u64();
        let (report, failed) = match (&mut dfs, search.method) {
            (Some(dfs), _) => run(dfs),
            (None, Method::Pct(depth)) => run(&mut Pct::new(seed, depth, steps)),
            (None, _) => run(&mut Random::new(seed)),
        };
        tried += 1;
        // Early, then every 256: a search of long runs shows it moves.
        if tried % 256 == 0 || (tried < 256 && tried.is_power_of_two()) {
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
        // A run with no choice to make is the only one there is, however it is drawn.
        if report.choices.is_empty() {
            progress(tried);
            return Outcome::NoneFound {
                tried,
                exhaustive: true,
            };
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

/// The failure with the fewest preemptions: first by taking preemptions away one at a time
/// while the run still fails (a run each), then with bounds 0, 1, … below what that reached:
/// random schedules within the bound, then depth-first. All of it takes at most `budget` runs
/// (a failure found among dozens of threads with dozens of preemptions would otherwise run
/// the budget once per bound), and gives the smallest failure found by then.
pub fn shrink(run: &mut Run<'_>, found: Found, budget: u64) -> Found {
    let mut left = budget;
    let found = shrink_greedily(run, found, &mut left);
    for bound in 0..found.preemptions {
        if left == 0 {
            break;
        }
        // Random schedules within the bound find a shallow failure fast where depth-first
        // search spends its budget on the last steps' alternatives first. Each bound gets at
        // most half of what is left, shared between the two.
        let share = (left / 2).max(1);
        let mut seeds = SplitMix64::new(u64::from(bound) ^ 0x5eed);
        for _ in 0..share / 2 {
            let seed = seeds.next_u64();
            left -= 1;
            if let (report, Some(reason)) = run(&mut Random::bounded(seed, bound)) {
                return Found {
                    seed,
                    choices: report.choices,
                    preemptions: report.preemptions,
                    reason,
                    ..found
                };
            }
        }
        let search = Search {
            method: Method::Dfs(Some(bound)),
            seed: 0,
            budget: (share - share / 2).max(1).min(left),
        };
        match explore(run, search, &mut |_| {}) {
            Outcome::Found(smaller) => {
                return Found {
                    tried: found.tried + smaller.tried,
                    ..smaller
                }
            }
            Outcome::NoneFound { tried, .. } => left = left.saturating_sub(tried),
        }
    }
    found
}

/// Takes preemptions away one at a time, keeping each change after which the run still fails
/// with fewer preemptions; at most `left` runs, which it counts down.
fn shrink_greedily(run: &mut Run<'_>, mut found: Found, left: &mut u64) -> Found {
    let mut picks = match replay(run, &found.choices) {
        (report, Some(_)) => report.picks,
        _ => return found,
    };
    'smaller: while found.preemptions > 0 && *left > 0 {
        // The shortest prefix after which the threads running on undisturbed still fail, then
        // one preemption at a time.
        let n = picks.len();
        let candidates = (0..n)
            .map(|k| Guided::prefix(picks.clone(), k))
            .chain((0..n).map(|k| Guided::new(picks.clone(), k)));
        for mut guided in candidates {
            if *left == 0 {
                break 'smaller;
            }
            *left -= 1;
            let (report, failed) = run(&mut guided);
            if let (Some(reason), true) = (failed, report.preemptions < found.preemptions) {
                picks = report.picks;
                found = Found {
                    choices: report.choices,
                    preemptions: report.preemptions,
                    reason,
                    ..found
                };
                continue 'smaller;
            }
        }
        break;
    }
    found
}

/// Runs one schedule again (give it runs that record every step to see them).
pub fn replay(run: &mut Run<'_>, choices: &[u32]) -> (RunReport, Option<String>) {
    let mut strategy = Replay::new(choices.to_vec());
    let (mut report, failed) = run(&mut strategy);
    if report.end == End::Completed && !strategy.used_all() {
        report.end = End::Misfit(report.steps);
    }
    (report, failed)
}
