//! Thread scenarios on the deterministic scheduler: a run (drawn from a seed, or replaying a
//! schedule), and the search for a schedule that breaks one of a scenario's properties.

use crate::registry::{Scenario, SeamCode};
use conlab_core::{Checks, Params, Status, Trace};
use conlab_sched::search::{self, Found, Method, Outcome, Search};
use conlab_sched::{Random, Replay, Schedule, Strategy};
use conlab_threads::{run_scheduled, Recording, SCHEDULER_LIMITS};

/// The seed of a scheduled run given none: the same trace every time.
pub const DEFAULT_SEED: u64 = 1;

/// A run on the scheduler: its trace and the schedule that replays it.
pub struct ScheduledRun {
    /// The trace, judged by the scenario's checks.
    pub trace: Trace,
    /// Its schedule, as `--schedule` takes it.
    pub schedule: String,
}

/// Why a scenario could not be run on the scheduler at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The scenario is not written on the thread seam.
    #[error("`{id}` does not run on the scheduler")]
    NotScheduled {
        /// The scenario.
        id: &'static str,
    },
    /// A schedule given to replay does not fit the run.
    #[error("--schedule: {reason}")]
    BadSchedule {
        /// Why, in words.
        reason: String,
    },
    /// With these parameters the run would take more steps than the scheduler steps through.
    #[error("{reason}")]
    TooLarge {
        /// Why, in words, with what to change.
        reason: String,
    },
}

/// The scenario's code on the seam, if it runs there with `params`.
fn seam(scenario: &Scenario, params: &Params) -> Result<SeamCode, ScheduleError> {
    let code = scenario
        .scheduled
        .ok_or(ScheduleError::NotScheduled { id: scenario.id })?;
    match code.too_large.and_then(|f| f(params)) {
        Some(reason) => Err(ScheduleError::TooLarge { reason }),
        None => Ok(code),
    }
}

/// `assignments` (`name=value`) for a search of `info`: with long holds virtual time alone
/// decides the order of the steps, so a search holds for no time unless `hold_ms` is given.
pub fn search_assignments(
    info: &conlab_core::catalog::ScenarioInfo,
    assignments: &mut Vec<String>,
) {
    let holds = info.params.iter().any(|p| p.name == "hold_ms");
    let given = assignments
        .iter()
        .any(|a| a.trim_start().starts_with("hold_ms="));
    if holds && !given {
        assignments.push("hold_ms=0".to_string());
    }
}

/// What a schedule of `scenario` with `params` is made for: a schedule of other parameters or
/// other code does not fit.
pub fn fingerprint(scenario: &Scenario, code: u64, params: &Params) -> u64 {
    let canonical: Vec<String> = params
        .to_map()
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    conlab_sched::fingerprint(scenario.id, &canonical.join("&"), code)
}

/// Runs `scenario` on the scheduler: choices drawn from [`DEFAULT_SEED`], or those of
/// `schedule` (refused whole if it was made for another scenario, other parameters or other
/// code, or does not fit the run).
pub fn run(
    scenario: &'static Scenario,
    params: &Params,
    schedule: Option<&str>,
) -> Result<ScheduledRun, ScheduleError> {
    run_bounded(scenario, params, schedule, None)
}

/// [`run`] within `bounds` (a server's): a stop asked from elsewhere or its real-time limit
/// ends it *stopped* or *timed out*, and a trace of more events than the bounds allow is
/// refused, saying so, as the virtual-time executor's runs are.
pub fn run_bounded(
    scenario: &'static Scenario,
    params: &Params,
    schedule: Option<&str>,
    bounds: Option<&conlab_virtual::Bounds>,
) -> Result<ScheduledRun, ScheduleError> {
    let code = seam(scenario, params)?;
    let given = given_schedule(scenario, code, params, schedule)?;
    let mut strategy: Box<dyn Strategy> = match given.drawn {
        true => Box::new(Replay::then_drawn(given.choices.clone(), given.seed)),
        false => Box::new(Replay::new(given.choices.clone())),
    };
    // Only a time bound reads the clock (the page's Worker, which has none, gives no bounds).
    let started = bounds
        .filter(|b| !b.time.is_zero())
        .map(|_| std::time::Instant::now());
    let out_of_time = std::cell::Cell::new(false);
    let stop = || {
        let Some(b) = bounds else { return false };
        if started.is_some_and(|t| t.elapsed() > b.time) {
            out_of_time.set(true);
            return true;
        }
        b.stop
            .as_ref()
            .is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed))
    };
    let mut done = run_with(scenario, code, params, strategy.as_mut(), true, &stop);
    if let Status::Refused { reason } = &done.trace.status {
        return Err(ScheduleError::BadSchedule {
            reason: reason.clone(),
        });
    }
    if out_of_time.get() {
        done.trace.status = Status::TimedOut {
            limit_ms: bounds.map_or(0, |b| b.time.as_millis() as u64),
        };
        done.trace.checks.clear();
    }
    let t = &done.trace;
    let events = t.lanes.len() + t.spans.len() + t.marks.len() + t.output.len();
    if let Some(max) = bounds.and_then(|b| b.max_events).filter(|&m| events > m) {
        done.trace.status = Status::Refused {
            reason: format!(
                "the run recorded more than {max} events ({events}): {}",
                bounds.map_or("", |b| b.max_events_why)
            ),
        };
        done.trace.checks.clear();
    }
    let schedule = Schedule {
        choices: match given.drawn {
            true => given.choices,
            false => done.report.choices,
        },
        ..given
    };
    Ok(ScheduledRun {
        trace: done.trace,
        schedule: schedule.to_string(),
    })
}

/// A run the learner schedules: as far as their choices go, then stopped where the next choice
/// is theirs.
pub struct Steered {
    /// The trace so far (stopped, not judged, at a choice; judged once the run has ended).
    pub trace: Trace,
    /// The schedule of the choices made so far.
    pub schedule: String,
    /// Who can take the next step, and what step (`read \`counter\``), in the order a choice
    /// counts them; empty once the run has ended.
    pub options: Vec<(String, String)>,
    /// Every other unfinished thread, and why it waits, in words.
    pub waiting: Vec<(String, String)>,
}

/// Runs `scenario` with the learner's `choices` (a position among the threads that can step,
/// at each point where more than one can), stopping at the first point they have not chosen
/// yet. Choices that do not fit the run are refused.
pub fn steer(
    scenario: &'static Scenario,
    params: &Params,
    choices: &[u32],
) -> Result<Steered, ScheduleError> {
    let code = seam(scenario, params)?;
    let mut replay = Replay::new(choices.to_vec());
    let mut done = run_with(scenario, code, params, &mut replay, true, &|| false);
    let decision = done.report.decision.take();
    // Midway, the choices so far and then those the default seed draws: a link to it replays
    // a whole run that begins as the learner's.
    let midway = decision.is_some();
    let schedule = Schedule {
        fingerprint: fingerprint(scenario, code.code, params),
        seed: if midway { DEFAULT_SEED } else { 0 },
        choices: done.report.choices.clone(),
        drawn: midway,
    }
    .to_string();
    // Every choice was made, and the run stopped at the next one.
    let fits = done.report.choices.len() == choices.len();
    let Some(decision) = decision.filter(|_| fits) else {
        if !fits || !done.trace.status.is_judged() {
            return Err(ScheduleError::BadSchedule {
                reason: format!(
                    "{} of the {} choices fit this run",
                    done.report.choices.len(),
                    choices.len()
                ),
            });
        }
        return Ok(Steered {
            trace: done.trace,
            schedule,
            options: Vec::new(),
            waiting: Vec::new(),
        });
    };
    let mut trace = done.trace;
    trace.status = Status::Stopped {
        after_ms: trace.end / 1_000_000,
    };
    trace.checks.clear();
    let threads = &done.report.threads;
    let options = decision
        .runnable
        .iter()
        .map(|(id, op)| {
            let who = threads[id.0 as usize].clone();
            // A thread's own start reads "start", not "start `Thread-2`".
            let step = match &*op.object {
                "" => op.verb.to_string(),
                object if *object == *who => op.verb.to_string(),
                object => format!("{} `{object}`", op.verb),
            };
            (who, step)
        })
        .collect();
    Ok(Steered {
        trace,
        schedule,
        options,
        waiting: decision.waiting,
    })
}

/// The schedule a run replays: `schedule` read (refused whole when it was made for another
/// run), or, without one, the default seed's. A run without a schedule is drawn from that
/// seed, and its schedule says so in a few characters, however many choices it made; one
/// whose choices end with those drawn from its seed (a learner's run so far) is written as
/// it was given.
fn given_schedule(
    scenario: &'static Scenario,
    code: SeamCode,
    params: &Params,
    schedule: Option<&str>,
) -> Result<Schedule, ScheduleError> {
    let fingerprint = fingerprint(scenario, code.code, params);
    match schedule {
        Some(text) => Schedule::parse(text, fingerprint).map_err(|e| ScheduleError::BadSchedule {
            reason: e.to_string(),
        }),
        None => Ok(Schedule {
            fingerprint,
            seed: DEFAULT_SEED,
            choices: Vec::new(),
            drawn: true,
        }),
    }
}

/// A run on the scheduler; `judged`: with the scenario's checks (a search's runs need only
/// the recording its properties read).
fn run_with(
    scenario: &'static Scenario,
    code: SeamCode,
    params: &Params,
    strategy: &mut dyn Strategy,
    judged: bool,
    stop: &dyn Fn() -> bool,
) -> conlab_threads::Scheduled {
    let (checks, always): (conlab_core::ChecksFn, _) = match judged {
        true => (scenario.checks, scenario.always),
        false => (|_| {}, None),
    };
    run_scheduled(
        scenario.info(),
        code.run,
        checks,
        always,
        params,
        strategy,
        SCHEDULER_LIMITS,
        match (judged, code.searched) {
            (true, _) => Recording::Full,
            (false, Some(marks)) => Recording::SomeMarks(marks),
            (false, None) => Recording::MarksOnly,
        },
        stop,
    )
}

/// What a search found for one property of a scenario.
pub struct PropertyResult {
    /// The property, as the scenario names it ("with the lock").
    pub name: &'static str,
    /// The shortest failing schedule found, with why it fails and its preemptions; `None`
    /// when no schedule broke it.
    pub broken: Option<(String, String, u32)>,
    /// Schedules run for this property.
    pub tried: u64,
    /// Whether those were every schedule the method allows.
    pub exhaustive: bool,
}

/// Why a run broke property `index`, if it did: its own words, or the run's failure (a
/// deadlock breaks every property).
fn broken(code: SeamCode, trace: &Trace, params: &Params, index: usize) -> Option<String> {
    if let Status::Failed { reason } = &trace.status {
        return Some(reason.clone());
    }
    let c = Checks::new(trace, params);
    (code.properties)(&c)
        .into_iter()
        .nth(index)
        .and_then(|(_, b)| b)
}

/// Runs of `scenario` under a strategy, each judged against property `index`.
fn property_runs<'a>(
    scenario: &'static Scenario,
    code: SeamCode,
    params: &'a Params,
    index: usize,
) -> impl FnMut(&mut dyn Strategy) -> (conlab_sched::RunReport, Option<String>) + 'a {
    move |strategy: &mut dyn Strategy| {
        let done = run_with(scenario, code, params, strategy, false, &|| false);
        let why = broken(code, &done.trace, params, index);
        (done.report, why)
    }
}

/// What a search sees of the run `schedule` replays (`None`: the default seed's): each
/// property, and why the run broke it, if it did. A search's runs keep only the marks their
/// scenario says its properties read; a test holds that to what a full run shows.
pub fn searched_properties(
    scenario: &'static Scenario,
    params: &Params,
    schedule: Option<&str>,
) -> Result<Vec<(&'static str, Option<String>)>, ScheduleError> {
    let code = seam(scenario, params)?;
    let given = given_schedule(scenario, code, params, schedule)?;
    let mut strategy = Replay::then_drawn(given.choices, given.seed);
    let done = run_with(scenario, code, params, &mut strategy, false, &|| false);
    let names = (code.properties)(&Checks::new(&done.trace, params));
    Ok(names
        .into_iter()
        .enumerate()
        .map(|(i, (name, _))| (name, broken(code, &done.trace, params, i)))
        .collect())
}

/// Searches schedules of `scenario` with `params` for one that breaks its property `index`,
/// without shrinking what it finds (what a benchmark times).
pub fn search_property(
    scenario: &'static Scenario,
    params: &Params,
    index: usize,
    search: Search,
) -> Result<Outcome, ScheduleError> {
    let code = seam(scenario, params)?;
    let mut run = property_runs(scenario, code, params, index);
    Ok(search::explore(&mut run, search, &mut |_| {}))
}

/// Searches schedules of `scenario` with `params` for each of its properties, with `method`
/// from `seed`, at most `budget` schedules a property; `progress` hears (property, schedules
/// run). A found failure is shrunk to the fewest preemptions.
pub fn explore(
    scenario: &'static Scenario,
    params: &Params,
    method: Method,
    seed: u64,
    budget: u64,
    progress: &mut dyn FnMut(&str, u64),
) -> Result<Vec<PropertyResult>, ScheduleError> {
    let code = seam(scenario, params)?;
    let fingerprint = fingerprint(scenario, code.code, params);
    // The properties' names, from one run.
    let first = run_with(
        scenario,
        code,
        params,
        &mut Random::new(seed),
        false,
        &|| false,
    );
    let names: Vec<&'static str> = {
        let c = Checks::new(&first.trace, params);
        (code.properties)(&c).into_iter().map(|(n, _)| n).collect()
    };
    let mut results = Vec::new();
    for (index, name) in names.into_iter().enumerate() {
        let mut run = property_runs(scenario, code, params, index);
        let search = Search {
            method,
            seed,
            budget,
        };
        let outcome = search::explore(&mut run, search, &mut |n| progress(name, n));
        results.push(match outcome {
            Outcome::Found(found) => {
                let tried = found.tried;
                let Found {
                    seed,
                    choices,
                    reason,
                    preemptions,
                    ..
                } = search::shrink(&mut run, found, budget);
                let schedule = Schedule {
                    fingerprint,
                    seed,
                    choices,
                    drawn: false,
                }
                .to_string();
                PropertyResult {
                    name,
                    broken: Some((schedule, reason, preemptions)),
                    tried,
                    exhaustive: false,
                }
            }
            Outcome::NoneFound { tried, exhaustive } => PropertyResult {
                name,
                broken: None,
                tried,
                exhaustive,
            },
        });
    }
    Ok(results)
}
