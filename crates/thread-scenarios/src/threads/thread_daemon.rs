//! thread-daemon: daemon threads are cut off when the main thread ends; their remaining work
//! never happens, and they do not outlive the run.

use conlab_core::{ms, Checks, LaneKind, Nanos, SpanState};
use conlab_traced_threads::{Aborted, ThreadCtx};

/// Runs the scenario.
pub fn run(main: &ThreadCtx) -> Result<(), Aborted> {
    let d = main.params().duration("sleep_ms");
    let name = main.next_thread_name();
    main.spawn_daemon(name, move |me| {
        me.print(format!("{}: daemon started, sleeping", me.name()));
        me.sleep(d)?;
        me.print(format!("{}: daemon finished (never printed)", me.name()));
        Ok(())
    })?;
    main.print("MainThread: exiting without waiting for the daemon");
    Ok(())
}

/// Checks, from the trace: whatever the daemon does after main ends never happens; it is cut
/// off at main's end exactly when its sleep is still going then (a sleep shorter than main's
/// own few steps ends first, and then the daemon finishes, as it would in Python); and main
/// never waits for the sleep.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let main_end = t
        .lanes
        .iter()
        .find(|l| l.kind == LaneKind::Main)
        .and_then(|l| l.end)
        .unwrap_or(u64::MAX);
    let daemon = t.lanes.iter().find(|l| l.kind == LaneKind::Thread);
    let sleep_start = daemon.and_then(|d| {
        t.spans
            .iter()
            .find(|s| s.lane == d.id && s.state == SpanState::Sleeping)
            .map(|s| s.start)
    });
    let natural_end = sleep_start.map(|s| s + c.params.duration("sleep_ms").as_nanos() as Nanos);
    let last_line = t.output.iter().find(|l| l.text.contains("never printed"));
    c.check(
        "cut-off",
        "the daemon's work after main ends never happens",
        last_line.is_none_or(|l| l.t <= main_end),
        match last_line {
            Some(l) => format!(
                "the daemon finished at {}, main ended at {}",
                ms(l.t),
                ms(main_end)
            ),
            None => "the daemon's last line was never printed".to_string(),
        },
    );
    let cut = t.marks_named("cut_off").count();
    let still_running = last_line.is_none();
    c.check(
        "cut-off-mark",
        "the daemon is cut off at the end of main if it still runs then",
        cut == usize::from(still_running),
        format!(
            "{cut} {} cut off; the daemon {} when main ended",
            if cut == 1 { "thread" } else { "threads" },
            if still_running {
                "was still running"
            } else {
                "had finished"
            }
        ),
    );
    c.check(
        "not-waited-for",
        "main ends without waiting for the daemon's sleep",
        last_line.is_some() || natural_end.is_none_or(|e| main_end < e),
        match natural_end {
            Some(e) => format!(
                "main ended at {}; the daemon's sleep would have ended at {}",
                ms(main_end),
                ms(e)
            ),
            None => format!("main ended at {}; the daemon never slept", ms(main_end)),
        },
    );
}

/// About how long a run takes: moments: nobody waits for the daemon.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    let _ = p;
    std::time::Duration::from_millis(100)
}
