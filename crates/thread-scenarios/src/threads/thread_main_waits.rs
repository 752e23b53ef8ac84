//! thread-main-waits: a program does not end while non-daemon threads run. Main prints first
//! and reaches its end; the run (the "process") then waits for every worker.

use conlab_core::{Checks, LaneKind, Nanos};
use conlab_traced_threads::{Aborted, ThreadCtx};

/// Runs the scenario.
pub fn run(main: &ThreadCtx) -> Result<(), Aborted> {
    for d in main.params().durations("sleeps_ms") {
        let name = main.next_thread_name();
        main.spawn(name, move |me| {
            me.sleep(d)?;
            me.print(format!(
                "{} finished after {}",
                me.name(),
                conlab_core::ms(d.as_nanos() as Nanos)
            ));
            Ok(())
        })?;
    }
    main.print("MainThread: reached the end of the program");
    Ok(())
}

/// Checks: main prints first; workers finish in order of their sleeps; the run lasts about
/// the longest sleep (the process waited for its threads).
pub fn checks(c: &mut Checks) {
    let sleeps = c.params.durations_ns("sleeps_ms");
    let t = c.trace;
    c.check(
        "main-first",
        "main prints first",
        t.output
            .first()
            .is_some_and(|l| l.text.starts_with("MainThread")),
        format!("first line: {:?}", t.output.first().map(|l| &l.text)),
    );
    let order: Vec<usize> = t
        .output
        .iter()
        .filter_map(|l| {
            l.text
                .strip_prefix("Thread-")?
                .split(' ')
                .next()?
                .parse::<usize>()
                .ok()
        })
        .map(|i| i - 1)
        .collect();
    let slack = c.tolerance.late;
    let in_order = order.len() == sleeps.len()
        && order
            .windows(2)
            .all(|w| sleeps[w[0]] <= sleeps[w[1]] + slack);
    c.check(
        "sleep-order",
        "workers finish in sleep order",
        in_order,
        format!("finish order {order:?}"),
    );
    let longest = sleeps.iter().copied().max().unwrap_or(0);
    let main_end = t
        .lanes
        .iter()
        .find(|l| l.kind == LaneKind::Main)
        .and_then(|l| l.end)
        .unwrap_or(0);
    c.about(
        "waits-for-threads",
        "the program ends only when its last thread does: ~ longest sleep",
        main_end,
        std::time::Duration::from_nanos(longest),
    );
}
