//! The thread Worker's work: thread scenarios on the deterministic scheduler, run, steered by
//! the learner, or searched for a schedule that breaks them.

use conlab_core::Params;
use conlab_scenarios::scheduled::{self, PropertyResult};
use conlab_scenarios::Scenario;
use conlab_sched::search::Method;
use conlab_wire::{Finding, SchedMessage, SearchStrategy};

/// What a search of a scenario without properties says.
const NOTHING_TO_SEARCH: &str =
    "This scenario has nothing a schedule could break: every interleaving shows the same lesson.";

/// What a search says when it held for no time.
const HELD_FOR_NO_TIME: &str =
    "Searched with hold_ms=0: with long holds, virtual time alone decides the order.";

/// Runs `row` on the scheduler (replaying `schedule`, if given) and says its trace.
pub(crate) fn ran(
    row: &'static Scenario,
    params: &Params,
    schedule: Option<&str>,
    say: &mut dyn FnMut(SchedMessage),
) -> Result<(), String> {
    let run = scheduled::run(row, params, schedule).map_err(in_words)?;
    say(SchedMessage::Ran(run.trace.to_json(), run.schedule));
    Ok(())
}

/// The learner's run so far with `choices`, stopped at the next choice.
pub(crate) fn steer(
    row: &'static Scenario,
    params: &Params,
    choices: &[u32],
    say: &mut dyn FnMut(SchedMessage),
) -> Result<(), String> {
    let s = scheduled::steer(row, params, choices).map_err(in_words)?;
    say(SchedMessage::Steered(
        s.trace.to_json(),
        s.schedule,
        conlab_wire::pairs(&s.options),
        conlab_wire::pairs(&s.waiting),
    ));
    Ok(())
}

/// Searches for a schedule that breaks each of `row`'s properties, saying its progress, what
/// it found, and then a run to show: the shortest failing one, or (nothing broke) a run of the
/// parameters searched.
pub(crate) fn find(
    row: &'static Scenario,
    params: &Params,
    strategy: SearchStrategy,
    seed: u64,
    budget: u64,
    say: &mut dyn FnMut(SchedMessage),
) -> Result<(), String> {
    let method = match strategy {
        SearchStrategy::Random => Method::Random,
        SearchStrategy::Pct(depth) => Method::Pct(depth),
        SearchStrategy::Dfs(preemptions) => Method::Dfs(preemptions),
    };
    // The search says its progress every 256 schedules, and at the end.
    let mut progress =
        |property: &str, tried: u64| say(SchedMessage::Progress(property.to_string(), tried));
    let results = scheduled::explore(row, params, method, seed, budget, &mut progress)
        .map_err(|e| e.to_string())?;
    let first_broken = results
        .iter()
        .find_map(|r| r.broken.as_ref().map(|(schedule, ..)| schedule.clone()));
    let findings: Vec<Finding> = results.into_iter().map(finding).collect();
    let lines: Vec<String> = findings.iter().map(Finding::line).collect();
    let mut words: Vec<String> = findings.iter().map(Finding::words).collect();
    if findings.is_empty() {
        words.push(NOTHING_TO_SEARCH.to_string());
    }
    if params.to_map().get("hold_ms").is_some_and(|h| h == "0") {
        words.push(HELD_FOR_NO_TIME.to_string());
    }
    say(SchedMessage::Searched(
        lines.join("\n"),
        words.join("\n"),
        true,
    ));
    ran(row, params, first_broken.as_deref(), say)
}

/// Why the scheduler refused, as the page says it (the command line's `--schedule:` prefix
/// means nothing there).
fn in_words(e: scheduled::ScheduleError) -> String {
    match e {
        scheduled::ScheduleError::BadSchedule { reason } => {
            format!("The schedule does not fit this run: {reason}")
        }
        other => other.to_string(),
    }
}

fn finding(result: PropertyResult) -> Finding {
    let (schedule, reason, preemptions) = match result.broken {
        Some((schedule, reason, preemptions)) => (Some(schedule), reason, preemptions),
        None => (None, String::new(), 0),
    };
    Finding {
        property: result.name.to_string(),
        tried: result.tried,
        exhaustive: result.exhaustive,
        schedule,
        reason,
        preemptions,
    }
}
