//! coroutine-cpu: coroutines that only compute gain nothing from switching. They take turns on
//! one thread, so the makespan is at least the sum of their work.

use conlab_core::{yield_now, Checks, LaneCtx, Runtime, ScenarioError, SpanState, TaskGroup};

/// Each unit is computed in this many slices, yielding to the others between slices.
const SLICES: u32 = 4;

/// Runs the scenario.
pub async fn run<R: Runtime>(main: LaneCtx<R>) -> Result<(), ScenarioError> {
    let units = main.params().usize("units");
    let unit = main.params().duration("unit_ms");
    let group = TaskGroup::new();
    for i in 0..units {
        main.spawn_into(&group, move |me| async move {
            for _ in 0..SLICES {
                me.compute(unit / SLICES);
                yield_now().await;
            }
            me.print(format!("unit {i} done"));
        });
    }
    main.during(SpanState::WaitingJoin, "gather", group.join_all())
        .await;
    Ok(())
}

/// Checks: switching gains nothing (the makespan is at least the sequential sum, where the
/// units computed at once would take visibly less), and only one coroutine computes at once.
pub fn checks(c: &mut Checks) {
    let units = c.params.count("units") as u32;
    let unit = c.params.duration("unit_ms");
    let sum = unit / SLICES * SLICES * units;
    c.time(
        "no-gain",
        "switching gains nothing: makespan >= sequential sum",
        c.trace.metrics.makespan,
    )
    .at_least(sum)
    .unlike(sum / units.max(1), "the units computed at once")
    .judge();
    let peak = c.trace.metrics.peak_concurrency;
    if units < 2 {
        c.not_judged(
            "one-at-a-time",
            "only one coroutine computes at any instant",
            "with one coroutine there is nothing that could compute beside it",
        );
    } else {
        c.check(
            "one-at-a-time",
            "only one coroutine computes at any instant",
            peak <= 1,
            format!("peak concurrency {peak}"),
        );
    }
}

/// About how long a run takes: every unit's CPU work, one coroutine at a time.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    p.duration("unit_ms") * p.usize("units") as u32
}

/// This file: the code that runs, shown beside its timeline on the playground.
pub const SOURCE: &str = file!();
